package promotion_test

import (
	"context"
	"strings"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/promotion"
	"atrium/internal/testdb"
)

func TestCreateCouponAudience(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	svc := promotion.NewService(d)
	staff := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Manager}})
	var cust, merged int64
	if err := d.Get(&cust, `INSERT INTO customers (name, email) VALUES ('Ann', 'ann@example.com') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&merged, `INSERT INTO customers (name, merged_into_id, merged_at) VALUES ('Ann again', $1, now()) RETURNING id`, cust); err != nil {
		t.Fatal(err)
	}
	base := func(code string) promotion.CouponInput {
		return promotion.CouponInput{Code: code, Kind: promotion.Fixed, Amount: 100, Scope: promotion.WholeOrder, Active: true}
	}
	for _, tt := range []struct {
		name  string
		edit  func(*promotion.CouponInput)
		field string
		want  string
	}{
		{"unknown tier", func(in *promotion.CouponInput) { in.Tiers = []string{"gold", "PLATINUM"} }, "tiers",
			"no loyalty tier PLATINUM; choose among MEMBER, SILVER, GOLD"},
		{"unknown segment", func(in *promotion.CouponInput) { in.SegmentID = 999 }, "segmentId", "no segment with id 999"},
		{"personal and tiers", func(in *promotion.CouponInput) { in.CustomerID, in.Tiers = cust, []string{"GOLD"} }, "customerId",
			"a personal coupon is for one customer: clear the tiers and segment"},
		{"personal used more than once", func(in *promotion.CouponInput) { in.CustomerID, in.MaxRedemptions = cust, 5 }, "maxRedemptions",
			"a personal coupon is used once"},
		{"personal to a merged customer", func(in *promotion.CouponInput) { in.CustomerID = merged }, "customerId",
			"no active customer with id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := base("BAD-" + strings.ToUpper(strings.ReplaceAll(tt.name, " ", "-"))[:8])
			tt.edit(&in)
			_, err := svc.CreateCoupon(staff, in)
			errs, _ := apperr.Errors(err)
			for _, e := range errs {
				if strings.Join(e.Field, ".") == tt.field && strings.Contains(e.Message, tt.want) {
					return
				}
			}
			t.Fatalf("%v; want %s: %q", err, tt.field, tt.want)
		})
	}
	t.Run("tiers normalised and shown", func(t *testing.T) {
		in := base("GOLD-ONLY")
		in.Tiers = []string{" gold", "SILVER", "GOLD"}
		c, err := svc.CreateCoupon(staff, in)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Restricted() || c.Audience() != "tiers GOLD, SILVER" {
			t.Errorf("audience %q (%v)", c.Audience(), c.Tiers)
		}
	})
	t.Run("personal is single use", func(t *testing.T) {
		in := base("ANN-ONLY")
		in.CustomerID = cust
		c, err := svc.CreateCoupon(staff, in)
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxRedemptions == nil || *c.MaxRedemptions != 1 || c.CustomerID == nil || *c.CustomerID != cust ||
			!strings.HasPrefix(c.Audience(), "personal: member M") {
			t.Errorf("personal coupon %+v, audience %q", c, c.Audience())
		}
	})
}
