package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"golang.org/x/net/html"

	"atrium/internal/payables"
	"atrium/internal/purchasing"
)

// utcDay is today, UTC, plus days: the calendar enterBill dates bills on.
func utcDay(days int) time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
}

// pageMoney reads an amount as a page shows it ("NT$1,050", "USD 12.00").
func pageMoney(t *testing.T, s, currency string) int64 {
	t.Helper()
	n, ok := parseAmount(strings.TrimSpace(s), currency)
	if !ok {
		t.Fatalf("%q is not an amount in %s", s, currency)
	}
	return n
}

// cells returns the texts of the cells of the row with id, and the row's cells.
func (r *response) cells(id string) ([]string, []*html.Node) {
	r.t.Helper()
	rows := find(r.document(), func(n *html.Node) bool { return n.Data == "tr" && attr(n, "id") == id })
	if len(rows) == 0 {
		r.t.Fatalf("no row #%s; body:\n%s", id, r.Body)
	}
	var texts []string
	var nodes []*html.Node
	for c := rows[0].FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			texts = append(texts, text(c))
			nodes = append(nodes, c)
		}
	}
	return texts, nodes
}

// rowIDs returns the ids of the table rows starting with prefix, in page order.
func (r *response) rowIDs(prefix string) []string {
	var out []string
	for _, n := range find(r.document(), func(n *html.Node) bool {
		return n.Data == "tr" && strings.HasPrefix(attr(n, "id"), prefix)
	}) {
		out = append(out, attr(n, "id"))
	}
	return out
}

// exportLink is the page's CSV export link.
func (r *response) exportLink() string {
	r.t.Helper()
	n := find(r.document(), func(n *html.Node) bool { return attr(n, "id") == "export-csv" })
	if len(n) == 0 {
		r.t.Fatalf("no export link; body:\n%s", r.Body)
	}
	return attr(n[0], "href")
}

func TestPayablesReportAccess(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	associate, accountant := p.signedIn("associate"), p.signedIn("accountant")
	for _, path := range []string{agingURL, agingURL + ".csv", grniURL, grniURL + ".csv", cashForecastURL,
		cashForecastURL + ".csv", journalsURL, journalsURL + ".csv"} {
		t.Run(path, func(t *testing.T) {
			associate.get(path).wantStatus(http.StatusForbidden)
			accountant.get(path).wantStatus(http.StatusOK)
		})
	}
	t.Run("the reports are in the payables menu", func(t *testing.T) {
		links := accountant.get(agingURL).links()
		for _, u := range []string{agingURL, grniURL, cashForecastURL, journalsURL} {
			if !slices.Contains(links, u) {
				t.Errorf("no link to %s in %v", u, links)
			}
		}
	})
}

func TestAgingReport(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 20, 0)
	line := p.lineOf(t, o, 0)
	// Net 30: a bill dated d days ago is d − 30 days past due.
	current := p.enterBill(t, 10, billLine(line, 1, "100"))  // due in 20 days
	late15 := p.enterBill(t, 45, billLine(line, 2, "100"))   // 15 days late
	late75 := p.enterBill(t, 105, billLine(line, 3, "100"))  // 75 days late
	late120 := p.enterBill(t, 150, billLine(line, 4, "100")) // 120 days late
	usd, err := p.deps.Purchasing.CreateSupplier(p.as("buyer"), purchasing.SupplierInput{Code: "SUP-USD",
		Name: "Pacific Imports", Email: "ap@pacific.example", Currency: "USD", Active: true, LeadTimeDays: 20,
		PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 30}})
	if err != nil {
		t.Fatal(err)
	}
	usdBill, err := p.deps.Payables.EnterBill(p.as("accountant"), payables.BillInput{SupplierID: usd.ID, Number: "PI-1",
		BillDate: utcDay(-40), Currency: "USD", Total: 120_00, // 10 days late
		Lines: []payables.BillLineInput{{Description: "Freight", Quantity: 1, UnitPrice: decimal.NewFromInt(120)}}})
	if err != nil {
		t.Fatal(err)
	}
	c := p.signedIn("accountant")
	page := c.get(agingURL + "?asOf=" + formatDate(utcDay(0))).wantStatus(http.StatusOK)
	rowID := "aging-" + strconv.FormatInt(p.supplier.ID, 10) + "-TWD"

	t.Run("a supplier's bills fall in their buckets", func(t *testing.T) {
		cells, nodes := page.cells(rowID)
		want := []int64{current.Total, late15.Total, 0, late75.Total, late120.Total,
			current.Total + late15.Total + late75.Total + late120.Total}
		for i, w := range want {
			if got := pageMoney(t, cells[2+i], "TWD"); got != w {
				t.Errorf("%s: %d, want %d (row %q)", agingBuckets[i], got, w, cells)
			}
			overdue := strings.Contains(" "+attr(nodes[2+i], "class")+" ", " out ")
			if wantOut := i >= 1 && i <= 4 && w != 0; overdue != wantOut {
				t.Errorf("%s marked overdue %v, want %v", agingBuckets[i], overdue, wantOut)
			}
		}
		if !strings.Contains(cells[0], "Formosa Garments") || cells[1] != "TWD" {
			t.Errorf("row %q", cells)
		}
		if !slices.Contains(page.links(), supplierLedgerURL(p.supplier.ID)) {
			t.Error("the supplier does not link to its ledger")
		}
	})
	t.Run("totals are per currency", func(t *testing.T) {
		sums := map[string][]int64{}
		for _, id := range page.rowIDs("aging-") {
			if strings.HasPrefix(id, "aging-total-") {
				continue
			}
			cells, _ := page.cells(id)
			cur := cells[1]
			if sums[cur] == nil {
				sums[cur] = make([]int64, len(agingBuckets))
			}
			for i := range agingBuckets {
				sums[cur][i] += pageMoney(t, cells[2+i], cur)
			}
		}
		if len(sums) < 2 {
			t.Fatalf("currencies %v", sums)
		}
		for cur, want := range sums {
			cells, _ := page.cells("aging-total-" + cur)
			for i, w := range want {
				if got := pageMoney(t, cells[2+i], cur); got != w {
					t.Errorf("%s %s total %d, want %d", cur, agingBuckets[i], got, w)
				}
			}
		}
		if got, _ := page.cells("aging-total-USD"); pageMoney(t, got[2+1], "USD") != usdBill.Total {
			t.Errorf("USD total %q, want the USD bill 1–30 days late", got)
		}
	})
	t.Run("as of an earlier date", func(t *testing.T) {
		earlier := c.get(agingURL + "?asOf=" + formatDate(utcDay(-60))).wantStatus(http.StatusOK)
		cells, _ := earlier.cells(rowID)
		// Sixty days ago the two recent bills did not exist, and the others were 45 days
		// less late.
		want := []int64{0, late75.Total, late120.Total, 0, 0, late75.Total + late120.Total}
		for i, w := range want {
			if got := pageMoney(t, cells[2+i], "TWD"); got != w {
				t.Errorf("%s: %d, want %d", agingBuckets[i], got, w)
			}
		}
		if got := earlier.values("asOf"); len(got) != 1 || got[0] != formatDate(utcDay(-60)) {
			t.Errorf("as of %q", got)
		}
	})
	t.Run("the export holds what the page shows", func(t *testing.T) {
		export := page.exportLink()
		if export != agingURL+".csv?asOf="+formatDate(utcDay(0)) {
			t.Errorf("export %q", export)
		}
		header, records := csvRows(t, c.get(export), "aging-"+formatDate(utcDay(0)))
		if want := append([]string{"Supplier code", "Supplier", "Currency"}, agingBuckets...); !slices.Equal(header, want) {
			t.Errorf("header %q", header)
		}
		if len(records) != len(page.rowIDs("aging-")) {
			t.Errorf("%d records for %d rows on the page", len(records), len(page.rowIDs("aging-")))
		}
		i := slices.IndexFunc(records, func(r []string) bool { return r[0] == "SUP-AP" })
		if i < 0 {
			t.Fatalf("no SUP-AP in %q", records)
		}
		total := current.Total + late15.Total + late75.Total + late120.Total
		if r := records[i]; r[1] != "Formosa Garments" || r[2] != "TWD" || r[3] != formatAmountInput(current.Total, "TWD") ||
			r[8] != formatAmountInput(total, "TWD") {
			t.Errorf("record %q", r)
		}
		last := records[len(records)-1]
		if last[0] != agingTotalLabel || last[2] != "USD" || last[4] != "120.00" {
			t.Errorf("the USD total %q", last)
		}
	})
	t.Run("HTMX gets the report alone", func(t *testing.T) {
		res := c.get(agingURL+"?asOf="+formatDate(utcDay(0)), "HX-Request", "true", "HX-Target", agingRegion).
			wantStatus(http.StatusOK)
		if strings.Contains(res.Body, "<html") || !res.hasID("aging-form") || !res.hasID(rowID) {
			t.Errorf("fragment:\n%s", res.Body)
		}
	})
	t.Run("a date with nothing owed says so", func(t *testing.T) {
		c.get(agingURL + "?asOf=2001-01-01").wantStatus(http.StatusOK).
			wantContains("Nothing is owed to suppliers at the end of 2001-01-01")
	})
	t.Run("a bad date is shown beside what was typed", func(t *testing.T) {
		res := c.get(agingURL + "?asOf=2026-02-30").wantStatus(http.StatusOK)
		if got := res.values("asOf"); len(got) != 1 || got[0] != "2026-02-30" {
			t.Errorf("typed %q", got)
		}
		if res.byID("error-asOf") != "enter a date such as 2026-05-01" || res.hasID("aging-table") || res.hasID("export-csv") {
			t.Errorf("page:\n%s", res.Body)
		}
		c.get(agingURL + ".csv?asOf=yesterday").wantStatus(http.StatusBadRequest)
	})
}

func TestGRNIReport(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 5, 0)
	line := p.lineOf(t, o, 0)
	p.receive(t, o, 0, 5)
	c := p.signedIn("accountant")
	// As of tomorrow: today's receipt counts whatever the database's time zone.
	path := grniURL + "?asOf=" + formatDate(utcDay(1))
	rowID := "grni-" + strconv.FormatInt(line, 10)

	t.Run("a receipt without a bill is listed", func(t *testing.T) {
		page := c.get(path).wantStatus(http.StatusOK)
		cells, _ := page.cells(rowID)
		if cells[0] != purchasing.OrderNumber(o.ID) || cells[1] != "SUP-AP" || cells[3] != "5" || cells[4] != "0" ||
			cells[5] != "5" || pageMoney(t, cells[7], "TWD") != 500_00 || pageMoney(t, cells[8], "TWD") != 500_00 {
			t.Errorf("row %q", cells)
		}
		if !slices.Contains(page.links(), purchaseOrderURL(o.ID)) {
			t.Error("the order does not link to its page")
		}
		var sum int64
		for _, id := range page.rowIDs("grni-") {
			if id != "grni-total" {
				cells, _ := page.cells(id)
				sum += pageMoney(t, cells[8], "TWD")
			}
		}
		if total, _ := page.cells("grni-total"); pageMoney(t, total[1], "TWD") != sum {
			t.Errorf("total %q, want %d", total, sum)
		}
		header, records := csvRows(t, c.get(page.exportLink()), "grni-"+formatDate(utcDay(1)))
		if header[0] != "Order" || header[len(header)-1] != "Value (TWD)" || len(records) != len(page.rowIDs("grni-")) {
			t.Errorf("header %q, %d records", header, len(records))
		}
		i := slices.IndexFunc(records, func(r []string) bool { return r[0] == purchasing.OrderNumber(o.ID) })
		if i < 0 || records[i][6] != "5" || records[i][9] != "500" || records[i][10] != "500" {
			t.Errorf("records %q", records)
		}
		if last := records[len(records)-1]; last[0] != grniTotalLabel || last[10] != formatAmountInput(sum, "TWD") {
			t.Errorf("total %q", last)
		}
	})
	t.Run("a partial bill leaves the rest", func(t *testing.T) {
		p.enterBill(t, 0, billLine(line, 2, "100"))
		cells, _ := c.get(path).wantStatus(http.StatusOK).cells(rowID)
		if cells[3] != "5" || cells[4] != "2" || cells[5] != "3" || pageMoney(t, cells[7], "TWD") != 300_00 {
			t.Errorf("row %q", cells)
		}
	})
	t.Run("billed in full, it is gone", func(t *testing.T) {
		p.enterBill(t, 0, billLine(line, 3, "100"))
		if c.get(path).wantStatus(http.StatusOK).hasID(rowID) {
			t.Error("a billed line is still listed")
		}
	})
	t.Run("before the receipt, nothing was received", func(t *testing.T) {
		c.get(grniURL + "?asOf=2001-01-01").wantStatus(http.StatusOK).
			wantContains("Nothing received by the end of 2001-01-01 is waiting for a bill")
	})
}

func TestForecastReport(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	c := p.signedIn("accountant")
	from := utcDay(0)
	path := cashForecastURL + "?from=" + formatDate(from) + "&weeks=8"
	before := c.get(path).wantStatus(http.StatusOK)

	o := p.sentOrder(t, 10, 4)
	p.receive(t, o, 0, 10)
	// Dated 40 days ago: due 10 days ago (its discount long gone), counted in the first week.
	approved := p.enterBill(t, 40, billLine(p.lineOf(t, o, 0), 10, "100"))
	if _, err := p.deps.Payables.ApproveBill(p.as("manager"), approved.ID); err != nil {
		t.Fatal(err)
	}
	// Nothing received yet: an exception, pending, due in 5 days.
	pending := p.enterBill(t, 25, billLine(p.lineOf(t, o, 1), 4, "250.50"))
	after := c.get(path).wantStatus(http.StatusOK)

	// amounts returns a week's approved and pending TWD, zero when the week has none.
	amounts := func(r *response, start time.Time) (int64, int64) {
		id := "week-" + formatDate(start) + "-TWD"
		if !r.hasID(id) {
			return 0, 0
		}
		cells, _ := r.cells(id)
		return pageMoney(t, cells[2], "TWD"), pageMoney(t, cells[3], "TWD")
	}
	first := payables.WeekOf(from)
	t.Run("every week is listed from the week of the date", func(t *testing.T) {
		var weeks []string
		for _, id := range after.rowIDs("week-") {
			if w := id[:len("week-2006-01-02")]; !slices.Contains(weeks, w) {
				weeks = append(weeks, w)
			}
		}
		if len(weeks) != 8 || weeks[0] != "week-"+formatDate(first) || weeks[7] != "week-"+formatDate(first.AddDate(0, 0, 49)) {
			t.Errorf("weeks %q", weeks)
		}
	})
	t.Run("an overdue approved bill in the first week", func(t *testing.T) {
		a0, _ := amounts(before, first)
		a1, _ := amounts(after, first)
		if a1-a0 != approved.Total {
			t.Errorf("first week approved %d → %d, want + %d", a0, a1, approved.Total)
		}
	})
	t.Run("a bill not approved is pending in its due week", func(t *testing.T) {
		week := payables.WeekOf(pending.DueOn)
		_, p0 := amounts(before, week)
		_, p1 := amounts(after, week)
		if p1-p0 != pending.Total {
			t.Errorf("week of %s pending %d → %d, want + %d", formatDate(week), p0, p1, pending.Total)
		}
	})
	t.Run("totals per currency", func(t *testing.T) {
		total := func(r *response) (int64, int64) {
			cells, _ := r.cells("forecast-total-TWD")
			return pageMoney(t, cells[2], "TWD"), pageMoney(t, cells[3], "TWD")
		}
		var a0, p0 int64
		if before.hasID("forecast-total-TWD") {
			a0, p0 = total(before)
		}
		a1, p1 := total(after)
		if a1-a0 != approved.Total || p1-p0 != pending.Total {
			t.Errorf("totals approved %d → %d, pending %d → %d", a0, a1, p0, p1)
		}
	})
	t.Run("the export holds what the page shows", func(t *testing.T) {
		header, records := csvRows(t, c.get(after.exportLink()), "cash-forecast-"+formatDate(from)+"-8-weeks")
		if !slices.Equal(header, forecastColumns) {
			t.Errorf("header %q", header)
		}
		if len(records) != len(after.rowIDs("week-"))+len(after.rowIDs("forecast-total-")) {
			t.Errorf("%d records for the page's rows", len(records))
		}
		if records[0][0] != formatDate(first) || records[0][1] != formatDate(first.AddDate(0, 0, 6)) {
			t.Errorf("first record %q", records[0])
		}
	})
	t.Run("fewer weeks", func(t *testing.T) {
		res := c.get(cashForecastURL + "?from=" + formatDate(from) + "&weeks=1").wantStatus(http.StatusOK)
		for _, id := range res.rowIDs("week-") {
			if !strings.HasPrefix(id, "week-"+formatDate(first)) {
				t.Errorf("row %s beyond the one week", id)
			}
		}
	})
	t.Run("bad weeks and dates are shown beside what was typed", func(t *testing.T) {
		tests := []struct{ name, query, field, message string }{
			{"no weeks", "weeks=0", "weeks", "forecast from 1 to 52 weeks"},
			{"too many weeks", "weeks=53", "weeks", "forecast from 1 to 52 weeks"},
			{"not a number", "weeks=eight", "weeks", "enter a whole number of weeks, such as 8"},
			{"not a date", "from=next+monday", "from", "enter a date such as 2026-05-01"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := c.get(cashForecastURL + "?" + tt.query).wantStatus(http.StatusOK)
				if got := res.byID("error-" + tt.field); got != tt.message {
					t.Errorf("message %q", got)
				}
				typed, _ := url.ParseQuery(tt.query)
				if got := res.values(tt.field); len(got) != 1 || got[0] != typed.Get(tt.field) {
					t.Errorf("typed %q", got)
				}
				if res.hasID("forecast-table") {
					t.Error("a report for a bad form")
				}
			})
		}
		c.get(cashForecastURL + ".csv?weeks=0").wantStatus(http.StatusBadRequest)
	})
}

func TestJournalReport(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 10, 0)
	p.receive(t, o, 0, 10)
	bill := p.enterBill(t, 0, billLine(p.lineOf(t, o, 0), 10, "100"))
	if _, err := p.deps.Payables.ApproveBill(p.as("manager"), bill.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.deps.Payables.RecordPayment(p.as("accountant"), payables.PaymentInput{BillID: bill.ID,
		Amount: 400_00, PaidOn: utcDay(0)}); err != nil {
		t.Fatal(err)
	}
	c := p.signedIn("accountant")
	from, to := formatDate(utcDay(-1)), formatDate(utcDay(1))
	page := c.get(journalsURL + "?from=" + from + "&to=" + to).wantStatus(http.StatusOK)
	entries := page.bodies("journal-entry-")

	t.Run("every entry balances", func(t *testing.T) {
		if len(entries) < 3 {
			t.Fatalf("%d entries", len(entries))
		}
		for id, body := range entries {
			if !strings.Contains(body, "Balanced") || strings.Contains(body, "Not balanced") {
				t.Errorf("%s: %q", id, body)
			}
		}
		page.wantNotContains("journals-unbalanced")
	})
	t.Run("the bill and its payment post to payables", func(t *testing.T) {
		ref := "SUP-AP " + bill.Number
		var billEntry, payEntry string
		for _, body := range entries {
			switch {
			case strings.Contains(body, "Bill "+ref):
				billEntry = body
			case strings.Contains(body, "Payment "+ref):
				payEntry = body
			}
		}
		if !strings.Contains(billEntry, "2110 Goods received not invoiced NT$1,000") ||
			!strings.Contains(billEntry, "1250 Input tax NT$50") || !strings.Contains(billEntry, "2100 Accounts payable NT$1,050") {
			t.Errorf("bill entry %q", billEntry)
		}
		if !strings.Contains(payEntry, "2100 Accounts payable NT$400") || !strings.Contains(payEntry, "1000 Bank NT$400") {
			t.Errorf("payment entry %q", payEntry)
		}
		if !slices.Contains(page.links(), billURL(bill.ID)) {
			t.Error("the bill's entry does not link to the bill")
		}
	})
	t.Run("totals per account", func(t *testing.T) {
		total, _ := page.cells("journal-total")
		if total[1] != total[2] || !strings.Contains(total[3], "Debits equal credits") {
			t.Errorf("total %q", total)
		}
		var debit, credit int64
		for _, id := range page.rowIDs("account-") {
			cells, _ := page.cells(id)
			debit += pageMoney(t, cells[2], "TWD")
			credit += pageMoney(t, cells[3], "TWD")
		}
		if debit != pageMoney(t, total[1], "TWD") || credit != pageMoney(t, total[2], "TWD") || debit < 1050_00 {
			t.Errorf("accounts sum to %d / %d; total %q", debit, credit, total)
		}
		if cells, _ := page.cells("account-1000"); !strings.HasSuffix(cells[4], "Cr") {
			t.Errorf("bank %q", cells)
		}
	})
	t.Run("the export is one record per line", func(t *testing.T) {
		export := page.exportLink()
		if export != journalsURL+".csv?from="+from+"&to="+to {
			t.Errorf("export %q", export)
		}
		header, records := csvRows(t, c.get(export), "journals-"+from+"-to-"+to)
		if !slices.Equal(header, payables.JournalCSVHeader) {
			t.Errorf("header %q", header)
		}
		lines := 0
		for id := range entries {
			lines += len(page.rowsIn(id))
		}
		if len(records) != lines {
			t.Errorf("%d records for %d lines", len(records), lines)
		}
		var debit, credit decimal.Decimal
		found := false
		for _, r := range records {
			if r[2] == "BILL" && r[3] == "SUP-AP "+bill.Number && r[4] == "2100" {
				found = r[5] == "Accounts payable" && r[6] == "" && r[7] == "1050.00" && r[8] == "TWD"
			}
			for i, sum := range []*decimal.Decimal{&debit, &credit} {
				if r[6+i] != "" {
					*sum = sum.Add(decimal.RequireFromString(r[6+i]))
				}
			}
		}
		if !found || !debit.Equal(credit) {
			t.Errorf("bill's payables record found %v; debits %s, credits %s", found, debit, credit)
		}
	})
	t.Run("the default period is this month", func(t *testing.T) {
		res := c.get(journalsURL).wantStatus(http.StatusOK)
		f, tt := res.values("from"), res.values("to")
		if len(f) != 1 || !strings.HasSuffix(f[0], "-01") || len(tt) != 1 || tt[0] < f[0] || tt[0][:7] != f[0][:7] {
			t.Errorf("period %q to %q", f, tt)
		}
	})
	t.Run("a period with nothing says so", func(t *testing.T) {
		c.get(journalsURL + "?from=2001-01-01&to=2001-01-31").wantStatus(http.StatusOK).
			wantContains("No receipt, bill or payment posts 2001-01-01 to 2001-01-31")
	})
	t.Run("bad periods are shown beside what was typed", func(t *testing.T) {
		tests := []struct{ name, query, field, message string }{
			{"not a date", "from=first&to=2026-01-31", "from", "enter a date such as 2026-05-01"},
			{"backwards", "from=2026-02-01&to=2026-01-31", "to", "the period ends before it starts: choose an end on or after 2026-02-01"},
			{"too long", "from=2024-01-01&to=2026-01-31", "to", "choose a period of at most a year (366 days); export a longer one a year at a time"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := c.get(journalsURL + "?" + tt.query).wantStatus(http.StatusOK)
				if got := res.byID("error-" + tt.field); got != tt.message {
					t.Errorf("message %q", got)
				}
				typed, _ := url.ParseQuery(tt.query)
				if got := res.values(tt.field); len(got) != 1 || got[0] != typed.Get(tt.field) {
					t.Errorf("typed %q", got)
				}
				if res.hasID("journal-entries") {
					t.Error("journals for a bad period")
				}
			})
		}
		c.get(journalsURL + ".csv?from=2026-02-01&to=2026-01-01").wantStatus(http.StatusBadRequest)
	})
}

func TestJournalPeriodClose(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	o := p.sentOrder(t, 10)
	p.receive(t, o, 0, 10)
	accountant := p.signedIn("accountant")
	from, to := formatDate(utcDay(-40)), formatDate(utcDay(0))
	period := journalsURL + "?" + url.Values{"from": {from}, "to": {to}}.Encode()
	closeForm := func(through string) url.Values {
		return url.Values{"closedThrough": {through}, "periodFrom": {from}, "periodTo": {to}}
	}
	closedThrough, firstOpen := utcDay(-5), utcDay(-4)

	t.Run("nothing closed yet", func(t *testing.T) {
		page := accountant.get(period).wantStatus(http.StatusOK)
		if got := page.byID("closed-through"); !strings.HasPrefix(got, "No period is closed.") ||
			!strings.Contains(got, "posted on the first open day") {
			t.Errorf("closed through %q", got)
		}
		if !page.hasID("close-period-form") {
			t.Error("no close form for an accountant")
		}
	})
	t.Run("mistakes are shown beside what was typed", func(t *testing.T) {
		tests := []struct{ name, typed, message string }{
			{"not a date", "end of May", "enter a date such as 2026-05-01"},
			{"empty", "", "enter the last day of the period to close, e.g. the last day of the month exported to the ledger"},
			{"future", formatDate(utcDay(3)), formatDate(utcDay(3)) + " is in the future: close a period once it has ended"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := accountant.post(journalsURL+"/close", closeForm(tt.typed)).wantStatus(http.StatusUnprocessableEntity)
				if got := res.byID("error-closedThrough"); !strings.HasPrefix(got, tt.message) {
					t.Errorf("message %q, want %q", got, tt.message)
				}
				if got := res.values("closedThrough"); len(got) != 1 || got[0] != tt.typed {
					t.Errorf("typed %q", got)
				}
				// The page is the journals of the period the form was on.
				if got := res.values("from"); len(got) == 0 || got[0] != from {
					t.Errorf("period from %q, want %s", got, from)
				}
			})
		}
		if st, err := p.deps.Payables.Settings(p.as("accountant")); err != nil || st.ClosedThrough != nil {
			t.Errorf("a refused close closed the books: %v %v", st.ClosedThrough, err)
		}
	})
	t.Run("an associate may not", func(t *testing.T) {
		p.signedIn("associate").post(journalsURL+"/close", closeForm(formatDate(closedThrough))).wantStatus(http.StatusForbidden)
	})
	t.Run("an accountant closes", func(t *testing.T) {
		accountant.post(journalsURL+"/close", closeForm(formatDate(closedThrough))).wantRedirect(period)
		page := accountant.get(period).wantStatus(http.StatusOK).
			wantContains("Period closed: bills, credit notes and payments dated in it now post on the first open day.")
		if got := page.byID("closed-through"); !strings.HasPrefix(got, "Closed through "+formatDate(closedThrough)+".") {
			t.Errorf("closed through %q", got)
		}
	})
	t.Run("closing backward is refused", func(t *testing.T) {
		res := accountant.post(journalsURL+"/close", closeForm(formatDate(utcDay(-6)))).wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-closedThrough"); !strings.Contains(got, "already closed through "+formatDate(closedThrough)) ||
			!strings.Contains(got, "only moves forward") {
			t.Errorf("message %q", got)
		}
	})
	t.Run("a bill dated in the closed period says where it posted", func(t *testing.T) {
		bill := p.enterBill(t, 8, billLine(p.lineOf(t, o, 0), 10, "100"))
		want := "dated " + formatDate(utcDay(-8)) + ", posted " + formatDate(firstOpen)
		page := accountant.get(period).wantStatus(http.StatusOK)
		found := false
		for _, body := range page.bodies("journal-entry-") {
			if strings.Contains(body, "Bill SUP-AP "+bill.Number) {
				found = true
				if !strings.Contains(body, want) {
					t.Errorf("bill entry %q lacks %q", body, want)
				}
			} else if strings.Contains(body, "posted ") {
				t.Errorf("an entry in the open period says it was moved: %q", body)
			}
		}
		if !found {
			t.Fatal("no entry for the bill")
		}
		if got := accountant.get(billURL(bill.ID)).wantStatus(http.StatusOK).byID("bill-posted"); got !=
			"posted "+formatDate(firstOpen)+": dated in a closed period" {
			t.Errorf("workbench says %q", got)
		}
	})
	t.Run("a bill in the open period says nothing more", func(t *testing.T) {
		bill := p.enterBill(t, 0, billLine(p.lineOf(t, o, 0), 1, "100"))
		if accountant.get(billURL(bill.ID)).wantStatus(http.StatusOK).hasID("bill-posted") {
			t.Error("the workbench shows a posting date equal to the bill date")
		}
	})
}

// bodies returns the text of each table body whose id starts with prefix, by id.
func (r *response) bodies(prefix string) map[string]string {
	out := map[string]string{}
	for _, n := range find(r.document(), func(n *html.Node) bool {
		return n.Data == "tbody" && strings.HasPrefix(attr(n, "id"), prefix)
	}) {
		out[attr(n, "id")] = text(n)
	}
	return out
}

// rowsIn returns the rows of the element with id.
func (r *response) rowsIn(id string) []*html.Node {
	root := find(r.document(), func(n *html.Node) bool { return attr(n, "id") == id })
	if len(root) == 0 {
		return nil
	}
	return find(root[0], func(n *html.Node) bool { return n.Data == "tr" })
}

func TestPayablesSettings(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	manager := p.signedIn("manager")
	settings := func(t *testing.T) payables.Settings {
		t.Helper()
		st, err := p.deps.Payables.Settings(p.as("manager"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	form := func(pct, amount, total, tax string) url.Values {
		return url.Values{"priceTolerancePct": {pct}, "priceToleranceAmount": {amount}, "totalToleranceAmount": {total},
			"taxRatePct": {tax}}
	}

	t.Run("the form shows the tolerances in major units and in words", func(t *testing.T) {
		st := settings(t)
		page := manager.get(payablesSettingsURL).wantStatus(http.StatusOK)
		if got := page.values("priceToleranceAmount"); len(got) != 1 || got[0] != formatAmountInput(st.PriceToleranceAmount, "TWD") {
			t.Errorf("amount %q for %d minor units", got, st.PriceToleranceAmount)
		}
		if got := page.byID("tolerances-now"); !strings.Contains(got, "no more than "+st.PriceTolerancePct.String()+"% and no more than "+
			formatMoney(st.PriceToleranceAmount, "TWD")) {
			t.Errorf("explanation %q", got)
		}
		if !slices.Contains(page.links(), payablesSettingsURL) {
			t.Error("the payables menu does not link the settings for a manager")
		}
	})
	t.Run("a manager saves them", func(t *testing.T) {
		manager.post(payablesSettingsURL, form("2.5", "50", "1.50", "5")).wantRedirect(payablesSettingsURL)
		st := settings(t)
		if !st.PriceTolerancePct.Equal(decimal.RequireFromString("2.5")) || st.PriceToleranceAmount != 50_00 ||
			st.TotalToleranceAmount != 1_50 || !st.TaxRatePct.Equal(decimal.NewFromInt(5)) {
			t.Errorf("settings %+v", st)
		}
		page := manager.get(payablesSettingsURL).wantStatus(http.StatusOK).wantContains("Matching tolerances saved.")
		if got := page.values("totalToleranceAmount"); len(got) != 1 || got[0] != "1.50" {
			t.Errorf("total tolerance %q", got)
		}
	})
	t.Run("mistakes are shown beside what was typed", func(t *testing.T) {
		tests := []struct{ name, field, typed, message string }{
			{"percentage over 100", "priceTolerancePct", "150", "give a percentage between 0 and 100 with at most two decimals"},
			{"percentage not a number", "taxRatePct", "five", "enter a percentage such as 5"},
			{"amount not an amount", "priceToleranceAmount", "fifty", "enter an amount in TWD such as 5 or 0.50"},
			{"amount below zero", "totalToleranceAmount", "-1", "enter 0 or more: a tolerance is how far either way a figure may be"},
			{"amount left empty", "priceToleranceAmount", "", "enter an amount in TWD, 0 to allow no price difference"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := form("2", "10", "1", "5")
				f.Set(tt.field, tt.typed)
				res := manager.post(payablesSettingsURL, f).wantStatus(http.StatusUnprocessableEntity)
				if got := res.byID("error-" + tt.field); got != tt.message {
					t.Errorf("message %q", got)
				}
				if got := res.values(tt.field); len(got) != 1 || got[0] != tt.typed {
					t.Errorf("typed %q", got)
				}
				if got := res.values("priceTolerancePct"); tt.field != "priceTolerancePct" && got[0] != "2" {
					t.Errorf("other field lost: %q", got)
				}
			})
		}
		if st := settings(t); st.PriceToleranceAmount != 50_00 {
			t.Errorf("a refused form changed the settings: %+v", st)
		}
	})
	t.Run("an accountant may not", func(t *testing.T) {
		accountant := p.signedIn("accountant")
		accountant.get(payablesSettingsURL).wantStatus(http.StatusForbidden)
		accountant.post(payablesSettingsURL, form("10", "1000", "100", "5")).wantStatus(http.StatusForbidden)
		if slices.Contains(accountant.get(agingURL).links(), payablesSettingsURL) {
			t.Error("an accountant's menu links the settings")
		}
		if st := settings(t); st.PriceToleranceAmount != 50_00 {
			t.Errorf("settings %+v", st)
		}
	})
}

// TestBrowserAgingReport changes the as-of date in Chromium: HTMX replaces the report in
// place (no reload), the address bar follows, and the export link follows the date.
func TestBrowserAgingReport(t *testing.T) {
	t.Parallel()
	p := newPayablesApp(t)
	p.enterBill(t, 45, billLine(p.lineOf(t, p.sentOrder(t, 2, 0), 0), 2, "100"))
	browser := newBrowser(t)
	errs := pageErrors(t, browser)
	browse(t, browser,
		chromedp.Navigate(p.srv.URL+agingURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
		signInAs("accountant"),
		chromedp.WaitVisible(chromedp.CSS(`#aging-table`)),
		markLoaded,
		chromedp.SetValue(chromedp.CSS(`#report-asOf`), "2001-01-01"),
		chromedp.Click(chromedp.CSS(`#aging-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#aging-table td.none`)),
	)
	if got := browserValue(t, browser, chromedp.Evaluate[string](`window.atriumLoaded || "reloaded"`)); got != "first load" {
		t.Errorf("the page was reloaded (%q)", got)
	}
	if loc := browserValue(t, browser, chromedp.Location()); !strings.HasSuffix(loc, agingURL+"?asOf=2001-01-01") {
		t.Errorf("address bar %q", loc)
	}
	export := browserValue(t, browser, chromedp.AttributeValue(chromedp.CSS(`#export-csv`), "href")).Value
	if export != agingURL+".csv?asOf=2001-01-01" {
		t.Errorf("export link %q", export)
	}
	if got := errs(); len(got) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(got, "\n"))
	}
}
