package payables_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/payables"
)

func TestJournals(t *testing.T) {
	f := newFixture(t)
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 10))
	f.receive(t, o, v, 10)
	// Billed at 101 (within tolerance) with NT$300 freight, accepted and paid with the
	// discount.
	in := f.bill(0, bl(lineOf(t, o, v), 10, "101"),
		payables.BillLineInput{Description: "Freight", Quantity: 1, UnitPrice: decimal.NewFromInt(300)})
	b, err := f.svc.EnterBill(f.as("accountant"), in)
	must(t, err)
	_, err = f.svc.AcceptVariance(f.as("accountant"), b.ID, "freight agreed on the order call")
	must(t, err)
	_, err = f.svc.ApproveBill(f.as("accountant2"), b.ID)
	must(t, err)
	_, err = f.svc.RunPayments(f.as("accountant"), payables.PaymentRunInput{IdempotencyKey: "j-1",
		PayDate: daysFromToday(0), DueBy: daysFromToday(10)})
	must(t, err)

	entries, err := f.svc.Journals(f.as("accountant"), daysFromToday(-1), daysFromToday(1))
	must(t, err)
	totals := map[string]int64{} // debit − credit per account
	sources := map[string]int{}
	for _, e := range entries {
		t.Run(e.Source+" "+e.Reference+" balances", func(t *testing.T) {
			if !e.Balanced() || len(e.Lines) < 2 {
				t.Errorf("%+v", e)
			}
		})
		sources[e.Source]++
		for _, l := range e.Lines {
			totals[l.Account.Code] += l.Debit - l.Credit
		}
	}
	if sources["RECEIPT"] != 1 || sources["BILL"] != 1 || sources["PAYMENT"] != 1 {
		t.Fatalf("sources %v", sources)
	}
	tax := in.TaxAmount
	want := map[string]int64{
		payables.AccountInventory.Code:      1000_00,
		payables.AccountGRNI.Code:           0, // received and billed at the order price
		payables.AccountPriceVariance.Code:  10_00,
		payables.AccountCharges.Code:        300_00,
		payables.AccountInputTax.Code:       tax,
		payables.AccountPayable.Code:        0, // paid in full
		payables.AccountBank.Code:           -(in.Total - b.DiscountAmount),
		payables.AccountDiscountIncome.Code: -b.DiscountAmount,
	}
	for code, w := range want {
		if totals[code] != w {
			t.Errorf("account %s: %d, want %d", code, totals[code], w)
		}
	}

	t.Run("totals per account", func(t *testing.T) {
		var debit, credit int64
		for _, a := range payables.JournalTotals(entries) {
			if a.Net() != want[a.Account.Code] {
				t.Errorf("account %s nets %d, want %d", a.Account.Code, a.Net(), want[a.Account.Code])
			}
			debit += a.Debit
			credit += a.Credit
		}
		if debit != credit || debit == 0 {
			t.Errorf("debits %d, credits %d", debit, credit)
		}
	})
	t.Run("csv", func(t *testing.T) {
		rows := payables.JournalCSVRecords(entries)
		n := 0
		for _, e := range entries {
			n += len(e.Lines)
		}
		if len(rows) != n || payables.JournalCSVHeader[4] != "account" || rows[0][4] != payables.AccountInventory.Code ||
			rows[0][6] != "1000.00" || payables.JournalCSVHeader[9] != "document_date" || rows[0][9] != rows[0][0] {
			t.Errorf("%d records for %d lines: %v", len(rows), n, rows)
		}
	})
}
