package email_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify"
	"github.com/savannah-commerce/savannah/internal/notify/email"
)

const from = "Savannah Crafts <orders@savannah.example>"

// sample is an email with non-ASCII text, a long line and a line starting
// with a dot, which SMTP transparency must preserve.
func sample() notify.Email {
	return notify.Email{
		To:      []string{"Wanjirũ Kamau <wanjiru@example.com>"},
		Subject: "Order SAV-10234 received — Savannah Crafts",
		Text:    "Hi Wanjirũ,\n\n" + strings.Repeat("A long line of text. ", 10) + "\n.leading dot\nTotal: KES 7,147.00\n",
		HTML:    "<p>Hi Wanjirũ,</p>\n<p>Total: <strong>KES 7,147.00</strong> — thank you</p>\n",
	}
}

// part is one decoded MIME part.
type part struct {
	contentType string
	body        string
}

// parseMessage checks raw is a well-formed message and returns its header
// and its decoded parts (one for a single-part message).
func parseMessage(t *testing.T, raw []byte) (mail.Header, []part) {
	t.Helper()
	require.NotRegexp(t, "[^\r]\n", string(raw), "every line ends in CRLF")
	for _, line := range strings.Split(string(raw), "\r\n") {
		require.LessOrEqual(t, len(line), 998, "no line longer than RFC 5322 allows")
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, "1.0", m.Header.Get("MIME-Version"))
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	if !strings.HasPrefix(mt, "multipart/") {
		require.Equal(t, "quoted-printable", m.Header.Get("Content-Transfer-Encoding"))
		b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		require.NoError(t, err)
		return m.Header, []part{{m.Header.Get("Content-Type"), string(b)}}
	}
	require.Equal(t, "multipart/alternative", mt)
	var parts []part
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, "quoted-printable", p.Header.Get("Content-Transfer-Encoding"))
		b, err := io.ReadAll(quotedprintable.NewReader(p))
		require.NoError(t, err)
		parts = append(parts, part{p.Header.Get("Content-Type"), string(b)})
	}
	return m.Header, parts
}

func TestComposeMIME(t *testing.T) {
	t.Parallel()
	e := sample()
	fromAddr, err := mail.ParseAddress(from)
	require.NoError(t, err)
	to := []*mail.Address{{Name: "Wanjirũ Kamau", Address: "wanjiru@example.com"}, {Address: "second@example.com"}}
	date := time.Date(2026, 11, 25, 10, 30, 0, 0, time.FixedZone("EAT", 3*3600))
	raw, err := email.Compose(fromAddr, to, e, date, "<abc@savannah.example>")
	require.NoError(t, err)

	h, parts := parseMessage(t, raw)
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, e.Subject, subject)
	require.True(t, strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?"), "a non-ASCII subject is RFC 2047 encoded")
	require.Equal(t, "Wed, 25 Nov 2026 10:30:00 +0300", h.Get("Date"))
	require.Equal(t, "<abc@savannah.example>", h.Get("Message-Id"))
	gotFrom, err := mail.ParseAddress(h.Get("From"))
	require.NoError(t, err)
	require.Equal(t, *fromAddr, *gotFrom)
	gotTo, err := h.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "Wanjirũ Kamau", Address: "wanjiru@example.com"}, {Address: "second@example.com"}}, gotTo)

	require.Len(t, parts, 2)
	require.Equal(t, "text/plain; charset=utf-8", parts[0].contentType)
	require.Equal(t, strings.ReplaceAll(e.Text, "\n", "\r\n"), parts[0].body)
	require.Equal(t, "text/html; charset=utf-8", parts[1].contentType)
	require.Equal(t, strings.ReplaceAll(e.HTML, "\n", "\r\n"), parts[1].body)
	_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	for _, line := range strings.Split(body, "\r\n") {
		require.LessOrEqual(t, len(line), 76, "quoted-printable keeps lines short: %q", line)
	}
}

func TestComposeTextOnlyAndHeaderInjection(t *testing.T) {
	t.Parallel()
	fromAddr, err := mail.ParseAddress(from)
	require.NoError(t, err)
	e := notify.Email{Subject: "Plain subject\r\nBcc: victim@example.com", Text: "no trailing newline"}
	raw, err := email.Compose(fromAddr, []*mail.Address{{Address: "a@example.com"}}, e, time.Now(), "<x@y>")
	require.NoError(t, err)
	h, parts := parseMessage(t, raw)
	require.Empty(t, h.Get("Bcc"), "a line break in the subject cannot add a header")
	require.Equal(t, "Plain subject Bcc: victim@example.com", h.Get("Subject"), "an ASCII subject is left readable")
	require.Len(t, parts, 1)
	require.Equal(t, "text/plain; charset=utf-8", parts[0].contentType)
	require.Equal(t, "no trailing newline\r\n", parts[0].body)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := []string{
		"smtp://127.0.0.1:2525?starttls=optional",
		"smtp://user:p%40ss@mail.example.com",
		"smtps://user:pass@mail.example.com",
		"smtp://mail.example.com:25?starttls=insecure",
		"smtp://mail.example.com?starttls=required",
	}
	for _, u := range ok {
		_, err := email.New(email.Config{URL: u, From: from})
		require.NoError(t, err, u)
	}
	bad := map[string]email.Config{
		"scheme":          {URL: "http://mail.example.com", From: from},
		"no host":         {URL: "smtp://", From: from},
		"bad starttls":    {URL: "smtp://mail.example.com?starttls=maybe", From: from},
		"starttls smtps":  {URL: "smtps://mail.example.com?starttls=optional", From: from},
		"unknown param":   {URL: "smtp://mail.example.com?tls=1", From: from},
		"no from":         {URL: "smtp://mail.example.com"},
		"bad from":        {URL: "smtp://mail.example.com", From: "not an address"},
		"bad admin":       {URL: "smtp://mail.example.com", From: from, Admins: []string{"ops@example.com", "nope"}},
		"unparseable url": {URL: "smtp://user:pa ss@%zz", From: from},
	}
	for name, cfg := range bad {
		_, err := email.New(cfg)
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), "pa ss", "the password is never repeated")
	}
	s, err := email.New(email.Config{URL: ok[0], From: from, Admins: []string{"ops@example.com", "Owner <owner@example.com>"}})
	require.NoError(t, err)
	admins := s.Admins()
	require.Equal(t, []string{"ops@example.com", "Owner <owner@example.com>"}, admins)
	admins[0] = "changed"
	require.Equal(t, "ops@example.com", s.Admins()[0], "Admins returns a copy")
}

func TestRejectedBeforeConnecting(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, nil)
	s, err := email.New(email.Config{URL: "smtp://" + f.addr() + "?starttls=optional", From: from})
	require.NoError(t, err)
	for name, e := range map[string]notify.Email{
		"no recipients": {Subject: "x", Text: "x"},
		"bad recipient": {To: []string{"not an address"}, Subject: "x", Text: "x"},
	} {
		_, err := s.SendEmail(context.Background(), e)
		require.True(t, notify.IsPermanent(err), name)
	}
	msgs, _, _ := f.received()
	require.Empty(t, msgs)
}

func TestSMTPReplies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		replies   map[string]string
		permanent bool
	}{
		{"mailbox full at RCPT", map[string]string{"RCPT": "452 4.2.2 mailbox full"}, false},
		{"unknown user at RCPT", map[string]string{"RCPT": "550 5.1.1 no such user"}, true},
		{"greylisted at MAIL", map[string]string{"MAIL": "451 4.7.1 greylisted, try again"}, false},
		{"sender refused at MAIL", map[string]string{"MAIL": "553 5.7.1 sender rejected"}, true},
		{"busy at DATA", map[string]string{"DATA": "421 4.3.2 closing"}, false},
		{"content rejected after DATA", map[string]string{".": "554 5.6.0 message rejected"}, true},
		{"queue full after DATA", map[string]string{".": "452 4.3.1 insufficient storage"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSMTP(t, func(f *fakeSMTP) { f.replies = tt.replies })
			s, err := email.New(email.Config{URL: "smtp://" + f.addr() + "?starttls=optional", From: from})
			require.NoError(t, err)
			res, err := s.SendEmail(context.Background(), sample())
			require.Error(t, err)
			require.Empty(t, res.ProviderID)
			require.Equal(t, tt.permanent, notify.IsPermanent(err), err.Error())
			require.Equal(t, !tt.permanent, errors.Is(err, notify.ErrTransient), err.Error())
			msgs, _, _ := f.received()
			require.Empty(t, msgs)
		})
	}
}

func TestFakeServerAcceptsWhenAllIsWell(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, nil)
	s, err := email.New(email.Config{URL: "smtp://" + f.addr() + "?starttls=optional", From: from})
	require.NoError(t, err)
	e := sample()
	e.To = append(e.To, "second@example.com")
	res, err := s.SendEmail(context.Background(), e)
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{32}@savannah\.example$`, res.ProviderID)
	msgs, rcpts, usedTLS := f.received()
	require.Len(t, msgs, 1)
	require.False(t, usedTLS)
	require.Equal(t, []string{"RCPT TO:<wanjiru@example.com>", "RCPT TO:<second@example.com>"}, rcpts)
	// The server's reader turned the CRLFs into LFs.
	h, parts := parseMessage(t, []byte(strings.ReplaceAll(msgs[0], "\n", "\r\n")))
	require.Equal(t, "<"+res.ProviderID+">", h.Get("Message-Id"))
	require.Len(t, parts, 2)
	require.Contains(t, parts[0].body, "\r\n.leading dot\r\n", "dot-stuffing is undone by the server")
}

func TestStartTLSRequiredButNotOffered(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, nil)
	s, err := email.New(email.Config{URL: "smtp://" + f.addr(), From: from})
	require.NoError(t, err)
	_, err = s.SendEmail(context.Background(), sample())
	require.True(t, notify.IsPermanent(err))
	require.Contains(t, err.Error(), "STARTTLS")
	msgs, _, _ := f.received()
	require.Empty(t, msgs, "nothing goes out in clear text")
}

func TestTLS(t *testing.T) {
	t.Parallel()
	serverTLS, roots := selfSigned(t)
	tests := []struct {
		name      string
		scheme    string
		query     string
		implicit  bool
		roots     bool
		permanent bool // expected failure; false with ok
		ok        bool
	}{
		{"starttls with trusted certificate", "smtp", "", false, true, false, true},
		{"implicit tls with trusted certificate", "smtps", "", true, true, false, true},
		{"starttls with untrusted certificate", "smtp", "", false, false, true, false},
		{"implicit tls with untrusted certificate", "smtps", "", true, false, true, false},
		{"starttls=insecure skips verification", "smtp", "?starttls=insecure", false, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSMTP(t, func(f *fakeSMTP) {
				f.tls, f.implicit, f.startTLS, f.auth = serverTLS, tt.implicit, !tt.implicit, "mailer:s3cret"
			})
			cfg := email.Config{URL: tt.scheme + "://mailer:s3cret@" + f.addr() + tt.query, From: from, Timeout: 5 * time.Second}
			if tt.roots {
				cfg.TLSConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
			}
			s, err := email.New(cfg)
			require.NoError(t, err)
			_, err = s.SendEmail(context.Background(), sample())
			msgs, _, usedTLS := f.received()
			if tt.ok {
				require.NoError(t, err)
				require.Len(t, msgs, 1)
				require.True(t, usedTLS)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.permanent, notify.IsPermanent(err), err.Error())
			require.NotContains(t, err.Error(), "s3cret")
			require.Empty(t, msgs)
		})
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  func(addr string) string
		ok   bool
	}{
		{"right credentials", func(a string) string { return "smtp://mailer:s3cret@" + a + "?starttls=optional" }, true},
		{"wrong password", func(a string) string { return "smtp://mailer:wrong@" + a + "?starttls=optional" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSMTP(t, func(f *fakeSMTP) { f.auth = "mailer:s3cret" })
			s, err := email.New(email.Config{URL: tt.url(f.addr()), From: from})
			require.NoError(t, err)
			_, err = s.SendEmail(context.Background(), sample())
			msgs, _, _ := f.received()
			if tt.ok {
				require.NoError(t, err)
				require.Len(t, msgs, 1)
				return
			}
			require.True(t, notify.IsPermanent(err), "535 is permanent: %v", err)
			require.NotContains(t, err.Error(), "wrong")
			require.Empty(t, msgs)
		})
	}

	// Credentials against a server that offers no AUTH: refused, not sent
	// without authentication.
	f := newFakeSMTP(t, nil)
	s, err := email.New(email.Config{URL: "smtp://mailer:s3cret@" + f.addr() + "?starttls=optional", From: from})
	require.NoError(t, err)
	_, err = s.SendEmail(context.Background(), sample())
	require.True(t, notify.IsPermanent(err))
	msgs, _, _ := f.received()
	require.Empty(t, msgs)
}

func TestTimeoutsAreTransient(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, func(f *fakeSMTP) { f.hang = true })
	url := "smtp://" + f.addr() + "?starttls=optional"

	s, err := email.New(email.Config{URL: url, From: from, Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	_, err = s.SendEmail(context.Background(), sample())
	require.ErrorIs(t, err, notify.ErrTransient)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 3*time.Second)

	s, err = email.New(email.Config{URL: url, From: from})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = s.SendEmail(ctx, sample())
	require.ErrorIs(t, err, notify.ErrTransient, "the caller's deadline applies too")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestConnectionRefusedIsTransient(t *testing.T) {
	t.Parallel()
	f := newFakeSMTP(t, nil)
	addr := f.addr()
	require.NoError(t, f.ln.Close()) // nothing listens there any more
	s, err := email.New(email.Config{URL: "smtp://" + addr + "?starttls=optional", From: from})
	require.NoError(t, err)
	_, err = s.SendEmail(context.Background(), sample())
	require.ErrorIs(t, err, notify.ErrTransient)
}
