package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"atrium/graph/model"
	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/order"
	"atrium/internal/postgres"
)

// The order resolvers' decoding and encoding: global IDs into the order service's ids,
// its results and errors into payloads and connections, and the orderUpdated feed.

const (
	typeOrder      = model.TypeOrder
	typeOrderLine  = model.TypeOrderLine
	typeFulfilment = model.TypeFulfilment
)

// OrderUpdatesChannel is the PostgreSQL notification channel on which the order service
// announces, with the order's id as payload, every committed change of an order (see
// internal/order: addEvents and insertOrder).
const OrderUpdatesChannel = "order_updated"

// OrderFeed delivers the ids of orders changed on any server to orderUpdated subscriptions.
type OrderFeed = postgres.Feed[int64]

// NewOrderFeed returns the feed of order changes committed on the database at dsn; the
// caller runs it (Run) for as long as the server serves.
func NewOrderFeed(dsn string) *OrderFeed {
	return postgres.NewFeed(dsn, OrderUpdatesChannel, func(payload string) (int64, bool) {
		id, err := strconv.ParseInt(strings.TrimSpace(payload), 10, 64)
		return id, err == nil && id > 0
	})
}

// errNoOrderFeed is the internal error of an orderUpdated subscription on a server
// without Deps.OrderFeed.
var errNoOrderFeed = errors.New("orderUpdated: no order feed configured")

func wrapOrder(o order.Order) model.Order { return model.Order{Order: o} }

// placeOrderInput decodes placeOrder's input into the order service's. Errors:
// apperr.Invalid on the field of an ID that is not one of the right type.
func placeOrderInput(in model.PlaceOrderInput) (order.PlaceOrderInput, error) {
	out := order.PlaceOrderInput{
		IdempotencyKey: in.IdempotencyKey,
		Channel:        in.Channel,
		Email:          deref(in.Email),
		Lines:          make([]order.LineInput, len(in.Lines)),
		CouponCodes:    in.CouponCodes,
		PaymentMethod:  deref(in.PaymentMethod),
	}
	for i, l := range in.Lines {
		out.Lines[i] = order.LineInput{SKU: l.Sku, Quantity: l.Quantity}
	}
	var errs apperr.List
	decode := func(field, typ string, gid *string, dst *int64) {
		id, err := optionalID(field, typ, gid)
		if err != nil {
			errs = append(errs, err.(*apperr.Error))
		} else if id != nil {
			*dst = *id
		}
	}
	decode("locationId", typeLocation, in.LocationID, &out.LocationID)
	decode("customerId", typeCustomer, in.CustomerID, &out.CustomerID)
	if f := in.Fulfillment; f != nil {
		out.Fulfilment.Method = f.Method
		decode("fulfillment.pickupLocationId", typeLocation, f.PickupLocationID, &out.Fulfilment.PickupLocationID)
		if a := f.ShippingAddress; a != nil {
			out.Fulfilment.ShippingAddress = &order.Address{Name: a.Name, Line1: a.Line1, Line2: deref(a.Line2),
				City: a.City, Region: deref(a.Region), PostalCode: a.PostalCode, Country: a.Country,
				Phone: deref(a.Phone), Latitude: a.Latitude, Longitude: a.Longitude}
		}
	}
	return out, errs.Err()
}

// orderPayload answers a change to an order: the order, or what the user can fix.
func orderPayload(o order.Order, err error, prefix ...string) (*model.OrderPayload, error) {
	if err != nil {
		errs, err := userErrors(err, prefix...)
		if err != nil {
			return nil, err
		}
		return &model.OrderPayload{UserErrors: errs}, nil
	}
	return &model.OrderPayload{Order: &model.Order{Order: o}, UserErrors: []model.UserError{}}, nil
}

// orderConnection makes a page of orders a connection and primes the operation's loaders
// with the page's orders and the children the client asked for.
func (r *Resolver) orderConnection(ctx context.Context, page order.OrderPage) *model.OrderConnection {
	orders := make([]model.Order, len(page.Orders))
	for i, o := range page.Orders {
		orders[i] = wrapOrder(o)
	}
	r.prefetchOrders(ctx, ctx, page.Orders, "edges", "node")
	conn := &model.OrderConnection{}
	conn.Edges, conn.PageInfo = edges(orders, page.HasNextPage,
		func(o *model.Order) string { return encodeID(typeCursor, o.Order.ID) },
		func(c string, o *model.Order) model.OrderEdge { return model.OrderEdge{Cursor: c, Node: o} })
	return conn
}

// orderPage decodes a connection's first (1 to order.MaxPage) and after.
func orderPage(first *int, after *string) (order.Page, error) {
	if first != nil && (*first < 1 || *first > order.MaxPage) {
		return order.Page{}, apperr.Invalid("first", "first is 1 to %d", order.MaxPage)
	}
	id, err := afterID(after)
	return order.Page{First: deref(first), After: id}, err
}

// orderFilter decodes the staff search's arguments. search is an order number or, with
// an @, a contact email.
func orderFilter(first *int, after, search, customerID *string, channel *order.Channel, status *order.Status,
	paymentStatus *order.PaymentStatus, locationID *string, from, to *time.Time) (order.Filter, error) {
	page, err := orderPage(first, after)
	if err != nil {
		return order.Filter{}, err
	}
	f := order.Filter{Page: page, Channel: deref(channel), Status: deref(status), PaymentStatus: deref(paymentStatus),
		PlacedFrom: from, PlacedBefore: to}
	if q := strings.TrimSpace(deref(search)); strings.Contains(q, "@") {
		f.Email = q
	} else {
		f.Number = q
	}
	if customerID != nil {
		if f.CustomerID, err = decodeIDOf("customerId", typeCustomer, *customerID); err != nil {
			return f, err
		}
	}
	if locationID != nil {
		if f.LocationID, err = decodeIDOf("locationId", typeLocation, *locationID); err != nil {
			return f, err
		}
	}
	return f, nil
}

// prefetchOrders reads, in one statement each, the children of orders that the client
// asked for under path (lines, fulfilments, payments, events, allocations, returns) and
// primes the operation's loaders with them, as prefetch does for products: a page of
// orders with its lines and fulfilments takes a statement per kind of child, whatever its
// size. The reads run as the actor in readCtx. Only an optimisation: when a read fails,
// the field resolvers load (and report) it themselves.
func (r *Resolver) prefetchOrders(ctx, readCtx context.Context, orders []order.Order, path ...string) {
	l := loadersFrom(ctx)
	ids := make([]int64, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
		l.order.Prime(o.ID, wrapOrder(o))
	}
	if len(ids) == 0 {
		return
	}
	at := func(fields ...string) bool { return requested(ctx, append(path[:len(path):len(path)], fields...)...) }
	if at("lines") || at("fulfilments") {
		primeMany(readCtx, l.orderLines, ids, r.Orders.LinesByOrderIDs)
	}
	if at("fulfilments") {
		primeMany(readCtx, l.fulfilments, ids, r.Orders.FulfilmentsByOrderIDs)
	}
	if at("payments") {
		primeMany(readCtx, l.payments, ids, r.Orders.PaymentsByOrderIDs)
	}
	// A fulfilment's steps, carrier and tracking number are read from the timeline.
	if at("events") || slices.ContainsFunc([]string{"steps", "carrier", "trackingNumber", "cancelReason"},
		func(f string) bool { return at("fulfilments", f) }) {
		primeMany(readCtx, l.orderEvents, ids, r.Orders.EventsByOrderIDs)
	}
	if at("returns") && r.Returns != nil {
		primeMany(readCtx, l.returnsByOrder, ids, r.Returns.ReturnsByOrderIDs)
	}
	if (at("refunds") || at("refundDue")) && r.Returns != nil {
		primeMany(readCtx, l.orderRefunds, ids, r.Returns.RefundsByOrderIDs)
	}
	if at("allocations") && actor.From(ctx).IsStaff() {
		primeMany(readCtx, l.allocations, ids, r.Orders.AllocationsByOrderIDs)
	}
}

// forgetOrder drops what the loaders hold about order id, so that the next read of it
// (orderUpdated's next event) is fresh.
func (l *loaders) forgetOrder(id int64) {
	l.order.Clear(id)
	l.orderLines.Clear(id)
	l.fulfilments.Clear(id)
	l.allocations.Clear(id)
	l.orderEvents.Clear(id)
	l.payments.Clear(id)
	l.returnsByOrder.Clear(id)
	l.orderRefunds.Clear(id)
	l.fulfilmentView.ClearAll()
	l.fulfilmentFull.ClearAll()
}

// orderLines are an order's lines with its currency, through the operation's loader.
func orderLines(ctx context.Context, o *order.Order) ([]model.OrderLine, error) {
	lines, err := load(ctx, loadersFrom(ctx).orderLines, o.ID)
	if err != nil {
		return nil, err
	}
	return model.WrapLines(lines, o.Currency), nil
}

// fulfilmentLines pairs a fulfilment's quantities with its order's lines.
func fulfilmentLines(ctx context.Context, f *order.Fulfilment) ([]model.FulfilmentLine, error) {
	l := loadersFrom(ctx)
	lines, err := load(ctx, l.orderLines, f.OrderID)
	if err != nil {
		return nil, err
	}
	o, err := load(ctx, l.order, f.OrderID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]order.Line, len(lines))
	for _, line := range lines {
		byID[line.ID] = line
	}
	out := make([]model.FulfilmentLine, 0, len(f.Lines))
	for _, fl := range f.Lines {
		line, ok := byID[fl.OrderLineID]
		if !ok {
			return nil, fmt.Errorf("fulfilment %d: order line %d not found", f.ID, fl.OrderLineID)
		}
		out = append(out, model.FulfilmentLine{Line: model.OrderLine{Line: line, Currency: o.Currency}, Quantity: fl.Quantity})
	}
	return out, nil
}

// deliveryAddress is a fulfilment's shipping address as the schema serves it.
func deliveryAddress(a *order.Address) *model.DeliveryAddress {
	if a == nil {
		return nil
	}
	return &model.DeliveryAddress{Name: a.Name, Line1: a.Line1, Line2: nonEmpty(a.Line2), City: a.City,
		Region: nonEmpty(a.Region), PostalCode: a.PostalCode, Country: a.Country, Phone: nonEmpty(a.Phone)}
}

// candidates are an allocation's candidates with its lines' SKUs.
func candidates(a *order.Allocation) []model.AllocationCandidate {
	skus := make([]string, len(a.Explanation.Lines))
	for i, l := range a.Explanation.Lines {
		skus[i] = l.SKU
	}
	out := make([]model.AllocationCandidate, len(a.Explanation.Candidates))
	for i, c := range a.Explanation.Candidates {
		out[i] = model.AllocationCandidate{Candidate: c, SKUs: skus}
	}
	return out
}

// watchOrder sends order id each time it changes, read as the actor in ctx, until ctx
// ends or the feed stops. The actor must be able to see the order now: errors
// Unauthenticated for anonymous callers, NotFound for an order not theirs to see.
func (r *Resolver) watchOrder(ctx context.Context, id int64) (<-chan *model.Order, error) {
	if actor.From(ctx).Kind == actor.Anonymous {
		return nil, apperr.Unauthenticated("sign in to follow an order")
	}
	ctx, cancel := context.WithCancel(ctx)
	// Subscribe before the check, so that no change committed after it is missed.
	changes := r.OrderFeed.Subscribe(ctx, func(changed int64) bool { return changed == id })
	if _, err := r.Orders.Order(ctx, id); err != nil {
		cancel()
		return nil, err
	}
	l := loadersFrom(ctx)
	out := make(chan *model.Order)
	go func() {
		defer cancel()
		defer close(out)
		for range changes {
			o, ok := r.readOrder(ctx, id)
			if !ok {
				return
			}
			l.forgetOrder(id)
			l.order.Prime(id, o)
			select {
			case out <- &o:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// readOrder reads order id for watchOrder, retrying a failed read until it succeeds or
// ctx ends; false when ctx ended or the order is no longer visible.
func (r *Resolver) readOrder(ctx context.Context, id int64) (model.Order, bool) {
	for {
		o, err := r.Orders.Order(ctx, id)
		switch {
		case err == nil:
			return wrapOrder(o), true
		case apperr.CodeOf(err) == apperr.CodeNotFound:
			return model.Order{}, false
		}
		select {
		case <-time.After(reloadRetry):
		case <-ctx.Done():
			return model.Order{}, false
		}
	}
}

// reloadRetry is how long watchOrder waits before reading an order again after a failed read.
const reloadRetry = time.Second

// eventActor is who did event e, by name, as the viewer in ctx may see it (see
// model.ActorName).
func eventActor(ctx context.Context, e *order.Event) *string {
	return model.ActorName(ctx, e.ActorKind, e.ActorName)
}
