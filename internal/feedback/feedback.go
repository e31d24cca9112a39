// Package feedback is after-sales feedback: once an order was delivered or collected, the
// customer rates it (1 to 5) with a comment, once per order. Staff read it per order, store
// and product, and low ratings (2 or less) wait on a follow-up list until someone resolves
// them with a note.
package feedback

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// Service is the feedback use cases.
type Service struct {
	db *sqlx.DB
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB) *Service { return &Service{db: d} }

// Feedback is a customer's rating of an order.
type Feedback struct {
	ID             int64      `db:"id" json:"id"`
	OrderID        int64      `db:"order_id" json:"orderId"`
	OrderNumber    string     `db:"order_number" json:"orderNumber"`
	CustomerID     int64      `db:"customer_id" json:"customerId"`
	CustomerName   string     `db:"customer_name" json:"customerName"`
	LocationID     int64      `db:"location_id" json:"locationId"`
	LocationCode   string     `db:"location_code" json:"locationCode"`
	Rating         int        `db:"rating" json:"rating"`
	Comment        string     `db:"comment" json:"comment"`
	FollowUp       bool       `db:"follow_up" json:"followUp"`
	ResolvedAt     *time.Time `db:"resolved_at" json:"resolvedAt,omitempty"`
	ResolvedByName string     `db:"resolved_by_name" json:"resolvedByName,omitempty"`
	ResolutionNote string     `db:"resolution_note" json:"resolutionNote,omitempty"`
	CreatedAt      time.Time  `db:"created_at" json:"createdAt"`
}

const selectFeedback = `SELECT f.id, f.order_id, o.number AS order_number, f.customer_id, c.name AS customer_name, f.location_id,
		l.code AS location_code, f.rating, f.comment, f.follow_up, f.resolved_at, f.resolved_by_name, f.resolution_note, f.created_at
	FROM order_feedback f JOIN orders o ON o.id = f.order_id JOIN customers c ON c.id = f.customer_id
	JOIN locations l ON l.id = f.location_id`

// Input is a rating to give.
type Input struct {
	OrderID int64
	Rating  int    // 1 to 5
	Comment string // optional, up to 2000 characters
}

// MaxComment is the longest comment, in characters.
const MaxComment = 2000

// Submit records the signed-in customer's rating of one of their orders, once the order
// (or a part of it) was delivered or collected; the store is where it was collected, or
// the location that delivered it. Errors: apperr.Invalid (rating, comment; NOT_DELIVERED
// before delivery), NotFound (not their order), Conflict (ALREADY_GIVEN), Unauthenticated.
func (s *Service) Submit(ctx context.Context, in Input) (Feedback, error) {
	a, err := actor.RequireCustomer(ctx)
	if err != nil {
		return Feedback{}, err
	}
	var errs apperr.List
	if in.Rating < 1 || in.Rating > 5 {
		errs = append(errs, apperr.Invalid("rating", "rate from 1 (poor) to 5 (excellent)"))
	}
	in.Comment = strings.TrimSpace(in.Comment)
	if utf8.RuneCountInString(in.Comment) > MaxComment {
		errs = append(errs, apperr.Invalid("comment", "the comment is longer than %d characters; shorten it", MaxComment))
	}
	if err := errs.Err(); err != nil {
		return Feedback{}, err
	}
	var out Feedback
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var o struct {
			Number     string `db:"number"`
			LocationID *int64 `db:"location_id"`
		}
		err := tx.GetContext(ctx, &o, `SELECT o.number, (SELECT coalesce(f.pickup_location_id, f.location_id) FROM fulfilments f
				WHERE f.order_id = o.id AND f.status IN ('DELIVERED', 'COLLECTED') ORDER BY f.updated_at, f.id LIMIT 1) AS location_id
			FROM orders o WHERE o.id = $1 AND o.customer_id = $2 FOR UPDATE OF o`, in.OrderID, a.ID)
		if err != nil {
			// Someone else's order is reported as missing: its existence is not theirs to know.
			return postgres.NotFound(err, "you have no order with id %d", in.OrderID)
		}
		if o.LocationID == nil {
			return apperr.Invalid("orderId", "order %s has not been delivered or collected yet; rate it once you have it", o.Number).
				WithReason("NOT_DELIVERED")
		}
		var id int64
		err = tx.GetContext(ctx, &id, `INSERT INTO order_feedback (order_id, customer_id, location_id, rating, comment)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, in.OrderID, a.ID, *o.LocationID, in.Rating, in.Comment)
		if postgres.IsUniqueViolation(err, "order_feedback_order_id_key") {
			return apperr.Conflict("orderId", "you already rated order %s; thank you", o.Number).WithReason("ALREADY_GIVEN")
		}
		if err != nil {
			return fmt.Errorf("record feedback: %w", err)
		}
		return tx.GetContext(ctx, &out, selectFeedback+` WHERE f.id = $1`, id)
	})
	return out, err
}

// ForOrder returns an order's feedback, or nil if none was given: to its customer (to
// offer the form or show their rating) and to staff.
func (s *Service) ForOrder(ctx context.Context, orderID int64) (*Feedback, error) {
	a := actor.From(ctx)
	if !a.IsStaff() && a.Kind != actor.Customer {
		return nil, apperr.Unauthenticated("sign in to do this")
	}
	var owner *int64
	err := s.db.GetContext(ctx, &owner, `SELECT customer_id FROM orders WHERE id = $1`, orderID)
	if err != nil || (!a.IsStaff() && (owner == nil || *owner != a.ID)) {
		return nil, apperr.NotFound("no order with id %d", orderID)
	}
	var out []Feedback
	if err := s.db.SelectContext(ctx, &out, selectFeedback+` WHERE f.order_id = $1`, orderID); err != nil {
		return nil, fmt.Errorf("order feedback: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// Filter narrows a feedback list; zero fields do not filter.
type Filter struct {
	OrderID    int64
	LocationID int64 // the store (collected at) or delivering location
	ProductID  int64 // orders with a line of this product
	CustomerID int64 // and those merged into them
	// FollowUp lists only low ratings not yet resolved.
	FollowUp bool
	// MaxRating keeps ratings up to this (1 to 5; 0: all).
	MaxRating int
	Limit     int // 1 to 200, default 50
	Offset    int
}

// Summary is the count and average rating of a list.
type Summary struct {
	Count   int     `db:"count" json:"count"`
	Average float64 `db:"average" json:"average"`
}

func (f Filter) where() (string, []any) {
	conds := []string{"true"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.OrderID > 0 {
		add("f.order_id = $%d", f.OrderID)
	}
	if f.LocationID > 0 {
		add("f.location_id = $%d", f.LocationID)
	}
	if f.ProductID > 0 {
		add(`EXISTS (SELECT 1 FROM order_lines ol JOIN variants v ON v.id = ol.variant_id WHERE ol.order_id = f.order_id AND v.product_id = $%d)`, f.ProductID)
	}
	if f.CustomerID > 0 {
		// With the feedback of customers merged into this one: the same person.
		add("(f.customer_id = $%[1]d OR f.customer_id IN (SELECT id FROM customers WHERE merged_into_id = $%[1]d))", f.CustomerID)
	}
	if f.MaxRating > 0 {
		add("f.rating <= $%d", f.MaxRating)
	}
	if f.FollowUp {
		conds = append(conds, "f.follow_up AND f.resolved_at IS NULL")
	}
	return strings.Join(conds, " AND "), args
}

// List returns feedback, newest first, with the count and average of everything that
// matches (staff).
func (s *Service) List(ctx context.Context, f Filter) ([]Feedback, Summary, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, Summary{}, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	where, args := f.where()
	var sum Summary
	if err := s.db.GetContext(ctx, &sum, `SELECT count(*) AS count, coalesce(round(avg(f.rating), 2), 0)::float8 AS average
		FROM order_feedback f WHERE `+where, args...); err != nil {
		return nil, sum, fmt.Errorf("feedback summary: %w", err)
	}
	order := " ORDER BY f.created_at DESC, f.id DESC"
	if f.FollowUp {
		order = " ORDER BY f.created_at, f.id" // the longest waiting first
	}
	args = append(args, f.Limit, max(f.Offset, 0))
	var out []Feedback
	err := s.db.SelectContext(ctx, &out, selectFeedback+` WHERE `+where+order+fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(args)-1, len(args)), args...)
	if err != nil {
		return nil, sum, fmt.Errorf("feedback: %w", err)
	}
	return out, sum, nil
}

// Resolve closes a low rating on the follow-up list with what was done (associates and
// managers), recording who and when. Errors: apperr.Invalid (note; NOT_FOLLOW_UP;
// RESOLVED), NotFound, Forbidden.
func (s *Service) Resolve(ctx context.Context, id int64, note string) (Feedback, error) {
	a, err := actor.RequireStaff(ctx, actor.Associate, actor.Manager)
	if err != nil {
		return Feedback{}, err
	}
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > MaxComment {
		return Feedback{}, apperr.Invalid("note", "say what was done for the customer (1 to %d characters)", MaxComment)
	}
	var out Feedback
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var f struct {
			FollowUp bool       `db:"follow_up"`
			Resolved *time.Time `db:"resolved_at"`
		}
		if err := tx.GetContext(ctx, &f, `SELECT follow_up, resolved_at FROM order_feedback WHERE id = $1 FOR UPDATE`, id); err != nil {
			return postgres.NotFound(err, "no feedback with id %d", id)
		}
		switch {
		case !f.FollowUp:
			return apperr.Invalid("id", "only ratings of 2 or less are followed up").WithReason("NOT_FOLLOW_UP")
		case f.Resolved != nil:
			return apperr.Invalid("id", "this feedback was already resolved on %s", f.Resolved.Format("2006-01-02")).WithReason("RESOLVED")
		}
		var staffID *int64
		if a.Kind == actor.Staff {
			staffID = &a.ID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_feedback SET resolved_at = now(), resolved_by_id = $2, resolved_by_name = $3,
			resolution_note = $4 WHERE id = $1`, id, staffID, a.Name, note); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &out, selectFeedback+` WHERE f.id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "feedback.resolved", Entity: "order", EntityID: out.OrderID,
			After: map[string]any{"feedbackId": id, "note": note}})
	})
	return out, err
}
