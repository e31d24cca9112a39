package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"atrium/internal/purchasing"
)

// orderForm is the editor's form for one or more lines (code, quantity, cost triples).
func (p purchasingApp) orderForm(action string, lines ...string) url.Values {
	f := url.Values{"supplierId": {strconv.FormatInt(p.supplier.ID, 10)},
		"locationId": {strconv.FormatInt(locationID(p.t, p.app, "WH-TAO"), 10)}, "action": {action}}
	for i := 0; i+2 < len(lines); i += 3 {
		f.Add("line_code", lines[i])
		f.Add("line_qty", lines[i+1])
		f.Add("line_cost", lines[i+2])
	}
	return f
}

// status is order id's status now.
func (p purchasingApp) status(id int64) purchasing.Status {
	p.t.Helper()
	d, err := p.svc.Order(system(), id)
	if err != nil {
		p.t.Fatal(err)
	}
	return d.Status
}

// inTable is an HTMX response of table rows, put in a table to be read.
func (r *response) inTable() *response {
	r.t.Helper()
	if strings.Contains(r.Body, "<html") {
		r.t.Fatalf("a whole page, not rows:\n%s", r.Body)
	}
	return &response{t: r.t, Status: r.Status, Header: r.Header, Body: `<table><tbody>` + r.Body + `</tbody></table>`}
}

// orderIDOf is the order a redirect points at.
func orderIDOf(t *testing.T, res *response) int64 {
	t.Helper()
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/admin/purchasing/orders/"), 10, 64)
	if err != nil {
		t.Fatalf("redirect to %q, not an order", loc)
	}
	return id
}

func TestPurchaseOrderEditor(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	buyer := a.signedIn("buyer")
	sid := strconv.FormatInt(a.supplier.ID, 10)

	t.Run("new order page", func(t *testing.T) {
		res := buyer.get("/admin/purchasing/orders/new").wantStatus(http.StatusOK)
		res.wantContains("Formosa Garments (SUP-TEE, TWD)", `id="po-line-0"`, `id="po-totals"`)
		if got := res.values("line_code"); len(got) != 1 {
			t.Errorf("line codes %v, want one blank line", got)
		}
	})

	t.Run("a supplier code is looked up with the supplier's cost and terms", func(t *testing.T) {
		res := buyer.get("/admin/purchasing/orders/line?supplierId="+sid+"&line_index=2&line_code=FG-100&line_qty=10&line_cost=",
			"HX-Request", "true").wantStatus(http.StatusOK).inTable()
		row := res.byID("po-line-2")
		for _, want := range []string{"supplier code FG-100", "NT$120.50 a unit", "NT$1,205"} {
			if !strings.Contains(row, want) {
				t.Errorf("row lacks %q: %q", want, row)
			}
		}
		if got := attr(res.inputs("line_cost")[0], "placeholder"); got != "120.5" {
			t.Errorf("cost placeholder %q, want the price list's", got)
		}
	})

	t.Run("without a supplier the variant is named and the supplier asked for", func(t *testing.T) {
		var sku string
		if err := a.db.Get(&sku, `SELECT sku FROM variants WHERE id = $1`, a.variant); err != nil {
			t.Fatal(err)
		}
		res := buyer.get("/admin/purchasing/orders/line?line_index=0&line_code="+sku, "HX-Request", "true").wantStatus(http.StatusOK)
		res.wantContains("Choose the supplier to see its code and cost.", sku)
	})

	t.Run("an unknown code is an error on its line", func(t *testing.T) {
		res := buyer.get("/admin/purchasing/orders/line?supplierId="+sid+"&line_index=1&line_code=NOPE-1", "HX-Request", "true").inTable()
		if got := res.byID("error-lines-1-variantId"); !strings.Contains(got, "NOPE-1") {
			t.Errorf("error %q", got)
		}
	})

	t.Run("add line returns the next row", func(t *testing.T) {
		res := buyer.get("/admin/purchasing/orders/line?line_index=0&line_index=3", "HX-Request", "true").wantStatus(http.StatusOK).inTable()
		if !res.hasID("po-line-4") {
			t.Errorf("no row 4: %s", res.Body)
		}
	})

	t.Run("totals follow the form, with each line's amount and the approvals", func(t *testing.T) {
		f := a.orderForm("", "FG-100", "10", "", "", "", "", "FG-100", "", "")
		res := buyer.post("/admin/purchasing/orders/preview", f, "HX-Request", "true").wantStatus(http.StatusOK)
		if got := res.byID("po-total"); got != "NT$1,205" && got != "NT$1,205.00" {
			t.Errorf("total %q", got)
		}
		if got := res.byID("po-levels"); !strings.Contains(got, "level 1 by manager or buyer") {
			t.Errorf("levels %q", got)
		}
		if got := res.byID("po-line-amount-0"); !strings.Contains(got, "1,205") {
			t.Errorf("amount of row 0 %q", got)
		}
		// The third row repeats the first: the service says so, by SKU.
		if got := res.byID("po-problems"); !strings.Contains(got, "also on line 1") {
			t.Errorf("problems %q", got)
		}
	})

	t.Run("save as draft", func(t *testing.T) {
		res := buyer.post("/admin/purchasing/orders", a.orderForm("draft", "FG-100", "10", "")).wantRedirect("/admin/purchasing/orders/*")
		id := orderIDOf(t, res)
		if st := a.status(id); st != purchasing.Draft {
			t.Errorf("status %s", st)
		}
		page := buyer.get(purchaseOrderURL(id)).wantStatus(http.StatusOK)
		page.wantContains("Purchase order saved as a draft.")
		if !page.hasID("edit-order") || !page.hasID("submit-order") {
			t.Error("the author's draft lacks its edit and submit actions")
		}
	})

	t.Run("save and submit", func(t *testing.T) {
		res := buyer.post("/admin/purchasing/orders", a.orderForm("submit", "FG-100", "20", "118")).wantRedirect("/admin/purchasing/orders/*")
		id := orderIDOf(t, res)
		d, err := a.svc.Order(system(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != purchasing.Submitted || d.Lines[0].UnitCost.String() != "118" {
			t.Errorf("status %s, cost %s; want SUBMITTED at the typed cost", d.Status, d.Lines[0].UnitCost)
		}
	})

	t.Run("a double submit of the new order makes one order", func(t *testing.T) {
		key := buyer.get("/admin/purchasing/orders/new").wantStatus(http.StatusOK).values("idempotencyKey")
		if len(key) != 1 || key[0] == "" {
			t.Fatalf("the new order's form carries no key: %v", key)
		}
		for _, action := range []string{"draft", "submit"} {
			t.Run(action, func(t *testing.T) {
				f := a.orderForm(action, "FG-100", "30", "")
				f.Set("idempotencyKey", key[0]+"-"+action)
				first := orderIDOf(t, buyer.post("/admin/purchasing/orders", f).wantRedirect("/admin/purchasing/orders/*"))
				second := orderIDOf(t, buyer.post("/admin/purchasing/orders", f).wantRedirect("/admin/purchasing/orders/*"))
				if second != first {
					t.Errorf("second submit made order %d, first %d", second, first)
				}
				if action == "submit" && a.status(first) != purchasing.Submitted {
					t.Errorf("status %s, want SUBMITTED", a.status(first))
				}
			})
		}
		if again := buyer.get("/admin/purchasing/orders/new").values("idempotencyKey"); len(again) != 1 || again[0] == key[0] {
			t.Errorf("a new form reuses the key %v", again)
		}
	})

	t.Run("errors show on their row, blank rows left out, input kept", func(t *testing.T) {
		f := a.orderForm("draft", "FG-100", "ten", "", "", "", "", "NOPE-2", "5", "")
		res := buyer.post("/admin/purchasing/orders", f).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-lines-0-quantity"); !strings.Contains(got, "whole number") {
			t.Errorf("quantity error %q", got)
		}
		if got := res.values("line_qty"); len(got) != 3 || got[0] != "ten" {
			t.Errorf("quantities %v, want as typed", got)
		}
		// Once the quantity reads, the service finds the unknown code on the third row.
		f["line_qty"] = []string{"10", "", "5"}
		res = buyer.post("/admin/purchasing/orders", f).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-lines-2-variantId"); !strings.Contains(got, "NOPE-2") {
			t.Errorf("code error %q", got)
		}
		if got := res.values("line_code"); len(got) != 3 || got[2] != "NOPE-2" {
			t.Errorf("codes %v, want as typed", got)
		}
		res = buyer.post("/admin/purchasing/orders", url.Values{"action": {"draft"}}).wantStatus(http.StatusUnprocessableEntity)
		for _, id := range []string{"error-supplierId", "error-locationId", "error-lines"} {
			if !res.hasID(id) {
				t.Errorf("no %s", id)
			}
		}
	})

	t.Run("without JavaScript, add and remove lines", func(t *testing.T) {
		f := a.orderForm("", "FG-100", "10", "")
		f.Set("op", "add-line")
		res := buyer.post("/admin/purchasing/orders", f).wantStatus(http.StatusOK)
		if got := res.values("line_code"); len(got) != 2 || got[0] != "FG-100" {
			t.Errorf("codes after add %v", got)
		}
		f.Set("op", "remove-0")
		res = buyer.post("/admin/purchasing/orders", f).wantStatus(http.StatusOK)
		if got := res.values("line_code"); len(got) != 0 {
			t.Errorf("codes after remove %v", got)
		}
	})

	t.Run("saved but below the supplier's minimum: back in the editor as a draft", func(t *testing.T) {
		sup, err := a.svc.UpdateSupplier(staffContext(t, a.app, "buyer"), a.supplier.ID, purchasing.SupplierInput{
			Code: a.supplier.Code, Name: a.supplier.Name, Email: a.supplier.Email, Currency: "TWD",
			PaymentTerms: a.supplier.PaymentTerms, MinOrderAmount: 500000, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = a.svc.UpdateSupplier(staffContext(t, a.app, "buyer"), sup.ID, purchasing.SupplierInput{Code: sup.Code,
				Name: sup.Name, Email: sup.Email, Currency: "TWD", PaymentTerms: sup.PaymentTerms, Active: true})
		})
		res := buyer.post("/admin/purchasing/orders", a.orderForm("submit", "FG-100", "10", "")).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("not-submitted"); !strings.Contains(got, "Saved as a draft") || !strings.Contains(got, "minimum order is NT$5,000") {
			t.Errorf("notice %q", got)
		}
		action := attr(find(res.document(), func(n *html.Node) bool { return attr(n, "id") == "po-form" })[0], "action")
		id, err := strconv.ParseInt(strings.TrimPrefix(action, "/admin/purchasing/orders/"), 10, 64)
		if err != nil {
			t.Fatalf("the editor posts to %q, not the saved order", action)
		}
		if st := a.status(id); st != purchasing.Draft {
			t.Errorf("status %s, want the draft kept", st)
		}
	})

	t.Run("edit a draft", func(t *testing.T) {
		res := buyer.get(purchaseOrderURL(a.draft.ID) + "/edit").wantStatus(http.StatusOK)
		if got := res.values("line_qty"); len(got) != 1 || got[0] != "10" {
			t.Errorf("quantities %v", got)
		}
		if got := res.values("line_cost"); len(got) != 1 || got[0] != "" {
			t.Errorf("costs %v, want the price list's (empty)", got)
		}
		f := a.orderForm("draft", res.values("line_code")[0], "30", "")
		f.Set("note", "pallet delivery")
		buyer.post(purchaseOrderURL(a.draft.ID), f).wantRedirect(purchaseOrderURL(a.draft.ID))
		d, err := a.svc.Order(system(), a.draft.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Lines[0].Quantity != 30 || d.Note != "pallet delivery" {
			t.Errorf("after edit: %d units, note %q", d.Lines[0].Quantity, d.Note)
		}
	})

	t.Run("an approved order cannot be edited; associates do not write orders", func(t *testing.T) {
		buyer.get(purchaseOrderURL(a.approved.ID) + "/edit").wantStatus(http.StatusConflict)
		a.signedIn("associate").get("/admin/purchasing/orders/new").wantStatus(http.StatusForbidden)
	})
}

func TestPurchaseOrderActions(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	buyer, manager := a.signedIn("buyer"), a.signedIn("manager")
	htmx := []string{"HX-Request", "true", "HX-Target", "purchase-order"}

	t.Run("only who may decide sees the decision", func(t *testing.T) {
		if !manager.get(purchaseOrderURL(a.submitted.ID)).wantStatus(http.StatusOK).hasID("decision-form") {
			t.Error("the manager has no decision form")
		}
		if buyer.get(purchaseOrderURL(a.submitted.ID)).wantStatus(http.StatusOK).hasID("decision-form") {
			t.Error("the author may decide on their own order")
		}
		manager.get(purchaseApprovalsURL).wantStatus(http.StatusOK).wantContains(a.submitted.Number())
	})

	t.Run("a rejection needs a reason, shown inline in place", func(t *testing.T) {
		res := manager.post(purchaseOrderURL(a.submitted.ID)+"/reject", url.Values{"comment": {" "}}, htmx...).
			wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-comment"); !strings.Contains(got, "what the author should change") {
			t.Errorf("error %q", got)
		}
		res.wantNotContains("<html")
		if !res.hasID("purchase-order") {
			t.Error("the response is not the order's content")
		}
	})

	t.Run("reject in place; the author sees the reason and edits", func(t *testing.T) {
		o, err := a.svc.CreateOrder(staffContext(t, a.app, "buyer"), purchasing.OrderInput{SupplierID: a.supplier.ID,
			LocationID: locationID(t, a.app, "WH-TAO"), Lines: []purchasing.LineInput{{VariantID: a.variant, Quantity: 5}}})
		if err != nil {
			t.Fatal(err)
		}
		buyer.post(purchaseOrderURL(o.ID)+"/submit", url.Values{}).wantRedirect(purchaseOrderURL(o.ID))
		res := manager.post(purchaseOrderURL(o.ID)+"/reject", url.Values{"comment": {"Order 12, the case size"}}, htmx...).
			wantStatus(http.StatusOK)
		res.wantNotContains("<html").wantContains("Rejected: the order is back with its author")
		if st := a.status(o.ID); st != purchasing.Rejected {
			t.Fatalf("status %s", st)
		}
		page := buyer.get(purchaseOrderURL(o.ID)).wantStatus(http.StatusOK)
		if got := page.byID("rejection"); !strings.Contains(got, "Order 12, the case size") {
			t.Errorf("rejection %q", got)
		}
		edit := buyer.get(purchaseOrderURL(o.ID) + "/edit").wantStatus(http.StatusOK)
		if got := edit.byID("rejection"); !strings.Contains(got, "Order 12, the case size") {
			t.Errorf("editor rejection %q", got)
		}
	})

	t.Run("approve in place", func(t *testing.T) {
		res := manager.post(purchaseOrderURL(a.submitted.ID)+"/approve", url.Values{"comment": {"fine"}}, htmx...).
			wantStatus(http.StatusOK)
		res.wantNotContains("<html").wantContains("Approved.")
		if got := res.byID("history"); !strings.Contains(got, "fine") {
			t.Errorf("history %q", got)
		}
		if st := a.status(a.submitted.ID); st != purchasing.Approved {
			t.Errorf("status %s", st)
		}
		if res.hasID("decision-form") {
			t.Error("the decision is still offered")
		}
	})

	t.Run("send with the confirmed date, which must not be past", func(t *testing.T) {
		res := buyer.post(purchaseOrderURL(a.approved.ID)+"/send", url.Values{"expectedOn": {"2020-01-01"}}).
			wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-expectedOn"); !strings.Contains(got, "in the past") {
			t.Errorf("error %q", got)
		}
		if got := res.values("expectedOn"); len(got) != 1 || got[0] != "2020-01-01" {
			t.Errorf("date %v, want as typed", got)
		}
		buyer.post(purchaseOrderURL(a.approved.ID)+"/send", url.Values{"expectedOn": {"2099-03-01"}}).
			wantRedirect(purchaseOrderURL(a.approved.ID))
		if st := a.status(a.approved.ID); st != purchasing.Sent {
			t.Errorf("status %s", st)
		}
		var n int
		if err := a.db.Get(&n, `SELECT count(*) FROM notifications WHERE kind = $1 AND reference = $2 AND recipient = $3`,
			purchasing.KindPurchaseOrder, "PO:"+strconv.FormatInt(a.approved.ID, 10), "orders@formosa.example"); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d order emails to the supplier, want 1", n)
		}
		buyer.get(purchaseOrderURL(a.approved.ID)).wantContains("Sent to the supplier.", "2099-03-01")
	})

	t.Run("cancel needs a reason", func(t *testing.T) {
		res := buyer.post(purchaseOrderURL(a.draft.ID)+"/cancel", url.Values{"reason": {""}}, htmx...).
			wantStatus(http.StatusUnprocessableEntity)
		if !res.hasID("error-reason") {
			t.Errorf("no inline error: %s", res.byID("order-actions"))
		}
		buyer.post(purchaseOrderURL(a.draft.ID)+"/cancel", url.Values{"reason": {"duplicate"}}).wantRedirect(purchaseOrderURL(a.draft.ID))
		if st := a.status(a.draft.ID); st != purchasing.Cancelled {
			t.Errorf("status %s", st)
		}
	})

	t.Run("an action refused by the status says so", func(t *testing.T) {
		res := buyer.post(purchaseOrderURL(a.draft.ID)+"/submit", url.Values{}, htmx...).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("order-actions"); !strings.Contains(got, "CANCELLED") {
			t.Errorf("actions %q", got)
		}
	})

	t.Run("list filters by approver and dates", func(t *testing.T) {
		grace := strconv.FormatInt(memberByLogin(t, a.app, "manager").ID, 10)
		res := manager.get("/admin/purchasing/orders?approver=" + grace).wantStatus(http.StatusOK)
		results := res.byID("purchase-order-results")
		if !strings.Contains(results, a.approved.Number()) || strings.Contains(results, a.draft.Number()) {
			t.Errorf("approved by Grace: %q", results)
		}
		res = manager.get("/admin/purchasing/orders?to=2001-01-01").wantStatus(http.StatusOK)
		if got := res.byID("purchase-order-results"); strings.Contains(got, a.approved.Number()) {
			t.Errorf("created before 2001: %q", got)
		}
	})
}
