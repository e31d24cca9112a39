package order_test

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
	"atrium/internal/order"
	"atrium/internal/promotion"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// fixture is a demo database (stores TPE-01, TPE-02, HSZ-01, TCH-01, KHH-01 with pickup,
// warehouse WH-TAO) with the order service and helpers that craft variants with exactly
// the stock a test wants.
type fixture struct {
	t       testing.TB
	db      *sqlx.DB
	svc     *order.Service
	inv     *inventory.Service
	promo   *promotion.Service
	deps    order.Deps
	loc     map[string]location.Location
	product int64 // the product crafted variants belong to
	mei     int64 // customer mei.lin@example.com
	david   int64 // customer david.wang@example.com
	staff   map[string]actor.Actor
}

var system = actor.SystemContext(context.Background())

func newFixture(t testing.TB, cfg ...func(*order.Config)) *fixture {
	t.Helper()
	d := testdb.NewDemo(t)
	d.SetMaxOpenConns(16)
	f := &fixture{t: t, db: d, inv: inventory.NewService(d), promo: promotion.NewService(d), loc: map[string]location.Location{},
		staff: map[string]actor.Actor{}}
	f.deps = order.Deps{Catalog: catalog.NewService(d), Stock: f.inv, Locations: location.NewService(d), Coupons: f.promo}
	c := order.DefaultConfig()
	for _, fn := range cfg {
		fn(&c)
	}
	f.svc = order.NewService(d, f.deps, c)
	locs, err := location.NewService(d).List(system, location.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		f.loc[l.Code] = l
	}
	must(t, d.Get(&f.mei, `SELECT id FROM customers WHERE email = $1`, seed.DemoCustomerEmail))
	must(t, d.Get(&f.david, `SELECT id FROM customers WHERE email = 'david.wang@example.com'`))
	var staff []struct {
		ID    int64   `db:"id"`
		Login string  `db:"login"`
		Role  string  `db:"role"`
		Home  *int64  `db:"home_location_id"`
		Name  *string `db:"name"`
	}
	must(t, d.Select(&staff, `SELECT id, login, roles[1] AS role, home_location_id, name FROM staff`))
	for _, s := range staff {
		f.staff[s.Login] = actor.Actor{Kind: actor.Staff, ID: s.ID, Roles: []actor.Role{actor.Role(s.Role)},
			HomeLocationID: s.Home, Name: s.Login}
	}
	must(t, d.Get(&f.product, `INSERT INTO products (handle, title, category_id)
		VALUES ('order-test', 'Order test tee', (SELECT id FROM categories WHERE handle = 'mens-clothing')) RETURNING id`))
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var serial atomic.Int64

// variant crafts a variant of the fixture's product at price (minor units) with the given
// units on hand per location code; a code suffixed "/2" keeps 2 of them as safety stock
// (e.g. "TPE-01/2": 5).
func (f *fixture) variant(t testing.TB, price int64, stock map[string]int) (string, int64) {
	t.Helper()
	sku := fmt.Sprintf("OT-%d", serial.Add(1))
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO variants (product_id, sku, title, price_amount, currency)
		VALUES ($1, $2, 'Black / M', $3, 'TWD') RETURNING id`, f.product, sku, price))
	for code, n := range stock {
		code, safety, _ := strings.Cut(code, "/")
		loc := f.loc[code].ID
		if n > 0 {
			_, err := f.inv.Adjust(system, adjustIn(loc, id, n))
			must(t, err)
		}
		if safety != "" {
			var s int
			fmt.Sscan(safety, &s)
			_, err := f.inv.SetStockPolicy(system, loc, id, s, 0)
			must(t, err)
		}
	}
	return sku, id
}

// adjustIn receives n units of a variant at a location.
func adjustIn(loc, variant int64, n int) inventory.AdjustInput {
	return inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: loc, VariantID: variant, Delta: n,
		Kind: inventory.KindReceipt, Reason: "test stock"}
}

// level returns the stock of a variant at a location.
func (f *fixture) level(t testing.TB, code string, variant int64) inventory.Level {
	t.Helper()
	m, err := f.inv.LevelsByVariantIDs(system, []int64{variant})
	must(t, err)
	for _, l := range m[variant] {
		if l.LocationID == f.loc[code].ID {
			return l
		}
	}
	return inventory.Level{}
}

func newKey() string { return fmt.Sprintf("key-%d-%d", time.Now().UnixNano(), serial.Add(1)) }

func (f *fixture) as(login string) context.Context {
	f.t.Helper()
	a, ok := f.staff[login]
	if !ok {
		f.t.Fatalf("no staff login %s", login)
	}
	return actor.With(context.Background(), a)
}

func (f *fixture) customer(id int64) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: id, Name: "customer"})
}

var guest = context.Background()

// taipei is an address in Zhongshan District, Taipei, 0.1 km from TPE-02.
func taipei() *order.Address {
	lat, lng := 25.0530, 121.5210
	return &order.Address{Name: "Mei Lin", Line1: "No. 1, Nanjing West Road", City: "Taipei City", PostalCode: "104",
		Country: "tw", Phone: "0912-345-678", Latitude: &lat, Longitude: &lng}
}

// kaohsiung is an address near KHH-01.
func kaohsiung() *order.Address {
	a := taipei()
	lat, lng := 22.6200, 120.3000
	a.City, a.PostalCode, a.Latitude, a.Longitude = "Kaohsiung City", "802", &lat, &lng
	return a
}

// shipInput is a guest's web order shipping lines to addr.
func shipInput(addr *order.Address, lines ...order.LineInput) order.PlaceOrderInput {
	return order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.Web, Email: fmt.Sprintf("guest%d@example.com", serial.Add(1)),
		Lines: lines, Fulfilment: order.FulfilmentInput{Method: order.Ship, ShippingAddress: addr}}
}

func line(sku string, qty int) order.LineInput { return order.LineInput{SKU: sku, Quantity: qty} }

func (f *fixture) place(t testing.TB, ctx context.Context, in order.PlaceOrderInput) order.Order {
	t.Helper()
	o, err := f.svc.PlaceOrder(ctx, in)
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	return o
}

func (f *fixture) detail(t testing.TB, id int64) order.Detail {
	t.Helper()
	d, err := f.svc.Detail(system, id)
	must(t, err)
	return d
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

// checkLedger asserts that every stock level equals the sum of its movements.
func checkLedger(t testing.TB, d *sqlx.DB) {
	t.Helper()
	var bad []string
	must(t, d.Select(&bad, `
		SELECT s.location_id || '/' || s.variant_id FROM stock_levels s
		LEFT JOIN (SELECT location_id, variant_id, sum(on_hand_delta) AS oh, sum(reserved_delta) AS r
		           FROM stock_movements GROUP BY 1, 2) m USING (location_id, variant_id)
		WHERE coalesce(m.oh, 0) <> s.on_hand OR coalesce(m.r, 0) <> s.reserved`))
	if len(bad) > 0 {
		t.Errorf("levels that differ from their ledger: %v", bad)
	}
}

// takes returns what each fulfilment of an order takes, as "CODE:qty,qty" by line.
func takes(f *fixture, d order.Detail) map[string][]int {
	out := map[string][]int{}
	byLine := map[int64]int{}
	for i, l := range d.Lines {
		byLine[l.ID] = i
	}
	for _, fu := range d.Fulfilments {
		q := make([]int, len(d.Lines))
		for _, l := range fu.Lines {
			q[byLine[l.OrderLineID]] = l.Quantity
		}
		out[f.code(fu.LocationID)] = q
	}
	return out
}

func (f *fixture) code(id int64) string {
	for c, l := range f.loc {
		if l.ID == id {
			return c
		}
	}
	return fmt.Sprint(id)
}
