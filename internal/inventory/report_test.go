package inventory_test

import (
	"slices"
	"testing"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
)

// categorize puts the fixture's plain product in a subcategory of "Home" and the lot-tracked
// one in "Food", returning the ids of Home and Food.
func (f *fixture) categorize() (home, food int64) {
	f.t.Helper()
	if err := f.db.Get(&home, `INSERT INTO categories (handle, name) VALUES ('home', 'Home') RETURNING id`); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.Get(&food, `INSERT INTO categories (handle, name) VALUES ('food', 'Food') RETURNING id`); err != nil {
		f.t.Fatal(err)
	}
	_, err := f.db.Exec(`
		WITH kitchen AS (INSERT INTO categories (handle, name, parent_id) VALUES ('kitchen', 'Kitchen', $1) RETURNING id)
		UPDATE products SET category_id = CASE WHEN lot_tracked THEN $2 ELSE (SELECT id FROM kitchen) END`, home, food)
	if err != nil {
		f.t.Fatal(err)
	}
	return home, food
}

func levelKeys(ls []inventory.Level) [][2]int64 {
	var out [][2]int64
	for _, l := range ls {
		out = append(out, [2]int64{l.LocationID, l.VariantID})
	}
	return out
}

func TestStockOverview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	home, food := f.categorize()
	p0, p1, p2, l0 := f.plain[0], f.plain[1], f.plain[2], f.lotted[0]
	f.stock(f.a, p0, 3)
	f.stock(f.a, p1, 10)
	f.stock(f.b, p0, 5)
	f.stock(f.w, p1, 40)
	f.receiveLot(f.a, l0, 4, "OLD", -2) // expired: on hand, not available
	manager := staffCtx(f.a, actor.Manager)
	must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.a, p0, 1, 3))  // low (3 left, reorder at 3)
	must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.b, p0, 5, 2))  // out (5 - 5 safety), not low
	must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.a, p2, 0, 1))  // low, nothing there
	must[inventory.Level](t)(f.svc.SetStockPolicy(manager, f.w, p1, 0, 10)) // not low
	ctx := staffCtx(f.a, actor.Associate)

	all := func(lf inventory.LevelFilter) inventory.LevelPage {
		t.Helper()
		return must[inventory.LevelPage](t)(f.svc.Stock(ctx, lf))
	}
	key := func(loc, v int64) [2]int64 { return [2]int64{loc, v} }
	tests := []struct {
		name   string
		filter inventory.LevelFilter
		want   [][2]int64
	}{
		{"everything, in location order", inventory.LevelFilter{},
			[][2]int64{key(f.a, p0), key(f.a, p1), key(f.a, p2), key(f.a, l0), key(f.b, p0), key(f.w, p1)}},
		{"one location", inventory.LevelFilter{LocationID: &f.b}, [][2]int64{key(f.b, p0)}},
		{"low stock", inventory.LevelFilter{StockFilter: inventory.StockFilter{Low: true}},
			[][2]int64{key(f.a, p0), key(f.a, p2)}},
		{"out of stock, expired lots included", inventory.LevelFilter{StockFilter: inventory.StockFilter{OutOfStock: true}},
			[][2]int64{key(f.a, p2), key(f.a, l0), key(f.b, p0)}},
		{"category with its subcategories", inventory.LevelFilter{LocationID: &f.a, StockFilter: inventory.StockFilter{CategoryID: &home}},
			[][2]int64{key(f.a, p0), key(f.a, p1), key(f.a, p2)}},
		{"another category", inventory.LevelFilter{StockFilter: inventory.StockFilter{CategoryID: &food}},
			[][2]int64{key(f.a, l0)}},
		{"search by SKU", inventory.LevelFilter{StockFilter: inventory.StockFilter{Search: "sku-false-1"}},
			[][2]int64{key(f.a, p1), key(f.w, p1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := all(tt.filter)
			if got := levelKeys(page.Levels); !slices.Equal(got, tt.want) || page.Total != len(tt.want) || page.HasNextPage {
				t.Fatalf("got %v (total %d, next %t), want %v", got, page.Total, page.HasNextPage, tt.want)
			}
		})
	}

	t.Run("figures", func(t *testing.T) {
		page := all(inventory.LevelFilter{LocationID: &f.a, StockFilter: inventory.StockFilter{Search: "SKU-TRUE-0"}})
		if l := page.Levels[0]; l.OnHand != 4 || l.Expired != 4 || l.Available() != 0 {
			t.Fatalf("expired lot level %+v", l)
		}
	})
	t.Run("pages", func(t *testing.T) {
		var got [][2]int64
		lf := inventory.LevelFilter{StockFilter: inventory.StockFilter{First: 4}}
		for {
			page := all(lf)
			if page.Total != 6 {
				t.Fatalf("total %d on a later page", page.Total)
			}
			got = append(got, levelKeys(page.Levels)...)
			if !page.HasNextPage {
				break
			}
			last := page.Levels[len(page.Levels)-1]
			lf.After = inventory.LevelKey{LocationID: last.LocationID, VariantID: last.VariantID}
		}
		if !slices.Equal(got, tests[0].want) {
			t.Fatalf("paged through %v", got)
		}
	})
	t.Run("staff only", func(t *testing.T) {
		if _, err := f.svc.Stock(customerCtx(), inventory.LevelFilter{}); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("customer: %v", err)
		}
		if _, err := f.svc.Stock(ctx, inventory.LevelFilter{StockFilter: inventory.StockFilter{First: 101}}); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("page of 101: %v", err)
		}
	})

	t.Run("by variant", func(t *testing.T) {
		byVariant := func(sf inventory.StockFilter) []inventory.VariantStock {
			t.Helper()
			page := must[inventory.VariantStockPage](t)(f.svc.StockByVariant(ctx, inventory.VariantStockFilter{StockFilter: sf}))
			if page.Total != len(page.Variants) {
				t.Fatalf("total %d for %d variants", page.Total, len(page.Variants))
			}
			return page.Variants
		}
		vs := byVariant(inventory.StockFilter{})
		if len(vs) != 6 {
			t.Fatalf("%d variants, want all 6 (stocked or not)", len(vs))
		}
		want := inventory.VariantStock{VariantID: p0, OnHand: 8, SafetyStock: 6, Available: 2, Locations: 2, LowAt: 1}
		if vs[0] != want {
			t.Fatalf("p0 %+v, want %+v", vs[0], want)
		}
		if vs[1].OnHand != 50 || vs[1].Available != 50 || vs[1].LowAt != 0 {
			t.Fatalf("p1 %+v", vs[1])
		}
		ids := func(vs []inventory.VariantStock) []int64 {
			var out []int64
			for _, v := range vs {
				out = append(out, v.VariantID)
			}
			return out
		}
		if got := ids(byVariant(inventory.StockFilter{Low: true})); !slices.Equal(got, []int64{p0, p2}) {
			t.Fatalf("low variants %v", got)
		}
		// Out everywhere: p2 (nothing), the lot-tracked ones (expired, or never stocked).
		if got := ids(byVariant(inventory.StockFilter{OutOfStock: true})); !slices.Equal(got, []int64{p2, l0, f.lotted[1], f.lotted[2]}) {
			t.Fatalf("out-of-stock variants %v", got)
		}
		page := must[inventory.VariantStockPage](t)(f.svc.StockByVariant(ctx, inventory.VariantStockFilter{
			StockFilter: inventory.StockFilter{First: 4, CategoryID: &home}, After: p0}))
		if got := ids(page.Variants); !slices.Equal(got, []int64{p1, p2}) || page.Total != 3 || page.HasNextPage {
			t.Fatalf("second page of Home: %v, total %d", got, page.Total)
		}
	})
}

// backdate moves the level's movements of kind made in the last minute back by days.
func (f *fixture) backdate(loc, variant int64, kind inventory.Kind, days int) {
	f.t.Helper()
	_, err := f.db.Exec(`UPDATE stock_movements SET at = at - make_interval(days => $4)
		WHERE location_id = $1 AND variant_id = $2 AND kind = $3 AND at > now() - interval '1 minute'`,
		loc, variant, string(kind), days)
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) sell(loc, variant int64, qty int) {
	f.t.Helper()
	_, err := f.svc.SellCarryOut(system, f.db, "ORD:"+newKey(), []inventory.Line{{LocationID: loc, VariantID: variant, Qty: qty}})
	if err != nil {
		f.t.Fatal(err)
	}
}

func TestSlowMoving(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p0, p1, p2 := f.plain[0], f.plain[1], f.plain[2]
	// p0 at A: 10 received 200 days ago, 5 received 50 days ago, 7 sold 100 days ago.
	f.stock(f.a, p0, 10)
	f.backdate(f.a, p0, inventory.KindReceipt, 200)
	f.sell(f.a, p0, 7)
	f.backdate(f.a, p0, inventory.KindSale, 100)
	f.stock(f.a, p0, 5)
	f.backdate(f.a, p0, inventory.KindReceipt, 50)
	// p1 at A: 10 received 40 days ago, 3 sold 5 days ago.
	f.stock(f.a, p1, 10)
	f.backdate(f.a, p1, inventory.KindReceipt, 40)
	f.sell(f.a, p1, 3)
	f.backdate(f.a, p1, inventory.KindSale, 5)
	// p2 at A: sold out, never slow.
	f.stock(f.a, p2, 1)
	f.sell(f.a, p2, 1)
	f.backdate(f.a, p2, inventory.KindSale, 400)
	// p0 at B: 4 received 20 days ago, 6 ten days ago, 7 written off today: the 3 left
	// are of the newer receipt.
	f.stock(f.b, p0, 4)
	f.backdate(f.b, p0, inventory.KindReceipt, 20)
	f.stock(f.b, p0, 6)
	f.backdate(f.b, p0, inventory.KindReceipt, 10)
	must[inventory.Result](t)(f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.b,
		VariantID: p0, Delta: -7, Reason: "broken"}))
	ctx := staffCtx(f.a, actor.Associate)
	now := time.Now()

	slow := func(sf inventory.SlowMovingFilter) []inventory.SlowMover {
		t.Helper()
		return must[inventory.SlowMovingPage](t)(f.svc.SlowMoving(ctx, sf)).Levels
	}
	keys := func(ms []inventory.SlowMover) [][2]int64 {
		var out [][2]int64
		for _, m := range ms {
			out = append(out, [2]int64{m.LocationID, m.VariantID})
		}
		return out
	}
	if got := keys(slow(inventory.SlowMovingFilter{Days: 90})); !slices.Equal(got, [][2]int64{{f.a, p0}, {f.b, p0}}) {
		t.Fatalf("no sale in 90 days: %v", got)
	}
	ms := slow(inventory.SlowMovingFilter{Days: 3, LocationID: &f.a})
	if got := keys(ms); !slices.Equal(got, [][2]int64{{f.a, p0}, {f.a, p1}}) {
		t.Fatalf("no sale in 3 days at A: %v", got)
	}

	old, recent := ms[0], ms[1]
	if old.OnHand != 8 || old.LastSaleAt == nil || now.Sub(*old.LastSaleAt) < 99*24*time.Hour || old.Sold30 != 0 {
		t.Fatalf("p0 at A %+v", old)
	}
	if _, ok := old.DaysOfCover(); ok {
		t.Fatal("days of cover without sales in 30 days")
	}
	if age, ok := old.StockAgeDays(now); !ok || age != 200 {
		t.Fatalf("p0 at A: stock age %d, want 200 (the 8 left need the old receipt too)", age)
	}
	if old.LastReceiptAt == nil || int(now.Sub(*old.LastReceiptAt).Hours()/24) != 50 {
		t.Fatalf("p0 at A: last receipt %v", old.LastReceiptAt)
	}
	if cover, ok := recent.DaysOfCover(); !ok || cover != 70 || recent.Sold30 != 3 {
		t.Fatalf("p1 at A: %d sold, cover %v %t; want 7 available at 0.1 a day = 70 days", recent.Sold30, cover, ok)
	}
	b := slow(inventory.SlowMovingFilter{LocationID: &f.b})[0]
	if age, ok := b.StockAgeDays(now); !ok || age != 10 || b.LastSaleAt != nil {
		t.Fatalf("p0 at B: age %d, last sale %v; want 10 days (first in, first out), never sold", age, b.LastSaleAt)
	}

	page := must[inventory.SlowMovingPage](t)(f.svc.SlowMoving(ctx, inventory.SlowMovingFilter{Days: 3, First: 1}))
	next := must[inventory.SlowMovingPage](t)(f.svc.SlowMoving(ctx, inventory.SlowMovingFilter{Days: 3, First: 1,
		After: inventory.LevelKey{LocationID: page.Levels[0].LocationID, VariantID: page.Levels[0].VariantID}}))
	if !page.HasNextPage || len(next.Levels) != 1 || next.Levels[0].VariantID != p1 {
		t.Fatalf("pages %+v then %+v", page, next)
	}
	if _, err := f.svc.SlowMoving(ctx, inventory.SlowMovingFilter{Days: -1}); apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("negative days: %v", err)
	}
	checkLedger(t, f.db)
}

func TestStockValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p0, p1, p2 := f.plain[0], f.plain[1], f.plain[2]
	if _, err := f.db.Exec(`UPDATE variants SET unit_cost = CASE id WHEN $1 THEN 10.0050 WHEN $2 THEN 0.3333 END`, p0, p1); err != nil {
		t.Fatal(err)
	}
	f.stock(f.a, p0, 3)  // 30.0150
	f.stock(f.a, p1, 10) // + 3.3330 = 33.3480 at A: NT$33.35 (half away from zero)
	f.stock(f.a, p2, 2)  // no cost
	f.stock(f.b, p2, 1)  // no cost
	f.stock(f.b, p1, 3)  // 0.9999 at B: NT$1.00
	f.stock(f.w, p0, 1)  // and gone again: nothing at W
	must[inventory.Result](t)(f.svc.Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(), LocationID: f.w,
		VariantID: p0, Delta: -1, Reason: "lost"}))

	for role, ok := range map[actor.Role]bool{actor.Accountant: true, actor.Buyer: true, actor.Manager: true,
		actor.Associate: false, actor.Fulfilment: false, actor.HR: false} {
		_, err := f.svc.StockValue(staffCtx(0, role))
		if (err == nil) != ok || (!ok && apperr.CodeOf(err) != apperr.CodeForbidden) {
			t.Errorf("%s: %v", role, err)
		}
	}
	r := must[inventory.StockValueReport](t)(f.svc.StockValue(staffCtx(0, actor.Accountant)))
	want := []inventory.LocationValue{
		{LocationID: f.a, Units: 15, Value: 3335, WithoutCost: 1, UnitsWithoutCost: 2},
		{LocationID: f.b, Units: 4, Value: 100, WithoutCost: 1, UnitsWithoutCost: 1},
		{LocationID: f.w, Units: 0, Value: 0},
	}
	if r.Currency != "TWD" || len(r.Locations) != len(want) {
		t.Fatalf("report %+v", r)
	}
	for i, w := range want {
		got := r.Locations[i]
		got.Exact = w.Exact
		if got != w {
			t.Errorf("location %d: got %+v, want %+v", i, got, w)
		}
	}
	if got := r.Locations[0].Exact.String(); got != "33.348" {
		t.Errorf("exact value at A %s, want 33.348", got)
	}
	if tot := r.Total; tot.Units != 19 || tot.Value != 3435 || tot.WithoutCost != 1 || tot.UnitsWithoutCost != 3 {
		t.Errorf("total %+v: want the locations' rounded values summed, p2 counted once", tot)
	}
}

// Transfers without a status filter lists every status (a nil Statuses is SQL NULL, whose
// cardinality is NULL, not 0: the filter used to drop every row).
func TestTransfersWithoutStatusFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.stock(f.w, f.plain[0], 5)
	ctx := staffCtx(f.w, actor.Manager)
	tr := must[inventory.Transfer](t)(f.svc.CreateTransfer(ctx, inventory.TransferInput{IdempotencyKey: newKey(),
		FromLocationID: f.w, ToLocationID: f.a, Lines: []inventory.TransferLineInput{{VariantID: f.plain[0], Qty: 2}}}))
	for _, filter := range []inventory.TransferFilter{{}, {LocationID: &f.a}, {Statuses: []string{}}} {
		page := must[inventory.TransferPage](t)(f.svc.Transfers(ctx, filter))
		if len(page.Transfers) != 1 || page.Transfers[0].ID != tr.ID {
			t.Errorf("filter %+v: %+v", filter, page.Transfers)
		}
	}
}
