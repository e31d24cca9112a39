package payables

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// Payment is money paid on a bill; Discount is the early-payment discount taken with it.
type Payment struct {
	ID         int64     `db:"id" json:"id"`
	RunID      *int64    `db:"run_id" json:"runId"`
	BillID     int64     `db:"bill_id" json:"billId"`
	BillNumber string    `db:"bill_number" json:"billNumber"`
	SupplierID int64     `db:"supplier_id" json:"supplierId"`
	Currency   string    `db:"currency" json:"currency"`
	Amount     int64     `db:"amount" json:"amount"`
	Discount   int64     `db:"discount" json:"discount"`
	PaidOn     time.Time `db:"paid_on" json:"paidOn"`
	// PostedOn is the general-ledger date: PaidOn, or the first open day when PaidOn fell
	// in a closed period when the payment was recorded.
	PostedOn  time.Time `db:"posted_on" json:"postedOn"`
	Reference string    `db:"reference" json:"reference"`
}

// PaymentRunInput selects what a run pays.
type PaymentRunInput struct {
	// IdempotencyKey is generated once per run; a retry with the same key and input
	// returns the first run without paying again.
	IdempotencyKey string
	// PayDate is the date the money leaves; discounts apply when it is on or before a
	// bill's discount date.
	PayDate time.Time
	// DueBy selects approved bills due on or before it, and bills whose discount would
	// expire by then.
	DueBy time.Time
	// SupplierID limits the run to one supplier (0: all).
	SupplierID int64
	// Fingerprint, when set, is the Fingerprint of the proposal the accountant confirmed:
	// a new run that would pay anything else (a bill approved or paid since) is refused,
	// so what is paid is what was shown.
	Fingerprint string
}

// PaymentRun is a batch of payments made together.
type PaymentRun struct {
	ID         int64     `db:"id" json:"id"`
	Key        string    `db:"idempotency_key" json:"idempotencyKey"`
	PayDate    time.Time `db:"pay_date" json:"payDate"`
	DueBy      time.Time `db:"due_by" json:"dueBy"`
	SupplierID *int64    `db:"supplier_id" json:"supplierId"`
	Payments   []Payment `json:"payments"`
	// The supplier the run was limited to, who made it and when (filled in by
	// PaymentRun and PaymentRuns).
	SupplierName  string    `db:"supplier_name" json:"supplierName,omitempty"`
	CreatedByName string    `db:"created_by_name" json:"createdByName,omitempty"`
	CreatedAt     time.Time `db:"created_at" json:"createdAt"`
	// Totals are per currency (filled in by PaymentRun and PaymentRuns); Suppliers group
	// the payments by supplier (filled in by PaymentRun).
	Totals    []RunTotal    `json:"totals,omitempty"`
	Suppliers []RunSupplier `json:"suppliers,omitempty"`
	// Replayed is true when the key had already been used: nothing was paid again.
	Replayed bool `json:"replayed"`
}

// Total is what the run pays, per currency.
func (r PaymentRun) Total() map[string]int64 {
	t := map[string]int64{}
	for _, p := range r.Payments {
		t[p.Currency] += p.Amount
	}
	return t
}

const paymentColumns = `p.id, p.run_id, p.bill_id, b.number AS bill_number, p.supplier_id, p.currency, p.amount,
	p.discount, p.paid_on, p.posted_on, p.reference`

// RunPayments pays in full every bill runBills selects for in: APPROVED or PARTIALLY_PAID
// bills due by DueBy (or whose discount would expire by then), taking the early-payment
// discount when PayDate is on or before the bill's discount date and nothing was paid on
// it yet, less credit notes against it. ProposePaymentRun shows the same selection
// beforehand. Each supplier paid is emailed its remittance advice (PDF) through the
// outbox. Two calls with the same key at once make one run. Accountants and
// managers; audited. Errors: Forbidden, Conflict (idempotencyKey reused with other input;
// reason PROPOSAL_CHANGED when in.Fingerprint no longer matches), apperr.List
// (idempotencyKey, payDate, dueBy, supplierId).
func (s *Service) RunPayments(ctx context.Context, in PaymentRunInput) (PaymentRun, error) {
	a, err := actor.RequireStaff(ctx, payers...)
	if err != nil {
		return PaymentRun{}, err
	}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	var errs apperr.List
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		errs = append(errs, apperr.Invalid("idempotencyKey", "generate a key of 1 to 100 characters once per run and send it again on retry"))
	}
	errs = append(errs, runDateErrors(in)...)
	if len(errs) > 0 {
		return PaymentRun{}, errs
	}
	payDate, dueBy := day(in.PayDate), day(in.DueBy)
	var run PaymentRun
	try := func(tx *sqlx.Tx) error {
		run = PaymentRun{}
		err := tx.GetContext(ctx, &run, `SELECT id, idempotency_key, pay_date, due_by, supplier_id, created_at FROM payment_runs
			WHERE idempotency_key = $1`, in.IdempotencyKey)
		if err == nil {
			sameSup := (run.SupplierID == nil && in.SupplierID == 0) || (run.SupplierID != nil && *run.SupplierID == in.SupplierID)
			if !run.PayDate.Equal(payDate) || !run.DueBy.Equal(dueBy) || !sameSup {
				return apperr.Conflict("idempotencyKey", "this key was used for another payment run: generate a new key for a new run")
			}
			run.Replayed = true
			return tx.SelectContext(ctx, &run.Payments, `SELECT `+paymentColumns+` FROM supplier_payments p
				JOIN supplier_bills b ON b.id = p.bill_id WHERE p.run_id = $1 ORDER BY p.id`, run.ID)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// A retry of a run made yesterday is answered above; a new run must not pay in
		// the past, nor for a supplier that does not exist.
		if errs := s.newRunErrors(ctx, tx, in); len(errs) > 0 {
			return errs
		}
		var by *int64
		if a.ID != 0 {
			by = &a.ID
		}
		if err := tx.GetContext(ctx, &run, `INSERT INTO payment_runs (idempotency_key, pay_date, due_by, supplier_id, created_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING id, idempotency_key, pay_date, due_by, supplier_id, created_at`,
			in.IdempotencyKey, dateText(payDate), dateText(dueBy), nullID(in.SupplierID), by); err != nil {
			return err
		}
		items, err := runBills(ctx, tx, in, true)
		if err != nil {
			return err
		}
		if in.Fingerprint != "" && fingerprint(items) != in.Fingerprint {
			return apperr.Conflict("", "the bills to pay changed since the preview (a bill was approved, paid or credited meanwhile): check the new preview and confirm again").WithReason("PROPOSAL_CHANGED")
		}
		for _, it := range items {
			p, err := pay(ctx, tx, it.Bill, &run.ID, it.Amount, it.Discount, payDate, fmt.Sprintf("RUN-%d", run.ID), by)
			if err != nil {
				return err
			}
			if p.ID != 0 {
				run.Payments = append(run.Payments, p)
			}
		}
		if err := s.sendRemittances(ctx, tx, run.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "payables.payment_run", Entity: "payment_run", EntityID: run.ID, After: run})
	}
	err = postgres.InTx(ctx, s.db, try)
	if postgres.IsUniqueViolation(err, "payment_runs_idempotency_key_key") {
		// The same run posted twice at once (a double click): the other one committed
		// first, and this one now answers with it.
		err = postgres.InTx(ctx, s.db, try)
	}
	return run, err
}

// runDateErrors are the errors of a run's or proposal's dates that need no database.
func runDateErrors(in PaymentRunInput) apperr.List {
	var errs apperr.List
	if in.PayDate.IsZero() {
		errs = append(errs, apperr.Invalid("payDate", "enter the date the payments are made"))
	}
	if in.DueBy.IsZero() {
		errs = append(errs, apperr.Invalid("dueBy", "enter the date up to which due bills are paid"))
	}
	if in.SupplierID < 0 {
		errs = append(errs, apperr.Invalid("supplierId", "choose a supplier, or none to pay every supplier"))
	}
	return errs
}

// newRunErrors are the errors of a new run's input: a pay date in the past (a day of
// slack for time zones), which would take discounts that have expired by the time the
// money leaves, and a supplier that does not exist.
func (s *Service) newRunErrors(ctx context.Context, q sqlx.QueryerContext, in PaymentRunInput) apperr.List {
	var errs apperr.List
	if today := day(s.now().UTC()); day(in.PayDate).Before(today.AddDate(0, 0, -1)) {
		errs = append(errs, apperr.Invalid("payDate", "the pay date %s is in the past: a payment run pays today or later (a payment already made is recorded on its bill)", dateText(in.PayDate)))
	}
	if in.SupplierID > 0 {
		var one int
		if err := sqlx.GetContext(ctx, q, &one, `SELECT 1 FROM suppliers WHERE id = $1`, in.SupplierID); err != nil {
			errs = append(errs, apperr.Invalid("supplierId", "choose an existing supplier (no supplier with id %d), or none to pay every supplier", in.SupplierID))
		}
	}
	return errs
}

// ProposedPayment is what a payment run pays on one bill: Amount, with Discount taken,
// settles Open.
type ProposedPayment struct {
	Bill     Bill  `json:"bill"`
	Open     int64 `json:"open"`
	Discount int64 `json:"discount"`
	Amount   int64 `json:"amount"`
}

// runSelection is the bills a run with input $1 (supplier, 0 for all), $2 (due by) and $3
// (pay date) looks at, whatever their status: due by then, or with a discount that would
// expire by then and is still to be had on the pay date.
const runSelection = `b.kind = 'BILL' AND ($1 = 0 OR b.supplier_id = $1)
	AND (b.due_on <= $2 OR (b.discount_on IS NOT NULL AND b.discount_on <= $2 AND b.discount_on >= $3))`

// payableStatuses are the statuses of the bills a run pays: approved, unpaid or paid in
// part. Nothing else is paid, however due.
const payableStatuses = `b.status IN ('APPROVED', 'PARTIALLY_PAID')`

// runBills decides what a payment run for in pays: each approved or partly paid bill
// runSelection finds, in due order, with the amount and discount runPayment gives it.
// RunPayments locks the bills (lock) before reading them; ProposePaymentRun reads them as
// they are. Amount is 0 for a bill with nothing left open.
func runBills(ctx context.Context, q sqlx.QueryerContext, in PaymentRunInput, lock bool) ([]ProposedPayment, error) {
	payDate, dueBy := day(in.PayDate), day(in.DueBy)
	args := []any{in.SupplierID, dateText(dueBy), dateText(payDate)}
	where := runSelection + ` AND ` + payableStatuses
	if lock {
		// Lock first and read after: the read then sees every payment committed before
		// the lock was granted, and only the locked bills.
		var ids pq.Int64Array
		if err := sqlx.SelectContext(ctx, q, &ids, `SELECT b.id FROM supplier_bills b WHERE `+where+`
			ORDER BY b.due_on, b.id FOR UPDATE`, args...); err != nil {
			return nil, err
		}
		where += ` AND b.id = ANY($4)`
		args = append(args, ids)
	}
	var bills []Bill
	if err := sqlx.SelectContext(ctx, q, &bills, `SELECT `+billColumns+billFrom+` WHERE `+where+`
		ORDER BY b.due_on, b.id`, args...); err != nil {
		return nil, err
	}
	out := make([]ProposedPayment, len(bills))
	for i, b := range bills {
		amount, discount := runPayment(b, payDate)
		out[i] = ProposedPayment{Bill: b, Open: b.Open(), Discount: discount, Amount: amount}
	}
	return out, nil
}

// runPayment is what a run paying on payDate pays on bill b: all that is open, less the
// early-payment discount when payDate is on or before b's discount date and nothing was
// paid on it yet. The discount is on what is owed after credit notes.
func runPayment(b Bill, payDate time.Time) (amount, discount int64) {
	open := b.Open()
	if b.Paid == 0 && b.DiscountOn != nil && !payDate.After(*b.DiscountOn) {
		discount = min(open, b.DiscountAmount*(b.Total-b.Credited)/max(1, b.Total))
	}
	return open - discount, discount
}

// pay records a payment of amount with discount on bill b and sets its status. Nothing is
// recorded when both are 0.
func pay(ctx context.Context, tx *sqlx.Tx, b Bill, runID *int64, amount, discount int64, on time.Time, ref string, by *int64) (Payment, error) {
	var p Payment
	if amount <= 0 && discount <= 0 {
		if b.Open() == 0 {
			_, err := tx.ExecContext(ctx, `UPDATE supplier_bills SET status = 'PAID', updated_at = now() WHERE id = $1`, b.ID)
			return p, err
		}
		return p, nil
	}
	var id int64
	if amount <= 0 {
		// A payment row needs an amount; a discount alone cannot settle a bill.
		return p, nil
	}
	// posted_on is set by the database (migration 00018), as for bills.
	if err := tx.GetContext(ctx, &id, `INSERT INTO supplier_payments (run_id, bill_id, supplier_id, currency, amount,
		discount, paid_on, reference, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		runID, b.ID, b.SupplierID, b.Currency, amount, discount, dateText(on), ref, by); err != nil {
		return p, err
	}
	status := PartiallyPaid
	if b.Open()-amount-discount <= 0 {
		status = Paid
	}
	if _, err := tx.ExecContext(ctx, `UPDATE supplier_bills SET status = $2, updated_at = now() WHERE id = $1`, b.ID, status); err != nil {
		return p, err
	}
	err := tx.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM supplier_payments p JOIN supplier_bills b ON b.id = p.bill_id
		WHERE p.id = $1`, id)
	return p, err
}

// PaymentInput is one payment made outside a run (a partial payment, a cheque).
type PaymentInput struct {
	BillID    int64
	Amount    int64
	PaidOn    time.Time
	Reference string
}

// RecordPayment records a payment of in.Amount (minor units, up to what is open) on an
// APPROVED or PARTIALLY_PAID bill, without discount. Accountants and managers; audited.
// Errors: Forbidden, NotFound, Conflict (BILL_STATUS), apperr.List (amount, paidOn).
func (s *Service) RecordPayment(ctx context.Context, in PaymentInput) (Payment, error) {
	a, err := actor.RequireStaff(ctx, payers...)
	if err != nil {
		return Payment{}, err
	}
	if in.PaidOn.IsZero() {
		return Payment{}, apperr.List{apperr.Invalid("paidOn", "enter the date the payment was made")}
	}
	var p Payment
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		b, err := loadBill(ctx, tx, in.BillID, true)
		if err != nil {
			return err
		}
		if b.Kind != KindBill || (b.Status != Approved && b.Status != PartiallyPaid) {
			return apperr.Conflict("", "bill %s is %s: only approved bills are paid", b.Number, b.Status).WithReason("BILL_STATUS")
		}
		if in.Amount <= 0 || in.Amount > b.Open() {
			return apperr.List{apperr.Invalid("amount", "pay between 1 and %d (what is still open on bill %s, in minor units)", b.Open(), b.Number)}
		}
		var by *int64
		if a.ID != 0 {
			by = &a.ID
		}
		if p, err = pay(ctx, tx, b, nil, in.Amount, 0, day(in.PaidOn), strings.TrimSpace(in.Reference), by); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "payables.payment_recorded", Entity: "supplier_bill", EntityID: b.ID, After: p})
	})
	return p, err
}

// LedgerEntry is one movement of a supplier's account. Amount is positive when it
// increases what is owed (a bill) and negative when it reduces it.
type LedgerEntry struct {
	On        time.Time `db:"on_date" json:"on"`
	Kind      string    `db:"kind" json:"kind"` // BILL, CREDIT_NOTE, PAYMENT, DISCOUNT
	Reference string    `db:"reference" json:"reference"`
	BillID    int64     `db:"bill_id" json:"billId"`
	// BillNumber is the bill (or credit note) the entry is about; RunID the payment
	// run a payment or discount was made in.
	BillNumber string `db:"bill_number" json:"billNumber"`
	RunID      *int64 `db:"run_id" json:"runId"`
	Amount     int64  `db:"amount" json:"amount"`
	Balance    int64  `json:"balance"`
}

// Ledger is a supplier's account: bills − credit notes − payments − discounts taken, in
// the supplier's currency.
type Ledger struct {
	SupplierID int64         `json:"supplierId"`
	Currency   string        `json:"currency"`
	Entries    []LedgerEntry `json:"entries"`
	Balance    int64         `json:"balance"`
}

// SupplierLedger returns supplier id's ledger in date order with a running balance.
// Rejected bills are not part of it. Accountants and managers.
func (s *Service) SupplierLedger(ctx context.Context, supplierID int64) (Ledger, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Ledger{}, err
	}
	l := Ledger{SupplierID: supplierID}
	if err := s.db.GetContext(ctx, &l.Currency, `SELECT currency FROM suppliers WHERE id = $1`, supplierID); err != nil {
		return Ledger{}, postgres.NotFound(err, "no supplier with id %d", supplierID)
	}
	if err := s.db.SelectContext(ctx, &l.Entries, `
		SELECT on_date, kind, reference, bill_id, bill_number, run_id, amount FROM (
		  SELECT bill_date AS on_date, kind, number AS reference, id AS bill_id, number AS bill_number,
		         NULL::bigint AS run_id, CASE WHEN kind = 'BILL' THEN total ELSE -total END AS amount, 0 AS o, id AS k
		  FROM supplier_bills WHERE supplier_id = $1 AND status <> 'REJECTED'
		  UNION ALL
		  SELECT p.paid_on, 'PAYMENT', coalesce(nullif(p.reference, ''), b.number), p.bill_id, b.number, p.run_id,
		         -p.amount, 1, p.id
		  FROM supplier_payments p JOIN supplier_bills b ON b.id = p.bill_id WHERE p.supplier_id = $1
		  UNION ALL
		  SELECT p.paid_on, 'DISCOUNT', b.number, p.bill_id, b.number, p.run_id, -p.discount, 2, p.id
		  FROM supplier_payments p JOIN supplier_bills b ON b.id = p.bill_id WHERE p.supplier_id = $1 AND p.discount > 0
		) x ORDER BY on_date, o, k`, supplierID); err != nil {
		return Ledger{}, err
	}
	for i := range l.Entries {
		l.Balance += l.Entries[i].Amount
		l.Entries[i].Balance = l.Balance
	}
	return l, nil
}
