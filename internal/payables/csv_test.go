package payables_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"atrium/internal/payables"
)

func TestImportBills(t *testing.T) {
	f := newFixture(t)
	a, b := f.variant(t, "100"), f.variant(t, "20")
	o := f.order(t, ln(a, 10), ln(b, 5))
	f.receive(t, o, a, 10)
	f.receive(t, o, b, 5)
	var skuA, skuB string
	must(t, f.db.Get(&skuA, `SELECT sku FROM variants WHERE id = $1`, a))
	must(t, f.db.Get(&skuB, `SELECT sku FROM variants WHERE id = $1`, b))
	today := daysFromToday(0).Format("2006-01-02")
	header := "supplier_code,bill_number,bill_date,currency,tax_amount,total,credits_bill_number,po_number,sku,description,quantity,unit_price\n"
	good := header + fmt.Sprintf(
		"SUP-AP,CSV-1,%[1]s,TWD,55,\"1,155.00\",,%[2]s,%[3]s,,10,100\n"+
			"SUP-AP,CSV-1,%[1]s,TWD,55,\"1,155.00\",,%[2]s,%[4]s,,5,20\n"+
			"SUP-AP,CSV-1,%[1]s,TWD,55,\"1,155.00\",,,,Freight,1,0\n"+
			"SUP-AP,CSV-CN-1,%[1]s,TWD,10,210,CSV-1,%[2]s,%[3]s,,2,100\n", today, o.Number(), skuA, skuB)

	t.Run("errors by row and column, nothing saved", func(t *testing.T) {
		in := header + fmt.Sprintf(
			"SUP-AP,CSV-9,%[1]s,TWD,55,1155,,%[2]s,%[3]s,,10,100\n"+
				"SUP-AP,CSV-9,2026-13-01,TWD,55,1155,,%[2]s,NOPE,,ten,100\n"+
				"SUP-XX,CSV-10,%[1]s,TWD,x,10,,,,,1,10\n"+
				"SUP-AP,CSV-11,%[1]s,TWD,0,10,,,,,1,10\n", today, o.Number(), skuA)
		_, err := f.svc.ImportBills(f.as("accountant"), strings.NewReader(in))
		var ie *payables.ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("got %v", err)
		}
		want := []struct {
			row    int
			column string
		}{{3, "bill_date"}, {3, "sku"}, {3, "quantity"}, {4, "supplier_code"}, {4, "tax_amount"}}
		for _, w := range want {
			found := false
			for _, r := range ie.Rows {
				found = found || (r.Row == w.row && r.Column == w.column && r.Message != "")
			}
			if !found {
				t.Errorf("no error on row %d %s in %+v", w.row, w.column, ie.Rows)
			}
		}
		var n int
		must(t, f.db.Get(&n, `SELECT count(*) FROM supplier_bills`))
		if n != 0 {
			t.Errorf("%d bills saved", n)
		}
	})

	t.Run("validation of a bill lands on its row", func(t *testing.T) {
		in := header + fmt.Sprintf("SUP-AP,CSV-20,%[1]s,TWD,5,105,,,,,1,100\n", today)
		_, err := f.svc.ImportBills(f.as("accountant"), strings.NewReader(in))
		var ie *payables.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Row != 2 || ie.Rows[0].Column != "description" {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("import", func(t *testing.T) {
		bills, err := f.svc.ImportBills(f.as("accountant"), strings.NewReader(good))
		must(t, err)
		if len(bills) != 2 || len(bills[0].Lines) != 3 || bills[0].Total != 1155_00 || bills[1].Kind != payables.KindCreditNote {
			t.Fatalf("%+v", bills)
		}
		// Freight is not on the order: the bill waits for someone to accept it.
		if bills[0].Status != payables.Exception || len(bills[0].Exceptions) != 1 || bills[0].Exceptions[0] != "NO_ORDER_LINE" {
			t.Errorf("%s %v", bills[0].Status, bills[0].Exceptions)
		}
	})

	t.Run("duplicate on import", func(t *testing.T) {
		_, err := f.svc.ImportBills(f.as("accountant"), strings.NewReader(good))
		var ie *payables.ImportError
		if !errors.As(err, &ie) || ie.Rows[0].Row != 2 || ie.Rows[0].Column != "bill_number" {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("missing column", func(t *testing.T) {
		_, err := f.svc.ImportBills(f.as("accountant"), strings.NewReader("supplier_code,bill_number\nSUP-AP,X\n"))
		var ie *payables.ImportError
		if !errors.As(err, &ie) || ie.Rows[0].Row != 1 {
			t.Fatalf("got %v", err)
		}
	})
}
