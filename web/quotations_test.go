package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"atrium/internal/purchasing"
)

// rfqApp is the purchasing app with a second supplier and the SKU of the priced variant.
type rfqApp struct {
	purchasingApp
	other purchasing.Supplier
	sku   string
}

func newRFQApp(t *testing.T) rfqApp {
	t.Helper()
	a := newPurchasingApp(t)
	other, err := a.svc.CreateSupplier(staffContext(t, a.app, "buyer"), purchasing.SupplierInput{Code: "SUP-HSZ",
		Name: "Hsinchu Textiles", Currency: "TWD", PaymentTerms: purchasing.PaymentTerms{Days: 30}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	var sku string
	if err := a.db.Get(&sku, `SELECT sku FROM variants WHERE id = $1`, a.variant); err != nil {
		t.Fatal(err)
	}
	return rfqApp{purchasingApp: a, other: other, sku: sku}
}

// rfqForm is the new request form asking sups for lines (code, quantity pairs).
func (p rfqApp) rfqForm(sups []int64, lines ...string) url.Values {
	f := url.Values{"locationId": {strconv.FormatInt(locationID(p.t, p.app, "WH-TAO"), 10)}}
	for _, id := range sups {
		f.Add("supplierId", strconv.FormatInt(id, 10))
	}
	for i := 0; i+1 < len(lines); i += 2 {
		f.Add("line_code", lines[i])
		f.Add("line_qty", lines[i+1])
	}
	return f
}

// rfqIDOf is the request a response redirected to.
func rfqIDOf(t *testing.T, res *response) int64 {
	t.Helper()
	res.wantRedirect("/admin/purchasing/quotations/*")
	id, err := strconv.ParseInt(strings.TrimPrefix(res.Header.Get("Location"), "/admin/purchasing/quotations/"), 10, 64)
	if err != nil {
		t.Fatalf("redirect %q", res.Header.Get("Location"))
	}
	return id
}

func TestRFQCreate(t *testing.T) {
	t.Parallel()
	p := newRFQApp(t)
	c := p.signedIn("buyer")

	t.Run("the new request page lists the active suppliers and a blank line", func(t *testing.T) {
		page := c.get("/admin/purchasing/quotations/new").wantStatus(http.StatusOK)
		if got := page.byID("rfq-suppliers"); !strings.Contains(got, "Formosa Garments") || !strings.Contains(got, "Hsinchu Textiles") ||
			!strings.Contains(got, "no email address") {
			t.Errorf("suppliers %q", got)
		}
		if !page.hasID("rfq-line-code-0") {
			t.Error("no blank line")
		}
	})
	t.Run("a code is looked up as it is typed", func(t *testing.T) {
		row := c.get(quotationLineURL + "?line_index=2&line_code=" + url.QueryEscape(p.sku) + "&line_qty=5").wantStatus(http.StatusOK).inTable()
		if !row.hasID("rfq-line-2") || !strings.Contains(row.Body, p.sku) || strings.Contains(row.Body, "field-error") {
			t.Errorf("lookup %s", row.Body)
		}
		row = c.get(quotationLineURL + "?line_index=0&line_code=NOPE-1").wantStatus(http.StatusOK)
		row.wantContains("no variant has the SKU or barcode NOPE-1")
		row = c.get(quotationLineURL + "?line_index=0&line_index=3").wantStatus(http.StatusOK).inTable()
		if !row.hasID("rfq-line-4") {
			t.Errorf("new line %s", row.Body)
		}
	})
	t.Run("mistakes are shown beside what was typed", func(t *testing.T) {
		res := c.post(quotationsURL, p.rfqForm(nil, p.sku, "", "NOPE-1", "3")).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("rfq-suppliers"); !strings.Contains(got, "choose the suppliers to ask") {
			t.Errorf("suppliers error %q", got)
		}
		if got := res.byID("rfq-line-0"); !strings.Contains(got, "enter a whole number") {
			t.Errorf("line 0 %q", got)
		}
		if got := res.byID("rfq-line-1"); !strings.Contains(got, "no variant has the SKU or barcode") {
			t.Errorf("line 1 %q", got)
		}
		if got := res.values("line_code"); len(got) != 2 || got[1] != "NOPE-1" {
			t.Errorf("codes kept %q", got)
		}
	})
	t.Run("a past date and a zero quantity are refused", func(t *testing.T) {
		f := p.rfqForm([]int64{p.supplier.ID}, p.sku, "0")
		f.Set("neededBy", "2001-01-01")
		res := c.post(quotationsURL, f).wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("2001-01-01 is in the past", "enter how many units of "+p.sku)
	})
	t.Run("without JavaScript a line is added", func(t *testing.T) {
		f := p.rfqForm(nil, p.sku, "4")
		f.Set("op", "add-line")
		res := c.post(quotationsURL, f).wantStatus(http.StatusOK)
		if got := res.values("line_code"); len(got) != 2 || got[0] != p.sku {
			t.Errorf("lines %q", got)
		}
	})
	t.Run("a request is created and emailed to the suppliers with an address", func(t *testing.T) {
		res := c.post(quotationsURL, p.rfqForm([]int64{p.supplier.ID, p.other.ID}, p.sku, "20"))
		id := rfqIDOf(t, res)
		page := c.get(quotationURL(id)).wantStatus(http.StatusOK)
		page.wantContains("Request for quotation created")
		if !page.hasID("quote-"+strconv.FormatInt(p.other.ID, 10)) || !page.hasID("nothing-to-award") || !page.hasID("cancel-rfq") {
			t.Error("the request page lacks its forms")
		}
		var mails int
		if err := p.db.Get(&mails, `SELECT count(*) FROM notifications WHERE kind = 'QUOTATION_REQUEST' AND reference = $1`,
			"RFQ:"+strconv.FormatInt(id, 10)); err != nil {
			t.Fatal(err)
		}
		if mails != 1 {
			t.Errorf("%d emails, want 1 (Hsinchu Textiles has no address)", mails)
		}
	})
	t.Run("staff who do not buy cannot open the form", func(t *testing.T) {
		p.signedIn("accountant").get("/admin/purchasing/quotations/new").wantStatus(http.StatusForbidden)
		list := p.signedIn("accountant").get(quotationsURL).wantStatus(http.StatusOK)
		if list.hasID("new-rfq") {
			t.Error("the accountant is offered a new request")
		}
	})
}

func TestRFQAnswerAwardCancel(t *testing.T) {
	t.Parallel()
	p := newRFQApp(t)
	c := p.signedIn("buyer")
	id := rfqIDOf(t, c.post(quotationsURL, p.rfqForm([]int64{p.supplier.ID, p.other.ID}, p.sku, "20")))
	vid := strconv.FormatInt(p.variant, 10)
	answer := func(sup int64, cost, qty, lead string) url.Values {
		return url.Values{"supplierId": {strconv.FormatInt(sup, 10)}, "cost_" + vid: {cost}, "qty_" + vid: {qty},
			"leadTimeDays": {lead}}
	}
	quotes := quotationURL(id) + "/quotes"
	form := func(sup int64) string { return "quote-" + strconv.FormatInt(sup, 10) }

	t.Run("a cost that is not a number is shown in that supplier's form", func(t *testing.T) {
		res := c.post(quotes, answer(p.other.ID, "abc", "", "400")).wantStatus(http.StatusUnprocessableEntity)
		got := res.byID(form(p.other.ID))
		if !strings.Contains(got, "enter a cost such as") {
			t.Errorf("answer form %q", got)
		}
		if v := res.values("cost_" + vid); len(v) != 2 || v[1] != "abc" {
			// Suppliers are shown by name: Formosa first, then Hsinchu.
			t.Errorf("typed costs %q", v)
		}
		if strings.Contains(res.byID(form(p.supplier.ID)), "field-error") {
			t.Error("the other supplier's form shows the error too")
		}
	})
	t.Run("the service's checks are shown inline", func(t *testing.T) {
		res := c.post(quotes, answer(p.other.ID, "100", "", "400")).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID(form(p.other.ID)); !strings.Contains(got, "the lead time is between 0 and 365 days") {
			t.Errorf("answer form %q", got)
		}
		res = c.post(quotes, answer(p.other.ID, "", "", "")).wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("enter the price of at least one line")
	})
	t.Run("two answers are compared with the best offer marked", func(t *testing.T) {
		c.post(quotes, answer(p.supplier.ID, "120", "", "10")).wantRedirect(quotationURL(id) + "#comparison")
		c.post(quotes, answer(p.other.ID, "99.5", "24", "14")).wantRedirect(quotationURL(id) + "#comparison")
		page := c.get(quotationURL(id)).wantStatus(http.StatusOK)
		if got := page.byID("comparison"); !strings.Contains(got, "24 × NT$99.50 NT$2,388 best") ||
			!strings.Contains(got, "20 × NT$120 NT$2,400") {
			t.Errorf("comparison %q", got)
		}
		if got := page.byID("answer-" + strconv.FormatInt(p.other.ID, 10)); !strings.Contains(got, "cheapest complete answer") {
			t.Errorf("totals %q", got)
		}
		if got := page.values("leadTimeDays"); len(got) != 2 || got[0] != "10" || got[1] != "14" {
			t.Errorf("answers shown for correction %q", got)
		}
	})
	t.Run("an award needs an answer chosen", func(t *testing.T) {
		res := c.post(quotationURL(id)+"/award", url.Values{}).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("award"); !strings.Contains(got, "choose the answer to award") {
			t.Errorf("award %q", got)
		}
	})
	t.Run("a cancellation needs a reason", func(t *testing.T) {
		res := c.post(quotationURL(id)+"/cancel", url.Values{"reason": {" "}}).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("cancel-rfq"); !strings.Contains(got, "say why the request is cancelled") {
			t.Errorf("cancel %q", got)
		}
	})
	var order int64
	t.Run("the chosen answer becomes a draft purchase order", func(t *testing.T) {
		res := c.post(quotationURL(id)+"/award", url.Values{"supplierId": {strconv.FormatInt(p.other.ID, 10)}, "comment": {"best price"}})
		order = orderIDOf(t, res)
		o, err := p.svc.Order(staffContext(t, p.app, "buyer"), order)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != purchasing.Draft || o.SupplierID != p.other.ID || len(o.Lines) != 1 || o.Lines[0].Quantity != 24 {
			t.Errorf("order %+v", o.Order)
		}
		c.get(purchaseOrderURL(order)).wantStatus(http.StatusOK).wantContains("Awarded: this draft purchase order")
		page := c.get(quotationURL(id)).wantStatus(http.StatusOK)
		if got := page.byID("rfq-order"); !strings.Contains(got, purchasing.OrderNumber(order)) {
			t.Errorf("link to the order %q", got)
		}
		if page.hasID("award-form") || page.hasID("enter-answers") {
			t.Error("an awarded request still offers its actions")
		}
	})
	t.Run("the same award sent again lands on the same order", func(t *testing.T) {
		c.post(quotationURL(id)+"/award", url.Values{"supplierId": {strconv.FormatInt(p.other.ID, 10)}}).
			wantRedirect(purchaseOrderURL(order))
	})
	t.Run("a closed request refuses another award with the reason", func(t *testing.T) {
		res := c.post(quotationURL(id)+"/award", url.Values{"supplierId": {strconv.FormatInt(p.supplier.ID, 10)}}).
			wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("only an OPEN request can be awarded")
	})
	t.Run("an open request is cancelled with its reason", func(t *testing.T) {
		other := rfqIDOf(t, c.post(quotationsURL, p.rfqForm([]int64{p.supplier.ID}, p.sku, "5")))
		c.post(quotationURL(other)+"/cancel", url.Values{"reason": {"bought elsewhere"}}).wantRedirect(quotationURL(other))
		page := c.get(quotationURL(other)).wantStatus(http.StatusOK)
		page.wantContains("Request cancelled", "CANCELLED")
		list := c.get(quotationsURL).wantStatus(http.StatusOK)
		if got := list.byID("closed-requests"); !strings.Contains(got, purchasing.RFQ{ID: other}.Number()) {
			t.Errorf("closed %q", got)
		}
	})
	t.Run("an accountant sees the comparison but cannot act", func(t *testing.T) {
		acc := p.signedIn("accountant")
		acc.post(quotationURL(id)+"/cancel", url.Values{"reason": {"x"}}).wantStatus(http.StatusForbidden)
	})
}
