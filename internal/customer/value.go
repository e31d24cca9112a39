package customer

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// Amount is a sum of money in minor units of Currency.
type Amount struct {
	Currency string `db:"currency" json:"currency"`
	Amount   int64  `db:"amount" json:"amount"`
}

// LifetimeValues returns, per customer the actor may see (staff anyone, a customer
// themself) and per currency, what their orders from every channel came to: order totals
// less what was cancelled, less the refunds of returns. A customer without orders has no
// entry. It is the figure the back office profile shows, read in one statement for a page
// of customers.
func (s *Service) LifetimeValues(ctx context.Context, ids []int64) (map[int64][]Amount, error) {
	visible, err := s.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	keep := make([]int64, 0, len(visible))
	for id := range visible {
		keep = append(keep, id)
	}
	var rows []struct {
		CustomerID int64 `db:"customer_id"`
		Amount
	}
	if err := s.db.SelectContext(ctx, &rows, `
		SELECT customer_id, currency, sum(value)::bigint AS amount FROM (
			SELECT o.customer_id, o.currency, o.total - o.cancelled_amount AS value FROM orders o
			WHERE o.customer_id = ANY($1) AND o.status <> 'CANCELLED'
			UNION ALL
			SELECT o.customer_id, r.currency, -r.refunded FROM returns r JOIN orders o ON o.id = r.order_id
			WHERE o.customer_id = ANY($1)) v
		GROUP BY customer_id, currency ORDER BY customer_id, currency`, pq.Array(keep)); err != nil {
		return nil, fmt.Errorf("lifetime values: %w", err)
	}
	out := make(map[int64][]Amount, len(keep))
	for _, r := range rows {
		out[r.CustomerID] = append(out[r.CustomerID], r.Amount)
	}
	return out, nil
}

// MembersByIDs returns the membership details of the customers with the given ids the
// actor may see (staff all, a customer themself), for loaders.
func (s *Service) MembersByIDs(ctx context.Context, ids []int64) (map[int64]Member, error) {
	visible, err := s.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	keep := make([]int64, 0, len(visible))
	for id := range visible {
		keep = append(keep, id)
	}
	var rows []Member
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+memberColumns+` FROM customers WHERE id = ANY($1)`, pq.Array(keep)); err != nil {
		return nil, fmt.Errorf("members by id: %w", err)
	}
	out := make(map[int64]Member, len(rows))
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}
