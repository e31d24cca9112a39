package purchasing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/notify"
	"atrium/internal/purchasing"
)

func TestQuotations(t *testing.T) {
	f := newFixture(t)
	tee, teeSKU := f.variant(t, f.apparel)
	mug, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "100", 6, 6)
	usd, err := f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-USD", Name: "Pacific Knits",
		Email: "quotes@pacific.example", Currency: "USD", PaymentTerms: purchasing.PaymentTerms{Days: 60}, Active: true})
	must(t, err)
	local, err := f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-LOC", Name: "Hsinchu Textiles",
		Currency: "TWD", PaymentTerms: purchasing.PaymentTerms{Days: 30}, Active: true})
	must(t, err)
	_, err = f.svc.SetExchangeRate(f.as("accountant"), "USD", decimal.NewFromInt(30))
	must(t, err)

	bad := []struct {
		name  string
		in    purchasing.RFQInput
		field string
	}{
		{"no suppliers", purchasing.RFQInput{LocationID: f.loc["WH-TAO"], Lines: []purchasing.RFQLineInput{{VariantID: tee, Quantity: 1}}}, "supplierIds"},
		{"same line twice", purchasing.RFQInput{LocationID: f.loc["WH-TAO"], SupplierIDs: []int64{usd.ID},
			Lines: []purchasing.RFQLineInput{{VariantID: tee, Quantity: 1}, {Code: teeSKU, Quantity: 2}}}, "lines.1.variantId"},
		{"no quantity", purchasing.RFQInput{LocationID: f.loc["WH-TAO"], SupplierIDs: []int64{usd.ID},
			Lines: []purchasing.RFQLineInput{{VariantID: tee}}}, "lines.0.quantity"},
		{"needed yesterday", purchasing.RFQInput{LocationID: f.loc["WH-TAO"], SupplierIDs: []int64{usd.ID}, NeededBy: date(-1),
			Lines: []purchasing.RFQLineInput{{VariantID: tee, Quantity: 1}}}, "neededBy"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CreateRFQ(f.as("buyer"), tt.in)
			wantErr(t, err, "", tt.field)
		})
	}

	r, err := f.svc.CreateRFQ(f.as("buyer"), purchasing.RFQInput{LocationID: f.loc["WH-TAO"], NeededBy: date(20),
		SupplierIDs: []int64{f.supplier.ID, usd.ID, local.ID},
		Lines:       []purchasing.RFQLineInput{{Code: teeSKU, Quantity: 24}, {VariantID: mug, Quantity: 10}}})
	must(t, err)
	if r.Status != purchasing.RFQOpen || len(r.Lines) != 2 || len(r.Suppliers) != 3 {
		t.Fatalf("got %+v", r)
	}

	t.Run("emailed to the suppliers with an address", func(t *testing.T) {
		ns, err := notify.ByReference(context.Background(), f.db, "RFQ:"+itoa(r.ID))
		must(t, err)
		got := recipients(ns)
		if len(got) != 2 || !strings.Contains(strings.Join(got, " "), "orders@formosa.example") ||
			!strings.Contains(strings.Join(got, " "), "quotes@pacific.example") {
			t.Errorf("RFQ sent to %v", got)
		}
		for _, n := range ns {
			if n.To == "orders@formosa.example" && !strings.Contains(n.Body, "S-"+itoa(tee)) {
				t.Errorf("the request does not give the supplier its own code:\n%s", n.Body)
			}
		}
	})

	quote := func(sup int64, lines ...purchasing.QuoteLineInput) error {
		_, err := f.svc.RecordQuote(f.as("buyer"), r.ID, purchasing.QuoteInput{SupplierID: sup, ValidUntil: date(30),
			LeadTimeDays: ptr(7), Lines: lines})
		return err
	}
	cost := decimal.RequireFromString
	t.Run("answers checked", func(t *testing.T) {
		other, err := f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-NOT", Name: "Not asked",
			Currency: "TWD", PaymentTerms: purchasing.PaymentTerms{Days: 30}, Active: true})
		must(t, err)
		wantErr(t, quote(other.ID, purchasing.QuoteLineInput{VariantID: tee, UnitCost: cost("1")}), "INVALID", "supplierId")
		stray, _ := f.variant(t, f.apparel)
		wantErr(t, quote(usd.ID, purchasing.QuoteLineInput{VariantID: stray, UnitCost: cost("1")}), "INVALID", "lines.0.variantId")
		wantErr(t, quote(usd.ID, purchasing.QuoteLineInput{VariantID: tee, UnitCost: cost("-1")}), "INVALID", "lines.0.unitCost")
	})

	must(t, quote(f.supplier.ID, purchasing.QuoteLineInput{VariantID: tee, UnitCost: cost("100")},
		purchasing.QuoteLineInput{VariantID: mug, UnitCost: cost("50")})) // 2,400 + 500 = NT$2,900
	must(t, quote(usd.ID, purchasing.QuoteLineInput{VariantID: tee, UnitCost: cost("3")})) // USD 3 = NT$90, no mug
	must(t, quote(local.ID, purchasing.QuoteLineInput{VariantID: tee, UnitCost: cost("110")},
		purchasing.QuoteLineInput{VariantID: mug, UnitCost: cost("60")}))
	// Entering an answer again replaces it: 24 × 95 + 10 × 60 = NT$2,880.
	must(t, quote(local.ID, purchasing.QuoteLineInput{VariantID: tee, UnitCost: cost("95")},
		purchasing.QuoteLineInput{VariantID: mug, Quantity: 10, UnitCost: cost("60")}))

	t.Run("compared side by side in the company currency", func(t *testing.T) {
		c, err := f.svc.CompareQuotes(f.as("manager"), r.ID)
		must(t, err)
		name := func(i int) string {
			if i < 0 {
				return "none"
			}
			return c.RFQ.Suppliers[i].Name
		}
		if got := name(c.Rows[0].Best); got != "Pacific Knits" {
			t.Errorf("best offer for the tee: %s, want Pacific Knits (USD 3 = NT$90)", got)
		}
		if got := name(c.Rows[1].Best); got != "Formosa Garments" {
			t.Errorf("best offer for the mug: %s, want Formosa Garments", got)
		}
		if got := name(c.Cheapest); got != "Hsinchu Textiles" {
			t.Errorf("cheapest complete answer: %s, want Hsinchu Textiles", got)
		}
		for _, tot := range c.Totals {
			switch tot.Name {
			case "Pacific Knits":
				if tot.Complete || tot.LinesQuoted != 1 || tot.Total != 7200 || tot.CompanyTotal == nil || *tot.CompanyTotal != 216000 {
					t.Errorf("Pacific Knits %+v", tot)
				}
			case "Hsinchu Textiles":
				if !tot.Complete || tot.Total != 288000 {
					t.Errorf("Hsinchu Textiles %+v", tot)
				}
			}
		}
	})

	t.Run("an expired answer is not awarded", func(t *testing.T) {
		_, err := f.db.Exec(`UPDATE quotations SET valid_until = current_date - 1 WHERE request_id = $1 AND supplier_id = $2`,
			r.ID, f.supplier.ID)
		must(t, err)
		_, err = f.svc.Award(f.as("buyer"), r.ID, f.supplier.ID, "")
		e := wantErr(t, err, "INVALID", "supplierId")
		if !strings.Contains(e.Message, "ask it again") {
			t.Errorf("message %q", e.Message)
		}
		c, err := f.svc.CompareQuotes(f.as("buyer"), r.ID)
		must(t, err)
		if got := c.RFQ.Suppliers[c.Rows[1].Best].Name; got != "Hsinchu Textiles" {
			t.Errorf("best mug offer %s once Formosa's answer expired", got)
		}
	})

	t.Run("the chosen answer becomes a draft order", func(t *testing.T) {
		o, err := f.svc.Award(f.as("buyer"), r.ID, local.ID, "cheapest complete answer")
		must(t, err)
		if o.Status != purchasing.Draft || o.SupplierID != local.ID || o.LocationID != f.loc["WH-TAO"] || len(o.Lines) != 2 ||
			o.Total() != 288000 || !o.ExpectedOn.Equal(*date(20)) || !strings.HasPrefix(o.Note, "From RFQ-") {
			t.Fatalf("order %+v", o)
		}
		got, err := f.svc.RFQ(f.as("buyer"), r.ID)
		must(t, err)
		if got.Status != purchasing.RFQAwarded || got.OrderID == nil || *got.OrderID != o.ID {
			t.Errorf("request %s, order %v", got.Status, got.OrderID)
		}
		_, err = f.svc.Award(f.as("buyer"), r.ID, usd.ID, "")
		wantErr(t, err, purchasing.ReasonRFQStatus, "")
		wantErr(t, quote(usd.ID, purchasing.QuoteLineInput{VariantID: tee, UnitCost: cost("2")}), purchasing.ReasonRFQStatus, "")
		// The order goes through approval like any other.
		_, err = f.svc.Submit(f.as("buyer"), o.ID, "")
		must(t, err)
	})

	t.Run("cancelled with a reason", func(t *testing.T) {
		r2, err := f.svc.CreateRFQ(f.as("buyer"), purchasing.RFQInput{LocationID: f.loc["TPE-01"], SupplierIDs: []int64{local.ID},
			Lines: []purchasing.RFQLineInput{{VariantID: mug, Quantity: 5}}})
		must(t, err)
		_, err = f.svc.CancelRFQ(f.as("buyer"), r2.ID, "")
		wantErr(t, err, "INVALID", "reason")
		r2, err = f.svc.CancelRFQ(f.as("buyer"), r2.ID, "bought elsewhere")
		must(t, err)
		if r2.Status != purchasing.RFQCancelled {
			t.Errorf("status %s", r2.Status)
		}
		open, err := f.svc.RFQs(f.as("buyer"), purchasing.RFQOpen)
		must(t, err)
		if len(open) != 0 {
			t.Errorf("%d open requests, want 0", len(open))
		}
	})
}
