package inventory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"atrium/internal/actor"
)

// Batch reads by id for the transports' per-request loaders (one statement for a page of
// parents, not one per parent), and the level reads a live view of stock needs.

// LevelsFor returns the full stock figures of variantIDs at locationID, or at every
// active location when it is nil, by variant, kind and code. Staff only: errors
// apperr.Unauthenticated / Forbidden otherwise.
func (s *Service) LevelsFor(ctx context.Context, variantIDs []int64, locationID *int64) ([]Level, error) {
	byVariant, err := s.LevelsByVariantIDs(ctx, variantIDs)
	if err != nil {
		return nil, err
	}
	var out []Level
	for _, id := range slices.Sorted(slices.Values(variantIDs)) {
		for _, l := range byVariant[id] {
			if locationID == nil || l.LocationID == *locationID {
				out = append(out, l)
			}
		}
		delete(byVariant, id) // a variant listed twice is returned once
	}
	return out, nil
}

// MovementsByIDs returns the ledger movements with the given ids, keyed by id (missing ids
// are absent). Staff only: errors apperr.Unauthenticated / Forbidden otherwise.
func (s *Service) MovementsByIDs(ctx context.Context, ids []int64) (map[int64]Movement, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var rows []Movement
	err := s.db.SelectContext(ctx, &rows, `SELECT `+movementColumns+` FROM stock_movements WHERE id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("movements by id: %w", err)
	}
	out := make(map[int64]Movement, len(rows))
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}

// TransfersByIDs returns the transfers with the given ids with their lines, keyed by id
// (missing ids are absent), in two statements whatever their number. Staff only: errors
// apperr.Unauthenticated / Forbidden otherwise.
func (s *Service) TransfersByIDs(ctx context.Context, ids []int64) (map[int64]Transfer, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var ts []Transfer
	err := s.db.SelectContext(ctx, &ts, `SELECT `+transferColumns+` FROM transfers WHERE id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("transfers by id: %w", err)
	}
	if err := withLines(ctx, s.db, ts); err != nil {
		return nil, err
	}
	out := make(map[int64]Transfer, len(ts))
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

// TransferID returns the transfer the movement belongs to (its reference is
// Transfer.Reference), if any.
func (m Movement) TransferID() (int64, bool) {
	num, ok := strings.CutPrefix(m.Reference, "TRF:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	return id, err == nil && id > 0
}
