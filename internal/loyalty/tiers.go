package loyalty

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/postgres"
)

// Benefits are what a tier gives in pricing.
type Benefits struct {
	Tier         string `db:"code" json:"tier"`
	Name         string `db:"name" json:"name"`
	DiscountBP   int    `db:"discount_bp" json:"discountBp"`
	MultiplierBP int    `db:"multiplier_bp" json:"multiplierBp"`
	// Orders from this subtotal ship free; nil: no free shipping from the tier.
	FreeShippingThreshold *int64 `db:"free_shipping_threshold" json:"freeShippingThreshold,omitempty"`
}

// TierBenefits returns the benefits of a customer's current tier for pricing (the lowest
// tier's for a customer without an account; a merged customer's survivor's). It reads
// only, without locks, so pricing in every channel can call it on each basket.
func (s *Service) TierBenefits(ctx context.Context, customerID int64) (Benefits, error) {
	return BenefitsOf(ctx, s.db, customerID)
}

// BenefitsOf is TierBenefits using q (inside a caller's transaction).
func BenefitsOf(ctx context.Context, q sqlx.QueryerContext, customerID int64) (Benefits, error) {
	member, ok, err := memberOf(ctx, q, customerID)
	if err != nil {
		return Benefits{}, err
	}
	if !ok {
		member = 0
	}
	var b Benefits
	err = sqlx.GetContext(ctx, q, &b, `SELECT code, name, discount_bp, multiplier_bp, free_shipping_threshold FROM loyalty_tiers
		WHERE code = coalesce((SELECT tier FROM loyalty_accounts WHERE customer_id = $1),
			(SELECT code FROM loyalty_tiers ORDER BY min_spend LIMIT 1))`, member)
	if err != nil {
		return b, fmt.Errorf("tier benefits: %w", err)
	}
	return b, nil
}

// TierChange is a tier recalculation's outcome.
type TierChange struct {
	CustomerID   int64  `json:"customerId"`
	From         string `json:"from"`
	To           string `json:"to"`
	RollingSpend int64  `json:"rollingSpend"`
}

// Changed reports whether the tier moved.
func (c TierChange) Changed() bool { return c.From != c.To }

// RecalculateTier recomputes a customer's rolling spend (paid, not cancelled orders placed
// within the programme's tier window, minus their refunds) and tier, recording a change.
// AccrueForOrder and the reversals call it already; call it yourself after a change to
// spend that earns no points. cause is ORDER, NIGHTLY, MERGE, RETURN or MANUAL.
func (s *Service) RecalculateTier(ctx context.Context, ext sqlx.ExtContext, customerID int64, cause string) (TierChange, error) {
	acct, err := lockAccount(ctx, ext, customerID)
	if err != nil {
		return TierChange{}, err
	}
	return s.recalculate(ctx, ext, &acct, cause)
}

func (s *Service) recalculate(ctx context.Context, ext sqlx.ExtContext, acct *Account, cause string) (TierChange, error) {
	p, err := loadProgramme(ctx, ext)
	if err != nil {
		return TierChange{}, err
	}
	since := s.now().AddDate(0, -p.TierWindowMonths, 0)
	var spend int64
	if err := sqlx.GetContext(ctx, ext, &spend, `SELECT coalesce(sum(o.total), 0) - coalesce((SELECT sum(r.amount) FROM refunds r
			JOIN orders ro ON ro.id = r.order_id
			WHERE ro.customer_id = $1 AND ro.status <> 'CANCELLED' AND ro.payment_status = 'PAID' AND ro.created_at >= $2), 0)
		FROM orders o WHERE o.customer_id = $1 AND o.status <> 'CANCELLED' AND o.payment_status = 'PAID' AND o.created_at >= $2`,
		acct.CustomerID, since); err != nil {
		return TierChange{}, fmt.Errorf("rolling spend: %w", err)
	}
	spend = max(spend, 0)
	var tier string
	if err := sqlx.GetContext(ctx, ext, &tier, `SELECT code FROM loyalty_tiers WHERE min_spend <= $1 ORDER BY min_spend DESC LIMIT 1`, spend); err != nil {
		return TierChange{}, fmt.Errorf("tier for spend %d: %w", spend, err)
	}
	ch := TierChange{CustomerID: acct.CustomerID, From: acct.Tier, To: tier, RollingSpend: spend}
	if _, err := ext.ExecContext(ctx, `UPDATE loyalty_accounts SET tier = $2, rolling_spend = $3, tier_checked_at = now(),
			tier_changed_at = CASE WHEN tier <> $2 THEN now() ELSE tier_changed_at END WHERE customer_id = $1`,
		acct.CustomerID, tier, spend); err != nil {
		return ch, fmt.Errorf("update tier: %w", err)
	}
	if ch.Changed() {
		if _, err := ext.ExecContext(ctx, `INSERT INTO loyalty_tier_changes (customer_id, from_tier, to_tier, rolling_spend, cause)
			VALUES ($1, $2, $3, $4, $5)`, acct.CustomerID, ch.From, ch.To, spend, cause); err != nil {
			return ch, fmt.Errorf("record tier change: %w", err)
		}
	}
	acct.Tier, acct.RollingSpend = tier, spend
	return ch, nil
}

// RecalculateAllTiers is the nightly job: every account not checked since asOf minus a day
// (and every customer with paid orders in the window but no account yet) is recalculated,
// so spend that ages out of the window lowers tiers. Batches of accounts are claimed with
// FOR UPDATE SKIP LOCKED, so several servers running it share the work and never block
// each other or the tills. It returns the tier changes made.
func (s *Service) RecalculateAllTiers(ctx context.Context, asOf time.Time, batch int) ([]TierChange, error) {
	if batch <= 0 {
		batch = 200
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO loyalty_accounts (customer_id, tier_checked_at)
		SELECT DISTINCT o.customer_id, '-infinity'::timestamptz FROM orders o
		JOIN customers c ON c.id = o.customer_id AND c.merged_into_id IS NULL AND c.erased_at IS NULL
		WHERE o.payment_status = 'PAID' AND o.created_at >= $1::timestamptz - interval '36 months'
		ON CONFLICT DO NOTHING`, asOf); err != nil {
		return nil, fmt.Errorf("open loyalty accounts: %w", err)
	}
	cutoff := asOf.Add(-24 * time.Hour)
	var changes []TierChange
	for {
		var n int
		err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
			var accts []Account
			if err := tx.SelectContext(ctx, &accts, `SELECT `+accountColumns+` FROM loyalty_accounts
				WHERE tier_checked_at < $1 ORDER BY customer_id LIMIT $2 FOR UPDATE SKIP LOCKED`, cutoff, batch); err != nil {
				return fmt.Errorf("claim accounts: %w", err)
			}
			n = len(accts)
			for i := range accts {
				ch, err := s.recalculate(ctx, tx, &accts[i], "NIGHTLY")
				if err != nil {
					return err
				}
				if ch.Changed() {
					changes = append(changes, ch)
				}
			}
			return nil
		})
		if err != nil {
			return changes, err
		}
		if n < batch {
			return changes, nil
		}
	}
}
