package inventory_test

import (
	"errors"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
)

func TestTransferLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v1, v2, lv := f.plain[0], f.plain[1], f.lotted[0]
	f.stock(f.w, v1, 10)
	f.stock(f.w, v2, 10)
	f.receiveLot(f.w, lv, 2, "SOON", 10)
	f.receiveLot(f.w, lv, 5, "LATE", 60)
	arrival := today().AddDate(0, 0, 2)
	in := inventory.TransferInput{IdempotencyKey: newKey(), FromLocationID: f.w, ToLocationID: f.a, ExpectedArrival: &arrival,
		Note: "weekly", Lines: []inventory.TransferLineInput{{VariantID: v1, Qty: 4}, {VariantID: v2, Qty: 3}, {VariantID: lv, Qty: 3}}}
	store := staffCtx(f.a, actor.Associate)
	warehouse := staffCtx(f.w, actor.Fulfilment)

	// An associate of the destination asks for stock; a retry returns the same draft.
	tr := must[inventory.Transfer](t)(f.svc.CreateTransfer(store, in))
	again := must[inventory.Transfer](t)(f.svc.CreateTransfer(store, in))
	if tr.Status != inventory.TransferDraft || again.ID != tr.ID || len(tr.Lines) != 3 || !tr.ExpectedArrival.Equal(arrival) {
		t.Fatalf("created %+v, retry %+v", tr, again)
	}
	if _, err := f.svc.CreateTransfer(staffCtx(f.b, actor.Associate), inventory.TransferInput{IdempotencyKey: newKey(),
		FromLocationID: f.w, ToLocationID: f.a, Lines: in.Lines}); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("associate of another store: %v", err)
	}

	// Only the source ships.
	if _, err := f.svc.ShipTransfer(store, tr.ID); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("destination shipped: %v", err)
	}
	tr = must[inventory.Transfer](t)(f.svc.ShipTransfer(warehouse, tr.ID))
	if tr.Status != inventory.TransferInTransit || tr.ShippedAt == nil {
		t.Fatalf("shipped %+v", tr)
	}
	if l := f.level(f.w, v1); l.OnHand != 6 {
		t.Fatalf("source %+v", l)
	}
	if l := f.level(f.a, v1); l.OnHand != 0 || l.Incoming != 4 {
		t.Fatalf("destination %+v", l)
	}
	if got := f.lots(f.w, lv); got["SOON"] != 0 || got["LATE"] != 4 {
		t.Fatalf("source lots %v", got)
	}
	_, err := f.svc.ShipTransfer(warehouse, tr.ID)
	wantErr(t, err, inventory.ReasonTransferStatus, "")
	if _, err := f.svc.CancelTransfer(store, tr.ID); apperr.CodeOf(err) != apperr.CodeConflict {
		t.Fatalf("cancelled a shipped transfer: %v", err)
	}

	// Incoming at A, with its expected arrival.
	a := f.a
	page := must[inventory.TransferPage](t)(f.svc.Transfers(store, inventory.TransferFilter{ToLocationID: &a,
		Statuses: []string{inventory.TransferInTransit}}))
	if len(page.Transfers) != 1 || page.Transfers[0].ID != tr.ID || page.Transfers[0].ExpectedArrival == nil {
		t.Fatalf("incoming %+v", page)
	}

	// One unit of v1 is missing, one extra v2 came, the lot-tracked units keep their lots.
	_, err = f.svc.ReceiveTransfer(store, tr.ID, []inventory.ReceivedLine{{VariantID: f.plain[2], Qty: 1}})
	wantErr(t, err, "INVALID", "received.0.variantId")
	if _, err := f.svc.ReceiveTransfer(warehouse, tr.ID, nil); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("source received: %v", err)
	}
	tr = must[inventory.Transfer](t)(f.svc.ReceiveTransfer(store, tr.ID, []inventory.ReceivedLine{
		{VariantID: v1, Qty: 3}, {VariantID: v2, Qty: 4}, {VariantID: lv, Qty: 3}}))
	if tr.Status != inventory.TransferReceivedWithDifferences || tr.ReceivedAt == nil {
		t.Fatalf("received %+v", tr)
	}
	diff := map[int64]int{}
	for _, l := range tr.Lines {
		diff[l.VariantID] = l.Difference()
	}
	if diff[v1] != -1 || diff[v2] != 1 || diff[lv] != 0 {
		t.Fatalf("differences %v", diff)
	}
	if l := f.level(f.a, v1); l.OnHand != 3 || l.Incoming != 0 {
		t.Fatalf("destination %+v", l)
	}
	if got := f.lots(f.a, lv); got["SOON"] != 2 || got["LATE"] != 1 {
		t.Fatalf("destination lots %v", got)
	}
	var sameExpiry bool
	if err := f.db.Get(&sameExpiry, `SELECT bool_and(a.expires_on = w.expires_on) FROM stock_lots a
		JOIN stock_lots w USING (variant_id, lot) WHERE a.location_id = $1 AND w.location_id = $2`, f.a, f.w); err != nil || !sameExpiry {
		t.Fatalf("lots lost their expiry: %v", err)
	}
	checkLedger(t, f.db)
}

func TestTransferShortAndCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.plain[0]
	f.stock(f.a, v, 2)
	manager := staffCtx(0, actor.Manager)
	tr := must[inventory.Transfer](t)(f.svc.CreateTransfer(manager, inventory.TransferInput{IdempotencyKey: newKey(),
		FromLocationID: f.a, ToLocationID: f.b, Lines: []inventory.TransferLineInput{{VariantID: v, Qty: 3}}}))
	_, err := f.svc.ShipTransfer(manager, tr.ID)
	se, ok := errors.AsType[*inventory.ShortageError](err)
	if !ok || len(se.Lines) != 1 || se.Lines[0].Available != 2 || se.Lines[0].Requested != 3 {
		t.Fatalf("got %v", err)
	}
	if l := f.level(f.a, v); l.OnHand != 2 || f.level(f.b, v).Incoming != 0 {
		t.Fatal("a refused shipment moved stock")
	}
	tr = must[inventory.Transfer](t)(f.svc.CancelTransfer(staffCtx(f.b, actor.Associate), tr.ID))
	if tr.Status != inventory.TransferCancelled {
		t.Fatalf("got %+v", tr)
	}
	if _, err := f.svc.Transfer(system, 999999); apperr.CodeOf(err) != apperr.CodeNotFound {
		t.Fatalf("got %v", err)
	}
	for name, in := range map[string]inventory.TransferInput{
		"same location": {IdempotencyKey: newKey(), FromLocationID: f.a, ToLocationID: f.a, Lines: []inventory.TransferLineInput{{VariantID: v, Qty: 1}}},
		"no lines":      {IdempotencyKey: newKey(), FromLocationID: f.a, ToLocationID: f.b},
		"duplicate":     {IdempotencyKey: newKey(), FromLocationID: f.a, ToLocationID: f.b, Lines: []inventory.TransferLineInput{{VariantID: v, Qty: 1}, {VariantID: v, Qty: 2}}},
		"no variant":    {IdempotencyKey: newKey(), FromLocationID: f.a, ToLocationID: f.b, Lines: []inventory.TransferLineInput{{VariantID: 999999, Qty: 1}}},
	} {
		if _, err := f.svc.CreateTransfer(manager, in); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// Nothing received at all: incoming still clears.
	tr = must[inventory.Transfer](t)(f.svc.CreateTransfer(manager, inventory.TransferInput{IdempotencyKey: newKey(),
		FromLocationID: f.a, ToLocationID: f.b, Lines: []inventory.TransferLineInput{{VariantID: v, Qty: 1}}}))
	must[inventory.Transfer](t)(f.svc.ShipTransfer(manager, tr.ID))
	tr = must[inventory.Transfer](t)(f.svc.ReceiveTransfer(manager, tr.ID, nil))
	if l := f.level(f.b, v); tr.Status != inventory.TransferReceivedWithDifferences || l.Incoming != 0 || l.OnHand != 0 {
		t.Fatalf("transfer %+v, level %+v", tr, l)
	}
	checkLedger(t, f.db)
}
