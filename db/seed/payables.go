package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/payables"
)

// The demo bills, one for each thing an accountant does with them: a bill overdue and
// approved, waiting for the next payment run; one matched inside its early-payment
// discount window, waiting for someone other than who entered it to approve it; and one
// billing more than was delivered, in EXCEPTION on the reconciliation workbench.

type demoBill struct {
	number, order string // order is the purchase order's note
	daysAgo       int
	// billOrdered bills what was ordered, whatever arrived (else what was received).
	billOrdered bool
	approve     bool
}

var demoBills = []demoBill{
	{number: "FGW-2610-118", order: "Women's basics for the autumn window", daysAgo: 40, approve: true},
	{number: "LB-88213", order: "Hair care for the stores' shelves", daysAgo: 3},
	{number: "AFF-INV-5521", order: "Direct delivery of snacks to Xinyi", daysAgo: 1, billOrdered: true},
}

// loadBills enters the demo bills as the demo accountant (the manager approves), each at
// its order's prices with 5% tax, skipping those already there.
func loadBills(ctx context.Context, d *sqlx.DB) error {
	svc := payables.NewService(d)
	accountant, err := actingAs(ctx, d, "accountant")
	if err != nil {
		return err
	}
	manager, err := actingAs(ctx, d, "manager")
	if err != nil {
		return err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, b := range demoBills {
		var exists bool
		if err := d.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM supplier_bills WHERE number = $1)`, b.number); err != nil {
			return err
		}
		if exists {
			continue
		}
		var lines []struct {
			ID       int64           `db:"id"`
			SKU      string          `db:"sku"`
			Ordered  int             `db:"quantity"`
			Received int             `db:"received"`
			Cost     decimal.Decimal `db:"unit_cost"`
			Supplier int64           `db:"supplier_id"`
			Currency string          `db:"currency"`
		}
		if err := d.SelectContext(ctx, &lines, `SELECT ol.id, v.sku, ol.quantity, ol.unit_cost, o.supplier_id, o.currency,
			  coalesce((SELECT sum(gl.accepted) FROM goods_receipt_lines gl WHERE gl.order_line_id = ol.id), 0) AS received
			FROM purchase_order_lines ol JOIN purchase_orders o ON o.id = ol.order_id JOIN variants v ON v.id = ol.variant_id
			WHERE o.note = $1 ORDER BY ol.id`, b.order); err != nil {
			return err
		}
		if len(lines) == 0 {
			return fmt.Errorf("bill %s: no purchase order %q", b.number, b.order)
		}
		in := payables.BillInput{SupplierID: lines[0].Supplier, Number: b.number, Currency: lines[0].Currency,
			BillDate: today.AddDate(0, 0, -b.daysAgo)}
		var subtotal int64
		for _, l := range lines {
			qty := l.Received
			if b.billOrdered {
				qty = l.Ordered
			}
			in.Lines = append(in.Lines, payables.BillLineInput{OrderLineID: l.ID, Quantity: qty, UnitPrice: l.Cost})
			subtotal += decimal.NewFromInt(int64(qty)).Mul(l.Cost).Shift(2).Round(0).IntPart()
		}
		in.TaxAmount = decimal.NewFromInt(subtotal).Mul(decimal.RequireFromString("0.05")).Round(0).IntPart()
		in.Total = subtotal + in.TaxAmount
		bill, err := svc.EnterBill(accountant, in)
		if err != nil {
			return fmt.Errorf("bill %s: %w", b.number, err)
		}
		if b.approve {
			if _, err := svc.ApproveBill(manager, bill.ID); err != nil {
				return fmt.Errorf("approve bill %s: %w", b.number, err)
			}
		}
	}
	return nil
}
