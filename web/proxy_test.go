package web

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"atrium/internal/auth"
	"atrium/internal/observe"
	"atrium/internal/password"
	"atrium/internal/testdb"
)

// TestLoginThrottlingBehindProxy: behind a trusted load balancer each client is throttled
// by the address the balancer forwards, not the balancer's own; from an untrusted peer
// X-Forwarded-For changes nothing.
func TestLoginThrottlingBehindProxy(t *testing.T) {
	t.Parallel()
	const limit = 3
	newThrottledApp := func(t *testing.T, trusted string) *app {
		t.Helper()
		db := testdb.NewDemo(t)
		d := testDeps(db)
		d.Auth = auth.NewService(db, auth.Options{Password: password.Fast, MaxAddressFailures: limit, MaxFailures: 100})
		var err error
		if d.TrustedProxies, err = observe.ParseTrustedProxies(trusted); err != nil {
			t.Fatal(err)
		}
		return newAppWith(t, db, d)
	}
	// fail signs in with a wrong password as a different login each time, so only the
	// address's count grows.
	fail := func(c *client, n int, xff func(i int) string) {
		c.t.Helper()
		for i := range n {
			c.post("/admin/login", url.Values{"login": {fmt.Sprintf("nobody-%d", i)}, "password": {"wrong-password"}},
				"X-Forwarded-For", xff(i)).wantStatus(401)
		}
	}
	addresses := func(a *app) []string {
		t.Helper()
		var got []string
		if err := a.db.Select(&got, `SELECT DISTINCT address FROM login_attempts ORDER BY address`); err != nil {
			t.Fatal(err)
		}
		return got
	}
	good := url.Values{"login": {"manager"}, "password": {testdb.DemoPassword}}

	t.Run("clients behind a trusted proxy are throttled apart", func(t *testing.T) {
		t.Parallel()
		a := newThrottledApp(t, "127.0.0.0/8,::1")
		attacker, colleague := a.client(), a.client()
		// The attacker's own left-most entries change every time: only the proxy's counts.
		fail(attacker, limit, func(i int) string { return fmt.Sprintf("203.0.113.%d, 198.51.100.7", i+1) })
		attacker.post("/admin/login", good, "X-Forwarded-For", "203.0.113.99, 198.51.100.7").wantStatus(429)
		colleague.post("/admin/login", good, "X-Forwarded-For", "198.51.100.8").wantRedirect("/admin/")
		if got, want := addresses(a), []string{"198.51.100.7", "198.51.100.8"}; !slices.Equal(got, want) {
			t.Fatalf("attempts counted against %q, want %q", got, want)
		}
	})

	t.Run("forwarded-for from an untrusted peer is ignored", func(t *testing.T) {
		t.Parallel()
		a := newThrottledApp(t, "10.0.0.0/8")
		c := a.client()
		fail(c, limit, func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) })
		c.post("/admin/login", good, "X-Forwarded-For", "198.51.100.200").wantStatus(429)
		if got := addresses(a); len(got) != 1 || (got[0] != "127.0.0.1" && got[0] != "::1") {
			t.Fatalf("attempts counted against %q, want only the peer's loopback address", got)
		}
	})
}
