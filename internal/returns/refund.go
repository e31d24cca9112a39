package returns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/money"
	"atrium/internal/notify"
	"atrium/internal/order"
	"atrium/internal/postgres"
)

func (in *RefundInput) normalize() error {
	return checkRefund(&in.IdempotencyKey, &in.To, &in.Reference, "returnId", in.ReturnID)
}

// checkRefund trims and checks what every refund takes: the client's key, where the money
// goes, the reference, and the id (in field) of the return or order refunded.
func checkRefund(key *string, to *RefundTo, ref *string, field string, id int64) error {
	*key = strings.TrimSpace(*key)
	*to = RefundTo(strings.ToUpper(strings.TrimSpace(string(*to))))
	*ref = strings.TrimSpace(*ref)
	var errs apperr.List
	if *key == "" || len(*key) > 90 {
		errs = append(errs, apperr.Invalid("idempotencyKey", "send a client-generated key of 1 to 90 characters"))
	}
	if id <= 0 {
		errs = append(errs, apperr.Invalid(field, "choose the %s to refund", strings.TrimSuffix(field, "Id")))
	}
	if *to != ToOriginal && *to != ToStoreCredit {
		errs = append(errs, apperr.Invalid("to", "refund to %s or %s", ToOriginal, ToStoreCredit))
	}
	if len(*ref) > 200 {
		errs = append(errs, apperr.Invalid("reference", "at most 200 characters"))
	}
	return errs.Err()
}

// refundsByKey returns the return refunded under key, if any. Errors: Conflict
// (CONFLICT) when another request used the key.
func refundsByKey(ctx context.Context, q sqlx.QueryerContext, key, hash string) (int64, bool, error) {
	var rows []struct {
		ReturnID int64  `db:"return_id"`
		Hash     string `db:"request_hash"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT coalesce(return_id, 0) AS return_id, request_hash FROM refunds
		WHERE idempotency_key = $1 ORDER BY part LIMIT 1`, key)
	if err != nil {
		return 0, false, fmt.Errorf("refund by key: %w", err)
	}
	if len(rows) == 0 {
		return 0, false, nil
	}
	if rows[0].Hash != hash {
		return 0, false, keyReused("refund")
	}
	return rows[0].ReturnID, true, nil
}

// paymentLeft is a payment with what is left to refund on it.
type paymentLeft struct {
	ID                int64               `db:"id"`
	Method            order.PaymentMethod `db:"method"`
	Amount            int64               `db:"amount"`
	Reference         string              `db:"reference"`
	ProviderReference string              `db:"provider_reference"`
	Refunded          int64               `db:"refunded"`
	// CreditCustomerID is the customer whose store credit a STORE_CREDIT payment took.
	CreditCustomerID *int64 `db:"credit_customer_id"`
}

// part is one method a refund gives back by.
type part struct {
	payment *paymentLeft // nil: store credit issued to customerID
	method  order.PaymentMethod
	amount  int64
	// customerID receives store credit (method STORE_CREDIT).
	customerID int64
}

func (s *Service) refund(ctx context.Context, in RefundInput) (RefundResult, error) {
	if _, err := authorize(ctx, 0, true); err != nil {
		return RefundResult{}, err
	}
	if err := in.normalize(); err != nil {
		return RefundResult{}, err
	}
	hash := requestHash(ctx, "REFUND", in)
	replay := func() (RefundResult, error) {
		return s.refundResult(ctx, s.db, in.ReturnID, in.IdempotencyKey, true)
	}
	if _, found, err := refundsByKey(ctx, s.db, in.IdempotencyKey, hash); err != nil {
		return RefundResult{}, err
	} else if found {
		return replay()
	}
	var head struct {
		OrderID    int64 `db:"order_id"`
		LocationID int64 `db:"location_id"`
	}
	err := s.db.GetContext(ctx, &head, `SELECT order_id, location_id FROM returns WHERE id = $1`, in.ReturnID)
	if err != nil {
		return RefundResult{}, postgres.NotFound(err, "no return with id %d", in.ReturnID)
	}
	if _, err := authorize(ctx, head.LocationID, true); err != nil {
		return RefundResult{}, err
	}
	replayed := false
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		o, err := loadOrder(ctx, tx, head.OrderID, true)
		if err != nil {
			return err
		}
		var found bool
		if _, found, err = refundsByKey(ctx, tx, in.IdempotencyKey, hash); err != nil || found {
			replayed = found
			return err
		}
		r, err := s.detailAs(ctx, tx, in.ReturnID)
		if err != nil {
			return err
		}
		if r.Status != Open {
			return wrongStatus(r.Return, "refunded")
		}
		amount := min(r.Due(), max(0, o.Paid-o.Refunded))
		if amount <= 0 {
			msg := fmt.Sprintf("return %s is refunded already", r.Number)
			if r.Due() > 0 {
				msg = fmt.Sprintf("order %s has no payment left to refund (paid %s, refunded %s)", o.Number,
					money.Format(o.Paid, o.Currency), money.Format(o.Refunded, o.Currency))
			}
			return apperr.List{apperr.Invalid("returnId", "%s", msg).WithReason(ReasonNothingToRefund)}
		}
		parts, err := planRefund(ctx, tx, in.To, o, amount)
		if err != nil {
			return err
		}
		return s.giveBack(ctx, tx, refundCall{key: in.IdempotencyKey, hash: hash, to: in.To, reference: in.Reference},
			o, &r.Return, parts)
	})
	if err != nil {
		return RefundResult{}, err
	}
	return s.refundResult(ctx, s.db, in.ReturnID, in.IdempotencyKey, replayed)
}

// planRefund splits amount over the methods it goes back by (see Service.Refund). Points
// payments are not among them: their part goes back as store credit.
func planRefund(ctx context.Context, q sqlx.QueryerContext, to RefundTo, o orderRow, amount int64) ([]part, error) {
	if to == ToStoreCredit {
		customerID, err := storeCreditCustomer(ctx, q, o)
		if err != nil {
			return nil, err
		}
		if customerID == nil {
			return nil, apperr.List{apperr.Invalid("to", "order %s was placed by a guest without a customer record: "+
				"register the customer with the order's email to give store credit, or refund to the original payment", o.Number).
				WithReason(ReasonNoCustomer)}
		}
		return []part{{method: order.StoreCredit, amount: amount, customerID: *customerID}}, nil
	}
	var payments []paymentLeft
	err := sqlx.SelectContext(ctx, q, &payments, `SELECT p.id, p.method, p.amount, p.reference, p.provider_reference,
			coalesce((SELECT sum(f.amount) FROM refunds f WHERE f.payment_id = p.id), 0) AS refunded,
			(SELECT e.customer_id FROM store_credit_entries e WHERE e.payment_id = p.id) AS credit_customer_id
		FROM payments p WHERE p.order_id = $1 AND p.method <> 'POINTS' ORDER BY p.id DESC`, o.ID)
	if err != nil {
		return nil, fmt.Errorf("payments to refund: %w", err)
	}
	var parts []part
	left := amount
	for i := range payments {
		p := &payments[i]
		take := min(left, p.Amount-p.Refunded)
		if take <= 0 {
			continue
		}
		pt := part{payment: p, method: p.Method, amount: take}
		if p.Method == order.StoreCredit {
			if p.CreditCustomerID == nil {
				return nil, fmt.Errorf("store credit payment %d has no ledger entry", p.ID)
			}
			pt.customerID = *p.CreditCustomerID
		}
		parts = append(parts, pt)
		if left -= take; left == 0 {
			break
		}
	}
	if left > 0 {
		// What is left was paid with loyalty points: money cannot go back to them.
		return nil, apperr.List{apperr.Invalid("to", "%s of order %s was paid with loyalty points, which cannot be refunded "+
			"as money: refund it as store credit", money.Format(left, o.Currency), o.Number).WithReason(ReasonNothingToRefund)}
	}
	return parts, nil
}

// refundCall is what one refund call asked, for the rows it writes.
type refundCall struct {
	key, hash, reference string
	to                   RefundTo
}

// giveBack gives each part back (store credit in the ledger, the rest through the
// Refunder), records the refunds, the return's refunded figure (r nil: a refund of
// cancelled goods, for the order), the audit record, the order's timeline and the
// customer's notice.
func (s *Service) giveBack(ctx context.Context, tx *sqlx.Tx, in refundCall, o orderRow, r *Return, parts []part) error {
	a := actor.From(ctx)
	var returnID *int64
	what, ref := "cancelled goods", "ORD:"+strconv.FormatInt(o.ID, 10)
	if r != nil {
		returnID, what, ref = &r.ID, "return "+r.Number, stockRef(r.ID)
	}
	var total int64
	var said []string
	var after []map[string]any
	for i, pt := range parts {
		n := i + 1
		var entryID, paymentID *int64
		providerRef := ""
		if pt.payment != nil {
			paymentID = &pt.payment.ID
		}
		if pt.method == order.StoreCredit {
			e, err := issueCredit(ctx, tx, credit{customerID: pt.customerID, amount: pt.amount, currency: o.Currency,
				orderID: &o.ID, returnID: returnID, note: "refund of " + what})
			if err != nil {
				return err
			}
			entryID = &e.ID
		} else {
			req := RefundRequest{OrderID: o.ID, OrderNumber: o.Number, IdempotencyKey: in.key + "/" + strconv.Itoa(n),
				Method: pt.method, Amount: pt.amount, Currency: o.Currency, PaymentReference: pt.payment.Reference,
				PaymentProviderReference: pt.payment.ProviderReference, Reference: in.reference}
			if r != nil {
				req.ReturnID = r.ID
			}
			c, err := s.dep.Refunder.Refund(ctx, req)
			if e, ok := apperr.As(err); ok {
				c := *e
				c.Field = []string{"reference"}
				return apperr.List{&c}
			}
			if err != nil {
				return fmt.Errorf("refund %s: %w", pt.method, err)
			}
			providerRef = c.ProviderReference
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO refunds (return_id, order_id, idempotency_key, request_hash, part,
				payment_id, method, amount, currency, reference, provider_reference, store_credit_entry_id, actor_kind,
				actor_id, actor_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			returnID, o.ID, in.key, in.hash, n, paymentID, pt.method, pt.amount, o.Currency, in.reference,
			providerRef, entryID, string(a.Kind), actorID(a), a.Name)
		if postgres.IsUniqueViolation(err, "refunds_idempotency_key_part_key") {
			return keyReused("refund")
		}
		if err != nil {
			return fmt.Errorf("record refund: %w", err)
		}
		total += pt.amount
		said = append(said, fmt.Sprintf("%s to %s", money.Format(pt.amount, o.Currency), methodName(pt.method)))
		after = append(after, map[string]any{"method": pt.method, "amount": pt.amount, "paymentId": paymentID})
	}
	entry := audit.Entry{Action: "order.refunded", Entity: "order", EntityID: o.ID,
		Before: map[string]any{"refunded": o.Refunded}, After: map[string]any{"refunded": o.Refunded + total,
			"order": o.Number, "for": what, "to": in.to, "parts": after}, Reason: in.reference}
	body := fmt.Sprintf("We have refunded %s for the goods cancelled from order %s: %s.",
		money.Format(total, o.Currency), o.Number, strings.Join(said, ", "))
	if r != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET refunded = refunded + $2, updated_at = now() WHERE id = $1`,
			r.ID, total); err != nil {
			return fmt.Errorf("update return: %w", postgres.MapError(err))
		}
		entry = audit.Entry{Action: "return.refunded", Entity: "return", EntityID: r.ID,
			Before: map[string]any{"refunded": r.Refunded}, After: map[string]any{"refunded": r.Refunded + total,
				"order": o.Number, "return": r.Number, "to": in.to, "parts": after}, Reason: in.reference}
		body = fmt.Sprintf("We have refunded %s for the goods you returned from order %s (return %s): %s.",
			money.Format(total, o.Currency), o.Number, r.Number, strings.Join(said, ", "))
	}
	if err := audit.Record(ctx, tx, entry); err != nil {
		return err
	}
	if err := s.reversePoints(ctx, tx, o.ID, r); err != nil {
		return err
	}
	msg := fmt.Sprintf("Refunded %s for %s: %s.", money.Format(total, o.Currency), what, strings.Join(said, ", "))
	if err := addEvent(ctx, tx, o.ID, "REFUNDED", msg, map[string]any{"returnId": returnID, "amount": total, "to": in.to}); err != nil {
		return err
	}
	if o.Email != nil && *o.Email != "" {
		_, err := notify.Enqueue(ctx, tx, notify.Message{Kind: "REFUND_ISSUED", To: *o.Email,
			Subject: fmt.Sprintf("Your refund for order %s", o.Number), Body: body, Reference: ref,
			DedupeKey: "refund:" + in.key})
		if err != nil {
			return err
		}
	}
	return nil
}

// reversePoints takes back the loyalty points earned on what was just refunded: those of
// the returned lines for a return, a share of the order's for cancelled goods.
func (s *Service) reversePoints(ctx context.Context, tx sqlx.ExtContext, orderID int64, r *Return) error {
	if s.dep.Points == nil {
		return nil
	}
	var err error
	if r != nil {
		_, err = s.dep.Points.ReverseForReturn(ctx, tx, r.ID)
	} else {
		_, err = s.dep.Points.ReverseForRefunds(ctx, tx, orderID)
	}
	return err
}

// methodName says where a refund went, in a sentence.
func methodName(m order.PaymentMethod) string {
	switch m {
	case order.Cash:
		return "cash"
	case order.PayAtPickup:
		return "the till"
	case order.Card:
		return "card"
	case order.Online:
		return "the online payment"
	case order.StoreCredit:
		return "store credit"
	}
	return string(m)
}

// refundResult reads the refunds made under key and the return after them.
func (s *Service) refundResult(ctx context.Context, q sqlx.QueryerContext, returnID int64, key string, replayed bool) (RefundResult, error) {
	d, err := s.detailAs(ctx, q, returnID)
	if err != nil {
		return RefundResult{}, err
	}
	res := RefundResult{Return: d.Return, Replayed: replayed}
	var keyed []int64
	if err := sqlx.SelectContext(ctx, q, &keyed, `SELECT id FROM refunds WHERE idempotency_key = $1`, key); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return res, fmt.Errorf("refunds by key: %w", err)
	}
	for _, f := range d.Refunds {
		if slices.Contains(keyed, f.ID) {
			res.Refunds = append(res.Refunds, f)
		}
	}
	return res, nil
}

func wrongStatus(r Return, what string) error {
	return apperr.List{apperr.Conflict("returnId", "return %s is %s: it cannot be %s any more", r.Number,
		strings.ToLower(string(r.Status)), what).WithReason(ReasonWrongStatus)}
}

func (s *Service) refundCancelled(ctx context.Context, in OrderRefundInput) (OrderRefundResult, error) {
	if _, err := authorize(ctx, 0, true); err != nil {
		return OrderRefundResult{}, err
	}
	if err := checkRefund(&in.IdempotencyKey, &in.To, &in.Reference, "orderId", in.OrderID); err != nil {
		return OrderRefundResult{}, err
	}
	hash := requestHash(ctx, "REFUND_CANCELLED", in)
	if _, found, err := refundsByKey(ctx, s.db, in.IdempotencyKey, hash); err != nil || found {
		if err != nil {
			return OrderRefundResult{}, err
		}
		return s.keyedRefunds(ctx, in.IdempotencyKey, true)
	}
	replayed := false
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		o, err := loadOrder(ctx, tx, in.OrderID, true)
		if err != nil {
			return err
		}
		var found bool
		if _, found, err = refundsByKey(ctx, tx, in.IdempotencyKey, hash); err != nil || found {
			replayed = found
			return err
		}
		owed := max(0, o.Paid-(o.Total-o.Cancelled)) - o.CancelRefunded
		amount := min(owed, max(0, o.Paid-o.Refunded))
		if amount <= 0 {
			return apperr.List{apperr.Invalid("orderId", "order %s owes nothing back for cancelled goods", o.Number).
				WithReason(ReasonNothingToRefund)}
		}
		parts, err := planRefund(ctx, tx, in.To, o, amount)
		if err != nil {
			return err
		}
		return s.giveBack(ctx, tx, refundCall{key: in.IdempotencyKey, hash: hash, to: in.To, reference: in.Reference},
			o, nil, parts)
	})
	if err != nil {
		return OrderRefundResult{}, err
	}
	return s.keyedRefunds(ctx, in.IdempotencyKey, replayed)
}

// keyedRefunds reads the refunds made under key.
func (s *Service) keyedRefunds(ctx context.Context, key string, replayed bool) (OrderRefundResult, error) {
	res := OrderRefundResult{Replayed: replayed}
	err := s.db.SelectContext(ctx, &res.Refunds, `SELECT `+refundColumns+` FROM refunds f
		WHERE f.idempotency_key = $1 ORDER BY f.part`, key)
	if err != nil {
		return res, fmt.Errorf("refunds by key: %w", err)
	}
	return res, nil
}
