package payables_test

import (
	"fmt"
	"sync"
	"testing"

	"atrium/internal/payables"
)

// TestPaymentProposal: the preview of a run lists the approved bills it pays with their
// discounts and holds the unapproved ones; the run then pays exactly what was proposed.
func TestPaymentProposal(t *testing.T) {
	f := newFixture(t)
	due := f.approvedBill(t, 40, 10)  // NT$1,050, due 10 days ago, discount expired
	fresh := f.approvedBill(t, 5, 20) // NT$2,100, discount NT$42 until 5 days from now
	notDue := f.approvedBill(t, 0, 3) // discount until day 10: not selected by a 7-day run
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 3))
	exception, err := f.svc.EnterBill(f.as("accountant"), f.bill(40, bl(lineOf(t, o, v), 3, "100")))
	must(t, err)
	f.receive(t, o, v, 3)
	v2 := f.variant(t, "100")
	o2 := f.order(t, ln(v2, 2))
	f.receive(t, o2, v2, 2)
	matched, err := f.svc.EnterBill(f.as("accountant"), f.bill(35, bl(lineOf(t, o2, v2), 2, "100")))
	must(t, err)
	if exception.Status != payables.Exception || matched.Status != payables.Matched {
		t.Fatalf("statuses %s, %s", exception.Status, matched.Status)
	}

	in := payables.PaymentRunInput{PayDate: daysFromToday(0), DueBy: daysFromToday(7)}
	p, err := f.svc.ProposePaymentRun(f.as("accountant"), in)
	must(t, err)
	proposed := map[int64]payables.ProposedPayment{}
	for _, pp := range p.Payments {
		proposed[pp.Bill.ID] = pp
	}

	t.Run("pays the approved bills due or losing their discount", func(t *testing.T) {
		if len(p.Payments) != 2 {
			t.Fatalf("payments %+v", p.Payments)
		}
		if got := proposed[due.ID]; got.Amount != due.Total || got.Discount != 0 || got.Open != due.Total {
			t.Errorf("due bill %+v", got)
		}
		if got := proposed[fresh.ID]; got.Discount != 42_00 || got.Amount != fresh.Total-42_00 || got.Open != fresh.Total {
			t.Errorf("bill in its discount window %+v", got)
		}
		if _, ok := proposed[notDue.ID]; ok {
			t.Error("a bill neither due nor losing its discount by then is proposed")
		}
	})
	t.Run("holds what is not approved, with why", func(t *testing.T) {
		held := map[int64]payables.Bill{}
		for _, b := range p.Held {
			held[b.ID] = b
		}
		if b, ok := held[exception.ID]; !ok || b.Status != payables.Exception || len(b.Exceptions) == 0 {
			t.Errorf("exception bill held as %+v", b)
		}
		if b, ok := held[matched.ID]; !ok || b.Status != payables.Matched {
			t.Errorf("matched bill awaiting approval held as %+v", b)
		}
		if _, ok := proposed[exception.ID]; ok {
			t.Error("a bill in exception is proposed for payment")
		}
	})
	t.Run("totals per currency and supplier", func(t *testing.T) {
		want := payables.RunTotal{Currency: "TWD", Bills: 2, Open: due.Total + fresh.Total, Discount: 42_00,
			Amount: due.Total + fresh.Total - 42_00}
		if len(p.Totals) != 1 || p.Totals[0] != want {
			t.Errorf("totals %+v, want %+v", p.Totals, want)
		}
		if len(p.Suppliers) != 1 || p.Suppliers[0].SupplierID != f.supplier.ID || p.Suppliers[0].RunTotal != want ||
			p.Suppliers[0].SupplierName != "Formosa Garments" {
			t.Errorf("suppliers %+v", p.Suppliers)
		}
	})

	in.IdempotencyKey = "prop-1"
	run, err := f.svc.RunPayments(f.as("accountant"), in)
	must(t, err)
	t.Run("the run pays exactly the proposal", func(t *testing.T) {
		if len(run.Payments) != len(p.Payments) {
			t.Fatalf("paid %d bills, proposed %d", len(run.Payments), len(p.Payments))
		}
		for i, pay := range run.Payments {
			want := p.Payments[i]
			if pay.BillID != want.Bill.ID || pay.Amount != want.Amount || pay.Discount != want.Discount {
				t.Errorf("payment %d: %+v, proposed %+v", i, pay, want)
			}
		}
	})
	t.Run("after the run nothing is left to propose", func(t *testing.T) {
		again, err := f.svc.ProposePaymentRun(f.as("accountant"), in)
		must(t, err)
		if len(again.Payments) != 0 || len(again.Totals) != 0 || len(again.Held) != 2 {
			t.Errorf("proposal after the run %+v", again)
		}
	})
	t.Run("the run and the list of runs", func(t *testing.T) {
		got, err := f.svc.PaymentRun(f.as("manager"), run.ID)
		must(t, err)
		if len(got.Payments) != 2 || len(got.Suppliers) != 1 || got.Suppliers[0].SupplierCode != "SUP-AP" ||
			len(got.Suppliers[0].Payments) != 2 || got.Totals[0] != p.Totals[0] || got.CreatedByName == "" {
			t.Errorf("run %+v", got)
		}
		_, err = f.svc.RunPayments(f.as("accountant2"), payables.PaymentRunInput{IdempotencyKey: "prop-2",
			PayDate: daysFromToday(0), DueBy: daysFromToday(0), SupplierID: f.supplier.ID})
		must(t, err)
		page, err := f.svc.PaymentRuns(f.as("accountant"), payables.PaymentRunFilter{First: 1})
		must(t, err)
		if len(page.Runs) != 1 || page.Runs[0].Key != "prop-2" || page.Runs[0].SupplierName != "Formosa Garments" ||
			len(page.Runs[0].Totals) != 0 || page.Next == 0 {
			t.Errorf("first page %+v", page)
		}
		page, err = f.svc.PaymentRuns(f.as("accountant"), payables.PaymentRunFilter{First: 1, After: page.Next})
		must(t, err)
		if len(page.Runs) != 1 || page.Runs[0].ID != run.ID || len(page.Runs[0].Totals) != 1 ||
			page.Runs[0].Totals[0] != p.Totals[0] || page.Next != 0 {
			t.Errorf("second page %+v", page)
		}
		_, err = f.svc.PaymentRun(f.as("accountant"), run.ID+1000)
		wantErr(t, err, "NOT_FOUND", "")
	})
	t.Run("refused input", func(t *testing.T) {
		tests := []struct {
			name, code, field string
			in                payables.PaymentRunInput
			login             string
		}{
			{"pay date in the past", "INVALID", "payDate",
				payables.PaymentRunInput{PayDate: daysFromToday(-5), DueBy: daysFromToday(0)}, "accountant"},
			{"no due-by date", "INVALID", "dueBy", payables.PaymentRunInput{PayDate: daysFromToday(0)}, "accountant"},
			{"unknown supplier", "INVALID", "supplierId",
				payables.PaymentRunInput{PayDate: daysFromToday(0), DueBy: daysFromToday(0), SupplierID: 999_999}, "accountant"},
			{"a buyer", "FORBIDDEN", "", in, "buyer"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.ProposePaymentRun(f.as(tt.login), tt.in)
				wantErr(t, err, tt.code, tt.field)
				tt.in.IdempotencyKey = "refused-" + tt.name
				_, err = f.svc.RunPayments(f.as(tt.login), tt.in)
				wantErr(t, err, tt.code, tt.field)
			})
		}
	})
}

// TestPaymentRunConfirmsProposal: a run confirming a preview is refused when the bills to
// pay changed since, and pays when they did not.
func TestPaymentRunConfirmsProposal(t *testing.T) {
	f := newFixture(t)
	f.approvedBill(t, 40, 2)
	in := payables.PaymentRunInput{PayDate: daysFromToday(0), DueBy: daysFromToday(0)}
	p, err := f.svc.ProposePaymentRun(f.as("accountant"), in)
	must(t, err)
	f.approvedBill(t, 35, 4) // approved after the preview
	in.IdempotencyKey, in.Fingerprint = "conf-1", p.Fingerprint()
	_, err = f.svc.RunPayments(f.as("accountant"), in)
	wantErr(t, err, "PROPOSAL_CHANGED", "")

	p, err = f.svc.ProposePaymentRun(f.as("accountant"), in)
	must(t, err)
	in.Fingerprint = p.Fingerprint()
	run, err := f.svc.RunPayments(f.as("accountant"), in)
	must(t, err)
	if len(run.Payments) != 2 || len(p.Payments) != 2 {
		t.Errorf("paid %d bills, proposed %d", len(run.Payments), len(p.Payments))
	}
}

// TestPaymentRunsConcurrent: runs made at once, with the same key (a double click) or
// different keys (two accountants), pay each due bill once.
func TestPaymentRunsConcurrent(t *testing.T) {
	f := newFixture(t)
	var bills []payables.Bill
	for range 3 {
		bills = append(bills, f.approvedBill(t, 40, 2))
	}
	const n = 8
	runs := make([]payables.PaymentRun, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := "same"
			if i%2 == 1 {
				key = fmt.Sprintf("other-%d", i)
			}
			runs[i], errs[i] = f.svc.RunPayments(f.as("accountant"), payables.PaymentRunInput{IdempotencyKey: key,
				PayDate: daysFromToday(0), DueBy: daysFromToday(0)})
		})
	}
	wg.Wait()
	paid := map[int64]int{}
	sameRun := int64(0)
	for i := range n {
		must(t, errs[i])
		if i%2 == 0 {
			if sameRun == 0 {
				sameRun = runs[i].ID
			} else if runs[i].ID != sameRun {
				t.Errorf("the same key made runs %d and %d", sameRun, runs[i].ID)
			}
		}
	}
	var rows []struct {
		BillID int64 `db:"bill_id"`
		N      int   `db:"n"`
	}
	must(t, f.db.Select(&rows, `SELECT bill_id, count(*) AS n FROM supplier_payments GROUP BY bill_id`))
	for _, r := range rows {
		paid[r.BillID] = r.N
	}
	for _, b := range bills {
		if paid[b.ID] != 1 {
			t.Errorf("bill %s paid %d times", b.Number, paid[b.ID])
		}
	}
}
