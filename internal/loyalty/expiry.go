package loyalty

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/postgres"
)

// Expired is one customer's points expired by a run.
type Expired struct {
	CustomerID int64 `db:"customer_id" json:"customerId"`
	Points     int64 `json:"points"`
	EntryID    int64 `json:"entryId"`
}

// ExpireDue expires what is left of every lot that expired by asOf: one EXPIRE entry per
// customer taking exactly those lots (the oldest, since lots are spent oldest-expiring
// first). Customers are claimed in batches with FOR UPDATE SKIP LOCKED on their accounts,
// so several servers can run it at once, each customer is expired once, and a customer
// whose account is busy (a sale at a till) is left for the next run. The context's actor
// is recorded (use actor.SystemContext for the job).
func (s *Service) ExpireDue(ctx context.Context, asOf time.Time, batch int) ([]Expired, error) {
	if batch <= 0 {
		batch = 200
	}
	var out []Expired
	for {
		var n int
		err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
			var accts []Account
			if err := tx.SelectContext(ctx, &accts, `SELECT `+accountColumns+` FROM loyalty_accounts a
				WHERE a.customer_id IN (SELECT DISTINCT customer_id FROM loyalty_entries WHERE remaining > 0 AND expires_at <= $1)
				ORDER BY a.customer_id LIMIT $2 FOR UPDATE SKIP LOCKED`, asOf, batch); err != nil {
				return fmt.Errorf("claim expiring accounts: %w", err)
			}
			n = len(accts)
			for i := range accts {
				e, err := expireAccount(ctx, tx, &accts[i], asOf)
				if err != nil {
					return err
				}
				if e.Points > 0 {
					out = append(out, e)
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		if n < batch {
			return out, nil
		}
	}
}

func expireAccount(ctx context.Context, ext sqlx.ExtContext, acct *Account, asOf time.Time) (Expired, error) {
	type lot struct {
		ID        int64 `db:"id"`
		Remaining int64 `db:"remaining"`
	}
	var lots []lot
	if err := sqlx.SelectContext(ctx, ext, &lots, `SELECT id, remaining FROM loyalty_entries
		WHERE customer_id = $1 AND remaining > 0 AND expires_at <= $2 ORDER BY expires_at, id FOR UPDATE`,
		acct.CustomerID, asOf); err != nil {
		return Expired{}, fmt.Errorf("expired lots: %w", err)
	}
	var total int64
	for _, l := range lots {
		total += l.Remaining
	}
	if total == 0 {
		return Expired{CustomerID: acct.CustomerID}, nil
	}
	e, err := insertEntry(ctx, ext, acct.CustomerID, newEntry{kind: Expire, points: -total,
		reason: fmt.Sprintf("points expired by %s", asOf.UTC().Format("2006-01-02"))}, nil)
	if err != nil {
		return Expired{}, err
	}
	for _, l := range lots {
		if err := allocate(ctx, ext, e.ID, l.ID, l.Remaining); err != nil {
			return Expired{}, err
		}
	}
	if err := addBalance(ctx, ext, acct, -total); err != nil {
		return Expired{}, err
	}
	return Expired{CustomerID: acct.CustomerID, Points: total, EntryID: e.ID}, nil
}
