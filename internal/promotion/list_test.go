package promotion_test

import (
	"context"
	"slices"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/promotion"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestList(t *testing.T) {
	t.Parallel()
	svc := promotion.NewService(testdb.New(t))
	staff := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Manager}})
	for _, code := range []string{"SPRING_10", "SPRING-20", "WELCOME"} {
		if _, err := svc.CreateCoupon(staff, promotion.CouponInput{Code: code, Kind: promotion.Fixed, Amount: 100,
			Scope: promotion.WholeOrder, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	codes := func(f promotion.CouponFilter) ([]string, bool) {
		t.Helper()
		page, err := svc.List(staff, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range page.Coupons {
			out = append(out, c.Code)
		}
		return out, page.HasNextPage
	}
	for _, tt := range []struct {
		name string
		f    promotion.CouponFilter
		want []string
		more bool
	}{
		{"newest first", promotion.CouponFilter{}, []string{"WELCOME", "SPRING-20", "SPRING_10"}, false},
		{"part of a code, any case", promotion.CouponFilter{Code: "spring"}, []string{"SPRING-20", "SPRING_10"}, false},
		{"an underscore is not a wildcard", promotion.CouponFilter{Code: "G_1"}, []string{"SPRING_10"}, false},
		{"paged", promotion.CouponFilter{First: 2}, []string{"WELCOME", "SPRING-20"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, more := codes(tt.f)
			if !slices.Equal(got, tt.want) || more != tt.more {
				t.Errorf("got %v (more: %v), want %v (%v)", got, more, tt.want, tt.more)
			}
		})
	}
	t.Run("the next page", func(t *testing.T) {
		page, err := svc.List(staff, promotion.CouponFilter{First: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got, more := codes(promotion.CouponFilter{After: page.Coupons[1].ID}); !slices.Equal(got, []string{"SPRING_10"}) || more {
			t.Errorf("next page %v", got)
		}
	})
	t.Run("not for shoppers", func(t *testing.T) {
		if _, err := svc.List(context.Background(), promotion.CouponFilter{}); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
			t.Errorf("anonymous: %v", err)
		}
	})
}
