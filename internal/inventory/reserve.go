package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
)

// Reservations is the stock the order service takes and gives back inside its own
// transaction (ext). The caller has already decided that the actor may place or fulfil the
// order; movements are recorded as done by the actor in ctx, under ref (e.g. "ORD:42").
//
// Each call sorts its lines by (location, variant) before locking anything, so concurrent
// orders cannot deadlock: pass all of an order's lines in one call per transaction.
type Reservations interface {
	// Reserve commits available units to an order, one guarded statement per line.
	// Errors: *ShortageError (an apperr.List, reason INSUFFICIENT_STOCK) naming every
	// short line; the caller rolls back.
	Reserve(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error
	// Release gives reserved units back (a cancelled line).
	Release(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error
	// Consume records reserved units leaving (shipped, collected): SALE movements taking
	// lot-tracked stock first-expiring first.
	Consume(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error
	// SellCarryOut records a till sale of goods in the customer's hands. It is never
	// refused for lack of system stock: it takes what the ledger has and returns the
	// shortfall as discrepancies for the store to recount.
	SellCarryOut(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) ([]Discrepancy, error)
	// Restock puts returned units back on hand (RETURN movements).
	Restock(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error
}

var _ Reservations = (*Service)(nil)

// Line is a quantity of one variant at one location.
type Line struct {
	LocationID int64
	VariantID  int64
	Qty        int
	// Lot optionally names the lot of a lot-tracked variant: the lot units leave from
	// (Consume, SellCarryOut; empty takes first-expiring first) or return to (Restock,
	// where it is required). Reserve and Release ignore it: reservations are per level.
	Lot string
}

// Shortage is one line that cannot be served in full.
type Shortage struct {
	// Line is the index of the line in the caller's slice.
	Line         int    `json:"line"`
	LocationID   int64  `json:"locationId"`
	VariantID    int64  `json:"variantId"`
	SKU          string `json:"sku"`
	LocationCode string `json:"locationCode"`
	Requested    int    `json:"requested"`
	Available    int    `json:"available"`
}

// ShortageError reports the lines short of stock. It unwraps to an apperr.List with one
// Invalid error per line (field lines.<i>.qty, reason INSUFFICIENT_STOCK, naming the SKU,
// the location and what is available), so transports show it as user errors; callers
// that need the numbers use errors.As.
type ShortageError struct {
	Lines []Shortage
}

func (e *ShortageError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the user-facing apperr.List.
func (e *ShortageError) Unwrap() error {
	errs := make(apperr.List, len(e.Lines))
	for i, s := range e.Lines {
		errs[i] = apperr.Invalid(fmt.Sprintf("lines.%d.qty", s.Line), "only %d of %s available at %s (%d asked for)",
			s.Available, s.SKU, s.LocationCode, s.Requested).WithReason(ReasonInsufficientStock)
	}
	return errs
}

// Discrepancy is a shortfall between what a till sold and what the ledger had: the store
// recounts, and a Count of the level resolves it.
type Discrepancy struct {
	ID         int64      `db:"id"`
	LocationID int64      `db:"location_id"`
	VariantID  int64      `db:"variant_id"`
	Quantity   int        `db:"quantity"`
	Reference  string     `db:"reference"`
	Status     string     `db:"status"`
	CreatedAt  time.Time  `db:"created_at"`
	ResolvedAt *time.Time `db:"resolved_at"`
}

const discrepancyColumns = `id, location_id, variant_id, quantity, reference, status, created_at, resolved_at`

// Reserve implements Reservations: it reserves every line it can and reports all the
// short ones, in one call of the database's reserve_stock (migration 00008), which locks
// the levels in (location, variant) order and applies the one guarded reservation to
// each. Errors: *ShortageError, after which the transaction is aborted and the caller
// rolls back; apperr.List for malformed lines.
func (s *Service) Reserve(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error {
	if err := eachLine(ref, lines, func(int, Line) error { return nil }); err != nil {
		return err
	}
	// reserve_stock merges lines for the same level itself and names short lines by their
	// index in what it is given: it gets the caller's lines as they are.
	locations, variants, quantities := make([]int64, len(lines)), make([]int64, len(lines)), make([]int64, len(lines))
	for i, l := range lines {
		locations[i], variants[i], quantities[i] = l.LocationID, l.VariantID, int64(l.Qty)
	}
	a := actor.From(ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	_, err := ext.ExecContext(ctx, `SELECT reserve_stock($1, $2, $3, $4, $5, $6, true)`, ref, string(a.Kind), actorID,
		pq.Array(locations), pq.Array(variants), pq.Array(quantities))
	if short, ok := ShortageOf(err); ok {
		return short
	}
	if err != nil {
		return fmt.Errorf("reserve stock: %w", err)
	}
	return nil
}

// ShortageCode is the SQLSTATE with which reserve_stock refuses a reservation.
const ShortageCode = "AT001"

// ShortageOf returns the *ShortageError carried by err when err is reserve_stock's
// refusal (also when reserve_stock was called inside another statement, such as an
// order's insert).
func ShortageOf(err error) (*ShortageError, bool) {
	var pe *pq.Error
	if err == nil || !errors.As(err, &pe) || string(pe.Code) != ShortageCode {
		return nil, false
	}
	var short []Shortage
	if json.Unmarshal([]byte(pe.Detail), &short) != nil || len(short) == 0 {
		return nil, false
	}
	slices.SortFunc(short, func(a, b Shortage) int { return a.Line - b.Line })
	return &ShortageError{Lines: short}, true
}

// Release implements Reservations. Releasing more than is reserved is an error in the
// caller (a plain error, not a user error).
func (s *Service) Release(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error {
	return eachLine(ref, lines, func(_ int, l Line) error {
		_, err := apply(ctx, ext, change{LocationID: l.LocationID, VariantID: l.VariantID, Kind: KindRelease,
			Reserved: -l.Qty, Reference: ref})
		return notReserved(err, "release", l)
	})
}

// Consume implements Reservations. Consuming more than is reserved is an error in the
// caller (a plain error), as is naming a lot without the units.
func (s *Service) Consume(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error {
	return eachLine(ref, lines, func(_ int, l Line) error {
		_, err := apply(ctx, ext, change{LocationID: l.LocationID, VariantID: l.VariantID, Kind: KindSale,
			OnHand: -l.Qty, Reserved: -l.Qty, Lot: l.Lot, Reference: ref})
		return notReserved(err, "consume", l)
	})
}

// SellCarryOut implements Reservations. A line the ledger cannot cover takes what is on
// hand and not reserved for orders (on hand never goes below zero nor below reserved), and
// the rest becomes an OPEN discrepancy. Errors: apperr.List for malformed lines.
func (s *Service) SellCarryOut(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) ([]Discrepancy, error) {
	var out []Discrepancy
	err := eachLine(ref, lines, func(_ int, l Line) error {
		sale := change{LocationID: l.LocationID, VariantID: l.VariantID, Kind: KindSale, OnHand: -l.Qty,
			Lot: l.Lot, Reference: ref, Reason: "carry-out sale"}
		_, err := apply(ctx, ext, sale)
		if _, ok := errors.AsType[*refusal](err); !ok {
			return err
		}
		// Short (or short in the named lot): lock the level, take what is free from any lot,
		// record the rest.
		lvl, err := levelAt(ctx, ext, l.LocationID, l.VariantID, true)
		if err != nil {
			return err
		}
		taken := min(l.Qty, max(0, lvl.OnHand-lvl.Reserved))
		if taken > 0 {
			sale.OnHand, sale.Lot = -taken, ""
			if _, err := apply(ctx, ext, sale); err != nil {
				return err
			}
		}
		if taken == l.Qty {
			return nil
		}
		var d Discrepancy
		err = sqlx.GetContext(ctx, ext, &d, `INSERT INTO stock_discrepancies (location_id, variant_id, quantity, reference)
			VALUES ($1, $2, $3, $4) RETURNING `+discrepancyColumns, l.LocationID, l.VariantID, l.Qty-taken, ref)
		if err != nil {
			return fmt.Errorf("record discrepancy: %w", mapLevelErr(err))
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// Restock implements Reservations. A lot-tracked line names the returned lot, whose expiry
// is known from its receipt. Errors: apperr.List (lot, expiresOn, malformed lines).
func (s *Service) Restock(ctx context.Context, ext sqlx.ExtContext, ref string, lines []Line) error {
	return eachLine(ref, lines, func(_ int, l Line) error {
		_, err := apply(ctx, ext, change{LocationID: l.LocationID, VariantID: l.VariantID, Kind: KindReturn,
			OnHand: l.Qty, Lot: l.Lot, Reference: ref, Reason: "returned"})
		return err
	})
}

// eachLine checks lines, merges those for the same level (and lot), and calls fn for each
// in (location, variant) order with the index of its first line.
func eachLine(ref string, lines []Line, fn func(int, Line) error) error {
	var errs apperr.List
	if strings.TrimSpace(ref) == "" {
		errs = append(errs, apperr.Invalid("ref", "stock moves for an order need its reference"))
	}
	type indexed struct {
		i int
		Line
	}
	var merged []indexed
	for i, l := range lines {
		if l.LocationID <= 0 || l.VariantID <= 0 || l.Qty <= 0 {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("lines.%d", i), "a line needs a location, a variant and a positive quantity"))
			continue
		}
		j := slices.IndexFunc(merged, func(m indexed) bool {
			return m.LocationID == l.LocationID && m.VariantID == l.VariantID && m.Lot == l.Lot
		})
		if j < 0 {
			merged = append(merged, indexed{i, l})
		} else {
			merged[j].Qty += l.Qty
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	slices.SortStableFunc(merged, func(a, b indexed) int {
		return byLevel(a.LocationID, a.VariantID, b.LocationID, b.VariantID)
	})
	for _, m := range merged {
		if err := fn(m.i, m.Line); err != nil {
			return err
		}
	}
	return nil
}

// shortageError names the SKUs and locations of short lines.
func shortageError(ctx context.Context, q sqlx.QueryerContext, short []Shortage) error {
	for i := range short {
		s := &short[i]
		err := q.QueryRowxContext(ctx, `SELECT coalesce((SELECT sku FROM variants WHERE id = $1), '#' || $1),
			coalesce((SELECT code FROM locations WHERE id = $2), '#' || $2)`,
			s.VariantID, s.LocationID).Scan(&s.SKU, &s.LocationCode)
		if err != nil {
			return fmt.Errorf("name short line: %w", err)
		}
	}
	slices.SortFunc(short, func(a, b Shortage) int { return a.Line - b.Line })
	return &ShortageError{Lines: short}
}

func notReserved(err error, what string, l Line) error {
	if r, ok := errors.AsType[*refusal](err); ok {
		return fmt.Errorf("%s %d of variant %d at location %d: only %d reserved, %d on hand (lot %q: %d)",
			what, l.Qty, l.VariantID, l.LocationID, r.Level.Reserved, r.Level.OnHand, r.Lot, r.LotOnHand)
	}
	return err
}
