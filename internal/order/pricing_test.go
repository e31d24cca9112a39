package order_test

import (
	"reflect"
	"testing"
	"time"

	"atrium/internal/order"
	"atrium/internal/promotion"
)

type couponInput = promotion.CouponInput

// coupon creates an active coupon, 10% off the order unless change says otherwise.
func (f *fixture) coupon(t testing.TB, code string, change func(*couponInput)) promotion.Coupon {
	t.Helper()
	in := couponInput{Code: code, Kind: promotion.Percent, PercentBP: 1000, Scope: promotion.WholeOrder, Active: true}
	if change != nil {
		change(&in)
	}
	c, err := f.promo.CreateCoupon(f.as("manager"), in)
	must(t, err)
	return c
}

// Prices come from the catalog; a percentage coupon is rounded half up and spread over
// the lines so that the line discounts add up to it; the tax included in the total
// (5%: total − round(total ÷ 1.05)) is spread over the lines and shipping the same way.
func TestPricingRoundsExactly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, _ := f.variant(t, 1999, map[string]int{"WH-TAO": 9})
	b, _ := f.variant(t, 2501, map[string]int{"WH-TAO": 9})
	c, _ := f.variant(t, 999, map[string]int{"WH-TAO": 9})
	f.coupon(t, "FIFTEEN", func(c *couponInput) { c.PercentBP = 1500 })
	in := shipInput(taipei(), line(a, 3), line(b, 1), line(c, 2))
	in.CouponCodes = []string{" fifteen "}
	o := f.place(t, guest, in)
	if o.Subtotal != 10496 || o.Discount != 1574 || o.Shipping != 8000 || o.Total != 16922 || o.Tax != 806 || o.Currency != "TWD" {
		t.Fatalf("order %+v, want 10496 − 1574 + 8000 = 16922 with 806 tax", o)
	}
	d := f.detail(t, o.ID)
	var discounts, taxes, totals []int64
	for _, l := range d.Lines {
		discounts, taxes, totals = append(discounts, l.Discount), append(taxes, l.Tax), append(totals, l.Total)
		if l.Subtotal != l.UnitPrice*int64(l.Quantity) || l.Total != l.Subtotal-l.Discount {
			t.Errorf("line %+v does not add up", l)
		}
	}
	if !reflect.DeepEqual(discounts, []int64{899, 375, 300}) || !reflect.DeepEqual(taxes, []int64{243, 101, 81}) ||
		!reflect.DeepEqual(totals, []int64{5098, 2126, 1698}) {
		t.Errorf("line discounts %v, taxes %v, totals %v; want [899 375 300], [243 101 81], [5098 2126 1698]",
			discounts, taxes, totals)
	}
	var redeemed int64
	must(t, f.db.Get(&redeemed, `SELECT amount FROM coupon_redemptions WHERE order_id = $1`, o.ID))
	if redeemed != 1574 {
		t.Errorf("redemption of %d, want 1574", redeemed)
	}
}

func TestShippingFee(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cheap, _ := f.variant(t, 98999, map[string]int{"WH-TAO": 9})
	free, _ := f.variant(t, 99000, map[string]int{"WH-TAO": 9})
	f.coupon(t, "ONEOFF", func(c *couponInput) { c.Kind, c.PercentBP, c.Amount = promotion.Fixed, 0, 100 })
	withCoupon := shipInput(taipei(), line(free, 1))
	withCoupon.CouponCodes = []string{"ONEOFF"}
	for _, tt := range []struct {
		name     string
		in       order.PlaceOrderInput
		shipping int64
	}{
		{"below the threshold", shipInput(taipei(), line(cheap, 1)), 8000},
		{"at the threshold", shipInput(taipei(), line(free, 1)), 0},
		{"a coupon takes it below", withCoupon, 8000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := f.place(t, guest, tt.in)
			if o.Shipping != tt.shipping || o.Total != o.Subtotal-o.Discount+o.Shipping {
				t.Errorf("order %+v, want shipping %d", o, tt.shipping)
			}
		})
	}
}

// Coupons: fixed amounts off some categories (with their subcategories), stacking,
// minimum spend, validity, channels, per-customer limits.
func TestCoupons(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	apparel, _ := f.variant(t, 10000, map[string]int{"WH-TAO": 50})
	var kitchenProduct, apparelCategory int64
	must(t, f.db.Get(&kitchenProduct, `INSERT INTO products (handle, title, category_id)
		VALUES ('order-test-pan', 'Order test pan', (SELECT id FROM categories WHERE handle = 'kitchen-dining')) RETURNING id`))
	must(t, f.db.Get(&apparelCategory, `SELECT id FROM categories WHERE handle = 'apparel'`))
	var kitchenVariant int64
	must(t, f.db.Get(&kitchenVariant, `INSERT INTO variants (product_id, sku, title, price_amount, currency)
		VALUES ($1, 'OT-PAN', 'Pan', 5000, 'TWD') RETURNING id`, kitchenProduct))
	_, err := f.inv.Adjust(system, adjustIn(f.loc["WH-TAO"].ID, kitchenVariant, 50))
	must(t, err)

	yesterday, tomorrow := time.Now().Add(-24*time.Hour), time.Now().Add(24*time.Hour)
	f.coupon(t, "APPAREL500", func(c *couponInput) {
		c.Kind, c.PercentBP, c.Amount, c.Scope, c.CategoryIDs = promotion.Fixed, 0, 500, promotion.Items, []int64{apparelCategory}
	})
	f.coupon(t, "BIGSPEND", func(c *couponInput) { c.MinSpend = 20001 })
	f.coupon(t, "OLD", func(c *couponInput) { c.EndsAt = &yesterday })
	f.coupon(t, "SOON", func(c *couponInput) { c.StartsAt = &tomorrow })
	f.coupon(t, "TILLONLY", func(c *couponInput) { c.Channels = []string{"POS"} })
	f.coupon(t, "ONCE", func(c *couponInput) { c.MaxPerCustomer = 1 })
	f.coupon(t, "HUGE", func(c *couponInput) { c.Kind, c.PercentBP, c.Amount = promotion.Fixed, 0, 1_000_000 })

	order2 := func(codes ...string) order.PlaceOrderInput {
		in := shipInput(taipei(), line(apparel, 1), line("OT-PAN", 2))
		in.CouponCodes = codes
		return in
	}
	t.Run("fixed amount off a category", func(t *testing.T) {
		d := f.detail(t, f.place(t, guest, order2("APPAREL500")).ID)
		if d.Discount != 500 || d.Lines[0].Discount != 500 || d.Lines[1].Discount != 0 {
			t.Errorf("discount %d on lines %+v, want 500 all on the apparel line", d.Discount, d.Lines)
		}
	})
	t.Run("stacked, in the order given, never more than the order", func(t *testing.T) {
		d := f.detail(t, f.place(t, guest, order2("APPAREL500", "HUGE")).ID)
		if d.Discount != d.Subtotal || d.Lines[0].Total != 0 || d.Lines[1].Total != 0 || d.Tax != includedTax(d.Shipping) {
			t.Errorf("order %+v, lines %+v: want everything off but shipping", d.Order, d.Lines)
		}
	})
	for _, tt := range []struct {
		name, code, reason string
	}{
		{"below the minimum spend", "BIGSPEND", promotion.ReasonNotApplicable},
		{"expired", "OLD", promotion.ReasonNotApplicable},
		{"not yet valid", "SOON", promotion.ReasonNotApplicable},
		{"another channel", "TILLONLY", promotion.ReasonNotApplicable},
		{"unknown", "NOSUCH", promotion.ReasonNotApplicable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.PlaceOrder(guest, order2("APPAREL500", tt.code))
			wantErr(t, err, tt.reason, "couponCodes.1")
		})
	}
	t.Run("once per customer", func(t *testing.T) {
		in := order2("ONCE")
		f.place(t, f.customer(f.mei), in)
		in.IdempotencyKey = newKey()
		_, err := f.svc.PlaceOrder(f.customer(f.mei), in)
		wantErr(t, err, promotion.ReasonLimitReached, "couponCodes.0")
		in.IdempotencyKey = newKey()
		f.place(t, f.customer(f.david), in)
	})
}

// includedTax is the 5% tax included in amount.
func includedTax(amount int64) int64 { return amount - (amount*10000*2+10500)/(2*10500) }
