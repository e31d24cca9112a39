package returns

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
)

// Reads. Staff see every return; a customer those of their own orders; anyone else none.

// visibleSQL limits returns r of orders o to what the viewer ($1: NULL for staff, else the
// customer's id, 0 for nobody) may see.
const visibleSQL = `($1::bigint IS NULL OR o.customer_id = $1)`

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

const returnColumns = `r.id, r.number, r.order_id, o.number AS order_number, r.location_id, r.status, o.customer_id,
	r.currency, r.amount, r.shipping, r.tax, r.total, r.refunded, r.window_ends_at, r.override_reason, r.note,
	r.created_by_kind, r.created_by_id, r.created_by_name, r.created_at, r.updated_at, r.closed_at`

const returnFrom = ` FROM returns r JOIN orders o ON o.id = r.order_id `

const lineColumns = `rl.id, rl.return_id, rl.order_line_id, l.line_no, l.variant_id, l.sku, l.title, rl.quantity,
	rl.reason, rl.note, rl.disposition, rl.lot, rl.amount, rl.discount, rl.tax, rl.updated_at`

const refundColumns = `f.id, coalesce(f.return_id, 0) AS return_id, f.order_id, f.payment_id, f.method, f.amount, f.currency, f.reference,
	f.provider_reference, f.store_credit_entry_id, f.actor_kind, f.actor_id, f.actor_name, f.created_at`

// detailAs reads a return the actor in ctx may see, with its lines and refunds, through q
// (a transaction sees its own writes). Errors: NotFound.
func (s *Service) detailAs(ctx context.Context, q sqlx.QueryerContext, id int64) (Detail, error) {
	var rows []Return
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+returnColumns+returnFrom+`WHERE r.id = $2 AND `+visibleSQL,
		viewer(ctx), id)
	if err != nil {
		return Detail{}, fmt.Errorf("return: %w", err)
	}
	if len(rows) == 0 {
		return Detail{}, apperr.NotFound("no return with id %d", id)
	}
	d := Detail{Return: rows[0]}
	if err := sqlx.SelectContext(ctx, q, &d.Lines, `SELECT `+lineColumns+` FROM return_lines rl
		JOIN order_lines l ON l.id = rl.order_line_id WHERE rl.return_id = $1 ORDER BY l.line_no`, id); err != nil {
		return d, fmt.Errorf("return lines: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &d.Refunds, `SELECT `+refundColumns+` FROM refunds f
		WHERE f.return_id = $1 ORDER BY f.id`, id); err != nil {
		return d, fmt.Errorf("refunds: %w", err)
	}
	return d, nil
}

func (s *Service) detail(ctx context.Context, id int64) (Detail, error) {
	return s.detailAs(ctx, s.db, id)
}

func (s *Service) byNumber(ctx context.Context, number string) (Detail, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT r.id`+returnFrom+`WHERE r.number = $2 AND `+visibleSQL,
		viewer(ctx), number)
	if err != nil {
		return Detail{}, fmt.Errorf("return by number: %w", err)
	}
	if len(ids) == 0 {
		return Detail{}, apperr.NotFound("no return %s", number)
	}
	return s.detail(ctx, ids[0])
}

func (s *Service) returnsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Return, error) {
	var rows []Return
	err := s.db.SelectContext(ctx, &rows, `SELECT `+returnColumns+returnFrom+`WHERE r.order_id = ANY($2) AND `+visibleSQL+`
		ORDER BY r.order_id, r.id`, viewer(ctx), pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("returns by order: %w", err)
	}
	out := make(map[int64][]Return, len(ids))
	for _, r := range rows {
		out[r.OrderID] = append(out[r.OrderID], r)
	}
	return out, nil
}

func (s *Service) linesByReturnIDs(ctx context.Context, ids []int64) (map[int64][]Line, error) {
	var rows []Line
	err := s.db.SelectContext(ctx, &rows, `SELECT `+lineColumns+` FROM return_lines rl
		JOIN order_lines l ON l.id = rl.order_line_id JOIN returns r ON r.id = rl.return_id
		JOIN orders o ON o.id = r.order_id
		WHERE rl.return_id = ANY($2) AND `+visibleSQL+` ORDER BY rl.return_id, l.line_no`, viewer(ctx), pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("return lines: %w", err)
	}
	out := make(map[int64][]Line, len(ids))
	for _, l := range rows {
		out[l.ReturnID] = append(out[l.ReturnID], l)
	}
	return out, nil
}

func (s *Service) refundsByReturnIDs(ctx context.Context, ids []int64) (map[int64][]Refund, error) {
	var rows []Refund
	err := s.db.SelectContext(ctx, &rows, `SELECT `+refundColumns+` FROM refunds f JOIN orders o ON o.id = f.order_id
		WHERE f.return_id = ANY($2) AND `+visibleSQL+` ORDER BY f.return_id, f.id`, viewer(ctx), pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("refunds by return: %w", err)
	}
	out := make(map[int64][]Refund, len(ids))
	for _, f := range rows {
		out[f.ReturnID] = append(out[f.ReturnID], f)
	}
	return out, nil
}

func (s *Service) list(ctx context.Context, f Filter) (Page, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Page{}, err
	}
	first := f.First
	if first <= 0 {
		first = 20
	}
	first = min(first, MaxPage)
	var rows []Return
	err := s.db.SelectContext(ctx, &rows, `SELECT `+returnColumns+returnFrom+`
		WHERE ($1 = 0 OR r.location_id = $1) AND ($2 = '' OR r.status = $2) AND ($3 = 0 OR r.order_id = $3)
		  AND ($4 = 0 OR r.id < $4)
		ORDER BY r.id DESC LIMIT $5`, f.LocationID, string(f.Status), f.OrderID, f.After, first+1)
	if err != nil {
		return Page{}, fmt.Errorf("list returns: %w", err)
	}
	p := Page{Returns: rows, HasNextPage: len(rows) > first}
	if p.HasNextPage {
		p.Returns = rows[:first]
	}
	return p, nil
}

func (s *Service) refundsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Refund, error) {
	var rows []Refund
	err := s.db.SelectContext(ctx, &rows, `SELECT `+refundColumns+` FROM refunds f JOIN orders o ON o.id = f.order_id
		WHERE f.order_id = ANY($2) AND `+visibleSQL+` ORDER BY f.order_id, f.id`, viewer(ctx), pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("refunds by order: %w", err)
	}
	out := make(map[int64][]Refund, len(ids))
	for _, f := range rows {
		out[f.OrderID] = append(out[f.OrderID], f)
	}
	return out, nil
}
