package viewer

import "slices"

// Permission names one thing a staff member or an API client may do. The
// list is the schema's Permission enum (graph/schema.graphql binds it here),
// an API client's scopes (OAuth2 scope strings are these values) and what
// the privacy rules of ent/schema/access read.
type Permission string

const (
	CatalogRead         Permission = "catalog:read"
	CatalogWrite        Permission = "catalog:write"
	InventoryWrite      Permission = "inventory:write"
	OrdersRead          Permission = "orders:read"
	OrdersWrite         Permission = "orders:write"
	CustomersRead       Permission = "customers:read"
	NotificationsManage Permission = "notifications:manage"
	WebhooksManage      Permission = "webhooks:manage"
	PromotionsManage    Permission = "promotions:manage"
	SettingsManage      Permission = "settings:manage"
)

// AllPermissions lists every permission, in the schema's order.
func AllPermissions() []Permission {
	return []Permission{
		CatalogRead, CatalogWrite, InventoryWrite,
		OrdersRead, OrdersWrite, CustomersRead,
		NotificationsManage, WebhooksManage, PromotionsManage, SettingsManage,
	}
}

// Valid reports whether p is one of AllPermissions.
func (p Permission) Valid() bool { return slices.Contains(AllPermissions(), p) }

// Permissions is the set a role grants when a viewer carries no narrower
// one: a customer none (customers keep their own rows through the privacy
// rules' filters), staff the day-to-day running of the shop, an admin
// everything, including integrations (webhooks) and settings.
func (r Role) Permissions() []Permission {
	switch r {
	case Staff:
		return []Permission{
			CatalogRead, CatalogWrite, InventoryWrite,
			OrdersRead, OrdersWrite, CustomersRead,
			NotificationsManage, PromotionsManage,
		}
	case Admin:
		return AllPermissions()
	}
	return nil
}

// implies is what holding a permission also grants: a write reads what it
// writes (one cannot edit a draft product one cannot see).
func (p Permission) implies() []Permission {
	switch p {
	case CatalogWrite, InventoryWrite:
		return []Permission{CatalogRead}
	case OrdersWrite:
		return []Permission{OrdersRead}
	}
	return nil
}

// Can reports whether the viewer holds permission p, or one implying it:
// from its own set when it carries one (an API client's granted scopes, a
// staff member's narrowed set), otherwise from its role's.
func (v Viewer) Can(p Permission) bool {
	return slices.Contains(v.Effective(), p)
}

// Effective is every permission the viewer holds (its own set, or its
// role's), with what they imply, in the schema's order.
func (v Viewer) Effective() []Permission {
	held := v.Permissions
	if held == nil {
		held = v.Role.Permissions()
	}
	out := make([]Permission, 0, len(held))
	for _, p := range AllPermissions() {
		if slices.Contains(held, p) || slices.ContainsFunc(held, func(h Permission) bool { return slices.Contains(h.implies(), p) }) {
			out = append(out, p)
		}
	}
	return out
}
