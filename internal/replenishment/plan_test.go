package replenishment_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
)

func constant(perDay float64, days int) []float64 {
	y := make([]float64, days)
	for i := range y {
		y[i] = perDay
	}
	return y
}

// TestPlanVariantDonors checks the choice of transfer sources without a database: display
// stock never moves, a donor keeps its own order-up-to level, warehouses give first, then
// the store with the most cover (stock that does not sell there at all first), and the
// most urgent receiver is served first.
func TestPlanVariantDonors(t *testing.T) {
	p := replenishment.Params{ServiceLevel: 0.95, ReviewDays: 7, DefaultLeadTimeDays: 10}
	src := &replenishment.Source{Supplier: purchasing.Supplier{ID: 1, Name: "S", Currency: "TWD", LeadTimeDays: 10},
		Item: purchasing.SupplierItem{SupplierID: 1, UnitCost: decimal.NewFromInt(5), Currency: "TWD", PackSize: 1, MinOrderQty: 1}}
	type move struct {
		kind     replenishment.Kind
		from, to int64
		qty      int
	}
	tests := []struct {
		name  string
		stock []replenishment.Stock
		want  []move
	}{
		{
			// Store 1 needs 68 (ROP 40, OUT 68 at 4 a day). Store 2 sells 1 a day (OUT 17)
			// and holds 30 with 5 on display: 13 to spare (its position above its OUT, less
			// than the 25 off display; 13 days of cover). Store 3 sells nothing and holds 12
			// with 2 on display: 10 to spare (the display binds). Store 3 gives first
			// (infinite cover), then store 2; the remaining 45 are bought.
			name: "stores with the most cover give first, display stock stays",
			stock: []replenishment.Stock{
				{LocationID: 1, LocationCode: "S1", History: constant(4, 56)},
				{LocationID: 2, LocationCode: "S2", OnHand: 30, Display: 5, History: constant(1, 56)},
				{LocationID: 3, LocationCode: "S3", OnHand: 12, Display: 2},
			},
			want: []move{{replenishment.Transfer, 3, 1, 10}, {replenishment.Transfer, 2, 1, 13},
				{replenishment.Purchase, 0, 1, 45}},
		},
		{
			// Two stores need stock; the one with less cover is served from the warehouse's
			// 40 spare units first (S1 holds 20: 5 days; S2 holds 4: 1 day).
			name: "the most urgent store is served first",
			stock: []replenishment.Stock{
				{LocationID: 1, LocationCode: "S1", OnHand: 20, History: constant(4, 56)},
				{LocationID: 2, LocationCode: "S2", OnHand: 4, History: constant(4, 56)},
				{LocationID: 9, LocationCode: "WH", Warehouse: true, OnHand: 40},
			},
			want: []move{{replenishment.Transfer, 9, 2, 40}, {replenishment.Purchase, 0, 2, 24},
				{replenishment.Purchase, 0, 1, 48}},
		},
		{
			// S1 needs 64; the warehouse holds 40 of which a draft transfer promises 30.
			name: "units promised to a draft transfer are not given twice",
			stock: []replenishment.Stock{
				{LocationID: 1, LocationCode: "S1", OnHand: 4, History: constant(4, 56)},
				{LocationID: 9, LocationCode: "WH", Warehouse: true, OnHand: 40, Promised: 30},
			},
			want: []move{{replenishment.Transfer, 9, 1, 10}, {replenishment.Purchase, 0, 1, 54}},
		},
		{
			name: "units on draft orders count towards the position",
			stock: []replenishment.Stock{
				{LocationID: 1, LocationCode: "S1", OnHand: 5, OnOrder: 36, History: constant(4, 56)},
			},
		},
		{
			name: "incoming stock counts towards the position",
			stock: []replenishment.Stock{
				{LocationID: 1, LocationCode: "S1", OnHand: 5, Incoming: 40, History: constant(4, 56)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := replenishment.PlanVariant(7, tt.stock, src, p)
			if len(got) != len(tt.want) {
				t.Fatalf("%d suggestions, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Kind != w.kind || g.FromLocationID != w.from || g.LocationID != w.to || g.Quantity != w.qty {
					t.Errorf("#%d: %s %d → %d × %d, want %s %d → %d × %d (%s)", i, g.Kind, g.FromLocationID, g.LocationID,
						g.Quantity, w.kind, w.from, w.to, w.qty, g.Reason)
				}
			}
		})
	}
}
