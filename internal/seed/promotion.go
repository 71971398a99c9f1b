package seed

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	entpromotion "github.com/savannah-commerce/savannah/ent/promotion"
	"github.com/savannah-commerce/savannah/internal/promotion"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// DemoSaleCategory is the category the demo store's running sale covers
// (with its subcategories), and DemoSalePercent how much it takes off.
const (
	DemoSaleCategory = "audio"
	DemoSalePercent  = 15
	// DemoWelcomeCode is 10 % off a signed-in customer's first order,
	// once per customer.
	DemoWelcomeCode = "KARIBU10"
)

// DemoPromotions gives the demo store a running catalogue sale (15 % off
// audio, no code) and the KARIBU10 welcome code, which stacks on top of
// it, through the promotion service, so its rules hold.
func DemoPromotions(ctx context.Context, client *ent.Client, svc *promotion.Service) error {
	ctx = viewer.System(ctx, "seed: demo promotions")
	audio, err := client.Category.Query().Where(category.Slug(DemoSaleCategory)).Only(ctx)
	if err != nil {
		return fmt.Errorf("find the sale's category: %w", err)
	}
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	yes := true
	percent, stackable := entpromotion.ActionPERCENTAGE, entpromotion.StackingSTACKABLE
	if _, err := svc.Create(ctx, promotion.Input{
		Name: str(fmt.Sprintf("Audio week: %d %% off", DemoSalePercent)), Action: &percent,
		PercentBp: num(DemoSalePercent * 100), CategoryIDs: []int{audio.ID},
	}); err != nil {
		return fmt.Errorf("create the demo sale: %w", err)
	}
	karibu, err := svc.Create(ctx, promotion.Input{
		Name: str("Karibu: 10 % off your first order"), Action: &percent, PercentBp: num(1000),
		RequiresCode: &yes, SignedIn: &yes, FirstOrder: &yes, Stacking: &stackable, // on top of a sale
	})
	if err != nil {
		return fmt.Errorf("create the welcome promotion: %w", err)
	}
	once := 1
	if _, err := svc.AddCode(ctx, karibu.ID, DemoWelcomeCode, nil, &once); err != nil {
		return fmt.Errorf("create the welcome code: %w", err)
	}
	return nil
}
