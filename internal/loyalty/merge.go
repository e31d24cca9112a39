package loyalty

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/apperr"
)

// MergePreview is what merging a customer's points into a survivor would do.
type MergePreview struct {
	Entries         int   `db:"entries" json:"entries"`
	Points          int64 `db:"points" json:"points"`
	SurvivorBalance int64 `db:"survivor_balance" json:"survivorBalance"`
	// Problem, when not empty, says why the merge cannot be done now.
	Problem string `db:"-" json:"problem,omitempty"`
}

// PreviewMerge returns what MoveForMerge would move, reading only.
func (s *Service) PreviewMerge(ctx context.Context, q sqlx.QueryerContext, survivorID, mergedID int64) (MergePreview, error) {
	var p MergePreview
	err := sqlx.GetContext(ctx, q, &p, `SELECT
			(SELECT count(*) FROM loyalty_entries WHERE customer_id = $2) AS entries,
			coalesce((SELECT balance FROM loyalty_accounts WHERE customer_id = $2), 0) AS points,
			coalesce((SELECT balance FROM loyalty_accounts WHERE customer_id = $1), 0) AS survivor_balance`, survivorID, mergedID)
	if err != nil {
		return p, fmt.Errorf("points to merge: %w", err)
	}
	p.Problem = negativeProblem(p.SurvivorBalance, p.Points)
	return p, nil
}

func negativeProblem(survivor, merged int64) string {
	if survivor < 0 || merged < 0 {
		return "a points balance is below zero (points reversed after they were spent); settle it with an adjustment before merging"
	}
	return ""
}

// MoveForMerge moves every points entry (lots with what is left of them, and their
// history) of merged to survivor and the balance with them, so no point is lost or
// counted twice; then recalculates both tiers (call it after the orders have moved). It
// returns the ids of the entries moved, for UndoMoveForMerge. Errors: apperr.Conflict
// (NEGATIVE_POINTS) while either balance is below zero.
func (s *Service) MoveForMerge(ctx context.Context, ext sqlx.ExtContext, survivorID, mergedID int64) ([]int64, error) {
	accts, err := lockAccounts(ctx, ext, survivorID, mergedID)
	if err != nil {
		return nil, err
	}
	sur, mer := accts[survivorID], accts[mergedID]
	if p := negativeProblem(sur.Balance, mer.Balance); p != "" {
		return nil, apperr.Conflict("points", "%s", p).WithReason("NEGATIVE_POINTS")
	}
	var ids []int64
	if err := sqlx.SelectContext(ctx, ext, &ids, `UPDATE loyalty_entries SET customer_id = $1 WHERE customer_id = $2 RETURNING id`,
		survivorID, mergedID); err != nil {
		return nil, fmt.Errorf("move points entries: %w", err)
	}
	if err := addBalance(ctx, ext, &sur, mer.Balance); err != nil {
		return nil, err
	}
	if err := addBalance(ctx, ext, &mer, -mer.Balance); err != nil {
		return nil, err
	}
	if _, err := s.recalculate(ctx, ext, &sur, "MERGE"); err != nil {
		return nil, err
	}
	if _, err := s.recalculate(ctx, ext, &mer, "MERGE"); err != nil {
		return nil, err
	}
	return ids, nil
}

// UndoMoveForMerge moves the entries a merge moved back to the merged customer, with
// their points, and recalculates both tiers (call it after the orders have moved back).
// It refuses, with apperr.Conflict (BUILT_ON_TOP), when something since the merge depends on the moved points: a debit on the survivor (a redemption, an
// expiry, an adjustment, a reversal) took points from a moved lot, or an entry was written
// for one of the moved orders (an accrual or a reversal after the merge).
func (s *Service) UndoMoveForMerge(ctx context.Context, ext sqlx.ExtContext, survivorID, mergedID int64, entryIDs, orderIDs []int64) error {
	accts, err := lockAccounts(ctx, ext, survivorID, mergedID)
	if err != nil {
		return err
	}
	sur, mer := accts[survivorID], accts[mergedID]
	var blockers struct {
		Taken  int `db:"taken"`
		Orders int `db:"orders"`
	}
	if err := sqlx.GetContext(ctx, ext, &blockers, `SELECT
			(SELECT count(*) FROM loyalty_allocations a WHERE a.lot_id = ANY($1) AND NOT a.debit_id = ANY($1)) AS taken,
			(SELECT count(*) FROM loyalty_entries e WHERE e.order_id = ANY($2) AND NOT e.id = ANY($1)) AS orders`,
		pq.Array(entryIDs), pq.Array(orderIDs)); err != nil {
		return fmt.Errorf("points since the merge: %w", err)
	}
	if blockers.Taken > 0 {
		return apperr.Conflict("points", "points that came with the merge have since been spent, expired or adjusted (%d times); the merge can no longer be undone", blockers.Taken).
			WithReason("BUILT_ON_TOP")
	}
	if blockers.Orders > 0 {
		return apperr.Conflict("points", "points were earned or reversed since the merge on orders that came with it; the merge can no longer be undone").
			WithReason("BUILT_ON_TOP")
	}
	var moved int64
	if err := sqlx.GetContext(ctx, ext, &moved, `WITH m AS (UPDATE loyalty_entries SET customer_id = $2
			WHERE id = ANY($3) AND customer_id = $1 RETURNING points)
		SELECT coalesce(sum(points), 0) FROM m`, survivorID, mergedID, pq.Array(entryIDs)); err != nil {
		return fmt.Errorf("move points entries back: %w", err)
	}
	if err := addBalance(ctx, ext, &sur, -moved); err != nil {
		return err
	}
	if err := addBalance(ctx, ext, &mer, moved); err != nil {
		return err
	}
	if _, err := s.recalculate(ctx, ext, &sur, "MERGE"); err != nil {
		return err
	}
	_, err = s.recalculate(ctx, ext, &mer, "MERGE")
	return err
}
