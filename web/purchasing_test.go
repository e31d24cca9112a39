package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/purchasing"
	"atrium/internal/testdb"
)

// purchasingApp is the back office with the purchasing pages, a supplier, and three orders
// by the demo buyer to WH-TAO: a draft, one waiting for approval and one approved.
type purchasingApp struct {
	*app
	svc                        *purchasing.Service
	supplier                   purchasing.Supplier
	variant                    int64
	draft, submitted, approved purchasing.Order
}

func newPurchasingApp(t *testing.T) purchasingApp {
	t.Helper()
	db := testdb.NewDemo(t)
	a := newAppWith(t, db, testDeps(db))
	as := func(login string) context.Context { return staffContext(t, a, login) }
	svc := a.deps.Purchasing
	sup, err := svc.CreateSupplier(as("buyer"), purchasing.SupplierInput{Code: "SUP-TEE", Name: "Formosa Garments",
		Email: "orders@formosa.example", Currency: "TWD", PaymentTerms: purchasing.PaymentTerms{Days: 30}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	var variant int64
	if err := db.Get(&variant, `SELECT id FROM variants ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetSupplierItem(as("buyer"), purchasing.SupplierItemInput{SupplierID: sup.ID, VariantID: variant,
		SupplierSKU: "FG-100", UnitCost: decimal.RequireFromString("120.5"), PackSize: 1, Active: true}); err != nil {
		t.Fatal(err)
	}
	wh := locationID(t, a, "WH-TAO")
	create := func() purchasing.Order {
		o, err := svc.CreateOrder(as("buyer"), purchasing.OrderInput{SupplierID: sup.ID, LocationID: wh,
			Lines: []purchasing.LineInput{{VariantID: variant, Quantity: 10}}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	p := purchasingApp{app: a, svc: svc, supplier: sup, variant: variant, draft: create(), submitted: create(), approved: create()}
	for _, id := range []int64{p.submitted.ID, p.approved.ID} {
		if _, err := svc.Submit(as("buyer"), id, ""); err != nil {
			t.Fatal(err)
		}
	}
	if p.approved, err = svc.Approve(as("manager"), p.approved.ID, "looks right"); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPurchaseOrderPages(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)

	t.Run("list with what waits for the manager", func(t *testing.T) {
		res := a.signedIn("manager").get("/admin/purchasing/orders").wantStatus(http.StatusOK)
		waiting := res.byID("waiting")
		if !strings.Contains(waiting, a.submitted.Number()) || strings.Contains(waiting, a.approved.Number()) {
			t.Errorf("waiting for approval: %q", waiting)
		}
		results := res.byID("purchase-order-results")
		for _, o := range []purchasing.Order{a.draft, a.submitted, a.approved} {
			if !strings.Contains(results, o.Number()) {
				t.Errorf("list lacks %s: %q", o.Number(), results)
			}
		}
		if !strings.Contains(results, "NT$1,205") || !strings.Contains(results, "Waiting for approval") {
			t.Errorf("list lacks totals or statuses: %q", results)
		}
	})

	t.Run("the author has nothing waiting", func(t *testing.T) {
		res := a.signedIn("buyer").get("/admin/purchasing/orders").wantStatus(http.StatusOK)
		if res.hasID("waiting") {
			t.Errorf("the buyer sees their own order as waiting for them")
		}
	})

	t.Run("filtered by status", func(t *testing.T) {
		res := a.signedIn("buyer").get("/admin/purchasing/orders?status=APPROVED").wantStatus(http.StatusOK)
		results := res.byID("purchase-order-results")
		if !strings.Contains(results, a.approved.Number()) || strings.Contains(results, a.draft.Number()) {
			t.Errorf("APPROVED filter: %q", results)
		}
	})

	t.Run("order page", func(t *testing.T) {
		res := a.signedIn("accountant").get("/admin/purchasing/orders/" + strconv.FormatInt(a.approved.ID, 10)).wantStatus(http.StatusOK)
		if got := res.byID("order-facts"); !strings.Contains(got, "Formosa Garments") || !strings.Contains(got, "WH-TAO") {
			t.Errorf("facts %q", got)
		}
		if got := res.byID("lines"); !strings.Contains(got, "FG-100") || !strings.Contains(got, "NT$120.50") {
			t.Errorf("lines %q", got)
		}
		if got := res.byID("approvals"); !strings.Contains(got, "Grace Lin") {
			t.Errorf("approvals %q", got)
		}
		history := res.byID("history")
		for _, want := range []string{"Written", "Submitted for approval", "Approved level 1", "looks right", "manager"} {
			if !strings.Contains(history, want) {
				t.Errorf("history lacks %q: %q", want, history)
			}
		}
	})

	t.Run("PDF", func(t *testing.T) {
		res := a.signedIn("buyer").get("/admin/purchasing/orders/" + strconv.FormatInt(a.approved.ID, 10) + "/pdf").wantStatus(http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "application/pdf" || !bytes.HasPrefix([]byte(res.Body), []byte("%PDF-")) {
			t.Errorf("content type %q, body starts %q", ct, res.Body[:min(10, len(res.Body))])
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, a.approved.Number()+".pdf") {
			t.Errorf("content disposition %q", cd)
		}
	})

	t.Run("not for associates, and unknown orders are not found", func(t *testing.T) {
		a.signedIn("associate").get("/admin/purchasing/orders").wantStatus(http.StatusForbidden)
		a.signedIn("buyer").get("/admin/purchasing/orders/999999").wantStatus(http.StatusNotFound)
	})
}

func TestQuotationPages(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	buyer := staffContext(t, a.app, "buyer")
	other, err := a.svc.CreateSupplier(buyer, purchasing.SupplierInput{Code: "SUP-HSZ", Name: "Hsinchu Textiles",
		Currency: "TWD", PaymentTerms: purchasing.PaymentTerms{Days: 30}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.svc.CreateRFQ(buyer, purchasing.RFQInput{LocationID: locationID(t, a.app, "TPE-01"),
		SupplierIDs: []int64{a.supplier.ID, other.ID}, Lines: []purchasing.RFQLineInput{{VariantID: a.variant, Quantity: 20}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.RecordQuote(buyer, r.ID, purchasing.QuoteInput{SupplierID: other.ID, LeadTimeDays: new(12),
		Lines: []purchasing.QuoteLineInput{{VariantID: a.variant, UnitCost: decimal.RequireFromString("110")}}}); err != nil {
		t.Fatal(err)
	}
	c := a.signedIn("buyer")

	list := c.get("/admin/purchasing/quotations").wantStatus(http.StatusOK)
	if got := list.byID("open-requests"); !strings.Contains(got, r.Number()) || !strings.Contains(got, "1 of 2") {
		t.Errorf("open requests %q", got)
	}
	page := c.get("/admin/purchasing/quotations/" + strconv.FormatInt(r.ID, 10)).wantStatus(http.StatusOK)
	if got := page.byID("comparison"); !strings.Contains(got, "20 × NT$110 NT$2,200 best") || !strings.Contains(got, "not quoted") {
		t.Errorf("comparison %q", got)
	}
	if got := page.byID("totals"); !strings.Contains(got, "Hsinchu Textiles cheapest complete answer") ||
		!strings.Contains(got, "12 days") || !strings.Contains(got, "no answer yet") {
		t.Errorf("totals %q", got)
	}
}
