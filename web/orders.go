package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/location"
	"atrium/internal/observe"
	"atrium/internal/order"
	"atrium/internal/returns"
)

// The order book in the back office: the list of orders from every channel, an order's
// page (lines, totals, payments with a form to take one, why its goods come from where
// they do, its fulfilments and timeline) and the inspection queue where managers release
// or cancel held orders.

const orderPageSize = 25

// The guards below mirror what the order service checks, so that the navigation and the
// pages offer only what the viewer may do; the service checks again on every call.

// canSeeOrders lets in the staff who work with orders: managers, associates and
// fulfilment staff, and accountants (who only read). Admins hold every role.
func canSeeOrders(a actor.Actor) bool {
	return a.HasRole(actor.Manager, actor.Associate, actor.Fulfilment, actor.Accountant)
}

// canTakePayments is who may record a payment at a counter (order.RecordPayment).
func canTakePayments(a actor.Actor) bool {
	return a.HasRole(actor.Manager, actor.Associate, actor.Fulfilment)
}

// canDecideOrders is who releases or cancels orders (order.Release, order.Cancel), and so
// who sees the inspection queue.
func canDecideOrders(a actor.Actor) bool { return a.HasRole(actor.Manager) }

func orderURL(id int64) string { return "/admin/orders/" + strconv.FormatInt(id, 10) }

const inspectionURL = "/admin/orders/inspection"

var (
	orderStatuses   = []order.Status{order.Open, order.OnHold, order.Completed, order.Cancelled}
	paymentStatuses = []order.PaymentStatus{order.Unpaid, order.PartiallyPaid, order.Paid}
)

// orderFilter is the order list's query string. From and To are days in the viewer's time
// zone, both included.
type orderFilter struct {
	Number, Email, Channel, Status, Payment, From, To string
	Location                                          locationChoice
	Trail                                             trail
}

func readOrderFilter(r *http.Request) orderFilter {
	q := r.URL.Query()
	f := orderFilter{Number: strings.TrimSpace(q.Get("number")), Email: strings.TrimSpace(q.Get("email")),
		Channel: q.Get("channel"), Status: q.Get("status"), Payment: q.Get("payment"), From: q.Get("from"), To: q.Get("to"),
		Location: readLocation(q, actor.From(r.Context())), Trail: readTrail(q)}
	if !slices.Contains(order.Channels, order.Channel(f.Channel)) {
		f.Channel = ""
	}
	if !slices.Contains(orderStatuses, order.Status(f.Status)) {
		f.Status = ""
	}
	if !slices.Contains(paymentStatuses, order.PaymentStatus(f.Payment)) {
		f.Payment = ""
	}
	for _, d := range []*string{&f.From, &f.To} {
		if _, ok := parseDate(*d); !ok {
			*d = ""
		}
	}
	return f
}

func (f orderFilter) url(after string, prev []string) string {
	return listURL("/admin/orders", url.Values{"number": {f.Number}, "email": {f.Email}, "channel": {f.Channel},
		"status": {f.Status}, "payment": {f.Payment}, "location": {f.Location.Raw}, "from": {f.From}, "to": {f.To}},
		after, prev)
}

// query is the search f asks for, its days taken in zone.
func (f orderFilter) query(zone *time.Location) order.Filter {
	q := order.Filter{PaymentStatus: order.PaymentStatus(f.Payment),
		Page: order.Page{First: orderPageSize}, Status: order.Status(f.Status), Channel: order.Channel(f.Channel),
		Number: f.Number, Email: f.Email}
	q.After, _ = strconv.ParseInt(f.Trail.After, 10, 64)
	if f.Location.ID != nil {
		q.LocationID = *f.Location.ID
	}
	if d, ok := parseDate(f.From); ok {
		from := startOfDay(d, zone)
		q.PlacedFrom = &from
	}
	if d, ok := parseDate(f.To); ok {
		before := startOfDay(d.AddDate(0, 0, 1), zone)
		q.PlacedBefore = &before
	}
	return q
}

// orderRow is an order with the names a list shows.
type orderRow struct {
	order.Order
	// Customer is nil for guests and walk-in till sales.
	Customer *customer.Customer
	// Places are where the order happens: the till's store, then the locations that
	// fulfil it and the pickup store.
	Places []location.Location
	// Lines are read for the inspection queue only.
	Lines []order.Line
}

// orderNames are the customers and locations of a set of orders.
type orderNames struct {
	locationIndex
	customers map[int64]customer.Customer
}

func (s *server) orderNames(ctx context.Context, list []order.Order) (orderNames, error) {
	var n orderNames
	var err error
	if n.locationIndex, err = s.locationIndex(ctx); err != nil {
		return n, err
	}
	var ids []int64
	for _, o := range list {
		if o.CustomerID != nil {
			ids = append(ids, *o.CustomerID)
		}
	}
	n.customers, err = s.Customers.ByIDs(ctx, ids)
	return n, err
}

func (n orderNames) customer(id *int64) *customer.Customer {
	if id == nil {
		return nil
	}
	if c, ok := n.customers[*id]; ok {
		return &c
	}
	return nil
}

// orderRows names orders for a list: one statement each for their customers, locations and
// fulfilments (and lines, withLines), however many orders there are.
func (s *server) orderRows(ctx context.Context, list []order.Order, withLines bool) ([]orderRow, orderNames, error) {
	n, err := s.orderNames(ctx, list)
	if err != nil {
		return nil, n, err
	}
	ids := make([]int64, len(list))
	for i, o := range list {
		ids[i] = o.ID
	}
	fs, err := s.Orders.FulfilmentsByOrderIDs(ctx, ids)
	if err != nil {
		return nil, n, err
	}
	var lines map[int64][]order.Line
	if withLines {
		if lines, err = s.Orders.LinesByOrderIDs(ctx, ids); err != nil {
			return nil, n, err
		}
	}
	rows := make([]orderRow, len(list))
	for i, o := range list {
		rows[i] = orderRow{Order: o, Customer: n.customer(o.CustomerID), Lines: lines[o.ID]}
		var places []int64
		if o.LocationID != nil {
			places = append(places, *o.LocationID)
		}
		for _, f := range fs[o.ID] {
			places = append(places, f.LocationID)
			if f.PickupLocationID != nil {
				places = append(places, *f.PickupLocationID)
			}
		}
		seen := map[int64]bool{}
		for _, id := range places {
			if !seen[id] {
				seen[id] = true
				rows[i].Places = append(rows[i].Places, n.location(id))
			}
		}
	}
	return rows, n, nil
}

// orderList is the order list page.
type orderList struct {
	Filter    orderFilter
	Locations []location.Location
	Rows      []orderRow
	Pager     pager
}

func (s *server) orderList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readOrderFilter(r)
	page, err := s.Orders.List(ctx, f.query(viewOf(ctx).Zone()))
	if err != nil {
		return err
	}
	v := orderList{Filter: f}
	var names orderNames
	if v.Rows, names, err = s.orderRows(ctx, page.Orders, false); err != nil {
		return err
	}
	v.Locations = names.ActiveLocations()
	next := ""
	if page.HasNextPage {
		next = strconv.FormatInt(page.Orders[len(page.Orders)-1].ID, 10)
	}
	v.Pager = f.Trail.pager(-1, orderPageSize, next, f.url)
	if htmxTarget(r) == "order-results" {
		return s.fragment(w, r, http.StatusOK, orderResults(v))
	}
	return s.page(w, r, http.StatusOK, orderListPage(v))
}

// paymentForm is a payment as typed at the counter. Key is made when the form is shown,
// so that sending it twice records one payment.
type paymentForm struct {
	Key, Method, Amount, Reference, Tendered string
	// Points is how many of the member's points pay (method POINTS; the amount is their value).
	Points string
}

var paymentFields = fieldSet("method", "amount", "reference", "tendered", "points")

// decisionForm is a manager's note on a held order, with what was wrong with it.
type decisionForm struct {
	OrderID int64
	Note    string
	Errors  formErrors
}

// orderPage is an order with everything about it and what the viewer may do with it.
type orderPage struct {
	order.Detail
	Customer *customer.Customer
	// Store is the till's store (POS) or the store an associate ordered from.
	Store     *location.Location
	staff     map[int64]string
	locations locationIndex

	CanPay, CanDecide bool
	Pay               paymentForm
	PayErrors         formErrors
	Decision          decisionForm
	// Recorded is the payment just recorded, whose change the page shows to hand over.
	Recorded *order.Payment

	// Returns and Refunds are what came back and what was given back (for returns and for
	// cancelled goods); Refund is the form refunding cancelled goods.
	Returns      []returns.Return
	Refunds      []returns.Refund
	CanRefund    bool
	Refund       refundForm
	RefundErrors formErrors
}

// OwedBack is what the customer paid for goods cancelled since and has not been refunded.
func (p orderPage) OwedBack() int64 { return returns.CancellationDue(p.Order, p.Refunds) }

// Location is the location with id (a zero Location when unknown).
func (p orderPage) Location(id int64) location.Location { return p.locations.location(id) }

// Line is the order's line with id.
func (p orderPage) Line(id int64) order.Line {
	for _, l := range p.Lines {
		if l.ID == id {
			return l
		}
	}
	return order.Line{}
}

// StaffName is the name of the staff member who placed the order or took a payment ("" for
// anyone else).
func (p orderPage) StaffName(kind string, id *int64) string {
	if kind != string(actor.Staff) || id == nil {
		return ""
	}
	return p.staff[*id]
}

// EventPayment is the payment a PAYMENT event recorded, so the timeline can show its
// amounts formatted (the event's own message is in minor units, for API clients).
func (p orderPage) EventPayment(e order.Event) *order.Payment {
	if e.Kind != order.EventPayment {
		return nil
	}
	id, ok := e.Data["paymentId"].(float64) // JSON numbers
	if !ok {
		return nil
	}
	for i := range p.Payments {
		if p.Payments[i].ID == int64(id) {
			return &p.Payments[i]
		}
	}
	return nil
}

// CanCancel reports whether the decision form offers cancelling: the order may be
// cancelled (cancellable) and none of its goods has left (a till sale is returned, not
// cancelled).
func (p orderPage) CanCancel() bool {
	if !cancellable(p.Order) {
		return false
	}
	for _, f := range p.Fulfilments {
		if !slices.Contains([]order.FulfilmentStatus{order.FulfilmentOpen, order.FulfilmentPicking, order.FulfilmentPacked,
			order.FulfilmentReceived, order.FulfilmentReadyForPickup, order.FulfilmentCancelled}, f.Status) {
			return false
		}
	}
	return true
}

func (s *server) orderPage(ctx context.Context, id int64) (orderPage, error) {
	d, err := s.Orders.Detail(ctx, id)
	if err != nil {
		return orderPage{}, err
	}
	n, err := s.orderNames(ctx, []order.Order{d.Order})
	if err != nil {
		return orderPage{}, err
	}
	p := orderPage{Detail: d, Customer: n.customer(d.CustomerID), locations: n.locationIndex, staff: map[int64]string{}}
	if d.LocationID != nil {
		l := n.location(*d.LocationID)
		p.Store = &l
	}
	var staffIDs []int64
	if d.PlacedByKind == string(actor.Staff) && d.PlacedByID != nil {
		staffIDs = append(staffIDs, *d.PlacedByID)
	}
	for _, pay := range d.Payments {
		if pay.ActorKind == string(actor.Staff) && pay.ActorID != nil {
			staffIDs = append(staffIDs, *pay.ActorID)
		}
	}
	if len(staffIDs) > 0 {
		people, err := s.Staff.ByIDs(ctx, staffIDs)
		if err != nil {
			return p, err
		}
		for id, m := range people {
			p.staff[id] = m.Name
		}
	}
	a := actor.From(ctx)
	p.CanPay = canTakePayments(a) && d.Status != order.Cancelled && d.Due() > 0
	p.CanDecide = canDecideOrders(a) && (d.Status == order.OnHold || p.CanCancel())
	p.Pay = paymentForm{Key: newIdempotencyKey(), Method: string(order.Cash), Amount: formatAmountInput(d.Due(), d.Currency)}
	p.Decision.OrderID = d.ID
	rs, err := s.Returns.ReturnsByOrderIDs(ctx, []int64{id})
	if err != nil {
		return p, err
	}
	refunds, err := s.Returns.RefundsByOrderIDs(ctx, []int64{id})
	if err != nil {
		return p, err
	}
	p.Returns, p.Refunds = rs[id], refunds[id]
	p.CanRefund = canRefund(a)
	p.Refund = refundForm{Key: newIdempotencyKey()}
	return p, nil
}

func (s *server) orderShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.orderPage(r.Context(), id)
	if err != nil {
		return err
	}
	if pid, err := strconv.ParseInt(r.URL.Query().Get("payment"), 10, 64); err == nil {
		for i := range p.Payments {
			if p.Payments[i].ID == pid {
				p.Recorded = &p.Payments[i]
			}
		}
	}
	return s.page(w, r, http.StatusOK, orderShowPage(p))
}

// paymentCreate records a payment taken at a counter, then shows the order with the change
// to hand over. A refused payment shows the order again with the form as typed.
func (s *server) paymentCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	o, err := s.Orders.Order(ctx, id)
	if err != nil {
		return err
	}
	v := r.PostFormValue
	f := paymentForm{Key: v("idempotencyKey"), Method: v("method"), Amount: v("amount"), Reference: v("reference"),
		Tendered: v("tendered"), Points: v("points")}
	var errs apperr.List
	in := order.PaymentInput{OrderID: id, IdempotencyKey: f.Key, Method: order.PaymentMethod(f.Method),
		Reference: f.Reference, Tendered: optAmount(&errs, "tendered", f.Tendered, o.Currency)}
	if in.Method == order.Points {
		// The points' value is what is applied; the amount box (prefilled with what is due) is ignored.
		in.Points = int64(wholeNumber(&errs, "points", f.Points))
	} else {
		in.Amount = amount(&errs, "amount", f.Amount, o.Currency)
		if strings.TrimSpace(f.Points) != "" {
			errs = append(errs, apperr.Invalid("points", "points are given only when paying with points: choose the method Points or clear this box"))
		}
	}
	var res order.PaymentResult
	if err = errs.Err(); err == nil {
		res, err = s.Orders.RecordPayment(ctx, in)
	}
	if err != nil {
		f.Key = keyAfter(f.Key, err)
		return s.formFailed(w, r, err, paymentFields, func(fe formErrors) (templ.Component, error) {
			p, err := s.orderPage(ctx, id)
			if err != nil {
				return nil, err
			}
			p.Pay, p.PayErrors = f, fe
			return orderShowPage(p), nil
		})
	}
	return s.redirect(w, r, orderURL(id)+"?payment="+strconv.FormatInt(res.Payment.ID, 10), flashPaymentRecorded)
}

// orderRefund refunds what the customer paid for goods cancelled since (a return refunds
// returned goods on its own page).
func (s *server) orderRefund(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f := refundForm{Key: r.PostFormValue("idempotencyKey"), To: r.PostFormValue("to"), Reference: r.PostFormValue("reference")}
	_, err = s.Returns.RefundCancelled(ctx, returns.OrderRefundInput{IdempotencyKey: f.Key, OrderID: id,
		To: returns.RefundTo(f.To), Reference: f.Reference})
	if err != nil {
		f.Key = keyAfter(f.Key, err)
		return s.formFailed(w, r, err, fieldSet("to", "reference"), func(fe formErrors) (templ.Component, error) {
			p, err := s.orderPage(ctx, id)
			if err != nil {
				return nil, err
			}
			p.Refund, p.RefundErrors = f, fe
			return orderShowPage(p), nil
		})
	}
	return s.redirect(w, r, orderURL(id), flashOrderRefunded)
}

// inspectionQueue is the held orders with their reasons, newest first; Decision is the
// note of a row a decision on failed (without JavaScript).
type inspectionQueue struct {
	Rows     []orderRow
	Pager    pager
	Waiting  int
	Decision decisionForm
}

// Listed reports whether the order with id is among the rows (a decision on an order that
// has left the queue shows its errors above it).
func (q inspectionQueue) Listed(id int64) bool {
	return slices.ContainsFunc(q.Rows, func(r orderRow) bool { return r.ID == id })
}

func inspectionPageURL(after string, prev []string) string {
	return listURL(inspectionURL, nil, after, prev)
}

func (s *server) inspectionQueue(ctx context.Context, t trail) (inspectionQueue, error) {
	var q inspectionQueue
	f := order.Filter{Status: order.OnHold, Page: order.Page{First: orderPageSize}}
	f.After, _ = strconv.ParseInt(t.After, 10, 64)
	page, err := s.Orders.List(ctx, f)
	if err != nil {
		return q, err
	}
	if q.Rows, _, err = s.orderRows(ctx, page.Orders, true); err != nil {
		return q, err
	}
	next := ""
	if page.HasNextPage {
		next = strconv.FormatInt(page.Orders[len(page.Orders)-1].ID, 10)
	}
	q.Waiting = viewOf(ctx).OnHold()
	q.Pager = t.pager(q.Waiting, orderPageSize, next, inspectionPageURL)
	return q, nil
}

func (s *server) inspectionList(w http.ResponseWriter, r *http.Request) error {
	q, err := s.inspectionQueue(r.Context(), readTrail(r.URL.Query()))
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, inspectionPage(q))
}

// holdRowID is the id of a held order's row in the queue, which a decision replaces.
func holdRowID(id int64) string { return "hold-" + strconv.FormatInt(id, 10) }

// decision is what a manager can do with a held order: the service call, the statuses it
// leaves the order in, and the flash that says so.
type decision struct {
	Released bool
	do       func(context.Context, int64, string) (order.Order, error)
	after    []order.Status
	flash    string
}

func (s *server) orderRelease(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, decision{Released: true, do: s.Orders.Release,
		after: []order.Status{order.Open, order.Completed}, flash: flashOrderReleased})
}

func (s *server) orderCancel(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, decision{do: s.Orders.Cancel, after: []order.Status{order.Cancelled}, flash: flashOrderCancelled})
}

// decide releases or cancels an order with the manager's note, from the inspection queue
// (from=queue) or the order's page. With HTMX the queue's row is swapped for nothing (the
// order leaves the queue) and the badge and status line are updated out of band; without,
// the browser goes back to where it was. A decision refused because the order already is
// where it leads was a double submit: its first post made it.
func (s *server) decide(w http.ResponseWriter, r *http.Request, d decision) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	note, fromQueue, row := r.PostFormValue("note"), r.PostFormValue("from") == "queue", htmxTarget(r) == holdRowID(id)
	o, err := d.do(ctx, id, note)
	if hasReason(err, order.ReasonWrongStatus) {
		cur, cerr := s.Orders.Order(ctx, id)
		if cerr != nil {
			return cerr
		}
		if slices.Contains(d.after, cur.Status) {
			o, err = cur, nil
		}
	}
	if err != nil {
		return s.formFailed(w, r, err, fieldSet("note"), func(fe formErrors) (templ.Component, error) {
			form := decisionForm{OrderID: id, Note: note, Errors: fe}
			switch {
			case row:
				cur, err := s.Orders.Order(ctx, id)
				if err != nil {
					return nil, err
				}
				rows, _, err := s.orderRows(ctx, []order.Order{cur}, true)
				if err != nil {
					return nil, err
				}
				return holdRow(rows[0], form), nil
			case fromQueue:
				q, err := s.inspectionQueue(ctx, trail{})
				if err != nil {
					return nil, err
				}
				q.Decision = form
				return inspectionPage(q), nil
			}
			p, err := s.orderPage(ctx, id)
			if err != nil {
				return nil, err
			}
			p.Decision = form
			return orderShowPage(p), nil
		})
	}
	if row {
		return s.fragment(w, r, http.StatusOK, orderDecided(o, d, s.onHoldCount(ctx)))
	}
	if fromQueue {
		return s.redirect(w, r, inspectionURL, d.flash)
	}
	return s.redirect(w, r, orderURL(id), d.flash)
}

// onHoldCount is the navigation's badge: a failed count is logged and shows no badge
// rather than failing the page.
func (s *server) onHoldCount(ctx context.Context) int {
	n, err := s.Orders.OnHoldCount(ctx)
	if err != nil {
		observe.Logger(ctx, s.Log).Error("count orders on hold", "err", err)
		return 0
	}
	return n
}
