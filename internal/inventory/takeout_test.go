package inventory_test

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/internal/inventory"
	"atrium/internal/postgres"
)

// TakeOut writes units off (DAMAGE) or sets them aside (ADJUSTMENT) in the caller's
// transaction, from the named lot, never taking units reserved for orders.
func TestTakeOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v, lv := f.plain[0], f.lotted[0]
	f.stock(f.a, v, 5)
	f.receiveLot(f.a, lv, 3, "L1", 60)
	f.receiveLot(f.a, lv, 3, "L2", 90)
	take := func(kind inventory.Kind, lines ...inventory.Line) error {
		return postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
			return f.svc.TakeOut(system, tx, kind, "RET:9", "returned unit damaged", lines)
		})
	}
	if err := postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		return f.svc.Reserve(system, tx, "ORD:1", []inventory.Line{{LocationID: f.a, VariantID: v, Qty: 3}})
	}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		kind   inventory.Kind
		line   inventory.Line
		code   string // "" for success
		field  string
		onHand int
	}{
		{"damage", inventory.KindDamage, inventory.Line{LocationID: f.a, VariantID: v, Qty: 1}, "", "", 4},
		{"not what is reserved", inventory.KindDamage, inventory.Line{LocationID: f.a, VariantID: v, Qty: 2},
			"INSUFFICIENT_STOCK", "lines.0.qty", 4},
		{"set aside", inventory.KindAdjustment, inventory.Line{LocationID: f.a, VariantID: v, Qty: 1}, "", "", 3},
		{"another kind", inventory.KindSale, inventory.Line{LocationID: f.a, VariantID: v, Qty: 1}, "INVALID", "kind", 3},
		{"from the named lot", inventory.KindDamage, inventory.Line{LocationID: f.a, VariantID: lv, Qty: 2, Lot: "L2"}, "", "", 4},
		{"more than the lot has", inventory.KindDamage, inventory.Line{LocationID: f.a, VariantID: lv, Qty: 2, Lot: "L2"},
			"INSUFFICIENT_STOCK", "lines.0.qty", 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := take(tc.kind, tc.line)
			if tc.code == "" && err != nil {
				t.Fatal(err)
			}
			if tc.code != "" {
				wantErr(t, err, tc.code, tc.field)
			}
			if got := f.level(f.a, tc.line.VariantID).OnHand; got != tc.onHand {
				t.Errorf("on hand %d, want %d", got, tc.onHand)
			}
		})
	}
	if lots := f.lots(f.a, lv); lots["L1"] != 3 || lots["L2"] != 1 {
		t.Errorf("lots %v, want L1 untouched and 1 left in L2", lots)
	}
	var kinds []string
	if err := f.db.Select(&kinds, `SELECT kind FROM stock_movements WHERE reference = 'RET:9' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 3 || kinds[0] != "DAMAGE" || kinds[1] != "ADJUSTMENT" || kinds[2] != "DAMAGE" {
		t.Errorf("movements %v, want DAMAGE, ADJUSTMENT, DAMAGE", kinds)
	}
	checkLedger(t, f.db)
}
