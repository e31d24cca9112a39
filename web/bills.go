package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/payables"
	"atrium/internal/purchasing"
)

// Supplier bills: the accountant's list of bills and credit notes (quick status tabs,
// supplier and kind filters, what is still owed per currency, a CSV export); the entry
// form of a bill or a credit note, which proposes the supplier's open purchase order lines
// with what is received and not billed yet at the order price, so only what the paper
// bill says differently is typed; and the CSV import with a report of every problem by
// row and column. A bill's own page is its reconciliation workbench (workbench.go).

const (
	billPageSize       = 50
	billsCSVURL        = "/admin/payables/bills.csv"
	billImportTemplate = "/admin/payables/bills/import/template.csv"
	// maxImportBytes bounds an imported CSV (some thousands of bill lines).
	maxImportBytes = 5 << 20
	// maxImportedShown bounds the imported bills listed after an import.
	maxImportedShown = 200
)

// Bills list.

// billTabs are the list's quick filters, in the order shown: what needs the accountant
// first. Credit notes have no status of their own (they are never matched or paid), so
// every tab but "all" lists bills only.
var billTabs = []string{"resolve", "approve", "approved", "paid", "rejected", "all"}

var billTabStatuses = map[string][]payables.Status{
	"resolve":  {payables.Exception, payables.CreditRequested},
	"approve":  {payables.Matched, payables.Accepted},
	"approved": {payables.Approved, payables.PartiallyPaid},
	"paid":     {payables.Paid},
	"rejected": {payables.Rejected},
	"all":      nil,
}

// billFilter is the list's query string: tab, supplier, kind and paging.
type billFilter struct {
	Tab        string
	SupplierID string
	Kind       string
	Trail      trail
}

func readBillFilter(r *http.Request) billFilter {
	q := r.URL.Query()
	f := billFilter{Tab: q.Get("show"), SupplierID: q.Get("supplier"), Kind: q.Get("kind"), Trail: readTrail(q)}
	if _, ok := billTabStatuses[f.Tab]; !ok {
		f.Tab = "all"
	}
	if n, err := strconv.ParseInt(f.SupplierID, 10, 64); err != nil || n <= 0 {
		f.SupplierID = ""
	}
	if f.Kind != string(payables.KindBill) && f.Kind != string(payables.KindCreditNote) {
		f.Kind = ""
	}
	return f
}

// link is the list (or its export, path) with f's filters on tab, starting after the
// cursor after.
func (f billFilter) link(path, tab string) func(after string, prev []string) string {
	return func(after string, prev []string) string {
		if tab == "all" {
			tab = ""
		}
		return listURL(path, url.Values{"show": {tab}, "supplier": {f.SupplierID}, "kind": {f.Kind}}, after, prev)
	}
}

// TabURL is the list on tab with the other filters kept (from the first page).
func (f billFilter) TabURL(tab string) string { return f.link(billsURL, tab)("", nil) }

// creditNotesOnTab reports whether credit notes are asked for on a status tab, where
// there are none to show.
func (f billFilter) creditNotesOnTab() bool {
	return f.Tab != "all" && f.Kind == string(payables.KindCreditNote)
}

func (f billFilter) query() payables.BillFilter {
	q := payables.BillFilter{Statuses: billTabStatuses[f.Tab], Kind: payables.Kind(f.Kind)}
	q.SupplierID, _ = strconv.ParseInt(f.SupplierID, 10, 64)
	if f.Tab != "all" {
		q.Kind = payables.KindBill
	}
	return q
}

// billListRow is a bill or credit note as listed.
type billListRow struct {
	payables.Bill
	// Overdue: something is still owed after the due date. Discount: the early-payment
	// discount can still be taken.
	Overdue, Discount bool
}

// billListView is the bills page.
type billListView struct {
	Filter    billFilter
	Suppliers []purchasing.Supplier
	Rows      []billListRow
	// Count is how many bills the filters select, on every page.
	Count int
	// Open is what every selected bill still owes per currency, not only the page's.
	Open   []payables.OpenTotal
	Pager  pager
	Export string
}

// billPage returns the page of bills f selects that starts after the cursor after, with
// the cursor of the next page ("" on the last), as of today in the viewer's time zone.
func (s *server) billPage(ctx context.Context, f billFilter, after string, size int) ([]billListRow, string, error) {
	if f.creditNotesOnTab() {
		return nil, "", nil
	}
	q := f.query()
	q.After, q.First = after, size
	page, err := s.Payables.Bills(ctx, q)
	if err != nil {
		return nil, "", err
	}
	today := viewerToday(ctx)
	rows := make([]billListRow, len(page.Bills))
	for i, b := range page.Bills {
		row := billListRow{Bill: b}
		if open := b.Open(); open > 0 {
			row.Overdue = b.DueOn.Before(today)
			row.Discount = b.DiscountOn != nil && b.DiscountAmount > 0 && !b.DiscountOn.Before(today) && b.Paid == 0
		}
		rows[i] = row
	}
	return rows, page.Next, nil
}

// isBadCursor reports whether err refuses a page position (after) the list did not give:
// a mangled or hand-made URL, which starts the list over.
func isBadCursor(err error) bool {
	errs, _ := apperr.Errors(err)
	return slices.ContainsFunc(errs, func(e *apperr.Error) bool { return slices.Equal(e.Field, []string{"after"}) })
}

func (s *server) billList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readBillFilter(r)
	rows, next, err := s.billPage(ctx, f, f.Trail.After, billPageSize)
	if isBadCursor(err) {
		f.Trail = trail{}
		rows, next, err = s.billPage(ctx, f, "", billPageSize)
	}
	if err != nil {
		return err
	}
	v := billListView{Filter: f, Rows: rows, Export: f.link(billsCSVURL, f.Tab)("", nil)}
	if !f.creditNotesOnTab() {
		if v.Count, err = s.Payables.CountBills(ctx, f.query()); err != nil {
			return err
		}
		if v.Open, err = s.Payables.OpenTotals(ctx, f.query()); err != nil {
			return err
		}
	}
	if v.Suppliers, err = s.Purchasing.Suppliers(ctx, purchasing.SupplierFilter{}); err != nil {
		return err
	}
	v.Pager = f.Trail.pager(v.Count, billPageSize, next, f.link(billsURL, f.Tab))
	return s.page(w, r, http.StatusOK, billListPage(v))
}

// billCSVColumns are the columns of the bills export.
var billCSVColumns = []string{"Supplier code", "Supplier", "Kind", "Number", "Credits bill", "Bill date", "Due date",
	"Discount date", "Discount", "Currency", "Subtotal", "Tax", "Total", "Credited", "Paid", "Open", "Status",
	"Exceptions", "Note"}

// billExportBatch is how many bills the CSV export reads from the database at a time.
const billExportBatch = payables.MaxBillsPage

// billListCSV exports every bill the list's filters select, however many: it pages
// through them and writes each batch as it comes rather than holding the whole file.
func (s *server) billListCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readBillFilter(r)
	code := ""
	if f.SupplierID != "" {
		id, _ := strconv.ParseInt(f.SupplierID, 10, 64)
		sup, err := s.Purchasing.Supplier(ctx, id)
		if err != nil {
			return err
		}
		code = sup.Code
	}
	if code == "" {
		code = "all-suppliers"
	}
	// The first batch is read before anything is sent, so a failure there (or a refusal)
	// is an error page rather than an empty file.
	rows, next, err := s.billPage(ctx, f, "", billExportBatch)
	if err != nil {
		return err
	}
	name := "bills-" + f.Tab + "-" + code + "-" + formatDate(viewerToday(ctx)) + ".csv"
	cw := startCSV(w, name)
	if err := cw.Write(billCSVColumns); err != nil {
		return s.abortCSV(ctx, err)
	}
	for {
		for _, b := range rows {
			if err := cw.Write(billCSVRow(b)); err != nil {
				return s.abortCSV(ctx, err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return s.abortCSV(ctx, err)
		}
		if next == "" {
			return nil
		}
		if rows, next, err = s.billPage(ctx, f, next, billExportBatch); err != nil {
			return s.abortCSV(ctx, err)
		}
	}
}

// billCSVRow is bill b as a row of the export, its cells safe for a spreadsheet.
func billCSVRow(b billListRow) []string {
	discountOn := ""
	if b.DiscountOn != nil {
		discountOn = formatDate(*b.DiscountOn)
	}
	var reasons []string
	for _, e := range b.Exceptions {
		reasons = append(reasons, billReasonText(e))
	}
	amt := func(n int64) string { return formatAmountInput(n, b.Currency) }
	row := []string{b.SupplierCode, b.SupplierName, billKindText(b.Kind), b.Number, b.CreditsNumber,
		formatDate(b.BillDate), formatDate(b.DueOn), discountOn, amt(b.DiscountAmount), b.Currency, amt(b.Subtotal),
		amt(b.TaxAmount), amt(b.Total), amt(b.Credited), amt(b.Paid), amt(b.Open()), billStatusText(b.Bill),
		strings.Join(reasons, "; "), b.Note}
	for i, cell := range row {
		row[i] = csvSafe(cell)
	}
	return row
}

// startCSV sends the headers of a CSV download named filename and returns a writer of
// its rows (UTF-8 with a byte order mark and CRLF line ends, as writeCSV), for an export
// too long to hold in memory.
func startCSV(w http.ResponseWriter, filename string) *csv.Writer {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, utf8BOM)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw
}

// abortCSV ends a CSV download that failed after it started: the error is logged and the
// connection cut, so the browser reports a failed download rather than keeping a file
// that silently lacks rows. A client that went away (ctx done) is not logged.
func (s *server) abortCSV(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		s.Log.ErrorContext(ctx, "CSV export failed after it started", "err", err)
	}
	panic(http.ErrAbortHandler)
}

// Bill entry.

// billForm is the entry form as typed: posted, or in the query string when the form is
// shown again for another supplier or bill to credit (HTMX, or a plain GET without
// JavaScript).
type billForm struct {
	Supplier, Credits                            string
	Number, BillDate, Currency, Tax, Total, Note string
	// Loaded is which lines the form shows (supplier/credited bill): when either changes,
	// the lines are proposed afresh.
	Loaded  string
	Rows    []billFormRow
	Charges []billCharge
}

// billFormRow is a purchase order line on the form; a row with no quantity is not billed.
type billFormRow struct{ OrderLine, Qty, Price string }

// billCharge is a charge not on an order (freight, handling); an empty row is left out.
type billCharge struct{ Description, Qty, Price string }

func readBillForm(v url.Values) billForm {
	trim := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := billForm{Supplier: trim("supplier"), Credits: trim("credits"), Number: trim("number"), BillDate: trim("billDate"),
		Currency: strings.ToUpper(trim("currency")), Tax: trim("taxAmount"), Total: trim("total"), Note: v.Get("note"),
		Loaded: trim("loaded")}
	at := func(vs []string, i int) string {
		if i < len(vs) {
			return strings.TrimSpace(vs[i])
		}
		return ""
	}
	for i, id := range v["row_line"] {
		f.Rows = append(f.Rows, billFormRow{OrderLine: strings.TrimSpace(id), Qty: at(v["row_qty"], i), Price: at(v["row_price"], i)})
	}
	for i, d := range v["charge_desc"] {
		f.Charges = append(f.Charges, billCharge{Description: strings.TrimSpace(d), Qty: at(v["charge_qty"], i),
			Price: at(v["charge_price"], i)})
	}
	return f
}

func (f billForm) key() string { return f.Supplier + "/" + f.Credits }

func (f billForm) supplierID() int64 {
	id, _ := strconv.ParseInt(f.Supplier, 10, 64)
	return max(id, 0)
}

func (f billForm) creditsID() int64 {
	id, _ := strconv.ParseInt(f.Credits, 10, 64)
	return max(id, 0)
}

// billed reports whether the row is on the bill: it has a quantity other than 0.
func (r billFormRow) billed() bool { return r.Qty != "" && r.Qty != "0" }

func (c billCharge) blank() bool { return c.Description == "" && c.Qty == "" && c.Price == "" }

// input turns the form into the service's input; what cannot be read goes to errs on
// the form's own paths (rows.<i>.*, charges.<i>.*). pathOf maps the input's lines back to
// the form's rows.
func (f billForm) input(errs *apperr.List) (in payables.BillInput, pathOf []string) {
	in.Number, in.Currency, in.Note = f.Number, f.Currency, strings.TrimSpace(f.Note)
	if id := optInt64(errs, "supplierId", f.Supplier); id != nil {
		in.SupplierID = *id
	}
	if id := optInt64(errs, "creditsBillId", f.Credits); id != nil {
		in.CreditsBillID = *id
	}
	if d := optDate(errs, "billDate", f.BillDate); d != nil {
		in.BillDate = *d
	}
	if f.Tax == "" {
		*errs = append(*errs, apperr.Invalid("taxAmount", "enter the tax as printed on the document (0 when there is none)"))
	} else {
		in.TaxAmount = amount(errs, "taxAmount", f.Tax, f.Currency)
	}
	if f.Total != "" {
		in.Total = amount(errs, "total", f.Total, f.Currency)
	}
	price := func(path, s string) decimal.Decimal {
		if s == "" {
			*errs = append(*errs, apperr.Invalid(path, "enter the unit price as printed"))
			return decimal.Zero
		}
		p, ok := parseCost(s, f.Currency)
		if !ok {
			*errs = append(*errs, apperr.Invalid(path, "enter a price such as 125.50 (up to four decimals)"))
		}
		return p
	}
	for i, r := range f.Rows {
		if !r.billed() {
			continue
		}
		p := "rows." + strconv.Itoa(i)
		l := payables.BillLineInput{Quantity: wholeNumber(errs, p+".quantity", r.Qty), UnitPrice: price(p+".unitPrice", r.Price)}
		if id := optInt64(errs, p+".orderLineId", r.OrderLine); id != nil {
			l.OrderLineID = *id
		}
		in.Lines = append(in.Lines, l)
		pathOf = append(pathOf, p)
	}
	for i, c := range f.Charges {
		if c.blank() {
			continue
		}
		p := "charges." + strconv.Itoa(i)
		l := payables.BillLineInput{Description: c.Description, Quantity: 1, UnitPrice: price(p+".unitPrice", c.Price)}
		if c.Qty != "" {
			l.Quantity = wholeNumber(errs, p+".quantity", c.Qty)
		}
		in.Lines = append(in.Lines, l)
		pathOf = append(pathOf, p)
	}
	return in, pathOf
}

// placeLines moves err's lines.<i>.* fields onto the form's rows.
func placeLines(err error, pathOf []string) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	out := make(apperr.List, len(errs))
	for k, e := range errs {
		c := *e
		if len(c.Field) >= 2 && c.Field[0] == "lines" {
			if i, err := strconv.Atoi(c.Field[1]); err == nil && i >= 0 && i < len(pathOf) {
				c.Field = append(strings.Split(pathOf[i], "."), c.Field[2:]...)
			}
		}
		out[k] = &c
	}
	return out
}

// shows reports whether the form displays the field at path.
func (f billForm) shows(path string) bool {
	if fieldSet("supplierId", "creditsBillId", "number", "billDate", "currency", "taxAmount", "total", "note", "lines")(path) {
		return true
	}
	parts := strings.Split(path, ".")
	if len(parts) != 3 {
		return false
	}
	i, err := strconv.Atoi(parts[1])
	if err != nil || i < 0 {
		return false
	}
	switch parts[0] {
	case "rows":
		return i < len(f.Rows) && (parts[2] == "orderLineId" || parts[2] == "quantity" || parts[2] == "unitPrice")
	case "charges":
		return i < len(f.Charges) && (parts[2] == "description" || parts[2] == "quantity" || parts[2] == "unitPrice")
	}
	return false
}

// billEditor is the entry page.
type billEditor struct {
	Form      billForm
	Errors    formErrors
	Suppliers []purchasing.Supplier
	// Supplier is the chosen supplier (nil before one is chosen).
	Supplier *purchasing.Supplier
	// Credited is the bill a credit note reduces (nil for a bill); Creditable the
	// supplier's bills a credit note may reduce.
	Credited   *payables.Bill
	Creditable []payables.Bill
	// CreditableMore says older bills of the supplier are not offered in Creditable.
	CreditableMore bool
	Rows           []billEntryRow
	// Duplicate is the bill already entered under the number typed, when refused.
	Duplicate *payables.Bill
	// Reloaded says the form was sent with another supplier or bill to credit than its
	// lines were for: it was not saved, and the lines are proposed again to check.
	Reloaded bool
}

// maxCreditable bounds the bills offered to credit: the supplier's most recent ones.
const maxCreditable = 200

// creditableStatuses are those of the bills a credit note may reduce: any but rejected.
var creditableStatuses = []payables.Status{payables.Matched, payables.Exception, payables.Accepted,
	payables.CreditRequested, payables.Approved, payables.PartiallyPaid, payables.Paid}

// billEntryRow is a form row with its order line.
type billEntryRow struct {
	Index int
	billFormRow
	// Line is the order line (OrderLineID 0 when it is not one of the supplier's).
	Line payables.BillableLine
	// CreditedQty and CreditedPrice are the credited bill's line, for a credit note.
	CreditedQty   int
	CreditedPrice decimal.Decimal
	// Amount is quantity × price as typed ("" when either cannot be read).
	Amount string
}

// Title is the page's heading.
func (e billEditor) Title() string {
	if e.Credited != nil {
		return "Enter a credit note"
	}
	return "Enter a bill"
}

// IsCredit reports whether the form enters a credit note.
func (e billEditor) IsCredit() bool { return e.Credited != nil }

// Currency is the currency amounts are typed in.
func (e billEditor) Currency() string { return e.Form.Currency }

// Sums compares what the lines typed add up to with the document's tax and total.
func (e billEditor) Sums() billSumsView { return sumsOf(e.Form) }

// billSumsView is what the lines typed add up to (LinesTotal, minor units of Currency)
// beside the tax and total typed, for checking the form against the document.
type billSumsView struct {
	Currency, Tax, Total string
	LinesTotal           int64
}

func sumsOf(f billForm) billSumsView {
	v := billSumsView{Currency: f.Currency, Tax: f.Tax, Total: f.Total}
	for _, r := range f.Rows {
		if r.billed() {
			if a, ok := lineAmountOf(r.Qty, r.Price, f.Currency); ok {
				v.LinesTotal += a
			}
		}
	}
	for _, c := range f.Charges {
		if !c.blank() {
			if a, ok := lineAmountOf(cmp.Or(c.Qty, "1"), c.Price, f.Currency); ok {
				v.LinesTotal += a
			}
		}
	}
	return v
}

// lineAmountOf is qty × price as typed, in minor units of currency.
func lineAmountOf(qty, price, currency string) (int64, bool) {
	q, err := strconv.Atoi(qty)
	if err != nil || q <= 0 || q > maxWholeNumber {
		return 0, false
	}
	p, ok := parseCost(price, currency)
	if !ok || p.IsNegative() {
		return 0, false
	}
	return decimal.NewFromInt(int64(q)).Mul(p).Shift(int32(exponent(currency))).Round(0).IntPart(), true
}

// billEditor prepares the entry page for f: the supplier and the bill credited, and the
// lines, proposed afresh when the supplier or the credited bill changed since they were
// last shown (what is received and not billed at the order price, or for a credit note
// the credited bill's lines to fill in).
func (s *server) billEditor(ctx context.Context, f billForm, fe formErrors) (billEditor, error) {
	e := billEditor{Errors: fe}
	var err error
	if e.Suppliers, err = s.Purchasing.Suppliers(ctx, purchasing.SupplierFilter{ActiveOnly: true}); err != nil {
		return e, err
	}
	var problems apperr.List
	if cid := f.creditsID(); cid != 0 {
		c, err := s.Payables.Bill(ctx, cid)
		switch {
		case apperr.CodeOf(err) == apperr.CodeNotFound:
			problems = append(problems, apperr.Invalid("creditsBillId", "there is no bill %d to credit: choose one of the supplier's bills", cid))
			f.Credits = ""
		case err != nil:
			return e, err
		case f.Supplier == "":
			f.Supplier = strconv.FormatInt(c.SupplierID, 10)
			e.Credited = &c
		case c.SupplierID != f.supplierID():
			// Another supplier was chosen: the bill credited was the previous one's.
			f.Credits = ""
		default:
			e.Credited = &c
		}
	}
	if sid := f.supplierID(); sid != 0 {
		sup, err := s.Purchasing.Supplier(ctx, sid)
		switch {
		case apperr.CodeOf(err) == apperr.CodeNotFound:
			problems = append(problems, apperr.Invalid("supplierId", "there is no supplier %d: choose one from the list", sid))
			f.Supplier, f.Credits, e.Credited = "", "", nil
		case err != nil:
			return e, err
		default:
			e.Supplier = &sup
			if !slices.ContainsFunc(e.Suppliers, func(x purchasing.Supplier) bool { return x.ID == sid }) {
				e.Suppliers = append(e.Suppliers, sup)
			}
			// A bounded choice: the supplier's most recent bills not rejected. An older
			// bill is credited from its own page (Enter a credit note), which the page
			// says when bills are left out (CreditableMore).
			page, err := s.Payables.Bills(ctx, payables.BillFilter{SupplierID: sid, Kind: payables.KindBill,
				Statuses: creditableStatuses, First: maxCreditable})
			if err != nil {
				return e, err
			}
			for _, b := range page.Bills {
				if b.Total > b.Credited {
					e.Creditable = append(e.Creditable, b)
				}
			}
			e.CreditableMore = page.Next != ""
			if e.Credited != nil && !slices.ContainsFunc(e.Creditable, func(b payables.Bill) bool { return b.ID == e.Credited.ID }) {
				e.Creditable = append(e.Creditable, *e.Credited)
			}
		}
	}
	fresh := f.Loaded != f.key()
	if fresh {
		loadedSupplier, _, _ := strings.Cut(f.Loaded, "/")
		if f.Currency == "" || loadedSupplier != f.Supplier || e.Credited != nil {
			switch {
			case e.Credited != nil:
				f.Currency = e.Credited.Currency
			case e.Supplier != nil:
				f.Currency = e.Supplier.Currency
			}
		}
		f.Rows = nil
		if e.Credited != nil {
			for _, l := range e.Credited.Lines {
				if l.OrderLineID != nil {
					f.Rows = append(f.Rows, billFormRow{OrderLine: strconv.FormatInt(*l.OrderLineID, 10), Price: formatCostInput(l.UnitPrice)})
				}
			}
		}
		f.Loaded = f.key()
	}
	// The order lines the rows show, with what is ordered, received and billed.
	var keep []int64
	for _, r := range f.Rows {
		if id, err := strconv.ParseInt(r.OrderLine, 10, 64); err == nil {
			keep = append(keep, id)
		}
	}
	var lines []payables.BillableLine
	if e.Supplier != nil {
		if lines, err = s.Payables.BillableLines(ctx, e.Supplier.ID, keep...); err != nil {
			return e, err
		}
		if fresh && e.Credited == nil {
			for _, l := range lines {
				r := billFormRow{OrderLine: strconv.FormatInt(l.OrderLineID, 10), Price: formatCostInput(l.UnitCost)}
				if n := l.Unbilled(); n > 0 {
					r.Qty = strconv.Itoa(n)
				}
				f.Rows = append(f.Rows, r)
			}
		}
	}
	if len(f.Charges) == 0 {
		f.Charges = []billCharge{{}}
	}
	for i, r := range f.Rows {
		row := billEntryRow{Index: i, billFormRow: r}
		id, _ := strconv.ParseInt(r.OrderLine, 10, 64)
		if j := slices.IndexFunc(lines, func(l payables.BillableLine) bool { return l.OrderLineID == id }); j >= 0 {
			row.Line = lines[j]
		}
		if e.Credited != nil {
			for _, l := range e.Credited.Lines {
				if l.OrderLineID != nil && *l.OrderLineID == id {
					row.CreditedQty, row.CreditedPrice = l.Quantity, l.UnitPrice
					break
				}
			}
		}
		if r.billed() {
			if a, ok := lineAmountOf(r.Qty, r.Price, f.Currency); ok {
				row.Amount = formatMoney(a, f.Currency)
			}
		}
		e.Rows = append(e.Rows, row)
	}
	e.Form = f
	if e.Errors.Empty() && len(problems) > 0 {
		e.Errors = newFormErrors(problems, f.shows)
	}
	return e, nil
}

// billNew is the entry page, also shown again (HTMX or a plain GET) with what was typed
// when the supplier or the bill credited changes, or a charge row is added.
func (s *server) billNew(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := readBillForm(q)
	if f.Loaded == "" && f.BillDate == "" {
		f.BillDate = time.Now().In(viewOf(r.Context()).Zone()).Format(time.DateOnly)
	}
	if htmxTarget(r) == "bill-sums" {
		return s.fragment(w, r, http.StatusOK, billSums(sumsOf(f)))
	}
	f.Charges = chargeOp(q.Get("op"), f.Charges)
	e, err := s.billEditor(r.Context(), f, formErrors{})
	if err != nil {
		return err
	}
	if htmxTarget(r) == "bill-form" {
		return s.fragment(w, r, http.StatusOK, billEntryForm(e))
	}
	return s.page(w, r, http.StatusOK, billEntryPage(e))
}

// chargeOp applies a charge row's add or remove button (sent without JavaScript, or by
// HTMX for add) to charges.
func chargeOp(op string, charges []billCharge) []billCharge {
	switch {
	case op == "add-charge":
		return append(charges, billCharge{})
	case strings.HasPrefix(op, "remove-charge-"):
		if i, err := strconv.Atoi(strings.TrimPrefix(op, "remove-charge-")); err == nil && i >= 0 && i < len(charges) {
			return slices.Delete(charges, i, i+1)
		}
	}
	return charges
}

// billCreate enters the bill or credit note. A form whose supplier or credited bill was
// changed without its lines being shown again comes back with that supplier's lines to
// check. A number already entered is refused with a link to that bill; the same form sent
// twice (a double click) goes to the bill the first one entered.
func (s *server) billCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readBillForm(r.PostForm)
	editor := func(fe formErrors) (billEditor, error) { return s.billEditor(ctx, f, fe) }
	if op := r.PostFormValue("op"); op != "" || f.Loaded != f.key() {
		f.Charges = chargeOp(op, f.Charges)
		e, err := editor(formErrors{})
		if err != nil {
			return err
		}
		e.Reloaded = op == ""
		return s.page(w, r, http.StatusOK, billEntryPage(e))
	}
	var errs apperr.List
	in, pathOf := f.input(&errs)
	err := errs.Err()
	var b payables.Bill
	if err == nil {
		b, err = s.Payables.EnterBill(ctx, in)
		err = placeLines(err, pathOf)
	}
	var dup *payables.Bill
	if isDuplicate(err) {
		d, found, lerr := s.billNumbered(ctx, in.SupplierID, in.Number)
		if lerr != nil {
			return lerr
		}
		if found && sameSubmission(ctx, d, in) {
			return s.redirect(w, r, billURL(d.ID), enteredFlash(d))
		}
		if found {
			dup = &d
		}
	}
	if err != nil {
		return s.formFailed(w, r, err, f.shows, func(fe formErrors) (templ.Component, error) {
			e, err := editor(fe)
			e.Duplicate = dup
			return billEntryPage(e), err
		})
	}
	return s.redirect(w, r, billURL(b.ID), enteredFlash(b))
}

// isDuplicate reports whether err refuses a bill number already entered.
func isDuplicate(err error) bool {
	errs, _ := apperr.Errors(err)
	return slices.ContainsFunc(errs, func(e *apperr.Error) bool {
		return e.Code == apperr.CodeConflict && e.Reason == "DUPLICATE"
	})
}

func enteredFlash(b payables.Bill) string {
	if b.Kind == payables.KindCreditNote {
		return flashCreditNoteEntered
	}
	return flashBillEntered
}

// billNumbered finds supplierID's bill numbered number (whatever its case).
func (s *server) billNumbered(ctx context.Context, supplierID int64, number string) (payables.Bill, bool, error) {
	// A number is unique per supplier: one bill at most.
	page, err := s.Payables.Bills(ctx, payables.BillFilter{SupplierID: supplierID, Number: number})
	if err != nil || len(page.Bills) == 0 {
		return payables.Bill{}, false, err
	}
	b, err := s.Payables.Bill(ctx, page.Bills[0].ID) // with its lines
	return b, err == nil, err
}

// doubleSubmitWindow is how recent a bill entered by the same person with the same
// content must be for a refused duplicate to count as the same form sent twice.
const doubleSubmitWindow = 10 * time.Minute

// sameSubmission reports whether b is what in would have entered, by the viewer, a
// moment ago: the form was sent twice.
func sameSubmission(ctx context.Context, b payables.Bill, in payables.BillInput) bool {
	a := actor.From(ctx)
	return b.EnteredBy != nil && *b.EnteredBy == a.ID && time.Since(b.CreatedAt) < doubleSubmitWindow &&
		b.Total == in.Total && b.TaxAmount == in.TaxAmount && len(b.Lines) == len(in.Lines) &&
		formatDate(b.BillDate) == formatDate(in.BillDate) && (b.CreditsBillID == nil) == (in.CreditsBillID == 0)
}

// Import.

// billImportView is the import page: the form, the problems of a refused import, or the
// bills just imported.
type billImportView struct {
	// Text is the CSV pasted (or the uploaded file's text) of a refused import.
	Text     string
	Problems []payables.RowError
	// Error is a problem with the request itself (nothing sent).
	Error    string
	Imported []payables.Bill
	// More counts the imported bills not listed.
	More int
}

// ToResolve counts the imported bills whose match found a difference.
func (v billImportView) ToResolve() int {
	n := 0
	for _, b := range v.Imported {
		if b.Kind == payables.KindBill && b.Status != payables.Matched {
			n++
		}
	}
	return n
}

func (s *server) billImportPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var v billImportView
	ids := strings.Split(r.URL.Query().Get("imported"), ",")
	for i, raw := range ids {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		if i >= maxImportedShown {
			v.More = len(ids) - maxImportedShown
			break
		}
		b, err := s.Payables.Bill(ctx, id)
		if apperr.CodeOf(err) == apperr.CodeNotFound {
			continue
		}
		if err != nil {
			return err
		}
		v.Imported = append(v.Imported, b)
	}
	return s.page(w, r, http.StatusOK, billImportPage(v))
}

// billImport imports the uploaded or pasted CSV: all of it or, when any row is wrong,
// nothing, with every problem listed and the text kept to correct.
func (s *server) billImport(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes+64<<10)
	var v billImportView
	data, err := importedCSV(r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			v.Error = fmt.Sprintf("The file is larger than %d MB: split it into smaller files.", maxImportBytes>>20)
			return s.page(w, r, http.StatusRequestEntityTooLarge, billImportPage(v))
		}
		return err
	}
	if utf8.Valid(data) {
		v.Text = string(data)
	} else {
		v.Error = "The file is not UTF-8 text: save it from the spreadsheet as \"CSV UTF-8\" and import it again."
		return s.page(w, r, http.StatusUnprocessableEntity, billImportPage(v))
	}
	if strings.TrimSpace(v.Text) == "" {
		v.Error = "Choose a CSV file or paste the CSV text, starting with its header row."
		return s.page(w, r, http.StatusUnprocessableEntity, billImportPage(v))
	}
	bills, err := s.Payables.ImportBills(r.Context(), bytes.NewReader(data))
	var ie *payables.ImportError
	if errors.As(err, &ie) {
		v.Problems = ie.Rows
		return s.page(w, r, http.StatusUnprocessableEntity, billImportPage(v))
	}
	if err != nil {
		return err
	}
	ids := make([]string, len(bills))
	for i, b := range bills {
		ids[i] = strconv.FormatInt(b.ID, 10)
	}
	return s.redirect(w, r, billImportURL+"?imported="+strings.Join(ids, ","), flashBillsImported)
}

// importedCSV is the uploaded file of a multipart form, else the pasted text.
func importedCSV(r *http.Request) ([]byte, error) {
	err := r.ParseMultipartForm(1 << 20)
	if errors.Is(err, http.ErrNotMultipart) {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, apperr.Invalid("", "the form could not be read; reload the page and try again")
	}
	if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		data, err := io.ReadAll(io.LimitReader(file, maxImportBytes+1))
		if err != nil {
			return nil, err
		}
		if len(data) > maxImportBytes {
			return nil, &http.MaxBytesError{Limit: maxImportBytes}
		}
		if len(bytes.TrimSpace(data)) > 0 {
			return data, nil
		}
	}
	return []byte(r.PostFormValue("csv")), nil
}

// billImportTemplateCSV is an empty import with its header and one example line.
func (s *server) billImportTemplateCSV(w http.ResponseWriter, r *http.Request) error {
	example := map[string]string{"supplier_code": "SUP-001", "bill_number": "INV-2026-0412",
		"bill_date": time.Now().In(viewOf(r.Context()).Zone()).Format(time.DateOnly), "currency": "TWD",
		"tax_amount": "525", "total": "11025", "po_number": "PO-000042", "sku": "FG-1", "quantity": "10",
		"unit_price": "1050"}
	row := make([]string, len(payables.CSVColumns))
	for i, c := range payables.CSVColumns {
		row[i] = example[c]
	}
	return writeCSV(w, "bill-import-template.csv", payables.CSVColumns, [][]string{row})
}
