package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
)

// SalesHistory is what one variant sold at one location, day by day: the demand history
// that replenishment forecasts from. Sales of every channel (till, online, app) are SALE
// movements of the ledger.
type SalesHistory struct {
	LocationID int64
	VariantID  int64
	// Since is the first day of Units: the later of the requested start and the day of the
	// level's first movement (a variant stocked last week has no history of zeros before).
	Since time.Time
	// Units sold each day from Since to the day before the requested end, in the
	// location's time zone.
	Units []int
}

// maxSalesDays bounds a history request.
const maxSalesDays = 3 * 366

// DailySales returns the daily sales of variantIDs at every active location that holds a
// stock level of them, for the days from from to the day before to (dates, in each
// location's own time zone; only their year, month and day count). Levels with no movement
// before to have an empty history. One statement whatever the number of variants. Staff
// only. Errors: Unauthenticated, Forbidden, apperr.List (to) when the range is empty or
// longer than three years.
func (s *Service) DailySales(ctx context.Context, variantIDs []int64, from, to time.Time) (map[LevelKey]SalesHistory, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	from, to = civilDate(from), civilDate(to)
	days := int(to.Sub(from).Hours()/24 + 0.5)
	if days <= 0 || days > maxSalesDays {
		return nil, apperr.List{apperr.Invalid("to", "give an end date after the start date, at most %d days later", maxSalesDays)}
	}
	var rows []struct {
		LocationID int64         `db:"location_id"`
		VariantID  int64         `db:"variant_id"`
		First      *string       `db:"first_day"`
		Days       pq.Int64Array `db:"days"`
		Units      pq.Int64Array `db:"units"`
	}
	// One row per level with its sales as arrays (day offset from from and units of each
	// SALE movement, summed here per day), so that the history of thousands of levels is
	// one statement, one hash aggregate and a few thousand rows. The first movement of
	// each level is one probe of stock_movements_level_idx; a day in any time zone lies
	// within a day either side of the same UTC dates (days outside the range are dropped).
	err := s.db.SelectContext(ctx, &rows, `
		WITH lv AS (
			SELECT s.location_id, s.variant_id, ((SELECT min(m.at) FROM stock_movements m
				WHERE m.location_id = s.location_id AND m.variant_id = s.variant_id) AT TIME ZONE l.time_zone)::date AS first_day
			FROM stock_levels s JOIN locations l ON l.id = s.location_id AND l.active
			WHERE s.variant_id = ANY($1)
		), series AS (
			SELECT m.location_id, m.variant_id, array_agg((m.at AT TIME ZONE l.time_zone)::date - $2::date) AS days,
				array_agg(-m.on_hand_delta) AS units
			FROM stock_movements m JOIN locations l ON l.id = m.location_id AND l.active
			WHERE m.kind = 'SALE' AND m.variant_id = ANY($1) AND m.at >= $2::date - 1 AND m.at < $3::date + 1
			GROUP BY 1, 2
		)
		SELECT lv.location_id, lv.variant_id, to_char(lv.first_day, 'YYYY-MM-DD') AS first_day,
			coalesce(d.days, '{}') AS days, coalesce(d.units, '{}') AS units
		FROM lv LEFT JOIN series d ON d.location_id = lv.location_id AND d.variant_id = lv.variant_id`,
		pq.Array(variantIDs), from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("daily sales: %w", err)
	}
	out := make(map[LevelKey]SalesHistory, len(rows))
	for _, r := range rows {
		h := SalesHistory{LocationID: r.LocationID, VariantID: r.VariantID, Since: to}
		if r.First != nil {
			first, err := time.Parse(time.DateOnly, *r.First)
			if err != nil {
				return nil, fmt.Errorf("sales history: first day %q: %w", *r.First, err)
			}
			h.Since = maxTime(from, first)
		}
		if h.Since.Before(to) {
			h.Units = make([]int, int(to.Sub(h.Since).Hours()/24+0.5))
		} else {
			h.Since = to
		}
		skip := int(h.Since.Sub(from).Hours()/24 + 0.5)
		for i, d := range r.Days {
			if j := int(d) - skip; j >= 0 && j < len(h.Units) {
				h.Units[j] += int(r.Units[i])
			}
		}
		out[LevelKey{LocationID: r.LocationID, VariantID: r.VariantID}] = h
	}
	return out, nil
}

// civilDate keeps the year, month and day of t, at midnight UTC.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
