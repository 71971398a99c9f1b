package email_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify/email"
	"github.com/savannah-commerce/savannah/internal/notify/templates"
)

// mailpitEnv returns TEST_SMTP_URL and TEST_MAILPIT_API (set by
// `eval "$(bash .ci/services.sh start)"`), skipping the test when they are
// unset unless SAVANNAH_REQUIRE_SERVICES=1 demands them.
func mailpitEnv(t *testing.T) (smtpURL, api string) {
	t.Helper()
	smtpURL, api = os.Getenv("TEST_SMTP_URL"), os.Getenv("TEST_MAILPIT_API")
	if smtpURL == "" || api == "" {
		if os.Getenv("SAVANNAH_REQUIRE_SERVICES") == "1" {
			t.Fatal("SAVANNAH_REQUIRE_SERVICES=1 but TEST_SMTP_URL or TEST_MAILPIT_API is not set: run eval \"$(bash .ci/services.sh start)\"")
		}
		t.Skip("TEST_SMTP_URL and TEST_MAILPIT_API are not set: no Mailpit to send to (eval \"$(bash .ci/services.sh start)\" starts one)")
	}
	return smtpURL, strings.TrimRight(api, "/")
}

type mpAddress struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

type mpSummary struct {
	ID        string      `json:"ID"`
	MessageID string      `json:"MessageID"`
	Subject   string      `json:"Subject"`
	To        []mpAddress `json:"To"`
}

type mpMessage struct {
	mpSummary
	From mpAddress `json:"From"`
	Text string    `json:"Text"`
	HTML string    `json:"HTML"`
}

func mpGet(t *testing.T, rawURL string, out any) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out))
	}
	return b
}

// waitMessages searches Mailpit for token until want messages carry it, or
// fails after a deadline. The mailbox is shared with other tests, so it is
// filtered, never cleared.
func waitMessages(t *testing.T, api, token string, want int) []mpSummary {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var res struct {
			Messages []mpSummary `json:"messages"`
		}
		mpGet(t, api+"/api/v1/search?query="+url.QueryEscape(token), &res)
		var hits []mpSummary
		for _, m := range res.Messages {
			if strings.Contains(m.Subject, token) {
				hits = append(hits, m)
			}
		}
		if len(hits) >= want || time.Now().After(deadline) {
			require.Len(t, hits, want, "messages carrying %s in Mailpit", token)
			return hits
		}
		<-tick.C
	}
}

func TestMailpitDelivery(t *testing.T) {
	t.Parallel()
	smtpURL, api := mailpitEnv(t)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	token := "T" + hex.EncodeToString(rnd[:])

	set, err := templates.New()
	require.NoError(t, err)
	data := templates.Data{
		StoreName:     "Savannah Crafts",
		OrderNumber:   "SAV-" + token,
		CustomerName:  "Wanjirũ Kamau",
		CustomerEmail: "wanjiru." + token + "@example.com",
		Items: []templates.Item{
			{Name: "Maasai Shuka Blanket", Variant: "Red / Large", Quantity: 2, LineTotal: templates.Money{Minor: 499800, Currency: "KES"}},
			{Name: `<script>alert("x")</script>`, Quantity: 1, LineTotal: templates.Money{Minor: 129900, Currency: "KES"}},
		},
		Total: templates.Money{Minor: 628800, Currency: "KES"},
	}
	admins := []string{"ops." + token + "@savannah.example", "Store Owner <owner." + token + "@savannah.example>"}
	s, err := email.New(email.Config{URL: smtpURL, From: from, Admins: admins, Timeout: 10 * time.Second})
	require.NoError(t, err)

	customer, err := set.Email(templates.OrderPlaced, data)
	require.NoError(t, err)
	customer.To = []string{data.CustomerName + " <" + data.CustomerEmail + ">"}
	admin, err := set.AdminEmail(templates.OrderPlaced, data)
	require.NoError(t, err)
	admin.To = s.Admins()

	ctx := context.Background()
	custRes, err := s.SendEmail(ctx, customer)
	require.NoError(t, err)
	adminRes, err := s.SendEmail(ctx, admin)
	require.NoError(t, err)
	require.NotEqual(t, custRes.ProviderID, adminRes.ProviderID)

	hits := waitMessages(t, api, token, 2)
	byMessageID := map[string]mpSummary{}
	for _, h := range hits {
		byMessageID[h.MessageID] = h
	}
	require.Contains(t, byMessageID, custRes.ProviderID, "the provider ID is the Message-ID Mailpit saw")
	require.Contains(t, byMessageID, adminRes.ProviderID)

	tests := []struct {
		name string
		id   string
		want []string
		e    func() (string, string, string)
	}{
		{"customer", custRes.ProviderID, []string{data.CustomerEmail}, func() (string, string, string) { return customer.Subject, customer.Text, customer.HTML }},
		{"administrators", adminRes.ProviderID, []string{"ops." + token + "@savannah.example", "owner." + token + "@savannah.example"}, func() (string, string, string) { return admin.Subject, admin.Text, admin.HTML }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := byMessageID[tt.id]
			var m mpMessage
			mpGet(t, api+"/api/v1/message/"+url.PathEscape(sum.ID), &m)
			subject, text, html := tt.e()
			require.Equal(t, subject, m.Subject, "the encoded subject decodes to the original")
			require.Equal(t, mpAddress{Name: "Savannah Crafts", Address: "orders@savannah.example"}, m.From)
			var got []string
			for _, a := range m.To {
				got = append(got, a.Address)
			}
			sort.Strings(got)
			require.Equal(t, tt.want, got, "each message goes to its own recipients only")
			require.Contains(t, m.Text, data.OrderNumber)
			require.Contains(t, m.HTML, data.OrderNumber)
			require.NotContains(t, m.HTML, "<script>")

			raw := mpGet(t, api+"/api/v1/message/"+url.PathEscape(sum.ID)+"/raw", nil)
			h, parts := parseMessage(t, raw)
			require.Equal(t, "<"+tt.id+">", h.Get("Message-Id"))
			_, err := time.Parse(time.RFC1123Z, h.Get("Date"))
			require.NoError(t, err)
			require.Len(t, parts, 2)
			require.Equal(t, "text/plain; charset=utf-8", parts[0].contentType)
			require.Equal(t, strings.ReplaceAll(text, "\n", "\r\n"), parts[0].body)
			require.Equal(t, "text/html; charset=utf-8", parts[1].contentType)
			require.Equal(t, strings.ReplaceAll(html, "\n", "\r\n"), parts[1].body)
		})
	}
}
