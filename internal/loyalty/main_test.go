package loyalty_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/loyalty"
	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var system = actor.SystemContext(context.Background())

type fixture struct {
	db  *sqlx.DB
	svc *loyalty.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := testdb.NewDemo(t)
	d.SetMaxOpenConns(24)
	return &fixture{db: d, svc: loyalty.NewService(d)}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func key() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// customer returns the id of a demo customer by email.
func (f *fixture) customer(t *testing.T, email string) int64 {
	t.Helper()
	var id int64
	must(t, f.db.Get(&id, `SELECT id FROM customers WHERE email = $1`, email))
	return id
}

// order crafts a TWD web order of customer for total (shipping included), paid in full
// when paid.
func (f *fixture) order(t *testing.T, customer, total, shipping int64, paid bool) int64 {
	t.Helper()
	var p int64
	if paid {
		p = total
	}
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO orders (idempotency_key, request_hash, channel, customer_id, placed_by_kind, currency,
			subtotal, shipping, total, paid, lines_signature)
		VALUES ($1, repeat('a', 64), 'WEB', $2, 'SYSTEM', 'TWD', $3, $4, $5, $6, '') RETURNING id`,
		key(), customer, total-shipping, shipping, total, p))
	if paid {
		must(t, f.db.Get(new(int64), `INSERT INTO payments (order_id, idempotency_key, request_hash, method, amount, currency, actor_kind)
			VALUES ($1, $2, repeat('b', 64), 'CARD', $3, 'TWD', 'SYSTEM') RETURNING id`, id, key(), total))
	}
	return id
}

// refund crafts a return of order with a card refund of amount, returning the return id.
func (f *fixture) refund(t *testing.T, order, amount int64) int64 {
	t.Helper()
	var ret, pay int64
	must(t, f.db.Get(&pay, `SELECT id FROM payments WHERE order_id = $1 ORDER BY id LIMIT 1`, order))
	must(t, f.db.Get(&ret, `INSERT INTO returns (idempotency_key, request_hash, order_id, location_id, currency, amount, total,
			refunded, window_ends_at, created_by_kind)
		VALUES ($1, repeat('c', 64), $2, (SELECT min(id) FROM locations), 'TWD', $3, $3, $3, now() + interval '30 days', 'SYSTEM') RETURNING id`,
		key(), order, amount))
	_, err := f.db.Exec(`INSERT INTO refunds (return_id, order_id, idempotency_key, request_hash, part, payment_id, method, amount, currency, actor_kind)
		VALUES ($1, $2, $3, repeat('d', 64), 1, $4, 'CARD', $5, 'TWD', 'SYSTEM')`, ret, order, key(), pay, amount)
	must(t, err)
	return ret
}

// inTx runs fn in a transaction as the system.
func (f *fixture) inTx(t *testing.T, fn func(tx *sqlx.Tx) error) error {
	t.Helper()
	return postgres.InTx(system, f.db, fn)
}

func (f *fixture) accrue(t *testing.T, order int64) loyalty.Entry {
	t.Helper()
	var e loyalty.Entry
	must(t, f.inTx(t, func(tx *sqlx.Tx) (err error) { e, err = f.svc.AccrueForOrder(system, tx, order); return err }))
	return e
}

func (f *fixture) balance(t *testing.T, customer int64) int64 {
	t.Helper()
	s, err := loyalty.SummaryOf(system, f.db, customer)
	must(t, err)
	return s.Balance
}

// checkLedger proves the ledger's invariants for a customer: the balance is the sum of the
// entries, the lots' remaining points add up to the balance (or zero while it is below
// zero), and every debit's allocations do not exceed it.
func (f *fixture) checkLedger(t *testing.T, customer int64) {
	t.Helper()
	var r struct {
		Balance   int64 `db:"balance"`
		Sum       int64 `db:"sum"`
		Remaining int64 `db:"remaining"`
		OverAlloc int   `db:"over"`
	}
	must(t, f.db.Get(&r, `SELECT coalesce((SELECT balance FROM loyalty_accounts WHERE customer_id = $1), 0) AS balance,
		(SELECT coalesce(sum(points), 0) FROM loyalty_entries WHERE customer_id = $1) AS sum,
		(SELECT coalesce(sum(remaining), 0) FROM loyalty_entries WHERE customer_id = $1) AS remaining,
		(SELECT count(*) FROM loyalty_entries d WHERE d.customer_id = $1 AND d.points < 0
			AND (SELECT coalesce(sum(points), 0) FROM loyalty_allocations WHERE debit_id = d.id) > -d.points) AS over`, customer))
	if r.Balance != r.Sum || r.Remaining != max(r.Balance, 0) || r.OverAlloc != 0 {
		t.Fatalf("ledger of customer %d: balance %d, sum of entries %d, lots remaining %d, over-allocated debits %d",
			customer, r.Balance, r.Sum, r.Remaining, r.OverAlloc)
	}
}
