package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/purchasing"
)

// Goods receipts: the orders on their way to the viewer's location, and the receiving
// screen of an order at its location, where each line's code is scanned or typed (looked
// up at once by HTMX) with the accepted and rejected quantities, the reason for a
// rejection and the lot and expiry of lot-tracked goods. Every submission carries its own
// idempotency key, so a double submit records one receipt; the result shows the stock the
// location has now.

// canReceiveGoods is who receives goods (the service checks the location again).
func canReceiveGoods(a actor.Actor) bool {
	return a.HasRole(actor.Manager, actor.Associate, actor.Fulfilment)
}

// canReceiveAt reports whether a may receive goods delivered to locationID: managers
// anywhere, associates and fulfilment staff at their home location.
func canReceiveAt(a actor.Actor, locationID int64) bool {
	return a.HasRole(actor.Manager) ||
		(canReceiveGoods(a) && a.HomeLocationID != nil && *a.HomeLocationID == locationID)
}

// canSeeReceiving is who opens the receiving pages: receivers, and buyers who follow
// their orders.
func canSeeReceiving(a actor.Actor) bool { return canReceiveGoods(a) || canSeePurchasing(a) }

const receivingURL = "/admin/purchasing/receiving"

func receiveURL(id int64) string { return purchaseOrderURL(id) + "/receive" }

// receivingList is the orders to receive, at a location or everywhere.
type receivingList struct {
	Location  locationChoice
	Locations []location.Location
	Orders    []purchasing.Order
}

func (s *server) receivingList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := receivingList{Location: readLocation(r.URL.Query(), actor.From(ctx))}
	f := purchasing.OrderFilter{Statuses: []purchasing.Status{purchasing.Sent, purchasing.PartiallyReceived},
		First: purchasing.MaxPage}
	if v.Location.ID != nil {
		f.LocationID = *v.Location.ID
	}
	page, err := s.Purchasing.Orders(ctx, f)
	if err != nil {
		return err
	}
	// Soonest expected first: what arrives today is on top.
	v.Orders = page.Orders
	slices.SortStableFunc(v.Orders, func(a, b purchasing.Order) int {
		switch {
		case a.ExpectedOn == nil && b.ExpectedOn == nil:
			return 0
		case a.ExpectedOn == nil:
			return 1
		case b.ExpectedOn == nil:
			return -1
		}
		return a.ExpectedOn.Compare(*b.ExpectedOn)
	})
	ix, err := s.locationIndex(ctx)
	if err != nil {
		return err
	}
	v.Locations = ix.ActiveLocations()
	return s.page(w, r, http.StatusOK, receivingListPage(v))
}

// receiptForm is a receipt as typed.
type receiptForm struct {
	Key, Note string
	Rows      []receiptRow
}

// receiptRow is one row of the receiving screen: a code as scanned or typed and what
// arrived of it; Line is the order line the code names (nil when it names none).
type receiptRow struct {
	Index                                            int
	Code, Accepted, Rejected, Reason, Lot, ExpiresOn string
	Line                                             *purchasing.Line
}

// recorded reports whether the row records anything (rows left empty are not sent).
func (r receiptRow) recorded() bool { return r.Accepted != "" || r.Rejected != "" }

func readReceiptForm(v url.Values) receiptForm {
	f := receiptForm{Key: v.Get("idempotencyKey"), Note: v.Get("note")}
	at := func(name string, i int) string {
		if vs := v[name]; i < len(vs) {
			return strings.TrimSpace(vs[i])
		}
		return ""
	}
	for i, code := range v["rcv_code"] {
		f.Rows = append(f.Rows, receiptRow{Index: i, Code: strings.TrimSpace(code), Accepted: at("rcv_accepted", i),
			Rejected: at("rcv_rejected", i), Reason: at("rcv_reason", i), Lot: at("rcv_lot", i), ExpiresOn: at("rcv_expires", i)})
	}
	return f
}

// shows reports whether the receiving screen displays the field at path.
func (f receiptForm) shows(path string) bool {
	if path == "note" || path == "lines" {
		return true
	}
	parts := strings.Split(path, ".")
	if len(parts) != 3 || parts[0] != "lines" {
		return false
	}
	i, err := strconv.Atoi(parts[1])
	return err == nil && i >= 0 && i < len(f.Rows) &&
		slices.Contains([]string{"variantId", "accepted", "rejected", "rejectReason", "lot", "expiresOn"}, parts[2])
}

// receivePage is the receiving screen of an order.
type receivePage struct {
	Order  purchasing.Detail
	Form   receiptForm
	Errors formErrors
	// CanReceive is false once nothing is expected any more (or the viewer may not).
	CanReceive bool
	// Arrived is the stock after the receipt just recorded.
	Arrived *receiptStock
}

// receiptStock is what a receipt brought and the location's stock of it now.
type receiptStock struct {
	Receipt  purchasing.Receipt
	Location string
	Rows     []receiptStockRow
}

type receiptStockRow struct {
	SKU                string
	Accepted, Rejected int
	Level              inventory.Level
}

// receiptStock returns receipt rid of order d with the receiving location's stock of its
// variants now (nil when the receipt is not the order's).
func (s *server) receiptStock(ctx context.Context, d purchasing.Detail, rid int64) (*receiptStock, error) {
	i := slices.IndexFunc(d.Receipts, func(r purchasing.Receipt) bool { return r.ID == rid })
	if i < 0 {
		return nil, nil
	}
	out := &receiptStock{Receipt: d.Receipts[i], Location: d.LocationCode}
	var ids []int64
	for _, l := range out.Receipt.Lines {
		j := slices.IndexFunc(out.Rows, func(r receiptStockRow) bool { return r.Level.VariantID == l.VariantID })
		if j < 0 {
			ids = append(ids, l.VariantID)
			out.Rows = append(out.Rows, receiptStockRow{SKU: l.SKU, Level: inventory.Level{LocationID: d.LocationID, VariantID: l.VariantID}})
			j = len(out.Rows) - 1
		}
		out.Rows[j].Accepted += l.Accepted
		out.Rows[j].Rejected += l.Rejected
	}
	levels, err := s.Inventory.LevelsByVariantIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, row := range out.Rows {
		for _, lv := range levels[row.Level.VariantID] {
			if lv.LocationID == d.LocationID {
				out.Rows[i].Level = lv
			}
		}
	}
	return out, nil
}

// matchLine finds the order line a scanned or typed code names: our SKU, the supplier's
// code or a barcode.
func (s *server) matchLine(ctx context.Context, o purchasing.Order, code string) (*purchasing.Line, error) {
	if code == "" {
		return nil, nil
	}
	for _, l := range o.Lines {
		if strings.EqualFold(l.SKU, code) || (l.SupplierSKU != "" && l.SupplierSKU == code) {
			return &l, nil
		}
	}
	v, err := s.variantByCode(ctx, code)
	if apperr.CodeOf(err) == apperr.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, l := range o.Lines {
		if l.VariantID == v.ID {
			return &l, nil
		}
	}
	return nil, nil
}

// resolveRows finds each row's order line; a code that names none is an error on the row.
func (s *server) resolveRows(ctx context.Context, o purchasing.Order, rows []receiptRow, errs *apperr.List) error {
	for i := range rows {
		row := &rows[i]
		row.Index = i
		line, err := s.matchLine(ctx, o, row.Code)
		if err != nil {
			return err
		}
		row.Line = line
		if line == nil && row.Code != "" {
			*errs = append(*errs, apperr.Invalid(linePath(i, "variantId"), "%s is not on %s: set it aside and tell the buyer",
				row.Code, o.Number()))
		}
	}
	return nil
}

func (s *server) receivePage(ctx context.Context, id int64, f receiptForm, fe formErrors) (receivePage, error) {
	d, err := s.Purchasing.Order(ctx, id)
	if err != nil {
		return receivePage{}, err
	}
	p := receivePage{Order: d, Form: f, Errors: fe,
		CanReceive: (d.Status == purchasing.Sent || d.Status == purchasing.PartiallyReceived) && canReceiveAt(actor.From(ctx), d.LocationID)}
	var errs apperr.List
	if err := s.resolveRows(ctx, d.Order, p.Form.Rows, &errs); err != nil {
		return p, err
	}
	if p.Errors.Empty() && len(errs) > 0 {
		p.Errors = newFormErrors(errs, f.shows)
	}
	return p, nil
}

// freshReceiptForm is a new receipt of o: one row per line still expected.
func freshReceiptForm(o purchasing.Order) receiptForm {
	f := receiptForm{Key: newIdempotencyKey()}
	for _, l := range o.Lines {
		if l.Outstanding() > 0 {
			f.Rows = append(f.Rows, receiptRow{Index: len(f.Rows), Code: l.SKU})
		}
	}
	if len(f.Rows) == 0 {
		f.Rows = []receiptRow{{}}
	}
	return f
}

func (s *server) receiveNew(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.Purchasing.Order(ctx, id)
	if err != nil {
		return err
	}
	p, err := s.receivePage(ctx, id, freshReceiptForm(d.Order), formErrors{})
	if err != nil {
		return err
	}
	if rid, err := strconv.ParseInt(r.URL.Query().Get("receipt"), 10, 64); err == nil {
		if p.Arrived, err = s.receiptStock(ctx, p.Order, rid); err != nil {
			return err
		}
	}
	return s.page(w, r, http.StatusOK, receivePageView(p))
}

// receiveLine looks one row up as it is scanned or typed (HTMX), or returns a blank row to
// add (with the next free index after those in rcv_index).
func (s *server) receiveLine(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.Purchasing.Order(ctx, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	row := receiptRow{Code: strings.TrimSpace(q.Get("rcv_code")), Accepted: strings.TrimSpace(q.Get("rcv_accepted")),
		Rejected: strings.TrimSpace(q.Get("rcv_rejected")), Reason: q.Get("rcv_reason"), Lot: q.Get("rcv_lot"),
		ExpiresOn: q.Get("rcv_expires")}
	if q.Has("rcv_code") {
		row.Index, _ = strconv.Atoi(q.Get("rcv_index"))
	} else {
		for _, i := range q["rcv_index"] {
			if n, err := strconv.Atoi(i); err == nil && n >= row.Index {
				row.Index = n + 1
			}
		}
	}
	var errs apperr.List
	if row.Line, err = s.matchLine(ctx, d.Order, row.Code); err != nil {
		return err
	}
	if row.Line == nil && row.Code != "" {
		errs = append(errs, apperr.Invalid(linePath(row.Index, "variantId"), "%s is not on %s: set it aside and tell the buyer",
			row.Code, d.Number()))
	}
	return s.fragment(w, r, http.StatusOK, receiptRowFields(id, row, newFormErrors(errs, func(string) bool { return true })))
}

// receiveCreate records a receipt. Refused (an over-receipt, a missing lot), the screen
// shows why beside each row with everything as typed and the same key; done, it shows the
// stock the location has now.
func (s *server) receiveCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f := readReceiptForm(r.PostForm)
	render := func(fe formErrors) (templ.Component, error) {
		p, err := s.receivePage(ctx, id, f, fe)
		if err != nil {
			return nil, err
		}
		return receivePageView(p), nil
	}
	if op := r.PostFormValue("op"); op != "" {
		// Without JavaScript the row buttons post here: add or remove a row.
		if op == "add-line" {
			f.Rows = append(f.Rows, receiptRow{})
		} else if i, err := strconv.Atoi(strings.TrimPrefix(op, "remove-")); err == nil && i >= 0 && i < len(f.Rows) {
			f.Rows = slices.Delete(f.Rows, i, i+1)
		}
		c, err := render(formErrors{})
		if err != nil {
			return err
		}
		return s.page(w, r, http.StatusOK, c)
	}
	in := purchasing.ReceiptInput{IdempotencyKey: f.Key, OrderID: id, Note: f.Note}
	var errs apperr.List
	var rowOf []int
	for i, row := range f.Rows {
		if !row.recorded() {
			continue
		}
		field := func(name string) string { return linePath(i, name) }
		line := purchasing.ReceiptLineInput{Code: row.Code, RejectReason: row.Reason, Lot: row.Lot,
			ExpiresOn: optDate(&errs, field("expiresOn"), row.ExpiresOn)}
		if row.Code == "" {
			errs = append(errs, apperr.Invalid(field("variantId"), "scan or type the SKU or barcode of what arrived"))
		}
		if row.Accepted != "" {
			line.Accepted = wholeNumber(&errs, field("accepted"), row.Accepted)
		}
		if row.Rejected != "" {
			line.Rejected = wholeNumber(&errs, field("rejected"), row.Rejected)
		}
		in.Lines = append(in.Lines, line)
		rowOf = append(rowOf, i)
	}
	err = errs.Err()
	var res purchasing.ReceiptResult
	if err == nil {
		res, err = s.Purchasing.Receive(ctx, in)
		err = renumberLines(err, rowOf)
	}
	if err != nil {
		f.Key = keyAfter(f.Key, err)
		return s.formFailed(w, r, err, f.shows, render)
	}
	return s.redirect(w, r, fmt.Sprintf("%s?receipt=%d", receiveURL(id), res.Receipt.ID), flashGoodsReceived)
}

// outstandingUnits is how many units of o are still expected.
func outstandingUnits(o purchasing.Order) int {
	n := 0
	for _, l := range o.Lines {
		n += l.Outstanding()
	}
	return n
}

// expectedDelivery is goods on their way to a location: a purchase order sent to its
// supplier, or a transfer shipped from another location.
type expectedDelivery struct {
	// Name is the order's number or "Transfer 12"; From the supplier or the source.
	Name, From string
	// On is the expected arrival date (nil when none was given).
	On    *time.Time
	Units int
	// URL is where the viewer follows it up ("" when they may not open it).
	URL string
}

// deliveriesExpected lists what is on its way to the viewer's home location, soonest
// first: the purchase orders sent (or partly received) for it and the transfers in transit
// to it. Nil for staff without a home location; orders are left out for those who may not
// see purchasing.
func (s *server) deliveriesExpected(ctx context.Context) ([]expectedDelivery, error) {
	a := actor.From(ctx)
	if a.HomeLocationID == nil {
		return nil, nil
	}
	ds, err := s.Purchasing.DeliveriesExpected(ctx, *a.HomeLocationID, s.Inventory)
	if err != nil {
		return nil, err
	}
	out := make([]expectedDelivery, len(ds))
	for i, d := range ds {
		out[i] = expectedDelivery{Name: d.Name, From: d.From, On: d.ExpectedOn, Units: d.Units}
		switch {
		case d.Kind == purchasing.DeliveryPurchaseOrder && canSeeReceiving(a):
			out[i].URL = receiveURL(d.ID)
		case d.Kind == purchasing.DeliveryTransfer && canUseStock(a):
			out[i].URL = transferURL(d.ID)
		}
	}
	return out, nil
}
