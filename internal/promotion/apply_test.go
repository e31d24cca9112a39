package promotion_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/promotion"
)

func TestMulDivRound(t *testing.T) {
	for _, tt := range []struct{ a, b, c, want int64 }{
		{10, 1, 4, 3}, // 2.5 rounds up
		{10, 1, 3, 3}, // 3.33
		{20, 1, 3, 7}, // 6.67
		{16922, 10000, 10500, 16116},
		{math.MaxInt64 / 2, 10000, 10500, 4392081922311798003}, // no overflow in the product
		{0, 5, 7, 0},
	} {
		if got := promotion.MulDivRound(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("MulDivRound(%d, %d, %d) = %d, want %d", tt.a, tt.b, tt.c, got, tt.want)
		}
	}
}

func TestProrate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		total   int64
		weights []int64
		want    []int64
	}{
		{"largest remainder", 1574, []int64{5997, 2501, 1998}, []int64{899, 375, 300}},
		{"ties go to the earlier item", 2, []int64{1, 1, 1}, []int64{1, 1, 0}},
		{"zero weights get nothing", 5, []int64{0, 3, 0, 2}, []int64{0, 3, 0, 2}},
		{"nothing to spread", 0, []int64{4, 5}, []int64{0, 0}},
		{"all zero weights", 0, []int64{0, 0}, []int64{0, 0}},
		{"huge amounts", math.MaxInt64 / 4, []int64{math.MaxInt64 / 4, math.MaxInt64 / 4},
			[]int64{math.MaxInt64/8 + 1, math.MaxInt64 / 8}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := promotion.Prorate(tt.total, tt.weights); !slices.Equal(got, tt.want) {
				t.Errorf("Prorate(%d, %v) = %v, want %v", tt.total, tt.weights, got, tt.want)
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		weights := make([]int64, 1+rng.IntN(8))
		var sum int64
		for i := range weights {
			weights[i] = rng.Int64N(100000)
			sum += weights[i]
		}
		total := rng.Int64N(sum + 1)
		got := promotion.Prorate(total, weights)
		var back int64
		for i, g := range got {
			back += g
			if g < 0 || g > weights[i] {
				t.Fatalf("Prorate(%d, %v) = %v: share %d outside 0..%d", total, weights, got, g, weights[i])
			}
		}
		if back != total {
			t.Fatalf("Prorate(%d, %v) = %v adds up to %d", total, weights, got, back)
		}
	}
}

func TestApply(t *testing.T) {
	now := time.Now()
	pct := func(bp int) *int { return &bp }
	amt := func(a int64) *int64 { return &a }
	cat := int64(7)
	cart := promotion.Cart{Channel: "WEB", Items: []promotion.Item{
		{ProductID: 1, CategoryID: &cat, Amount: 3333},
		{ProductID: 2, Amount: 6667},
	}}
	tenOff := promotion.Coupon{Code: "TEN", Kind: promotion.Percent, PercentBP: pct(1000), Scope: promotion.WholeOrder, Active: true}
	catFixed := promotion.Coupon{Code: "CAT", Kind: promotion.Fixed, Amount: amt(5000), Scope: promotion.Items,
		CategoryIDs: []int64{3}, CoveredCategoryIDs: []int64{3, 7}, Active: true}

	applied, err := promotion.Apply(cart, []promotion.Coupon{catFixed, tenOff}, now)
	if err != nil {
		t.Fatal(err)
	}
	// The fixed amount is capped at the category line (3333); 10% of what is left (6667)
	// is 666.7, rounded to 667, all on the other line.
	if applied[0].Discount != 3333 || !slices.Equal(applied[0].ItemDiscounts, []int64{3333, 0}) ||
		applied[1].Discount != 667 || !slices.Equal(applied[1].ItemDiscounts, []int64{0, 667}) {
		t.Errorf("applied %+v", applied)
	}

	used := 5
	for _, tt := range []struct {
		name   string
		change func(*promotion.Coupon)
		reason string
	}{
		{"inactive", func(c *promotion.Coupon) { c.Active = false }, promotion.ReasonNotApplicable},
		{"other channel", func(c *promotion.Coupon) { c.Channels = []string{"POS"} }, promotion.ReasonNotApplicable},
		{"min spend", func(c *promotion.Coupon) { c.MinSpend = 10001 }, promotion.ReasonNotApplicable},
		{"used up", func(c *promotion.Coupon) { c.MaxRedemptions, c.Redemptions = &used, 5 }, promotion.ReasonLimitReached},
		{"no eligible item", func(c *promotion.Coupon) { c.Scope, c.ProductIDs = promotion.Items, []int64{9} }, promotion.ReasonNotApplicable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tenOff
			tt.change(&c)
			_, err := promotion.Apply(cart, []promotion.Coupon{tenOff, c}, now)
			errs, _ := apperr.Errors(err)
			if len(errs) != 1 || errs[0].ClientCode() != tt.reason || errs[0].Field[1] != "1" {
				t.Errorf("got %v, want %s on couponCodes.1", err, tt.reason)
			}
		})
	}
}

func TestApplyAudience(t *testing.T) {
	now := time.Now()
	pct := 1000
	owner := int64(42)
	items := []promotion.Item{{ProductID: 1, Amount: 1000}}
	gold := promotion.Coupon{Code: "GOLD", Kind: promotion.Percent, PercentBP: &pct, Scope: promotion.WholeOrder, Active: true,
		Tiers: []string{"GOLD"}}
	personal := gold
	personal.Code, personal.Tiers, personal.CustomerID = "ANN", nil, &owner
	for _, tt := range []struct {
		name    string
		coupon  promotion.Coupon
		shopper *promotion.Shopper
		reason  string
	}{
		{"shopper unknown: left to Redeem", gold, nil, ""},
		{"guest refused", gold, &promotion.Shopper{}, promotion.ReasonNotForCustomer},
		{"Member refused a Gold coupon", gold, &promotion.Shopper{CustomerID: 7, Tier: "MEMBER"}, promotion.ReasonNotForCustomer},
		{"Gold member accepted", gold, &promotion.Shopper{CustomerID: 7, Tier: "GOLD"}, ""},
		{"guest refused a personal coupon", personal, &promotion.Shopper{}, promotion.ReasonNotForCustomer},
		{"a member's personal coupon left to Redeem", personal, &promotion.Shopper{CustomerID: 7, Tier: "GOLD"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := promotion.Apply(promotion.Cart{Channel: "WEB", Items: items, Shopper: tt.shopper}, []promotion.Coupon{tt.coupon}, now)
			got := ""
			if errs, ok := apperr.Errors(err); ok {
				got = errs[0].ClientCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tt.reason {
				t.Errorf("got %q (%v), want %q", got, err, tt.reason)
			}
		})
	}
}
