package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/location"
	"atrium/internal/purchasing"
)

// Requests for quotation: a buyer asks several suppliers for the same lines (looked up by
// SKU or barcode as typed or scanned), enters each supplier's answer on the request's
// page, where the answers are compared side by side with the best offer per line marked,
// and awards one answer, which becomes a draft purchase order. The service emails the
// request to every supplier asked that has an address (notifications outbox).

const (
	quotationsURL    = "/admin/purchasing/quotations"
	quotationLineURL = "/admin/purchasing/quotations/line"
)

// Flash messages of the quotation pages.
const (
	flashRFQCreated   = "rfq-created"
	flashQuoteSaved   = "rfq-quote-saved"
	flashRFQAwarded   = "rfq-awarded"
	flashRFQCancelled = "rfq-cancelled"
)

// rfqForm is a new request as typed.
type rfqForm struct {
	Location, NeededBy, Note string
	Suppliers                []string
	Lines                    []rfqLine
}

// rfqLine is a row of the request's line editor: code and quantity as typed, and the
// variant the code is (nil when nothing matched).
type rfqLine struct {
	Index     int
	Code, Qty string
	SKU       string
	Title     string
	Found     bool
}

func (l rfqLine) blank() bool { return l.Code == "" && l.Qty == "" }

func readRFQForm(v url.Values) rfqForm {
	f := rfqForm{Location: strings.TrimSpace(v.Get("locationId")), NeededBy: strings.TrimSpace(v.Get("neededBy")),
		Note: v.Get("note"), Suppliers: v["supplierId"]}
	qtys := v["line_qty"]
	for i, code := range v["line_code"] {
		l := rfqLine{Index: i, Code: strings.TrimSpace(code)}
		if i < len(qtys) {
			l.Qty = strings.TrimSpace(qtys[i])
		}
		f.Lines = append(f.Lines, l)
	}
	return f
}

// chose reports whether supplier id is ticked.
func (f rfqForm) chose(id int64) bool { return slices.Contains(f.Suppliers, strconv.FormatInt(id, 10)) }

// input turns the form into the service's input; rowOf maps its lines back to the rows.
func (f rfqForm) input(errs *apperr.List) (in purchasing.RFQInput, rowOf []int) {
	in.Note = f.Note
	if id := optInt64(errs, "locationId", f.Location); id != nil {
		in.LocationID = *id
	}
	in.NeededBy = optDate(errs, "neededBy", f.NeededBy)
	for _, s := range f.Suppliers {
		if id := optInt64(errs, "supplierIds", s); id != nil {
			in.SupplierIDs = append(in.SupplierIDs, *id)
		}
	}
	for i, l := range f.Lines {
		if l.blank() {
			continue
		}
		line := purchasing.RFQLineInput{Code: l.Code}
		if l.Code == "" {
			*errs = append(*errs, apperr.Invalid(linePath(i, "variantId"), "scan or type the SKU or barcode"))
		}
		line.Quantity = wholeNumber(errs, linePath(i, "quantity"), l.Qty)
		in.Lines = append(in.Lines, line)
		rowOf = append(rowOf, i)
	}
	return in, rowOf
}

// shows reports whether the request form displays the field at path.
func (f rfqForm) shows(path string) bool {
	if fieldSet("locationId", "neededBy", "note", "supplierIds", "lines")(path) {
		return true
	}
	i, field, ok := splitLinePath(path)
	return ok && i < len(f.Lines) && (field == "variantId" || field == "quantity")
}

// splitLinePath splits "lines.3.quantity".
func splitLinePath(path string) (int, string, bool) {
	parts := strings.Split(path, ".")
	if len(parts) != 3 || parts[0] != "lines" {
		return 0, "", false
	}
	i, err := strconv.Atoi(parts[1])
	return i, parts[2], err == nil && i >= 0
}

// rfqEditor is the new request page.
type rfqEditor struct {
	Form      rfqForm
	Errors    formErrors
	Suppliers []purchasing.Supplier
	Locations []location.Location
}

func (s *server) rfqEditor(ctx context.Context, f rfqForm, fe formErrors) (rfqEditor, error) {
	e := rfqEditor{Form: f, Errors: fe}
	var err error
	if e.Suppliers, err = s.Purchasing.Suppliers(ctx, purchasing.SupplierFilter{ActiveOnly: true}); err != nil {
		return e, err
	}
	ix, err := s.locationIndex(ctx)
	if err != nil {
		return e, err
	}
	e.Locations = ix.ActiveLocations()
	for i := range e.Form.Lines {
		e.Form.Lines[i].Index = i
		if err := s.lookupRFQLine(ctx, &e.Form.Lines[i]); err != nil {
			return e, err
		}
	}
	return e, nil
}

// lookupRFQLine finds the variant l's code names (nothing when it names none).
func (s *server) lookupRFQLine(ctx context.Context, l *rfqLine) error {
	l.Found, l.SKU, l.Title = false, "", ""
	if l.Code == "" {
		return nil
	}
	v, err := s.variantByCode(ctx, l.Code)
	if apperr.CodeOf(err) == apperr.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	l.Found, l.SKU, l.Title = true, v.SKU, v.Title
	return nil
}

func (s *server) rfqNew(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := rfqForm{Lines: []rfqLine{{}}}
	if home := actor.From(ctx).HomeLocationID; home != nil {
		f.Location = strconv.FormatInt(*home, 10)
	} else if ls, err := s.Locations.List(ctx, location.Filter{}); err == nil {
		for _, l := range ls {
			if l.Kind == location.Warehouse {
				f.Location = strconv.FormatInt(l.ID, 10)
				break
			}
		}
	} else {
		return err
	}
	e, err := s.rfqEditor(ctx, f, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, rfqNewPage(e))
}

// rfqLineLookup looks one line up as it is typed or scanned (HTMX), or returns a blank
// line to add (with the next free index after those in line_index).
func (s *server) rfqLineLookup(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	l := rfqLine{Code: strings.TrimSpace(q.Get("line_code")), Qty: strings.TrimSpace(q.Get("line_qty"))}
	if q.Has("line_code") {
		l.Index, _ = strconv.Atoi(q.Get("line_index"))
	} else {
		for _, i := range q["line_index"] {
			if n, err := strconv.Atoi(i); err == nil && n >= l.Index {
				l.Index = n + 1
			}
		}
	}
	if err := s.lookupRFQLine(r.Context(), &l); err != nil {
		return err
	}
	var errs apperr.List
	if l.Code != "" && !l.Found {
		errs = append(errs, apperr.Invalid(linePath(l.Index, "variantId"), "no variant has the SKU or barcode %s", l.Code))
	}
	return s.fragment(w, r, http.StatusOK, rfqLineFields(l, newFormErrors(errs, func(string) bool { return true })))
}

func (s *server) rfqCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readRFQForm(r.PostForm)
	editor := func(fe formErrors) (templ.Component, error) {
		e, err := s.rfqEditor(ctx, f, fe)
		if err != nil {
			return nil, err
		}
		return rfqNewPage(e), nil
	}
	// Without JavaScript the line editor's buttons post here: add or remove a line.
	if lines, ok := lineEditOp(r, f.Lines); ok {
		f.Lines = lines
		c, err := editor(formErrors{})
		if err != nil {
			return err
		}
		return s.page(w, r, http.StatusOK, c)
	}
	var errs apperr.List
	in, rowOf := f.input(&errs)
	if len(errs) > 0 {
		// The form is not sent to the service: say at once what it would say too.
		if len(f.Suppliers) == 0 {
			errs = append(errs, apperr.Invalid("supplierIds", "choose the suppliers to ask (several, to compare their answers)"))
		}
		for i := range f.Lines {
			l := &f.Lines[i]
			if l.Code == "" {
				continue
			}
			if err := s.lookupRFQLine(ctx, l); err != nil {
				return err
			}
			if !l.Found {
				errs = append(errs, apperr.Invalid(linePath(i, "variantId"), "no variant has the SKU or barcode %s", l.Code))
			}
		}
	}
	err := errs.Err()
	var rfq purchasing.RFQ
	if err == nil {
		rfq, err = s.Purchasing.CreateRFQ(ctx, in)
		err = renumberLines(err, rowOf)
	}
	if err != nil {
		return s.formFailed(w, r, err, f.shows, editor)
	}
	return s.redirect(w, r, quotationURL(rfq.ID), flashRFQCreated)
}

// quotationView is a request's page: the answers compared, and what the viewer may do.
type quotationView struct {
	purchasing.Comparison
	CanAct bool
	// failedForm names the form whose submission failed ("quote-<supplier id>", "award",
	// "cancel"), shown again with its errors and what was typed.
	failedForm
}

func quoteForm(supplierID int64) string { return "quote-" + strconv.FormatInt(supplierID, 10) }

// quoteValue is what a field of sup's answer form shows: what was typed when it failed,
// else the answer entered so far.
func (v quotationView) quoteValue(sup purchasing.RFQSupplier, name string) string {
	if form := quoteForm(sup.SupplierID); v.Failed == form {
		return v.Typed.Get(name)
	}
	q := sup.Quote
	if q == nil {
		return ""
	}
	switch name {
	case "validUntil":
		return dateInput(q.ValidUntil)
	case "leadTimeDays":
		return formatOptInt(q.LeadTimeDays)
	case "note":
		return q.Note
	}
	for _, l := range q.Lines {
		id := strconv.FormatInt(l.VariantID, 10)
		switch name {
		case "cost_" + id:
			return formatCostInput(l.UnitCost)
		case "qty_" + id:
			return strconv.Itoa(l.Quantity)
		}
	}
	return ""
}

// canAward reports whether t's answer may be awarded now.
func (v quotationView) canAward(t purchasing.SupplierTotal) bool {
	return v.CanAct && v.RFQ.Status == purchasing.RFQOpen && t.Answered && !t.Expired
}

// anyAwardable reports whether some answer may be awarded now.
func (v quotationView) anyAwardable() bool {
	return slices.ContainsFunc(v.Totals, v.canAward)
}

func (s *server) quotationView(ctx context.Context, id int64) (quotationView, error) {
	c, err := s.Purchasing.CompareQuotes(ctx, id)
	if err != nil {
		return quotationView{}, err
	}
	return quotationView{Comparison: c, CanAct: canBuy(actor.From(ctx)) && c.RFQ.Status == purchasing.RFQOpen}, nil
}

// quotationAction runs do for the request's form named form; invalid input shows the
// page again with the form's errors and what was typed.
func (s *server) quotationAction(w http.ResponseWriter, r *http.Request, form string, shows func(string) bool,
	do func(ctx context.Context, id int64) (string, string, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	url, flash, err := do(ctx, id)
	if err != nil {
		if form == "" {
			form = "quote-" + r.PostFormValue("supplierId")
		}
		return s.formFailed(w, r, err, shows, func(fe formErrors) (templ.Component, error) {
			v, err := s.quotationView(ctx, id)
			if err != nil {
				return nil, err
			}
			v.failedForm = failedForm{Failed: form, Errors: fe, Typed: r.PostForm}
			return quotationPage(v), nil
		})
	}
	return s.redirect(w, r, url, flash)
}

// rfqRecordQuote enters a supplier's answer: a unit cost for each line it quotes (a blank
// cost leaves the line out), optionally the quantity it offers, its lead time and how long
// the prices hold.
func (s *server) rfqRecordQuote(w http.ResponseWriter, r *http.Request) error {
	shows := func(path string) bool {
		if fieldSet("validUntil", "leadTimeDays", "note", "lines", "supplierId")(path) {
			return true
		}
		_, field, ok := splitLinePath(path)
		return ok && (field == "unitCost" || field == "quantity" || field == "variantId")
	}
	return s.quotationAction(w, r, "", shows, func(ctx context.Context, id int64) (string, string, error) {
		rfq, err := s.Purchasing.RFQ(ctx, id)
		if err != nil {
			return "", "", err
		}
		var errs apperr.List
		in := purchasing.QuoteInput{Note: r.PostFormValue("note")}
		sid := optInt64(&errs, "supplierId", r.PostFormValue("supplierId"))
		currency := ""
		if sid != nil {
			in.SupplierID = *sid
			for _, sup := range rfq.Suppliers {
				if sup.SupplierID == *sid {
					currency = sup.Currency
				}
			}
		}
		in.ValidUntil = optDate(&errs, "validUntil", r.PostFormValue("validUntil"))
		in.LeadTimeDays = optInt(&errs, "leadTimeDays", r.PostFormValue("leadTimeDays"))
		var rowOf []int
		for i, l := range rfq.Lines {
			vid := strconv.FormatInt(l.VariantID, 10)
			cost, qty := strings.TrimSpace(r.PostFormValue("cost_"+vid)), strings.TrimSpace(r.PostFormValue("qty_"+vid))
			if cost == "" {
				if qty != "" {
					errs = append(errs, apperr.Invalid(linePath(i, "unitCost"), "give the unit cost of %s, or clear the quantity to leave it out", l.SKU))
				}
				continue
			}
			line := purchasing.QuoteLineInput{VariantID: l.VariantID}
			if c := optCost(&errs, linePath(i, "unitCost"), cost, currency); c != nil {
				line.UnitCost = *c
			}
			if qty != "" {
				line.Quantity = wholeNumber(&errs, linePath(i, "quantity"), qty)
			}
			in.Lines = append(in.Lines, line)
			rowOf = append(rowOf, i)
		}
		if err := errs.Err(); err != nil {
			return "", "", err
		}
		if _, err := s.Purchasing.RecordQuote(ctx, id, in); err != nil {
			return "", "", renumberLines(err, rowOf)
		}
		return quotationURL(id) + "#comparison", flashQuoteSaved, nil
	})
}

// rfqAward turns the chosen answer into a draft purchase order and opens it.
func (s *server) rfqAward(w http.ResponseWriter, r *http.Request) error {
	return s.quotationAction(w, r, "award", fieldSet("comment"), func(ctx context.Context, id int64) (string, string, error) {
		var errs apperr.List
		sid := optInt64(&errs, "supplierId", r.PostFormValue("supplierId"))
		if sid == nil && len(errs) == 0 {
			errs = append(errs, apperr.Invalid("supplierId", "choose the answer to award"))
		}
		if err := errs.Err(); err != nil {
			return "", "", err
		}
		o, err := s.Purchasing.Award(ctx, id, *sid, r.PostFormValue("comment"))
		if apperr.CodeOf(err) == apperr.CodeConflict {
			// A repeated submit (double click, retry): the first one awarded this answer.
			if rfq, lerr := s.Purchasing.RFQ(ctx, id); lerr == nil && rfq.Status == purchasing.RFQAwarded &&
				rfq.OrderID != nil && rfq.AwardedSupplierID != nil && *rfq.AwardedSupplierID == *sid {
				return purchaseOrderURL(*rfq.OrderID), flashRFQAwarded, nil
			}
		}
		if err != nil {
			return "", "", err
		}
		return purchaseOrderURL(o.ID), flashRFQAwarded, nil
	})
}

// rfqCancel closes the request without an order, with the reason.
func (s *server) rfqCancel(w http.ResponseWriter, r *http.Request) error {
	return s.quotationAction(w, r, "cancel", fieldSet("reason"), func(ctx context.Context, id int64) (string, string, error) {
		if _, err := s.Purchasing.CancelRFQ(ctx, id, r.PostFormValue("reason")); err != nil {
			return "", "", err
		}
		return quotationURL(id), flashRFQCancelled, nil
	})
}
