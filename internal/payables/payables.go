// Package payables is accounts payable: supplier bills and credit notes matched against
// purchase orders and goods receipts (three-way match), exception resolution, approval,
// payment terms, payment runs, the supplier ledger, aging and goods received not
// invoiced.
//
// Matching reads purchasing's tables (purchase_order_lines, goods_receipt_lines) directly
// rather than its Service: the match must see receipts and other bills in the same
// transaction that writes its result (a receipt or bill committed in between would
// otherwise be missed), and the GRNI report aggregates every order, which purchasing's
// per-order API cannot do in one query. Suppliers' payment terms come through
// purchasing's PaymentTerms helpers so due dates are computed in one place.
package payables

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// Service is accounts payable.
type Service struct {
	db  *sqlx.DB
	now func() time.Time
	// pdfFont is the TrueType font of remittance advices (nil: Helvetica).
	pdfFont []byte
}

// Option configures a Service.
type Option func(*Service)

// WithPDFFont makes remittance advices use a TrueType font (its bytes, e.g. one covering
// Chinese) in place of Helvetica; purchasing.CheckPDFFont tells whether the bytes will do.
func WithPDFFont(ttf []byte) Option { return func(s *Service) { s.pdfFont = ttf } }

// NewService returns the payables service on d.
func NewService(d *sqlx.DB, opts ...Option) *Service {
	s := &Service{db: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// payers are the roles that work with bills.
var payers = []actor.Role{actor.Accountant, actor.Manager}

// Settings are the matching tolerances. A line's price variance and a bill's total pass
// when within both the percentage and the absolute amount. The absolute amounts are in
// minor units of the company currency; a bill in another currency is matched with them
// converted at the current exchange rate (see tolerancesIn), so every bill gets the same
// leeway in value.
type Settings struct {
	PriceTolerancePct    decimal.Decimal `db:"price_tolerance_pct" json:"priceTolerancePct"`
	PriceToleranceAmount int64           `db:"price_tolerance_amount" json:"priceToleranceAmount"`
	// TotalToleranceAmount is how far total may be from subtotal + tax (rounding).
	TotalToleranceAmount int64 `db:"total_tolerance_amount" json:"totalToleranceAmount"`
	// TaxRatePct is the tax expected on the subtotal; tax beyond TotalToleranceAmount from
	// it is TAX_MISMATCH.
	TaxRatePct decimal.Decimal `db:"tax_rate_pct" json:"taxRatePct"`
	// ClosedThrough is the last day of the closed period (nil: nothing closed): bills,
	// credit notes and payments dated on or before it post on the day after. Changed only
	// by ClosePeriod; SetSettings leaves it alone.
	ClosedThrough *time.Time `db:"closed_through" json:"closedThrough"`
}

const settingsColumns = `price_tolerance_pct, price_tolerance_amount, total_tolerance_amount, tax_rate_pct, closed_through`

func loadSettings(ctx context.Context, q sqlx.QueryerContext) (Settings, error) {
	var st Settings
	err := sqlx.GetContext(ctx, q, &st, `SELECT `+settingsColumns+` FROM payables_settings`)
	return st, err
}

// tolerancesIn loads the settings with their absolute tolerances converted from the
// company currency into currency at the current exchange rate (rounded down: never more
// leeway than set). With no rate for currency they are 0, so only exact prices and totals
// pass until a rate is set.
func tolerancesIn(ctx context.Context, q sqlx.QueryerContext, currency string) (Settings, error) {
	st, err := loadSettings(ctx, q)
	if err != nil {
		return st, err
	}
	var fx struct {
		Company string           `db:"company"`
		Rate    *decimal.Decimal `db:"rate"`
	}
	if err := sqlx.GetContext(ctx, q, &fx, `SELECT s.currency AS company,
		(SELECT r.rate FROM exchange_rates r WHERE r.currency = $1) AS rate FROM settings s`, currency); err != nil {
		return st, err
	}
	if fx.Company == currency {
		return st, nil
	}
	from := func(amount int64) int64 {
		if fx.Rate == nil {
			return 0
		}
		major := decimal.New(amount, -int32(money.MinorDigits(fx.Company)))
		return major.Div(*fx.Rate).Shift(int32(money.MinorDigits(currency))).Floor().IntPart()
	}
	st.PriceToleranceAmount, st.TotalToleranceAmount = from(st.PriceToleranceAmount), from(st.TotalToleranceAmount)
	return st, nil
}

// Settings returns the matching tolerances. Accountants and managers.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Settings{}, err
	}
	return loadSettings(ctx, s.db)
}

// SetSettings changes the matching tolerances (audited), not the closed period (see
// ClosePeriod). Managers and admins. Errors:
// Unauthenticated, Forbidden, apperr.List.
func (s *Service) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Settings{}, err
	}
	var errs apperr.List
	pct := func(field string, v decimal.Decimal) {
		if v.IsNegative() || v.GreaterThan(decimal.NewFromInt(100)) || !v.Equal(v.Truncate(2)) {
			errs = append(errs, apperr.Invalid(field, "give a percentage between 0 and 100 with at most two decimals"))
		}
	}
	pct("priceTolerancePct", in.PriceTolerancePct)
	pct("taxRatePct", in.TaxRatePct)
	if in.PriceToleranceAmount < 0 {
		errs = append(errs, apperr.Invalid("priceToleranceAmount", "give 0 or more (minor units); 0 allows no price difference"))
	}
	if in.TotalToleranceAmount < 0 {
		errs = append(errs, apperr.Invalid("totalToleranceAmount", "give 0 or more (minor units); 0 requires the total to equal subtotal plus tax"))
	}
	if len(errs) > 0 {
		return Settings{}, errs
	}
	var st Settings
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before Settings
		if err := tx.GetContext(ctx, &before, `SELECT `+settingsColumns+` FROM payables_settings FOR UPDATE`); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &st, `UPDATE payables_settings SET price_tolerance_pct = $1,
			price_tolerance_amount = $2, total_tolerance_amount = $3, tax_rate_pct = $4, updated_at = now()
			RETURNING `+settingsColumns, in.PriceTolerancePct, in.PriceToleranceAmount, in.TotalToleranceAmount,
			in.TaxRatePct); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "payables.settings_changed", Entity: "payables_settings",
			Before: before, After: st})
	})
	return st, err
}

// minorTotal is qty × unit price rounded to the minor units of currency (as purchasing
// rounds its order lines, so equal prices give equal amounts).
func minorTotal(qty int, unit decimal.Decimal, currency string) int64 {
	return decimal.NewFromInt(int64(qty)).Mul(unit).Shift(int32(money.MinorDigits(currency))).Round(0).IntPart()
}

// pctOf is pct percent of amount, rounded to minor units.
func pctOf(amount int64, pct decimal.Decimal) int64 {
	return decimal.NewFromInt(amount).Mul(pct).Div(decimal.NewFromInt(100)).Round(0).IntPart()
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateText(t time.Time) string { return t.Format(time.DateOnly) }

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
