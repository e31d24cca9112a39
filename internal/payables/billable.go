package payables

import (
	"context"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
)

// BillableLine is a purchase order line a supplier bill may claim, with what was ordered,
// received and billed so far, so a bill entry form can propose what is left to bill.
type BillableLine struct {
	OrderID     int64  `db:"order_id" json:"orderId"`
	OrderStatus string `db:"order_status" json:"orderStatus"`
	OrderLineID int64  `db:"order_line_id" json:"orderLineId"`
	Position    int    `db:"position" json:"position"`
	SKU         string `db:"sku" json:"sku"`
	SupplierSKU string `db:"supplier_sku" json:"supplierSku"`
	Product     string `db:"product" json:"product"`
	Title       string `db:"title" json:"title"`
	Currency    string `db:"currency" json:"currency"`
	Ordered     int    `db:"ordered" json:"ordered"`
	// UnitCost is the order price in major units of Currency.
	UnitCost decimal.Decimal `db:"unit_cost" json:"unitCost"`
	// Received is the accepted quantity so far; Billed what bills that are not rejected
	// claimed of it, less credit notes against them (as the match counts them).
	Received int `db:"received" json:"received"`
	Billed   int `db:"billed" json:"billed"`
}

// Unbilled is what was received and not billed yet: what a bill arriving now most
// likely claims.
func (l BillableLine) Unbilled() int { return max(0, l.Received-l.Billed) }

// maxBillableOrders bounds the orders BillableLines proposes; older ones are still
// billable by their order line (or a CSV import).
const maxBillableOrders = 100

// BillableLines returns every line of supplierID's orders that still have something to
// bill, most recent order first (at most 100 orders), lines in order: an approved, sent
// or partly received order while less than ordered is billed, a received or closed
// order while less than received is. The order lines in keep come too whatever is left
// on them (a form shown again keeps its rows). Accountants and managers.
func (s *Service) BillableLines(ctx context.Context, supplierID int64, keep ...int64) ([]BillableLine, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	if keep == nil {
		keep = []int64{}
	}
	var out []BillableLine
	err := s.db.SelectContext(ctx, &out, `
		WITH l AS (
		  SELECT ol.order_id, o.status AS order_status, ol.id AS order_line_id, ol.position, v.sku, ol.supplier_sku,
		    p.title AS product, v.title, o.currency, ol.quantity AS ordered, ol.unit_cost,
		    coalesce((SELECT sum(gl.accepted) FROM goods_receipt_lines gl WHERE gl.order_line_id = ol.id), 0) AS received,
		    coalesce((SELECT sum(CASE WHEN x.kind = 'BILL' THEN xl.quantity ELSE -xl.quantity END)
		              FROM supplier_bill_lines xl JOIN supplier_bills x ON x.id = xl.bill_id
		              WHERE xl.order_line_id = ol.id AND x.status <> 'REJECTED'), 0) AS billed
		  FROM purchase_order_lines ol JOIN purchase_orders o ON o.id = ol.order_id
		    JOIN variants v ON v.id = ol.variant_id JOIN products p ON p.id = v.product_id
		  WHERE o.supplier_id = $1 AND o.status IN ('APPROVED', 'SENT', 'PARTIALLY_RECEIVED', 'RECEIVED', 'CLOSED')
		), open AS (
		  SELECT DISTINCT order_id FROM l
		  WHERE billed < received OR (order_status IN ('APPROVED', 'SENT', 'PARTIALLY_RECEIVED') AND billed < ordered)
		  ORDER BY order_id DESC LIMIT $3
		)
		SELECT * FROM l WHERE order_id IN (SELECT order_id FROM open) OR order_line_id = ANY($2)
		ORDER BY order_id DESC, position`, supplierID, pq.Int64Array(keep), maxBillableOrders)
	return out, err
}
