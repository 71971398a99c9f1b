package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/auditentry"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/globalid"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

const auditLogDoc = `query AuditLog($filter: AuditLogFilter, $first: Int) {
  auditLog(filter: $filter, first: $first) {
    totalCount
    edges { node {
      id createdAt actorId actorClient actorRole field operation targetIds clientAddr
      changes { type op ids fields { name value cleared redacted } }
    } }
  }
}`

type auditNode struct {
	ID, CreatedAt, ActorClient, ActorRole, Field, Operation, ClientAddr string
	ActorID                                                             *string
	TargetIDs                                                           []string `json:"targetIds"`
	Changes                                                             []struct {
		Type, Op string
		IDs      []string `json:"ids"`
		Fields   []struct {
			Name              string
			Value             *string
			Cleared, Redacted bool
		}
	}
}

// auditLog reads the log as s's viewer, failing on any error.
func (s *store) auditLog(t *testing.T, filter map[string]any) (int, []auditNode, string) {
	t.Helper()
	resp := s.post(auditLogDoc, "AuditLog", map[string]any{"filter": filter, "first": 50})
	require.Empty(t, resp.Errors)
	var out struct {
		AuditLog struct {
			TotalCount int
			Edges      []struct{ Node auditNode }
		} `json:"auditLog"`
	}
	require.NoError(t, json.Unmarshal(resp.Data, &out))
	nodes := make([]auditNode, len(out.AuditLog.Edges))
	for i, e := range out.AuditLog.Edges {
		nodes[i] = e.Node
	}
	return out.AuditLog.TotalCount, nodes, string(resp.Data)
}

func TestAuditLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		ctx := viewer.System(context.Background(), "test: set up")

		// A staff member with a password, to change it.
		const oldPassword, newPassword = "correct horse battery", "staple sideways 42"
		reg := s.register("ops@example.com", oldPassword, "Ops", nil)
		require.Empty(t, reg.Register.UserErrors)
		staffID, err := globalid.Decode(reg.Register.Customer.ID)
		require.NoError(t, err)
		require.NoError(t, s.client.Customer.UpdateOneID(staffID).SetRole(customer.RoleSTAFF).Exec(ctx))
		login := s.login("ops@example.com", oldPassword)
		require.NotNil(t, login.Login.Token)
		staff := s.as(login.Login.Token.AccessToken)

		admin, err := s.client.Customer.Create().SetEmail("admin@example.com").SetName("Admin").SetRole(customer.RoleADMIN).Save(ctx)
		require.NoError(t, err)
		adminTok, _, err := s.tokens.Issue(admin.ID, customer.RoleADMIN, 0)
		require.NoError(t, err)
		boss := s.as(adminTok)

		cust := s.register("shopper@example.com", "shopper password 1", "Shopper", nil)
		shopper := s.as(cust.Register.Token.AccessToken)

		products := s.client.Product.Query().Order().AllX(ctx)
		require.GreaterOrEqual(t, len(products), 2)
		product, other := globalid.Encode(products[0].ID), products[1]

		// The staff member's mutations: a product edit and a password
		// change, one row each, newest first.
		var up productPayload
		staff.op("UpdateProduct", map[string]any{"id": product, "input": map[string]any{"name": "Audited name"}}, &struct {
			UpdateProduct *productPayload `json:"updateProduct"`
		}{&up})
		require.Empty(t, up.UserErrors)
		resp := staff.post(`mutation ChangeIt($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token { accessToken } userErrors { code } } }`, "ChangeIt",
			map[string]any{"c": oldPassword, "n": newPassword})
		require.Empty(t, resp.Errors)
		require.NotContains(t, string(resp.Data), `"code"`)
		var changed struct {
			ChangePassword struct{ Token authToken } `json:"changePassword"`
		}
		require.NoError(t, json.Unmarshal(resp.Data, &changed))
		staff = s.as(changed.ChangePassword.Token.AccessToken) // the old token is revoked

		// A customer's own change is not audited.
		resp = shopper.post(s.ops["UpdateProfile"], "UpdateProfile", map[string]any{"input": map[string]any{"name": "Shopper Two"}})
		require.Empty(t, resp.Errors)

		// A failed mutation leaves nothing: userErrors (a slug taken by
		// another product), and an error after a successful write in the
		// same operation (the whole transaction rolls back).
		resp = staff.post(s.ops["UpdateProduct"], "UpdateProduct", map[string]any{"id": product, "input": map[string]any{"slug": other.Slug}})
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), `"userErrors":[{`)
		resp = staff.post(`mutation Both($id: ID!) {
  ok: updateProduct(id: $id, input: {name: "Rolled back"}) { userErrors { code } }
  bad: setCustomerRole(id: $id, role: STAFF) { __typename }
}`, "Both", map[string]any{"id": product})
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes(), "only an admin sets roles")
		require.NotEqual(t, "Rolled back", s.client.Product.GetX(ctx, products[0].ID).Name)

		total, nodes, raw := boss.auditLog(t, nil)
		require.Equal(t, 2, total, raw)
		require.Len(t, nodes, 2)
		pw, edit := nodes[0], nodes[1]

		require.Equal(t, "changePassword", pw.Field)
		require.Equal(t, "ChangeIt", pw.Operation)
		require.Equal(t, "STAFF", pw.ActorRole)
		require.Equal(t, reg.Register.Customer.ID, *pw.ActorID)
		require.Equal(t, "127.0.0.1", pw.ClientAddr)
		require.Contains(t, pw.TargetIDs, reg.Register.Customer.ID, raw)
		var redacted bool
		for _, c := range pw.Changes {
			for _, f := range c.Fields {
				if f.Name == "password_hash" {
					redacted = f.Redacted && f.Value == nil
				}
			}
		}
		require.True(t, redacted, "the password hash is named, its value redacted: %s", raw)
		hash := s.client.Customer.GetX(ctx, staffID).PasswordHash
		require.NotEmpty(t, hash)
		for _, secret := range []string{oldPassword, newPassword, hash} {
			require.NotContains(t, raw, secret)
		}
		stored := s.client.AuditEntry.Query().AllX(ctx)
		blob, err := json.Marshal(stored)
		require.NoError(t, err)
		for _, secret := range []string{oldPassword, newPassword, hash} {
			require.NotContains(t, string(blob), secret, "no secret is stored in the audit log")
		}

		require.Equal(t, "updateProduct", edit.Field)
		require.Equal(t, "UpdateProduct", edit.Operation)
		require.Equal(t, []string{product}, edit.TargetIDs)
		require.Equal(t, "", edit.ActorClient)
		var named bool
		for _, c := range edit.Changes {
			require.Equal(t, "UPDATE", c.Op)
			for _, f := range c.Fields {
				if c.Type == "Product" && f.Name == "name" {
					named = f.Value != nil && *f.Value == `"Audited name"`
				}
			}
		}
		require.True(t, named, "the product's new name is recorded: %s", raw)
		createdAt, err := time.Parse(time.RFC3339Nano, edit.CreatedAt)
		require.NoError(t, err)

		// Filters.
		for _, tc := range []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			{"actor", map[string]any{"actor": reg.Register.Customer.ID}, []string{"changePassword", "updateProduct"}},
			{"another actor", map[string]any{"actor": cust.Register.Customer.ID}, nil},
			{"client", map[string]any{"client": "erp"}, nil},
			{"root field", map[string]any{"operation": "updateProduct"}, []string{"updateProduct"}},
			{"operation name", map[string]any{"operation": "ChangeIt"}, []string{"changePassword"}},
			{"target", map[string]any{"target": product}, []string{"updateProduct"}},
			{"since", map[string]any{"since": createdAt.Add(-time.Minute).Format(time.RFC3339Nano)}, []string{"changePassword", "updateProduct"}},
			{"until", map[string]any{"until": createdAt.Add(-time.Minute).Format(time.RFC3339Nano)}, nil},
			{"since, in the future", map[string]any{"since": time.Now().Add(time.Hour).Format(time.RFC3339Nano)}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n, nodes, raw := boss.auditLog(t, tc.filter)
				var got []string
				for _, node := range nodes {
					got = append(got, node.Field)
				}
				require.Equal(t, len(tc.want), n, raw)
				require.Equal(t, tc.want, got)
			})
		}

		// Only settings:manage reads it: the admin above did; staff and
		// customers are FORBIDDEN, anonymous requests UNAUTHENTICATED.
		for _, v := range []struct {
			name string
			s    *store
			code string
		}{{"staff", staff, "FORBIDDEN"}, {"customer", shopper, "FORBIDDEN"}, {"anonymous", s, "UNAUTHENTICATED"}} {
			resp := v.s.post(auditLogDoc, "AuditLog", map[string]any{"first": 5})
			require.Equal(t, []string{v.code}, resp.codes(), v.name)
			require.NotContains(t, string(resp.Data), "changePassword", v.name)
		}

		// Append-only, for the system too.
		entry := stored[0]
		require.ErrorContains(t, s.client.AuditEntry.UpdateOneID(entry.ID).Exec(ctx), "append-only")
		require.ErrorContains(t, s.client.AuditEntry.DeleteOneID(entry.ID).Exec(ctx), "append-only")
		_, err = s.client.AuditEntry.Delete().Where(auditentry.Field("changePassword")).Exec(ctx)
		require.ErrorContains(t, err, "append-only")
		require.Equal(t, 2, s.client.AuditEntry.Query().CountX(ctx))
	})
}
