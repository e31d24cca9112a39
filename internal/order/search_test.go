package order_test

import (
	"context"
	"slices"
	"testing"

	"atrium/internal/apperr"
	"atrium/internal/order"
)

func TestListByPaymentStatusAndQueueCount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 50000, map[string]int{"WH-TAO": 10})
	open := f.place(t, guest, shipInput(taipei(), line(sku, 1)))
	paid := f.place(t, guest, shipInput(taipei(), line(sku, 1)))
	if _, err := f.svc.RecordPayment(f.as("associate"), order.PaymentInput{OrderID: paid.ID, IdempotencyKey: newKey(),
		Method: order.Card, Amount: 20000, Reference: "slip"}); err != nil {
		t.Fatal(err)
	}
	in := shipInput(taipei(), line(sku, 1))
	in.Email = *open.Email
	held := f.place(t, guest, in) // a likely duplicate of open

	for _, tt := range []struct {
		name string
		f    order.Filter
		want []order.Order
	}{
		{"everything, newest first", order.Filter{}, []order.Order{held, paid, open}},
		{"unpaid", order.Filter{PaymentStatus: order.Unpaid}, []order.Order{held, open}},
		{"partially paid", order.Filter{PaymentStatus: order.PartiallyPaid}, []order.Order{paid}},
		{"paid", order.Filter{PaymentStatus: order.Paid}, nil},
		{"held and unpaid", order.Filter{PaymentStatus: order.Unpaid, Status: order.OnHold}, []order.Order{held}},
		{"by email", order.Filter{Email: *open.Email}, []order.Order{held, open}},
		{"a page after", order.Filter{Page: order.Page{After: held.ID, First: 1}}, []order.Order{paid}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page, err := f.svc.List(f.as("accountant"), tt.f)
			must(t, err)
			var got, want []string
			for _, o := range page.Orders {
				got = append(got, o.Number)
			}
			for _, o := range tt.want {
				want = append(want, o.Number)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	n, err := f.svc.OnHoldCount(f.as("manager"))
	if err != nil || n != 1 {
		t.Fatalf("on hold: %d, %v", n, err)
	}
	t.Run("staff only", func(t *testing.T) {
		for ctx, code := range map[context.Context]apperr.Code{guest: apperr.CodeUnauthenticated, f.customer(f.mei): apperr.CodeForbidden} {
			if _, err := f.svc.List(ctx, order.Filter{}); apperr.CodeOf(err) != code {
				t.Errorf("search: %v, want %s", err, code)
			}
			if _, err := f.svc.OnHoldCount(ctx); apperr.CodeOf(err) != code {
				t.Errorf("count: %v, want %s", err, code)
			}
		}
	})
}
