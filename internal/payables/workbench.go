package payables

import (
	"context"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
)

// LineComparison puts a bill line beside its order line and receipts, for the
// reconciliation workbench.
type LineComparison struct {
	Line BillLine `json:"line"`
	// The order line (zero values for a charge not on an order).
	OrderID       int64           `db:"order_id" json:"orderId"`
	SKU           string          `db:"sku" json:"sku"`
	Ordered       int             `db:"ordered" json:"ordered"`
	OrderUnitCost decimal.Decimal `db:"unit_cost" json:"orderUnitCost"`
	// Received is the accepted quantity so far; BilledBefore what earlier bills (less
	// their credit notes) already claimed of it.
	Received     int `db:"received" json:"received"`
	BilledBefore int `db:"billed_before" json:"billedBefore"`
	// Credited is the quantity of the order line that credit notes against this bill
	// (not rejected) took back.
	Credited int `db:"credited" json:"credited"`
	// Expected is quantity × order price; Variance the line amount less it (minor units).
	Expected int64 `json:"expected"`
	Variance int64 `json:"variance"`
}

// BilledSoFar is what the match counts as billed on the order line up to this bill:
// earlier bills, this line, less this bill's credit notes. Beyond Received it is
// OVER_BILLED_QUANTITY.
func (lc LineComparison) BilledSoFar() int { return lc.BilledBefore + lc.Line.Quantity - lc.Credited }

// ReceiptRow is one receipt line of an order on the bill.
type ReceiptRow struct {
	ReceiptID   int64     `db:"receipt_id" json:"receiptId"`
	OrderID     int64     `db:"order_id" json:"orderId"`
	OrderLineID int64     `db:"order_line_id" json:"orderLineId"`
	SKU         string    `db:"sku" json:"sku"`
	Accepted    int       `db:"accepted" json:"accepted"`
	Rejected    int       `db:"rejected" json:"rejected"`
	ReceivedAt  time.Time `db:"received_at" json:"receivedAt"`
}

// Comparison is a bill with everything its match looked at: each line against its order
// line, the receipts of its orders, the expected tax and how far the total is from
// subtotal + tax, and the tolerances in force.
type Comparison struct {
	Bill            Bill             `json:"bill"`
	Lines           []LineComparison `json:"lines"`
	Receipts        []ReceiptRow     `json:"receipts"`
	ExpectedTax     int64            `json:"expectedTax"`
	TotalDifference int64            `json:"totalDifference"`
	// Settings are the tolerances in force, the absolute ones in the bill's currency.
	Settings Settings `json:"settings"`
	// EnteredByName and ApprovedByName are the staff behind EnteredBy and ApprovedBy ("" for none).
	EnteredByName  string `json:"enteredByName"`
	ApprovedByName string `json:"approvedByName"`
	// CreditNotes are the credit notes against the bill (without their lines), oldest first.
	CreditNotes []Bill `json:"creditNotes"`
	// Payments are the payments on the bill, oldest first.
	Payments []Payment `json:"payments"`
	// History is what was decided on the bill and its credit notes, from the audit log,
	// oldest first.
	History []Event `json:"history"`
}

// Event is one audited step in a bill's life: entry, acceptance, credit request,
// rejection, approval, a payment, or a credit note against it.
type Event struct {
	At time.Time `db:"at" json:"at"`
	// Action is the audit action: payables.bill_entered, payables.variance_accepted,
	// payables.credit_requested, payables.bill_rejected, payables.bill_approved or
	// payables.payment_recorded.
	Action string `db:"action" json:"action"`
	// BillID is the bill or, for its credit notes' entries, the credit note.
	BillID int64  `db:"bill_id" json:"billId"`
	By     string `db:"actor_name" json:"by"`
	Reason string `db:"reason" json:"reason"`
}

// Compare returns bill id beside its orders and receipts, so an accountant sees every
// difference the match found and why, with its credit notes, payments and history.
// Accountants and managers. Errors: NotFound.
func (s *Service) Compare(ctx context.Context, id int64) (Comparison, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Comparison{}, err
	}
	b, err := loadBill(ctx, s.db, id, false)
	if err != nil {
		return Comparison{}, err
	}
	st, err := tolerancesIn(ctx, s.db, b.Currency)
	if err != nil {
		return Comparison{}, err
	}
	c := Comparison{Bill: b, Settings: st, ExpectedTax: pctOf(b.Subtotal, st.TaxRatePct),
		TotalDifference: b.Total - b.Subtotal - b.TaxAmount}
	var orders []int64
	for _, l := range b.Lines {
		lc := LineComparison{Line: l}
		if l.OrderLineID != nil {
			if err := s.db.GetContext(ctx, &lc, `
				SELECT ol.order_id, v.sku, ol.quantity AS ordered, ol.unit_cost,
				  coalesce((SELECT sum(gl.accepted) FROM goods_receipt_lines gl WHERE gl.order_line_id = ol.id), 0) AS received,
				  coalesce((SELECT sum(CASE WHEN x.kind = 'BILL' THEN xl.quantity ELSE -xl.quantity END)
				            FROM supplier_bill_lines xl JOIN supplier_bills x ON x.id = xl.bill_id
				            WHERE xl.order_line_id = ol.id AND x.status <> 'REJECTED'
				              AND coalesce(x.credits_bill_id, x.id) < $2), 0) AS billed_before,
				  coalesce((SELECT sum(xl.quantity) FROM supplier_bill_lines xl JOIN supplier_bills x ON x.id = xl.bill_id
				            WHERE xl.order_line_id = ol.id AND x.status <> 'REJECTED' AND x.credits_bill_id = $2), 0) AS credited
				FROM purchase_order_lines ol JOIN variants v ON v.id = ol.variant_id WHERE ol.id = $1`,
				*l.OrderLineID, b.ID); err != nil {
				return Comparison{}, err
			}
			lc.Expected = minorTotal(l.Quantity, lc.OrderUnitCost, b.Currency)
			lc.Variance = l.Amount - lc.Expected
			orders = append(orders, lc.OrderID)
		}
		c.Lines = append(c.Lines, lc)
	}
	if len(orders) > 0 {
		if err := s.db.SelectContext(ctx, &c.Receipts, `SELECT g.id AS receipt_id, g.order_id, gl.order_line_id, v.sku,
			gl.accepted, gl.rejected, g.received_at
			FROM goods_receipts g JOIN goods_receipt_lines gl ON gl.receipt_id = g.id JOIN variants v ON v.id = gl.variant_id
			WHERE g.order_id = ANY($1) ORDER BY g.received_at, gl.id`, pq.Int64Array(orders)); err != nil {
			return Comparison{}, err
		}
	}
	if err := s.history(ctx, &c); err != nil {
		return Comparison{}, err
	}
	return c, nil
}

// history fills in who entered and approved c's bill, its credit notes, payments and
// audited events.
func (s *Service) history(ctx context.Context, c *Comparison) error {
	b := c.Bill
	if err := s.db.QueryRowxContext(ctx, `SELECT coalesce((SELECT name FROM staff WHERE id = $1), ''),
		coalesce((SELECT name FROM staff WHERE id = $2), '')`, b.EnteredBy, b.ApprovedBy).Scan(&c.EnteredByName, &c.ApprovedByName); err != nil {
		return err
	}
	if err := s.db.SelectContext(ctx, &c.CreditNotes, `SELECT `+billColumns+billFrom+`
		WHERE b.credits_bill_id = $1 ORDER BY b.bill_date, b.id`, b.ID); err != nil {
		return err
	}
	if err := s.db.SelectContext(ctx, &c.Payments, `SELECT `+paymentColumns+` FROM supplier_payments p
		JOIN supplier_bills b ON b.id = p.bill_id WHERE p.bill_id = $1 ORDER BY p.paid_on, p.id`, b.ID); err != nil {
		return err
	}
	ids := pq.Int64Array{b.ID}
	for _, cn := range c.CreditNotes {
		ids = append(ids, cn.ID)
	}
	// The staff member's name, not the login the audit log keeps, where there is one.
	return s.db.SelectContext(ctx, &c.History, `SELECT a.at, a.action, a.entity_id AS bill_id,
		coalesce(st.name, a.actor_name) AS actor_name, a.reason
		FROM audit_log a LEFT JOIN staff st ON st.id = a.actor_id AND a.actor_kind = 'STAFF'
		WHERE a.entity = 'supplier_bill' AND a.entity_id = ANY($1) ORDER BY a.at, a.id`, ids)
}
