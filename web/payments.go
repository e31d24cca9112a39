package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"atrium/internal/apperr"
	"atrium/internal/payables"
	"atrium/internal/purchasing"
)

// Payment runs and supplier ledgers. The accountant picks the pay date, the date up to
// which due bills are paid and optionally one supplier; the proposal (the bills the run
// pays, with discounts and totals, and the due bills held because they are not approved)
// follows the form as it changes (HTMX; a Preview button without JavaScript). "Pay N
// bills" posts the proposal's fingerprint with an idempotency key made when the proposal
// was shown: a double click or a retry pays once, and a proposal that changed meanwhile is
// shown again rather than paid. The run page groups the payments by supplier with a
// remittance advice PDF for each.

func paymentRunURL(id int64) string { return paymentRunsURL + "/" + strconv.FormatInt(id, 10) }

func remittanceURL(runID, supplierID int64) string {
	return paymentRunURL(runID) + "/remittance/" + strconv.FormatInt(supplierID, 10)
}

// supplierLedgerURL is a supplier's account with us: bills, credit notes and payments.
func supplierLedgerURL(id int64) string {
	return "/admin/payables/suppliers/" + strconv.FormatInt(id, 10)
}

// paymentRunsForSupplierURL opens the payment run screen for one supplier.
func paymentRunsForSupplierURL(id int64) string {
	return paymentRunsURL + "?supplier=" + strconv.FormatInt(id, 10)
}

// paymentRunForm is a run's input as typed.
type paymentRunForm struct {
	PayDate, DueBy, Supplier string
	// Key and Fingerprint are posted with "Pay": the run's idempotency key and the
	// proposal it confirms.
	Key, Fingerprint string
}

var paymentRunFields = fieldSet("payDate", "dueBy", "supplierId")

// readPaymentRunForm reads the form from v; missing dates default to today and a week
// from today in the viewer's time zone.
func readPaymentRunForm(v url.Values, zone *time.Location) paymentRunForm {
	f := paymentRunForm{PayDate: strings.TrimSpace(v.Get("payDate")), DueBy: strings.TrimSpace(v.Get("dueBy")),
		Supplier: strings.TrimSpace(v.Get("supplier")), Key: v.Get("idempotencyKey"), Fingerprint: v.Get("fingerprint")}
	today := time.Now().In(zone)
	if !v.Has("payDate") {
		f.PayDate = formatDate(today)
	}
	if !v.Has("dueBy") {
		f.DueBy = formatDate(today.AddDate(0, 0, 7))
	}
	return f
}

// input decodes the form into a run's input; errs gets what is not a date or a supplier.
func (f paymentRunForm) input(errs *apperr.List) payables.PaymentRunInput {
	in := payables.PaymentRunInput{IdempotencyKey: f.Key, Fingerprint: f.Fingerprint}
	if d := optDate(errs, "payDate", f.PayDate); d != nil {
		in.PayDate = *d
	}
	if d := optDate(errs, "dueBy", f.DueBy); d != nil {
		in.DueBy = *d
	}
	if f.Supplier != "" {
		id, err := strconv.ParseInt(f.Supplier, 10, 64)
		if err != nil || id <= 0 {
			*errs = append(*errs, apperr.Invalid("supplierId", "choose a supplier from the list, or all suppliers"))
		}
		in.SupplierID = id
	}
	return in
}

// query is the form as a preview's query string.
func (f paymentRunForm) query() url.Values {
	return url.Values{"payDate": {f.PayDate}, "dueBy": {f.DueBy}, "supplier": {f.Supplier}}
}

// paymentRunsView is the payment run screen: the form, its proposal and the past runs.
type paymentRunsView struct {
	Form      paymentRunForm
	Errors    formErrors
	Suppliers []purchasing.Supplier
	// Proposal is nil while the form has errors.
	Proposal *payables.Proposal
	Runs     []payables.PaymentRun
	Pager    pager
}

// SupplierName is the name of the supplier chosen in the form ("" for all).
func (v paymentRunsView) SupplierName() string {
	for _, s := range v.Suppliers {
		if strconv.FormatInt(s.ID, 10) == v.Form.Supplier {
			return s.Name
		}
	}
	return ""
}

const paymentRunPageSize = 20

// paymentRunsView proposes the run f asks for (fe: errors of a failed post, shown instead
// of the proposal's own) and lists the past runs at the paging position in q.
func (s *server) paymentRunsView(r *http.Request, f paymentRunForm, fe formErrors, q url.Values) (paymentRunsView, error) {
	ctx := r.Context()
	v := paymentRunsView{Form: f, Errors: fe}
	var err error
	if v.Suppliers, err = s.Purchasing.Suppliers(ctx, purchasing.SupplierFilter{}); err != nil {
		return v, err
	}
	var errs apperr.List
	in := f.input(&errs)
	if err = errs.Err(); err == nil {
		var p payables.Proposal
		if p, err = s.Payables.ProposePaymentRun(ctx, in); err == nil {
			v.Proposal = &p
			v.Form.Fingerprint = p.Fingerprint()
		}
	}
	if err != nil {
		errs, ok := apperr.Errors(err)
		if !ok {
			return v, err
		}
		for _, e := range errs {
			if e.Code != apperr.CodeInvalid {
				return v, err
			}
		}
		if v.Errors.Empty() {
			v.Errors = newFormErrors(errs, paymentRunFields)
		}
	}
	if v.Form.Key == "" {
		v.Form.Key = newIdempotencyKey()
	}
	if q != nil {
		t := readTrail(q)
		after, _ := strconv.ParseInt(t.After, 10, 64)
		page, err := s.Payables.PaymentRuns(ctx, payables.PaymentRunFilter{After: after, First: paymentRunPageSize})
		if err != nil {
			return v, err
		}
		next := ""
		if page.Next != 0 {
			next = strconv.FormatInt(page.Next, 10)
		}
		v.Runs = page.Runs
		v.Pager = t.pager(-1, paymentRunPageSize, next, func(after string, prev []string) string {
			return listURL(paymentRunsURL, f.query(), after, prev)
		})
	}
	return v, nil
}

// paymentRuns is the payment run screen; asked by HTMX for #payment-run, only the form
// and its proposal.
func (s *server) paymentRuns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := readPaymentRunForm(q, viewOf(r.Context()).Zone())
	f.Key = "" // a key is made for each proposal shown, never taken from a link
	if htmxTarget(r) == "payment-run" {
		v, err := s.paymentRunsView(r, f, formErrors{}, nil)
		if err != nil {
			return err
		}
		return s.fragment(w, r, http.StatusOK, paymentRunBody(v))
	}
	v, err := s.paymentRunsView(r, f, formErrors{}, q)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, paymentRunsPage(v))
}

// paymentRunCreate pays the proposal confirmed. Refused (a date, a proposal that changed
// since it was shown), the screen comes back with the reason, the dates as typed and the
// proposal as it is now.
func (s *server) paymentRunCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readPaymentRunForm(r.PostForm, viewOf(r.Context()).Zone())
	var errs apperr.List
	in := f.input(&errs)
	err := errs.Err()
	var run payables.PaymentRun
	if err == nil {
		run, err = s.Payables.RunPayments(r.Context(), in)
	}
	if err != nil {
		f.Key = keyAfter(f.Key, err)
		return s.formFailed(w, r, err, paymentRunFields, func(fe formErrors) (templ.Component, error) {
			v, err := s.paymentRunsView(r, f, fe, url.Values{})
			if err != nil {
				return nil, err
			}
			return paymentRunsPage(v), nil
		})
	}
	return s.redirect(w, r, paymentRunURL(run.ID), flashPaymentRunDone)
}

// paymentRunShow is one run: its payments by supplier, with their remittance advices.
func (s *server) paymentRunShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := s.Payables.PaymentRun(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, paymentRunPage(run))
}

// unsafeFileChars are the characters left out of a download's file name.
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// remittancePDF serves the remittance advice of a run for one supplier.
func (s *server) remittancePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	supplierID, err := strconv.ParseInt(r.PathValue("supplier"), 10, 64)
	if err != nil || supplierID <= 0 {
		return apperr.NotFound("")
	}
	ctx := r.Context()
	doc, err := s.Payables.RemittancePDF(ctx, id, supplierID)
	if err != nil {
		return err
	}
	name := "remittance-RUN-" + strconv.FormatInt(id, 10)
	if sup, err := s.Purchasing.Supplier(ctx, supplierID); err == nil {
		name += "-" + strings.Trim(unsafeFileChars.ReplaceAllString(sup.Code, "-"), "-")
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(doc)
	return err
}

// supplierLedgerView is a supplier's account: the ledger with its running balance, the
// bills still open and the recent runs that paid the supplier.
type supplierLedgerView struct {
	Supplier purchasing.Supplier
	Ledger   payables.Ledger
	Open     []payables.Bill
	Runs     []payables.PaymentRun
}

// OpenTotal is what the open bills still owe.
func (v supplierLedgerView) OpenTotal() int64 {
	var n int64
	for _, b := range v.Open {
		n += b.Open()
	}
	return n
}

func (s *server) supplierLedger(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v := supplierLedgerView{}
	if v.Ledger, err = s.Payables.SupplierLedger(ctx, id); err != nil {
		return err
	}
	if v.Supplier, err = s.Purchasing.Supplier(ctx, id); err != nil {
		return err
	}
	// Every open bill, page after page: the list and its total are what the supplier is
	// owed, so none may be left out (a supplier's unpaid bills are some dozens, not years).
	q := payables.BillFilter{SupplierID: id, Kind: payables.KindBill, First: payables.MaxBillsPage,
		Statuses: []payables.Status{payables.Matched, payables.Exception, payables.Accepted, payables.CreditRequested,
			payables.Approved, payables.PartiallyPaid}}
	for {
		page, err := s.Payables.Bills(ctx, q)
		if err != nil {
			return err
		}
		for _, b := range page.Bills {
			if b.Open() > 0 {
				v.Open = append(v.Open, b)
			}
		}
		if q.After = page.Next; q.After == "" {
			break
		}
	}
	// Oldest due first: what to pay next is on top.
	slices.SortStableFunc(v.Open, func(a, b payables.Bill) int { return a.DueOn.Compare(b.DueOn) })
	page, err := s.Payables.PaymentRuns(ctx, payables.PaymentRunFilter{SupplierID: id, First: 10})
	if err != nil {
		return err
	}
	v.Runs = page.Runs
	return s.page(w, r, http.StatusOK, supplierLedgerPage(v))
}

// runBillCount is how many bills a run paid, whatever their currency.
func runBillCount(ts []payables.RunTotal) int {
	n := 0
	for _, t := range ts {
		n += t.Bills
	}
	return n
}

// paymentBillCount is "1 bill", "12 bills".
func paymentBillCount(n int) string {
	if n == 1 {
		return "1 bill"
	}
	return formatCount(n) + " bills"
}
