package order_test

import (
	"context"
	"sync"
	"testing"

	"atrium/internal/apperr"
	"atrium/internal/loyalty"
	"atrium/internal/order"
)

// A till sale paid in cash and card: change for cash, PARTIALLY_PAID then PAID, and
// COMPLETED since the goods are already handed over.
func TestPaymentsAtTheTill(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 35000, map[string]int{"TPE-01": 5})
	till := f.as("associate")
	o := f.place(t, till, order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS, LocationID: f.loc["TPE-01"].ID,
		Lines: []order.LineInput{line(sku, 2)}, Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})

	cash := order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Cash, Amount: 50000, Tendered: 100000}
	res, err := f.svc.RecordPayment(till, cash)
	must(t, err)
	p := res.Payment
	if p.ChangeGiven != 50000 || p.Tendered == nil || *p.Tendered != 100000 || res.Order.PaymentStatus != order.PartiallyPaid ||
		res.Order.Due() != 20000 || res.Order.Status != order.Open {
		t.Errorf("payment %+v, order %+v: want 50000 change and 20000 still due", p, res.Order)
	}
	again, err := f.svc.RecordPayment(till, cash)
	must(t, err)
	if !again.Replayed || again.Payment.ID != p.ID || again.Order.Paid != 50000 {
		t.Errorf("retry %+v, want the first payment replayed", again)
	}
	cash.Amount = 1
	_, err = f.svc.RecordPayment(till, cash)
	wantErr(t, err, order.ReasonConflict, "idempotencyKey")

	_, err = f.svc.RecordPayment(till, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Card, Amount: 20001})
	wantErr(t, err, "INVALID", "amount")
	res, err = f.svc.RecordPayment(till, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Card,
		Amount: 20000, Reference: "slip 0042"})
	must(t, err)
	if res.Order.PaymentStatus != order.Paid || res.Order.Status != order.Completed || res.Payment.ChangeGiven != 0 ||
		res.Payment.ProviderReference != "slip 0042" {
		t.Errorf("payment %+v, order %+v: want PAID and COMPLETED", res.Payment, res.Order)
	}
	d := f.detail(t, o.ID)
	if len(d.Payments) != 2 || !hasEvent(d, order.EventPaid) || !hasEvent(d, order.EventCompleted) {
		t.Errorf("payments %+v, events %+v: want two payments, PAID and COMPLETED", d.Payments, d.Events)
	}
}

// declining refuses references starting with "bad".
type declining struct{}

func (declining) Confirm(_ context.Context, p order.PaymentRequest) (order.Confirmation, error) {
	if len(p.Reference) >= 3 && p.Reference[:3] == "bad" {
		return order.Confirmation{}, apperr.Invalid("", "the card was declined")
	}
	return order.Confirmation{ProviderReference: "psp-" + p.Reference}, nil
}

// A customer pays their own online order through the provider, once, however often the
// app retries; other methods and other people's orders are not theirs to record.
func TestOnlinePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	deps := f.deps
	deps.Payments = declining{}
	svc := order.NewService(f.db, deps, order.DefaultConfig())
	sku, _ := f.variant(t, 120000, map[string]int{"WH-TAO": 5})
	mei := f.customer(f.mei)
	in := shipInput(taipei(), line(sku, 1))
	o := f.place(t, mei, in)

	_, err := svc.RecordPayment(mei, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Online,
		Amount: o.Total, Reference: "bad-1"})
	wantErr(t, err, "INVALID", "reference")
	_, err = svc.RecordPayment(mei, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Cash, Amount: 1})
	wantErr(t, err, "FORBIDDEN", "")
	_, err = svc.RecordPayment(f.customer(f.david), order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(),
		Method: order.Online, Amount: 1, Reference: "x"})
	wantErr(t, err, "NOT_FOUND", "")

	pay := order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Online, Amount: o.Total, Reference: "tx-9"}
	var wg sync.WaitGroup
	results := make([]order.PaymentResult, 10)
	for i := range results {
		wg.Go(func() {
			var err error
			results[i], err = svc.RecordPayment(mei, pay)
			if err != nil {
				t.Errorf("payment %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	fresh := 0
	for _, r := range results {
		if !r.Replayed {
			fresh++
		}
		if r.Payment.ID != results[0].Payment.ID || r.Order.PaymentStatus != order.Paid || r.Payment.ProviderReference != "psp-tx-9" {
			t.Errorf("result %+v, want the one payment confirmed by the provider and the order PAID", r)
		}
	}
	d := f.detail(t, o.ID)
	if fresh != 1 || len(d.Payments) != 1 || d.Paid != o.Total || d.Status != order.Open {
		t.Errorf("%d fresh results, payments %+v, order %+v: want one payment, paid, still open (not shipped)", fresh, d.Payments, d.Order)
	}
}

// A member's till sale earns loyalty points when it becomes PAID, once, whatever the
// retries; a guest's earns none.
func TestPaidOrdersEarnPoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	points := loyalty.NewService(f.db)
	f.deps.Points = points
	svc := order.NewService(f.db, f.deps, order.DefaultConfig())
	sku, _ := f.variant(t, 35000, map[string]int{"TPE-01": 5})
	till := f.as("associate")
	o := f.place(t, till, order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS, LocationID: f.loc["TPE-01"].ID,
		CustomerID: f.mei, Lines: []order.LineInput{line(sku, 2)}, Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	before, err := points.Summary(system, f.mei)
	must(t, err)

	half := order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Card, Amount: o.Total / 2, Reference: "slip 1"}
	_, err = svc.RecordPayment(till, half)
	must(t, err)
	if s, err := points.Summary(system, f.mei); err != nil || s.Balance != before.Balance {
		t.Fatalf("balance after a part payment = %+v, %v; want unchanged %d", s, err, before.Balance)
	}
	rest := order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Card, Amount: o.Total - o.Total/2, Reference: "slip 2"}
	_, err = svc.RecordPayment(till, rest)
	must(t, err)
	_, err = svc.RecordPayment(till, rest) // a retry earns nothing more
	must(t, err)
	after, err := points.Summary(system, f.mei)
	must(t, err)
	// NT$700 at NT$100 a point (the demo's earn rule), times the member's tier multiplier (≥ 1).
	if earned := after.Balance - before.Balance; earned < 7 {
		t.Errorf("earned %d points on NT$700, want at least 7", earned)
	}
	var accruals int
	must(t, f.db.Get(&accruals, `SELECT count(*) FROM loyalty_entries WHERE order_id = $1 AND kind = 'EARN'`, o.ID))
	if accruals != 1 {
		t.Errorf("%d accruals for the order, want 1", accruals)
	}
}
