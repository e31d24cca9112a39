package replenishment_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/inventory"
	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var system = actor.SystemContext(context.Background())

// fixture is a demo database (stores TPE-01, TPE-02, ..., warehouse WH-TAO; staff logins
// manager, buyer, associate, ...) with the replenishment service and helpers that craft
// variants with a chosen sales history, stock and suppliers.
type fixture struct {
	t       testing.TB
	db      *sqlx.DB
	svc     *replenishment.Service
	inv     *inventory.Service
	buy     *purchasing.Service
	loc     map[string]int64
	staff   map[string]actor.Actor
	product int64
}

func newFixture(t testing.TB, opts ...replenishment.Option) *fixture {
	t.Helper()
	d := testdb.NewDemo(t)
	f := &fixture{t: t, db: d, inv: inventory.NewService(d), buy: purchasing.NewService(d), loc: map[string]int64{},
		staff: map[string]actor.Actor{}}
	f.svc = replenishment.NewService(d, f.inv, f.buy, opts...)
	var locs []struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	must(t, d.Select(&locs, `SELECT id, code FROM locations`))
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
	must(t, d.Get(&f.product, `INSERT INTO products (handle, title, category_id)
		VALUES ('repl-tee', 'Replenishment test tee', (SELECT id FROM categories WHERE handle = 'mens-clothing')) RETURNING id`))
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

// variant crafts a variant of the fixture's product.
func (f *fixture) variant(t testing.TB) int64 {
	t.Helper()
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO variants (product_id, sku, title, price_amount, currency)
		VALUES ($1, $2, 'Test variant', 50000, 'TWD') RETURNING id`, f.product, fmt.Sprintf("RP-%d", serial.Add(1))))
	return id
}

// sales records units[i] sold on each of the len(units) days before today (units[0] the
// oldest), at noon in Taipei, as SALE movements, with the opening receipt they came from
// that morning, so the ledger still sums to the level.
func (f *fixture) sales(t testing.TB, code string, variant int64, units []int) {
	t.Helper()
	total := 0
	for _, u := range units {
		total += u
	}
	_, err := f.db.Exec(`INSERT INTO stock_levels (location_id, variant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		f.loc[code], variant)
	must(t, err)
	_, err = f.db.Exec(`
		WITH today AS (SELECT (now() AT TIME ZONE 'Asia/Taipei')::date AS d)
		INSERT INTO stock_movements (location_id, variant_id, kind, on_hand_delta, reference, reason, actor_kind, at)
		SELECT $1::bigint, $2::bigint, 'RECEIPT', $4::int, 'TEST', 'opening stock', 'SYSTEM', ((d - $5::int) + time '08:00') AT TIME ZONE 'Asia/Taipei'
			FROM today
		UNION ALL
		SELECT $1, $2, 'SALE', -u.n, 'TEST', '', 'SYSTEM', ((d - $5::int + (u.i::int - 1)) + time '12:00') AT TIME ZONE 'Asia/Taipei'
			FROM today, unnest($3::int[]) WITH ORDINALITY AS u(n, i) WHERE u.n > 0`,
		f.loc[code], variant, intArray(units), total, len(units))
	must(t, err)
}

func intArray(xs []int) string {
	s := "{"
	for i, x := range xs {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(x)
	}
	return s + "}"
}

// daily is n days of the same sales.
func daily(perDay, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = perDay
	}
	return out
}

// stock receives n units now.
func (f *fixture) stock(t testing.TB, code string, variant int64, n int) {
	t.Helper()
	_, err := f.inv.Adjust(system, inventory.AdjustInput{IdempotencyKey: fmt.Sprintf("rp-%d", serial.Add(1)),
		LocationID: f.loc[code], VariantID: variant, Delta: n, Kind: inventory.KindReceipt, Reason: "test stock"})
	must(t, err)
}

// supplier creates a TWD supplier with a lead time and minimum order value (minor units).
func (f *fixture) supplier(t testing.TB, code string, lead int, minOrder int64) purchasing.Supplier {
	t.Helper()
	s, err := f.buy.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: code, Name: "Supplier " + code,
		Email: "orders@" + code + ".example", Currency: "TWD", PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 30},
		LeadTimeDays: lead, MinOrderAmount: minOrder, Active: true})
	must(t, err)
	return s
}

// item puts variant on sup's price list at cost (major units) in packs with a minimum.
func (f *fixture) item(t testing.TB, sup purchasing.Supplier, variant int64, cost string, pack, moq int) {
	t.Helper()
	_, err := f.buy.SetSupplierItem(f.as("buyer"), purchasing.SupplierItemInput{SupplierID: sup.ID, VariantID: variant,
		SupplierSKU: fmt.Sprintf("%s-%d", sup.Code, variant), UnitCost: decimal.RequireFromString(cost), PackSize: pack,
		MinOrderQty: moq, Active: true})
	must(t, err)
}

// of returns the suggestions of run for variant.
func of(run replenishment.Run, variant int64) []replenishment.Suggestion {
	var out []replenishment.Suggestion
	for _, g := range run.Suggestions {
		if g.VariantID == variant {
			out = append(out, g)
		}
	}
	return out
}

func tomorrow() time.Time { return time.Now().Add(24 * time.Hour) }
