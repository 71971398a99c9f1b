package templates_test

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify/templates"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current templates")

// typical is an ordinary order: the SMS for it must fit one message.
func typical() templates.Data {
	return templates.Data{
		StoreName:     "Savannah Crafts",
		OrderNumber:   "SAV-10234",
		CustomerName:  "Wanjiru Kamau",
		CustomerEmail: "wanjiru@example.com",
		CustomerPhone: "+254711000001",
		Items: []templates.Item{
			{Name: "Maasai Shuka Blanket", Variant: "Red / Large", Quantity: 2, LineTotal: templates.Money{Minor: 499800, Currency: "KES"}},
			{Name: "Kikoy Beach Towel", Quantity: 1, LineTotal: templates.Money{Minor: 129900, Currency: "KES"}},
			{Name: "Salt & Pepper Soapstone Set", Variant: "Natural", Quantity: 1, LineTotal: templates.Money{Minor: 85000, Currency: "KES"}},
		},
		Total:            templates.Money{Minor: 714700, Currency: "KES"},
		PricesIncludeTax: true,
		Tax:              templates.Money{Minor: 98579, Currency: "KES"},
		Taxes:            []templates.Tax{{Name: "VAT 16%", Amount: templates.Money{Minor: 98579, Currency: "KES"}}},
		Net:              templates.Money{Minor: 616121, Currency: "KES"},
		Tracking:         "G4S KE-88213409",
		Note:             "Leave the parcel with the gate attendant.",
	}
}

func newSet(t *testing.T) *templates.Set {
	t.Helper()
	s, err := templates.New()
	require.NoError(t, err)
	return s
}

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/notify/templates -update to create it")
	require.Equal(t, string(want), got, "%s differs; if the change is intended, run with -update and review the diff", path)
}

func TestGolden(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	for _, ev := range templates.Events() {
		t.Run(string(ev), func(t *testing.T) {
			d := typical()
			sms, err := s.SMS(ev, d)
			require.NoError(t, err)
			golden(t, string(ev)+".sms", sms.Body+"\n")

			e, err := s.Email(ev, d)
			require.NoError(t, err)
			require.Empty(t, e.To, "the caller addresses the message")
			golden(t, string(ev)+".email", "Subject: "+e.Subject+"\n\n"+e.Text+"\n"+e.HTML)

			// Without the optional fields no empty "Tracking:" or
			// "Reason:" is left behind.
			d.Tracking, d.Note, d.CustomerEmail, d.CustomerPhone = "", "", "", ""
			sms, err = s.SMS(ev, d)
			require.NoError(t, err)
			e, err = s.Email(ev, d)
			require.NoError(t, err)
			for _, txt := range []string{sms.Body, e.Text, e.HTML} {
				require.NotRegexp(t, `(Tracking|Reason|Note):\s*(\.|<|$)`, txt)
			}
		})
	}
	e, err := s.AdminEmail(templates.OrderPlaced, typical())
	require.NoError(t, err)
	golden(t, "admin_order_placed.email", "Subject: "+e.Subject+"\n\n"+e.Text+"\n"+e.HTML)
}

func TestEveryEmailShowsTheOrder(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	d := typical()
	for _, ev := range templates.Events() {
		e, err := s.Email(ev, d)
		require.NoError(t, err)
		require.Contains(t, e.Subject, d.OrderNumber, ev)
		require.Contains(t, e.Subject, d.StoreName, ev)
		require.NotContains(t, e.Subject, "\n", ev)
		for _, part := range []string{e.Text, e.HTML} {
			require.Contains(t, part, d.OrderNumber, ev)
			require.Contains(t, part, "KES 7,147.00", ev)
			require.Contains(t, part, "KES 4,998.00", ev)
			require.Contains(t, part, "Maasai Shuka Blanket", ev)
			require.Contains(t, part, "Red / Large", ev)
			require.Contains(t, part, d.StoreName, ev)
		}
		require.Contains(t, e.Text, "Hi Wanjiru,", ev)
		require.Contains(t, e.HTML, "<title>"+strings.ReplaceAll(e.Subject, "&", "&amp;")+"</title>", ev)

		sms, err := s.SMS(ev, d)
		require.NoError(t, err)
		require.Contains(t, sms.Body, d.OrderNumber, ev)
		require.True(t, strings.HasPrefix(sms.Body, d.StoreName+": "), ev)
	}
}

func TestTypicalSMSFitsOneMessage(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	d := typical()
	// A long note or tracking reference is shortened rather than sent as
	// a second message.
	long := typical()
	long.Note = strings.Repeat("The customer asked us to cancel because of a delay. ", 5)
	long.Tracking = strings.Repeat("KE-88213409 ", 10)
	long.Total = templates.Money{Minor: 12345678900, Currency: "KES"}
	for _, ev := range templates.Events() {
		for name, data := range map[string]templates.Data{"typical": d, "long notes": long} {
			sms, err := s.SMS(ev, data)
			require.NoError(t, err)
			require.Equal(t, templates.GSM7, sms.Encoding, "%s %s: %q", ev, name, sms.Body)
			require.LessOrEqual(t, templates.Length(sms.Body, sms.Encoding), 160, "%s %s: %q", ev, name, sms.Body)
			require.Equal(t, 1, sms.Segments, "%s %s", ev, name)
		}
	}
}

func TestSMSNonGSMCharacters(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	tests := []struct {
		name     string
		customer string
		note     string
		wantName string
		encoding templates.Encoding
	}{
		{"accents the alphabet lacks are dropped", "Wanjirũ Njeri", "", "Wanjiru", templates.GSM7},
		{"accents the alphabet has stay", "José Muñoz", "", "José", templates.GSM7},
		{"diaeresis outside the alphabet", "Zoë Otieno", "", "Zoe", templates.GSM7},
		{"typographic quotes and dashes", "Akinyi", "Customer’s request — “out of stock”", "Akinyi", templates.GSM7},
		{"a script without a GSM form keeps the text as UCS-2", "张伟", "", "张伟", templates.UCS2},
		{"emoji force UCS-2", "Baraka🙂 Otieno", "", "Baraka🙂", templates.UCS2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := typical()
			d.CustomerName, d.Note = tt.customer, tt.note
			sms, err := s.SMS(templates.OrderPlaced, d)
			require.NoError(t, err)
			require.Equal(t, tt.encoding, sms.Encoding, sms.Body)
			require.Contains(t, sms.Body, "Hi "+tt.wantName+",")
			if tt.encoding == templates.GSM7 {
				got, ok := templates.ToGSM7(sms.Body)
				require.True(t, ok)
				require.Equal(t, sms.Body, got, "the body is already GSM-7")
			}
			require.Equal(t, templates.Segments(sms.Body, sms.Encoding), sms.Segments)
			require.NotContains(t, sms.Body, "?", "nothing is replaced by question marks")

			c, err := s.SMS(templates.OrderCancelled, d)
			require.NoError(t, err)
			if tt.note != "" {
				require.Contains(t, c.Body, `Reason: Customer's request - "out of stock".`)
			}
		})
	}
}

func TestToGSM7AndSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		out      string
		ok       bool
		length   int
		segments int
	}{
		{"hello", "hello", true, 5, 1},
		{"price in € {euro}", "price in € {euro}", true, 20, 1}, // €, { and } take two septets
		{"Ngũgĩ wa Thiong’o…", "Ngugi wa Thiong'o...", true, 20, 1},
		{strings.Repeat("a", 160), strings.Repeat("a", 160), true, 160, 1},
		{strings.Repeat("a", 161), strings.Repeat("a", 161), true, 161, 2},
		{strings.Repeat("a", 306), strings.Repeat("a", 306), true, 306, 2},
		{strings.Repeat("a", 307), strings.Repeat("a", 307), true, 307, 3},
		{"ሰላም", "ሰላም", false, 3, 1},
		{strings.Repeat("ሰ", 71), strings.Repeat("ሰ", 71), false, 71, 2},
		{"🙂", "🙂", false, 2, 1}, // a surrogate pair: two UCS-2 units
	}
	for _, tt := range tests {
		out, ok := templates.ToGSM7(tt.in)
		require.Equal(t, tt.ok, ok, tt.in)
		require.Equal(t, tt.out, out, tt.in)
		enc := templates.GSM7
		if !ok {
			enc = templates.UCS2
		}
		require.Equal(t, tt.length, templates.Length(out, enc), tt.in)
		require.Equal(t, tt.segments, templates.Segments(out, enc), tt.in)
	}
}

func TestHTMLEscaping(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	d := typical()
	d.StoreName = `Duka "Bora" & Sons`
	d.CustomerName = `<img src=x onerror=alert(1)> Mallory`
	d.Items[0].Name = `<script>alert("x")</script>`
	d.Items[0].Variant = `</td><td>`
	d.Note = `<b>bold</b>`
	d.Tracking = `"><script>`
	d.CustomerEmail = `x"onmouseover="alert(1)@example.com`
	for _, ev := range templates.Events() {
		e, err := s.Email(ev, d)
		require.NoError(t, err)
		require.NotContains(t, e.HTML, "<script>", ev)
		require.NotContains(t, e.HTML, "<img", ev)
		require.NotContains(t, e.HTML, "<b>", ev)
		require.NotContains(t, e.HTML, "</td><td>", ev)
		require.Contains(t, e.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", ev)
		require.Contains(t, e.HTML, "Duka &#34;Bora&#34; &amp; Sons", ev)
		// The text part is not HTML: it shows the name as written.
		require.Contains(t, e.Text, `<script>alert("x")</script>`, ev)
	}
	a, err := s.AdminEmail(templates.OrderPlaced, d)
	require.NoError(t, err)
	require.NotContains(t, a.HTML, `"onmouseover=`)
	require.NotContains(t, a.HTML, "<img")
}

func TestAdminEmailOnlyForNewOrders(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	for _, ev := range templates.Events() {
		_, err := s.AdminEmail(ev, typical())
		if ev == templates.OrderPlaced {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, templates.ErrNoTemplate, ev)
	}
	_, err := s.SMS("order_teleported", typical())
	require.ErrorIs(t, err, templates.ErrNoTemplate)
	_, err = s.Email("order_teleported", typical())
	require.ErrorIs(t, err, templates.ErrNoTemplate)
}

func TestParseFailsOnBrokenTree(t *testing.T) {
	t.Parallel()
	embedded := func(t *testing.T) fstest.MapFS {
		m := fstest.MapFS{}
		sub, err := templates.New() // the real set parses
		require.NoError(t, err)
		require.NotNil(t, sub)
		require.NoError(t, fs.WalkDir(os.DirFS("."), "tmpl", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			m[p] = &fstest.MapFile{Data: b}
			return err
		}))
		return m
	}
	tests := map[string]func(m fstest.MapFS){
		"missing sms":          func(m fstest.MapFS) { delete(m, "tmpl/sms/order_shipped.txt") },
		"missing html":         func(m fstest.MapFS) { delete(m, "tmpl/email/payment_failed.html") },
		"missing admin":        func(m fstest.MapFS) { delete(m, "tmpl/email/admin_order_placed.txt") },
		"no subject":           func(m fstest.MapFS) { m["tmpl/email/order_placed.txt"].Data = []byte(`{{define "content"}}x{{end}}`) },
		"syntax error":         func(m fstest.MapFS) { m["tmpl/sms/order_placed.txt"].Data = []byte(`{{.StoreName`) },
		"html without content": func(m fstest.MapFS) { m["tmpl/email/order_placed.html"].Data = []byte(`hello`) },
	}
	for name, breakIt := range tests {
		t.Run(name, func(t *testing.T) {
			m := embedded(t)
			_, err := templates.Parse(m)
			require.NoError(t, err, "the copy parses before it is broken")
			breakIt(m)
			_, err = templates.Parse(m)
			require.Error(t, err)
		})
	}
	// An unknown field is an error at render time, not a blank.
	m := embedded(t)
	m["tmpl/sms/order_placed.txt"].Data = []byte(`{{.Nope}}`)
	s, err := templates.Parse(m)
	require.NoError(t, err)
	_, err = s.SMS(templates.OrderPlaced, typical())
	require.Error(t, err)
	require.False(t, errors.Is(err, templates.ErrNoTemplate))
}

func BenchmarkRender(b *testing.B) {
	s, err := templates.New()
	require.NoError(b, err)
	d := typical()
	b.Run("sms", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.SMS(templates.OrderPlaced, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("email", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Email(templates.OrderPlaced, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := templates.New(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEmailShowsShippingAndTax: an order's email shows its shipping when
// it cost something, and with tax its net, each rate's tax and the gross
// total; an order without tax shows only its total.
func TestEmailShowsShippingAndTax(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	kes := func(minor int64) templates.Money { return templates.Money{Minor: minor, Currency: "KES"} }
	d := typical()
	d.Shipping, d.Total, d.Net, d.Tax = kes(25000), kes(739700), kes(637672), kes(102028)
	d.Taxes = []templates.Tax{{Name: "VAT 16%", Amount: kes(102028)}}
	mail, err := s.Email(templates.OrderPlaced, d)
	require.NoError(t, err)
	require.Contains(t, mail.Text, "Shipping: KES 250.00\n\nTotal: KES 7,397.00\nNet (before tax): KES 6,376.72\nIncludes VAT 16%: KES 1,020.28\n")
	require.Contains(t, mail.HTML, ">Shipping<")
	require.Contains(t, mail.HTML, "KES 6,376.72")

	d.Shipping, d.Taxes, d.Tax, d.Net = templates.Money{}, nil, templates.Money{}, d.Total
	mail, err = s.Email(templates.OrderPlaced, d)
	require.NoError(t, err)
	require.Contains(t, mail.Text, "Total: KES 7,397.00\n\nSavannah Crafts")
	for _, part := range []string{mail.Text, mail.HTML} {
		require.NotContains(t, part, "Shipping")
		require.NotContains(t, part, "Net (before tax)")
		require.NotContains(t, part, "VAT")
	}
}
