package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
)

// suggestionNeed makes the purchasing app's supplied variant short at TPE-02: a manager
// sets a reorder point there far above any stock, so a run suggests buying it (after
// moving what other locations can spare). It returns the location's id.
func suggestionNeed(t *testing.T, a purchasingApp) int64 {
	t.Helper()
	tpe2 := locationID(t, a.app, "TPE-02")
	if _, err := a.deps.Inventory.SetStockPolicy(staffContext(t, a.app, "manager"), tpe2, a.variant, 0, 5000); err != nil {
		t.Fatal(err)
	}
	return tpe2
}

// purchaseSuggestionFor is the purchase suggestion of run for variant at location.
func purchaseSuggestionFor(t *testing.T, run replenishment.Run, variant, location int64) replenishment.Suggestion {
	t.Helper()
	for _, g := range run.Suggestions {
		if g.Kind == replenishment.Purchase && g.VariantID == variant && g.LocationID == location {
			return g
		}
	}
	t.Fatalf("run %d suggests no purchase of variant %d at %d: %+v", run.ID, variant, location, run.Suggestions)
	return replenishment.Suggestion{}
}

func TestSuggestionsPage(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	tpe2 := suggestionNeed(t, a)
	buyer := a.signedIn("buyer")

	t.Run("only buyers and managers see it", func(t *testing.T) {
		a.signedIn("associate").get(suggestionsURL).wantStatus(http.StatusForbidden)
		a.signedIn("accountant").post(suggestionsURL, url.Values{}).wantStatus(http.StatusForbidden)
	})
	t.Run("before any run the page offers to compute", func(t *testing.T) {
		res := buyer.get(suggestionsURL).wantStatus(http.StatusOK)
		if !res.hasID("no-run") || !res.hasID("compute-suggestions") {
			t.Errorf("no empty state with a compute button:\n%s", res.Body)
		}
		if !strings.Contains(res.byID("purchasing-menu"), "Suggestions") {
			t.Error("the purchasing menu does not link the suggestions")
		}
	})

	var run replenishment.Run
	var g replenishment.Suggestion
	t.Run("computing shows the suggestions grouped with their figures", func(t *testing.T) {
		res := buyer.post(suggestionsURL, url.Values{}).wantRedirect(suggestionsURL + "?run=*")
		id, err := strconv.ParseInt(strings.TrimPrefix(res.Header.Get("Location"), suggestionsURL+"?run="), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if run, err = a.deps.Replenishment.Run(staffContext(t, a.app, "buyer"), id); err != nil {
			t.Fatal(err)
		}
		g = purchaseSuggestionFor(t, run, a.variant, tpe2)
		page := buyer.get(res.Header.Get("Location")).wantStatus(http.StatusOK)
		if !strings.Contains(page.byID("run-summary"), "Run "+strconv.FormatInt(run.ID, 10)) {
			t.Errorf("summary %q", page.byID("run-summary"))
		}
		row := page.byID("suggestion-" + strconv.FormatInt(g.ID, 10))
		for _, want := range []string{g.SKU, formatCount(g.Quantity), formatCount(g.ReorderPoint), formatCount(g.OrderUpTo),
			"lead time " + strconv.Itoa(g.LeadTimeDays) + " d", "on hand " + formatCount(g.OnHand), g.Reason} {
			if !strings.Contains(row, want) {
				t.Errorf("row lacks %q: %q", want, row)
			}
		}
		purchases := page.byID("suggested-purchases")
		if !strings.Contains(purchases, *g.SupplierName+" ("+*g.SupplierCode+") → TPE-02") {
			t.Errorf("no group for %s → TPE-02: %q", *g.SupplierCode, purchases)
		}
		if len(run.Orders) > 0 && len(page.values("suggestion")) == 0 {
			t.Error("no checkbox to select suggestions")
		}
		for _, o := range run.Orders {
			if o.BelowMinimum && !strings.Contains(purchases, "minimum order value") {
				t.Errorf("group %s → %s under the minimum is not flagged", o.SupplierCode, o.LocationCode)
			}
		}
	})

	t.Run("an empty selection is explained", func(t *testing.T) {
		res := buyer.post(suggestionsConvertURL(run.ID), url.Values{}, "HX-Request", "true", "HX-Target", "suggestions").
			wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "tick the suggestions") {
			t.Errorf("body:\n%s", res.Body)
		}
	})

	countOrders := func() int {
		var n int
		if err := a.db.Get(&n, `SELECT count(*) FROM purchase_orders`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var made int64
	t.Run("converting the selection makes a draft order, once", func(t *testing.T) {
		before := countOrders()
		form := url.Values{"suggestion": {strconv.FormatInt(g.ID, 10)}}
		res := buyer.post(suggestionsConvertURL(run.ID), form, "HX-Request", "true", "HX-Target", "suggestions").
			wantStatus(http.StatusOK)
		result := res.byID("conversion-result")
		if countOrders() != before+1 {
			t.Fatalf("%d orders made, want 1", countOrders()-before)
		}
		if err := a.db.Get(&made, `SELECT max(id) FROM purchase_orders`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(result, purchasing.OrderNumber(made)) || !strings.Contains(res.Body, purchaseOrderURL(made)) {
			t.Errorf("result %q lacks a link to %s", result, purchasing.OrderNumber(made))
		}
		d, err := a.svc.Order(staffContext(t, a.app, "buyer"), made)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != purchasing.Draft || d.LocationID != tpe2 || len(d.Lines) != 1 || d.Lines[0].VariantID != a.variant ||
			d.Lines[0].Quantity != g.Quantity {
			t.Errorf("order %+v, want a draft of %d × variant %d to TPE-02", d.Order, g.Quantity, a.variant)
		}
		// A double submit (or a retry) reports the same draft and makes nothing more.
		again := buyer.post(suggestionsConvertURL(run.ID), form, "HX-Request", "true", "HX-Target", "suggestions").
			wantStatus(http.StatusOK)
		if countOrders() != before+1 || !strings.Contains(again.byID("conversion-result"), "converted already") ||
			!strings.Contains(again.Body, purchaseOrderURL(made)) {
			t.Errorf("second submit: %d orders made; result %q", countOrders()-before, again.byID("conversion-result"))
		}
	})
	t.Run("the converted line links to its draft", func(t *testing.T) {
		row := buyer.get(suggestionsRunURL(run.ID)).wantStatus(http.StatusOK)
		if !strings.Contains(row.byID("suggestion-"+strconv.FormatInt(g.ID, 10)), "PO "+strconv.FormatInt(made, 10)) {
			t.Errorf("row %q", row.byID("suggestion-"+strconv.FormatInt(g.ID, 10)))
		}
	})
	t.Run("without JavaScript the browser returns to the run", func(t *testing.T) {
		var other []string
		for _, s := range run.Suggestions {
			if s.Kind != replenishment.Unsourced && s.ID != g.ID {
				other = append(other, strconv.FormatInt(s.ID, 10))
			}
		}
		if len(other) == 0 {
			t.Skip("the run has a single suggestion")
		}
		buyer.post(suggestionsConvertURL(run.ID), url.Values{"suggestion": other[:1]}).wantRedirect(suggestionsRunURL(run.ID))
	})
	t.Run("a run of an earlier day cannot be converted", func(t *testing.T) {
		if _, err := a.db.Exec(`UPDATE replenishment_runs SET as_of = as_of - 2 WHERE id = $1`, run.ID); err != nil {
			t.Fatal(err)
		}
		page := buyer.get(suggestionsRunURL(run.ID)).wantStatus(http.StatusOK)
		if !page.hasID("stale-run") || len(page.values("suggestion")) != 0 || page.hasID("convert-suggestions") {
			t.Errorf("a stale run offers conversion:\n%s", page.byID("suggestions"))
		}
		res := buyer.post(suggestionsConvertURL(run.ID), url.Values{"suggestion": {strconv.FormatInt(g.ID, 10)}},
			"HX-Request", "true", "HX-Target", "suggestions").wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "compute fresh suggestions") {
			t.Errorf("body:\n%s", res.Body)
		}
	})
	t.Run("an unknown run is not found", func(t *testing.T) {
		buyer.get(suggestionsURL + "?run=999999").wantStatus(http.StatusNotFound)
		buyer.get(suggestionsURL + "?run=abc").wantStatus(http.StatusNotFound)
	})
}
