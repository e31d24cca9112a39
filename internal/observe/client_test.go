package observe

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// proxies parses s or fails the test.
func proxies(t *testing.T, s string) TrustedProxies {
	t.Helper()
	p, err := ParseTrustedProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClientIP(t *testing.T) {
	lb := proxies(t, "10.0.0.0/8, 127.0.0.1, 2001:db8:ffff::/48")
	tests := []struct {
		name    string
		trusted TrustedProxies
		remote  string
		xff     []string // X-Forwarded-For lines, in order
		want    string
	}{
		{name: "no proxies: the peer", remote: "203.0.113.9:51234", want: "203.0.113.9"},
		{name: "no proxies: forwarded-for is ignored", remote: "203.0.113.9:51234",
			xff: []string{"198.51.100.7"}, want: "203.0.113.9"},
		{name: "untrusted peer: forwarded-for is ignored", trusted: lb, remote: "203.0.113.9:51234",
			xff: []string{"198.51.100.7, 10.0.0.2"}, want: "203.0.113.9"},
		{name: "trusted peer without forwarded-for: the proxy", trusted: lb, remote: "10.0.0.2:443", want: "10.0.0.2"},
		{name: "trusted peer: the forwarded client", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "spoofed left-most entries are skipped", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"1.2.3.4, 5.6.7.8, 198.51.100.7"}, want: "198.51.100.7"},
		{name: "spoofed trusted address on the left is not believed", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"10.9.9.9, 198.51.100.7, 10.0.0.3"}, want: "198.51.100.7"},
		{name: "chain of trusted proxies", trusted: lb, remote: "127.0.0.1:9000",
			xff: []string{"6.6.6.6, 198.51.100.7, 10.1.0.1, 10.0.0.2"}, want: "198.51.100.7"},
		{name: "several header lines are one list", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"6.6.6.6", "198.51.100.7, 10.1.0.1"}, want: "198.51.100.7"},
		{name: "spoofed line before the proxy's own", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"1.1.1.1, 2.2.2.2", "198.51.100.7"}, want: "198.51.100.7"},
		{name: "all trusted: the left-most", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"10.5.5.5, 10.1.0.1"}, want: "10.5.5.5"},
		{name: "garbage on the right: the proxy", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"198.51.100.7, unknown"}, want: "10.0.0.2"},
		{name: "garbage behind a trusted hop: that hop", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"198.51.100.7, _hidden, 10.1.0.1"}, want: "10.1.0.1"},
		{name: "garbage left of the client is never reached", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"<script>, 999.1.1.1, 198.51.100.7"}, want: "198.51.100.7"},
		{name: "empty entry ends the walk", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"198.51.100.7, , 10.1.0.1"}, want: "10.1.0.1"},
		{name: "trailing comma ends the walk", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"198.51.100.7,"}, want: "10.0.0.2"},
		{name: "empty header: the proxy", trusted: lb, remote: "10.0.0.2:443", xff: []string{""}, want: "10.0.0.2"},
		{name: "entry with a port", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"198.51.100.7:61000"}, want: "198.51.100.7"},
		{name: "IPv6 peer", remote: "[2001:db8::5]:51234", want: "2001:db8::5"},
		{name: "IPv6 peer with a zone", remote: "[fe80::1%eth0]:51234", want: "fe80::1"},
		{name: "IPv6 client behind an IPv6 proxy", trusted: lb, remote: "[2001:db8:ffff::1]:443",
			xff: []string{"2001:db8:1::7"}, want: "2001:db8:1::7"},
		{name: "bracketed IPv6 entry with a port", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"[2001:db8:1::7]:61000"}, want: "2001:db8:1::7"},
		{name: "bracketed IPv6 entry", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"[2001:db8:1::7]"}, want: "2001:db8:1::7"},
		{name: "IPv4-mapped peer matches an IPv4 range", trusted: lb, remote: "[::ffff:10.0.0.2]:443",
			xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "IPv4-mapped client is written as IPv4", trusted: lb, remote: "10.0.0.2:443",
			xff: []string{"::ffff:198.51.100.7"}, want: "198.51.100.7"},
		{name: "peer without a port", remote: "203.0.113.9", want: "203.0.113.9"},
		{name: "peer that is not an address is kept", trusted: lb, remote: "pipe",
			xff: []string{"198.51.100.7"}, want: "pipe"},
		{name: "trust an exact address only", trusted: proxies(t, "127.0.0.1"), remote: "127.0.0.2:80",
			xff: []string{"198.51.100.7"}, want: "127.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, tt.trusted); got != tt.want {
				t.Fatalf("ClientIP(remote %q, X-Forwarded-For %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		name, in, want string
		bad            string // the entry the error must name
	}{
		{name: "empty trusts nobody", in: "", want: ""},
		{name: "blank entries are ignored", in: " , ,", want: ""},
		{name: "addresses and ranges", in: "10.0.0.0/8, 127.0.0.1,fd00::/8 , ::1",
			want: "10.0.0.0/8,127.0.0.1,fd00::/8,::1"},
		{name: "host bits of a range are dropped", in: "192.168.1.7/24", want: "192.168.1.0/24"},
		{name: "IPv4-mapped address is IPv4", in: "::ffff:10.0.0.1", want: "10.0.0.1"},
		{name: "IPv4-mapped range is IPv4", in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{name: "host name", in: "10.0.0.0/8,proxy.internal", bad: `"proxy.internal"`},
		{name: "bad range", in: "10.0.0.0/33", bad: `"10.0.0.0/33"`},
		{name: "bad address", in: "10.0.0.256", bad: `"10.0.0.256"`},
		{name: "address with a port", in: "127.0.0.1:8080", bad: `"127.0.0.1:8080"`},
		{name: "address with a zone", in: "fe80::1%eth0", bad: `"fe80::1%eth0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrustedProxies(tt.in)
			if tt.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("ParseTrustedProxies(%q) = %v, %v; want an error naming %s", tt.in, got, err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Fatalf("ParseTrustedProxies(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTrustedProxiesContains(t *testing.T) {
	p := proxies(t, "10.0.0.0/8,2001:db8::/32")
	for addr, want := range map[string]bool{
		"10.1.2.3": true, "::ffff:10.1.2.3": true, "11.0.0.1": false,
		"2001:db8::1": true, "fe80::1%eth0": false, "2001:db9::1": false,
	} {
		if got := p.Contains(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", addr, got, want)
		}
	}
	if (TrustedProxies{}).Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Error("the empty set trusts 127.0.0.1")
	}
}

func TestMiddlewareLogsClient(t *testing.T) {
	tests := []struct {
		name    string
		trusted TrustedProxies
		want    string
	}{
		{name: "without trusted proxies the peer", want: "client=10.0.0.2"},
		{name: "behind a trusted proxy the forwarded client", trusted: proxies(t, "10.0.0.0/8"), want: "client=198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			h := Middleware(log, NewMetrics(nil), tt.trusted, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
			r.RemoteAddr = "10.0.0.2:443"
			r.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.7")
			h.ServeHTTP(httptest.NewRecorder(), r)
			if !strings.Contains(buf.String(), tt.want) {
				t.Fatalf("request log %q lacks %q", buf.String(), tt.want)
			}
		})
	}
}
