// Package email sends notification emails over SMTP: one connection per
// message, STARTTLS or implicit TLS, PLAIN authentication, and a MIME
// message built with the standard library (multipart/alternative with
// quoted-printable text and HTML parts, an RFC 2047 subject, CRLF line
// endings). SMTP replies are classified for the job runner: 4xx is
// transient, 5xx permanent.
package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/internal/notify"
)

// DefaultTimeout bounds one message, from dialling to QUIT, when
// Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// TLS modes of an smtp:// URL (its starttls parameter).
const (
	// StartTLSRequired refuses to send unless the server offers STARTTLS:
	// the default, so that a misconfigured server never receives the
	// password or the customer's data in clear text.
	StartTLSRequired = "required"
	// StartTLSOptional upgrades when the server offers STARTTLS and sends
	// in clear text otherwise: for local test servers such as Mailpit.
	StartTLSOptional = "optional"
	// StartTLSInsecure is StartTLSOptional without certificate
	// verification: for local servers with self-signed certificates.
	StartTLSInsecure = "insecure"
)

// Config configures a Sender.
type Config struct {
	// URL is SMTP_URL: smtp://user:pass@host:port (STARTTLS, port 587 by
	// default; ?starttls=optional or insecure for local test servers) or
	// smtps://user:pass@host:port (implicit TLS, port 465 by default). The
	// user and password are optional and are sent only over TLS (or to a
	// server on localhost).
	URL string
	// From is the sender ("Savannah Crafts <orders@example.com>").
	From string
	// Admins are the administrators' addresses, which receive the store's
	// copies (a new order) as a message of their own.
	Admins []string
	// Timeout bounds one message; zero means DefaultTimeout. A deadline
	// on the context applies too.
	Timeout time.Duration
	// HelloName is the name sent in EHLO; empty means the From address's
	// domain.
	HelloName string
	// TLSConfig overrides the TLS settings (a private CA, say); nil means
	// the system's roots. ServerName defaults to the URL's host.
	TLSConfig *tls.Config
}

// Sender sends email through one SMTP server. It is safe for concurrent
// use: every message has its own connection.
type Sender struct {
	addr     string // host:port
	host     string
	implicit bool   // smtps://
	starttls string // one of the StartTLS modes; unused when implicit
	user     string
	pass     string
	hasAuth  bool
	from     *mail.Address
	admins   []string
	timeout  time.Duration
	hello    string
	tls      *tls.Config
}

// New parses cfg and returns a Sender; it does not connect. Errors name
// the setting (but never repeat the password).
func New(cfg Config) (*Sender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("email: SMTP URL is not a URL")
	}
	s := &Sender{starttls: StartTLSRequired, timeout: cfg.Timeout}
	var port string
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, s.implicit = "465", true
	default:
		return nil, fmt.Errorf("email: SMTP URL scheme %q is not smtp or smtps", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("email: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.hasAuth = s.user != ""
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return nil, fmt.Errorf("email: SMTP URL parameter %q is unknown", k)
		}
	}
	if v := q.Get("starttls"); v != "" {
		switch v {
		case StartTLSRequired, StartTLSOptional, StartTLSInsecure:
			if s.implicit && v != StartTLSRequired {
				return nil, errors.New("email: starttls applies to smtp://, not smtps://")
			}
			s.starttls = v
		default:
			return nil, fmt.Errorf("email: SMTP URL starttls=%q is not required, optional or insecure", v)
		}
	}

	if s.from, err = mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("email: from address %q: %w", cfg.From, err)
	}
	for _, a := range cfg.Admins {
		if _, err := mail.ParseAddress(a); err != nil {
			return nil, fmt.Errorf("email: admin address %q: %w", a, err)
		}
		s.admins = append(s.admins, a)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	s.hello = cfg.HelloName
	if s.hello == "" {
		s.hello = s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	}
	if cfg.TLSConfig != nil {
		s.tls = cfg.TLSConfig.Clone()
	} else {
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	if s.starttls == StartTLSInsecure {
		s.tls.InsecureSkipVerify = true // the operator asked for it by name, for local servers
	}
	return s, nil
}

// Admins returns the administrators' addresses, for the To of their copy.
func (s *Sender) Admins() []string { return append([]string(nil), s.admins...) }

// SendEmail delivers e to all its recipients in one SMTP transaction and
// returns its Message-ID as the provider ID. Errors wrap
// notify.ErrPermanent (a 5xx reply, an invalid address, a TLS or
// configuration problem) or notify.ErrTransient (a 4xx reply, a network
// error, a timeout).
func (s *Sender) SendEmail(ctx context.Context, e notify.Email) (notify.SendResult, error) {
	if len(e.To) == 0 {
		return notify.SendResult{}, notify.Permanent(errors.New("email: no recipients"))
	}
	rcpts := make([]*mail.Address, 0, len(e.To))
	for _, to := range e.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return notify.SendResult{}, notify.Permanent(fmt.Errorf("email: recipient %q: %w", to, err))
		}
		rcpts = append(rcpts, a)
	}
	id := newMessageID(s.from.Address)
	msg, err := compose(s.from, rcpts, e, time.Now(), id)
	if err != nil {
		return notify.SendResult{}, notify.Permanent(err)
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.deliver(ctx, rcpts, msg); err != nil {
		// The connection's deadline is the context's, and either may fire
		// first: report both the same way, as time running out.
		if ctxErr := ctx.Err(); ctxErr != nil {
			return notify.SendResult{}, notify.Transient(fmt.Errorf("email: %w", ctxErr))
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return notify.SendResult{}, notify.Transient(fmt.Errorf("email: %w", context.DeadlineExceeded))
		}
		return notify.SendResult{}, err
	}
	return notify.SendResult{ProviderID: strings.Trim(id, "<>")}, nil
}

// deliver runs one SMTP session.
func (s *Sender) deliver(ctx context.Context, rcpts []*mail.Address, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return notify.Transient(fmt.Errorf("email: connect: %w", err))
	}
	// Deadlines bound every read and write; closing on cancellation stops
	// a session the caller no longer waits for.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if s.implicit {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return classify("tls handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return classify("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.hello); err != nil {
		return classify("ehlo", err)
	}
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tls); err != nil {
				return classify("starttls", err)
			}
		} else if s.starttls == StartTLSRequired {
			return notify.Permanent(errors.New("email: server does not offer STARTTLS; use smtps:// or ?starttls=optional for a local test server"))
		}
	}
	if s.hasAuth {
		if ok, _ := c.Extension("AUTH"); !ok {
			return notify.Permanent(errors.New("email: server does not offer AUTH but the SMTP URL has credentials"))
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return classify("auth", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return classify("mail from", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r.Address); err != nil {
			return classify("rcpt to "+r.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify("data", err)
	}
	if err := w.Close(); err != nil {
		return classify("data", err)
	}
	// The message is accepted once DATA is answered; a failing QUIT does
	// not make it undelivered, and sending it again would duplicate it.
	_ = c.Quit()
	return nil
}

// classify wraps an SMTP session error: 5xx replies, rejected certificates
// and refused authentication are permanent; 4xx replies and everything on
// the network are transient.
func classify(stage string, err error) error {
	err = fmt.Errorf("email: %s: %w", stage, err)
	var reply *textproto.Error
	if errors.As(err, &reply) {
		if reply.Code >= 500 {
			return notify.Permanent(err)
		}
		return notify.Transient(err)
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return notify.Permanent(err)
	}
	// net/smtp refuses PLAIN over an unencrypted connection to another
	// host with a plain error: a configuration problem that retries cannot
	// fix. A connection lost during AUTH is still a network problem.
	var netErr net.Error
	if stage == "auth" && !errors.As(err, &netErr) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return notify.Permanent(err)
	}
	return notify.Transient(err)
}

// newMessageID returns "<random@domain>" with the sender's domain, so that
// the ID is unique and traceable to us.
func newMessageID(from string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "<" + hex.EncodeToString(b[:]) + "@" + from[strings.LastIndexByte(from, '@')+1:] + ">"
}

// compose builds the message: headers, then a multipart/alternative body
// with the text part first (clients show the last part they understand),
// or a single text part when e has no HTML. Every line ends in CRLF.
func compose(from *mail.Address, to []*mail.Address, e notify.Email, date time.Time, id string) ([]byte, error) {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	tos := make([]string, len(to))
	for i, a := range to {
		tos[i] = a.String()
	}
	header("To", strings.Join(tos, ",\r\n "))
	header("Subject", encodeSubject(e.Subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")

	text := e.Text
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if e.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}

	mw := multipart.NewWriter(&b)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, p := range []struct{ ctype, body string }{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", e.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("email: compose: %w", err)
		}
		if err := writeQP(w, p.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	return b.Bytes(), nil
}

// writeQP writes body quoted-printable; the encoder turns its line breaks
// into CRLF and keeps lines under 76 characters.
func writeQP(w io.Writer, body string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(body)); err != nil {
		return fmt.Errorf("email: compose: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("email: compose: %w", err)
	}
	return nil
}

// encodeSubject keeps the subject on one logical line (a line break in it
// would start a new header) and RFC 2047-encodes it when it is not plain
// ASCII, folding between encoded words so that no line is overlong.
func encodeSubject(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}

var _ notify.EmailSender = (*Sender)(nil)
