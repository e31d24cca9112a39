package seed_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/db/seed"
	"atrium/internal/catalog"
	"atrium/internal/password"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const demoPassword = "seed-test-password"

// load returns a fresh database holding the demo data.
func load(t *testing.T) *sqlx.DB {
	t.Helper()
	d := testdb.New(t)
	if err := seed.Load(context.Background(), d, seed.Options{Password: demoPassword, Fast: true}); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

var tables = []string{"locations", "staff", "customers", "categories", "products", "variants",
	"stock_levels", "stock_lots", "stock_movements", "suppliers", "supplier_items", "exchange_rates",
	"purchase_orders", "purchase_order_lines", "goods_receipts", "notifications", "supplier_bills"}

func counts(t *testing.T, d *sqlx.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range tables {
		var n int
		if err := d.Get(&n, `SELECT count(*) FROM `+tbl); err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

func TestLoadIsIdempotent(t *testing.T) {
	t.Parallel()
	d := load(t)
	first := counts(t, d)
	var hashes []string
	if err := d.Select(&hashes, `SELECT password_hash FROM staff ORDER BY login`); err != nil {
		t.Fatal(err)
	}
	if err := seed.Load(context.Background(), d, seed.Options{Password: "another-password", Fast: true}); err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if second := counts(t, d); !maps.Equal(first, second) {
		t.Errorf("row counts changed on the second load:\nfirst  %v\nsecond %v", first, second)
	}
	// A variant loaded before costs existed gets its cost on the next load; others keep theirs.
	var sku string
	if err := d.Get(&sku, `UPDATE variants SET unit_cost = NULL WHERE id = (SELECT min(id) FROM variants) RETURNING sku`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE variants SET unit_cost = 1.2345 WHERE id = (SELECT max(id) FROM variants)`); err != nil {
		t.Fatal(err)
	}
	if err := seed.Load(context.Background(), d, seed.Options{Password: "another-password", Fast: true}); err != nil {
		t.Fatalf("third Load: %v", err)
	}
	var costs []string
	if err := d.Select(&costs, `SELECT coalesce(unit_cost::text, 'none') FROM variants
		WHERE id IN ((SELECT min(id) FROM variants), (SELECT max(id) FROM variants)) ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(costs) != 2 || costs[0] == "none" || costs[1] != "1.2345" {
		t.Errorf("costs after reloading %s: %v; want the demo cost back and the edited one kept", sku, costs)
	}
	var again []string
	if err := d.Select(&again, `SELECT password_hash FROM staff ORDER BY login`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(hashes, ",") != strings.Join(again, ",") {
		t.Error("the second load changed staff passwords")
	}
	t.Logf("rows: %v", first)
}

func TestLoadMeetsMinimums(t *testing.T) {
	t.Parallel()
	d := load(t)
	tests := []struct {
		name  string
		query string
		min   int
	}{
		{"stores with pickup", `SELECT count(*) FROM locations WHERE kind = 'STORE' AND pickup_enabled AND time_zone = 'Asia/Taipei' AND latitude IS NOT NULL`, 3},
		{"warehouses", `SELECT count(*) FROM locations WHERE kind = 'WAREHOUSE' AND NOT pickup_enabled`, 1},
		{"categories", `SELECT count(*) FROM categories`, 6},
		{"products", `SELECT count(*) FROM products`, 150},
		{"active products", `SELECT count(*) FROM products WHERE status = 'ACTIVE'`, 150},
		{"lot-tracked products", `SELECT count(*) FROM products WHERE lot_tracked AND shelf_life_days > 0`, 20},
		{"variants", `SELECT count(*) FROM variants`, 450},
		{"variants in TWD", `SELECT count(*) FROM variants WHERE currency = 'TWD' AND price_amount > 0`, 450},
		{"customers", `SELECT count(*) FROM customers`, 20},
		{"phone-only customers", `SELECT count(*) FROM customers WHERE email IS NULL AND phone IS NOT NULL`, 3},
		{"store rows with safety stock", `SELECT count(*) FROM stock_levels WHERE safety_stock > 0`, 10},
		{"sold-out rows", `SELECT count(*) FROM stock_levels WHERE on_hand = 0`, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int
			if err := d.Get(&n, tt.query); err != nil {
				t.Fatal(err)
			}
			if n < tt.min {
				t.Errorf("got %d, want at least %d", n, tt.min)
			}
		})
	}
}

func TestCatalogAndStock(t *testing.T) {
	t.Parallel()
	d := load(t)

	t.Run("barcodes are valid GTINs", func(t *testing.T) {
		var barcodes []string
		if err := d.Select(&barcodes, `SELECT barcode FROM variants WHERE barcode IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		if len(barcodes) == 0 {
			t.Fatal("no barcodes")
		}
		for _, b := range barcodes {
			if _, err := catalog.NormalizeGTIN("barcode", b); err != nil {
				t.Errorf("%s: %v", b, err)
			}
		}
	})

	// Each query returns the rows that break an invariant; all must be empty.
	tests := []struct {
		name  string
		query string
	}{
		{"every variant is stocked somewhere", `
			SELECT v.sku FROM variants v
			WHERE NOT EXISTS (SELECT 1 FROM stock_levels s WHERE s.variant_id = v.id)`},
		{"every variant is at the warehouse", `
			SELECT v.sku FROM variants v
			WHERE NOT EXISTS (SELECT 1 FROM stock_levels s JOIN locations l ON l.id = s.location_id
				WHERE s.variant_id = v.id AND l.kind = 'WAREHOUSE')`},
		{"ledger equals balance", `
			SELECT s.location_id, s.variant_id FROM stock_levels s
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand_delta) AS total
				FROM stock_movements GROUP BY 1, 2) m USING (location_id, variant_id)
			WHERE coalesce(m.total, 0) <> s.on_hand`},
		{"every movement has a balance row: opening stock, or a demo purchase order's", `
			SELECT m.id FROM stock_movements m
			LEFT JOIN stock_levels s USING (location_id, variant_id)
			WHERE s.location_id IS NULL OR m.kind <> 'RECEIPT'
				OR (m.reference = 'SEED' AND (m.actor_kind <> 'SYSTEM' OR m.on_hand_delta <= 0))
				OR (m.reference <> 'SEED' AND m.reference NOT LIKE 'PO:%')`},
		{"lots sum to the balance of lot-tracked rows", `
			SELECT s.location_id, s.variant_id FROM stock_levels s
			JOIN variants v ON v.id = s.variant_id
			JOIN products p ON p.id = v.product_id AND p.lot_tracked
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand) AS total
				FROM stock_lots GROUP BY 1, 2) l USING (location_id, variant_id)
			WHERE coalesce(l.total, 0) <> s.on_hand`},
		{"only lot-tracked variants have lots", `
			SELECT l.lot FROM stock_lots l
			JOIN variants v ON v.id = l.variant_id
			JOIN products p ON p.id = v.product_id
			WHERE NOT p.lot_tracked OR l.expires_on IS NULL`},
		{"movements on hand of lot-tracked rows name their lot", `
			SELECT m.id FROM stock_movements m
			JOIN variants v ON v.id = m.variant_id
			JOIN products p ON p.id = v.product_id
			WHERE m.on_hand_delta <> 0 AND p.lot_tracked <> (m.lot IS NOT NULL)`},
		{"lot ledgers equal lot balances", `
			SELECT l.lot FROM stock_lots l
			WHERE l.on_hand <> (SELECT coalesce(sum(on_hand_delta), 0) FROM stock_movements m
				WHERE m.location_id = l.location_id AND m.variant_id = l.variant_id AND m.lot = l.lot)`},
		{"variant titles name their options", `
			SELECT sku FROM variants
			WHERE title <> concat_ws(' / ', NULLIF(colour, ''), NULLIF(size, ''))`},
		{"every variant costs 40-60% of its price, to four decimals", `
			SELECT sku, unit_cost, price_amount FROM variants
			WHERE unit_cost IS NULL OR unit_cost * 100 NOT BETWEEN price_amount * 0.4 AND price_amount * 0.6
				OR unit_cost <> round(unit_cost, 4)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := d.Queryx(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for n := 0; rows.Next(); n++ {
				if n == 5 {
					t.Error("…")
					break
				}
				row, err := rows.SliceScan()
				if err != nil {
					t.Fatal(err)
				}
				t.Errorf("violated by %v", row)
			}
		})
	}

	t.Run("some lots are expired or expiring", func(t *testing.T) {
		var expired, expiring int
		err := d.QueryRow(`
			SELECT count(*) FILTER (WHERE expires_on < current_date),
				count(*) FILTER (WHERE expires_on >= current_date AND expires_on < current_date + 30)
			FROM stock_lots WHERE on_hand > 0`).Scan(&expired, &expiring)
		if err != nil {
			t.Fatal(err)
		}
		if expired == 0 || expiring == 0 {
			t.Errorf("expired lots %d, expiring within 30 days %d: want some of each", expired, expiring)
		}
	})
}

func TestLogins(t *testing.T) {
	t.Parallel()
	d := load(t)

	for _, login := range seed.StaffLogins {
		t.Run(login, func(t *testing.T) {
			var s struct {
				Roles []string `db:"roles"`
				Hash  string   `db:"password_hash"`
				Home  *string  `db:"home"`
			}
			err := d.QueryRow(`
				SELECT s.roles, s.password_hash, l.code FROM staff s
				LEFT JOIN locations l ON l.id = s.home_location_id
				WHERE s.login = $1 AND s.active`, login).Scan(pq.Array(&s.Roles), &s.Hash, &s.Home)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Roles) != 1 || s.Roles[0] != strings.ToUpper(login) {
				t.Errorf("roles = %v, want [%s]", s.Roles, strings.ToUpper(login))
			}
			verify(t, s.Hash)
			home := ""
			if s.Home != nil {
				home = *s.Home
			}
			want := map[string]string{"associate": "TPE-01", "manager": "TPE-01", "fulfilment": "WH-TAO"}[login]
			if home != want {
				t.Errorf("home location = %q, want %q", home, want)
			}
		})
	}

	t.Run("demo customer", func(t *testing.T) {
		var hash string
		if err := d.Get(&hash, `SELECT password_hash FROM customers WHERE email = $1`, seed.DemoCustomerEmail); err != nil {
			t.Fatal(err)
		}
		verify(t, hash)
	})
}

func verify(t *testing.T, hash string) {
	t.Helper()
	ok, err := password.Verify(demoPassword, hash)
	if err != nil || !ok {
		t.Errorf("password.Verify = %v, %v; want true", ok, err)
	}
	if bad, _ := password.Verify("wrong-password", hash); bad {
		t.Error("a wrong password verifies")
	}
}

// BenchmarkLoad measures a first load into an empty database, with test and real
// password hashing.
func BenchmarkLoad(b *testing.B) {
	for _, fast := range []bool{true, false} {
		name := map[bool]string{true: "fast-hash", false: "default-hash"}[fast]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				d := testdb.New(b)
				b.StartTimer()
				if err := seed.Load(context.Background(), d, seed.Options{Password: demoPassword, Fast: fast}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBuying checks the demo buying: every variant has a supplier, the USD supplier has its
// rate, and the purchase orders stand in the stages the demo shows.
func TestBuying(t *testing.T) {
	t.Parallel()
	d := load(t)
	var none int
	if err := d.Get(&none, `SELECT (SELECT count(*) FROM suppliers) + (SELECT count(*) FROM purchase_orders)`); err != nil {
		t.Fatal(err)
	}
	if none != 0 {
		t.Fatalf("a test load (Fast) has %d suppliers and orders, want none", none)
	}
	if err := seed.LoadBuying(context.Background(), d); err != nil {
		t.Fatalf("LoadBuying: %v", err)
	}
	first := counts(t, d)
	if err := seed.LoadBuying(context.Background(), d); err != nil {
		t.Fatalf("second LoadBuying: %v", err)
	}
	if second := counts(t, d); !maps.Equal(first, second) {
		t.Errorf("row counts changed on the second load:\nfirst  %v\nsecond %v", first, second)
	}
	// The orders' stock effects keep the ledger whole.
	for name, query := range map[string]string{
		"ledger equals balance": `SELECT s.location_id, s.variant_id FROM stock_levels s
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand_delta) AS oh, sum(incoming_delta) AS i
				FROM stock_movements GROUP BY 1, 2) m USING (location_id, variant_id)
			WHERE coalesce(m.oh, 0) <> s.on_hand OR coalesce(m.i, 0) <> s.incoming`,
		"lots sum to the balance of lot-tracked rows": `SELECT s.location_id, s.variant_id FROM stock_levels s
			JOIN variants v ON v.id = s.variant_id JOIN products p ON p.id = v.product_id AND p.lot_tracked
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand) AS total FROM stock_lots GROUP BY 1, 2) l
				USING (location_id, variant_id)
			WHERE coalesce(l.total, 0) <> s.on_hand`,
		"incoming is what approved orders still expect": `SELECT s.location_id, s.variant_id FROM stock_levels s
			LEFT JOIN (SELECT o.location_id, l.variant_id, sum(greatest(l.quantity - l.received, 0)) AS expected
				FROM purchase_orders o JOIN purchase_order_lines l ON l.order_id = o.id
				WHERE o.status IN ('APPROVED', 'SENT', 'PARTIALLY_RECEIVED') GROUP BY 1, 2) e USING (location_id, variant_id)
			WHERE s.incoming <> coalesce(e.expected, 0)`,
	} {
		var bad []string
		if err := d.Select(&bad, `SELECT concat_ws('/', location_id, variant_id) FROM (`+query+`) q LIMIT 5`); err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Errorf("%s: violated by %v", name, bad)
		}
	}
	var unsupplied []string
	if err := d.Select(&unsupplied, `SELECT v.sku FROM variants v
		WHERE NOT EXISTS (SELECT 1 FROM supplier_items i WHERE i.variant_id = v.id) LIMIT 5`); err != nil {
		t.Fatal(err)
	}
	if len(unsupplied) > 0 {
		t.Errorf("variants no supplier sells: %v", unsupplied)
	}
	var rates []string
	if err := d.Select(&rates, `SELECT DISTINCT s.currency FROM suppliers s
		WHERE s.currency <> (SELECT currency FROM settings)
		  AND NOT EXISTS (SELECT 1 FROM exchange_rates r WHERE r.currency = s.currency)`); err != nil {
		t.Fatal(err)
	}
	if len(rates) > 0 {
		t.Errorf("supplier currencies without a rate: %v", rates)
	}
	var statuses []string
	if err := d.Select(&statuses, `SELECT status FROM purchase_orders ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"DRAFT", "SUBMITTED", "SENT", "PARTIALLY_RECEIVED", "RECEIVED", "RECEIVED"}; !slices.Equal(statuses, want) {
		t.Errorf("purchase orders %v, want %v", statuses, want)
	}
	var receipts int
	if err := d.Get(&receipts, `SELECT count(*) FROM goods_receipts`); err != nil {
		t.Fatal(err)
	}
	if receipts != 3 {
		t.Errorf("%d goods receipts, want the partial one and two complete ones", receipts)
	}
	// The bills stand where the accountant meets them: one approved and overdue, one matched
	// for someone else to approve, one in exception for billing more than arrived.
	var bills []string
	if err := d.Select(&bills, `SELECT number || ' ' || status || ' ' || array_to_string(exceptions, ',')
		FROM supplier_bills ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := []string{"FGW-2610-118 APPROVED ", "LB-88213 MATCHED ", "AFF-INV-5521 EXCEPTION OVER_BILLED_QUANTITY,NOT_RECEIVED"}
	if !slices.Equal(bills, want) {
		t.Errorf("bills %q, want %q", bills, want)
	}
}
