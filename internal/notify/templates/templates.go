// Package templates renders the texts of Savannah's notifications: for
// each event an SMS (text/template) and an email (a subject, a text part
// from text/template and an HTML part from html/template, which escapes
// everything the data brings) to the customer, and for a new order an email
// to the store's administrators.
//
// The templates are embedded in the binary and parsed once by New. They
// take a plain Data struct, so that they can be rendered and tested without
// a database.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"

	"github.com/savannah-commerce/savannah/internal/notify"
)

// Event names what happened to an order; each has its own templates.
type Event string

// The events customers are told about.
const (
	OrderPlaced      Event = "order_placed"
	OrderConfirmed   Event = "order_confirmed"
	OrderShipped     Event = "order_shipped"
	OrderDelivered   Event = "order_delivered"
	OrderCancelled   Event = "order_cancelled"
	PaymentSucceeded Event = "payment_succeeded"
	PaymentFailed    Event = "payment_failed"
)

// Events lists every event, in the order of an order's life.
func Events() []Event {
	return []Event{OrderPlaced, OrderConfirmed, OrderShipped, OrderDelivered, OrderCancelled, PaymentSucceeded, PaymentFailed}
}

// GuestOrderPlaced tells a guest of their new order, with the link that
// opens it (Data.Secret: the order-access token), by SMS or email.
const GuestOrderPlaced Event = "guest_order_placed"

// The account events: messages about the account, not an order, each
// carrying a one-time secret (Data.Secret).
const (
	// PasswordReset carries a reset link (email) or code (SMS).
	PasswordReset Event = "password_reset"
	// VerifyEmail carries the code that verifies an email address.
	VerifyEmail Event = "verify_email"
	// VerifyPhone carries the code that verifies a phone number.
	VerifyPhone Event = "verify_phone"
	// WebhookDisabled tells an administrator that a webhook
	// subscription was disabled after persistent failure; Data.Secret
	// carries the subscription's URL and the reason (kept, like a secret,
	// only until the message is delivered).
	WebhookDisabled Event = "webhook_disabled"
)

// accountEvents lists the account events with the channels they are
// sent on.
var accountEvents = []struct {
	ev         Event
	sms, email bool
}{
	{PasswordReset, true, true},
	{VerifyEmail, false, true},
	{VerifyPhone, true, false},
	{WebhookDisabled, false, true},
}

// IsAccount reports whether ev is an account event (no order behind it).
func IsAccount(ev Event) bool {
	for _, a := range accountEvents {
		if a.ev == ev {
			return true
		}
	}
	return false
}

// adminEvents lists the events the administrators get an email for.
var adminEvents = []Event{OrderPlaced}

// Data is what the templates show. Amounts are already in the store's
// currency.
type Data struct {
	// StoreName signs every message.
	StoreName string
	// OrderNumber is the customer-facing order number ("SAV-10234").
	OrderNumber string
	// CustomerName is the customer's full name; SMS use the first word.
	CustomerName string
	// CustomerEmail and CustomerPhone appear in the administrators' email.
	CustomerEmail, CustomerPhone string
	// Items are the order's lines.
	Items []Item
	// Total is what the order costs (or what the payment was for).
	Total Money
	// PricesIncludeTax says whether the items' prices included the tax
	// (a tax-inclusive store, as in Kenya) or it was added to them; Total
	// includes it either way.
	PricesIncludeTax bool
	// Tax is the order's tax in total; Taxes are its lines, one per rate
	// (VAT 16 %...), as placed. None: the order bore no tax.
	Tax   Money
	Taxes []Tax
	// Net is Total without its tax, as placed (Total is the gross).
	Net Money
	// Shipping is what delivery costs, tax included, as placed; zero
	// for free shipping or pickup.
	Shipping Money
	// Tracking is the carrier and tracking reference of a shipped order.
	Tracking string
	// Note is the reason of a cancellation or a failed payment, or a
	// delivery note; optional.
	Note string
	// Secret is an account event's one-time code or reset link, or a
	// guest's order link (GuestOrderPlaced).
	Secret string
}

// Item is one line of an order.
type Item struct {
	// Name is the product's name.
	Name string
	// Variant names the variant ("Red / XL"); empty for single-variant
	// products.
	Variant string
	// Quantity is how many were ordered.
	Quantity int
	// LineTotal is the price of the line (unit price × quantity).
	LineTotal Money
}

// Tax is what one tax rate adds to an order.
type Tax struct {
	// Name is the rate's, such as "VAT 16%".
	Name   string
	Amount Money
}

// SMS is a rendered text message.
type SMS struct {
	// Body is the text to send, in the GSM-7 alphabet when Encoding is GSM7.
	Body string
	// Encoding is how the provider will carry Body.
	Encoding Encoding
	// Segments is how many messages Body takes (and is billed as).
	Segments int
}

// ErrNoTemplate is returned for an event that has no template for the
// requested channel or audience.
var ErrNoTemplate = errors.New("templates: no template for this event")

//go:embed tmpl
var files embed.FS

// Set holds the parsed templates. It is safe for concurrent use.
type Set struct {
	sms       map[Event]*texttemplate.Template
	text      map[Event]*texttemplate.Template
	html      map[Event]*htmltemplate.Template
	adminText map[Event]*texttemplate.Template
	adminHTML map[Event]*htmltemplate.Template
}

// funcs are the helpers templates may call.
var funcs = map[string]any{
	"firstName": firstName,
	"truncate":  truncate,
	"sentence":  sentence,
}

// New parses the embedded templates, failing if any event lacks one.
func New() (*Set, error) {
	return parse(files)
}

// parse builds a Set from fsys (the embedded files, or a broken copy in
// tests).
func parse(fsys fs.FS) (*Set, error) {
	s := &Set{
		sms:       map[Event]*texttemplate.Template{},
		text:      map[Event]*texttemplate.Template{},
		html:      map[Event]*htmltemplate.Template{},
		adminText: map[Event]*texttemplate.Template{},
		adminHTML: map[Event]*htmltemplate.Template{},
	}
	textBase, err := texttemplate.New("").Funcs(funcs).ParseFS(fsys, "tmpl/email/layout.txt")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	htmlBase, err := htmltemplate.New("").Funcs(funcs).ParseFS(fsys, "tmpl/email/layout.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	load := func(ev Event, prefix string, texts map[Event]*texttemplate.Template, htmls map[Event]*htmltemplate.Template) error {
		t, err := textBase.Clone()
		if err == nil {
			t, err = t.ParseFS(fsys, "tmpl/email/"+prefix+string(ev)+".txt")
		}
		if err != nil {
			return fmt.Errorf("templates: %w", err)
		}
		if t.Lookup("subject") == nil || t.Lookup("content") == nil {
			return fmt.Errorf("templates: %s%s.txt must define subject and content", prefix, ev)
		}
		h, err := htmlBase.Clone()
		if err == nil {
			h, err = h.ParseFS(fsys, "tmpl/email/"+prefix+string(ev)+".html")
		}
		if err != nil {
			return fmt.Errorf("templates: %w", err)
		}
		if h.Lookup("content") == nil {
			return fmt.Errorf("templates: %s%s.html must define content", prefix, ev)
		}
		texts[ev], htmls[ev] = t, h
		return nil
	}
	for _, ev := range Events() {
		t, err := texttemplate.New(string(ev)).Funcs(funcs).ParseFS(fsys, "tmpl/sms/"+string(ev)+".txt")
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		s.sms[ev] = t.Lookup(string(ev) + ".txt")
		if err := load(ev, "", s.text, s.html); err != nil {
			return nil, err
		}
	}
	{
		ev := GuestOrderPlaced
		t, err := texttemplate.New(string(ev)).Funcs(funcs).ParseFS(fsys, "tmpl/sms/"+string(ev)+".txt")
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		s.sms[ev] = t.Lookup(string(ev) + ".txt")
		if err := load(ev, "", s.text, s.html); err != nil {
			return nil, err
		}
	}
	for _, a := range accountEvents {
		if a.sms {
			t, err := texttemplate.New(string(a.ev)).Funcs(funcs).ParseFS(fsys, "tmpl/sms/"+string(a.ev)+".txt")
			if err != nil {
				return nil, fmt.Errorf("templates: %w", err)
			}
			s.sms[a.ev] = t.Lookup(string(a.ev) + ".txt")
		}
		if a.email {
			if err := load(a.ev, "", s.text, s.html); err != nil {
				return nil, err
			}
		}
	}
	for _, ev := range adminEvents {
		if err := load(ev, "admin_", s.adminText, s.adminHTML); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// SMS renders the customer's text message for ev. Runs of white space
// (the templates' line breaks) collapse to one space, and the text is
// rewritten into the GSM-7 alphabet when that is possible (see ToGSM7).
func (s *Set) SMS(ev Event, d Data) (SMS, error) {
	t, ok := s.sms[ev]
	if !ok {
		return SMS{}, fmt.Errorf("%w: sms %q", ErrNoTemplate, ev)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return SMS{}, fmt.Errorf("templates: sms %s: %w", ev, err)
	}
	body, enc := strings.Join(strings.Fields(b.String()), " "), GSM7
	if g, ok := ToGSM7(body); ok {
		body = g
	} else {
		enc = UCS2
	}
	return SMS{Body: body, Encoding: enc, Segments: Segments(body, enc)}, nil
}

// Email renders the customer's email for ev; the caller sets its To.
func (s *Set) Email(ev Event, d Data) (notify.Email, error) {
	return render(ev, d, s.text, s.html)
}

// AdminEmail renders the administrators' email for ev (only OrderPlaced
// has one; other events return ErrNoTemplate); the caller sets its To.
func (s *Set) AdminEmail(ev Event, d Data) (notify.Email, error) {
	return render(ev, d, s.adminText, s.adminHTML)
}

// htmlData is what the HTML templates see: the data and the rendered
// subject, which the layout puts in the document's title.
type htmlData struct {
	Data
	Subject string
}

func render(ev Event, d Data, texts map[Event]*texttemplate.Template, htmls map[Event]*htmltemplate.Template) (notify.Email, error) {
	t, ok := texts[ev]
	if !ok {
		return notify.Email{}, fmt.Errorf("%w: email %q", ErrNoTemplate, ev)
	}
	var subject, text, html bytes.Buffer
	if err := t.ExecuteTemplate(&subject, "subject", d); err != nil {
		return notify.Email{}, fmt.Errorf("templates: %s subject: %w", ev, err)
	}
	if err := t.ExecuteTemplate(&text, "layout", d); err != nil {
		return notify.Email{}, fmt.Errorf("templates: %s text: %w", ev, err)
	}
	subj := strings.Join(strings.Fields(subject.String()), " ")
	if err := htmls[ev].ExecuteTemplate(&html, "layout", htmlData{Data: d, Subject: subj}); err != nil {
		return notify.Email{}, fmt.Errorf("templates: %s html: %w", ev, err)
	}
	return notify.Email{
		Subject: subj,
		Text:    tidyText(text.String()),
		HTML:    html.String(),
	}, nil
}

// tidyText trims trailing spaces from every line and squeezes runs of
// blank lines that optional sections leave behind.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := true // drop leading blank lines
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// firstName returns the first word of a full name, for a short greeting;
// "there" when the name is empty.
func firstName(full string) string {
	if f := strings.Fields(full); len(f) > 0 {
		return f[0]
	}
	return "there"
}

// truncate shortens s to at most n characters, ending with "..." when it
// cut, so that a free-text note cannot push an SMS past one message.
func truncate(n int, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:max(n-3, 0)]), " ") + "..."
}

// sentence ends s with a full stop unless it already ends a sentence, so
// that a note can be put into running text whether or not its author ended
// it with one.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}
