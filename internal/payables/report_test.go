package payables_test

import (
	"testing"
	"time"

	"atrium/internal/payables"
)

func TestAging(t *testing.T) {
	f := newFixture(t)
	// Net 30: a bill dated d days ago is (d − 30) days past due.
	current := f.approvedBill(t, 10, 1)  // due in 20 days
	late15 := f.approvedBill(t, 45, 2)   // 15 days late
	late45 := f.approvedBill(t, 75, 3)   // 45 days late
	late75 := f.approvedBill(t, 105, 4)  // 75 days late
	late100 := f.approvedBill(t, 130, 5) // 100 days late
	_, err := f.svc.RecordPayment(f.as("accountant"), payables.PaymentInput{BillID: late100.ID, Amount: 100_00, PaidOn: daysFromToday(-1)})
	must(t, err)
	// Paid after the as-of date: still owed then.
	_, err = f.svc.RecordPayment(f.as("accountant"), payables.PaymentInput{BillID: late15.ID, Amount: 50_00, PaidOn: daysFromToday(1)})
	must(t, err)

	rows, err := f.svc.Aging(f.as("accountant"), daysFromToday(0))
	must(t, err)
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[0]
	want := payables.AgingRow{SupplierID: f.supplier.ID, SupplierCode: "SUP-AP", SupplierName: "Formosa Garments", Currency: "TWD",
		Current: current.Total, Days1To30: late15.Total, Days31To60: late45.Total, Days61To90: late75.Total,
		Over90: late100.Total - 100_00}
	want.Total = want.Current + want.Days1To30 + want.Days31To60 + want.Days61To90 + want.Over90
	if r != want {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	_, err = f.svc.Aging(f.as("buyer"), daysFromToday(0))
	wantErr(t, err, "FORBIDDEN", "")
}

func TestGRNI(t *testing.T) {
	f := newFixture(t)
	a, b := f.variant(t, "100"), f.variant(t, "12.5")
	o := f.order(t, ln(a, 10), ln(b, 8))
	f.receive(t, o, a, 6)
	f.receive(t, o, b, 8)
	_, err := f.svc.EnterBill(f.as("accountant"), f.bill(0, bl(lineOf(t, o, a), 4, "100")))
	must(t, err)
	rows, err := f.svc.GRNI(f.as("accountant"), daysFromToday(0))
	must(t, err)
	got := map[int64]payables.GRNIRow{}
	for _, r := range rows {
		if r.OrderID == o.ID {
			got[r.OrderLineID] = r
		}
	}
	tests := []struct {
		name                       string
		line                       int64
		received, billed, unbilled int
		amount                     int64
	}{
		{"partly billed", lineOf(t, o, a), 6, 4, 2, 200_00},
		{"not billed", lineOf(t, o, b), 8, 0, 8, 100_00},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := got[tt.line]
			if !ok {
				t.Fatalf("line missing from %+v", rows)
			}
			if r.Received != tt.received || r.Billed != tt.billed || r.Unbilled != tt.unbilled || r.Amount != tt.amount ||
				r.CompanyAmount != tt.amount || r.SupplierName != "Formosa Garments" {
				t.Errorf("%+v", r)
			}
		})
	}
	t.Run("total in the company currency", func(t *testing.T) {
		var want int64
		for _, r := range rows {
			want += r.CompanyAmount
		}
		if got := payables.GRNITotal(rows); got != want || got < 300_00 {
			t.Errorf("total %d, want %d", got, want)
		}
	})
	t.Run("fully billed lines drop out", func(t *testing.T) {
		_, err := f.svc.EnterBill(f.as("accountant"), f.bill(0, bl(lineOf(t, o, b), 8, "12.5")))
		must(t, err)
		rows, err := f.svc.GRNI(f.as("accountant"), daysFromToday(0))
		must(t, err)
		for _, r := range rows {
			if r.OrderLineID == lineOf(t, o, b) {
				t.Errorf("billed line still listed: %+v", r)
			}
		}
	})
}

func TestCashForecast(t *testing.T) {
	f := newFixture(t)
	overdue := f.approvedBill(t, 40, 1) // due 10 days ago: first week
	fresh := f.approvedBill(t, 0, 2)    // discount until day 10: counted then, discounted
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 3))
	pending, err := f.svc.EnterBill(f.as("accountant"), f.bill(25, bl(lineOf(t, o, v), 3, "100"))) // not received, due in 5 days
	must(t, err)
	from := daysFromToday(0)
	weeks, err := f.svc.CashForecast(f.as("accountant"), from, 4)
	must(t, err)
	var approved, pend int64
	for _, w := range weeks {
		approved += w.Approved
		pend += w.Pending
		if w.Start.Weekday() != time.Monday {
			t.Errorf("week starts on %s", w.Start.Weekday())
		}
	}
	if approved != overdue.Total+fresh.Total-fresh.DiscountAmount || pend != pending.Total {
		t.Errorf("approved %d pending %d in %+v", approved, pend, weeks)
	}
	if len(weeks) == 0 || weeks[0].Approved < overdue.Total {
		t.Errorf("overdue bill not in the first week: %+v", weeks)
	}
	_, err = f.svc.CashForecast(f.as("accountant"), from, 0)
	wantErr(t, err, "INVALID", "weeks")
}

func TestAgingTotals(t *testing.T) {
	rows := []payables.AgingRow{
		{SupplierCode: "A", Currency: "TWD", Current: 100, Days1To30: 10, Over90: 1, Total: 111},
		{SupplierCode: "B", Currency: "USD", Current: 5, Days61To90: 7, Total: 12},
		{SupplierCode: "C", Currency: "TWD", Days31To60: 20, Days61To90: 2, Total: 22},
	}
	got := payables.AgingTotals(rows)
	want := []payables.AgingRow{
		{Currency: "TWD", Current: 100, Days1To30: 10, Days31To60: 20, Days61To90: 2, Over90: 1, Total: 133},
		{Currency: "USD", Current: 5, Days61To90: 7, Total: 12},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		t.Run(want[i].Currency, func(t *testing.T) {
			if got[i] != want[i] {
				t.Errorf("got  %+v\nwant %+v", got[i], want[i])
			}
		})
	}
	if len(payables.AgingTotals(nil)) != 0 {
		t.Error("totals of nothing")
	}
}

func TestForecastTotals(t *testing.T) {
	mon := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	weeks := []payables.ForecastWeek{
		{Start: mon, Currency: "USD", Approved: 3},
		{Start: mon, Currency: "TWD", Approved: 100, Pending: 50},
		{Start: mon.AddDate(0, 0, 7), Currency: "TWD", Pending: 25},
	}
	got := payables.ForecastTotals(weeks)
	want := []payables.ForecastWeek{{Currency: "TWD", Approved: 100, Pending: 75}, {Currency: "USD", Approved: 3}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got[0].Total() != 175 {
		t.Errorf("total %d", got[0].Total())
	}
}

func TestWeekOf(t *testing.T) {
	tests := []struct {
		name string
		day  time.Time
		want string
	}{
		{"a monday is its own week", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), "2026-11-16"},
		{"a sunday belongs to the week before", time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC), "2026-11-16"},
		{"a wednesday across a month", time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), "2026-11-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := payables.WeekOf(tt.day).Format(time.DateOnly); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
