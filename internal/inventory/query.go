package inventory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// MaxPage is the most rows one page of a list returns.
const MaxPage = 100

func pageSize(first int) (int, error) {
	if first == 0 {
		return 20, nil
	}
	if first < 1 || first > MaxPage {
		return 0, apperr.List{apperr.Invalid("first", "a page has between 1 and %d rows", MaxPage)}
	}
	return first, nil
}

// LevelKey identifies a stock level: a variant at a location.
type LevelKey struct {
	LocationID int64 `db:"location_id"`
	VariantID  int64 `db:"variant_id"`
}

// MovementFilter selects ledger movements. Nil and zero fields do not filter.
type MovementFilter struct {
	VariantID  *int64
	LocationID *int64
	Kind       Kind
	// From and To bound the time of the movement: From <= at < To.
	From, To *time.Time
	// After is the id of the last movement of the previous page (0 for the first page).
	After int64
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// MovementPage is one page of movements, newest first.
type MovementPage struct {
	Movements   []Movement
	HasNextPage bool
}

// Movements returns a page of the stock ledger, newest first. Staff only. Errors:
// Unauthenticated, Forbidden, apperr.List (kind, first).
func (s *Service) Movements(ctx context.Context, f MovementFilter) (MovementPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return MovementPage{}, err
	}
	first, err := pageSize(f.First)
	if err != nil {
		return MovementPage{}, err
	}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		return MovementPage{}, apperr.List{apperr.Invalid("kind", "unknown movement type %s", f.Kind)}
	}
	var ms []Movement
	err = s.db.SelectContext(ctx, &ms, `SELECT `+movementColumns+` FROM stock_movements
		WHERE ($1::bigint IS NULL OR variant_id = $1) AND ($2::bigint IS NULL OR location_id = $2)
		  AND ($3 = '' OR kind = $3) AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
		  AND ($6::bigint = 0 OR id < $6)
		ORDER BY id DESC LIMIT $7`, f.VariantID, f.LocationID, string(f.Kind), f.From, f.To, f.After, first+1)
	if err != nil {
		return MovementPage{}, fmt.Errorf("stock movements: %w", err)
	}
	page := MovementPage{Movements: ms}
	if len(ms) > first {
		page.Movements, page.HasNextPage = ms[:first], true
	}
	return page, nil
}

// LowStockFilter selects levels for the low-stock alert.
type LowStockFilter struct {
	LocationID *int64
	// After is the last level of the previous page (zero for the first page).
	After LevelKey
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// LowStockPage is one page of low levels in (location, variant) order.
type LowStockPage struct {
	Levels      []Level
	HasNextPage bool
}

// LowStock returns the levels with a reorder point whose stock left to sell (on hand less
// reserved and expired; safety stock counts, as the store can still sell it) is at or
// below it. Incoming is in each level so staff see what is already on its way. Staff only.
// Errors: Unauthenticated, Forbidden, apperr.List (first).
func (s *Service) LowStock(ctx context.Context, f LowStockFilter) (LowStockPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return LowStockPage{}, err
	}
	first, err := pageSize(f.First)
	if err != nil {
		return LowStockPage{}, err
	}
	var ls []Level
	err = s.db.SelectContext(ctx, &ls, `SELECT `+levelColumns+` FROM stock_levels s
		WHERE s.reorder_point > 0 AND ($1::bigint IS NULL OR s.location_id = $1)
		  AND (s.location_id, s.variant_id) > ($2, $3)
		  AND s.on_hand - s.reserved - `+expiredNow+` <= s.reorder_point
		ORDER BY s.location_id, s.variant_id LIMIT $4`, f.LocationID, f.After.LocationID, f.After.VariantID, first+1)
	if err != nil {
		return LowStockPage{}, fmt.Errorf("low stock: %w", err)
	}
	page := LowStockPage{Levels: ls}
	if len(ls) > first {
		page.Levels, page.HasNextPage = ls[:first], true
	}
	return page, nil
}

// SetStockPolicy sets a level's safety stock (units online channels may not take) and
// reorder point (0: no low-stock alert), creating the level if needed. Policy is not
// stock, so no movement is written; the change is audited and listeners are notified, as
// availability changes. Managers and admins only.
//
// Errors: Unauthenticated, Forbidden, apperr.List (safetyStock, reorderPoint, locationId,
// variantId).
func (s *Service) SetStockPolicy(ctx context.Context, locationID, variantID int64, safetyStock, reorderPoint int) (Level, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Level{}, err
	}
	errs := checkLevel(nil, locationID, variantID)
	if safetyStock < 0 {
		errs = append(errs, apperr.Invalid("safetyStock", "safety stock cannot be negative"))
	}
	if reorderPoint < 0 {
		errs = append(errs, apperr.Invalid("reorderPoint", "the reorder point cannot be negative"))
	}
	if err := errs.Err(); err != nil {
		return Level{}, err
	}
	var after Level
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO stock_levels (location_id, variant_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, locationID, variantID)
		if err != nil {
			return fmt.Errorf("create stock level: %w", mapLevelErr(err))
		}
		before, err := levelAt(ctx, tx, locationID, variantID, true)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE stock_levels SET safety_stock = $3, reorder_point = $4, updated_at = now()
			WHERE location_id = $1 AND variant_id = $2`, locationID, variantID, safetyStock, reorderPoint)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT `+notifySQL, locationID, variantID); err != nil {
			return err
		}
		if after, err = levelAt(ctx, tx, locationID, variantID, false); err != nil {
			return err
		}
		type policy struct {
			LocationID   int64 `json:"locationId"`
			SafetyStock  int   `json:"safetyStock"`
			ReorderPoint int   `json:"reorderPoint"`
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "stock.policy_changed", Entity: "variant", EntityID: variantID,
			Before: policy{locationID, before.SafetyStock, before.ReorderPoint},
			After:  policy{locationID, after.SafetyStock, after.ReorderPoint}})
	})
	return after, err
}

// DiscrepancyFilter selects discrepancies.
type DiscrepancyFilter struct {
	LocationID *int64
	// Status is OPEN (the default) or RESOLVED.
	Status string
}

// Discrepancies returns the till shortfalls to recount, oldest first. Staff only. Errors:
// Unauthenticated, Forbidden, apperr.List (status).
func (s *Service) Discrepancies(ctx context.Context, f DiscrepancyFilter) ([]Discrepancy, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	if f.Status == "" {
		f.Status = "OPEN"
	}
	if f.Status != "OPEN" && f.Status != "RESOLVED" {
		return nil, apperr.List{apperr.Invalid("status", "choose OPEN or RESOLVED")}
	}
	var out []Discrepancy
	err := s.db.SelectContext(ctx, &out, `SELECT `+discrepancyColumns+` FROM stock_discrepancies
		WHERE status = $1 AND ($2::bigint IS NULL OR location_id = $2) ORDER BY id`, f.Status, f.LocationID)
	if err != nil {
		return nil, fmt.Errorf("discrepancies: %w", err)
	}
	return out, nil
}
