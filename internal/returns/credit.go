package returns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/money"
	"atrium/internal/order"
)

// Store credit is a ledger: store_credit_entries, append-only, and the balance row of
// store_credit_accounts kept in the same statement, so the balance is always the sum of
// the entries. Spending is one guarded statement (balance >= amount), so concurrent
// payments cannot take it below zero, and a CHECK backs it.

const entryColumns = `e.id, e.customer_id, e.kind, e.amount, e.balance_after, e.currency, e.order_id, e.return_id,
	e.payment_id, e.note, e.actor_kind, e.actor_id, e.actor_name, e.created_at`

// credit is a store credit entry to write.
type credit struct {
	customerID int64
	amount     int64 // > 0 to issue, < 0 to redeem
	currency   string
	orderID    *int64
	returnID   *int64
	paymentID  *int64
	note       string
}

// issueCredit adds c.amount (> 0) to a customer's store credit and returns the entry.
func issueCredit(ctx context.Context, ext sqlx.ExtContext, c credit) (Entry, error) {
	a := actor.From(ctx)
	var e Entry
	err := sqlx.GetContext(ctx, ext, &e, `
		WITH a AS (
			INSERT INTO store_credit_accounts AS a (customer_id, currency, balance) VALUES ($1, $3, $2)
			ON CONFLICT (customer_id) DO UPDATE SET balance = a.balance + EXCLUDED.balance, updated_at = now()
			RETURNING a.balance
		)
		INSERT INTO store_credit_entries AS e (customer_id, kind, amount, balance_after, currency, order_id, return_id,
			note, actor_kind, actor_id, actor_name)
		SELECT $1, 'ISSUE', $2, a.balance, $3, $4, $5, $6, $7, $8, $9 FROM a
		RETURNING `+entryColumns,
		c.customerID, c.amount, c.currency, c.orderID, c.returnID, c.note, string(a.Kind), actorID(a), a.Name)
	if err != nil {
		return e, fmt.Errorf("issue store credit: %w", err)
	}
	return e, nil
}

// redeemCredit takes -c.amount (c.amount < 0) from a customer's store credit, if the
// balance covers it. Errors: apperr.List on amount (INSUFFICIENT_STORE_CREDIT).
func redeemCredit(ctx context.Context, ext sqlx.ExtContext, c credit) (Entry, error) {
	a := actor.From(ctx)
	var e Entry
	err := sqlx.GetContext(ctx, ext, &e, `
		WITH a AS (
			UPDATE store_credit_accounts SET balance = balance + $2, updated_at = now()
			WHERE customer_id = $1 AND balance + $2 >= 0
			RETURNING balance
		)
		INSERT INTO store_credit_entries AS e (customer_id, kind, amount, balance_after, currency, order_id,
			payment_id, note, actor_kind, actor_id, actor_name)
		SELECT $1, 'REDEEM', $2, a.balance, $3, $4, $5, $6, $7, $8, $9 FROM a
		RETURNING `+entryColumns,
		c.customerID, c.amount, c.currency, c.orderID, c.paymentID, c.note, string(a.Kind), actorID(a), a.Name)
	if errors.Is(err, sql.ErrNoRows) {
		var balance int64
		if err := sqlx.GetContext(ctx, ext, &balance, `SELECT coalesce((SELECT balance FROM store_credit_accounts
			WHERE customer_id = $1), 0)`, c.customerID); err != nil {
			return e, fmt.Errorf("store credit balance: %w", err)
		}
		return e, apperr.List{apperr.Invalid("amount", "the customer has %s of store credit; %s is more",
			money.Format(balance, c.currency), money.Format(-c.amount, c.currency)).WithReason(ReasonInsufficientCredit)}
	}
	if err != nil {
		return e, fmt.Errorf("redeem store credit: %w", err)
	}
	return e, nil
}

func redeemForPayment(ctx context.Context, ext sqlx.ExtContext, p order.CreditRedemption) error {
	o := orderRow{ID: p.OrderID, CustomerID: p.CustomerID}
	if p.Email != "" {
		o.Email = &p.Email
	}
	customerID, err := storeCreditCustomer(ctx, ext, o)
	if err != nil {
		return err
	}
	if customerID == nil {
		return apperr.List{apperr.Invalid("method",
			"this order has no customer record: store credit belongs to a registered customer; take another payment method").
			WithReason(ReasonNoCustomer)}
	}
	if p.Amount <= 0 {
		return apperr.List{apperr.Invalid("amount", "an amount is more than zero")}
	}
	_, err = redeemCredit(ctx, ext, credit{customerID: *customerID, amount: -p.Amount, currency: p.Currency,
		orderID: &p.OrderID, paymentID: &p.PaymentID, note: "payment"})
	return err
}

// authorizeCredit lets a customer read their own store credit and staff anyone's.
func authorizeCredit(ctx context.Context, customerID int64) error {
	a := actor.From(ctx)
	switch {
	case a.Kind == actor.Anonymous:
		return apperr.Unauthenticated("sign in to see store credit")
	case !a.IsStaff() && (a.Kind != actor.Customer || a.ID != customerID):
		return apperr.Forbidden("you can see only your own store credit")
	}
	return nil
}

func (s *Service) balance(ctx context.Context, customerID int64) (Balance, error) {
	if err := authorizeCredit(ctx, customerID); err != nil {
		return Balance{}, err
	}
	b := Balance{CustomerID: customerID}
	var row struct {
		Balance  int64  `db:"balance"`
		Currency string `db:"currency"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT balance, currency FROM store_credit_accounts WHERE customer_id = $1`, customerID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// No credit ever: the company's currency, as the catalog prices in it.
		err = s.db.GetContext(ctx, &b.Currency, `SELECT coalesce((SELECT currency FROM variants LIMIT 1), 'TWD')`)
		return b, err
	case err != nil:
		return b, fmt.Errorf("store credit balance: %w", err)
	}
	b.Balance, b.Currency = row.Balance, row.Currency
	return b, nil
}

func (s *Service) entries(ctx context.Context, customerID, after int64, first int) (EntryPage, error) {
	if err := authorizeCredit(ctx, customerID); err != nil {
		return EntryPage{}, err
	}
	if first <= 0 {
		first = 20
	}
	first = min(first, MaxPage)
	var rows []Entry
	err := s.db.SelectContext(ctx, &rows, `SELECT `+entryColumns+` FROM store_credit_entries e
		WHERE e.customer_id = $1 AND ($2 = 0 OR e.id < $2) ORDER BY e.id DESC LIMIT $3`, customerID, after, first+1)
	if err != nil {
		return EntryPage{}, fmt.Errorf("store credit entries: %w", err)
	}
	p := EntryPage{Entries: rows, HasNextPage: len(rows) > first}
	if p.HasNextPage {
		p.Entries = rows[:first]
	}
	return p, nil
}
