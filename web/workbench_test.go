package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/net/html"

	"atrium/internal/payables"
)

// htmxWorkbench are the headers of an action posted from the workbench by HTMX.
var htmxWorkbench = []string{"HX-Request", "true", "HX-Target", "workbench"}

func TestWorkbench(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	accountant, manager := p.signedIn("accountant"), p.signedIn("manager")
	status := func(t *testing.T, id int64) payables.Status {
		t.Helper()
		b, err := p.deps.Payables.Bill(p.as("manager"), id)
		if err != nil {
			t.Fatal(err)
		}
		return b.Status
	}
	// matched is a bill of 5 units of the cheap variant, all received, at the order price.
	matched := func(t *testing.T) payables.Bill {
		t.Helper()
		o := p.sentOrder(t, 5)
		p.receive(t, o, 0, 5)
		b := p.enterBill(t, 1, billLine(p.lineOf(t, o, 0), 5, "100"))
		if b.Status != payables.Matched {
			t.Fatalf("bill is %s", b.Status)
		}
		return b
	}
	// overBilled is a bill of 12 units of the cheap variant of which 10 were received.
	overBilled := func(t *testing.T) payables.Bill {
		t.Helper()
		o := p.sentOrder(t, 12)
		p.receive(t, o, 0, 10)
		b := p.enterBill(t, 1, billLine(p.lineOf(t, o, 0), 12, "100"))
		if b.Status != payables.Exception {
			t.Fatalf("bill is %s", b.Status)
		}
		return b
	}

	t.Run("each difference explained", func(t *testing.T) {
		o := p.sentOrder(t, 10, 4)
		p.receive(t, o, 0, 10)
		in := payables.BillInput{SupplierID: p.supplier.ID, Number: "WB-EXC-1", BillDate: time.Now().UTC().AddDate(0, 0, -1),
			Currency: "TWD", Lines: []payables.BillLineInput{
				billLine(p.lineOf(t, o, 0), 12, "105"),
				billLine(p.lineOf(t, o, 1), 4, "250.50"),
				{Description: "Freight", Quantity: 1, UnitPrice: decimal.NewFromInt(80)},
			}}
		// Subtotal 1,260 + 1,002 + 80 = 2,342; no tax printed and a total NT$10 too high.
		in.TaxAmount, in.Total = 0, 2352_00
		b, err := p.deps.Payables.EnterBill(p.as("accountant"), in)
		if err != nil {
			t.Fatal(err)
		}
		res := accountant.get(billURL(b.ID)).wantStatus(http.StatusOK)
		if got := res.byID("bill-status"); got != "Exception" {
			t.Errorf("status badge %q", got)
		}
		for id, want := range map[string][]string{
			"bill-line-1": {"Billed 12 but only 10 received", "2 too many",
				"Price NT$105 vs order NT$100: +5.0% (+NT$60 on the line), tolerance 1% / NT$100"},
			"bill-line-2":     {"Billed 4 but nothing has been received yet"},
			"bill-line-3":     {"Freight", "not on a purchase order", "Not on a purchase order"},
			"check-total":     {"Subtotal NT$2,342 + tax NT$0 = NT$2,342", "the bill's total is NT$2,352", "Off by +NT$10, more than the NT$1 allowed"},
			"check-tax":       {"Tax NT$0 vs 5% of the subtotal = NT$117.10", "Off by -NT$117.10"},
			"tolerances":      {"up to 1% and at most NT$100", "tax is expected at 5%"},
			"bill-blocked":    {"cannot be approved or paid"},
			"approve-blocked": {"wait until the differences are resolved"},
			"bill-facts":      {"Formosa Garments (SUP-AP)", "WB-EXC-1", "TWD", "Peter Chang", "not approved yet"},
			"bill-discount":   {"if paid by"},
			"receipts":        {"10"},
		} {
			got := res.byID(id)
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("#%s lacks %q: %s", id, w, got)
				}
			}
		}
		// The differing figures are marked, the agreeing ones not.
		marked := find(res.document(), func(n *html.Node) bool { return n.Data == "td" && strings.Contains(attr(n, "class"), "num differs") })
		if len(marked) < 4 {
			t.Errorf("%d cells marked as differing", len(marked))
		}
		if res.hasID("approve-form") || res.hasID("pay-form") {
			t.Error("a bill that does not match offers approval or payment")
		}
		for _, id := range []string{"accept-form", "credit-form", "reject-bill", "rematch-bill", "enter-credit-note"} {
			if !res.hasID(id) {
				t.Errorf("no #%s on an exception", id)
			}
		}
	})

	t.Run("nothing that does not match is approved or paid", func(t *testing.T) {
		b := overBilled(t)
		res := manager.post(billURL(b.ID)+"/approve", nil).wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("is EXCEPTION")
		res = manager.post(billURL(b.ID)+"/payments", url.Values{"amount": {"100"}, "paidOn": {"2026-01-05"}}).
			wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("only approved bills are paid")
		if st := status(t, b.ID); st != payables.Exception {
			t.Errorf("status %s", st)
		}
	})

	t.Run("accept the variance needs a reason", func(t *testing.T) {
		b := overBilled(t)
		res := accountant.post(billURL(b.ID)+"/accept", url.Values{"reason": {"ok"}}).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-reason"); !strings.Contains(got, "say why") {
			t.Errorf("reason error %q", got)
		}
		if got := res.byID("accept-reason"); got != "ok" {
			t.Errorf("typed reason %q not kept", got)
		}
		if st := status(t, b.ID); st != payables.Exception {
			t.Fatalf("status %s after a refused acceptance", st)
		}
		accountant.post(billURL(b.ID)+"/accept", url.Values{"reason": {"Two extra units kept as samples"}}).wantRedirect(billURL(b.ID))
		res = accountant.get(billURL(b.ID)).wantStatus(http.StatusOK)
		res.wantContains("Differences accepted: the bill can be approved")
		if got := res.byID("bill-resolution"); !strings.Contains(got, "Two extra units kept as samples") {
			t.Errorf("resolution %q", got)
		}
		if got := res.byID("history"); !strings.Contains(got, "Differences accepted by Peter Chang") {
			t.Errorf("history %q", got)
		}
		if st := status(t, b.ID); st != payables.Accepted {
			t.Errorf("status %s", st)
		}
	})

	t.Run("approval by someone else than who entered it", func(t *testing.T) {
		b := matched(t)
		res := accountant.get(billURL(b.ID)).wantStatus(http.StatusOK)
		if !res.hasID("approve-self") || res.hasID("approve-form") {
			t.Error("the person who entered the bill is offered to approve it")
		}
		// Posted anyway (an old page), the service's refusal is shown in place.
		res = accountant.post(billURL(b.ID)+"/approve", nil).wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("another accountant or manager must approve it")
		if st := status(t, b.ID); st != payables.Matched {
			t.Fatalf("status %s", st)
		}
		if !manager.get(billURL(b.ID)).hasID("approve-form") {
			t.Fatal("the manager is not offered to approve")
		}
		manager.post(billURL(b.ID)+"/approve", nil).wantRedirect(billURL(b.ID))
		res = manager.get(billURL(b.ID)).wantContains("Bill approved for payment.")
		if got := res.byID("bill-approved-by"); !strings.Contains(got, "Grace Lin") {
			t.Errorf("approved by %q", got)
		}
		if st := status(t, b.ID); st != payables.Approved {
			t.Errorf("status %s", st)
		}
		if !res.hasID("pay-form") || res.hasID("approve-form") || res.hasID("reject-bill") {
			t.Error("an approved bill should offer payment only")
		}
	})

	t.Run("reject", func(t *testing.T) {
		b := overBilled(t)
		manager.post(billURL(b.ID)+"/reject", url.Values{"reason": {"Duplicate of an earlier bill"}}).wantRedirect(billURL(b.ID))
		res := manager.get(billURL(b.ID)).wantStatus(http.StatusOK)
		if got := res.byID("bill-resolution"); !strings.Contains(got, "Duplicate of an earlier bill") {
			t.Errorf("resolution %q", got)
		}
		if got := res.byID("bill-open"); got != "NT$0" {
			t.Errorf("open %q", got)
		}
		if res.hasID("bill-actions") {
			t.Error("a rejected bill offers actions")
		}
		if st := status(t, b.ID); st != payables.Rejected {
			t.Errorf("status %s", st)
		}
	})

	t.Run("request a credit note, matched again when it arrives", func(t *testing.T) {
		b := overBilled(t)
		accountant.post(billURL(b.ID)+"/request-credit", url.Values{"reason": {"Two units billed but not delivered"}}).
			wantRedirect(billURL(b.ID))
		res := accountant.get(billURL(b.ID)).wantStatus(http.StatusOK)
		if got := res.byID("bill-blocked"); !strings.Contains(got, "Two units billed but not delivered") {
			t.Errorf("blocked %q", got)
		}
		if res.hasID("credit-form") || !res.hasID("accept-form") {
			t.Error("a bill waiting for its credit note offers asking again, or not accepting")
		}
		link := billNewURL + "?credits=" + itoa(b.ID)
		if !strings.Contains(strings.Join(res.links(), " "), link) {
			t.Errorf("no link to %s", link)
		}
		in := payables.BillInput{SupplierID: p.supplier.ID, Number: "CN-" + b.Number, CreditsBillID: b.ID,
			BillDate: time.Now().UTC(), Currency: "TWD", TaxAmount: 10_00, Total: 210_00,
			Lines: []payables.BillLineInput{billLine(*b.Lines[0].OrderLineID, 2, "100")}}
		cn, err := p.deps.Payables.EnterBill(p.as("accountant"), in)
		if err != nil {
			t.Fatal(err)
		}
		res = accountant.get(billURL(b.ID)).wantStatus(http.StatusOK)
		if got := res.byID("bill-status"); got != "Matched" {
			t.Errorf("status after the credit note %q", got)
		}
		if got := res.byID("credit-notes"); !strings.Contains(got, cn.Number) || !strings.Contains(got, "NT$210") {
			t.Errorf("credit notes %q", got)
		}
		if got := res.byID("bill-open"); got != formatMoney(b.Total-210_00, "TWD") {
			t.Errorf("open %q", got)
		}
		if got := res.byID("history"); !strings.Contains(got, "Credit note requested") || !strings.Contains(got, "Credit note "+cn.Number+" entered") {
			t.Errorf("history %q", got)
		}
		if got := res.byID("bill-line-1"); !strings.Contains(got, "Agrees") || !strings.Contains(got, "2 credited") {
			t.Errorf("line after the credit %q", got)
		}
		// The credit note's own page leads back to the bill.
		res = accountant.get(billURL(cn.ID)).wantStatus(http.StatusOK)
		if got := res.byID("credited-bill"); got == "" || res.hasID("bill-actions") {
			t.Errorf("credit note page: credits %q, actions %v", got, res.hasID("bill-actions"))
		}
	})

	t.Run("match again after goods arrive late", func(t *testing.T) {
		o := p.sentOrder(t, 0, 3)
		b := p.enterBill(t, 1, billLine(p.lineOf(t, o, 1), 3, "250.50"))
		if b.Status != payables.Exception {
			t.Fatalf("bill is %s", b.Status)
		}
		p.receive(t, o, 1, 3)
		res := accountant.post(billURL(b.ID)+"/rematch", nil, htmxWorkbench...).wantStatus(http.StatusOK)
		res.wantContains("Bill matched again")
		if got := res.byID("bill-status"); got != "Matched" {
			t.Errorf("status %q", got)
		}
	})

	t.Run("record a partial payment", func(t *testing.T) {
		b := matched(t)
		if _, err := p.deps.Payables.ApproveBill(p.as("manager"), b.ID); err != nil {
			t.Fatal(err)
		}
		res := accountant.get(billURL(b.ID)).wantStatus(http.StatusOK)
		if got := res.values("amount"); len(got) != 1 || got[0] != formatAmountInput(b.Total, "TWD") {
			t.Errorf("amount proposed %v, want what is open", got)
		}
		for _, tt := range []struct{ name, amount, date, field string }{
			{"not a number", "abc", "2026-01-05", "error-amount"},
			{"more than open", "999999", "2026-01-05", "error-amount"},
			{"no date", "100", "", "error-paidOn"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := accountant.post(billURL(b.ID)+"/payments", url.Values{"amount": {tt.amount}, "paidOn": {tt.date}, "reference": {"TT-1"}}).
					wantStatus(http.StatusUnprocessableEntity)
				if !res.hasID(tt.field) {
					t.Errorf("no #%s; body:\n%s", tt.field, res.Body)
				}
				if got := res.values("amount"); len(got) != 1 || got[0] != tt.amount {
					t.Errorf("typed amount %v not kept", got)
				}
			})
		}
		accountant.post(billURL(b.ID)+"/payments", url.Values{"amount": {"200"}, "paidOn": {"2026-01-05"}, "reference": {"TT-778"}}).
			wantRedirect(billURL(b.ID))
		res = accountant.get(billURL(b.ID)).wantContains("Payment recorded.")
		if got := res.byID("bill-status"); got != "Partly paid" {
			t.Errorf("status %q", got)
		}
		if got := res.byID("payments"); !strings.Contains(got, "2026-01-05 NT$200") || !strings.Contains(got, "TT-778") {
			t.Errorf("payments %q", got)
		}
		if got := res.byID("bill-open"); got != formatMoney(b.Total-200_00, "TWD") {
			t.Errorf("open %q", got)
		}
		if !res.hasID("pay-form") {
			t.Error("a partly paid bill does not offer paying the rest")
		}
	})

	t.Run("HTMX gets the workbench, not the page", func(t *testing.T) {
		b := overBilled(t)
		res := accountant.post(billURL(b.ID)+"/accept", url.Values{"reason": {""}}, htmxWorkbench...).
			wantStatus(http.StatusUnprocessableEntity)
		if !strings.HasPrefix(strings.TrimSpace(res.Body), `<div id="workbench">`) || strings.Contains(res.Body, "<html") {
			t.Errorf("refusal is not the fragment:\n%s", res.Body)
		}
		res.byID("error-reason")
		res = accountant.post(billURL(b.ID)+"/accept", url.Values{"reason": {"Price agreed by phone"}}, htmxWorkbench...).
			wantStatus(http.StatusOK)
		if !strings.HasPrefix(strings.TrimSpace(res.Body), `<div id="workbench">`) || strings.Contains(res.Body, "<html") {
			t.Errorf("result is not the fragment:\n%s", res.Body)
		}
		res.wantContains("Differences accepted: the bill can be approved")
		if got := res.byID("bill-status"); got != "Differences accepted" {
			t.Errorf("status %q", got)
		}
	})

	t.Run("only accountants and managers", func(t *testing.T) {
		b := overBilled(t)
		for _, login := range []string{"buyer", "associate", "fulfilment", "hr"} {
			t.Run(login, func(t *testing.T) {
				c := p.signedIn(login)
				c.get(billURL(b.ID)).wantStatus(http.StatusForbidden)
				c.post(billURL(b.ID)+"/accept", url.Values{"reason": {"not mine to accept"}}).wantStatus(http.StatusForbidden)
			})
		}
		accountant.get(billURL(b.ID + 1000)).wantStatus(http.StatusNotFound)
		if st := status(t, b.ID); st != payables.Exception {
			t.Errorf("status %s", st)
		}
	})
}
