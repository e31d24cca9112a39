package payables_test

import (
	"sync"
	"testing"

	"atrium/internal/audit"
	"atrium/internal/payables"
)

func TestResolution(t *testing.T) {
	f := newFixture(t)
	// exception enters a bill at a price 10% above the order.
	exception := func(t *testing.T) payables.Bill {
		t.Helper()
		v := f.variant(t, "100")
		o := f.order(t, ln(v, 10))
		f.receive(t, o, v, 10)
		b, err := f.svc.EnterBill(f.as("accountant"), f.bill(2, bl(lineOf(t, o, v), 10, "110")))
		must(t, err)
		if b.Status != payables.Exception {
			t.Fatalf("bill is %s", b.Status)
		}
		return b
	}

	t.Run("exception cannot be approved", func(t *testing.T) {
		b := exception(t)
		_, err := f.svc.ApproveBill(f.as("accountant2"), b.ID)
		wantErr(t, err, "BILL_STATUS", "")
	})

	t.Run("accept variance by role", func(t *testing.T) {
		tests := []struct {
			who, code string
		}{
			{"buyer", "FORBIDDEN"},
			{"associate", "FORBIDDEN"},
			{"accountant2", ""},
			{"manager", ""},
		}
		for _, tt := range tests {
			t.Run(tt.who, func(t *testing.T) {
				b := exception(t)
				got, err := f.svc.AcceptVariance(f.as(tt.who), b.ID, "supplier raised list prices on 1 March")
				if tt.code != "" {
					wantErr(t, err, tt.code, "")
					return
				}
				must(t, err)
				if got.Status != payables.Accepted || got.ResolutionReason == "" {
					t.Errorf("%s %q", got.Status, got.ResolutionReason)
				}
				entries, err := audit.ForEntity(t.Context(), f.db, "supplier_bill", b.ID, 10)
				must(t, err)
				if len(entries) == 0 || entries[0].Action != "payables.variance_accepted" || entries[0].Reason == "" {
					t.Errorf("audit: %+v", entries)
				}
			})
		}
	})

	t.Run("accept needs a reason", func(t *testing.T) {
		b := exception(t)
		_, err := f.svc.AcceptVariance(f.as("accountant"), b.ID, " ")
		wantErr(t, err, "INVALID", "reason")
	})

	t.Run("approval is by someone else", func(t *testing.T) {
		b := exception(t)
		_, err := f.svc.AcceptVariance(f.as("accountant"), b.ID, "agreed by phone with Mr. Lee")
		must(t, err)
		_, err = f.svc.ApproveBill(f.as("accountant"), b.ID)
		wantErr(t, err, "SAME_PERSON", "")
		_, err = f.svc.ApproveBill(f.as("buyer"), b.ID)
		wantErr(t, err, "FORBIDDEN", "")
		got, err := f.svc.ApproveBill(f.as("accountant2"), b.ID)
		must(t, err)
		if got.Status != payables.Approved || got.ApprovedBy == nil {
			t.Errorf("%s by %v", got.Status, got.ApprovedBy)
		}
	})

	t.Run("reject", func(t *testing.T) {
		b := exception(t)
		got, err := f.svc.RejectBill(f.as("manager"), b.ID, "not our order")
		must(t, err)
		if got.Status != payables.Rejected || got.Open() != 0 {
			t.Errorf("%s open %d", got.Status, got.Open())
		}
		_, err = f.svc.ApproveBill(f.as("accountant2"), b.ID)
		wantErr(t, err, "BILL_STATUS", "")
	})

	t.Run("credit note clears an over-billed quantity", func(t *testing.T) {
		v := f.variant(t, "100")
		o := f.order(t, ln(v, 10))
		f.receive(t, o, v, 8)
		ol := lineOf(t, o, v)
		b, err := f.svc.EnterBill(f.as("accountant"), f.bill(2, bl(ol, 10, "100")))
		must(t, err)
		b, err = f.svc.RequestCredit(f.as("accountant"), b.ID, "2 units never arrived")
		must(t, err)
		if b.Status != payables.CreditRequested {
			t.Fatalf("status %s", b.Status)
		}
		cn := f.bill(1, bl(ol, 2, "100"))
		cn.CreditsBillID = b.ID
		c, err := f.svc.EnterBill(f.as("accountant"), cn)
		must(t, err)
		if c.Kind != payables.KindCreditNote {
			t.Errorf("kind %s", c.Kind)
		}
		b, err = f.svc.Bill(f.as("accountant"), b.ID)
		must(t, err)
		if b.Status != payables.Matched || b.Credited != c.Total || b.Open() != b.Total-c.Total {
			t.Errorf("after credit: %s %v credited %d open %d", b.Status, b.Exceptions, b.Credited, b.Open())
		}
		_, err = f.svc.ApproveBill(f.as("accountant"), c.ID)
		wantErr(t, err, "BILL_STATUS", "")

		more := f.bill(0, bl(ol, 10, "100"))
		more.CreditsBillID = b.ID
		_, err = f.svc.EnterBill(f.as("accountant"), more)
		wantErr(t, err, "INVALID", "total")

		_, err = f.svc.RejectBill(f.as("manager"), b.ID, "supplier will reissue the invoice")
		must(t, err)
		c, err = f.svc.Bill(f.as("accountant"), c.ID)
		must(t, err)
		l, err := f.svc.SupplierLedger(f.as("accountant"), f.supplier.ID)
		must(t, err)
		if c.Status != payables.Rejected {
			t.Errorf("credit note %s after rejecting its bill", c.Status)
		}
		for _, e := range l.Entries {
			if e.BillID == b.ID || e.BillID == c.ID {
				t.Errorf("rejected bill or its credit note still in the ledger: %+v", e)
			}
		}
	})
}

// TestConcurrentBills enters eight bills for the same 10 received units at once: exactly
// one may match, whichever order their transactions take the order line in.
func TestConcurrentBills(t *testing.T) {
	f := newFixture(t)
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 10))
	f.receive(t, o, v, 10)
	ol := lineOf(t, o, v)
	var ins []payables.BillInput
	for range 8 {
		ins = append(ins, f.bill(1, bl(ol, 10, "100")))
	}
	got := make(chan payables.Bill, len(ins))
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			b, err := f.svc.EnterBill(f.as("accountant"), in)
			if err != nil {
				t.Error(err)
				return
			}
			got <- b
		})
	}
	wg.Wait()
	close(got)
	matched := 0
	for b := range got {
		if b.Status == payables.Matched {
			matched++
		}
	}
	if matched != 1 {
		t.Errorf("%d of %d bills for the same 10 received units matched", matched, len(ins))
	}
}

func TestCompare(t *testing.T) {
	f := newFixture(t)
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 10))
	f.receive(t, o, v, 4)
	f.receive(t, o, v, 4)
	ol := lineOf(t, o, v)
	_, err := f.svc.EnterBill(f.as("accountant"), f.bill(2, bl(ol, 5, "100")))
	must(t, err)
	b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(ol, 5, "110")))
	must(t, err)
	c, err := f.svc.Compare(f.as("accountant2"), b.ID)
	must(t, err)
	if len(c.Lines) != 1 || len(c.Receipts) != 2 {
		t.Fatalf("%+v", c)
	}
	l := c.Lines[0]
	if l.Ordered != 10 || l.Received != 8 || l.BilledBefore != 5 || l.Expected != 500_00 || l.Variance != 50_00 ||
		l.OrderID != o.ID {
		t.Errorf("%+v", l)
	}
	if c.ExpectedTax != b.TaxAmount || c.TotalDifference != 0 {
		t.Errorf("tax %d total difference %d", c.ExpectedTax, c.TotalDifference)
	}
	if len(l.Line.Exceptions) != 2 { // 5 + 5 billed of 8 received, and 10% above the order price
		t.Errorf("exceptions %v", l.Line.Exceptions)
	}
}
