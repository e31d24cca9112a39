package payables

import (
	"context"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/postgres"
)

// rematchable are the statuses a new match may change; accepted, approved, paid and
// rejected bills keep their decision.
var rematchable = []Status{Matched, Exception, CreditRequested}

// orderLineFacts are what the match compares a bill line with.
type orderLineFacts struct {
	UnitCost decimal.Decimal `db:"unit_cost"`
	Accepted int             `db:"accepted"`
	// Billed is the quantity billed on the order line by this bill and earlier bills that
	// are not rejected, less credit notes against them.
	Billed int `db:"billed"`
}

// match runs the three-way match of bill id in tx and stores the result on its lines and,
// when the bill is still open to matching, its status. Line checks: NO_ORDER_LINE (a
// charge or goods not on an order), NOT_RECEIVED (nothing accepted yet),
// OVER_BILLED_QUANTITY (billed so far beyond the accepted quantity), PRICE_VARIANCE
// (amount beyond both tolerances from quantity × order price). Bill checks:
// TOTAL_MISMATCH (total ≠ subtotal + tax beyond the total tolerance) and TAX_MISMATCH (tax
// beyond the same tolerance from the tax rate). Earlier bills claim received quantities
// first, so a second bill for the same goods is the one that is over-billed.
func (s *Service) match(ctx context.Context, tx *sqlx.Tx, id int64) (Bill, error) {
	b, err := loadBill(ctx, tx, id, true)
	if err != nil {
		return Bill{}, err
	}
	if b.Kind != KindBill {
		return b, nil
	}
	st, err := tolerancesIn(ctx, tx, b.Currency)
	if err != nil {
		return Bill{}, err
	}
	// Lock the order lines so that a receipt or another bill on them waits for this match
	// (and this one for theirs) instead of both seeing the goods as unbilled. NO KEY
	// UPDATE, because the bill lines' foreign keys already hold KEY SHARE on them (FOR
	// UPDATE would deadlock two bills entered at once).
	var locked []int64
	if err := tx.SelectContext(ctx, &locked, `SELECT ol.id FROM purchase_order_lines ol
		WHERE ol.id IN (SELECT order_line_id FROM supplier_bill_lines WHERE bill_id = $1) ORDER BY ol.id FOR NO KEY UPDATE`, b.ID); err != nil {
		return Bill{}, err
	}
	var all []string
	add := func(r Reason) {
		if !slices.Contains(all, string(r)) {
			all = append(all, string(r))
		}
	}
	for _, l := range b.Lines {
		var reasons []string
		if l.OrderLineID == nil {
			reasons = append(reasons, string(NoOrderLine))
		} else {
			var f orderLineFacts
			if err := tx.GetContext(ctx, &f, `
				SELECT ol.unit_cost,
				  coalesce((SELECT sum(gl.accepted) FROM goods_receipt_lines gl WHERE gl.order_line_id = ol.id), 0) AS accepted,
				  coalesce((SELECT sum(CASE WHEN x.kind = 'BILL' THEN xl.quantity ELSE -xl.quantity END)
				            FROM supplier_bill_lines xl JOIN supplier_bills x ON x.id = xl.bill_id
				            WHERE xl.order_line_id = ol.id AND x.status <> 'REJECTED'
				              AND coalesce(x.credits_bill_id, x.id) <= $2), 0) AS billed
				FROM purchase_order_lines ol WHERE ol.id = $1`, *l.OrderLineID, b.ID); err != nil {
				return Bill{}, err
			}
			switch {
			case f.Accepted == 0:
				reasons = append(reasons, string(NotReceived))
			case f.Billed > f.Accepted:
				reasons = append(reasons, string(OverBilledQuantity))
			}
			expected := minorTotal(l.Quantity, f.UnitCost, b.Currency)
			if v := abs(l.Amount - expected); v > st.PriceToleranceAmount || v > pctOf(expected, st.PriceTolerancePct) {
				reasons = append(reasons, string(PriceVariance))
			}
		}
		for _, r := range reasons {
			add(Reason(r))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supplier_bill_lines SET exceptions = $2 WHERE id = $1`,
			l.ID, pq.StringArray(nonNil(reasons))); err != nil {
			return Bill{}, err
		}
	}
	if abs(b.Total-(b.Subtotal+b.TaxAmount)) > st.TotalToleranceAmount {
		add(TotalMismatch)
	}
	if abs(b.TaxAmount-pctOf(b.Subtotal, st.TaxRatePct)) > st.TotalToleranceAmount {
		add(TaxMismatch)
	}
	if slices.Contains(rematchable, b.Status) {
		next := Matched
		if len(all) > 0 {
			next = Exception
			if b.Status == CreditRequested {
				next = CreditRequested
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supplier_bills SET status = $2, exceptions = $3, matched_at = now(),
			updated_at = now() WHERE id = $1`, b.ID, next, pq.StringArray(nonNil(all))); err != nil {
			return Bill{}, err
		}
	}
	return loadBill(ctx, tx, b.ID, false)
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// Rematch matches bill id again (after a receipt, or tolerances changed). Accountants and
// managers. Errors: NotFound.
func (s *Service) Rematch(ctx context.Context, id int64) (Bill, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Bill{}, err
	}
	var b Bill
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		b, err = s.match(ctx, tx, id)
		return err
	})
	return b, err
}

// RematchOrder matches again every open bill (MATCHED, EXCEPTION, CREDIT_REQUESTED) with
// a line on purchase order orderID, oldest first, as goods arriving later may clear
// NOT_RECEIVED and OVER_BILLED_QUANTITY. Call it after a receipt. Staff (the receiving
// job runs as the system). Returns the bills after matching.
func (s *Service) RematchOrder(ctx context.Context, orderID int64) ([]Bill, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var out []Bill
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT DISTINCT b.id FROM supplier_bills b
			JOIN supplier_bill_lines l ON l.bill_id = b.id JOIN purchase_order_lines ol ON ol.id = l.order_line_id
			WHERE ol.order_id = $1 AND b.kind = 'BILL' AND b.status = ANY($2) ORDER BY b.id`,
			orderID, pq.StringArray{string(Matched), string(Exception), string(CreditRequested)}); err != nil {
			return err
		}
		for _, id := range ids {
			b, err := s.match(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}
