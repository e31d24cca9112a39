// Package purchasing is buying: suppliers and what they sell us (with payment terms that
// accounts payable can compute with), requests for quotation compared side by side,
// purchase orders with their approval by amount and category, the order as a PDF and an
// email for the supplier, goods received against orders, and how each supplier delivers.
//
// A purchase order goes DRAFT → SUBMITTED → APPROVED → SENT → PARTIALLY_RECEIVED →
// RECEIVED → CLOSED, or is REJECTED (back to its author, who edits and resubmits) or
// CANCELLED. Every transition is checked against the current status, kept as a history row
// and written to the audit log in the transaction that makes it. Approval needs the levels
// that the approval rules ask for the order's total in the company currency and its
// categories, each given by a different person who is not the author. On approval the
// receiving location's incoming stock rises by the ordered quantities; goods receipts move
// it to on hand.
//
// Errors that concern an input field come in an apperr.List; the others are single
// *apperr.Error values (Forbidden, NotFound, Conflict with reason PO_STATUS, ...).
package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// Client codes of refusals a user can act on.
const (
	// ReasonStatus: the action is not allowed in the order's current status.
	ReasonStatus = "PO_STATUS"
	// ReasonOwnOrder: nobody approves (or rejects) their own order.
	ReasonOwnOrder = "OWN_ORDER"
	// ReasonAlreadyApproved: one person gives at most one approval level of an order.
	ReasonAlreadyApproved = "ALREADY_APPROVED"
	// ReasonPackSize: a quantity is not a whole number of the supplier's packs.
	ReasonPackSize = "PACK_SIZE"
	// ReasonMinimumQuantity: a quantity is below the supplier's minimum order quantity.
	ReasonMinimumQuantity = "MINIMUM_ORDER_QUANTITY"
	// ReasonMinimumOrderValue: the order is below the supplier's minimum order value.
	ReasonMinimumOrderValue = "MINIMUM_ORDER_VALUE"
	// ReasonNoExchangeRate: no rate is recorded for the order's currency.
	ReasonNoExchangeRate = "NO_EXCHANGE_RATE"
	// ReasonOverReceipt: a receipt would accept more than the order allows.
	ReasonOverReceipt = "OVER_RECEIPT"
)

// Service is the buying use cases.
type Service struct {
	db *sqlx.DB
	// now is the clock; dates are taken in UTC.
	now func() time.Time
	// pdfFont is the TrueType font of order PDFs (nil: Helvetica).
	pdfFont []byte
}

// Option configures a Service.
type Option func(*Service)

// NewService returns a Service on d.
func NewService(d *sqlx.DB, opts ...Option) *Service {
	s := &Service{db: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Roles that run buying: create suppliers and orders, send and close them.
var buyers = []actor.Role{actor.Buyer, actor.Manager}

// Roles that may look at suppliers and orders.
var viewers = []actor.Role{actor.Buyer, actor.Manager, actor.Accountant, actor.Fulfilment, actor.Associate}

func today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dateArg passes a date (or NULL) as text, so no time zone can shift it.
func dateArg(d *time.Time) *string {
	if d == nil {
		return nil
	}
	s := d.Format(time.DateOnly)
	return &s
}

// OrderNumber is how people name purchase order id: PO-000042.
func OrderNumber(id int64) string { return fmt.Sprintf("PO-%06d", id) }

// reference is the reference of an order's stock movements and notifications.
func reference(id int64) string { return "PO:" + strconv.FormatInt(id, 10) }

// companyCurrency returns the retailer's currency.
func companyCurrency(ctx context.Context, q sqlx.QueryerContext) (string, error) {
	var c string
	if err := sqlx.GetContext(ctx, q, &c, `SELECT currency FROM settings`); err != nil {
		return "", fmt.Errorf("company currency: %w", err)
	}
	return c, nil
}

// minorTotal is qty × unit cost rounded to the minor units of currency.
func minorTotal(qty int, unitCost decimal.Decimal, currency string) int64 {
	exp := int32(money.MinorDigits(currency))
	return decimal.NewFromInt(int64(qty)).Mul(unitCost).Shift(exp).Round(0).IntPart()
}

// convert turns an amount in minor units of from into minor units of to at rate (major
// units of to per major unit of from), rounded half away from zero.
func convert(amount int64, from string, rate decimal.Decimal, to string) int64 {
	major := decimal.New(amount, -int32(money.MinorDigits(from)))
	return major.Mul(rate).Shift(int32(money.MinorDigits(to))).Round(0).IntPart()
}

// ExchangeRate is what one major unit of Currency is worth in the company currency.
type ExchangeRate struct {
	Currency  string          `db:"currency"`
	Rate      decimal.Decimal `db:"rate"`
	UpdatedAt time.Time       `db:"updated_at"`
}

// ExchangeRates returns the recorded rates by currency. Staff only.
func (s *Service) ExchangeRates(ctx context.Context) ([]ExchangeRate, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var out []ExchangeRate
	err := s.db.SelectContext(ctx, &out, `SELECT currency, rate, updated_at FROM exchange_rates ORDER BY currency`)
	return out, err
}

// maxRate is the first rate the exchange_rates column (NUMERIC(18,8)) cannot hold.
var maxRate = decimal.New(1, 10)

// SetExchangeRate records the rate of currency to the company currency, used by orders
// submitted from now on (submitted orders keep theirs). Accountants, managers and admins.
// Errors: Unauthenticated, Forbidden, apperr.List (currency, rate).
func (s *Service) SetExchangeRate(ctx context.Context, currency string, rate decimal.Decimal) (ExchangeRate, error) {
	a, err := actor.RequireStaff(ctx, actor.Accountant, actor.Manager)
	if err != nil {
		return ExchangeRate{}, err
	}
	currency = strings.ToUpper(strings.TrimSpace(currency))
	var errs apperr.List
	if !currencyPattern.MatchString(currency) {
		errs = append(errs, apperr.Invalid("currency", "give the ISO 4217 code of the currency, three letters such as USD"))
	}
	switch {
	case !rate.IsPositive():
		errs = append(errs, apperr.Invalid("rate", "a rate is above zero: how much one unit of the currency is worth in the company currency"))
	case !rate.Equal(rate.Truncate(8)) || rate.GreaterThanOrEqual(maxRate):
		errs = append(errs, apperr.Invalid("rate", "a rate has at most 8 decimals and is below 10,000,000,000"))
	}
	if err := errs.Err(); err != nil {
		return ExchangeRate{}, err
	}
	var out ExchangeRate
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		company, err := companyCurrency(ctx, tx)
		if err != nil {
			return err
		}
		if currency == company {
			return apperr.List{apperr.Invalid("currency", "%s is the company currency: its rate is always 1", company)}
		}
		var before *decimal.Decimal
		if err := tx.GetContext(ctx, &before, `SELECT rate FROM exchange_rates WHERE currency = $1 FOR UPDATE`, currency); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var by *int64
		if a.ID != 0 {
			by = &a.ID
		}
		err = tx.GetContext(ctx, &out, `INSERT INTO exchange_rates (currency, rate, updated_by) VALUES ($1, $2, $3)
			ON CONFLICT (currency) DO UPDATE SET rate = EXCLUDED.rate, updated_by = EXCLUDED.updated_by, updated_at = now()
			RETURNING currency, rate, updated_at`, currency, rate, by)
		if err != nil {
			return fmt.Errorf("set exchange rate: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exchange_rate.set", Entity: "exchange_rate",
			Before: map[string]any{"currency": currency, "rate": before}, After: map[string]any{"currency": currency, "rate": rate}})
	})
	return out, err
}

// rateFor returns the rate of currency to the company currency (1 for the company
// currency itself). Errors: apperr.Invalid with reason NO_EXCHANGE_RATE.
func rateFor(ctx context.Context, q sqlx.QueryerContext, currency string) (decimal.Decimal, string, error) {
	company, err := companyCurrency(ctx, q)
	if err != nil {
		return decimal.Decimal{}, "", err
	}
	if currency == company {
		return decimal.NewFromInt(1), company, nil
	}
	var rate decimal.Decimal
	err = sqlx.GetContext(ctx, q, &rate, `SELECT rate FROM exchange_rates WHERE currency = $1`, currency)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return decimal.Decimal{}, "", apperr.Invalid("currency",
				"no exchange rate is recorded for %s: an accountant or manager sets one before orders in %s can be submitted",
				currency, currency).WithReason(ReasonNoExchangeRate)
		}
		return decimal.Decimal{}, "", fmt.Errorf("exchange rate: %w", err)
	}
	return rate, company, nil
}

// Settings are the buying process's settings.
type Settings struct {
	// OverReceiptTolerancePct is how far above the ordered quantity a line may be
	// accepted, in percent.
	OverReceiptTolerancePct decimal.Decimal `db:"over_receipt_tolerance_pct"`
}

// Settings returns the buying settings. Staff only.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Settings{}, err
	}
	var st Settings
	err := s.db.GetContext(ctx, &st, `SELECT over_receipt_tolerance_pct FROM purchasing_settings`)
	return st, err
}

// SetOverReceiptTolerance sets how far above the ordered quantity receipts may go, in
// percent (0 to 100, two decimals). Managers and admins. Errors: Unauthenticated,
// Forbidden, apperr.List (overReceiptTolerancePct).
func (s *Service) SetOverReceiptTolerance(ctx context.Context, pct decimal.Decimal) (Settings, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Settings{}, err
	}
	if pct.IsNegative() || pct.GreaterThan(decimal.NewFromInt(100)) || !pct.Equal(pct.Truncate(2)) {
		return Settings{}, apperr.List{apperr.Invalid("overReceiptTolerancePct",
			"give a percentage between 0 and 100 with at most two decimals (0 refuses any unit above the order)")}
	}
	var st Settings
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before Settings
		if err := tx.GetContext(ctx, &before, `SELECT over_receipt_tolerance_pct FROM purchasing_settings FOR UPDATE`); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &st, `UPDATE purchasing_settings SET over_receipt_tolerance_pct = $1
			RETURNING over_receipt_tolerance_pct`, pct); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "purchasing.tolerance_changed", Entity: "purchasing_settings",
			Before: before, After: st})
	})
	return st, err
}
