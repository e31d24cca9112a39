package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"atrium/db/seed"
	"atrium/internal/auth"
	"atrium/internal/observe"
	"atrium/internal/password"
	"atrium/internal/testdb"
)

// TestLoginThrottlingBehindProxy: behind a trusted load balancer sign-in failures count
// against the address it forwards, so one client cannot lock out the others; from an
// untrusted peer X-Forwarded-For is ignored.
func TestLoginThrottlingBehindProxy(t *testing.T) {
	t.Parallel()
	const limit = 3
	// serve runs the API with the given trusted proxies and a low address limit, and
	// returns its URL and a reader of the addresses sign-in attempts were counted against.
	serve := func(t *testing.T, trusted string) (string, func() []string) {
		t.Helper()
		db := testdb.NewDemo(t)
		deps := testDeps(t, db)
		deps.Auth = auth.NewService(db, auth.Options{Password: password.Fast, MaxAddressFailures: limit, MaxFailures: 100})
		var err error
		if deps.TrustedProxies, err = observe.ParseTrustedProxies(trusted); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(observe.Middleware(deps.Log, deps.Metrics, deps.TrustedProxies, NewHandler(deps)))
		t.Cleanup(srv.Close)
		addresses := func() []string {
			t.Helper()
			var got []string
			if err := db.Select(&got, `SELECT DISTINCT address FROM login_attempts ORDER BY address`); err != nil {
				t.Fatal(err)
			}
			return got
		}
		return srv.URL, addresses
	}
	// login signs in as a customer through a proxy that forwarded for xff.
	login := func(t *testing.T, url, email, pw, xff string) authPayload {
		t.Helper()
		body, _ := json.Marshal(map[string]any{
			"query":     `mutation($e: String!, $p: String!) { customerLogin(email: $e, password: $p) { ` + authPayloadFields + ` } }`,
			"variables": map[string]any{"e": email, "p": pw},
		})
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Data   struct{ CustomerLogin authPayload }
			Errors []gqlError
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("customerLogin: status %d, errors %+v, decode %v", res.StatusCode, out.Errors, err)
		}
		return out.Data.CustomerLogin
	}
	fail := func(t *testing.T, url string, xff func(i int) string) {
		t.Helper()
		for i := range limit {
			wantUserError(t, login(t, url, fmt.Sprintf("nobody-%d@example.com", i), "wrong password", xff(i)), "INVALID_CREDENTIALS", nil)
		}
	}

	t.Run("clients behind a trusted proxy are throttled apart", func(t *testing.T) {
		t.Parallel()
		url, addresses := serve(t, "127.0.0.0/8,::1")
		fail(t, url, func(i int) string { return fmt.Sprintf("203.0.113.%d, 198.51.100.7", i+1) })
		wantUserError(t, login(t, url, seed.DemoCustomerEmail, testdb.DemoPassword, "203.0.113.99, 198.51.100.7"), "RATE_LIMITED", nil)
		if p := login(t, url, seed.DemoCustomerEmail, testdb.DemoPassword, "198.51.100.8"); p.Token == nil {
			t.Fatalf("a second client behind the proxy is refused: %+v", p.UserErrors)
		}
		if got, want := addresses(), []string{"198.51.100.7", "198.51.100.8"}; !slices.Equal(got, want) {
			t.Fatalf("attempts counted against %q, want %q", got, want)
		}
	})

	t.Run("forwarded-for from an untrusted peer is ignored", func(t *testing.T) {
		t.Parallel()
		url, addresses := serve(t, "10.0.0.0/8")
		fail(t, url, func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) })
		wantUserError(t, login(t, url, seed.DemoCustomerEmail, testdb.DemoPassword, "198.51.100.200"), "RATE_LIMITED", nil)
		if got := addresses(); len(got) != 1 || (got[0] != "127.0.0.1" && got[0] != "::1") {
			t.Fatalf("attempts counted against %q, want only the peer's loopback address", got)
		}
	})
}
