package graph

import "testing"

// TestRecordPaymentWithPoints: a member pays part of their own web order with points, the
// programme's limits come back as userErrors on input.points, and staff take points at
// the till without an amount (the points' value is applied).
func TestRecordPaymentWithPoints(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	manager, associate, mei := a.token("manager"), a.token("associate"), a.token("customer")
	if added := a.adjustPoints(manager, f.mei, 1000, "welcome points"); added.Entry == nil {
		t.Fatalf("adjust points: %+v", added)
	}
	sku := f.variant(40000, map[string]int{"WH-TAO": 5, "TPE-01": 5})
	online := a.mustPlace(mei, shipOrder("WEB", sku, 1))

	for _, tt := range []struct {
		name   string
		points int
		code   string
	}{
		{"below the minimum", 99, "BELOW_MINIMUM"},
		{"more than half the total", int(online.Total.Amount/2/100) + 1, "ABOVE_LIMIT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := a.recordPayment(mei, map[string]any{"orderId": online.ID, "idempotencyKey": newKey(), "method": "POINTS",
				"points": tt.points})
			if res.Payment != nil || !hasUserError(res.UserErrors, tt.code, "input", "points") {
				t.Errorf("got %+v, want %s on input.points", res.UserErrors, tt.code)
			}
		})
	}
	res := a.recordPayment(mei, map[string]any{"orderId": online.ID, "idempotencyKey": newKey(), "method": "POINTS", "points": 150})
	if len(res.UserErrors) > 0 || res.Payment == nil || res.Payment.Method != "POINTS" || res.Payment.Amount.Amount != 15000 ||
		res.Order.PaymentStatus != "PARTIALLY_PAID" || res.Order.Due.Amount != online.Total.Amount-15000 {
		t.Fatalf("points payment online: %+v", res)
	}

	sale := a.mustPlace(associate, map[string]any{"idempotencyKey": newKey(), "channel": "POS", "locationId": f.loc["TPE-01"],
		"customerId": f.mei, "lines": lineInputs(sku, 1), "fulfillment": map[string]any{"method": "CARRY_OUT"}})
	res = a.recordPayment(associate, map[string]any{"orderId": sale.ID, "idempotencyKey": newKey(), "method": "POINTS", "points": 200})
	if len(res.UserErrors) > 0 || res.Payment == nil || res.Payment.Amount.Amount != 20000 || res.Payment.Reference == nil ||
		*res.Payment.Reference != "200 points" {
		t.Fatalf("points payment at the till: %+v", res)
	}
	if again := a.recordPayment(associate, map[string]any{"orderId": sale.ID, "idempotencyKey": newKey(), "method": "POINTS",
		"points": 100}); !hasUserError(again.UserErrors, "ALREADY_REDEEMED", "input", "points") {
		t.Errorf("second points payment: %+v, want ALREADY_REDEEMED", again.UserErrors)
	}
	if cash := a.recordPayment(associate, map[string]any{"orderId": sale.ID, "idempotencyKey": newKey(), "method": "CASH"}); !hasUserError(cash.UserErrors, "INVALID", "input", "amount") {
		t.Errorf("cash without an amount: %+v, want INVALID on input.amount", cash.UserErrors)
	}
}
