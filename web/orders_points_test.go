package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atrium/internal/order"
)

// TestOrderPaymentWithPoints: the counter's payment form takes a member's points: the
// programme's limits are shown on the points box, and the points' value is applied.
func TestOrderPaymentWithPoints(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	var mei int64
	if err := a.db.Get(&mei, `SELECT id FROM customers WHERE email = 'mei.lin@example.com'`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.deps.Loyalty.Adjust(staffContext(t, a.app, "manager"), mei, 1000, "welcome points"); err != nil {
		t.Fatal(err)
	}
	sale, err := a.deps.Orders.PlaceOrder(staffContext(t, a.app, "associate"), order.PlaceOrderInput{
		IdempotencyKey: newIdempotencyKey(), Channel: order.POS, LocationID: a.tpe, CustomerID: mei,
		Lines: []order.LineInput{line(a.v1, 1)}, Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	if err != nil {
		t.Fatal(err)
	}
	money := func(n int64) string { return formatMoney(n, sale.Currency) }
	associate := a.signedIn("associate")
	page := associate.get(orderURL(sale.ID)).wantStatus(http.StatusOK).wantContains(`<option value="POINTS">`, "Loyalty points")
	key := page.values("idempotencyKey")[0]
	if len(page.inputs("points")) != 1 {
		t.Fatal("the payment form has no points box")
	}
	post := func(points string) *response {
		return associate.post(orderURL(sale.ID)+"/payments", url.Values{"idempotencyKey": {key}, "method": {"POINTS"},
			"amount": {formatAmountInput(sale.Total, sale.Currency)}, "points": {points}})
	}
	for _, tt := range []struct{ name, points, want string }{
		{"below the minimum", "50", "redeem at least 100 points"},
		{"more than half the total", "100000", "at most"},
		{"not a number", "many", "whole number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := post(tt.points).wantStatus(http.StatusUnprocessableEntity)
			if msg := res.byID(errorID("points")); !strings.Contains(msg, tt.want) {
				t.Fatalf("points error %q, want it to say %q", msg, tt.want)
			}
			if res.values("points")[0] != tt.points {
				t.Fatal("the form lost the points typed")
			}
		})
	}
	t.Run("points with cash", func(t *testing.T) {
		res := associate.post(orderURL(sale.ID)+"/payments", url.Values{"idempotencyKey": {key}, "method": {"CASH"},
			"amount": {formatAmountInput(sale.Total, sale.Currency)}, "points": {"150"}}).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("points")); !strings.Contains(msg, "only when paying with points") {
			t.Fatalf("points error %q", msg)
		}
	})

	res := post("100").wantRedirect(orderURL(sale.ID) + "?payment=*")
	paid := associate.get(res.Header.Get("Location")).wantStatus(http.StatusOK)
	if rows := paid.rows("payments"); len(rows) != 1 || rows[0][1] != "Loyalty points" || rows[0][2] != money(10000) {
		t.Fatalf("payments %q, want NT$100 in loyalty points", rows)
	}
	d := a.order(t, sale.ID)
	if d.Paid != 10000 || d.PaymentStatus != order.PartiallyPaid {
		t.Fatalf("order paid %d (%s), want 10000", d.Paid, d.PaymentStatus)
	}
	s, err := a.deps.Loyalty.Summary(system(), mei)
	if err != nil || s.Balance != 900 {
		t.Errorf("balance %+v, %v; want 900", s, err)
	}
}
