package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/jobs"
	"github.com/savannah-commerce/savannah/internal/notify/email"
	"github.com/savannah-commerce/savannah/internal/notify/outbox"
	"github.com/savannah-commerce/savannah/internal/notify/sms"
	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestOrderMessagesShowVAT: a placed order's email (over SMTP to Mailpit:
// TEST_SMTP_URL, TEST_MAILPIT_API; skipped without them) shows the net,
// the VAT and the gross total, and its SMS (to the local Africa's Talking)
// the VAT, all as the order was placed: a rate changed before delivery
// changes neither.
func TestOrderMessagesShowVAT(t *testing.T) {
	smtpURL, mpAPI := mailpit(t)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newStore(t, db, demoCatalog(t))
		ctx := viewer.System(context.Background(), "test: set up")
		std := s.client.TaxClass.Create().SetCode("standard").SetName("Standard").SaveX(ctx)
		vat := s.client.TaxRate.Create().SetTaxClass(std).SetName("VAT").SetBasisPoints(1600).SaveX(ctx)
		vs := stockedVariants(t, s, 1, 10)
		require.NoError(t, vs[0].Update().SetPriceMinor(9999).Exec(ctx))

		// The order is placed while no worker runs; the rate changes
		// before its messages are rendered.
		name := fmt.Sprintf("vat%d", time.Now().UnixNano())
		shopper, shopperID := s.asCustomer(t, name)
		p := shopper.cartOp(t, "CartCreate", map[string]any{"lines": []any{line(vs[0], 3)}})
		out := decodePlace(t, shopper.post(s.ops["PlaceOrder"], "PlaceOrder", placeOrderVars(p.Cart.ID, "vat-mail")))
		require.Empty(t, out.PlaceOrder.UserErrors)
		number := out.PlaceOrder.Order.Number
		require.NoError(t, vat.Update().SetBasisPoints(800).Exec(ctx))

		gw := smstest.New(t)
		smsClient, err := sms.New(sms.Config{BaseURL: gw.URL(), Username: smstest.Username, APIKey: smstest.APIKey, Timeout: time.Second})
		require.NoError(t, err)
		sender, err := email.New(email.Config{URL: smtpURL, From: "Savannah <shop@savannah.example>", Timeout: 10 * time.Second})
		require.NoError(t, err)
		set, err := templates.New()
		require.NoError(t, err)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		workers := river.NewWorkers()
		river.AddWorker(workers, outbox.NewWorker(outbox.WorkerConfig{
			Client: s.client, Templates: set, SMS: smsClient, Email: sender,
			StoreName: "Savannah", Backoff: outbox.Backoff{Base: time.Millisecond, Max: time.Millisecond},
		}))
		require.NoError(t, jobs.Migrate(context.Background(), db))
		rc, err := jobs.New(db, jobs.Config{Workers: workers, PollInterval: 20 * time.Millisecond, Logger: quiet})
		require.NoError(t, err)
		require.NoError(t, rc.Start(context.Background()))
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, jobs.Stop(stop, rc))
		})

		// 3 × 99.99 = 299.97 at 16 % included: net 258.59, VAT 41.38.
		msgs := gw.WaitMessages(t, 1, 20*time.Second)
		require.Contains(t, msgs[0].Body, "total KES 299.97 incl. VAT KES 41.38", "the SMS shows the VAT as placed")

		addr := s.client.Customer.GetX(ctx, shopperID).Email
		msg := mailpitFind(t, mpAPI, "to:"+addr+" subject:"+number)
		text := strings.ReplaceAll(msg.Text, "\r\n", "\n") // SMTP's line ends
		require.Contains(t, text, "Total: KES 299.97\nNet (before tax): KES 258.59\nIncludes VAT: KES 41.38")
		require.Contains(t, msg.HTML, "KES 258.59")
		require.Contains(t, msg.HTML, "KES 41.38")
	})
}
