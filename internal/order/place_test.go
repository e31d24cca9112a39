package order_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"atrium/internal/order"
)

// Each fulfilment type on crafted stock layouts: which locations serve the order, the
// rule that decided and the explanation staff see.
func TestAllocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name  string
		stock []map[string]int // per line
		qty   []int
		addr  *order.Address
		want  map[string][]int // location code → units of each line
		rule  order.Rule
		// reasons: words each named candidate's reason must contain.
		reasons map[string]string
	}{
		{
			name:    "a warehouse that has everything ships before a nearer store",
			stock:   []map[string]int{{"WH-TAO": 5, "TPE-02": 5}},
			qty:     []int{2},
			addr:    taipei(),
			want:    map[string][]int{"WH-TAO": {2}},
			rule:    order.RuleSingleLocation,
			reasons: map[string]string{"WH-TAO": "ranked first: a warehouse", "TPE-02": "warehouses ship first"},
		},
		{
			name:    "the nearest store when no warehouse has the goods",
			stock:   []map[string]int{{"TPE-01": 3, "TPE-02": 3, "KHH-01": 3}},
			qty:     []int{2},
			addr:    kaohsiung(),
			want:    map[string][]int{"KHH-01": {2}},
			rule:    order.RuleSingleLocation,
			reasons: map[string]string{"KHH-01": "the nearest", "TPE-01": "farther", "TPE-02": "farther"},
		},
		{
			name:    "one store with both lines rather than a split with the warehouse",
			stock:   []map[string]int{{"WH-TAO": 9, "TCH-01": 2}, {"TCH-01": 1}},
			qty:     []int{2, 1},
			addr:    taipei(),
			want:    map[string][]int{"TCH-01": {2, 1}},
			rule:    order.RuleSingleLocation,
			reasons: map[string]string{"WH-TAO": "cannot serve the whole order (OT-"},
		},
		{
			name:    "split only when no single location can serve",
			stock:   []map[string]int{{"WH-TAO": 3}, {"TPE-01": 1, "HSZ-01": 2}},
			qty:     []int{3, 2},
			addr:    taipei(),
			want:    map[string][]int{"WH-TAO": {3, 0}, "HSZ-01": {0, 2}},
			rule:    order.RuleSplit,
			reasons: map[string]string{"WH-TAO": "takes 3 of the 5 units", "TPE-01": "not needed"},
		},
		{
			name:    "stores keep their safety stock",
			stock:   []map[string]int{{"TPE-02/2": 3, "TPE-01": 2}},
			qty:     []int{2},
			addr:    taipei(),
			want:    map[string][]int{"TPE-01": {2}},
			rule:    order.RuleSingleLocation,
			reasons: map[string]string{"TPE-02": "cannot serve the whole order (OT-"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []order.LineInput
			var skus []string
			for i, st := range tt.stock {
				sku, _ := f.variant(t, 10000, st)
				skus = append(skus, sku)
				lines = append(lines, line(sku, tt.qty[i]))
			}
			o := f.place(t, guest, shipInput(tt.addr, lines...))
			d := f.detail(t, o.ID)
			if got := takes(f, d); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fulfilments take %v, want %v", got, tt.want)
			}
			if len(d.Allocations) != 1 {
				t.Fatalf("%d allocations, want 1", len(d.Allocations))
			}
			e := d.Allocations[0].Explanation
			if d.Allocations[0].Rule != tt.rule || e.Rule != tt.rule || e.Summary == "" || e.Policy == "" {
				t.Errorf("allocation %s %+v, want rule %s with a summary and policy", d.Allocations[0].Rule, e, tt.rule)
			}
			for _, c := range e.Candidates {
				_, chosen := tt.want[c.Code]
				if c.Chosen != chosen || c.Reason == "" || len(c.Available) != len(skus) {
					t.Errorf("candidate %+v: chosen %t, want %t, a reason and availability per line", c, c.Chosen, chosen)
				}
				if words, ok := tt.reasons[c.Code]; ok && !strings.Contains(c.Reason, words) {
					t.Errorf("%s: reason %q, want it to say %q", c.Code, c.Reason, words)
				}
			}
			for code := range tt.reasons {
				if !hasCandidate(e, code) {
					t.Errorf("%s is not among the candidates %+v", code, e.Candidates)
				}
			}
			for _, fu := range d.Fulfilments {
				if fu.Method != order.Ship || fu.Status != order.FulfilmentOpen || fu.ShipAddress == nil ||
					fu.ShipAddress.Phone != "+886912345678" || fu.ShipAddress.Country != "TW" {
					t.Errorf("fulfilment %+v (address %+v), want an open shipment to the normalised address", fu, fu.ShipAddress)
				}
			}
			// Each fulfilment's units are reserved where it ships from.
			for code, q := range tt.want {
				for i, n := range q {
					vid := skuID(t, f, skus[i])
					if l := f.level(t, code, vid); l.Reserved != n {
						t.Errorf("%s reserves %d of line %d, want %d", code, l.Reserved, i, n)
					}
				}
			}
		})
	}
	checkLedger(t, f.db)
}

func hasCandidate(e order.Explanation, code string) bool {
	for _, c := range e.Candidates {
		if c.Code == code {
			return true
		}
	}
	return false
}

func skuID(t testing.TB, f *fixture, sku string) int64 {
	t.Helper()
	var id int64
	must(t, f.db.Get(&id, `SELECT id FROM variants WHERE sku = $1`, sku))
	return id
}

// Without coordinates, the priority order decides between equal locations.
func TestAllocationPriorityWithoutCoordinates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *order.Config) { c.LocationPriority = []string{"WH-TAO", "TCH-01", "TPE-01"} })
	sku, _ := f.variant(t, 5000, map[string]int{"TPE-01": 2, "TCH-01": 2, "KHH-01": 2})
	addr := taipei()
	addr.Latitude, addr.Longitude = nil, nil
	d := f.detail(t, f.place(t, guest, shipInput(addr, line(sku, 1))).ID)
	if got := takes(f, d); !reflect.DeepEqual(got, map[string][]int{"TCH-01": {1}}) {
		t.Fatalf("fulfilments %v, want TCH-01 by priority", got)
	}
	e := d.Allocations[0].Explanation
	if e.Origin != nil || !strings.Contains(e.Candidates[0].Reason, "first in the location priority order") {
		t.Errorf("explanation %+v, want no origin and the priority order as the reason", e)
	}
}

// PICKUP: the pickup store's own stock first; what it lacks is sent to it (ship-to-store)
// with an expected ready date.
func TestPickup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	customer := f.customer(f.mei)
	pickup := func(store string, lines ...order.LineInput) order.Detail {
		t.Helper()
		o := f.place(t, customer, order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.App, Lines: lines,
			Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc[store].ID}})
		if o.CustomerID == nil || *o.CustomerID != f.mei || o.Email == nil || *o.Email != "mei.lin@example.com" || o.Shipping != 0 {
			t.Errorf("order %+v, want Mei's with her email and no shipping", o)
		}
		return f.detail(t, o.ID)
	}
	ready := time.Now().In(mustZone(t, "Asia/Taipei")).AddDate(0, 0, 2).Format(time.DateOnly)

	t.Run("from the store's own stock", func(t *testing.T) {
		sku, _ := f.variant(t, 2000, map[string]int{"TPE-02": 2, "WH-TAO": 9})
		d := pickup("TPE-02", line(sku, 2))
		if got := takes(f, d); !reflect.DeepEqual(got, map[string][]int{"TPE-02": {2}}) {
			t.Fatalf("fulfilments %v, want TPE-02's own stock", got)
		}
		fu := d.Fulfilments[0]
		if fu.Method != order.Pickup || fu.ShipToStore() || fu.ExpectedReadyOn != nil || d.Allocations[0].Rule != order.RulePickupStore {
			t.Errorf("fulfilment %+v, rule %s: want a pickup from the store's stock", fu, d.Allocations[0].Rule)
		}
	})
	t.Run("ship to store from the warehouse", func(t *testing.T) {
		sku, _ := f.variant(t, 2000, map[string]int{"WH-TAO": 9, "KHH-01": 9})
		d := pickup("TPE-01", line(sku, 3))
		if got := takes(f, d); !reflect.DeepEqual(got, map[string][]int{"WH-TAO": {3}}) {
			t.Fatalf("fulfilments %v, want the warehouse", got)
		}
		fu := d.Fulfilments[0]
		if !fu.ShipToStore() || *fu.PickupLocationID != f.loc["TPE-01"].ID || fu.ExpectedReadyOn == nil ||
			fu.ExpectedReadyOn.Format(time.DateOnly) != ready {
			t.Errorf("fulfilment %+v, want ship-to-store to TPE-01 ready on %s", fu, ready)
		}
		e := d.Allocations[0].Explanation
		if e.Rule != order.RuleShipToStore || e.Candidates[0].Code != "TPE-01" ||
			!strings.Contains(e.Candidates[0].Reason, "none of the items") || !strings.Contains(e.Summary, ready) {
			t.Errorf("explanation %+v, want ship-to-store with the pickup store first and the ready date", e)
		}
	})
	t.Run("part from the store, the rest sent from the nearest store", func(t *testing.T) {
		sku, _ := f.variant(t, 2000, map[string]int{"TPE-01": 1, "TPE-02": 5, "KHH-01": 5})
		d := pickup("TPE-01", line(sku, 3))
		if got := takes(f, d); !reflect.DeepEqual(got, map[string][]int{"TPE-01": {1}, "TPE-02": {2}}) {
			t.Fatalf("fulfilments %v, want 1 from TPE-01 and 2 sent from TPE-02 (nearest)", got)
		}
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	tz, err := time.LoadLocation(name)
	must(t, err)
	return tz
}

// CARRY_OUT at the till is never refused: what the ledger lacks becomes a discrepancy.
func TestCarryOutWithShortfall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.variant(t, 49000, map[string]int{"TPE-01": 1, "WH-TAO": 50})
	o := f.place(t, f.as("associate"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS,
		LocationID: f.loc["TPE-01"].ID, Lines: []order.LineInput{line(sku, 3)},
		Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	d := f.detail(t, o.ID)
	if o.Status != order.Open || o.Total != 147000 || o.Shipping != 0 || o.Email != nil {
		t.Errorf("order %+v, want an open, unpaid walk-in sale of 147000", o)
	}
	if got := takes(f, d); !reflect.DeepEqual(got, map[string][]int{"TPE-01": {3}}) {
		t.Fatalf("fulfilments %v, want all from the till's store", got)
	}
	if fu := d.Fulfilments[0]; fu.Method != order.CarryOut || fu.Status != order.FulfilmentCollected {
		t.Errorf("fulfilment %+v, want a collected carry-out", fu)
	}
	e := d.Allocations[0].Explanation
	if e.Rule != order.RuleCarryOut || len(e.Discrepancies) != 1 || e.Discrepancies[0].Quantity != 2 || e.Discrepancies[0].SKU != sku {
		t.Errorf("explanation %+v, want a discrepancy of 2 × %s", e, sku)
	}
	if l := f.level(t, "TPE-01", vid); l.OnHand != 0 || l.Reserved != 0 {
		t.Errorf("TPE-01 level %+v, want the one unit sold", l)
	}
	if l := f.level(t, "WH-TAO", vid); l.OnHand != 50 {
		t.Errorf("warehouse level %+v: a till sale must not touch it", l)
	}
	var open int
	must(t, f.db.Get(&open, `SELECT quantity FROM stock_discrepancies WHERE reference = $1 AND status = 'OPEN'`,
		"ORD:"+itoa(o.ID)))
	if open != 2 {
		t.Errorf("open discrepancy of %d, want 2", open)
	}
	if !hasEvent(d, order.EventDiscrepancy) {
		t.Errorf("events %+v, want a discrepancy on the timeline", d.Events)
	}
	checkLedger(t, f.db)
}

func hasEvent(d order.Detail, kind string) bool {
	for _, e := range d.Events {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// A staff member orders, from a store tablet, an item only the warehouse has, delivered
// to the customer's home.
func TestStaffOrdersForCustomer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 129000, map[string]int{"WH-TAO": 4})
	o := f.place(t, f.as("associate"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS,
		LocationID: f.loc["TPE-01"].ID, CustomerID: f.david, Lines: []order.LineInput{line(sku, 1)},
		Fulfilment: order.FulfilmentInput{Method: order.Ship, ShippingAddress: taipei()}})
	if *o.CustomerID != f.david || *o.Email != "david.wang@example.com" || o.PlacedByKind != "STAFF" ||
		*o.PlacedByID != f.staff["associate"].ID || *o.LocationID != f.loc["TPE-01"].ID || o.Shipping != 0 {
		t.Errorf("order %+v, want David's, placed by the associate at TPE-01, shipped free (over the threshold)", o)
	}
	if got := takes(f, f.detail(t, o.ID)); !reflect.DeepEqual(got, map[string][]int{"WH-TAO": {1}}) {
		t.Errorf("fulfilments %v, want the warehouse", got)
	}
}

// A line no location can serve is refused with INSUFFICIENT_STOCK naming the SKU and
// what is available; nothing is reserved.
func TestInsufficientStock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok, okID := f.variant(t, 1000, map[string]int{"WH-TAO": 5})
	short, _ := f.variant(t, 1000, map[string]int{"WH-TAO": 2, "TPE-01/1": 2})
	_, err := f.svc.PlaceOrder(guest, shipInput(taipei(), line(ok, 1), line(short, 4)))
	e := wantErr(t, err, order.ReasonInsufficientStock, "lines.1.quantity")
	if !strings.Contains(e.Message, short) || !strings.Contains(e.Message, "only 3") {
		t.Errorf("message %q, want the SKU and the 3 available", e.Message)
	}
	if l := f.level(t, "WH-TAO", okID); l.Reserved != 0 {
		t.Errorf("level %+v: a refused order reserved stock", l)
	}
}

// Input errors come back all at once, on the fields of the GraphQL input.
func TestPlaceOrderValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 1000, map[string]int{"WH-TAO": 5})
	ok := func() order.PlaceOrderInput { return shipInput(taipei(), line(sku, 1)) }
	tests := []struct {
		name   string
		ctx    func() context.Context
		change func(*order.PlaceOrderInput)
		code   string
		field  string
	}{
		{"unknown SKU", nil, func(in *order.PlaceOrderInput) { in.Lines = append(in.Lines, line("NOPE-1", 1)) }, "INVALID", "lines.1.sku"},
		{"zero quantity", nil, func(in *order.PlaceOrderInput) { in.Lines[0].Quantity = 0 }, "INVALID", "lines.0.quantity"},
		{"no lines", nil, func(in *order.PlaceOrderInput) { in.Lines = nil }, "INVALID", "lines"},
		{"no key", nil, func(in *order.PlaceOrderInput) { in.IdempotencyKey = "" }, "INVALID", "idempotencyKey"},
		{"guest without email", nil, func(in *order.PlaceOrderInput) { in.Email = "" }, "INVALID", "email"},
		{"bad email", nil, func(in *order.PlaceOrderInput) { in.Email = "mei@" }, "INVALID", "email"},
		{"no address", nil, func(in *order.PlaceOrderInput) { in.Fulfilment.ShippingAddress = nil }, "INVALID", "fulfillment.shippingAddress"},
		{"no street", nil, func(in *order.PlaceOrderInput) { in.Fulfilment.ShippingAddress.Line1 = " " }, "INVALID", "fulfillment.shippingAddress.line1"},
		{"bad country", nil, func(in *order.PlaceOrderInput) { in.Fulfilment.ShippingAddress.Country = "Taiwan" }, "INVALID", "fulfillment.shippingAddress.country"},
		{"bad postal code", nil, func(in *order.PlaceOrderInput) { in.Fulfilment.ShippingAddress.PostalCode = "1" }, "INVALID", "fulfillment.shippingAddress.postalCode"},
		{"bad phone", nil, func(in *order.PlaceOrderInput) { in.Fulfilment.ShippingAddress.Phone = "call me" }, "INVALID", "fulfillment.shippingAddress.phone"},
		{"carry-out online", nil, func(in *order.PlaceOrderInput) { in.Fulfilment = order.FulfilmentInput{Method: order.CarryOut} }, "INVALID", "fulfillment.method"},
		{"pickup at the warehouse", nil, func(in *order.PlaceOrderInput) {
			in.Fulfilment = order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["WH-TAO"].ID}
		}, "INVALID", "fulfillment.pickupLocationId"},
		{"pay at pickup for a shipment", nil, func(in *order.PlaceOrderInput) { in.PaymentMethod = order.PayAtPickup }, "INVALID", "paymentMethod"},
		{"guest at the till", nil, func(in *order.PlaceOrderInput) { in.Channel = order.POS }, "UNAUTHENTICATED", ""},
		{"customer for someone else", func() context.Context { return f.customer(f.mei) }, func(in *order.PlaceOrderInput) { in.CustomerID = f.david }, "FORBIDDEN", ""},
		{"associate at another store's till", func() context.Context { return f.as("associate") }, func(in *order.PlaceOrderInput) {
			in.Channel, in.LocationID = order.POS, f.loc["KHH-01"].ID
		}, "FORBIDDEN", ""},
		{"buyer", func() context.Context { return f.as("buyer") }, func(*order.PlaceOrderInput) {}, "FORBIDDEN", ""},
		{"till sale without the store", func() context.Context { return f.as("manager") }, func(in *order.PlaceOrderInput) {
			in.Channel, in.Fulfilment = order.POS, order.FulfilmentInput{Method: order.CarryOut}
		}, "INVALID", "locationId"},
		{"no such customer", func() context.Context { return f.as("manager") }, func(in *order.PlaceOrderInput) { in.CustomerID = 999999 }, "INVALID", "customerId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok()
			tt.change(&in)
			ctx := guest
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := f.svc.PlaceOrder(ctx, in)
			wantErr(t, err, tt.code, tt.field)
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
