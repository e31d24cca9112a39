package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSegmentEditor drives a manager through the rule editor in Chromium: the
// live count appears on load and follows the switches and fields as they change, and
// the profile loads the customer's feedback and online views after it shows.
func TestBrowserSegmentEditor(t *testing.T) {
	t.Parallel()
	a := newMarketingApp(t)
	craftFeedback(t, a.app, a.keen, a.tpe, 2, "Too warm inside")
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	defer func() {
		if got := errs(); len(got) > 0 {
			t.Errorf("the pages logged errors (a script failed or the CSP blocked something):\n%s", strings.Join(got, "\n"))
		}
	}()
	runStep(t, "sign in; the new segment counts who consents to email", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+segmentsURL+"/new"),
			chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
			signInAs("manager"),
			chromedp.WaitVisible(chromedp.CSS(`#preview-count`)),
		)
	})
	runStep(t, "ticking the store rule narrows the count live", func(t *testing.T) {
		browse(t, browser,
			chromedp.Click(chromedp.CSS(`input[name="store.on"]`)),
			chromedp.SetAttributeValue(chromedp.CSS(`select[name="store.values"] option[value="`+strconv.FormatInt(a.tpe, 10)+`"]`), "selected", "selected"),
			typeInto(chromedp.CSS(`input[name="store.days"]`), "30"),
			chromedp.Poll[chromedp.Void](`document.querySelector("#preview-count") && document.querySelector("#preview-count").textContent === "2"`),
		)
	})
	runStep(t, "a mistake shows in place of the count", func(t *testing.T) {
		browse(t, browser,
			typeInto(chromedp.CSS(`input[name="store.days"]`), "0000"),
			chromedp.WaitVisible(chromedp.CSS(`#preview-problems`)),
		)
	})
	runStep(t, "the profile loads feedback and views", func(t *testing.T) {
		browse(t, browser,
			chromedp.Navigate(a.srv.URL+customerURL(a.keen)),
			chromedp.WaitVisible(chromedp.CSS(`#feedback-given`)),
		)
		if got := browserValue(t, browser, chromedp.Text(chromedp.CSS(`#feedback-given`))); !strings.Contains(got, "Too warm inside") {
			t.Fatalf("feedback given %q", got)
		}
	})
}
