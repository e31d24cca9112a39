package order_test

import (
	"context"
	"strings"
	"testing"

	"atrium/internal/loyalty"
	"atrium/internal/order"
)

// loyaltyFixture is the fixture with the loyalty programme wired in (points earned, tier
// benefits, POINTS payments), the default free shipping raised to NT$2,000 so that
// Silver's NT$1,500 threshold is the lower one.
func loyaltyFixture(t *testing.T) (*fixture, *order.Service, *loyalty.Service) {
	t.Helper()
	f := newFixture(t)
	points := loyalty.NewService(f.db)
	f.deps.Points = points
	cfg := order.DefaultConfig()
	cfg.FreeShippingFrom = 200000
	f.svc = order.NewService(f.db, f.deps, cfg)
	return f, f.svc, points
}

// setTier puts a customer in a tier (as a recalculation from their spend would).
func (f *fixture) setTier(t testing.TB, customerID int64, tier string) {
	t.Helper()
	_, err := f.db.Exec(`INSERT INTO loyalty_accounts (customer_id, tier) VALUES ($1, $2)
		ON CONFLICT (customer_id) DO UPDATE SET tier = excluded.tier`, customerID, tier)
	must(t, err)
}

// givePoints credits points to a customer by a manager's adjustment.
func (f *fixture) givePoints(t testing.TB, points *loyalty.Service, customerID, n int64) {
	t.Helper()
	_, err := points.Adjust(f.as("manager"), customerID, n, "test points")
	must(t, err)
}

func balance(t testing.TB, points *loyalty.Service, customerID int64) int64 {
	t.Helper()
	s, err := points.Summary(system, customerID)
	must(t, err)
	return s.Balance
}

func placedEvent(t testing.TB, d order.Detail) order.Event {
	t.Helper()
	for _, e := range d.Events {
		if e.Kind == order.EventPlaced {
			return e
		}
	}
	t.Fatalf("no PLACED event in %+v", d.Events)
	return order.Event{}
}

// A Silver or Gold member's tier discount comes off the merchandise after coupons, spread
// over the lines, and their tier's free-shipping threshold applies when lower than the
// shop's; in every channel. Guests and Members (no benefits) pay as before.
func TestTierBenefitsInPricing(t *testing.T) {
	t.Parallel()
	f, svc, _ := loyaltyFixture(t)
	a, _ := f.variant(t, 40000, map[string]int{"WH-TAO": 50, "TPE-01": 50})
	b, _ := f.variant(t, 12345, map[string]int{"WH-TAO": 50, "TPE-01": 50})
	f.coupon(t, "TENOFF", nil)
	f.setTier(t, f.mei, "SILVER") // 3% off, free shipping from NT$1,500
	f.setTier(t, f.david, "GOLD") // 5% off, always free shipping
	var member int64
	must(t, f.db.Get(&member, `INSERT INTO customers (email, name) VALUES ('member.only@example.com', 'Member Only') RETURNING id`))
	f.setTier(t, member, "MEMBER")
	till := f.as("associate")
	pos := func(customer int64, lines ...order.LineInput) (context.Context, order.PlaceOrderInput) {
		return till, order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS, LocationID: f.loc["TPE-01"].ID,
			CustomerID: customer, Lines: lines, Fulfilment: order.FulfilmentInput{Method: order.CarryOut}}
	}
	web := func(customer int64, coupons []string, lines ...order.LineInput) (context.Context, order.PlaceOrderInput) {
		in := shipInput(taipei(), lines...)
		in.Email, in.CouponCodes = "", coupons
		return f.customer(customer), in
	}
	guestWeb := func(lines ...order.LineInput) (context.Context, order.PlaceOrderInput) {
		return guest, shipInput(taipei(), lines...)
	}
	tests := []struct {
		name                      string
		ctx                       context.Context
		in                        order.PlaceOrderInput
		discount, shipping, total int64
		lineDiscounts             []int64
		tier                      string // in the PLACED event; "" none
		tierDiscount              int64
		message                   string
	}{
		{name: "guest on the web pays as before", discount: 0, shipping: 8000, total: 88000, lineDiscounts: []int64{0}},
		{name: "member tier gives nothing", discount: 0, shipping: 8000, total: 88000, lineDiscounts: []int64{0}},
		{name: "silver on the web below its threshold", discount: 2400, shipping: 8000, total: 85600,
			lineDiscounts: []int64{2400}, tier: "SILVER", tierDiscount: 2400, message: "Silver member: NT$24 tier discount (3%)."},
		{name: "silver on the web ships free from its threshold", discount: 4800, shipping: 0, total: 155200,
			lineDiscounts: []int64{4800}, tier: "SILVER", tierDiscount: 4800, message: "tier discount (3%) and free shipping."},
		// 10% of NT$923.45 (9235, spread 8000 + 1235), then 3% of the NT$831.10 left (2493, spread 2160 + 333).
		{name: "silver after a coupon, spread over the lines", discount: 9235 + 2493, shipping: 8000,
			total: 92345 - 9235 - 2493 + 8000, lineDiscounts: []int64{8000 + 2160, 1235 + 333}, tier: "SILVER", tierDiscount: 2493},
		{name: "gold on the web always ships free", discount: 2000, shipping: 0, total: 38000,
			lineDiscounts: []int64{2000}, tier: "GOLD", tierDiscount: 2000, message: "Gold member: NT$20 tier discount (5%) and free shipping."},
		{name: "gold at the till", discount: 2617, shipping: 0, total: 52345 - 2617, lineDiscounts: []int64{2000, 617},
			tier: "GOLD", tierDiscount: 2617},
		{name: "silver placed by staff for the customer", discount: 1200, shipping: 0, total: 38800,
			lineDiscounts: []int64{1200}, tier: "SILVER", tierDiscount: 1200},
		{name: "guest at the till pays as before", discount: 0, shipping: 0, total: 40000, lineDiscounts: []int64{0}},
	}
	setups := []func() (context.Context, order.PlaceOrderInput){
		func() (context.Context, order.PlaceOrderInput) { return guestWeb(line(a, 2)) },
		func() (context.Context, order.PlaceOrderInput) { return web(member, nil, line(a, 2)) },
		func() (context.Context, order.PlaceOrderInput) { return web(f.mei, nil, line(a, 2)) },
		func() (context.Context, order.PlaceOrderInput) { return web(f.mei, nil, line(a, 4)) },
		func() (context.Context, order.PlaceOrderInput) {
			return web(f.mei, []string{"TENOFF"}, line(a, 2), line(b, 1))
		},
		func() (context.Context, order.PlaceOrderInput) { return web(f.david, nil, line(a, 1)) },
		func() (context.Context, order.PlaceOrderInput) { return pos(f.david, line(a, 1), line(b, 1)) },
		func() (context.Context, order.PlaceOrderInput) { return pos(f.mei, line(a, 1)) },
		func() (context.Context, order.PlaceOrderInput) { return pos(0, line(a, 1)) },
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, in := setups[i]()
			o := f.place(t, ctx, in)
			if o.Discount != tt.discount || o.Shipping != tt.shipping || o.Total != tt.total || o.Total != o.Subtotal-o.Discount+o.Shipping {
				t.Errorf("order %+v: want discount %d, shipping %d, total %d", o, tt.discount, tt.shipping, tt.total)
			}
			d, err := svc.Detail(system, o.ID)
			must(t, err)
			var got []int64
			for _, l := range d.Lines {
				got = append(got, l.Discount)
			}
			if len(got) != len(tt.lineDiscounts) {
				t.Fatalf("line discounts %v, want %v", got, tt.lineDiscounts)
			}
			for j := range got {
				if got[j] != tt.lineDiscounts[j] {
					t.Errorf("line discounts %v, want %v", got, tt.lineDiscounts)
				}
			}
			e := placedEvent(t, d)
			tier, _ := e.Data["tier"].(string)
			disc, _ := e.Data["tierDiscount"].(float64)
			if tier != tt.tier || int64(disc) != tt.tierDiscount {
				t.Errorf("PLACED data %v: want tier %q with discount %d", e.Data, tt.tier, tt.tierDiscount)
			}
			if tt.message != "" && !strings.Contains(e.Message, tt.message) {
				t.Errorf("PLACED message %q, want it to contain %q", e.Message, tt.message)
			}
			if tt.tier == "" && strings.Contains(e.Message, "member:") {
				t.Errorf("PLACED message %q names a tier", e.Message)
			}
		})
	}
}

// Points pay part of an order at the till and online, within the programme's limits
// (at least 100 points, at most half the total, never more than is due), once per order;
// cancelling the order gives them back.
func TestPointsPayment(t *testing.T) {
	t.Parallel()
	f, svc, points := loyaltyFixture(t)
	sku, _ := f.variant(t, 40000, map[string]int{"WH-TAO": 50, "TPE-01": 50})
	f.givePoints(t, points, f.mei, 1000) // NT$1 a point
	till := f.as("associate")
	tillSale := func(customer int64) order.Order {
		return f.place(t, till, order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.POS, LocationID: f.loc["TPE-01"].ID,
			CustomerID: customer, Lines: []order.LineInput{line(sku, 1)}, Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	}
	pay := func(ctx context.Context, o order.Order, n int64) (order.PaymentResult, error) {
		return svc.RecordPayment(ctx, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Points, Points: n})
	}

	t.Run("limits at the till", func(t *testing.T) {
		o := tillSale(f.mei)
		limits := []struct {
			name, code, field string
			in                order.PaymentInput
		}{
			{"no points given", "INVALID", "points", order.PaymentInput{Method: order.Points}},
			{"below the minimum", "BELOW_MINIMUM", "points", order.PaymentInput{Method: order.Points, Points: 99}},
			{"more than half the total", "ABOVE_LIMIT", "points", order.PaymentInput{Method: order.Points, Points: 201}},
			{"an amount that is not the points' value", "INVALID", "amount", order.PaymentInput{Method: order.Points, Points: 150, Amount: 100}},
			{"points with another method", "INVALID", "points", order.PaymentInput{Method: order.Cash, Amount: 100, Points: 150}},
		}
		for _, l := range limits {
			t.Run(l.name, func(t *testing.T) {
				in := l.in
				in.OrderID, in.IdempotencyKey = o.ID, newKey()
				_, err := svc.RecordPayment(till, in)
				wantErr(t, err, l.code, l.field)
			})
		}
		if b := balance(t, points, f.mei); b != 1000 {
			t.Fatalf("balance %d after refusals, want 1000", b)
		}
		in := order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Points, Points: 200}
		res, err := svc.RecordPayment(till, in)
		must(t, err)
		if res.Payment.Method != order.Points || res.Payment.Amount != 20000 || res.Order.Paid != 20000 ||
			res.Order.PaymentStatus != order.PartiallyPaid || res.Payment.Reference != "200 points" {
			t.Errorf("payment %+v, order %+v: want NT$200 paid by 200 points", res.Payment, res.Order)
		}
		again, err := svc.RecordPayment(till, in)
		must(t, err)
		if !again.Replayed || again.Payment.ID != res.Payment.ID {
			t.Errorf("retry %+v, want the first payment", again)
		}
		if b := balance(t, points, f.mei); b != 800 {
			t.Errorf("balance %d, want 800 (200 redeemed once)", b)
		}
		_, err = pay(till, o, 100)
		wantErr(t, err, "ALREADY_REDEEMED", "points")
		res, err = svc.RecordPayment(till, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Cash, Amount: 20000})
		must(t, err)
		if res.Order.PaymentStatus != order.Paid || res.Order.Status != order.Completed {
			t.Errorf("order %+v, want PAID and COMPLETED", res.Order)
		}
	})
	t.Run("not more than is due", func(t *testing.T) {
		o := tillSale(f.mei)
		_, err := svc.RecordPayment(till, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Card, Amount: 30000})
		must(t, err)
		_, err = pay(till, o, 150)
		wantErr(t, err, "ABOVE_LIMIT", "points")
		res, err := pay(till, o, 100)
		must(t, err)
		if res.Order.PaymentStatus != order.Paid {
			t.Errorf("order %+v, want PAID", res.Order)
		}
	})
	t.Run("not enough points", func(t *testing.T) {
		_, err := pay(till, tillSale(f.david), 150)
		wantErr(t, err, "INSUFFICIENT_POINTS", "points")
	})
	t.Run("a guest's order", func(t *testing.T) {
		_, err := pay(till, tillSale(0), 150)
		wantErr(t, err, "NO_CUSTOMER", "method")
	})
	t.Run("online by the customer", func(t *testing.T) {
		in := shipInput(taipei(), line(sku, 1))
		in.Email = ""
		o := f.place(t, f.customer(f.mei), in)
		before := balance(t, points, f.mei)
		_, err := pay(f.customer(f.david), o, 150)
		wantErr(t, err, "NOT_FOUND", "")
		_, err = pay(f.customer(f.mei), o, 50)
		wantErr(t, err, "BELOW_MINIMUM", "points")
		_, err = pay(f.customer(f.mei), o, o.Total/2/100+1)
		wantErr(t, err, "ABOVE_LIMIT", "points")
		res, err := pay(f.customer(f.mei), o, 150)
		must(t, err)
		if res.Payment.Amount != 15000 || res.Order.Due() != o.Total-15000 {
			t.Errorf("payment %+v, order %+v: want NT$150 paid", res.Payment, res.Order)
		}
		if b := balance(t, points, f.mei); b != before-150 {
			t.Errorf("balance %d, want %d", b, before-150)
		}

		t.Run("cancelling gives the points back", func(t *testing.T) {
			after, err := svc.Cancel(f.as("manager"), o.ID, "customer changed their mind")
			must(t, err)
			if after.Status != order.Cancelled || after.Paid != 0 || after.RefundDue() != 0 {
				t.Errorf("order %+v, want CANCELLED with nothing paid or owed", after)
			}
			if b := balance(t, points, f.mei); b != before {
				t.Errorf("balance %d, want %d back", b, before)
			}
			d, err := svc.Detail(system, o.ID)
			must(t, err)
			if e := d.Events[len(d.Events)-1]; e.Kind != order.EventCancelled || !strings.Contains(e.Message, "went back to the customer as points") {
				t.Errorf("last event %+v, want the cancellation naming the points", e)
			}
			if len(d.Payments) != 1 || d.Payments[0].ReleasedAt == nil {
				t.Errorf("payments %+v, want the points payment kept, marked released", d.Payments)
			}
		})
	})
	t.Run("cancel with money paid is still refused and keeps the points spent", func(t *testing.T) {
		in := shipInput(taipei(), line(sku, 1))
		in.Email = ""
		o := f.place(t, f.customer(f.mei), in)
		_, err := pay(f.customer(f.mei), o, 100)
		must(t, err)
		_, err = svc.RecordPayment(till, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.Card, Amount: 100})
		must(t, err)
		before := balance(t, points, f.mei)
		_, err = svc.Cancel(f.as("manager"), o.ID, "x")
		wantErr(t, err, order.ReasonWrongStatus, "")
		if b := balance(t, points, f.mei); b != before {
			t.Errorf("balance %d after a refused cancel, want %d", b, before)
		}
	})
	t.Run("cancelling every line gives the points back", func(t *testing.T) {
		in := shipInput(taipei(), line(sku, 2))
		in.Email = ""
		o := f.place(t, f.customer(f.mei), in)
		_, err := pay(f.customer(f.mei), o, 300)
		must(t, err)
		before := balance(t, points, f.mei)
		d, err := svc.Detail(system, o.ID)
		must(t, err)
		after, err := svc.CancelLines(f.as("fulfilment"), order.CancelLinesInput{OrderID: o.ID, Reason: "damaged in the warehouse",
			Lines: []order.LineQuantity{{OrderLineID: d.Lines[0].ID, Quantity: 2}}})
		must(t, err)
		if after.Status != order.Cancelled || after.Paid != 0 || after.RefundDue() != 0 {
			t.Errorf("order %+v, want CANCELLED with nothing paid or owed", after)
		}
		if b := balance(t, points, f.mei); b != before+300 {
			t.Errorf("balance %d, want %d", b, before+300)
		}
	})
}
