package graph

import (
	"context"

	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/checkout"
	ipromotion "github.com/savannah-commerce/savannah/internal/promotion"
)

// appliedDiscounts shows promotions a cart or an order got.
func (r *Resolver) appliedDiscounts(applied []schematype.AppliedPromotion) []*model.AppliedDiscount {
	out := make([]*model.AppliedDiscount, len(applied))
	for i, a := range applied {
		out[i] = &model.AppliedDiscount{Name: a.Name, Amount: r.money(a.AmountMinor), Shipping: a.Shipping}
		if a.Code != "" {
			code := a.Code
			out[i].Code = &code
		}
	}
	return out
}

// codeStatuses shows the cart's codes.
func codeStatuses(sts []ipromotion.CodeStatus) []*model.CartDiscountCode {
	out := make([]*model.CartDiscountCode, len(sts))
	for i, st := range sts {
		out[i] = &model.CartDiscountCode{Code: st.Code, Applied: st.Reason == ipromotion.Applied}
		if st.Reason != ipromotion.Applied {
			reason := model.DiscountCodeReason(st.Reason)
			out[i].Reason = &reason
		}
	}
	return out
}

// promotionInput decodes staff's promotion input.
func promotionInput(d *ids, in model.PromotionInput) ipromotion.Input {
	list := func(ss []string, field string) []int {
		if ss == nil {
			return nil
		}
		out := make([]int, len(ss))
		for i, s := range ss {
			out[i] = d.decode(s, "input", field)
		}
		return out
	}
	out := ipromotion.Input{
		Name: in.Name, Active: in.Active, StartsAt: in.StartsAt, EndsAt: in.EndsAt, Priority: in.Priority,
		Stacking: in.Stacking, RequiresCode: in.RequiresCode, MinQuantity: in.MinQuantity,
		ProductIDs: list(in.ProductIds, "productIds"), CategoryIDs: list(in.CategoryIds, "categoryIds"),
		VariantIDs: list(in.VariantIds, "variantIds"), SignedIn: in.SignedIn, FirstOrder: in.FirstOrder,
		Action: in.Action, BuyQuantity: in.BuyQuantity, GetQuantity: in.GetQuantity, UsageLimit: in.UsageLimit,
	}
	if in.PercentBp != nil {
		bp := int64(*in.PercentBp)
		out.PercentBp = &bp
	}
	out.MinSubtotal, out.Amount = in.MinSubtotal, in.Amount
	return out
}

// previewCart prices the cart with token inside a promotion dry run.
func (r *Resolver) previewCart(ctx context.Context, token string, in ipromotion.Input) (*model.PromotionPreview, error) {
	return r.preview(ctx, in, func(ctx context.Context) (checkout.CartPrice, error) { return r.checkout.PreviewCart(ctx, token) })
}

// previewOrder prices placed order id again inside a promotion dry run.
func (r *Resolver) previewOrder(ctx context.Context, id int, in ipromotion.Input) (*model.PromotionPreview, error) {
	return r.preview(ctx, in, func(ctx context.Context) (checkout.CartPrice, error) { return r.checkout.PreviewOrder(ctx, id) })
}

// preview prices a cart or an order (price) inside a promotion dry run.
func (r *Resolver) preview(ctx context.Context, in ipromotion.Input, price func(ctx context.Context) (checkout.CartPrice, error)) (*model.PromotionPreview, error) {
	var p checkout.CartPrice
	err := r.promotions.Preview(ctx, in, func(ctx context.Context) (err error) {
		p, err = price(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.PromotionPreview{
		Subtotal: r.money(p.Totals.SubtotalMinor), Discount: r.money(p.Totals.DiscountMinor + p.Totals.ShippingDiscountMinor),
		ShippingDiscount: r.money(p.Totals.ShippingDiscountMinor),
		Discounts:        r.appliedDiscounts(p.Discounts), TaxedTotal: r.taxedMoney(p.Totals.Total),
	}, nil
}
