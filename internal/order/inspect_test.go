package order_test

import (
	"slices"
	"strings"
	"testing"

	"atrium/internal/audit"
	"atrium/internal/order"
)

// New orders that look wrong are held with their reasons; a manager releases or cancels
// them with a note, audited; cancelling gives the stock and the coupon use back.
func TestInspection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.variant(t, 60000, map[string]int{"WH-TAO": 100, "TPE-01": 10})
	f.coupon(t, "ONCEONLY", func(c *couponInput) { c.MaxRedemptions = 1 })

	held := func(t *testing.T, o order.Order, reason string) {
		t.Helper()
		if o.Status != order.OnHold || !slices.ContainsFunc(o.HoldReasons, func(r string) bool { return strings.Contains(r, reason) }) {
			t.Errorf("order %s is %s for %q, want ON_HOLD for %q", o.Number, o.Status, o.HoldReasons, reason)
		}
	}
	mei := f.customer(f.mei)
	first := f.place(t, mei, shipInput(taipei(), line(sku, 1)))
	if first.Status != order.Open || len(first.HoldReasons) != 0 {
		t.Fatalf("order %+v, want it released", first)
	}
	t.Run("a likely duplicate", func(t *testing.T) {
		held(t, f.place(t, mei, shipInput(kaohsiung(), line(sku, 1))), "likely duplicate of "+first.Number)
	})
	t.Run("an unusual quantity", func(t *testing.T) {
		held(t, f.place(t, guest, shipInput(taipei(), line(sku, 21))), "unusual quantity")
	})
	t.Run("a large first order paid at pickup", func(t *testing.T) {
		in := order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.Web, Email: "new@example.com",
			Lines: []order.LineInput{line(sku, 9)}, PaymentMethod: order.PayAtPickup,
			Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["TPE-01"].ID}}
		held(t, f.place(t, guest, in), "first order, to be paid at pickup")
	})

	t.Run("release", func(t *testing.T) {
		o := f.place(t, guest, shipInput(taipei(), line(sku, 25)))
		_, err := f.svc.Release(f.as("associate"), o.ID, "known customer")
		wantErr(t, err, "FORBIDDEN", "")
		_, err = f.svc.Release(f.as("manager"), o.ID, " ")
		wantErr(t, err, "INVALID", "note")
		after, err := f.svc.Release(f.as("manager"), o.ID, "a school's order, confirmed by phone")
		must(t, err)
		if after.Status != order.Open || len(after.HoldReasons) == 0 {
			t.Errorf("order %+v, want OPEN with its hold reasons kept", after)
		}
		_, err = f.svc.Release(f.as("manager"), o.ID, "again")
		wantErr(t, err, order.ReasonWrongStatus, "")
		entries, err := audit.ForEntity(system, f.db, "order", o.ID, 5)
		must(t, err)
		if len(entries) != 1 || entries[0].Action != "order.released" || entries[0].Reason != "a school's order, confirmed by phone" {
			t.Errorf("audit %+v, want the release with its note", entries)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		before := f.level(t, "WH-TAO", vid)
		in := shipInput(taipei(), line(sku, 30))
		in.CouponCodes = []string{"ONCEONLY"}
		o := f.place(t, guest, in)
		if l := f.level(t, "WH-TAO", vid); l.Reserved != before.Reserved+30 {
			t.Fatalf("level %+v, want 30 more reserved", l)
		}
		after, err := f.svc.Cancel(f.as("manager"), o.ID, "customer called to cancel")
		must(t, err)
		if after.Status != order.Cancelled {
			t.Errorf("order %+v, want CANCELLED", after)
		}
		if l := f.level(t, "WH-TAO", vid); l.Reserved != before.Reserved {
			t.Errorf("level %+v, want the reservation released (%d)", l, before.Reserved)
		}
		d := f.detail(t, o.ID)
		if d.Fulfilments[0].Status != order.FulfilmentCancelled || !hasEvent(d, order.EventCancelled) {
			t.Errorf("fulfilments %+v, events %+v: want them cancelled on the timeline", d.Fulfilments, d.Events)
		}
		again := shipInput(taipei(), line(sku, 1))
		again.CouponCodes = []string{"ONCEONLY"}
		f.place(t, f.customer(f.david), again) // the use came back
		_, err = f.svc.Cancel(f.as("manager"), o.ID, "twice")
		wantErr(t, err, order.ReasonWrongStatus, "")
	})

	t.Run("a till sale cannot be cancelled", func(t *testing.T) {
		o := f.place(t, f.as("manager"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS,
			LocationID: f.loc["TPE-01"].ID, Lines: []order.LineInput{line(sku, 100)},
			Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
		if o.Status != order.Open {
			t.Errorf("till sale %+v: till sales are not inspected", o)
		}
		_, err := f.svc.Cancel(f.as("manager"), o.ID, "oops")
		wantErr(t, err, order.ReasonWrongStatus, "")
	})
	checkLedger(t, f.db)
}

// A customer sees their own orders from every channel, not others'; staff see all; a
// guest none. The batch reads follow the same rule.
func TestVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 1000, map[string]int{"WH-TAO": 50, "TPE-01": 5})
	mei, david := f.customer(f.mei), f.customer(f.david)
	var meis []int64
	for range 3 {
		meis = append(meis, f.place(t, mei, shipInput(taipei(), line(sku, 1))).ID)
	}
	// An associate sells to Mei at the till.
	till := f.place(t, f.as("associate"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS,
		LocationID: f.loc["TPE-01"].ID, CustomerID: f.mei, Lines: []order.LineInput{line(sku, 1)},
		Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	meis = append(meis, till.ID)
	theirs := f.place(t, david, shipInput(taipei(), line(sku, 1))).ID

	page, err := f.svc.ForCustomer(mei, f.mei, order.Page{First: 3})
	must(t, err)
	next, err := f.svc.ForCustomer(mei, f.mei, order.Page{First: 3, After: page.Orders[2].ID})
	must(t, err)
	var got []int64
	for _, o := range append(page.Orders, next.Orders...) {
		got = append(got, o.ID)
	}
	slices.Reverse(meis)
	if !page.HasNextPage || next.HasNextPage || !slices.Equal(got, meis) {
		t.Errorf("Mei's pages %v (more: %t, %t), want %v newest first", got, page.HasNextPage, next.HasNextPage, meis)
	}
	_, err = f.svc.ForCustomer(mei, f.david, order.Page{})
	wantErr(t, err, "FORBIDDEN", "")
	if _, err := f.svc.Order(mei, theirs); err == nil {
		t.Error("Mei sees David's order")
	}
	if _, err := f.svc.Order(guest, meis[0]); err == nil {
		t.Error("a guest sees Mei's order")
	}
	lines, err := f.svc.LinesByOrderIDs(mei, []int64{meis[0], theirs})
	must(t, err)
	if len(lines[meis[0]]) != 1 || len(lines[theirs]) != 0 {
		t.Errorf("lines %v, want Mei's only", lines)
	}
	if _, err := f.svc.AllocationsByOrderIDs(mei, meis); err == nil {
		t.Error("a customer reads allocation explanations")
	}
	all, err := f.svc.OrdersByIDs(f.as("fulfilment"), append(meis, theirs))
	must(t, err)
	if len(all) != 5 {
		t.Errorf("staff see %d orders, want 5", len(all))
	}
	byNumber, err := f.svc.OrderByNumber(f.as("associate"), strings.ToLower(till.Number))
	must(t, err)
	pos, err := f.svc.List(f.as("manager"), order.Filter{Channel: order.POS, LocationID: f.loc["TPE-01"].ID})
	must(t, err)
	if byNumber.ID != till.ID || len(pos.Orders) != 1 || pos.Orders[0].ID != till.ID {
		t.Errorf("by number %+v, POS list %+v: want the till sale", byNumber, pos.Orders)
	}
}
