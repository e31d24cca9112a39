package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atrium/internal/loyalty"
)

func TestPointsAdjust(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	m := registerMember(t, a, "Points Person", "0955 123 456", "")
	pointsURL := customerURL(m.ID) + "/points"

	t.Run("associates see the points but cannot adjust them", func(t *testing.T) {
		associate := a.signedIn("associate")
		res := associate.get(pointsURL).wantStatus(http.StatusOK).wantContains("No points yet.")
		if res.hasID("adjust-form") {
			t.Error("an associate is offered the adjustment")
		}
		associate.post(pointsURL, url.Values{"points": {"500"}, "reason": {"x"}}).wantStatus(http.StatusForbidden)
	})

	manager := a.signedIn("manager")
	key := manager.get(pointsURL).wantStatus(http.StatusOK).values("idempotencyKey")[0]
	for _, tc := range []struct {
		name, points, reason string
		want                 map[string]string
	}{
		{"not a number", "lots", "goodwill", map[string]string{"points": "enter whole points"}},
		{"zero and no reason", "0", " ", map[string]string{"points": "enter a number of points", "reason": "say why"}},
		{"more than the balance", "-100", "correction", map[string]string{"points": "fewer than the 100 asked for"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := manager.post(pointsURL, url.Values{"idempotencyKey": {key}, "points": {tc.points}, "reason": {tc.reason}}).
				wantStatus(http.StatusUnprocessableEntity)
			for path, want := range tc.want {
				if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
					t.Errorf("%s: %q, want %q", path, msg, want)
				}
			}
			if res.values("points")[0] != tc.points {
				t.Error("the form lost what was typed")
			}
		})
	}

	form := url.Values{"idempotencyKey": {key}, "points": {"+1,500"}, "reason": {"goodwill for a late delivery"}}
	manager.post(pointsURL, form).wantRedirect(pointsURL)
	manager.post(pointsURL, form).wantRedirect(pointsURL) // the same form again: replayed, not credited twice
	res := manager.get(pointsURL).wantStatus(http.StatusOK).wantContains("Points adjusted.")
	if got := res.byID("points-balance"); got != "1,500 points" {
		t.Errorf("balance %q", got)
	}
	rows := res.rows("history")
	if len(rows) != 1 || rows[0][1] != "Adjusted" || rows[0][2] != "+1,500" || rows[0][5] != "goodwill for a late delivery" ||
		rows[0][6] != "manager" {
		t.Fatalf("history %q", rows)
	}
	var n int
	if err := a.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'loyalty.points_adjusted' AND entity_id = $1`, m.ID); err != nil || n != 1 {
		t.Errorf("audit records %d, %v", n, err)
	}
	manager.post(pointsURL, url.Values{"idempotencyKey": {newIdempotencyKey()}, "points": {"-500"}, "reason": {"duplicate credit"}}).
		wantRedirect(pointsURL)
	if got := manager.get(customerURL(m.ID)).byID("points-balance"); !strings.Contains(got, "1,000 points") {
		t.Errorf("profile balance %q", got)
	}
}

func TestLoyaltySettings(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	a.signedIn("associate").get(loyaltySettingsURL).wantStatus(http.StatusForbidden)
	manager := a.signedIn("manager")
	page := manager.get(loyaltySettingsURL).wantStatus(http.StatusOK)
	if got := page.values("tier.code"); strings.Join(got, ",") != "MEMBER,SILVER,GOLD," {
		t.Fatalf("tier codes %q", got)
	}
	if got := page.values("rule.currency"); strings.Join(got, ",") != "TWD," {
		t.Fatalf("earn rules %q", got)
	}

	// form is the page's form as posted, with change applied.
	form := func(change func(url.Values)) url.Values {
		v := url.Values{}
		for _, name := range []string{"expiryMonths", "minRedeemPoints", "maxRedeemShare", "tierWindowMonths",
			"rule.currency", "rule.spendPerPoint", "rule.pointValue",
			"tier.code", "tier.name", "tier.minSpend", "tier.multiplier", "tier.discount", "tier.freeShipping"} {
			v[name] = page.values(name)
		}
		n := len(v["rule.currency"])
		v["rule.active"], v["rule.remove"] = make([]string, n), make([]string, n)
		for i := range n {
			v["rule.active"][i] = "yes"
		}
		v["tier.remove"] = make([]string, len(v["tier.code"]))
		change(v)
		return v
	}

	t.Run("every problem shows beside its field", func(t *testing.T) {
		res := manager.post(loyaltySettingsURL, form(func(v url.Values) {
			v.Set("expiryMonths", "a year")
			v.Set("maxRedeemShare", "half")
			v["tier.minSpend"][0] = "100"
			v["tier.code"][2] = "SILVER"
			v["tier.multiplier"][1] = "fast"
			v["rule.spendPerPoint"][0] = "lots"
		})).wantStatus(http.StatusUnprocessableEntity)
		for path, want := range map[string]string{
			"expiryMonths":              "enter a whole number",
			"maxRedeemShareBp":          "enter a percentage",
			"tiers.1.multiplierBp":      "enter a multiplier",
			"earnRules.0.spendPerPoint": "enter an amount",
		} {
			if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
		if got := res.values("tier.multiplier")[1]; got != "fast" {
			t.Errorf("the form lost what was typed: %q", got)
		}
	})
	t.Run("the service's rules show beside their fields", func(t *testing.T) {
		res := manager.post(loyaltySettingsURL, form(func(v url.Values) {
			v.Set("expiryMonths", "0")
			v["tier.minSpend"][0] = "100"
			v["tier.code"][2] = "SILVER"
			v["rule.pointValue"][0] = "-1"
		})).wantStatus(http.StatusUnprocessableEntity)
		for path, want := range map[string]string{"expiryMonths": "between 1 and 120 months", "earnRules.0.pointValue": "above zero"} {
			if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
		if msg := res.byID(errorID("tiers.2.code")); !strings.Contains(msg, "listed twice") {
			t.Errorf("code: %q", msg)
		}
		if msg := res.byID(errorID("tiers")); !strings.Contains(msg, "lowest tier must start at zero") {
			t.Errorf("tiers: %q", msg)
		}
	})

	manager.post(loyaltySettingsURL, form(func(v url.Values) {
		v.Set("expiryMonths", "24")
		v["tier.discount"][2] = "6"
		v["tier.remove"][1] = "yes" // SILVER goes
		last := len(v["tier.code"]) - 1
		v["tier.code"][last], v["tier.name"][last], v["tier.minSpend"][last] = "platinum", "Platinum", "100000"
		v["tier.multiplier"][last], v["tier.discount"][last], v["tier.freeShipping"][last] = "2", "8", "0"
	})).wantRedirect(loyaltySettingsURL)
	manager.get(loyaltySettingsURL).wantStatus(http.StatusOK).wantContains("Loyalty programme saved.")
	st, err := a.deps.Loyalty.Settings(system())
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	var gold, platinum loyalty.Tier
	for _, tr := range st.Tiers {
		codes = append(codes, tr.Code)
		switch tr.Code {
		case "GOLD":
			gold = tr
		case "PLATINUM":
			platinum = tr
		}
	}
	if st.ExpiryMonths != 24 || strings.Join(codes, ",") != "MEMBER,GOLD,PLATINUM" || gold.DiscountBP != 600 ||
		platinum.MultiplierBP != 20000 || platinum.MinSpend != 10000000 || platinum.FreeShippingThreshold == nil {
		t.Fatalf("settings %+v", st)
	}
}

// Managers add points promotions (double points in the app for a week) on the programme's
// page; mistakes show beside their fields with what was typed.
func TestPointsPromotions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	a.signedIn("associate").post(loyaltySettingsURL+"/promotions", url.Values{"name": {"x"}}).wantStatus(http.StatusForbidden)
	manager := a.signedIn("manager")
	manager.get(loyaltySettingsURL).wantContains("No points promotions yet.")

	res := manager.post(loyaltySettingsURL+"/promotions", url.Values{"name": {"Double points week"}, "multiplier": {"twice"},
		"starts": {"2026-12-07"}, "ends": {"2026-12-01"}}).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID("error-multiplierBp"); msg == "" {
		t.Errorf("no error beside the multiplier")
	}
	if v := res.values("name"); len(v) != 1 || v[0] != "Double points week" {
		t.Errorf("name as typed %v", v)
	}
	res = manager.post(loyaltySettingsURL+"/promotions", url.Values{"name": {"Double points week"}, "multiplier": {"2"},
		"starts": {"2026-12-07"}, "ends": {"2026-12-01"}}).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID("error-endsAt"); !strings.Contains(msg, "end after it starts") {
		t.Errorf("dates error %q", msg)
	}
	manager.post(loyaltySettingsURL+"/promotions", url.Values{"name": {"Double points week"}, "multiplier": {"2"},
		"starts": {"2026-12-01"}, "ends": {"2026-12-07"}, "channels": {"APP"}}).wantRedirect(loyaltySettingsURL + "#promotions")
	manager.get(loyaltySettingsURL).wantContains("Points promotion added.", "Double points week", "2026-12-01", "2026-12-07", "APP")
	var bp int
	if err := a.db.Get(&bp, `SELECT multiplier_bp FROM loyalty_promotions WHERE name = 'Double points week'`); err != nil || bp != 20000 {
		t.Errorf("stored multiplier %d, %v; want 20000", bp, err)
	}
}
