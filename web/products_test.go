package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"atrium/internal/catalog"
)

// demoProduct returns the first demo product with at least n variants.
func demoProduct(t *testing.T, a *app, n int) (catalog.Product, []catalog.Variant) {
	t.Helper()
	ctx := system()
	var after int64
	for {
		page, err := a.deps.Catalog.ListProducts(ctx, catalog.ProductQuery{After: after, First: catalog.MaxPage})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(page.Products))
		for i, p := range page.Products {
			ids[i] = p.ID
		}
		vs, err := a.deps.Catalog.VariantsByProductIDs(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Products {
			if len(vs[p.ID]) >= n && vs[p.ID][0].Barcode != nil && vs[p.ID][1].Barcode != nil {
				return p, vs[p.ID]
			}
		}
		if !page.HasNextPage {
			t.Fatalf("no demo product with %d variants", n)
		}
		after = page.Products[len(page.Products)-1].ID
	}
}

// productFormValues is what the editor posts for p unchanged.
func productFormValues(p catalog.Product, vs []catalog.Variant) url.Values {
	f := productFormFrom(p, vs)
	form := url.Values{"title": {f.Title}, "handle": {f.Handle}, "description": {f.Description},
		"brand": {f.Brand}, "categoryId": {f.CategoryID}, "status": {f.Status}, "shelfLifeDays": {f.ShelfLifeDays}}
	if f.LotTracked {
		form.Set("lotTracked", "on")
	}
	for _, v := range f.Variants {
		form.Add("variant_id", v.ID)
		form.Add("variant_sku", v.SKU)
		form.Add("variant_barcode", v.Barcode)
		form.Add("variant_title", v.Title)
		form.Add("variant_size", v.Size)
		form.Add("variant_colour", v.Colour)
		form.Add("variant_price", v.Price)
		form.Add("variant_cost", v.Cost)
	}
	return form
}

// wrongCheckDigit returns code with its check digit changed.
func wrongCheckDigit(code string) string {
	last := code[len(code)-1] - '0'
	return code[:len(code)-1] + strconv.Itoa(int(last+1)%10)
}

// gtin returns a valid GTIN-13 in the restricted-circulation range (never a demo barcode).
func gtin(n int) string {
	body := "2" + strings.Repeat("0", 11-len(strconv.Itoa(n))) + strconv.Itoa(n)
	return body + string(catalog.GTINCheckDigit(body))
}

func TestProductEditBadCheckDigit(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("buyer")
	p, vs := demoProduct(t, a, 2)

	form := productFormValues(p, vs)
	form.Set("title", "Renamed while typing")
	bad := wrongCheckDigit(*vs[1].Barcode)
	form["variant_barcode"][1] = bad
	form["variant_price"][0] = "1,234"
	res := c.post(productURL(p.ID), form).wantStatus(http.StatusUnprocessableEntity)

	if msg := res.byID("error-variants-1-barcode"); !strings.Contains(msg, "check digit") {
		t.Fatalf("barcode error %q", msg)
	}
	barcodes := res.inputs("variant_barcode")
	if attr(barcodes[1], "aria-invalid") != "true" || hasAttr(barcodes[0], "aria-invalid") {
		t.Fatal("the wrong barcode input is not the one marked invalid")
	}
	if res.hasID("error-variants-0-barcode") {
		t.Fatal("the good barcode has an error")
	}
	if got := res.values("title"); got[0] != "Renamed while typing" {
		t.Fatalf("title %q: the typed title was lost", got)
	}
	if got := res.values("variant_barcode"); got[1] != bad || got[0] != *vs[0].Barcode {
		t.Fatalf("barcodes %q: the typed barcodes were lost", got)
	}
	if got := res.values("variant_price"); got[0] != "1,234" {
		t.Fatalf("prices %q: the typed price was lost", got)
	}
	res.wantContains("Please correct the marked fields.")

	saved, err := a.deps.Catalog.Product(system(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Title != p.Title {
		t.Fatalf("title saved as %q despite the error", saved.Title)
	}
}

func TestProductEditSaves(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("manager")
	p, vs := demoProduct(t, a, 2)

	form := productFormValues(p, vs)
	form.Set("title", p.Title+" (2026)")
	form["variant_price"][0] = "1,290"
	c.post(productURL(p.ID), form).wantRedirect(productURL(p.ID))

	page := c.get(productURL(p.ID)).wantStatus(http.StatusOK).wantContains("Product saved.")
	if got := page.values("title"); got[0] != p.Title+" (2026)" {
		t.Fatalf("title after save %q", got)
	}
	if got := page.values("variant_price"); got[0] != "1290" {
		t.Fatalf("price after save %q", got)
	}
	saved, err := a.deps.Catalog.VariantsByIDs(system(), []int64{vs[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := saved[vs[0].ID].PriceAmount; got != 129000 {
		t.Fatalf("price saved as %d minor units, want 129000", got)
	}
	// The flash shows once.
	c.get(productURL(p.ID)).wantNotContains("Product saved.")
}

func TestProductCreate(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("buyer")
	c.get("/admin/products/new").wantStatus(http.StatusOK).wantContains("New product")

	form := url.Values{"title": {"Atrium Test Tote"}, "status": {"DRAFT"}, "brand": {"Atrium"},
		"variant_id": {"", ""}, "variant_sku": {"TEST-TOTE-NAT", "TEST-TOTE-BLK"},
		"variant_barcode": {gtin(1), wrongCheckDigit(gtin(2))}, "variant_title": {"", ""},
		"variant_size": {"", ""}, "variant_colour": {"Natural", "Black"}, "variant_price": {"490", "abc"}}
	res := c.post("/admin/products", form).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID("error-variants-1-price"); !strings.Contains(msg, "amount") {
		t.Fatalf("price error %q", msg)
	}
	if got := res.values("variant_colour"); len(got) != 2 || got[1] != "Black" {
		t.Fatalf("rows after the error %q", got)
	}

	form["variant_price"][1] = "520"
	res = c.post("/admin/products", form).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID("error-variants-1-barcode"); !strings.Contains(msg, "check digit") {
		t.Fatalf("barcode error %q", msg)
	}
	if got, _ := a.deps.Catalog.VariantsBySKUs(system(), []string{"TEST-TOTE-NAT"}); len(got) != 0 {
		t.Fatal("a product was saved despite the errors")
	}

	form["variant_barcode"][1] = gtin(2)
	res = c.post("/admin/products", form).wantRedirect("/admin/products/*")
	got, err := a.deps.Catalog.VariantsBySKUs(system(), []string{"TEST-TOTE-NAT", "TEST-TOTE-BLK"})
	if err != nil || len(got) != 2 {
		t.Fatalf("variants saved: %v, %v", got, err)
	}
	if res.Header.Get("Location") != productURL(got["TEST-TOTE-NAT"].ProductID) {
		t.Fatalf("redirect to %q", res.Header.Get("Location"))
	}
	page := c.get(res.Header.Get("Location")).wantStatus(http.StatusOK).wantContains("Product created.", "Atrium Test Tote")
	if got := page.values("handle"); got[0] != "atrium-test-tote" {
		t.Fatalf("handle %q", got)
	}
}

func TestProductLineEditorWithoutJavaScript(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("buyer")
	p, vs := demoProduct(t, a, 2)
	form := productFormValues(p, vs)
	form.Set("title", "Typed, not saved")

	form.Set("op", "add-row")
	res := c.post(productURL(p.ID), form).wantStatus(http.StatusOK)
	if got := res.values("variant_sku"); len(got) != len(vs)+1 || got[len(vs)] != "" {
		t.Fatalf("rows after add: %q", got)
	}
	if res.values("title")[0] != "Typed, not saved" {
		t.Fatal("adding a row lost the typed title")
	}

	form.Set("op", "remove-0")
	res = c.post(productURL(p.ID), form).wantStatus(http.StatusOK)
	if got := res.values("variant_sku"); len(got) != len(vs)-1 || got[0] != vs[1].SKU {
		t.Fatalf("rows after removing the first: %q", got)
	}
	if saved, _ := a.deps.Catalog.Product(system(), p.ID); saved.Title != p.Title {
		t.Fatal("a line-editor button saved the product")
	}

	// With JavaScript, a new row comes from here.
	row := c.get("/admin/products/variant-row", "HX-Request", "true", "HX-Target", "variant-rows").wantStatus(http.StatusOK)
	row.wantNotContains("<html").wantContains(`name="variant_sku"`, `name="variant_barcode"`, "data-remove-row")
}

func TestProductPageShowsStock(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	p, vs := demoProduct(t, a, 2)
	levels, err := a.deps.Inventory.LevelsByVariantIDs(system(), []int64{vs[0].ID})
	if err != nil || len(levels[vs[0].ID]) == 0 {
		t.Fatalf("demo stock for %s: %v %v", vs[0].SKU, levels, err)
	}
	res := a.signedIn("associate").get(productURL(p.ID)).wantStatus(http.StatusOK)
	stock := res.byID("stock")
	l := levels[vs[0].ID][0]
	loc, err := a.deps.Locations.Get(system(), l.LocationID)
	if err != nil {
		t.Fatal(err)
	}
	want := formatCount(l.OnHand) + " (" + formatCount(l.Available()) + " available)"
	if !strings.Contains(stock, loc.Code) || !strings.Contains(stock, vs[0].SKU+" "+vs[0].Title) || !strings.Contains(stock, want) {
		t.Fatalf("stock section lacks %s at %s (%q):\n%s", vs[0].SKU, loc.Code, want, stock)
	}

	// An associate may look but not edit.
	if !strings.Contains(res.Body, "<fieldset disabled") || strings.Contains(res.Body, `id="save-product"`) {
		t.Fatal("the associate's product page is editable")
	}
	a.signedIn("associate").post(productURL(p.ID), productFormValues(p, vs)).wantStatus(http.StatusForbidden)
}

func TestProductList(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("associate")
	p, vs := demoProduct(t, a, 2)
	link := `href="` + productURL(p.ID) + `"`

	t.Run("search by SKU", func(t *testing.T) {
		c.get("/admin/products?q=" + url.QueryEscape(strings.ToLower(vs[1].SKU))).wantStatus(http.StatusOK).wantContains(link)
	})
	t.Run("search by barcode", func(t *testing.T) {
		res := c.get("/admin/products?q=" + *vs[1].Barcode).wantStatus(http.StatusOK).wantContains(link)
		if v := res.values("q"); v[0] != *vs[1].Barcode {
			t.Fatalf("search box %q", v)
		}
	})
	t.Run("htmx swaps only the results", func(t *testing.T) {
		res := c.get("/admin/products?q="+url.QueryEscape(p.Title), "HX-Request", "true", "HX-Target", "product-results")
		res.wantStatus(http.StatusOK).wantContains(link).wantNotContains("<html", `name="q"`)
		if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
			t.Fatalf("Vary %q", vary)
		}
		// A history restore gets the whole page.
		c.get("/admin/products?q=x", "HX-Request", "true", "HX-Target", "product-results",
			"HX-History-Restore-Request", "true").wantContains("<html")
	})
	t.Run("nothing found", func(t *testing.T) {
		c.get("/admin/products?q=no-such-thing-anywhere").wantContains("No products match.")
	})
	t.Run("status filter", func(t *testing.T) {
		res := c.get("/admin/products?status=ACTIVE").wantStatus(http.StatusOK)
		badges := find(res.document(), func(n *html.Node) bool { return strings.HasPrefix(attr(n, "class"), "badge badge-") })
		if len(badges) == 0 {
			t.Fatal("no active products listed")
		}
		for _, b := range badges {
			if attr(b, "class") != "badge badge-active" {
				t.Fatalf("status filter let through %q", text(b))
			}
		}
	})
	t.Run("category filter", func(t *testing.T) {
		cats, err := a.deps.Catalog.Categories(system())
		if err != nil || len(cats) == 0 {
			t.Fatalf("categories: %v %v", cats, err)
		}
		var cat catalog.Category
		for _, c := range cats {
			if n, _ := a.deps.Catalog.CountProducts(system(), catalog.ProductQuery{CategoryID: &c.ID}); n > 0 {
				cat = c
				break
			}
		}
		res := c.get("/admin/products?category=" + strconv.FormatInt(cat.ID, 10)).wantStatus(http.StatusOK)
		rows := find(res.document(), func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
		if len(rows) == 0 {
			t.Fatalf("no products in %s", cat.Name)
		}
		for _, row := range rows {
			if !strings.Contains(text(row), cat.Name) {
				t.Fatalf("category filter %s let through %q", cat.Name, text(row))
			}
		}
	})
	t.Run("pages forward and back", func(t *testing.T) {
		first := c.get("/admin/products").wantStatus(http.StatusOK)
		next := relLink(t, first, "next")
		if relLinkOK(first, "prev") {
			t.Fatal("the first page links to a previous one")
		}
		second := c.get(next).wantStatus(http.StatusOK).wantContains("Page 2 of")
		if productLinks(first)[0] == productLinks(second)[0] {
			t.Fatal("page 2 starts like page 1")
		}
		third := c.get(relLink(t, second, "next")).wantStatus(http.StatusOK).wantContains("Page 3 of")
		back := c.get(relLink(t, third, "prev")).wantStatus(http.StatusOK).wantContains("Page 2 of")
		if strings.Join(productLinks(back), " ") != strings.Join(productLinks(second), " ") {
			t.Fatal("previous from page 3 is not page 2")
		}
		home := c.get(relLink(t, back, "prev")).wantStatus(http.StatusOK).wantContains("Page 1 of")
		if strings.Join(productLinks(home), " ") != strings.Join(productLinks(first), " ") {
			t.Fatal("previous from page 2 is not page 1")
		}
		if n := len(productLinks(first)); n != productPageSize {
			t.Fatalf("page of %d products, want %d", n, productPageSize)
		}
	})
}

func relLinkOK(r *response, rel string) bool {
	return len(find(r.document(), func(n *html.Node) bool { return n.Data == "a" && attr(n, "rel") == rel })) > 0
}

func relLink(t *testing.T, r *response, rel string) string {
	t.Helper()
	ns := find(r.document(), func(n *html.Node) bool { return n.Data == "a" && attr(n, "rel") == rel })
	if len(ns) == 0 {
		t.Fatalf("no rel=%s link; body:\n%s", rel, r.Body)
	}
	return attr(ns[0], "href")
}

// productLinks returns the product pages the list links to, in order.
func productLinks(r *response) []string {
	var out []string
	for _, href := range r.links() {
		if rest, ok := strings.CutPrefix(href, "/admin/products/"); ok && rest != "new" {
			out = append(out, href)
		}
	}
	return out
}

func TestProductUnitCost(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("buyer")
	p, vs := demoProduct(t, a, 2)
	page := c.get(productURL(p.ID)).wantStatus(http.StatusOK).wantContains("Unit cost (TWD)")
	if got := page.values("variant_cost"); len(got) != len(vs) || got[0] != vs[0].UnitCost.String() {
		t.Fatalf("costs shown %q, want the demo costs", got)
	}

	for typed, want := range map[string]string{
		"12.34567": "at most four decimals",
		"abc":      "enter a cost",
		"-1":       "cannot be negative",
	} {
		form := productFormValues(p, vs)
		form["variant_cost"][0] = typed
		res := c.post(productURL(p.ID), form).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("variants.0.unitCost")); !strings.Contains(msg, want) || res.values("variant_cost")[0] != typed {
			t.Errorf("cost %q: error %q, want %q", typed, msg, want)
		}
	}

	form := productFormValues(p, vs)
	form["variant_cost"][0] = "NT$1,234.5678"
	form["variant_cost"][1] = ""
	c.post(productURL(p.ID), form).wantRedirect(productURL(p.ID))
	saved, err := a.deps.Catalog.VariantsByIDs(system(), []int64{vs[0].ID, vs[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := saved[vs[0].ID].UnitCost; got == nil || got.String() != "1234.5678" || saved[vs[1].ID].UnitCost != nil {
		t.Fatalf("costs saved %v, %v", got, saved[vs[1].ID].UnitCost)
	}
	if got := c.get(productURL(p.ID)).values("variant_cost"); got[0] != "1234.5678" || got[1] != "" {
		t.Fatalf("costs after save %q", got)
	}

	// Accountants see costs (read-only); associates do not.
	a.signedIn("accountant").get(productURL(p.ID)).wantContains("Unit cost (TWD)", `name="variant_cost"`, "<fieldset disabled")
	a.signedIn("associate").get(productURL(p.ID)).wantNotContains("Unit cost", `name="variant_cost"`)
}
