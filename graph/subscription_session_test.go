package graph

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"atrium/internal/testdb"
)

// sessionCheck is the token re-check interval of the servers in these tests.
const sessionCheck = 200 * time.Millisecond

// closeWithin reads c until the server closes it and returns the close frame's code and
// reason; it fails t when the socket stays open for d.
func (c *wsConn) closeWithin(d time.Duration) (websocket.StatusCode, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, d)
	defer cancel()
	for {
		var m wsMessage
		err := wsjson.Read(ctx, c.conn, &m)
		if err == nil {
			continue // a result sent before the close
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("the socket stayed open (%v), want it closed", err)
		}
		return ce.Code, ce.Reason
	}
}

// dialHeader is dial with the token in the upgrade request's Authorization header and
// an empty connection_init payload.
func (a *api) dialHeader(t testing.TB, authorization string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.url, "http"), &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"Authorization": {authorization}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsConn{t: t, ctx: ctx, conn: conn}
	c.write(map[string]any{"type": "connection_init", "payload": map[string]any{}})
	return c
}

// subscribe sends a subscription on c and waits until the server counts it.
func subscribe(t *testing.T, c *wsConn, id, query string, vars map[string]any, subscribers func() int, want int) {
	t.Helper()
	if m := c.read(); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	c.write(map[string]any{"type": "subscribe", "id": id, "payload": map[string]any{"query": query, "variables": vars}})
	if !waitFor(func() bool { return subscribers() == want }) {
		t.Fatalf("%d subscribers, want %d: the subscription did not start", subscribers(), want)
	}
}

// sessionWatchers counts the goroutines watching websocket tokens in this process.
func sessionWatchers() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "graph.(*server).watchSession.func")
}

// TestSubscriptionEndsWhenTokenEnds: a connection whose token is signed out or expires is
// closed with 4403 and the reason within the check interval, ending its subscriptions,
// while a connection with a valid token keeps receiving events.
func TestSubscriptionEndsWhenTokenEnds(t *testing.T) {
	t.Parallel()
	_, dsn := testdb.NewDemoDSN(t)
	a := newServerWith(t, dsn, func(d *Deps) { d.SessionCheckInterval = sessionCheck })
	f := a.stockFixture()
	const stock = `subscription($skus: [String!]!, $loc: ID) { stockChanged(skus: $skus, locationId: $loc) { onHand } }`
	stockVars := map[string]any{"skus": []string{f.skus[0]}, "loc": f.home}

	// A manager's connection stays open throughout and sees every change.
	manager := a.token("manager")
	keeper := a.dial(t, "Bearer "+manager)
	subscribe(t, keeper, "keep", stock, stockVars, a.deps.Feed.Subscribers, 1)
	adjust := func(t *testing.T) {
		t.Helper()
		res := a.stockMutation(manager, "adjustStock", map[string]any{"idempotencyKey": newKey(),
			"locationId": f.home, "sku": f.skus[0], "delta": 1, "reason": "session test"})
		if len(res.UserErrors) > 0 {
			t.Fatal(res.UserErrors)
		}
		if m := keeper.read(); m.Type != "next" || m.ID != "keep" {
			t.Fatalf("the valid connection got %s %s, want the next level", m.Type, m.Payload)
		}
	}

	signOut := func(t *testing.T, token string) {
		t.Helper()
		var out struct{ Logout bool }
		a.query(token, `mutation { logout }`, nil, &out)
		if !out.Logout {
			t.Fatal("logout = false, want true")
		}
	}
	expire := func(t *testing.T, token string) {
		t.Helper()
		if _, err := a.db.Exec(`UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
			hashForTest(token)); err != nil {
			t.Fatal(err)
		}
	}
	erase := func(t *testing.T, token string) {
		t.Helper()
		var me struct{ Me struct{ ID string } }
		a.query(token, `{ me { ... on Customer { id } } }`, nil, &me)
		var out struct {
			EraseCustomer struct{ UserErrors []userError }
		}
		a.query(manager, `mutation($id: ID!) { eraseCustomer(customerId: $id, reason: "session test") { userErrors { code } } }`,
			map[string]any{"id": me.Me.ID}, &out)
		if len(out.EraseCustomer.UserErrors) > 0 {
			t.Fatal(out.EraseCustomer.UserErrors)
		}
	}
	of := a.orderFixture()
	sku := of.variant(30000, map[string]int{"WH-TAO": 5})
	for _, tt := range []struct {
		name, who  string
		end        func(*testing.T, string)
		wantReason string
		header     bool // the token in the upgrade request's header, not connection_init
	}{
		{"staff signs out", "associate", signOut, "signed out", false},
		{"staff signs out, token in the header", "associate", signOut, "signed out", true},
		{"customer signs out", "customer", signOut, "signed out", false},
		{"staff token expires", "associate", expire, "expired", false},
		{"customer token expires", "customer", expire, "expired", false},
		{"customer erased", "customer", erase, "sign in again", false}, // last: the demo customer is gone
	} {
		t.Run(tt.name, func(t *testing.T) {
			token := a.token(tt.who)
			dial := a.dial
			if tt.header {
				dial = a.dialHeader
			}
			c := dial(t, "Bearer "+token)
			if tt.who == "customer" {
				o := a.mustPlace(token, shipOrder("WEB", sku, 1))
				subscribe(t, c, "s", `subscription($id: ID!) { orderUpdated(id: $id) { id } }`,
					map[string]any{"id": o.ID}, a.deps.OrderFeed.Subscribers, 1)
			} else {
				subscribe(t, c, "s", stock, stockVars, a.deps.Feed.Subscribers, 2)
			}
			// Still open after a few checks while the token is valid.
			time.Sleep(3 * sessionCheck)
			c.write(map[string]any{"type": "ping"})
			if m := c.read(); m.Type != "pong" {
				t.Fatalf("got %s, want pong: the connection should be open", m.Type)
			}

			tt.end(t, token)
			start := time.Now()
			code, reason := c.closeWithin(sessionCheck + 2*time.Second)
			if code != 4403 || !strings.Contains(reason, tt.wantReason) || !strings.Contains(reason, "sign in again") {
				t.Errorf("closed with %d %q, want 4403 saying %q and to sign in again", code, reason, tt.wantReason)
			}
			t.Logf("closed %v after the token ended", time.Since(start))
			if !waitFor(func() bool { return a.deps.Feed.Subscribers() == 1 && a.deps.OrderFeed.Subscribers() == 0 }) {
				t.Errorf("%d stock and %d order subscribers, want only the valid connection's",
					a.deps.Feed.Subscribers(), a.deps.OrderFeed.Subscribers())
			}
			adjust(t)
		})
	}
}

// TestWebsocketSessionWatchers: a watcher runs for each signed-in connection and ends
// with it; anonymous connections have none and stay open. Not parallel: it counts the
// process's goroutines.
func TestWebsocketSessionWatchers(t *testing.T) {
	_, dsn := testdb.NewDemoDSN(t)
	a := newServerWith(t, dsn, func(d *Deps) { d.SessionCheckInterval = sessionCheck })
	token := a.token("associate")
	waitQuiet := func(want int) bool { return waitFor(func() bool { return sessionWatchers() == want }) }
	if !waitQuiet(0) {
		t.Fatalf("%d session watchers before any connection, want 0", sessionWatchers())
	}
	goroutines := runtime.NumGoroutine()

	anon := a.dial(t, "")
	if m := anon.read(); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	var signed []*wsConn
	for range 3 {
		c := a.dial(t, "Bearer "+token)
		if m := c.read(); m.Type != "connection_ack" {
			t.Fatalf("got %+v, want connection_ack", m)
		}
		signed = append(signed, c)
	}
	if !waitQuiet(3) {
		t.Errorf("%d session watchers for 3 signed-in connections and an anonymous one, want 3", sessionWatchers())
	}

	time.Sleep(3 * sessionCheck)
	anon.write(map[string]any{"type": "ping"})
	if m := anon.read(); m.Type != "pong" {
		t.Errorf("the anonymous connection got %s, want pong", m.Type)
	}

	for _, c := range signed {
		if err := c.conn.Close(websocket.StatusNormalClosure, "bye"); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	if !waitQuiet(0) {
		t.Errorf("%d session watchers after their connections closed, want 0", sessionWatchers())
	}
	anon.conn.Close(websocket.StatusNormalClosure, "bye")
	// A little slack for goroutines of the HTTP server and database pool winding down.
	if !waitFor(func() bool { return runtime.NumGoroutine() <= goroutines+2 }) {
		t.Errorf("%d goroutines after every connection closed, want at most %d", runtime.NumGoroutine(), goroutines+2)
	}
}

// hashForTest is the stored hash of a bearer token, as internal/auth keeps it.
func hashForTest(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
