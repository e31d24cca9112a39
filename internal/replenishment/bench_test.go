package replenishment_test

import (
	"testing"
)

// BenchmarkComputeDemo computes the suggestions for the demo catalog (725 variants) at
// its 6 locations with 26 weeks of sales everywhere: two variants in three sell most days
// (Holt-Winters), the third on about one day in seven (Croston), and one supplier sells
// everything. The sales are written straight into the ledger without their receipts: the
// benchmark reads history, it does not check balances. ANALYZE stands for autovacuum,
// which would have seen the new rows in a live database.
//
//	go run ./tools/pgtemp -- go test -run '^$' -bench ComputeDemo -benchtime 5x ./internal/replenishment/
func BenchmarkComputeDemo(b *testing.B) {
	f := newFixture(b)
	sup := f.supplier(b, "SUP-ALL", 7, 0)
	_, err := f.db.Exec(`SELECT setseed(0.42);
		INSERT INTO stock_levels (location_id, variant_id)
			SELECT l.id, v.id FROM locations l CROSS JOIN variants v ON CONFLICT DO NOTHING;
		INSERT INTO stock_movements (location_id, variant_id, kind, on_hand_delta, reference, actor_kind, at)
			SELECT l.id, v.id, 'SALE', -(1 + floor(random() * 3))::int, 'BENCH', 'SYSTEM', now() - make_interval(days => d)
			FROM locations l CROSS JOIN variants v CROSS JOIN generate_series(1, 182) AS d
			WHERE random() < CASE WHEN v.id % 3 = 0 THEN 0.15 ELSE 0.8 END;
		ANALYZE`)
	must(b, err)
	_, err = f.db.Exec(`INSERT INTO supplier_items (supplier_id, variant_id, supplier_sku, unit_cost, pack_size, min_order_qty)
		SELECT $1, v.id, 'ALL-' || v.sku, 10, 6, 12 FROM variants v`, sup.ID)
	must(b, err)
	var variants, levels int
	must(b, f.db.Get(&variants, `SELECT count(*) FROM variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'ACTIVE'`))
	must(b, f.db.Get(&levels, `SELECT count(*) FROM stock_levels`))
	ctx := f.as("buyer")
	var suggestions int
	for b.Loop() {
		run, err := f.svc.Compute(ctx)
		must(b, err)
		suggestions = len(run.Suggestions)
	}
	b.ReportMetric(float64(suggestions), "suggestions")
	b.Logf("%d active variants, %d stock levels, %d suggestions", variants, levels, suggestions)
}
