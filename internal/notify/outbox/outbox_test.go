package outbox_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/notification"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/ent/payment"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/jobs/jobstest"
	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/email"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// waitFor is how long a test waits for deliveries before failing.
const waitFor = 20 * time.Second

// recorder passes emails to the real sender (Mailpit, when the test has
// one) and remembers what was accepted, by recipient.
type recorder struct {
	next notify.EmailSender
	mu   sync.Mutex
	sent map[string][]notify.Email
}

func (r *recorder) SendEmail(ctx context.Context, e notify.Email) (notify.SendResult, error) {
	res, err := r.next.SendEmail(ctx, e)
	if err == nil {
		r.mu.Lock()
		for _, to := range e.To {
			r.sent[to] = append(r.sent[to], e)
		}
		r.mu.Unlock()
	}
	return res, err
}

func (r *recorder) to(addr string) []notify.Email {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Email(nil), r.sent[addr]...)
}

// env is the notification pipeline over one database: the hooks on
// client, a local Africa's Talking, SMTP (Mailpit when configured) and a
// River client that is started only by start.
type env struct {
	t       *testing.T
	db      *database.DB
	client  *ent.Client
	sms     *smstest.Server
	mail    *recorder
	mailAPI string // Mailpit's API, empty without one
	ob      *outbox.Outbox
	jobs    *jobs.Client
	admins  []string
	token   string
	metrics *prometheus.Registry
}

type envOpts struct {
	maxAttempts int
	smsServer   *smstest.Server
	mail        *recorder
}

func newEnv(t *testing.T, db *database.DB, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, jobs.Migrate(ctx, db))
	e := &env{t: t, db: db, client: db.Client(), sms: o.smsServer, mail: o.mail, token: token(), metrics: prometheus.NewRegistry()}
	if e.sms == nil {
		e.sms = smstest.New(t)
	}
	smsClient, err := sms.New(sms.Config{BaseURL: e.sms.URL(), Username: smstest.Username, APIKey: smstest.APIKey, Timeout: time.Second})
	require.NoError(t, err)
	if e.mail == nil {
		e.mail = &recorder{sent: map[string][]notify.Email{}}
		smtpURL, api := os.Getenv("TEST_SMTP_URL"), os.Getenv("TEST_MAILPIT_API")
		switch {
		case smtpURL != "" && api != "":
			s, err := email.New(email.Config{URL: smtpURL, From: "Savannah <orders@savannah.example>", Timeout: 10 * time.Second})
			require.NoError(t, err)
			e.mail.next, e.mailAPI = s, strings.TrimRight(api, "/")
		case os.Getenv("SAVANNAH_REQUIRE_SERVICES") == "1":
			t.Fatal("SAVANNAH_REQUIRE_SERVICES=1 but TEST_SMTP_URL or TEST_MAILPIT_API is not set")
		default:
			e.mail.next = notify.NewLogSender(slog.New(slog.NewTextHandler(io.Discard, nil)))
		}
	}
	set, err := templates.New()
	require.NoError(t, err)
	workers := river.NewWorkers()
	river.AddWorker(workers, outbox.NewWorker(outbox.WorkerConfig{
		Client:    e.client,
		Templates: set,
		SMS:       smsClient,
		Email:     e.mail,
		StoreName: "Savannah Crafts",
		Backoff:   outbox.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond},
		Metrics:   e.metrics,
	}))
	e.jobs, err = jobs.New(db, jobs.Config{Workers: workers, PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	e.admins = []string{"ops." + e.token + "@savannah.example", "owner." + e.token + "@savannah.example"}
	e.ob = outbox.New(outbox.Config{Jobs: e.jobs, AdminEmails: e.admins, MaxAttempts: o.maxAttempts})
	e.ob.Register(e.client)
	return e
}

// start runs the River client until the test ends.
func (e *env) start() {
	e.t.Helper()
	require.NoError(e.t, e.jobs.Start(context.Background()))
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(e.t, jobs.Stop(ctx, e.jobs))
	})
}

// attempts is the count of delivery attempts on channel with outcome.
func (e *env) attempts(channel, outcome string) float64 {
	e.t.Helper()
	families, err := e.metrics.Gather()
	require.NoError(e.t, err)
	for _, f := range families {
		if f.GetName() != "savannah_notifications_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["channel"] == channel && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func token() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// customer is who places the test orders.
type customer struct{ phone, email string }

func (e *env) customer(n int) customer {
	return customer{phone: "+25471100" + string(rune('0'+n/10)) + string(rune('0'+n%10)) + "0", email: "wanjiru" + string(rune('a'+n)) + "." + e.token + "@example.com"}
}

// placeOrder creates an order with two lines in one transaction, as
// checkout does, and returns it; fail makes the transaction roll back.
func (e *env) placeOrder(c customer, fail error) (*ent.Order, error) {
	e.t.Helper()
	ctx := viewer.System(context.Background(), "test: set up")
	var o *ent.Order
	err := database.InTx(ctx, e.client, func(ctx context.Context) error {
		tx := ent.FromContext(ctx)
		var err error
		o, err = tx.Order.Create().
			SetNumber("SV-" + strings.ToUpper(e.token) + "-" + token()[:4]).
			SetCurrency("KES").
			SetSubtotalMinor(628800).
			SetTotalMinor(628800).
			SetEmail(c.email).
			SetPhone(c.phone).
			SetShippingAddress(schematype.AddressSnapshot{Name: "Wanjirũ Kamau", Line1: "Moi Avenue 1", City: "Nairobi", CountryCode: "KE"}).
			SetIdempotencyKey(token()).
			Save(ctx)
		if err != nil {
			return err
		}
		err = tx.OrderLine.CreateBulk(
			tx.OrderLine.Create().SetOrderID(o.ID).SetProductName("Maasai Shuka Blanket").SetVariantName("Red / Large").SetSku("SHUKA-RL").SetQuantity(2).SetUnitPriceMinor(249900).SetLineTotalMinor(499800),
			tx.OrderLine.Create().SetOrderID(o.ID).SetProductName("Kiondo Basket").SetVariantName("Natural").SetSku("KIONDO-N").SetQuantity(1).SetUnitPriceMinor(129000).SetLineTotalMinor(129000),
		).Exec(ctx)
		if err != nil {
			return err
		}
		return fail
	})
	return o, err
}

// setStatus moves the order to status in a transaction, with a message
// on its history as staff would give.
func (e *env) setStatus(o *ent.Order, status order.Status, message string) {
	e.t.Helper()
	ctx := viewer.System(context.Background(), "test: set up")
	require.NoError(e.t, database.InTx(ctx, e.client, func(ctx context.Context) error {
		tx := ent.FromContext(ctx)
		if message != "" {
			if err := tx.OrderEvent.Create().SetOrderID(o.ID).SetType("STATUS_CHANGED").SetToStatus(string(status)).SetMessage(message).Exec(ctx); err != nil {
				return err
			}
		}
		return tx.Order.UpdateOneID(o.ID).SetStatus(status).Exec(ctx)
	}))
}

// notifications lists the order's notifications, oldest first.
func (e *env) notifications(orderID int) []*ent.Notification {
	e.t.Helper()
	ns, err := e.client.Notification.Query().Where(notification.OrderID(orderID)).
		Order(ent.Asc(notification.FieldID)).All(viewer.System(context.Background(), "test: set up"))
	require.NoError(e.t, err)
	return ns
}

// waitSettled waits until the order has want notifications and none is
// PENDING, and returns them.
func (e *env) waitSettled(orderID, want int) []*ent.Notification {
	e.t.Helper()
	deadline := time.Now().Add(waitFor)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ns := e.notifications(orderID)
		pending := 0
		for _, n := range ns {
			if n.Status == notification.StatusPENDING {
				pending++
			}
		}
		if len(ns) == want && pending == 0 {
			return ns
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("after %s: %d notifications, %d pending; want %d settled", waitFor, len(ns), pending, want)
		}
		<-tick.C
	}
}

// waitJobsFinalized waits until no River job is left to run.
func (e *env) waitJobsFinalized() {
	e.t.Helper()
	require.Eventually(e.t, func() bool { return jobstest.Unfinished(jobstest.States(e.t, e.jobs)) == 0 },
		waitFor, 10*time.Millisecond, "jobs not finalized: %v", jobstest.States(e.t, e.jobs))
}

func (e *env) jobCount() int {
	e.t.Helper()
	return jobstest.Total(jobstest.States(e.t, e.jobs))
}

// smsTo returns the SMS accepted for phone.
func (e *env) smsTo(phone string) []smstest.Message {
	var out []smstest.Message
	for _, m := range e.sms.Messages() {
		if m.To == phone {
			out = append(out, m)
		}
	}
	return out
}

// mailpitCount counts the messages Mailpit holds whose subject carries s
// (-1 without Mailpit).
func (e *env) mailpitCount(s string) int {
	e.t.Helper()
	if e.mailAPI == "" {
		return -1
	}
	resp, err := http.Get(e.mailAPI + "/api/v1/search?query=" + url.QueryEscape(`subject:"`+s+`"`))
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var res struct {
		Messages []struct {
			Subject string `json:"Subject"`
		} `json:"messages"`
	}
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&res))
	n := 0
	for _, m := range res.Messages {
		if strings.Contains(m.Subject, s) {
			n++
		}
	}
	return n
}

func byTemplate(ns []*ent.Notification) map[string][]*ent.Notification {
	out := map[string][]*ent.Notification{}
	for _, n := range ns {
		out[n.Template] = append(out[n.Template], n)
	}
	return out
}

func TestOrderLifeNotifies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, envOpts{})
		e.start()
		c := e.customer(1)
		o, err := e.placeOrder(c, nil)
		require.NoError(t, err)

		// Placed: SMS and email to the customer, an email to each admin.
		ns := e.waitSettled(o.ID, 4)
		for _, n := range ns {
			require.Equal(t, notification.StatusSENT, n.Status, "%s to %s: %v", n.Template, n.Recipient, n.LastError)
			require.Equal(t, 1, n.Attempts)
			require.NotNil(t, n.SentAt)
			require.NotEmpty(t, n.ProviderMessageID)
			require.Nil(t, n.LastError)
		}
		bt := byTemplate(ns)
		require.Len(t, bt["order_placed"], 2)
		require.Len(t, bt["admin_order_placed"], 2)
		msgs := e.smsTo(c.phone)
		require.Len(t, msgs, 1)
		require.Contains(t, msgs[0].Body, o.Number)
		require.Contains(t, msgs[0].Body, "Savannah Crafts")
		got := e.mail.to(c.email)
		require.Len(t, got, 1)
		require.Contains(t, got[0].Subject, o.Number)
		require.Contains(t, got[0].Text, "Maasai Shuka Blanket")
		require.Contains(t, got[0].HTML, "Kiondo Basket")
		for _, a := range e.admins {
			require.Len(t, e.mail.to(a), 1, a)
			require.Contains(t, e.mail.to(a)[0].Subject, "New order "+o.Number)
		}
		if n := e.mailpitCount(o.Number); n >= 0 {
			require.Equal(t, 3, n, "emails about %s in Mailpit", o.Number)
		}

		// Each status change: one SMS and one email to the customer.
		want := 4
		for _, st := range []struct {
			status order.Status
			msg    string
		}{{order.StatusCONFIRMED, ""}, {order.StatusSHIPPED, "G4S tracking KE123"}, {order.StatusDELIVERED, ""}} {
			e.setStatus(o, st.status, st.msg)
			want += 2
			e.waitSettled(o.ID, want)
		}
		// Setting the status it already has tells nobody anything.
		e.setStatus(o, order.StatusDELIVERED, "")
		bt = byTemplate(e.waitSettled(o.ID, want))
		for _, tmpl := range []string{"order_confirmed", "order_shipped", "order_delivered"} {
			require.Len(t, bt[tmpl], 2, tmpl)
			for _, n := range bt[tmpl] {
				require.Equal(t, notification.StatusSENT, n.Status, tmpl)
			}
		}
		msgs = e.smsTo(c.phone)
		require.Len(t, msgs, 4)
		require.Contains(t, msgs[2].Body, "KE123", "the shipment's tracking reference")
		require.Len(t, e.mail.to(c.email), 4)
		for _, a := range e.admins {
			require.Len(t, e.mail.to(a), 1, "admins hear of new orders only")
		}
		if n := e.mailpitCount(o.Number); n >= 0 {
			require.Equal(t, 6, n)
		}

		// A cancelled order and a failed payment on another.
		c2 := e.customer(2)
		o2, err := e.placeOrder(c2, nil)
		require.NoError(t, err)
		e.waitSettled(o2.ID, 4)
		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, database.InTx(ctx, e.client, func(ctx context.Context) error {
			p, err := ent.FromContext(ctx).Payment.Create().SetOrderID(o2.ID).SetMethod(payment.MethodMPESA).
				SetAmountMinor(o2.TotalMinor).SetCurrency("KES").SetPhone(c2.phone).Save(ctx)
			if err != nil {
				return err
			}
			return p.Update().SetStatus(payment.StatusFAILED).SetFailureReason("The balance is insufficient").Exec(ctx)
		}))
		e.setStatus(o2, order.StatusCANCELLED, "Customer asked")
		bt = byTemplate(e.waitSettled(o2.ID, 8))
		require.Len(t, bt["payment_failed"], 2)
		require.Len(t, bt["order_cancelled"], 2)
		msgs = e.smsTo(c2.phone)
		require.Len(t, msgs, 3)
		var texts []string
		for _, m := range e.mail.to(c2.email) {
			texts = append(texts, m.Text)
		}
		require.Len(t, texts, 3)
		require.Contains(t, strings.Join(texts, "\n"), "The balance is insufficient", "the failed payment's reason")
		require.Contains(t, strings.Join(texts, "\n"), "Reason: Customer asked", "the cancellation's reason")
	})
}

func TestRolledBackOrderNotifiesNobody(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, envOpts{})
		boom := errors.New("stock ran out")
		o, err := e.placeOrder(e.customer(1), boom)
		require.ErrorIs(t, err, boom)
		ctx := viewer.System(context.Background(), "test: set up")
		require.Zero(t, e.client.Order.Query().CountX(ctx))
		require.Zero(t, e.client.Notification.Query().CountX(ctx))
		require.Zero(t, e.jobCount(), "no job survives the rollback")
		_ = o

		// A committed one has its rows and jobs, before any worker runs.
		o, err = e.placeOrder(e.customer(2), nil)
		require.NoError(t, err)
		require.Len(t, e.notifications(o.ID), 4)
		require.Equal(t, 4, e.jobCount())
	})
}

func TestOutsideTransactionFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, envOpts{})
		ctx := viewer.System(context.Background(), "test: set up")
		_, err := e.client.Order.Create().SetNumber("SV-1").SetCurrency("KES").SetSubtotalMinor(1).SetTotalMinor(1).
			SetShippingAddress(schematype.AddressSnapshot{Line1: "x", City: "Nairobi", CountryCode: "KE"}).
			SetIdempotencyKey("k").Save(ctx)
		require.ErrorIs(t, err, database.ErrNoTx)
		require.Zero(t, e.client.Order.Query().CountX(ctx), "nothing written")
	})
}

func TestOutageShorterThanBudgetRecovers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, envOpts{maxAttempts: 6})
		// Two 5xx answers and a hang (the client times out): three failed
		// attempts, then the gateway is back.
		e.sms.FailNext(2, http.StatusServiceUnavailable)
		e.sms.HangNext(1)
		e.start()
		c := e.customer(1)
		o, err := e.placeOrder(c, nil)
		require.NoError(t, err)
		ns := e.waitSettled(o.ID, 4)
		for _, n := range ns {
			require.Equal(t, notification.StatusSENT, n.Status)
			if n.Channel == notification.ChannelSMS {
				require.Equal(t, 4, n.Attempts)
				require.Nil(t, n.LastError, "cleared once sent")
			}
		}
		require.Len(t, e.smsTo(c.phone), 1, "delivered once")
		require.Equal(t, 4, e.sms.Requests())
		require.Equal(t, 1.0, e.attempts("sms", "sent"))
		require.Equal(t, 3.0, e.attempts("sms", "retried"))
		require.Equal(t, 0.0, e.attempts("sms", "failed"))
		require.Equal(t, 3.0, e.attempts("email", "sent"), "the customer and two admins")
	})
}

func TestOutageLongerThanBudgetFailsThenRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, envOpts{maxAttempts: 3})
		e.sms.FailNext(100, http.StatusBadGateway)
		e.start()
		c := e.customer(1)
		o, err := e.placeOrder(c, nil)
		require.NoError(t, err)
		var sms *ent.Notification
		for _, n := range e.waitSettled(o.ID, 4) {
			if n.Channel == notification.ChannelSMS {
				sms = n
			}
		}
		require.Equal(t, notification.StatusFAILED, sms.Status)
		require.Equal(t, 3, sms.Attempts)
		require.NotNil(t, sms.LastError)
		require.Contains(t, *sms.LastError, "502")
		require.Nil(t, sms.SentAt)
		require.Empty(t, e.smsTo(c.phone))
		require.Equal(t, 2.0, e.attempts("sms", "retried"))
		require.Equal(t, 1.0, e.attempts("sms", "failed"), "out of attempts")

		// Only a failed one can be retried.
		ctx := viewer.System(context.Background(), "test: set up")
		for _, n := range e.notifications(o.ID) {
			if n.Status == notification.StatusSENT {
				err := database.InTx(ctx, e.client, func(ctx context.Context) error {
					_, err := e.ob.Retry(ctx, ent.FromContext(ctx), n.ID)
					return err
				})
				require.ErrorIs(t, err, outbox.ErrNotFailed)
			}
		}
		err = database.InTx(ctx, e.client, func(ctx context.Context) error {
			_, err := e.ob.Retry(ctx, ent.FromContext(ctx), 1<<40)
			return err
		})
		require.ErrorIs(t, err, outbox.ErrNotFound)

		// The outage ends; staff retry it.
		e.sms.ClearFaults()
		require.NoError(t, database.InTx(ctx, e.client, func(ctx context.Context) error {
			n, err := e.ob.Retry(ctx, ent.FromContext(ctx), sms.ID)
			if err == nil && n.Status != notification.StatusPENDING {
				err = errors.New("retried notification is not pending")
			}
			return err
		}))
		for _, n := range e.waitSettled(o.ID, 4) {
			require.Equal(t, notification.StatusSENT, n.Status)
		}
		require.Len(t, e.smsTo(c.phone), 1)
		sms, err = e.client.Notification.Get(ctx, sms.ID)
		require.NoError(t, err)
		require.Equal(t, 4, sms.Attempts)
	})
}

func TestPermanentFailureFailsAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, envOpts{maxAttempts: 10})
		e.sms.RespondNext(1, 403) // InvalidPhoneNumber
		e.start()
		o, err := e.placeOrder(e.customer(1), nil)
		require.NoError(t, err)
		for _, n := range e.waitSettled(o.ID, 4) {
			if n.Channel == notification.ChannelSMS {
				require.Equal(t, notification.StatusFAILED, n.Status)
				require.Equal(t, 1, n.Attempts, "no retry of a permanent failure")
				require.NotNil(t, n.LastError)
				require.Equal(t, 1.0, e.attempts("sms", "failed"))
				require.Equal(t, 0.0, e.attempts("sms", "retried"))
			} else {
				require.Equal(t, notification.StatusSENT, n.Status)
			}
		}
		e.waitJobsFinalized()
		require.Equal(t, 1, jobstest.States(t, e.jobs)[rivertype.JobStateCancelled])
	})
}

// The process dies after the order committed and before any worker ran:
// the next process delivers everything, once; and a job that runs again
// for a delivered notification sends nothing.
func TestCrashBeforeDeliveryDeliversOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		first := newEnv(t, db, envOpts{})
		c := first.customer(1)
		o, err := first.placeOrder(c, nil)
		require.NoError(t, err)
		// "Killed": its River client never started, as if the process had
		// died right after the commit.
		require.Len(t, first.notifications(o.ID), 4)
		for _, n := range first.notifications(o.ID) {
			require.Equal(t, notification.StatusPENDING, n.Status)
		}

		second := newEnv(t, db, envOpts{smsServer: first.sms, mail: first.mail})
		second.start()
		for _, n := range second.waitSettled(o.ID, 4) {
			require.Equal(t, notification.StatusSENT, n.Status)
			require.Equal(t, 1, n.Attempts)
		}
		second.waitJobsFinalized()
		require.Len(t, second.smsTo(c.phone), 1)
		require.Len(t, second.mail.to(c.email), 1)

		// The same deliveries enqueued again (a re-run) send nothing.
		ctx := viewer.System(context.Background(), "test: set up")
		delivered := second.notifications(o.ID) // read before the transaction: SQLite has one connection
		require.NoError(t, database.InTx(ctx, second.client, func(ctx context.Context) error {
			tx, err := database.SQLTx(ctx)
			if err != nil {
				return err
			}
			for _, n := range delivered {
				if _, err := second.jobs.InsertTx(ctx, tx, outbox.DeliverArgs{NotificationID: n.ID}, nil); err != nil {
					return err
				}
			}
			return nil
		}))
		second.waitJobsFinalized()
		require.Len(t, second.smsTo(c.phone), 1, "never sent twice")
		require.Len(t, second.mail.to(c.email), 1)
		for _, n := range second.notifications(o.ID) {
			require.Equal(t, 1, n.Attempts)
		}
		if n := second.mailpitCount(o.Number); n >= 0 {
			require.Equal(t, 3, n)
		}
	})
}
