package graph

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"atrium/internal/inventory"
	"atrium/internal/observe"
	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

// newServer serves the API as one of several servers on the database at dsn: with a
// connection pool and stock, order and goods feeds of its own.
func newServer(t *testing.T, dsn string) *api {
	t.Helper()
	return newServerWith(t, dsn, func(*Deps) {})
}

// newServerWith is newServer with its Deps changed by configure before it starts.
func newServerWith(t *testing.T, dsn string, configure func(*Deps)) *api {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	deps := testDeps(t, d)
	configure(&deps)
	deps.Feed, deps.OrderFeed, deps.GoodsFeed = inventory.NewFeed(dsn), NewOrderFeed(dsn), NewGoodsFeed(dsn)
	done := make(chan error, 3)
	go func() { done <- deps.Feed.Run(ctx) }()
	go func() { done <- deps.OrderFeed.Run(ctx) }()
	go func() { done <- deps.GoodsFeed.Run(ctx) }()
	srv := httptest.NewServer(observe.Middleware(deps.Log, deps.Metrics, deps.TrustedProxies, NewHandler(deps)))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		for range 3 {
			if err := <-done; err != nil {
				t.Errorf("feed: %v", err)
			}
		}
		d.Close()
	})
	return &api{t: t, db: d, deps: deps, url: srv.URL}
}

// TestStockChangedAcrossServers subscribes on server A and adjusts stock through server B
// on the same database: the change reaches A's subscriber through LISTEN/NOTIFY.
func TestStockChangedAcrossServers(t *testing.T) {
	t.Parallel()
	_, dsn := testdb.NewDemoDSN(t)
	serverA, serverB := newServer(t, dsn), newServer(t, dsn)
	f := serverA.stockFixture()
	token := serverA.token("associate") // tokens live in the database: good on B too

	const subscription = `subscription($skus: [String!]!, $loc: ID) { stockChanged(skus: $skus, locationId: $loc) {
		onHand available location { code } variant { sku } } }`
	c := serverA.dial(t, "Bearer "+token)
	if m := c.read(); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	c.write(map[string]any{"type": "subscribe", "id": "stock", "payload": map[string]any{"query": subscription,
		"variables": map[string]any{"skus": []string{f.skus[0]}, "loc": f.home}}})
	if !waitFor(func() bool { return serverA.deps.Feed.Subscribers() == 1 }) {
		t.Fatal("the subscription did not start")
	}

	before := serverB.levels(token, f.skus[0], f.home)[0]
	adjust := func(location, sku string, delta int) {
		t.Helper()
		res := serverB.stockMutation(serverB.token("manager"), "adjustStock", map[string]any{"idempotencyKey": newKey(),
			"locationId": location, "sku": sku, "delta": delta, "reason": "subscription test"})
		if len(res.UserErrors) > 0 {
			t.Fatal(res.UserErrors)
		}
	}
	adjust(f.other, f.skus[0], 1) // another location: not watched
	adjust(f.home, f.skus[1], 1)  // another SKU: not watched
	adjust(f.home, f.skus[0], 3)

	m := c.read()
	var next struct {
		Data struct {
			StockChanged stockLevel
		}
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &next); err != nil || m.Type != "next" || m.ID != "stock" {
		t.Fatalf("got %s %s (%v), want the next level", m.Type, m.Payload, err)
	}
	if l := next.Data.StockChanged; l.OnHand != before.OnHand+3 || l.Location.Code != "TPE-01" || l.Variant.SKU != f.skus[0] {
		t.Errorf("got %+v, want %s at TPE-01 with %d on hand, and nothing before it", l, f.skus[0], before.OnHand+3)
	}

	c.write(map[string]any{"type": "complete", "id": "stock"})
	if !waitFor(func() bool { return serverA.deps.Feed.Subscribers() == 0 }) {
		t.Error("the subscription outlived its completion")
	}
}

// TestStockChangedAuthorization: stock levels are for staff, so is their feed.
func TestStockChangedAuthorization(t *testing.T) {
	t.Parallel()
	_, dsn := testdb.NewDemoDSN(t)
	a := newServer(t, dsn)
	f := a.stockFixture()
	for who, code := range map[string]string{"": "UNAUTHENTICATED", "customer": "FORBIDDEN", "hr": "FORBIDDEN"} {
		t.Run("as "+who, func(t *testing.T) {
			auth := ""
			if who != "" {
				auth = "Bearer " + a.token(who)
			}
			c := a.dial(t, auth)
			if m := c.read(); m.Type != "connection_ack" {
				t.Fatalf("got %+v, want connection_ack", m)
			}
			c.write(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
				"query": `subscription($s: [String!]!) { stockChanged(skus: $s) { onHand } }`, "variables": map[string]any{"s": f.skus[:1]}}})
			// gqlgen sends the resolver's error as a result, then completes.
			var res gqlResponse
			if m := c.read(); m.Type != "next" || json.Unmarshal(m.Payload, &res) != nil || res.code() != code || hasData(res) {
				t.Errorf("got %s %s, want a result with error %s and no data", m.Type, m.Payload, code)
			}
			if m := c.read(); m.Type != "complete" {
				t.Errorf("then %s, want complete", m.Type)
			}
		})
	}
	if n := a.deps.Feed.Subscribers(); n != 0 {
		t.Errorf("%d subscribers, want none", n)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
