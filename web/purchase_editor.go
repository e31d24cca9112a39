package web

import (
	"context"
	"fmt"
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

// The purchase order editor: supplier, receiving location, expected date and a line
// editor where a SKU, barcode or the supplier's own code is looked up as it is typed or
// scanned (HTMX), filling in the supplier's code and cost with its pack size and minimum,
// while the totals and the approvals the order will need follow live. Without JavaScript
// the lines are looked up and priced when the form is sent.

// canBuy is who writes purchase orders and manages suppliers (the service checks again).
func canBuy(a actor.Actor) bool { return a.HasRole(actor.Buyer, actor.Manager) }

const purchaseOrderLineURL = "/admin/purchasing/orders/line"

// purchaseOrderForm is an order as typed. ID is 0 for a new order.
type purchaseOrderForm struct {
	ID                                   int64
	Supplier, Location, ExpectedOn, Note string
	Lines                                []purchaseLine
	// Key makes a new order's creation happen once (a double submit makes one draft).
	Key string
}

// purchaseLine is a row of the line editor: code, quantity and unit cost as typed (an
// empty cost takes the supplier's price list), and what the supplier's terms make of it.
type purchaseLine struct {
	Index           int
	Code, Qty, Cost string
	// Found is the line priced on the supplier's terms (nil when nothing matched the code);
	// NoSupplier is true when the variant was found but no supplier is chosen yet.
	Found      *purchasing.LinePreview
	Currency   string
	NoSupplier bool
	// Product is the found variant's product title.
	Product string
}

// readPurchaseOrderForm reads the editor from a form or query string.
func readPurchaseOrderForm(v url.Values) purchaseOrderForm {
	f := purchaseOrderForm{Supplier: strings.TrimSpace(v.Get("supplierId")), Location: strings.TrimSpace(v.Get("locationId")),
		ExpectedOn: strings.TrimSpace(v.Get("expectedOn")), Note: v.Get("note"), Key: strings.TrimSpace(v.Get("idempotencyKey"))}
	qtys, costs := v["line_qty"], v["line_cost"]
	for i, code := range v["line_code"] {
		l := purchaseLine{Index: i, Code: strings.TrimSpace(code)}
		if i < len(qtys) {
			l.Qty = strings.TrimSpace(qtys[i])
		}
		if i < len(costs) {
			l.Cost = strings.TrimSpace(costs[i])
		}
		f.Lines = append(f.Lines, l)
	}
	return f
}

// supplierID is the chosen supplier (0: none or not a number).
func (f purchaseOrderForm) supplierID() int64 {
	id, _ := strconv.ParseInt(f.Supplier, 10, 64)
	return max(id, 0)
}

// blank reports whether the row was left empty.
func (l purchaseLine) blank() bool { return l.Code == "" && l.Qty == "" && l.Cost == "" }

// input turns the form into the service's input: what cannot be read goes to errs under
// the editor's row numbers; rowOf maps the input's lines (blank rows are left out) back
// to the editor's rows.
func (f purchaseOrderForm) input(errs *apperr.List, currency string) (in purchasing.OrderInput, rowOf []int) {
	in.Note = f.Note
	if id := optInt64(errs, "supplierId", f.Supplier); id != nil {
		in.SupplierID = *id
	}
	if id := optInt64(errs, "locationId", f.Location); id != nil {
		in.LocationID = *id
	}
	in.ExpectedOn = optDate(errs, "expectedOn", f.ExpectedOn)
	for i, l := range f.Lines {
		if l.blank() {
			continue
		}
		line := purchasing.LineInput{Code: l.Code, UnitCost: optCost(errs, linePath(i, "unitCost"), l.Cost, currency)}
		if l.Qty != "" {
			line.Quantity = wholeNumber(errs, linePath(i, "quantity"), l.Qty)
		}
		in.Lines = append(in.Lines, line)
		rowOf = append(rowOf, i)
	}
	return in, rowOf
}

// shows reports whether the editor displays the field at path.
func (f purchaseOrderForm) shows(path string) bool {
	if fieldSet("supplierId", "locationId", "expectedOn", "note", "lines")(path) {
		return true
	}
	var i int
	var field string
	if _, err := fmt.Sscanf(strings.ReplaceAll(path, ".", " "), "lines %d %s", &i, &field); err != nil {
		return false
	}
	return i >= 0 && i < len(f.Lines) && (field == "variantId" || field == "quantity" || field == "unitCost")
}

// purchaseOrderEditor is the new or edit page.
type purchaseOrderEditor struct {
	Form      purchaseOrderForm
	Errors    formErrors
	Suppliers []purchasing.Supplier
	Locations []location.Location
	Preview   purchaseOrderPreview
	// Order is the order being edited (nil for a new one).
	Order *purchasing.Order
	// NotSubmitted is true when the order was saved but its submission refused (Errors
	// say why).
	NotSubmitted bool
}

// Title is the page's heading.
func (e purchaseOrderEditor) Title() string {
	if e.Order != nil {
		return "Edit " + e.Order.Number()
	}
	return "New purchase order"
}

// Action is where the form posts.
func (e purchaseOrderEditor) Action() string {
	if e.Order != nil {
		return purchaseOrderURL(e.Order.ID)
	}
	return "/admin/purchasing/orders"
}

// purchaseOrderPreview is the editor's live totals: nil Preview when no supplier is chosen.
type purchaseOrderPreview struct {
	Preview *purchasing.OrderPreview
	// Problems are what must be fixed before the order can be saved, as the service says.
	Problems []string
	// Amounts are the lines' amounts by editor row.
	Amounts []lineAmount
}

// lineAmount is a row's amount as shown.
type lineAmount struct {
	Index int
	Text  string
}

// roleNames names the roles that may give an approval level: "manager or buyer".
func roleNames[R ~string](roles []R) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = strings.ToLower(string(r))
	}
	return strings.Join(names, " or ")
}

func (s *server) purchaseOrderEditor(ctx context.Context, f purchaseOrderForm, fe formErrors, o *purchasing.Order) (purchaseOrderEditor, error) {
	e := purchaseOrderEditor{Form: f, Errors: fe, Order: o}
	var err error
	if e.Suppliers, err = s.Purchasing.Suppliers(ctx, purchasing.SupplierFilter{ActiveOnly: true}); err != nil {
		return e, err
	}
	if sid := f.supplierID(); sid != 0 && !slices.ContainsFunc(e.Suppliers, func(x purchasing.Supplier) bool { return x.ID == sid }) {
		// An order of a supplier no longer active still shows it.
		if sup, err := s.Purchasing.Supplier(ctx, sid); err == nil {
			e.Suppliers = append(e.Suppliers, sup)
		}
	}
	ix, err := s.locationIndex(ctx)
	if err != nil {
		return e, err
	}
	e.Locations = ix.ActiveLocations()
	var errs apperr.List
	for i := range e.Form.Lines {
		e.Form.Lines[i].Index = i
		if err := s.lookupPurchaseLine(ctx, f.supplierID(), &e.Form.Lines[i], &errs); err != nil {
			return e, err
		}
	}
	if e.Errors.Empty() && len(errs) > 0 {
		// A form shown again (a row added without JavaScript, an order opened for editing)
		// shows what is wrong with its lines already.
		e.Errors = newFormErrors(errs, f.shows)
	}
	if e.Preview, err = s.previewPurchaseOrder(ctx, e.Form); err != nil {
		return e, err
	}
	return e, nil
}

// lookupPurchaseLine finds what l's code is and prices it on supplierID's terms; what is
// wrong with the line goes to errs under l.Index (a missing quantity only once one is
// typed).
func (s *server) lookupPurchaseLine(ctx context.Context, supplierID int64, l *purchaseLine, errs *apperr.List) error {
	l.Found, l.NoSupplier, l.Product = nil, false, ""
	if err := s.findPurchaseLine(ctx, supplierID, l, errs); err != nil || l.Found == nil {
		return err
	}
	id := l.Found.VariantID
	vs, err := s.Catalog.VariantsByIDs(ctx, []int64{id})
	if err != nil {
		return err
	}
	ps, err := s.Catalog.ProductsByIDs(ctx, []int64{vs[id].ProductID})
	if err != nil {
		return err
	}
	l.Product = ps[vs[id].ProductID].Title
	return nil
}

// findPurchaseLine is lookupPurchaseLine without the product's title.
func (s *server) findPurchaseLine(ctx context.Context, supplierID int64, l *purchaseLine, errs *apperr.List) error {
	if l.Code == "" {
		return nil
	}
	var local apperr.List
	in := purchasing.LineInput{Code: l.Code, UnitCost: optCost(&local, "lines.0.unitCost", l.Cost, "")}
	if l.Qty != "" {
		in.Quantity = wholeNumber(&local, "lines.0.quantity", l.Qty)
	}
	if supplierID != 0 {
		p, err := s.Purchasing.PreviewOrder(ctx, purchasing.OrderInput{SupplierID: supplierID, Lines: []purchasing.LineInput{in}})
		switch {
		case err == nil:
			local = append(local, p.Errors...)
			if len(p.Lines) == 1 && p.Lines[0].VariantID != 0 {
				lp := p.Lines[0]
				l.Found, l.Currency = &lp, p.Currency
			}
			for _, e := range local {
				c := *e
				if len(c.Field) >= 3 && c.Field[0] == "lines" {
					if l.Qty == "" && c.Field[2] == "quantity" {
						continue // not typed yet
					}
					c.Field = append([]string{"lines", strconv.Itoa(l.Index)}, c.Field[2:]...)
				}
				*errs = append(*errs, &c)
			}
			return nil
		case apperr.CodeOf(err) != apperr.CodeNotFound:
			return err
		}
	}
	// No supplier yet: show which variant the code is.
	v, err := s.variantByCode(ctx, l.Code)
	if apperr.CodeOf(err) == apperr.CodeNotFound {
		*errs = append(*errs, apperr.Invalid(linePath(l.Index, "variantId"), "no variant has the SKU or barcode %s", l.Code))
		return nil
	}
	if err != nil {
		return err
	}
	l.Found = &purchasing.LinePreview{VariantID: v.ID, SKU: v.SKU, Title: v.Title, PackSize: 1, MinOrderQty: 1}
	l.NoSupplier = true
	return nil
}

// previewPurchaseOrder prices the whole form for the totals (nothing when no supplier is
// chosen or no line is typed).
func (s *server) previewPurchaseOrder(ctx context.Context, f purchaseOrderForm) (purchaseOrderPreview, error) {
	var v purchaseOrderPreview
	sid := f.supplierID()
	if sid == 0 {
		return v, nil
	}
	var errs apperr.List
	in, rowOf := f.input(&errs, "")
	in.SupplierID = sid
	if len(in.Lines) == 0 {
		return v, nil
	}
	p, err := s.Purchasing.PreviewOrder(ctx, in)
	if apperr.CodeOf(err) == apperr.CodeNotFound {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.Preview = &p
	for _, e := range append(errs, renumberErrors(p.Errors, rowOf)...) {
		v.Problems = append(v.Problems, e.Message)
	}
	for i, l := range p.Lines {
		a := lineAmount{Index: rowOf[i]}
		if l.VariantID != 0 && l.Total > 0 {
			a.Text = formatMoney(l.Total, p.Currency)
		}
		v.Amounts = append(v.Amounts, a)
	}
	return v, nil
}

func (s *server) purchaseOrderNew(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := purchaseOrderForm{Supplier: q.Get("supplier"), Lines: []purchaseLine{{}}, Key: newIdempotencyKey()}
	// Buyers mostly stock the central warehouse; store staff their own store.
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
	e, err := s.purchaseOrderEditor(ctx, f, formErrors{}, nil)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, purchaseOrderEditPage(e))
}

func (s *server) purchaseOrderEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.Purchasing.Order(ctx, id)
	if err != nil {
		return err
	}
	if d.Status != purchasing.Draft && d.Status != purchasing.Rejected {
		return apperr.Conflict("", "%s is %s: only a draft or a rejected order can be edited",
			d.Number(), strings.ToLower(strings.ReplaceAll(string(d.Status), "_", " ")))
	}
	f := purchaseOrderForm{ID: id, Supplier: strconv.FormatInt(d.SupplierID, 10), Location: strconv.FormatInt(d.LocationID, 10),
		Note: d.Note}
	if d.ExpectedOn != nil {
		f.ExpectedOn = formatDate(*d.ExpectedOn)
	}
	items, err := s.Purchasing.SupplierItems(ctx, d.SupplierID)
	if err != nil {
		return err
	}
	for i, l := range d.Lines {
		line := purchaseLine{Index: i, Code: l.SKU, Qty: strconv.Itoa(l.Quantity), Cost: formatCostInput(l.UnitCost)}
		// A cost that is the price list's stays the price list's (empty), so a new price
		// list cost applies; one the buyer typed stays.
		if j := slices.IndexFunc(items, func(it purchasing.SupplierItem) bool { return it.VariantID == l.VariantID }); j >= 0 &&
			items[j].Active && items[j].UnitCost.Equal(l.UnitCost) {
			line.Cost = ""
		}
		f.Lines = append(f.Lines, line)
	}
	e, err := s.purchaseOrderEditor(ctx, f, formErrors{}, &d.Order)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, purchaseOrderEditPage(e))
}

// purchaseOrderLineLookup looks one line up as it is typed or scanned (HTMX), or returns a
// blank line to add (with the next free index after those in line_index).
func (s *server) purchaseOrderLineLookup(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	l := purchaseLine{Code: strings.TrimSpace(q.Get("line_code")), Qty: strings.TrimSpace(q.Get("line_qty")),
		Cost: strings.TrimSpace(q.Get("line_cost"))}
	if q.Has("line_code") {
		l.Index, _ = strconv.Atoi(q.Get("line_index"))
	} else {
		for _, i := range q["line_index"] {
			if n, err := strconv.Atoi(i); err == nil && n >= l.Index {
				l.Index = n + 1
			}
		}
	}
	sid, _ := strconv.ParseInt(q.Get("supplierId"), 10, 64)
	var errs apperr.List
	if err := s.lookupPurchaseLine(r.Context(), max(sid, 0), &l, &errs); err != nil {
		return err
	}
	return s.fragment(w, r, http.StatusOK, purchaseLineFields(l, newFormErrors(errs, func(string) bool { return true })))
}

// purchaseOrderPreview returns the editor's totals for the form as it stands (HTMX).
func (s *server) purchaseOrderPreviewPart(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v, err := s.previewPurchaseOrder(r.Context(), readPurchaseOrderForm(r.PostForm))
	if err != nil {
		return err
	}
	return s.fragment(w, r, http.StatusOK, purchaseOrderTotalsPart(v))
}

func (s *server) purchaseOrderCreate(w http.ResponseWriter, r *http.Request) error {
	return s.purchaseOrderSave(w, r, 0)
}

func (s *server) purchaseOrderUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.purchaseOrderSave(w, r, id)
}

// purchaseOrderSave creates (id 0) or updates an order from the editor, and submits it for
// approval when the buyer asked to (action=submit). An order saved but refused on submit
// (below the supplier's minimum, no exchange rate) comes back in the editor as a draft
// with the reason.
func (s *server) purchaseOrderSave(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readPurchaseOrderForm(r.PostForm)
	f.ID = id
	var current *purchasing.Order
	if id != 0 {
		d, err := s.Purchasing.Order(ctx, id)
		if err != nil {
			return err
		}
		current = &d.Order
	}
	notSubmitted := false
	editor := func(fe formErrors) (templ.Component, error) {
		e, err := s.purchaseOrderEditor(ctx, f, fe, current)
		if err != nil {
			return nil, err
		}
		e.NotSubmitted = notSubmitted
		return purchaseOrderEditPage(e), nil
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
	currency := ""
	if sid := f.supplierID(); sid != 0 {
		if sup, err := s.Purchasing.Supplier(ctx, sid); err == nil {
			currency = sup.Currency
		}
	}
	var errs apperr.List
	in, rowOf := f.input(&errs, currency)
	err := errs.Err()
	var o purchasing.Order
	if err == nil {
		if id == 0 {
			in.IdempotencyKey = f.Key
			o, err = s.Purchasing.CreateOrder(ctx, in)
		} else {
			o, err = s.Purchasing.UpdateOrder(ctx, id, in)
		}
		err = renumberLines(err, rowOf)
	}
	if err != nil {
		return s.formFailed(w, r, err, f.shows, editor)
	}
	if r.PostFormValue("action") != "submit" {
		return s.redirect(w, r, purchaseOrderURL(o.ID), flashPurchaseOrderSaved)
	}
	if id == 0 && o.Status != purchasing.Draft {
		// A repeated submit of the new order's form: the first one saved and submitted it.
		return s.redirect(w, r, purchaseOrderURL(o.ID), flashPurchaseOrderSubmitted)
	}
	if _, err := s.Purchasing.Submit(ctx, o.ID, strings.TrimSpace(r.PostFormValue("comment"))); err != nil {
		// Saved, but not submitted: the editor of the saved order says why.
		f.ID, current, notSubmitted = o.ID, &o, true
		return s.formFailed(w, r, err, f.shows, editor)
	}
	return s.redirect(w, r, purchaseOrderURL(o.ID), flashPurchaseOrderSubmitted)
}

// renumberErrors is renumberLines for a list.
func renumberErrors(errs apperr.List, rowOf []int) apperr.List {
	if len(errs) == 0 {
		return nil
	}
	out, _ := apperr.Errors(renumberLines(errs, rowOf))
	return out
}
