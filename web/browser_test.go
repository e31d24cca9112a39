package web

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/order"
	"atrium/internal/testdb"
)

// chromiumPath is the browser the browser tests drive, or "" when none is installed.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile for the test. Without one
// installed the test is skipped, except in CI (the Makefile installs it there).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed, and CI needs the browser tests (make deps-chromium installs it)")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium); skipping the browser tests")
	}
	profile, err := os.MkdirTemp("", "atrium-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) }) // runs after the browser has stopped
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// Start the browser on a context without a deadline: a deadline on the first run
	// would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestBrowser drives the real back office in Chromium: sign in through the form, search
// the products live (HTMX), use the variant line editor and see an inline error.
func TestBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()

	do := func(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browse(t, browser, steps...)
	}

	runStep(t, "sign in", func(t *testing.T) {
		do(t,
			chromedp.Navigate(a.srv.URL+"/admin/products"),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("buyer"),
			chromedp.WaitVisible(chromedp.CSS(`#product-results table`)),
		)
	})

	runStep(t, "live search updates the table in place", func(t *testing.T) {
		last := lastProduct(t, a)
		target := chromedp.CSS(`#product-results a[href="` + productURL(last.ID) + `"]`)
		do(t,
			markLoaded,
			chromedp.WaitNotPresent(target), // it is not on the first page
			typeInto(chromedp.CSS(`input[name="q"]`), last.Title),
			chromedp.WaitVisible(target),
		)
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		marker, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.atriumLoaded || "reloaded"`))
		if err != nil || marker != "first load" {
			t.Fatalf("the page was reloaded (%q, %v)", marker, err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil || !strings.Contains(loc, "q=") {
			t.Fatalf("the search is not in the address bar: %q %v", loc, err)
		}
	})

	runStep(t, "bad barcode shows inline, with the line editor", func(t *testing.T) {
		p, vs := demoProduct(t, a, 2)
		rows := strconv.Itoa(len(vs))
		added := chromedp.CSS(`#variant-rows tr:nth-child(` + strconv.Itoa(len(vs)+1) + `)`)
		bad := wrongCheckDigit(*vs[1].Barcode)
		barcode := chromedp.CSS(`#variant-rows tr:nth-child(2) input[name="variant_barcode"]`)
		do(t,
			chromedp.Navigate(a.srv.URL+productURL(p.ID)),
			chromedp.WaitVisible(chromedp.CSS(`#variant-rows tr:nth-child(`+rows+`)`)),
			// Add a row (HTMX) and remove it again (app.js), all in the page.
			chromedp.Click(chromedp.CSS(`button[value="add-row"]`)),
			chromedp.WaitVisible(added),
			chromedp.Click(chromedp.CSS(`#variant-rows tr:nth-child(`+strconv.Itoa(len(vs)+1)+`) button[data-remove-row]`)),
			chromedp.WaitNotPresent(added),
			chromedp.SetValue(barcode, bad),
			chromedp.Click(chromedp.CSS(`#save-product`)),
			chromedp.WaitVisible(chromedp.CSS(`#error-variants-1-barcode`)),
		)
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#error-variants-1-barcode`)))
		if err != nil || !strings.Contains(msg, "check digit") {
			t.Fatalf("inline error %q, %v", msg, err)
		}
		typed, err := chromedp.Run(ctx, chromedp.Value(barcode))
		if err != nil || typed != bad {
			t.Fatalf("barcode input %q after the error, want what was typed (%q); %v", typed, bad, err)
		}
	})
}

// signInAs fills in the sign-in form on the page with login and the demo password and
// sends it.
func signInAs(login string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		typeInto(chromedp.CSS(`input[name="login"]`), login),
		typeInto(chromedp.CSS(`input[name="password"]`), testdb.DemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button[type="submit"]`)),
	)
}

// markLoaded marks the page so that notReloaded can tell whether it was loaded again.
var markLoaded = chromedp.Evaluate[chromedp.Void](`window.atriumLoaded = "first load"`)

// notReloaded fails the test when the page marked by markLoaded was loaded again: an
// HTMX update must happen in place.
func notReloaded(t *testing.T, browser context.Context) {
	t.Helper()
	if marker := browserValue(t, browser, chromedp.Evaluate[string](`window.atriumLoaded || "reloaded"`)); marker != "first load" {
		t.Fatalf("the page was reloaded (%q)", marker)
	}
}

// signInTo signs out whoever is signed in, opens path on the server at base, signs login
// in on the way, waits for ready and marks the page (markLoaded).
func signInTo(t *testing.T, browser context.Context, base, login, path, ready string) {
	t.Helper()
	browse(t, browser,
		chromedp.Navigate(base+"/admin/login"),
		chromedp.WaitVisible(chromedp.CSS(`body`)),
	)
	if n := browserValue(t, browser, chromedp.Evaluate[int](`document.querySelectorAll('form[action="/admin/logout"]').length`)); n > 0 {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`form[action="/admin/logout"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
		)
	}
	browse(t, browser,
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
		signInAs(login),
		chromedp.WaitVisible(chromedp.CSS(ready)),
		markLoaded,
	)
}

// browse runs browser steps with a guard against hanging, not a measure of speed.
func browse(t *testing.T, browser context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// browserValue runs a browser action that returns a value, with browse's guard.
func browserValue[T any](t *testing.T, browser context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runStep runs one step of a browser test, ending the test when it fails: the steps build
// on each other.
func runStep(t *testing.T, name string, f func(t *testing.T)) {
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// TestBrowserTransferLookup creates a transfer in Chromium with the line editor: a SKU
// typed into one line and a barcode "scanned" (typed, then Enter) into another are looked
// up by HTMX, which fills in each line's variant and the source's stock, without a reload.
func TestBrowserTransferLookup(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	l1, v1 := demoLevel(t, a, "WH-TAO", 5, 0)
	_, v2 := demoLevel(t, a, "WH-TAO", 5, 1)
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()

	runStep(t, "sign in on the way to a new transfer", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+"/admin/stock/transfers/new"),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("associate"),
			chromedp.WaitVisible(chromedp.CSS(`#line-code-0`)),
			markLoaded,
		)
	})
	runStep(t, "a typed SKU fills its line", func(t *testing.T) {
		browse(t, browser,
			typeInto(chromedp.CSS(`#line-code-0`), strings.ToLower(v1.SKU)+kb.Tab),
			chromedp.WaitVisible(chromedp.CSS(`#line-0 .line-source .available`)),
			typeInto(chromedp.CSS(`#line-qty-0`), "2"),
		)
		variant := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#line-0 .line-variant`)))
		source := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#line-0 .line-source`)))
		if !strings.Contains(variant, v1.SKU) || !strings.Contains(source, formatCount(l1.Available())+" available at WH-TAO") {
			t.Fatalf("line 1 shows %q / %q", variant, source)
		}
	})
	runStep(t, "a scanned barcode fills a new line", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`button[value="add-line"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#line-code-1`)),
			typeInto(chromedp.CSS(`#line-code-1`), *v2.Barcode+kb.Enter),
		)
		ctx, cancel := context.WithTimeout(browser, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#line-1 .line-source .available`))); err != nil {
			html := browserValue(t, browser, chromedp.Evaluate[string](`document.querySelector("#transfer-lines").outerHTML + " focus=" + (document.activeElement && document.activeElement.id)`))
			t.Fatalf("%v\n%s\n%s", err, html, a.log.String())
		}
		browse(t, browser, typeInto(chromedp.CSS(`#line-qty-1`), "1"))
		if variant := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#line-1 .line-variant`))); !strings.Contains(variant, v2.SKU) {
			t.Fatalf("line 2 shows %q", variant)
		}
		notReloaded(t, browser)
	})
	runStep(t, "the transfer is created", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#create-transfer`)),
			chromedp.WaitVisible(chromedp.CSS(`#transfer-facts`)),
		)
		page, err := a.deps.Inventory.Transfers(system(), inventory.TransferFilter{})
		if err != nil || len(page.Transfers) != 1 {
			t.Fatalf("transfers %+v, %v", page.Transfers, err)
		}
		got := map[int64]int{}
		for _, l := range page.Transfers[0].Lines {
			got[l.VariantID] = l.Qty
		}
		if len(got) != 2 || got[v1.ID] != 2 || got[v2.ID] != 1 {
			t.Fatalf("lines %v", got)
		}
	})
}

// pageErrors collects what would show as errors in the browser's console (uncaught
// exceptions, console.error, CSP violations), except failed loads such as a missing favicon.
func pageErrors(t *testing.T, browser context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	add := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, s)
	}
	err := chromedp.Listen(browser, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			add("exception: " + e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				msg := "console.error"
				for _, a := range e.Args {
					msg += " " + string(a.Value) + " " + a.Description
				}
				add(msg)
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source != cdplog.EntrySourceNetwork {
				add(string(e.Entry.Source) + ": " + e.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(browser, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

// lastProduct is the demo product with the highest id: never on the list's first page.
func lastProduct(t *testing.T, a *app) catalog.Product {
	t.Helper()
	var last catalog.Product
	var after int64
	for {
		page, err := a.deps.Catalog.ListProducts(system(), catalog.ProductQuery{After: after, First: catalog.MaxPage})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Products) > 0 {
			last = page.Products[len(page.Products)-1]
			after = last.ID
		}
		if !page.HasNextPage {
			return last
		}
	}
}

// TestBrowserInspectionRelease releases a held order from the inspection queue in
// Chromium: the note and the Release button post by HTMX, the order's row leaves the
// queue, the status line says so and the navigation's badge counts down, without a reload.
func TestBrowserInspectionRelease(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	_, kept := a.held(t, "first@example.com")
	_, released := a.held(t, "second@example.com")
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	row := "#" + holdRowID(released.ID)

	runStep(t, "sign in on the way to the queue", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+inspectionURL),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("manager"),
			chromedp.WaitVisible(chromedp.CSS(row)),
			markLoaded,
		)
		if badge := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#nav-inspection .badge`))); !strings.HasPrefix(badge, "2") {
			t.Fatalf("badge %q before", badge)
		}
	})
	runStep(t, "release: the row leaves the queue", func(t *testing.T) {
		browse(t, browser,
			typeInto(chromedp.CSS(row+` input[name="note"]`), "called the customer: two gifts"),
			chromedp.Click(chromedp.CSS(row+` button.release`)),
			chromedp.WaitNotPresent(chromedp.CSS(row)),
			chromedp.WaitVisible(chromedp.CSS(`#queue-status .flash`)),
		)
		status := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#queue-status`)))
		if !strings.Contains(status, "Order "+released.Number+" released to fulfilment.") {
			t.Fatalf("status %q", status)
		}
		if badge := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#nav-inspection .badge`))); !strings.HasPrefix(badge, "1") {
			t.Fatalf("badge %q after", badge)
		}
		browse(t, browser, chromedp.WaitVisible(chromedp.CSS("#"+holdRowID(kept.ID))))
		notReloaded(t, browser)
		if got := a.order(t, released.ID).Status; got != order.Open {
			t.Fatalf("released order is %s", got)
		}
	})
}

// typeInto types text into the element sel as a user would: it waits until it is
// visible, focuses it and sends the keys. Not chromedp.SendKeys: in chromedp v0.23.0 it
// reads the node's attributes before taking the node's lock, a data race with the DOM
// events of HTMX changing them that -race reports.
func typeInto[S chromedp.Selectable](sel S, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(sel), chromedp.Focus(sel), chromedp.KeyEvent(text))
}
