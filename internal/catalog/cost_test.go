package catalog_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/testdb"
)

func TestUnitCost(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	svc := catalog.NewService(d)
	buyer := staffCtx(actor.Buyer)
	cost := func(s string) *decimal.Decimal {
		c := decimal.RequireFromString(s)
		return &c
	}
	in := catalog.ProductInput{Title: "Oolong Tea", Variants: []catalog.VariantInput{
		{SKU: "TEA-1", PriceAmount: 45000, UnitCost: cost("212.3456")},
		{SKU: "TEA-2", PriceAmount: 45000},
	}}

	for name, tt := range map[string]struct {
		cost   string
		reason string
	}{
		"negative":          {"-0.01", "INVALID"},
		"five decimals":     {"1.23456", "INVALID"},
		"too big to store":  {"10000000000", "INVALID"},
		"trailing zeros ok": {"1.234500", ""},
	} {
		t.Run(name, func(t *testing.T) {
			bad := in
			bad.Handle = "tea-" + tt.reason
			bad.Variants = []catalog.VariantInput{{SKU: "TEA-X-" + tt.reason, PriceAmount: 1, UnitCost: cost(tt.cost)}}
			if tt.reason == "" {
				bad.Handle, bad.Variants[0].SKU = "tea-ok", "TEA-OK"
			}
			_, err := svc.CreateProduct(buyer, bad)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("cost %s refused: %v", tt.cost, err)
				}
				return
			}
			errs, _ := apperr.Errors(err)
			if len(errs) != 1 || joinField(errs[0].Field) != "variants.0.unitCost" || errs[0].ClientCode() != tt.reason {
				t.Fatalf("cost %s: got %v, want %s on variants.0.unitCost", tt.cost, err, tt.reason)
			}
		})
	}

	p, err := svc.CreateProduct(buyer, in)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("who sees costs", func(t *testing.T) {
		for role, sees := range map[actor.Role]bool{actor.Buyer: true, actor.Accountant: true, actor.Manager: true,
			actor.Admin: true, actor.Associate: false, actor.Fulfilment: false, actor.HR: false} {
			ctx := staffCtx(role)
			vs, err := svc.VariantsByProductIDs(ctx, []int64{p.ID})
			if err != nil {
				t.Fatal(err)
			}
			byID, err := svc.VariantsByIDs(ctx, []int64{vs[p.ID][0].ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []catalog.Variant{vs[p.ID][0], byID[vs[p.ID][0].ID]} {
				if got := v.UnitCost != nil; got != sees || (sees && v.UnitCost.String() != "212.3456") {
					t.Errorf("%s sees cost %v, want visible=%t", role, v.UnitCost, sees)
				}
			}
			if vs[p.ID][1].UnitCost != nil {
				t.Errorf("%s sees a cost on a variant without one", role)
			}
		}
		if catalog.CanSeeCost(actor.Actor{Kind: actor.Customer}) {
			t.Error("a customer may see costs")
		}
	})
	t.Run("a cost change is audited, an equal one is not", func(t *testing.T) {
		vs, err := svc.VariantsByProductIDs(buyer, []int64{p.ID})
		if err != nil {
			t.Fatal(err)
		}
		update := func(costs ...*decimal.Decimal) {
			t.Helper()
			up := in
			up.Variants = nil
			for i, v := range vs[p.ID] {
				up.Variants = append(up.Variants, catalog.VariantInput{ID: v.ID, SKU: v.SKU, PriceAmount: v.PriceAmount, UnitCost: costs[i]})
			}
			if _, err := svc.UpdateProduct(buyer, p.ID, up); err != nil {
				t.Fatal(err)
			}
		}
		update(cost("212.34560"), nil) // the same costs, written differently
		update(cost("199.5"), cost("0"))
		var n int
		if err := d.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'variant.cost_changed'`); err != nil || n != 2 {
			t.Fatalf("cost audit records = %d, %v; want 2", n, err)
		}
		after, err := svc.VariantsByIDs(staffCtx(actor.Accountant), []int64{vs[p.ID][0].ID, vs[p.ID][1].ID})
		if err != nil {
			t.Fatal(err)
		}
		if c := after[vs[p.ID][0].ID].UnitCost; c == nil || !c.Equal(decimal.RequireFromString("199.5")) {
			t.Fatalf("saved cost %v", c)
		}
		if c := after[vs[p.ID][1].ID].UnitCost; c == nil || !c.IsZero() {
			t.Fatalf("a zero cost saved as %v", c)
		}
	})
}
