package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/savannah-commerce/savannah/internal/cache"
)

// catalogRootFields are the root fields whose answers depend on nothing
// but the catalogue, the same for every anonymous shopper. node(id:) is
// not among them: it can reach carts and orders.
var catalogRootFields = map[string]bool{
	"categoryTree": true, "category": true, "product": true, "products": true, "searchProducts": true, "__typename": true,
}

// catalogCache answers anonymous catalogue queries from the cache. It sits
// inside Protection, so a cached answer is still measured and charged.
type catalogCache struct {
	cache    cache.Catalog
	signedIn func(ctx context.Context) bool
	// requests counts hits and misses; nil counts nothing.
	requests *cache.Requests
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = catalogCache{}

// ExtensionName implements graphql.HandlerExtension.
func (catalogCache) ExtensionName() string { return "CatalogCache" }

// Validate implements graphql.HandlerExtension.
func (catalogCache) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse serves a cached answer or caches a fresh one. Queries
// run lazily inside next, so a hit runs no resolver and no SQL.
func (c catalogCache) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) || len(graphql.GetErrors(ctx)) > 0 {
		// Refused before running (rate limit, cost, validation): the
		// answer is the refusal, never a cached one.
		return next(ctx)
	}
	opCtx := graphql.GetOperationContext(ctx)
	if !catalogOnly(opCtx) {
		return next(ctx)
	}
	if opCtx.Headers.Get("Authorization") != "" || (c.signedIn != nil && c.signedIn(ctx)) {
		// A signed-in viewer's answer is never cached: a miss.
		c.requests.Miss()
		return next(ctx)
	}
	// The version is read before the data: a write committing meanwhile
	// bumps it, so whatever this request reads is stored under the old
	// version, which no later request asks for. An answer that shows
	// stock depends on the stock version too; one that does not outlives
	// every order placed.
	version, err := c.cache.Version(ctx)
	if err != nil {
		c.requests.Miss()
		return next(ctx)
	}
	if showsStock(opCtx.Operation.SelectionSet) {
		stock, err := c.cache.StockVersion(ctx)
		if err != nil {
			c.requests.Miss()
			return next(ctx)
		}
		version += ".s" + stock
	}
	key, ok := cacheKey(version, opCtx)
	if !ok {
		c.requests.Miss()
		return next(ctx)
	}
	if data, ok := c.cache.Get(ctx, key); ok {
		c.requests.Hit()
		markShared(ctx, c.cache.TTL())
		return &graphql.Response{Data: data}
	}
	c.requests.Miss()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) == 0 && len(resp.Data) > 0 && string(resp.Data) != "null" {
		c.cache.Set(ctx, key, resp.Data)
		// A CDN may keep it as long as this cache does.
		markShared(ctx, c.cache.TTL())
	}
	return resp
}

// catalogOnly: a query asking only for catalogue root fields, whoever
// asks.
func catalogOnly(opCtx *graphql.OperationContext) bool {
	if opCtx == nil || opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return false
	}
	return onlyCatalog(opCtx.Operation)
}

func onlyCatalog(op *ast.OperationDefinition) bool {
	for _, f := range rootFields(op) {
		if !catalogRootFields[f.Name] {
			return false
		}
	}
	return true
}

// stockField reports whether field of typ is one whose value a stock move
// (inventory.StockOnly) changes: the stock figures, what derives from
// them, and the variant's updatedAt, which every move sets.
func stockField(typ, field string) bool {
	switch typ {
	case "ProductVariant":
		return field == "quantityAvailable" || field == "stockOnHand" || field == "reserved" || field == "updatedAt"
	case "Product":
		return field == "availableForSale"
	}
	return false
}

// showsStock reports whether a selection asks, at any depth and through
// any fragment, for a field a stock move changes.
func showsStock(set ast.SelectionSet) bool {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.ObjectDefinition != nil && stockField(s.ObjectDefinition.Name, s.Name) {
				return true
			}
			if showsStock(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if showsStock(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && showsStock(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}

// cacheKey digests everything the answer depends on: the catalogue
// version, the document, the operation and the variables (encoded with
// sorted keys, so equal variables give equal keys).
func cacheKey(version string, opCtx *graphql.OperationContext) (string, bool) {
	vars, err := json.Marshal(opCtx.Variables)
	if err != nil {
		return "", false
	}
	h := sha256.New()
	for _, part := range []string{version, opCtx.OperationName, opCtx.RawQuery, string(vars)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return version + ":" + hex.EncodeToString(h.Sum(nil)), true
}
