package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
)

// Limits of category and product text fields.
const (
	MaxCategoryNameLen = 200
	MaxDescriptionLen  = 20000
)

// CategoryInput creates or changes a category. On update, nil fields are
// left as they are; ParentID moves the category (with its subtree) under
// another one, ClearParent makes it a root.
type CategoryInput struct {
	Name        *string
	Slug        *string
	Description *string
	ParentID    *int
	ClearParent bool
	Position    *int
}

// CreateCategory adds a category under ParentID (or as a root). Without a
// position it goes after its last sibling; without a slug one is made from
// its name.
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (*ent.Category, error) {
	var ps problems
	name := checkName(&ps, in.Name, true, MaxCategoryNameLen, "input", "name")
	checkDescription(&ps, in.Description)
	checkPosition(&ps, in.Position)
	if in.ClearParent {
		ps.Add(ErrInvalid, "clearParent applies to updates only", "input", "clearParent")
	}
	slug := checkSlug(&ps, in.Slug)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *ent.Category
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := s.lockTree(ctx, c); err != nil {
			return err
		}
		var parent *ent.Category
		if in.ParentID != nil {
			p, err := c.Category.Get(ctx, *in.ParentID)
			if ent.IsNotFound(err) {
				return fail(ErrNotFound, "no such parent category", "input", "parentID")
			}
			if err != nil {
				return fmt.Errorf("read parent: %w", err)
			}
			parent = p
		}
		slug, err := s.categorySlug(ctx, c, slug, name, 0)
		if err != nil {
			return err
		}
		position, err := nextPosition(ctx, c, in.ParentID, in.Position)
		if err != nil {
			return err
		}
		create := c.Category.Create().
			SetName(name).
			SetSlug(slug).
			SetPosition(position).
			SetNillableParentID(in.ParentID)
		if in.Description != nil {
			create.SetDescription(*in.Description)
		}
		cat, err := create.Save(ctx)
		if err != nil {
			return takenOr(err, "create category", "another category has this slug", "input", "slug")
		}
		// The path holds the category's own ID, known only after insert.
		path, depth := Path("", cat.ID), 0
		if parent != nil {
			path, depth = Path(parent.Path, cat.ID), parent.Depth+1
		}
		out, err = cat.Update().SetPath(path).SetDepth(depth).Save(ctx)
		if err != nil {
			return fmt.Errorf("set category path: %w", err)
		}
		return nil
	})
	return out, err
}

// UpdateCategory renames, re-slugs, re-describes, re-orders or moves a
// category. A move takes the whole subtree along, rewriting every
// descendant's path and depth in one statement, and is refused (INVALID)
// when the new parent is the category itself or one of its descendants.
func (s *Service) UpdateCategory(ctx context.Context, id int, in CategoryInput) (*ent.Category, error) {
	var ps problems
	var name string
	if in.Name != nil {
		name = checkName(&ps, in.Name, true, MaxCategoryNameLen, "input", "name")
	}
	checkDescription(&ps, in.Description)
	checkPosition(&ps, in.Position)
	if in.ClearParent && in.ParentID != nil {
		ps.Add(ErrInvalid, "give either parentID or clearParent, not both", "input", "parentID")
	}
	slug := checkSlug(&ps, in.Slug)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	moves := in.ParentID != nil || in.ClearParent
	var out *ent.Category
	err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if moves {
			if err := s.lockTree(ctx, c); err != nil {
				return err
			}
		}
		cat, err := c.Category.Get(ctx, id)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such category", "id")
		}
		if err != nil {
			return fmt.Errorf("read category: %w", err)
		}
		if slug != "" && slug != cat.Slug {
			if _, err := s.categorySlug(ctx, c, slug, "", id); err != nil {
				return err
			}
		}
		if moves {
			if err := s.move(ctx, c, cat, in.ParentID, in.Position == nil); err != nil {
				return err
			}
		}
		upd := c.Category.UpdateOneID(id)
		if in.Name != nil {
			upd.SetName(name)
		}
		if in.Description != nil {
			upd.SetDescription(*in.Description)
		}
		if in.Position != nil {
			upd.SetPosition(*in.Position)
		}
		if slug != "" {
			upd.SetSlug(slug)
		}
		out, err = upd.Save(ctx)
		if ent.IsNotFound(err) {
			// Deleted by a concurrent request since it was read.
			return fail(ErrNotFound, "no such category", "id")
		}
		if err != nil {
			return takenOr(err, "update category", "another category has this slug", "input", "slug")
		}
		return nil
	})
	return out, err
}

// move puts cat (and its subtree) under parentID, or at the root when
// parentID is nil. It runs under the tree lock and reads cat afresh, so
// paths it computes from are current.
func (s *Service) move(ctx context.Context, c *ent.Client, cat *ent.Category, parentID *int, appendLast bool) error {
	newParentPath, newDepth := "", 0
	if parentID != nil {
		if *parentID == cat.ID {
			return fail(ErrInvalid, "a category cannot be its own parent", "input", "parentID")
		}
		p, err := c.Category.Get(ctx, *parentID)
		if ent.IsNotFound(err) {
			return fail(ErrNotFound, "no such parent category", "input", "parentID")
		}
		if err != nil {
			return fmt.Errorf("read new parent: %w", err)
		}
		if strings.HasPrefix(p.Path, cat.Path) {
			return fail(ErrInvalid, "a category cannot move into its own subtree", "input", "parentID")
		}
		newParentPath, newDepth = p.Path, p.Depth+1
	}
	if sameParent(cat.ParentID, parentID) {
		return nil
	}
	oldPath, newPath := cat.Path, Path(newParentPath, cat.ID)
	// Every row of the subtree, the category included: swap the old path
	// prefix for the new one and shift the depth by the same amount.
	n, err := c.Category.Update().
		Where(InSubtree(oldPath)).
		AddDepth(newDepth - cat.Depth).
		Modify(func(u *sql.UpdateBuilder) {
			u.Set(category.FieldPath, sql.ExprFunc(func(b *sql.Builder) {
				b.Arg(newPath).WriteString(" || SUBSTR(").Ident(category.FieldPath).WriteString(", ").Arg(len(oldPath) + 1).WriteString(")")
			}))
		}).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("move subtree: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("move subtree: category %d has no row at path %q", cat.ID, oldPath)
	}
	upd := c.Category.UpdateOneID(cat.ID)
	if parentID != nil {
		upd.SetParentID(*parentID)
	} else {
		upd.ClearParentID()
	}
	if appendLast {
		pos, err := nextPosition(ctx, c, parentID, nil)
		if err != nil {
			return err
		}
		upd.SetPosition(pos)
	}
	if err := upd.Exec(ctx); err != nil {
		return fmt.Errorf("set parent: %w", err)
	}
	return nil
}

// DeleteCategory removes a category that has no subcategories and no
// products; otherwise it answers INVALID naming which.
func (s *Service) DeleteCategory(ctx context.Context, id int) error {
	return s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		if err := s.lockTree(ctx, c); err != nil {
			return err
		}
		exists, err := c.Category.Query().Where(category.ID(id)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("read category: %w", err)
		}
		if !exists {
			return fail(ErrNotFound, "no such category", "id")
		}
		var ps problems
		children, err := c.Category.Query().Where(category.ParentID(id)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count subcategories: %w", err)
		}
		if children > 0 {
			ps.Add(ErrInvalid, fmt.Sprintf("the category has %d subcategories; move or delete them first", children), "id")
		}
		products, err := c.Product.Query().Where(product.CategoryID(id)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count products: %w", err)
		}
		if products > 0 {
			ps.Add(ErrInvalid, fmt.Sprintf("the category has %d products; move them to another category first", products), "id")
		}
		if err := ps.Err(); err != nil {
			return err
		}
		if err := c.Category.DeleteOneID(id).Exec(ctx); err != nil {
			if sqlgraph.IsForeignKeyConstraintError(err) {
				// A product was added after the count above.
				return fail(ErrInvalid, "the category has products; move them to another category first", "id")
			}
			return fmt.Errorf("delete category: %w", err)
		}
		return nil
	})
}

// categorySlug returns the slug a category gets: an explicit one if no
// other category (than self) has it, else TAKEN; or one made from the name.
func (s *Service) categorySlug(ctx context.Context, c *ent.Client, explicit, name string, self int) (string, error) {
	if explicit != "" {
		taken, err := c.Category.Query().Where(category.Slug(explicit), category.IDNEQ(self)).Exist(ctx)
		if err != nil {
			return "", fmt.Errorf("look up slug: %w", err)
		}
		if taken {
			return "", fail(ErrTaken, "another category has this slug", "input", "slug")
		}
		return explicit, nil
	}
	base := Slugify(name)
	if base == "" {
		base = "category"
	}
	return uniqueSlug(ctx, base, func(ctx context.Context, prefix string) ([]string, error) {
		return c.Category.Query().Where(category.SlugHasPrefix(prefix)).Select(category.FieldSlug).Strings(ctx)
	})
}

// nextPosition is the position given, or one past the last sibling's.
func nextPosition(ctx context.Context, c *ent.Client, parentID *int, given *int) (int, error) {
	if given != nil {
		return *given, nil
	}
	q := c.Category.Query()
	if parentID != nil {
		q.Where(category.ParentID(*parentID))
	} else {
		q.Where(category.ParentIDIsNil())
	}
	last, err := q.Order(ent.Desc(category.FieldPosition)).Select(category.FieldPosition).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read sibling positions: %w", err)
	}
	return last.Position + 1, nil
}

func sameParent(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// checkName trims a name and checks it is present and not too long. Length
// is in bytes of UTF-8, as the schema's MaxLen (and the column) counts it,
// so a name in a non-Latin script is refused here rather than by the
// database.
func checkName(ps *problems, name *string, required bool, maxLen int, field ...string) string {
	if name == nil {
		if required {
			ps.Add(ErrRequired, "a name is required", field...)
		}
		return ""
	}
	n := strings.TrimSpace(*name)
	switch {
	case n == "":
		ps.Add(ErrRequired, "a name is required", field...)
	case len(n) > maxLen:
		ps.Add(ErrInvalid, fmt.Sprintf("the name is longer than %d bytes", maxLen), field...)
	}
	return n
}

func checkDescription(ps *problems, d *string) {
	if d != nil && utf8.RuneCountInString(*d) > MaxDescriptionLen {
		ps.Add(ErrInvalid, fmt.Sprintf("the description is longer than %d characters", MaxDescriptionLen), "input", "description")
	}
}

func checkPosition(ps *problems, p *int) {
	if p != nil && (*p < 0 || *p > 1_000_000) {
		ps.Add(ErrInvalid, "position must be between 0 and 1000000", "input", "position")
	}
}

// checkSlug validates an explicit slug; "" means none was given.
func checkSlug(ps *problems, slug *string) string {
	if slug == nil {
		return ""
	}
	if !schematype.ValidSlug(*slug) {
		ps.Add(ErrInvalid, "a slug is lower-case letters, digits and single hyphens, at most 200 characters", "input", "slug")
		return ""
	}
	return *slug
}
