package graph

import (
	"context"
	"fmt"
	"slices"

	"atrium/graph/model"
	"atrium/internal/apperr"
	"atrium/internal/order"
	"atrium/internal/returns"
)

// The fulfilment and returns resolvers' decoding and encoding.

const (
	typeReturn     = model.TypeReturn
	typeReturnLine = model.TypeReturnLine
)

// renamedUserErrors is userErrors with the service's field names replaced by the
// schema's where an argument is named differently (e.g. a manager's override "reason"
// is the argument overrideReason), under prefix.
func renamedUserErrors(err error, names map[string]string, prefix ...string) ([]model.UserError, error) {
	errs, err := userErrors(err, prefix...)
	for i := range errs {
		for j, f := range errs[i].Field {
			if name, ok := names[f]; ok {
				errs[i].Field[j] = name
			}
		}
	}
	return errs, err
}

// fulfilmentPayload answers a fulfilment step: the fulfilment after it, or what the user
// can fix (field paths under prefix, renamed by names).
func fulfilmentPayload(v order.FulfilmentView, err error, names map[string]string, prefix ...string) (*model.FulfilmentPayload, error) {
	if err != nil {
		errs, err := renamedUserErrors(err, names, prefix...)
		if err != nil {
			return nil, err
		}
		return &model.FulfilmentPayload{UserErrors: errs}, nil
	}
	f := model.WrapView(v)
	return &model.FulfilmentPayload{Fulfilment: &f, UserErrors: []model.UserError{}}, nil
}

// fulfilmentStep decodes a fulfilment's ID and runs step on it.
func fulfilmentStep(gid string, step func(id int64) (order.FulfilmentView, error)) (*model.FulfilmentPayload, error) {
	id, err := decodeIDOf("id", typeFulfilment, gid)
	if err != nil {
		return fulfilmentPayload(order.FulfilmentView{}, err, nil)
	}
	v, err := step(id)
	return fulfilmentPayload(v, err, nil)
}

// lineQuantities decodes a list of order line quantities (field lines.<i>.orderLineId).
func lineQuantities(in []model.OrderLineQuantityInput) ([]order.LineQuantity, error) {
	out := make([]order.LineQuantity, len(in))
	var errs apperr.List
	for i, l := range in {
		id, err := decodeIDOf(fmt.Sprintf("lines.%d.orderLineId", i), typeOrderLine, l.OrderLineID)
		if err != nil {
			errs = append(errs, err.(*apperr.Error))
		}
		out[i] = order.LineQuantity{OrderLineID: id, Quantity: l.Quantity}
	}
	return out, errs.Err()
}

// view is fulfilment f as the fulfilment API reads it: as it came from a step or query,
// else read through the operation's loader (staff only).
func view(ctx context.Context, f *model.Fulfilment) (*order.FulfilmentView, error) {
	if f.View != nil {
		return f.View, nil
	}
	v, err := load(ctx, loadersFrom(ctx).fulfilmentView, f.ID)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// steps are fulfilment f's events on its order's timeline, through the operation's loader
// of events (so a page of orders reads every fulfilment's steps in one statement).
func steps(ctx context.Context, f *model.Fulfilment) ([]order.Event, error) {
	if f.View != nil && f.View.Steps != nil {
		return f.View.Steps, nil
	}
	events, err := load(ctx, loadersFrom(ctx).orderEvents, f.OrderID)
	if err != nil {
		return nil, err
	}
	out := []order.Event{}
	for _, e := range events {
		if e.FulfilmentID != nil && *e.FulfilmentID == f.ID {
			out = append(out, e)
		}
	}
	return out, nil
}

// stepDetail is a detail (e.g. the carrier) recorded on the latest step of kind of
// fulfilment f; nil when there is none.
func stepDetail(ctx context.Context, f *model.Fulfilment, kind, key string) (*string, error) {
	evs, err := steps(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, e := range slices.Backward(evs) {
		if e.Kind == kind {
			if s, ok := e.Data[key].(string); ok {
				return nonEmpty(s), nil
			}
			return nil, nil
		}
	}
	return nil, nil
}

// fulfilmentItems are a fulfilment's items with its order, for their order line.
func fulfilmentItems(v *order.FulfilmentView) []model.FulfilmentItem {
	out := make([]model.FulfilmentItem, len(v.Items))
	for i, it := range v.Items {
		out[i] = model.FulfilmentItem{FulfilmentItem: it, OrderID: v.OrderID}
	}
	return out
}

// orderLine is line id of order orderID, through the operation's loader of lines.
func orderLine(ctx context.Context, orderID, id int64) (*model.OrderLine, error) {
	l := loadersFrom(ctx)
	o, err := load(ctx, l.order, orderID)
	if err != nil {
		return nil, err
	}
	lines, err := load(ctx, l.orderLines, orderID)
	if err != nil {
		return nil, err
	}
	for _, line := range lines {
		if line.ID == id {
			return &model.OrderLine{Line: line, Currency: o.Currency}, nil
		}
	}
	return nil, fmt.Errorf("order %d has no line %d", orderID, id)
}

// returnPayload answers a change to a return: the return, or what the user can fix.
func (r *Resolver) returnPayload(ctx context.Context, d returns.Detail, err error, names map[string]string, prefix ...string) (*model.ReturnPayload, error) {
	if err != nil {
		errs, err := renamedUserErrors(err, names, prefix...)
		if err != nil {
			return nil, err
		}
		return &model.ReturnPayload{UserErrors: errs}, nil
	}
	primeReturn(ctx, d)
	return &model.ReturnPayload{Return: &model.Return{Return: d.Return}, Replayed: d.Replayed, UserErrors: []model.UserError{}}, nil
}

// primeReturn gives the operation's loaders a return's lines and refunds, read with it.
func primeReturn(ctx context.Context, d returns.Detail) {
	l := loadersFrom(ctx)
	l.returnLines.Clear(d.ID)
	l.returnLines.Prime(d.ID, d.Lines)
	l.refunds.Clear(d.ID)
	l.refunds.Prime(d.ID, d.Refunds)
}

// returnLines are a return's lines with its currency and order.
func returnLines(ctx context.Context, ret *model.Return) ([]model.ReturnLine, error) {
	lines, err := load(ctx, loadersFrom(ctx).returnLines, ret.Return.ID)
	out := make([]model.ReturnLine, len(lines))
	for i, l := range lines {
		out[i] = model.ReturnLine{Line: l, Currency: ret.Currency, OrderID: ret.OrderID}
	}
	return out, err
}

// wrapRefunds wraps refunds for the schema.
func wrapRefunds(rs []returns.Refund) []model.Refund {
	out := make([]model.Refund, len(rs))
	for i, r := range rs {
		out[i] = model.Refund{Refund: r}
	}
	return out
}

// returnInput decodes createReturn's input.
func returnInput(in model.CreateReturnInput) (returns.CreateInput, error) {
	out := returns.CreateInput{IdempotencyKey: in.IdempotencyKey, Note: deref(in.Note), OverrideReason: deref(in.OverrideReason),
		Lines: make([]returns.LineInput, len(in.Lines))}
	var errs apperr.List
	add := func(err error) {
		if err != nil {
			errs = append(errs, err.(*apperr.Error))
		}
	}
	var err error
	out.OrderID, err = decodeIDOf("orderId", typeOrder, in.OrderID)
	add(err)
	out.LocationID, err = decodeIDOf("locationId", typeLocation, in.LocationID)
	add(err)
	for i, l := range in.Lines {
		id, err := decodeIDOf(fmt.Sprintf("lines.%d.orderLineId", i), typeOrderLine, l.OrderLineID)
		add(err)
		out.Lines[i] = returns.LineInput{OrderLineID: id, Quantity: l.Quantity, Reason: l.Reason, Note: deref(l.Note),
			Disposition: l.Disposition, Lot: deref(l.Lot)}
	}
	return out, errs.Err()
}

// viewsByID reads fulfilments one by one with their scans and steps: the pack screen
// that shows scans shows one fulfilment at a time (a page of them comes with its items).
func viewsByID(s *order.Service) batchFunc[order.FulfilmentView] {
	return func(ctx context.Context, ids []int64) (map[int64]order.FulfilmentView, error) {
		out := make(map[int64]order.FulfilmentView, len(ids))
		for _, id := range ids {
			v, err := s.FulfilmentByID(ctx, id)
			switch {
			case apperr.CodeOf(err) == apperr.CodeNotFound:
				continue
			case err != nil:
				return nil, err
			}
			out[id] = v
		}
		return out, nil
	}
}

// nilIfEmpty is nil for a nil or empty string.
func nilIfEmpty(p *string) *string {
	if p == nil || *p == "" {
		return nil
	}
	return p
}
