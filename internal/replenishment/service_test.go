package replenishment_test

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
)

// scenario crafts, on eight weeks of history with the default policy (95%, review 7 days,
// default lead time 14):
//
//	A  TPE-01 sells 4 a day, holds 10; WH-TAO holds 100, TPE-02 30 (no sales); S1 sells it.
//	B  TPE-01 sells 4 a day, holds 0; WH-TAO holds 18; S1 sells it at 25.00 in packs of 12,
//	   at least 24.
//	C  TPE-02 sells 1 a day, holds 8; S1 sells it at 10.00 in packs of 6, at least 24.
//	D  TPE-01 sells 4 a day, holds 41 (above its reorder point of 40).
//	E  TPE-01 sells 4 a day, holds 45 with 30 reserved; S1 sells it at 12.00, S2 (lead time
//	   5 days) at 9.50.
//	F  TPE-01 sells 4 a day, holds 0, and nobody sells it.
//
// S1 has a lead time of 10 days and a minimum order of NT$1,000; S2 none.
type scenario struct {
	*fixture
	s1, s2              purchasing.Supplier
	a, b, c, d, e, fVar int64
}

func newScenario(t *testing.T, opts ...replenishment.Option) *scenario {
	t.Helper()
	sc := &scenario{fixture: newFixture(t, opts...)}
	sc.s1 = sc.supplier(t, "SUP-ONE", 10, 100000)
	sc.s2 = sc.supplier(t, "SUP-TWO", 5, 0)
	week8 := 56
	sc.a = sc.variant(t)
	sc.sales(t, "TPE-01", sc.a, daily(4, week8))
	sc.stock(t, "TPE-01", sc.a, 10)
	sc.stock(t, "WH-TAO", sc.a, 100)
	sc.stock(t, "TPE-02", sc.a, 30)
	sc.item(t, sc.s1, sc.a, "10.00", 1, 1)

	sc.b = sc.variant(t)
	sc.sales(t, "TPE-01", sc.b, daily(4, week8))
	sc.stock(t, "WH-TAO", sc.b, 18)
	sc.item(t, sc.s1, sc.b, "25.00", 12, 24)

	sc.c = sc.variant(t)
	sc.sales(t, "TPE-02", sc.c, daily(1, week8))
	sc.stock(t, "TPE-02", sc.c, 8)
	sc.item(t, sc.s1, sc.c, "10.00", 6, 24)

	sc.d = sc.variant(t)
	sc.sales(t, "TPE-01", sc.d, daily(4, week8))
	sc.stock(t, "TPE-01", sc.d, 41)
	sc.item(t, sc.s1, sc.d, "10.00", 1, 1)

	sc.e = sc.variant(t)
	sc.sales(t, "TPE-01", sc.e, daily(4, week8))
	sc.stock(t, "TPE-01", sc.e, 45)
	must(t, sc.inv.Reserve(system, sc.db, "ORD:RP-TEST", []inventory.Line{{LocationID: sc.loc["TPE-01"], VariantID: sc.e, Qty: 30}}))
	sc.item(t, sc.s1, sc.e, "12.00", 1, 1)
	sc.item(t, sc.s2, sc.e, "9.50", 1, 1)

	sc.fVar = sc.variant(t)
	sc.sales(t, "TPE-01", sc.fVar, daily(4, week8))
	return sc
}

type want struct {
	kind             replenishment.Kind
	location, from   string
	supplier         string
	qty, needed      int
	rop, out, lead   int
	onHand, reserved int
	cover            *float64
	reasonHas        []string
}

func ptr[T any](v T) *T { return &v }

func TestSuggestionArithmetic(t *testing.T) {
	sc := newScenario(t)
	run, err := sc.svc.Compute(sc.as("buyer"))
	must(t, err)
	code := func(id int64) string {
		for c, l := range sc.loc {
			if l == id {
				return c
			}
		}
		return "?"
	}
	tests := []struct {
		name    string
		variant int64
		want    []want
	}{
		{"rebalance from the warehouse is preferred over a purchase", sc.a, []want{{kind: replenishment.Transfer,
			location: "TPE-01", from: "WH-TAO", qty: 58, needed: 58, rop: 40, out: 68, lead: 10, onHand: 10, cover: ptr(2.5),
			reasonHas: []string{"WH-TAO is a warehouse with 100 units beyond its own order-up-to level 0"}}}},
		{"what transfers cannot cover is bought in whole packs", sc.b, []want{
			{kind: replenishment.Transfer, location: "TPE-01", from: "WH-TAO", qty: 18, needed: 68, rop: 40, out: 68, lead: 10,
				cover: ptr(0.0)},
			{kind: replenishment.Purchase, location: "TPE-01", supplier: "SUP-ONE", qty: 60, needed: 68, rop: 40, out: 68,
				lead: 10, cover: ptr(0.0), reasonHas: []string{"Buy 50 from", "rounded up to packs of 12 with a minimum of 24: 60."}}}},
		{"a small need is raised to the minimum order quantity", sc.c, []want{{kind: replenishment.Purchase,
			location: "TPE-02", supplier: "SUP-ONE", qty: 24, needed: 9, rop: 10, out: 17, lead: 10, onHand: 8, cover: ptr(8.0)}}},
		{"nothing when the position is above the reorder point", sc.d, nil},
		{"reserved units do not count; the cheapest supplier and its lead time are used", sc.e, []want{{
			kind: replenishment.Purchase, location: "TPE-01", supplier: "SUP-TWO", qty: 33, needed: 33, rop: 20, out: 48,
			lead: 5, onHand: 45, reserved: 30, cover: ptr(3.8)}}},
		{"a need nobody sells is shown as unsourced", sc.fVar, []want{{kind: replenishment.Unsourced, location: "TPE-01",
			qty: 84, needed: 84, rop: 56, out: 84, lead: 14, cover: ptr(0.0), reasonHas: []string{"no active supplier sells"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := of(run, tt.variant)
			if len(got) != len(tt.want) {
				t.Fatalf("%d suggestions, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Kind != w.kind || g.LocationCode != w.location || g.Quantity != w.qty || g.Needed != w.needed {
					t.Errorf("#%d: %s %d (needed %d) at %s; want %s %d (needed %d) at %s", i, g.Kind, g.Quantity, g.Needed,
						g.LocationCode, w.kind, w.qty, w.needed, w.location)
				}
				if w.from != "" && (g.FromLocationID == nil || code(*g.FromLocationID) != w.from) {
					t.Errorf("#%d: from %v, want %s", i, g.FromLocationCode, w.from)
				}
				if w.supplier != "" && (g.SupplierCode == nil || *g.SupplierCode != w.supplier) {
					t.Errorf("#%d: supplier %v, want %s", i, g.SupplierCode, w.supplier)
				}
				if g.ReorderPoint != w.rop || g.OrderUpTo != w.out || g.LeadTimeDays != w.lead || g.SafetyStock != 0 ||
					g.OnHand != w.onHand || g.Reserved != w.reserved || g.ReviewPeriodDays != 7 {
					t.Errorf("#%d: ROP %d OUT %d lead %d SS %d on hand %d reserved %d; want %d %d %d 0 %d %d", i, g.ReorderPoint,
						g.OrderUpTo, g.LeadTimeDays, g.SafetyStock, g.OnHand, g.Reserved, w.rop, w.out, w.lead, w.onHand, w.reserved)
				}
				if g.Method != replenishment.HoltWinters || math.Abs(g.ForecastPerDay-perDay(tt.variant, sc)) > 1e-6 {
					t.Errorf("#%d: %s forecast %.4f a day", i, g.Method, g.ForecastPerDay)
				}
				if (g.CoverDays == nil) != (w.cover == nil) || (g.CoverDays != nil && *g.CoverDays != *w.cover) {
					t.Errorf("#%d: cover %v, want %v", i, g.CoverDays, w.cover)
				}
				for _, s := range w.reasonHas {
					if !strings.Contains(g.Reason, s) {
						t.Errorf("#%d: reason %q lacks %q", i, g.Reason, s)
					}
				}
			}
		})
	}
	t.Run("orders are grouped per supplier and location and flagged under the minimum value", func(t *testing.T) {
		var mine []replenishment.OrderGroup
		for _, o := range run.Orders {
			if o.SupplierID == sc.s1.ID || o.SupplierID == sc.s2.ID {
				mine = append(mine, o)
			}
		}
		type g struct {
			supplier, location string
			total, shortfall   int64
			below              bool
			lines              int
		}
		var got []g
		for _, o := range mine {
			got = append(got, g{o.SupplierCode, o.LocationCode, o.Total, o.Shortfall, o.BelowMinimum, len(o.SuggestionIDs)})
		}
		// S1: B 60 × 25.00 at TPE-01 (NT$1,500, above the NT$1,000 minimum); C 24 × 10.00 at
		// TPE-02 (NT$240, NT$760 short). S2: E 33 × 9.50 (no minimum).
		wantGroups := []g{
			{"SUP-ONE", "TPE-01", 150000, 0, false, 1},
			{"SUP-ONE", "TPE-02", 24000, 76000, true, 1},
			{"SUP-TWO", "TPE-01", 31350, 0, false, 1},
		}
		if !slices.Equal(got, wantGroups) {
			t.Errorf("order groups %+v, want %+v", got, wantGroups)
		}
	})
	t.Run("transfers are grouped per route", func(t *testing.T) {
		for _, tr := range run.Transfers {
			if tr.FromLocationCode == "WH-TAO" && tr.ToLocationCode == "TPE-01" {
				if tr.Units != 58+18 || len(tr.SuggestionIDs) != 2 {
					t.Errorf("WH-TAO → TPE-01: %d units in %d suggestions, want 76 in 2", tr.Units, len(tr.SuggestionIDs))
				}
				return
			}
		}
		t.Error("no WH-TAO → TPE-01 transfer group")
	})
}

// perDay is the crafted demand of a scenario variant.
func perDay(v int64, sc *scenario) float64 {
	if v == sc.c {
		return 1
	}
	return 4
}

func TestConvert(t *testing.T) {
	sc := newScenario(t)
	run, err := sc.svc.Compute(sc.as("buyer"))
	must(t, err)
	var purchases, transfers []int64
	var unsourced int64
	for _, g := range run.Suggestions {
		if !slices.Contains([]int64{sc.a, sc.b, sc.c, sc.d, sc.e, sc.fVar}, g.VariantID) {
			continue
		}
		switch g.Kind {
		case replenishment.Purchase:
			purchases = append(purchases, g.ID)
		case replenishment.Transfer:
			transfers = append(transfers, g.ID)
		case replenishment.Unsourced:
			unsourced = g.ID
		}
	}
	countPOs := func() int {
		var n int
		must(t, sc.db.Get(&n, `SELECT count(*) FROM purchase_orders`))
		return n
	}

	var drafted inventory.Transfer
	t.Run("a buyer drafts the transfers, moving no stock", func(t *testing.T) {
		levels := func() map[inventory.LevelKey]int {
			t.Helper()
			got, err := sc.inv.LevelsByVariantIDs(sc.as("buyer"), []int64{sc.a, sc.b})
			must(t, err)
			out := map[inventory.LevelKey]int{}
			for vid, ls := range got {
				for _, l := range ls {
					out[inventory.LevelKey{LocationID: l.LocationID, VariantID: vid}] = l.OnHand*1000 + l.Incoming
				}
			}
			return out
		}
		stockBefore := levels()
		conv, err := sc.svc.Convert(sc.as("buyer"), replenishment.ConvertInput{RunID: run.ID, SuggestionIDs: transfers})
		must(t, err)
		for _, tr := range conv.Transfers {
			if tr.FromLocationID == sc.loc["WH-TAO"] && tr.ToLocationID == sc.loc["TPE-01"] {
				drafted = tr
			}
		}
		if drafted.ID == 0 || drafted.Status != inventory.TransferDraft || len(conv.Orders) != 0 {
			t.Fatalf("conversion %+v, want a draft WH-TAO → TPE-01 transfer and no order", conv)
		}
		if after := levels(); !maps.Equal(after, stockBefore) {
			t.Errorf("stock moved on drafting: %v, was %v", after, stockBefore)
		}
	})
	t.Run("an unsourced need cannot be converted", func(t *testing.T) {
		_, err := sc.svc.Convert(sc.as("buyer"), replenishment.ConvertInput{RunID: run.ID, SuggestionIDs: []int64{unsourced}})
		if errs, ok := apperr.Errors(err); !ok || errs[0].Reason != replenishment.ReasonUnsourced {
			t.Fatalf("err %v, want UNSOURCED", err)
		}
	})
	t.Run("a suggestion of another run is refused", func(t *testing.T) {
		_, err := sc.svc.Convert(sc.as("buyer"), replenishment.ConvertInput{RunID: run.ID, SuggestionIDs: []int64{-5}})
		if apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("err %v, want Invalid", err)
		}
	})
	t.Run("another day's run is stale", func(t *testing.T) {
		later := replenishment.NewService(sc.db, sc.inv, sc.buy, replenishment.WithClock(func() time.Time {
			return time.Now().Add(48 * time.Hour)
		}))
		_, err := later.Convert(sc.as("buyer"), replenishment.ConvertInput{RunID: run.ID, SuggestionIDs: purchases})
		if e, ok := apperr.As(err); !ok || e.Reason != replenishment.ReasonStaleRun {
			t.Fatalf("err %v, want STALE_RUN", err)
		}
	})

	before := countPOs()
	var first replenishment.Conversion
	t.Run("purchases become one draft order per supplier and location", func(t *testing.T) {
		first, err = sc.svc.Convert(sc.as("buyer"), replenishment.ConvertInput{RunID: run.ID, SuggestionIDs: purchases})
		must(t, err)
		if len(first.Orders) != 3 || len(first.Transfers) != 0 || countPOs() != before+3 {
			t.Fatalf("%d orders, %d transfers, %d new orders in the database; want 3, 0, 3", len(first.Orders),
				len(first.Transfers), countPOs()-before)
		}
		type line struct {
			supplier, location string
			variant            int64
			qty                int
			cost               string
		}
		var got []line
		for _, o := range first.Orders {
			if o.Status != purchasing.Draft || o.CreatedBy != sc.staff["buyer"].ID || !strings.Contains(o.Note, "replenishment run") {
				t.Errorf("order %d: %s by %d, note %q", o.ID, o.Status, o.CreatedBy, o.Note)
			}
			for _, l := range o.Lines {
				got = append(got, line{o.SupplierCode, o.LocationCode, l.VariantID, l.Quantity, l.UnitCost.StringFixed(2)})
			}
		}
		wantLines := []line{{"SUP-ONE", "TPE-01", sc.b, 60, "25.00"}, {"SUP-ONE", "TPE-02", sc.c, 24, "10.00"},
			{"SUP-TWO", "TPE-01", sc.e, 33, "9.50"}}
		slices.SortFunc(got, func(a, b line) int { return strings.Compare(a.supplier+a.location, b.supplier+b.location) })
		if !slices.Equal(got, wantLines) {
			t.Errorf("lines %+v, want %+v", got, wantLines)
		}
		after, err := sc.svc.Run(sc.as("buyer"), run.ID)
		must(t, err)
		for _, g := range after.Suggestions {
			if slices.Contains(purchases, g.ID) && (g.PurchaseOrderID == nil || !g.Converted()) {
				t.Errorf("suggestion %d not marked converted", g.ID)
			}
		}
	})
	t.Run("converting again makes nothing twice", func(t *testing.T) {
		again, err := sc.svc.Convert(sc.as("manager"), replenishment.ConvertInput{RunID: run.ID, SuggestionIDs: purchases})
		must(t, err)
		if countPOs() != before+3 || len(again.AlreadyConverted) != len(purchases) || !sameOrders(again.Orders, first.Orders) {
			t.Errorf("again: %d orders (%d in the database), %d already converted", len(again.Orders), countPOs()-before,
				len(again.AlreadyConverted))
		}
	})
	t.Run("a manager converts the rest: one transfer per route", func(t *testing.T) {
		rest, err := sc.svc.Convert(sc.as("manager"), replenishment.ConvertInput{RunID: run.ID})
		must(t, err)
		var mine *inventory.Transfer
		for i, tr := range rest.Transfers {
			if tr.FromLocationID == sc.loc["WH-TAO"] && tr.ToLocationID == sc.loc["TPE-01"] {
				mine = &rest.Transfers[i]
			}
		}
		if mine == nil || mine.Status != inventory.TransferDraft {
			t.Fatalf("no draft WH-TAO → TPE-01 transfer in %+v", rest.Transfers)
		}
		qty := map[int64]int{}
		for _, l := range mine.Lines {
			qty[l.VariantID] = l.Qty
		}
		if qty[sc.a] != 58 || qty[sc.b] != 18 {
			t.Errorf("transfer lines %v, want %d: 58 and %d: 18", qty, sc.a, sc.b)
		}
		// Everything includes the demo catalogue's own suggestions; the scenario's
		// suppliers get no second order.
		var ours int
		must(t, sc.db.Get(&ours, `SELECT count(*) FROM purchase_orders WHERE supplier_id IN ($1, $2)`, sc.s1.ID, sc.s2.ID))
		if ours != 3 || len(rest.AlreadyConverted) < len(purchases) {
			t.Errorf("converting everything: %d orders of the scenario's suppliers, %d reported converted", ours,
				len(rest.AlreadyConverted))
		}
		for _, o := range first.Orders {
			if !slices.ContainsFunc(rest.Orders, func(r purchasing.Order) bool { return r.ID == o.ID }) {
				t.Errorf("order %d missing from the result", o.ID)
			}
		}
		again, err := sc.svc.Convert(sc.as("manager"), replenishment.ConvertInput{RunID: run.ID, SuggestionIDs: transfers})
		must(t, err)
		if len(again.Transfers) != 1 || again.Transfers[0].ID != mine.ID || mine.ID != drafted.ID {
			t.Errorf("converting the transfers again gave %+v", again.Transfers)
		}
	})
}

func TestComputeAfterConvertCountsDrafts(t *testing.T) {
	sc := newScenario(t)
	run, err := sc.svc.Compute(sc.as("manager"))
	must(t, err)
	_, err = sc.svc.Convert(sc.as("manager"), replenishment.ConvertInput{RunID: run.ID})
	must(t, err)
	again, err := sc.svc.Compute(sc.as("manager"))
	must(t, err)
	for _, v := range []int64{sc.a, sc.b, sc.c, sc.e} {
		if got := of(again, v); len(got) != 0 {
			t.Errorf("variant %d suggested again after its drafts: %+v", v, got[0])
		}
	}
	if got := of(again, sc.fVar); len(got) != 1 || got[0].Kind != replenishment.Unsourced {
		t.Errorf("the unsourced need is gone: %+v", got)
	}
}

func sameOrders(a, b []purchasing.Order) bool {
	ids := func(os []purchasing.Order) []int64 {
		var out []int64
		for _, o := range os {
			out = append(out, o.ID)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(ids(a), ids(b))
}

func TestAccessAndSettings(t *testing.T) {
	f := newFixture(t)
	t.Run("an associate cannot compute suggestions", func(t *testing.T) {
		if _, err := f.svc.Compute(f.as("associate")); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Errorf("err %v, want Forbidden", err)
		}
	})
	t.Run("a buyer cannot change the policy", func(t *testing.T) {
		st, err := f.svc.Settings(f.as("buyer"))
		must(t, err)
		if _, err := f.svc.SetSettings(f.as("buyer"), st); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Errorf("err %v, want Forbidden", err)
		}
	})
	t.Run("bad settings are explained field by field", func(t *testing.T) {
		_, err := f.svc.SetSettings(f.as("manager"), replenishment.Settings{ServiceLevel: decimal.RequireFromString("1.2"),
			ReviewPeriodDays: 0, HistoryDays: 7, TransferDays: 2, DefaultLeadTimeDays: 14})
		errs, ok := apperr.Errors(err)
		if !ok || len(errs) != 3 {
			t.Fatalf("err %v, want serviceLevel, reviewPeriodDays and historyDays", err)
		}
	})
	t.Run("a manager sets the service level used by the next run", func(t *testing.T) {
		st, err := f.svc.SetSettings(f.as("manager"), replenishment.Settings{ServiceLevel: decimal.RequireFromString("0.98"),
			ReviewPeriodDays: 14, HistoryDays: 91, TransferDays: 1, DefaultLeadTimeDays: 10})
		must(t, err)
		run, err := f.svc.Compute(f.as("manager"))
		must(t, err)
		if !run.ServiceLevel.Equal(st.ServiceLevel) || run.ReviewPeriodDays != 14 || run.HistoryDays != 91 {
			t.Errorf("run settings %v %d %d", run.ServiceLevel, run.ReviewPeriodDays, run.HistoryDays)
		}
		latest, err := f.svc.LatestRun(f.as("buyer"))
		must(t, err)
		if latest.ID != run.ID {
			t.Errorf("latest run %d, want %d", latest.ID, run.ID)
		}
	})
}
