package inventory_test

import (
	"testing"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/inventory"
	"atrium/internal/testdb"
)

func TestMovements(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 5 {
		f.stock(f.a, f.plain[0], i+1)
	}
	f.stock(f.b, f.plain[0], 1)
	f.stock(f.a, f.plain[1], 1)
	v, a := f.plain[0], f.a
	ctx := staffCtx(f.b, actor.Buyer)

	var seen []int64
	filter := inventory.MovementFilter{VariantID: &v, LocationID: &a, Kind: inventory.KindReceipt, First: 2}
	for {
		page := must[inventory.MovementPage](t)(f.svc.Movements(ctx, filter))
		for _, m := range page.Movements {
			if m.VariantID != v || m.LocationID != a || (len(seen) > 0 && m.ID >= seen[len(seen)-1]) {
				t.Fatalf("movement %+v after %v", m, seen)
			}
			seen = append(seen, m.ID)
		}
		if !page.HasNextPage {
			break
		}
		filter.After = page.Movements[len(page.Movements)-1].ID
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d movements, want 5", len(seen))
	}
	if _, err := f.svc.Movements(customerCtx(), inventory.MovementFilter{}); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("customer: %v", err)
	}
	if _, err := f.svc.Movements(ctx, inventory.MovementFilter{Kind: "THEFT"}); apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("bad kind: %v", err)
	}
}

func TestStockPolicyAndLowStock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.stock(f.a, f.plain[0], 3)
	f.stock(f.a, f.plain[1], 10)
	f.stock(f.b, f.plain[0], 3)
	manager := staffCtx(f.a, actor.Manager)
	if _, err := f.svc.SetStockPolicy(staffCtx(f.a, actor.Associate), f.a, f.plain[0], 1, 5); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("associate set policy: %v", err)
	}
	if _, err := f.svc.SetStockPolicy(manager, f.a, f.plain[0], -1, 5); apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("negative safety stock: %v", err)
	}
	l := must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.a, f.plain[0], 1, 3))
	if l.SafetyStock != 1 || l.ReorderPoint != 3 || l.Available() != 2 {
		t.Fatalf("level %+v", l)
	}
	must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.a, f.plain[1], 0, 3))
	must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.b, f.plain[0], 0, 2))
	must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.a, f.plain[2], 0, 1)) // nothing there yet

	page := must[inventory.LowStockPage](t)(f.svc.LowStock(manager, inventory.LowStockFilter{LocationID: &f.a}))
	if len(page.Levels) != 2 || page.Levels[0].VariantID != f.plain[0] || page.Levels[1].VariantID != f.plain[2] {
		t.Fatalf("low at A: %+v", page.Levels)
	}
	page = must[inventory.LowStockPage](t)(f.svc.LowStock(manager, inventory.LowStockFilter{First: 1}))
	if len(page.Levels) != 1 || !page.HasNextPage {
		t.Fatalf("first page %+v", page)
	}
	rows, err := audit.ForEntity(manager, f.db, "variant", f.plain[0], 10)
	if err != nil || len(rows) != 2 || rows[0].Action != "stock.policy_changed" {
		t.Fatalf("audit %+v, %v", rows, err)
	}
}

// The demo data keeps the ledger invariants, its expired lots are not available, and the
// expiry job moves them out.
func TestDemoStock(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	svc := inventory.NewService(d)
	checkLedger(t, d)
	var k struct {
		LocationID int64 `db:"location_id"`
		VariantID  int64 `db:"variant_id"`
		Expired    int   `db:"expired"`
	}
	err := d.Get(&k, `SELECT k.location_id, k.variant_id, sum(k.on_hand) AS expired FROM stock_lots k
		WHERE k.on_hand > 0 AND k.expires_on < (now() AT TIME ZONE 'Asia/Taipei')::date
		GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 1`)
	if err != nil {
		t.Fatalf("the demo has no expired lot: %v", err)
	}
	levels := must[map[int64][]inventory.Level](t)(svc.LevelsByVariantIDs(system, []int64{k.VariantID}))
	for _, l := range levels[k.VariantID] {
		if l.LocationID == k.LocationID && (l.Expired != k.Expired || l.Available() != max(0, l.OnHand-l.Reserved-l.SafetyStock-k.Expired)) {
			t.Fatalf("level %+v, %d expired", l, k.Expired)
		}
	}
	if n := must[int](t)(svc.ExpireLots(system, time.Now())); n <= 0 {
		t.Fatalf("expired %d units", n)
	}
	if lots := must[[]inventory.ExpiringLot](t)(svc.ExpiringStock(system, inventory.ExpiringFilter{})); len(lots) == 0 || lots[0].Expired {
		t.Fatalf("after the job: %+v", lots)
	}
	checkLedger(t, d)
	if _, err := svc.Totals(system); err != nil {
		t.Fatal(err)
	}
}
