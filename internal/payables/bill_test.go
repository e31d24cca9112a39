package payables_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/payables"
	"atrium/internal/purchasing"
)

func TestMatch(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		received int // of 10 ordered at 100
		line     func(ol int64) payables.BillLineInput
		edit     func(in *payables.BillInput)
		status   payables.Status
		reasons  []string
	}{
		{"exact", 10, func(ol int64) payables.BillLineInput { return bl(ol, 10, "100") }, nil, payables.Matched, nil},
		{"price within tolerance", 10, func(ol int64) payables.BillLineInput { return bl(ol, 10, "100.5") }, nil, payables.Matched, nil},
		{"price variance", 10, func(ol int64) payables.BillLineInput { return bl(ol, 10, "110") }, nil,
			payables.Exception, []string{"PRICE_VARIANCE"}},
		{"over-billed", 10, func(ol int64) payables.BillLineInput { return bl(ol, 12, "100") }, nil,
			payables.Exception, []string{"OVER_BILLED_QUANTITY"}},
		{"partial receipt billed as received", 4, func(ol int64) payables.BillLineInput { return bl(ol, 4, "100") }, nil, payables.Matched, nil},
		{"partial receipt billed in full", 4, func(ol int64) payables.BillLineInput { return bl(ol, 10, "100") }, nil,
			payables.Exception, []string{"OVER_BILLED_QUANTITY"}},
		{"no receipt", 0, func(ol int64) payables.BillLineInput { return bl(ol, 10, "100") }, nil,
			payables.Exception, []string{"NOT_RECEIVED"}},
		{"no order line", 10, func(ol int64) payables.BillLineInput {
			l := bl(0, 1, "300")
			l.Description = "Freight"
			return l
		}, nil, payables.Exception, []string{"NO_ORDER_LINE"}},
		{"total mismatch", 10, func(ol int64) payables.BillLineInput { return bl(ol, 10, "100") },
			func(in *payables.BillInput) { in.Total += 5000 }, payables.Exception, []string{"TOTAL_MISMATCH"}},
		{"tax mismatch", 10, func(ol int64) payables.BillLineInput { return bl(ol, 10, "100") },
			func(in *payables.BillInput) { in.Total -= in.TaxAmount; in.TaxAmount = 0 }, payables.Exception, []string{"TAX_MISMATCH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := f.variant(t, "100")
			o := f.order(t, ln(v, 10))
			if tt.received > 0 {
				f.receive(t, o, v, tt.received)
			}
			in := f.bill(3, tt.line(lineOf(t, o, v)))
			if tt.edit != nil {
				tt.edit(&in)
			}
			b, err := f.svc.EnterBill(f.as("accountant"), in)
			must(t, err)
			if b.Status != tt.status {
				t.Errorf("status %s, want %s (exceptions %v)", b.Status, tt.status, b.Exceptions)
			}
			got := slices.Clone([]string(b.Exceptions))
			slices.Sort(got)
			want := slices.Clone(tt.reasons)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("exceptions %v, want %v", got, want)
			}
		})
	}

	t.Run("second bill for the same goods is over-billed", func(t *testing.T) {
		v := f.variant(t, "100")
		o := f.order(t, ln(v, 10))
		f.receive(t, o, v, 10)
		first, err := f.svc.EnterBill(f.as("accountant"), f.bill(2, bl(lineOf(t, o, v), 10, "100")))
		must(t, err)
		second, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, o, v), 10, "100")))
		must(t, err)
		if first.Status != payables.Matched || second.Status != payables.Exception ||
			!slices.Contains(second.Exceptions, "OVER_BILLED_QUANTITY") {
			t.Errorf("first %s %v, second %s %v", first.Status, first.Exceptions, second.Status, second.Exceptions)
		}
		// Rejecting the duplicate frees nothing the first needed and leaves it matched.
		_, err = f.svc.RejectBill(f.as("accountant"), second.ID, "duplicate of "+first.Number)
		must(t, err)
	})

	t.Run("rematch after a late receipt", func(t *testing.T) {
		v := f.variant(t, "100")
		o := f.order(t, ln(v, 10))
		b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, o, v), 6, "100")))
		must(t, err)
		if b.Status != payables.Exception {
			t.Fatalf("before receipt: %s", b.Status)
		}
		f.receive(t, o, v, 6)
		bs, err := f.svc.RematchOrder(system, o.ID)
		must(t, err)
		if len(bs) != 1 || bs[0].Status != payables.Matched || len(bs[0].Exceptions) != 0 {
			t.Errorf("after receipt: %+v", bs)
		}
	})

	t.Run("tolerances are settings", func(t *testing.T) {
		st, err := f.svc.Settings(f.as("accountant"))
		must(t, err)
		_, err = f.svc.SetSettings(f.as("accountant"), st)
		wantErr(t, err, "FORBIDDEN", "")
		bad := st
		bad.PriceTolerancePct = bad.PriceTolerancePct.Neg()
		_, err = f.svc.SetSettings(f.as("manager"), bad)
		wantErr(t, err, "INVALID", "priceTolerancePct")

		v := f.variant(t, "100")
		o := f.order(t, ln(v, 10))
		f.receive(t, o, v, 10)
		b, err := f.svc.EnterBill(f.as("accountant"), f.bill(1, bl(lineOf(t, o, v), 10, "110")))
		must(t, err)
		wide := st
		wide.PriceTolerancePct = decimal.NewFromInt(15)
		wide.PriceToleranceAmount = 20000
		_, err = f.svc.SetSettings(f.as("manager"), wide)
		must(t, err)
		b, err = f.svc.Rematch(f.as("accountant"), b.ID)
		must(t, err)
		if b.Status != payables.Matched {
			t.Errorf("with 10%%+ and NT$200 tolerance: %s %v", b.Status, b.Exceptions)
		}
		_, err = f.svc.SetSettings(f.as("manager"), st)
		must(t, err)
	})
}

func TestEnterBill(t *testing.T) {
	f := newFixture(t)
	v := f.variant(t, "100")
	o := f.order(t, ln(v, 10))
	f.receive(t, o, v, 10)
	ol := lineOf(t, o, v)

	t.Run("duplicate number", func(t *testing.T) {
		in := f.bill(1, bl(ol, 2, "100"))
		_, err := f.svc.EnterBill(f.as("accountant"), in)
		must(t, err)
		in.Number = " " + strings.ToLower(in.Number) + " "
		_, err = f.svc.EnterBill(f.as("accountant"), in)
		e := wantErr(t, err, "DUPLICATE", "number")
		if !strings.Contains(e.Message, "already entered") {
			t.Errorf("message %q", e.Message)
		}
		// The one already entered is found by the number as typed.
		page, err := f.svc.Bills(f.as("accountant"), payables.BillFilter{SupplierID: f.supplier.ID, Number: in.Number})
		must(t, err)
		if found := page.Bills; len(found) != 1 || !strings.EqualFold(found[0].Number, strings.TrimSpace(in.Number)) {
			t.Errorf("bills numbered %q: %+v", in.Number, found)
		}
	})

	bad := []struct {
		name, field, hint string
		edit              func(in *payables.BillInput)
	}{
		{"no number", "number", "bill number", func(in *payables.BillInput) { in.Number = " " }},
		{"wrong currency", "currency", "bills in TWD", func(in *payables.BillInput) { in.Currency = "USD" }},
		{"future date", "billDate", "future", func(in *payables.BillInput) { in.BillDate = daysFromToday(10) }},
		{"no lines", "lines", "at least one line", func(in *payables.BillInput) { in.Lines = nil }},
		{"zero quantity", "lines.0.quantity", "1 or more", func(in *payables.BillInput) { in.Lines[0].Quantity = 0 }},
		{"unknown order line", "lines.0.orderLineId", "no order line", func(in *payables.BillInput) { in.Lines[0].OrderLineID = 999999 }},
		{"charge without description", "lines.0.description", "Freight", func(in *payables.BillInput) { in.Lines[0].OrderLineID = 0 }},
		{"zero total", "total", "more than 0", func(in *payables.BillInput) { in.Total = 0 }},
		{"unknown credited bill", "creditsBillId", "no bill", func(in *payables.BillInput) { in.CreditsBillID = 999999 }},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			in := f.bill(1, bl(ol, 1, "100"))
			tt.edit(&in)
			_, err := f.svc.EnterBill(f.as("accountant"), in)
			e := wantErr(t, err, "INVALID", tt.field)
			if !strings.Contains(e.Message, tt.hint) {
				t.Errorf("message %q does not say %q", e.Message, tt.hint)
			}
		})
	}

	t.Run("roles", func(t *testing.T) {
		for _, who := range []string{"buyer", "associate"} {
			_, err := f.svc.EnterBill(f.as(who), f.bill(1, bl(ol, 1, "100")))
			wantErr(t, err, "FORBIDDEN", "")
		}
	})
}

// TestForeignCurrencyTolerances matches a USD bill with the absolute tolerances, set in
// NT$, converted at the exchange rate: NT$100 at 32 NT$ per dollar lets a line differ by
// USD 3.12 (with 1% of USD 500 = USD 5 the percentage does not bind), not by USD 100.
func TestForeignCurrencyTolerances(t *testing.T) {
	f := newFixture(t)
	_, err := f.buy.SetExchangeRate(f.as("accountant"), "USD", decimal.NewFromInt(32))
	must(t, err)
	f.supplier, err = f.buy.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-US", Name: "Pacific Trading",
		Email: "ap@pacific.example", Currency: "USD", Active: true, LeadTimeDays: 30,
		PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 45}})
	must(t, err)
	v := f.variant(t, "500")
	o := f.order(t, ln(v, 1))
	f.receive(t, o, v, 1)
	st, err := f.svc.Settings(f.as("accountant"))
	must(t, err)
	if st.PriceToleranceAmount != 10000 || !st.PriceTolerancePct.Equal(decimal.NewFromInt(1)) {
		t.Fatalf("default tolerances %+v, want 1%% and NT$100", st)
	}
	for _, tt := range []struct {
		price string
		want  payables.Status
	}{
		{"503.12", payables.Matched},
		{"503.13", payables.Exception},
	} {
		in := f.bill(1, bl(lineOf(t, o, v), 1, tt.price))
		in.Currency = "USD"
		b, err := f.svc.EnterBill(f.as("accountant"), in)
		must(t, err)
		if b.Status != tt.want {
			t.Errorf("USD %s against USD 500: %s %v, want %s", tt.price, b.Status, b.Exceptions, tt.want)
		}
		c, err := f.svc.Compare(f.as("accountant"), b.ID)
		must(t, err)
		if c.Settings.PriceToleranceAmount != 312 || c.Settings.TotalToleranceAmount != 3 {
			t.Errorf("workbench tolerances %d and %d cents, want 312 and 3 (NT$100 and NT$1 at 32)",
				c.Settings.PriceToleranceAmount, c.Settings.TotalToleranceAmount)
		}
		// Reject it, so the next bill is not over-billed by this one.
		_, err = f.svc.RejectBill(f.as("accountant"), b.ID, "test case done")
		must(t, err)
	}
}
