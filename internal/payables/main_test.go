package payables_test

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
	"atrium/internal/location"
	"atrium/internal/payables"
	"atrium/internal/purchasing"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var system = actor.SystemContext(context.Background())

// fixture is a demo database with purchasing and payables services, a TWD supplier on
// 2/10 net 30 and helpers that craft variants, sent orders and receipts through
// purchasing's service. Staff: accountant (enters bills), accountant2 (approves),
// manager, buyer, associate.
type fixture struct {
	t        testing.TB
	db       *sqlx.DB
	dsn      string
	buy      *purchasing.Service
	svc      *payables.Service
	loc      map[string]int64
	staff    map[string]actor.Actor
	product  int64
	supplier purchasing.Supplier
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	d, dsn := testdb.NewDemoDSN(t)
	f := &fixture{t: t, db: d, dsn: dsn, buy: purchasing.NewService(d), svc: payables.NewService(d), loc: map[string]int64{},
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
	var id int64
	must(t, d.Get(&id, `INSERT INTO staff (login, name, email, password_hash, roles)
		VALUES ('accountant2', 'Second Accountant', 'accountant2@atrium.example.com', 'x', '{ACCOUNTANT}') RETURNING id`))
	f.staff["accountant2"] = actor.Actor{Kind: actor.Staff, ID: id, Roles: []actor.Role{actor.Accountant}, Name: "accountant2"}
	must(t, d.Get(&f.product, `INSERT INTO products (handle, title, category_id)
		VALUES ('ap-tee', 'Payables test tee', (SELECT id FROM categories WHERE handle = 'mens-clothing')) RETURNING id`))
	f.supplier, err = f.buy.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-AP", Name: "Formosa Garments",
		Email: "ap@formosa.example", Currency: "TWD", Active: true, LeadTimeDays: 10,
		PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 30, DiscountPct: decimal.NewFromInt(2), DiscountDays: 10}})
	must(t, err)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) as(login string) context.Context {
	f.t.Helper()
	a, ok := f.staff[login]
	if !ok {
		f.t.Fatalf("no staff login %s", login)
	}
	return actor.With(context.Background(), a)
}

var serial atomic.Int64

// variant crafts a variant the supplier sells at cost (major units).
func (f *fixture) variant(t testing.TB, cost string) int64 {
	t.Helper()
	var id int64
	n := serial.Add(1)
	must(t, f.db.Get(&id, `INSERT INTO variants (product_id, sku, barcode, title, price_amount, currency)
		VALUES ($1, $2, $3, 'Test variant', 50000, 'TWD') RETURNING id`, f.product, fmt.Sprintf("AP-%d", n),
		fmt.Sprintf("47200000%05d", n)))
	_, err := f.buy.SetSupplierItem(f.as("buyer"), purchasing.SupplierItemInput{SupplierID: f.supplier.ID, VariantID: id,
		SupplierSKU: fmt.Sprintf("S-%d", id), UnitCost: decimal.RequireFromString(cost), PackSize: 1, MinOrderQty: 1, Active: true})
	must(t, err)
	return id
}

// order creates, approves and sends an order to TPE-01 with qty of each variant.
func (f *fixture) order(t testing.TB, lines ...purchasing.LineInput) purchasing.Order {
	t.Helper()
	o, err := f.buy.CreateOrder(f.as("buyer"), purchasing.OrderInput{SupplierID: f.supplier.ID, LocationID: f.loc["TPE-01"], Lines: lines})
	must(t, err)
	_, err = f.buy.Submit(f.as("buyer"), o.ID, "")
	must(t, err)
	for _, who := range []string{"manager", "shufen.hsu"} {
		if o, err = f.buy.Approve(f.as(who), o.ID, "ok"); err != nil {
			t.Fatal(err)
		}
		if o.Status == purchasing.Approved {
			break
		}
	}
	o, err = f.buy.Send(f.as("buyer"), o.ID, purchasing.SendInput{})
	must(t, err)
	return o
}

// receive records accepted units of variant on order o.
func (f *fixture) receive(t testing.TB, o purchasing.Order, variant int64, accepted int) {
	t.Helper()
	_, err := f.buy.Receive(f.as("manager"), purchasing.ReceiptInput{IdempotencyKey: fmt.Sprintf("r-%d", serial.Add(1)),
		OrderID: o.ID, Lines: []purchasing.ReceiptLineInput{{VariantID: variant, Accepted: accepted}}})
	must(t, err)
}

func ln(variant int64, qty int) purchasing.LineInput {
	return purchasing.LineInput{VariantID: variant, Quantity: qty}
}

// lineOf is the id of o's line for variant.
func lineOf(t testing.TB, o purchasing.Order, variant int64) int64 {
	t.Helper()
	for _, l := range o.Lines {
		if l.VariantID == variant {
			return l.ID
		}
	}
	t.Fatalf("order %d has no line for variant %d", o.ID, variant)
	return 0
}

var billNo atomic.Int64

// bill is a bill input for the fixture's supplier dated days ago with tax at 5% and a
// consistent total.
func (f *fixture) bill(daysAgo int, lines ...payables.BillLineInput) payables.BillInput {
	in := payables.BillInput{SupplierID: f.supplier.ID, Number: fmt.Sprintf("INV-%d", billNo.Add(1)),
		BillDate: daysFromToday(-daysAgo), Currency: "TWD", Lines: lines}
	var sub int64
	for _, l := range lines {
		sub += decimal.NewFromInt(int64(l.Quantity)).Mul(l.UnitPrice).Shift(2).Round(0).IntPart()
	}
	in.TaxAmount = decimal.NewFromInt(sub).Mul(decimal.RequireFromString("0.05")).Round(0).IntPart()
	in.Total = sub + in.TaxAmount
	return in
}

func bl(orderLine int64, qty int, price string) payables.BillLineInput {
	return payables.BillLineInput{OrderLineID: orderLine, Quantity: qty, UnitPrice: decimal.RequireFromString(price)}
}

// daysFromToday is a date days from today in the demo company's time zone (the settings'
// Asia/Taipei), the calendar payables dates receipts by.
func daysFromToday(days int) time.Time {
	zone, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		panic(err)
	}
	y, m, d := time.Now().In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
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
		if (code == "" || e.ClientCode() == code) && (field == "" || strings.Join(e.Field, ".") == field) {
			return e
		}
	}
	t.Fatalf("got %v, want %s on %q", err, code, field)
	return nil
}
