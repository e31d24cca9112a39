package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"atrium/internal/order"
)

// TestBrowserScanToPack drives the pack screen in Chromium as a barcode scanner does (the
// code, then Enter): a wrong item is refused in place, each right one advances the
// progress without reloading the page, and packing completes once every unit is scanned.
func TestBrowserScanToPack(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	o := a.ship(t, "scan.browser@example.com", []order.LineInput{line(a.v1, 2), line(a.v2, 1)})
	f := a.fulfilmentOf(t, o.ID)
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	scan := func(t *testing.T, code string, then chromedp.Action[chromedp.Void]) {
		t.Helper()
		browse(t, browser,
			chromedp.WaitVisible(chromedp.CSS(`#scan-code`)),
			typeInto(chromedp.CSS(`#scan-code`), code+kb.Enter),
			then,
		)
	}

	runStep(t, "sign in on the way to the pack screen", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+fulfilmentURL(f.ID)),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("fulfilment"),
			chromedp.WaitVisible(chromedp.CSS(`#scan-form`)),
			markLoaded,
		)
	})
	runStep(t, "a wrong item is refused with what is expected", func(t *testing.T) {
		scan(t, "4710000000000", chromedp.WaitVisible(chromedp.CSS(`#scan-feedback.flash-error`)))
		msg := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#scan-feedback`)))
		if !strings.Contains(msg, "is not on this order") || !strings.Contains(msg, a.v1.SKU) {
			t.Fatalf("feedback %q", msg)
		}
	})
	runStep(t, "each unit scanned advances the progress in place", func(t *testing.T) {
		scan(t, *a.v1.Barcode, chromedp.WaitVisible(chromedp.CSS(`progress[value="1"]`)))
		if msg := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#scan-feedback.flash-success`))); !strings.Contains(msg, "1 of 2 scanned") {
			t.Fatalf("feedback %q", msg)
		}
		scan(t, strings.ToLower(a.v1.SKU), chromedp.WaitVisible(chromedp.CSS(`progress[value="2"]`)))
		scan(t, *a.v1.Barcode, chromedp.WaitVisible(chromedp.CSS(`#scan-feedback.flash-error`)))
		if msg := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#scan-feedback`))); !strings.Contains(msg, "already scanned") {
			t.Fatalf("one too many: feedback %q", msg)
		}
		scan(t, *a.v2.Barcode, chromedp.WaitVisible(chromedp.CSS(`#pack-button`)))
		notReloaded(t, browser)
	})
	runStep(t, "pack, then the ship form", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#pack-button`)),
			chromedp.WaitVisible(chromedp.CSS(`#ship-form`)),
		)
		v, err := a.deps.Orders.FulfilmentByID(system(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != order.FulfilmentPacked || v.ScannedUnits() != 3 || len(v.Scans) != 3 {
			t.Fatalf("fulfilment %s with %d scans, want PACKED with 3", v.Status, len(v.Scans))
		}
	})
}
