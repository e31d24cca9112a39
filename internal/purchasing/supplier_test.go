package purchasing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/purchasing"
)

func TestPaymentTerms(t *testing.T) {
	invoiced := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		in           string
		want         string
		due          string
		discountDate string
		discount     int64 // on 100,000 minor units
	}{
		{"net", "net 30", "net 30", "2026-02-19", "", 0},
		{"end of month", "EOM 30", "EOM 30", "2026-03-02", "", 0},
		{"early-payment discount", "2/10 net 30", "2/10 net 30", "2026-02-19", "2026-01-30", 2000},
		{"spacing and case", "  1.5 / 7   NET 45 ", "1.5/7 net 45", "2026-03-06", "2026-01-27", 1500},
		{"cash on delivery", "net 0", "net 0", "2026-01-20", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms, err := purchasing.ParsePaymentTerms(tt.in)
			must(t, err)
			if got := terms.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := terms.DueDate(invoiced).Format(time.DateOnly); got != tt.due {
				t.Errorf("DueDate = %s, want %s", got, tt.due)
			}
			d, ok := terms.DiscountDate(invoiced)
			if got := map[bool]string{true: d.Format(time.DateOnly)}[ok]; got != tt.discountDate {
				t.Errorf("DiscountDate = %q, want %q", got, tt.discountDate)
			}
			if got := terms.Discount(100000); got != tt.discount {
				t.Errorf("Discount = %d, want %d", got, tt.discount)
			}
		})
	}

	bad := []struct{ name, in, field, hint string }{
		{"unreadable", "thirty days", "paymentTerms", "net 30"},
		{"discount after due date", "2/30 net 30", "paymentTerms.discountDays", "must end before the bill is due"},
		{"discount of 100%", "100/10 net 30", "paymentTerms.discountPct", "below 100"},
		{"more than a year", "net 400", "paymentTerms.days", "between 0 and 365"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := purchasing.ParsePaymentTerms(tt.in)
			e := wantErr(t, err, "INVALID", tt.field)
			if !strings.Contains(e.Message, tt.hint) {
				t.Errorf("message %q does not say %q", e.Message, tt.hint)
			}
		})
	}
}

func TestSupplierValidation(t *testing.T) {
	f := newFixture(t)
	valid := purchasing.SupplierInput{Code: "sup-tea", Name: "Alishan Tea Co.", Email: "Sales@Alishan.example",
		Currency: "usd", PaymentTerms: purchasing.PaymentTerms{Basis: purchasing.Net, Days: 30,
			DiscountPct: decimal.RequireFromString("2"), DiscountDays: 10}, LeadTimeDays: 21, MinOrderAmount: 50000, Active: true}

	t.Run("created with normalised fields", func(t *testing.T) {
		sup, err := f.svc.CreateSupplier(f.as("buyer"), valid)
		must(t, err)
		if sup.Code != "SUP-TEA" || sup.Currency != "USD" || sup.Email != "sales@alishan.example" || sup.PaymentTerms.String() != "2/10 net 30" {
			t.Errorf("got %+v", sup)
		}
		var n int
		must(t, f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'supplier.created' AND entity_id = $1`, sup.ID))
		if n != 1 {
			t.Errorf("%d audit records, want 1", n)
		}
	})

	bad := []struct {
		name  string
		edit  func(*purchasing.SupplierInput)
		code  string
		field string
	}{
		{"duplicate code", func(in *purchasing.SupplierInput) { in.Code = "SUP-TEE" }, "DUPLICATE", "code"},
		{"bad code", func(in *purchasing.SupplierInput) { in.Code = "tea co" }, "INVALID", "code"},
		{"no name", func(in *purchasing.SupplierInput) { in.Name = " " }, "INVALID", "name"},
		{"bad email", func(in *purchasing.SupplierInput) { in.Email = "sales at alishan" }, "INVALID", "email"},
		{"bad currency", func(in *purchasing.SupplierInput) { in.Currency = "dollars" }, "INVALID", "currency"},
		{"discount without days", func(in *purchasing.SupplierInput) { in.PaymentTerms.DiscountDays = 0 }, "INVALID", "paymentTerms.discountDays"},
		{"lead time", func(in *purchasing.SupplierInput) { in.LeadTimeDays = -1 }, "INVALID", "leadTimeDays"},
		{"negative minimum", func(in *purchasing.SupplierInput) { in.MinOrderAmount = -1 }, "INVALID", "minOrderAmount"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			in := valid
			in.Code = "SUP-X"
			tt.edit(&in)
			_, err := f.svc.CreateSupplier(f.as("buyer"), in)
			wantErr(t, err, tt.code, tt.field)
		})
	}

	t.Run("associates may not add suppliers", func(t *testing.T) {
		in := valid
		in.Code = "SUP-Y"
		_, err := f.svc.CreateSupplier(f.as("associate"), in)
		wantErr(t, err, "FORBIDDEN", "")
	})
}

func TestSupplierItemValidation(t *testing.T) {
	f := newFixture(t)
	v, _ := f.variant(t, f.apparel)
	tests := []struct {
		name  string
		in    purchasing.SupplierItemInput
		code  string
		field string
		hint  string
	}{
		{"minimum not a whole number of packs", purchasing.SupplierItemInput{SupplierSKU: "A", UnitCost: decimal.NewFromInt(100), PackSize: 6, MinOrderQty: 10},
			"PACK_SIZE", "minOrderQty", "use 6 or 12"},
		{"minimum below one pack", purchasing.SupplierItemInput{SupplierSKU: "A", UnitCost: decimal.NewFromInt(100), PackSize: 6, MinOrderQty: 4},
			"PACK_SIZE", "minOrderQty", "use 6"},
		{"cost with five decimals", purchasing.SupplierItemInput{SupplierSKU: "A", UnitCost: decimal.RequireFromString("1.23456")},
			"INVALID", "unitCost", "four decimals"},
		{"negative cost", purchasing.SupplierItemInput{SupplierSKU: "A", UnitCost: decimal.NewFromInt(-1)}, "INVALID", "unitCost", "negative"},
		{"no supplier SKU", purchasing.SupplierItemInput{UnitCost: decimal.NewFromInt(1)}, "INVALID", "supplierSku", "supplier's own code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.SupplierID, tt.in.VariantID = f.supplier.ID, v
			_, err := f.svc.SetSupplierItem(f.as("buyer"), tt.in)
			e := wantErr(t, err, tt.code, tt.field)
			if !strings.Contains(e.Message, tt.hint) {
				t.Errorf("message %q does not say %q", e.Message, tt.hint)
			}
		})
	}

	t.Run("set, changed and listed", func(t *testing.T) {
		f.item(t, f.supplier.ID, v, "120.5", 6, 12)
		it := f.item(t, f.supplier.ID, v, "118.25", 6, 12)
		if !it.UnitCost.Equal(decimal.RequireFromString("118.25")) || it.PackSize != 6 || it.MinOrderQty != 12 || it.Currency != "TWD" {
			t.Errorf("got %+v", it)
		}
		items, err := f.svc.SupplierItems(f.as("buyer"), f.supplier.ID)
		must(t, err)
		if len(items) != 1 {
			t.Fatalf("%d items, want 1", len(items))
		}
		var n int
		must(t, f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'supplier_item.set' AND entity_id = $1`, f.supplier.ID))
		if n != 2 {
			t.Errorf("%d audit records of cost changes, want 2", n)
		}
	})

	t.Run("currency changes only without priced items", func(t *testing.T) {
		in := purchasing.SupplierInput{Code: f.supplier.Code, Name: f.supplier.Name, Email: f.supplier.Email, Currency: "USD",
			PaymentTerms: f.supplier.PaymentTerms, LeadTimeDays: f.supplier.LeadTimeDays, Active: true}
		_, err := f.svc.UpdateSupplier(f.as("buyer"), f.supplier.ID, in)
		e := wantErr(t, err, "INVALID", "currency")
		if !strings.Contains(e.Message, "priced in TWD") {
			t.Errorf("message %q", e.Message)
		}
		must(t, f.svc.RemoveSupplierItem(f.as("buyer"), f.supplier.ID, v))
		wantErr(t, f.svc.RemoveSupplierItem(f.as("buyer"), f.supplier.ID, v), "NOT_FOUND", "")
		sup, err := f.svc.UpdateSupplier(f.as("buyer"), f.supplier.ID, in)
		must(t, err)
		if sup.Currency != "USD" {
			t.Errorf("currency %s", sup.Currency)
		}
		f.item(t, f.supplier.ID, v, "3.75", 1, 1)
	})

	t.Run("a supplier SKU names one item", func(t *testing.T) {
		w, _ := f.variant(t, f.apparel)
		_, err := f.svc.SetSupplierItem(f.as("buyer"), purchasing.SupplierItemInput{SupplierID: f.supplier.ID, VariantID: w,
			SupplierSKU: "S-" + itoa(v), UnitCost: decimal.NewFromInt(1), Active: true})
		wantErr(t, err, "DUPLICATE", "supplierSku")
	})
}

func TestOrderQuantity(t *testing.T) {
	tests := []struct {
		name            string
		pack, moq, want int
		orderQty        int
	}{
		{"nothing wanted", 6, 12, 0, 0},
		{"below the minimum", 6, 12, 1, 12},
		{"rounded up to a pack", 6, 12, 13, 18},
		{"a whole number of packs", 6, 12, 24, 24},
		{"loose units", 1, 1, 7, 7},
		{"no terms recorded", 0, 0, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := purchasing.SupplierItem{PackSize: tt.pack, MinOrderQty: tt.moq}.OrderQuantity(tt.want)
			if got != tt.orderQty {
				t.Errorf("OrderQuantity(%d) = %d, want %d", tt.want, got, tt.orderQty)
			}
		})
	}
}

func TestSuppliersOfVariant(t *testing.T) {
	f := newFixture(t)
	v, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, v, "100", 1, 1)
	usd, err := f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-USD", Name: "Pacific Knits",
		Currency: "USD", PaymentTerms: purchasing.PaymentTerms{Days: 30}, Active: true})
	must(t, err)
	f.item(t, usd.ID, v, "3", 1, 1)
	names := func() []string {
		t.Helper()
		items, err := f.svc.SuppliersOfVariant(f.as("buyer"), v)
		must(t, err)
		var out []string
		for _, it := range items {
			out = append(out, it.Currency+" "+it.UnitCost.String())
		}
		return out
	}
	// No USD rate yet: the USD offer cannot be compared and comes last.
	if got := strings.Join(names(), ", "); got != "TWD 100, USD 3" {
		t.Errorf("without a rate: %s", got)
	}
	_, err = f.svc.SetExchangeRate(f.as("accountant"), "USD", decimal.NewFromInt(30))
	must(t, err)
	if got := strings.Join(names(), ", "); got != "USD 3, TWD 100" {
		t.Errorf("at 30 TWD a dollar: %s", got)
	}
}

func TestApprovalRuleValidation(t *testing.T) {
	f := newFixture(t)
	up := func(n int64) *int64 { return &n }
	bad := []struct {
		name  string
		in    purchasing.ApprovalRuleInput
		field string
	}{
		{"level 0", purchasing.ApprovalRuleInput{Level: 0, Roles: []actor.Role{actor.Manager}}, "level"},
		{"no roles", purchasing.ApprovalRuleInput{Level: 1}, "roles"},
		{"unknown role", purchasing.ApprovalRuleInput{Level: 1, Roles: []actor.Role{"BOSS"}}, "roles"},
		{"band upside down", purchasing.ApprovalRuleInput{Level: 1, Roles: []actor.Role{actor.Manager}, AboveAmount: up(500), UpToAmount: up(100)}, "upToAmount"},
		{"no such category", purchasing.ApprovalRuleInput{Level: 1, Roles: []actor.Role{actor.Manager}, CategoryID: up(999999)}, "categoryId"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.SaveApprovalRule(f.as("admin"), 0, tt.in)
			wantErr(t, err, "INVALID", tt.field)
		})
	}
	t.Run("a band changed", func(t *testing.T) {
		rules, err := f.svc.ApprovalRules(f.as("buyer"))
		must(t, err)
		if len(rules) != 2 || rules[1].AboveAmount == nil || *rules[1].AboveAmount != 500000 {
			t.Fatalf("default rules %+v", rules)
		}
		r, err := f.svc.SaveApprovalRule(f.as("admin"), rules[1].ID, purchasing.ApprovalRuleInput{Level: 2,
			AboveAmount: up(1000000), Roles: []actor.Role{actor.Manager, actor.Admin}, Active: true})
		must(t, err)
		if *r.AboveAmount != 1000000 || len(r.Roles) != 2 {
			t.Errorf("rule %+v", r)
		}
		// NT$6,000 now needs one level.
		v, _ := f.variant(t, f.apparel)
		f.item(t, f.supplier.ID, v, "100", 1, 1)
		o := f.draft(t, "WH-TAO", line(v, 60))
		_, err = f.svc.Submit(f.as("buyer"), o.ID, "")
		must(t, err)
		d, err := f.svc.Order(f.as("buyer"), o.ID)
		must(t, err)
		if len(d.Approvals) != 1 {
			t.Errorf("%d levels, want 1", len(d.Approvals))
		}
	})
}

func TestSuppliersOfVariants(t *testing.T) {
	f := newFixture(t)
	a, _ := f.variant(t, f.apparel)
	b, _ := f.variant(t, f.apparel)
	none, _ := f.variant(t, f.apparel)
	cheap, err := f.svc.CreateSupplier(f.as("buyer"), purchasing.SupplierInput{Code: "SUP-CHEAP", Name: "Cheap Knits",
		Currency: "TWD", PaymentTerms: purchasing.PaymentTerms{Days: 30}, Active: true})
	must(t, err)
	f.item(t, f.supplier.ID, a, "100", 1, 1)
	f.item(t, cheap.ID, a, "80", 1, 1)
	f.item(t, f.supplier.ID, b, "50", 1, 1)
	got, err := f.svc.SuppliersOfVariants(f.as("buyer"), []int64{a, b, none})
	must(t, err)
	summary := func(items []purchasing.SupplierItem) string {
		var out []string
		for _, it := range items {
			out = append(out, fmt.Sprintf("%d:%s", it.SupplierID, it.UnitCost))
		}
		return strings.Join(out, ", ")
	}
	for _, tt := range []struct {
		name    string
		variant int64
		want    string
	}{
		{"cheapest first", a, fmt.Sprintf("%d:80, %d:100", cheap.ID, f.supplier.ID)},
		{"one supplier", b, fmt.Sprintf("%d:50", f.supplier.ID)},
		{"nobody sells it", none, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if s := summary(got[tt.variant]); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
			one, err := f.svc.SuppliersOfVariant(f.as("buyer"), tt.variant)
			must(t, err)
			if summary(one) != tt.want {
				t.Errorf("SuppliersOfVariant disagrees: %q", summary(one))
			}
		})
	}
	t.Run("signed out, supplier terms are not shown", func(t *testing.T) {
		if _, err := f.svc.SuppliersOfVariants(context.Background(), []int64{a}); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
			t.Errorf("err %v, want Unauthenticated", err)
		}
	})
}
