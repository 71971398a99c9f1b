package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

const retryNotificationDoc = `mutation Retry($id: ID!) {
  retryNotification(id: $id) { notification { id status } userErrors { field message code } }
}`

// newNotifyingStore is a store whose client notifies: hooks, a started
// River client delivering to a local Africa's Talking (at most two
// attempts) and to the log for email.
func newNotifyingStore(t *testing.T, db *database.DB, gw *smstest.Server) *store {
	t.Helper()
	require.NoError(t, jobs.Migrate(context.Background(), db))
	smsClient, err := sms.New(sms.Config{BaseURL: gw.URL(), Username: smstest.Username, APIKey: smstest.APIKey, Timeout: time.Second})
	require.NoError(t, err)
	set, err := templates.New()
	require.NoError(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := newStoreWith(t, db, nil, storeSetup{introspection: true, app: func(c *app.Config) {
		c.AdminEmails, c.NotifyMaxAttempts = []string{"ops@savannah.example"}, 2
	}})
	workers := river.NewWorkers()
	river.AddWorker(workers, outbox.NewWorker(outbox.WorkerConfig{
		Client: s.client, Templates: set, SMS: smsClient, Email: notify.NewLogSender(quiet),
		StoreName: "Savannah", Backoff: outbox.Backoff{Base: time.Millisecond, Max: time.Millisecond},
	}))
	rc, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 20 * time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, rc.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(ctx, rc))
	})
	return s
}

type notificationsData struct {
	Notifications struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Node struct {
				ID        string  `json:"id"`
				Channel   string  `json:"channel"`
				Recipient string  `json:"recipient"`
				Template  string  `json:"template"`
				Status    string  `json:"status"`
				Attempts  int     `json:"attempts"`
				LastError *string `json:"lastError"`
				SentAt    *string `json:"sentAt"`
				Order     struct {
					Number string `json:"number"`
				} `json:"order"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"notifications"`
}

// waitNotifications polls the Notifications operation until none of the
// want notifications is PENDING.
func waitNotifications(t *testing.T, s *store, want int) notificationsData {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var d notificationsData
		s.op("Notifications", map[string]any{"first": 50}, &d)
		settled := d.Notifications.TotalCount == want
		for _, e := range d.Notifications.Edges {
			settled = settled && e.Node.Status != "PENDING"
		}
		if settled {
			return d
		}
		require.False(t, time.Now().After(deadline), "notifications not settled: %+v", d)
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}

func TestNotificationsDeliveryLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		gw := smstest.New(t)
		gw.FailNext(2, http.StatusServiceUnavailable) // longer than the budget of 2
		anon := newNotifyingStore(t, db, gw)
		staff := anon.asStaff()

		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, database.InTx(ctx, anon.client, func(ctx context.Context) error {
			return ent.FromContext(ctx).Order.Create().SetNumber("SV-100042").SetCurrency("KES").
				SetSubtotalMinor(150000).SetTotalMinor(150000).SetEmail("amina@example.com").SetPhone("+254711000111").
				SetShippingAddress(schematype.AddressSnapshot{Line1: "Moi Avenue 1", City: "Nairobi", CountryCode: "KE"}).
				SetIdempotencyKey("k1").Exec(ctx)
		}))
		d := waitNotifications(t, staff, 3)
		var smsID string
		for _, e := range d.Notifications.Edges {
			n := e.Node
			require.Equal(t, "SV-100042", n.Order.Number)
			if n.Channel == "SMS" {
				smsID = n.ID
				require.Equal(t, "FAILED", n.Status)
				require.Equal(t, 2, n.Attempts)
				require.NotNil(t, n.LastError)
				require.Contains(t, *n.LastError, "503")
				require.Nil(t, n.SentAt)
			} else {
				require.Equal(t, "SENT", n.Status)
				require.NotNil(t, n.SentAt)
			}
		}
		require.NotEmpty(t, smsID)
		require.Empty(t, gw.Messages())

		// Filters from the generated where input.
		for _, tc := range []struct {
			where map[string]any
			want  int
		}{
			{map[string]any{"channel": "SMS"}, 1},
			{map[string]any{"channel": "EMAIL"}, 2},
			{map[string]any{"status": "FAILED"}, 1},
			{map[string]any{"status": "SENT", "channel": "SMS"}, 0},
			{map[string]any{"or": []any{map[string]any{"status": "FAILED"}, map[string]any{"recipientContainsFold": "OPS@"}}}, 2},
		} {
			var got notificationsData
			staff.op("Notifications", map[string]any{"where": tc.where}, &got)
			require.Equal(t, tc.want, got.Notifications.TotalCount, "%v", tc.where)
		}

		// Newest first, and the pages of the connection follow one another.
		type pageData struct {
			Notifications struct {
				Edges []struct {
					Cursor string `json:"cursor"`
					Node   struct {
						ID        string    `json:"id"`
						CreatedAt time.Time `json:"createdAt"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"notifications"`
		}
		const pageDoc = `query P($after: Cursor) { notifications(first: 2, after: $after) { edges { cursor node { id createdAt } } } }`
		page := func(after any) pageData {
			t.Helper()
			resp := staff.post(pageDoc, "P", map[string]any{"after": after})
			require.Empty(t, resp.Errors)
			var p pageData
			require.NoError(t, json.Unmarshal(resp.Data, &p))
			return p
		}
		p1 := page(nil)
		require.Len(t, p1.Notifications.Edges, 2)
		p2 := page(p1.Notifications.Edges[1].Cursor)
		require.Len(t, p2.Notifications.Edges, 1)
		all := append(p1.Notifications.Edges, p2.Notifications.Edges...)
		seen := map[string]bool{}
		for i, e := range all {
			seen[e.Node.ID] = true
			if i > 0 {
				require.False(t, e.Node.CreatedAt.After(all[i-1].Node.CreatedAt), "newest first")
			}
		}
		require.Len(t, seen, 3)

		// Page size cap.
		resp := staff.post(staff.ops["Notifications"], "Notifications", map[string]any{"first": 101})
		require.Equal(t, []string{"BAD_USER_INPUT"}, resp.codes())

		// Staff only, both the log and the retry.
		c, err := anon.client.Customer.Create().SetEmail("amina@example.com").SetName("Amina").Save(ctx)
		require.NoError(t, err)
		tok, _, err := anon.tokens.Issue(c.ID, customer.RoleCUSTOMER, 0)
		require.NoError(t, err)
		shopper := anon.as(tok)
		resp = shopper.post(shopper.ops["Notifications"], "Notifications", nil)
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes())
		resp = shopper.post(retryNotificationDoc, "Retry", map[string]any{"id": smsID})
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes())
		require.Len(t, anon.post(anon.ops["Notifications"], "Notifications", nil).Errors, 1)

		type retryData struct {
			RetryNotification struct {
				Notification *struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"notification"`
				UserErrors []userError `json:"userErrors"`
			} `json:"retryNotification"`
		}
		retry := func(id string) retryData {
			t.Helper()
			resp := staff.post(retryNotificationDoc, "Retry", map[string]any{"id": id})
			require.Empty(t, resp.Errors)
			var r retryData
			require.NoError(t, json.Unmarshal(resp.Data, &r))
			return r
		}
		// A sent one is not retried; an unknown one is not found.
		for _, e := range d.Notifications.Edges {
			if e.Node.Status == "SENT" {
				r := retry(e.Node.ID)
				require.Nil(t, r.RetryNotification.Notification)
				require.Equal(t, []userError{{Field: []string{"id"}, Message: "only a failed notification can be retried", Code: "INVALID_TRANSITION"}}, r.RetryNotification.UserErrors)
				break
			}
		}
		r := retry("not-an-id")
		require.Equal(t, "NOT_FOUND", r.RetryNotification.UserErrors[0].Code)

		// The failed one, once the gateway is back, is delivered.
		r = retry(smsID)
		require.Empty(t, r.RetryNotification.UserErrors)
		require.Equal(t, smsID, r.RetryNotification.Notification.ID)
		require.Equal(t, "PENDING", r.RetryNotification.Notification.Status)
		d = waitNotifications(t, staff, 3)
		for _, e := range d.Notifications.Edges {
			require.Equal(t, "SENT", e.Node.Status, e.Node.Template)
			if e.Node.ID == smsID {
				require.Equal(t, 3, e.Node.Attempts)
				require.Nil(t, e.Node.LastError)
			}
		}
		require.Len(t, gw.Messages(), 1)
		require.Zero(t, anon.client.Notification.Query().Where(notification.StatusNEQ(notification.StatusSENT)).CountX(ctx))
	})
}
