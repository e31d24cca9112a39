package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"atrium/internal/purchasing"
)

// TestBrowserQuotation drives a request for quotation in Chromium: the buyer writes it with
// the line editor (the SKU looked up as typed) for two suppliers, enters both answers,
// compares them with the best offer marked and awards the cheaper one, landing on the
// draft purchase order it became.
func TestBrowserQuotation(t *testing.T) {
	t.Parallel()
	p := newRFQApp(t)
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	sup := func(id int64) string { return strconv.FormatInt(id, 10) }
	var id int64

	runStep(t, "the buyer asks two suppliers for a line", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(p.srv.URL+"/admin/purchasing/quotations/new"),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("buyer"),
			chromedp.WaitVisible(chromedp.CSS(`#rfq-line-code-0`)),
			chromedp.Click(chromedp.CSS(`input[name="supplierId"][value="`+sup(p.supplier.ID)+`"]`)),
			chromedp.Click(chromedp.CSS(`input[name="supplierId"][value="`+sup(p.other.ID)+`"]`)),
			typeInto(chromedp.CSS(`#rfq-line-code-0`), p.sku+kb.Enter),
			chromedp.Poll[chromedp.Void](`document.querySelector("#rfq-line-0 .line-variant").textContent.includes(`+strconv.Quote(p.sku)+`)`),
			typeInto(chromedp.CSS(`#rfq-line-qty-0`), "20"),
			chromedp.Click(chromedp.CSS(`#create-rfq`)),
			chromedp.WaitVisible(chromedp.CSS(`#enter-answers`)),
		)
		loc := browserValue(t, browser, chromedp.Location())
		var err error
		if id, err = strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64); err != nil {
			t.Fatalf("after creating: %s", loc)
		}
	})

	runStep(t, "she enters both answers", func(t *testing.T) {
		for _, a := range []struct {
			id         int64
			cost, lead string
		}{{p.supplier.ID, "120", "10"}, {p.other.ID, "99.5", "14"}} {
			form := "#quote-" + sup(a.id)
			browse(t, browser,
				chromedp.Click(chromedp.CSS(form+` summary`)),
				chromedp.WaitVisible(chromedp.CSS(form+`-cost-0`)),
				typeInto(chromedp.CSS(form+`-cost-0`), a.cost),
				typeInto(chromedp.CSS(form+`-lead`), a.lead),
				chromedp.Click(chromedp.CSS(form+`-save`)),
				chromedp.WaitVisible(chromedp.CSS(`#answer-`+sup(a.id)+` td.num`)),
			)
		}
	})

	runStep(t, "the comparison marks the best offer and the cheapest answer", func(t *testing.T) {
		best := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#comparison td.best`)))
		if !strings.Contains(best, "NT$99.50") || !strings.Contains(best, "best") {
			t.Fatalf("best offer %q", best)
		}
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#answer-`+sup(p.other.ID)))); !strings.Contains(got, "cheapest complete answer") {
			t.Fatalf("answers %q", got)
		}
	})

	runStep(t, "she awards the cheaper answer and lands on the draft order", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#award-`+sup(p.other.ID))),
			chromedp.Click(chromedp.CSS(`#award-rfq`)),
			chromedp.WaitVisible(chromedp.CSS(`#submit-order`)),
		)
		r, err := p.svc.RFQ(system(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != purchasing.RFQAwarded || r.OrderID == nil {
			t.Fatalf("request %s, order %v", r.Status, r.OrderID)
		}
		if loc := browserValue(t, browser, chromedp.Location()); !strings.HasSuffix(loc, purchaseOrderURL(*r.OrderID)) {
			t.Fatalf("at %s, want the order %d", loc, *r.OrderID)
		}
		d, err := p.svc.Order(system(), *r.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != purchasing.Draft || d.SupplierID != p.other.ID || len(d.Lines) != 1 || d.Lines[0].Quantity != 20 {
			t.Fatalf("order %s from %d with %+v", d.Status, d.SupplierID, d.Lines)
		}
	})
}
