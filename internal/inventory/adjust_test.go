package inventory_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/postgres"
)

func TestAdjust(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.plain[0]
	f.stock(f.a, v, 5)
	if err := postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		return f.svc.Reserve(system, tx, "ORD:1", []inventory.Line{{LocationID: f.a, VariantID: v, Qty: 2}})
	}); err != nil {
		t.Fatal(err)
	}
	in := func(delta int, mod func(*inventory.AdjustInput)) inventory.AdjustInput {
		i := inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.a, VariantID: v, Delta: delta, Reason: "shelf check"}
		if mod != nil {
			mod(&i)
		}
		return i
	}
	for _, tc := range []struct {
		name         string
		in           inventory.AdjustInput
		code, field  string
		wantOnHand   int
		wantMovement inventory.Kind
	}{
		{name: "found units", in: in(2, nil), wantOnHand: 7, wantMovement: inventory.KindAdjustment},
		{name: "damage", in: in(-1, func(i *inventory.AdjustInput) { i.Kind = inventory.KindDamage }), wantOnHand: 6, wantMovement: inventory.KindDamage},
		{name: "below reserved", in: in(-5, nil), code: inventory.ReasonInsufficientStock, field: "delta"},
		{name: "below zero", in: in(-50, nil), code: inventory.ReasonInsufficientStock, field: "delta"},
		{name: "nothing there", in: in(-1, func(i *inventory.AdjustInput) { i.LocationID = f.b }), code: inventory.ReasonInsufficientStock, field: "delta"},
		{name: "no reason", in: in(1, func(i *inventory.AdjustInput) { i.Reason = " " }), code: "INVALID", field: "reason"},
		{name: "no key", in: in(1, func(i *inventory.AdjustInput) { i.IdempotencyKey = "" }), code: "INVALID", field: "idempotencyKey"},
		{name: "zero", in: in(0, nil), code: "INVALID", field: "delta"},
		{name: "damage adds", in: in(1, func(i *inventory.AdjustInput) { i.Kind = inventory.KindDamage }), code: "INVALID", field: "delta"},
		{name: "receipt removes", in: in(-1, func(i *inventory.AdjustInput) { i.Kind = inventory.KindReceipt }), code: "INVALID", field: "delta"},
		{name: "other kind", in: in(1, func(i *inventory.AdjustInput) { i.Kind = inventory.KindSale }), code: "INVALID", field: "kind"},
		{name: "lot on plain variant", in: in(1, func(i *inventory.AdjustInput) { i.Lot = "L1" }), code: "INVALID", field: "lot"},
		{name: "no such location", in: in(1, func(i *inventory.AdjustInput) { i.LocationID = 999999 }), code: "INVALID", field: "locationId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.svc.Adjust(system, tc.in)
			if tc.code != "" {
				e := wantErr(t, err, tc.code, tc.field)
				if tc.code == inventory.ReasonInsufficientStock && tc.in.LocationID == f.a && !strings.Contains(e.Message, "6 on hand") {
					t.Errorf("message %q does not say what is on hand", e.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Level.OnHand != tc.wantOnHand || len(res.Movements) != 1 || res.Movements[0].Kind != tc.wantMovement ||
				res.Movements[0].OnHandDelta != tc.in.Delta || res.Movements[0].Reference != "ADJ:"+tc.in.IdempotencyKey ||
				res.Movements[0].Reason != "shelf check" || res.Movements[0].ActorKind != "SYSTEM" {
				t.Fatalf("got %+v", res)
			}
		})
	}
	checkLedger(t, f.db)
}

func TestAdjustIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.plain[0]
	ctx := staffCtx(f.a, actor.Associate)
	in := inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.a, VariantID: v, Delta: 3, Reason: "found"}

	t.Run("sequential retry", func(t *testing.T) {
		first := must[inventory.Result](t)(f.svc.Adjust(ctx, in))
		again := must[inventory.Result](t)(f.svc.Adjust(ctx, in))
		if first.Replayed || !again.Replayed || again.Movements[0].ID != first.Movements[0].ID || again.Level.OnHand != 3 {
			t.Fatalf("first %+v, again %+v", first, again)
		}
	})
	t.Run("reused with other content", func(t *testing.T) {
		other := in
		other.Delta = 4
		_, err := f.svc.Adjust(ctx, other)
		wantErr(t, err, "CONFLICT", "idempotencyKey")
		// Another actor's retry of the same request is another request.
		other = in
		manager := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 8, Roles: []actor.Role{actor.Manager}})
		_, err = f.svc.Adjust(manager, other)
		wantErr(t, err, "CONFLICT", "idempotencyKey")
		// A count under an adjustment's key too.
		_, err = f.svc.Count(ctx, inventory.CountInput{IdempotencyKey: in.IdempotencyKey, LocationID: f.a, VariantID: v,
			ExpectedOnHand: 3, CountedOnHand: 3})
		wantErr(t, err, "CONFLICT", "idempotencyKey")
	})
	t.Run("concurrent identical calls", func(t *testing.T) {
		in := in
		in.IdempotencyKey = newKey()
		var wg sync.WaitGroup
		results := make([]inventory.Result, 20)
		errs := make([]error, 20)
		for i := range results {
			wg.Go(func() { results[i], errs[i] = f.svc.Adjust(ctx, in) })
		}
		wg.Wait()
		firsts := 0
		for i, r := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if !r.Replayed {
				firsts++
			}
			if r.Movements[0].ID != results[0].Movements[0].ID {
				t.Fatalf("call %d got movement %d, call 0 %d", i, r.Movements[0].ID, results[0].Movements[0].ID)
			}
		}
		var n int
		if err := f.db.Get(&n, `SELECT count(*) FROM stock_movements WHERE reference = $1`, "ADJ:"+in.IdempotencyKey); err != nil {
			t.Fatal(err)
		}
		if firsts != 1 || n != 1 || f.level(f.a, v).OnHand != 6 {
			t.Fatalf("%d first calls, %d movements, on hand %d; want 1, 1, 6", firsts, n, f.level(f.a, v).OnHand)
		}
	})
	checkLedger(t, f.db)
}

func TestStockAuthorization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.plain[0]
	customer := actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: 3})
	for _, tc := range []struct {
		name string
		ctx  context.Context
		at   int64
		code apperr.Code // "" for allowed
	}{
		{"associate at home", staffCtx(f.a, actor.Associate), f.a, ""},
		{"associate elsewhere", staffCtx(f.a, actor.Associate), f.b, apperr.CodeForbidden},
		{"associate without a home", staffCtx(0, actor.Associate), f.a, apperr.CodeForbidden},
		{"fulfilment at home", staffCtx(f.w, actor.Fulfilment), f.w, ""},
		{"fulfilment elsewhere", staffCtx(f.w, actor.Fulfilment), f.a, apperr.CodeForbidden},
		{"manager anywhere", staffCtx(f.a, actor.Manager), f.b, ""},
		{"admin anywhere", staffCtx(0, actor.Admin), f.w, ""},
		{"buyer", staffCtx(f.a, actor.Buyer), f.a, apperr.CodeForbidden},
		{"customer", customer, f.a, apperr.CodeForbidden},
		{"anonymous", context.Background(), f.a, apperr.CodeUnauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Adjust(tc.ctx, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: tc.at, VariantID: v,
				Delta: 1, Reason: "found"})
			if tc.code == "" && err != nil || tc.code != "" && apperr.CodeOf(err) != tc.code {
				t.Fatalf("adjust: got %v, want %q", err, tc.code)
			}
			cur := f.level(tc.at, v).OnHand
			_, err = f.svc.Count(tc.ctx, inventory.CountInput{IdempotencyKey: newKey(), LocationID: tc.at, VariantID: v,
				ExpectedOnHand: cur, CountedOnHand: cur})
			if tc.code == "" && err != nil || tc.code != "" && apperr.CodeOf(err) != tc.code {
				t.Fatalf("count: got %v, want %q", err, tc.code)
			}
		})
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.plain[0]
	f.stock(f.a, v, 10)
	ctx := staffCtx(f.a, actor.Associate)
	count := func(expected, counted int) (inventory.Result, error) {
		return f.svc.Count(ctx, inventory.CountInput{IdempotencyKey: newKey(), LocationID: f.a, VariantID: v,
			ExpectedOnHand: expected, CountedOnHand: counted})
	}

	res := must[inventory.Result](t)(count(10, 8))
	if res.Level.OnHand != 8 || res.Movements[0].Kind != inventory.KindCount || res.Movements[0].OnHandDelta != -2 {
		t.Fatalf("got %+v", res)
	}
	// Someone counted from the old figure: refused, with the current one.
	_, err := count(10, 9)
	if e := wantErr(t, err, inventory.ReasonStaleCount, "expectedOnHand"); !strings.Contains(e.Message, "8") {
		t.Errorf("message %q does not say the current figure", e.Message)
	}
	// A confirming count writes a zero movement.
	res = must[inventory.Result](t)(count(8, 8))
	if res.Movements[0].OnHandDelta != 0 || res.Level.OnHand != 8 {
		t.Fatalf("got %+v", res)
	}
	// Fewer than reserved cannot be recorded.
	if err := postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
		return f.svc.Reserve(system, tx, "ORD:1", []inventory.Line{{LocationID: f.a, VariantID: v, Qty: 5}})
	}); err != nil {
		t.Fatal(err)
	}
	_, err = count(8, 4)
	wantErr(t, err, inventory.ReasonInsufficientStock, "countedOnHand")
	// A count where nothing was recorded starts the level.
	res = must[inventory.Result](t)(f.svc.Count(ctx, inventory.CountInput{IdempotencyKey: newKey(), LocationID: f.a,
		VariantID: f.plain[1], ExpectedOnHand: 0, CountedOnHand: 4}))
	if res.Level.OnHand != 4 {
		t.Fatalf("got %+v", res.Level)
	}
	checkLedger(t, f.db)
}
