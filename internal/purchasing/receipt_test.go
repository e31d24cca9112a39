package purchasing_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/inventory"
	"atrium/internal/purchasing"
)

func TestReceipts(t *testing.T) {
	f := newFixture(t)
	tee, _ := f.variant(t, f.apparel)
	cake, cakeSKU := f.variant(t, f.snack)
	f.item(t, f.supplier.ID, tee, "100", 10, 10)
	f.item(t, f.supplier.ID, cake, "12.5", 1, 1)

	o := f.approved(t, "WH-TAO", line(tee, 100), line(cake, 40))
	if l := f.level(t, "WH-TAO", tee); l.Incoming != 100 || l.OnHand != 0 {
		t.Fatalf("tee after approval: %+v, want incoming 100", l)
	}
	if l := f.level(t, "WH-TAO", cake); l.Incoming != 40 {
		t.Fatalf("cake after approval: %+v, want incoming 40", l)
	}
	o, err := f.svc.Send(f.as("buyer"), o.ID, purchasing.SendInput{ExpectedOn: date(3), Comment: "confirmed by phone"})
	must(t, err)
	if o.Status != purchasing.Sent || !o.ExpectedOn.Equal(*date(3)) {
		t.Fatalf("status %s expected %v", o.Status, o.ExpectedOn)
	}

	t.Run("sending emails the supplier and tells the warehouse", func(t *testing.T) {
		po := f.messages(t, o.ID, purchasing.KindPurchaseOrder)
		if len(po) != 1 || po[0].To != "orders@formosa.example" || !strings.Contains(po[0].Body, o.Number()) ||
			!strings.Contains(po[0].Body, "net 30") || !strings.Contains(po[0].Body, "NT$10,500") {
			t.Errorf("purchase order mail %+v", po)
		}
		// The warehouse has no manager: its staff are told.
		arriving := f.messages(t, o.ID, purchasing.KindGoodsArriving)
		want := []string{"junjie.cheng@atrium.example.com", "minghui.wu@atrium.example.com"}
		if got := recipients(arriving); !slices.Equal(got, want) {
			t.Errorf("GOODS_ARRIVING to %v, want %v", got, want)
		}
		if len(arriving) > 0 && !strings.Contains(arriving[0].Subject, date(3).Format(time.DateOnly)) {
			t.Errorf("subject %q has no arrival date", arriving[0].Subject)
		}
	})

	expires := date(80)
	bad := []struct {
		name  string
		lines []purchasing.ReceiptLineInput
		code  string
		field string
		hint  string
	}{
		{"over the tolerance", []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 106}}, purchasing.ReasonOverReceipt, "lines.0.accepted",
			"accept at most 105"},
		{"lot-tracked without a lot", []purchasing.ReceiptLineInput{{VariantID: cake, Accepted: 5, ExpiresOn: expires}}, "INVALID", "lines.0.lot", "lot number"},
		{"lot-tracked without expiry", []purchasing.ReceiptLineInput{{VariantID: cake, Accepted: 5, Lot: "L1"}}, "INVALID", "lines.0.expiresOn", "expiry date"},
		{"expired lot accepted", []purchasing.ReceiptLineInput{{VariantID: cake, Accepted: 5, Lot: "L0", ExpiresOn: date(-2)}}, "INVALID", "lines.0.expiresOn", "reject these units"},
		{"lot on an untracked product", []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 5, Lot: "X"}}, "INVALID", "lines.0.lot", "not lot-tracked"},
		{"rejected without reason", []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 5, Rejected: 2}}, "INVALID", "lines.0.rejectReason", "why"},
		{"not on the order", []purchasing.ReceiptLineInput{{Code: "NOPE-1", Accepted: 1}}, "INVALID", "lines.0.variantId", "not on " + o.Number()},
		{"nothing", []purchasing.ReceiptLineInput{{VariantID: tee}}, "INVALID", "lines.0.accepted", "accepted or rejected"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Receive(f.as("fulfilment"), purchasing.ReceiptInput{IdempotencyKey: "bad-" + tt.name, OrderID: o.ID, Lines: tt.lines})
			e := wantErr(t, err, tt.code, tt.field)
			if !strings.Contains(e.Message, tt.hint) {
				t.Errorf("message %q does not say %q", e.Message, tt.hint)
			}
		})
	}

	t.Run("only staff of the receiving location or a manager", func(t *testing.T) {
		_, err := f.svc.Receive(f.as("yuting.lee"), purchasing.ReceiptInput{IdempotencyKey: "wrong-place", OrderID: o.ID,
			Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 1}}})
		wantErr(t, err, "FORBIDDEN", "")
		_, err = f.svc.Receive(f.as("buyer"), purchasing.ReceiptInput{IdempotencyKey: "buyer", OrderID: o.ID,
			Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 1}}})
		wantErr(t, err, "FORBIDDEN", "")
	})

	first := purchasing.ReceiptInput{IdempotencyKey: "gr-1", OrderID: o.ID, Note: "truck 1", Lines: []purchasing.ReceiptLineInput{
		{Code: cakeSKU, Accepted: 20, Rejected: 2, RejectReason: "crushed boxes", Lot: "L-2026-A", ExpiresOn: expires},
		{VariantID: tee, Accepted: 60},
	}}
	t.Run("partial receipt", func(t *testing.T) {
		res, err := f.svc.Receive(f.as("fulfilment"), first)
		must(t, err)
		if res.Replayed || res.Order.Status != purchasing.PartiallyReceived {
			t.Fatalf("replayed %v, status %s", res.Replayed, res.Order.Status)
		}
		if l := f.level(t, "WH-TAO", tee); l.OnHand != 60 || l.Incoming != 40 {
			t.Errorf("tee: on hand %d incoming %d, want 60 and 40", l.OnHand, l.Incoming)
		}
		if l := f.level(t, "WH-TAO", cake); l.OnHand != 20 || l.Incoming != 20 {
			t.Errorf("cake: on hand %d incoming %d, want 20 and 20", l.OnHand, l.Incoming)
		}
		lots, err := f.inv.ExpiringStock(system, inventory.ExpiringFilter{WithinDays: 90, LocationID: ptr(f.loc["WH-TAO"])})
		must(t, err)
		if !slices.ContainsFunc(lots, func(l inventory.ExpiringLot) bool {
			return l.VariantID == cake && l.Lot == "L-2026-A" && l.OnHand == 20 && l.ExpiresOn.Equal(*expires)
		}) {
			t.Errorf("lot L-2026-A not on hand with its expiry: %+v", lots)
		}
		var kinds []string
		must(t, f.db.Select(&kinds, `SELECT DISTINCT kind FROM stock_movements WHERE reference = $1`, "PO:"+itoa(o.ID)))
		if !slices.Equal(kinds, []string{"RECEIPT"}) {
			t.Errorf("movement kinds %v, want RECEIPT", kinds)
		}
		d, err := f.svc.Order(f.as("buyer"), o.ID)
		must(t, err)
		for _, l := range d.Lines {
			if l.VariantID == cake && (l.Received != 20 || l.Rejected != 2) {
				t.Errorf("cake line received %d rejected %d", l.Received, l.Rejected)
			}
		}
		if len(d.Receipts) != 1 || len(d.Receipts[0].Lines) != 2 || d.Receipts[0].ReceivedByName != "fulfilment" {
			t.Errorf("receipts %+v", d.Receipts)
		}
		received := f.messages(t, o.ID, purchasing.KindGoodsReceived)
		if len(received) != 2 || !strings.Contains(received[0].Body, "crushed boxes") || !strings.Contains(received[0].Body, "Still to come") {
			t.Errorf("GOODS_RECEIVED %+v", received)
		}
		checkLedger(t, f.db)
	})

	t.Run("a retry with the same key does nothing again", func(t *testing.T) {
		res, err := f.svc.Receive(f.as("fulfilment"), first)
		must(t, err)
		if !res.Replayed || len(res.Receipt.Lines) != 2 {
			t.Errorf("replayed %v, receipt %+v", res.Replayed, res.Receipt)
		}
		if l := f.level(t, "WH-TAO", tee); l.OnHand != 60 {
			t.Errorf("tee on hand %d after a retry, want 60", l.OnHand)
		}
		other := first
		other.Note = "another truck"
		_, err = f.svc.Receive(f.as("fulfilment"), other)
		wantErr(t, err, "CONFLICT", "idempotencyKey")
	})

	t.Run("a lot already here with another expiry", func(t *testing.T) {
		_, err := f.svc.Receive(f.as("fulfilment"), purchasing.ReceiptInput{IdempotencyKey: "gr-lot", OrderID: o.ID,
			Lines: []purchasing.ReceiptLineInput{{VariantID: cake, Accepted: 1, Lot: "L-2026-A", ExpiresOn: date(60)}}})
		wantErr(t, err, "INVALID", "lines.0.expiresOn")
	})

	t.Run("the rest within the tolerance", func(t *testing.T) {
		// 60 of 100 received; 45 more makes 105, the 5% tolerance.
		_, err := f.svc.Receive(f.as("fulfilment"), purchasing.ReceiptInput{IdempotencyKey: "gr-2", OrderID: o.ID,
			Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 46}}})
		wantErr(t, err, purchasing.ReasonOverReceipt, "lines.0.accepted")
		res, err := f.svc.Receive(f.as("manager"), purchasing.ReceiptInput{IdempotencyKey: "gr-2", OrderID: o.ID,
			Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 45},
				{VariantID: cake, Accepted: 20, Lot: "L-2026-B", ExpiresOn: date(85)}}})
		must(t, err)
		if res.Order.Status != purchasing.Received {
			t.Errorf("status %s, want RECEIVED", res.Order.Status)
		}
		if l := f.level(t, "WH-TAO", tee); l.OnHand != 105 || l.Incoming != 0 {
			t.Errorf("tee: on hand %d incoming %d, want 105 and 0", l.OnHand, l.Incoming)
		}
		if l := f.level(t, "WH-TAO", cake); l.OnHand != 40 || l.Incoming != 0 {
			t.Errorf("cake: on hand %d incoming %d, want 40 and 0", l.OnHand, l.Incoming)
		}
		o, err := f.svc.Close(f.as("buyer"), o.ID, "")
		must(t, err)
		if o.Status != purchasing.Closed || o.ClosedAt == nil {
			t.Errorf("status %s after closing", o.Status)
		}
		checkLedger(t, f.db)
	})
}

func TestShortClose(t *testing.T) {
	f := newFixture(t)
	tee, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "100", 1, 1)
	must(t, setTolerance(f, "0"))
	o := f.sent(t, "TPE-01", line(tee, 30))

	_, err := f.svc.Receive(f.as("associate"), purchasing.ReceiptInput{IdempotencyKey: "short-over", OrderID: o.ID,
		Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 31}}})
	e := wantErr(t, err, purchasing.ReasonOverReceipt, "lines.0.accepted")
	if !strings.Contains(e.Message, "0% tolerance") {
		t.Errorf("message %q does not give the tolerance", e.Message)
	}
	res, err := f.svc.Receive(f.as("associate"), purchasing.ReceiptInput{IdempotencyKey: "short-1", OrderID: o.ID,
		Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 18}}})
	must(t, err)
	// The store's manager is told.
	if got := recipients(f.messages(t, o.ID, purchasing.KindGoodsReceived)); !slices.Equal(got, []string{"grace.lin@atrium.example.com"}) {
		t.Errorf("GOODS_RECEIVED to %v", got)
	}
	_, err = f.svc.Close(f.as("buyer"), res.Order.ID, "")
	wantErr(t, err, "INVALID", "comment")
	o, err = f.svc.Close(f.as("buyer"), res.Order.ID, "supplier discontinued the rest")
	must(t, err)
	if l := f.level(t, "TPE-01", tee); l.OnHand != 18 || l.Incoming != 0 {
		t.Errorf("on hand %d incoming %d after closing short, want 18 and 0", l.OnHand, l.Incoming)
	}
	checkLedger(t, f.db)
}

func setTolerance(f *fixture, pct string) error {
	_, err := f.svc.SetOverReceiptTolerance(f.as("manager"), decimal.RequireFromString(pct))
	return err
}

func ptr[T any](v T) *T { return &v }

func TestNobodyToNotify(t *testing.T) {
	f := newFixture(t)
	var loc int64
	must(t, f.db.Get(&loc, `INSERT INTO locations (code, name, kind) VALUES ('TPE-09', 'Pop-up store', 'STORE') RETURNING id`))
	f.loc["TPE-09"] = loc
	tee, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "100", 1, 1)
	o := f.sent(t, "TPE-09", line(tee, 5))
	if n := f.messages(t, o.ID, purchasing.KindGoodsArriving); len(n) != 0 {
		t.Errorf("GOODS_ARRIVING %+v for a location without staff", n)
	}
	d, err := f.svc.Order(f.as("buyer"), o.ID)
	must(t, err)
	last := d.History[len(d.History)-1]
	if last.Action != "SEND" || !strings.Contains(last.Comment, "no staff member based at TPE-09 has an email address") {
		t.Errorf("last history row %+v does not say nobody was notified", last)
	}
}

func TestSupplierPerformance(t *testing.T) {
	f := newFixture(t)
	tee, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "100", 1, 1)
	since := *date(-1)
	p, err := f.svc.SupplierPerformance(f.as("buyer"), f.supplier.ID, since)
	must(t, err)
	if p.Orders != 0 || p.AvgLeadTimeDays != nil || p.FillPct != nil || p.DeclaredLeadTimeDays != 10 {
		t.Fatalf("no orders yet: %+v", p)
	}
	done := f.sent(t, "WH-TAO", line(tee, 10))
	f.sent(t, "WH-TAO", line(tee, 5)) // not received yet
	_, err = f.svc.Receive(f.as("fulfilment"), purchasing.ReceiptInput{IdempotencyKey: "perf", OrderID: done.ID,
		Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 8, Rejected: 1, RejectReason: "torn"}}})
	must(t, err)
	_, err = f.svc.Close(f.as("buyer"), done.ID, "one unit never came")
	must(t, err)

	p, err = f.svc.SupplierPerformance(f.as("buyer"), f.supplier.ID, since)
	must(t, err)
	approx := func(got *float64, want float64) bool { return got != nil && *got > want-0.01 && *got < want+0.01 }
	if p.Orders != 2 || p.Received != 1 || p.AvgLeadTimeDays == nil || *p.AvgLeadTimeDays < 0 || *p.AvgLeadTimeDays > 0.1 {
		t.Errorf("orders %d, received %d, lead time %v", p.Orders, p.Received, p.AvgLeadTimeDays)
	}
	// Received today, expected in 10 days: on time. 8 of 10 accepted; 1 of 9 that came rejected.
	if !approx(p.OnTimePct, 100) || !approx(p.FillPct, 80) || !approx(p.RejectPct, 100.0/9) {
		t.Errorf("on time %v, fill %v, rejected %v", deref(p.OnTimePct), deref(p.FillPct), deref(p.RejectPct))
	}
	_, err = f.svc.SupplierPerformance(f.as("associate"), f.supplier.ID, since)
	wantErr(t, err, "FORBIDDEN", "")
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
