package payables_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"atrium/internal/payables"
	"atrium/internal/purchasing"
)

// allBills walks every page of f's selection, size bills a page, and returns the bills in
// order and how many pages it took.
func allBills(t *testing.T, svc *payables.Service, ctx context.Context, f payables.BillFilter, size int) ([]payables.Bill, int) {
	t.Helper()
	f.First = size
	var out []payables.Bill
	pages := 0
	for {
		page, err := svc.Bills(ctx, f)
		must(t, err)
		pages++
		if len(page.Bills) > size {
			t.Fatalf("page %d has %d bills, more than %d", pages, len(page.Bills), size)
		}
		if page.Next != "" && len(page.Bills) != size {
			t.Fatalf("page %d has %d bills and a next page", pages, len(page.Bills))
		}
		out = append(out, page.Bills...)
		if page.Next == "" {
			return out, pages
		}
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		f.After = page.Next
	}
}

func TestBillsPaging(t *testing.T) {
	f := newFixture(t)
	acc := f.as("accountant")
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 100))
	f.receive(t, o, v, 100)
	ol := lineOf(t, o, v)
	enter := func(in payables.BillInput) payables.Bill {
		t.Helper()
		b, err := f.svc.EnterBill(acc, in)
		must(t, err)
		return b
	}
	// Seven bills on the same day, so pages of 2 and 3 end between bills of one date, and
	// a few on other days.
	var bills []payables.Bill
	for range 7 {
		bills = append(bills, enter(f.bill(5, bl(ol, 2, "100"))))
	}
	for _, days := range []int{1, 9, 5, 30} {
		bills = append(bills, enter(f.bill(days, bl(ol, 1, "100"))))
	}
	// A credit note against the first, a bill part paid, one paid in full, one rejected.
	credit := enter(payables.BillInput{SupplierID: f.supplier.ID, Number: "CN-" + bills[0].Number, CreditsBillID: bills[0].ID,
		BillDate: daysFromToday(0), Currency: "TWD", TaxAmount: 5, Total: 105, Lines: []payables.BillLineInput{bl(ol, 1, "1")}})
	for i, amount := range map[int]int64{1: 7000, 2: bills[2].Total} {
		_, err := f.svc.ApproveBill(f.as("accountant2"), bills[i].ID)
		must(t, err)
		_, err = f.svc.RecordPayment(acc, payables.PaymentInput{BillID: bills[i].ID, Amount: amount, PaidOn: daysFromToday(0)})
		must(t, err)
	}
	over := enter(f.bill(2, bl(ol, 500, "100"))) // more than received: an exception
	_, err := f.svc.RejectBill(f.as("manager"), over.ID, "not what was delivered")
	must(t, err)
	// Another supplier, in US dollars, with a freight charge (no order line: an exception).
	usd, err := f.buy.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-USD", Name: "Pacific Trims",
		Email: "ap@trims.example", Currency: "USD", Active: true, LeadTimeDays: 20,
		PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 30}})
	must(t, err)
	freight := payables.BillLineInput{Description: "Freight", Quantity: 1, UnitPrice: bl(0, 1, "120").UnitPrice}
	for _, days := range []int{5, 5, 3} {
		in := payables.BillInput{SupplierID: usd.ID, Number: "US-" + f.bill(0).Number, BillDate: daysFromToday(-days),
			Currency: "USD", TaxAmount: 600, Total: 12600, Lines: []payables.BillLineInput{freight}}
		enter(in)
	}

	// The expected order, straight from the table.
	var wantIDs []int64
	must(t, f.db.Select(&wantIDs, `SELECT id FROM supplier_bills ORDER BY bill_date DESC, id DESC`))
	ids := func(bs []payables.Bill) []int64 {
		out := make([]int64, len(bs))
		for i, b := range bs {
			out[i] = b.ID
		}
		return out
	}

	t.Run("pages cover every bill once, most recent first", func(t *testing.T) {
		for _, size := range []int{1, 2, 3, 50} {
			got, pages := allBills(t, f.svc, acc, payables.BillFilter{}, size)
			if !slices.Equal(ids(got), wantIDs) {
				t.Errorf("pages of %d: %v, want %v", size, ids(got), wantIDs)
			}
			if want := max(1, (len(wantIDs)+size-1)/size); pages != want {
				t.Errorf("pages of %d: %d pages, want %d", size, pages, want)
			}
		}
	})

	t.Run("the credit note names the bill it reduces", func(t *testing.T) {
		got, _ := allBills(t, f.svc, acc, payables.BillFilter{Kind: payables.KindCreditNote}, 10)
		if len(got) != 1 || got[0].ID != credit.ID || got[0].CreditsNumber != bills[0].Number {
			t.Errorf("credit notes %+v, want %s against %s", got, credit.Number, bills[0].Number)
		}
	})

	filters := []struct {
		name string
		f    payables.BillFilter
	}{
		{"all", payables.BillFilter{}},
		{"one supplier", payables.BillFilter{SupplierID: f.supplier.ID}},
		{"another supplier", payables.BillFilter{SupplierID: usd.ID}},
		{"bills only", payables.BillFilter{Kind: payables.KindBill}},
		{"credit notes", payables.BillFilter{Kind: payables.KindCreditNote}},
		{"supplier, bills, matched or part paid", payables.BillFilter{SupplierID: f.supplier.ID, Kind: payables.KindBill,
			Statuses: []payables.Status{payables.Matched, payables.PartiallyPaid}}},
		{"exceptions of every supplier", payables.BillFilter{Statuses: []payables.Status{payables.Exception}}},
		{"rejected", payables.BillFilter{Statuses: []payables.Status{payables.Rejected}}},
		{"paid", payables.BillFilter{Statuses: []payables.Status{payables.Paid}}},
		{"by number", payables.BillFilter{SupplierID: f.supplier.ID, Number: bills[3].Number}},
	}
	for _, tt := range filters {
		t.Run("filter "+tt.name, func(t *testing.T) {
			got, _ := allBills(t, f.svc, acc, tt.f, 2)
			// What the filter should select, from every bill.
			every, _ := allBills(t, f.svc, acc, payables.BillFilter{}, payables.MaxBillsPage)
			var want []payables.Bill
			for _, b := range every {
				if (tt.f.SupplierID == 0 || b.SupplierID == tt.f.SupplierID) && (tt.f.Kind == "" || b.Kind == tt.f.Kind) &&
					(len(tt.f.Statuses) == 0 || slices.Contains(tt.f.Statuses, b.Status)) &&
					(tt.f.Number == "" || b.Number == tt.f.Number) {
					want = append(want, b)
				}
			}
			if len(want) == 0 && tt.name != "credit notes" {
				t.Fatalf("the fixture has no bill for %s", tt.name)
			}
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("bills %v, want %v", ids(got), ids(want))
			}
			n, err := f.svc.CountBills(acc, tt.f)
			must(t, err)
			if n != len(want) {
				t.Errorf("count %d, want %d", n, len(want))
			}
			// The totals are Open() summed over every selected bill, per currency.
			var wantTotals []payables.OpenTotal
			for _, b := range want {
				open := b.Open()
				if open == 0 {
					continue
				}
				i := slices.IndexFunc(wantTotals, func(x payables.OpenTotal) bool { return x.Currency == b.Currency })
				if i < 0 {
					wantTotals = append(wantTotals, payables.OpenTotal{Currency: b.Currency})
					i = len(wantTotals) - 1
				}
				wantTotals[i].Amount += open
				wantTotals[i].Bills++
			}
			slices.SortFunc(wantTotals, func(a, b payables.OpenTotal) int { return strings.Compare(a.Currency, b.Currency) })
			totals, err := f.svc.OpenTotals(acc, tt.f)
			must(t, err)
			if !slices.Equal(totals, wantTotals) && !(len(totals) == 0 && len(wantTotals) == 0) {
				t.Errorf("open totals %+v, want %+v", totals, wantTotals)
			}
		})
	}

	t.Run("open totals follow credit notes, payments and rejections", func(t *testing.T) {
		totals, err := f.svc.OpenTotals(acc, payables.BillFilter{SupplierID: f.supplier.ID})
		must(t, err)
		// Every TWD bill in full, less the credit note, the part payment, the bill paid
		// and the one rejected.
		var want int64
		for _, b := range bills {
			want += b.Total
		}
		want -= credit.Total + 7000 + bills[2].Total
		if len(totals) != 1 || totals[0].Currency != "TWD" || totals[0].Amount != want || totals[0].Bills != len(bills)-1 {
			t.Errorf("open totals %+v, want TWD %d on %d bills", totals, want, len(bills)-1)
		}
	})

	t.Run("a page position the list did not give is refused", func(t *testing.T) {
		for _, after := range []string{"abc", "42", "2026-05-01", "2026-05-01.", "2026-13-01.4", "2026-5-1.4",
			"2026-05-01.0", "2026-05-01.-4", "2026-05-01.+4", "2026-05-01.04", "2026-05-01/4", "2026-05-01.4.5"} {
			_, err := f.svc.Bills(acc, payables.BillFilter{After: after})
			wantErr(t, err, "BAD_CURSOR", "after")
		}
		for _, first := range []int{-1, payables.MaxBillsPage + 1} {
			_, err := f.svc.Bills(acc, payables.BillFilter{First: first})
			wantErr(t, err, "", "first")
		}
		page, err := f.svc.Bills(acc, payables.BillFilter{})
		must(t, err)
		if len(page.Bills) != len(wantIDs) || page.Next != "" {
			t.Errorf("default page: %d bills, next %q; want all %d", len(page.Bills), page.Next, len(wantIDs))
		}
	})

	t.Run("accountants and managers only", func(t *testing.T) {
		for _, login := range []string{"buyer", "associate"} {
			_, err := f.svc.Bills(f.as(login), payables.BillFilter{})
			wantErr(t, err, "FORBIDDEN", "")
			_, err = f.svc.OpenTotals(f.as(login), payables.BillFilter{})
			wantErr(t, err, "FORBIDDEN", "")
			_, err = f.svc.CountBills(f.as(login), payables.BillFilter{})
			wantErr(t, err, "FORBIDDEN", "")
		}
	})
}
