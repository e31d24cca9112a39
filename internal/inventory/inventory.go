// Package inventory owns stock: how many of each variant each location holds, what is
// reserved for open orders, what is kept back as safety (display) stock, what is on its way,
// and the append-only ledger of every movement.
//
// Every change to a stock level goes through one helper (apply) that, in the caller's
// transaction, updates the level with a single guarded statement, keeps the lots of
// lot-tracked variants in step, writes the movements and notifies listeners, so a level
// always equals the sum of its movements and no check is a read-modify-write.
//
// Errors that concern an input field come in an apperr.List; the others are single
// *apperr.Error values (Forbidden, NotFound, a reused idempotency key).
package inventory

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
)

// Level is the stock of one variant at one location.
type Level struct {
	LocationID   int64 `db:"location_id"`
	VariantID    int64 `db:"variant_id"`
	OnHand       int   `db:"on_hand"`
	Reserved     int   `db:"reserved"`
	SafetyStock  int   `db:"safety_stock"`
	Incoming     int   `db:"incoming"`
	ReorderPoint int   `db:"reorder_point"`
	// Expired is the part of OnHand in lots past their expiry date, not sellable, until
	// ExpireLots moves it out.
	Expired int `db:"expired"`
}

// Available is what online channels may still take: on hand less reserved, safety stock
// and expired lots, never below zero.
func (l Level) Available() int {
	return max(0, l.OnHand-l.Reserved-l.SafetyStock-l.Expired)
}

// Service is the inventory use cases.
type Service struct {
	db *sqlx.DB
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB) *Service { return &Service{db: d} }

// Availability is the sellable stock of one variant at one location, as shoppers see it.
type Availability struct {
	LocationID int64
	Available  int
}

// AvailabilityByVariantIDs returns, per variant, its available stock at each active
// location that holds a stock row, in location order. Anyone may see availability.
func (s *Service) AvailabilityByVariantIDs(ctx context.Context, variantIDs []int64) (map[int64][]Availability, error) {
	levels, err := s.levels(ctx, variantIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]Availability, len(variantIDs))
	for vid, ls := range levels {
		for _, l := range ls {
			out[vid] = append(out[vid], Availability{LocationID: l.LocationID, Available: l.Available()})
		}
	}
	return out, nil
}

// LevelsByVariantIDs returns, per variant, the full stock figures at each active location.
// Staff only: errors apperr.Unauthenticated / Forbidden otherwise.
func (s *Service) LevelsByVariantIDs(ctx context.Context, variantIDs []int64) (map[int64][]Level, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	return s.levels(ctx, variantIDs)
}

func (s *Service) levels(ctx context.Context, variantIDs []int64) (map[int64][]Level, error) {
	var rows []Level
	err := s.db.SelectContext(ctx, &rows, `SELECT `+levelColumns+`
		FROM stock_levels s JOIN locations l ON l.id = s.location_id AND l.active
		WHERE s.variant_id = ANY($1)
		ORDER BY s.variant_id, l.kind, l.code`, pq.Array(variantIDs))
	if err != nil {
		return nil, fmt.Errorf("stock levels: %w", err)
	}
	out := make(map[int64][]Level, len(variantIDs))
	for _, r := range rows {
		out[r.VariantID] = append(out[r.VariantID], r)
	}
	return out, nil
}

// Totals are stock figures for dashboards.
type Totals struct {
	Units      int64 `db:"units"`
	OutOfStock int   `db:"out_of_stock"`
}

// Totals returns units on hand and the number of variants with no available stock anywhere.
func (s *Service) Totals(ctx context.Context) (Totals, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Totals{}, err
	}
	var t Totals
	err := s.db.GetContext(ctx, &t, `
		SELECT coalesce((SELECT sum(on_hand) FROM stock_levels), 0) AS units,
		       (SELECT count(*) FROM variants v WHERE NOT EXISTS (
		            SELECT 1 FROM stock_levels s WHERE s.variant_id = v.id
		            AND s.on_hand - s.reserved - s.safety_stock - `+expiredNow+` > 0)) AS out_of_stock`)
	return t, err
}
