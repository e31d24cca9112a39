package payables_test

import (
	"testing"

	"atrium/internal/apperr"
	"atrium/internal/payables"
)

func TestBillableLines(t *testing.T) {
	f := newFixture(t)
	cheap, dear := f.variant(t, "100"), f.variant(t, "250.50")

	// Partly received and partly billed: 6 of 10 received, 4 billed.
	open := f.order(t, ln(cheap, 10), ln(dear, 5))
	f.receive(t, open, cheap, 6)
	_, err := f.svc.EnterBill(f.as("accountant"), f.bill(2, bl(lineOf(t, open, cheap), 4, "100")))
	must(t, err)
	// Received and billed in full: nothing left to bill.
	done := f.order(t, ln(cheap, 3))
	f.receive(t, done, cheap, 3)
	_, err = f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, done, cheap), 3, "100")))
	must(t, err)
	// Billed in full, then credited 1: one unit is billable again.
	credited := f.order(t, ln(dear, 2))
	f.receive(t, credited, dear, 2)
	b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, credited, dear), 2, "250.50")))
	must(t, err)
	cn := f.bill(0, bl(lineOf(t, credited, dear), 1, "250.50"))
	cn.CreditsBillID = b.ID
	_, err = f.svc.EnterBill(f.as("accountant"), cn)
	must(t, err)

	type row struct {
		order, line                       int64
		ordered, received, billed, unbill int
	}
	rowsOf := func(ls []payables.BillableLine) []row {
		var out []row
		for _, l := range ls {
			out = append(out, row{l.OrderID, l.OrderLineID, l.Ordered, l.Received, l.Billed, l.Unbilled()})
		}
		return out
	}
	tests := []struct {
		name string
		keep []int64
		want []row
	}{
		{"what is left to bill, most recent order first", nil, []row{
			{credited.ID, lineOf(t, credited, dear), 2, 2, 1, 1},
			{open.ID, lineOf(t, open, cheap), 10, 6, 4, 2},
			{open.ID, lineOf(t, open, dear), 5, 0, 0, 0},
		}},
		{"kept lines come too", []int64{lineOf(t, done, cheap)}, []row{
			{credited.ID, lineOf(t, credited, dear), 2, 2, 1, 1},
			{done.ID, lineOf(t, done, cheap), 3, 3, 3, 0},
			{open.ID, lineOf(t, open, cheap), 10, 6, 4, 2},
			{open.ID, lineOf(t, open, dear), 5, 0, 0, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls, err := f.svc.BillableLines(f.as("accountant"), f.supplier.ID, tt.keep...)
			must(t, err)
			got := rowsOf(ls)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			for _, l := range ls {
				if l.SKU == "" || l.Currency != "TWD" || l.UnitCost.IsZero() {
					t.Errorf("line %d lacks its SKU, currency or price: %+v", l.OrderLineID, l)
				}
			}
		})
	}
	t.Run("buyers may not", func(t *testing.T) {
		_, err := f.svc.BillableLines(f.as("buyer"), f.supplier.ID)
		if apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("got %v, want forbidden", err)
		}
	})
}
