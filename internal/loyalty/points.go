package loyalty

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// orderFacts is what the programme reads of an order.
type orderFacts struct {
	ID            int64     `db:"id"`
	CustomerID    *int64    `db:"customer_id"`
	Channel       string    `db:"channel"`
	Status        string    `db:"status"`
	Currency      string    `db:"currency"`
	Total         int64     `db:"total"`
	Shipping      int64     `db:"shipping"`
	Paid          int64     `db:"paid"`
	PaymentStatus string    `db:"payment_status"`
	CreatedAt     time.Time `db:"created_at"`
}

func loadOrder(ctx context.Context, q sqlx.QueryerContext, orderID int64) (orderFacts, error) {
	var o orderFacts
	err := sqlx.GetContext(ctx, q, &o, `SELECT id, customer_id, channel, status, currency, total, shipping, paid,
		payment_status, created_at FROM orders WHERE id = $1`, orderID)
	return o, postgres.NotFound(err, "no order with id %d", orderID)
}

// memberOf returns the customer whose points an order of customerID goes to: the customer,
// or the survivor it was merged into; ok is false for an erased customer.
func memberOf(ctx context.Context, q sqlx.QueryerContext, customerID int64) (int64, bool, error) {
	id := customerID
	for range 16 {
		var c struct {
			MergedInto *int64 `db:"merged_into_id"`
			Erased     bool   `db:"erased"`
		}
		if err := sqlx.GetContext(ctx, q, &c, `SELECT merged_into_id, erased_at IS NOT NULL AS erased FROM customers WHERE id = $1`, id); err != nil {
			return 0, false, postgres.NotFound(err, "no customer with id %d", id)
		}
		if c.Erased {
			return id, false, nil
		}
		if c.MergedInto == nil {
			return id, true, nil
		}
		id = *c.MergedInto
	}
	return 0, false, fmt.Errorf("customer %d: merge chain too long", customerID)
}

// AccrueForOrder credits the points a paid order earns to its customer: the spend (the
// order's total without shipping and without what was paid with points) per the earn rule
// of the order's currency, times the customer's tier multiplier and the best loyalty
// promotion running when the order was placed (in its channel). It first recalculates the
// customer's tier including this order, so the order that lifts a customer to Silver earns
// at Silver.
//
// Call it with the transaction that makes the order PAID. It is idempotent per order: a
// retry, concurrent or not, returns the first accrual and credits nothing more (the account
// lock serialises retries; a unique index backs it). Orders without a customer, of an
// erased customer, in a currency without an earn rule or earning zero points return a zero
// Entry and no error. Errors: apperr.NotFound for an unknown order, apperr.Conflict
// (NOT_PAID) for an order not fully paid or cancelled.
func (s *Service) AccrueForOrder(ctx context.Context, ext sqlx.ExtContext, orderID int64) (Entry, error) {
	o, err := loadOrder(ctx, ext, orderID)
	if err != nil {
		return Entry{}, err
	}
	if o.CustomerID == nil {
		return Entry{}, nil
	}
	if o.PaymentStatus != "PAID" || o.Status == "CANCELLED" {
		return Entry{}, apperr.Conflict("order", "order %d is not paid (%s, %s); points are earned once it is", o.ID, o.Status, o.PaymentStatus).
			WithReason("NOT_PAID")
	}
	member, ok, err := memberOf(ctx, ext, *o.CustomerID)
	if err != nil || !ok {
		return Entry{}, err
	}
	acct, err := lockAccount(ctx, ext, member)
	if err != nil {
		return Entry{}, err
	}
	var existing []Entry
	if err := sqlx.SelectContext(ctx, ext, &existing, `SELECT `+entryColumns+` FROM loyalty_entries WHERE order_id = $1 AND kind = 'EARN'`, o.ID); err != nil {
		return Entry{}, fmt.Errorf("accrual of order %d: %w", o.ID, err)
	}
	if len(existing) > 0 {
		return existing[0], nil
	}
	if _, err := s.recalculate(ctx, ext, &acct, "ORDER"); err != nil {
		return Entry{}, err
	}
	r, ok, err := loadRule(ctx, ext, o.Currency)
	if err != nil || !ok {
		return Entry{}, err
	}
	var redeemed int64
	if err := sqlx.GetContext(ctx, ext, &redeemed, `SELECT coalesce(sum(amount), 0) FROM loyalty_entries
		WHERE order_id = $1 AND kind = 'REDEEM' AND NOT EXISTS (SELECT 1 FROM loyalty_entries g WHERE g.reverses_id = loyalty_entries.id)`, o.ID); err != nil {
		return Entry{}, fmt.Errorf("points paid on order %d: %w", o.ID, err)
	}
	base := max(0, o.Total-o.Shipping-redeemed)
	var tierBP int
	if err := sqlx.GetContext(ctx, ext, &tierBP, `SELECT multiplier_bp FROM loyalty_tiers WHERE code = $1`, acct.Tier); err != nil {
		return Entry{}, fmt.Errorf("tier %s: %w", acct.Tier, err)
	}
	var promos []struct {
		ID int64 `db:"id"`
		BP int   `db:"multiplier_bp"`
	}
	if err := sqlx.SelectContext(ctx, ext, &promos, `SELECT id, multiplier_bp FROM loyalty_promotions
		WHERE active AND starts_at <= $1 AND ends_at > $1 AND (channels IS NULL OR $2 = ANY (channels))
		ORDER BY multiplier_bp DESC, id LIMIT 1`, o.CreatedAt, o.Channel); err != nil {
		return Entry{}, fmt.Errorf("loyalty promotion: %w", err)
	}
	promoBP, promoID := 10000, (*int64)(nil)
	if len(promos) > 0 {
		promoBP, promoID = promos[0].BP, &promos[0].ID
	}
	// base × tier × promotion / (spend per point × 10000 × 10000), rounded down; the
	// product stays far inside int64 for any real order.
	points := base * int64(tierBP) / 10000 * int64(promoBP) / 10000 / r.SpendPerPoint
	if points <= 0 {
		return Entry{}, nil
	}
	p, err := loadProgramme(ctx, ext)
	if err != nil {
		return Entry{}, err
	}
	expires := s.now().AddDate(0, p.ExpiryMonths, 0)
	multiplier := tierBP * promoBP / 10000
	cur, tier := o.Currency, acct.Tier
	return credit(ctx, ext, &acct, newEntry{kind: Earn, points: points, expiresAt: &expires, orderID: &o.ID, amount: &base,
		currency: &cur, tier: &tier, multiplierBP: &multiplier, promotionID: promoID})
}

// ReverseForReturn takes back the points of a return's order in proportion to what has
// been refunded on the order (refunded ÷ the spend the points were earned on, capped at
// the points earned), and recalculates the tier. Call it in the transaction that records
// a refund for the return. It is incremental and idempotent: each call brings the order's
// reversed points up to its refunded share, so a retry or a second partial refund never
// reverses twice. Points already spent are still taken back: the balance may go below
// zero and later earnings pay it back first. Errors: apperr.NotFound for an unknown return.
func (s *Service) ReverseForReturn(ctx context.Context, ext sqlx.ExtContext, returnID int64) (Entry, error) {
	var orderID int64
	if err := sqlx.GetContext(ctx, ext, &orderID, `SELECT order_id FROM returns WHERE id = $1`, returnID); err != nil {
		return Entry{}, postgres.NotFound(err, "no return with id %d", returnID)
	}
	return s.reverse(ctx, ext, orderID, &returnID)
}

// ReverseForRefunds is ReverseForReturn for refunds without a return (goods cancelled
// after payment): call it in the transaction that records such a refund.
func (s *Service) ReverseForRefunds(ctx context.Context, ext sqlx.ExtContext, orderID int64) (Entry, error) {
	return s.reverse(ctx, ext, orderID, nil)
}

func (s *Service) reverse(ctx context.Context, ext sqlx.ExtContext, orderID int64, returnID *int64) (Entry, error) {
	var earn []Entry
	if err := sqlx.SelectContext(ctx, ext, &earn, `SELECT `+entryColumns+` FROM loyalty_entries WHERE order_id = $1 AND kind = 'EARN'`, orderID); err != nil {
		return Entry{}, fmt.Errorf("accrual of order %d: %w", orderID, err)
	}
	o, err := loadOrder(ctx, ext, orderID)
	if err != nil {
		return Entry{}, err
	}
	if len(earn) == 0 {
		// Nothing earned, but the refund lowers the rolling spend.
		if o.CustomerID != nil {
			if member, ok, err := memberOf(ctx, ext, *o.CustomerID); err != nil {
				return Entry{}, err
			} else if ok {
				acct, err := lockAccount(ctx, ext, member)
				if err != nil {
					return Entry{}, err
				}
				_, err = s.recalculate(ctx, ext, &acct, "RETURN")
				return Entry{}, err
			}
		}
		return Entry{}, nil
	}
	e := earn[0]
	acct, err := lockAccount(ctx, ext, e.CustomerID)
	if err != nil {
		return Entry{}, err
	}
	var f struct {
		Refunded int64 `db:"refunded"`
		Reversed int64 `db:"reversed"`
	}
	if err := sqlx.GetContext(ctx, ext, &f, `SELECT
			(SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = $1) AS refunded,
			(SELECT coalesce(-sum(points), 0) FROM loyalty_entries WHERE order_id = $1 AND kind = 'REVERSE' AND reverses_id IS NULL) AS reversed`,
		orderID); err != nil {
		return Entry{}, fmt.Errorf("refunds of order %d: %w", orderID, err)
	}
	target := e.Points
	if base := *e.Amount; base > 0 && f.Refunded < base {
		target = e.Points * f.Refunded / base
	}
	var out Entry
	if n := target - f.Reversed; n > 0 {
		refunded := f.Refunded
		out, err = debit(ctx, ext, &acct, n, newEntry{kind: Reverse, orderID: &orderID, returnID: returnID, amount: &refunded,
			currency: e.Currency, reason: "refund"}, "points", true)
		if err != nil {
			return out, err
		}
	}
	_, err = s.recalculate(ctx, ext, &acct, "RETURN")
	return out, err
}

// RedeemForPayment takes points from a customer to pay part of an order and returns the
// money value (minor units of the order's currency) the order payment records. Limits:
// at least the programme's minimum points, at most its share of the order's total and no
// more than is still unpaid. Call it in the payment transaction, before recording the
// payment. Idempotent per order: a retry with the same points returns the same value; one
// points payment per order (release it with ReleaseRedemption to pay differently).
//
// Errors: apperr.Forbidden when a customer redeems on another customer's order;
// apperr.Invalid on "points" (BELOW_MINIMUM, ABOVE_LIMIT, INSUFFICIENT_POINTS,
// NO_EARN_RULE); apperr.Conflict (ALREADY_REDEEMED) for a second, different redemption;
// apperr.NotFound for an unknown order.
func (s *Service) RedeemForPayment(ctx context.Context, ext sqlx.ExtContext, customerID, orderID, points int64) (int64, error) {
	o, err := loadOrder(ctx, ext, orderID)
	if err != nil {
		return 0, err
	}
	a := actor.From(ctx)
	if a.Kind == actor.Customer && a.ID != customerID {
		return 0, apperr.Forbidden("you can only pay with your own points")
	}
	member, ok, err := memberOf(ctx, ext, customerID)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, apperr.Invalid("customer", "this customer's data was erased; they have no points").WithReason("ERASED")
	}
	if o.CustomerID == nil {
		return 0, apperr.Invalid("order", "order %d has no customer; attach the member to the order to pay with points", o.ID).WithReason("NO_CUSTOMER")
	}
	if owner, _, err := memberOf(ctx, ext, *o.CustomerID); err != nil {
		return 0, err
	} else if owner != member {
		return 0, apperr.Invalid("order", "order %d belongs to another customer; points pay only for the member's own orders", o.ID).WithReason("NOT_OWN_ORDER")
	}
	if o.Status == "CANCELLED" {
		return 0, apperr.Invalid("order", "order %d is cancelled", o.ID).WithReason("CANCELLED")
	}
	acct, err := lockAccount(ctx, ext, member)
	if err != nil {
		return 0, err
	}
	var prior []Entry
	if err := sqlx.SelectContext(ctx, ext, &prior, `SELECT `+entryColumns+` FROM loyalty_entries WHERE order_id = $1 AND kind = 'REDEEM'
		AND NOT EXISTS (SELECT 1 FROM loyalty_entries g WHERE g.reverses_id = loyalty_entries.id)`, o.ID); err != nil {
		return 0, fmt.Errorf("points payments of order %d: %w", o.ID, err)
	}
	if len(prior) > 0 {
		if -prior[0].Points == points {
			return *prior[0].Amount, nil
		}
		return 0, apperr.Conflict("points", "order %d already has %d points applied; remove them before applying a different amount", o.ID, -prior[0].Points).
			WithReason("ALREADY_REDEEMED")
	}
	r, ok, err := loadRule(ctx, ext, o.Currency)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, apperr.Invalid("points", "points cannot pay for orders in %s", o.Currency).WithReason("NO_EARN_RULE")
	}
	p, err := loadProgramme(ctx, ext)
	if err != nil {
		return 0, err
	}
	if points < p.MinRedeemPoints {
		return 0, apperr.Invalid("points", "redeem at least %d points (asked for %d)", p.MinRedeemPoints, points).WithReason("BELOW_MINIMUM")
	}
	maxValue := min(o.Total*p.MaxRedeemShareBP/10000, o.Total-o.Paid)
	maxPoints := maxValue / r.PointValue
	if points > maxPoints {
		return 0, apperr.Invalid("points", "at most %d points can pay for this order (%d%% of its total, and no more than is unpaid)",
			maxPoints, p.MaxRedeemShareBP/100).WithReason("ABOVE_LIMIT")
	}
	value := points * r.PointValue
	cur := o.Currency
	if _, err := debit(ctx, ext, &acct, points, newEntry{kind: Redeem, orderID: &o.ID, amount: &value, currency: &cur,
		reason: "points payment"}, "points", false); err != nil {
		return 0, err
	}
	return value, nil
}

// ReleaseRedemption gives back the points that paid for an order (the order was cancelled
// or its points payment removed before completion), as a new lot expiring when the latest
// of the lots they came from would have. Idempotent: nothing to release returns a zero
// Entry. Call it in the transaction that cancels the order or removes the points payment.
func (s *Service) ReleaseRedemption(ctx context.Context, ext sqlx.ExtContext, orderID int64) (Entry, error) {
	var redeem []Entry
	if err := sqlx.SelectContext(ctx, ext, &redeem, `SELECT `+entryColumns+` FROM loyalty_entries WHERE order_id = $1 AND kind = 'REDEEM'`, orderID); err != nil {
		return Entry{}, fmt.Errorf("points payment of order %d: %w", orderID, err)
	}
	if len(redeem) == 0 {
		return Entry{}, nil
	}
	r := redeem[0]
	acct, err := lockAccount(ctx, ext, r.CustomerID)
	if err != nil {
		return Entry{}, err
	}
	var released int
	if err := sqlx.GetContext(ctx, ext, &released, `SELECT count(*) FROM loyalty_entries WHERE reverses_id = $1`, r.ID); err != nil {
		return Entry{}, err
	}
	if released > 0 {
		return Entry{}, nil
	}
	var expires time.Time
	if err := sqlx.GetContext(ctx, ext, &expires, `SELECT coalesce(max(l.expires_at), now())
		FROM loyalty_allocations a JOIN loyalty_entries l ON l.id = a.lot_id WHERE a.debit_id = $1`, r.ID); err != nil {
		return Entry{}, fmt.Errorf("lots of points payment %d: %w", r.ID, err)
	}
	return credit(ctx, ext, &acct, newEntry{kind: Reverse, points: -r.Points, expiresAt: &expires, orderID: &orderID,
		amount: r.Amount, currency: r.Currency, reversesID: &r.ID, reason: "points payment released"})
}

// Adjust credits (points > 0) or debits (points < 0) a customer's points by hand, with a
// reason, audited. Credits are a new lot under the programme's expiry. Managers only (an
// adjustment creates value). Errors: apperr.Forbidden; apperr.Invalid on "points" (zero,
// or more than the balance) and "reason" (empty).
func (s *Service) Adjust(ctx context.Context, customerID, points int64, reason string) (Entry, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Entry{}, err
	}
	reason = strings.TrimSpace(reason)
	var errs apperr.List
	if points == 0 {
		errs = append(errs, apperr.Invalid("points", "enter a number of points to add (positive) or take (negative)"))
	}
	if reason == "" {
		errs = append(errs, apperr.Invalid("reason", "say why the points are adjusted"))
	}
	if err := errs.Err(); err != nil {
		return Entry{}, err
	}
	var out Entry
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		member, ok, err := memberOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if !ok || member != customerID {
			return apperr.Invalid("customer", "customer %d was erased or merged into another; adjust the surviving member", customerID)
		}
		acct, err := lockAccount(ctx, tx, customerID)
		if err != nil {
			return err
		}
		before := acct.Balance
		if points > 0 {
			p, err := loadProgramme(ctx, tx)
			if err != nil {
				return err
			}
			expires := s.now().AddDate(0, p.ExpiryMonths, 0)
			out, err = credit(ctx, tx, &acct, newEntry{kind: Adjust, points: points, expiresAt: &expires, reason: reason})
			if err != nil {
				return err
			}
		} else if out, err = debit(ctx, tx, &acct, -points, newEntry{kind: Adjust, reason: reason}, "points", false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "loyalty.points_adjusted", Entity: "customer", EntityID: customerID,
			Before: map[string]int64{"balance": before}, After: map[string]int64{"balance": acct.Balance, "points": points}, Reason: reason})
	})
	return out, err
}

// Summary is a customer's standing in the programme.
type Summary struct {
	CustomerID   int64      `json:"customerId"`
	Balance      int64      `json:"balance"`
	Tier         string     `json:"tier"`
	TierName     string     `json:"tierName"`
	RollingSpend int64      `json:"rollingSpend"`
	NextExpiry   *time.Time `json:"nextExpiry,omitempty"`
	NextExpiring int64      `json:"nextExpiringPoints"`
}

// SummaryOf returns a customer's balance, tier and next expiry using q (no account yet:
// zero points at the lowest tier).
func SummaryOf(ctx context.Context, q sqlx.QueryerContext, customerID int64) (Summary, error) {
	s := Summary{CustomerID: customerID}
	var row struct {
		Balance      int64  `db:"balance"`
		Tier         string `db:"tier"`
		TierName     string `db:"name"`
		RollingSpend int64  `db:"rolling_spend"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT coalesce(a.balance, 0) AS balance, t.code AS tier, t.name,
			coalesce(a.rolling_spend, 0) AS rolling_spend
		FROM loyalty_tiers t LEFT JOIN loyalty_accounts a ON a.customer_id = $1
		WHERE t.code = coalesce(a.tier, (SELECT code FROM loyalty_tiers ORDER BY min_spend LIMIT 1))`, customerID)
	if err != nil {
		return s, fmt.Errorf("points summary: %w", err)
	}
	s.Balance, s.Tier, s.TierName, s.RollingSpend = row.Balance, row.Tier, row.TierName, row.RollingSpend
	var next []struct {
		At     time.Time `db:"expires_at"`
		Points int64     `db:"points"`
	}
	if err := sqlx.SelectContext(ctx, q, &next, `SELECT expires_at, sum(remaining) AS points FROM loyalty_entries
		WHERE customer_id = $1 AND remaining > 0 GROUP BY expires_at ORDER BY expires_at LIMIT 1`, customerID); err != nil {
		return s, fmt.Errorf("next expiry: %w", err)
	}
	if len(next) > 0 {
		s.NextExpiry, s.NextExpiring = &next[0].At, next[0].Points
	}
	return s, nil
}

// Summary returns a customer's standing: staff see anyone, a customer only themself.
// Errors: apperr.Forbidden, apperr.Unauthenticated.
func (s *Service) Summary(ctx context.Context, customerID int64) (Summary, error) {
	if err := canSee(ctx, customerID); err != nil {
		return Summary{}, err
	}
	return SummaryOf(ctx, s.db, customerID)
}

// History returns a customer's newest entries (at most limit, up to 200).
func (s *Service) History(ctx context.Context, customerID int64, limit int) ([]Entry, error) {
	if err := canSee(ctx, customerID); err != nil {
		return nil, err
	}
	return EntriesOf(ctx, s.db, customerID, min(max(limit, 1), 200))
}

// EntriesOf returns a customer's newest entries using q.
func EntriesOf(ctx context.Context, q sqlx.QueryerContext, customerID int64, limit int) ([]Entry, error) {
	var out []Entry
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+entryColumns+` FROM loyalty_entries WHERE customer_id = $1
		ORDER BY id DESC LIMIT $2`, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("points history: %w", err)
	}
	return out, nil
}

func canSee(ctx context.Context, customerID int64) error {
	a := actor.From(ctx)
	switch {
	case a.IsStaff():
		return nil
	case a.Kind == actor.Customer && a.ID == customerID:
		return nil
	case a.Kind == actor.Anonymous:
		return apperr.Unauthenticated("sign in to see points")
	}
	return apperr.Forbidden("you can only see your own points")
}
