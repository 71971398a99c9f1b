package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestNodes: nodes(ids:) answers in the order asked, repeats included;
// an ID that names nothing the viewer may see (no such row, a type the
// graph does not show as a Node, a product not for sale, its variants) is
// null without an error, and STAFF see those products and variants.
func TestNodes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, syntheticCatalog(3))
		staff := s.asStaff()
		ctx := viewer.System(context.Background(), "test: set up")
		products := s.client.Product.Query().Order(ent.Asc(product.FieldID)).AllX(ctx)
		shown, hidden := products[0], products[1]
		hidden.Update().SetStatus(product.StatusDRAFT).ExecX(ctx)
		variantOf := func(p *ent.Product) int {
			return s.client.ProductVariant.Query().Where(productvariant.ProductID(p.ID)).FirstIDX(ctx)
		}
		cart := s.client.Cart.Create().SaveX(ctx)
		last := products[len(products)-1].ID

		ids := []any{
			scalar.EncodeID(variantOf(shown)),
			scalar.EncodeID(hidden.ID),
			scalar.EncodeID(shown.ID),
			scalar.EncodeID(variantOf(hidden)),
			scalar.EncodeID(last + 1000), // no such product
			scalar.EncodeID(cart.ID),     // not a Node
			scalar.EncodeID(shown.ID),
		}
		nodes := func(as *store) []string {
			t.Helper()
			resp := as.post(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, "", map[string]any{"ids": ids})
			require.Empty(t, resp.Errors)
			var out struct{ Nodes []*struct{ ID string } }
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			got := make([]string, len(out.Nodes))
			for i, n := range out.Nodes {
				if n != nil {
					got[i] = n.ID
				}
			}
			return got
		}
		str := func(v any) string { return v.(string) }
		require.Equal(t, []string{str(ids[0]), "", str(ids[2]), "", "", "", str(ids[6])}, nodes(s))
		require.Equal(t, []string{str(ids[0]), str(ids[1]), str(ids[2]), str(ids[3]), "", "", str(ids[6])}, nodes(staff))

		// node(id:) is nodes(ids:) for one ID.
		for i, id := range ids {
			resp := s.post(`query($id: ID!) { node(id: $id) { id } }`, "", map[string]any{"id": id})
			require.Empty(t, resp.Errors)
			var out struct{ Node *struct{ ID string } }
			require.NoError(t, json.Unmarshal(resp.Data, &out))
			if i == 0 || i == 2 || i == 6 {
				require.NotNil(t, out.Node, "node %d", i)
				require.Equal(t, id, out.Node.ID)
			} else {
				require.Nil(t, out.Node, "node %d", i)
			}
		}
	})
}
