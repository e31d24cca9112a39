package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"atrium/internal/actor"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/order"
	"atrium/internal/returns"
	"atrium/internal/testdb"
)

// returnApp is the back office with the returns desk wired as main.go wires it, and a
// demo variant stocked at TPE-01 for till sales.
type returnApp struct {
	*app
	v   catalog.Variant
	tpe int64
}

func newReturnApp(t *testing.T) *returnApp {
	t.Helper()
	db := testdb.NewDemo(t)
	d := testDeps(db)
	a := &returnApp{app: newAppWith(t, db, d)}
	a.tpe = locationID(t, a.app, "TPE-01")
	_, a.v = demoLevel(t, a.app, "WH-TAO", 1, 0)
	_, err := d.Inventory.Adjust(system(), inventory.AdjustInput{IdempotencyKey: newIdempotencyKey(), LocationID: a.tpe,
		VariantID: a.v.ID, Delta: 20, Kind: inventory.KindReceipt, Reason: "stock for return tests"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sale is a till sale of qty units at TPE-01 to the demo customer, paid by card.
func (a *returnApp) sale(t *testing.T, qty int) order.Detail {
	t.Helper()
	ctx := staffContext(t, a.app, "associate")
	var mei int64
	if err := a.db.Get(&mei, `SELECT id FROM customers WHERE email = 'mei.lin@example.com'`); err != nil {
		t.Fatal(err)
	}
	o, err := a.deps.Orders.PlaceOrder(ctx, order.PlaceOrderInput{IdempotencyKey: newIdempotencyKey(), Channel: order.POS,
		LocationID: a.tpe, CustomerID: mei, Lines: []order.LineInput{{SKU: a.v.SKU, Quantity: qty}},
		Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	if err != nil {
		t.Fatalf("till sale: %v", err)
	}
	if _, err := a.deps.Orders.RecordPayment(ctx, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newIdempotencyKey(),
		Method: order.Card, Amount: o.Total, Reference: "slip"}); err != nil {
		t.Fatal(err)
	}
	d, err := a.deps.Orders.Detail(system(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// deskForm is the desk's form returning qty units of the order's only line.
func deskForm(d order.Detail, key, location string, qty int, disposition returns.Disposition, refund string) url.Values {
	return url.Values{"idempotencyKey": {key}, "order": {d.Number}, "locationId": {location},
		"lines.0.orderLineId": {strconv.FormatInt(d.Lines[0].ID, 10)}, "lines.0.quantity": {strconv.Itoa(qty)},
		"lines.0.reason": {string(returns.ReasonDefective)}, "lines.0.disposition": {string(disposition)},
		"refund": {refund}}
}

func (a *returnApp) onHand(t *testing.T, loc int64) int {
	t.Helper()
	var n int
	if err := a.db.Get(&n, `SELECT on_hand FROM stock_levels WHERE location_id = $1 AND variant_id = $2`, loc, a.v.ID); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReturnDeskFindsTheOrder(t *testing.T) {
	t.Parallel()
	a := newReturnApp(t)
	d := a.sale(t, 2)
	c := a.signedIn("associate")

	tests := []struct {
		name, typed string
		status      int
		want        string
	}{
		{"by number", d.Number, http.StatusOK, "Return from order " + d.Number},
		{"scanned digits", strings.TrimPrefix(d.Number, "A-"), http.StatusOK, "Return from order " + d.Number},
		{"lower case without dash", strings.ToLower(strings.Replace(d.Number, "-", "", 1)), http.StatusOK, "Return from order " + d.Number},
		{"unknown", "A-999999", http.StatusNotFound, "There is no order A-999999"},
		{"empty", "", http.StatusNotFound, "Enter the order number printed on the receipt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.get("/admin/returns/new?" + url.Values{"order": {tc.typed}}.Encode()).wantStatus(tc.status)
			res.wantContains(tc.want)
			if tc.status == http.StatusOK {
				if got := res.values("lines.0.orderLineId"); len(got) != 1 || got[0] != strconv.FormatInt(d.Lines[0].ID, 10) {
					t.Errorf("line inputs %v, want the order's line", got)
				}
				if got := res.values("idempotencyKey"); len(got) != 1 || got[0] == "" {
					t.Errorf("no idempotency key in the form")
				}
			}
		})
	}
	// The navigation leads to the desk; an accountant has no returns desk.
	c.get("/admin/").wantStatus(http.StatusOK).wantContains(`href="/admin/returns"`)
	a.signedIn("accountant").get("/admin/returns").wantStatus(http.StatusForbidden)
}

func TestReturnDeskQuoteThenConfirm(t *testing.T) {
	t.Parallel()
	a := newReturnApp(t)
	d := a.sale(t, 3)
	c := a.signedIn("associate")
	tpe := strconv.FormatInt(a.tpe, 10)
	key := newIdempotencyKey()
	unit := d.Lines[0].Total / 3

	t.Run("totals follow the form", func(t *testing.T) {
		res := c.post("/admin/returns/quote", deskForm(d, key, tpe, 2, returns.Restock, "ORIGINAL"),
			"HX-Request", "true", "HX-Target", "return-totals").wantStatus(http.StatusOK).inDiv()
		if got := res.byID("quote-total"); !strings.Contains(got, formatMoney(2*unit, d.Currency)) {
			t.Errorf("total %q, want %s", got, formatMoney(2*unit, d.Currency))
		}
		if got := res.byID("quote-refund"); !strings.Contains(got, formatMoney(2*unit, d.Currency)) {
			t.Errorf("refund now %q, want %s", got, formatMoney(2*unit, d.Currency))
		}
	})
	t.Run("too many units are refused on the line", func(t *testing.T) {
		res := c.post("/admin/returns/quote", deskForm(d, key, tpe, 4, returns.Restock, "ORIGINAL"),
			"HX-Request", "true", "HX-Target", "return-totals").wantStatus(http.StatusOK).inDiv()
		res.wantContains("only 3 of " + a.v.SKU + " can be returned")
		full := c.post("/admin/returns", deskForm(d, key, tpe, 4, returns.Restock, "ORIGINAL")).
			wantStatus(http.StatusUnprocessableEntity)
		if !full.hasID("error-lines-0-quantity") {
			t.Errorf("no error beside the quantity; body:\n%s", full.Body)
		}
		if got := full.values("lines.0.quantity"); len(got) != 1 || got[0] != "4" {
			t.Errorf("quantity shown again %v, want 4 as typed", got)
		}
	})

	before := a.onHand(t, a.tpe)
	var returnURL string
	t.Run("confirm records and refunds to the card", func(t *testing.T) {
		res := c.post("/admin/returns", deskForm(d, key, tpe, 2, returns.Restock, "ORIGINAL")).wantRedirect("/admin/returns/*")
		returnURL = res.Header.Get("Location")
		page := c.get(returnURL).wantStatus(http.StatusOK)
		page.wantContains("Refund given.", "Card")
		if got := page.byID("return-refunded"); got != formatMoney(2*unit, d.Currency) {
			t.Errorf("refunded %q, want %s", got, formatMoney(2*unit, d.Currency))
		}
		if page.hasID("refund-form") {
			t.Errorf("a refund form on a refunded return")
		}
		if got := a.onHand(t, a.tpe); got != before+2 {
			t.Errorf("on hand %d, want %d (restocked)", got, before+2)
		}
	})
	t.Run("confirming twice records once", func(t *testing.T) {
		c.post("/admin/returns", deskForm(d, key, tpe, 2, returns.Restock, "ORIGINAL")).wantRedirect(strings.SplitN(returnURL, "?", 2)[0] + "*")
		var n, refunds int
		if err := a.db.Get(&n, `SELECT count(*) FROM returns WHERE order_id = $1`, d.ID); err != nil {
			t.Fatal(err)
		}
		if err := a.db.Get(&refunds, `SELECT count(*) FROM refunds WHERE order_id = $1`, d.ID); err != nil {
			t.Fatal(err)
		}
		if n != 1 || refunds != 1 {
			t.Errorf("%d returns and %d refunds, want one of each", n, refunds)
		}
	})
}

func TestOpenReturnsAndDispositions(t *testing.T) {
	t.Parallel()
	a := newReturnApp(t)
	d := a.sale(t, 2)
	ctx := staffContext(t, a.app, "associate")
	r, err := a.deps.Returns.Create(ctx, returns.CreateInput{IdempotencyKey: newIdempotencyKey(), OrderID: d.ID,
		LocationID: a.tpe, Lines: []returns.LineInput{{OrderLineID: d.Lines[0].ID, Quantity: 2,
			Reason: returns.ReasonSizeOrFit, Disposition: returns.ToInspect}}})
	if err != nil {
		t.Fatal(err)
	}
	c := a.signedIn("associate")

	list := c.get("/admin/returns?location=" + strconv.FormatInt(a.tpe, 10)).wantStatus(http.StatusOK)
	list.wantContains(r.Number, d.Number)
	c.get("/admin/returns?status=CLOSED&location="+strconv.FormatInt(a.tpe, 10), "HX-Request", "true",
		"HX-Target", "return-results").wantStatus(http.StatusOK).inDiv().wantNotContains(r.Number).wantContains("No returns here.")

	page := c.get(returnURL(r.ID)).wantStatus(http.StatusOK)
	if !page.hasID(returnLineID(r.Lines[0].ID)) || !page.hasID("refund-form") || !page.hasID("close-form") {
		t.Fatalf("return page lacks its line, refund or close form; body:\n%s", page.Body)
	}

	before := a.onHand(t, a.tpe)
	row := returnLineID(r.Lines[0].ID)
	path := returnURL(r.ID) + "/lines/" + strconv.FormatInt(r.Lines[0].ID, 10) + "/disposition"
	res := c.post(path, url.Values{"disposition": {string(returns.Restock)}}, "HX-Request", "true", "HX-Target", row).
		wantStatus(http.StatusOK).inDiv()
	// A lone row: the parser would drop it outside a table, so read the text.
	if !strings.Contains(res.Body, `<tr id="`+row+`"`) || !strings.Contains(res.Body, `value="RESTOCK" selected`) {
		t.Errorf("row after the change:\n%s", res.Body)
	}
	if got := a.onHand(t, a.tpe); got != before+2 {
		t.Errorf("on hand %d after restocking, want %d", got, before+2)
	}
	c.post(path, url.Values{"disposition": {string(returns.Damaged)}}, "HX-Request", "true", "HX-Target", row).
		wantStatus(http.StatusOK).wantContains(`value="DAMAGED" selected`)
	if got := a.onHand(t, a.tpe); got != before {
		t.Errorf("on hand %d after writing off, want %d", got, before)
	}
	var damaged int
	if err := a.db.Get(&damaged, `SELECT count(*) FROM stock_movements WHERE reference = $1 AND kind = 'DAMAGE'`,
		"RET:"+strconv.FormatInt(r.ID, 10)); err != nil {
		t.Fatal(err)
	}
	if damaged != 1 {
		t.Errorf("%d DAMAGE movements, want 1", damaged)
	}

	// Closing with the refund still due is refused with the reason; after it, it closes.
	c.post(returnURL(r.ID)+"/close", url.Values{}).wantStatus(http.StatusUnprocessableEntity).
		wantContains("still due before closing")
	c.post(returnURL(r.ID)+"/refund", url.Values{"idempotencyKey": {newIdempotencyKey()}, "to": {"STORE_CREDIT"}}).
		wantRedirect(returnURL(r.ID) + "?done=refunded")
	c.post(returnURL(r.ID)+"/close", url.Values{"note": {"boxed for the supplier"}}).wantRedirect(returnURL(r.ID) + "?done=closed")
	closed := c.get(returnURL(r.ID) + "?done=closed").wantStatus(http.StatusOK)
	closed.wantContains("Return closed.", "Store credit", "boxed for the supplier")
	if closed.hasID("close-form") || len(closed.inputs("disposition")) != 0 {
		t.Errorf("a closed return still offers changes")
	}
	c.post(path, url.Values{"disposition": {string(returns.Restock)}}, "HX-Request", "true", "HX-Target", row).
		wantStatus(http.StatusUnprocessableEntity).wantContains("cannot be changed any more")
}

// The order page's returns section (the lead includes it) lists the order's returns and
// leads to the desk.
func TestReturnsSection(t *testing.T) {
	t.Parallel()
	a := newReturnApp(t)
	d := a.sale(t, 1)
	ctx := staffContext(t, a.app, "associate")
	r, err := a.deps.Returns.Create(ctx, returns.CreateInput{IdempotencyKey: newIdempotencyKey(), OrderID: d.ID,
		LocationID: a.tpe, Lines: []returns.LineInput{{OrderLineID: d.Lines[0].ID, Quantity: 1,
			Reason: returns.ReasonDefective, Disposition: returns.Damaged}}})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := a.deps.Returns.ReturnsByOrderIDs(ctx, []int64{d.ID})
	if err != nil {
		t.Fatal(err)
	}
	render := func(a actor.Actor, rs []returns.Return) *response {
		var buf bytes.Buffer
		vctx := withView(context.Background(), &view{Actor: a})
		if err := ReturnsSection(d.Order, rs).Render(vctx, &buf); err != nil {
			t.Fatal(err)
		}
		return (&response{t: t, Body: buf.String()}).inDiv()
	}
	res := render(actor.From(ctx), rs[d.ID])
	res.wantContains(r.Number, newReturnURL(d.Number)[len("/admin"):])
	if got := res.byID("order-returns"); !strings.Contains(got, formatMoney(r.Total, r.Currency)) {
		t.Errorf("section %q lacks the return's total", got)
	}
	render(actor.Actor{Kind: actor.Staff, Roles: []actor.Role{actor.Accountant}}, nil).
		wantContains("Nothing returned.").wantNotContains("Start a return")
}

// changeValue sets a form control's value as a person would and fires its change event,
// which is what the desk's HTMX listens to.
func changeValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const e = document.querySelector(` + strconv.Quote(sel) + `);
		e.value = ` + strconv.Quote(value) + `; e.dispatchEvent(new Event("change", {bubbles: true})); })()`)
}

// TestBrowserReturnDesk takes a return at the desk in Chromium: the totals follow the
// form as the associate fills it in (HTMX), confirming records and refunds it, and the
// disposition of a returned line changes in place on the return's page.
func TestBrowserReturnDesk(t *testing.T) {
	t.Parallel()
	a := newReturnApp(t)
	d := a.sale(t, 2)
	unit := d.Lines[0].Total / 2
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()

	runStep(t, "sign in on the way to the desk", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+newReturnURL(strings.TrimPrefix(d.Number, "A-"))),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("associate"),
			chromedp.WaitVisible(chromedp.CSS(`#return-form`)),
			chromedp.WaitVisible(chromedp.CSS(`#quote-hint`)),
		)
	})
	runStep(t, "the totals follow the form", func(t *testing.T) {
		browse(t, browser,
			changeValue(`input[name="lines.0.quantity"]`, "1"),
			chromedp.WaitVisible(chromedp.CSS(`#quote-total`)),
		)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#quote-total`))); !strings.Contains(got, formatMoney(unit, d.Currency)) {
			t.Fatalf("total %q, want %s", got, formatMoney(unit, d.Currency))
		}
	})
	runStep(t, "confirm", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#confirm-return`)),
			chromedp.WaitVisible(chromedp.CSS(`#return-facts`)),
		)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#return-refunded`))); got != formatMoney(unit, d.Currency) {
			t.Fatalf("refunded %q, want %s", got, formatMoney(unit, d.Currency))
		}
	})
	runStep(t, "write the unit off in place", func(t *testing.T) {
		before := a.onHand(t, a.tpe)
		browse(t, browser,
			markLoaded,
			changeValue(`tr[id^="return-line-"] select[name="disposition"]`, "DAMAGED"),
			chromedp.WaitReady(chromedp.CSS(`tr[id^="return-line-"] option[value="DAMAGED"][selected]`)),
		)
		notReloaded(t, browser)
		if got := a.onHand(t, a.tpe); got != before-1 {
			t.Fatalf("on hand %d, want %d (the restocked unit written off)", got, before-1)
		}
	})
}
