package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/customer"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/viewer"
	"github.com/savannah-commerce/savannah/internal/webhook"
)

// receiver is a webhook endpoint on 127.0.0.1: it verifies every request
// with the Standard Webhooks library and the secret it is given, answers
// 500 to the first failFirst requests (or to all, with failAll), and
// records what it accepted.
type receiver struct {
	*httptest.Server
	mu        sync.Mutex
	secret    string
	failFirst int
	failAll   bool
	answered  map[int]int       // status → count
	accepted  map[string]int    // webhook-id → 2xx count
	payloads  map[string]string // webhook-id → event type
	badSigned int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{answered: map[int]int{}, accepted: map[string]int{}, payloads: map[string]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(r.secret)
		if err != nil || wh.Verify(body, req.Header) != nil {
			r.badSigned++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.failAll || r.failFirst > 0 {
			r.failFirst--
			r.answered[500]++
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var p webhook.Payload
		if json.Unmarshal(body, &p) != nil || p.ID != req.Header.Get("webhook-id") || p.Version != webhook.PayloadVersion {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.answered[200]++
		r.accepted[p.ID]++
		r.payloads[p.ID] = string(p.Type)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) set(f func(r *receiver)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// types returns the types of the accepted events, and whether every one
// was accepted exactly once.
func (r *receiver) types() (map[string]bool, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, once := map[string]bool{}, true
	for id, n := range r.accepted {
		out[r.payloads[id]] = true
		once = once && n == 1
	}
	return out, once
}

const webhookFields = `subscription { id url eventTypes active disabledReason consecutiveFailures } secret userErrors { field message code }`

type subPayload struct {
	Subscription *struct {
		ID                  string   `json:"id"`
		Active              bool     `json:"active"`
		DisabledReason      string   `json:"disabledReason"`
		ConsecutiveFailures int      `json:"consecutiveFailures"`
		EventTypes          []string `json:"eventTypes"`
	} `json:"subscription"`
	Secret     *string     `json:"secret"`
	UserErrors []userError `json:"userErrors"`
}

func (s *store) createSubscription(t *testing.T, url string, types []string) (gqlResponse, subPayload) {
	t.Helper()
	resp := s.post(`mutation C($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) { `+webhookFields+` } }`,
		"C", map[string]any{"input": map[string]any{"url": url, "eventTypes": types}})
	var out struct {
		P subPayload `json:"createWebhookSubscription"`
	}
	if len(resp.Data) > 0 && string(resp.Data) != "null" {
		require.NoError(t, json.Unmarshal(resp.Data, &out))
	}
	return resp, out.P
}

type deliveryNode struct {
	ID             string `json:"id"`
	EventID        string `json:"eventID"`
	EventType      string `json:"eventType"`
	State          string `json:"state"`
	Attempts       int    `json:"attempts"`
	ResponseStatus *int   `json:"responseStatus"`
	LatencyMs      *int   `json:"latencyMs"`
}

// deliveries lists the subscriptions' delivery logs through the API.
func (s *store) deliveries(t *testing.T) map[string][]deliveryNode {
	t.Helper()
	resp := s.post(`query { webhookSubscriptions(first: 2) { edges { node { id active deliveries(first: 20) { edges { node { id eventID eventType state attempts responseStatus latencyMs } } } } } } }`, "", nil)
	require.Empty(t, resp.Errors)
	var out struct {
		W struct {
			Edges []struct {
				Node struct {
					ID         string `json:"id"`
					Deliveries struct {
						Edges []struct {
							Node deliveryNode `json:"node"`
						} `json:"edges"`
					} `json:"deliveries"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"webhookSubscriptions"`
	}
	require.NoError(t, json.Unmarshal(resp.Data, &out))
	m := map[string][]deliveryNode{}
	for _, e := range out.W.Edges {
		for _, d := range e.Node.Deliveries.Edges {
			m[e.Node.ID] = append(m[e.Node.ID], d.Node)
		}
	}
	return m
}

// startWebhookWorker works webhook deliveries with a fast backoff and a
// circuit that opens after circuitFailures failures.
func startWebhookWorker(t *testing.T, db *database.DB, s *store, circuitFailures int) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, webhook.NewWorker(webhook.WorkerConfig{
		Client: s.client, AllowLoopback: true, Timeout: 5 * time.Second,
		OnCircuitOpen:   webhook.NotifyStaff(s.services.Outbox, []string{"ops@savannah.example"}),
		Backoff:         outbox.Backoff{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		CircuitFailures: circuitFailures, CircuitWindow: time.Millisecond,
	}))
	rc, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, rc.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, jobs.Stop(ctx, rc))
	})
}

// Staff with webhooks:manage subscribe a receiver; customer.created,
// stock.changed, product.archived and a test event each arrive exactly
// once, signed per Standard Webhooks, after the receiver's 500s were
// retried; the log shows status and latency; a redelivery sends the same
// event ID again; a receiver that always fails has its circuit opened.
// Private and link-local URLs are refused at creation, and a staff member
// without webhooks:manage is refused.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStoreWith(t, db, demoCatalog(t), storeSetup{introspection: true, app: func(c *app.Config) { c.WebhookAllowLoopback = true }})
		admin, staff := s.asAdmin(), s.asStaff()
		rcv := newReceiver(t)

		// Refusals, each paired with what works.
		resp, _ := staff.createSubscription(t, rcv.URL, []string{"order.placed"})
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes(), "staff lack webhooks:manage")
		for _, bad := range []string{"http://169.254.169.254/latest/meta-data", "http://10.1.2.3/hook", "http://[fd00::1]/", "ftp://example.com/"} {
			_, p := admin.createSubscription(t, bad, []string{"order.placed"})
			require.Nil(t, p.Subscription, bad)
			require.Equal(t, []string{"INVALID"}, codesOf(p.UserErrors), bad)
		}
		_, p := admin.createSubscription(t, rcv.URL, []string{"nope"})
		require.Equal(t, []string{"INVALID"}, codesOf(p.UserErrors))

		all := []string{"order.placed", "order.status_changed", "payment.succeeded", "payment.failed",
			"product.created", "product.updated", "product.archived", "stock.changed", "customer.created"}
		_, p = admin.createSubscription(t, rcv.URL+"/hooks", all)
		require.Empty(t, p.UserErrors)
		require.NotNil(t, p.Secret)
		require.True(t, strings.HasPrefix(*p.Secret, "whsec_"))
		subID := p.Subscription.ID
		rcv.set(func(r *receiver) { r.secret, r.failFirst = *p.Secret, 2 })

		// The events, through the API.
		var reg struct {
			Register struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"register"`
		}
		s.op("Register", map[string]any{"input": map[string]any{"email": "hooked@example.com", "password": "correct horse battery", "name": "Hooked"}}, &reg)
		require.Empty(t, reg.Register.UserErrors)
		sys := viewer.System(context.Background(), "test: set up")
		prods, err := s.client.Product.Query().Where(product.StatusEQ(product.StatusACTIVE)).Order(ent.Asc(product.FieldID)).WithVariants().Limit(1).All(sys)
		require.NoError(t, err)
		var adj map[string]any
		admin.op("AdjustStock", map[string]any{"variantId": scalar.EncodeID(prods[0].Edges.Variants[0].ID), "delta": 3, "reason": "recount"}, &adj)
		var arch struct {
			A struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"archiveProduct"`
		}
		admin.op("ArchiveProduct", map[string]any{"id": scalar.EncodeID(prods[0].ID)}, &arch)
		require.Empty(t, arch.A.UserErrors)
		resp = admin.post(`mutation T($id: ID!) { sendTestWebhook(id: $id) { delivery { id eventType state } userErrors { code } } }`, "T", map[string]any{"id": subID})
		require.Empty(t, resp.Errors)
		hooked, err := s.client.Customer.Query().Where(customer.Email("hooked@example.com")).Only(sys)
		require.NoError(t, err)
		o := placed(t, s.client, func(c *ent.Client) *ent.OrderCreate {
			return c.Order.Create().SetCustomerID(hooked.ID).SetNumber("SV-HOOK").SetCurrency("KES").
				SetSubtotalMinor(1000).SetTotalMinor(1000).SetIdempotencyKey("hook").
				SetShippingAddress(schematype.AddressSnapshot{Line1: "1 Road", City: "Nairobi", CountryCode: "KE"})
		})
		var st struct {
			U struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"updateOrderStatus"`
		}
		admin.op("UpdateOrderStatus", map[string]any{"id": scalar.EncodeID(o.ID), "status": "CONFIRMED"}, &st)
		require.Empty(t, st.U.UserErrors)

		// Nothing is sent before a worker runs; then each event once.
		startWebhookWorker(t, db, s, 4)
		want := map[string]bool{"customer.created": true, "stock.changed": true, "product.archived": true, "webhook.test": true,
			"order.placed": true, "order.status_changed": true}
		require.Eventually(t, func() bool { got, _ := rcv.types(); return len(got) == len(want) }, 30*time.Second, 20*time.Millisecond)
		got, once := rcv.types()
		require.Equal(t, want, got)
		require.True(t, once, "each event arrives exactly once")
		rcv.set(func(r *receiver) {
			require.Equal(t, 2, r.answered[500], "the receiver's 500s were retried")
			require.Zero(t, r.badSigned, "every signature verifies")
		})
		require.Eventually(t, func() bool {
			for _, d := range admin.deliveries(t)[subID] {
				if d.State != "DELIVERED" {
					return false
				}
			}
			return true
		}, 10*time.Second, 20*time.Millisecond)
		log := admin.deliveries(t)[subID]
		require.Len(t, log, len(want))
		attempts := 0
		for _, d := range log {
			attempts += d.Attempts
			require.NotNil(t, d.ResponseStatus)
			require.Equal(t, 200, *d.ResponseStatus)
			require.NotNil(t, d.LatencyMs)
		}
		require.Equal(t, len(want)+2, attempts, "two attempts answered 500")

		// Redelivery: the same event ID, once more.
		resp = admin.post(`mutation R($id: ID!) { redeliverWebhook(id: $id) { delivery { id state } userErrors { code } } }`, "R", map[string]any{"id": log[0].ID})
		require.Empty(t, resp.Errors)
		require.Eventually(t, func() bool {
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			return rcv.accepted[log[0].EventID] == 2
		}, 20*time.Second, 20*time.Millisecond)
		resp = staff.post(`mutation R($id: ID!) { redeliverWebhook(id: $id) { delivery { id } } }`, "R", map[string]any{"id": log[0].ID})
		require.Equal(t, []string{"FORBIDDEN"}, resp.codes())

		// Circuit: a receiver that always fails is disabled.
		bad := newReceiver(t)
		_, p = admin.createSubscription(t, bad.URL, []string{"customer.created"})
		require.Empty(t, p.UserErrors)
		bad.set(func(r *receiver) { r.secret, r.failAll = *p.Secret, true })
		resp = admin.post(`mutation T($id: ID!) { sendTestWebhook(id: $id) { delivery { id } userErrors { code } } }`, "T", map[string]any{"id": p.Subscription.ID})
		require.Empty(t, resp.Errors)
		require.Eventually(t, func() bool {
			sub, err := s.client.WebhookSubscription.Get(sys, mustDecode(t, p.Subscription.ID))
			require.NoError(t, err)
			return !sub.Active && sub.DisabledReason != ""
		}, 30*time.Second, 20*time.Millisecond, "the circuit opens")
		bad.set(func(r *receiver) { require.GreaterOrEqual(t, r.answered[500], 4) })
		// Staff are told, through the notification outbox, once.
		told, err := s.client.Notification.Query().Where(notification.Template("webhook_disabled"), notification.Recipient("ops@savannah.example")).Count(sys)
		require.NoError(t, err)
		require.Equal(t, 1, told)
		// The healthy subscription's circuit stayed closed.
		healthy, err := s.client.WebhookSubscription.Get(sys, mustDecode(t, subID))
		require.NoError(t, err)
		require.True(t, healthy.Active)
		require.Zero(t, healthy.ConsecutiveFailures)

		// Rotation: a new secret, shown once.
		resp = admin.post(`mutation X($id: ID!) { rotateWebhookSecret(id: $id) { `+webhookFields+` } }`, "X", map[string]any{"id": subID})
		require.Empty(t, resp.Errors)
		require.Contains(t, string(resp.Data), `"secret":"whsec_`)
		require.NotContains(t, string(resp.Data), *p.Secret)
	})
}

// Outbound requests refuse loopback and link-local (the metadata service)
// addresses, checked on the dialled address, unless loopback is allowed.
func TestWebhookDestinations(t *testing.T) {
	t.Parallel()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(ok.Close)
	allowed := webhook.NewHTTPClient(2*time.Second, true)
	resp, err := allowed.Get(ok.URL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	strict := webhook.NewHTTPClient(2*time.Second, false)
	for _, u := range []string{ok.URL, "http://169.254.169.254/latest/meta-data/", "http://localhost:" + ok.URL[strings.LastIndex(ok.URL, ":")+1:]} {
		resp, err := strict.Get(u)
		if resp != nil {
			_ = resp.Body.Close()
		}
		require.ErrorIs(t, err, webhook.ErrForbiddenDestination, u)
	}
	// A redirect to a refused address is refused too.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	_, err = allowed.Get(redirect.URL)
	require.True(t, errors.Is(err, webhook.ErrForbiddenDestination), "redirect followed to the metadata service: %v", err)
}
