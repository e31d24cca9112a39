package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/location"
	"atrium/internal/order"
	"atrium/internal/returns"
)

// The returns desk: find an order by its number (typed, or scanned from the receipt),
// choose what comes back (lines, quantities, reasons, what becomes of the goods) and how
// the money goes back, see the totals before confirming; then the returns open at a
// location, where dispositions change (HTMX) until the return is closed. Every rule is the
// returns service's; the pages only offer what the viewer may do.

const returnPageSize = 25

// canHandleReturns is who receives returns and decides what becomes of the goods
// (returns.Create, SetDisposition, Close).
func canHandleReturns(a actor.Actor) bool {
	return a.HasRole(actor.Manager, actor.Associate, actor.Fulfilment)
}

// canRefund is who gives money back (returns.Refund).
func canRefund(a actor.Actor) bool { return a.HasRole(actor.Manager, actor.Associate) }

const returnsURL = "/admin/returns"

func returnURL(id int64) string { return returnsURL + "/" + strconv.FormatInt(id, 10) }

// newReturnURL is the desk's form for the order with number.
func newReturnURL(number string) string {
	return returnsURL + "/new?" + url.Values{"order": {number}}.Encode()
}

// refundLater is the form's choice of refunding later, from the return's page.
const refundLater = "LATER"

// receiptNumber reads an order number as typed or scanned from a receipt: A-000123,
// a000123 or 000123 (the receipt's barcode holds the digits) all mean A-000123.
var receiptDigits = regexp.MustCompile(`^(?:A-?)?([0-9]{1,12})$`)

func receiptNumber(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	m := receiptDigits.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	digits := strings.TrimLeft(m[1], "0")
	if len(digits) < 6 {
		digits = strings.Repeat("0", 6-len(digits)) + digits
	}
	return "A-" + digits
}

// returnsHome is the desk's start: the order search and a location's returns.
type returnsHome struct {
	Number      string
	NumberError string
	Location    locationChoice
	Status      string
	Locations   []location.Location
	Rows        []returns.Return
	Pager       pager
	locations   locationIndex
}

// Place is the location with id.
func (h returnsHome) Place(id int64) location.Location { return h.locations.location(id) }

func (h returnsHome) url(after string, prev []string) string {
	return listURL(returnsURL, url.Values{"location": {h.Location.Raw}, "status": {h.Status}}, after, prev)
}

func (s *server) returnsHome(ctx context.Context, q url.Values) (returnsHome, error) {
	h := returnsHome{Location: readLocation(q, actor.From(ctx)), Status: q.Get("status")}
	if h.Status != string(returns.Closed) && h.Status != "all" {
		h.Status = string(returns.Open)
	}
	var err error
	if h.locations, err = s.locationIndex(ctx); err != nil {
		return h, err
	}
	h.Locations = h.locations.ActiveLocations()
	t := readTrail(q)
	f := returns.Filter{First: returnPageSize}
	if h.Status != "all" {
		f.Status = returns.Status(h.Status)
	}
	if h.Location.ID != nil {
		f.LocationID = *h.Location.ID
	}
	f.After, _ = strconv.ParseInt(t.After, 10, 64)
	page, err := s.Returns.List(ctx, f)
	if err != nil {
		return h, err
	}
	h.Rows = page.Returns
	next := ""
	if page.HasNextPage {
		next = strconv.FormatInt(page.Returns[len(page.Returns)-1].ID, 10)
	}
	h.Pager = t.pager(-1, returnPageSize, next, h.url)
	return h, nil
}

func (s *server) returnList(w http.ResponseWriter, r *http.Request) error {
	h, err := s.returnsHome(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	if htmxTarget(r) == "return-results" {
		return s.fragment(w, r, http.StatusOK, returnResults(h))
	}
	return s.page(w, r, http.StatusOK, returnsHomePage(h))
}

// returnForm is a return as typed at the desk: one row per order line (a quantity of 0
// leaves the line out). Key is made when the form is first shown, so that confirming
// twice records one return (and one refund).
type returnForm struct {
	Key, OrderNumber, Location, Refund, Note, Override string
	Lines                                              []returnLineForm
}

type returnLineForm struct {
	OrderLineID                              int64
	Quantity, Reason, Note, Disposition, Lot string
}

// returnDesk is the form with the order it returns from and, once asked, the totals.
type returnDesk struct {
	Order      order.Order
	Customer   *customer.Customer
	Returnable returns.Returnable
	Form       returnForm
	Errors     formErrors
	Quote      *returns.Quote
	Locations  []location.Location
	WindowDays int
}

// Line is the order line of the form's row i, with what may still be returned of it.
func (d returnDesk) Line(i int) returns.ReturnableLine { return d.Returnable.Lines[i] }

// CanOverride reports whether the viewer may accept goods after the window.
func (d returnDesk) CanOverride(ctx context.Context) bool {
	return viewOf(ctx).Actor.HasRole(actor.Manager)
}

// StoreCredit reports whether store credit is possible for the order.
func (d returnDesk) StoreCredit() bool { return d.Returnable.StoreCreditCustomerID != nil }

// AnyReturnable reports whether something of the order may come back.
func (d returnDesk) AnyReturnable() bool {
	return slices.ContainsFunc(d.Returnable.Lines, func(l returns.ReturnableLine) bool { return l.Returnable > 0 })
}

func lineField(i int, name string) string { return "lines." + strconv.Itoa(i) + "." + name }

// returnFields are the paths the desk's form shows beside their inputs.
func returnFields(path string) bool {
	if slices.Contains([]string{"locationId", "refund", "to", "note", "overrideReason"}, path) {
		return true
	}
	var i int
	var name string
	if _, err := fmt.Sscanf(strings.Replace(path, ".", " ", 2), "lines %d %s", &i, &name); err == nil {
		return slices.Contains([]string{"orderLineId", "quantity", "reason", "note", "disposition", "lot"}, name)
	}
	return false
}

// orderForDesk finds the order a receipt number names, with what may come back of it.
func (s *server) orderForDesk(ctx context.Context, number string) (returnDesk, error) {
	var d returnDesk
	o, err := s.Orders.OrderByNumber(ctx, receiptNumber(number))
	if err != nil {
		return d, err
	}
	d.Order = o
	if d.Returnable, err = s.Returns.Returnable(ctx, o.ID); err != nil {
		return d, err
	}
	if o.CustomerID != nil {
		c, err := s.Customers.ByIDs(ctx, []int64{*o.CustomerID})
		if err != nil {
			return d, err
		}
		if cu, ok := c[*o.CustomerID]; ok {
			d.Customer = &cu
		}
	}
	ix, err := s.locationIndex(ctx)
	if err != nil {
		return d, err
	}
	d.Locations = ix.ActiveLocations()
	d.WindowDays = s.Returns.Config().WindowDays
	return d, nil
}

// returnNew shows the desk's form for an order, or the start page saying the number is
// unknown.
func (s *server) returnNew(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	number := strings.TrimSpace(r.URL.Query().Get("order"))
	d, err := s.orderForDesk(ctx, number)
	if apperr.CodeOf(err) == apperr.CodeNotFound || number == "" {
		h, herr := s.returnsHome(ctx, url.Values{})
		if herr != nil {
			return herr
		}
		h.Number = number
		h.NumberError = "Enter the order number printed on the receipt (e.g. A-000123), or scan its barcode."
		if number != "" {
			h.NumberError = fmt.Sprintf("There is no order %s. Check the number on the receipt.", receiptNumber(number))
		}
		return s.page(w, r, http.StatusNotFound, returnsHomePage(h))
	}
	if err != nil {
		return err
	}
	d.Form = returnForm{Key: newIdempotencyKey(), OrderNumber: d.Order.Number, Refund: string(returns.ToOriginal)}
	if home := actor.From(ctx).HomeLocationID; home != nil {
		d.Form.Location = strconv.FormatInt(*home, 10)
	}
	for _, l := range d.Returnable.Lines {
		d.Form.Lines = append(d.Form.Lines, returnLineForm{OrderLineID: l.OrderLineID, Quantity: "0",
			Reason: string(returns.ReasonChangedMind), Disposition: string(returns.Restock)})
	}
	return s.page(w, r, http.StatusOK, returnDeskPage(d))
}

// readReturnForm reads the desk's form as posted.
func readReturnForm(r *http.Request) returnForm {
	v := r.PostFormValue
	f := returnForm{Key: v("idempotencyKey"), OrderNumber: v("order"), Location: v("locationId"), Refund: v("refund"),
		Note: v("note"), Override: v("overrideReason")}
	for i := 0; ; i++ {
		id, err := strconv.ParseInt(v(lineField(i, "orderLineId")), 10, 64)
		if err != nil || i >= 500 {
			break
		}
		f.Lines = append(f.Lines, returnLineForm{OrderLineID: id, Quantity: v(lineField(i, "quantity")),
			Reason: v(lineField(i, "reason")), Note: v(lineField(i, "note")), Disposition: v(lineField(i, "disposition")),
			Lot: v(lineField(i, "lot"))})
	}
	return f
}

// input is the return f asks for, and for each of its lines the row of the form it came
// from (rows with no quantity are left out). Errors: apperr.List on the form's fields.
func (f returnForm) input(orderID int64) (returns.CreateInput, []int, apperr.List) {
	var errs apperr.List
	in := returns.CreateInput{IdempotencyKey: f.Key, OrderID: orderID, Note: f.Note, OverrideReason: f.Override}
	if id, err := strconv.ParseInt(f.Location, 10, 64); err == nil {
		in.LocationID = id
	}
	var rows []int
	for i, l := range f.Lines {
		q := strings.TrimSpace(l.Quantity)
		if q == "" || q == "0" {
			continue
		}
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 {
			errs = append(errs, apperr.Invalid(lineField(i, "quantity"), "enter a whole number of units"))
			continue
		}
		in.Lines = append(in.Lines, returns.LineInput{OrderLineID: l.OrderLineID, Quantity: n,
			Reason: returns.Reason(l.Reason), Note: l.Note, Disposition: returns.Disposition(l.Disposition), Lot: l.Lot})
		rows = append(rows, i)
	}
	if len(in.Lines) == 0 && len(errs) == 0 {
		errs = append(errs, apperr.Invalid("lines", "enter how many units of at least one line come back"))
	}
	if f.Refund != string(returns.ToOriginal) && f.Refund != string(returns.ToStoreCredit) && f.Refund != refundLater {
		errs = append(errs, apperr.Invalid("refund", "choose how the money goes back"))
	}
	return in, rows, errs
}

// toFormRows renames the service's lines.<i> errors after the form's rows.
func toFormRows(err error, rows []int) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	out := make(apperr.List, 0, len(errs))
	for _, e := range errs {
		c := *e
		if len(c.Field) >= 2 && c.Field[0] == "lines" {
			if k, err := strconv.Atoi(c.Field[1]); err == nil && k < len(rows) {
				c.Field = append([]string{"lines", strconv.Itoa(rows[k])}, c.Field[2:]...)
			}
		}
		out = append(out, &c)
	}
	return out
}

// deskFromForm reads the posted form with its order.
func (s *server) deskFromForm(w http.ResponseWriter, r *http.Request) (returnDesk, returns.CreateInput, []int, apperr.List, error) {
	if err := parseForm(w, r); err != nil {
		return returnDesk{}, returns.CreateInput{}, nil, nil, err
	}
	f := readReturnForm(r)
	d, err := s.orderForDesk(r.Context(), f.OrderNumber)
	if err != nil {
		return d, returns.CreateInput{}, nil, nil, err
	}
	d.Form = f
	in, rows, errs := f.input(d.Order.ID)
	return d, in, rows, errs, nil
}

// returnQuote shows the totals of the return as the form stands: into the form's totals
// with HTMX (as the associate changes it), or the whole form without.
func (s *server) returnQuote(w http.ResponseWriter, r *http.Request) error {
	d, in, rows, errs, err := s.deskFromForm(w, r)
	if err != nil {
		return err
	}
	if err = errs.Err(); err == nil {
		var q returns.Quote
		if q, err = s.Returns.Quote(r.Context(), in); err == nil {
			d.Quote = &q
		}
	}
	status := http.StatusOK
	if err != nil {
		if _, user := apperr.Errors(err); !user {
			return err
		}
		if apperr.CodeOf(err) != apperr.CodeInvalid && apperr.CodeOf(err) != apperr.CodeConflict {
			return err
		}
		d.Errors, status = newFormErrors(mustErrors(toFormRows(err, rows)), returnFields), http.StatusUnprocessableEntity
	}
	if htmxTarget(r) == "return-totals" {
		// A form still being filled in is not a failed request: the totals say what is wrong.
		return s.fragment(w, r, http.StatusOK, returnTotals(d))
	}
	return s.page(w, r, status, returnDeskPage(d))
}

func mustErrors(err error) []*apperr.Error {
	errs, _ := apperr.Errors(err)
	return errs
}

// returnCreate records the return and, unless the associate refunds later, refunds it as
// chosen; then shows the return. A refused return shows the form again as typed; a
// refused refund shows the recorded return with the refund form and why.
func (s *server) returnCreate(w http.ResponseWriter, r *http.Request) error {
	d, in, rows, errs, err := s.deskFromForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var rd returns.Detail
	if err = errs.Err(); err == nil {
		rd, err = s.Returns.Create(ctx, in)
	}
	if err != nil {
		d.Form.Key = keyAfter(d.Form.Key, err)
		return s.formFailed(w, r, toFormRows(err, rows), returnFields, func(fe formErrors) (templ.Component, error) {
			d.Errors = fe
			if q, qerr := s.Returns.Quote(ctx, in); qerr == nil {
				d.Quote = &q
			}
			return returnDeskPage(d), nil
		})
	}
	if d.Form.Refund == refundLater || !canRefund(actor.From(ctx)) {
		return s.redirect(w, r, returnURL(rd.ID)+"?done=created", "")
	}
	p, err := s.returnPage(ctx, rd.ID)
	if err != nil {
		return err
	}
	if p.Refundable == 0 {
		return s.redirect(w, r, returnURL(rd.ID)+"?done=created", "")
	}
	// The refund's key follows from the return's, so confirming twice refunds once.
	_, err = s.Returns.Refund(ctx, returns.RefundInput{IdempotencyKey: d.Form.Key + "-refund", ReturnID: rd.ID,
		To: returns.RefundTo(d.Form.Refund)})
	if err != nil {
		return s.formFailed(w, r, err, fieldSet("to", "reference"), func(fe formErrors) (templ.Component, error) {
			p.Refund = refundForm{Key: newIdempotencyKey(), To: d.Form.Refund}
			p.RefundErrors = fe
			return returnShowPage(p), nil
		})
	}
	return s.redirect(w, r, returnURL(rd.ID)+"?done=refunded", "")
}

// refundForm is a refund as chosen on a return's page.
type refundForm struct {
	Key, To, Reference string
}

// returnPage is a return with its order, where it came back, and what the viewer may do.
type returnPage struct {
	returns.Detail
	Order     order.Order
	Location  location.Location
	Customer  *customer.Customer
	CanChange bool
	CanRefund bool
	// Refundable is what a refund gives back now (the return's due, at most what the order
	// paid and was not refunded); StoreCredit whether store credit is possible.
	Refundable   int64
	StoreCredit  bool
	Refund       refundForm
	RefundErrors formErrors
	CloseErrors  formErrors
	// LineErrors are the refused disposition changes by return line (without JavaScript).
	LineErrors map[int64]string
	// Done says what the last action did (created, refunded, closed).
	Done string
}

func (s *server) returnPage(ctx context.Context, id int64) (returnPage, error) {
	d, err := s.Returns.Detail(ctx, id)
	if err != nil {
		return returnPage{}, err
	}
	p := returnPage{Detail: d, LineErrors: map[int64]string{}}
	if p.Order, err = s.Orders.Order(ctx, d.OrderID); err != nil {
		return p, err
	}
	ix, err := s.locationIndex(ctx)
	if err != nil {
		return p, err
	}
	p.Location = ix.location(d.LocationID)
	if d.CustomerID != nil {
		c, err := s.Customers.ByIDs(ctx, []int64{*d.CustomerID})
		if err != nil {
			return p, err
		}
		if cu, ok := c[*d.CustomerID]; ok {
			p.Customer = &cu
		}
	}
	rb, err := s.Returns.Returnable(ctx, d.OrderID)
	if err != nil {
		return p, err
	}
	a := actor.From(ctx)
	open := d.Status == returns.Open
	p.CanChange = open && canHandleReturns(a)
	p.Refundable = min(d.Due(), max(0, rb.Paid-rb.Refunded))
	p.CanRefund = open && canRefund(a) && p.Refundable > 0
	p.StoreCredit = rb.StoreCreditCustomerID != nil
	p.Refund = refundForm{Key: newIdempotencyKey(), To: string(returns.ToOriginal)}
	return p, nil
}

func (s *server) returnShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.returnPage(r.Context(), id)
	if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); slices.Contains([]string{"created", "refunded", "closed"}, done) {
		p.Done = done
	}
	return s.page(w, r, http.StatusOK, returnShowPage(p))
}

// returnRefund refunds a return as chosen on its page.
func (s *server) returnRefund(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f := refundForm{Key: r.PostFormValue("idempotencyKey"), To: r.PostFormValue("to"), Reference: r.PostFormValue("reference")}
	_, err = s.Returns.Refund(ctx, returns.RefundInput{IdempotencyKey: f.Key, ReturnID: id, To: returns.RefundTo(f.To),
		Reference: f.Reference})
	if err != nil {
		f.Key = keyAfter(f.Key, err)
		return s.formFailed(w, r, err, fieldSet("to", "reference"), func(fe formErrors) (templ.Component, error) {
			p, err := s.returnPage(ctx, id)
			if err != nil {
				return nil, err
			}
			p.Refund, p.RefundErrors = f, fe
			return returnShowPage(p), nil
		})
	}
	return s.redirect(w, r, returnURL(id)+"?done=refunded", "")
}

// returnClose closes a return; what still stands in the way is shown on its page.
func (s *server) returnClose(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err = s.Returns.Close(ctx, id, r.PostFormValue("note")); err != nil {
		return s.formFailed(w, r, err, fieldSet("note"), func(fe formErrors) (templ.Component, error) {
			p, err := s.returnPage(ctx, id)
			if err != nil {
				return nil, err
			}
			p.CloseErrors = fe
			return returnShowPage(p), nil
		})
	}
	return s.redirect(w, r, returnURL(id)+"?done=closed", "")
}

// returnDisposition changes what becomes of a returned line: with HTMX its row is swapped
// for the new one (or for itself with the reason it was refused); without, the page is
// shown again.
func (s *server) returnDisposition(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lineID, err := strconv.ParseInt(r.PathValue("line"), 10, 64)
	if err != nil {
		return apperr.NotFound("")
	}
	ctx := r.Context()
	_, err = s.Returns.SetDisposition(ctx, returns.DispositionInput{ReturnLineID: lineID,
		Disposition: returns.Disposition(r.PostFormValue("disposition")), Lot: r.PostFormValue("lot")})
	row := htmxTarget(r) == returnLineID(lineID)
	if err != nil {
		if _, user := apperr.Errors(err); !user || (apperr.CodeOf(err) != apperr.CodeInvalid && apperr.CodeOf(err) != apperr.CodeConflict) {
			return err
		}
	}
	p, perr := s.returnPage(ctx, id)
	if perr != nil {
		return perr
	}
	i := slices.IndexFunc(p.Lines, func(l returns.Line) bool { return l.ID == lineID })
	if i < 0 {
		return apperr.NotFound("")
	}
	status := http.StatusOK
	if err != nil {
		p.LineErrors[lineID] = strings.Join(formErrorsText(err), " ")
		status = http.StatusUnprocessableEntity
	}
	if row {
		return s.fragment(w, r, status, returnLineRow(p, p.Lines[i]))
	}
	if err != nil {
		return s.page(w, r, status, returnShowPage(p))
	}
	return s.redirect(w, r, returnURL(id), "")
}

func formErrorsText(err error) []string {
	var out []string
	for _, e := range mustErrors(err) {
		out = append(out, e.Message)
	}
	return out
}

// returnLineID is the id of a returned line's row, which a disposition change replaces.
func returnLineID(id int64) string { return "return-line-" + strconv.FormatInt(id, 10) }

// reasonText says a return reason in words.
func reasonText(r returns.Reason) string {
	switch r {
	case returns.ReasonDefective:
		return "Defective"
	case returns.ReasonDamagedInTransit:
		return "Damaged in transit"
	case returns.ReasonWrongItem:
		return "Wrong item sent"
	case returns.ReasonNotAsDescribed:
		return "Not as described"
	case returns.ReasonSizeOrFit:
		return "Size or fit"
	case returns.ReasonChangedMind:
		return "Changed their mind"
	case returns.ReasonArrivedLate:
		return "Arrived too late"
	case returns.ReasonOther:
		return "Other (say what)"
	}
	return string(r)
}

// dispositionName says a disposition in words.
func dispositionName(d returns.Disposition) string {
	switch d {
	case returns.Restock:
		return "Back to stock"
	case returns.Damaged:
		return "Damaged (write off)"
	case returns.ToInspect:
		return "To inspect"
	}
	return string(d)
}

// refundMethodName says where refunded money went.
func refundMethodName(m order.PaymentMethod) string {
	switch m {
	case order.Cash:
		return "Cash"
	case order.Card:
		return "Card"
	case order.Online:
		return "Online payment"
	case order.PayAtPickup:
		return "Paid at pickup (till)"
	case order.StoreCredit:
		return "Store credit"
	}
	return string(m)
}

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

func joinLots(lots []string) string {
	if len(lots) == 0 {
		return "none recorded"
	}
	return strings.Join(lots, ", ")
}
