package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"atrium/db/seed"
)

func TestSupplierPages(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	if err := seed.LoadBuying(context.Background(), a.db); err != nil {
		t.Fatal(err)
	}
	buyer := a.signedIn("buyer")

	t.Run("the demo suppliers are listed with their terms", func(t *testing.T) {
		res := a.signedIn("accountant").get(suppliersURL).wantStatus(http.StatusOK)
		got := res.byID("supplier-results")
		for _, want := range []string{"Formosa Garment Works", "Pacific Homeware Trading Inc.", "USD", "2/10 net 30", "EOM 30"} {
			if !strings.Contains(got, want) {
				t.Errorf("list lacks %q: %q", want, got)
			}
		}
		if res.hasID("new-supplier") {
			t.Error("an accountant is offered to create suppliers")
		}
		a.signedIn("accountant").get(suppliersURL + "/new").wantStatus(http.StatusForbidden)
	})

	form := url.Values{"code": {"sup-tea"}, "name": {"Nantou Tea Growers"}, "email": {"not-an-email"}, "currency": {"twd"},
		"paymentTerms": {"net thirty"}, "leadTimeDays": {"5"}, "minOrderAmount": {"1,500"}, "active": {"1"}}

	t.Run("mistakes are shown on their fields, input kept", func(t *testing.T) {
		res := buyer.post(suppliersURL, form).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-paymentTerms"); !strings.Contains(got, "2/10 net 30") {
			t.Errorf("terms error %q", got)
		}
		if got := res.values("paymentTerms"); got[0] != "net thirty" {
			t.Errorf("terms %v, want as typed", got)
		}
		form.Set("paymentTerms", "2/10 net 5")
		res = buyer.post(suppliersURL, form).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-paymentTerms"); !strings.Contains(got, "must end before the bill is due") {
			t.Errorf("terms error %q", got)
		}
		form.Set("paymentTerms", "2/10 net 30")
		res = buyer.post(suppliersURL, form).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-email"); !strings.Contains(got, "not-an-email") {
			t.Errorf("email error %q", got)
		}
	})

	var id int64
	t.Run("create, then edit", func(t *testing.T) {
		form.Set("email", "sales@nantou-tea.example")
		form.Set("paymentTerms", "2/10 net 30")
		res := buyer.post(suppliersURL, form).wantRedirect(suppliersURL + "/*")
		var err error
		if id, err = strconv.ParseInt(strings.TrimPrefix(res.Header.Get("Location"), suppliersURL+"/"), 10, 64); err != nil {
			t.Fatal(err)
		}
		page := buyer.get(supplierURL(id)).wantStatus(http.StatusOK)
		page.wantContains("Supplier created.")
		if got := page.byID("supplier-facts"); !strings.Contains(got, "SUP-TEA") || !strings.Contains(got, "2/10 net 30") ||
			!strings.Contains(got, "NT$1,500") {
			t.Errorf("facts %q", got)
		}
		edit := buyer.get(supplierURL(id) + "/edit").wantStatus(http.StatusOK)
		if got := edit.values("minOrderAmount"); got[0] != "1500" && got[0] != "1,500" {
			t.Errorf("minimum %v", got)
		}
		form.Set("name", "Nantou Tea Growers Co-op")
		buyer.post(supplierURL(id), form).wantRedirect(supplierURL(id))
		buyer.get(supplierURL(id)).wantContains("Nantou Tea Growers Co-op", "Supplier saved.")
	})

	t.Run("price list: a pack-size mistake inline, then add, change and remove", func(t *testing.T) {
		var sku string
		if err := a.db.Get(&sku, `SELECT sku FROM variants WHERE id = $1`, a.variant); err != nil {
			t.Fatal(err)
		}
		item := url.Values{"code": {sku}, "supplierSku": {"NT-1"}, "unitCost": {"88.5"}, "packSize": {"6"}, "minOrderQty": {"10"},
			"active": {"1"}}
		res := buyer.post(supplierURL(id)+"/items", item).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-minOrderQty"); !strings.Contains(got, "use 6 or 12") {
			t.Errorf("error %q", got)
		}
		item.Set("minOrderQty", "12")
		buyer.post(supplierURL(id)+"/items", item).wantRedirect(supplierURL(id) + "#supplier-items")
		rows := buyer.get(supplierURL(id)).wantStatus(http.StatusOK).rows("supplier-items")
		if len(rows) != 1 || rows[0][0] != sku || rows[0][2] != "NT-1" || rows[0][3] != "NT$88.50" || rows[0][4] != "6" || rows[0][5] != "12" {
			t.Errorf("price list %v", rows)
		}
		change := buyer.get(supplierURL(id) + "?item=" + strconv.FormatInt(a.variant, 10)).wantStatus(http.StatusOK)
		if got := change.values("unitCost"); got[0] != "88.5" {
			t.Errorf("the change form has %v", got)
		}
		item.Set("code", "NO-SUCH-SKU")
		res = buyer.post(supplierURL(id)+"/items", item).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-variantId"); !strings.Contains(got, "NO-SUCH-SKU") {
			t.Errorf("error %q", got)
		}
		buyer.post(supplierURL(id)+"/items/"+strconv.FormatInt(a.variant, 10)+"/remove", url.Values{}).
			wantRedirect(supplierURL(id) + "#supplier-items")
		if rows := buyer.get(supplierURL(id)).rows("supplier-items"); len(rows) != 0 {
			t.Errorf("price list after removal %v", rows)
		}
	})

	t.Run("a foreign supplier shows its rate", func(t *testing.T) {
		var usd int64
		if err := a.db.Get(&usd, `SELECT id FROM suppliers WHERE code = 'SUP-PACIFIC'`); err != nil {
			t.Fatal(err)
		}
		if got := buyer.get(supplierURL(usd)).byID("supplier-facts"); !strings.Contains(got, "1 USD = 32.15") {
			t.Errorf("facts %q", got)
		}
		buyer.post(supplierURL(usd)+"/rate", url.Values{"rate": {"31"}}).wantStatus(http.StatusForbidden)
		accountant := a.signedIn("accountant")
		res := accountant.post(supplierURL(usd)+"/rate", url.Values{"rate": {"-3"}}).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-rate"); !strings.Contains(got, "above zero") {
			t.Errorf("rate error %q", got)
		}
		if got := res.values("rate"); got[0] != "-3" {
			t.Errorf("rate %v, want as typed", got)
		}
		accountant.post(supplierURL(usd)+"/rate", url.Values{"rate": {"31.9"}}).wantRedirect(supplierURL(usd))
		if got := accountant.get(supplierURL(usd)).byID("supplier-facts"); !strings.Contains(got, "1 USD = 31.9 ") {
			t.Errorf("facts after the new rate %q", got)
		}
	})

	t.Run("the menu: buyers see buying, fulfilment staff only receiving", func(t *testing.T) {
		menu := buyer.get("/admin/").byID("purchasing-menu")
		for _, want := range []string{"Purchase orders", "Approvals", "Suppliers", "Receiving"} {
			if !strings.Contains(menu, want) {
				t.Errorf("buyer's menu lacks %s: %q", want, menu)
			}
		}
		if menu := a.signedIn("fulfilment").get("/admin/").byID("purchasing-menu"); strings.Contains(menu, "Suppliers") ||
			!strings.Contains(menu, "Receiving") {
			t.Errorf("fulfilment's menu %q", menu)
		}
	})
}
