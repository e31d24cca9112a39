package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"atrium/internal/catalog"
	"atrium/internal/marketing"
	"atrium/internal/promotion"
)

func TestCouponCreate(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	manager := a.signedIn("manager")
	manager.get(couponsURL).wantStatus(http.StatusOK).wantContains("No coupons match.")
	page := manager.get("/admin/coupons/new").wantStatus(http.StatusOK)
	if !slices.Equal(page.values("active"), []string{"1"}) || !page.hasID("coupon-form") {
		t.Fatal("the new-coupon form is not there")
	}
	products, err := a.deps.Catalog.ListProducts(system(), catalog.ProductQuery{First: 2})
	if err != nil || len(products.Products) < 2 {
		t.Fatalf("demo products %v, %v", products.Products, err)
	}
	p1, p2 := products.Products[0], products.Products[1]
	vs, err := a.deps.Catalog.VariantsByProductIDs(system(), []int64{p2.ID})
	if err != nil {
		t.Fatal(err)
	}
	cats, err := a.deps.Catalog.Categories(system())
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"code": {"spring-10"}, "description": {"Spring sale"}, "kind": {"PERCENT"}, "percent": {"12.345"},
		"amount": {""}, "scope": {"ITEMS"}, "products": {p1.Handle + ", NO-SUCH-THING"}, "minSpend": {"500"},
		"startsOn": {"2026-05-01"}, "endsOn": {"2026-05-31"}, "maxRedemptions": {"100"}, "maxPerCustomer": {"x"},
		"categoryId": {strconv.FormatInt(cats[0].ID, 10)}, "channel": {"WEB", "APP"}, "active": {"1"}}

	t.Run("what is not a value shows beside its field", func(t *testing.T) {
		res := manager.post(couponsURL, form).wantStatus(http.StatusUnprocessableEntity).
			wantContains("Please correct the marked fields.")
		for path, want := range map[string]string{
			"percentBp": "enter a percentage such as 10 or 12.5", "productIds": "no product has the handle or SKU NO-SUCH-THING",
			"maxPerCustomer": "enter a whole number",
		} {
			if msg := res.byID(errorID(path)); msg != want {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
		if res.values("code")[0] != "spring-10" || res.values("products")[0] != form.Get("products") ||
			!slices.Equal(checkedValues(res, "channel"), []string{"WEB", "APP"}) {
			t.Error("the form lost what was typed")
		}
	})
	t.Run("the service's rules show beside their fields", func(t *testing.T) {
		bad := url.Values{"code": {"x"}, "kind": {"PERCENT"}, "percent": {"150"}, "scope": {"ORDER"},
			"startsOn": {"2026-05-31"}, "endsOn": {"2026-05-01"}}
		res := manager.post(couponsURL, bad).wantStatus(http.StatusUnprocessableEntity)
		for path, want := range map[string]string{"code": "3–40 capital letters", "percentBp": "1 to 10000 basis points",
			"endsAt": "must end after it starts"} {
			if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
	})

	form.Set("percent", "12.5")
	form.Set("products", p1.Handle+", "+strings.ToLower(vs[p2.ID][0].SKU))
	form.Set("maxPerCustomer", "1")
	manager.post(couponsURL, form).wantRedirect(couponsURL)
	list := manager.get(couponsURL).wantStatus(http.StatusOK).wantContains("Coupon created.")
	rows := list.rows("coupon-results")
	want := []string{"SPRING-10 Spring sale", "12.5%", p1.Title + ", " + p2.Title + ", " + cats[0].Name, "everyone", "NT$500",
		"from 2026-05-01 until 2026-05-31", "0 of 100", "1", "Web shop, App", "Active"}
	if len(rows) != 1 || !slices.Equal(rows[0], want) {
		t.Fatalf("coupons %q, want %q", rows, want)
	}
	c, err := a.deps.Coupons.CouponsByCodes(system(), []string{"spring-10"})
	if err != nil {
		t.Fatal(err)
	}
	got := c["SPRING-10"]
	taipei, _ := time.LoadLocation("Asia/Taipei")
	if got.StartsAt == nil || !got.StartsAt.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, taipei)) ||
		got.EndsAt == nil || !got.EndsAt.Equal(time.Date(2026, 6, 1, 0, 0, 0, 0, taipei)) || got.MinSpend != 50000 ||
		*got.PercentBP != 1250 || got.Scope != promotion.Items {
		t.Fatalf("coupon %+v", got)
	}

	t.Run("a code is used once", func(t *testing.T) {
		res := manager.post(couponsURL, form).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("code")); !strings.Contains(msg, "already used") {
			t.Fatalf("code error %q", msg)
		}
	})
	t.Run("a fixed amount off the whole order, in every channel", func(t *testing.T) {
		manager.post(couponsURL, url.Values{"code": {"WELCOME100"}, "kind": {"FIXED"}, "amount": {"100"},
			"scope": {"ORDER"}}).wantRedirect(couponsURL)
		rows := manager.get(couponsURL + "?code=welcome").rows("coupon-results")
		want := []string{"WELCOME100", "NT$100", "The whole order", "everyone", "", "always", "0", "no limit", "Every channel", "Inactive"}
		if len(rows) != 1 || !slices.Equal(rows[0], want) {
			t.Fatalf("coupons %q, want %q", rows, want)
		}
	})
	t.Run("audiences: tiers and a segment, or one member", func(t *testing.T) {
		sg, err := a.deps.Marketing.CreateSegment(system(), marketing.SegmentInput{Name: "Email fans",
			Rules: marketing.Rules{{Kind: marketing.RuleConsent, Purpose: "MARKETING_EMAIL", Granted: &[]bool{true}[0]}}})
		if err != nil {
			t.Fatal(err)
		}
		var member struct {
			ID     int64  `db:"id"`
			Number string `db:"member_number"`
		}
		if err := a.db.Get(&member, `SELECT id, member_number FROM customers WHERE merged_into_id IS NULL AND erased_at IS NULL
			ORDER BY id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		page := manager.get("/admin/coupons/new").wantStatus(http.StatusOK).wantContains("Email fans", "Gold")
		if !page.hasID("coupon-audience") {
			t.Fatal("no audience fields")
		}
		base := url.Values{"kind": {"FIXED"}, "amount": {"50"}, "scope": {"ORDER"}, "active": {"1"}}
		with := func(extra url.Values) url.Values {
			v := url.Values{}
			for k, x := range base {
				v[k] = x
			}
			for k, x := range extra {
				v[k] = x
			}
			return v
		}
		for _, tt := range []struct {
			name, field, want string
			form              url.Values
		}{
			{"unknown member number", "customerId", "no active member has number M99999999",
				with(url.Values{"code": {"P-1"}, "personalMember": {"M99999999"}})},
			{"personal and a tier", "customerId", "a personal coupon is for one customer",
				with(url.Values{"code": {"P-2"}, "personalMember": {member.Number}, "tier": {"GOLD"}})},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := manager.post(couponsURL, tt.form).wantStatus(http.StatusUnprocessableEntity)
				if msg := res.byID(errorID(tt.field)); !strings.Contains(msg, tt.want) {
					t.Errorf("%s: %q, want %q", tt.field, msg, tt.want)
				}
			})
		}
		manager.post(couponsURL, with(url.Values{"code": {"GOLD-FANS"}, "tier": {"GOLD", "SILVER"},
			"segmentId": {strconv.FormatInt(sg.ID, 10)}})).wantRedirect(couponsURL)
		manager.post(couponsURL, with(url.Values{"code": {"JUST-YOU"}, "personalMember": {member.Number}})).wantRedirect(couponsURL)
		for code, want := range map[string]string{"GOLD-FANS": "tiers GOLD, SILVER; segment Email fans",
			"JUST-YOU": "personal: member " + member.Number} {
			rows := manager.get(couponsURL + "?code=" + code).rows("coupon-results")
			if len(rows) != 1 || rows[0][3] != want {
				t.Errorf("%s: %q, want audience %q", code, rows, want)
			}
		}
		c, err := a.deps.Coupons.CouponsByCodes(system(), []string{"JUST-YOU"})
		if err != nil {
			t.Fatal(err)
		}
		if got := c["JUST-YOU"]; got.CustomerID == nil || *got.CustomerID != member.ID || got.MaxRedemptions == nil || *got.MaxRedemptions != 1 {
			t.Errorf("personal coupon %+v", got)
		}
	})
	t.Run("managers only", func(t *testing.T) {
		associate := a.signedIn("associate")
		associate.get(couponsURL).wantStatus(http.StatusForbidden)
		associate.post(couponsURL, form).wantStatus(http.StatusForbidden)
	})
}

// checkedValues returns the values of the ticked checkboxes named name.
func checkedValues(r *response, name string) []string {
	var out []string
	for _, n := range r.inputs(name) {
		if hasAttr(n, "checked") {
			out = append(out, attr(n, "value"))
		}
	}
	return out
}
