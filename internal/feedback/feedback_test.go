package feedback_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/feedback"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	db       *sqlx.DB
	svc      *feedback.Service
	store    map[string]int64 // STORE, WH
	product  map[string]int64 // tee, mug
	variant  map[string]int64
	customer map[string]int64 // mei, david
	assoc    context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := testdb.New(t)
	f := &fixture{db: d, svc: feedback.NewService(d), store: map[string]int64{}, product: map[string]int64{}, variant: map[string]int64{},
		customer: map[string]int64{}}
	for _, l := range []struct{ code, kind string }{{"STORE", "STORE"}, {"WH", "WAREHOUSE"}} {
		var id int64
		must(t, d.Get(&id, `INSERT INTO locations (code, name, kind) VALUES ($1, $1, $2) RETURNING id`, l.code, l.kind))
		f.store[l.code] = id
	}
	for _, p := range []string{"tee", "mug"} {
		var id, v int64
		must(t, d.Get(&id, `INSERT INTO products (handle, title) VALUES ($1, $1) RETURNING id`, p))
		must(t, d.Get(&v, `INSERT INTO variants (product_id, sku, title, price_amount, currency) VALUES ($1, upper($2), $2, 1000, 'TWD') RETURNING id`, id, p+"-1"))
		f.product[p], f.variant[p] = id, v
	}
	for _, c := range []string{"mei", "david"} {
		var id int64
		must(t, d.Get(&id, `INSERT INTO customers (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, c))
		f.customer[c] = id
	}
	var staff int64
	must(t, d.Get(&staff, `INSERT INTO staff (login, name, password_hash, roles) VALUES ('assoc', 'Associate', 'x', '{ASSOCIATE}') RETURNING id`))
	f.assoc = actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: staff, Roles: []actor.Role{actor.Associate}, Name: "assoc"})
	return f
}

func (f *fixture) as(who string) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: f.customer[who], Name: who})
}

// order crafts a paid order of who with a line of product, fulfilled from location by
// method (SHIP or PICKUP at the store) and at status.
func (f *fixture) order(t *testing.T, who, product, from, method, status string) int64 {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var id, alloc int64
	must(t, f.db.Get(&id, `INSERT INTO orders (idempotency_key, request_hash, channel, customer_id, placed_by_kind, currency,
			subtotal, total, paid, lines_signature) VALUES ($1, repeat('a', 64), 'WEB', $2, 'SYSTEM', 'TWD', 1000, 1000, 1000, '')
		RETURNING id`, hex.EncodeToString(b), f.customer[who]))
	_, err := f.db.Exec(`INSERT INTO order_lines (order_id, line_no, variant_id, sku, title, quantity, unit_price, subtotal, total)
		SELECT $1, 0, id, sku, title, 1, 1000, 1000, 1000 FROM variants WHERE id = $2`, id, f.variant[product])
	must(t, err)
	must(t, f.db.Get(&alloc, `INSERT INTO order_allocations (order_id, method, rule, explanation, actor_kind)
		VALUES ($1, $2, 'SINGLE_LOCATION', '{}', 'SYSTEM') RETURNING id`, id, method))
	var pickup *int64
	carrier := "Black Cat"
	if method == "PICKUP" {
		s := f.store["STORE"]
		pickup = &s
	}
	_, err = f.db.Exec(`INSERT INTO fulfilments (order_id, allocation_id, location_id, method, pickup_location_id, status, carrier,
			ship_address)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $4 = 'SHIP' THEN '{"name": "x"}'::jsonb END)`,
		id, alloc, f.store[from], method, pickup, status, carrier)
	must(t, err)
	return id
}

func TestSubmitFeedback(t *testing.T) {
	f := newFixture(t)
	collected := f.order(t, "mei", "tee", "WH", "PICKUP", "COLLECTED")
	delivered := f.order(t, "mei", "mug", "WH", "SHIP", "DELIVERED")
	shipped := f.order(t, "mei", "mug", "WH", "SHIP", "SHIPPED")
	davids := f.order(t, "david", "tee", "WH", "SHIP", "DELIVERED")

	fb, err := f.svc.Submit(f.as("mei"), feedback.Input{OrderID: collected, Rating: 2, Comment: "  The tee shrank.  "})
	must(t, err)
	if fb.LocationID != f.store["STORE"] || fb.Comment != "The tee shrank." || !fb.FollowUp || fb.CustomerName != "mei" {
		t.Fatalf("feedback %+v: want the collecting store and a follow-up", fb)
	}
	fb2, err := f.svc.Submit(f.as("mei"), feedback.Input{OrderID: delivered, Rating: 5})
	must(t, err)
	if fb2.LocationID != f.store["WH"] || fb2.FollowUp {
		t.Fatalf("feedback %+v: want the shipping location and no follow-up", fb2)
	}

	tests := []struct {
		name   string
		ctx    context.Context
		in     feedback.Input
		code   apperr.Code
		reason string
	}{
		{"twice", f.as("mei"), feedback.Input{OrderID: collected, Rating: 4}, apperr.CodeConflict, "ALREADY_GIVEN"},
		{"not yet delivered", f.as("mei"), feedback.Input{OrderID: shipped, Rating: 4}, apperr.CodeInvalid, "NOT_DELIVERED"},
		{"someone else's order", f.as("mei"), feedback.Input{OrderID: davids, Rating: 4}, apperr.CodeNotFound, ""},
		{"rating out of range", f.as("david"), feedback.Input{OrderID: davids, Rating: 6}, apperr.CodeInvalid, ""},
		{"rating zero", f.as("david"), feedback.Input{OrderID: davids}, apperr.CodeInvalid, ""},
		{"anonymous", context.Background(), feedback.Input{OrderID: davids, Rating: 3}, apperr.CodeUnauthenticated, ""},
		{"staff", f.assoc, feedback.Input{OrderID: davids, Rating: 3}, apperr.CodeForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Submit(tt.ctx, tt.in)
			e, ok := apperr.As(err)
			if !ok {
				if errs, _ := apperr.Errors(err); len(errs) > 0 {
					e = errs[0]
				}
			}
			if e == nil || e.Code != tt.code || (tt.reason != "" && e.Reason != tt.reason) {
				t.Fatalf("got %v, want %s %s", err, tt.code, tt.reason)
			}
		})
	}

	t.Run("for order", func(t *testing.T) {
		got, err := f.svc.ForOrder(f.as("mei"), collected)
		must(t, err)
		if got == nil || got.Rating != 2 {
			t.Fatalf("got %+v", got)
		}
		if got, err := f.svc.ForOrder(f.as("mei"), shipped); err != nil || got != nil {
			t.Fatalf("no feedback yet: %+v, %v", got, err)
		}
		if _, err := f.svc.ForOrder(f.as("david"), collected); apperr.CodeOf(err) != apperr.CodeNotFound {
			t.Fatalf("david reading mei's order: %v", err)
		}
	})
}

func TestFeedbackListsAndFollowUp(t *testing.T) {
	f := newFixture(t)
	tee := f.order(t, "mei", "tee", "WH", "PICKUP", "COLLECTED")
	mug := f.order(t, "mei", "mug", "WH", "SHIP", "DELIVERED")
	davidTee := f.order(t, "david", "tee", "WH", "SHIP", "DELIVERED")
	low, err := f.svc.Submit(f.as("mei"), feedback.Input{OrderID: tee, Rating: 1, Comment: "Wrong size"})
	must(t, err)
	_, err = f.svc.Submit(f.as("mei"), feedback.Input{OrderID: mug, Rating: 4})
	must(t, err)
	_, err = f.svc.Submit(f.as("david"), feedback.Input{OrderID: davidTee, Rating: 5})
	must(t, err)

	tests := []struct {
		name   string
		filter feedback.Filter
		want   []int64 // orders, newest first
		avg    float64
	}{
		{"all", feedback.Filter{}, []int64{davidTee, mug, tee}, 3.33},
		{"per order", feedback.Filter{OrderID: mug}, []int64{mug}, 4},
		{"per store", feedback.Filter{LocationID: f.store["STORE"]}, []int64{tee}, 1},
		{"per product", feedback.Filter{ProductID: f.product["tee"]}, []int64{davidTee, tee}, 3},
		{"per customer", feedback.Filter{CustomerID: f.customer["mei"]}, []int64{mug, tee}, 2.5},
		{"follow-up list", feedback.Filter{FollowUp: true}, []int64{tee}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sum, err := f.svc.List(f.assoc, tt.filter)
			must(t, err)
			var orders []int64
			for _, g := range got {
				orders = append(orders, g.OrderID)
			}
			if len(orders) != len(tt.want) || sum.Count != len(tt.want) || sum.Average != tt.avg {
				t.Fatalf("orders %v (count %d, average %v), want %v (average %v)", orders, sum.Count, sum.Average, tt.want, tt.avg)
			}
			for i := range orders {
				if orders[i] != tt.want[i] {
					t.Fatalf("orders %v, want %v", orders, tt.want)
				}
			}
		})
	}

	if _, err := f.svc.Resolve(f.assoc, low.ID, "  "); apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("resolve without a note: %v", err)
	}
	if _, _, err := f.svc.List(f.as("mei"), feedback.Filter{}); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("a customer listing feedback: %v", err)
	}
	res, err := f.svc.Resolve(f.assoc, low.ID, "Called Mei, exchanged for a size M")
	must(t, err)
	if res.ResolvedAt == nil || res.ResolvedByName != "assoc" || res.ResolutionNote != "Called Mei, exchanged for a size M" {
		t.Fatalf("resolved %+v", res)
	}
	if _, err := f.svc.Resolve(f.assoc, low.ID, "again"); apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("resolving twice: %v", err)
	}
	if got, _, _ := f.svc.List(f.assoc, feedback.Filter{FollowUp: true}); len(got) != 0 {
		t.Fatalf("follow-up list after resolving: %+v", got)
	}
	var high []feedback.Feedback
	high, _, err = f.svc.List(f.assoc, feedback.Filter{OrderID: mug})
	must(t, err)
	if _, err := f.svc.Resolve(f.assoc, high[0].ID, "note"); apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("resolving a good rating: %v", err)
	}
}
