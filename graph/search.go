package graph

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/contrib/entgql"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/internal/catalog"
)

// maxSearchOffset bounds how deep a shopper may page through search
// results; nobody reads page 500, and deep offsets cost the database.
const maxSearchOffset = 10_000

// searchProducts answers searchProducts: one page of the products a
// shopper sees (catalog.Search reads them through privacy), in
// relevance order. Relevance has no stable column to seek on, so a cursor
// carries the result's position, counted from 1 (a zero would be dropped
// by the cursor's encoding), and the next page starts after it.
func (r *Resolver) searchProducts(ctx context.Context, query string, first *int, after *entgql.Cursor[int]) (*ent.ProductConnection, error) {
	first, _, err := pageSize(first, nil)
	if err != nil {
		return nil, err
	}
	offset := 0
	if after != nil {
		pos, ok := cursorPosition(after.Value)
		if !ok || pos < 1 || pos > maxSearchOffset {
			return nil, badInput("invalid cursor for searchProducts")
		}
		offset = pos
	}
	page, err := r.catalog.Search(ctx, query, offset, *first)
	var ie *catalog.InputError
	if errors.As(err, &ie) {
		return nil, badInput("%s", ie.Problems[0].Message)
	}
	if err != nil {
		return nil, err
	}
	conn := &ent.ProductConnection{Edges: []*ent.ProductEdge{}, TotalCount: page.Total}
	conn.PageInfo.HasPreviousPage = offset > 0
	conn.PageInfo.HasNextPage = offset+len(page.IDs) < page.Total
	if len(page.IDs) == 0 {
		return conn, nil
	}
	q := r.db(ctx).Product.Query().Where(product.IDIn(page.IDs...))
	if requested(ctx, "edges", "node", "category") {
		q.WithCategory()
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load search results: %w", err)
	}
	byID := make(map[int]*ent.Product, len(rows))
	for _, p := range rows {
		byID[p.ID] = p
	}
	for i, id := range page.IDs {
		p, ok := byID[id]
		if !ok {
			continue // archived between the search and the load
		}
		c := entgql.Cursor[int]{ID: id, Value: offset + i + 1}
		conn.Edges = append(conn.Edges, &ent.ProductEdge{Node: p, Cursor: c})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn, r.primeVariants(ctx, conn)
}

// cursorPosition reads the position a search cursor carries; the cursor's
// encoding gives back whichever integer type fits the number.
func cursorPosition(v ent.Value) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int8:
		return int(n), true
	case int16:
		return int(n), true
	case int32:
		return int(n), true
	case int64:
		return int(n), true
	case uint8:
		return int(n), true
	case uint16:
		return int(n), true
	case uint32:
		return int(n), true
	case uint64:
		if n > maxSearchOffset {
			return 0, false
		}
		return int(n), true
	default:
		return 0, false
	}
}
