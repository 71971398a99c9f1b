package email_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeSMTP is a scripted SMTP server on 127.0.0.1 for what Mailpit cannot
// be made to do on demand: reply 4xx or 5xx at a chosen step, omit
// STARTTLS, demand authentication, speak implicit TLS, or never answer.
type fakeSMTP struct {
	ln        net.Listener
	tls       *tls.Config // server side, for STARTTLS and implicit TLS
	implicit  bool        // TLS from the first byte (smtps)
	startTLS  bool        // offer STARTTLS
	auth      string      // "user:pass" to require AUTH PLAIN; empty for none
	replies   map[string]string
	hang      bool // accept, then never greet
	closing   chan struct{}
	wg        sync.WaitGroup
	mu        sync.Mutex
	messages  []string
	recipient []string
	usedTLS   bool
}

// newFakeSMTP starts the server; mod configures it before it accepts.
func newFakeSMTP(t *testing.T, mod func(*fakeSMTP)) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeSMTP{ln: ln, replies: map[string]string{}, closing: make(chan struct{})}
	if mod != nil {
		mod(f)
	}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() {
		close(f.closing)
		_ = ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeSMTP) addr() string { return f.ln.Addr().String() }

func (f *fakeSMTP) received() (msgs, rcpts []string, usedTLS bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.messages...), append([]string(nil), f.recipient...), f.usedTLS
}

func (f *fakeSMTP) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			go func() { <-f.closing; _ = c.Close() }()
			f.session(c)
		}()
	}
}

func (f *fakeSMTP) session(c net.Conn) {
	if f.hang {
		_, _ = bufio.NewReader(c).ReadString(0) // until the client gives up
		return
	}
	secure := false
	if f.implicit {
		tc := tls.Server(c, f.tls)
		if tc.Handshake() != nil {
			return
		}
		c, secure = tc, true
	}
	tp := textproto.NewConn(c)
	reply := func(verb, def string) bool {
		r, ok := f.replies[verb]
		if !ok {
			r = def
		}
		_ = tp.PrintfLine("%s", r)
		return !ok || strings.HasPrefix(r, "2") || strings.HasPrefix(r, "3")
	}
	_ = tp.PrintfLine("220 fake ESMTP")
	var rcpts []string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			ext := []string{"fake"}
			if f.startTLS && !secure {
				ext = append(ext, "STARTTLS")
			}
			if f.auth != "" {
				ext = append(ext, "AUTH PLAIN")
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				_ = tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, f.tls)
			if tc.Handshake() != nil {
				return
			}
			c, secure = tc, true
			tp = textproto.NewConn(c)
		case "AUTH":
			parts := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			user, pass, _ := strings.Cut(f.auth, ":")
			if string(raw) == "\x00"+user+"\x00"+pass {
				_ = tp.PrintfLine("235 2.7.0 authenticated")
			} else {
				_ = tp.PrintfLine("535 5.7.8 authentication failed")
			}
		case "MAIL":
			reply("MAIL", "250 ok")
		case "RCPT":
			if reply("RCPT", "250 ok") {
				rcpts = append(rcpts, line)
			}
		case "DATA":
			if !reply("DATA", "354 go ahead") {
				continue
			}
			body, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			if reply(".", "250 queued as 1") {
				f.mu.Lock()
				f.messages = append(f.messages, string(body))
				f.recipient = append(f.recipient, rcpts...)
				f.usedTLS = f.usedTLS || secure
				f.mu.Unlock()
			}
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("250 ok")
		}
	}
}

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
