package promotion

import (
	"context"
	"fmt"

	"atrium/internal/actor"
)

// MaxPage is the most coupons one page returns.
const MaxPage = 100

// CouponFilter selects a page of coupons, newest first. Zero fields do not filter.
type CouponFilter struct {
	// After is the id of the last coupon of the previous page (0 for the first page).
	After int64
	// First is the page size, 1..MaxPage (0 means 20).
	First int
	// Code matches the coupons whose code contains it (case-insensitive).
	Code string
}

// CouponPage is one page of coupons.
type CouponPage struct {
	Coupons     []Coupon
	HasNextPage bool
}

// List returns a page of coupons matching f, newest first, for the back office (with
// their uses, limits and targets). Staff only: a list of codes is not for shoppers, who
// only look up the codes they were given. Errors: Unauthenticated, Forbidden.
func (s *Service) List(ctx context.Context, f CouponFilter) (CouponPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return CouponPage{}, err
	}
	first := f.First
	if first <= 0 {
		first = 20
	}
	first = min(first, MaxPage)
	var rows []Coupon
	// strpos, not LIKE: codes contain '_', which LIKE would read as a wildcard.
	err := s.db.SelectContext(ctx, &rows, couponSelect+`
		WHERE ($1 = '' OR strpos(c.code, $1) > 0) AND ($2 = 0 OR c.id < $2)
		ORDER BY c.id DESC LIMIT $3`, NormalizeCode(f.Code), f.After, first+1)
	if err != nil {
		return CouponPage{}, fmt.Errorf("list coupons: %w", err)
	}
	page := CouponPage{Coupons: rows, HasNextPage: len(rows) > first}
	if page.HasNextPage {
		page.Coupons = rows[:first]
	}
	return page, nil
}
