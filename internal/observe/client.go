package observe

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the reverse proxies and load balancers in front of Atrium whose
// X-Forwarded-For entries are believed. The zero value trusts nobody: the client is the
// connection's peer.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma-separated list of IP addresses and CIDR ranges
// ("10.0.0.0/8, 127.0.0.1, fd00::/8"); blank means none. The error names the entry that
// is neither.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var t TrustedProxies
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR range (e.g. 10.0.0.0/8 or fd00::/8)", entry)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				// ::ffff:10.0.0.0/104 is 10.0.0.0/8, as Contains compares IPv4 as IPv4.
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			t = append(t, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(entry)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range (e.g. 127.0.0.1 or 10.0.0.0/8)", entry)
		}
		a = a.Unmap()
		t = append(t, netip.PrefixFrom(a, a.BitLen()))
	}
	return t, nil
}

// Contains reports whether a is one of the trusted proxies. An IPv4 address matches IPv4
// ranges whether or not it arrives IPv4-mapped (::ffff:10.0.0.1).
func (t TrustedProxies) Contains(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// String lists the proxies as ParseTrustedProxies reads them.
func (t TrustedProxies) String() string {
	s := make([]string, len(t))
	for i, p := range t {
		if p.IsSingleIP() {
			s[i] = p.Addr().String()
		} else {
			s[i] = p.String()
		}
	}
	return strings.Join(s, ",")
}

// ClientIP is the address of the client that sent r, for throttling and logs. When the
// peer (r.RemoteAddr) is a trusted proxy, X-Forwarded-For is read from the right, as each
// proxy appends the peer it saw, and the first entry that is not itself a trusted proxy is
// the client: entries further left were written by the client and prove nothing. When
// every entry is a trusted proxy the left-most is the client (a host inside the trusted
// network). An entry that is not an address (garbage, an empty entry, "unknown", an
// obfuscated RFC 7239 name) ends the walk at the last address vouched for: whatever lies
// left of it came through a hop nobody can name. Otherwise, and without trusted
// proxies, the client is the peer. Ports and IPv6 zones are dropped and IPv4-mapped IPv6
// is written as IPv4, so a client has one key however it arrives.
func ClientIP(r *http.Request, trusted TrustedProxies) string {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		// Not a TCP peer (a unix socket, a test's made-up address): keep what there is.
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			return host
		}
		return r.RemoteAddr
	}
	if len(trusted) == 0 || !trusted.Contains(peer) {
		return peer.String()
	}
	client := peer
	// Several X-Forwarded-For lines are one list, in order (RFC 9110, 5.3).
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		rest := strings.TrimSpace(values[i])
		for more := rest != ""; more; {
			entry := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				rest, entry = rest[:j], rest[j+1:]
			} else {
				more = false
			}
			a, ok := parseHost(entry)
			if !ok {
				return client.String()
			}
			client = a
			if !trusted.Contains(a) {
				return client.String()
			}
		}
	}
	return client.String()
}

// parseHost reads an address with or without a port: 192.0.2.1, 192.0.2.1:443,
// 2001:db8::1, [2001:db8::1]:443, [2001:db8::1].
func parseHost(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok = strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil {
				return a.Unmap().WithZone(""), true
			}
		}
	}
	return netip.Addr{}, false
}
