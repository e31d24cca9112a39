package purchasing

import (
	"context"
	"fmt"
	"time"

	"atrium/internal/actor"
)

// Performance is how a supplier has delivered the orders sent to it since a date: what
// replenishment needs to trust (or correct) the declared lead time, and buyers to compare
// suppliers. Percentages are 0..100; a figure is nil when there is nothing to measure.
type Performance struct {
	SupplierID int64 `db:"supplier_id"`
	// DeclaredLeadTimeDays is the lead time recorded on the supplier.
	DeclaredLeadTimeDays int `db:"declared_lead_time_days"`
	// Orders sent (not cancelled) in the period, and how many of them have had goods.
	Orders   int `db:"orders"`
	Received int `db:"received"`
	// AvgLeadTimeDays is the average time from sending an order to its first receipt.
	AvgLeadTimeDays *float64 `db:"avg_lead_time_days"`
	// OnTimePct is the share of received orders whose first goods came by the expected
	// date (in the receiving location's time zone).
	OnTimePct *float64 `db:"on_time_pct"`
	// FillPct is units accepted over units ordered, on orders that are done (RECEIVED or
	// CLOSED, so short-closed orders count against it).
	FillPct *float64 `db:"fill_pct"`
	// RejectPct is units rejected at receipt over units that arrived.
	RejectPct *float64 `db:"reject_pct"`
}

// SupplierPerformance measures supplier supplierID on the orders sent to it since since.
// Buyers, managers and admins. Errors: Unauthenticated, Forbidden, NotFound.
func (s *Service) SupplierPerformance(ctx context.Context, supplierID int64, since time.Time) (Performance, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Performance{}, err
	}
	if _, err := s.Supplier(ctx, supplierID); err != nil {
		return Performance{}, err
	}
	var p Performance
	err := s.db.GetContext(ctx, &p, `
		WITH o AS (
			SELECT po.id, po.sent_at, po.expected_on, po.status, l.time_zone,
			       (SELECT min(g.received_at) FROM goods_receipts g WHERE g.order_id = po.id) AS first_receipt,
			       pl.ordered, pl.accepted, pl.rejected
			FROM purchase_orders po
			JOIN locations l ON l.id = po.location_id
			JOIN LATERAL (SELECT sum(quantity) AS ordered, sum(received) AS accepted, sum(rejected) AS rejected
			              FROM purchase_order_lines WHERE order_id = po.id) pl ON true
			WHERE po.supplier_id = $1 AND po.sent_at >= $2 AND po.status <> 'CANCELLED')
		SELECT $1::bigint AS supplier_id, (SELECT lead_time_days FROM suppliers WHERE id = $1) AS declared_lead_time_days,
		       count(*) AS orders, count(first_receipt) AS received,
		       avg(extract(epoch FROM first_receipt - sent_at) / 86400)::float8 AS avg_lead_time_days,
		       (100.0 * count(*) FILTER (WHERE (first_receipt AT TIME ZONE time_zone)::date <= expected_on)
		           / nullif(count(first_receipt), 0))::float8 AS on_time_pct,
		       (100.0 * sum(accepted) FILTER (WHERE status IN ('RECEIVED', 'CLOSED'))
		           / nullif(sum(ordered) FILTER (WHERE status IN ('RECEIVED', 'CLOSED')), 0))::float8 AS fill_pct,
		       (100.0 * sum(rejected) / nullif(sum(accepted) + sum(rejected), 0))::float8 AS reject_pct
		FROM o`, supplierID, since)
	if err != nil {
		return Performance{}, fmt.Errorf("supplier performance: %w", err)
	}
	return p, nil
}
