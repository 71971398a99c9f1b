package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/savannah-commerce/savannah/internal/cost"
	"github.com/savannah-commerce/savannah/internal/ratelimit"
)

// Codes of the contract for refused requests.
const (
	CodeQueryTooComplex        = "QUERY_TOO_COMPLEX"
	CodeRateLimited            = "RATE_LIMITED"
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	costExtension              = "cost"
)

// Limits bound the cost and shape of one operation. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	// MaxCost is the most a single operation may cost (QUERY_MAX_COST).
	MaxCost int
	// MaxDepth bounds the nesting of fields with selections.
	MaxDepth int
	// MaxAliases bounds the fields asked under an alias, which would
	// otherwise repeat an expensive field many times in one request.
	MaxAliases int
	// MaxRootFields bounds the top-level fields of one operation.
	MaxRootFields int
	// MaxTokens bounds the lexical tokens of a document, checked before
	// it is parsed.
	MaxTokens int
	// MaxFields bounds the fields of an operation once its fragments are
	// expanded, which a document spreading each fragment twice multiplies
	// far beyond its size.
	MaxFields int
	// MaxWhereDepth and MaxWhereTerms bound each where argument: its
	// nesting of not, and, or and has...With, and its terms. Beyond them
	// the request is BAD_USER_INPUT.
	MaxWhereDepth, MaxWhereTerms int
}

// DefaultLimits are generous for every operation of the contract (the
// costliest, ProductList with first: 100, costs about 700) and refuse
// what no client needs.
func DefaultLimits() Limits {
	return Limits{MaxCost: 1000, MaxDepth: 15, MaxAliases: 30, MaxRootFields: 10, MaxTokens: 15000,
		MaxFields: 2000, MaxWhereDepth: 5, MaxWhereTerms: 100}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, p := range []struct{ v, d *int }{
		{&l.MaxCost, &d.MaxCost}, {&l.MaxDepth, &d.MaxDepth}, {&l.MaxAliases, &d.MaxAliases}, {&l.MaxRootFields, &d.MaxRootFields},
		{&l.MaxTokens, &d.MaxTokens}, {&l.MaxFields, &d.MaxFields}, {&l.MaxWhereDepth, &d.MaxWhereDepth}, {&l.MaxWhereTerms, &d.MaxWhereTerms},
	} {
		if *p.v <= 0 {
			*p.v = *p.d
		}
	}
	return l
}

// shape is the cost package's view of the limits.
func (l Limits) shape() cost.Limits {
	return cost.Limits{Cost: l.MaxCost, Depth: l.MaxDepth, Aliases: l.MaxAliases, RootFields: l.MaxRootFields,
		Fields: l.MaxFields, WhereDepth: l.MaxWhereDepth, WhereTerms: l.MaxWhereTerms}
}

// ClientFunc names the client a request is metered as ("customer:42",
// "ip:203.0.113.9"), and whether it is exempt from rate limits. The HTTP
// layer provides it: it knows the client address and the signed-in
// customer.
type ClientFunc func(ctx context.Context) (key string, exempt bool)

// Protection refuses operations over the cost and shape limits before any
// resolver runs, drains the client's rate-limit bucket by the operation's
// cost, refunds what the answer did not cost, and reports
// extensions.cost on every response.
type Protection struct {
	model   cost.Model
	limits  Limits
	limiter *ratelimit.Limiter
	client  ClientFunc
	log     *slog.Logger
	schema  *ast.Schema
}

// CostStats is extensions.cost of a response.
type CostStats struct {
	// RequestedQueryCost is the static cost, what was charged up front.
	RequestedQueryCost int `json:"requestedQueryCost"`
	// ActualQueryCost counts what the answer holds; the difference is
	// refunded.
	ActualQueryCost int `json:"actualQueryCost"`
	// ThrottleStatus is the client's bucket after the request.
	ThrottleStatus ThrottleStatus `json:"throttleStatus"`

	measured bool // the operation was analysed
	refused  bool // and refused before running
	charged  bool // its requested cost was taken from the bucket
	key      string
}

// ThrottleStatus is the client's bucket after the request.
type ThrottleStatus struct {
	// MaximumAvailable is the bucket's capacity.
	MaximumAvailable float64 `json:"maximumAvailable"`
	// CurrentlyAvailable is what the client may still spend now.
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	// RestoreRate is the points restored per second.
	RestoreRate float64 `json:"restoreRate"`
}

// NewProtection returns the extension. limiter may be nil (no rate
// limit); client names the client for the limiter.
func NewProtection(limits Limits, limiter *ratelimit.Limiter, client ClientFunc, log *slog.Logger) *Protection {
	if client == nil {
		client = func(context.Context) (string, bool) { return "", true }
	}
	return &Protection{model: cost.DefaultModel(), limits: limits.withDefaults(), limiter: limiter, client: client, log: log}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = (*Protection)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (p *Protection) ExtensionName() string { return "Protection" }

// Validate implements graphql.HandlerExtension; it keeps the schema.
func (p *Protection) Validate(es graphql.ExecutableSchema) error {
	p.schema = es.Schema()
	return nil
}

// MutateOperationParameters refuses a document with too many tokens
// before it is parsed: parsing is the one step whose cost the client
// controls before the cost analysis can run.
func (p *Protection) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	if len(params.Query) < p.limits.MaxTokens {
		return nil // a token is at least one byte
	}
	lx := lexer.New(&ast.Source{Input: params.Query})
	for n := 0; ; n++ {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil // the parser reports lexical errors
		}
		if n >= p.limits.MaxTokens {
			return tooComplex("the document has more than %d tokens", p.limits.MaxTokens)
		}
	}
}

// MutateOperationContext measures the validated operation, refuses it over
// a limit, and charges its cost to the client's bucket.
func (p *Protection) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	shape, err := p.model.Measure(p.schema, opCtx.Operation, opCtx.Variables, p.limits.shape())
	stats := &CostStats{RequestedQueryCost: shape.Cost, measured: true, refused: true}
	opCtx.Stats.SetExtension(costExtension, stats)
	var excess *cost.Excess
	if errors.As(err, &excess) {
		e := tooComplex("%s", excess.Error())
		if excess.Input() {
			// Arguments the client must change, named in the message.
			e.Extensions["code"] = CodeBadUserInput
		}
		return e
	}
	key, exempt := p.client(ctx)
	if p.limiter == nil || exempt {
		stats.refused = false
		return nil
	}
	stats.key = key
	res, err := p.limiter.Take(ctx, key, float64(shape.Cost))
	if err != nil {
		// The bucket store is down: serving unmetered beats refusing
		// every shopper. /readyz reports the store.
		p.log.WarnContext(ctx, "rate limit unavailable", slog.Any("err", err))
		stats.refused = false
		return nil
	}
	stats.ThrottleStatus = p.status(res)
	if !res.Allowed {
		if note, ok := ctx.Value(throttleKey{}).(*throttleNote); ok {
			note.retryAfter = res.RetryAfter
		}
		err := gqlerror.Errorf("rate limited: the query costs %d and %s points are available; retry in %s",
			shape.Cost, strconv.FormatFloat(math.Floor(res.Available), 'f', -1, 64), res.RetryAfter.Round(time.Millisecond))
		err.Extensions = map[string]any{"code": CodeRateLimited, "retryAfterSeconds": retrySeconds(res.RetryAfter)}
		return err
	}
	stats.charged, stats.refused = true, false
	return nil
}

// InterceptResponse computes the actual cost of the answer, refunds the
// difference, and adds extensions.cost.
func (p *Protection) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	opCtx := graphql.GetOperationContext(ctx)
	stats, _ := opCtx.Stats.GetExtension(costExtension).(*CostStats)
	if stats == nil {
		// Refused before measuring (parse or validation error): nothing
		// was charged; still show the bucket.
		stats = &CostStats{}
		if key, exempt := p.client(ctx); p.limiter != nil && !exempt {
			if res, err := p.limiter.Take(ctx, key, 0); err == nil {
				stats.ThrottleStatus = p.status(res)
			}
		}
	}
	out := *stats
	if stats.measured && !stats.refused && opCtx.Operation != nil {
		if opCtx.Operation.Operation == ast.Subscription {
			out.ActualQueryCost = stats.RequestedQueryCost
		} else {
			out.ActualQueryCost = p.actual(opCtx, resp)
		}
		if refund := stats.RequestedQueryCost - out.ActualQueryCost; stats.charged && refund > 0 {
			if res, err := p.limiter.Take(ctx, stats.key, -float64(refund)); err == nil {
				out.ThrottleStatus = p.status(res)
			}
		}
		stats.charged = false // charge and refund once per operation
	}
	if out.ThrottleStatus.MaximumAvailable == 0 && p.limiter != nil {
		// Exempt clients see the policy with a full bucket.
		pol := p.limiter.Policy()
		out.ThrottleStatus = ThrottleStatus{MaximumAvailable: pol.Capacity, CurrentlyAvailable: pol.Capacity, RestoreRate: pol.RefillPerSecond}
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions[costExtension] = out
	return resp
}

// actual is the cost of what the response holds, read from its JSON in
// place; an operation that failed as a whole costs nothing.
func (p *Protection) actual(opCtx *graphql.OperationContext, resp *graphql.Response) int {
	if len(resp.Data) == 0 || string(resp.Data) == "null" {
		return 0
	}
	n, err := p.model.Actual(p.schema, opCtx.Operation, resp.Data)
	if err != nil {
		return 0
	}
	return n
}

func (p *Protection) status(res ratelimit.Result) ThrottleStatus {
	pol := p.limiter.Policy()
	return ThrottleStatus{MaximumAvailable: pol.Capacity, CurrentlyAvailable: math.Floor(res.Available), RestoreRate: pol.RefillPerSecond}
}

func tooComplex(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": CodeQueryTooComplex}
	return err
}

func retrySeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

type throttleKey struct{}

// throttleNote carries a refusal from the extension to the HTTP response,
// which gqlgen's transports would otherwise answer with 200.
type throttleNote struct {
	retryAfter time.Duration
}

// withThrottleStatus answers a rate-limited request with 429 and
// Retry-After, leaving the GraphQL body as gqlgen writes it.
func withThrottleStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r) // WebSocket: errors travel in messages
			return
		}
		note := &throttleNote{}
		ctx := context.WithValue(r.Context(), throttleKey{}, note)
		next.ServeHTTP(&throttleWriter{ResponseWriter: w, note: note}, r.WithContext(ctx))
	})
}

type throttleWriter struct {
	http.ResponseWriter
	note  *throttleNote
	wrote bool
}

func (t *throttleWriter) WriteHeader(code int) {
	if !t.wrote && t.note.retryAfter > 0 {
		t.Header().Set("Retry-After", fmt.Sprint(retrySeconds(t.note.retryAfter)))
		code = http.StatusTooManyRequests
	}
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *throttleWriter) Write(b []byte) (int, error) {
	if !t.wrote {
		t.WriteHeader(http.StatusOK)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (t *throttleWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
