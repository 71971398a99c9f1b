package promotion

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/internal/catalog"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/input"
	"github.com/savannah-commerce/savannah/internal/money"
)

// Limits of staff input.
const (
	MaxNameLen      = 200
	MaxVouchers     = 10000
	MaxPrefixLen    = 32
	codeRandomLen   = 8
	voucherBatch    = 500
	codeAlphabet    = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // no 0/O, 1/I
	savepoint       = "promotion"
	maxPriorityAbs  = 1000000
	maxAmountMinor  = int64(1) << 40
	maxQuantityBase = 1000000
)

var prefixPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]*$`)

// Service carries out staff's promotion writes, under the staff's own
// rights (ent privacy: staff read and write promotions and vouchers).
type Service struct {
	client   *ent.Client
	currency money.Currency
	dialect  string
	jobs     Inserter
	now      func() time.Time
}

// NewService returns the promotion service over client, for a store in
// currency, on a database of dialect d: jobs schedules the window jobs at each promotion's boundaries
// (WindowArgs; nil schedules none) and now is the clock (nil: time.Now).
func NewService(client *ent.Client, currency money.Currency, d string, jobs Inserter, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, currency: currency, dialect: d, jobs: jobs, now: now}
}

// written follows a promotion's write in its transaction: the catalogue's
// sale prices as they are now (Resale), and the window jobs at its
// boundaries.
func (s *Service) written(ctx context.Context, c *ent.Client, p *ent.Promotion) error {
	if _, err := Resale(ctx, c, s.dialect, s.now()); err != nil {
		return err
	}
	return s.schedule(ctx, p)
}

// amounts reads the input's decimal amounts (MinSubtotal, Amount) as
// minor units of the store currency, with the catalogue's rules for
// prices.
func (s *Service) amounts(in *Input) error {
	var ps input.Problems
	read := func(text *string, field string) *int64 {
		if text == nil {
			return nil
		}
		v, err := catalog.PriceMinor(s.currency, *text)
		if err != nil {
			ps.Add(input.ErrInvalid, err.Error(), "input", field)
		}
		return &v
	}
	if m := read(in.MinSubtotal, "minSubtotal"); m != nil {
		in.MinSubtotalMinor = m
	}
	if m := read(in.Amount, "amount"); m != nil {
		in.AmountMinor = m
	}
	return ps.Err()
}

func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, c *ent.Client) error) error {
	return database.InUnit(ctx, s.client, savepoint, func(ctx context.Context) error {
		return fn(ctx, ent.FromContext(ctx))
	})
}

// Input is a promotion's fields as staff give them; nil leaves a field as
// it is (on create: its default).
type Input struct {
	Name             *string
	Active           *bool
	StartsAt, EndsAt *time.Time
	Priority         *int
	Stacking         *promotion.Stacking
	RequiresCode     *bool
	// MinSubtotal and Amount are decimal text in the store currency
	// ("1500.00"); they set MinSubtotalMinor and AmountMinor.
	MinSubtotal, Amount *string
	MinSubtotalMinor    *int64
	MinQuantity         *int
	// Lines the promotion covers; nil: as they are, empty: none named.
	ProductIDs, CategoryIDs, VariantIDs []int
	SignedIn, FirstOrder                *bool
	Action                              *promotion.Action
	PercentBp, AmountMinor              *int64
	BuyQuantity, GetQuantity            *int
	// UsageLimit is the orders it may discount in total (≥ 1, and not
	// below its uses so far).
	UsageLimit *int
}

// check validates the promotion as it will be (p: the current one, or a
// zero one with defaults on create), so that the database's
// PromotionCheck never fails on staff input.
func (in Input) check(p ent.Promotion) error {
	var ps input.Problems
	at := func(f string) []string { return []string{"input", f} }
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		p.Name = *in.Name
	}
	if p.Name == "" || len(p.Name) > MaxNameLen {
		ps.Add(input.ErrInvalid, fmt.Sprintf("a name is 1 to %d bytes", MaxNameLen), at("name")...)
	}
	if in.StartsAt != nil {
		p.StartsAt = in.StartsAt
	}
	if in.EndsAt != nil {
		p.EndsAt = in.EndsAt
	}
	if p.StartsAt != nil && p.EndsAt != nil && !p.EndsAt.After(*p.StartsAt) {
		ps.Add(input.ErrInvalid, "endsAt must be after startsAt", at("endsAt")...)
	}
	if in.Priority != nil && (*in.Priority > maxPriorityAbs || *in.Priority < -maxPriorityAbs) {
		ps.Add(input.ErrInvalid, fmt.Sprintf("priority is between -%d and %d", maxPriorityAbs, maxPriorityAbs), at("priority")...)
	}
	if in.Stacking != nil && promotion.StackingValidator(*in.Stacking) != nil {
		ps.Add(input.ErrInvalid, "unknown stacking mode", at("stacking")...)
	}
	if in.MinSubtotalMinor != nil && (*in.MinSubtotalMinor < 0 || *in.MinSubtotalMinor > maxAmountMinor) {
		ps.Add(input.ErrInvalid, "minSubtotal is 0 or more", at("minSubtotal")...)
	}
	if in.UsageLimit != nil && (*in.UsageLimit < 1 || *in.UsageLimit < p.Uses) {
		ps.Add(input.ErrInvalid, fmt.Sprintf("usageLimit is at least 1 and at least the uses so far (%d)", p.Uses), at("usageLimit")...)
	}
	if in.MinQuantity != nil && (*in.MinQuantity < 0 || *in.MinQuantity > maxQuantityBase) {
		ps.Add(input.ErrInvalid, "minQuantity is 0 or more", at("minQuantity")...)
	}
	if in.Action != nil {
		p.Action = *in.Action
	}
	if in.PercentBp != nil {
		p.PercentBp = *in.PercentBp
	}
	if in.AmountMinor != nil {
		p.AmountMinor = *in.AmountMinor
	}
	if in.BuyQuantity != nil {
		p.BuyQuantity = *in.BuyQuantity
	}
	if in.GetQuantity != nil {
		p.GetQuantity = *in.GetQuantity
	}
	if p.PercentBp < 0 || p.PercentBp > 10000 {
		ps.Add(input.ErrInvalid, "percentBp is 0 to 10000", at("percentBp")...)
	}
	if p.AmountMinor < 0 || p.AmountMinor > maxAmountMinor {
		ps.Add(input.ErrInvalid, "amount is 0 or more", at("amount")...)
	}
	if p.BuyQuantity < 0 || p.GetQuantity < 0 || p.BuyQuantity > maxQuantityBase || p.GetQuantity > maxQuantityBase {
		ps.Add(input.ErrInvalid, "quantities are 0 or more", at("buyQuantity")...)
	}
	switch p.Action {
	case "":
		ps.Add(input.ErrRequired, "an action is required", at("action")...)
	case promotion.ActionPERCENTAGE:
		if p.PercentBp <= 0 {
			ps.Add(input.ErrInvalid, "a PERCENTAGE promotion needs percentBp above 0", at("percentBp")...)
		}
	case promotion.ActionFIXED_AMOUNT:
		if p.AmountMinor <= 0 {
			ps.Add(input.ErrInvalid, "a FIXED_AMOUNT promotion needs an amount above 0", at("amount")...)
		}
	case promotion.ActionFIXED_PRICE:
	case promotion.ActionBUY_X_GET_Y:
		if p.BuyQuantity <= 0 || p.GetQuantity <= 0 || p.PercentBp <= 0 {
			ps.Add(input.ErrInvalid, "a BUY_X_GET_Y promotion needs buyQuantity, getQuantity and percentBp above 0", at("buyQuantity")...)
		}
	case promotion.ActionSHIPPING:
		if (p.PercentBp > 0) == (p.AmountMinor > 0) {
			ps.Add(input.ErrInvalid, "a SHIPPING promotion needs either percentBp (10000: free shipping) or an amount above 0, not both", at("percentBp")...)
		}
	default:
		ps.Add(input.ErrInvalid, "unknown action", at("action")...)
	}
	return ps.Err()
}

// apply copies the given fields onto m.
func (in Input) apply(m *ent.PromotionMutation) {
	if in.Name != nil {
		m.SetName(*in.Name)
	}
	if in.Active != nil {
		m.SetActive(*in.Active)
	}
	if in.StartsAt != nil {
		m.SetStartsAt(*in.StartsAt)
	}
	if in.EndsAt != nil {
		m.SetEndsAt(*in.EndsAt)
	}
	if in.Priority != nil {
		m.SetPriority(*in.Priority)
	}
	if in.Stacking != nil {
		m.SetStacking(*in.Stacking)
	}
	if in.RequiresCode != nil {
		m.SetRequiresCode(*in.RequiresCode)
	}
	if in.MinSubtotalMinor != nil {
		m.SetMinSubtotalMinor(*in.MinSubtotalMinor)
	}
	if in.MinQuantity != nil {
		m.SetMinQuantity(*in.MinQuantity)
	}
	if in.ProductIDs != nil {
		m.SetProductIds(in.ProductIDs)
	}
	if in.CategoryIDs != nil {
		m.SetCategoryIds(in.CategoryIDs)
	}
	if in.VariantIDs != nil {
		m.SetVariantIds(in.VariantIDs)
	}
	if in.SignedIn != nil {
		m.SetSignedIn(*in.SignedIn)
	}
	if in.FirstOrder != nil {
		m.SetFirstOrder(*in.FirstOrder)
	}
	if in.Action != nil {
		m.SetAction(*in.Action)
	}
	if in.PercentBp != nil {
		m.SetPercentBp(*in.PercentBp)
	}
	if in.AmountMinor != nil {
		m.SetAmountMinor(*in.AmountMinor)
	}
	if in.BuyQuantity != nil {
		m.SetBuyQuantity(*in.BuyQuantity)
	}
	if in.GetQuantity != nil {
		m.SetGetQuantity(*in.GetQuantity)
	}
	if in.UsageLimit != nil {
		m.SetUsageLimit(*in.UsageLimit)
	}
}

// Create adds a promotion.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Promotion, error) {
	if err := s.amounts(&in); err != nil {
		return nil, err
	}
	if err := in.check(ent.Promotion{}); err != nil {
		return nil, err
	}
	var out *ent.Promotion
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		cr := c.Promotion.Create()
		in.apply(cr.Mutation())
		p, err := cr.Save(ctx)
		if err != nil {
			return fmt.Errorf("create promotion: %w", err)
		}
		out = p
		return s.written(ctx, c, p)
	})
	return out, err
}

// Update changes the given fields of promotion id: carts are priced with
// it at once; placed orders keep what they got.
func (s *Service) Update(ctx context.Context, id int, in Input) (*ent.Promotion, error) {
	if err := s.amounts(&in); err != nil {
		return nil, err
	}
	var out *ent.Promotion
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		p, err := c.Promotion.Get(ctx, id)
		if ent.IsNotFound(err) {
			return input.Fail(input.ErrNotFound, "no such promotion", "id")
		}
		if err != nil {
			return fmt.Errorf("read promotion: %w", err)
		}
		if err := in.check(*p); err != nil {
			return err
		}
		upd := c.Promotion.UpdateOneID(id)
		in.apply(upd.Mutation())
		out, err = upd.Save(ctx)
		if ent.IsConstraintError(err) && in.UsageLimit != nil {
			// An order used it meanwhile, past the new limit.
			return input.Fail(input.ErrInvalid, "usageLimit is below the uses so far", "input", "usageLimit")
		}
		if err != nil {
			return fmt.Errorf("update promotion: %w", err)
		}
		return s.written(ctx, c, out)
	})
	return out, err
}

// Deactivate stops promotion id at once, whatever its window.
func (s *Service) Deactivate(ctx context.Context, id int) (*ent.Promotion, error) {
	off := false
	return s.Update(ctx, id, Input{Active: &off})
}

// List is every promotion, newest first.
func (s *Service) List(ctx context.Context) ([]*ent.Promotion, error) {
	return s.client.Promotion.Query().Order(ent.Desc(promotion.FieldID)).All(ctx)
}

// GenerateInput asks for count codes starting with prefix.
type GenerateInput struct {
	Count                        int
	Prefix                       string
	UsageLimit, PerCustomerLimit *int
}

// Generate makes in.Count random unique codes for promotion id, inserted
// in batches of voucherBatch in one transaction (all or none), and
// returns them. A collision with an existing code (unlikely: 40 random
// bits each) is TAKEN: try again.
func (s *Service) Generate(ctx context.Context, id int, in GenerateInput) ([]string, error) {
	var ps input.Problems
	in.Prefix = Normalize(in.Prefix)
	if in.Count < 1 || in.Count > MaxVouchers {
		ps.Add(input.ErrInvalid, fmt.Sprintf("count is 1 to %d", MaxVouchers), "input", "count")
	}
	if len(in.Prefix) > MaxPrefixLen || (in.Prefix != "" && !prefixPattern.MatchString(in.Prefix)) {
		ps.Add(input.ErrInvalid, fmt.Sprintf("a prefix is up to %d letters, digits, - or _", MaxPrefixLen), "input", "prefix")
	}
	if in.UsageLimit != nil && *in.UsageLimit < 1 {
		ps.Add(input.ErrInvalid, "usageLimit is at least 1", "input", "usageLimit")
	}
	if in.PerCustomerLimit != nil && *in.PerCustomerLimit < 1 {
		ps.Add(input.ErrInvalid, "perCustomerLimit is at least 1", "input", "perCustomerLimit")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	codes := make([]string, 0, in.Count)
	seen := make(map[string]bool, in.Count)
	for len(codes) < in.Count {
		c, err := randomCode(in.Prefix)
		if err != nil {
			return nil, err
		}
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if _, err := c.Promotion.Get(ctx, id); ent.IsNotFound(err) {
			return input.Fail(input.ErrNotFound, "no such promotion", "promotionId")
		} else if err != nil {
			return fmt.Errorf("read promotion: %w", err)
		}
		return s.insertCodes(ctx, c, id, codes, in)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// AddCode adds one chosen code (such as KARIBU10) to promotion id.
func (s *Service) AddCode(ctx context.Context, id int, code string, usageLimit, perCustomerLimit *int) (*ent.Voucher, error) {
	return s.client.Voucher.Create().SetPromotionID(id).SetCode(Normalize(code)).
		SetNillableUsageLimit(usageLimit).SetNillablePerCustomerLimit(perCustomerLimit).Save(ctx)
}

func (s *Service) insertCodes(ctx context.Context, c *ent.Client, id int, codes []string, in GenerateInput) error {
	for start := 0; start < len(codes); start += voucherBatch {
		batch := codes[start:min(start+voucherBatch, len(codes))]
		creates := make([]*ent.VoucherCreate, len(batch))
		for i, code := range batch {
			creates[i] = c.Voucher.Create().SetPromotionID(id).SetCode(code).
				SetNillableUsageLimit(in.UsageLimit).SetNillablePerCustomerLimit(in.PerCustomerLimit)
		}
		if err := c.Voucher.CreateBulk(creates...).Exec(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return input.Fail(input.ErrTaken, "a generated code exists already; try again", "input", "prefix")
			}
			return fmt.Errorf("create vouchers: %w", err)
		}
	}
	return nil
}

func randomCode(prefix string) (string, error) {
	var b strings.Builder
	b.WriteString(prefix)
	n := big.NewInt(int64(len(codeAlphabet)))
	for range codeRandomLen {
		i, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		b.WriteByte(codeAlphabet[i.Int64()])
	}
	return b.String(), nil
}

// errDryRun rolls a preview's unit of work back.
var errDryRun = errors.New("promotion: dry run")

// Preview runs price in a unit of work in which the promotion in
// (checked as Create checks it) is running now, active and without a
// code, beside the running ones; then rolls everything back, so nothing
// of it is ever seen by anyone else.
func (s *Service) Preview(ctx context.Context, in Input, price func(ctx context.Context) error) error {
	in.StartsAt, in.EndsAt = nil, nil
	if err := s.amounts(&in); err != nil {
		return err
	}
	if err := in.check(ent.Promotion{}); err != nil {
		return err
	}
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		cr := c.Promotion.Create()
		in.apply(cr.Mutation())
		if err := cr.SetActive(true).SetRequiresCode(false).Exec(ctx); err != nil {
			return fmt.Errorf("draft promotion: %w", err)
		}
		if err := price(ctx); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}
