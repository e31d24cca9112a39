package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"atrium/internal/actor"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
)

// locationID is the id of the demo location with code.
func locationID(t *testing.T, a *app, code string) int64 {
	t.Helper()
	l, err := a.deps.Locations.ByCode(system(), code)
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// demoLevel returns the n-th demo level (in variant order) at location code of a variant
// that is not lot-tracked, with at least minOnHand on hand, and its variant.
func demoLevel(t *testing.T, a *app, code string, minOnHand, n int) (inventory.Level, catalog.Variant) {
	t.Helper()
	var key struct {
		LocationID int64 `db:"location_id"`
		VariantID  int64 `db:"variant_id"`
	}
	err := a.db.Get(&key, `SELECT s.location_id, s.variant_id FROM stock_levels s
		JOIN locations l ON l.id = s.location_id JOIN variants v ON v.id = s.variant_id
		JOIN products p ON p.id = v.product_id
		WHERE l.code = $1 AND s.on_hand >= $2 AND NOT p.lot_tracked AND p.status = 'ACTIVE' AND v.barcode IS NOT NULL
		ORDER BY s.variant_id OFFSET $3 LIMIT 1`, code, minOnHand, n)
	if err != nil {
		t.Fatalf("no demo level at %s with %d on hand: %v", code, minOnHand, err)
	}
	return level(t, a, key.LocationID, key.VariantID)
}

// level returns the level of a variant at a location now, and the variant.
func level(t *testing.T, a *app, locationID, variantID int64) (inventory.Level, catalog.Variant) {
	t.Helper()
	levels, err := a.deps.Inventory.LevelsByVariantIDs(system(), []int64{variantID})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := a.deps.Catalog.VariantsByIDs(system(), []int64{variantID})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range levels[variantID] {
		if l.LocationID == locationID {
			return l, vs[variantID]
		}
	}
	return inventory.Level{LocationID: locationID, VariantID: variantID}, vs[variantID]
}

// staffContext acts as the demo staff member login (as the back office would).
func staffContext(t *testing.T, a *app, login string) context.Context {
	t.Helper()
	sa, err := a.deps.Auth.StaffActor(system(), memberByLogin(t, a, login).ID)
	if err != nil {
		t.Fatal(err)
	}
	return actor.With(context.Background(), sa)
}

// rows returns the cell texts of the body rows of the tables inside the element with id.
func (r *response) rows(id string) [][]string {
	r.t.Helper()
	root := find(r.document(), func(n *html.Node) bool { return attr(n, "id") == id })
	if len(root) == 0 {
		r.t.Fatalf("no element #%s; body:\n%s", id, r.Body)
	}
	var out [][]string
	for _, tr := range find(root[0], func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" }) {
		var cells []string
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
				cells = append(cells, text(c))
			}
		}
		if len(cells) == 1 && hasAttr(tr.FirstChild, "colspan") {
			continue // an empty table's message
		}
		out = append(out, cells)
	}
	return out
}

// fragment is an HTMX response of table rows, put in a table (#fragment) so that it
// parses as one.
func (r *response) fragment() *response {
	r.t.Helper()
	if strings.Contains(r.Body, "<html") {
		r.t.Fatalf("a whole page, not a fragment:\n%s", r.Body)
	}
	return &response{t: r.t, Status: r.Status, Header: r.Header,
		Body: `<table id="fragment"><tbody>` + r.Body + `</tbody></table>`}
}

// columns returns the column headings of the first table inside the element with id.
func (r *response) columns(id string) []string {
	r.t.Helper()
	root := find(r.document(), func(n *html.Node) bool { return attr(n, "id") == id })
	if len(root) == 0 {
		r.t.Fatalf("no element #%s", id)
	}
	var out []string
	for _, th := range find(root[0], func(n *html.Node) bool { return n.Data == "th" && n.Parent.Parent.Data == "thead" }) {
		out = append(out, text(th))
	}
	return out
}

// column returns cell i of every row.
func column(rows [][]string, i int) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[i])
	}
	return out
}

func TestStockMenuAndAccessByRole(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	daily := []string{"/admin/stock", "/admin/stock/movements", "/admin/stock/transfers", "/admin/stock/alerts/low-stock",
		"/admin/stock/alerts/expiring.csv"}
	for _, tt := range []struct {
		login        string
		stock, value bool
	}{
		{"associate", true, false},
		{"fulfilment", true, false},
		{"buyer", true, true},
		{"manager", true, true},
		{"admin", true, true},
		{"accountant", false, true},
		{"hr", false, false},
	} {
		t.Run(tt.login, func(t *testing.T) {
			c := a.signedIn(tt.login)
			home := c.get("/admin/").wantStatus(http.StatusOK)
			if home.hasID("stock-menu") != (tt.stock || tt.value) {
				t.Fatalf("stock menu shown: %t", !(tt.stock || tt.value))
			}
			links := home.links()
			if slices.Contains(links, "/admin/stock") != tt.stock || slices.Contains(links, "/admin/stock/transfers") != tt.stock {
				t.Errorf("daily stock links %v, want %t", links, tt.stock)
			}
			if slices.Contains(links, "/admin/stock/value") != tt.value {
				t.Errorf("value link in %v, want %t", links, tt.value)
			}
			want := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}
			for _, p := range daily {
				c.get(p).wantStatus(want[tt.stock])
			}
			c.get("/admin/stock/value").wantStatus(want[tt.value])
			c.get("/admin/stock/value.csv").wantStatus(want[tt.value])
		})
	}
}

func TestStockOverview(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("associate") // home: TPE-01
	tpe := locationID(t, a, "TPE-01")
	var atHome int
	if err := a.db.Get(&atHome, `SELECT count(*) FROM stock_levels WHERE location_id = $1`, tpe); err != nil {
		t.Fatal(err)
	}

	t.Run("an associate sees their home location, paged", func(t *testing.T) {
		first := c.get("/admin/stock").wantStatus(http.StatusOK)
		if got := first.inputs("location"); len(got) != 1 || !slices.ContainsFunc(find(got[0], func(n *html.Node) bool {
			return n.Data == "option" && hasAttr(n, "selected")
		}), func(n *html.Node) bool { return attr(n, "value") == strconv.FormatInt(tpe, 10) }) {
			t.Fatal("the location filter does not show TPE-01")
		}
		rows := first.rows("stock-results")
		if len(rows) != stockPageSize {
			t.Fatalf("%d rows on the first page, want %d", len(rows), stockPageSize)
		}
		for _, r := range rows {
			if r[0] != "TPE-01" {
				t.Fatalf("row at %s on the home page", r[0])
			}
		}
		first.wantContains(formatCount(atHome) + " in all")
		second := c.get(relLink(t, first, "next")).wantStatus(http.StatusOK).wantContains("Page 2 of")
		if column(second.rows("stock-results"), 1)[0] == column(rows, 1)[0] {
			t.Fatal("page 2 starts like page 1")
		}
		back := c.get(relLink(t, second, "prev")).wantStatus(http.StatusOK).wantContains("Page 1 of")
		if !slices.Equal(column(back.rows("stock-results"), 1), column(rows, 1)) {
			t.Fatal("previous from page 2 is not page 1")
		}
	})
	t.Run("all locations", func(t *testing.T) {
		var all int
		if err := a.db.Get(&all, `SELECT count(*) FROM stock_levels`); err != nil {
			t.Fatal(err)
		}
		c.get("/admin/stock?location=all").wantStatus(http.StatusOK).wantContains(formatCount(all) + " in all")
	})
	t.Run("category with its subcategories", func(t *testing.T) {
		var food int64
		var skus []string
		if err := a.db.Get(&food, `SELECT id FROM categories WHERE handle = 'food'`); err != nil {
			t.Fatal(err)
		}
		err := a.db.Select(&skus, `SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id
			JOIN categories c ON c.id = p.category_id WHERE c.id = $1 OR c.parent_id = $1`, food)
		if err != nil {
			t.Fatal(err)
		}
		rows := c.get("/admin/stock?location=all&category=" + strconv.FormatInt(food, 10)).wantStatus(http.StatusOK).rows("stock-results")
		if len(rows) == 0 {
			t.Fatal("no food in stock")
		}
		for _, r := range rows {
			if !slices.Contains(skus, r[1]) {
				t.Fatalf("%s is not food", r[1])
			}
		}
	})
	t.Run("out of stock", func(t *testing.T) {
		rows := c.get("/admin/stock?out=1").wantStatus(http.StatusOK).rows("stock-results")
		if len(rows) == 0 {
			t.Fatal("nothing out of stock at TPE-01")
		}
		for _, r := range rows {
			if r[6] != "0" {
				t.Fatalf("%s has %s available", r[1], r[6])
			}
		}
	})
	t.Run("low stock and search", func(t *testing.T) {
		l, v := demoLevel(t, a, "TPE-01", 2, 0)
		if _, err := a.deps.Inventory.SetStockPolicy(system(), l.LocationID, l.VariantID, 0, l.OnHand); err != nil {
			t.Fatal(err)
		}
		rows := c.get("/admin/stock?low=1").wantStatus(http.StatusOK).rows("stock-results")
		if len(rows) != 1 || rows[0][1] != v.SKU || !strings.Contains(rows[0][8], "Low") {
			t.Fatalf("low stock at TPE-01: %v", rows)
		}
		rows = c.get("/admin/stock?q=" + url.QueryEscape(strings.ToLower(v.SKU))).wantStatus(http.StatusOK).rows("stock-results")
		if len(rows) != 1 || rows[0][1] != v.SKU || rows[0][3] != formatCount(l.OnHand) {
			t.Fatalf("search for %s: %v", v.SKU, rows)
		}
	})
	t.Run("by product sums the locations", func(t *testing.T) {
		_, v := demoLevel(t, a, "TPE-01", 1, 3)
		var onHand, locations int
		err := a.db.QueryRow(`SELECT sum(on_hand), count(*) FROM stock_levels WHERE variant_id = $1`, v.ID).Scan(&onHand, &locations)
		if err != nil {
			t.Fatal(err)
		}
		rows := c.get("/admin/stock?view=product&q=" + url.QueryEscape(v.SKU)).wantStatus(http.StatusOK).rows("stock-results")
		if len(rows) != 1 || rows[0][0] != v.SKU || rows[0][2] != formatCount(locations) || rows[0][3] != formatCount(onHand) {
			t.Fatalf("%s by product: %v; want %d at %d locations", v.SKU, rows, onHand, locations)
		}
	})
	t.Run("htmx swaps only the results", func(t *testing.T) {
		c.get("/admin/stock?out=1", "HX-Request", "true", "HX-Target", "stock-results").
			wantStatus(http.StatusOK).wantNotContains("<html", `name="q"`).wantContains("Page 1")
	})
	t.Run("an associate may not edit policies", func(t *testing.T) {
		l, _ := demoLevel(t, a, "TPE-01", 1, 0)
		c.get("/admin/stock").wantNotContains(`class="edit-policy"`)
		c.get(levelURL(l.LocationID, l.VariantID) + "/policy").wantStatus(http.StatusForbidden)
		c.post(levelURL(l.LocationID, l.VariantID)+"/policy", url.Values{"safetyStock": {"1"}, "reorderPoint": {"1"}}).
			wantStatus(http.StatusForbidden)
	})
}

func TestStockPolicyInline(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("manager")
	l, v := demoLevel(t, a, "TPE-02", 3, 0)
	row := "level-" + strconv.FormatInt(l.LocationID, 10) + "-" + strconv.FormatInt(l.VariantID, 10)
	policy := levelURL(l.LocationID, l.VariantID) + "/policy"
	htmx := []string{"HX-Request", "true", "HX-Target", row}

	edit := c.get(policy+"?back=%2Fadmin%2Fstock", htmx...).wantStatus(http.StatusOK).fragment()
	if !edit.hasID(row) || len(edit.inputs("safetyStock")) != 1 || edit.values("back")[0] != "/admin/stock" {
		t.Fatalf("edit row:\n%s", edit.Body)
	}

	bad := c.post(policy, url.Values{"safetyStock": {"1"}, "reorderPoint": {"lots"}, "back": {"/admin/stock"}}, htmx...).
		wantStatus(http.StatusUnprocessableEntity).fragment()
	if msg := bad.byID(errorID("reorderPoint")); !strings.Contains(msg, "whole number") || bad.values("reorderPoint")[0] != "lots" {
		t.Fatalf("reorder point error %q", msg)
	}
	bad = c.post(policy, url.Values{"safetyStock": {"-1"}, "reorderPoint": {"2"}}, htmx...).
		wantStatus(http.StatusUnprocessableEntity).fragment()
	if msg := bad.byID(errorID("safetyStock")); !strings.Contains(msg, "cannot be negative") {
		t.Fatalf("safety stock error %q", msg)
	}

	saved := c.post(policy, url.Values{"safetyStock": {"1"}, "reorderPoint": {strconv.Itoa(l.OnHand)}, "back": {"/admin/stock"}}, htmx...)
	saved = saved.wantStatus(http.StatusOK).wantNotContains(`name="safetyStock"`).fragment()
	cells := saved.rows("fragment")[0]
	if cells[1] != v.SKU || cells[5] != "1" || !strings.Contains(cells[8], formatCount(l.OnHand)+" Low") {
		t.Fatalf("saved row %v", cells)
	}
	if after, _ := level(t, a, l.LocationID, l.VariantID); after.SafetyStock != 1 || after.ReorderPoint != l.OnHand {
		t.Fatalf("level after save %+v", after)
	}
	c.get(levelURL(l.LocationID, l.VariantID)).wantContains("unit cost " + formatCost(*v.UnitCost, "TWD"))
	// Cancel puts the row back as it is.
	if !c.get(levelURL(l.LocationID, l.VariantID)+"?back=%2Fadmin%2Fstock", htmx...).wantStatus(http.StatusOK).
		wantNotContains(`name="safetyStock"`).fragment().hasID(row) {
		t.Fatal("cancel does not return the row")
	}

	// Without JavaScript: a page of its own, back to where the edit began.
	c.get(policy).wantStatus(http.StatusOK).wantContains("<html", `name="reorderPoint"`)
	back := "/admin/stock?q=" + v.SKU
	c.post(policy, url.Values{"safetyStock": {"0"}, "reorderPoint": {"0"}, "back": {back}}).wantRedirect(back)
	c.get(back).wantContains("Safety stock and reorder point saved.")
	c.post(policy, url.Values{"safetyStock": {"0"}, "reorderPoint": {"0"}, "back": {"https://evil.example/"}}).
		wantRedirect(levelURL(l.LocationID, l.VariantID))
}

func TestAdjustStockOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("associate")
	l, v := demoLevel(t, a, "TPE-01", 2, 1)
	adjust := levelURL(l.LocationID, l.VariantID) + "/adjust"

	form := c.get(adjust).wantStatus(http.StatusOK)
	key := form.values("idempotencyKey")[0]
	if key == "" || c.get(adjust).values("idempotencyKey")[0] == key {
		t.Fatal("the adjustment form has no fresh idempotency key")
	}
	post := url.Values{"idempotencyKey": {key}, "kind": {"ADJUSTMENT"}, "delta": {"+3"}, "reason": {""}}
	res := c.post(adjust, post).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("reason")); !strings.Contains(msg, "say why") || res.values("idempotencyKey")[0] != key ||
		res.values("delta")[0] != "+3" {
		t.Fatalf("reason error %q, form %v", msg, res.values("delta"))
	}
	res = c.post(adjust, url.Values{"idempotencyKey": {key}, "kind": {"DAMAGE"}, "delta": {strconv.Itoa(-l.OnHand - 5)},
		"reason": {"dropped"}}).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("delta")); !strings.Contains(msg, "cannot be taken") {
		t.Fatalf("delta error %q", msg)
	}

	// A double submit: two posts of the same form, one change.
	post.Set("reason", "found behind the counter")
	c.post(adjust, post).wantRedirect(levelURL(l.LocationID, l.VariantID))
	c.post(adjust, post).wantRedirect(levelURL(l.LocationID, l.VariantID))
	if after, _ := level(t, a, l.LocationID, l.VariantID); after.OnHand != l.OnHand+3 {
		t.Fatalf("on hand %d after a double submit of +3 to %d", after.OnHand, l.OnHand)
	}
	var n int
	if err := a.db.Get(&n, `SELECT count(*) FROM stock_movements WHERE reference = $1`, "ADJ:"+key); err != nil || n != 1 {
		t.Fatalf("%d movements for the key, %v", n, err)
	}
	page := c.get(levelURL(l.LocationID, l.VariantID)).wantStatus(http.StatusOK).wantContains("Stock adjusted.").
		wantNotContains("unit cost") // an associate sees no costs
	latest := page.rows("movements")[0]
	if !slices.Equal(latest[3:5], []string{"Adjustment", "+3"}) || latest[8] != "Adjustment" ||
		latest[9] != "found behind the counter" || latest[10] != "Jason Chen" {
		t.Fatalf("latest movement of %s %v", v.SKU, latest)
	}

	// Not at another store.
	other, _ := demoLevel(t, a, "TPE-02", 1, 0)
	c.get(levelURL(other.LocationID, other.VariantID) + "/adjust").wantStatus(http.StatusForbidden)
	c.post(levelURL(other.LocationID, other.VariantID)+"/adjust", url.Values{"idempotencyKey": {newIdempotencyKey()},
		"kind": {"ADJUSTMENT"}, "delta": {"1"}, "reason": {"x"}}).wantStatus(http.StatusForbidden)
}

func TestCountStaleShowsCurrentFigure(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("associate")
	l, _ := demoLevel(t, a, "TPE-01", 1, 2)
	count := levelURL(l.LocationID, l.VariantID) + "/count"

	form := c.get(count).wantStatus(http.StatusOK)
	if got := form.values("expectedOnHand")[0]; got != strconv.Itoa(l.OnHand) {
		t.Fatalf("the form expects %s on hand, want %d", got, l.OnHand)
	}
	// Someone receives two units while the associate counts.
	if _, err := a.deps.Inventory.Adjust(system(), inventory.AdjustInput{IdempotencyKey: "test-" + newIdempotencyKey(),
		LocationID: l.LocationID, VariantID: l.VariantID, Delta: 2, Kind: inventory.KindReceipt, Reason: "delivery"}); err != nil {
		t.Fatal(err)
	}
	post := url.Values{"idempotencyKey": form.values("idempotencyKey"), "expectedOnHand": form.values("expectedOnHand"),
		"countedOnHand": {strconv.Itoa(l.OnHand)}}
	res := c.post(count, post).wantStatus(http.StatusUnprocessableEntity)
	now := strconv.Itoa(l.OnHand + 2)
	if msg := res.byID("stale-count"); !strings.Contains(msg, "On hand is now "+now) || !strings.Contains(msg, "not "+strconv.Itoa(l.OnHand)) {
		t.Fatalf("stale count message %q", msg)
	}
	if res.values("expectedOnHand")[0] != now || res.byID("expected-on-hand") != now || res.values("countedOnHand")[0] != strconv.Itoa(l.OnHand) {
		t.Fatalf("the form after a stale count expects %s", res.values("expectedOnHand"))
	}
	if after, _ := level(t, a, l.LocationID, l.VariantID); after.OnHand != l.OnHand+2 {
		t.Fatalf("a stale count was applied: %d on hand", after.OnHand)
	}

	// Counted again against the figure shown now, it is recorded.
	post = url.Values{"idempotencyKey": res.values("idempotencyKey"), "expectedOnHand": res.values("expectedOnHand"),
		"countedOnHand": {"7"}, "reason": {""}}
	c.post(count, post).wantRedirect(levelURL(l.LocationID, l.VariantID))
	if after, _ := level(t, a, l.LocationID, l.VariantID); after.OnHand != 7 {
		t.Fatalf("on hand %d after counting 7", after.OnHand)
	}
	page := c.get(levelURL(l.LocationID, l.VariantID)).wantContains("Count recorded.")
	if latest := page.rows("movements")[0]; latest[3] != "Count" || latest[8] != "Count" || latest[9] != "cycle count" {
		t.Fatalf("latest movement %v", latest)
	}
}

func TestMovementHistory(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("manager")
	l, v := demoLevel(t, a, "TPE-01", 1, 4)
	manager := staffContext(t, a, "manager")
	if _, err := a.deps.Inventory.Adjust(manager, inventory.AdjustInput{IdempotencyKey: newIdempotencyKey(),
		LocationID: l.LocationID, VariantID: l.VariantID, Delta: -1, Kind: inventory.KindDamage, Reason: "torn seam"}); err != nil {
		t.Fatal(err)
	}
	wh := locationID(t, a, "WH-TAO")
	tr, err := a.deps.Inventory.CreateTransfer(manager, inventory.TransferInput{IdempotencyKey: newIdempotencyKey(),
		FromLocationID: l.LocationID, ToLocationID: wh, Lines: []inventory.TransferLineInput{{VariantID: v.ID, Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.deps.Inventory.ShipTransfer(manager, tr.ID); err != nil {
		t.Fatal(err)
	}
	base := "/admin/stock/movements?location=" + strconv.FormatInt(l.LocationID, 10)

	t.Run("per variant and location, newest first, with the document", func(t *testing.T) {
		rows := c.get(base + "&sku=" + v.SKU).wantStatus(http.StatusOK).rows("movement-results")
		if len(rows) != 3 {
			t.Fatalf("movements of %s at TPE-01: %v", v.SKU, rows)
		}
		if want := []string{"TPE-01", v.SKU, "Transfer out", "-1", "·", "·", "", tr.Reference()}; !slices.Equal(rows[0][1:9], want) {
			t.Fatalf("transfer movement %v, want %v", rows[0], want)
		}
		if want := []string{"Damage", "-1", "·", "·", "", "Adjustment", "torn seam", "Grace Lin"}; !slices.Equal(rows[1][3:], want) {
			t.Fatalf("damage movement %v, want %v", rows[1], want)
		}
		if want := []string{"Receipt", "Opening stock", "opening stock", "System"}; rows[2][3] != want[0] || !slices.Equal(rows[2][8:], want[1:]) {
			t.Fatalf("opening stock %v", rows[2])
		}
	})
	t.Run("the transfer is linked", func(t *testing.T) {
		res := c.get(base + "&sku=" + *v.Barcode).wantStatus(http.StatusOK)
		if !slices.Contains(res.links(), transferURL(tr.ID)) {
			t.Fatalf("no link to %s", transferURL(tr.ID))
		}
	})
	t.Run("by type", func(t *testing.T) {
		rows := c.get("/admin/stock/movements?location=all&kind=TRANSFER_IN").wantStatus(http.StatusOK).rows("movement-results")
		if len(rows) != 1 || rows[0][1] != "WH-TAO" || rows[0][6] != "+1" {
			t.Fatalf("transfers in: %v", rows)
		}
	})
	t.Run("by day", func(t *testing.T) {
		// Today as the manager sees it: in the time zone of their home store.
		store, err := a.deps.Locations.ByCode(system(), "TPE-01")
		if err != nil {
			t.Fatal(err)
		}
		zone, err := time.LoadLocation(store.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(zone).Format(time.DateOnly)
		if rows := c.get(base + "&from=" + today + "&to=" + today).rows("movement-results"); len(rows) == 0 {
			t.Fatal("nothing moved today")
		}
		c.get(base + "&to=2020-01-01").wantContains("No movements match.")
		res := c.get(base + "&from=2026-13-01&sku=NO-SUCH-SKU").wantStatus(http.StatusOK)
		if msg := res.byID("filter-errors"); !strings.Contains(msg, "no variant has this SKU") || !strings.Contains(msg, "enter a date") {
			t.Fatalf("filter errors %q", msg)
		}
	})
	t.Run("pages", func(t *testing.T) {
		first := c.get("/admin/stock/movements?location=all").wantStatus(http.StatusOK)
		second := c.get(relLink(t, first, "next")).wantStatus(http.StatusOK).wantContains("Page 2")
		if slices.Contains(column(second.rows("movement-results"), 0), "") || len(second.rows("movement-results")) != movementPageSize {
			t.Fatal("page 2 is not full")
		}
		ids := func(r *response) []string {
			var out []string
			for _, n := range find(r.document(), func(n *html.Node) bool { return n.Data == "tr" && strings.HasPrefix(attr(n, "id"), "movement-") }) {
				out = append(out, attr(n, "id"))
			}
			return out
		}
		if slices.ContainsFunc(ids(second), func(id string) bool { return slices.Contains(ids(first), id) }) {
			t.Fatal("a movement is on both pages")
		}
		c.get(relLink(t, second, "prev")).wantContains("Page 1")
	})
}
