package inventory_test

import (
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/postgres"
)

// Outgoing stock takes the first-expiring lot that has not expired; expired lots go last
// and are never available.
func TestFEFO(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.lotted[0]
	f.receiveLot(f.a, v, 2, "EXPIRED", -3)
	f.receiveLot(f.a, v, 3, "LATE", 90)
	f.receiveLot(f.a, v, 2, "SOON", 10)
	if l := f.level(f.a, v); l.OnHand != 7 || l.Expired != 2 || l.Available() != 5 {
		t.Fatalf("level %+v", l)
	}

	var lotsTaken []string
	err := postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		lines := []inventory.Line{{LocationID: f.a, VariantID: v, Qty: 3}}
		if err := f.svc.Reserve(system, tx, "ORD:1", lines); err != nil {
			return err
		}
		if err := f.svc.Consume(system, tx, "ORD:1", lines); err != nil {
			return err
		}
		return tx.Select(&lotsTaken, `SELECT lot FROM stock_movements WHERE reference = 'ORD:1' AND kind = 'SALE' ORDER BY id`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.lots(f.a, v); got["SOON"] != 0 || got["LATE"] != 2 || got["EXPIRED"] != 2 || len(lotsTaken) != 2 ||
		lotsTaken[0] != "SOON" || lotsTaken[1] != "LATE" {
		t.Fatalf("lots %v after taking %v", got, lotsTaken)
	}
	// A till sale of more than the named lot holds takes the rest first-expiring first,
	// expired lots last, and is no discrepancy while the level has the units.
	var ds []inventory.Discrepancy
	err = postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		ds, err = f.svc.SellCarryOut(system, tx, "ORD:2", []inventory.Line{{LocationID: f.a, VariantID: v, Qty: 3, Lot: "LATE"}})
		return err
	})
	if got := f.lots(f.a, v); err != nil || len(ds) != 0 || got["LATE"] != 0 || got["EXPIRED"] != 1 {
		t.Fatalf("lots %v, discrepancies %v, %v", got, ds, err)
	}
	// A named lot is taken from that lot.
	res, err := f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.a, VariantID: v,
		Delta: -1, Kind: inventory.KindDamage, Reason: "crushed", Lot: "EXPIRED"})
	if err != nil || *res.Movements[0].Lot != "EXPIRED" || res.Level.OnHand != 0 {
		t.Fatalf("got %+v, %v", res, err)
	}
	checkLedger(t, f.db)
}

func TestLotRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.lotted[0]
	exp := today().AddDate(0, 0, 30)
	other := today().AddDate(0, 0, 40)
	receipt := func(lot string, expires *time.Time) error {
		_, err := f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.a, VariantID: v,
			Delta: 5, Kind: inventory.KindReceipt, Reason: "delivery", Lot: lot, ExpiresOn: expires})
		return err
	}
	wantErr(t, receipt("", &exp), "INVALID", "lot")
	wantErr(t, receipt("L1", nil), "INVALID", "expiresOn") // a new lot needs its expiry
	if err := receipt("L1", &exp); err != nil {
		t.Fatal(err)
	}
	if err := receipt("L1", nil); err != nil { // a known lot keeps its expiry
		t.Fatal(err)
	}
	wantErr(t, receipt("L1", &other), "INVALID", "expiresOn")
	_, err := f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.a, VariantID: v,
		Delta: -11, Reason: "lost", Lot: "L1"})
	wantErr(t, err, inventory.ReasonInsufficientStock, "delta")
	if got := f.lots(f.a, v); got["L1"] != 10 {
		t.Fatalf("lots %v", got)
	}
	// The same lot received at another location keeps the expiry it has elsewhere.
	if _, err := f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.b, VariantID: v,
		Delta: 1, Reason: "found", Lot: "L1"}); err != nil {
		t.Fatal(err)
	}
	checkLedger(t, f.db)
}

// Two servers running the expiry job at once expire each unit once; units reserved for
// orders stay.
func TestExpireLotsConcurrently(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	want := 0
	for _, loc := range []int64{f.a, f.b, f.w} {
		for i, v := range f.lotted {
			f.receiveLot(loc, v, 2+i, "OLD", 5) // expired by the time the job runs
			f.receiveLot(loc, v, 1, "FRESH", 100)
			want += 2 + i
		}
	}
	// Three units at A are reserved while only one fresh unit backs them: two expired
	// units stay on hand for that order.
	err := postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		return f.svc.Reserve(system, tx, "ORD:1", []inventory.Line{{LocationID: f.a, VariantID: f.lotted[0], Qty: 3}})
	})
	if err != nil {
		t.Fatal(err)
	}
	want -= 2

	if _, err := f.svc.ExpireLots(staffCtx(f.a, actor.Associate), time.Now()); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("associate ran the job: %v", err)
	}
	later := time.Now().AddDate(0, 0, 7)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Go(func() {
			var err error
			if counts[i], err = f.svc.ExpireLots(system, later); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != want {
		t.Fatalf("expired %v units, want %d in all", counts, want)
	}
	if n := must[int](t)(f.svc.ExpireLots(system, later)); n != 0 {
		t.Fatalf("a third run expired %d", n)
	}
	if got := f.lots(f.a, f.lotted[0]); got["OLD"] != 2 || got["FRESH"] != 1 {
		t.Fatalf("reserved level lots %v", got)
	}
	if got := f.lots(f.b, f.lotted[2]); got["OLD"] != 0 || got["FRESH"] != 1 {
		t.Fatalf("lots %v", got)
	}
	var expiries int
	if err := f.db.Get(&expiries, `SELECT -sum(on_hand_delta) FROM stock_movements WHERE kind = 'EXPIRY'`); err != nil || expiries != want {
		t.Fatalf("EXPIRY movements take %d, want %d (%v)", expiries, want, err)
	}
	checkLedger(t, f.db)
}

func TestExpiringStock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.receiveLot(f.a, f.lotted[0], 1, "GONE", -1)
	f.receiveLot(f.a, f.lotted[0], 2, "SOON", 5)
	f.receiveLot(f.b, f.lotted[1], 3, "LATER", 20)
	f.receiveLot(f.a, f.lotted[1], 4, "FAR", 200)

	got := must[[]inventory.ExpiringLot](t)(f.svc.ExpiringStock(system, inventory.ExpiringFilter{WithinDays: 10}))
	if len(got) != 2 || got[0].Lot != "GONE" || !got[0].Expired || got[1].Lot != "SOON" || got[1].Expired || got[1].OnHand != 2 {
		t.Fatalf("within 10 days: %+v", got)
	}
	got = must[[]inventory.ExpiringLot](t)(f.svc.ExpiringStock(system, inventory.ExpiringFilter{LocationID: &f.b}))
	if len(got) != 1 || got[0].Lot != "LATER" {
		t.Fatalf("at B within 30 days: %+v", got)
	}
	if _, err := f.svc.ExpiringStock(customerCtx(), inventory.ExpiringFilter{}); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("customer: %v", err)
	}
}
