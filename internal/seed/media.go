package seed

import (
	"context"
	"fmt"
	"hash/fnv"
	"image/color"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// DemoMedia gives every product of the demo store an image made on the
// spot, a 160 × 120 PNG of one colour picked from its slug (a few hundred
// bytes), attached through the media service like any upload, so the
// playground shows featuredImage working with no network. The derivative
// job makes the rest. Small on purpose: every fresh demo store (and every
// test that starts one) encodes these and derives them, so they stay the
// smallest width of the ladder.
func DemoMedia(ctx context.Context, client *ent.Client, svc *media.Service) error {
	ctx = viewer.System(ctx, "seed: demo images")
	products, err := client.Product.Query().Order(ent.Asc(product.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("seed: products: %w", err)
	}
	for _, p := range products {
		h := fnv.New32a()
		_, _ = h.Write([]byte(p.Slug))
		sum := h.Sum32()
		png, err := media.SolidPNG(160, 120, color.RGBA{uint8(sum), uint8(sum >> 8), uint8(sum >> 16), 255})
		if err != nil {
			return err
		}
		key, err := svc.StageBytes(ctx, png, "image/png")
		if err != nil {
			return err
		}
		id := p.ID
		if _, err := svc.Attach(ctx, media.Owner{ProductID: &id}, media.New{UploadKey: key, AltText: p.Name}); err != nil {
			return fmt.Errorf("seed: image of %s: %w", p.Slug, err)
		}
	}
	return nil
}
