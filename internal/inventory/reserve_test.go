package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/postgres"
)

// Many multi-line orders race for the same few units across three locations, with their
// lines in random order, and some are then shipped or cancelled: nothing is reserved
// beyond what is available, no transaction deadlocks or hits a CHECK, and the ledger
// equals the balances afterwards.
func TestConcurrentReservations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	locs := []int64{f.a, f.b, f.w}
	type key struct{ loc, variant int64 }
	units := map[key]int{}
	for i, loc := range locs {
		for j, v := range f.plain {
			n := 3 + (i+j)%3
			f.stock(loc, v, n)
			units[key{loc, v}] = n
		}
	}
	// Display stock the online channels may not take.
	must[inventory.Level](t)(f.svc.SetStockPolicy(system, f.a, f.plain[0], 1, 0))
	units[key{f.a, f.plain[0]}]--

	ctx, cancel := context.WithTimeout(system, 20*time.Second)
	defer cancel()
	var (
		mu       sync.Mutex
		reserved = map[key]int{} // still reserved by accepted orders
		sold     = map[key]int{}
		accepted int
		wg       sync.WaitGroup
	)
	for g := range 50 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			var lines []inventory.Line
			for _, i := range rng.Perm(len(locs) * len(f.plain))[:2+rng.IntN(3)] {
				lines = append(lines, inventory.Line{LocationID: locs[i/len(f.plain)], VariantID: f.plain[i%len(f.plain)], Qty: 1 + rng.IntN(2)})
			}
			ref := fmt.Sprintf("ORD:%d", g)
			err := postgres.InTx(ctx, f.db, func(tx *sqlx.Tx) error { return f.svc.Reserve(ctx, tx, ref, lines) })
			if _, short := errors.AsType[*inventory.ShortageError](err); short {
				return
			}
			if err != nil {
				t.Errorf("order %d: %v", g, err)
				return
			}
			then := rng.IntN(3) // 0: keep, 1: ship, 2: cancel
			if then > 0 {
				err = postgres.InTx(ctx, f.db, func(tx *sqlx.Tx) error {
					if then == 1 {
						return f.svc.Consume(ctx, tx, ref, lines)
					}
					return f.svc.Release(ctx, tx, ref, lines)
				})
				if err != nil {
					t.Errorf("order %d, step %d: %v", g, then, err)
					return
				}
			}
			mu.Lock()
			defer mu.Unlock()
			accepted++
			for _, l := range lines {
				switch then {
				case 0:
					reserved[key{l.LocationID, l.VariantID}] += l.Qty
				case 1:
					sold[key{l.LocationID, l.VariantID}] += l.Qty
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("reservations did not finish: deadlock?")
	}
	if accepted == 0 || accepted == 50 {
		t.Errorf("%d of 50 orders accepted: the test does not contend", accepted)
	}
	for k, n := range units {
		l := f.level(k.loc, k.variant)
		if l.Reserved != reserved[k] || l.OnHand != n+l.SafetyStock-sold[k] || l.Reserved > l.OnHand-l.SafetyStock {
			t.Errorf("level %v: %+v; accepted orders reserve %d and sold %d of %d", k, l, reserved[k], sold[k], n)
		}
	}
	checkLedger(t, f.db)
}

func TestReserveShortage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v, lv := f.plain[0], f.lotted[0]
	f.stock(f.a, v, 3)
	must[inventory.Level](t)(f.svc.SetStockPolicy(system, f.a, v, 1, 0))
	f.receiveLot(f.a, lv, 2, "OLD", -1) // expired yesterday
	f.receiveLot(f.a, lv, 1, "NEW", 30)

	lines := []inventory.Line{
		{LocationID: f.a, VariantID: v, Qty: 3},  // 2 available: one is safety stock
		{LocationID: f.b, VariantID: v, Qty: 1},  // none there
		{LocationID: f.a, VariantID: lv, Qty: 2}, // 1 available: two are expired
		{LocationID: f.a, VariantID: f.plain[1]}, // malformed
	}
	err := postgres.InTx(system, f.db, func(tx *sqlx.Tx) error { return f.svc.Reserve(system, tx, "ORD:1", lines) })
	wantErr(t, err, "INVALID", "lines.3")

	err = postgres.InTx(system, f.db, func(tx *sqlx.Tx) error { return f.svc.Reserve(system, tx, "ORD:1", lines[:3]) })
	se, ok := errors.AsType[*inventory.ShortageError](err)
	if !ok {
		t.Fatalf("got %v, want a shortage", err)
	}
	want := []inventory.Shortage{
		{Line: 0, LocationID: f.a, VariantID: v, SKU: "SKU-FALSE-0", LocationCode: "STORE-A", Requested: 3, Available: 2},
		{Line: 1, LocationID: f.b, VariantID: v, SKU: "SKU-FALSE-0", LocationCode: "STORE-B", Requested: 1, Available: 0},
		{Line: 2, LocationID: f.a, VariantID: lv, SKU: "SKU-TRUE-0", LocationCode: "STORE-A", Requested: 2, Available: 1},
	}
	if fmt.Sprint(se.Lines) != fmt.Sprint(want) {
		t.Fatalf("got %+v\nwant %+v", se.Lines, want)
	}
	e := wantErr(t, err, inventory.ReasonInsufficientStock, "lines.2.qty")
	if e.Code != apperr.CodeInvalid || e.Message != "only 1 of SKU-TRUE-0 available at STORE-A (2 asked for)" {
		t.Fatalf("got %+v", e)
	}
	if l := f.level(f.a, lv); l.Expired != 2 || l.Available() != 1 || l.Reserved != 0 {
		t.Fatalf("lot-tracked level %+v", l)
	}
}

// A till sale is never refused: what the ledger lacks becomes a discrepancy, on hand stays
// at or above zero and reserved, and a count resolves it.
func TestSellCarryOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.plain[0]
	f.stock(f.a, v, 3)
	var ds []inventory.Discrepancy
	err := postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		if err := f.svc.Reserve(system, tx, "ORD:1", []inventory.Line{{LocationID: f.a, VariantID: v, Qty: 1}}); err != nil {
			return err
		}
		var err error
		ds, err = f.svc.SellCarryOut(system, tx, "ORD:2", []inventory.Line{
			{LocationID: f.a, VariantID: v, Qty: 1},
			{LocationID: f.a, VariantID: v, Qty: 3}, // merged with the line above: 4 sold
			{LocationID: f.b, VariantID: f.plain[1], Qty: 2},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].LocationID != f.a || ds[0].Quantity != 2 || ds[0].Status != "OPEN" || ds[0].Reference != "ORD:2" ||
		ds[1].LocationID != f.b || ds[1].Quantity != 2 {
		t.Fatalf("discrepancies %+v", ds)
	}
	if l := f.level(f.a, v); l.OnHand != 1 || l.Reserved != 1 {
		t.Fatalf("level %+v, want on hand 1 (the reserved unit)", l)
	}
	// A sale the ledger covers makes no discrepancy.
	f.stock(f.a, f.plain[2], 2)
	err = postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		ds, err = f.svc.SellCarryOut(system, tx, "ORD:3", []inventory.Line{{LocationID: f.a, VariantID: f.plain[2], Qty: 2}})
		return err
	})
	if err != nil || len(ds) != 0 || f.level(f.a, f.plain[2]).OnHand != 0 {
		t.Fatalf("got %v, %+v", err, ds)
	}

	open := must[[]inventory.Discrepancy](t)(f.svc.Discrepancies(system, inventory.DiscrepancyFilter{LocationID: &f.a}))
	if len(open) != 1 {
		t.Fatalf("open at A: %+v", open)
	}
	must[inventory.Result](t)(f.svc.Count(system, inventory.CountInput{IdempotencyKey: newKey(), LocationID: f.a, VariantID: v,
		ExpectedOnHand: 1, CountedOnHand: 1}))
	open = must[[]inventory.Discrepancy](t)(f.svc.Discrepancies(system, inventory.DiscrepancyFilter{LocationID: &f.a}))
	if len(open) != 0 {
		t.Fatalf("still open after the count: %+v", open)
	}
	checkLedger(t, f.db)
}

func TestReleaseConsumeRestock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v, lv := f.plain[0], f.lotted[0]
	f.stock(f.a, v, 5)
	f.receiveLot(f.a, lv, 4, "L1", 60)
	inTx := func(fn func(tx *sqlx.Tx) error) error { return postgres.InTx(system, f.db, fn) }
	lines := []inventory.Line{{LocationID: f.a, VariantID: v, Qty: 2}, {LocationID: f.a, VariantID: lv, Qty: 3}}
	if err := inTx(func(tx *sqlx.Tx) error { return f.svc.Reserve(system, tx, "ORD:1", lines) }); err != nil {
		t.Fatal(err)
	}
	if err := inTx(func(tx *sqlx.Tx) error { return f.svc.Release(system, tx, "ORD:1", lines[:1]) }); err != nil {
		t.Fatal(err)
	}
	if err := inTx(func(tx *sqlx.Tx) error { return f.svc.Release(system, tx, "ORD:1", lines[:1]) }); err == nil {
		t.Fatal("released more than reserved")
	}
	if err := inTx(func(tx *sqlx.Tx) error { return f.svc.Consume(system, tx, "ORD:1", lines[1:]) }); err != nil {
		t.Fatal(err)
	}
	if l := f.level(f.a, lv); l.OnHand != 1 || l.Reserved != 0 || f.lots(f.a, lv)["L1"] != 1 {
		t.Fatalf("after shipping: %+v, lots %v", l, f.lots(f.a, lv))
	}
	// A returned lot-tracked unit names its lot, whose expiry is known.
	err := inTx(func(tx *sqlx.Tx) error {
		return f.svc.Restock(system, tx, "RET:1", []inventory.Line{{LocationID: f.b, VariantID: lv, Qty: 1}})
	})
	wantErr(t, err, "INVALID", "lot")
	err = inTx(func(tx *sqlx.Tx) error {
		return f.svc.Restock(system, tx, "RET:1", []inventory.Line{{LocationID: f.b, VariantID: lv, Qty: 1, Lot: "L1"}})
	})
	if err != nil || f.lots(f.b, lv)["L1"] != 1 {
		t.Fatalf("restock: %v, lots %v", err, f.lots(f.b, lv))
	}
	checkLedger(t, f.db)
}

// A reservation that waited for another transaction's change of the level still counts
// expired units out: the guard is re-read once the level is locked.
func TestReserveAfterConcurrentExpiredArrival(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lv := f.lotted[0]
	f.receiveLot(f.a, lv, 2, "GOOD", 30)
	f.receiveLot(f.b, lv, 1, "OLD", -5) // makes lot OLD, expired, known

	// A return of 3 expired units and a till sale of a good one, not committed yet.
	other, err := f.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if err := f.svc.Restock(system, other, "RET:1", []inventory.Line{{LocationID: f.a, VariantID: lv, Qty: 3, Lot: "OLD"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SellCarryOut(system, other, "ORD:0", []inventory.Line{{LocationID: f.a, VariantID: lv, Qty: 1}}); err != nil {
		t.Fatal(err)
	}
	// Two units look available until it commits, when only one is.
	done := make(chan error, 1)
	go func() {
		done <- postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
			return f.svc.Reserve(system, tx, "ORD:1", []inventory.Line{{LocationID: f.a, VariantID: lv, Qty: 2}})
		})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for waiting := 0; waiting == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the reservation never waited for the level")
		}
		if err := f.db.Get(&waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, short := errors.AsType[*inventory.ShortageError](<-done); !short {
		t.Fatal("reserved 2 with only 1 sellable")
	}
	if l := f.level(f.a, lv); l.OnHand != 4 || l.Expired != 3 || l.Reserved != 0 || l.Available() != 1 {
		t.Fatalf("level %+v", l)
	}
	checkLedger(t, f.db)
}
