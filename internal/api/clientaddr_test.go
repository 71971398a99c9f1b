package api

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// An internal test: clientAddr is pure and its table is clearer here than
// through sign-in throttling.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, peer string
		xff        []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxies configured: the header is ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"untrusted peer: the header is ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, proxies, "203.0.113.9"},
		{"trusted proxy: the client before it", "10.1.2.3:5000", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"a forged prefix is skipped", "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"proxies chained", "10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"several headers", "10.1.2.3:5000", []string{"1.1.1.1", "198.51.100.1"}, proxies, "198.51.100.1"},
		{"malformed chain", "10.1.2.3:5000", []string{"not-an-ip"}, proxies, "10.1.2.3"},
		{"no header", "10.1.2.3:5000", nil, proxies, "10.1.2.3"},
		{"IPv6 peer", "[2001:db8::1]:5000", nil, proxies, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/graphql", nil)
			r.RemoteAddr = tt.peer
			for _, h := range tt.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			require.Equal(t, tt.want, clientAddr(r, tt.trusted))
		})
	}
}
