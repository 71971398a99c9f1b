package api

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestClientAddr: X-Forwarded-For is believed only as far as trusted
// proxies wrote it.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"direct client forging the header", "203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		{"behind one proxy", "10.0.0.2:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"behind two proxies", "10.0.0.2:80", []string{"198.51.100.1, 10.1.1.1"}, "198.51.100.1"},
		{"client-written hops are ignored", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"several header lines", "10.0.0.2:80", []string{"6.6.6.6", "198.51.100.1, 10.1.1.1"}, "198.51.100.1"},
		{"garbage stops at the last trusted hop", "10.0.0.2:80", []string{"198.51.100.1, nonsense"}, "10.0.0.2"},
		{"only proxies", "10.0.0.2:80", []string{"10.3.3.3"}, "10.3.3.3"},
		{"trusted proxy without header", "10.0.0.2:80", nil, "10.0.0.2"},
		{"IPv6 behind a proxy", "[fd00::1]:80", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.9]:80", nil, "203.0.113.9"},
	}
	for _, c := range cases {
		r, err := http.NewRequest(http.MethodGet, "/", nil)
		require.NoError(t, err)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		require.Equal(t, c.want, clientAddr(r, trusted).String(), c.name)
	}
}
