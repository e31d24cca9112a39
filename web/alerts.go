package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/location"
)

// The stock alerts, each a page with a CSV export of every row it lists: low stock (at or
// below the reorder point), slow-moving stock (no sale in N days) and expiring lots.

const alertPageSize = 50

// maxExportRows bounds a CSV export; a bigger one asks for a narrower filter.
const maxExportRows = 100_000

// alertFilter is an alert's query string. Days is the slow-moving or expiry period as
// typed ("" is the default).
type alertFilter struct {
	Location locationChoice
	Days     string
	Trail    trail
}

func readAlertFilter(r *http.Request) alertFilter {
	q := r.URL.Query()
	return alertFilter{Location: readLocation(q, actor.From(r.Context())), Days: strings.TrimSpace(q.Get("days")),
		Trail: readTrail(q)}
}

// url is path (an alert's page or export) with f's filters, starting after the cursor after.
func (f alertFilter) url(path string) func(after string, prev []string) string {
	return func(after string, prev []string) string {
		return listURL(path, url.Values{"location": {f.Location.Raw}, "days": {f.Days}}, after, prev)
	}
}

// days decodes Days: def when empty; errs gets what is not a number of days.
func (f alertFilter) days(errs *apperr.List, def int) int {
	if f.Days == "" {
		return def
	}
	n, err := strconv.Atoi(f.Days)
	if err != nil {
		*errs = append(*errs, apperr.Invalid("days", "enter a number of days"))
		return def
	}
	return n
}

// alertPage is what every alert page has besides its rows.
type alertPage struct {
	Filter    alertFilter
	Errors    formErrors
	Locations []location.Location
	Pager     pager
	// Export is the CSV of every row the filters select.
	Export string
}

var alertFields = fieldSet("days")

func (s *server) alertPage(ctx context.Context, f alertFilter, path string) (alertPage, error) {
	p := alertPage{Filter: f, Export: f.url(path+".csv")("", nil)}
	var err error
	p.Locations, err = s.Locations.List(ctx, location.Filter{})
	return p, err
}

// alertFailed shows an alert page with what is wrong with its filters (a bad number of
// days), or returns err.
func alertFailed(err error, show func(apperr.List) error) error {
	if errs, ok := apperr.Errors(err); ok && apperr.CodeOf(err) == apperr.CodeInvalid {
		return show(errs)
	}
	return err
}

// exportAll collects every row of a paged list: fetch returns the page after a cursor
// and the cursor after its last row ("" on the last page).
func exportAll[T any](fetch func(after string) ([]T, string, error)) ([]T, error) {
	var all []T
	after := ""
	for {
		rows, next, err := fetch(after)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
		if len(all) > maxExportRows {
			return nil, apperr.Invalid("", "more than %d rows: choose a location to export fewer", maxExportRows)
		}
		if next == "" {
			return all, nil
		}
		after = next
	}
}

// exportName names the export of report for the filter's location.
func (s *server) exportName(ctx context.Context, report string, f alertFilter) (string, error) {
	code := ""
	if f.Location.ID != nil {
		l, err := s.Locations.Get(ctx, *f.Location.ID)
		if err != nil {
			return "", err
		}
		code = l.Code
	}
	return csvFilename(report, code, time.Now().In(viewOf(ctx).Zone())), nil
}

// Low stock.

type lowStockPage struct {
	alertPage
	Rows []levelRow
}

// Left is what a low level has left to sell: on hand less reserved and expired (safety
// stock counts: the store can still sell it), the figure compared with the reorder point.
func left(l inventory.Level) int { return l.OnHand - l.Reserved - l.Expired }

func (s *server) lowStockRows(ctx context.Context, f alertFilter, after string, first int) ([]levelRow, string, error) {
	page, err := s.Inventory.LowStock(ctx, inventory.LowStockFilter{LocationID: f.Location.ID,
		After: parseLevelCursor(after), First: first})
	if err != nil {
		return nil, "", err
	}
	ids := make([]int64, len(page.Levels))
	for i, l := range page.Levels {
		ids[i] = l.VariantID
	}
	names, err := s.stockNames(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	rows := make([]levelRow, len(page.Levels))
	for i, l := range page.Levels {
		rows[i] = levelRow{stockItem: names.item(l.LocationID, l.VariantID), Level: l}
	}
	next := ""
	if page.HasNextPage {
		next = levelCursor(page.Levels[len(page.Levels)-1])
	}
	return rows, next, nil
}

func (s *server) lowStock(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readAlertFilter(r)
	const path = "/admin/stock/alerts/low-stock"
	p := lowStockPage{}
	var err error
	if p.alertPage, err = s.alertPage(ctx, f, path); err != nil {
		return err
	}
	rows, next, err := s.lowStockRows(ctx, f, f.Trail.After, alertPageSize)
	if err != nil {
		return err
	}
	p.Rows, p.Pager = rows, f.Trail.pager(-1, alertPageSize, next, f.url(path))
	return s.page(w, r, http.StatusOK, lowStockListPage(p))
}

func (s *server) lowStockCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readAlertFilter(r)
	rows, err := exportAll(func(after string) ([]levelRow, string, error) {
		return s.lowStockRows(ctx, f, after, inventory.MaxPage)
	})
	if err != nil {
		return err
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		l := r.Level
		out[i] = []string{r.Location.Code, r.Variant.SKU, r.Product.Title, r.Variant.Title, strconv.Itoa(l.OnHand),
			strconv.Itoa(l.Reserved), strconv.Itoa(l.Expired), strconv.Itoa(left(l)), strconv.Itoa(l.ReorderPoint),
			strconv.Itoa(l.Incoming)}
	}
	name, err := s.exportName(ctx, "low-stock", f)
	if err != nil {
		return err
	}
	return writeCSV(w, name, lowStockColumns, out)
}

// Slow-moving stock.

const defaultSlowDays = 90

type slowMovingPage struct {
	alertPage
	Days int
	Rows []slowRow
	Now  time.Time
}

type slowRow struct {
	stockItem
	inventory.SlowMover
}

func (s *server) slowMovingRows(ctx context.Context, f alertFilter, days int, after string, first int) ([]slowRow, string, error) {
	page, err := s.Inventory.SlowMoving(ctx, inventory.SlowMovingFilter{LocationID: f.Location.ID, Days: days,
		After: parseLevelCursor(after), First: first})
	if err != nil {
		return nil, "", err
	}
	ids := make([]int64, len(page.Levels))
	for i, l := range page.Levels {
		ids[i] = l.VariantID
	}
	names, err := s.stockNames(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	rows := make([]slowRow, len(page.Levels))
	for i, l := range page.Levels {
		rows[i] = slowRow{stockItem: names.item(l.LocationID, l.VariantID), SlowMover: l}
	}
	next := ""
	if page.HasNextPage {
		next = levelCursor(page.Levels[len(page.Levels)-1].Level)
	}
	return rows, next, nil
}

func (s *server) slowMoving(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readAlertFilter(r)
	const path = "/admin/stock/alerts/slow-moving"
	var errs apperr.List
	days := f.days(&errs, defaultSlowDays)
	p := slowMovingPage{Days: days, Now: time.Now()}
	var err error
	if p.alertPage, err = s.alertPage(ctx, f, path); err != nil {
		return err
	}
	show := func(errs apperr.List) error {
		p.Errors = newFormErrors(errs, alertFields)
		return s.page(w, r, http.StatusOK, slowMovingListPage(p))
	}
	if len(errs) > 0 {
		return show(errs)
	}
	rows, next, err := s.slowMovingRows(ctx, f, days, f.Trail.After, alertPageSize)
	if err != nil {
		return alertFailed(err, show)
	}
	p.Rows, p.Pager = rows, f.Trail.pager(-1, alertPageSize, next, f.url(path))
	return show(nil)
}

func (s *server) slowMovingCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readAlertFilter(r)
	var errs apperr.List
	days := f.days(&errs, defaultSlowDays)
	if err := errs.Err(); err != nil {
		return err
	}
	rows, err := exportAll(func(after string) ([]slowRow, string, error) {
		return s.slowMovingRows(ctx, f, days, after, inventory.MaxPage)
	})
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([][]string, len(rows))
	for i, r := range rows {
		lastSale, cover, age, since, received := "", "", "", "", ""
		if r.LastSaleAt != nil {
			lastSale = formatDay(ctx, *r.LastSaleAt)
		}
		if d, ok := r.DaysOfCover(); ok {
			cover = formatDays(d)
		}
		if d, ok := r.StockAgeDays(now); ok {
			age = strconv.Itoa(d)
			since = formatDay(ctx, *r.OnHandSince)
		}
		if r.LastReceiptAt != nil {
			received = formatDay(ctx, *r.LastReceiptAt)
		}
		out[i] = []string{r.Location.Code, r.Variant.SKU, r.Product.Title, r.Variant.Title, strconv.Itoa(r.OnHand),
			strconv.Itoa(r.Available()), lastSale, strconv.Itoa(r.Sold30), cover, age, since, received}
	}
	name, err := s.exportName(ctx, "slow-moving", f)
	if err != nil {
		return err
	}
	return writeCSV(w, name, slowMovingColumns, out)
}

// Expiring lots.

const defaultExpiryDays = 30

type expiringPage struct {
	alertPage
	Days int
	Rows []expiringRow
}

type expiringRow struct {
	stockItem
	inventory.ExpiringLot
	// DaysLeft is the days from today (in the location's time zone) to the expiry date;
	// below zero the lot has expired.
	DaysLeft int
}

// expiringRows returns the expiring lots from the offset after (the lots are few enough
// to page in memory).
func (s *server) expiringRows(ctx context.Context, f alertFilter, days int, after string, first int) ([]expiringRow, string, error) {
	lots, err := s.Inventory.ExpiringStock(ctx, inventory.ExpiringFilter{WithinDays: days, LocationID: f.Location.ID})
	if err != nil {
		return nil, "", err
	}
	from, _ := strconv.Atoi(after)
	from = min(max(0, from), len(lots))
	to := min(from+first, len(lots))
	next := ""
	if to < len(lots) {
		next = strconv.Itoa(to)
	}
	lots = lots[from:to]
	ids := make([]int64, len(lots))
	for i, l := range lots {
		ids[i] = l.VariantID
	}
	names, err := s.stockNames(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	now := time.Now()
	rows := make([]expiringRow, len(lots))
	for i, l := range lots {
		it := names.item(l.LocationID, l.VariantID)
		zone, err := time.LoadLocation(it.Location.TimeZone)
		if err != nil {
			zone = viewOf(ctx).Zone()
		}
		y, m, d := now.In(zone).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		rows[i] = expiringRow{stockItem: it, ExpiringLot: l, DaysLeft: int(l.ExpiresOn.Sub(today).Hours() / 24)}
	}
	return rows, next, nil
}

func (s *server) expiring(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readAlertFilter(r)
	const path = "/admin/stock/alerts/expiring"
	var errs apperr.List
	days := f.days(&errs, defaultExpiryDays)
	p := expiringPage{Days: days}
	var err error
	if p.alertPage, err = s.alertPage(ctx, f, path); err != nil {
		return err
	}
	show := func(errs apperr.List) error {
		p.Errors = newFormErrors(errs, alertFields)
		return s.page(w, r, http.StatusOK, expiringListPage(p))
	}
	if len(errs) > 0 {
		return show(errs)
	}
	rows, next, err := s.expiringRows(ctx, f, days, f.Trail.After, alertPageSize)
	if err != nil {
		return alertFailed(err, show)
	}
	p.Rows, p.Pager = rows, f.Trail.pager(-1, alertPageSize, next, f.url(path))
	return show(nil)
}

func (s *server) expiringCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readAlertFilter(r)
	var errs apperr.List
	days := f.days(&errs, defaultExpiryDays)
	if err := errs.Err(); err != nil {
		return err
	}
	rows, err := exportAll(func(after string) ([]expiringRow, string, error) {
		return s.expiringRows(ctx, f, days, after, maxExportRows)
	})
	if err != nil {
		return err
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = []string{r.Location.Code, r.Variant.SKU, r.Product.Title, r.Variant.Title, r.Lot,
			formatDate(r.ExpiresOn), strconv.Itoa(r.DaysLeft), strconv.Itoa(r.OnHand), expiryState(r.Expired)}
	}
	name, err := s.exportName(ctx, "expiring-lots", f)
	if err != nil {
		return err
	}
	return writeCSV(w, name, expiringColumns, out)
}

// alertsHome is the Alerts menu entry: the first alert.
func (s *server) alertsHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/admin/stock/alerts/low-stock", http.StatusFound)
	return nil
}
