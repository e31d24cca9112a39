package inventory_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// fixture is an empty database with two stores, a warehouse, three variants that are not
// lot-tracked and three that are.
type fixture struct {
	t      *testing.T
	db     *sqlx.DB
	svc    *inventory.Service
	a, b   int64 // stores
	w      int64 // warehouse
	plain  []int64
	lotted []int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := testdb.New(t)
	f := &fixture{t: t, db: d, svc: inventory.NewService(d)}
	var locs []int64
	err := d.Select(&locs, `INSERT INTO locations (code, name, kind, time_zone) VALUES
		('STORE-A', 'Store A', 'STORE', 'Asia/Taipei'), ('STORE-B', 'Store B', 'STORE', 'Asia/Taipei'),
		('WH-1', 'Warehouse', 'WAREHOUSE', 'Asia/Taipei') RETURNING id`)
	if err != nil {
		t.Fatal(err)
	}
	f.a, f.b, f.w = locs[0], locs[1], locs[2]
	for _, lot := range []bool{false, true} {
		var product int64
		if err := d.Get(&product, `INSERT INTO products (handle, title, lot_tracked) VALUES ($1, $1, $2) RETURNING id`,
			fmt.Sprintf("p-%t", lot), lot); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			var v int64
			if err := d.Get(&v, `INSERT INTO variants (product_id, sku, title, price_amount, currency)
				VALUES ($1, $2, $2, 100, 'TWD') RETURNING id`, product, fmt.Sprintf("SKU-%s-%d", strings.ToUpper(fmt.Sprint(lot)), i)); err != nil {
				t.Fatal(err)
			}
			if lot {
				f.lotted = append(f.lotted, v)
			} else {
				f.plain = append(f.plain, v)
			}
		}
	}
	return f
}

var system = actor.SystemContext(context.Background())

func staffCtx(home int64, roles ...actor.Role) context.Context {
	a := actor.Actor{Kind: actor.Staff, ID: 7, Roles: roles, Name: "test"}
	if home != 0 {
		a.HomeLocationID = &home
	}
	return actor.With(context.Background(), a)
}

var keys atomic.Int64

func newKey() string { return fmt.Sprintf("k-%d-%d", time.Now().UnixNano(), keys.Add(1)) }

// stock receives qty units of a variant that is not lot-tracked.
func (f *fixture) stock(loc, variant int64, qty int) {
	f.t.Helper()
	_, err := f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: loc, VariantID: variant,
		Delta: qty, Kind: inventory.KindReceipt, Reason: "opening stock"})
	if err != nil {
		f.t.Fatalf("stock: %v", err)
	}
}

// receiveLot receives qty units of a lot expiring days from today (in Taipei).
func (f *fixture) receiveLot(loc, variant int64, qty int, lot string, days int) {
	f.t.Helper()
	exp := today().AddDate(0, 0, days)
	_, err := f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: loc, VariantID: variant,
		Delta: qty, Kind: inventory.KindReceipt, Reason: "delivery", Lot: lot, ExpiresOn: &exp})
	if err != nil {
		f.t.Fatalf("receive lot: %v", err)
	}
}

func today() time.Time {
	tz, _ := time.LoadLocation("Asia/Taipei")
	y, m, d := time.Now().In(tz).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (f *fixture) level(loc, variant int64) inventory.Level {
	f.t.Helper()
	m, err := f.svc.LevelsByVariantIDs(system, []int64{variant})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, l := range m[variant] {
		if l.LocationID == loc {
			return l
		}
	}
	return inventory.Level{LocationID: loc, VariantID: variant}
}

func (f *fixture) lots(loc, variant int64) map[string]int {
	f.t.Helper()
	var rows []struct {
		Lot    string `db:"lot"`
		OnHand int    `db:"on_hand"`
	}
	if err := f.db.Select(&rows, `SELECT lot, on_hand FROM stock_lots WHERE location_id = $1 AND variant_id = $2`, loc, variant); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Lot] = r.OnHand
	}
	return out
}

// checkLedger asserts the ledger invariants over the whole database: every level equals
// the sum of its movements, the lots of a lot-tracked level add up to its on hand, and each
// lot equals the sum of its movements.
func checkLedger(t *testing.T, d *sqlx.DB) {
	t.Helper()
	for name, query := range map[string]string{
		"level != sum of movements": `
			SELECT s.location_id || '/' || s.variant_id FROM stock_levels s
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand_delta) AS oh, sum(reserved_delta) AS r,
			           sum(incoming_delta) AS i FROM stock_movements GROUP BY 1, 2) m USING (location_id, variant_id)
			WHERE coalesce(m.oh, 0) <> s.on_hand OR coalesce(m.r, 0) <> s.reserved OR coalesce(m.i, 0) <> s.incoming`,
		"lots != on hand": `
			SELECT s.location_id || '/' || s.variant_id FROM stock_levels s
			JOIN variants v ON v.id = s.variant_id JOIN products p ON p.id = v.product_id AND p.lot_tracked
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand) AS q FROM stock_lots GROUP BY 1, 2) k
			     USING (location_id, variant_id)
			WHERE coalesce(k.q, 0) <> s.on_hand`,
		"lot != sum of its movements": `
			SELECT k.location_id || '/' || k.variant_id || '/' || k.lot FROM stock_lots k
			LEFT JOIN (SELECT location_id, variant_id, lot, sum(on_hand_delta) AS q FROM stock_movements
			           WHERE lot IS NOT NULL GROUP BY 1, 2, 3) m USING (location_id, variant_id, lot)
			WHERE coalesce(m.q, 0) <> k.on_hand`,
	} {
		var bad []string
		if err := d.Select(&bad, query); err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %v", name, bad)
		}
	}
}

// wantErr asserts that err carries an application error with the client code and, when
// given, the field.
func wantErr(t *testing.T, err error, code, field string) *apperr.Error {
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

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func customerCtx() context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: 3})
}
