package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// lotExpired is the condition that lot k (joined to its location kl) is past its expiry
// date at the instant now (an SQL expression) in the location's time zone. The first term
// lets the expiry index narrow the search: no time zone is more than a day ahead of UTC.
func lotExpired(now string) string {
	return `k.expires_on <= (` + now + ` AT TIME ZONE 'UTC')::date
		AND k.expires_on < (` + now + ` AT TIME ZONE kl.time_zone)::date`
}

// expireBatchSize is how many levels one ExpireLots transaction handles.
const expireBatchSize = 100

// ExpireLots moves the stock of lots past their expiry date at now out of on hand, with
// EXPIRY movements, and returns how many units it moved. Units still reserved for orders
// stay (those orders need re-allocating; the lots show as expired in ExpiringStock).
//
// It is a job for the system (or a manager): several servers may run it at once, since
// each level is locked by one of them and skipped by the others (FOR UPDATE SKIP LOCKED),
// in short transactions of a batch of levels each; a level busy with an order is left for
// the next run. Errors: Unauthenticated, Forbidden.
func (s *Service) ExpireLots(ctx context.Context, now time.Time) (int, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return 0, err
	}
	total := 0
	var after LevelKey
	for {
		n, last, err := s.expireBatch(ctx, now, after)
		total += n
		if err != nil || last == nil {
			return total, err
		}
		after = *last
	}
}

// expireBatch expires the lots of the next batch of levels after after, returning the
// units moved and the last level of a full batch (nil when there is no more).
func (s *Service) expireBatch(ctx context.Context, now time.Time, after LevelKey) (int, *LevelKey, error) {
	units := 0
	var last *LevelKey
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var levels []struct {
			LevelKey
			Free int `db:"free"`
		}
		err := tx.SelectContext(ctx, &levels, `
			SELECT s.location_id, s.variant_id, s.on_hand - s.reserved AS free
			FROM stock_levels s
			WHERE (s.location_id, s.variant_id) > ($2, $3) AND s.on_hand > s.reserved
			  AND (s.location_id, s.variant_id) IN (
			      SELECT k.location_id, k.variant_id FROM stock_lots k JOIN locations kl ON kl.id = k.location_id
			      WHERE k.on_hand > 0 AND `+lotExpired("$1::timestamptz")+`)
			ORDER BY s.location_id, s.variant_id
			LIMIT $4
			FOR UPDATE OF s SKIP LOCKED`, now, after.LocationID, after.VariantID, expireBatchSize)
		if err != nil || len(levels) == 0 {
			return err
		}
		if len(levels) == expireBatchSize {
			last = &levels[len(levels)-1].LevelKey
		}
		locs, vars := make([]int64, len(levels)), make([]int64, len(levels))
		free := make(map[LevelKey]int, len(levels))
		for i, l := range levels {
			locs[i], vars[i] = l.LocationID, l.VariantID
			free[l.LevelKey] = l.Free
		}
		// The levels are locked, so their lots cannot change under us.
		var lots []struct {
			LevelKey
			Lot       string    `db:"lot"`
			OnHand    int       `db:"on_hand"`
			ExpiresOn time.Time `db:"expires_on"`
		}
		err = tx.SelectContext(ctx, &lots, `
			SELECT k.location_id, k.variant_id, k.lot, k.on_hand, k.expires_on
			FROM stock_lots k JOIN locations kl ON kl.id = k.location_id
			WHERE (k.location_id, k.variant_id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))
			  AND k.on_hand > 0 AND `+lotExpired("$1::timestamptz")+`
			ORDER BY k.location_id, k.variant_id, k.expires_on, k.lot`, now, pq.Array(locs), pq.Array(vars))
		if err != nil {
			return fmt.Errorf("expired lots: %w", err)
		}
		for _, k := range lots {
			take := min(k.OnHand, free[k.LevelKey])
			if take == 0 {
				continue
			}
			free[k.LevelKey] -= take
			_, err := apply(ctx, tx, change{LocationID: k.LocationID, VariantID: k.VariantID, Kind: KindExpiry,
				OnHand: -take, Lot: k.Lot, Reference: "EXP:" + k.ExpiresOn.Format(time.DateOnly),
				Reason: "lot " + k.Lot + " expired on " + k.ExpiresOn.Format(time.DateOnly)})
			if err != nil {
				return err
			}
			units += take
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return units, last, nil
}

// ExpiringFilter selects lots for the expiry report.
type ExpiringFilter struct {
	// WithinDays includes lots expiring within this many days from today (0..365; 0
	// means 30). Expired lots still on hand are always included.
	WithinDays int
	LocationID *int64
}

// ExpiringLot is a lot on hand that has expired or expires soon.
type ExpiringLot struct {
	LocationID int64     `db:"location_id"`
	VariantID  int64     `db:"variant_id"`
	Lot        string    `db:"lot"`
	ExpiresOn  time.Time `db:"expires_on"`
	OnHand     int       `db:"on_hand"`
	// Expired lots are not sellable; ExpireLots moves them out unless reserved.
	Expired bool `db:"expired"`
}

// ExpiringStock returns the lots on hand that have expired or expire within f.WithinDays,
// first expiring first. Staff only. Errors: Unauthenticated, Forbidden, apperr.List
// (withinDays).
func (s *Service) ExpiringStock(ctx context.Context, f ExpiringFilter) ([]ExpiringLot, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	if f.WithinDays == 0 {
		f.WithinDays = 30
	}
	if f.WithinDays < 0 || f.WithinDays > 365 {
		return nil, apperr.List{apperr.Invalid("withinDays", "choose between 1 and 365 days")}
	}
	var out []ExpiringLot
	err := s.db.SelectContext(ctx, &out, `
		SELECT k.location_id, k.variant_id, k.lot, k.expires_on, k.on_hand, `+lotExpired("now()")+` AS expired
		FROM stock_lots k JOIN locations kl ON kl.id = k.location_id
		WHERE k.on_hand > 0 AND k.expires_on <= (now() AT TIME ZONE kl.time_zone)::date + $1::int
		  AND ($2::bigint IS NULL OR k.location_id = $2)
		ORDER BY k.expires_on, k.location_id, k.variant_id, k.lot`, f.WithinDays, f.LocationID)
	if err != nil {
		return nil, fmt.Errorf("expiring stock: %w", err)
	}
	return out, nil
}
