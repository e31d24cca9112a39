package order

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
)

// Reads. Staff see every order; a customer sees only their own (from every channel);
// anyone else sees none. The ...ByOrderIDs functions are batches for the transports'
// per-request loaders: one statement for a page of orders, orders not visible absent.

// visibleSQL limits orders o to what the viewer ($1: NULL for staff, else the customer's
// id, 0 for nobody) may see.
const visibleSQL = `($1::bigint IS NULL OR o.customer_id = $1)`

// viewer is the $1 of visibleSQL for the actor in ctx.
func viewer(ctx context.Context) *int64 {
	a := actor.From(ctx)
	switch {
	case a.IsStaff():
		return nil
	case a.Kind == actor.Customer:
		return &a.ID
	}
	none := int64(0)
	return &none
}

// Order returns one order the actor may see. Errors: NotFound.
func (s *Service) Order(ctx context.Context, id int64) (Order, error) {
	m, err := s.OrdersByIDs(ctx, []int64{id})
	if err != nil {
		return Order{}, err
	}
	o, ok := m[id]
	if !ok {
		return Order{}, apperr.NotFound("no order with id %d", id)
	}
	return o, nil
}

// OrdersByIDs returns the orders with the given ids that the actor may see, keyed by id.
func (s *Service) OrdersByIDs(ctx context.Context, ids []int64) (map[int64]Order, error) {
	var rows []Order
	err := s.db.SelectContext(ctx, &rows, `SELECT `+orderColumns+` FROM orders o
		WHERE o.id = ANY($2) AND `+visibleSQL, viewer(ctx), pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("orders by id: %w", err)
	}
	out := make(map[int64]Order, len(rows))
	for _, o := range rows {
		out[o.ID] = o
	}
	return out, nil
}

// OrderByNumber returns the order with a number (e.g. A-000123, case-insensitive) that
// the actor may see. Errors: NotFound.
func (s *Service) OrderByNumber(ctx context.Context, number string) (Order, error) {
	page, err := s.list(ctx, Filter{Number: number, Page: Page{First: 1}})
	if err != nil {
		return Order{}, err
	}
	if len(page.Orders) == 0 || !strings.EqualFold(page.Orders[0].Number, strings.TrimSpace(number)) {
		return Order{}, apperr.NotFound("no order %s", number)
	}
	return page.Orders[0], nil
}

// MaxPage is the most orders one page returns.
const MaxPage = 100

// Page selects a page of orders, newest first.
type Page struct {
	// After is the id of the last order of the previous page (0 for the first page).
	After int64
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// Filter selects a page of orders, newest first. Zero fields do not filter.
type Filter struct {
	Page
	Status     Status
	Channel    Channel
	CustomerID int64
	// LocationID matches the till's store and the locations fulfilling the order.
	LocationID int64
	// Number matches an order number exactly (case-insensitive).
	Number string
	// Email matches the order's contact email exactly (case-insensitive).
	Email        string
	PlacedFrom   *time.Time
	PlacedBefore *time.Time
	// PaymentStatus finds what is still unpaid (the till, the accountants).
	PaymentStatus PaymentStatus
}

// OrderPage is one page of orders.
type OrderPage struct {
	Orders      []Order
	HasNextPage bool
}

// ForCustomer returns a page of a customer's orders from every channel, newest first. A
// customer may read only their own; staff anyone's. Errors: Unauthenticated, Forbidden.
func (s *Service) ForCustomer(ctx context.Context, customerID int64, page Page) (OrderPage, error) {
	a := actor.From(ctx)
	switch {
	case a.Kind == actor.Anonymous:
		return OrderPage{}, apperr.Unauthenticated("sign in to see your orders")
	case !a.IsStaff() && (a.Kind != actor.Customer || a.ID != customerID):
		return OrderPage{}, apperr.Forbidden("you can see only your own orders")
	}
	return s.list(ctx, Filter{CustomerID: customerID, Page: page})
}

// List returns a page of orders matching f, newest first: the back office's order list
// and inspection queue (Status ON_HOLD). Staff only. Errors: Unauthenticated, Forbidden.
func (s *Service) List(ctx context.Context, f Filter) (OrderPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return OrderPage{}, err
	}
	return s.list(ctx, f)
}

func (s *Service) list(ctx context.Context, f Filter) (OrderPage, error) {
	first := f.First
	if first <= 0 {
		first = 20
	}
	first = min(first, MaxPage)
	var rows []Order
	err := s.db.SelectContext(ctx, &rows, `SELECT `+orderColumns+` FROM orders o
		WHERE `+visibleSQL+`
		  AND ($2 = '' OR o.status = $2) AND ($3 = '' OR o.channel = $3)
		  AND ($4 = 0 OR o.customer_id = $4)
		  AND ($5 = 0 OR o.location_id = $5 OR EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id
		       AND (f.location_id = $5 OR f.pickup_location_id = $5)))
		  AND ($6 = '' OR o.number = upper($6)) AND ($7 = '' OR o.email = lower($7))
		  AND ($8::timestamptz IS NULL OR o.created_at >= $8) AND ($9::timestamptz IS NULL OR o.created_at < $9)
		  AND ($10 = 0 OR o.id < $10) AND ($12 = '' OR o.payment_status = $12)
		ORDER BY o.id DESC LIMIT $11`,
		viewer(ctx), string(f.Status), string(f.Channel), f.CustomerID, f.LocationID, strings.TrimSpace(f.Number),
		strings.TrimSpace(f.Email), f.PlacedFrom, f.PlacedBefore, f.After, first+1, string(f.PaymentStatus))
	if err != nil {
		return OrderPage{}, fmt.Errorf("list orders: %w", err)
	}
	page := OrderPage{Orders: rows, HasNextPage: len(rows) > first}
	if page.HasNextPage {
		page.Orders = rows[:first]
	}
	return page, nil
}

// LinesByOrderIDs returns the lines of the visible orders among ids, in line order.
func (s *Service) LinesByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Line, error) {
	return children(ctx, s, "order_lines", lineColumns, "c.line_no", ids, func(l Line) int64 { return l.OrderID })
}

// FulfilmentsByOrderIDs returns the fulfilments of the visible orders among ids, with
// their lines, oldest first (a re-route adds new ones).
func (s *Service) FulfilmentsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Fulfilment, error) {
	out, err := children(ctx, s, "fulfilments", fulfilmentColumns, "c.id", ids, func(f Fulfilment) int64 { return f.OrderID })
	if err != nil || len(out) == 0 {
		return out, err
	}
	var fids []int64
	for _, fs := range out {
		for _, f := range fs {
			fids = append(fids, f.ID)
		}
	}
	var lines []FulfilmentLine
	err = s.db.SelectContext(ctx, &lines, `SELECT fl.fulfilment_id, fl.order_line_id, fl.quantity
		FROM fulfilment_lines fl JOIN order_lines l ON l.id = fl.order_line_id
		WHERE fl.fulfilment_id = ANY($1) ORDER BY fl.fulfilment_id, l.line_no`, pq.Array(fids))
	if err != nil {
		return nil, fmt.Errorf("fulfilment lines: %w", err)
	}
	byFulfilment := map[int64][]FulfilmentLine{}
	for _, l := range lines {
		byFulfilment[l.FulfilmentID] = append(byFulfilment[l.FulfilmentID], l)
	}
	for _, fs := range out {
		for i := range fs {
			fs[i].Lines = byFulfilment[fs[i].ID]
		}
	}
	return out, nil
}

// AllocationsByOrderIDs returns the allocation decisions of the visible orders among
// ids, with their explanations, oldest first. Staff only: the explanation names stock
// figures. Errors: Unauthenticated, Forbidden.
func (s *Service) AllocationsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Allocation, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	return children(ctx, s, "order_allocations", allocationColumns, "c.id", ids, func(a Allocation) int64 { return a.OrderID })
}

// EventsByOrderIDs returns the timelines of the visible orders among ids, oldest first.
func (s *Service) EventsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Event, error) {
	return children(ctx, s, "order_events", eventColumns, "c.id", ids, func(e Event) int64 { return e.OrderID })
}

// PaymentsByOrderIDs returns the payments of the visible orders among ids, oldest first.
func (s *Service) PaymentsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Payment, error) {
	return children(ctx, s, "payments", paymentColumns, "c.id", ids, func(p Payment) int64 { return p.OrderID })
}

// children reads the rows of table c (columns) that belong to the visible orders among
// ids, grouped by order.
func children[T any](ctx context.Context, s *Service, table, columns, orderBy string, ids []int64,
	orderID func(T) int64) (map[int64][]T, error) {
	var rows []T
	err := s.db.SelectContext(ctx, &rows, `SELECT `+columns+` FROM `+table+` c JOIN orders o ON o.id = c.order_id
		WHERE c.order_id = ANY($2) AND `+visibleSQL+` ORDER BY c.order_id, `+orderBy, viewer(ctx), pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("%s by order: %w", table, err)
	}
	out := make(map[int64][]T, len(ids))
	for _, r := range rows {
		out[orderID(r)] = append(out[orderID(r)], r)
	}
	return out, nil
}

// Detail is an order with everything about it, for the back office's order page and
// for tests.
type Detail struct {
	Order
	Lines       []Line
	Fulfilments []Fulfilment
	// Allocations are empty for customers (staff only).
	Allocations []Allocation
	Payments    []Payment
	Events      []Event
}

// Detail returns an order the actor may see with its lines, fulfilments, allocations
// (staff only), payments and events. Errors: NotFound.
func (s *Service) Detail(ctx context.Context, id int64) (Detail, error) {
	o, err := s.Order(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Order: o}
	ids := []int64{id}
	lines, err := s.LinesByOrderIDs(ctx, ids)
	if err != nil {
		return d, err
	}
	fs, err := s.FulfilmentsByOrderIDs(ctx, ids)
	if err != nil {
		return d, err
	}
	ps, err := s.PaymentsByOrderIDs(ctx, ids)
	if err != nil {
		return d, err
	}
	evs, err := s.EventsByOrderIDs(ctx, ids)
	if err != nil {
		return d, err
	}
	d.Lines, d.Fulfilments, d.Payments, d.Events = lines[id], fs[id], ps[id], evs[id]
	if actor.From(ctx).IsStaff() {
		as, err := s.AllocationsByOrderIDs(ctx, ids)
		if err != nil {
			return d, err
		}
		d.Allocations = as[id]
	}
	return d, nil
}
