package web

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/payables"
	"atrium/internal/purchasing"
	"atrium/internal/testdb"
)

// payablesApp is the back office with a TWD supplier on 2/10 net 30 selling two demo
// variants (NT$100 and NT$250.50 a unit), for the accounts payable pages. Bills are
// entered by the demo accountant and approved by the manager (someone else).
type payablesApp struct {
	*app
	supplier purchasing.Supplier
	// variants are the two variants the supplier sells, cheap one first.
	variants [2]int64
}

func newPayablesApp(t *testing.T) payablesApp {
	t.Helper()
	db := testdb.NewDemo(t)
	a := newAppWith(t, db, testDeps(db))
	p := payablesApp{app: a}
	sup, err := a.deps.Purchasing.CreateSupplier(p.as("buyer"), purchasing.SupplierInput{Code: "SUP-AP",
		Name: "Formosa Garments", Email: "ap@formosa.example", Currency: "TWD", Active: true, LeadTimeDays: 10,
		PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 30, DiscountPct: decimal.NewFromInt(2), DiscountDays: 10}})
	if err != nil {
		t.Fatal(err)
	}
	p.supplier = sup
	var ids []int64
	if err := db.Select(&ids, `SELECT id FROM variants ORDER BY id LIMIT 2`); err != nil || len(ids) != 2 {
		t.Fatalf("two demo variants: %v", err)
	}
	for i, cost := range []string{"100", "250.50"} {
		p.variants[i] = ids[i]
		if _, err := a.deps.Purchasing.SetSupplierItem(p.as("buyer"), purchasing.SupplierItemInput{SupplierID: sup.ID,
			VariantID: ids[i], SupplierSKU: fmt.Sprintf("FG-%d", i+1), UnitCost: decimal.RequireFromString(cost),
			PackSize: 1, MinOrderQty: 1, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// as acts as the demo staff member login through the services.
func (p payablesApp) as(login string) context.Context { return staffContext(p.t, p.app, login) }

// sentOrder is an order to WH-TAO of qty[i] units of variants[i] (0: no line), submitted
// by the buyer, approved by the manager and sent.
func (p payablesApp) sentOrder(t *testing.T, qty ...int) purchasing.Order {
	t.Helper()
	svc := p.deps.Purchasing
	var lines []purchasing.LineInput
	for i, q := range qty {
		if q > 0 {
			lines = append(lines, purchasing.LineInput{VariantID: p.variants[i], Quantity: q})
		}
	}
	o, err := svc.CreateOrder(p.as("buyer"), purchasing.OrderInput{SupplierID: p.supplier.ID,
		LocationID: locationID(t, p.app, "WH-TAO"), Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(p.as("buyer"), o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(p.as("manager"), o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if o, err = svc.Send(p.as("buyer"), o.ID, purchasing.SendInput{}); err != nil {
		t.Fatal(err)
	}
	return o
}

var payablesSerial atomic.Int64

// receive records accepted units of variants[i] on order o.
func (p payablesApp) receive(t *testing.T, o purchasing.Order, i, accepted int) {
	t.Helper()
	if _, err := p.deps.Purchasing.Receive(p.as("manager"), purchasing.ReceiptInput{
		IdempotencyKey: fmt.Sprintf("web-ap-%d", payablesSerial.Add(1)), OrderID: o.ID,
		Lines: []purchasing.ReceiptLineInput{{VariantID: p.variants[i], Accepted: accepted}}}); err != nil {
		t.Fatal(err)
	}
}

// lineOf is the id of o's line for variants[i].
func (p payablesApp) lineOf(t *testing.T, o purchasing.Order, i int) int64 {
	t.Helper()
	for _, l := range o.Lines {
		if l.VariantID == p.variants[i] {
			return l.ID
		}
	}
	t.Fatalf("order %d has no line for variant %d", o.ID, p.variants[i])
	return 0
}

// billLine is a bill line of qty units at price (major units) on an order line.
func billLine(orderLine int64, qty int, price string) payables.BillLineInput {
	return payables.BillLineInput{OrderLineID: orderLine, Quantity: qty, UnitPrice: decimal.RequireFromString(price)}
}

// enterBill enters, as the accountant, a TWD bill of lines dated daysAgo with 5% tax and a
// consistent total, numbered uniquely.
func (p payablesApp) enterBill(t *testing.T, daysAgo int, lines ...payables.BillLineInput) payables.Bill {
	t.Helper()
	y, m, d := time.Now().UTC().Date()
	in := payables.BillInput{SupplierID: p.supplier.ID, Number: fmt.Sprintf("INV-%d", payablesSerial.Add(1)),
		BillDate: time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -daysAgo), Currency: "TWD", Lines: lines}
	var sub int64
	for _, l := range lines {
		sub += decimal.NewFromInt(int64(l.Quantity)).Mul(l.UnitPrice).Shift(2).Round(0).IntPart()
	}
	in.TaxAmount = decimal.NewFromInt(sub).Mul(decimal.RequireFromString("0.05")).Round(0).IntPart()
	in.Total = sub + in.TaxAmount
	b, err := p.deps.Payables.EnterBill(p.as("accountant"), in)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
