package payables_test

import (
	"slices"
	"testing"

	"atrium/internal/payables"
)

func TestWorkbenchComparison(t *testing.T) {
	f := newFixture(t)

	t.Run("lines beside the order and receipts", func(t *testing.T) {
		v1, v2 := f.variant(t, "100"), f.variant(t, "250.50")
		o := f.order(t, ln(v1, 10), ln(v2, 4))
		f.receive(t, o, v1, 10)
		b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, o, v1), 12, "105"), bl(lineOf(t, o, v2), 4, "250.50")))
		must(t, err)
		c, err := f.svc.Compare(f.as("accountant2"), b.ID)
		must(t, err)
		if len(c.Lines) != 2 {
			t.Fatalf("%d lines", len(c.Lines))
		}
		l := c.Lines[0]
		if l.Ordered != 10 || l.Received != 10 || l.BilledBefore != 0 || l.BilledSoFar() != 12 ||
			l.Expected != 120000 || l.Variance != 6000 || l.OrderID != o.ID || l.SKU == "" {
			t.Errorf("first line %+v", l)
		}
		if !slices.Equal([]string(l.Line.Exceptions), []string{"OVER_BILLED_QUANTITY", "PRICE_VARIANCE"}) {
			t.Errorf("first line exceptions %v", l.Line.Exceptions)
		}
		if l := c.Lines[1]; l.Received != 0 || l.Variance != 0 || !slices.Equal([]string(l.Line.Exceptions), []string{"NOT_RECEIVED"}) {
			t.Errorf("second line %+v", l)
		}
		if len(c.Receipts) != 1 || c.Receipts[0].Accepted != 10 {
			t.Errorf("receipts %+v", c.Receipts)
		}
		if c.EnteredByName == "" || c.ApprovedByName != "" {
			t.Errorf("entered by %q, approved by %q", c.EnteredByName, c.ApprovedByName)
		}
		if c.ExpectedTax != c.Bill.TaxAmount || c.TotalDifference != 0 {
			t.Errorf("expected tax %d (bill %d), total difference %d", c.ExpectedTax, c.Bill.TaxAmount, c.TotalDifference)
		}
		if len(c.History) != 1 || c.History[0].Action != "payables.bill_entered" || c.History[0].BillID != b.ID {
			t.Errorf("history %+v", c.History)
		}
	})

	t.Run("billed before and credited", func(t *testing.T) {
		v := f.variant(t, "100")
		o := f.order(t, ln(v, 10))
		f.receive(t, o, v, 10)
		first, err := f.svc.EnterBill(f.as("accountant"), f.bill(3, bl(lineOf(t, o, v), 6, "100")))
		must(t, err)
		second, err := f.svc.EnterBill(f.as("accountant"), f.bill(2, bl(lineOf(t, o, v), 6, "100")))
		must(t, err)
		if first.Status != payables.Matched || second.Status != payables.Exception {
			t.Fatalf("first %s, second %s", first.Status, second.Status)
		}
		_, err = f.svc.RequestCredit(f.as("accountant2"), second.ID, "two units were billed twice")
		must(t, err)
		in := f.bill(1, bl(lineOf(t, o, v), 2, "100"))
		in.CreditsBillID = second.ID
		cn, err := f.svc.EnterBill(f.as("accountant"), in)
		must(t, err)
		c, err := f.svc.Compare(f.as("manager"), second.ID)
		must(t, err)
		if c.Bill.Status != payables.Matched {
			t.Errorf("after the credit note the bill is %s", c.Bill.Status)
		}
		if l := c.Lines[0]; l.BilledBefore != 6 || l.Credited != 2 || l.BilledSoFar() != 10 {
			t.Errorf("line %+v", l)
		}
		if len(c.CreditNotes) != 1 || c.CreditNotes[0].ID != cn.ID || c.Bill.Credited != cn.Total {
			t.Errorf("credit notes %+v, credited %d", c.CreditNotes, c.Bill.Credited)
		}
		var actions []string
		for _, e := range c.History {
			actions = append(actions, e.Action)
		}
		want := []string{"payables.bill_entered", "payables.credit_requested", "payables.bill_entered"}
		if !slices.Equal(actions, want) || c.History[1].Reason != "two units were billed twice" || c.History[2].BillID != cn.ID {
			t.Errorf("history %+v", c.History)
		}
	})

	t.Run("approved and paid", func(t *testing.T) {
		v := f.variant(t, "100")
		o := f.order(t, ln(v, 5))
		f.receive(t, o, v, 5)
		b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, o, v), 5, "100")))
		must(t, err)
		_, err = f.svc.ApproveBill(f.as("accountant2"), b.ID)
		must(t, err)
		p, err := f.svc.RecordPayment(f.as("accountant2"), payables.PaymentInput{BillID: b.ID, Amount: 20000,
			PaidOn: daysFromToday(0), Reference: "TT 123"})
		must(t, err)
		c, err := f.svc.Compare(f.as("accountant"), b.ID)
		must(t, err)
		if c.ApprovedByName != "Second Accountant" || c.Bill.Status != payables.PartiallyPaid {
			t.Errorf("approved by %q, status %s", c.ApprovedByName, c.Bill.Status)
		}
		if len(c.Payments) != 1 || c.Payments[0].ID != p.ID || c.Payments[0].Reference != "TT 123" || c.Bill.Open() != b.Total-20000 {
			t.Errorf("payments %+v, open %d", c.Payments, c.Bill.Open())
		}
		if n := len(c.History); n != 3 || c.History[1].Action != "payables.bill_approved" || c.History[2].Action != "payables.payment_recorded" {
			t.Errorf("history %+v", c.History)
		}
	})

	t.Run("not for buyers", func(t *testing.T) {
		v := f.variant(t, "100")
		o := f.order(t, ln(v, 1))
		b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, o, v), 1, "100")))
		must(t, err)
		_, err = f.svc.Compare(f.as("buyer"), b.ID)
		wantErr(t, err, "FORBIDDEN", "")
	})
}
