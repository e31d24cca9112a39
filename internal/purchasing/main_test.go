package purchasing_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/notify"
	"atrium/internal/purchasing"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var system = actor.SystemContext(context.Background())

// fixture is a demo database (stores TPE-01 with manager grace.lin, KHH-01 with manager
// shufen.hsu, warehouse WH-TAO with fulfilment staff, one buyer) with the purchasing
// service, a TWD supplier and helpers that craft variants.
type fixture struct {
	t     testing.TB
	db    *sqlx.DB
	svc   *purchasing.Service
	inv   *inventory.Service
	loc   map[string]int64
	staff map[string]actor.Actor
	// apparel and snack are products in mens-clothing and (lot-tracked) snacks-gifts.
	apparel, snack int64
	supplier       purchasing.Supplier
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	d := testdb.NewDemo(t)
	f := &fixture{t: t, db: d, svc: purchasing.NewService(d), inv: inventory.NewService(d), loc: map[string]int64{},
		staff: map[string]actor.Actor{}}
	locs, err := location.NewService(d).List(system, location.Filter{})
	must(t, err)
	for _, l := range locs {
		f.loc[l.Code] = l.ID
	}
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
	must(t, d.Get(&f.apparel, `INSERT INTO products (handle, title, category_id)
		VALUES ('po-tee', 'Buying test tee', (SELECT id FROM categories WHERE handle = 'mens-clothing')) RETURNING id`))
	must(t, d.Get(&f.snack, `INSERT INTO products (handle, title, category_id, lot_tracked, shelf_life_days)
		VALUES ('po-cake', 'Buying test pineapple cake', (SELECT id FROM categories WHERE handle = 'snacks-gifts'), true, 90)
		RETURNING id`))
	f.supplier, err = f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-TEE", Name: "Formosa Garments",
		ContactName: "Mr. Lee", Email: "orders@formosa.example", Currency: "TWD",
		PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 30}, LeadTimeDays: 10, Active: true})
	must(t, err)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var serial atomic.Int64

// variant crafts a variant of product (apparel or snack) and returns its id and SKU.
func (f *fixture) variant(t testing.TB, product int64) (int64, string) {
	t.Helper()
	sku := fmt.Sprintf("PO-%d", serial.Add(1))
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO variants (product_id, sku, barcode, title, price_amount, currency)
		VALUES ($1, $2, $3, 'Test variant', 50000, 'TWD') RETURNING id`, product, sku, fmt.Sprintf("47100000%05d", serial.Add(1))))
	return id, sku
}

// item makes variant a supplier item of sup at cost (major units) in packs.
func (f *fixture) item(t testing.TB, sup, variant int64, cost string, pack, moq int) purchasing.SupplierItem {
	t.Helper()
	it, err := f.svc.SetSupplierItem(f.as("buyer"), purchasing.SupplierItemInput{SupplierID: sup, VariantID: variant,
		SupplierSKU: fmt.Sprintf("S-%d", variant), UnitCost: decimal.RequireFromString(cost), PackSize: pack, MinOrderQty: moq, Active: true})
	must(t, err)
	return it
}

func (f *fixture) as(login string) context.Context {
	f.t.Helper()
	a, ok := f.staff[login]
	if !ok {
		f.t.Fatalf("no staff login %s", login)
	}
	return actor.With(context.Background(), a)
}

// addStaff adds a staff member with roles, based at home (a location code or "").
func (f *fixture) addStaff(t testing.TB, login string, home string, roles ...actor.Role) {
	t.Helper()
	var homeID *int64
	if home != "" {
		id := f.loc[home]
		homeID = &id
	}
	rs := make([]string, len(roles))
	for i, r := range roles {
		rs[i] = string(r)
	}
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO staff (login, name, email, password_hash, roles, home_location_id)
		VALUES ($1, $1, $1 || '@atrium.example.com', 'x', $2::text[], $3) RETURNING id`, login, "{"+strings.Join(rs, ",")+"}", homeID))
	f.staff[login] = actor.Actor{Kind: actor.Staff, ID: id, Roles: roles, HomeLocationID: homeID, Name: login}
}

// draft creates a draft order from the fixture's supplier to loc with lines.
func (f *fixture) draft(t testing.TB, loc string, lines ...purchasing.LineInput) purchasing.Order {
	t.Helper()
	o, err := f.svc.CreateOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc[loc], Lines: lines})
	must(t, err)
	return o
}

// approved creates, submits and approves (by enough managers) an order.
func (f *fixture) approved(t testing.TB, loc string, lines ...purchasing.LineInput) purchasing.Order {
	t.Helper()
	o := f.draft(t, loc, lines...)
	_, err := f.svc.Submit(f.as("buyer"), o.ID, "")
	must(t, err)
	for _, who := range []string{"manager", "shufen.hsu"} {
		o, err = f.svc.Approve(f.as(who), o.ID, "ok")
		must(t, err)
		if o.Status == purchasing.Approved {
			return o
		}
	}
	t.Fatalf("order %d is %s after two approvals", o.ID, o.Status)
	return o
}

// sent is approved and then sent with an expected date in a week.
func (f *fixture) sent(t testing.TB, loc string, lines ...purchasing.LineInput) purchasing.Order {
	t.Helper()
	o := f.approved(t, loc, lines...)
	o, err := f.svc.Send(f.as("buyer"), o.ID, purchasing.SendInput{})
	must(t, err)
	return o
}

func line(variant int64, qty int) purchasing.LineInput {
	return purchasing.LineInput{VariantID: variant, Quantity: qty}
}

// level returns the stock of a variant at a location code.
func (f *fixture) level(t testing.TB, code string, variant int64) inventory.Level {
	t.Helper()
	m, err := f.inv.LevelsByVariantIDs(system, []int64{variant})
	must(t, err)
	for _, l := range m[variant] {
		if l.LocationID == f.loc[code] {
			return l
		}
	}
	return inventory.Level{}
}

// wantErr asserts that err carries an application error with the client code (any when
// code is empty) and, when given, the field, and returns it.
func wantErr(t testing.TB, err error, code, field string) *apperr.Error {
	t.Helper()
	errs, ok := apperr.Errors(err)
	if !ok {
		t.Fatalf("got %v, want %s", err, code)
	}
	for _, e := range errs {
		if (code == "" || e.ClientCode() == code) && (field == "" || strings.Join(e.Field, ".") == field) {
			return e
		}
	}
	t.Fatalf("got %v, want %s on %q", err, code, field)
	return nil
}

// checkLedger asserts that every stock level equals the sum of its movements, incoming
// included.
func checkLedger(t testing.TB, d *sqlx.DB) {
	t.Helper()
	var bad []string
	must(t, d.Select(&bad, `
		SELECT s.location_id || '/' || s.variant_id FROM stock_levels s
		LEFT JOIN (SELECT location_id, variant_id, sum(on_hand_delta) AS oh, sum(reserved_delta) AS r,
		                  sum(incoming_delta) AS i
		           FROM stock_movements GROUP BY 1, 2) m USING (location_id, variant_id)
		WHERE coalesce(m.oh, 0) <> s.on_hand OR coalesce(m.r, 0) <> s.reserved OR coalesce(m.i, 0) <> s.incoming`))
	if len(bad) > 0 {
		t.Errorf("levels that differ from their ledger: %v", bad)
	}
}

// messages returns the notifications of kind about order id, as "recipient" strings.
func (f *fixture) messages(t testing.TB, id int64, kind string) []notify.Notification {
	t.Helper()
	ns, err := notify.ByReference(context.Background(), f.db, fmt.Sprintf("PO:%d", id))
	must(t, err)
	var out []notify.Notification
	for _, n := range ns {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

func recipients(ns []notify.Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.To)
	}
	return out
}

func date(days int) *time.Time {
	y, m, d := time.Now().UTC().Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
	return &t
}

func itoa(n int64) string { return fmt.Sprint(n) }
