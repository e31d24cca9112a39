// Package replenishment keeps the shelves full: it forecasts each variant's daily demand at
// each location from the sales history of every channel (forecast.go), derives a reorder
// point and an order-up-to level for a target service level (policy.go), and suggests
// first transfers from locations with stock to spare, then purchases from the cheapest
// active supplier rounded to its packs and minimum, grouped into one order per supplier and
// delivery location, flagging orders under the supplier's minimum value (plan.go). Every
// suggestion keeps the figures that explain it. Buyers turn a set of suggestions into
// draft purchase orders and transfers in one call.
//
// A computation is stored as a run so that the suggestions a buyer reviews are the ones
// converted; a run can be converted on the day it was computed for (stock moves; an older
// run is refused with reason STALE_RUN).
package replenishment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/inventory"
	"atrium/internal/money"
	"atrium/internal/postgres"
	"atrium/internal/purchasing"
)

// Client codes of refusals a user can act on.
const (
	// ReasonStaleRun: the run was computed on an earlier day; compute fresh suggestions.
	ReasonStaleRun = "STALE_RUN"
	// ReasonUnsourced: a suggestion without a supplier cannot become an order.
	ReasonUnsourced = "UNSOURCED"
	// ReasonTermsChanged: the supplier refused the draft order (its terms changed).
	ReasonTermsChanged = "SUPPLIER_TERMS_CHANGED"
)

// Service is the replenishment use cases.
type Service struct {
	db  *sqlx.DB
	inv *inventory.Service
	buy *purchasing.Service
	now func() time.Time
	// batch is how many variants are read per round of queries.
	batch int
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service on d that reads stock from inv and buys through buy.
func NewService(d *sqlx.DB, inv *inventory.Service, buy *purchasing.Service, opts ...Option) *Service {
	s := &Service{db: d, inv: inv, buy: buy, now: time.Now, batch: 1000}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Roles that compute, review and convert suggestions.
var buyers = []actor.Role{actor.Buyer, actor.Manager}

// Settings are the stock policy's settings.
type Settings struct {
	// ServiceLevel is the probability of not running out before a replenishment arrives,
	// 0.5 to 0.999.
	ServiceLevel decimal.Decimal `db:"service_level" json:"serviceLevel"`
	// ReviewPeriodDays are the days between reviews: stock is brought up to cover them.
	ReviewPeriodDays int `db:"review_period_days" json:"reviewPeriodDays"`
	// HistoryDays are the days of sales history the forecast reads.
	HistoryDays int `db:"history_days" json:"historyDays"`
	// TransferDays is how long a transfer between locations takes.
	TransferDays int `db:"transfer_days" json:"transferDays"`
	// DefaultLeadTimeDays is the lead time of a variant no active supplier sells.
	DefaultLeadTimeDays int `db:"default_lead_time_days" json:"defaultLeadTimeDays"`
}

const settingsColumns = `service_level, review_period_days, history_days, transfer_days, default_lead_time_days`

// Settings returns the stock policy's settings. Buyers and managers. Errors:
// Unauthenticated, Forbidden.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Settings{}, err
	}
	var st Settings
	err := s.db.GetContext(ctx, &st, `SELECT `+settingsColumns+` FROM replenishment_settings`)
	return st, err
}

func (in Settings) check() error {
	var errs apperr.List
	if in.ServiceLevel.LessThan(decimal.RequireFromString("0.5")) || in.ServiceLevel.GreaterThan(decimal.RequireFromString("0.999")) ||
		!in.ServiceLevel.Equal(in.ServiceLevel.Truncate(4)) {
		errs = append(errs, apperr.Invalid("serviceLevel",
			"give the service level as a fraction from 0.5 to 0.999 with at most four decimals, e.g. 0.95 for 95%%"))
	}
	if in.ReviewPeriodDays < 1 || in.ReviewPeriodDays > 90 {
		errs = append(errs, apperr.Invalid("reviewPeriodDays", "the review period is 1 to 90 days: how often buyers review the suggestions"))
	}
	if in.HistoryDays < 28 || in.HistoryDays > 730 {
		errs = append(errs, apperr.Invalid("historyDays", "read 28 to 730 days of history: at least four weeks to see the weekly pattern"))
	}
	if in.TransferDays < 0 || in.TransferDays > 60 {
		errs = append(errs, apperr.Invalid("transferDays", "a transfer takes 0 to 60 days"))
	}
	if in.DefaultLeadTimeDays < 0 || in.DefaultLeadTimeDays > 365 {
		errs = append(errs, apperr.Invalid("defaultLeadTimeDays", "the default lead time is 0 to 365 days"))
	}
	return errs.Err()
}

// SetSettings changes the stock policy's settings for runs computed from now on; audited.
// Managers and admins. Errors: Unauthenticated, Forbidden, apperr.List (serviceLevel,
// reviewPeriodDays, historyDays, transferDays, defaultLeadTimeDays).
func (s *Service) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	a, err := actor.RequireStaff(ctx, actor.Manager)
	if err != nil {
		return Settings{}, err
	}
	if err := in.check(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before Settings
		if err := tx.GetContext(ctx, &before, `SELECT `+settingsColumns+` FROM replenishment_settings FOR UPDATE`); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &out, `UPDATE replenishment_settings SET service_level = $1, review_period_days = $2,
			history_days = $3, transfer_days = $4, default_lead_time_days = $5, updated_at = now(), updated_by = $6
			RETURNING `+settingsColumns,
			in.ServiceLevel, in.ReviewPeriodDays, in.HistoryDays, in.TransferDays, in.DefaultLeadTimeDays, staffID(a))
		if err != nil {
			return postgres.MapError(err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "replenishment.settings_changed", Entity: "replenishment_settings",
			Before: before, After: out})
	})
	return out, err
}

func staffID(a actor.Actor) *int64 {
	if a.Kind != actor.Staff || a.ID == 0 {
		return nil
	}
	return &a.ID
}

// today is the current date in the company's time zone.
func (s *Service) today(ctx context.Context, q sqlx.QueryerContext) (time.Time, error) {
	var tz string
	if err := sqlx.GetContext(ctx, q, &tz, `SELECT time_zone FROM settings`); err != nil {
		return time.Time{}, fmt.Errorf("company time zone: %w", err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	y, m, d := s.now().In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// Run is one computation of the suggestions.
type Run struct {
	ID               int64           `db:"id" json:"id"`
	AsOf             time.Time       `db:"as_of" json:"asOf"`
	ServiceLevel     decimal.Decimal `db:"service_level" json:"serviceLevel"`
	ReviewPeriodDays int             `db:"review_period_days" json:"reviewPeriodDays"`
	HistoryDays      int             `db:"history_days" json:"historyDays"`
	TransferDays     int             `db:"transfer_days" json:"transferDays"`
	// Variants and Levels are how many variants and stock levels were evaluated.
	Variants    int       `db:"variants" json:"variants"`
	Levels      int       `db:"levels" json:"levels"`
	CreatedBy   *int64    `db:"created_by" json:"createdBy"`
	CreatedAt   time.Time `db:"created_at" json:"createdAt"`
	Suggestions []Suggestion
	// Orders are the purchase suggestions as the draft orders they make: one per supplier
	// and delivery location.
	Orders []OrderGroup
	// Transfers are the transfer suggestions as the transfers they make: one per source and
	// destination.
	Transfers []TransferGroup
}

const runColumns = `id, as_of, service_level, review_period_days, history_days, transfer_days, variants, levels,
	created_by, created_at`

// Suggestion is one suggested transfer or purchase, with the figures that explain it.
type Suggestion struct {
	ID               int64   `db:"id" json:"id"`
	RunID            int64   `db:"run_id" json:"runId"`
	Kind             Kind    `db:"kind" json:"kind"`
	VariantID        int64   `db:"variant_id" json:"variantId"`
	SKU              string  `db:"sku" json:"sku"`
	Title            string  `db:"title" json:"title"`
	LocationID       int64   `db:"location_id" json:"locationId"`
	LocationCode     string  `db:"location_code" json:"locationCode"`
	FromLocationID   *int64  `db:"from_location_id" json:"fromLocationId"`
	FromLocationCode *string `db:"from_location_code" json:"fromLocationCode"`
	SupplierID       *int64  `db:"supplier_id" json:"supplierId"`
	SupplierCode     *string `db:"supplier_code" json:"supplierCode"`
	SupplierName     *string `db:"supplier_name" json:"supplierName"`
	Quantity         int     `db:"quantity" json:"quantity"`
	Needed           int     `db:"needed" json:"needed"`
	// UnitCost (major units of Currency), PackSize, MinOrderQty and MinOrderAmount are the
	// supplier's terms when the run was computed.
	UnitCost       *decimal.Decimal `db:"unit_cost" json:"unitCost"`
	Currency       *string          `db:"currency" json:"currency"`
	PackSize       *int             `db:"pack_size" json:"packSize"`
	MinOrderQty    *int             `db:"min_order_qty" json:"minOrderQty"`
	MinOrderAmount *int64           `db:"min_order_amount" json:"minOrderAmount"`
	Explanation
	TransferID      *int64     `db:"transfer_id" json:"transferId"`
	PurchaseOrderID *int64     `db:"purchase_order_id" json:"purchaseOrderId"`
	ConvertedAt     *time.Time `db:"converted_at" json:"convertedAt"`
	ConvertedBy     *int64     `db:"converted_by" json:"convertedBy"`
}

// Converted reports whether the suggestion became a transfer or purchase order.
func (g Suggestion) Converted() bool { return g.ConvertedAt != nil }

// Total is a purchase suggestion's amount in minor units of its currency (0 otherwise).
func (g Suggestion) Total() int64 {
	if g.UnitCost == nil || g.Currency == nil {
		return 0
	}
	exp := int32(money.MinorDigits(*g.Currency))
	return decimal.NewFromInt(int64(g.Quantity)).Mul(*g.UnitCost).Shift(exp).Round(0).IntPart()
}

const suggestionColumns = `g.id, g.run_id, g.kind, g.variant_id, v.sku, v.title, g.location_id, l.code AS location_code,
	g.from_location_id, fl.code AS from_location_code, g.supplier_id, su.code AS supplier_code, su.name AS supplier_name,
	g.quantity, g.needed, g.unit_cost, g.currency, g.pack_size, g.min_order_qty, g.min_order_amount, g.method,
	g.forecast_per_day, g.sigma, g.lead_time_days, g.review_period_days, g.safety_stock, g.reorder_point, g.order_up_to,
	g.on_hand, g.reserved, g.incoming, g.on_order, g.promised, g.cover_days, g.source_excess, g.source_cover_days, g.reason, g.transfer_id,
	g.purchase_order_id, g.converted_at, g.converted_by`

const suggestionFrom = ` FROM replenishment_suggestions g JOIN variants v ON v.id = g.variant_id
	JOIN locations l ON l.id = g.location_id LEFT JOIN locations fl ON fl.id = g.from_location_id
	LEFT JOIN suppliers su ON su.id = g.supplier_id`

// OrderGroup is the purchase suggestions of one supplier for one delivery location: one
// draft purchase order.
type OrderGroup struct {
	SupplierID    int64   `json:"supplierId"`
	SupplierCode  string  `json:"supplierCode"`
	SupplierName  string  `json:"supplierName"`
	Currency      string  `json:"currency"`
	LocationID    int64   `json:"locationId"`
	LocationCode  string  `json:"locationCode"`
	SuggestionIDs []int64 `json:"suggestionIds"`
	// Total is the sum of the lines, each rounded to minor units of Currency.
	Total          int64 `json:"total"`
	MinOrderAmount int64 `json:"minOrderAmount"`
	// BelowMinimum flags an order under the supplier's minimum order value: it can be
	// drafted but not submitted until Shortfall more is added.
	BelowMinimum bool  `json:"belowMinimum"`
	Shortfall    int64 `json:"shortfall"`
	// PurchaseOrderIDs are the orders its suggestions became (none before conversion).
	PurchaseOrderIDs []int64 `json:"purchaseOrderIds"`
}

// TransferGroup is the transfer suggestions from one location to another: one transfer.
type TransferGroup struct {
	FromLocationID   int64   `json:"fromLocationId"`
	FromLocationCode string  `json:"fromLocationCode"`
	ToLocationID     int64   `json:"toLocationId"`
	ToLocationCode   string  `json:"toLocationCode"`
	SuggestionIDs    []int64 `json:"suggestionIds"`
	Units            int     `json:"units"`
	TransferIDs      []int64 `json:"transferIds"`
}

// Run returns run id with its suggestions (transfers first, then purchases by supplier,
// then unsourced needs; by location and SKU) and their groups. Buyers and managers.
// Errors: Unauthenticated, Forbidden, NotFound.
func (s *Service) Run(ctx context.Context, id int64) (Run, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Run{}, err
	}
	return loadRun(ctx, s.db, id, false)
}

// LatestRun returns the most recent run, as Run does; NotFound when none was computed.
func (s *Service) LatestRun(ctx context.Context) (Run, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Run{}, err
	}
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT id FROM replenishment_runs ORDER BY created_at DESC, id DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, apperr.NotFound("no replenishment suggestions were computed yet: compute them first")
	}
	if err != nil {
		return Run{}, err
	}
	return loadRun(ctx, s.db, id, false)
}

// Runs returns the latest limit runs (1 to 100), newest first, without their suggestions.
// Buyers and managers. Errors: Unauthenticated, Forbidden, apperr.List (limit).
func (s *Service) Runs(ctx context.Context, limit int) ([]Run, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return nil, err
	}
	if limit < 1 || limit > 100 {
		return nil, apperr.List{apperr.Invalid("limit", "ask for 1 to 100 runs")}
	}
	var out []Run
	err := s.db.SelectContext(ctx, &out, `SELECT `+runColumns+` FROM replenishment_runs
		ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	return out, err
}

func loadRun(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (Run, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	var r Run
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+runColumns+` FROM replenishment_runs WHERE id = $1`+lock, id)
	if err != nil {
		return Run{}, postgres.NotFound(err, "no replenishment run %d", id)
	}
	err = sqlx.SelectContext(ctx, q, &r.Suggestions, `SELECT `+suggestionColumns+suggestionFrom+`
		WHERE g.run_id = $1
		ORDER BY CASE g.kind WHEN 'TRANSFER' THEN 0 WHEN 'PURCHASE' THEN 1 ELSE 2 END, su.code, l.code, fl.code, v.sku, g.id`, id)
	if err != nil {
		return Run{}, fmt.Errorf("replenishment suggestions: %w", err)
	}
	r.Orders, r.Transfers = groups(r.Suggestions)
	return r, nil
}

// groups gathers purchase suggestions per supplier and location and transfer suggestions
// per route, in the order of suggestions.
func groups(gs []Suggestion) ([]OrderGroup, []TransferGroup) {
	var orders []OrderGroup
	var transfers []TransferGroup
	oi, ti := map[[2]int64]int{}, map[[2]int64]int{}
	for _, g := range gs {
		switch g.Kind {
		case Purchase:
			k := [2]int64{*g.SupplierID, g.LocationID}
			i, ok := oi[k]
			if !ok {
				i = len(orders)
				oi[k] = i
				orders = append(orders, OrderGroup{SupplierID: *g.SupplierID, SupplierCode: deref(g.SupplierCode),
					SupplierName: deref(g.SupplierName), Currency: deref(g.Currency), LocationID: g.LocationID,
					LocationCode: g.LocationCode, MinOrderAmount: derefInt64(g.MinOrderAmount)})
			}
			o := &orders[i]
			o.SuggestionIDs = append(o.SuggestionIDs, g.ID)
			o.Total += g.Total()
			if g.PurchaseOrderID != nil && !containsID(o.PurchaseOrderIDs, *g.PurchaseOrderID) {
				o.PurchaseOrderIDs = append(o.PurchaseOrderIDs, *g.PurchaseOrderID)
			}
		case Transfer:
			k := [2]int64{*g.FromLocationID, g.LocationID}
			i, ok := ti[k]
			if !ok {
				i = len(transfers)
				ti[k] = i
				transfers = append(transfers, TransferGroup{FromLocationID: *g.FromLocationID,
					FromLocationCode: deref(g.FromLocationCode), ToLocationID: g.LocationID, ToLocationCode: g.LocationCode})
			}
			t := &transfers[i]
			t.SuggestionIDs = append(t.SuggestionIDs, g.ID)
			t.Units += g.Quantity
			if g.TransferID != nil && !containsID(t.TransferIDs, *g.TransferID) {
				t.TransferIDs = append(t.TransferIDs, *g.TransferID)
			}
		}
	}
	for i := range orders {
		o := &orders[i]
		if o.Total < o.MinOrderAmount {
			o.BelowMinimum, o.Shortfall = true, o.MinOrderAmount-o.Total
		}
	}
	return orders, transfers
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt64(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
