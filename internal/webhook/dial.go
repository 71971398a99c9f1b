package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenDestination is a request to an address webhooks may not
// reach: private, loopback, link-local (the cloud metadata service at
// 169.254.169.254), unique-local, multicast or unspecified.
var ErrForbiddenDestination = errors.New("webhook: destination address not allowed")

// cgnat is the shared address space (RFC 6598), private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// allowed reports whether an outbound request may reach ip.
func allowed(ip netip.Addr, allowLoopback bool) bool {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return allowLoopback
	case ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(),
		ip.IsMulticast(), ip.IsUnspecified(), cgnat.Contains(ip), !ip.IsValid():
		return false
	}
	return true
}

// CheckURL refuses, before anything is stored, a URL that is not http(s)
// or whose host is a literal address (or localhost) a request may not
// reach. Names are checked again, resolved, at every dial.
func CheckURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return errors.New("must be an http or https URL without credentials")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if allowLoopback {
			return nil
		}
		return errors.New("must not point at a private, loopback or link-local address")
	}
	if ip, err := netip.ParseAddr(host); err == nil && !allowed(ip, allowLoopback) {
		return errors.New("must not point at a private, loopback or link-local address")
	}
	return nil
}

// NewHTTPClient returns the client deliveries are sent with: every
// connection's resolved address is checked as it is dialled (so a
// redirect or a name that resolves differently later is checked too),
// no proxy, and a timeout per request.
func NewHTTPClient(timeout time.Duration, allowLoopback bool) *http.Client {
	d := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrForbiddenDestination, address)
			}
			if !allowed(ap.Addr(), allowLoopback) {
				return fmt.Errorf("%w: %s", ErrForbiddenDestination, ap.Addr())
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("webhook: too many redirects")
			}
			return nil
		},
	}
}
