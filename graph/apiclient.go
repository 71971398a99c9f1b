package graph

import (
	"strings"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// schemaPermission is the schema's name of a permission: catalog:read
// is CATALOG_READ (the inverse of permission).
func schemaPermission(p viewer.Permission) model.Permission {
	return model.Permission(strings.ToUpper(strings.Replace(string(p), ":", "_", 1)))
}

func permissions(ps []model.Permission) []viewer.Permission {
	out := make([]viewer.Permission, len(ps))
	for i, p := range ps {
		out[i] = permission(p)
	}
	return out
}
