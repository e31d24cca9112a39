package order_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"atrium/internal/inventory"
	"atrium/internal/order"
	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

// An order placed in one statement tells order_updated and stock_changed listeners after
// its commit, with the payloads a transaction's notifications carry; a till sale (placed
// in a transaction) still notifies from inside it.
func TestPlacedOrdersNotify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var name string
	must(t, f.db.Get(&name, `SELECT current_database()`))
	dsn := testdb.DSN(t, name)
	sku, vid := f.variant(t, 1200, map[string]int{"WH-TAO": 5, "TPE-01": 5})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type note struct{ channel, payload string }
	notes := make(chan note, 64)
	for _, channel := range []string{"order_updated", inventory.ChangesChannel} {
		go func() {
			_ = postgres.Listen(ctx, dsn, channel, func(payload string, missed bool) {
				if !missed {
					notes <- note{channel, payload}
				}
			})
		}()
	}
	// Listening has started once a notification sent now arrives on both channels.
	deadline := time.After(5 * time.Second)
	for ready := map[string]bool{}; len(ready) < 2; {
		_, err := f.db.Exec(`SELECT pg_notify('order_updated', 'ping'), pg_notify('stock_changed', 'ping')`)
		must(t, err)
		select {
		case n := <-notes:
			ready[n.channel] = true
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("listeners did not start")
		}
	}
	drain := func() {
		for {
			select {
			case <-notes:
			case <-time.After(200 * time.Millisecond):
				return
			}
		}
	}
	drain()
	expect := func(t *testing.T, want ...note) {
		t.Helper()
		got := map[note]bool{}
		timeout := time.After(5 * time.Second)
		for len(got) < len(want) {
			select {
			case n := <-notes:
				if n.channel == inventory.ChangesChannel {
					c, ok := decodeChange(n.payload)
					if !ok {
						t.Fatalf("stock_changed payload %q is not a Change", n.payload)
					}
					n.payload = strconv.FormatInt(c.LocationID, 10) + "/" + strconv.FormatInt(c.VariantID, 10)
				}
				got[n] = true
			case <-timeout:
				t.Fatalf("got notifications %v, want %v", got, want)
			}
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("missing %v among %v", w, got)
			}
		}
	}

	t.Run("a web order, after its commit", func(t *testing.T) {
		o := f.place(t, guest, shipInput(taipei(), line(sku, 1)))
		expect(t, note{"order_updated", strconv.FormatInt(o.ID, 10)},
			note{inventory.ChangesChannel, strconv.FormatInt(f.loc["WH-TAO"].ID, 10) + "/" + strconv.FormatInt(vid, 10)})
	})
	drain()
	t.Run("a till sale, from its transaction", func(t *testing.T) {
		in := order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS, LocationID: f.loc["TPE-01"].ID,
			Lines: []order.LineInput{line(sku, 1)}, Fulfilment: order.FulfilmentInput{Method: order.CarryOut}}
		o := f.place(t, f.as("manager"), in)
		expect(t, note{"order_updated", strconv.FormatInt(o.ID, 10)},
			note{inventory.ChangesChannel, strconv.FormatInt(f.loc["TPE-01"].ID, 10) + "/" + strconv.FormatInt(vid, 10)})
	})
}

func decodeChange(payload string) (inventory.Change, bool) {
	var c inventory.Change
	return c, json.Unmarshal([]byte(payload), &c) == nil
}

// Placing an order reads the open locations from a cache that each order checks against
// the database: a location closed or changed is seen by the next order.
func TestPlaceOrderSeesLocationChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 800, map[string]int{"WH-TAO": 5, "TPE-02": 5, "KHH-01": 5})
	ships := func(t *testing.T) string {
		t.Helper()
		d := f.detail(t, f.place(t, guest, shipInput(taipei(), line(sku, 1))).ID)
		return f.code(d.Fulfilments[0].LocationID)
	}
	pickup := func() error {
		in := shipInput(nil, line(sku, 1))
		in.Fulfilment = order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["KHH-01"].ID}
		_, err := f.svc.PlaceOrder(guest, in)
		return err
	}
	set := func(code, column string, value bool) {
		t.Helper()
		_, err := f.db.Exec(`UPDATE locations SET `+column+` = $2, updated_at = now() WHERE code = $1`, code, value)
		must(t, err)
	}
	if got := ships(t); got != "WH-TAO" {
		t.Fatalf("ships from %s, want WH-TAO (warehouses first)", got)
	}
	must(t, pickup())

	set("WH-TAO", "active", false)
	if got := ships(t); got != "TPE-02" {
		t.Errorf("with the warehouse closed, ships from %s, want TPE-02", got)
	}
	set("KHH-01", "pickup_enabled", false)
	wantErr(t, pickup(), "INVALID", "fulfillment.pickupLocationId")

	set("WH-TAO", "active", true)
	set("KHH-01", "pickup_enabled", true)
	if got := ships(t); got != "WH-TAO" {
		t.Errorf("with the warehouse open again, ships from %s, want WH-TAO", got)
	}
	must(t, pickup())
}

// A likely duplicate is recognised whatever order the client lists the lines in (the
// database computes the signature it looks for as the order service does).
func TestDuplicateWithLinesReordered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var skus []string
	for range 3 {
		sku, _ := f.variant(t, 500, map[string]int{"WH-TAO": 10})
		skus = append(skus, sku)
	}
	in := shipInput(taipei(), line(skus[0], 1), line(skus[2], 2), line(skus[1], 1))
	first := f.place(t, guest, in)
	again := in
	again.IdempotencyKey = newKey()
	again.Lines = []order.LineInput{line(skus[1], 1), line(skus[0], 1), line(skus[2], 2)}
	o := f.place(t, guest, again)
	if o.Status != order.OnHold || len(o.HoldReasons) != 1 || !strings.HasPrefix(o.HoldReasons[0], "likely duplicate of "+first.Number) {
		t.Errorf("second order %s %v, want held as a likely duplicate of %s", o.Status, o.HoldReasons, first.Number)
	}
}
