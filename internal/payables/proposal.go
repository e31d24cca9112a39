package payables

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/postgres"
)

// Proposal is what a payment run with the same input would pay if made now, and the bills
// the same dates select that it would not pay because they are not approved, so the
// accountant sees before paying that nothing unmatched is paid.
type Proposal struct {
	PayDate    time.Time `json:"payDate"`
	DueBy      time.Time `json:"dueBy"`
	SupplierID int64     `json:"supplierId"`
	// Payments are the bills the run pays, in due date order.
	Payments []ProposedPayment `json:"payments"`
	// Totals are per currency; Suppliers per supplier and currency, by supplier name.
	Totals    []RunTotal      `json:"totals"`
	Suppliers []SupplierTotal `json:"suppliers"`
	// Held are the bills due by then that are not approved, in due date order: in
	// exception (Exceptions says why), waiting for a credit note, or matched or accepted
	// and waiting for approval.
	Held []Bill `json:"held"`
}

// RunTotal adds up payments in one currency: how many bills, what was open on them, the
// discounts taken and what is paid (Open = Discount + Amount).
type RunTotal struct {
	Currency string `db:"currency" json:"currency"`
	Bills    int    `db:"bills" json:"bills"`
	Open     int64  `db:"open" json:"open"`
	Discount int64  `db:"discount" json:"discount"`
	Amount   int64  `db:"amount" json:"amount"`
}

// SupplierTotal adds up the payments to one supplier in one currency.
type SupplierTotal struct {
	SupplierID   int64  `db:"supplier_id" json:"supplierId"`
	SupplierCode string `db:"supplier_code" json:"supplierCode"`
	SupplierName string `db:"supplier_name" json:"supplierName"`
	RunTotal
}

// RunSupplier is what a payment run paid one supplier: the total and the payments.
// Email is where its remittance advice was sent ("" for a supplier without an address;
// the key is remittanceKey's).
type RunSupplier struct {
	SupplierTotal
	Email    string    `json:"email"`
	Payments []Payment `json:"payments"`
}

// heldStatuses are the bills a run leaves unpaid however due: not approved yet.
const heldStatuses = `b.status IN ('MATCHED', 'EXCEPTION', 'ACCEPTED', 'CREDIT_REQUESTED')`

// ProposePaymentRun returns what RunPayments would pay for in now (its idempotency key
// is not needed): the same bills, amounts and discounts, since both take them from
// runBills, with totals per currency and per supplier, and the bills the same dates
// select that are held for want of approval. Nothing is written. Accountants and
// managers. Errors: Forbidden, apperr.List (payDate, dueBy, supplierId).
func (s *Service) ProposePaymentRun(ctx context.Context, in PaymentRunInput) (Proposal, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Proposal{}, err
	}
	errs := runDateErrors(in)
	if len(errs) == 0 {
		errs = s.newRunErrors(ctx, s.db, in)
	}
	if len(errs) > 0 {
		return Proposal{}, errs
	}
	p := Proposal{PayDate: day(in.PayDate), DueBy: day(in.DueBy), SupplierID: in.SupplierID}
	items, err := runBills(ctx, s.db, in, false)
	if err != nil {
		return Proposal{}, err
	}
	for _, it := range items {
		// A bill with nothing open is marked paid by the run, but no money moves.
		if it.Amount > 0 {
			p.Payments = append(p.Payments, it)
		}
	}
	for _, it := range p.Payments {
		b := it.Bill
		p.Totals = addTotal(p.Totals, b.Currency, it.Open, it.Discount, it.Amount)
		i := slices.IndexFunc(p.Suppliers, func(t SupplierTotal) bool {
			return t.SupplierID == b.SupplierID && t.Currency == b.Currency
		})
		if i < 0 {
			p.Suppliers = append(p.Suppliers, SupplierTotal{SupplierID: b.SupplierID, SupplierCode: b.SupplierCode,
				SupplierName: b.SupplierName, RunTotal: RunTotal{Currency: b.Currency}})
			i = len(p.Suppliers) - 1
		}
		p.Suppliers[i].RunTotal = p.Suppliers[i].add(it.Open, it.Discount, it.Amount)
	}
	slices.SortStableFunc(p.Suppliers, func(a, b SupplierTotal) int {
		return cmp.Or(cmp.Compare(a.SupplierName, b.SupplierName), cmp.Compare(a.SupplierID, b.SupplierID),
			cmp.Compare(a.Currency, b.Currency))
	})
	if err := s.db.SelectContext(ctx, &p.Held, `SELECT `+billColumns+billFrom+` WHERE `+runSelection+` AND `+heldStatuses+`
		ORDER BY b.due_on, b.id`, in.SupplierID, dateText(p.DueBy), dateText(p.PayDate)); err != nil {
		return Proposal{}, err
	}
	return p, nil
}

// Fingerprint identifies what the proposal pays (each bill, amount and discount), for
// PaymentRunInput.Fingerprint.
func (p Proposal) Fingerprint() string { return fingerprint(p.Payments) }

// fingerprint hashes the bills, amounts and discounts items pay (those with an amount).
func fingerprint(items []ProposedPayment) string {
	h := sha256.New()
	for _, it := range items {
		if it.Amount > 0 {
			fmt.Fprintf(h, "%d:%d:%d;", it.Bill.ID, it.Amount, it.Discount)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (t RunTotal) add(open, discount, amount int64) RunTotal {
	t.Bills++
	t.Open += open
	t.Discount += discount
	t.Amount += amount
	return t
}

// addTotal adds a payment to the totals ts of its currency, kept in currency order.
func addTotal(ts []RunTotal, currency string, open, discount, amount int64) []RunTotal {
	i, found := slices.BinarySearchFunc(ts, currency, func(t RunTotal, c string) int { return cmp.Compare(t.Currency, c) })
	if !found {
		ts = slices.Insert(ts, i, RunTotal{Currency: currency})
	}
	ts[i] = ts[i].add(open, discount, amount)
	return ts
}

// PaymentRunFilter pages through payment runs, the most recent first.
type PaymentRunFilter struct {
	// SupplierID keeps the runs that paid this supplier (0: all).
	SupplierID int64
	// After is the id of the last run of the previous page (0: the first page).
	After int64
	// First is the page size, 1 to 100 (0: 20).
	First int
}

// PaymentRunPage is a page of runs; Next is the After of the next page (0 on the last).
type PaymentRunPage struct {
	Runs []PaymentRun `json:"runs"`
	Next int64        `json:"next"`
}

const runColumns = `r.id, r.idempotency_key, r.pay_date, r.due_by, r.supplier_id, r.created_at,
	coalesce(su.name, '') AS supplier_name, coalesce(st.name, '') AS created_by_name`

const runFrom = ` FROM payment_runs r LEFT JOIN suppliers su ON su.id = r.supplier_id
	LEFT JOIN staff st ON st.id = r.created_by`

// PaymentRuns lists payment runs, the most recent first, each with its totals per
// currency (Payments is left empty: PaymentRun has them). Accountants and managers.
// Errors: Forbidden.
func (s *Service) PaymentRuns(ctx context.Context, f PaymentRunFilter) (PaymentRunPage, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return PaymentRunPage{}, err
	}
	if f.First <= 0 || f.First > 100 {
		f.First = 20
	}
	var page PaymentRunPage
	if err := s.db.SelectContext(ctx, &page.Runs, `SELECT `+runColumns+runFrom+`
		WHERE ($1 = 0 OR r.id < $1)
		  AND ($2 = 0 OR EXISTS (SELECT 1 FROM supplier_payments p WHERE p.run_id = r.id AND p.supplier_id = $2))
		ORDER BY r.id DESC LIMIT $3`, f.After, f.SupplierID, f.First+1); err != nil {
		return PaymentRunPage{}, err
	}
	if len(page.Runs) > f.First {
		page.Runs = page.Runs[:f.First]
		page.Next = page.Runs[f.First-1].ID
	}
	if len(page.Runs) == 0 {
		return page, nil
	}
	ids := make(pq.Int64Array, len(page.Runs))
	for i, r := range page.Runs {
		ids[i] = r.ID
	}
	var totals []struct {
		RunID int64 `db:"run_id"`
		RunTotal
	}
	if err := s.db.SelectContext(ctx, &totals, `SELECT run_id, currency, count(*) AS bills,
		sum(amount + discount) AS open, sum(discount) AS discount, sum(amount) AS amount
		FROM supplier_payments WHERE run_id = ANY($1) GROUP BY run_id, currency ORDER BY run_id, currency`, ids); err != nil {
		return PaymentRunPage{}, err
	}
	for _, t := range totals {
		i := slices.IndexFunc(page.Runs, func(r PaymentRun) bool { return r.ID == t.RunID })
		page.Runs[i].Totals = append(page.Runs[i].Totals, t.RunTotal)
	}
	return page, nil
}

// PaymentRun returns payment run id with its payments, grouped by supplier (by name) in
// Suppliers, and its totals per currency. Accountants and managers. Errors: Forbidden,
// NotFound.
func (s *Service) PaymentRun(ctx context.Context, id int64) (PaymentRun, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return PaymentRun{}, err
	}
	var run PaymentRun
	if err := s.db.GetContext(ctx, &run, `SELECT `+runColumns+runFrom+` WHERE r.id = $1`, id); err != nil {
		return PaymentRun{}, postgres.NotFound(err, "no payment run with id %d", id)
	}
	var pays []struct {
		Payment
		SupplierCode string `db:"supplier_code"`
		SupplierName string `db:"supplier_name"`
		Email        string `db:"email"`
	}
	if err := s.db.SelectContext(ctx, &pays, `SELECT `+paymentColumns+`, su.code AS supplier_code, su.name AS supplier_name,
		coalesce((SELECT n.recipient FROM notifications n
		          WHERE n.dedupe_key = 'REMITTANCE:' || p.run_id || ':' || su.id), '') AS email
		FROM supplier_payments p JOIN supplier_bills b ON b.id = p.bill_id JOIN suppliers su ON su.id = p.supplier_id
		WHERE p.run_id = $1 ORDER BY su.name, p.supplier_id, p.currency, b.due_on, p.id`, id); err != nil {
		return PaymentRun{}, err
	}
	for _, p := range pays {
		run.Payments = append(run.Payments, p.Payment)
		run.Totals = addTotal(run.Totals, p.Currency, p.Amount+p.Discount, p.Discount, p.Amount)
		n := len(run.Suppliers)
		if n == 0 || run.Suppliers[n-1].SupplierID != p.SupplierID || run.Suppliers[n-1].Currency != p.Currency {
			run.Suppliers = append(run.Suppliers, RunSupplier{SupplierTotal: SupplierTotal{SupplierID: p.SupplierID,
				SupplierCode: p.SupplierCode, SupplierName: p.SupplierName, RunTotal: RunTotal{Currency: p.Currency}},
				Email: p.Email})
			n++
		}
		sup := &run.Suppliers[n-1]
		sup.RunTotal = sup.add(p.Amount+p.Discount, p.Discount, p.Amount)
		sup.Payments = append(sup.Payments, p.Payment)
	}
	return run, nil
}
