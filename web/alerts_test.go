package web

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"atrium/internal/inventory"
)

// csvRows checks that res is a CSV download for Excel named like name (a prefix) and
// returns its header and rows.
func csvRows(t *testing.T, res *response, name string) ([]string, [][]string) {
	t.Helper()
	res.wantStatus(http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename=`+name) ||
		!strings.HasSuffix(cd, `.csv`) {
		t.Fatalf("content disposition %q, want a file named %s…", cd, name)
	}
	body, ok := strings.CutPrefix(res.Body, "\uFEFF")
	if !ok {
		t.Fatal("the CSV has no byte order mark: Excel would not read it as UTF-8")
	}
	if !strings.Contains(body, "\r\n") {
		t.Fatal("the CSV lines do not end in CRLF")
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	return records[0], records[1:]
}

// asCSV turns page cells into what the export holds: numbers without thousands separators.
func asCSV(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			if n := strings.ReplaceAll(c, ",", ""); n != "" && strings.Trim(n, "-0123456789.") == "" {
				c = n
			}
			out[i][j] = c
		}
	}
	return out
}

func TestLowStockAlert(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("associate")
	var skus []string
	for i := range 3 {
		l, v := demoLevel(t, a, "TPE-01", 1, i)
		if _, err := a.deps.Inventory.SetStockPolicy(system(), l.LocationID, l.VariantID, 0, l.OnHand+i); err != nil {
			t.Fatal(err)
		}
		skus = append(skus, v.SKU)
	}
	l, _ := demoLevel(t, a, "TPE-02", 1, 0) // low elsewhere: not on the associate's page
	if _, err := a.deps.Inventory.SetStockPolicy(system(), l.LocationID, l.VariantID, 0, l.OnHand); err != nil {
		t.Fatal(err)
	}

	page := c.get("/admin/stock/alerts/low-stock").wantStatus(http.StatusOK)
	rows := page.rows("alert-results")
	if !slices.Equal(column(rows, 1), skus) {
		t.Fatalf("low stock at TPE-01: %v, want %v", column(rows, 1), skus)
	}
	export := attr(find(page.document(), func(n *html.Node) bool { return attr(n, "id") == "export-csv" })[0], "href")
	if export != "/admin/stock/alerts/low-stock.csv" {
		t.Fatalf("export link %q", export)
	}
	header, records := csvRows(t, c.get(export+"?location="+strconv.FormatInt(locationID(t, a, "TPE-01"), 10)),
		"low-stock-TPE-01-"+time.Now().Format("2006-01"))
	if !slices.Equal(header, lowStockColumns) || !slices.Equal(header, page.columns("alert-results")) {
		t.Fatalf("CSV header %v, page %v", header, page.columns("alert-results"))
	}
	if !slices.EqualFunc(records, asCSV(rows), slices.Equal) {
		t.Fatalf("CSV %v\npage %v", records, rows)
	}
	_, all := csvRows(t, c.get("/admin/stock/alerts/low-stock.csv?location=all"), "low-stock-all-locations-")
	if len(all) != 4 {
		t.Fatalf("low stock everywhere: %v", all)
	}
}

func TestSlowMovingAlert(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("manager")
	tpe2 := strconv.FormatInt(locationID(t, a, "TPE-02"), 10)
	sold, v := demoLevel(t, a, "TPE-02", 3, 0)
	if _, err := a.deps.Inventory.SellCarryOut(system(), a.db, "ORD:1", []inventory.Line{
		{LocationID: sold.LocationID, VariantID: sold.VariantID, Qty: 1}}); err != nil {
		t.Fatal(err)
	}
	var onHand int
	if err := a.db.Get(&onHand, `SELECT count(*) FROM stock_levels WHERE location_id = $1 AND on_hand > 0`, sold.LocationID); err != nil {
		t.Fatal(err)
	}

	page := c.get("/admin/stock/alerts/slow-moving?location=" + tpe2).wantStatus(http.StatusOK)
	page.wantContains("no sale in the last 90 days", "first in, first out")
	rows := page.rows("alert-results")
	if len(rows) != alertPageSize || rows[0][0] != "TPE-02" || rows[0][6] != "Never" || rows[0][8] != "no sales" || rows[0][9] != "0" {
		t.Fatalf("first slow mover %v", rows[0])
	}
	header, records := csvRows(t, c.get("/admin/stock/alerts/slow-moving.csv?location="+tpe2), "slow-moving-TPE-02-")
	if !slices.Equal(header, slowMovingColumns) || len(records) != onHand-1 {
		t.Fatalf("CSV of %d rows with %v; want %d (all on hand but the one sold)", len(records), header, onHand-1)
	}
	for _, r := range records {
		if r[1] == v.SKU {
			t.Fatalf("%s sold today, yet is slow-moving", v.SKU)
		}
		if r[6] != "" || r[8] != "" {
			t.Fatalf("a slow mover with a sale: %v", r)
		}
	}
	pageCSV := asCSV(rows)
	for i := range pageCSV {
		pageCSV[i][6], pageCSV[i][8] = "", "" // "Never", "no sales" are blank cells in the export
	}
	if !slices.EqualFunc(records[:alertPageSize], pageCSV, slices.Equal) {
		t.Fatalf("CSV %v\npage %v", records[:2], pageCSV[:2])
	}
	// Over one day too, the variant sold today is not slow.
	one := c.get("/admin/stock/alerts/slow-moving.csv?days=1&location=" + tpe2)
	if _, recs := csvRows(t, one, "slow-moving-"); len(recs) != onHand-1 {
		t.Fatalf("no sale in 1 day: %d rows", len(recs))
	}
	res := c.get("/admin/stock/alerts/slow-moving?days=-5").wantStatus(http.StatusOK)
	if msg := res.byID(errorID("days")); !strings.Contains(msg, "between 1 and 3650") {
		t.Fatalf("days error %q", msg)
	}
	c.get("/admin/stock/alerts/slow-moving.csv?days=x").wantStatus(http.StatusBadRequest)
}

func TestExpiringAlert(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("buyer")
	lots, err := a.deps.Inventory.ExpiringStock(system(), inventory.ExpiringFilter{WithinDays: 30})
	if err != nil || len(lots) <= alertPageSize {
		t.Fatalf("%d demo lots expiring within 30 days (want a page and more), %v", len(lots), err)
	}
	page := c.get("/admin/stock/alerts/expiring").wantStatus(http.StatusOK)
	rows := page.rows("alert-results")
	header, records := csvRows(t, c.get(attr(find(page.document(), func(n *html.Node) bool {
		return attr(n, "id") == "export-csv"
	})[0], "href")), "expiring-lots-all-locations-")
	if !slices.Equal(header, expiringColumns) || len(records) != len(lots) {
		t.Fatalf("CSV of %d lots, want %d", len(records), len(lots))
	}
	if !slices.EqualFunc(records[:alertPageSize], asCSV(rows), slices.Equal) {
		t.Fatalf("CSV %v\npage %v", records[:2], rows[:2])
	}
	if rows[0][8] != "Expired" || !strings.HasPrefix(rows[0][6], "-") {
		t.Fatalf("first lot %v: want an expired one", rows[0])
	}
	second := c.get(relLink(t, page, "next")).wantStatus(http.StatusOK).rows("alert-results")
	if !slices.EqualFunc(records[alertPageSize:alertPageSize+len(second)], asCSV(second), slices.Equal) {
		t.Fatal("page 2 is not the export's next rows")
	}
	for _, r := range records {
		if days, _ := strconv.Atoi(r[6]); days > 30 || (days < 0) != (r[8] == "Expired") {
			t.Fatalf("lot %v", r)
		}
	}
}

func TestStockValuePage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("accountant")
	l, v := demoLevel(t, a, "KHH-01", 1, 0)
	if _, err := a.db.Exec(`UPDATE variants SET unit_cost = NULL WHERE id = $1`, v.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := a.deps.Inventory.StockValue(staffContext(t, a, "accountant"))
	if err != nil {
		t.Fatal(err)
	}
	page := c.get("/admin/stock/value").wantStatus(http.StatusOK)
	if total := page.byID("value-total"); total != "Total "+formatCount(rep.Total.Units)+" "+formatMoney(rep.Total.Value, "TWD")+
		" 1 without cost "+formatCount(rep.Total.UnitsWithoutCost) {
		t.Fatalf("total row %q", total)
	}
	if khh := page.byID("value-KHH-01"); !strings.Contains(khh, "1 without cost "+formatCount(l.OnHand)) {
		t.Fatalf("KHH-01 row %q", khh)
	}
	header, records := csvRows(t, c.get("/admin/stock/value.csv"), "stock-value-all-locations-")
	if header[2] != "Value (TWD)" || len(records) != len(rep.Locations)+1 {
		t.Fatalf("CSV %v %v", header, records)
	}
	last := records[len(records)-1]
	if last[0] != "Total" || last[2] != formatAmountInput(rep.Total.Value, "TWD") || last[3] != "1" {
		t.Fatalf("CSV total %v", last)
	}
}
