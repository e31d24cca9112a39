package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"atrium/internal/marketing"
)

// craftFeedback writes a rating of a till order at store straight to the database (the
// feedback service's tests cover when a customer may leave one), returning its id.
func craftFeedback(t *testing.T, a *app, customerID, store int64, rating int, comment string) (feedbackID, orderID int64) {
	t.Helper()
	orderID = craftTillOrder(t, a, customerID, store, 50000)
	if err := a.db.Get(&feedbackID, `INSERT INTO order_feedback (order_id, customer_id, location_id, rating, comment)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, orderID, customerID, store, rating, comment); err != nil {
		t.Fatal(err)
	}
	return feedbackID, orderID
}

func TestFeedbackList(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	tpe, hsz := locationID(t, a, "TPE-01"), locationID(t, a, "HSZ-01")
	m := registerMember(t, a, "Rating Person", "0911 555 666", "rating.person@example.com")
	craftFeedback(t, a, m.ID, tpe, 5, "Lovely staff")
	low, _ := craftFeedback(t, a, m.ID, tpe, 1, "Waited 40 minutes at the counter")
	craftFeedback(t, a, m.ID, hsz, 2, "")

	associate := a.signedIn("associate")
	t.Run("every rating with the average", func(t *testing.T) {
		res := associate.get(feedbackURL).wantStatus(http.StatusOK)
		if got := res.byID("feedback-summary"); !strings.HasPrefix(got, "3 ratings") || !strings.HasSuffix(got, "average 2.67 of 5") {
			t.Errorf("summary %q", got)
		}
		if rows := res.rows("feedback-results"); len(rows) != 3 {
			t.Errorf("rows %q", rows)
		}
	})
	t.Run("filters by store, rating and follow-up", func(t *testing.T) {
		for _, c := range []struct {
			name  string
			query url.Values
			want  []string
		}{
			{"store", url.Values{"store": {strconv.FormatInt(tpe, 10)}}, []string{"Waited 40 minutes at the counter", "Lovely staff"}},
			{"rating at most 2", url.Values{"maxRating": {"2"}}, []string{"no comment", "Waited 40 minutes at the counter"}},
			{"follow-up at HSZ-01", url.Values{"followUp": {"1"}, "store": {strconv.FormatInt(hsz, 10)}}, []string{"no comment"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				rows := associate.get(feedbackURL + "?" + c.query.Encode()).wantStatus(http.StatusOK).rows("feedback-results")
				var got []string
				for _, r := range rows {
					got = append(got, r[5])
				}
				if strings.Join(got, "|") != strings.Join(c.want, "|") {
					t.Errorf("comments %q, want %q", got, c.want)
				}
			})
		}
	})
	t.Run("a filter that is not a value says so", func(t *testing.T) {
		res := associate.get(feedbackURL + "?maxRating=9&product=NO-SUCH-SKU").wantStatus(http.StatusBadRequest)
		if msg := res.byID(errorID("maxRating")); msg != "choose a rating from 1 to 5" {
			t.Errorf("maxRating: %q", msg)
		}
		if msg := res.byID(errorID("product")); !strings.Contains(msg, "no product has the handle or SKU NO-SUCH-SKU") {
			t.Errorf("product: %q", msg)
		}
		if res.values("product")[0] != "NO-SUCH-SKU" {
			t.Error("the filter lost what was typed")
		}
	})

	t.Run("follow-up: resolve with a note", func(t *testing.T) {
		list := associate.get(followUpURL).wantStatus(http.StatusOK)
		if rows := list.rows("feedback-results"); len(rows) != 2 {
			t.Fatalf("follow-up rows %q", rows)
		}
		action := feedbackURL + "/" + strconv.FormatInt(low, 10) + "/resolve"
		res := associate.post(action, url.Values{"note": {"  "}}).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("note")); !strings.Contains(msg, "say what was done") {
			t.Errorf("note: %q", msg)
		}
		associate.post(action, url.Values{"note": {"Called her, offered a voucher"}}).wantRedirect(followUpURL)
		after := associate.get(followUpURL).wantStatus(http.StatusOK).wantContains("Follow-up recorded.")
		if rows := after.rows("feedback-results"); len(rows) != 1 {
			t.Errorf("after resolving %q", rows)
		}
		associate.get(feedbackURL).wantContains("Called her, offered a voucher", "by associate")
		associate.post(action, url.Values{"note": {"again"}}).wantStatus(http.StatusUnprocessableEntity).
			wantContains("already resolved")
	})
	t.Run("staff outside the stores cannot see feedback", func(t *testing.T) {
		a.signedIn("buyer").get(feedbackURL).wantStatus(http.StatusForbidden)
	})

	t.Run("the profile shows feedback given and recent online views", func(t *testing.T) {
		var productID int64
		var title string
		if err := a.db.QueryRow(`SELECT id, title FROM products ORDER BY id LIMIT 1`).Scan(&productID, &title); err != nil {
			t.Fatal(err)
		}
		if _, err := a.db.Exec(`INSERT INTO product_views (customer_id, product_id, channel, views) VALUES ($1, $2, 'APP', 3)`,
			m.ID, productID); err != nil {
			t.Fatal(err)
		}
		profile := associate.get(customerURL(m.ID)).wantStatus(http.StatusOK)
		if !profile.hasAttrOn("customer-activity", "hx-get") {
			t.Fatal("the profile does not load the activity")
		}
		res := associate.get(customerURL(m.ID)+"/activity", "HX-Request", "true").wantStatus(http.StatusOK)
		res.wantContains("Waited 40 minutes at the counter", "Lovely staff", "3 ratings")
		if got := res.byID("recent-views"); !strings.Contains(got, title) || !strings.Contains(got, "3 views · APP") {
			t.Errorf("recent views %q", got)
		}
		associate.get(customersURL + "/999999/activity").wantStatus(http.StatusNotFound)
	})
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	a := newMarketingApp(t)
	srv := httptest.NewServer(UnsubscribeHandler(a.deps.Marketing, nil))
	t.Cleanup(srv.Close)
	get := func(t *testing.T, query string) (int, string, http.Header) {
		t.Helper()
		res, err := http.Get(srv.URL + "/unsubscribe" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b), res.Header
	}
	emailConsent := func(t *testing.T, id int64) bool {
		t.Helper()
		var granted bool
		if err := a.db.Get(&granted, `SELECT granted FROM customer_consents WHERE customer_id = $1 AND purpose = 'MARKETING_EMAIL'
			ORDER BY recorded_at DESC, id DESC LIMIT 1`, id); err != nil {
			t.Fatal(err)
		}
		return granted
	}
	seg, err := a.deps.Marketing.CreateSegment(staffContext(t, a.app, "manager"), marketing.SegmentInput{Name: "All",
		Rules: marketing.Rules{{Kind: marketing.RuleStore, IDs: []int64{a.tpe}}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.deps.Marketing.CreateCampaign(staffContext(t, a.app, "manager"), marketing.CampaignInput{Name: "News",
		SegmentID: seg.ID, Subject: "News", Body: "Hello {{name}}"})
	if err != nil {
		t.Fatal(err)
	}
	token := a.deps.Marketing.UnsubscribeToken(c.ID, a.keen)

	t.Run("a tampered token is refused with a clear message", func(t *testing.T) {
		tampered := a.deps.Marketing.UnsubscribeToken(c.ID, a.keen2)
		tampered = strings.Replace(tampered, "."+strconv.FormatInt(a.keen2, 10)+".", "."+strconv.FormatInt(a.keen, 10)+".", 1)
		for name, q := range map[string]string{"another customer's signature": "?token=" + url.QueryEscape(tampered),
			"garbage": "?token=v1.1.2.abc", "no token": ""} {
			t.Run(name, func(t *testing.T) {
				status, body, _ := get(t, q)
				if status != http.StatusBadRequest || !strings.Contains(body, "This unsubscribe link did not work") ||
					!strings.Contains(body, "copy the whole link from the email") {
					t.Errorf("%d %s", status, body)
				}
			})
		}
		if !emailConsent(t, a.keen) {
			t.Error("a bad token withdrew a consent")
		}
	})
	t.Run("opening the link only asks to confirm", func(t *testing.T) {
		status, body, h := get(t, "?token="+url.QueryEscape(token))
		if status != http.StatusOK || !strings.Contains(body, "Unsubscribe from our marketing emails?") ||
			!strings.Contains(body, `name="token" value="`+token+`"`) {
			t.Fatalf("%d %s", status, body)
		}
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", h)
		}
		if !emailConsent(t, a.keen) {
			t.Error("opening the link (as a mail scanner does) withdrew the consent")
		}
	})
	t.Run("confirming unsubscribes, once", func(t *testing.T) {
		for range 2 {
			res, err := http.PostForm(srv.URL+"/unsubscribe", url.Values{"token": {token}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "You are unsubscribed") {
				t.Fatalf("%d %s", res.StatusCode, b)
			}
		}
		if emailConsent(t, a.keen) || !emailConsent(t, a.keen2) {
			t.Error("the wrong consent changed")
		}
		var n int
		if err := a.db.Get(&n, `SELECT count(*) FROM customer_consents WHERE customer_id = $1 AND purpose = 'MARKETING_EMAIL' AND NOT granted`,
			a.keen); err != nil || n != 1 {
			t.Errorf("withdrawals %d, %v; want one", n, err)
		}
	})
	t.Run("one-click POST from a mail client", func(t *testing.T) {
		res, err := http.PostForm(srv.URL+"/unsubscribe?token="+url.QueryEscape(a.deps.Marketing.UnsubscribeToken(c.ID, a.keen2)),
			url.Values{"List-Unsubscribe": {"One-Click"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || emailConsent(t, a.keen2) {
			t.Errorf("status %d, consent still given", res.StatusCode)
		}
	})
}
