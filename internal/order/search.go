package order

import (
	"context"
	"fmt"
	"strings"

	"atrium/internal/actor"
)

// The back office's order search. It is List plus the payment status (the till and the
// accountants look for what is still unpaid), and the size of the inspection queue that
// the back office's navigation shows to managers on every page.

// SearchFilter is Filter with the order's payment status. Zero fields do not filter.
type SearchFilter struct {
	Filter
	PaymentStatus PaymentStatus
}

// Search returns a page of orders matching f, newest first. Staff only. Errors:
// Unauthenticated, Forbidden.
func (s *Service) Search(ctx context.Context, f SearchFilter) (OrderPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return OrderPage{}, err
	}
	first := f.First
	if first <= 0 {
		first = 20
	}
	first = min(first, MaxPage)
	var rows []Order
	err := s.db.SelectContext(ctx, &rows, `SELECT `+orderColumns+` FROM orders o
		WHERE ($1 = '' OR o.status = $1) AND ($2 = '' OR o.channel = $2) AND ($3 = '' OR o.payment_status = $3)
		  AND ($4 = 0 OR o.customer_id = $4)
		  AND ($5 = 0 OR o.location_id = $5 OR EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id
		       AND (f.location_id = $5 OR f.pickup_location_id = $5)))
		  AND ($6 = '' OR o.number = upper($6)) AND ($7 = '' OR o.email = lower($7))
		  AND ($8::timestamptz IS NULL OR o.created_at >= $8) AND ($9::timestamptz IS NULL OR o.created_at < $9)
		  AND ($10 = 0 OR o.id < $10)
		ORDER BY o.id DESC LIMIT $11`,
		string(f.Status), string(f.Channel), string(f.PaymentStatus), f.CustomerID, f.LocationID,
		strings.TrimSpace(f.Number), strings.TrimSpace(f.Email), f.PlacedFrom, f.PlacedBefore, f.After, first+1)
	if err != nil {
		return OrderPage{}, fmt.Errorf("search orders: %w", err)
	}
	page := OrderPage{Orders: rows, HasNextPage: len(rows) > first}
	if page.HasNextPage {
		page.Orders = rows[:first]
	}
	return page, nil
}

// OnHoldCount is how many orders wait in the inspection queue. Staff only. Errors:
// Unauthenticated, Forbidden.
func (s *Service) OnHoldCount(ctx context.Context) (int, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM orders WHERE status = 'ON_HOLD'`); err != nil {
		return 0, fmt.Errorf("count orders on hold: %w", err)
	}
	return n, nil
}
