package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"atrium/internal/payables"
)

// TestBrowserWorkbench takes a bill that does not match from exception to paid in
// Chromium, each step in place on the workbench: the accountant who entered it accepts the
// difference with a reason, the manager approves it, and a partial payment is recorded.
func TestBrowserWorkbench(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 12)
	p.receive(t, o, 0, 10)
	b := p.enterBill(t, 1, billLine(p.lineOf(t, o, 0), 12, "100"))
	if b.Status != payables.Exception {
		t.Fatalf("bill is %s", b.Status)
	}
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	status := func(t *testing.T) payables.Status {
		t.Helper()
		got, err := p.deps.Payables.Bill(p.as("manager"), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}

	runStep(t, "the accountant accepts the difference with a reason, in place", func(t *testing.T) {
		signInTo(t, browser, p.srv.URL, "accountant", billURL(b.ID), `#accept-form`)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#bill-line-1`))); !strings.Contains(got, "Billed 12 but only 10 received") {
			t.Fatalf("line %q", got)
		}
		browse(t, browser,
			typeInto(chromedp.CSS(`#accept-reason`), "Two extra units kept as samples"),
			chromedp.Click(chromedp.CSS(`#accept-variance`)),
			chromedp.WaitVisible(chromedp.CSS(`#bill-status.badge-bill-accepted`)),
		)
		notReloaded(t, browser)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#bill-resolution`))); !strings.Contains(got, "Two extra units kept as samples") {
			t.Fatalf("resolution %q", got)
		}
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#approve-self`))); !strings.Contains(got, "another accountant or a manager") {
			t.Fatalf("approval note %q", got)
		}
		if st := status(t); st != payables.Accepted {
			t.Fatalf("status %s", st)
		}
	})

	runStep(t, "the manager approves it, in place", func(t *testing.T) {
		signInTo(t, browser, p.srv.URL, "manager", billURL(b.ID), `#approve-form`)
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`#approve-bill`)),
			chromedp.WaitVisible(chromedp.CSS(`#pay-form`)),
		)
		notReloaded(t, browser)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#bill-status`))); got != "Approved for payment" {
			t.Fatalf("status badge %q", got)
		}
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#bill-approved-by`))); !strings.Contains(got, "Grace Lin") {
			t.Fatalf("approved by %q", got)
		}
		if st := status(t); st != payables.Approved {
			t.Fatalf("status %s", st)
		}
	})

	runStep(t, "a partial payment is recorded, in place", func(t *testing.T) {
		browse(t, browser,
			changeValue(`#pay-amount`, ""),
			typeInto(chromedp.CSS(`#pay-amount`), "500"),
			typeInto(chromedp.CSS(`#pay-reference`), "TT-20260105"),
			chromedp.Click(chromedp.CSS(`#record-payment`)),
			chromedp.WaitVisible(chromedp.CSS(`#payments`)),
		)
		notReloaded(t, browser)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#payments`))); !strings.Contains(got, "NT$500") || !strings.Contains(got, "TT-20260105") {
			t.Fatalf("payments %q", got)
		}
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#bill-open`))); got != formatMoney(b.Total-500_00, "TWD") {
			t.Fatalf("open %q", got)
		}
		if st := status(t); st != payables.PartiallyPaid {
			t.Fatalf("status %s", st)
		}
	})
}
