package marketing_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/marketing"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var system = actor.SystemContext(context.Background())

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func key() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// world is an empty database with crafted stores, categories, products and customers
// whose orders exercise each segment rule.
type world struct {
	db    *sqlx.DB
	svc   *marketing.Service
	now   time.Time
	store map[string]int64 // A, B
	cat   map[string]int64 // clothing, shirts (under clothing), shoes
	prod  map[string]int64 // shirt, jacket (clothing), sneaker (shoes)
	vari  map[string]int64 // by product
	cust  map[string]int64 // ann, bob, cat, dan, eve, fay (merged into ann), gia
	mgr   context.Context
}

func newWorld(t *testing.T) *world {
	t.Helper()
	d := testdb.New(t)
	w := &world{db: d, now: time.Now(), store: map[string]int64{}, cat: map[string]int64{}, prod: map[string]int64{},
		vari: map[string]int64{}, cust: map[string]int64{}}
	svc, err := marketing.NewService(d, marketing.Config{UnsubscribeSecret: []byte("0123456789abcdef0123456789abcdef-test"),
		UnsubscribeURL: "https://shop.example.com/unsubscribe", Now: func() time.Time { return w.now }})
	must(t, err)
	w.svc = svc
	w.mgr = actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 0, Roles: []actor.Role{actor.Manager}, Name: "manager"})
	for _, code := range []string{"A", "B"} {
		var id int64
		must(t, d.Get(&id, `INSERT INTO locations (code, name, kind, pickup_enabled) VALUES ($1, $2, 'STORE', true) RETURNING id`,
			"ST-"+code, "Store "+code))
		w.store[code] = id
	}
	for _, c := range []struct{ handle, parent string }{{"clothing", ""}, {"shirts", "clothing"}, {"shoes", ""}} {
		var id int64
		var parent *int64
		if c.parent != "" {
			p := w.cat[c.parent]
			parent = &p
		}
		must(t, d.Get(&id, `INSERT INTO categories (handle, name, parent_id) VALUES ($1, $1, $2) RETURNING id`, c.handle, parent))
		w.cat[c.handle] = id
	}
	for _, p := range []struct{ handle, cat string }{{"shirt", "shirts"}, {"jacket", "clothing"}, {"sneaker", "shoes"}} {
		var id, v int64
		must(t, d.Get(&id, `INSERT INTO products (handle, title, category_id) VALUES ($1, initcap($1), $2) RETURNING id`, p.handle, w.cat[p.cat]))
		must(t, d.Get(&v, `INSERT INTO variants (product_id, sku, title, price_amount, currency) VALUES ($1, upper($2), $2, 1000, 'TWD') RETURNING id`,
			id, p.handle+"-1"))
		w.prod[p.handle], w.vari[p.handle] = id, v
	}
	for _, name := range []string{"ann", "bob", "cat", "dan", "eve", "fay", "gia"} {
		var id int64
		must(t, d.Get(&id, `INSERT INTO customers (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, name))
		w.cust[name] = id
	}
	// ann: Gold, a web shirt 10 days ago (NT$3,000), consents to marketing email.
	w.order(t, "ann", order{channel: "WEB", days: 10, total: 300000, product: "shirt", paid: true})
	must(t, exec(d, `INSERT INTO loyalty_accounts (customer_id, tier) VALUES ($1, 'GOLD')`, w.cust["ann"]))
	w.consent(t, "ann", "MARKETING_EMAIL", true)
	// bob: two till sales of sneakers at store A, 100 and 200 days ago; withdrew his consent.
	w.order(t, "bob", order{channel: "POS", store: "A", days: 100, total: 50000, product: "sneaker", paid: true})
	w.order(t, "bob", order{channel: "POS", store: "A", days: 200, total: 50000, product: "sneaker", paid: true})
	w.consent(t, "bob", "MARKETING_EMAIL", true)
	w.consent(t, "bob", "MARKETING_EMAIL", false)
	// cat: a web jacket collected at store B 40 days ago; an unpaid app order 5 days ago.
	w.order(t, "cat", order{channel: "WEB", pickup: "B", days: 40, total: 200000, product: "jacket", paid: true})
	w.order(t, "cat", order{channel: "APP", days: 5, total: 10000, product: "shirt"})
	// dan: no orders; consents to SMS only.
	w.consent(t, "dan", "MARKETING_SMS", true)
	// eve: a paid order that was cancelled.
	w.order(t, "eve", order{channel: "WEB", days: 5, total: 80000, product: "shirt", paid: true, cancelled: true})
	// fay: bought and consented, but was merged into ann: never a member of a segment.
	w.order(t, "fay", order{channel: "POS", store: "A", days: 3, total: 90000, product: "sneaker", paid: true})
	w.consent(t, "fay", "MARKETING_EMAIL", true)
	must(t, exec(d, `UPDATE customers SET merged_into_id = $2, merged_at = now() WHERE id = $1`, w.cust["fay"], w.cust["ann"]))
	// gia: web sneakers 3 days ago (NT$200), consents to marketing email.
	w.order(t, "gia", order{channel: "WEB", days: 3, total: 20000, product: "sneaker", paid: true})
	w.consent(t, "gia", "MARKETING_EMAIL", true)
	return w
}

func exec(d *sqlx.DB, q string, args ...any) error {
	_, err := d.Exec(q, args...)
	return err
}

type order struct {
	channel   string
	store     string // the till's store
	pickup    string // collected at
	days      int    // placed this many days ago
	total     int64
	product   string
	paid      bool
	cancelled bool
}

func (w *world) order(t *testing.T, who string, o order) int64 {
	t.Helper()
	var loc *int64
	if o.store != "" {
		l := w.store[o.store]
		loc = &l
	}
	paid := int64(0)
	if o.paid {
		paid = o.total
	}
	status := "OPEN"
	if o.cancelled {
		status = "CANCELLED"
	}
	var id int64
	must(t, w.db.Get(&id, `INSERT INTO orders (idempotency_key, request_hash, channel, status, customer_id, location_id, placed_by_kind,
			currency, subtotal, total, paid, lines_signature, created_at)
		VALUES ($1, repeat('a', 64), $2, $3, $4, $5, 'SYSTEM', 'TWD', $6, $6, $7, '', $8) RETURNING id`,
		key(), o.channel, status, w.cust[who], loc, o.total, paid, w.now.AddDate(0, 0, -o.days)))
	must(t, exec(w.db, `INSERT INTO order_lines (order_id, line_no, variant_id, sku, title, quantity, unit_price, subtotal, total)
		SELECT $1, 0, id, sku, title, 1, $2, $2, $2 FROM variants WHERE id = $3`, id, o.total, w.vari[o.product]))
	if o.pickup != "" {
		var alloc int64
		must(t, w.db.Get(&alloc, `INSERT INTO order_allocations (order_id, method, rule, explanation, actor_kind)
			VALUES ($1, 'PICKUP', 'PICKUP_STORE', '{}', 'SYSTEM') RETURNING id`, id))
		must(t, exec(w.db, `INSERT INTO fulfilments (order_id, allocation_id, location_id, method, pickup_location_id, status)
			VALUES ($1, $2, $3, 'PICKUP', $3, 'COLLECTED')`, id, alloc, w.store[o.pickup]))
	}
	return id
}

func (w *world) consent(t *testing.T, who, purpose string, granted bool) {
	t.Helper()
	must(t, exec(w.db, `INSERT INTO customer_consents (customer_id, purpose, granted, channel, actor_kind, recorded_at)
		VALUES ($1, $2, $3, 'WEB', 'CUSTOMER', clock_timestamp())`, w.cust[who], purpose, granted))
}

// names turns customer ids back into the fixture's names, sorted.
func (w *world) names(ids []int64) []string {
	var out []string
	for _, id := range ids {
		for n, c := range w.cust {
			if c == id {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}
