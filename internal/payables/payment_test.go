package payables_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/payables"
	"atrium/internal/purchasing"
)

// approvedBill enters (accountant) and approves (accountant2) a matched bill for qty
// units at 100 dated daysAgo, with the goods received.
func (f *fixture) approvedBill(t *testing.T, daysAgo, qty int) payables.Bill {
	t.Helper()
	v := f.variant(t, "100")
	o := f.order(t, ln(v, qty))
	f.receive(t, o, v, qty)
	b, err := f.svc.EnterBill(f.as("accountant"), f.bill(daysAgo, bl(lineOf(t, o, v), qty, "100")))
	must(t, err)
	b, err = f.svc.ApproveBill(f.as("accountant2"), b.ID)
	must(t, err)
	return b
}

func TestTerms(t *testing.T) {
	f := newFixture(t)
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 10))
	f.receive(t, o, v, 10)
	eom, err := f.buy.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-EOM", Name: "Month End Co",
		Currency: "TWD", Active: true, PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.EndOfMonth, Days: 30}})
	must(t, err)
	billDate := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		supplier   int64
		due        string
		discountOn string
		discount   int64
	}{
		{"2/10 net 30", f.supplier.ID, "2026-02-19", "2026-01-30", 2100},
		{"EOM 30", eom.ID, "2026-03-02", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := f.bill(0, payables.BillLineInput{Description: "Freight", Quantity: 1, UnitPrice: decimal.NewFromInt(1000)})
			in.SupplierID, in.BillDate = tt.supplier, billDate
			b, err := f.svc.EnterBill(f.as("accountant"), in)
			must(t, err)
			if got := b.DueOn.Format(time.DateOnly); got != tt.due {
				t.Errorf("due %s, want %s", got, tt.due)
			}
			got := ""
			if b.DiscountOn != nil {
				got = b.DiscountOn.Format(time.DateOnly)
			}
			if got != tt.discountOn || b.DiscountAmount != tt.discount {
				t.Errorf("discount %d by %q, want %d by %q", b.DiscountAmount, got, tt.discount, tt.discountOn)
			}
		})
	}
}

func TestPayments(t *testing.T) {
	f := newFixture(t)
	// Bills dated 40 days ago are due (net 30), past their discount; a bill of today is
	// in its discount window.
	old := f.approvedBill(t, 40, 10)  // 1,000 + 50 tax = NT$1,050
	fresh := f.approvedBill(t, 0, 20) // NT$2,100, 2% discount NT$42 until day 10
	later := f.approvedBill(t, 5, 5)  // due in 25 days, discount until day 5 from today
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 3))
	unapproved, err := f.svc.EnterBill(f.as("accountant"), f.bill(40, bl(lineOf(t, o, v), 3, "100")))
	must(t, err)
	if unapproved.Status != payables.Exception {
		t.Fatalf("unreceived bill is %s", unapproved.Status)
	}

	in := payables.PaymentRunInput{IdempotencyKey: "run-1", PayDate: daysFromToday(0), DueBy: daysFromToday(3)}
	run, err := f.svc.RunPayments(f.as("accountant"), in)
	must(t, err)
	paid := map[int64]payables.Payment{}
	for _, p := range run.Payments {
		paid[p.BillID] = p
	}
	t.Run("selection", func(t *testing.T) {
		if _, ok := paid[old.ID]; !ok {
			t.Error("the due bill was not paid")
		}
		if _, ok := paid[unapproved.ID]; ok {
			t.Error("a bill in exception was paid")
		}
		if _, ok := paid[fresh.ID]; ok {
			t.Error("a bill neither due nor losing its discount by then was paid")
		}
		if _, ok := paid[later.ID]; ok {
			t.Error("a bill due in 25 days whose discount ends in 5 was paid")
		}
	})
	t.Run("no discount after the discount date", func(t *testing.T) {
		p := paid[old.ID]
		if p.Amount != old.Total || p.Discount != 0 {
			t.Errorf("paid %d discount %d, want %d", p.Amount, p.Discount, old.Total)
		}
		b, err := f.svc.Bill(f.as("accountant"), old.ID)
		must(t, err)
		if b.Status != payables.Paid || b.Open() != 0 {
			t.Errorf("%s open %d", b.Status, b.Open())
		}
	})
	t.Run("replay", func(t *testing.T) {
		again, err := f.svc.RunPayments(f.as("accountant"), in)
		must(t, err)
		if !again.Replayed || len(again.Payments) != len(run.Payments) || again.ID != run.ID {
			t.Errorf("replay %+v", again)
		}
		other := in
		other.DueBy = daysFromToday(30)
		_, err = f.svc.RunPayments(f.as("accountant"), other)
		wantErr(t, err, "CONFLICT", "idempotencyKey")
	})
	t.Run("discount within the discount window", func(t *testing.T) {
		r, err := f.svc.RunPayments(f.as("accountant2"), payables.PaymentRunInput{IdempotencyKey: "run-2",
			PayDate: daysFromToday(0), DueBy: daysFromToday(10)})
		must(t, err)
		var got *payables.Payment
		for i := range r.Payments {
			if r.Payments[i].BillID == fresh.ID {
				got = &r.Payments[i]
			}
		}
		if got == nil {
			t.Fatalf("fresh bill not paid: %+v", r.Payments)
		}
		if got.Discount != fresh.DiscountAmount || got.Amount != fresh.Total-fresh.DiscountAmount || fresh.DiscountAmount != 42_00 {
			t.Errorf("paid %d discount %d of %d", got.Amount, got.Discount, fresh.Total)
		}
	})
	t.Run("partial payment", func(t *testing.T) {
		b := f.approvedBill(t, 1, 10)
		p, err := f.svc.RecordPayment(f.as("accountant"), payables.PaymentInput{BillID: b.ID, Amount: 500_00,
			PaidOn: daysFromToday(0), Reference: "cheque 123"})
		must(t, err)
		b, err = f.svc.Bill(f.as("accountant"), b.ID)
		must(t, err)
		if p.Amount != 500_00 || b.Status != payables.PartiallyPaid || b.Open() != b.Total-500_00 {
			t.Errorf("%s open %d", b.Status, b.Open())
		}
		_, err = f.svc.RecordPayment(f.as("accountant"), payables.PaymentInput{BillID: b.ID, Amount: b.Open() + 1, PaidOn: daysFromToday(0)})
		wantErr(t, err, "INVALID", "amount")
		_, err = f.svc.RecordPayment(f.as("accountant"), payables.PaymentInput{BillID: b.ID, Amount: b.Open(), PaidOn: daysFromToday(0)})
		must(t, err)
		b, _ = f.svc.Bill(f.as("accountant"), b.ID)
		if b.Status != payables.Paid {
			t.Errorf("after the rest: %s", b.Status)
		}
		_, err = f.svc.RecordPayment(f.as("accountant"), payables.PaymentInput{BillID: unapproved.ID, Amount: 1, PaidOn: daysFromToday(0)})
		wantErr(t, err, "BILL_STATUS", "")
	})
	t.Run("ledger", func(t *testing.T) {
		l, err := f.svc.SupplierLedger(f.as("accountant"), f.supplier.ID)
		must(t, err)
		page, err := f.svc.Bills(f.as("accountant"), payables.BillFilter{SupplierID: f.supplier.ID, First: payables.MaxBillsPage})
		must(t, err)
		var open int64
		for _, b := range page.Bills {
			open += b.Open()
		}
		if l.Balance != open {
			t.Errorf("ledger balance %d, open bills %d", l.Balance, open)
		}
		var discounts int
		for _, e := range l.Entries {
			if e.Kind == "DISCOUNT" {
				discounts++
			}
		}
		// Run 2 took the discounts of fresh and later (whose window ends in 5 days).
		if discounts != 2 || l.Entries[len(l.Entries)-1].Balance != l.Balance {
			t.Errorf("entries %+v", l.Entries)
		}
	})
}

func TestRemittancePDF(t *testing.T) {
	f := newFixture(t)
	b := f.approvedBill(t, 40, 3)
	run, err := f.svc.RunPayments(f.as("accountant"), payables.PaymentRunInput{IdempotencyKey: "rem-1",
		PayDate: daysFromToday(0), DueBy: daysFromToday(0)})
	must(t, err)
	if len(run.Payments) != 1 || run.Payments[0].BillID != b.ID {
		t.Fatalf("%+v", run.Payments)
	}
	pdf, err := f.svc.RemittancePDF(f.as("accountant"), run.ID, f.supplier.ID)
	must(t, err)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 1000 {
		t.Errorf("not a PDF: %d bytes", len(pdf))
	}
	_, err = f.svc.RemittancePDF(f.as("accountant"), run.ID, f.supplier.ID+1000)
	wantErr(t, err, "NOT_FOUND", "")
	// The run emailed the supplier the same advice, once, even when replayed.
	_, err = f.svc.RunPayments(f.as("accountant"), payables.PaymentRunInput{IdempotencyKey: "rem-1",
		PayDate: daysFromToday(0), DueBy: daysFromToday(0)})
	must(t, err)
	var sent []struct {
		To       string `db:"recipient"`
		Subject  string `db:"subject"`
		Filename string `db:"filename"`
		Data     []byte `db:"data"`
	}
	must(t, f.db.Select(&sent, `SELECT n.recipient, n.subject, a.filename, a.data FROM notifications n
		JOIN notification_attachments a ON a.notification_id = n.id WHERE n.kind = $1`, payables.KindRemittance))
	want := fmt.Sprintf("remittance-RUN-%d.pdf", run.ID)
	if len(sent) != 1 || sent[0].To != "ap@formosa.example" || sent[0].Filename != want ||
		!strings.Contains(sent[0].Subject, fmt.Sprintf("RUN-%d", run.ID)) || !bytes.HasPrefix(sent[0].Data, []byte("%PDF-")) {
		t.Errorf("remittance emails %+v, want one to the supplier with %s", sent, want)
	}
	_, err = f.svc.RemittancePDF(f.as("buyer"), run.ID, f.supplier.ID)
	wantErr(t, err, "FORBIDDEN", "")
}
