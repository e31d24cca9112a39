package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCustomerMerge drives a manager through the whole merge in Chromium: the live
// search finds the member by a phone typed in local form, the profile opens, the merge
// page's live search finds the duplicate, the preview shows what moves, and the merge is
// confirmed with a reason.
func TestBrowserCustomerMerge(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	keep := registerMember(t, a, "Browser Keeper", "0966 777 888", "")
	dup := registerMember(t, a, "Browser Keeper", "0966 777 999", "browser.keeper@example.com")
	if _, err := a.deps.Loyalty.Adjust(staffContext(t, a, "manager"), dup.ID, 250, "welcome points"); err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	keepRow := "#customer-" + strconv.FormatInt(keep.ID, 10)

	runStep(t, "sign in and search live by a local phone number", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+customersURL),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("manager"),
			chromedp.WaitVisible(chromedp.CSS(`#customer-count`)),
			markLoaded,
			typeInto(chromedp.CSS(`#customer-query`), "0966-777-888"),
			chromedp.WaitVisible(chromedp.CSS(keepRow)),
		)
		notReloaded(t, browser)
	})
	runStep(t, "open the profile", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(keepRow+` td.sku a`)),
			chromedp.WaitVisible(chromedp.CSS(`#member-number`)),
		)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#member-number`))); got != keep.MemberNumber {
			t.Fatalf("member number %q", got)
		}
	})
	candidate := "#candidate-" + strconv.FormatInt(dup.ID, 10)
	runStep(t, "find the duplicate and preview the merge", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`a[href="`+customerMergeURL(keep.ID, 0)+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#merge-query`)),
			typeInto(chromedp.CSS(`#merge-query`), "browser.keeper@example.com"),
			chromedp.WaitVisible(chromedp.CSS(candidate)),
			chromedp.Click(chromedp.CSS(candidate+` a`)),
			chromedp.WaitVisible(chromedp.CSS(`#merge-preview`)),
		)
		moves := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#merge-moves`)))
		if !strings.Contains(moves, "250 points") || !strings.Contains(moves, "2 identities") {
			t.Fatalf("moves %q", moves)
		}
	})
	runStep(t, "confirm with a reason", func(t *testing.T) {
		browse(t, browser,
			typeInto(chromedp.CSS(`#merge-form input[name="reason"]`), "same person, confirmed by phone"),
			chromedp.Click(chromedp.CSS(`#merge-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#merges tbody tr[id^="merge-"]`)),
		)
		flash := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#main .flash`)))
		if !strings.Contains(flash, "Customers merged") {
			t.Fatalf("flash %q", flash)
		}
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#points-balance`))); !strings.Contains(got, "250 points") {
			t.Fatalf("points after the merge %q", got)
		}
	})
	m, err := a.deps.Customers.Member(system(), dup.ID)
	if err != nil || m.MergedIntoID == nil || *m.MergedIntoID != keep.ID {
		t.Fatalf("duplicate after the merge: %+v, %v", m, err)
	}
}
