package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// directives are the coarse gates of the schema: @auth (signed in),
// @hasRole (at least a role) and @hasPermission (a named permission, see
// viewer.Permission). Row-level rules live elsewhere; these only
// stop a request before its resolver runs. @multiline lets a text input
// hold line breaks (see graph/scalar/text.go).
func directives() DirectiveRoot {
	return DirectiveRoot{
		Auth: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if _, ok := auth.ViewerFrom(ctx); !ok {
				return nil, unauthenticated()
			}
			return next(ctx)
		},
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role customer.Role) (any, error) {
			v, ok := auth.ViewerFrom(ctx)
			if !ok {
				return nil, unauthenticated()
			}
			if !v.Has(viewer.Role(role)) {
				return nil, forbidden()
			}
			return next(ctx)
		},
		HasPermission: func(ctx context.Context, _ any, next graphql.Resolver, p model.Permission) (any, error) {
			v, ok := auth.ViewerFrom(ctx)
			if !ok {
				return nil, unauthenticated()
			}
			if !v.Can(permission(p)) {
				return nil, forbidden()
			}
			return next(ctx)
		},
		Multiline: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			return next(scalar.Multiline(ctx))
		},
	}
}

// permission is the viewer package's name of a schema Permission:
// CATALOG_READ is catalog:read (TestPermissionNames).
func permission(p model.Permission) viewer.Permission {
	return viewer.Permission(strings.ToLower(strings.Replace(string(p), "_", ":", 1)))
}

func unauthenticated() error {
	return &codedError{code: CodeUnauthenticated, msg: "sign in to do this"}
}

func forbidden() error {
	return &codedError{code: CodeForbidden, msg: "your permissions do not allow this"}
}

// signedIn returns the signed-in viewer; fields behind @auth can rely on it,
// and this is their defence should the directive ever be dropped.
func signedIn(ctx context.Context) (auth.Viewer, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return auth.Viewer{}, unauthenticated()
	}
	return v, nil
}

// schemaPermissions are the schema's names of ps: catalog:read is
// CATALOG_READ.
func schemaPermissions(ps []viewer.Permission) []model.Permission {
	out := make([]model.Permission, 0, len(ps))
	for _, p := range ps {
		out = append(out, model.Permission(strings.ToUpper(strings.Replace(string(p), ":", "_", 1))))
	}
	return out
}

// viewerPermissions are the viewer package's names of ps; nil stays nil
// (no set given), an empty list stays empty.
func viewerPermissions(ps []model.Permission) []viewer.Permission {
	if ps == nil {
		return nil
	}
	out := make([]viewer.Permission, 0, len(ps))
	for _, p := range ps {
		out = append(out, permission(p))
	}
	return out
}
