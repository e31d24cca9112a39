package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/purchasing"
)

func TestPurchasingSettings(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.signedIn("admin")
	rules := func(t *testing.T) []purchasing.ApprovalRule {
		t.Helper()
		rs, err := a.deps.Purchasing.ApprovalRules(staffContext(t, a, "admin"))
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	before := len(rules(t))
	rule := func(level, above, upTo string, roles ...string) url.Values {
		return url.Values{"level": {level}, "aboveAmount": {above}, "upToAmount": {upTo}, "roles": roles,
			"note": {"big orders"}, "active": {"1"}}
	}

	t.Run("the page shows the rules and the tolerance", func(t *testing.T) {
		page := admin.get(purchasingSettingsURL).wantStatus(http.StatusOK)
		if !page.hasID("rule-form") || !page.hasID("tolerance-form") {
			t.Error("forms missing")
		}
		if got := page.values("overReceiptTolerancePct"); len(got) != 1 || got[0] == "" {
			t.Errorf("tolerance %q", got)
		}
		if !slices.Contains(page.links(), purchasingSettingsURL) {
			t.Error("the purchasing menu does not link the settings")
		}
		if slices.Contains(a.signedIn("buyer").get(quotationsURL).links(), purchasingSettingsURL) {
			t.Error("a buyer's menu links the settings")
		}
	})
	t.Run("a rule's mistakes are shown beside what was typed", func(t *testing.T) {
		res := admin.post(purchasingSettingsURL+"/rules", rule("9", "5,000", "1,000")).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("rule-form"); !strings.Contains(got, "approval levels go from 1 (first) to 5") ||
			!strings.Contains(got, "the upper bound is above the lower bound") ||
			!strings.Contains(got, "choose the roles that may give this level") {
			t.Errorf("rule form %q", got)
		}
		if got := res.values("aboveAmount"); len(got) != 1 || got[0] != "5,000" {
			t.Errorf("typed %q", got)
		}
		res = admin.post(purchasingSettingsURL+"/rules", rule("x", "lots", "", "MANAGER")).wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("enter a whole number", "enter an amount such as")
		if len(rules(t)) != before {
			t.Error("a refused rule was saved")
		}
	})
	var id int64
	t.Run("an admin adds a rule", func(t *testing.T) {
		admin.post(purchasingSettingsURL+"/rules", rule("2", "50,000", "", "MANAGER", "ACCOUNTANT")).wantRedirect(purchasingSettingsURL)
		rs := rules(t)
		if len(rs) != before+1 {
			t.Fatalf("%d rules, want %d", len(rs), before+1)
		}
		for _, r := range rs {
			if r.Level == 2 && r.AboveAmount != nil && *r.AboveAmount == mustAmount(t, "50000") && r.Note == "big orders" {
				id = r.ID
			}
		}
		if id == 0 {
			t.Fatalf("rule not found in %+v", rs)
		}
		page := admin.get(purchasingSettingsURL).wantStatus(http.StatusOK)
		if got := page.byID("rule-" + strconv.FormatInt(id, 10)); !strings.Contains(got, "above NT$50,000") ||
			!strings.Contains(got, "manager or accountant") {
			t.Errorf("row %q", got)
		}
	})
	t.Run("an admin edits a rule", func(t *testing.T) {
		edit := admin.get(purchasingSettingsURL + "?edit=" + strconv.FormatInt(id, 10)).wantStatus(http.StatusOK)
		if got := edit.values("aboveAmount"); len(got) != 1 || got[0] != "50000" {
			t.Errorf("edit form %q", got)
		}
		admin.post(purchasingSettingsURL+"/rules/"+strconv.FormatInt(id, 10), rule("3", "50,000", "", "ADMIN")).
			wantRedirect(purchasingSettingsURL)
		for _, r := range rules(t) {
			if r.ID == id && (r.Level != 3 || len(r.Roles) != 1 || r.Roles[0] != "ADMIN") {
				t.Errorf("rule %+v", r)
			}
		}
	})
	t.Run("an admin removes a rule", func(t *testing.T) {
		admin.post(purchasingSettingsURL+"/rules/"+strconv.FormatInt(id, 10)+"/remove", nil).wantRedirect(purchasingSettingsURL)
		for _, r := range rules(t) {
			if r.ID == id && r.Active {
				t.Error("the rule is still in use")
			}
		}
		page := admin.get(purchasingSettingsURL).wantStatus(http.StatusOK)
		page.wantContains("Approval rule removed")
		if got := page.byID("rule-" + strconv.FormatInt(id, 10)); !strings.Contains(got, "removed") {
			t.Errorf("row %q", got)
		}
	})
	t.Run("a manager sets the tolerance, with mistakes shown inline", func(t *testing.T) {
		m := a.signedIn("manager")
		res := m.post(purchasingSettingsURL+"/tolerance", url.Values{"overReceiptTolerancePct": {"150"}}).
			wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("tolerance-form"); !strings.Contains(got, "between 0 and 100") {
			t.Errorf("tolerance form %q", got)
		}
		if got := res.values("overReceiptTolerancePct"); got[0] != "150" {
			t.Errorf("typed %q", got)
		}
		m.post(purchasingSettingsURL+"/tolerance", url.Values{"overReceiptTolerancePct": {"abc"}}).
			wantStatus(http.StatusUnprocessableEntity).wantContains("enter a percentage such as 5 or 2.5")
		m.post(purchasingSettingsURL+"/tolerance", url.Values{"overReceiptTolerancePct": {"7.5"}}).wantRedirect(purchasingSettingsURL)
		st, err := a.deps.Purchasing.Settings(staffContext(t, a, "manager"))
		if err != nil {
			t.Fatal(err)
		}
		if !st.OverReceiptTolerancePct.Equal(decimal.RequireFromString("7.5")) {
			t.Errorf("tolerance %s", st.OverReceiptTolerancePct)
		}
	})
	t.Run("a manager sees the rules but cannot change them", func(t *testing.T) {
		m := a.signedIn("manager")
		page := m.get(purchasingSettingsURL).wantStatus(http.StatusOK)
		if page.hasID("rule-form") {
			t.Error("the manager is offered the rule form")
		}
		page.wantContains("Only an administrator changes the approval rules")
		m.post(purchasingSettingsURL+"/rules", rule("1", "", "", "MANAGER")).wantStatus(http.StatusForbidden)
	})
	t.Run("a buyer cannot open the settings", func(t *testing.T) {
		a.signedIn("buyer").get(purchasingSettingsURL).wantStatus(http.StatusForbidden)
	})
}

// mustAmount is s in minor units of the demo company currency (TWD).
func mustAmount(t *testing.T, s string) int64 {
	t.Helper()
	n, ok := parseAmount(s, "TWD")
	if !ok {
		t.Fatalf("amount %q", s)
	}
	return n
}
