package replenishment

import (
	"math"
)

// The stock policy of one variant at one location, from its forecast:
//
//	demand over lead time  D_L = Σ forecast of days 1..L              (L: lead time, days)
//	safety stock           SS  = z(service level) · σ · √L            (σ: one-day forecast error)
//	reorder point          ROP = ⌈D_L + SS⌉, at least the location's own floor (its display
//	                             stock and any reorder point a manager set by hand)
//	order-up-to level      OUT = ROP + ⌈Σ forecast of days L+1..L+R⌉  (R: review period)
//
// z is the standard normal quantile of the service level (1.645 at 95%): the stock covers
// the lead time's demand with that probability when forecast errors are normal and
// independent from day to day. A location whose inventory position (on hand − reserved +
// incoming) is at or below its reorder point needs OUT − position units.

// Z is the standard normal quantile of p (0 < p < 1): Φ⁻¹(p) = √2 · erf⁻¹(2p − 1).
func Z(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// Policy is the stock policy of a variant at a location.
type Policy struct {
	LeadTimeDays, ReviewDays int
	// LeadTimeDemand and ReviewDemand are the forecast demand over the lead time and over
	// the review period after it.
	LeadTimeDemand, ReviewDemand float64
	SafetyStock                  int
	ReorderPoint, OrderUpTo      int
	// Floor is the least reorder point the location keeps whatever the forecast.
	Floor int
}

// NewPolicy computes the policy from forecast f (covering at least leadTime + review days),
// for serviceLevel, with floor as the least reorder point.
func NewPolicy(f Forecast, leadTime, review int, serviceLevel float64, floor int) Policy {
	p := Policy{LeadTimeDays: leadTime, ReviewDays: review, Floor: max(0, floor)}
	p.LeadTimeDemand = f.Total(0, leadTime)
	p.ReviewDemand = f.Total(leadTime, leadTime+review)
	ss := Z(serviceLevel) * f.Sigma * math.Sqrt(float64(leadTime))
	p.SafetyStock = ceil(ss)
	p.ReorderPoint = max(p.Floor, ceil(p.LeadTimeDemand+ss))
	p.OrderUpTo = p.ReorderPoint + ceil(p.ReviewDemand)
	return p
}

// ceil rounds up, ignoring float noise just above an integer (3.0000000001 is 3).
func ceil(x float64) int {
	if x <= 0 {
		return 0
	}
	return int(math.Ceil(x - 1e-9))
}
