package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"atrium/internal/payables"
)

// runFormOf returns the values of the inputs inside the form with id, as the browser would
// post them.
func (r *response) runFormOf(id string) url.Values {
	r.t.Helper()
	root := find(r.document(), func(n *html.Node) bool { return attr(n, "id") == id })
	if len(root) == 0 {
		r.t.Fatalf("no form #%s; body:\n%s", id, r.Body)
	}
	v := url.Values{}
	for _, n := range find(root[0], func(n *html.Node) bool { return n.Data == "input" }) {
		v.Add(attr(n, "name"), attr(n, "value"))
	}
	return v
}

// approvedRunBill enters a bill of qty units of variants[0] on order line line dated
// daysAgo, and has the manager approve it.
func (p payablesApp) approvedRunBill(t *testing.T, line int64, daysAgo, qty int) payables.Bill {
	t.Helper()
	b := p.enterBill(t, daysAgo, billLine(line, qty, "100"))
	b, err := p.deps.Payables.ApproveBill(p.as("manager"), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runDay is the UTC date days from today, as a form takes it.
func runDay(days int) string {
	return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly)
}

func TestPaymentRunPages(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 20, 0)
	p.receive(t, o, 0, 20)
	line := p.lineOf(t, o, 0)
	due := p.approvedRunBill(t, line, 40, 5)  // due 10 days ago, discount expired
	fresh := p.approvedRunBill(t, line, 5, 5) // discount until 5 days from now
	later := p.approvedRunBill(t, line, 0, 5) // due in 30 days, discount in 10: not in a 7-day run
	unreceived := p.sentOrder(t, 0, 4)
	exception := p.enterBill(t, 40, billLine(p.lineOf(t, unreceived, 1), 4, "250.50"))
	if exception.Status != payables.Exception || fresh.DiscountAmount == 0 {
		t.Fatalf("fixture: %s, discount %d", exception.Status, fresh.DiscountAmount)
	}
	accountant := p.signedIn("accountant")
	money := func(n int64) string { return formatMoney(n, "TWD") }

	var page *response
	t.Run("the preview pays approved bills with their discount and holds the exception", func(t *testing.T) {
		page = accountant.get(paymentRunsURL).wantStatus(http.StatusOK)
		rows := page.rows("run-bills")
		if len(rows) != 2 {
			t.Fatalf("bills to pay %v", rows)
		}
		byNumber := map[string][]string{}
		for _, r := range rows {
			byNumber[r[1]] = r
		}
		if r := byNumber[due.Number]; r == nil || r[6] != "" || r[7] != money(due.Total) {
			t.Errorf("due bill %v, want %s without discount", r, money(due.Total))
		}
		if r := byNumber[fresh.Number]; r == nil || r[6] != money(fresh.DiscountAmount) || r[7] != money(fresh.Total-fresh.DiscountAmount) {
			t.Errorf("bill in its discount window %v, want discount %s", r, money(fresh.DiscountAmount))
		}
		if _, ok := byNumber[later.Number]; ok {
			t.Error("a bill not due within the week is proposed")
		}
		held := page.rows("run-held")
		if len(held) != 1 || held[0][1] != exception.Number || !strings.Contains(held[0][4], "not received") {
			t.Errorf("held %v, want %s not received", held, exception.Number)
		}
		if got := page.byID("pay-button"); got != "Pay 2 bills" {
			t.Errorf("button %q", got)
		}
		if f := page.runFormOf("pay-form"); f.Get("idempotencyKey") == "" || f.Get("fingerprint") == "" {
			t.Errorf("pay form %v lacks its key or fingerprint", f)
		}
		if got := page.byID("run-totals"); !strings.Contains(got, money(due.Total+fresh.Total-fresh.DiscountAmount)) {
			t.Errorf("totals %q", got)
		}
	})

	t.Run("the preview follows the dates (HTMX)", func(t *testing.T) {
		res := accountant.get(paymentRunsURL+"?payDate="+runDay(0)+"&dueBy="+runDay(0)+"&supplier="+
			strconv.FormatInt(p.supplier.ID, 10), "HX-Request", "true", "HX-Target", "payment-run").wantStatus(http.StatusOK)
		if strings.Contains(res.Body, "<html") || !res.hasID("payment-run") || res.hasID("payment-runs") {
			t.Fatalf("not the form's fragment:\n%s", res.Body)
		}
		if rows := res.rows("run-bills"); len(rows) != 1 || rows[0][1] != due.Number {
			t.Errorf("due today %v, want only %s", rows, due.Number)
		}
		if got := res.byID("pay-button"); got != "Pay 1 bill" {
			t.Errorf("button %q", got)
		}
	})

	t.Run("bad dates are shown beside the fields, as typed", func(t *testing.T) {
		res := accountant.get(paymentRunsURL + "?payDate=2026-02-31&dueBy=" + runDay(7)).wantStatus(http.StatusOK)
		if got := res.byID("error-payDate"); !strings.Contains(got, "enter a date") {
			t.Errorf("pay date error %q", got)
		}
		if got := attr(res.inputs("payDate")[0], "value"); got != "2026-02-31" {
			t.Errorf("pay date %q, want as typed", got)
		}
		if res.hasID("pay-button") {
			t.Error("a run can be paid with a bad date")
		}
		res = accountant.get(paymentRunsURL + "?payDate=" + runDay(-10) + "&dueBy=" + runDay(7)).wantStatus(http.StatusOK)
		if got := res.byID("error-payDate"); !strings.Contains(got, "in the past") {
			t.Errorf("past pay date error %q", got)
		}
	})

	t.Run("an empty proposal says so and cannot be paid", func(t *testing.T) {
		res := accountant.get(paymentRunsURL + "?payDate=" + runDay(0) + "&dueBy=" + runDay(-60)).wantStatus(http.StatusOK)
		if !strings.Contains(res.byID("run-empty"), "nothing to pay") {
			t.Errorf("empty proposal: %q", res.byID("run-empty"))
		}
		if btn := find(res.document(), func(n *html.Node) bool { return attr(n, "id") == "pay-button" }); len(btn) != 1 || !hasAttr(btn[0], "disabled") {
			t.Error("the pay button is not disabled")
		}
	})

	var runURL string
	form := page.runFormOf("pay-form")
	t.Run("confirming pays exactly the previewed bills", func(t *testing.T) {
		res := accountant.post(paymentRunsURL, form).wantRedirect(paymentRunsURL + "/*")
		runURL = res.Header.Get("Location")
		run := accountant.get(runURL).wantStatus(http.StatusOK)
		run.wantContains("Payment run recorded.", "The remittance advice was emailed to ap@formosa.example.")
		rows := run.rows("run-supplier-" + strconv.FormatInt(p.supplier.ID, 10))
		paid := map[string]string{}
		for _, r := range rows[:len(rows)-1] {
			paid[r[0]] = r[3]
		}
		if len(paid) != 2 || paid[due.Number] != money(due.Total) || paid[fresh.Number] != money(fresh.Total-fresh.DiscountAmount) {
			t.Errorf("paid %v", paid)
		}
		if total := rows[len(rows)-1]; total[3] != money(due.Total+fresh.Total-fresh.DiscountAmount) {
			t.Errorf("supplier total %v", total)
		}
		for _, b := range []payables.Bill{due, fresh, exception, later} {
			got, err := p.deps.Payables.Bill(p.as("accountant"), b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if wantPaid := b.ID == due.ID || b.ID == fresh.ID; (got.Status == payables.Paid) != wantPaid {
				t.Errorf("bill %s is %s", b.Number, got.Status)
			}
		}
		if !strings.Contains(strings.Join(run.links(), " "), billURL(due.ID)) {
			t.Error("the run does not link to its bills")
		}
	})

	t.Run("posting the same form again pays once", func(t *testing.T) {
		accountant.post(paymentRunsURL, form).wantRedirect(runURL)
		runs, err := p.deps.Payables.PaymentRuns(p.as("accountant"), payables.PaymentRunFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs.Runs) != 1 || runs.Runs[0].Totals[0].Bills != 2 {
			t.Errorf("runs %+v", runs.Runs)
		}
		list := accountant.get(paymentRunsURL).wantStatus(http.StatusOK)
		if rows := list.rows("payment-runs"); len(rows) != 1 || rows[0][4] != "2" ||
			rows[0][5] != money(due.Total+fresh.Total-fresh.DiscountAmount) {
			t.Errorf("runs list %v", rows)
		}
	})

	t.Run("remittance advice PDF", func(t *testing.T) {
		res := accountant.get(runURL + "/remittance/" + strconv.FormatInt(p.supplier.ID, 10)).wantStatus(http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(res.Body, "%PDF") {
			t.Errorf("%s, %.10q", ct, res.Body)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="remittance-RUN-`) || !strings.Contains(cd, "SUP-AP.pdf") {
			t.Errorf("disposition %q", cd)
		}
		accountant.get(runURL + "/remittance/999999").wantStatus(http.StatusNotFound)
	})

	t.Run("a proposal that changed since the preview is shown again, not paid", func(t *testing.T) {
		extra := p.approvedRunBill(t, line, 35, 2)
		stale := accountant.get(paymentRunsURL).wantStatus(http.StatusOK)
		if got := stale.byID("pay-button"); got != "Pay 1 bill" {
			t.Fatalf("button %q", got)
		}
		o2 := p.sentOrder(t, 3, 0)
		p.receive(t, o2, 0, 3)
		approvedMeanwhile := p.approvedRunBill(t, p.lineOf(t, o2, 0), 36, 3)
		res := accountant.post(paymentRunsURL, stale.runFormOf("pay-form")).wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("changed since the preview")
		if got := res.byID("pay-button"); got != "Pay 2 bills" {
			t.Errorf("button after the change %q", got)
		}
		for _, b := range []payables.Bill{extra, approvedMeanwhile} {
			if got, _ := p.deps.Payables.Bill(p.as("accountant"), b.ID); got.Status != payables.Approved {
				t.Errorf("bill %s is %s", b.Number, got.Status)
			}
		}
		accountant.post(paymentRunsURL, res.runFormOf("pay-form")).wantRedirect(paymentRunsURL + "/*")
	})

	t.Run("an associate may not pay", func(t *testing.T) {
		associate := p.signedIn("associate")
		associate.get(paymentRunsURL).wantStatus(http.StatusForbidden)
		associate.post(paymentRunsURL, form).wantStatus(http.StatusForbidden)
		associate.get(runURL).wantStatus(http.StatusForbidden)
		associate.get(supplierLedgerURL(p.supplier.ID)).wantStatus(http.StatusForbidden)
	})
}

func TestSupplierLedgerPage(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 10, 0)
	p.receive(t, o, 0, 10)
	line := p.lineOf(t, o, 0)
	paid := p.approvedRunBill(t, line, 40, 4)
	open := p.approvedRunBill(t, line, 4, 6) // discount until 6 days from now
	unreceived := p.sentOrder(t, 0, 2)
	exception := p.enterBill(t, 30, billLine(p.lineOf(t, unreceived, 1), 2, "250.50"))
	if _, err := p.deps.Payables.RunPayments(p.as("accountant"), payables.PaymentRunInput{IdempotencyKey: "web-ledger-1",
		PayDate: time.Now().UTC(), DueBy: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	money := func(n int64) string { return formatMoney(n, "TWD") }

	res := p.signedIn("accountant").get(supplierLedgerURL(p.supplier.ID)).wantStatus(http.StatusOK)
	t.Run("ledger with a running balance", func(t *testing.T) {
		rows := res.rows("ledger")
		// Bills dated 40, 30 and 4 days ago, and today's payment of the first.
		if len(rows) != 4 {
			t.Fatalf("ledger %v", rows)
		}
		want := []struct{ kind, ref, amount, balance string }{
			{"Bill", paid.Number, money(paid.Total), money(paid.Total)},
			{"Bill", exception.Number, money(exception.Total), money(paid.Total + exception.Total)},
			{"Bill", open.Number, money(open.Total), money(paid.Total + exception.Total + open.Total)},
			{"Payment", "RUN-", "-" + money(paid.Total), money(exception.Total + open.Total)},
		}
		for i, w := range want {
			r := rows[i]
			if r[1] != w.kind || !strings.HasPrefix(r[2], w.ref) || r[3] != w.amount || r[4] != w.balance {
				t.Errorf("row %d %v, want %+v", i, r, w)
			}
		}
		if got := res.byID("ledger-balance"); got != money(exception.Total+open.Total) {
			t.Errorf("balance %q", got)
		}
		if !strings.Contains(strings.Join(res.links(), " "), billURL(paid.ID)) {
			t.Error("the ledger does not link to the bills")
		}
	})
	t.Run("open bills, held ones with why", func(t *testing.T) {
		rows := res.rows("open-bills")
		if len(rows) != 2 || rows[0][0] != exception.Number || !strings.Contains(rows[0][4], "not received") ||
			rows[1][0] != open.Number || rows[1][6] != money(open.Total) {
			t.Errorf("open bills %v", rows)
		}
		if rows := res.rows("supplier-runs"); len(rows) != 1 {
			t.Errorf("runs %v", rows)
		}
	})
	t.Run("a link to pay the supplier", func(t *testing.T) {
		want := paymentRunsForSupplierURL(p.supplier.ID)
		if !strings.Contains(strings.Join(res.links(), " "), want) {
			t.Fatalf("no link to %s", want)
		}
		run := p.signedIn("accountant").get(want).wantStatus(http.StatusOK)
		if rows := run.rows("run-bills"); len(rows) != 1 || rows[0][1] != open.Number {
			t.Errorf("run for the supplier %v", rows)
		}
	})
	t.Run("unknown supplier", func(t *testing.T) {
		p.signedIn("accountant").get(supplierLedgerURL(999_999)).wantStatus(http.StatusNotFound)
	})
}

// TestBrowserPaymentRun drives the payment run screen in Chromium: changing the due-by
// date updates the proposal in place (HTMX), and "Pay" pays what it shows.
func TestBrowserPaymentRun(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 10, 0)
	p.receive(t, o, 0, 10)
	line := p.lineOf(t, o, 0)
	due := p.approvedRunBill(t, line, 40, 5)
	p.approvedRunBill(t, line, 5, 5) // in its discount window until 5 days from now
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	button := chromedp.CSS(`#pay-button`)

	runStep(t, "sign in and preview", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(p.srv.URL+paymentRunsURL),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("accountant"),
			chromedp.WaitVisible(button),
		)
		if got := browserValue(t, browser, chromedp.Text(button)); got != "Pay 2 bills" {
			t.Fatalf("button %q", got)
		}
	})

	today := runDay(0)
	runStep(t, "a new due-by date updates the proposal in place", func(t *testing.T) {
		browse(t, browser,
			markLoaded,
			chromedp.Evaluate[chromedp.Void](`(() => { const d = document.getElementById("run-due-by");
				d.value = "`+today+`"; d.dispatchEvent(new Event("change", {bubbles: true})); })()`),
			chromedp.WaitReady(chromedp.CSS(`#pay-form input[name="dueBy"][value="`+today+`"]`)),
		)
		if got := browserValue(t, browser, chromedp.Text(button)); got != "Pay 1 bill" {
			t.Errorf("button %q after the change", got)
		}
		if marker := browserValue(t, browser, chromedp.Evaluate[string](`window.atriumLoaded || "reloaded"`)); marker != "first load" {
			t.Errorf("the page was reloaded (%q)", marker)
		}
		if loc := browserValue(t, browser, chromedp.Location()); !strings.Contains(loc, "dueBy="+today) {
			t.Errorf("the dates are not in the address bar: %q", loc)
		}
	})

	runStep(t, "pay what is shown", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(button),
			chromedp.WaitVisible(chromedp.CSS(`#run-facts`)),
		)
		rows := browserValue(t, browser, chromedp.Text(chromedp.CSS(`main`)))
		if !strings.Contains(rows, "Payment run recorded.") || !strings.Contains(rows, due.Number) {
			t.Errorf("run page %q", rows)
		}
		b, err := p.deps.Payables.Bill(p.as("accountant"), due.ID)
		if err != nil || b.Status != payables.Paid {
			t.Errorf("due bill %s, %v", b.Status, err)
		}
	})
}
