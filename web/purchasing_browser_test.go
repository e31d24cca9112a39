package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
)

// TestBrowserPurchasing drives buying in Chromium from the order to the shelf: the buyer
// writes an order with the line editor (the supplier's code looked up, its cost filled
// in, the totals live) and submits it; a manager rejects another order with a reason,
// which its author then reads, and approves this one in place; the buyer sends it; the
// warehouse receives it and sees its stock rise.
func TestBrowserPurchasing(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	wh := locationID(t, a.app, "WH-TAO")
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	var id int64

	runStep(t, "the buyer writes an order with the line editor and submits it", func(t *testing.T) {
		signInTo(t, browser, a.srv.URL, "buyer", "/admin/purchasing/orders/new", `#po-line-code-0`)
		browse(t, browser,
			changeValue(`#po-supplier`, strconv.FormatInt(a.supplier.ID, 10)),
			typeInto(chromedp.CSS(`#po-line-code-0`), "FG-100"+kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(`#po-line-0 .price-list`)),
			typeInto(chromedp.CSS(`#po-line-qty-0`), "10"+kb.Tab),
			chromedp.WaitVisible(chromedp.CSS(`#po-levels`)),
			chromedp.Poll[chromedp.Void](`document.querySelector("#po-line-amount-0").textContent.includes("1,205")`),
		)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#po-line-0 .price-list`))); !strings.Contains(got, "NT$120.50") {
			t.Fatalf("supplier cost %q", got)
		}
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#po-total`))); !strings.Contains(got, "NT$1,205") {
			t.Fatalf("total %q", got)
		}
		notReloaded(t, browser)
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#submit-order`)),
			chromedp.WaitVisible(chromedp.CSS(`#order-facts`)),
		)
		loc := browserValue(t, browser, chromedp.Location())
		var err error
		if id, err = strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64); err != nil {
			t.Fatalf("after submitting: %s", loc)
		}
		d, err := a.svc.Order(system(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != purchasing.Submitted || len(d.Lines) != 1 || d.Lines[0].Quantity != 10 || d.Lines[0].SupplierSKU != "FG-100" {
			t.Fatalf("order %s with %+v", d.Status, d.Lines)
		}
	})

	runStep(t, "a manager rejects another order with a reason, in place", func(t *testing.T) {
		signInTo(t, browser, a.srv.URL, "manager", purchaseOrderURL(a.submitted.ID), `#decision-form`)
		browse(t, browser,
			typeInto(chromedp.CSS(`#decision-comment`), "Ask for the spring price list first"),
			chromedp.Click(chromedp.CSS(`#reject-order`)),
			chromedp.WaitVisible(chromedp.CSS(`#rejection`)),
		)
		notReloaded(t, browser)
		if st := a.status(a.submitted.ID); st != purchasing.Rejected {
			t.Fatalf("status %s", st)
		}
	})

	runStep(t, "the manager approves the new order from the inbox, in place", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+purchaseApprovalsURL),
			chromedp.Click(chromedp.CSS(`#inbox a[href="`+purchaseOrderURL(id)+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#decision-form`)),
			markLoaded,
			typeInto(chromedp.CSS(`#decision-comment`), "Agreed"),
			chromedp.Click(chromedp.CSS(`#approve-order`)),
			chromedp.WaitNotPresent(chromedp.CSS(`#decision-form`)),
		)
		notReloaded(t, browser)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#history`))); !strings.Contains(got, "Agreed") {
			t.Fatalf("history %q", got)
		}
		if st := a.status(id); st != purchasing.Approved {
			t.Fatalf("status %s", st)
		}
	})

	runStep(t, "the author reads the reason of the rejection, and sends the approved order", func(t *testing.T) {
		signInTo(t, browser, a.srv.URL, "buyer", purchaseOrderURL(a.submitted.ID), `#rejection`)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#rejection`))); !strings.Contains(got, "Ask for the spring price list first") {
			t.Fatalf("rejection %q", got)
		}
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+purchaseOrderURL(id)),
			chromedp.WaitVisible(chromedp.CSS(`#send-form`)),
			markLoaded,
			chromedp.Click(chromedp.CSS(`#send-order`)),
			chromedp.WaitNotPresent(chromedp.CSS(`#send-form`)),
		)
		notReloaded(t, browser)
		if st := a.status(id); st != purchasing.Sent {
			t.Fatalf("status %s", st)
		}
	})

	runStep(t, "the warehouse receives the goods and the stock rises", func(t *testing.T) {
		before, v := level(t, a.app, wh, a.variant)
		signInTo(t, browser, a.srv.URL, "fulfilment", receiveURL(id), `#rcv-code-0`)
		browse(t, browser,
			// A row for what was scanned (the prefilled row is left empty, so not recorded).
			chromedp.Click(chromedp.CSS(`#add-receipt-row`)),
			chromedp.WaitVisible(chromedp.CSS(`#rcv-code-1`)),
			typeInto(chromedp.CSS(`#rcv-code-1`), *v.Barcode+kb.Enter),
			chromedp.Poll[chromedp.Void](`document.querySelector("#receipt-row-1 .line-variant").textContent.includes("10 outstanding")`),
			typeInto(chromedp.CSS(`#rcv-accepted-1`), "10"),
			chromedp.Click(chromedp.CSS(`#record-receipt`)),
			chromedp.WaitVisible(chromedp.CSS(`#receipt-result`)),
		)
		after, _ := level(t, a.app, wh, a.variant)
		if after.OnHand != before.OnHand+10 || after.Incoming != before.Incoming-10 {
			t.Fatalf("level %+v, before %+v", after, before)
		}
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#receipt-result .on-hand`))); got != formatCount(after.OnHand) {
			t.Fatalf("on hand shown %q, want %d", got, after.OnHand)
		}
		if st := a.status(id); st != purchasing.Received {
			t.Fatalf("status %s", st)
		}
	})
}

// TestBrowserSuggestionToOrder drives the buyer's way from a replenishment suggestion to a
// draft purchase order in Chromium: compute the suggestions, keep one line ticked, convert
// it in place and follow the link to the draft, then submit it for approval.
func TestBrowserSuggestionToOrder(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	tpe2 := suggestionNeed(t, a)
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	var g replenishment.Suggestion

	runStep(t, "the buyer computes the suggestions", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+suggestionsURL),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("buyer"),
			chromedp.WaitVisible(chromedp.CSS(`#compute-suggestions`)),
			chromedp.Click(chromedp.CSS(`#compute-suggestions`)),
			chromedp.WaitVisible(chromedp.CSS(`#run-summary`)),
		)
		run, err := a.deps.Replenishment.LatestRun(staffContext(t, a.app, "buyer"))
		if err != nil {
			t.Fatal(err)
		}
		g = purchaseSuggestionFor(t, run, a.variant, tpe2)
		row := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#suggestion-`+strconv.FormatInt(g.ID, 10))))
		if !strings.Contains(row, g.SKU) || !strings.Contains(row, formatCount(g.OrderUpTo)) {
			t.Fatalf("suggestion row %q", row)
		}
	})

	var made int64
	runStep(t, "she keeps one line ticked and converts it in place", func(t *testing.T) {
		box := `#suggestion-` + strconv.FormatInt(g.ID, 10) + ` input[name="suggestion"]`
		browse(t, browser,
			chromedp.Evaluate[chromedp.Void](`window.atriumLoaded = "first load";
				document.querySelectorAll('input[name="suggestion"]').forEach(b => { b.checked = false })`),
			chromedp.Click(chromedp.CSS(box)),
			chromedp.Click(chromedp.CSS(`#convert-suggestions`)),
			chromedp.WaitVisible(chromedp.CSS(`#conversion-result a.made-order`)),
		)
		notReloaded(t, browser)
		if n := browserValue(t, browser, chromedp.Evaluate[int](`document.querySelectorAll('#conversion-result a.made-order').length`)); n != 1 {
			t.Fatalf("%d orders made, want 1", n)
		}
		if err := a.db.Get(&made, `SELECT purchase_order_id FROM replenishment_suggestions WHERE id = $1`, g.ID); err != nil {
			t.Fatal(err)
		}
	})

	runStep(t, "the draft is opened from the result and submitted for approval", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#conversion-result a.made-order`)),
			chromedp.WaitVisible(chromedp.CSS(`#submit-order`)),
		)
		if loc := browserValue(t, browser, chromedp.Location()); !strings.HasSuffix(loc, purchaseOrderURL(made)) {
			t.Fatalf("at %s, want the order %d", loc, made)
		}
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#submit-order`)),
			chromedp.WaitNotPresent(chromedp.CSS(`#submit-order`)),
		)
		d, err := a.svc.Order(system(), made)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != purchasing.Submitted || d.LocationID != tpe2 || len(d.Lines) != 1 || d.Lines[0].Quantity != g.Quantity {
			t.Fatalf("order %s to %d with %+v", d.Status, d.LocationID, d.Lines)
		}
	})
}
