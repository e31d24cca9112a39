package order

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/inventory"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// ReasonWrongStatus is the client code of a change the order's status does not allow.
const ReasonWrongStatus = "WRONG_STATUS"

// inspect runs the checks a new order goes through before it is released to
// fulfilment and returns why to hold it (nothing: release it). Till sales are not
// inspected: the goods are already gone.
//
//   - likely duplicate: the same contact ordered the same variants and quantities within
//     Inspection.DuplicateWindow (an order not cancelled);
//   - unusual quantity (a line above MaxLineQuantity) or value (above MaxTotal);
//   - a first order, to be paid at pickup, worth more than MaxFirstPayAtPickup.
//
// Addresses and phone numbers are checked for their country when the order is
// normalised: an invalid one is refused, not held. What the checks need to know of the
// contact's earlier orders was read with the order (b).
func (s *Service) inspect(r *request, pr *priced, b *basket) []string {
	if r.Method == CarryOut {
		return nil
	}
	in := s.cfg.Inspection
	var reasons []string
	for _, l := range pr.lines {
		if in.MaxLineQuantity > 0 && l.qty > in.MaxLineQuantity {
			reasons = append(reasons, fmt.Sprintf("unusual quantity: %d × %s", l.qty, l.variant.SKU))
		}
	}
	if in.MaxTotal > 0 && pr.total > in.MaxTotal {
		reasons = append(reasons, fmt.Sprintf("unusual value: %s", money.Format(pr.total, pr.currency)))
	}
	if r.CustomerID == 0 && r.Email == "" {
		return reasons
	}
	if b.duplicateOf != nil && in.DuplicateWindow > 0 {
		reasons = append(reasons, fmt.Sprintf("likely duplicate of %s (same contact and items within %s)",
			*b.duplicateOf, in.DuplicateWindow))
	}
	if r.PaymentMethod == PayAtPickup && in.MaxFirstPayAtPickup > 0 && pr.total > in.MaxFirstPayAtPickup && !b.orderedBefore {
		reasons = append(reasons, fmt.Sprintf("first order, to be paid at pickup, worth more than %s",
			money.Format(in.MaxFirstPayAtPickup, pr.currency)))
	}
	return reasons
}

// signature is the order's variants and quantities, canonical: how likely duplicates are
// recognised.
func (p *priced) signature() string {
	parts := make([]string, len(p.lines))
	for i, l := range p.lines {
		parts[i] = strconv.FormatInt(l.variant.ID, 10) + ":" + strconv.Itoa(l.qty)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// Release releases an order held by inspection to fulfilment, with the manager's note
// (on the timeline and in the audit log). Managers only. Errors: Unauthenticated,
// Forbidden, NotFound; apperr.List on note; Conflict (reason WRONG_STATUS) when the order
// is not on hold.
func (s *Service) Release(ctx context.Context, id int64, note string) (Order, error) {
	return s.decide(ctx, id, note, "order.released", func(tx *sqlx.Tx, o Order) (Order, newEvent, error) {
		if o.Status != OnHold {
			return o, newEvent{}, wrongStatus(o, "released")
		}
		after, err := setStatus(ctx, tx, id, Open)
		return after, newEvent{EventReleased, "Released to fulfilment: " + note, EventData{"note": note}}, err
	})
}

// Cancel cancels an order nothing of which has left yet, with the manager's note: its
// reservations are released, its coupon uses given back and its fulfilments cancelled.
// Managers only; audited. Errors: Unauthenticated, Forbidden, NotFound; apperr.List on
// note; Conflict (reason WRONG_STATUS) when the order is completed or cancelled, when
// goods have shipped or been handed over (a till sale is returned, not cancelled), or
// when it has payments other than points (they are refunded first; refunds come with
// returns). A points payment is released: the points go back to the customer.
func (s *Service) Cancel(ctx context.Context, id int64, note string) (Order, error) {
	return s.decide(ctx, id, note, "order.cancelled", func(tx *sqlx.Tx, o Order) (Order, newEvent, error) {
		if o.Status != Open && o.Status != OnHold {
			return o, newEvent{}, wrongStatus(o, "cancelled")
		}
		points, err := s.releasePoints(ctx, tx, id)
		if err != nil {
			return o, newEvent{}, err
		}
		if paid := o.Paid - points; paid > 0 {
			return o, newEvent{}, apperr.Conflict("", "order %s has payments of %s: refund them before cancelling", o.Number,
				money.Format(paid, o.Currency)).WithReason(ReasonWrongStatus)
		}
		var held []struct {
			LocationID int64            `db:"location_id"`
			VariantID  int64            `db:"variant_id"`
			Quantity   int              `db:"quantity"`
			Status     FulfilmentStatus `db:"status"`
		}
		// A ship-to-store fulfilment received at its pickup store has its units reserved there.
		err = tx.SelectContext(ctx, &held, `SELECT CASE WHEN f.transfer_id IS NOT NULL AND f.status IN ('RECEIVED', 'READY_FOR_PICKUP')
				THEN f.pickup_location_id ELSE f.location_id END AS location_id, l.variant_id, fl.quantity, f.status
			FROM fulfilments f JOIN fulfilment_lines fl ON fl.fulfilment_id = f.id
			JOIN order_lines l ON l.id = fl.order_line_id
			WHERE f.order_id = $1 AND f.status <> 'CANCELLED'`, id)
		if err != nil {
			return o, newEvent{}, fmt.Errorf("reserved lines: %w", err)
		}
		lines := make([]inventory.Line, len(held))
		for i, h := range held {
			if !slices.Contains(cancellable, h.Status) {
				return o, newEvent{}, apperr.Conflict("", "part of order %s is %s: it can no longer be cancelled", o.Number, h.Status).
					WithReason(ReasonWrongStatus)
			}
			lines[i] = inventory.Line{LocationID: h.LocationID, VariantID: h.VariantID, Qty: h.Quantity}
		}
		if err := s.dep.Coupons.CancelRedemptions(ctx, tx, id); err != nil {
			return o, newEvent{}, err
		}
		if len(lines) > 0 {
			if err := s.dep.Stock.Release(ctx, tx, "ORD:"+strconv.FormatInt(id, 10), lines); err != nil {
				return o, newEvent{}, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fulfilments SET status = 'CANCELLED', cancel_reason = $2, updated_at = now()
			WHERE order_id = $1 AND status <> 'CANCELLED'`, id, note); err != nil {
			return o, newEvent{}, fmt.Errorf("cancel fulfilments: %w", err)
		}
		// Nothing is due on a cancelled order: its whole value is cancelled.
		if _, err := tx.ExecContext(ctx, `WITH l AS (UPDATE order_lines SET cancelled_quantity = quantity WHERE order_id = $1)
			UPDATE orders SET cancelled_amount = total WHERE id = $1`, id); err != nil {
			return o, newEvent{}, fmt.Errorf("cancel order value: %w", err)
		}
		after, err := setStatus(ctx, tx, id, Cancelled)
		msg, data := "Cancelled: "+note, EventData{"note": note}
		if points > 0 {
			msg += fmt.Sprintf(" (the points payment of %s went back to the customer as points)", money.Format(points, o.Currency))
			data["pointsReleased"] = points
		}
		return after, newEvent{EventCancelled, msg, data}, err
	})
}

// decide runs a manager's decision on order id in a transaction: it locks the order,
// applies change, and records the event and the audit entry (action, with the note).
func (s *Service) decide(ctx context.Context, id int64, note, action string,
	change func(*sqlx.Tx, Order) (Order, newEvent, error)) (Order, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Order{}, err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return Order{}, apperr.List{apperr.Invalid("note", "say why, for the order's record")}
	}
	var after Order
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before Order
		err := tx.GetContext(ctx, &before, `SELECT `+orderColumns+` FROM orders o WHERE o.id = $1 FOR UPDATE`, id)
		if err != nil {
			return postgres.NotFound(err, "no order with id %d", id)
		}
		var ev newEvent
		if after, ev, err = change(tx, before); err != nil {
			return err
		}
		if err := addEvents(ctx, tx, id, ev); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, Entity: "order", EntityID: id,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": after.Status}, Reason: note})
	})
	return after, err
}

func wrongStatus(o Order, what string) error {
	return apperr.Conflict("", "order %s is %s: it cannot be %s", o.Number, o.Status, what).WithReason(ReasonWrongStatus)
}

// setStatus changes an order's status and returns it.
func setStatus(ctx context.Context, ext sqlx.ExtContext, id int64, status Status) (Order, error) {
	var o Order
	err := sqlx.GetContext(ctx, ext, &o, `UPDATE orders o SET status = $2, updated_at = now() WHERE o.id = $1
		RETURNING `+orderColumns, id, status)
	if err != nil {
		return o, fmt.Errorf("set order status: %w", err)
	}
	return o, nil
}
