package order

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// cancelLines cancels quantities of an order's lines; see Service.CancelLines.
func (s *Service) cancelLines(ctx context.Context, in CancelLinesInput) (Order, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager, actor.Associate, actor.Fulfilment); err != nil {
		return Order{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	var errs apperr.List
	if in.Reason == "" {
		errs = append(errs, apperr.Invalid("reason", "say why the items are cancelled, for the order's record"))
	}
	if len(in.Lines) == 0 {
		errs = append(errs, apperr.Invalid("lines", "choose at least one line to cancel"))
	}
	seen := map[int64]bool{}
	for i, l := range in.Lines {
		if seen[l.OrderLineID] {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d.orderLineId", i), "this line is listed twice"))
		}
		seen[l.OrderLineID] = true
		if l.Quantity <= 0 {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d.quantity", i), "enter a positive quantity to cancel"))
		}
	}
	if err := errs.Err(); err != nil {
		return Order{}, err
	}
	var out Order
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var o Order
		if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders o WHERE o.id = $1 FOR UPDATE`, in.OrderID); err != nil {
			return postgres.NotFound(err, "no order with id %d", in.OrderID)
		}
		if o.Status != Open && o.Status != OnHold {
			return wrongStatus(o, "changed")
		}
		var lines []Line
		if err := tx.SelectContext(ctx, &lines, `SELECT `+lineColumns+` FROM order_lines c WHERE c.order_id = $1`, o.ID); err != nil {
			return fmt.Errorf("order lines: %w", err)
		}
		var fs []FulfilmentView
		err := tx.SelectContext(ctx, &fs, viewSelect+` WHERE c.order_id = $1 AND c.status = ANY($2) ORDER BY c.id FOR UPDATE OF c`,
			o.ID, pq.Array(statusStrings(cancellable)))
		if err != nil {
			return fmt.Errorf("lock fulfilments: %w", err)
		}
		if err := withItems(ctx, tx, fs); err != nil {
			return err
		}
		// Least advanced first: what has not been picked yet is the cheapest to cancel.
		slices.SortStableFunc(fs, func(a, b FulfilmentView) int {
			return cmp.Compare(slices.Index(cancellable, a.Status), slices.Index(cancellable, b.Status))
		})
		takes := make([]map[int64]int, len(fs)) // per fulfilment: order line → units cancelled
		units := map[int64]int{}
		var said []string
		for i, l := range in.Lines {
			j := slices.IndexFunc(lines, func(ol Line) bool { return ol.ID == l.OrderLineID })
			if j < 0 {
				errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d.orderLineId", i), "this line is not on order %s", o.Number))
				continue
			}
			ol := lines[j]
			open := 0
			for _, f := range fs {
				for _, it := range f.Items {
					if it.OrderLineID == ol.ID {
						open += it.Quantity
					}
				}
			}
			if l.Quantity > open {
				errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d.quantity", i),
					"only %d of %s can still be cancelled (of %d ordered, %d already left or were cancelled)",
					open, ol.SKU, ol.Quantity, ol.Quantity-open))
				continue
			}
			left := l.Quantity
			for k, f := range fs {
				for _, it := range f.Items {
					if it.OrderLineID != ol.ID || left == 0 {
						continue
					}
					n := min(left, it.Quantity)
					if takes[k] == nil {
						takes[k] = map[int64]int{}
					}
					takes[k][ol.ID] += n
					left -= n
				}
			}
			units[ol.ID] += l.Quantity
			said = append(said, fmt.Sprintf("%d × %s %s", l.Quantity, ol.SKU, ol.Title))
		}
		if err := errs.Err(); err != nil {
			return err
		}
		var release []inventory.Line
		for k, f := range fs {
			if takes[k] == nil {
				continue
			}
			if err := authorizeFulfilment(ctx, f, atEither); err != nil {
				return err
			}
			for _, it := range f.Items {
				if n := takes[k][it.OrderLineID]; n > 0 {
					release = append(release, inventory.Line{LocationID: f.StockLocationID(), VariantID: it.VariantID, Qty: n})
				}
			}
		}
		if err := s.dep.Stock.Release(ctx, tx, orderRef(o.ID), release); err != nil {
			return err
		}
		for k := range fs {
			if takes[k] != nil {
				st := &stepState{ctx: ctx, tx: tx, o: o, f: fs[k]}
				if err := st.reduce(takes[k], "Cancelled: "+in.Reason, in.Reason); err != nil {
					return err
				}
			}
		}
		value, err := cancelUnits(ctx, tx, o.ID, units)
		if err != nil {
			return err
		}
		err = fulfilmentEvent(ctx, tx, o.ID, nil, newEvent{EventLinesCancelled,
			fmt.Sprintf("Cancelled %s (%s off the order): %s", strings.Join(said, ", "), money.Format(value, o.Currency), in.Reason),
			EventData{"reason": in.Reason, "value": value, "lines": in.Lines}})
		if err != nil {
			return err
		}
		out, err = s.settleOrder(ctx, tx, o.ID)
		return err
	})
	return out, err
}

func statusStrings(ss []FulfilmentStatus) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// reduce takes units (order line → quantity) off the fulfilment, whose stock the caller
// has already dealt with: the fulfilment is cancelled (message, reason) when nothing is
// left; otherwise its lines shrink, scans beyond what is left are dropped, and a packed
// parcel goes back to picking to be repacked.
func (st *stepState) reduce(units map[int64]int, message, reason string) error {
	all := true
	for _, it := range st.f.Items {
		all = all && units[it.OrderLineID] >= it.Quantity
	}
	if all {
		if _, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET cancel_reason = $2 WHERE id = $1`, st.f.ID, reason); err != nil {
			return fmt.Errorf("cancel fulfilment: %w", err)
		}
		return st.move(FulfilmentCancelled, EventFulfilmentCancelled, message, EventData{"reason": reason})
	}
	for _, it := range st.f.Items {
		n := units[it.OrderLineID]
		if n == 0 {
			continue
		}
		if n >= it.Quantity {
			_, err := st.tx.ExecContext(st.ctx, `DELETE FROM fulfilment_lines WHERE fulfilment_id = $1 AND order_line_id = $2`,
				st.f.ID, it.OrderLineID)
			if err != nil {
				return fmt.Errorf("remove fulfilment line: %w", err)
			}
			continue
		}
		_, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilment_lines SET quantity = quantity - $3
			WHERE fulfilment_id = $1 AND order_line_id = $2`, st.f.ID, it.OrderLineID, n)
		if err != nil {
			return fmt.Errorf("reduce fulfilment line: %w", err)
		}
		_, err = st.tx.ExecContext(st.ctx, `DELETE FROM fulfilment_scans WHERE id IN (SELECT id FROM fulfilment_scans
			WHERE fulfilment_id = $1 AND order_line_id = $2 ORDER BY id OFFSET $3)`, st.f.ID, it.OrderLineID, it.Quantity-n)
		if err != nil {
			return fmt.Errorf("drop extra scans: %w", err)
		}
	}
	if st.f.Status == FulfilmentPacked {
		return st.move(FulfilmentPicking, EventPicking, "Back to picking at "+st.sourceCode()+
			": items were taken off the fulfilment, repack it.", nil)
	}
	_, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET updated_at = now() WHERE id = $1`, st.f.ID)
	return err
}

// reroute moves an OPEN fulfilment's units; see Service.Reroute.
func (s *Service) reroute(ctx context.Context, in RerouteInput) (FulfilmentView, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager, actor.Associate, actor.Fulfilment); err != nil {
		return FulfilmentView{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	var errs apperr.List
	if in.Reason == "" {
		errs = append(errs, apperr.Invalid("reason", "say why the fulfilment moves, for the order's record"))
	}
	locs, err := s.dep.Locations.List(ctx, location.Filter{})
	if err != nil {
		return FulfilmentView{}, err
	}
	di := slices.IndexFunc(locs, func(l location.Location) bool { return l.ID == in.LocationID })
	if di < 0 {
		errs = append(errs, apperr.Invalid("locationId", "choose an open location to move the fulfilment to"))
	}
	if err := errs.Err(); err != nil {
		return FulfilmentView{}, err
	}
	dest := locs[di]
	var newID int64
	_, err = s.step(ctx, in.FulfilmentID, transition{what: "re-routed", at: atSource, from: []FulfilmentStatus{FulfilmentOpen}}, func(st *stepState) error {
		var err error
		newID, err = st.reroute(s, in, dest, locs)
		return err
	})
	if err != nil {
		return FulfilmentView{}, err
	}
	return s.loadView(ctx, s.db, newID, false, true)
}

// reroute moves the units in.Lines (all when empty) of the locked fulfilment to dest and
// returns the new fulfilment's id.
func (st *stepState) reroute(s *Service, in RerouteInput, dest location.Location, locs []location.Location) (int64, error) {
	f := st.f
	if dest.ID == f.LocationID {
		return 0, apperr.List{apperr.Invalid("locationId", "the fulfilment is already at %s: choose another location", dest.Code)}
	}
	type move struct {
		field string
		item  FulfilmentItem
		qty   int
	}
	var moves []move
	if len(in.Lines) == 0 {
		for _, it := range f.Items {
			moves = append(moves, move{"lines", it, it.Quantity})
		}
	}
	var errs apperr.List
	for i, l := range in.Lines {
		j := slices.IndexFunc(f.Items, func(it FulfilmentItem) bool { return it.OrderLineID == l.OrderLineID })
		switch {
		case j < 0:
			errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d.orderLineId", i), "this line is not on the fulfilment"))
		case l.Quantity <= 0 || l.Quantity > f.Items[j].Quantity:
			errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d.quantity", i), "the fulfilment has %d of %s: move 1 to %d",
				f.Items[j].Quantity, f.Items[j].SKU, f.Items[j].Quantity))
		case slices.ContainsFunc(moves, func(m move) bool { return m.item.OrderLineID == l.OrderLineID }):
			errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d.orderLineId", i), "this line is listed twice"))
		default:
			moves = append(moves, move{fmt.Sprintf("lines.%d.quantity", i), f.Items[j], l.Quantity})
		}
	}
	if err := errs.Err(); err != nil {
		return 0, err
	}
	// What each location has, for the explanation (the reservation below is the guard).
	variantIDs := make([]int64, len(moves))
	for i, m := range moves {
		variantIDs[i] = m.item.VariantID
	}
	avail, err := s.dep.Stock.AvailabilityByVariantIDs(st.ctx, variantIDs)
	if err != nil {
		return 0, err
	}
	at := func(loc int64, variant int64) int {
		for _, a := range avail[variant] {
			if a.LocationID == loc {
				return a.Available
			}
		}
		return 0
	}
	reserve, release := make([]inventory.Line, len(moves)), make([]inventory.Line, len(moves))
	explain := Explanation{Policy: "re-routed by staff: the units move to the location chosen, if it has them available " +
		"(on hand less reserved, safety and expired stock), reserved there with the same guard as at allocation"}
	destCand := Candidate{LocationID: dest.ID, Code: dest.Code, Kind: dest.Kind, ServesAll: true, Chosen: true}
	oldCand := Candidate{LocationID: f.LocationID, Code: f.LocationCode, ServesAll: true}
	if i := slices.IndexFunc(locs, func(l location.Location) bool { return l.ID == f.LocationID }); i >= 0 {
		oldCand.Kind = locs[i].Kind
	}
	moved := map[int64]int{}
	var said []string
	for i, m := range moves {
		reserve[i] = inventory.Line{LocationID: dest.ID, VariantID: m.item.VariantID, Qty: m.qty}
		release[i] = inventory.Line{LocationID: f.LocationID, VariantID: m.item.VariantID, Qty: m.qty}
		explain.Lines = append(explain.Lines, ExplainedLine{SKU: m.item.SKU, Quantity: m.qty})
		destCand.Available = append(destCand.Available, at(dest.ID, m.item.VariantID))
		destCand.Takes = append(destCand.Takes, m.qty)
		oldCand.Available = append(oldCand.Available, at(f.LocationID, m.item.VariantID)+m.qty)
		moved[m.item.OrderLineID] = m.qty
		said = append(said, fmt.Sprintf("%d × %s", m.qty, m.item.SKU))
	}
	if err := s.dep.Stock.Reserve(st.ctx, st.tx, st.ref(), reserve); err != nil {
		if short, ok := errors.AsType[*inventory.ShortageError](err); ok {
			var errs apperr.List
			for _, sh := range short.Lines {
				errs = append(errs, apperr.Invalid(moves[sh.Line].field, "only %d of %s available at %s (%d to move)",
					sh.Available, moves[sh.Line].item.SKU, dest.Code, sh.Requested).WithReason(ReasonInsufficientStock))
			}
			return 0, errs
		}
		return 0, err
	}
	if err := s.dep.Stock.Release(st.ctx, st.tx, st.ref(), release); err != nil {
		return 0, err
	}
	name := actor.From(st.ctx).Name
	destCand.Reason = fmt.Sprintf("chosen by %s: %s", name, in.Reason)
	oldCand.Reason = fmt.Sprintf("re-routed away by %s: %s", name, in.Reason)
	explain.Candidates = []Candidate{destCand, oldCand}
	rule := RuleSingleLocation
	var ready *string
	if f.Method == Pickup {
		rule = RulePickupStore
		if dest.ID != *f.PickupLocationID {
			rule = RuleShipToStore
			i := slices.IndexFunc(locs, func(l location.Location) bool { return l.ID == *f.PickupLocationID })
			if i < 0 {
				return 0, apperr.Conflict("", "the pickup store %s is closed: cancel the fulfilment instead", deref(f.PickupLocationCode)).
					WithReason(ReasonWrongStatus)
			}
			r := readyOn(locs[i], s.cfg.ShipToStoreDays)
			ready = &r
		}
	}
	explain.Rule = rule
	explain.Summary = fmt.Sprintf("Re-routed %s from %s to %s: %s", strings.Join(said, ", "), f.LocationCode, dest.Code, in.Reason)
	if ready != nil {
		explain.Summary += fmt.Sprintf(" Sent to %s, expected ready on %s.", deref(f.PickupLocationCode), *ready)
	}
	a := actor.From(st.ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	var allocationID, newID int64
	err = st.tx.GetContext(st.ctx, &allocationID, `INSERT INTO order_allocations (order_id, method, rule, explanation, actor_kind, actor_id)
		VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING id`, st.o.ID, f.Method, rule, explain, string(a.Kind), actorID)
	if err != nil {
		return 0, fmt.Errorf("record allocation: %w", err)
	}
	err = st.tx.GetContext(st.ctx, &newID, `INSERT INTO fulfilments (order_id, allocation_id, location_id, method, status,
			pickup_location_id, ship_address, expected_ready_on)
		SELECT order_id, $2, $3, method, 'OPEN', pickup_location_id, ship_address, $4::date FROM fulfilments WHERE id = $1
		RETURNING id`, f.ID, allocationID, dest.ID, ready)
	if err != nil {
		return 0, fmt.Errorf("new fulfilment: %w", postgres.MapError(err))
	}
	lineIDs, qtys := make([]int64, 0, len(moved)), make([]int64, 0, len(moved))
	for id, q := range moved {
		lineIDs, qtys = append(lineIDs, id), append(qtys, int64(q))
	}
	_, err = st.tx.ExecContext(st.ctx, `INSERT INTO fulfilment_lines (fulfilment_id, order_line_id, quantity)
		SELECT $1, t.l, t.q FROM unnest($2::bigint[], $3::int[]) AS t(l, q)`, newID, pq.Array(lineIDs), pq.Array(qtys))
	if err != nil {
		return 0, fmt.Errorf("new fulfilment lines: %w", err)
	}
	data := EventData{"from": f.LocationCode, "to": dest.Code, "allocationId": allocationID, "fulfilmentId": newID,
		"reason": in.Reason}
	if err := st.reduce(moved, fmt.Sprintf("Re-routed to %s: %s", dest.Code, in.Reason), "re-routed to "+dest.Code+": "+in.Reason); err != nil {
		return 0, err
	}
	return newID, fulfilmentEvent(st.ctx, st.tx, st.o.ID, &newID, newEvent{EventRerouted, explain.Summary, data})
}
