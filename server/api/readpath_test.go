package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/seed"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

type money struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

type productCard struct {
	ref
	PriceRange struct {
		MinVariantPrice money `json:"minVariantPrice"`
		MaxVariantPrice money `json:"maxVariantPrice"`
	} `json:"priceRange"`
	AvailableForSale bool `json:"availableForSale"`
	Category         ref  `json:"category"`
	Variants         []struct {
		ID                string `json:"id"`
		SKU               string `json:"sku"`
		Name              string `json:"name"`
		Price             money  `json:"price"`
		QuantityAvailable int    `json:"quantityAvailable"`
		Options           []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"options"`
	} `json:"variants"`
}

type connection struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage bool   `json:"hasNextPage"`
		EndCursor   string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string      `json:"cursor"`
		Node   productCard `json:"node"`
	} `json:"edges"`
}

func (c connection) slugs() []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node.Slug
	}
	return out
}

// subtreeProducts counts the demo products in a category's subtree, from
// the catalogue file itself.
func subtreeProducts(cat *seed.Catalog, slug string) int {
	parent := map[int]int{}
	var root int
	for _, c := range cat.Categories {
		if c.ParentID != nil {
			parent[c.ID] = *c.ParentID
		}
		if c.Slug == slug {
			root = c.ID
		}
	}
	n := 0
	for _, p := range cat.Products {
		for id := p.CategoryID; id != 0; id = parent[id] {
			if id == root {
				n++
				break
			}
		}
	}
	return n
}

func TestStorefrontReadPath(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		cat := demoCatalog(t)
		s := newStore(t, db, cat)

		t.Run("CategoryTree", func(t *testing.T) {
			var out struct {
				CategoryTree []struct {
					ref
					Children []struct {
						ref
						Children []ref `json:"children"`
					} `json:"children"`
				} `json:"categoryTree"`
			}
			s.op("CategoryTree", nil, &out)
			// The expected tree, siblings in position order, from the file.
			kids := map[int][]seed.Category{}
			for _, c := range cat.Categories {
				p := 0
				if c.ParentID != nil {
					p = *c.ParentID
				}
				kids[p] = append(kids[p], c)
			}
			slugsOf := func(cs []seed.Category) []string {
				slices.SortStableFunc(cs, func(a, b seed.Category) int { return a.Position - b.Position })
				out := []string{}
				for _, c := range cs {
					out = append(out, c.Slug)
				}
				return out
			}
			idOf := map[string]int{}
			for _, c := range cat.Categories {
				idOf[c.Slug] = c.ID
			}
			var got []string
			total := 0
			for _, r := range out.CategoryTree {
				got = append(got, r.Slug)
				total++
				var children []string
				for _, c := range r.Children {
					children = append(children, c.Slug)
					total += 1 + len(c.Children)
					var grand []string
					for _, g := range c.Children {
						grand = append(grand, g.Slug)
					}
					require.Equal(t, slugsOf(kids[idOf[c.Slug]]), append([]string{}, grand...), "grandchildren of %s by position", c.Slug)
				}
				require.Equal(t, slugsOf(kids[idOf[r.Slug]]), append([]string{}, children...), "children of %s by position", r.Slug)
			}
			require.Equal(t, slugsOf(kids[0]), got, "roots in position order")
			require.Equal(t, len(cat.Categories), total, "three levels hold the whole demo tree")
		})

		t.Run("CategoryPage", func(t *testing.T) {
			type page struct {
				Category struct {
					ref
					Depth     int        `json:"depth"`
					Ancestors []ref      `json:"ancestors"`
					Children  []ref      `json:"children"`
					Products  connection `json:"products"`
				} `json:"category"`
			}
			var root page
			s.op("CategoryPage", map[string]any{"slug": "electronics", "first": 5}, &root)
			require.Equal(t, 0, root.Category.Depth)
			require.Empty(t, root.Category.Ancestors)
			require.NotEmpty(t, root.Category.Children)
			want := subtreeProducts(cat, "electronics")
			require.Equal(t, want, root.Category.Products.TotalCount, "products of the whole subtree")
			require.Len(t, root.Category.Products.Edges, 5)
			require.True(t, root.Category.Products.PageInfo.HasNextPage)

			// Walking the pages returns every product of the subtree once.
			seen := map[string]bool{}
			after := ""
			for {
				vars := map[string]any{"slug": "electronics", "first": 4}
				if after != "" {
					vars["after"] = after
				}
				var p page
				s.op("CategoryPage", vars, &p)
				for _, slug := range p.Category.Products.slugs() {
					require.False(t, seen[slug], "product %s on two pages", slug)
					seen[slug] = true
				}
				if !p.Category.Products.PageInfo.HasNextPage {
					break
				}
				after = p.Category.Products.PageInfo.EndCursor
			}
			require.Len(t, seen, want)

			// A leaf: its breadcrumb is the root and the middle level.
			var leaf page
			s.op("CategoryPage", map[string]any{"slug": "smartphones"}, &leaf)
			require.Equal(t, 2, leaf.Category.Depth)
			require.Equal(t, []string{"electronics", "phones-tablets"},
				[]string{leaf.Category.Ancestors[0].Slug, leaf.Category.Ancestors[1].Slug})
			require.Empty(t, leaf.Category.Children)
			require.Equal(t, subtreeProducts(cat, "smartphones"), leaf.Category.Products.TotalCount)

			var missing struct {
				Category *struct{} `json:"category"`
			}
			s.op("CategoryPage", map[string]any{"slug": "no-such-category"}, &missing)
			require.Nil(t, missing.Category)
		})

		t.Run("ProductList", func(t *testing.T) {
			var out struct {
				Products connection `json:"products"`
			}
			s.op("ProductList", nil, &out)
			require.Equal(t, len(cat.Products), out.Products.TotalCount)
			require.Len(t, out.Products.Edges, 20, "default page size")
			first := out.Products.Edges[0].Node
			require.Equal(t, cat.Products[0].Slug, first.Slug, "creation order")
			require.Len(t, first.Variants, len(cat.Products[0].Variants))
			for i, v := range first.Variants {
				fv := cat.Products[0].Variants[i]
				require.Equal(t, fv.SKU, v.SKU, "variants in file order")
				require.Equal(t, money{Amount: fmt.Sprintf("%d.%02d", fv.Price/100, fv.Price%100), CurrencyCode: "KES"}, v.Price)
				require.Equal(t, fv.StockOnHand, v.QuantityAvailable)
				require.Equal(t, "size", v.Options[0].Name)
			}

			// Sorting by lowest variant price, both ways.
			var asc, desc struct {
				Products connection `json:"products"`
			}
			s.op("ProductList", map[string]any{"first": 100, "orderBy": map[string]any{"field": "PRICE", "direction": "ASC"}}, &asc)
			s.op("ProductList", map[string]any{"first": 100, "orderBy": map[string]any{"field": "PRICE", "direction": "DESC"}}, &desc)
			prices := func(c connection) []string {
				out := make([]string, len(c.Edges))
				for i, e := range c.Edges {
					out[i] = fmt.Sprintf("%015s", e.Node.PriceRange.MinVariantPrice.Amount)
				}
				return out
			}
			require.True(t, slices.IsSorted(prices(asc.Products)))
			d := prices(desc.Products)
			slices.Reverse(d)
			require.True(t, slices.IsSorted(d))

			// Filtering by name.
			var coffee struct {
				Products connection `json:"products"`
			}
			s.op("ProductList", map[string]any{"where": map[string]any{"nameContainsFold": "COFFEE"}}, &coffee)
			require.NotZero(t, coffee.Products.TotalCount)
			for _, e := range coffee.Products.Edges {
				require.Contains(t, strings.ToLower(e.Node.Name), "coffee")
			}
		})

		t.Run("ProductDetail", func(t *testing.T) {
			p := cat.Products[len(cat.Products)-1]
			var out struct {
				Product struct {
					productCard
					Description string `json:"description"`
					Category    struct {
						ref
						Ancestors []ref `json:"ancestors"`
					} `json:"category"`
				} `json:"product"`
			}
			s.op("ProductDetail", map[string]any{"slug": p.Slug}, &out)
			require.Equal(t, p.Name, out.Product.Name)
			require.Equal(t, p.Description, out.Product.Description)
			require.Len(t, out.Product.Variants, len(p.Variants))
			minP, maxP := p.Variants[0].Price, p.Variants[0].Price
			for _, v := range p.Variants {
				minP, maxP = min(minP, v.Price), max(maxP, v.Price)
			}
			require.Equal(t, fmt.Sprintf("%d.%02d", minP/100, minP%100), out.Product.PriceRange.MinVariantPrice.Amount)
			require.Equal(t, fmt.Sprintf("%d.%02d", maxP/100, maxP%100), out.Product.PriceRange.MaxVariantPrice.Amount)
			for _, c := range cat.Categories {
				if c.ID == p.CategoryID {
					require.Len(t, out.Product.Category.Ancestors, c.Depth, "one ancestor per level above")
				}
			}
		})

		t.Run("availability", func(t *testing.T) {
			// A product whose every variant is out of stock is not for sale.
			var soldOut, inStock string
			for _, p := range cat.Products {
				stock := 0
				for _, v := range p.Variants {
					stock += v.StockOnHand
				}
				if stock == 0 && soldOut == "" {
					soldOut = p.Slug
				}
				if stock > 0 && inStock == "" {
					inStock = p.Slug
				}
			}
			for slug, want := range map[string]bool{soldOut: false, inStock: true} {
				if slug == "" {
					continue
				}
				var out struct {
					Product productCard `json:"product"`
				}
				s.op("ProductDetail", map[string]any{"slug": slug}, &out)
				require.Equal(t, want, out.Product.AvailableForSale, slug)
			}
		})

		t.Run("Node", func(t *testing.T) {
			ctx := viewer.System(context.Background(), "test: set up") // test set-up: a catalogue write
			p := s.client.Product.Query().FirstX(ctx)
			c := s.client.Category.Query().FirstX(ctx)
			type node struct {
				Node *struct {
					ID       string `json:"id"`
					Typename string `json:"__typename"`
					Name     string `json:"name"`
					Slug     string `json:"slug"`
				} `json:"node"`
			}
			for id, want := range map[int]string{p.ID: "Product", c.ID: "Category"} {
				var out node
				s.op("Node", map[string]any{"id": scalar.EncodeID(id)}, &out)
				require.NotNil(t, out.Node)
				require.Equal(t, want, out.Node.Typename)
				require.Equal(t, scalar.EncodeID(id), out.Node.ID, "IDs round-trip")
			}
			var out node
			s.op("Node", map[string]any{"id": scalar.EncodeID(p.ID + 1_000_000)}, &out)
			require.Nil(t, out.Node, "a well-formed ID of nothing is null")

			resp := s.post(s.ops["Node"], "Node", map[string]any{"id": "not-an-id"})
			require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes())
		})

		t.Run("drafts are hidden", func(t *testing.T) {
			ctx := viewer.System(context.Background(), "test: set up") // test set-up: a catalogue write
			p := s.client.Product.Query().Where(product.Slug(cat.Products[0].Slug)).OnlyX(ctx)
			s.client.Product.UpdateOne(p).SetStatus(product.StatusDRAFT).ExecX(ctx)
			t.Cleanup(func() { s.client.Product.UpdateOne(p).SetStatus(product.StatusACTIVE).ExecX(ctx) })

			var detail struct {
				Product *struct{} `json:"product"`
			}
			s.op("ProductDetail", map[string]any{"slug": p.Slug}, &detail)
			require.Nil(t, detail.Product)
			var list struct {
				Products connection `json:"products"`
			}
			s.op("ProductList", map[string]any{"first": 100}, &list)
			require.Equal(t, len(cat.Products)-1, list.Products.TotalCount)
			require.NotContains(t, list.Products.slugs(), p.Slug)
			var n struct {
				Node *struct{} `json:"node"`
			}
			s.op("Node", map[string]any{"id": scalar.EncodeID(p.ID)}, &n)
			require.Nil(t, n.Node)
		})

		t.Run("page size", func(t *testing.T) {
			resp := s.post(s.ops["ProductList"], "ProductList", map[string]any{"first": 101})
			require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes())
			resp = s.post(s.ops["CategoryPage"], "CategoryPage", map[string]any{"slug": "electronics", "first": 1000})
			require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes())
		})

		t.Run("an unknown cart is null", func(t *testing.T) {
			resp := s.post(s.ops["Cart"], "Cart", map[string]any{"id": "no-such-cart"})
			require.Empty(t, resp.Errors)
			require.JSONEq(t, `{"cart":null}`, string(resp.Data))
		})

		t.Run("GET queries", func(t *testing.T) {
			resp, err := http.Get(s.srv.URL + "/graphql?query=" + strings.ReplaceAll("{categoryTree{slug}}", "{", "%7B"))
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			require.Contains(t, string(body), `"slug":"electronics"`)
		})
	})
}
