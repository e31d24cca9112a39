package promotion

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"atrium/internal/apperr"
)

// Item is one line of a cart as coupons see it.
type Item struct {
	ProductID  int64
	CategoryID *int64
	// Amount is what the line comes to before coupons (unit price × quantity), minor units.
	Amount int64
}

// Cart is what coupons apply to.
type Cart struct {
	// Channel is the sales channel (WEB, APP, POS, MARKETPLACE).
	Channel string
	Items   []Item
	// Shopper, when known, lets Apply refuse early a coupon meant for other members (a
	// guest, another tier, another member's personal code). Nil: not checked here; Redeem
	// checks the audience in the order's transaction either way, segments included.
	Shopper *Shopper
}

// Shopper is who a cart is for, as coupons see it.
type Shopper struct {
	// CustomerID is 0 for a guest.
	CustomerID int64
	// Tier is the member's loyalty tier code (MEMBER when they have no account yet).
	Tier string
}

// Applied is what one coupon takes off a cart.
type Applied struct {
	Coupon Coupon
	// Discount is the amount taken off; ItemDiscounts spreads it over the cart's items (in
	// their order) in proportion to what each still came to, adding up to it exactly.
	Discount      int64
	ItemDiscounts []int64
}

// Apply applies coupons, in the order given, to cart at the instant now. Each coupon
// works on what the coupons before it left of its eligible items, so the discounts never
// exceed the cart. A percentage is rounded half up to the minor unit; a fixed amount is
// capped at what is left. The minimum spend is compared with the eligible items' amount
// before any coupon.
//
// The uses left are checked here only to answer early; Redeem is what holds the limit.
// Errors: an apperr.List with one entry per coupon that does not apply, on field
// couponCodes.<i> (i the coupon's index in coupons), reason COUPON_NOT_APPLICABLE or
// COUPON_LIMIT_REACHED.
func Apply(cart Cart, coupons []Coupon, now time.Time) ([]Applied, error) {
	left := make([]int64, len(cart.Items))
	for i, it := range cart.Items {
		left[i] = it.Amount
	}
	var errs apperr.List
	out := make([]Applied, 0, len(coupons))
	for i, c := range coupons {
		field := fmt.Sprintf("couponCodes.%d", i)
		eligible := make([]int64, len(cart.Items))
		var before, remaining int64
		for j, it := range cart.Items {
			if c.covers(it) {
				before += it.Amount
				eligible[j] = left[j]
				remaining += left[j]
			}
		}
		if msg := c.refusal(cart.Channel, before, now); msg != "" {
			errs = append(errs, apperr.Invalid(field, "coupon %s %s", c.Code, msg).WithReason(ReasonNotApplicable))
			continue
		}
		if msg := c.audienceRefusal(cart.Shopper); msg != "" {
			errs = append(errs, apperr.Invalid(field, "coupon %s %s", c.Code, msg).WithReason(ReasonNotForCustomer))
			continue
		}
		if c.MaxRedemptions != nil && c.Redemptions >= *c.MaxRedemptions {
			errs = append(errs, apperr.Invalid(field, "coupon %s has been used as many times as it may be", c.Code).
				WithReason(ReasonLimitReached))
			continue
		}
		var d int64
		if c.Kind == Percent {
			d = MulDivRound(remaining, int64(*c.PercentBP), 10000)
		} else {
			d = min(*c.Amount, remaining)
		}
		per := Prorate(d, eligible)
		for j := range left {
			left[j] -= per[j]
		}
		out = append(out, Applied{Coupon: c, Discount: d, ItemDiscounts: per})
	}
	return out, errs.Err()
}

// covers reports whether c applies to it.
func (c Coupon) covers(it Item) bool {
	if c.Scope == WholeOrder {
		return true
	}
	return slices.Contains(c.ProductIDs, it.ProductID) ||
		(it.CategoryID != nil && slices.Contains(c.CoveredCategoryIDs, *it.CategoryID))
}

// refusal says why c does not apply (to be read after "coupon CODE"), or "".
func (c Coupon) refusal(channel string, eligible int64, now time.Time) string {
	switch {
	case !c.Active:
		return "is no longer valid"
	case c.StartsAt != nil && now.Before(*c.StartsAt):
		return "is not valid yet"
	case c.EndsAt != nil && !now.Before(*c.EndsAt):
		return "has expired"
	case len(c.Channels) > 0 && !slices.Contains(c.Channels, channel):
		return fmt.Sprintf("is not valid for %s orders", channel)
	case eligible == 0:
		return "does not apply to any item in this order"
	case eligible < c.MinSpend:
		return fmt.Sprintf("needs a spend of at least %d (minor units) on eligible items; this order has %d", c.MinSpend, eligible)
	}
	return ""
}

// audienceRefusal says why shopper may not use c (to be read after "coupon CODE"), or ""
// when it may or when the shopper is unknown. Segment membership and a personal code that
// came with a merge are left to Redeem, which can read the database.
func (c Coupon) audienceRefusal(shopper *Shopper) string {
	switch {
	case shopper == nil || !c.Restricted():
		return ""
	case shopper.CustomerID == 0:
		return "is for members only: sign in (or look up the member at the till) as the member it was given to"
	case len(c.Tiers) > 0 && shopper.Tier != "" && !slices.Contains(c.Tiers, shopper.Tier):
		return fmt.Sprintf("is for %s members only; this member is %s", strings.Join(c.Tiers, " or "), shopper.Tier)
	}
	return ""
}

// MulDivRound returns a×b÷c rounded half up, for a, b ≥ 0 and c > 0, exactly (the
// product is 128-bit). The result must fit in an int64, which it does whenever b ≤ c.
func MulDivRound(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	lo, carry := bits.Add64(lo, uint64(c)/2, 0)
	q, _ := bits.Div64(hi+carry, lo, uint64(c))
	return int64(q)
}

// Prorate splits total over weights in proportion to them, in whole minor units that add
// up to total exactly: each share is rounded down and the units left over go to the
// largest remainders (the earlier item on a tie). A zero weight gets nothing. total and
// the weights are ≥ 0; when every weight is zero the result is all zeros, so total must
// then be zero.
func Prorate(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum == 0 || total == 0 {
		return out
	}
	type remainder struct {
		i int
		r uint64
	}
	rems := make([]remainder, len(weights))
	given := int64(0)
	for i, w := range weights {
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, uint64(sum))
		out[i] = int64(q)
		given += int64(q)
		rems[i] = remainder{i, r}
	}
	slices.SortStableFunc(rems, func(a, b remainder) int { return cmp.Compare(b.r, a.r) })
	for k := 0; given < total; k++ {
		out[rems[k].i]++
		given++
	}
	return out
}
