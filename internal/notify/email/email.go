// Package email sends notification emails over SMTP through
// github.com/wneessen/go-mail: one connection per message, STARTTLS or
// implicit TLS, PLAIN authentication, and a multipart/alternative MIME
// message (quoted-printable text and HTML parts, an RFC 2047 subject).
// SMTP replies are classified for the job runner: 4xx is transient, 5xx
// permanent.
package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

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
	host     string
	port     int
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
	if s.port, err = strconv.Atoi(port); err != nil || s.port <= 0 || s.port > 65535 {
		return nil, fmt.Errorf("email: SMTP URL port %q is not a port number", port)
	}
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
	if _, err := s.client(s.timeout); err != nil {
		return nil, err
	}
	return s, nil
}

// client is a go-mail client for one message, its session bounded by
// timeout.
func (s *Sender) client(timeout time.Duration) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(timeout),
		gomail.WithHELO(s.hello),
		gomail.WithTLSConfig(s.tls),
		gomail.WithoutNoop(),
	}
	switch {
	case s.implicit:
		opts = append(opts, gomail.WithSSL())
	case s.starttls == StartTLSRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.hasAuth {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return c, nil
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

	// go-mail bounds the session by its timeout (the context only bounds
	// dialling): the shorter of ours and the caller's deadline.
	timeout := s.timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return notify.SendResult{}, notify.Transient(fmt.Errorf("email: %w", context.DeadlineExceeded))
	}
	deadline := time.Now().Add(timeout)
	c, err := s.client(timeout)
	if err != nil {
		return notify.SendResult{}, notify.Permanent(err)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if err := s.deliver(ctx, c, msg); err != nil {
		// The connection's deadline is the context's, and either may fire
		// first: report both the same way, as time running out.
		if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline) {
			return notify.SendResult{}, notify.Transient(fmt.Errorf("email: %w: %w", context.DeadlineExceeded, err))
		}
		return notify.SendResult{}, err
	}
	return notify.SendResult{ProviderID: strings.Trim(id, "<>")}, nil
}

// deliver runs one SMTP session: connect, TLS, EHLO and AUTH first, so
// that their failures are told apart from the message's.
func (s *Sender) deliver(ctx context.Context, c *gomail.Client, msg *gomail.Msg) error {
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify("connect", err)
	}
	// The message is accepted once DATA is answered; a failing QUIT does
	// not make it undelivered, and sending it again would duplicate it.
	defer func() { _ = c.CloseWithSMTPClient(conn) }()
	if err := c.SendWithSMTPClient(conn, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) {
			switch {
			case se.ErrorCode() >= 500:
				return notify.Permanent(fmt.Errorf("email: %w", err))
			case se.ErrorCode() >= 400 || se.IsTemp():
				return notify.Transient(fmt.Errorf("email: %w", err))
			}
		}
		return classify("send", err)
	}
	return nil
}

// classify wraps an SMTP session error: 5xx replies, rejected
// certificates, and what the server lacks (STARTTLS, AUTH) or refuses
// (authentication) are permanent; 4xx replies and everything on the
// network are transient.
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
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return notify.Transient(err)
	}
	// The rest are go-mail's own refusals before anything is sent: no
	// STARTTLS where it is required, no AUTH where credentials are set,
	// PLAIN over clear text to another host. Retries cannot fix them.
	return notify.Permanent(err)
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
// or a single text part when e has no HTML.
func compose(from *mail.Address, to []*mail.Address, e notify.Email, date time.Time, id string) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithCharset("utf-8"), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(from)
	m.ToMailAddress(to...)
	// One logical line: a line break in the subject would start a header.
	m.Subject(strings.Join(strings.Fields(e.Subject), " "))
	m.SetDateWithValue(date)
	m.SetMessageIDWithValue(strings.Trim(id, "<>"))
	text := e.Text
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	m.SetBodyString(gomail.TypeTextPlain, text)
	if e.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	return m, nil
}

var _ notify.EmailSender = (*Sender)(nil)
