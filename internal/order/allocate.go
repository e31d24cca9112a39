package order

import (
	"cmp"
	"database/sql/driver"
	"fmt"
	"math"
	"slices"
	"strings"

	"atrium/internal/location"
)

// Rule is the rule that decided an allocation.
type Rule string

const (
	// RuleCarryOut: a till sale, handed over at the till's store.
	RuleCarryOut Rule = "CARRY_OUT"
	// RuleSingleLocation: one location ships the whole order.
	RuleSingleLocation Rule = "SINGLE_LOCATION"
	// RuleSplit: no single location could serve the whole order, so several ship parts.
	RuleSplit Rule = "SPLIT"
	// RulePickupStore: the pickup store has everything.
	RulePickupStore Rule = "PICKUP_STORE"
	// RuleShipToStore: some or all goods travel to the pickup store from elsewhere.
	RuleShipToStore Rule = "SHIP_TO_STORE"
)

// Explanation says why an order's goods come from where they do, for staff to read on
// the order: the policy, the rule that decided, and every location considered with what
// it had and why it was or was not chosen.
type Explanation struct {
	Policy  string `json:"policy"`
	Rule    Rule   `json:"rule"`
	Summary string `json:"summary"`
	// Origin is where distances were measured from (the shipping address, the pickup
	// store); nil when unknown, and then the priority order decides between equals.
	Origin     *Point          `json:"origin,omitempty"`
	Lines      []ExplainedLine `json:"lines"`
	Candidates []Candidate     `json:"candidates"`
	// Discrepancies are the units a till sold beyond the system's stock (CARRY_OUT).
	Discrepancies []Discrepancy `json:"discrepancies,omitempty"`
}

// Scan implements sql.Scanner for a jsonb column.
func (e *Explanation) Scan(src any) error { return scanJSON(src, e) }

// Value implements driver.Valuer.
func (e Explanation) Value() (driver.Value, error) { return jsonText(e) }

// Point is a place on the map, in degrees.
type Point struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// ExplainedLine is a line the allocation served.
type ExplainedLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Candidate is one location considered.
type Candidate struct {
	LocationID int64         `json:"locationId"`
	Code       string        `json:"code"`
	Kind       location.Kind `json:"kind"`
	DistanceKm *float64      `json:"distanceKm,omitempty"`
	// Available is what the location could give of each line (in Explanation.Lines
	// order) when the order was planned: on hand less reserved, safety and expired stock.
	Available []int `json:"available"`
	// ServesAll reports whether it alone could serve every line it was asked for.
	ServesAll bool `json:"servesAll"`
	Chosen    bool `json:"chosen"`
	// Takes is what a chosen location serves of each line.
	Takes  []int  `json:"takes,omitempty"`
	Reason string `json:"reason"`
}

// Discrepancy is a shortfall a till sale left for the store to recount.
type Discrepancy struct {
	SKU          string `json:"sku"`
	LocationCode string `json:"locationCode"`
	Quantity     int    `json:"quantity"`
}

// need is a quantity of a variant the order needs.
type need struct {
	sku       string
	variantID int64
	qty       int
}

// cand is a location considered while planning.
type cand struct {
	loc      location.Location
	avail    []int   // per need
	distance float64 // +Inf when unknown
	priority int
	chosen   bool
	takes    []int
	reason   string
}

// part is what one location serves.
type part struct {
	loc location.Location
	qty []int // per need
}

// plan is where an order's goods come from, with the explanation to store.
type plan struct {
	method  Method
	rule    Rule
	pickup  *location.Location
	readyOn string // ship-to-store: YYYY-MM-DD in the pickup store's time zone
	parts   []part
	explain Explanation
}

// planner chooses locations for the needs of one order from what each has available.
type planner struct {
	cfg    Config
	needs  []need
	cands  []*cand // every location with stock of any need
	origin *Point
}

// newPlanner returns a planner over the availability of needs at each location
// (availability[i] by location for needs[i]).
func newPlanner(cfg Config, needs []need, locs map[int64]location.Location, availability []map[int64]int) *planner {
	p := &planner{cfg: cfg, needs: needs}
	for _, l := range locs {
		c := &cand{loc: l, avail: make([]int, len(needs)), distance: math.Inf(1), priority: len(cfg.LocationPriority)}
		if i := slices.Index(cfg.LocationPriority, l.Code); i >= 0 {
			c.priority = i
		}
		for i := range needs {
			c.avail[i] = availability[i][l.ID]
		}
		p.cands = append(p.cands, c)
	}
	slices.SortFunc(p.cands, func(a, b *cand) int { return cmp.Compare(a.loc.Code, b.loc.Code) })
	return p
}

// measureFrom sets the origin distances are measured from.
func (p *planner) measureFrom(pt *Point) {
	p.origin = pt
	for _, c := range p.cands {
		c.distance = math.Inf(1)
		if pt != nil {
			c.distance = c.loc.DistanceKm(pt.Latitude, pt.Longitude)
		}
	}
}

// criterion is what ranks one location before another, in policy order.
type criterion int

const (
	same criterion = iota
	byKind
	byDistance
	byPriority
	byCode
)

// rank compares a and b by the policy: warehouses before stores, then nearest to the
// origin (unknown distances last), then the priority order, then code. It returns the
// comparison and the criterion that decided it.
func rank(a, b *cand) (int, criterion) {
	if a.loc.Kind != b.loc.Kind {
		if a.loc.Kind == location.Warehouse {
			return -1, byKind
		}
		return 1, byKind
	}
	if c := cmp.Compare(a.distance, b.distance); c != 0 { // unknown (+Inf) last
		return c, byDistance
	}
	if c := cmp.Compare(a.priority, b.priority); c != 0 {
		return c, byPriority
	}
	return cmp.Compare(a.loc.Code, b.loc.Code), byCode
}

// why explains in words why winner ranks before c by criterion k.
func why(k criterion, winner, c *cand) string {
	switch k {
	case byKind:
		return "a store: warehouses ship first, so that stores keep their stock for shoppers"
	case byDistance:
		if math.IsInf(c.distance, 1) {
			return fmt.Sprintf("its distance is unknown; %s is %.1f km away", winner.loc.Code, winner.distance)
		}
		return fmt.Sprintf("farther: %.1f km against %.1f km for %s", c.distance, winner.distance, winner.loc.Code)
	case byPriority:
		return fmt.Sprintf("after %s in the location priority order", winner.loc.Code)
	}
	return fmt.Sprintf("as good as %s, which comes first by code", winner.loc.Code)
}

// serves reports whether c has want of every need.
func (c *cand) serves(want []int) bool {
	for i, w := range want {
		if c.avail[i] < w {
			return false
		}
	}
	return true
}

// shortOf lists what c lacks of want, e.g. "SKU-1: 1 of 2".
func (p *planner) shortOf(c *cand, want []int) string {
	var out []string
	for i, w := range want {
		if c.avail[i] < w {
			out = append(out, fmt.Sprintf("%s: %d of %d", p.needs[i].sku, c.avail[i], w))
		}
	}
	return strings.Join(out, ", ")
}

// choose picks the locations among cands that serve want: the best-ranked one that can
// serve all of it, or else (split) repeatedly the one that covers most of what is still
// wanted, best-ranked first on a tie. It records on each candidate whether and why it was
// chosen. short is what no location could cover (nil when everything is covered).
func (p *planner) choose(want []int, cands []*cand) (parts []part, split bool, short []int) {
	slices.SortStableFunc(cands, func(a, b *cand) int { c, _ := rank(a, b); return c })
	var able []*cand
	for _, c := range cands {
		if c.serves(want) {
			able = append(able, c)
		}
	}
	if len(able) > 0 {
		w := able[0]
		w.chosen, w.takes = true, slices.Clone(want)
		w.reason = "serves the whole order"
		if len(able) > 1 {
			_, k := rank(w, able[1])
			w.reason += fmt.Sprintf(", like %d other location(s); ranked first: %s", len(able)-1, winnerWhy(k, w))
		}
		for _, c := range cands {
			if c == w {
				continue
			}
			if !c.serves(want) {
				c.reason = "cannot serve the whole order (" + p.shortOf(c, want) + ")"
				continue
			}
			_, k := rank(w, c)
			c.reason = why(k, w, c)
		}
		return []part{{loc: w.loc, qty: w.takes}}, false, nil
	}

	left := slices.Clone(want)
	free := map[*cand][]int{}
	for _, c := range cands {
		free[c] = slices.Clone(c.avail)
	}
	for slices.ContainsFunc(left, func(n int) bool { return n > 0 }) {
		var best *cand
		bestCover := 0
		for _, c := range cands {
			cover := 0
			for i, n := range left {
				cover += min(n, free[c][i])
			}
			if cover > bestCover {
				best, bestCover = c, cover
			}
		}
		if best == nil {
			break
		}
		still := 0
		for _, n := range left {
			still += n
		}
		take := make([]int, len(left))
		for i, n := range left {
			take[i] = min(n, free[best][i])
			left[i] -= take[i]
			free[best][i] -= take[i]
		}
		best.chosen, best.takes = true, take
		best.reason = fmt.Sprintf("no single location serves the whole order; takes %d of the %d units still needed, "+
			"the most of any location", bestCover, still)
		parts = append(parts, part{loc: best.loc, qty: take})
	}
	for _, c := range cands {
		if c.chosen {
			continue
		}
		has := false
		for i, w := range want {
			has = has || (w > 0 && c.avail[i] > 0)
		}
		if has {
			c.reason = "cannot serve the whole order (" + p.shortOf(c, want) + "); not needed: the chosen locations cover more"
		} else {
			c.reason = "has none of the items"
		}
	}
	if slices.ContainsFunc(left, func(n int) bool { return n > 0 }) {
		return nil, true, left
	}
	return parts, true, nil
}

// winnerWhy says what ranked the winner first, by criterion k.
func winnerWhy(k criterion, w *cand) string {
	switch k {
	case byKind:
		return "a warehouse (warehouses ship before stores)"
	case byDistance:
		return fmt.Sprintf("the nearest (%.1f km)", w.distance)
	case byPriority:
		return "first in the location priority order"
	}
	return "first by code"
}

// ship plans a SHIP order: see Explanation.Policy.
func (p *planner) ship(addr *Address) (*plan, []int) {
	if addr.Latitude != nil && addr.Longitude != nil {
		p.measureFrom(&Point{*addr.Latitude, *addr.Longitude})
	}
	want := p.wanted()
	parts, split, short := p.choose(want, slices.Clone(p.cands))
	if short != nil {
		return nil, short
	}
	pl := &plan{method: Ship, rule: RuleSingleLocation, parts: parts}
	pl.explain.Policy = "one location for the whole order when one can serve it; warehouses before stores; stores keep " +
		"their safety stock; then the nearest to the address (without coordinates, the priority order " +
		p.priorityList() + "); split only when no single location can serve the order"
	if split {
		pl.rule = RuleSplit
		pl.explain.Summary = fmt.Sprintf("Split over %d locations (%s): no single location can serve the whole order.",
			len(parts), partCodes(parts))
	} else {
		pl.explain.Summary = fmt.Sprintf("Ships from %s: %s.", parts[0].loc.Code, p.chosen()[0].reason)
	}
	p.finish(pl, nil)
	return pl, nil
}

// pickup plans a PICKUP order at store: its own stock first, the rest sent to it by
// the locations that would ship it (ranked from the store), ready readyOn.
func (p *planner) pickup(store location.Location, readyOn string) (*plan, []int) {
	var sc *cand
	var others []*cand
	for _, c := range p.cands {
		if c.loc.ID == store.ID {
			sc = c
		} else {
			others = append(others, c)
		}
	}
	if sc == nil {
		sc = &cand{loc: store, avail: make([]int, len(p.needs)), distance: math.Inf(1)}
		p.cands = append(p.cands, sc)
	}
	if store.Latitude != nil && store.Longitude != nil {
		p.measureFrom(&Point{*store.Latitude, *store.Longitude})
	}
	want := p.wanted()
	pl := &plan{method: Pickup, rule: RulePickupStore, pickup: &store}
	pl.explain.Policy = fmt.Sprintf("the pickup store's own stock first; what it lacks is sent to it from the location "+
		"that would ship it (one location when one can, warehouses before stores, then the nearest to the store), "+
		"ready in %d day(s)", p.cfg.ShipToStoreDays)
	local := make([]int, len(want))
	rest := make([]int, len(want))
	for i, w := range want {
		local[i] = min(w, sc.avail[i])
		rest[i] = w - local[i]
	}
	sc.takes = local
	sc.chosen = slices.ContainsFunc(local, func(n int) bool { return n > 0 })
	if sc.chosen {
		pl.parts = append(pl.parts, part{loc: store, qty: local})
	}
	if !slices.ContainsFunc(rest, func(n int) bool { return n > 0 }) {
		sc.reason = "the pickup store has everything"
		for _, c := range others {
			c.reason = "not needed: the pickup store has everything"
		}
		pl.explain.Summary = fmt.Sprintf("Collect at %s from its own stock.", store.Code)
		p.finish(pl, sc)
		return pl, nil
	}
	parts, split, short := p.choose(rest, others)
	if short != nil {
		return nil, short
	}
	if sc.chosen {
		sc.reason = "the pickup store gives what it has (" + p.shortOf(sc, want) + "); the rest is sent to it"
	} else {
		sc.reason = "the pickup store has none of the items; they are sent to it"
	}
	pl.rule, pl.readyOn = RuleShipToStore, readyOn
	pl.parts = append(pl.parts, parts...)
	how := "from " + partCodes(parts)
	if split {
		how += " (no single location has everything)"
	}
	pl.explain.Summary = fmt.Sprintf("Collect at %s: sent there %s, expected ready on %s.", store.Code, how, readyOn)
	p.finish(pl, sc)
	return pl, nil
}

// carryOut plans a till sale at store: everything leaves from the store now.
func (p *planner) carryOut(store location.Location) *plan {
	var sc *cand
	for _, c := range p.cands {
		if c.loc.ID == store.ID {
			sc = c
		}
	}
	if sc == nil {
		sc = &cand{loc: store, avail: make([]int, len(p.needs)), distance: math.Inf(1)}
	}
	p.cands = []*cand{sc}
	want := p.wanted()
	sc.chosen, sc.takes = true, want
	sc.reason = "the till's store: the customer takes the goods now"
	pl := &plan{method: CarryOut, rule: RuleCarryOut, parts: []part{{loc: store, qty: want}}}
	pl.explain.Policy = "a till sale leaves from the till's store with the customer; it is never refused for the " +
		"system's stock: a shortfall becomes a discrepancy for the store to recount"
	pl.explain.Summary = fmt.Sprintf("Sold and handed over at %s.", store.Code)
	p.finish(pl, sc)
	return pl
}

// wanted is the quantity of each need.
func (p *planner) wanted() []int {
	out := make([]int, len(p.needs))
	for i, n := range p.needs {
		out[i] = n.qty
	}
	return out
}

// chosen returns the chosen candidates.
func (p *planner) chosen() []*cand {
	var out []*cand
	for _, c := range p.cands {
		if c.chosen {
			out = append(out, c)
		}
	}
	return out
}

// finish writes the explanation's lines and candidates: first (the pickup or till
// store), then the others in rank order.
func (p *planner) finish(pl *plan, first *cand) {
	e := &pl.explain
	e.Rule, e.Origin = pl.rule, p.origin
	for _, n := range p.needs {
		e.Lines = append(e.Lines, ExplainedLine{SKU: n.sku, Quantity: n.qty})
	}
	cands := slices.Clone(p.cands)
	slices.SortStableFunc(cands, func(a, b *cand) int {
		if (a == first) != (b == first) {
			if a == first {
				return -1
			}
			return 1
		}
		c, _ := rank(a, b)
		return c
	})
	for _, c := range cands {
		out := Candidate{LocationID: c.loc.ID, Code: c.loc.Code, Kind: c.loc.Kind, Available: c.avail,
			ServesAll: c.serves(p.wanted()), Chosen: c.chosen, Reason: c.reason}
		if c.chosen {
			out.Takes = c.takes
		}
		if !math.IsInf(c.distance, 1) {
			d := math.Round(c.distance*10) / 10
			out.DistanceKm = &d
		}
		e.Candidates = append(e.Candidates, out)
	}
}

func (p *planner) priorityList() string {
	if len(p.cfg.LocationPriority) == 0 {
		return "by code"
	}
	return strings.Join(p.cfg.LocationPriority, ", ") + ", then by code"
}

func partCodes(parts []part) string {
	codes := make([]string, len(parts))
	for i, pt := range parts {
		codes[i] = pt.loc.Code
	}
	return strings.Join(codes, ", ")
}
