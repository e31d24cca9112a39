package order_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/order"
	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

// written counts what fulfilment steps write for an order and a variant: timeline
// events, outbox messages, stock movements, audit records and wrong pickup codes.
type written struct {
	Events, Messages, Movements, Audits, CodeAttempts int
}

func (f *fixture) written(t testing.TB, orderID, variant int64) written {
	t.Helper()
	var w written
	must(t, f.db.Get(&w.Events, `SELECT count(*) FROM order_events WHERE order_id = $1`, orderID))
	must(t, f.db.Get(&w.Messages, `SELECT count(*) FROM notifications WHERE reference = $1`, "ORD:"+itoa64(orderID)))
	must(t, f.db.Get(&w.Movements, `SELECT count(*) FROM stock_movements WHERE variant_id = $1`, variant))
	must(t, f.db.Get(&w.Audits, `SELECT count(*) FROM audit_log WHERE entity = 'fulfilment' AND entity_id IN
		(SELECT id FROM fulfilments WHERE order_id = $1)`, orderID))
	must(t, f.db.Get(&w.CodeAttempts, `SELECT coalesce(sum(pickup_code_attempts), 0) FROM fulfilments WHERE order_id = $1`, orderID))
	return w
}

// retryStep is one fulfilment step done, then retried as a tablet does when the response
// was lost.
type retryStep struct {
	name string
	do   func(t *testing.T) (order.FulfilmentView, error)
	want order.FulfilmentStatus
}

// runRetries does each step then its retry, in order: the retry succeeds with the same
// fulfilment and writes nothing.
func (f *fixture) runRetries(t *testing.T, orderID, variant int64, steps []retryStep) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			first, err := s.do(t)
			must(t, err)
			if first.Status != s.want {
				t.Fatalf("first call left %s, want %s", first.Status, s.want)
			}
			before := f.written(t, orderID, variant)
			again, err := s.do(t)
			if err != nil {
				t.Fatalf("retry: %v, want success", err)
			}
			if again.ID != first.ID || again.Status != s.want || len(again.Steps) != len(first.Steps) {
				t.Errorf("retry returned %s with %d steps, want %s with %d", again.Status, len(again.Steps), s.want, len(first.Steps))
			}
			if after := f.written(t, orderID, variant); after != before {
				t.Errorf("retry wrote %+v, want nothing more than %+v", after, before)
			}
		})
	}
}

// wantRecorded asserts a Conflict (WRONG_STATUS) whose message has every one of want.
func wantRecorded(t testing.TB, err error, want ...string) {
	t.Helper()
	e := wantErr(t, err, order.ReasonWrongStatus, "")
	if e.Code != apperr.CodeConflict {
		t.Errorf("code %s, want CONFLICT", e.Code)
	}
	for _, w := range want {
		if !strings.Contains(e.Message, w) {
			t.Errorf("message %q does not say %q", e.Message, w)
		}
	}
}

// Every step of a shipment is safe to retry: picking, packing, shipping (the same carrier
// and tracking, however typed) and delivery, even after the order completed. A different
// tracking number or a step further back is still refused.
func TestRetriedShipSteps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, variant := f.variant(t, 30000, map[string]int{"WH-TAO": 5})
	o := f.place(t, guest, shipInput(taipei(), line(sku, 2)))
	f.pay(t, o.ID)
	id := f.only(t, o.ID).ID
	wh := f.as("fulfilment")
	f.runRetries(t, o.ID, variant, []retryStep{
		{name: "start picking", want: order.FulfilmentPicking,
			do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.StartPicking(wh, id) }},
		{name: "pack", want: order.FulfilmentPacked, do: func(t *testing.T) (order.FulfilmentView, error) {
			if v, err := f.svc.FulfilmentByID(wh, id); err == nil && v.Status == order.FulfilmentPicking {
				f.scanAll(t, wh, id)
			}
			return f.svc.Pack(wh, id)
		}},
		{name: "ship", want: order.FulfilmentShipped, do: func(*testing.T) (order.FulfilmentView, error) {
			return f.svc.Ship(wh, order.ShipInput{FulfilmentID: id, Carrier: "Black Cat", TrackingNumber: "bc-1234 5678"})
		}},
		{name: "ship typed differently", want: order.FulfilmentShipped, do: func(*testing.T) (order.FulfilmentView, error) {
			return f.svc.Ship(wh, order.ShipInput{FulfilmentID: id, Carrier: " black  cat ", TrackingNumber: "BC-12345678"})
		}},
		{name: "deliver (completes the order)", want: order.FulfilmentDelivered,
			do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.MarkDelivered(wh, id) }},
	})
	if d := f.detail(t, o.ID); d.Status != order.Completed {
		t.Errorf("order %s, want COMPLETED", d.Status)
	}
	if got := f.steps(t, id); strings.Join(got, " ") != "PICKING PACKED SHIPPED DELIVERED" {
		t.Errorf("steps %v, want each once", got)
	}
	if got, want := f.movements(t, "WH-TAO", variant), "RECEIPT/+5/+0/+0 RESERVE/+0/+2/+0 SALE/-2/-2/+0"; got != want {
		t.Errorf("movements %s, want %s", got, want)
	}

	// A SHIPPED fulfilment (another order) refuses a different shipment and earlier steps.
	o2 := f.place(t, guest, shipInput(taipei(), line(sku, 1)))
	id2 := f.only(t, o2.ID).ID
	f.scanAll(t, wh, id2)
	_, err := f.svc.Pack(wh, id2)
	must(t, err)
	_, err = f.svc.Ship(wh, order.ShipInput{FulfilmentID: id2, Carrier: "Black Cat", TrackingNumber: "BC-1111"})
	must(t, err)
	before := f.written(t, o2.ID, variant)
	tests := []struct {
		name string
		do   func() error
		want []string
	}{
		{"another tracking number", func() error {
			_, err := f.svc.Ship(wh, order.ShipInput{FulfilmentID: id2, Carrier: "Black Cat", TrackingNumber: "BC-2222"})
			return err
		}, []string{"already shipped", "Black Cat, tracking BC-1111", "again with Black Cat, tracking BC-2222"}},
		{"another carrier", func() error {
			_, err := f.svc.Ship(wh, order.ShipInput{FulfilmentID: id2, Carrier: "Chunghwa Post", TrackingNumber: "BC-1111"})
			return err
		}, []string{"already shipped", "tracking BC-1111", "Chunghwa Post"}},
		{"no carrier", func() error {
			_, err := f.svc.Ship(wh, order.ShipInput{FulfilmentID: id2})
			return err
		}, []string{"already shipped", "again with no carrier"}},
		{"pick a shipped fulfilment", func() error { _, err := f.svc.StartPicking(wh, id2); return err },
			[]string{"is SHIPPED: it cannot be picked"}},
		{"pack a shipped fulfilment", func() error { _, err := f.svc.Pack(wh, id2); return err },
			[]string{"is SHIPPED: it cannot be packed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRecorded(t, tt.do(), tt.want...)
			if after := f.written(t, o2.ID, variant); after != before {
				t.Errorf("refused step wrote %+v, want %+v", after, before)
			}
		})
	}
}

// Pickup steps are safe to retry: a retried "ready" sends no second message (the code
// sent stays valid), a retried collection with the same code or override reason hands
// nothing over twice, a retried receipt receives the transfer once.
func TestRetriedPickupSteps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// pickup places a paid order collected at store, of an item stocked only at from.
	pickup := func(store, from string) (order.Order, int64, int64) {
		sku, variant := f.variant(t, 20000, map[string]int{from: 9})
		o := f.place(t, f.customer(f.mei), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.App,
			Lines: []order.LineInput{line(sku, 2)}, Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc[store].ID}})
		f.pay(t, o.ID)
		return o, f.only(t, o.ID).ID, variant
	}
	m := f.as("manager")

	t.Run("from the store's stock", func(t *testing.T) {
		o, id, variant := pickup("TPE-02", "TPE-02")
		store := f.as("yuting.lee") // associate at TPE-02
		f.scanAll(t, store, id)
		var code string
		f.runRetries(t, o.ID, variant, []retryStep{
			{name: "pack", want: order.FulfilmentPacked,
				do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.Pack(store, id) }},
			{name: "ready", want: order.FulfilmentReadyForPickup, do: func(t *testing.T) (order.FulfilmentView, error) {
				v, err := f.svc.ReadyForPickup(store, id)
				if c, sent := f.pickupCode(t, o.ID); sent != 1 || (code != "" && c != code) {
					t.Errorf("%d PICKUP_READY messages with code %s, want one with %s", sent, c, code)
				} else {
					code = c
				}
				return v, err
			}},
			{name: "collect", want: order.FulfilmentCollected,
				do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.Collect(store, id, code) }},
		})
		if d := f.detail(t, o.ID); d.Status != order.Completed {
			t.Errorf("order %s, want COMPLETED", d.Status)
		}
		before := f.written(t, o.ID, variant)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		tests := []struct {
			name string
			do   func() error
			want []string
		}{
			{"collect with another code", func() error { _, err := f.svc.Collect(store, id, wrong); return err },
				[]string{"already collected", "Collected at TPE-02", "not its pickup code"}},
			{"collect with an override", func() error { _, err := f.svc.CollectOverride(m, id, "ID card checked"); return err },
				[]string{"already collected", "without an override"}},
			{"make a collected fulfilment ready", func() error { _, err := f.svc.ReadyForPickup(store, id); return err },
				[]string{"is COMPLETED: its goods cannot be made ready for pickup"}},
			{"cancel a collected fulfilment", func() error { _, err := f.svc.CancelFulfilment(m, id, "mistake"); return err },
				[]string{"is COMPLETED"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantRecorded(t, tt.do(), tt.want...)
				if after := f.written(t, o.ID, variant); after != before {
					t.Errorf("refused step wrote %+v, want %+v (no wrong code counted)", after, before)
				}
			})
		}
	})

	t.Run("shipped to the store, overrides", func(t *testing.T) {
		o, id, variant := pickup("TPE-01", "WH-TAO")
		wh, store := f.as("fulfilment"), f.as("associate") // WH-TAO, TPE-01
		f.runRetries(t, o.ID, variant, []retryStep{
			{name: "pack override", want: order.FulfilmentPacked,
				do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.PackOverride(m, id, "scanner down") }},
			{name: "send", want: order.FulfilmentShipped, do: func(*testing.T) (order.FulfilmentView, error) {
				return f.svc.Ship(wh, order.ShipInput{FulfilmentID: id, Carrier: "own van"})
			}},
			{name: "receive", want: order.FulfilmentReceived,
				do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.ReceiveAtStore(store, id) }},
			{name: "ready", want: order.FulfilmentReadyForPickup,
				do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.ReadyForPickup(store, id) }},
			{name: "collect override", want: order.FulfilmentCollected,
				do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.CollectOverride(m, id, "ID card checked") }},
		})
		if got := f.steps(t, id); strings.Join(got, " ") != "PACKED SHIPPED RECEIVED READY_FOR_PICKUP COLLECTED" {
			t.Errorf("steps %v, want each once", got)
		}
		if got, want := f.movements(t, "TPE-01", variant), "TRANSFER_IN/+0/+0/+2 TRANSFER_IN/+2/+0/-2 RESERVE/+0/+2/+0 SALE/-2/-2/+0"; got != want {
			t.Errorf("store movements %s, want %s", got, want)
		}
		var audits int
		must(t, f.db.Get(&audits, `SELECT count(*) FROM audit_log WHERE entity = 'fulfilment' AND entity_id = $1`, id))
		if audits != 2 {
			t.Errorf("%d audit records, want one per override", audits)
		}
		_, err := f.svc.CollectOverride(m, id, "passport checked")
		wantRecorded(t, err, "already collected", `reason was "ID card checked", not "passport checked"`)
		_, err = f.svc.PackOverride(m, id, "scanner down")
		wantRecorded(t, err, "is COMPLETED: its goods cannot be packed")
		checkLedger(t, f.db)
	})

	t.Run("pack override after a plain pack", func(t *testing.T) {
		o, id, variant := pickup("TPE-02", "TPE-02")
		store := f.as("yuting.lee")
		f.scanAll(t, store, id)
		_, err := f.svc.Pack(store, id)
		must(t, err)
		before := f.written(t, o.ID, variant)
		_, err = f.svc.PackOverride(m, id, "scanner down")
		wantRecorded(t, err, "already packed", "all 2 unit(s) scanned", "without an override")
		if after := f.written(t, o.ID, variant); after != before {
			t.Errorf("refused override wrote %+v, want %+v", after, before)
		}
	})
}

// A retried cancellation with the same reason succeeds, even once the order is cancelled
// with it; another reason is refused with the one recorded.
func TestRetriedCancellation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, variant := f.variant(t, 1000, map[string]int{"WH-TAO": 9})
	o := f.place(t, guest, shipInput(taipei(), line(sku, 2)))
	id := f.only(t, o.ID).ID
	m := f.as("manager")
	f.runRetries(t, o.ID, variant, []retryStep{
		{name: "cancel", want: order.FulfilmentCancelled,
			do: func(*testing.T) (order.FulfilmentView, error) { return f.svc.CancelFulfilment(m, id, " out of stock ") }},
	})
	if d := f.detail(t, o.ID); d.Status != order.Cancelled || d.CancelledAmount != d.Total {
		t.Errorf("order %s, cancelled %d of %d; want CANCELLED in full", d.Status, d.CancelledAmount, d.Total)
	}
	_, err := f.svc.CancelFulfilment(m, id, "customer asked")
	wantRecorded(t, err, "already cancelled (reason: out of stock)", `"customer asked"`)
	_, err = f.svc.StartPicking(m, id)
	wantRecorded(t, err, "is CANCELLED")
	checkLedger(t, f.db)
}

// Two tablets sending the same step at once (or a retry racing the first call) end with
// the step done once: both succeed, one event, one message, one set of movements.
func TestConcurrentRetriedSteps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name  string
		stock string // where the item is
		place func(sku string) order.PlaceOrderInput
		ready func(t *testing.T, ctx context.Context, id int64)
		do    func(ctx context.Context, id int64) (order.FulfilmentView, error)
		ctx   context.Context
		kind  string
		wrote written // what the step writes once
	}{
		{"ship", "WH-TAO", func(sku string) order.PlaceOrderInput { return shipInput(taipei(), line(sku, 1)) },
			func(t *testing.T, ctx context.Context, id int64) {
				f.scanAll(t, ctx, id)
				_, err := f.svc.Pack(ctx, id)
				must(t, err)
			},
			func(ctx context.Context, id int64) (order.FulfilmentView, error) {
				return f.svc.Ship(ctx, order.ShipInput{FulfilmentID: id, Carrier: "Black Cat", TrackingNumber: "BC-777"})
			}, f.as("fulfilment"), order.EventShipped, written{Events: 1, Movements: 1}},
		{"ready for pickup", "TPE-02", func(sku string) order.PlaceOrderInput {
			return order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.App, Lines: []order.LineInput{line(sku, 1)},
				Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["TPE-02"].ID}}
		},
			func(t *testing.T, ctx context.Context, id int64) {
				f.scanAll(t, ctx, id)
				_, err := f.svc.Pack(ctx, id)
				must(t, err)
			},
			func(ctx context.Context, id int64) (order.FulfilmentView, error) {
				return f.svc.ReadyForPickup(ctx, id)
			},
			f.as("yuting.lee"), order.EventReadyForPickup, written{Events: 1, Messages: 1}},
		{"start picking", "WH-TAO", func(sku string) order.PlaceOrderInput { return shipInput(taipei(), line(sku, 1)) },
			func(*testing.T, context.Context, int64) {},
			func(ctx context.Context, id int64) (order.FulfilmentView, error) { return f.svc.StartPicking(ctx, id) },
			f.as("fulfilment"), order.EventPicking, written{Events: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sku, variant := f.variant(t, 1000, map[string]int{tt.stock: 9})
			o := f.place(t, f.customer(f.mei), tt.place(sku))
			id := f.only(t, o.ID).ID
			tt.ready(t, tt.ctx, id)
			before := f.written(t, o.ID, variant)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if _, err := tt.do(tt.ctx, id); err != nil {
						t.Errorf("concurrent %s: %v, want success", tt.name, err)
					}
				})
			}
			wg.Wait()
			after := f.written(t, o.ID, variant)
			got := written{Events: after.Events - before.Events, Messages: after.Messages - before.Messages,
				Movements: after.Movements - before.Movements}
			if got != tt.wrote {
				t.Errorf("two calls wrote %+v, want %+v", got, tt.wrote)
			}
			var events int
			must(t, f.db.Get(&events, `SELECT count(*) FROM order_events WHERE fulfilment_id = $1 AND kind = $2`, id, tt.kind))
			if events != 1 {
				t.Errorf("%d %s events, want 1", events, tt.kind)
			}
		})
	}
}

// A retried step tells no order_updated or stock_changed listener: only the first call
// notifies. Notifications arrive in commit order, so a marker sent after the retry comes
// after anything the retry sent.
func TestRetriedStepNotifiesNobody(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var name string
	must(t, f.db.Get(&name, `SELECT current_database()`))
	dsn := testdb.DSN(t, name)
	sku, _ := f.variant(t, 1000, map[string]int{"WH-TAO": 5})
	o := f.place(t, guest, shipInput(taipei(), line(sku, 1)))
	id := f.only(t, o.ID).ID
	wh := f.as("fulfilment")
	f.scanAll(t, wh, id)
	_, err := f.svc.Pack(wh, id)
	must(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	notes := make(chan string, 64)
	for _, channel := range []string{"order_updated", inventory.ChangesChannel} {
		go func() {
			_ = postgres.Listen(ctx, dsn, channel, func(payload string, missed bool) {
				if !missed {
					notes <- channel + ":" + payload
				}
			})
		}()
	}
	// until collects the notifications up to a marker sent on both channels after the work
	// observed (sent again while it does not arrive); older markers are skipped.
	until := func(t *testing.T, marker string) []string {
		t.Helper()
		marker = "marker-" + marker
		send := func() {
			_, err := f.db.Exec(`SELECT pg_notify('order_updated', $1), pg_notify('stock_changed', $1)`, marker)
			must(t, err)
		}
		send()
		var got []string
		for seen := map[string]bool{}; len(seen) < 2; {
			select {
			case n := <-notes:
				channel, payload, _ := strings.Cut(n, ":")
				switch {
				case payload == marker:
					seen[channel] = true
				case !strings.HasPrefix(payload, "marker-"):
					got = append(got, n)
				}
			case <-time.After(200 * time.Millisecond):
				send()
			case <-ctx.Done():
				t.Fatalf("no %s; got %v", marker, got)
			}
		}
		return got
	}
	// Listening has started once a marker arrives on both channels.
	until(t, "ping")
	ship := func() {
		_, err := f.svc.Ship(wh, order.ShipInput{FulfilmentID: id, Carrier: "Black Cat", TrackingNumber: "BC-42"})
		must(t, err)
	}
	ship()
	if got := until(t, "first"); !slices.Contains(got, "order_updated:"+itoa64(o.ID)) {
		t.Fatalf("the first call notified %v, want order_updated %d", got, o.ID)
	}
	ship()
	if got := until(t, "retry"); len(got) > 0 {
		t.Errorf("the retry notified %v, want nothing", got)
	}
}
