package payables

import (
	"context"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// decide loads bill id for update, checks it is a bill in one of allowed statuses, runs fn
// and records action in the audit log with reason.
func (s *Service) decide(ctx context.Context, id int64, action, reason string, allowed []Status,
	fn func(tx *sqlx.Tx, b Bill) error) (Bill, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Bill{}, err
	}
	var after Bill
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		b, err := loadBill(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if b.Kind != KindBill {
			return apperr.Conflict("", "%s is a credit note: only bills are resolved and approved", b.Number).WithReason("BILL_STATUS")
		}
		if !slices.Contains(allowed, b.Status) {
			return apperr.Conflict("", "bill %s is %s: this needs a bill that is %v", b.Number, b.Status, allowed).WithReason("BILL_STATUS")
		}
		if err := fn(tx, b); err != nil {
			return err
		}
		if after, err = loadBill(ctx, tx, id, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "payables." + action, Entity: "supplier_bill", EntityID: id,
			Before: b, After: after, Reason: reason})
	})
	return after, err
}

func needReason(reason, what string) error {
	if r := strings.TrimSpace(reason); len(r) < 3 || len(r) > 500 {
		return apperr.List{apperr.Invalid("reason", "say why you %s (3 to 500 characters); it is kept in the audit log", what)}
	}
	return nil
}

// AcceptVariance accepts the differences of a bill in EXCEPTION or CREDIT_REQUESTED with
// a reason, making it ACCEPTED and so approvable. Accountants and managers; audited.
// Errors: Forbidden, NotFound, Conflict (BILL_STATUS), apperr.List (reason).
func (s *Service) AcceptVariance(ctx context.Context, id int64, reason string) (Bill, error) {
	if err := needReason(reason, "accept the differences"); err != nil {
		return Bill{}, err
	}
	return s.decide(ctx, id, "variance_accepted", reason, []Status{Exception, CreditRequested}, func(tx *sqlx.Tx, b Bill) error {
		_, err := tx.ExecContext(ctx, `UPDATE supplier_bills SET status = 'ACCEPTED', resolution_reason = $2,
			updated_at = now() WHERE id = $1`, id, strings.TrimSpace(reason))
		return err
	})
}

// RequestCredit marks a bill in EXCEPTION as waiting for the supplier's credit note
// (CREDIT_REQUESTED). Entering a credit note against it matches it again. Accountants and
// managers; audited. Errors: Forbidden, NotFound, Conflict (BILL_STATUS), apperr.List.
func (s *Service) RequestCredit(ctx context.Context, id int64, reason string) (Bill, error) {
	if err := needReason(reason, "ask for a credit note"); err != nil {
		return Bill{}, err
	}
	return s.decide(ctx, id, "credit_requested", reason, []Status{Exception}, func(tx *sqlx.Tx, b Bill) error {
		_, err := tx.ExecContext(ctx, `UPDATE supplier_bills SET status = 'CREDIT_REQUESTED', resolution_reason = $2,
			updated_at = now() WHERE id = $1`, id, strings.TrimSpace(reason))
		return err
	})
}

// RejectBill rejects a bill that is not approved or paid, with its credit notes: it is
// not owed, its quantities stop counting as billed and its number stays taken. Accountants and managers; audited.
// Errors: Forbidden, NotFound, Conflict (BILL_STATUS), apperr.List.
func (s *Service) RejectBill(ctx context.Context, id int64, reason string) (Bill, error) {
	if err := needReason(reason, "reject the bill"); err != nil {
		return Bill{}, err
	}
	return s.decide(ctx, id, "bill_rejected", reason, []Status{Matched, Exception, Accepted, CreditRequested}, func(tx *sqlx.Tx, b Bill) error {
		// Its credit notes credit nothing any more: they go with it.
		_, err := tx.ExecContext(ctx, `UPDATE supplier_bills SET status = 'REJECTED', resolution_reason = $2,
			updated_at = now() WHERE id = $1 OR credits_bill_id = $1`, id, strings.TrimSpace(reason))
		return err
	})
}

// ApproveBill approves a MATCHED or ACCEPTED bill for payment. Accountants and managers,
// never the person who entered the bill (two people see every payment); audited.
// Errors: Forbidden (also SAME_PERSON), NotFound, Conflict (BILL_STATUS).
func (s *Service) ApproveBill(ctx context.Context, id int64) (Bill, error) {
	a := actor.From(ctx)
	return s.decide(ctx, id, "bill_approved", "", []Status{Matched, Accepted}, func(tx *sqlx.Tx, b Bill) error {
		if b.EnteredBy != nil && a.ID == *b.EnteredBy {
			return apperr.Forbidden("you entered bill %s: another accountant or manager must approve it", b.Number).WithReason("SAME_PERSON")
		}
		var by *int64
		if a.ID != 0 {
			by = &a.ID
		}
		_, err := tx.ExecContext(ctx, `UPDATE supplier_bills SET status = 'APPROVED', approved_by = $2,
			approved_at = now(), updated_at = now() WHERE id = $1`, id, by)
		return err
	})
}
