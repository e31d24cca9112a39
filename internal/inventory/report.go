package inventory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/money"
)

// The back office's stock reports: the overview by location and by variant, slow-moving
// stock and stock value. They read the same tables as the ledger's own queries and change
// nothing.

// CanMoveStock reports whether a may adjust, count or transfer stock somewhere: managers
// and admins anywhere, associates and fulfilment staff at their home location. Transports
// use it to hide what the services would refuse; the services check on their own.
func CanMoveStock(a actor.Actor) bool {
	return a.HasRole(actor.Manager, actor.Associate, actor.Fulfilment)
}

// CanMoveStockAt reports whether a may adjust, count or transfer stock at locationID: the
// rule Adjust, Count and the transfer actions apply.
func CanMoveStockAt(a actor.Actor, locationID int64) bool {
	if a.HasRole(actor.Manager) {
		return true
	}
	return a.HasRole(actor.Associate, actor.Fulfilment) && a.HomeLocationID != nil && *a.HomeLocationID == locationID
}

// CanSetPolicy reports whether a may change safety stock and reorder points (SetStockPolicy).
func CanSetPolicy(a actor.Actor) bool { return a.HasRole(actor.Manager) }

// valueViewers may see what stock is worth.
var valueViewers = []actor.Role{actor.Admin, actor.Manager, actor.Buyer, actor.Accountant}

// CanSeeValue reports whether a may see the stock value report.
func CanSeeValue(a actor.Actor) bool { return a.HasRole(valueViewers...) }

// StockFilter selects what the stock overview shows, by location or by variant.
type StockFilter struct {
	// CategoryID keeps the products of a category and of its subcategories.
	CategoryID *int64
	// Search matches a SKU or product title (substring, case-insensitive) or an exact barcode.
	Search string
	// Low keeps stock at or below its reorder point, as LowStock does.
	Low bool
	// OutOfStock keeps stock with nothing available to sell.
	OutOfStock bool
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// LevelFilter selects stock levels (a variant at a location) for the overview by location.
type LevelFilter struct {
	StockFilter
	LocationID *int64
	// After is the last level of the previous page (zero for the first page).
	After LevelKey
}

// LevelPage is one page of levels in (location, variant) order, and how many match in all.
type LevelPage struct {
	Levels      []Level
	HasNextPage bool
	Total       int
}

// levelFrom is the overview's stock levels at active locations with their expired units
// (e.expired) and the catalog rows the filters read.
var levelFrom = `FROM stock_levels s
	JOIN locations l ON l.id = s.location_id AND l.active
	JOIN variants v ON v.id = s.variant_id
	JOIN products p ON p.id = v.product_id
	CROSS JOIN LATERAL (SELECT ` + expiredNow + ` AS expired) e`

// catalogConds filters by category (with its subcategories, $1) and search ($2 the text,
// $3 its LIKE pattern).
const catalogConds = `($1::bigint IS NULL OR p.category_id IN (
		WITH RECURSIVE c(id) AS (SELECT $1::bigint UNION SELECT k.id FROM categories k JOIN c ON k.parent_id = c.id)
		SELECT id FROM c))
	AND ($2 = '' OR v.sku ILIKE $3 OR p.title ILIKE $3 OR v.barcode = $2)`

// Stock returns a page of the stock levels at active locations that match f, with every
// figure, in (location, variant) order. Staff only. Errors: Unauthenticated, Forbidden,
// apperr.List (first).
func (s *Service) Stock(ctx context.Context, f LevelFilter) (LevelPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return LevelPage{}, err
	}
	first, err := pageSize(f.First)
	if err != nil {
		return LevelPage{}, err
	}
	matching := `SELECT s.location_id, s.variant_id, s.on_hand, s.reserved, s.safety_stock, s.incoming,
			s.reorder_point, e.expired ` + levelFrom + `
		WHERE ` + catalogConds + ` AND ($4::bigint IS NULL OR s.location_id = $4)
		  AND (NOT $5 OR (s.reorder_point > 0 AND s.on_hand - s.reserved - e.expired <= s.reorder_point))
		  AND (NOT $6 OR s.on_hand - s.reserved - s.safety_stock - e.expired <= 0)`
	args := append(f.StockFilter.args(), f.LocationID, f.Low, f.OutOfStock)
	var page LevelPage
	err = s.db.SelectContext(ctx, &page.Levels, matching+`
		  AND (s.location_id, s.variant_id) > ($7, $8)
		ORDER BY s.location_id, s.variant_id LIMIT $9`, append(args, f.After.LocationID, f.After.VariantID, first+1)...)
	if err != nil {
		return LevelPage{}, fmt.Errorf("stock levels: %w", err)
	}
	if len(page.Levels) > first {
		page.Levels, page.HasNextPage = page.Levels[:first], true
	}
	if err := s.db.GetContext(ctx, &page.Total, `SELECT count(*) FROM (`+matching+`) x`, args...); err != nil {
		return LevelPage{}, fmt.Errorf("count stock levels: %w", err)
	}
	return page, nil
}

func (f StockFilter) args() []any {
	search := strings.TrimSpace(f.Search)
	return []any{f.CategoryID, search, "%" + escapeLike(search) + "%"}
}

// VariantStock is one variant's stock summed over the active locations.
type VariantStock struct {
	VariantID   int64 `db:"variant_id"`
	OnHand      int   `db:"on_hand"`
	Reserved    int   `db:"reserved"`
	SafetyStock int   `db:"safety_stock"`
	Incoming    int   `db:"incoming"`
	Expired     int   `db:"expired"`
	// Available is the sum of each location's available stock (each never below zero).
	Available int `db:"available"`
	// Locations is how many locations hold a stock row of the variant; LowAt how many of
	// them are at or below their reorder point.
	Locations int `db:"locations"`
	LowAt     int `db:"low_at"`
}

// VariantStockFilter selects variants for the overview by product.
type VariantStockFilter struct {
	StockFilter
	// After is the id of the last variant of the previous page (0 for the first page).
	After int64
}

// VariantStockPage is one page of variants in id order (products' variants together), and
// how many match in all.
type VariantStockPage struct {
	Variants    []VariantStock
	HasNextPage bool
	Total       int
}

// StockByVariant returns a page of variants that match f with their stock summed over the
// active locations; variants stocked nowhere are included (with nothing available). With
// Low, a variant matches when it is low at some location; with OutOfStock, when nothing is
// available anywhere. Staff only. Errors: Unauthenticated, Forbidden, apperr.List (first).
func (s *Service) StockByVariant(ctx context.Context, f VariantStockFilter) (VariantStockPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return VariantStockPage{}, err
	}
	first, err := pageSize(f.First)
	if err != nil {
		return VariantStockPage{}, err
	}
	matching := `SELECT * FROM (
			SELECT v.id AS variant_id, count(s.location_id) AS locations,
			       coalesce(sum(s.on_hand), 0) AS on_hand, coalesce(sum(s.reserved), 0) AS reserved,
			       coalesce(sum(s.safety_stock), 0) AS safety_stock, coalesce(sum(s.incoming), 0) AS incoming,
			       coalesce(sum(e.expired), 0) AS expired,
			       coalesce(sum(greatest(0, s.on_hand - s.reserved - s.safety_stock - e.expired)), 0) AS available,
			       count(*) FILTER (WHERE s.reorder_point > 0
			                          AND s.on_hand - s.reserved - e.expired <= s.reorder_point) AS low_at
			FROM variants v JOIN products p ON p.id = v.product_id
			LEFT JOIN (stock_levels s JOIN locations l ON l.id = s.location_id AND l.active
			           CROSS JOIN LATERAL (SELECT ` + expiredNow + ` AS expired) e) ON s.variant_id = v.id
			WHERE ` + catalogConds + `
			GROUP BY v.id) x
		WHERE (NOT $4 OR x.low_at > 0) AND (NOT $5 OR x.available = 0)`
	args := append(f.StockFilter.args(), f.Low, f.OutOfStock)
	var page VariantStockPage
	err = s.db.SelectContext(ctx, &page.Variants, matching+` AND x.variant_id > $6 ORDER BY x.variant_id LIMIT $7`,
		append(args, f.After, first+1)...)
	if err != nil {
		return VariantStockPage{}, fmt.Errorf("stock by variant: %w", err)
	}
	if len(page.Variants) > first {
		page.Variants, page.HasNextPage = page.Variants[:first], true
	}
	if err := s.db.GetContext(ctx, &page.Total, `SELECT count(*) FROM (`+matching+`) y`, args...); err != nil {
		return VariantStockPage{}, fmt.Errorf("count stock by variant: %w", err)
	}
	return page, nil
}

// SlowMovingFilter selects levels for the slow-moving stock alert.
type SlowMovingFilter struct {
	LocationID *int64
	// Days is the period without a sale, 1..3650 (0 means 90).
	Days int
	// After is the last level of the previous page (zero for the first page).
	After LevelKey
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// SlowMover is stock on hand that has not sold for a while, with what explains it.
type SlowMover struct {
	Level
	// LastSaleAt is the time of the level's last SALE movement, nil when it never sold.
	LastSaleAt *time.Time `db:"last_sale_at"`
	// Sold30 is the units sold in the last 30 days (SALE movements, net).
	Sold30 int `db:"sold_30"`
	// LastReceiptAt is when units last arrived from outside the location (a RECEIPT or a
	// transfer received), nil when never.
	LastReceiptAt *time.Time `db:"last_receipt_at"`
	// OnHandSince is when the oldest units still on hand arrived, taking stock to leave
	// first in, first out: the earliest of the latest arrivals (of any kind: receipts,
	// transfers, returns, upward corrections) that together make up today's on hand.
	OnHandSince *time.Time `db:"on_hand_since"`
}

// DaysOfCover is how many days the available stock lasts at the average daily sales of the
// last 30 days; ok is false when nothing sold in that time (the cover has no end).
func (m SlowMover) DaysOfCover() (days float64, ok bool) {
	if m.Sold30 <= 0 {
		return 0, false
	}
	return float64(m.Available()*30) / float64(m.Sold30), true
}

// StockAgeDays is the age in whole days at now of the oldest units on hand (see
// OnHandSince); ok is false when the ledger holds no arrival.
func (m SlowMover) StockAgeDays(now time.Time) (days int, ok bool) {
	if m.OnHandSince == nil {
		return 0, false
	}
	return max(0, int(now.Sub(*m.OnHandSince)/(24*time.Hour))), true
}

// SlowMovingPage is one page of slow movers in (location, variant) order.
type SlowMovingPage struct {
	Levels      []SlowMover
	HasNextPage bool
}

// SlowMoving returns the levels at active locations with units on hand and no SALE
// movement in the last f.Days days, with their last sale, sales of the last 30 days (for
// the days of cover), last receipt and stock age. Staff only. Errors: Unauthenticated,
// Forbidden, apperr.List (days, first).
func (s *Service) SlowMoving(ctx context.Context, f SlowMovingFilter) (SlowMovingPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return SlowMovingPage{}, err
	}
	first, err := pageSize(f.First)
	if err != nil {
		return SlowMovingPage{}, err
	}
	if f.Days == 0 {
		f.Days = 90
	}
	if f.Days < 1 || f.Days > 3650 {
		return SlowMovingPage{}, apperr.List{apperr.Invalid("days", "choose between 1 and 3650 days")}
	}
	const level = `m.location_id = p.location_id AND m.variant_id = p.variant_id`
	var page SlowMovingPage
	err = s.db.SelectContext(ctx, &page.Levels, `
		WITH p AS (
			SELECT s.location_id, s.variant_id, s.on_hand, s.reserved, s.safety_stock, s.incoming, s.reorder_point,
			       `+expiredNow+` AS expired
			FROM stock_levels s JOIN locations l ON l.id = s.location_id AND l.active
			WHERE s.on_hand > 0 AND ($1::bigint IS NULL OR s.location_id = $1)
			  AND (s.location_id, s.variant_id) > ($2, $3)
			  AND NOT EXISTS (SELECT 1 FROM stock_movements m
			                  WHERE m.location_id = s.location_id AND m.variant_id = s.variant_id
			                    AND m.kind = 'SALE' AND m.at >= now() - make_interval(days => $4))
			ORDER BY s.location_id, s.variant_id LIMIT $5
		)
		SELECT p.*, sale.last_sale_at, coalesce(sold.qty, 0) AS sold_30, rec.last_receipt_at, fifo.on_hand_since
		FROM p
		CROSS JOIN LATERAL (SELECT max(m.at) AS last_sale_at FROM stock_movements m
		                    WHERE `+level+` AND m.kind = 'SALE') sale
		CROSS JOIN LATERAL (SELECT -sum(m.on_hand_delta) AS qty FROM stock_movements m
		                    WHERE `+level+` AND m.kind = 'SALE' AND m.at >= now() - interval '30 days') sold
		CROSS JOIN LATERAL (SELECT max(m.at) AS last_receipt_at FROM stock_movements m
		                    WHERE `+level+` AND m.kind IN ('RECEIPT', 'TRANSFER_IN') AND m.on_hand_delta > 0) rec
		CROSS JOIN LATERAL (
			SELECT min(i.at) AS on_hand_since FROM (
				SELECT m.at, sum(m.on_hand_delta) OVER (ORDER BY m.id DESC) - m.on_hand_delta AS before
				FROM stock_movements m WHERE `+level+` AND m.on_hand_delta > 0) i
			WHERE i.before < p.on_hand) fifo
		ORDER BY p.location_id, p.variant_id`,
		f.LocationID, f.After.LocationID, f.After.VariantID, f.Days, first+1)
	if err != nil {
		return SlowMovingPage{}, fmt.Errorf("slow-moving stock: %w", err)
	}
	if len(page.Levels) > first {
		page.Levels, page.HasNextPage = page.Levels[:first], true
	}
	return page, nil
}

// LocationValue is what the stock at one location is worth at unit cost.
type LocationValue struct {
	// LocationID is 0 in the report's total.
	LocationID int64 `db:"location_id"`
	// Units is the units on hand, with a cost or not.
	Units int64 `db:"units"`
	// Value is on hand × unit cost over the variants with a cost, rounded to minor units of
	// the company currency (half away from zero). The total's is the sum of the locations'.
	Value int64 `db:"-"`
	// WithoutCost is how many variants on hand have no unit cost (so are not in Value), and
	// UnitsWithoutCost their units.
	WithoutCost      int   `db:"without_cost"`
	UnitsWithoutCost int64 `db:"units_without_cost"`

	Exact decimal.Decimal `db:"value"` // Value before rounding
}

// StockValueReport is stock value by location in the company currency.
type StockValueReport struct {
	Currency  string
	Locations []LocationValue // every active location, in location order
	Total     LocationValue   // WithoutCost counts each variant once, wherever it is
}

// StockValue returns the value of the stock on hand at each active location: the sum of
// on hand × unit cost, rounded to minor units, with the variants that have no cost counted
// apart. Managers, buyers, accountants and admins. Errors: Unauthenticated, Forbidden.
func (s *Service) StockValue(ctx context.Context) (StockValueReport, error) {
	if _, err := actor.RequireStaff(ctx, valueViewers...); err != nil {
		return StockValueReport{}, err
	}
	var r StockValueReport
	if err := s.db.GetContext(ctx, &r.Currency, `SELECT currency FROM settings`); err != nil {
		return r, fmt.Errorf("currency: %w", err)
	}
	var rows []LocationValue
	// The rollup's grand total (location NULL) counts distinct variants without a cost.
	err := s.db.SelectContext(ctx, &rows, `
		SELECT coalesce(l.id, 0) AS location_id,
		       coalesce(sum(s.on_hand), 0) AS units,
		       coalesce(sum(s.on_hand * v.unit_cost), 0) AS value,
		       count(DISTINCT s.variant_id) FILTER (WHERE v.unit_cost IS NULL AND s.on_hand > 0) AS without_cost,
		       coalesce(sum(s.on_hand) FILTER (WHERE v.unit_cost IS NULL), 0) AS units_without_cost
		FROM locations l
		LEFT JOIN (stock_levels s JOIN variants v ON v.id = s.variant_id) ON s.location_id = l.id
		WHERE l.active
		GROUP BY ROLLUP ((l.kind, l.code, l.id))
		ORDER BY l.id IS NULL, l.kind, l.code`)
	if err != nil {
		return r, fmt.Errorf("stock value: %w", err)
	}
	exp := int32(money.MinorDigits(r.Currency))
	for _, row := range rows {
		row.Value = row.Exact.Shift(exp).Round(0).IntPart()
		if row.LocationID == 0 {
			r.Total = row
			continue
		}
		r.Locations = append(r.Locations, row)
	}
	r.Total.Value = 0
	for _, l := range r.Locations {
		r.Total.Value += l.Value
	}
	return r, nil
}

// escapeLike escapes LIKE's wildcards so a search matches them literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
