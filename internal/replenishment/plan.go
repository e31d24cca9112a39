package replenishment

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"atrium/internal/purchasing"
)

// Kind is what a suggestion does.
type Kind string

// Suggestion kinds.
const (
	// Transfer moves stock from a location with more than it needs.
	Transfer Kind = "TRANSFER"
	// Purchase buys from a supplier, delivered to the location.
	Purchase Kind = "PURCHASE"
	// Unsourced is a need no transfer covers and no active supplier sells: shown so that
	// a buyer adds a supplier, never converted.
	Unsourced Kind = "UNSOURCED"
)

// Stock is what planning knows of one variant at one location.
type Stock struct {
	LocationID   int64
	LocationCode string
	Warehouse    bool
	OnHand       int
	Reserved     int
	Incoming     int
	// Display is the stock a store keeps on the shelf (inventory's safety stock): never
	// moved away, and the least the reorder point is.
	Display int
	// ManualReorderPoint is a reorder point a manager set by hand (0: none), also a floor.
	ManualReorderPoint int
	// OnOrder is what is decided but not yet incoming: units on draft or submitted
	// purchase orders and on draft transfers to the location (so that converting
	// suggestions and computing again does not suggest them twice).
	OnOrder int
	// Promised is what draft transfers will take from the location.
	Promised int
	// History is the daily sales, oldest first, up to yesterday.
	History []float64
}

// Source is the supplier a variant is bought from and its terms.
type Source struct {
	Supplier purchasing.Supplier
	Item     purchasing.SupplierItem
}

// Params are the settings planning works with.
type Params struct {
	ServiceLevel        float64
	ReviewDays          int
	DefaultLeadTimeDays int
}

// Explanation is the figures behind a suggestion, those of the location it serves.
type Explanation struct {
	Method           Method   `db:"method" json:"method"`
	ForecastPerDay   float64  `db:"forecast_per_day" json:"forecast_per_day"`
	Sigma            float64  `db:"sigma" json:"sigma"`
	LeadTimeDays     int      `db:"lead_time_days" json:"lead_time_days"`
	ReviewPeriodDays int      `db:"review_period_days" json:"review_period_days"`
	SafetyStock      int      `db:"safety_stock" json:"safety_stock"`
	ReorderPoint     int      `db:"reorder_point" json:"reorder_point"`
	OrderUpTo        int      `db:"order_up_to" json:"order_up_to"`
	OnHand           int      `db:"on_hand" json:"on_hand"`
	Reserved         int      `db:"reserved" json:"reserved"`
	Incoming         int      `db:"incoming" json:"incoming"`
	OnOrder          int      `db:"on_order" json:"on_order"`
	Promised         int      `db:"promised" json:"promised"`
	CoverDays        *float64 `db:"cover_days" json:"cover_days"`
	SourceExcess     *int     `db:"source_excess" json:"source_excess"`
	SourceCoverDays  *float64 `db:"source_cover_days" json:"source_cover_days"`
	Reason           string   `db:"reason" json:"reason"`
}

// Position is the inventory position the policy compares with its reorder point: on hand
// less reserved, plus incoming and on order, less promised.
func (e Explanation) Position() int {
	return e.OnHand - e.Reserved + e.Incoming + e.OnOrder - e.Promised
}

// Planned is a suggestion as planning makes it, before it is stored.
type Planned struct {
	Kind           Kind
	VariantID      int64
	LocationID     int64
	FromLocationID int64   // Transfer
	Source         *Source // Purchase
	// Quantity is what to move or order; Needed what the location lacks to reach its
	// order-up-to level.
	Quantity, Needed int
	Explanation
}

// state is one location's figures while planning a variant.
type state struct {
	Stock
	forecast Forecast
	policy   Policy
	perDay   float64
	need     int
	excess   int
}

func (s *state) position() int { return s.OnHand - s.Reserved + s.Incoming + s.OnOrder - s.Promised }

func (s *state) cover(units int) *float64 {
	if s.perDay <= 0 {
		return nil
	}
	c := math.Round(10*float64(units)/s.perDay) / 10
	return &c
}

func (s *state) explanation() Explanation {
	return Explanation{Method: s.forecast.Method, ForecastPerDay: s.perDay, Sigma: s.forecast.Sigma,
		LeadTimeDays: s.policy.LeadTimeDays, ReviewPeriodDays: s.policy.ReviewDays, SafetyStock: s.policy.SafetyStock,
		ReorderPoint: s.policy.ReorderPoint, OrderUpTo: s.policy.OrderUpTo, OnHand: s.OnHand, Reserved: s.Reserved,
		Incoming: s.Incoming, OnOrder: s.OnOrder, Promised: s.Promised, CoverDays: s.cover(s.OnHand - s.Reserved)}
}

// PlanVariant plans one variant across its locations. Each location's demand is forecast
// from its history over the lead time plus review period (the lead time is src's
// supplier's, or p.DefaultLeadTimeDays when nothing sources the variant) and gives its
// policy. A location at or below its reorder point needs its order-up-to level less its
// position (on hand − reserved + incoming + on order − promised). Needs are served most
// urgent first (least cover): first by transfers from locations with excess (on hand less
// reserved, display stock and promised units, and no more than their position above their
// own order-up-to level), warehouses first and then the most cover;
// what remains is bought from src, rounded up to its packs and minimum, or left
// Unsourced.
func PlanVariant(variantID int64, stock []Stock, src *Source, p Params) []Planned {
	lead := p.DefaultLeadTimeDays
	if src != nil {
		lead = src.Supplier.LeadTimeDays
	}
	states := make([]*state, len(stock))
	for i, st := range stock {
		s := &state{Stock: st}
		s.forecast = Predict(st.History, lead+p.ReviewDays)
		s.policy = NewPolicy(s.forecast, lead, p.ReviewDays, p.ServiceLevel, max(st.Display, st.ManualReorderPoint))
		s.perDay = s.forecast.PerDay(0)
		position := s.position()
		if position <= s.policy.ReorderPoint {
			s.need = max(0, s.policy.OrderUpTo-position)
		} else {
			s.excess = max(0, min(st.OnHand-st.Reserved-st.Display-st.Promised, position-s.policy.OrderUpTo))
		}
		states[i] = s
	}
	receivers := slices.DeleteFunc(slices.Clone(states), func(s *state) bool { return s.need == 0 })
	slices.SortStableFunc(receivers, func(a, b *state) int {
		return cmp.Or(cmp.Compare(coverOrInf(a), coverOrInf(b)), cmp.Compare(a.LocationCode, b.LocationCode))
	})
	donors := slices.DeleteFunc(slices.Clone(states), func(s *state) bool { return s.excess == 0 })
	slices.SortStableFunc(donors, func(a, b *state) int {
		return cmp.Or(-compareBool(a.Warehouse, b.Warehouse),
			-cmp.Compare(excessCover(a), excessCover(b)), cmp.Compare(a.LocationCode, b.LocationCode))
	})
	var out []Planned
	for _, r := range receivers {
		left := r.need
		why := fmt.Sprintf("%s is at or below its reorder point (position %d ≤ %d) and needs %d to reach its order-up-to level %d.",
			r.LocationCode, r.position(), r.policy.ReorderPoint, r.need, r.policy.OrderUpTo)
		for _, d := range donors {
			if left == 0 {
				break
			}
			q := min(left, d.excess)
			if q == 0 {
				continue
			}
			e := r.explanation()
			excess := d.excess
			e.SourceExcess, e.SourceCoverDays = &excess, d.cover(d.excess)
			kind := "a store"
			if d.Warehouse {
				kind = "a warehouse"
			}
			e.Reason = fmt.Sprintf("%s %s is %s with %d units beyond its own order-up-to level %d (%s): move %d.",
				why, d.LocationCode, kind, d.excess, d.policy.OrderUpTo, coverText(e.SourceCoverDays), q)
			out = append(out, Planned{Kind: Transfer, VariantID: variantID, LocationID: r.LocationID,
				FromLocationID: d.LocationID, Quantity: q, Needed: r.need, Explanation: e})
			d.excess -= q
			left -= q
		}
		if left == 0 {
			continue
		}
		e := r.explanation()
		if src == nil {
			e.Reason = fmt.Sprintf("%s No location has stock to spare for the remaining %d and no active supplier sells this variant: add it to a supplier's items.",
				why, left)
			out = append(out, Planned{Kind: Unsourced, VariantID: variantID, LocationID: r.LocationID, Quantity: left,
				Needed: r.need, Explanation: e})
			continue
		}
		q := src.Item.OrderQuantity(left)
		rounding := ""
		if q != left {
			rounding = fmt.Sprintf(", rounded up to packs of %d with a minimum of %d", src.Item.PackSize, src.Item.MinOrderQty)
		}
		e.Reason = fmt.Sprintf("%s Buy %d from %s, the cheapest active supplier (%s %s a unit, %d days' lead time)%s: %d.",
			why, left, src.Supplier.Name, src.Item.UnitCost.String(), src.Item.Currency, src.Supplier.LeadTimeDays, rounding, q)
		out = append(out, Planned{Kind: Purchase, VariantID: variantID, LocationID: r.LocationID, Source: src,
			Quantity: q, Needed: r.need, Explanation: e})
	}
	return out
}

func coverOrInf(s *state) float64 {
	if c := s.cover(s.OnHand - s.Reserved); c != nil {
		return *c
	}
	return math.Inf(1)
}

// excessCover is how many days of the donor's own demand its excess is (infinite without
// demand: stock that does not sell there is the first to move).
func excessCover(s *state) float64 {
	if s.perDay <= 0 {
		return math.Inf(1)
	}
	return float64(s.excess) / s.perDay
}

func coverText(c *float64) string {
	if c == nil {
		return "no forecast demand there"
	}
	return fmt.Sprintf("%.1f days of its demand", *c)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
