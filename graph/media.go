package graph

import (
	"context"
	"errors"

	"entgo.io/ent/dialect/sql"

	"github.com/savannah-commerce/savannah/ent"
	entmedia "github.com/savannah-commerce/savannah/ent/media"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/media"
)

// errNoMediaStorage answers media writes on a store built without image
// storage (app.Config.Media); the server always has one.
var errNoMediaStorage = errors.New("graph: no media storage configured")

// fetchMedia loads the images of owners by the owner column, in position
// order, through Media's read rule.
func (r *Resolver) fetchMedia(column string) func(ctx context.Context, owners []int) ([][]*ent.Media, []error) {
	return func(ctx context.Context, owners []int) ([][]*ent.Media, []error) {
		rows, err := r.db(ctx).Media.Query().
			Where(func(s *sql.Selector) { s.Where(sql.InInts(s.C(column), owners...)) }).
			Order(ent.Asc(entmedia.FieldPosition), ent.Asc(entmedia.FieldID)).
			All(ctx)
		if err != nil {
			return nil, fill(len(owners), err)
		}
		return group(owners, rows, func(m *ent.Media) int { return ownerOf(m, column) }), nil
	}
}

func (r *Resolver) fetchProductMedia(ctx context.Context, products []int) ([][]*ent.Media, []error) {
	return r.fetchMedia(entmedia.FieldProductID)(ctx, products)
}

func (r *Resolver) fetchVariantMedia(ctx context.Context, variants []int) ([][]*ent.Media, []error) {
	return r.fetchMedia(entmedia.FieldVariantID)(ctx, variants)
}

func (r *Resolver) fetchCategoryMedia(ctx context.Context, categories []int) ([][]*ent.Media, []error) {
	return r.fetchMedia(entmedia.FieldCategoryID)(ctx, categories)
}

func ownerOf(m *ent.Media, column string) int {
	var id *int
	switch column {
	case entmedia.FieldProductID:
		id = m.ProductID
	case entmedia.FieldVariantID:
		id = m.VariantID
	default:
		id = m.CategoryID
	}
	if id == nil {
		return 0
	}
	return *id
}

// primeMedia loads, for a page of products, their images and their
// variants' when the query asks for them: one query each, whatever the
// page size. A variant's image falls back to its product's.
func (r *Resolver) primeMedia(ctx context.Context, products, variants []int) error {
	l := r.loadersFrom(ctx)
	variantImages := requested(ctx, "edges", "node", "variants", "image")
	if requested(ctx, "edges", "node", "media") || requested(ctx, "edges", "node", "featuredImage") || variantImages {
		if err := prime(ctx, l.productImages(), products, r.fetchProductMedia); err != nil {
			return err
		}
	}
	if variantImages && len(variants) > 0 {
		return prime(ctx, l.variantImages(), variants, r.fetchVariantMedia)
	}
	return nil
}

type primer interface {
	Prime(key int, value []*ent.Media) bool
}

func prime(ctx context.Context, l primer, keys []int, fetch func(context.Context, []int) ([][]*ent.Media, []error)) error {
	rows, errs := fetch(ctx, keys)
	if errs != nil {
		return errs[0]
	}
	for i, k := range keys {
		l.Prime(k, rows[i])
	}
	return nil
}

func first(ms []*ent.Media, err error) (*ent.Media, error) {
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	return ms[0], nil
}

// newMedia translates a MediaInput.
func newMedia(in model.MediaInput) media.New {
	n := media.New{UploadKey: in.UploadKey}
	if in.AltText != nil {
		n.AltText = *in.AltText
	}
	if in.FocalPoint != nil {
		n.FocalX, n.FocalY = &in.FocalPoint.X, &in.FocalPoint.Y
	}
	return n
}

// imageWrite runs a media write with the IDs it names decoded.
func (r *Resolver) imageWrite(d *ids, write func() (*ent.Media, error)) (*model.ImagePayload, error) {
	if r.media == nil {
		return nil, errNoMediaStorage
	}
	m, ue, err := serviceWrite(d, write)
	return &model.ImagePayload{Image: m, UserErrors: ue}, err
}
