// Package loyalty owns the points programme: a ledger of points per customer (earn, redeem,
// expire, adjust, reverse) whose balance is the sum of its entries, kept as FIFO lots so
// that the oldest points are spent and expire first; earn rules per currency with tier and
// promotion multipliers; and tiers from rolling 12-month spend with the benefits pricing
// applies.
//
// Every change to one customer's points first locks the customer's loyalty_accounts row,
// so concurrent changes (retried accruals, a redemption at the till while the expiry job
// runs) are serialised per customer and never double count.
package loyalty

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
)

// Kinds of ledger entries.
const (
	Earn    = "EARN"
	Redeem  = "REDEEM"
	Expire  = "EXPIRE"
	Adjust  = "ADJUST"
	Reverse = "REVERSE"
)

// Entry is one movement of points.
type Entry struct {
	ID           int64      `db:"id" json:"id"`
	CustomerID   int64      `db:"customer_id" json:"customerId"`
	Kind         string     `db:"kind" json:"kind"`
	Points       int64      `db:"points" json:"points"`
	Remaining    *int64     `db:"remaining" json:"remaining,omitempty"`
	ExpiresAt    *time.Time `db:"expires_at" json:"expiresAt,omitempty"`
	OrderID      *int64     `db:"order_id" json:"orderId,omitempty"`
	ReturnID     *int64     `db:"return_id" json:"returnId,omitempty"`
	Amount       *int64     `db:"amount" json:"amount,omitempty"`
	Currency     *string    `db:"currency" json:"currency,omitempty"`
	Tier         *string    `db:"tier" json:"tier,omitempty"`
	MultiplierBP *int       `db:"multiplier_bp" json:"multiplierBp,omitempty"`
	PromotionID  *int64     `db:"promotion_id" json:"promotionId,omitempty"`
	ReversesID   *int64     `db:"reverses_id" json:"reversesId,omitempty"`
	Reason       string     `db:"reason" json:"reason,omitempty"`
	ActorKind    string     `db:"actor_kind" json:"actorKind"`
	ActorName    string     `db:"actor_name" json:"actorName,omitempty"`
	CreatedAt    time.Time  `db:"created_at" json:"createdAt"`
}

const entryColumns = `id, customer_id, kind, points, remaining, expires_at, order_id, return_id, amount, currency,
	tier, multiplier_bp, promotion_id, reverses_id, reason, actor_kind, actor_name, created_at`

// Account is a customer's balance row.
type Account struct {
	CustomerID    int64     `db:"customer_id" json:"customerId"`
	Balance       int64     `db:"balance" json:"balance"`
	Tier          string    `db:"tier" json:"tier"`
	RollingSpend  int64     `db:"rolling_spend" json:"rollingSpend"`
	TierChangedAt time.Time `db:"tier_changed_at" json:"tierChangedAt"`
	TierCheckedAt time.Time `db:"tier_checked_at" json:"tierCheckedAt"`
}

const accountColumns = `customer_id, balance, tier, rolling_spend, tier_changed_at, tier_checked_at`

// lockAccount returns the customer's account, created at MEMBER when missing, locked for
// the rest of the transaction.
func lockAccount(ctx context.Context, ext sqlx.ExtContext, customerID int64) (Account, error) {
	if _, err := ext.ExecContext(ctx, `INSERT INTO loyalty_accounts (customer_id) VALUES ($1) ON CONFLICT DO NOTHING`, customerID); err != nil {
		return Account{}, fmt.Errorf("open loyalty account: %w", err)
	}
	var a Account
	err := sqlx.GetContext(ctx, ext, &a, `SELECT `+accountColumns+` FROM loyalty_accounts WHERE customer_id = $1 FOR UPDATE`, customerID)
	if err != nil {
		return a, fmt.Errorf("lock loyalty account: %w", err)
	}
	return a, nil
}

// lockAccounts locks several accounts in id order, so that two merges never deadlock.
func lockAccounts(ctx context.Context, ext sqlx.ExtContext, ids ...int64) (map[int64]Account, error) {
	sorted := append([]int64(nil), ids...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if sorted[j] < sorted[i] {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	out := make(map[int64]Account, len(ids))
	for _, id := range sorted {
		a, err := lockAccount(ctx, ext, id)
		if err != nil {
			return nil, err
		}
		out[id] = a
	}
	return out, nil
}

// newEntry is an entry to write; the actor is taken from the context.
type newEntry struct {
	kind         string
	points       int64 // signed
	expiresAt    *time.Time
	orderID      *int64
	returnID     *int64
	amount       *int64
	currency     *string
	tier         *string
	multiplierBP *int
	promotionID  *int64
	reversesID   *int64
	reason       string
}

// credit adds a lot of e.points (> 0) to a locked account. While the balance is below zero
// (points reversed after they were spent), the new points first pay that back, so the
// lots' remaining points always add up to max(balance, 0).
func credit(ctx context.Context, ext sqlx.ExtContext, acct *Account, e newEntry) (Entry, error) {
	remaining := e.points
	if acct.Balance < 0 {
		remaining = max(0, e.points+acct.Balance)
	}
	out, err := insertEntry(ctx, ext, acct.CustomerID, e, &remaining)
	if err != nil {
		return out, err
	}
	return out, addBalance(ctx, ext, acct, e.points)
}

// debit takes n points (> 0) from a locked account's lots, oldest-expiring first. With
// allowNegative (a reversal of points already spent) the part no lot covers takes the
// balance below zero; otherwise too few points is apperr.Invalid on field.
func debit(ctx context.Context, ext sqlx.ExtContext, acct *Account, n int64, e newEntry, field string, allowNegative bool) (Entry, error) {
	if !allowNegative && acct.Balance < n {
		return Entry{}, apperr.Invalid(field, "the customer has %d points, fewer than the %d asked for", max(acct.Balance, 0), n).
			WithReason("INSUFFICIENT_POINTS")
	}
	type lot struct {
		ID        int64 `db:"id"`
		Remaining int64 `db:"remaining"`
	}
	var lots []lot
	if err := sqlx.SelectContext(ctx, ext, &lots, `SELECT id, remaining FROM loyalty_entries
		WHERE customer_id = $1 AND remaining > 0 ORDER BY expires_at, id FOR UPDATE`, acct.CustomerID); err != nil {
		return Entry{}, fmt.Errorf("points lots: %w", err)
	}
	e.points = -n
	out, err := insertEntry(ctx, ext, acct.CustomerID, e, nil)
	if err != nil {
		return out, err
	}
	left := n
	for _, l := range lots {
		if left == 0 {
			break
		}
		take := min(left, l.Remaining)
		if err := allocate(ctx, ext, out.ID, l.ID, take); err != nil {
			return out, err
		}
		left -= take
	}
	return out, addBalance(ctx, ext, acct, -n)
}

// allocate records that debit took n points from lot.
func allocate(ctx context.Context, ext sqlx.ExtContext, debitID, lotID, n int64) error {
	if _, err := ext.ExecContext(ctx, `UPDATE loyalty_entries SET remaining = remaining - $2 WHERE id = $1`, lotID, n); err != nil {
		return fmt.Errorf("take from lot %d: %w", lotID, err)
	}
	if _, err := ext.ExecContext(ctx, `INSERT INTO loyalty_allocations (debit_id, lot_id, points) VALUES ($1, $2, $3)`, debitID, lotID, n); err != nil {
		return fmt.Errorf("allocate lot %d: %w", lotID, err)
	}
	return nil
}

func insertEntry(ctx context.Context, ext sqlx.ExtContext, customerID int64, e newEntry, remaining *int64) (Entry, error) {
	a := actor.From(ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	var out Entry
	err := sqlx.GetContext(ctx, ext, &out, `INSERT INTO loyalty_entries (customer_id, kind, points, remaining, expires_at,
			order_id, return_id, amount, currency, tier, multiplier_bp, promotion_id, reverses_id, reason, actor_kind, actor_id, actor_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		RETURNING `+entryColumns,
		customerID, e.kind, e.points, remaining, e.expiresAt, e.orderID, e.returnID, e.amount, e.currency, e.tier,
		e.multiplierBP, e.promotionID, e.reversesID, e.reason, string(a.Kind), actorID, a.Name)
	if err != nil {
		return out, fmt.Errorf("write %s points entry: %w", e.kind, err)
	}
	return out, nil
}

func addBalance(ctx context.Context, ext sqlx.ExtContext, acct *Account, delta int64) error {
	if _, err := ext.ExecContext(ctx, `UPDATE loyalty_accounts SET balance = balance + $2, updated_at = now() WHERE customer_id = $1`,
		acct.CustomerID, delta); err != nil {
		return fmt.Errorf("update points balance: %w", err)
	}
	acct.Balance += delta
	return nil
}

// programme is the loyalty_programme row.
type programme struct {
	ExpiryMonths     int   `db:"expiry_months"`
	MinRedeemPoints  int64 `db:"min_redeem_points"`
	MaxRedeemShareBP int64 `db:"max_redeem_share_bp"`
	TierWindowMonths int   `db:"tier_window_months"`
}

func loadProgramme(ctx context.Context, q sqlx.QueryerContext) (programme, error) {
	var p programme
	err := sqlx.GetContext(ctx, q, &p, `SELECT expiry_months, min_redeem_points, max_redeem_share_bp, tier_window_months FROM loyalty_programme`)
	if err != nil {
		return p, fmt.Errorf("loyalty programme: %w", err)
	}
	return p, nil
}

// rule is an earn rule of one currency.
type rule struct {
	SpendPerPoint int64 `db:"spend_per_point"`
	PointValue    int64 `db:"point_value"`
}

// loadRule returns the active earn rule for currency; ok is false when points are not
// earned or spent in it.
func loadRule(ctx context.Context, q sqlx.QueryerContext, currency string) (rule, bool, error) {
	var r []rule
	if err := sqlx.SelectContext(ctx, q, &r, `SELECT spend_per_point, point_value FROM loyalty_earn_rules
		WHERE currency = $1 AND active`, currency); err != nil {
		return rule{}, false, fmt.Errorf("earn rule: %w", err)
	}
	if len(r) == 0 {
		return rule{}, false, nil
	}
	return r[0], true, nil
}

// Service is the loyalty use cases.
type Service struct {
	db  *sqlx.DB
	now func() time.Time
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB) *Service { return &Service{db: d, now: time.Now} }
