package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"atrium/internal/marketing"
)

// marketingApp is the back office with members who bought at TPE-01: two consent to
// marketing email, one does not.
type marketingApp struct {
	*app
	tpe              int64
	keen, keen2, shy int64
}

func newMarketingApp(t *testing.T) *marketingApp {
	t.Helper()
	a := &marketingApp{app: newApp(t)}
	a.tpe = locationID(t, a.app, "TPE-01")
	a.keen = registerMember(t, a.app, "Keen Shopper", "0911 000 111", "keen@example.com").ID
	a.keen2 = registerMember(t, a.app, "Keen Again", "0911 000 222", "keen2@example.com").ID
	a.shy = registerMember(t, a.app, "Shy Shopper", "0911 000 333", "shy@example.com").ID
	for _, c := range []struct {
		id      int64
		granted bool
	}{{a.keen, true}, {a.keen2, true}, {a.shy, false}} {
		craftTillOrder(t, a.app, c.id, a.tpe, 150000)
		if _, err := a.db.Exec(`INSERT INTO customer_consents (customer_id, purpose, granted, channel, actor_kind, recorded_at)
			VALUES ($1, 'MARKETING_EMAIL', $2, 'WEB', 'CUSTOMER', clock_timestamp())`, c.id, c.granted); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// craftTillOrder writes a paid till sale of customer at store straight to the database
// (the order service's own tests cover placing it), returning its id.
func craftTillOrder(t *testing.T, a *app, customerID, store, total int64) int64 {
	t.Helper()
	var id int64
	err := a.db.Get(&id, `INSERT INTO orders (idempotency_key, request_hash, channel, customer_id, location_id, placed_by_kind,
			currency, subtotal, total, paid, lines_signature)
		VALUES ($1, repeat('a', 64), 'POS', $2, $3, 'SYSTEM', 'TWD', $4, $4, $4, '') RETURNING id`,
		newIdempotencyKey(), customerID, store, total)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.Exec(`INSERT INTO order_lines (order_id, line_no, variant_id, sku, title, quantity, unit_price, subtotal, total)
		SELECT $1, 0, id, sku, title, 1, $2, $2, $2 FROM variants ORDER BY id LIMIT 1`, id, total); err != nil {
		t.Fatal(err)
	}
	return id
}

// tpeSegmentForm selects who bought at TPE-01 in the last 30 days and consents to
// marketing email.
func (a *marketingApp) tpeSegmentForm(name string) url.Values {
	return url.Values{"idempotencyKey": {newIdempotencyKey()}, "name": {name}, "description": {"Regulars of the flagship"},
		"store.on": {"1"}, "store.values": {strconv.FormatInt(a.tpe, 10)}, "store.days": {"30"},
		"consent.on": {"1"}, "consent.purpose": {"MARKETING_EMAIL"}, "consent.granted": {"yes"}}
}

func TestSegmentEditor(t *testing.T) {
	t.Parallel()
	a := newMarketingApp(t)
	manager := a.signedIn("manager")
	manager.get(segmentsURL).wantStatus(http.StatusOK).wantContains("No segments yet.")
	page := manager.get(segmentsURL + "/new").wantStatus(http.StatusOK)
	if !page.hasID("segment-form") || !page.hasID("rule-recency") || !page.hasID("rule-consent") || !page.hasID("segment-preview") {
		t.Fatal("the rule editor is not there")
	}

	t.Run("the live count follows the rules as typed", func(t *testing.T) {
		form := a.tpeSegmentForm("x")
		res := manager.post(segmentsURL+"/preview", form, "HX-Request", "true").wantStatus(http.StatusOK)
		if got := res.byID("preview-count"); got != "2" {
			t.Errorf("preview %q, want the 2 consenting members who bought at TPE-01", got)
		}
		form.Set("consent.granted", "no")
		if got := manager.post(segmentsURL+"/preview", form, "HX-Request", "true").byID("preview-count"); got != "1" {
			t.Errorf("preview without consent %q, want 1", got)
		}
		bad := url.Values{"frequency.on": {"1"}, "frequency.min": {"5"}, "frequency.max": {"2"}}
		res = manager.post(segmentsURL+"/preview", bad, "HX-Request", "true").wantStatus(http.StatusOK)
		if got := res.byID("preview-problems"); !strings.Contains(got, "Frequency: give the period in days") ||
			!strings.Contains(got, "maximum (2) is below the minimum (5)") {
			t.Errorf("preview problems %q", got)
		}
	})

	t.Run("mistakes show beside their rule with what was typed", func(t *testing.T) {
		form := url.Values{"idempotencyKey": {newIdempotencyKey()}, "name": {" "},
			"recency.on": {"1"}, "recency.minDays": {"many"},
			"monetary.on": {"1"}, "monetary.min": {"1000"}, "monetary.days": {""},
			"tier.on": {"1"}}
		res := manager.post(segmentsURL, form).wantStatus(http.StatusUnprocessableEntity)
		for path, want := range map[string]string{"RECENCY.minDays": "enter a whole number"} {
			if msg := res.byID(errorID(path)); msg != want {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
		if res.values("recency.minDays")[0] != "many" {
			t.Error("the form lost what was typed")
		}
		form.Set("recency.minDays", "30")
		res = manager.post(segmentsURL, form).wantStatus(http.StatusUnprocessableEntity)
		for path, want := range map[string]string{"name": "1 to 100 characters", "MONETARY.days": "give the period in days",
			"TIER.values": "choose at least one"} {
			if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
		if res.values("monetary.min")[0] != "1000" {
			t.Error("the form lost the spend typed")
		}
	})

	form := a.tpeSegmentForm("Flagship regulars")
	res := manager.post(segmentsURL, form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create segment: %d %s", res.Status, res.Body)
	}
	to := res.Header.Get("Location")
	t.Run("a resubmitted form lands on the same segment", func(t *testing.T) {
		manager.post(segmentsURL, form).wantRedirect(to)
		segs, err := a.deps.Marketing.Segments(staffContext(t, a.app, "manager"))
		if err != nil || len(segs) != 1 {
			t.Fatalf("segments %v, %v", segs, err)
		}
	})
	members := manager.get(to).wantStatus(http.StatusOK).wantContains("Segment created.")
	if got := members.byID("member-count"); got != "2 members" {
		t.Errorf("member count %q", got)
	}
	rows := members.rows("member-results")
	if len(rows) != 2 || rows[0][1] != "Keen Shopper" || rows[1][1] != "Keen Again" {
		t.Errorf("members %q", rows)
	}
	list := manager.get(segmentsURL).wantStatus(http.StatusOK)
	if rows := list.rows("segment-results"); len(rows) != 1 || rows[0][2] != "2" ||
		!strings.Contains(rows[0][1], "bought at TPE-01") || !strings.Contains(rows[0][1], "consents to MARKETING_EMAIL") {
		t.Errorf("segment list %q", rows)
	}
	id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(to, segmentsURL+"/"), "/members"), 10, 64)

	t.Run("the members export as CSV", func(t *testing.T) {
		res := manager.get(segmentURL(id) + "/members.csv").wantStatus(http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("content type %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "segment-flagship-regulars.csv") {
			t.Errorf("disposition %q", cd)
		}
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(res.Body, utf8BOM)), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "member_number,name") || !strings.Contains(lines[1], "keen@example.com") {
			t.Errorf("csv %q", lines)
		}
	})
	t.Run("editing shows the saved rules and saves the change", func(t *testing.T) {
		edit := manager.get(segmentURL(id)).wantStatus(http.StatusOK)
		if v := edit.values("store.days"); len(v) != 1 || v[0] != "30" {
			t.Errorf("saved days %q", v)
		}
		form := a.tpeSegmentForm("Flagship regulars")
		form.Set("consent.granted", "no")
		manager.post(segmentURL(id), form).wantRedirect(segmentURL(id) + "/members")
		if got := manager.get(segmentURL(id) + "/members").wantContains("Segment saved.").byID("member-count"); got != "1 members" {
			t.Errorf("after the edit %q", got)
		}
		form.Set("name", "")
		form.Set("idempotencyKey", newIdempotencyKey())
		manager.post(segmentURL(id), form).wantStatus(http.StatusUnprocessableEntity)
	})
	t.Run("only managers see segments", func(t *testing.T) {
		associate := a.signedIn("associate")
		associate.get(segmentsURL).wantStatus(http.StatusForbidden)
		associate.get(segmentURL(id) + "/members.csv").wantStatus(http.StatusForbidden)
		associate.get(customersURL).wantNotContains(`href="` + segmentsURL + `"`)
		manager.get(customersURL).wantContains(`href="`+segmentsURL+`"`, `href="`+campaignsURL+`"`, `href="`+feedbackURL+`"`)
		manager.get(segmentsURL + "/999999").wantStatus(http.StatusNotFound)
	})
}

func TestCampaigns(t *testing.T) {
	t.Parallel()
	a := newMarketingApp(t)
	manager := a.signedIn("manager")
	seg, err := a.deps.Marketing.CreateSegment(staffContext(t, a.app, "manager"), marketing.SegmentInput{Name: "Flagship",
		Rules: marketing.Rules{{Kind: marketing.RuleStore, IDs: []int64{a.tpe}}}})
	if err != nil {
		t.Fatal(err)
	}
	manager.get(campaignsURL).wantStatus(http.StatusOK).wantContains("No campaigns yet.")
	page := manager.get(campaignsURL + "/new?segment=" + strconv.FormatInt(seg.ID, 10)).wantStatus(http.StatusOK)
	page.wantContains("Dear {{name}},", `<option value="`+strconv.FormatInt(seg.ID, 10)+`" selected>Flagship (3)</option>`)

	t.Run("mistakes show beside their fields", func(t *testing.T) {
		res := manager.post(campaignsURL, url.Values{"idempotencyKey": {newIdempotencyKey()}, "name": {"Spring"}, "segmentId": {""},
			"subject": {""}, "body": {"Hello {{name}}"}}).wantStatus(http.StatusUnprocessableEntity)
		for path, want := range map[string]string{"segmentId": "choose the segment", "subject": "write a subject"} {
			if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
		if res.values("name")[0] != "Spring" {
			t.Error("the form lost what was typed")
		}
	})

	form := url.Values{"idempotencyKey": {newIdempotencyKey()}, "name": {"Spring news"}, "segmentId": {strconv.FormatInt(seg.ID, 10)},
		"subject": {"New in store"}, "body": {"Dear {{name}}, the spring range is in."}}
	res := manager.post(campaignsURL, form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create campaign: %d %s", res.Status, res.Body)
	}
	to := res.Header.Get("Location")
	manager.post(campaignsURL, form).wantRedirect(to)
	draft := manager.get(to).wantStatus(http.StatusOK).wantContains("Campaign drafted.")
	if got := draft.byID("campaign-audience"); got != "3" {
		t.Errorf("audience %q, want the 3 members who bought at TPE-01", got)
	}
	if draft.hasAttrOn("campaign-progress", "hx-get") {
		t.Error("a draft polls for progress")
	}

	manager.post(to+"/start", nil).wantRedirect(to)
	sending := manager.get(to).wantStatus(http.StatusOK).wantContains("Campaign started")
	if got := sending.byID("progress-recipients"); got != "2" {
		t.Errorf("recipients %q, want the 2 who consent to marketing email", got)
	}
	if !sending.hasAttrOn("campaign-progress", "hx-get") {
		t.Error("a sending campaign does not poll its progress")
	}
	t.Run("starting twice says why not", func(t *testing.T) {
		manager.post(to+"/start", nil).wantStatus(http.StatusUnprocessableEntity).wantContains("only a draft can be started")
	})

	// Withdrawn after the start: skipped when the batch comes to them.
	if _, err := a.db.Exec(`INSERT INTO customer_consents (customer_id, purpose, granted, channel, actor_kind, recorded_at)
		VALUES ($1, 'MARKETING_EMAIL', false, 'WEB', 'CUSTOMER', clock_timestamp())`, a.keen2); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := a.deps.Marketing.SendBatch(system(), 10); err != nil {
			t.Fatal(err)
		}
	}
	progress := manager.get(to+"/progress", "HX-Request", "true").wantStatus(http.StatusOK)
	queued, _ := strconv.Atoi(progress.byID("progress-queued"))
	sent, _ := strconv.Atoi(progress.byID("progress-sent"))
	if progress.byID("progress-skipped") != "1" || queued+sent != 1 {
		t.Errorf("progress skipped %q queued %d sent %d, want the withdrawn member skipped and 1 email", progress.byID("progress-skipped"), queued, sent)
	}
	list := manager.get(campaignsURL).wantStatus(http.StatusOK)
	if rows := list.rows("campaign-results"); len(rows) != 1 || rows[0][0] != "Spring news" || rows[0][1] != "Flagship" || rows[0][3] != "2" {
		t.Errorf("campaign list %q", rows)
	}

	t.Run("a draft can be cancelled", func(t *testing.T) {
		c, err := a.deps.Marketing.CreateCampaign(staffContext(t, a.app, "manager"), marketing.CampaignInput{Name: "Never",
			SegmentID: seg.ID, Subject: "x", Body: "y"})
		if err != nil {
			t.Fatal(err)
		}
		manager.post(campaignURL(c.ID)+"/cancel", nil).wantRedirect(campaignURL(c.ID))
		manager.get(campaignURL(c.ID)).wantContains("Campaign cancelled.").wantNotContains(`id="start-campaign"`)
	})
	t.Run("only managers send campaigns", func(t *testing.T) {
		a.signedIn("associate").post(to+"/cancel", nil).wantStatus(http.StatusForbidden)
		manager.get(campaignsURL + "/999999").wantStatus(http.StatusNotFound)
	})
}

// hasAttrOn reports whether the element with id carries attribute name.
func (r *response) hasAttrOn(id, name string) bool {
	r.t.Helper()
	nodes := find(r.document(), func(n *html.Node) bool { return attr(n, "id") == id })
	return len(nodes) > 0 && hasAttr(nodes[0], name)
}

// flagshipSegment is a segment of the three members who bought at TPE-01.
func (a *marketingApp) flagshipSegment(t *testing.T) marketing.Segment {
	t.Helper()
	seg, err := a.deps.Marketing.CreateSegment(staffContext(t, a.app, "manager"), marketing.SegmentInput{Name: "Flagship",
		Rules: marketing.Rules{{Kind: marketing.RuleStore, IDs: []int64{a.tpe}}}})
	if err != nil {
		t.Fatal(err)
	}
	return seg
}

// personalCoupons returns the customers holding a personal coupon whose code starts
// with prefix, in order.
func (a *marketingApp) personalCoupons(t *testing.T, prefix string) []int64 {
	t.Helper()
	var ids []int64
	if err := a.db.Select(&ids, `SELECT customer_id FROM coupons WHERE code LIKE $1 || '-%' AND customer_id IS NOT NULL
		ORDER BY customer_id`, prefix); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSegmentPersonalCoupons(t *testing.T) {
	t.Parallel()
	a := newMarketingApp(t)
	manager := a.signedIn("manager")
	seg := a.flagshipSegment(t)
	members := segmentURL(seg.ID) + "/members"
	if !manager.get(members).wantStatus(http.StatusOK).hasID("segment-coupon-form") {
		t.Fatal("the segment page has no personal coupon form")
	}
	form := func(prefix, percent string) url.Values {
		return url.Values{"idempotencyKey": {newIdempotencyKey()}, "code": {prefix}, "kind": {"PERCENT"}, "percent": {percent},
			"minSpend": {"500"}, "startsOn": {"2026-01-01"}, "endsOn": {"2099-12-31"}}
	}

	t.Run("mistakes show beside their fields with what was typed", func(t *testing.T) {
		for _, tc := range []struct {
			name, prefix, percent, path, want string
		}{
			{"a percentage that is not a number", "VIP", "lots", "percentBp", "enter a percentage"},
			{"a prefix too short", "x", "10", "code", "a code prefix has 2–33"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := manager.post(segmentURL(seg.ID)+"/coupons", form(tc.prefix, tc.percent)).wantStatus(http.StatusUnprocessableEntity)
				if msg := res.byID(errorID(tc.path)); !strings.Contains(msg, tc.want) {
					t.Errorf("%s: %q, want %q", tc.path, msg, tc.want)
				}
				if res.values("code")[0] != tc.prefix || res.values("percent")[0] != tc.percent || res.values("minSpend")[0] != "500" {
					t.Error("the form lost what was typed")
				}
			})
		}
		if got := a.personalCoupons(t, "VIP"); len(got) != 0 {
			t.Errorf("a refused form issued coupons to %v", got)
		}
	})

	f := form("vip", "10")
	manager.post(segmentURL(seg.ID)+"/coupons", f).wantRedirect(members)
	if got := manager.get(members).wantStatus(http.StatusOK).byID("coupons-issued"); got != "3" {
		t.Errorf("issued %q, want a code for each of the 3 members", got)
	}
	want := []int64{a.keen, a.keen2, a.shy}
	slices.Sort(want)
	if got := a.personalCoupons(t, "VIP"); !slices.Equal(got, want) {
		t.Errorf("personal coupons for %v, want %v", got, want)
	}
	var terms []struct {
		PercentBP      int   `db:"percent_bp"`
		MinSpend       int64 `db:"min_spend"`
		MaxRedemptions int   `db:"max_redemptions"`
	}
	if err := a.db.Select(&terms, `SELECT percent_bp, min_spend, max_redemptions FROM coupons WHERE code LIKE 'VIP-%'`); err != nil {
		t.Fatal(err)
	}
	for _, c := range terms {
		if c.PercentBP != 1000 || c.MinSpend != 50000 || c.MaxRedemptions != 1 {
			t.Errorf("coupon terms %+v, want 10%% off from NT$500, used once", c)
		}
	}
	t.Run("a resubmitted form issues nothing more", func(t *testing.T) {
		manager.post(segmentURL(seg.ID)+"/coupons", f).wantRedirect(members)
		if got := a.personalCoupons(t, "VIP"); len(got) != 3 {
			t.Errorf("%d personal coupons after resubmitting, want 3", len(got))
		}
	})
	t.Run("only managers issue coupons", func(t *testing.T) {
		a.signedIn("associate").post(segmentURL(seg.ID)+"/coupons", form("ASSOC", "10")).wantStatus(http.StatusForbidden)
	})
}

func TestCampaignWithCoupons(t *testing.T) {
	t.Parallel()
	a := newMarketingApp(t)
	manager := a.signedIn("manager")
	seg := a.flagshipSegment(t)
	ctx := staffContext(t, a.app, "manager")
	plain, err := a.deps.Marketing.CreateCampaign(ctx, marketing.CampaignInput{Name: "Plain", SegmentID: seg.ID,
		Subject: "Hello", Body: "Dear {{name}}, come by."})
	if err != nil {
		t.Fatal(err)
	}
	gift, err := a.deps.Marketing.CreateCampaign(ctx, marketing.CampaignInput{Name: "Gift", SegmentID: seg.ID,
		Subject: "A gift", Body: "Dear {{name}}, your code is {{coupon}}."})
	if err != nil {
		t.Fatal(err)
	}
	if !manager.get(campaignURL(gift.ID)).wantStatus(http.StatusOK).hasID("campaign-coupon") {
		t.Fatal("the draft's start form has no coupon part")
	}
	coupon := func(prefix, percent string) url.Values {
		return url.Values{"withCoupon": {"1"}, "code": {prefix}, "kind": {"PERCENT"}, "percent": {percent}}
	}

	t.Run("a text without {{coupon}} is refused", func(t *testing.T) {
		res := manager.post(campaignURL(plain.ID)+"/start", coupon("PLAIN", "15")).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID("campaign-problem"); !strings.Contains(msg, "does not say where the code goes") {
			t.Errorf("problem %q", msg)
		}
		if res.values("code")[0] != "PLAIN" || !res.hasID("start-campaign") {
			t.Error("the start form lost what was typed or the draft cannot be started")
		}
		if got := a.personalCoupons(t, "PLAIN"); len(got) != 0 {
			t.Errorf("a refused start issued coupons to %v", got)
		}
	})
	t.Run("a coupon mistake shows beside its field", func(t *testing.T) {
		res := manager.post(campaignURL(gift.ID)+"/start", coupon("GIFT", "")).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("percentBp")); !strings.Contains(msg, "enter a percentage") {
			t.Errorf("percentBp: %q", msg)
		}
		manager.get(campaignURL(gift.ID)).wantContains(`id="start-campaign"`)
	})

	manager.post(campaignURL(gift.ID)+"/start", coupon("GIFT", "15")).wantRedirect(campaignURL(gift.ID))
	page := manager.get(campaignURL(gift.ID)).wantStatus(http.StatusOK)
	if got := page.byID("coupons-issued"); got != "2" {
		t.Errorf("issued %q, want a code for each of the 2 recipients who consent", got)
	}
	want := []int64{a.keen, a.keen2}
	slices.Sort(want)
	if got := a.personalCoupons(t, "GIFT"); !slices.Equal(got, want) {
		t.Errorf("personal coupons for %v, want %v", got, want)
	}
	var tagged int
	if err := a.db.Get(&tagged, `SELECT count(*) FROM coupons WHERE campaign_id = $1 AND customer_id IS NOT NULL`, gift.ID); err != nil {
		t.Fatal(err)
	}
	if tagged != 2 {
		t.Errorf("%d coupons tagged with the campaign, want 2", tagged)
	}
}
