package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/payables"
	"atrium/internal/purchasing"
)

// The accountant's reports (aging, goods received not invoiced, the cash forecast and the
// general ledger journals) and the matching tolerances. Each report is a plain GET form
// of dates that HTMX updates in place (the report's region, form included, so field
// errors show beside what was typed), and a CSV export of exactly the rows the page shows.

// apReportDate decodes a date typed in a report's form: def when empty; errs gets what is
// not a date.
func apReportDate(errs *apperr.List, field, typed string, def time.Time) time.Time {
	if typed == "" {
		return def
	}
	if d := optDate(errs, field, typed); d != nil {
		return *d
	}
	return def
}

// apDateValue is what a report's date field shows: what was typed, else the date used.
func apDateValue(typed string, d time.Time) string {
	if typed != "" {
		return typed
	}
	return formatDate(d)
}

// showAPReport renders a report: its region alone for an HTMX request aimed at it (id),
// else the whole page.
func (s *server) showAPReport(w http.ResponseWriter, r *http.Request, id string, region, page templ.Component) error {
	if htmxTarget(r) == id {
		return s.fragment(w, r, http.StatusOK, region)
	}
	return s.page(w, r, http.StatusOK, page)
}

// apReportFailed shows a report's form with what is wrong with its fields, or returns err.
func apReportFailed(err error, fields func(string) bool, show func(formErrors) error) error {
	if errs, ok := apperr.Errors(err); ok && apperr.CodeOf(err) == apperr.CodeInvalid {
		return show(newFormErrors(errs, fields))
	}
	return err
}

// apMoneyCell is an amount in a CSV export: major units, no grouping.
func apMoneyCell(n int64, currency string) string { return formatAmountInput(n, currency) }

// Aging.

const agingRegion = "aging-report"

// agingBuckets head the aging's amounts, on the page and in the export.
var agingBuckets = []string{"Current", "1–30 days", "31–60 days", "61–90 days", "Over 90 days", "Total"}

var agingFields = fieldSet("asOf")

type agingView struct {
	// Typed is the as-of date as typed ("" for today).
	Typed  string
	AsOf   time.Time
	Rows   []payables.AgingRow
	Totals []payables.AgingRow
	Errors formErrors
}

func (v agingView) dateValue() string { return apDateValue(v.Typed, v.AsOf) }

func (v agingView) exportURL() string {
	return agingURL + ".csv?" + url.Values{"asOf": {formatDate(v.AsOf)}}.Encode()
}

// agingAmounts are a row's buckets and total, as agingBuckets heads them.
func agingAmounts(r payables.AgingRow) []int64 {
	return []int64{r.Current, r.Days1To30, r.Days31To60, r.Days61To90, r.Over90, r.Total}
}

// agingReport reads the as-of date and runs the report; errs gets a bad date.
func (s *server) agingReport(r *http.Request, errs *apperr.List) (agingView, error) {
	ctx := r.Context()
	v := agingView{Typed: strings.TrimSpace(r.URL.Query().Get("asOf"))}
	v.AsOf = apReportDate(errs, "asOf", v.Typed, viewerToday(ctx))
	if len(*errs) > 0 {
		return v, nil
	}
	var err error
	if v.Rows, err = s.Payables.Aging(ctx, v.AsOf); err != nil {
		return v, err
	}
	v.Totals = payables.AgingTotals(v.Rows)
	return v, nil
}

func (s *server) aging(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.agingReport(r, &errs)
	show := func(fe formErrors) error {
		v.Errors = fe
		return s.showAPReport(w, r, agingRegion, agingReportRegion(v), agingPage(v))
	}
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return apReportFailed(err, agingFields, show)
	}
	return show(formErrors{})
}

func (s *server) agingCSV(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.agingReport(r, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return err
	}
	row := func(code, name string, a payables.AgingRow) []string {
		out := []string{code, name, a.Currency}
		for _, n := range agingAmounts(a) {
			out = append(out, apMoneyCell(n, a.Currency))
		}
		return out
	}
	var out [][]string
	for _, a := range v.Rows {
		out = append(out, row(a.SupplierCode, a.SupplierName, a))
	}
	for _, t := range v.Totals {
		out = append(out, row(agingTotalLabel, "", t))
	}
	header := append([]string{"Supplier code", "Supplier", "Currency"}, agingBuckets...)
	return writeCSV(w, "aging-"+formatDate(v.AsOf)+".csv", header, out)
}

// Goods received not invoiced.

const grniRegion = "grni-report"

var grniFields = fieldSet("asOf")

type grniView struct {
	Typed    string
	AsOf     time.Time
	Rows     []payables.GRNIRow
	Total    int64
	Currency string // the company's
	Errors   formErrors
}

func (v grniView) dateValue() string { return apDateValue(v.Typed, v.AsOf) }

func (v grniView) exportURL() string {
	return grniURL + ".csv?" + url.Values{"asOf": {formatDate(v.AsOf)}}.Encode()
}

// grniColumns head the report, on the page and in the export.
func grniColumns(company string) []string {
	return []string{"Order", "Supplier", "SKU", "Received", "Billed", "Not invoiced", "Unit cost", "Value",
		"Value (" + company + ")"}
}

func (s *server) grniReport(r *http.Request, errs *apperr.List) (grniView, error) {
	ctx := r.Context()
	v := grniView{Typed: strings.TrimSpace(r.URL.Query().Get("asOf"))}
	v.AsOf = apReportDate(errs, "asOf", v.Typed, viewerToday(ctx))
	var err error
	if v.Currency, err = s.Catalog.Currency(ctx); err != nil || len(*errs) > 0 {
		return v, err
	}
	if v.Rows, err = s.Payables.GRNI(ctx, v.AsOf); err != nil {
		return v, err
	}
	v.Total = payables.GRNITotal(v.Rows)
	return v, nil
}

func (s *server) grni(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.grniReport(r, &errs)
	show := func(fe formErrors) error {
		v.Errors = fe
		return s.showAPReport(w, r, grniRegion, grniReportRegion(v), grniPage(v))
	}
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return apReportFailed(err, grniFields, show)
	}
	return show(formErrors{})
}

func (s *server) grniCSV(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.grniReport(r, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return err
	}
	var out [][]string
	for _, g := range v.Rows {
		out = append(out, []string{purchasing.OrderNumber(g.OrderID), g.SupplierCode, g.SupplierName, g.SKU,
			strconv.Itoa(g.Received), strconv.Itoa(g.Billed), strconv.Itoa(g.Unbilled), g.Currency,
			formatCostInput(g.UnitCost), apMoneyCell(g.Amount, g.Currency), apMoneyCell(g.CompanyAmount, v.Currency)})
	}
	out = append(out, []string{grniTotalLabel, "", "", "", "", "", "", "", "", "", apMoneyCell(v.Total, v.Currency)})
	header := []string{"Order", "Supplier code", "Supplier", "SKU", "Received", "Billed", "Not invoiced", "Currency",
		"Unit cost", "Value", "Value (" + v.Currency + ")"}
	return writeCSV(w, "grni-"+formatDate(v.AsOf)+".csv", header, out)
}

// Cash requirements forecast.

const (
	forecastRegion       = "forecast-report"
	defaultForecastWeeks = 8
	maxForecastWeeks     = 52
)

var forecastFields = fieldSet("from", "weeks")

type forecastView struct {
	TypedFrom, TypedWeeks string
	From                  time.Time
	Weeks                 int
	// Rows are every week of the forecast, those with nothing due too.
	Rows   []forecastWeekRows
	Totals []payables.ForecastWeek
	Errors formErrors
}

// forecastWeekRows is one week of the forecast: what falls due in it, per currency.
type forecastWeekRows struct {
	Start time.Time
	Due   []payables.ForecastWeek
}

// End is the Sunday closing the week.
func (w forecastWeekRows) End() time.Time { return w.Start.AddDate(0, 0, 6) }

func (v forecastView) fromValue() string { return apDateValue(v.TypedFrom, v.From) }

func (v forecastView) weeksValue() string {
	if v.TypedWeeks != "" {
		return v.TypedWeeks
	}
	return strconv.Itoa(v.Weeks)
}

func (v forecastView) exportURL() string {
	return cashForecastURL + ".csv?" + url.Values{"from": {formatDate(v.From)}, "weeks": {strconv.Itoa(v.Weeks)}}.Encode()
}

var forecastColumns = []string{"Week of", "To", "Currency", "Approved", "Pending approval", "Total"}

func (s *server) forecastReport(r *http.Request, errs *apperr.List) (forecastView, error) {
	ctx := r.Context()
	q := r.URL.Query()
	v := forecastView{TypedFrom: strings.TrimSpace(q.Get("from")), TypedWeeks: strings.TrimSpace(q.Get("weeks")),
		Weeks: defaultForecastWeeks}
	v.From = apReportDate(errs, "from", v.TypedFrom, viewerToday(ctx))
	if v.TypedWeeks != "" {
		n, err := strconv.Atoi(v.TypedWeeks)
		switch {
		case err != nil:
			*errs = append(*errs, apperr.Invalid("weeks", "enter a whole number of weeks, such as 8"))
		case n < 1 || n > maxForecastWeeks:
			*errs = append(*errs, apperr.Invalid("weeks", "forecast from 1 to %d weeks", maxForecastWeeks))
		default:
			v.Weeks = n
		}
	}
	if len(*errs) > 0 {
		return v, nil
	}
	due, err := s.Payables.CashForecast(ctx, v.From, v.Weeks)
	if err != nil {
		return v, err
	}
	first := payables.WeekOf(v.From)
	for i := range v.Weeks {
		w := forecastWeekRows{Start: first.AddDate(0, 0, 7*i)}
		for _, d := range due {
			if formatDate(d.Start) == formatDate(w.Start) {
				w.Due = append(w.Due, d)
			}
		}
		v.Rows = append(v.Rows, w)
	}
	v.Totals = payables.ForecastTotals(due)
	return v, nil
}

func (s *server) cashForecast(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.forecastReport(r, &errs)
	show := func(fe formErrors) error {
		v.Errors = fe
		return s.showAPReport(w, r, forecastRegion, forecastReportRegion(v), forecastPage(v))
	}
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return apReportFailed(err, forecastFields, show)
	}
	return show(formErrors{})
}

func (s *server) cashForecastCSV(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.forecastReport(r, &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return err
	}
	var out [][]string
	for _, wk := range v.Rows {
		start, end := formatDate(wk.Start), formatDate(wk.End())
		if len(wk.Due) == 0 {
			out = append(out, []string{start, end, "", "", "", ""})
		}
		for _, d := range wk.Due {
			out = append(out, []string{start, end, d.Currency, apMoneyCell(d.Approved, d.Currency),
				apMoneyCell(d.Pending, d.Currency), apMoneyCell(d.Total(), d.Currency)})
		}
	}
	for _, t := range v.Totals {
		out = append(out, []string{forecastTotalLabel, "", t.Currency, apMoneyCell(t.Approved, t.Currency),
			apMoneyCell(t.Pending, t.Currency), apMoneyCell(t.Total(), t.Currency)})
	}
	name := "cash-forecast-" + formatDate(v.From) + "-" + strconv.Itoa(v.Weeks) + "-weeks.csv"
	return writeCSV(w, name, forecastColumns, out)
}

// Journals.

const (
	journalsRegion = "journals-report"
	// maxJournalDays bounds a journal period: a year at a time.
	maxJournalDays = 366
)

var journalFields = fieldSet("from", "to")

type journalsView struct {
	TypedFrom, TypedTo string
	From, To           time.Time
	Entries            []payables.JournalEntry
	Totals             []payables.AccountTotal
	// Debit and Credit total the period; Unbalanced counts the entries that do not balance.
	Debit, Credit int64
	Unbalanced    int
	Currency      string // the company's
	Errors        formErrors
	// ClosedThrough is the last day of the closed period (nil: none); CanClose whether
	// the viewer may close a period, CloseTyped and CloseErrors the close form as typed
	// when it failed.
	ClosedThrough *time.Time
	CanClose      bool
	CloseTyped    string
	CloseErrors   formErrors
}

// closeValue is what the close form's date shows: what was typed, else the last day of
// the month before the period shown (the month usually closed after its export) when
// that is still open, else nothing.
func (v journalsView) closeValue() string {
	if v.CloseTyped != "" || !v.CloseErrors.Empty() {
		return v.CloseTyped
	}
	end := v.From.AddDate(0, 0, -1)
	if v.ClosedThrough != nil && !end.After(*v.ClosedThrough) {
		return ""
	}
	return formatDate(end)
}

func (v journalsView) fromValue() string { return apDateValue(v.TypedFrom, v.From) }
func (v journalsView) toValue() string   { return apDateValue(v.TypedTo, v.To) }

func (v journalsView) exportURL() string {
	return journalsURL + ".csv?" + url.Values{"from": {formatDate(v.From)}, "to": {formatDate(v.To)}}.Encode()
}

// entryTotals are what an entry debits and credits.
func entryTotals(e payables.JournalEntry) (debit, credit int64) {
	for _, l := range e.Lines {
		debit += l.Debit
		credit += l.Credit
	}
	return debit, credit
}

// journalsReport runs the journals for the period in q (from, to; this month by default);
// errs gets what is wrong with it. It also reads the closed period and whether the viewer
// may close one.
func (s *server) journalsReport(ctx context.Context, q url.Values, errs *apperr.List) (journalsView, error) {
	now := viewerToday(ctx)
	v := journalsView{TypedFrom: strings.TrimSpace(q.Get("from")), TypedTo: strings.TrimSpace(q.Get("to"))}
	first := now.AddDate(0, 0, 1-now.Day())
	v.From = apReportDate(errs, "from", v.TypedFrom, first)
	v.To = apReportDate(errs, "to", v.TypedTo, first.AddDate(0, 1, -1))
	if len(*errs) == 0 {
		switch {
		case v.To.Before(v.From):
			*errs = append(*errs, apperr.Invalid("to", "the period ends before it starts: choose an end on or after %s", formatDate(v.From)))
		case v.To.Sub(v.From) >= maxJournalDays*24*time.Hour:
			*errs = append(*errs, apperr.Invalid("to", "choose a period of at most a year (%d days); export a longer one a year at a time", maxJournalDays))
		}
	}
	v.CanClose = canClosePeriod(actor.From(ctx))
	st, err := s.Payables.Settings(ctx)
	if err != nil {
		return v, err
	}
	v.ClosedThrough = st.ClosedThrough
	if v.Currency, err = s.Catalog.Currency(ctx); err != nil || len(*errs) > 0 {
		return v, err
	}
	if v.Entries, err = s.Payables.Journals(ctx, v.From, v.To); err != nil {
		return v, err
	}
	v.Totals = payables.JournalTotals(v.Entries)
	for _, t := range v.Totals {
		v.Debit += t.Debit
		v.Credit += t.Credit
	}
	for _, e := range v.Entries {
		if !e.Balanced() {
			v.Unbalanced++
		}
	}
	return v, nil
}

func (s *server) journals(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.journalsReport(r.Context(), r.URL.Query(), &errs)
	show := func(fe formErrors) error {
		v.Errors = fe
		return s.showAPReport(w, r, journalsRegion, journalsReportRegion(v), journalsPage(v))
	}
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return apReportFailed(err, journalFields, show)
	}
	return show(formErrors{})
}

// journalsCSV is the export for the accounting package: one record per journal line
// (payables.JournalCSVRecords), in the back office's CSV form (Excel's BOM, CRLF).
func (s *server) journalsCSV(w http.ResponseWriter, r *http.Request) error {
	var errs apperr.List
	v, err := s.journalsReport(r.Context(), r.URL.Query(), &errs)
	if err == nil {
		err = errs.Err()
	}
	if err != nil {
		return err
	}
	name := "journals-" + formatDate(v.From) + "-to-" + formatDate(v.To) + ".csv"
	return writeCSV(w, name, payables.JournalCSVHeader, payables.JournalCSVRecords(v.Entries))
}

// closePeriodFields are the close form's fields shown beside their input.
var closePeriodFields = fieldSet("closedThrough")

// journalsClose closes the books through the date typed and goes back to the journals of
// the period the form was on; a mistake comes back beside what was typed, over the same
// period's journals.
func (s *server) journalsClose(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostForm.Get("closedThrough"))
	period := url.Values{}
	for k, name := range map[string]string{"from": "periodFrom", "to": "periodTo"} {
		if d, ok := parseDate(r.PostForm.Get(name)); ok {
			period.Set(k, formatDate(d))
		}
	}
	var errs apperr.List
	through := optDate(&errs, "closedThrough", typed)
	if through == nil && len(errs) == 0 {
		errs = append(errs, apperr.Invalid("closedThrough", "enter the last day of the period to close, e.g. the last day of the month exported to the ledger"))
	}
	err := errs.Err()
	if err == nil {
		_, err = s.Payables.ClosePeriod(ctx, *through)
	}
	if err != nil {
		return s.formFailed(w, r, err, closePeriodFields, func(fe formErrors) (templ.Component, error) {
			var rerrs apperr.List
			v, err := s.journalsReport(ctx, period, &rerrs)
			if err != nil {
				return nil, err
			}
			v.Errors = newFormErrors(rerrs, journalFields)
			v.CloseTyped, v.CloseErrors = typed, fe
			return journalsPage(v), nil
		})
	}
	back := journalsURL
	if len(period) > 0 {
		back += "?" + period.Encode()
	}
	return s.redirect(w, r, back, flashPeriodClosed)
}

// Matching tolerances.

// payablesSettingsForm is the tolerances as typed: percentages, and amounts in major
// units.
type payablesSettingsForm struct {
	PriceTolerancePct, PriceToleranceAmount, TotalToleranceAmount, TaxRatePct string
}

var payablesSettingsFields = fieldSet("priceTolerancePct", "priceToleranceAmount", "totalToleranceAmount", "taxRatePct")

func payablesSettingsFormOf(st payables.Settings, currency string) payablesSettingsForm {
	return payablesSettingsForm{PriceTolerancePct: st.PriceTolerancePct.String(),
		PriceToleranceAmount: formatAmountInput(st.PriceToleranceAmount, currency),
		TotalToleranceAmount: formatAmountInput(st.TotalToleranceAmount, currency), TaxRatePct: st.TaxRatePct.String()}
}

func readPayablesSettingsForm(v url.Values) payablesSettingsForm {
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	return payablesSettingsForm{PriceTolerancePct: get("priceTolerancePct"), PriceToleranceAmount: get("priceToleranceAmount"),
		TotalToleranceAmount: get("totalToleranceAmount"), TaxRatePct: get("taxRatePct")}
}

// input decodes the form; amounts are typed in major units and held in minor units.
func (f payablesSettingsForm) input(errs *apperr.List, currency string) payables.Settings {
	pct := func(field, s, example string) decimal.Decimal {
		d, err := decimal.NewFromString(strings.TrimSpace(strings.TrimSuffix(s, "%")))
		if err != nil {
			*errs = append(*errs, apperr.Invalid(field, "enter a percentage such as %s", example))
		}
		return d
	}
	amt := func(field, s, zero string) int64 {
		if s == "" {
			*errs = append(*errs, apperr.Invalid(field, "enter an amount in %s, 0 %s", currency, zero))
			return 0
		}
		n, ok := parseAmount(s, currency)
		switch {
		case !ok:
			*errs = append(*errs, apperr.Invalid(field, "enter an amount in %s such as 5 or 0.50", currency))
		case n < 0:
			*errs = append(*errs, apperr.Invalid(field, "enter 0 or more: a tolerance is how far either way a figure may be"))
		}
		return n
	}
	return payables.Settings{
		PriceTolerancePct:    pct("priceTolerancePct", f.PriceTolerancePct, "2 or 2.5"),
		PriceToleranceAmount: amt("priceToleranceAmount", f.PriceToleranceAmount, "to allow no price difference"),
		TotalToleranceAmount: amt("totalToleranceAmount", f.TotalToleranceAmount, "to require exact totals and tax"),
		TaxRatePct:           pct("taxRatePct", f.TaxRatePct, "5"),
	}
}

type payablesSettingsView struct {
	Settings payables.Settings
	Currency string // the company's
	Form     payablesSettingsForm
	Errors   formErrors
}

// example is 5 major units of the company currency, as the page shows money.
func (v payablesSettingsView) example() string {
	n, _ := parseAmount("5", v.Currency)
	return formatMoney(n, v.Currency)
}

func (s *server) payablesSettingsView(ctx context.Context) (payablesSettingsView, error) {
	var v payablesSettingsView
	var err error
	if v.Settings, err = s.Payables.Settings(ctx); err != nil {
		return v, err
	}
	if v.Currency, err = s.Catalog.Currency(ctx); err != nil {
		return v, err
	}
	v.Form = payablesSettingsFormOf(v.Settings, v.Currency)
	return v, nil
}

func (s *server) payablesSettings(w http.ResponseWriter, r *http.Request) error {
	v, err := s.payablesSettingsView(r.Context())
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, payablesSettingsPage(v))
}

// payablesSettingsSave sets the tolerances; mistakes come back beside what was typed.
func (s *server) payablesSettingsSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readPayablesSettingsForm(r.PostForm)
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return err
	}
	var errs apperr.List
	in := f.input(&errs, currency)
	err = errs.Err()
	if err == nil {
		_, err = s.Payables.SetSettings(ctx, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, payablesSettingsFields, func(fe formErrors) (templ.Component, error) {
			v, err := s.payablesSettingsView(ctx)
			if err != nil {
				return nil, err
			}
			v.Form, v.Errors = f, fe
			return payablesSettingsPage(v), nil
		})
	}
	return s.redirect(w, r, payablesSettingsURL, flashPayablesSaved)
}
