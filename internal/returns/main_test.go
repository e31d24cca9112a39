package returns_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/db/seed"
	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/loyalty"
	"atrium/internal/order"
	"atrium/internal/promotion"
	"atrium/internal/returns"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// fixture is a demo database (stores TPE-01, TPE-02, HSZ-01, TCH-01, KHH-01, warehouse
// WH-TAO) with the order, inventory and returns services wired as main.go wires them, and
// helpers that craft variants and till sales.
type fixture struct {
	t       testing.TB
	db      *sqlx.DB
	orders  *order.Service
	inv     *inventory.Service
	svc     *returns.Service
	loc     map[string]location.Location
	product int64
	lotted  int64 // a lot-tracked product
	mei     int64 // customer mei.lin@example.com
	staff   map[string]actor.Actor
}

var system = actor.SystemContext(context.Background())

func newFixture(t testing.TB, cfg ...func(*returns.Config)) *fixture {
	t.Helper()
	d := testdb.NewDemo(t)
	d.SetMaxOpenConns(16)
	f := &fixture{t: t, db: d, inv: inventory.NewService(d), loc: map[string]location.Location{},
		staff: map[string]actor.Actor{}}
	c := returns.DefaultConfig()
	for _, fn := range cfg {
		fn(&c)
	}
	points := loyalty.NewService(d)
	f.svc = returns.NewService(d, returns.Deps{Stock: f.inv, Points: points}, c)
	f.orders = order.NewService(d, order.Deps{Catalog: catalog.NewService(d), Stock: f.inv,
		Locations: location.NewService(d), Coupons: promotion.NewService(d), StoreCredit: f.svc, Points: points},
		order.DefaultConfig())
	locs, err := location.NewService(d).List(system, location.Filter{})
	must(t, err)
	for _, l := range locs {
		f.loc[l.Code] = l
	}
	must(t, d.Get(&f.mei, `SELECT id FROM customers WHERE email = $1`, seed.DemoCustomerEmail))
	var staff []struct {
		ID    int64  `db:"id"`
		Login string `db:"login"`
		Role  string `db:"role"`
		Home  *int64 `db:"home_location_id"`
	}
	must(t, d.Select(&staff, `SELECT id, login, roles[1] AS role, home_location_id FROM staff`))
	for _, s := range staff {
		f.staff[s.Login] = actor.Actor{Kind: actor.Staff, ID: s.ID, Roles: []actor.Role{actor.Role(s.Role)},
			HomeLocationID: s.Home, Name: s.Login}
	}
	cat := `(SELECT id FROM categories WHERE handle = 'mens-clothing')`
	must(t, d.Get(&f.product, `INSERT INTO products (handle, title, category_id) VALUES ('return-test', 'Return test tee', `+cat+`) RETURNING id`))
	must(t, d.Get(&f.lotted, `INSERT INTO products (handle, title, category_id, lot_tracked)
		VALUES ('return-test-lots', 'Return test serum', `+cat+`, true) RETURNING id`))
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var serial atomic.Int64

func newKey() string { return fmt.Sprintf("key-%d-%d", time.Now().UnixNano(), serial.Add(1)) }

// variant crafts a variant at price (minor units) with units on hand per location code.
func (f *fixture) variant(t testing.TB, price int64, stock map[string]int) (string, int64) {
	t.Helper()
	sku := fmt.Sprintf("RT-%d", serial.Add(1))
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO variants (product_id, sku, title, price_amount, currency)
		VALUES ($1, $2, 'Blue / L', $3, 'TWD') RETURNING id`, f.product, sku, price))
	for code, n := range stock {
		_, err := f.inv.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.loc[code].ID,
			VariantID: id, Delta: n, Kind: inventory.KindReceipt, Reason: "test stock"})
		must(t, err)
	}
	return sku, id
}

// lotVariant crafts a lot-tracked variant with units of lots at a location.
func (f *fixture) lotVariant(t testing.TB, price int64, code string, lots map[string]int) (string, int64) {
	t.Helper()
	sku := fmt.Sprintf("RL-%d", serial.Add(1))
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO variants (product_id, sku, title, price_amount, currency)
		VALUES ($1, $2, '30 ml', $3, 'TWD') RETURNING id`, f.lotted, sku, price))
	expires := time.Now().AddDate(1, 0, 0)
	for lot, n := range lots {
		_, err := f.inv.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.loc[code].ID,
			VariantID: id, Delta: n, Kind: inventory.KindReceipt, Reason: "test stock", Lot: lot, ExpiresOn: &expires})
		must(t, err)
	}
	return sku, id
}

func (f *fixture) as(login string) context.Context {
	f.t.Helper()
	a, ok := f.staff[login]
	if !ok {
		f.t.Fatalf("no staff login %s", login)
	}
	return actor.With(context.Background(), a)
}

// sale is a till sale (CARRY_OUT, so the goods have left) at TPE-01 by the associate
// there, for customer (0: a walk-in guest), paid in full by method unless it is "".
func (f *fixture) sale(t testing.TB, customer int64, method order.PaymentMethod, lines ...order.LineInput) order.Detail {
	t.Helper()
	ctx := f.as("associate")
	o, err := f.orders.PlaceOrder(ctx, order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS,
		LocationID: f.loc["TPE-01"].ID, CustomerID: customer, Lines: lines,
		Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	must(t, err)
	if method != "" {
		f.pay(t, o.ID, method, o.Total)
	}
	d, err := f.orders.Detail(system, o.ID)
	must(t, err)
	return d
}

func (f *fixture) pay(t testing.TB, orderID int64, method order.PaymentMethod, amount int64) order.Payment {
	t.Helper()
	res, err := f.orders.RecordPayment(f.as("associate"), order.PaymentInput{OrderID: orderID, IdempotencyKey: newKey(),
		Method: method, Amount: amount, Reference: "slip"})
	must(t, err)
	return res.Payment
}

func line(sku string, qty int) order.LineInput { return order.LineInput{SKU: sku, Quantity: qty} }

// ret is a return line of qty units of the order line at index i.
func ret(d order.Detail, i, qty int, disp returns.Disposition) returns.LineInput {
	return returns.LineInput{OrderLineID: d.Lines[i].ID, Quantity: qty, Reason: returns.ReasonChangedMind, Disposition: disp}
}

// create receives a return at a location as login.
func (f *fixture) create(t testing.TB, login, code string, d order.Detail, lines ...returns.LineInput) returns.Detail {
	t.Helper()
	r, err := f.svc.Create(f.as(login), returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID,
		LocationID: f.loc[code].ID, Lines: lines})
	must(t, err)
	return r
}

// onHand returns the units on hand of a variant at a location.
func (f *fixture) onHand(t testing.TB, code string, variant int64) int {
	t.Helper()
	var n int
	must(t, f.db.Get(&n, `SELECT coalesce((SELECT on_hand FROM stock_levels WHERE location_id = $1 AND variant_id = $2), 0)`,
		f.loc[code].ID, variant))
	return n
}

// wantErr asserts that err carries an application error with the client code and, when
// given, the field, and returns it.
func wantErr(t testing.TB, err error, code, field string) *apperr.Error {
	t.Helper()
	errs, ok := apperr.Errors(err)
	if !ok {
		t.Fatalf("got %v, want %s", err, code)
	}
	for _, e := range errs {
		if e.ClientCode() == code && (field == "" || strings.Join(e.Field, ".") == field) {
			return e
		}
	}
	t.Fatalf("got %v, want %s on %q", err, code, field)
	return nil
}

// checkLedgers asserts that every stock level and store credit balance equals the sum of
// its ledger.
func checkLedgers(t testing.TB, d *sqlx.DB) {
	t.Helper()
	var bad []string
	must(t, d.Select(&bad, `
		SELECT 'stock ' || s.location_id || '/' || s.variant_id FROM stock_levels s
		LEFT JOIN (SELECT location_id, variant_id, sum(on_hand_delta) AS oh, sum(reserved_delta) AS r
		           FROM stock_movements GROUP BY 1, 2) m USING (location_id, variant_id)
		WHERE coalesce(m.oh, 0) <> s.on_hand OR coalesce(m.r, 0) <> s.reserved
		UNION ALL
		SELECT 'credit ' || a.customer_id FROM store_credit_accounts a
		WHERE a.balance <> (SELECT coalesce(sum(e.amount), 0) FROM store_credit_entries e WHERE e.customer_id = a.customer_id)`))
	if len(bad) > 0 {
		t.Errorf("balances that differ from their ledger: %v", bad)
	}
}

// events returns the kinds of an order's timeline.
func (f *fixture) events(t testing.TB, orderID int64) []string {
	t.Helper()
	var kinds []string
	must(t, f.db.Select(&kinds, `SELECT kind FROM order_events WHERE order_id = $1 ORDER BY id`, orderID))
	return kinds
}

func itoa[T ~int | ~int64](n T) string { return fmt.Sprint(n) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// ignore keeps the error of a call whose result a test does not need.
func ignore[T any](_ T, err error) error { return err }

func customerCtx(id int64) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: id, Name: "customer"})
}
