package returns_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/loyalty"
	"atrium/internal/order"
	"atrium/internal/returns"
)

// Goods sold at TPE-01 come back at TPE-02: they are restocked there, not where sold.
func TestReturnInAnotherStoreRestocksThere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.variant(t, 49000, map[string]int{"TPE-01": 5})
	d := f.sale(t, 0, order.Card, line(sku, 3))

	r := f.create(t, "yuting.lee", "TPE-02", d, ret(d, 0, 2, returns.Restock))
	if r.LocationID != f.loc["TPE-02"].ID || r.Status != returns.Open || r.OrderNumber != d.Number {
		t.Errorf("return %+v, want an open return of %s at TPE-02", r.Return, d.Number)
	}
	if got := f.onHand(t, "TPE-02", vid); got != 2 {
		t.Errorf("TPE-02 on hand %d, want the 2 returned units", got)
	}
	if got := f.onHand(t, "TPE-01", vid); got != 2 {
		t.Errorf("TPE-01 on hand %d, want 5 - 3 sold = 2 (nothing comes back where sold)", got)
	}
	var kinds []string
	must(t, f.db.Select(&kinds, `SELECT kind FROM stock_movements WHERE reference = $1`, "RET:"+itoa(r.ID)))
	if !slices.Equal(kinds, []string{"RETURN"}) {
		t.Errorf("movements under the return %v, want one RETURN", kinds)
	}
	if ev := f.events(t, d.ID); !slices.Contains(ev, "RETURNED") {
		t.Errorf("timeline %v, want RETURNED", ev)
	}
	// An associate receives returns only in their own store.
	_, err := f.svc.Create(f.as("associate"), returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID,
		LocationID: f.loc["TPE-02"].ID, Lines: []returns.LineInput{ret(d, 0, 1, returns.Restock)}})
	wantErr(t, err, "FORBIDDEN", "")
	checkLedgers(t, f.db)
}

// Partial returns add up to the line exactly (discount and tax included), and no more
// than was handed over and not yet returned can come back.
func TestPartialReturnsAndLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 33300, map[string]int{"TPE-01": 10})
	other, _ := f.variant(t, 10000, map[string]int{"TPE-01": 10})
	_, err := f.db.Exec(`INSERT INTO coupons (code, kind, percent_bp, scope) VALUES ('RET10', 'PERCENT', 1000, 'ORDER')`)
	must(t, err)
	o, err := f.orders.PlaceOrder(f.as("associate"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS,
		LocationID: f.loc["TPE-01"].ID, CustomerID: f.mei, Lines: []order.LineInput{line(sku, 3), line(other, 1)},
		Fulfilment: order.FulfilmentInput{Method: order.CarryOut}, CouponCodes: []string{"RET10"}})
	must(t, err)
	f.pay(t, o.ID, order.Cash, o.Total)
	d, err := f.orders.Detail(system, o.ID)
	must(t, err)
	l := d.Lines[0]
	if l.Discount == 0 || l.Tax == 0 {
		t.Fatalf("line %+v, want a discount and tax to share", l)
	}

	var amount, discount, tax int64
	for i := range 3 {
		r := f.create(t, "associate", "TPE-01", d, ret(d, 0, 1, returns.Restock))
		if len(r.Lines) != 1 || r.Lines[0].Quantity != 1 {
			t.Fatalf("return %d lines %+v, want one unit", i, r.Lines)
		}
		amount, discount, tax = amount+r.Lines[0].Amount, discount+r.Lines[0].Discount, tax+r.Lines[0].Tax
		if r.Shipping != 0 || r.Total != r.Lines[0].Amount {
			t.Errorf("return %d: %+v, want the line's amount only", i, r.Return)
		}
	}
	if amount != l.Total || discount != l.Discount || tax != l.Tax {
		t.Errorf("three returns of one unit came to %d (discount %d, tax %d), want the line's %d (%d, %d)",
			amount, discount, tax, l.Total, l.Discount, l.Tax)
	}

	tests := []struct {
		name  string
		lines []returns.LineInput
		code  string
		field string
	}{
		{"more than is left", []returns.LineInput{ret(d, 0, 1, returns.Restock)}, returns.ReasonTooMany, "lines.0.quantity"},
		{"more than was bought", []returns.LineInput{ret(d, 1, 2, returns.Restock)}, returns.ReasonTooMany, "lines.0.quantity"},
		{"a line of another order", []returns.LineInput{{OrderLineID: 999999, Quantity: 1, Reason: returns.ReasonDefective}},
			"INVALID", "lines.0.orderLineId"},
		{"other without a note", []returns.LineInput{{OrderLineID: d.Lines[1].ID, Quantity: 1, Reason: returns.ReasonOther}},
			"INVALID", "lines.0.note"},
		{"unknown reason", []returns.LineInput{{OrderLineID: d.Lines[1].ID, Quantity: 1, Reason: "BORED"}},
			"INVALID", "lines.0.reason"},
		{"a line twice", []returns.LineInput{ret(d, 1, 1, returns.Restock), ret(d, 1, 1, returns.Restock)},
			"INVALID", "lines.1.orderLineId"},
		{"a lot for an untracked product", []returns.LineInput{{OrderLineID: d.Lines[1].ID, Quantity: 1,
			Reason: returns.ReasonDefective, Disposition: returns.Restock, Lot: "L1"}}, "INVALID", "lines.0.lot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Create(f.as("associate"), returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID,
				LocationID: f.loc["TPE-01"].ID, Lines: tc.lines})
			wantErr(t, err, tc.code, tc.field)
		})
	}

	// The last line completes the return of the whole order; a till sale has no shipping.
	r := f.create(t, "associate", "TPE-01", d, ret(d, 1, 1, returns.Damaged))
	if r.Total != d.Lines[1].Total {
		t.Errorf("last return total %d, want %d", r.Total, d.Lines[1].Total)
	}
	rb, err := f.svc.Returnable(f.as("associate"), d.ID)
	must(t, err)
	for _, l := range rb.Lines {
		if l.Returnable != 0 || l.Returned != l.Bought {
			t.Errorf("returnable line %+v, want everything returned", l)
		}
	}
}

// Goods not handed over yet (a shipment not delivered) cannot be returned.
func TestOnlyHandedOverGoodsReturn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 50000, map[string]int{"WH-TAO": 5})
	o, err := f.orders.PlaceOrder(f.as("associate"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.Web,
		CustomerID: f.mei, Lines: []order.LineInput{line(sku, 1)}, Fulfilment: order.FulfilmentInput{Method: order.Ship,
			ShippingAddress: &order.Address{Name: "Mei Lin", Line1: "No. 1, Nanjing West Road", City: "Taipei City",
				PostalCode: "104", Country: "TW"}}})
	must(t, err)
	d, err := f.orders.Detail(system, o.ID)
	must(t, err)
	_, err = f.svc.Create(f.as("associate"), returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID,
		LocationID: f.loc["TPE-01"].ID, Lines: []returns.LineInput{ret(d, 0, 1, returns.Restock)}})
	wantErr(t, err, returns.ReasonNotHandedOver, "lines.0.orderLineId")

	// Once delivered (the fulfilment engineer's step; set here directly), it can, and
	// its shipping comes back with the whole order.
	_, err = f.db.Exec(`UPDATE fulfilments SET status = 'DELIVERED', carrier = 'Test' WHERE order_id = $1`, d.ID)
	must(t, err)
	q, err := f.svc.Quote(f.as("associate"), returns.CreateInput{OrderID: d.ID, LocationID: f.loc["TPE-01"].ID,
		Lines: []returns.LineInput{ret(d, 0, 1, returns.Restock)}})
	must(t, err)
	if q.Shipping != d.Shipping || d.Shipping == 0 || q.Total != d.Total || q.Tax != d.Tax {
		t.Errorf("quote %+v, want the whole order back: total %d with shipping %d and tax %d", q, d.Total, d.Shipping, d.Tax)
	}
	if q.Refundable != 0 {
		t.Errorf("refundable %d of an unpaid order, want 0", q.Refundable)
	}
}

// Dispositions move stock at the receiving location as they change, and stop when the
// return is closed.
func TestDispositionChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.variant(t, 20000, map[string]int{"TPE-01": 4})
	d := f.sale(t, 0, order.Cash, line(sku, 4))
	r := f.create(t, "yuting.lee", "TPE-02", d, ret(d, 0, 3, returns.ToInspect))
	lid := r.Lines[0].ID
	if got := f.onHand(t, "TPE-02", vid); got != 0 {
		t.Fatalf("on hand %d with the units held for inspection, want 0", got)
	}
	// Closing needs every line decided.
	_, err := f.svc.Close(f.as("yuting.lee"), r.ID, "")
	wantErr(t, err, "INVALID", "lines")
	steps := []struct {
		to       returns.Disposition
		onHand   int
		movement string // the stock movement kind the change writes ("" for none)
	}{
		{returns.Restock, 3, "RETURN"},
		{returns.Damaged, 0, "DAMAGE"},
		{returns.ToInspect, 0, ""},
		{returns.Restock, 3, "RETURN"},
		{returns.ToInspect, 0, "ADJUSTMENT"},
		{returns.Damaged, 0, ""},
		{returns.Damaged, 0, ""}, // the same again: nothing happens
	}
	ref := "RET:" + itoa(r.ID)
	for _, s := range steps {
		t.Run(string(s.to), func(t *testing.T) {
			var before int
			must(t, f.db.Get(&before, `SELECT count(*) FROM stock_movements WHERE reference = $1`, ref))
			got, err := f.svc.SetDisposition(f.as("yuting.lee"), returns.DispositionInput{ReturnLineID: lid, Disposition: s.to})
			must(t, err)
			if got.Lines[0].Disposition != s.to {
				t.Errorf("disposition %s, want %s", got.Lines[0].Disposition, s.to)
			}
			if n := f.onHand(t, "TPE-02", vid); n != s.onHand {
				t.Errorf("on hand %d, want %d", n, s.onHand)
			}
			var kinds []string
			must(t, f.db.Select(&kinds, `SELECT kind FROM stock_movements WHERE reference = $1 ORDER BY id OFFSET $2`, ref, before))
			want := []string{}
			if s.movement != "" {
				want = []string{s.movement}
			}
			if !slices.Equal(append([]string{}, kinds...), want) {
				t.Errorf("movements %v, want %v", kinds, want)
			}
		})
	}

	// Restocked units sold since cannot be written off again.
	must(t, ignore(f.svc.SetDisposition(f.as("yuting.lee"), returns.DispositionInput{ReturnLineID: lid, Disposition: returns.Restock})))
	_, err = f.orders.PlaceOrder(f.as("yuting.lee"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS,
		LocationID: f.loc["TPE-02"].ID, Lines: []order.LineInput{line(sku, 2)}, Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	must(t, err)
	_, err = f.svc.SetDisposition(f.as("yuting.lee"), returns.DispositionInput{ReturnLineID: lid, Disposition: returns.Damaged})
	wantErr(t, err, "INSUFFICIENT_STOCK", "disposition")
	if n := f.onHand(t, "TPE-02", vid); n != 1 {
		t.Errorf("on hand %d after the refused write-off, want 1", n)
	}

	// Closing needs the refund done; then nothing changes.
	_, err = f.svc.Close(f.as("yuting.lee"), r.ID, "")
	wantErr(t, err, "INVALID", "returnId")
	_, err = f.svc.Refund(f.as("yuting.lee"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToOriginal})
	must(t, err)
	closed, err := f.svc.Close(f.as("yuting.lee"), r.ID, "checked by Yu-Ting")
	must(t, err)
	if closed.Status != returns.Closed || closed.ClosedAt == nil {
		t.Errorf("return %+v, want closed", closed.Return)
	}
	_, err = f.svc.SetDisposition(f.as("yuting.lee"), returns.DispositionInput{ReturnLineID: lid, Disposition: returns.Restock})
	wantErr(t, err, returns.ReasonWrongStatus, "returnId")
	checkLedgers(t, f.db)
}

// A lot-tracked product goes back into the lot the sale took.
func TestRestockLot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.lotVariant(t, 80000, "TPE-01", map[string]int{"LOT-A": 2})
	d := f.sale(t, 0, order.Card, line(sku, 2))
	r := f.create(t, "yuting.lee", "TPE-02", d, ret(d, 0, 1, returns.Restock))
	if r.Lines[0].Lot != "LOT-A" {
		t.Errorf("lot %q, want the sold LOT-A", r.Lines[0].Lot)
	}
	var n int
	must(t, f.db.Get(&n, `SELECT on_hand FROM stock_lots WHERE location_id = $1 AND variant_id = $2 AND lot = 'LOT-A'`,
		f.loc["TPE-02"].ID, vid))
	if n != 1 {
		t.Errorf("LOT-A at TPE-02 has %d, want 1", n)
	}
	_, err := f.svc.Create(f.as("yuting.lee"), returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID,
		LocationID: f.loc["TPE-02"].ID, Lines: []returns.LineInput{{OrderLineID: d.Lines[0].ID, Quantity: 1,
			Reason: returns.ReasonDefective, Disposition: returns.Restock, Lot: "NO-SUCH"}}})
	wantErr(t, err, "INVALID", "lines.0.lot")
	checkLedgers(t, f.db)
}

// Goods handed over longer ago than the window need a manager's audited override.
func TestReturnWindowAndOverride(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *returns.Config) { c.WindowDays = 14 })
	sku, _ := f.variant(t, 30000, map[string]int{"TPE-01": 3})
	d := f.sale(t, 0, order.Card, line(sku, 3))
	_, err := f.db.Exec(`UPDATE fulfilments SET updated_at = now() - interval '20 days' WHERE order_id = $1`, d.ID)
	must(t, err)
	in := func(reason string) returns.CreateInput {
		return returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID, LocationID: f.loc["TPE-01"].ID,
			Lines: []returns.LineInput{ret(d, 0, 1, returns.Restock)}, OverrideReason: reason}
	}
	_, err = f.svc.Create(f.as("associate"), in(""))
	e := wantErr(t, err, returns.ReasonOutsideWindow, "lines")
	if want := time.Now().AddDate(0, 0, -6).Format(time.DateOnly); !contains(e.Message, want) {
		t.Errorf("message %q, want the window's end %s", e.Message, want)
	}
	_, err = f.svc.Create(f.as("associate"), in("customer was abroad"))
	wantErr(t, err, "FORBIDDEN", "")
	r, err := f.svc.Create(f.as("manager"), in("customer was abroad"))
	must(t, err)
	if r.OverrideReason != "customer was abroad" {
		t.Errorf("override reason %q", r.OverrideReason)
	}
	var audited int
	must(t, f.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'return.window_overridden'
		AND entity_id = $1 AND reason = 'customer was abroad'`, r.ID))
	if audited != 1 {
		t.Errorf("%d audit records of the override, want 1", audited)
	}

	// Within the window no override is needed (nor recorded).
	_, err = f.db.Exec(`UPDATE fulfilments SET updated_at = now() - interval '13 days' WHERE order_id = $1`, d.ID)
	must(t, err)
	r, err = f.svc.Create(f.as("associate"), in("not needed"))
	must(t, err)
	if r.OverrideReason != "" {
		t.Errorf("override %q recorded within the window", r.OverrideReason)
	}
}

// Refunds go back to the card (newest payment first) or as store credit, and never
// exceed what the order paid.
func TestRefunds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 10000, map[string]int{"TPE-01": 20})

	t.Run("to the card", func(t *testing.T) {
		d := f.sale(t, f.mei, order.Card, line(sku, 2))
		r := f.create(t, "associate", "TPE-01", d, ret(d, 0, 1, returns.Restock))
		res, err := f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID,
			To: returns.ToOriginal, Reference: "slip 42"})
		must(t, err)
		if len(res.Refunds) != 1 || res.Refunds[0].Method != order.Card || res.Refunds[0].Amount != 10000 ||
			res.Refunds[0].PaymentID == nil || res.Refunds[0].Reference != "slip 42" {
			t.Errorf("refunds %+v, want 10000 to the card", res.Refunds)
		}
		if res.Return.Refunded != 10000 || res.Return.Due() != 0 {
			t.Errorf("return %+v, want refunded", res.Return)
		}
		_, err = f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToOriginal})
		wantErr(t, err, returns.ReasonNothingToRefund, "returnId")
		if ev := f.events(t, d.ID); !slices.Contains(ev, "REFUNDED") {
			t.Errorf("timeline %v, want REFUNDED", ev)
		}
		var audited int
		must(t, f.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'return.refunded' AND entity_id = $1`, r.ID))
		if audited != 1 {
			t.Errorf("%d audit records, want 1", audited)
		}
	})

	t.Run("as store credit", func(t *testing.T) {
		before, err := f.svc.StoreCredit(f.as("associate"), f.mei)
		must(t, err)
		d := f.sale(t, f.mei, order.Card, line(sku, 2))
		r := f.create(t, "associate", "TPE-01", d, ret(d, 0, 2, returns.Restock))
		res, err := f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToStoreCredit})
		must(t, err)
		if len(res.Refunds) != 1 || res.Refunds[0].Method != order.StoreCredit || res.Refunds[0].Amount != 20000 ||
			res.Refunds[0].StoreCreditEntryID == nil {
			t.Errorf("refunds %+v, want 20000 as store credit", res.Refunds)
		}
		after, err := f.svc.StoreCredit(f.as("associate"), f.mei)
		must(t, err)
		if after.Balance != before.Balance+20000 {
			t.Errorf("balance %d, want %d", after.Balance, before.Balance+20000)
		}
		page, err := f.svc.StoreCreditEntries(f.as("associate"), f.mei, 0, 10)
		must(t, err)
		if len(page.Entries) == 0 || page.Entries[0].Kind != returns.Issue || page.Entries[0].ReturnID == nil ||
			*page.Entries[0].ReturnID != r.ID {
			t.Errorf("entries %+v, want the issue for the return first", page.Entries)
		}
	})

	t.Run("a guest without a customer record gets no store credit", func(t *testing.T) {
		d := f.sale(t, 0, order.Cash, line(sku, 1))
		r := f.create(t, "associate", "TPE-01", d, ret(d, 0, 1, returns.Restock))
		_, err := f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToStoreCredit})
		wantErr(t, err, returns.ReasonNoCustomer, "to")
		res, err := f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToOriginal})
		must(t, err)
		if res.Refunds[0].Method != order.Cash {
			t.Errorf("refund %+v, want cash", res.Refunds[0])
		}
	})

	t.Run("newest payment first, never more than paid", func(t *testing.T) {
		// Store credit to spend first.
		seed := f.sale(t, f.mei, order.Card, line(sku, 1))
		sr := f.create(t, "associate", "TPE-01", seed, ret(seed, 0, 1, returns.Restock))
		must(t, ignore(f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: sr.ID, To: returns.ToStoreCredit})))

		d := f.sale(t, f.mei, "", line(sku, 3))
		f.pay(t, d.ID, order.StoreCredit, 5000)
		f.pay(t, d.ID, order.Card, 20000) // 5000 of 30000 left unpaid
		r1 := f.create(t, "associate", "TPE-01", d, ret(d, 0, 1, returns.Restock))
		res, err := f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r1.ID, To: returns.ToOriginal})
		must(t, err)
		if len(res.Refunds) != 1 || res.Refunds[0].Method != order.Card || res.Refunds[0].Amount != 10000 {
			t.Errorf("first refund %+v, want 10000 to the card (the newest payment)", res.Refunds)
		}
		r2 := f.create(t, "associate", "TPE-01", d, ret(d, 0, 2, returns.Restock))
		res, err = f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r2.ID, To: returns.ToOriginal})
		must(t, err)
		var got []string
		var sum int64
		for _, p := range res.Refunds {
			got = append(got, string(p.Method)+":"+itoa(p.Amount))
			sum += p.Amount
		}
		if !slices.Equal(got, []string{"CARD:10000", "STORE_CREDIT:5000"}) {
			t.Errorf("second refund %v, want the rest of the card then the store credit", got)
		}
		if sum != 15000 || res.Return.Due() != 5000 {
			t.Errorf("refunded %d leaving %d due, want 15000 (all that was paid) and 5000 never paid", sum, res.Return.Due())
		}
		var refunded, paid int64
		must(t, f.db.Get(&refunded, `SELECT sum(amount) FROM refunds WHERE order_id = $1`, d.ID))
		must(t, f.db.Get(&paid, `SELECT paid FROM orders WHERE id = $1`, d.ID))
		if refunded != paid {
			t.Errorf("refunded %d of %d paid", refunded, paid)
		}
		_, err = f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r2.ID, To: returns.ToOriginal})
		wantErr(t, err, returns.ReasonNothingToRefund, "returnId")
		// Nothing left to refund: the return can close with 5000 never paid.
		must(t, ignore(f.svc.Close(f.as("associate"), r2.ID, "")))
	})
	checkLedgers(t, f.db)
}

// Store credit pays orders, and concurrent payments never take a balance below zero.
func TestStoreCreditRedeemUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 10000, map[string]int{"TPE-01": 50})
	seed := f.sale(t, f.mei, order.Card, line(sku, 1))
	sr := f.create(t, "associate", "TPE-01", seed, ret(seed, 0, 1, returns.Restock))
	must(t, ignore(f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: sr.ID, To: returns.ToStoreCredit})))

	const n = 12
	orders := make([]order.Detail, n)
	for i := range orders {
		orders[i] = f.sale(t, f.mei, "", line(sku, 1))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.orders.RecordPayment(f.as("associate"), order.PaymentInput{OrderID: orders[i].ID,
				IdempotencyKey: newKey(), Method: order.StoreCredit, Amount: 3000})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantErr(t, err, returns.ReasonInsufficientCredit, "amount")
	}
	if ok != 3 {
		t.Errorf("%d payments of 3000 from a balance of 10000 went through, want 3", ok)
	}
	b, err := f.svc.StoreCredit(f.as("associate"), f.mei)
	must(t, err)
	if b.Balance != 1000 {
		t.Errorf("balance %d, want 1000", b.Balance)
	}
	var payments int
	must(t, f.db.Get(&payments, `SELECT count(*) FROM payments WHERE method = 'STORE_CREDIT'`))
	if payments != 3 {
		t.Errorf("%d store credit payments recorded, want 3 (a refused one leaves none)", payments)
	}
	checkLedgers(t, f.db)

	t.Run("a walk-in guest has no store credit", func(t *testing.T) {
		d := f.sale(t, 0, "", line(sku, 1))
		_, err := f.orders.RecordPayment(f.as("associate"), order.PaymentInput{OrderID: d.ID, IdempotencyKey: newKey(),
			Method: order.StoreCredit, Amount: 1000})
		wantErr(t, err, returns.ReasonNoCustomer, "method")
	})
	t.Run("a customer sees only their own", func(t *testing.T) {
		_, err := f.svc.StoreCredit(customerCtx(f.mei+1), f.mei)
		wantErr(t, err, "FORBIDDEN", "")
		b, err := f.svc.StoreCredit(customerCtx(f.mei), f.mei)
		must(t, err)
		if b.Balance != 1000 {
			t.Errorf("own balance %d, want 1000", b.Balance)
		}
	})
}

// The same key and request give the first result, also when sent at once; another
// request under the key is refused.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.variant(t, 10000, map[string]int{"TPE-01": 10})
	d := f.sale(t, f.mei, order.Card, line(sku, 4))
	in := returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID, LocationID: f.loc["TPE-01"].ID,
		Lines: []returns.LineInput{ret(d, 0, 2, returns.Restock)}}

	const n = 8
	var wg sync.WaitGroup
	got := make([]returns.Detail, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = f.svc.Create(f.as("associate"), in) })
	}
	wg.Wait()
	replays := 0
	for i := range n {
		must(t, errs[i])
		if got[i].ID != got[0].ID {
			t.Fatalf("call %d created return %d, want %d", i, got[i].ID, got[0].ID)
		}
		if got[i].Replayed {
			replays++
		}
	}
	if replays != n-1 {
		t.Errorf("%d replays, want %d", replays, n-1)
	}
	if on := f.onHand(t, "TPE-01", vid); on != 10-4+2 {
		t.Errorf("on hand %d, want one restock of 2", on)
	}

	other := in
	other.Lines = []returns.LineInput{ret(d, 0, 1, returns.Restock)}
	_, err := f.svc.Create(f.as("associate"), other)
	wantErr(t, err, returns.ReasonConflict, "idempotencyKey")

	rin := returns.RefundInput{IdempotencyKey: newKey(), ReturnID: got[0].ID, To: returns.ToOriginal}
	first, err := f.svc.Refund(f.as("associate"), rin)
	must(t, err)
	again, err := f.svc.Refund(f.as("associate"), rin)
	must(t, err)
	if !again.Replayed || len(again.Refunds) != 1 || again.Refunds[0].ID != first.Refunds[0].ID {
		t.Errorf("replayed refund %+v, want the first %+v", again, first)
	}
	rin.To = returns.ToStoreCredit
	_, err = f.svc.Refund(f.as("associate"), rin)
	wantErr(t, err, returns.ReasonConflict, "idempotencyKey")
	var refunds int
	must(t, f.db.Get(&refunds, `SELECT count(*) FROM refunds WHERE order_id = $1`, d.ID))
	if refunds != 1 {
		t.Errorf("%d refunds, want 1", refunds)
	}
}

// Reads: an order's returns, a return by number, the open returns at a location.
func TestReads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 10000, map[string]int{"TPE-01": 10})
	d := f.sale(t, f.mei, order.Card, line(sku, 4))
	r1 := f.create(t, "yuting.lee", "TPE-02", d, ret(d, 0, 1, returns.ToInspect))
	r2 := f.create(t, "yuting.lee", "TPE-02", d, ret(d, 0, 1, returns.Restock))
	r3 := f.create(t, "associate", "TPE-01", d, ret(d, 0, 1, returns.Restock))

	byOrder, err := f.svc.ReturnsByOrderIDs(f.as("associate"), []int64{d.ID})
	must(t, err)
	if len(byOrder[d.ID]) != 3 || byOrder[d.ID][0].ID != r1.ID {
		t.Errorf("returns of the order %+v, want 3, oldest first", byOrder[d.ID])
	}
	got, err := f.svc.ByNumber(f.as("associate"), " "+r2.Number+" ")
	must(t, err)
	if got.ID != r2.ID || len(got.Lines) != 1 {
		t.Errorf("by number %+v, want %s", got.Return, r2.Number)
	}
	page, err := f.svc.List(f.as("associate"), returns.Filter{LocationID: f.loc["TPE-02"].ID, Status: returns.Open, First: 1})
	must(t, err)
	if len(page.Returns) != 1 || page.Returns[0].ID != r2.ID || !page.HasNextPage {
		t.Errorf("first page %+v, want %s with more", page, r2.Number)
	}
	page, err = f.svc.List(f.as("associate"), returns.Filter{LocationID: f.loc["TPE-02"].ID, Status: returns.Open,
		After: page.Returns[0].ID})
	must(t, err)
	if len(page.Returns) != 1 || page.Returns[0].ID != r1.ID || page.HasNextPage {
		t.Errorf("second page %+v, want only %s", page, r1.Number)
	}
	// The customer sees their own order's returns; another customer none.
	if _, err := f.svc.Detail(customerCtx(f.mei), r3.ID); err != nil {
		t.Errorf("own return: %v", err)
	}
	_, err = f.svc.Detail(customerCtx(f.mei+1), r3.ID)
	if !errors.As(err, new(*apperr.Error)) || apperr.CodeOf(err) != apperr.CodeNotFound {
		t.Errorf("another customer's return: %v, want NOT_FOUND", err)
	}
	_, err = f.svc.List(customerCtx(f.mei), returns.Filter{})
	wantErr(t, err, "FORBIDDEN", "")
}

// What was paid for goods cancelled before they left goes back too, once, and with the
// refunds of returns never more than was paid.
func TestRefundCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, _ := f.variant(t, 30000, map[string]int{"WH-TAO": 5})
	b, _ := f.variant(t, 20000, map[string]int{"WH-TAO": 5})
	o, err := f.orders.PlaceOrder(f.as("associate"), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.Web,
		CustomerID: f.mei, Lines: []order.LineInput{line(a, 1), line(b, 2)}, Fulfilment: order.FulfilmentInput{Method: order.Ship,
			ShippingAddress: &order.Address{Name: "Mei Lin", Line1: "No. 1, Nanjing West Road", City: "Taipei City",
				PostalCode: "104", Country: "TW"}}})
	must(t, err)
	f.pay(t, o.ID, order.Card, o.Total)
	d, err := f.orders.Detail(system, o.ID)
	must(t, err)
	_, err = f.svc.RefundCancelled(f.as("associate"), returns.OrderRefundInput{IdempotencyKey: newKey(), OrderID: o.ID, To: returns.ToOriginal})
	wantErr(t, err, returns.ReasonNothingToRefund, "orderId")

	after, err := f.orders.CancelLines(f.as("manager"), order.CancelLinesInput{OrderID: o.ID, Reason: "out of colour",
		Lines: []order.LineQuantity{{OrderLineID: d.Lines[1].ID, Quantity: 1}}})
	must(t, err)
	owed := after.RefundDue()
	if owed <= 0 {
		t.Fatalf("refund due %d after cancelling a paid unit", owed)
	}
	in := returns.OrderRefundInput{IdempotencyKey: newKey(), OrderID: o.ID, To: returns.ToOriginal, Reference: "terminal 2"}
	res, err := f.svc.RefundCancelled(f.as("associate"), in)
	must(t, err)
	if len(res.Refunds) != 1 || res.Refunds[0].Amount != owed || res.Refunds[0].Method != order.Card || res.Refunds[0].ReturnID != 0 {
		t.Errorf("refunds %+v, want %d to the card for no return", res.Refunds, owed)
	}
	again, err := f.svc.RefundCancelled(f.as("associate"), in)
	must(t, err)
	if !again.Replayed || len(again.Refunds) != 1 || again.Refunds[0].ID != res.Refunds[0].ID {
		t.Errorf("replay %+v, want the first refund", again)
	}
	_, err = f.svc.RefundCancelled(f.as("associate"), returns.OrderRefundInput{IdempotencyKey: newKey(), OrderID: o.ID, To: returns.ToOriginal})
	wantErr(t, err, returns.ReasonNothingToRefund, "orderId")
	refunds, err := f.svc.RefundsByOrderIDs(f.as("associate"), []int64{o.ID})
	must(t, err)
	if due := returns.CancellationDue(after, refunds[o.ID]); due != 0 {
		t.Errorf("cancellation due %d after the refund, want 0", due)
	}

	// The rest is delivered and comes back: everything paid is refunded, no more.
	_, err = f.db.Exec(`UPDATE fulfilments SET status = 'DELIVERED', carrier = 'Test' WHERE order_id = $1 AND status <> 'CANCELLED'`, o.ID)
	must(t, err)
	r := f.create(t, "associate", "TPE-01", d, ret(d, 0, 1, returns.Restock), ret(d, 1, 1, returns.Restock))
	if r.Shipping != d.Shipping {
		t.Errorf("return shipping %d, want the order's %d (everything not cancelled came back)", r.Shipping, d.Shipping)
	}
	rr, err := f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToStoreCredit})
	must(t, err)
	var refunded, paid int64
	must(t, f.db.Get(&refunded, `SELECT sum(amount) FROM refunds WHERE order_id = $1`, o.ID))
	must(t, f.db.Get(&paid, `SELECT paid FROM orders WHERE id = $1`, o.ID))
	if refunded != paid || rr.Return.Due() != 0 {
		t.Errorf("refunded %d of %d paid (return due %d), want all of it", refunded, paid, rr.Return.Due())
	}
	checkLedgers(t, f.db)
}

// Two tills taking back the same last unit, or refunding the same return, at once: one
// wins, the other is told why.
func TestConcurrentReturnsAndRefunds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 10000, map[string]int{"TPE-01": 5})
	d := f.sale(t, f.mei, order.Card, line(sku, 1))
	const n = 6
	var wg sync.WaitGroup
	created := make([]returns.Detail, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			created[i], errs[i] = f.svc.Create(f.as("associate"), returns.CreateInput{IdempotencyKey: newKey(), OrderID: d.ID,
				LocationID: f.loc["TPE-01"].ID, Lines: []returns.LineInput{ret(d, 0, 1, returns.Restock)}})
		})
	}
	wg.Wait()
	var r returns.Detail
	wins := 0
	for i, err := range errs {
		if err == nil {
			wins++
			r = created[i]
			continue
		}
		wantErr(t, err, returns.ReasonTooMany, "lines.0.quantity")
	}
	if wins != 1 {
		t.Fatalf("%d returns of the one unit, want 1", wins)
	}

	refunds := make([]returns.RefundResult, n)
	for i := range n {
		to := returns.ToOriginal
		if i%2 == 1 {
			to = returns.ToStoreCredit
		}
		wg.Go(func() {
			refunds[i], errs[i] = f.svc.Refund(f.as("associate"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: to})
		})
	}
	wg.Wait()
	wins = 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		wantErr(t, err, returns.ReasonNothingToRefund, "returnId")
	}
	var refunded int64
	must(t, f.db.Get(&refunded, `SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = $1`, d.ID))
	if wins != 1 || refunded != d.Total {
		t.Errorf("%d refunds giving back %d, want one of %d", wins, refunded, d.Total)
	}
	checkLedgers(t, f.db)
}

// A member earns points on a paid sale and gives back those of the goods they return once
// refunded: half the goods, half the points.
func TestRefundReversesPoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 100000, map[string]int{"TPE-01": 5})
	d := f.sale(t, f.mei, order.Card, line(sku, 2))
	var earned int64
	must(t, f.db.Get(&earned, `SELECT points FROM loyalty_entries WHERE order_id = $1 AND kind = 'EARN'`, d.ID))
	if earned <= 0 {
		t.Fatalf("earned %d points on a paid member sale", earned)
	}
	r := f.create(t, "manager", "TPE-01", d, ret(d, 0, 1, returns.Restock))
	_, err := f.svc.Refund(f.as("manager"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToOriginal})
	must(t, err)
	var reversed int64
	must(t, f.db.Get(&reversed, `SELECT coalesce(sum(points), 0) FROM loyalty_entries WHERE order_id = $1 AND kind = 'REVERSE'`, d.ID))
	if reversed != -earned/2 {
		t.Errorf("reversed %d points after returning half the goods, want %d", reversed, -earned/2)
	}
}

// The part of an order paid with loyalty points cannot go back as money: a refund to the
// original payments gives back the card part and says to refund the rest as store credit.
func TestRefundOfPointsPaidOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 100000, map[string]int{"TPE-01": 5})
	_, err := loyalty.NewService(f.db).Adjust(f.as("manager"), f.mei, 500, "welcome points for the test")
	must(t, err)
	d := f.sale(t, f.mei, "", line(sku, 1))
	res, err := f.orders.RecordPayment(f.as("associate"), order.PaymentInput{OrderID: d.ID, IdempotencyKey: newKey(),
		Method: order.Points, Points: 200})
	must(t, err)
	f.pay(t, d.ID, order.Card, d.Total-res.Payment.Amount)

	r := f.create(t, "manager", "TPE-01", d, ret(d, 0, 1, returns.Restock))
	_, err = f.svc.Refund(f.as("manager"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToOriginal})
	if e := wantErr(t, err, returns.ReasonNothingToRefund, "to"); !contains(e.Message, "loyalty points") {
		t.Errorf("message %q, want it to name the loyalty points", e.Message)
	}
	_, err = f.svc.Refund(f.as("manager"), returns.RefundInput{IdempotencyKey: newKey(), ReturnID: r.ID, To: returns.ToStoreCredit})
	must(t, err)
}
