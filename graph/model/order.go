package model

import (
	"context"

	"atrium/internal/actor"
	"atrium/internal/order"
	"atrium/internal/returns"
)

// Global ID type names of the order objects.
const (
	TypeOrder      = "Order"
	TypeOrderLine  = "OrderLine"
	TypeFulfilment = "Fulfilment"
	TypePayment    = "Payment"
	TypeReturn     = "Return"
	TypeReturnLine = "ReturnLine"
	TypeRefund     = "Refund"
)

// Order is an order as the schema serves it: its amounts are Money, computed by methods
// rather than resolvers (no goroutine per field; see Product).
type Order struct{ order.Order }

// ID is the order's global ID.
func (o Order) ID() string { return GlobalID(TypeOrder, o.Order.ID) }

// Status is the order's status as the contract's String.
func (o Order) Status() string { return string(o.Order.Status) }

func (o Order) money(amount int64) Money { return Money{Amount: amount, Currency: o.Currency} }

// Subtotal is the merchandise at catalog prices.
func (o Order) Subtotal() Money { return o.money(o.Order.Subtotal) }

// Discount is the coupon discounts.
func (o Order) Discount() Money { return o.money(o.Order.Discount) }

// Shipping is the shipping charged.
func (o Order) Shipping() Money { return o.money(o.Order.Shipping) }

// Tax is the part of the total that is tax.
func (o Order) Tax() Money { return o.money(o.Order.Tax) }

// Total is what the order costs.
func (o Order) Total() Money { return o.money(o.Order.Total) }

// Paid is what was received.
func (o Order) Paid() Money { return o.money(o.Order.Paid) }

// Due is what is left to pay.
func (o Order) Due() Money { return o.money(o.Order.Due()) }

// Cancelled is the value of what was cancelled before it left.
func (o Order) Cancelled() Money { return o.money(o.CancelledAmount) }

// HoldReasons are why inspection held the order, never nil.
func (o Order) HoldReasons() []string {
	if o.Order.HoldReasons == nil {
		return []string{}
	}
	return o.Order.HoldReasons
}

// OrderLine is an order line with its order's currency, for its Money fields.
type OrderLine struct {
	order.Line
	Currency string
}

// ID is the line's global ID.
func (l OrderLine) ID() string { return GlobalID(TypeOrderLine, l.Line.ID) }

// LineNumber is the line's position on the order, from 1.
func (l OrderLine) LineNumber() int { return l.LineNo + 1 }

func (l OrderLine) money(amount int64) Money { return Money{Amount: amount, Currency: l.Currency} }

// UnitPrice is the price of one unit as sold.
func (l OrderLine) UnitPrice() Money { return l.money(l.Line.UnitPrice) }

// Subtotal is unit price × quantity.
func (l OrderLine) Subtotal() Money { return l.money(l.Line.Subtotal) }

// Discount is the line's share of the coupon discounts.
func (l OrderLine) Discount() Money { return l.money(l.Line.Discount) }

// Tax is the part of the line's total that is tax.
func (l OrderLine) Tax() Money { return l.money(l.Line.Tax) }

// Total is subtotal − discount.
func (l OrderLine) Total() Money { return l.money(l.Line.Total) }

// WrapLines gives lines their order's currency.
func WrapLines(lines []order.Line, currency string) []OrderLine {
	out := make([]OrderLine, len(lines))
	for i, l := range lines {
		out[i] = OrderLine{Line: l, Currency: currency}
	}
	return out
}

// FulfilmentLine is a quantity of an order line that a fulfilment serves.
type FulfilmentLine struct {
	Line     OrderLine
	Quantity int
}

// OrderLine is the order line.
func (l FulfilmentLine) OrderLine() OrderLine { return l.Line }

// Sku is the line's SKU.
func (l FulfilmentLine) Sku() string { return l.Line.SKU }

// Title is the line's title as sold.
func (l FulfilmentLine) Title() string { return l.Line.Title }

// Payment is money received against an order, its amounts as Money.
type Payment struct{ order.Payment }

// ID is the payment's global ID.
func (p Payment) ID() string { return GlobalID(TypePayment, p.Payment.ID) }

// Amount is what was applied to the order.
func (p Payment) Amount() Money { return Money{Amount: p.Payment.Amount, Currency: p.Currency} }

// Tendered is the cash handed over; nil for other methods.
func (p Payment) Tendered() *Money {
	if p.Payment.Tendered == nil {
		return nil
	}
	return &Money{Amount: *p.Payment.Tendered, Currency: p.Currency}
}

// Change is the change given back.
func (p Payment) Change() Money { return Money{Amount: p.ChangeGiven, Currency: p.Currency} }

// Reference is the slip number, payment id or note; nil when none.
func (p Payment) Reference() *string { return nonEmpty(p.Payment.Reference) }

// ProviderReference is the payment provider's reference; nil when none.
func (p Payment) ProviderReference() *string { return nonEmpty(p.Payment.ProviderReference) }

// AllocationCandidate is a location an allocation considered, with the SKUs of the
// allocation's lines (its figures are per line, in that order).
type AllocationCandidate struct {
	order.Candidate
	SKUs []string
}

// CandidateLine is what a candidate had of one line and was given.
type CandidateLine struct {
	Sku       string
	Available int
	Takes     int
}

// Lines pairs the candidate's figures with the allocation's SKUs.
func (c AllocationCandidate) Lines() []CandidateLine {
	out := make([]CandidateLine, len(c.SKUs))
	for i, sku := range c.SKUs {
		out[i].Sku = sku
		if i < len(c.Available) {
			out[i].Available = c.Available[i]
		}
		if i < len(c.Takes) {
			out[i].Takes = c.Takes[i]
		}
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Fulfilment is a fulfilment as the schema serves it. View is the fulfilment as the
// fulfilment API reads it for staff (items with scan progress, scans, carrier); nil when
// it was read with its order, and then read on demand.
type Fulfilment struct {
	order.Fulfilment
	View *order.FulfilmentView
}

// WrapView is a fulfilment read through the fulfilment API.
func WrapView(v order.FulfilmentView) Fulfilment {
	return Fulfilment{Fulfilment: v.Fulfilment, View: &v}
}

// FulfilmentItem is a fulfilment's order line as its picker and packer see it.
type FulfilmentItem struct {
	order.FulfilmentItem
	OrderID int64
}

// Return is a return as the schema serves it, its amounts as Money.
type Return struct{ returns.Return }

// ID is the return's global ID.
func (r Return) ID() string { return GlobalID(TypeReturn, r.Return.ID) }

func (r Return) money(amount int64) Money { return Money{Amount: amount, Currency: r.Currency} }

// Amount is the returned lines' totals.
func (r Return) Amount() Money { return r.money(r.Return.Amount) }

// Shipping is the shipping refunded with it.
func (r Return) Shipping() Money { return r.money(r.Return.Shipping) }

// Tax is the part of the total that is tax.
func (r Return) Tax() Money { return r.money(r.Return.Tax) }

// Total is what the return is owed.
func (r Return) Total() Money { return r.money(r.Return.Total) }

// Refunded is what was refunded so far.
func (r Return) Refunded() Money { return r.money(r.Return.Refunded) }

// Due is what is still to refund.
func (r Return) Due() Money { return r.money(r.Return.Due()) }

// OverrideReason is the manager's reason for a late return; nil when none.
func (r Return) OverrideReason() *string { return nonEmpty(r.Return.OverrideReason) }

// Note is free text; nil when none.
func (r Return) Note() *string { return nonEmpty(r.Return.Note) }

// CreatedBy is who received it, by name (see ActorName).
func (r Return) CreatedBy(ctx context.Context) *string {
	return ActorName(ctx, r.CreatedByKind, r.CreatedByName)
}

// ReturnLine is a returned line with its return's currency and order.
type ReturnLine struct {
	returns.Line
	Currency string
	OrderID  int64
}

// ID is the returned line's global ID.
func (l ReturnLine) ID() string { return GlobalID(TypeReturnLine, l.Line.ID) }

// Amount is the refund for the line's units.
func (l ReturnLine) Amount() Money { return Money{Amount: l.Line.Amount, Currency: l.Currency} }

// Note is free text; nil when none.
func (l ReturnLine) Note() *string { return nonEmpty(l.Line.Note) }

// Lot is the lot of a lot-tracked variant's units; nil otherwise.
func (l ReturnLine) Lot() *string { return nonEmpty(l.Line.Lot) }

// Refund is money given back, its amount as Money.
type Refund struct{ returns.Refund }

// ID is the refund's global ID.
func (r Refund) ID() string { return GlobalID(TypeRefund, r.Refund.ID) }

// Amount is what was given back.
func (r Refund) Amount() Money { return Money{Amount: r.Refund.Amount, Currency: r.Currency} }

// Reference is the till's reference; nil when none.
func (r Refund) Reference() *string { return nonEmpty(r.Refund.Reference) }

// ProviderReference is the refund provider's reference; nil when none.
func (r Refund) ProviderReference() *string { return nonEmpty(r.Refund.ProviderReference) }

// Actor is who gave it back, by name (see ActorName).
func (r Refund) Actor(ctx context.Context) *string {
	return ActorName(ctx, r.ActorKind, r.Refund.ActorName)
}

// ActorName is the name of who did something, as the viewer in ctx may see it: staff see
// every name; customers see their own, not the names of the staff who served them.
func ActorName(ctx context.Context, kind, name string) *string {
	if !actor.From(ctx).IsStaff() && actor.Kind(kind) != actor.Customer {
		return nil
	}
	return nonEmpty(name)
}

// Returnable is what may still be returned of an order.
type Returnable struct{ returns.Returnable }

// Lines are the order's lines with what may be returned of each.
func (r Returnable) Lines() []ReturnableLine {
	out := make([]ReturnableLine, len(r.Returnable.Lines))
	for i, l := range r.Returnable.Lines {
		out[i] = ReturnableLine{ReturnableLine: l, OrderID: r.OrderID}
	}
	return out
}

// Refundable is the most a refund may give back now.
func (r Returnable) Refundable() Money {
	return Money{Amount: max(0, r.Paid-r.Refunded), Currency: r.Currency}
}

// StoreCreditPossible reports whether a refund may go to store credit.
func (r Returnable) StoreCreditPossible() bool { return r.StoreCreditCustomerID != nil }

// ReturnableLine is what may be returned of one order line, with its order.
type ReturnableLine struct {
	returns.ReturnableLine
	OrderID int64
}

// Lots are the lots the sale took, never nil.
func (l ReturnableLine) Lots() []string {
	if l.ReturnableLine.Lots == nil {
		return []string{}
	}
	return l.ReturnableLine.Lots
}
