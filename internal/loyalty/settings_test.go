package loyalty_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/loyalty"
)

func TestSaveSettings(t *testing.T) {
	f := newFixture(t)
	manager := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Manager}, Name: "m"})
	st, err := f.svc.Settings(manager)
	must(t, err)
	if len(st.Tiers) != 3 || len(st.EarnRules) != 1 || st.EarnRules[0].Currency != "TWD" {
		t.Fatalf("default settings %+v", st)
	}
	free := int64(0)
	good := loyalty.Settings{ExpiryMonths: 24, MinRedeemPoints: 50, MaxRedeemShareBP: 3000, TierWindowMonths: 12,
		EarnRules: []loyalty.EarnRule{{Currency: "TWD", SpendPerPoint: 5000, PointValue: 100, Active: true}},
		Tiers: []loyalty.Tier{
			{Code: "MEMBER", Name: "Member", MinSpend: 0, MultiplierBP: 10000},
			// Gold now starts where Silver did: the swap must not trip the unique spends.
			{Code: "GOLD", Name: "Gold", MinSpend: 2000000, MultiplierBP: 20000, DiscountBP: 800, FreeShippingThreshold: &free},
		}}
	tests := []struct {
		name   string
		ctx    context.Context
		edit   func(*loyalty.Settings)
		fields []string
	}{
		{"associate", actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 2, Roles: []actor.Role{actor.Associate}}), nil, nil},
		{"every problem at once", manager, func(s *loyalty.Settings) {
			s.ExpiryMonths = 0
			s.EarnRules = append(s.EarnRules, loyalty.EarnRule{Currency: "twd", SpendPerPoint: 0, PointValue: 1})
			s.Tiers = []loyalty.Tier{{Code: "SILVER", Name: "Silver", MinSpend: 100}, {Code: "SILVER", Name: "", MinSpend: 100, DiscountBP: 9000}}
		}, []string{"expiryMonths", "earnRules.1.currency", "earnRules.1.spendPerPoint", "tiers.1.code", "tiers.1.name",
			"tiers.1.minSpend", "tiers.1.discountBp", "tiers"}},
		{"saved", manager, func(*loyalty.Settings) {}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			in.EarnRules = append([]loyalty.EarnRule(nil), good.EarnRules...)
			if tt.edit != nil {
				tt.edit(&in)
			}
			out, err := f.svc.SaveSettings(tt.ctx, in)
			switch {
			case tt.edit == nil:
				if apperr.CodeOf(err) != apperr.CodeForbidden {
					t.Fatalf("err = %v; want FORBIDDEN", err)
				}
			case tt.fields != nil:
				errs, _ := apperr.Errors(err)
				var got []string
				for _, e := range errs {
					got = append(got, strings.Join(e.Field, "."))
				}
				if strings.Join(got, " ") != strings.Join(tt.fields, " ") {
					t.Fatalf("fields %v; want %v", got, tt.fields)
				}
			default:
				must(t, err)
				if len(out.Tiers) != 2 || out.Tiers[1].Code != "GOLD" || out.Tiers[1].MinSpend != 2000000 || out.ExpiryMonths != 24 {
					t.Fatalf("saved %+v", out)
				}
			}
		})
	}
	// The new rules apply: NT$25,000 reaches Gold at 2x, one point per NT$50.
	mei := f.customer(t, "mei.lin@example.com")
	if e := f.accrue(t, f.order(t, mei, 2500000, 0, true)); e.Points != 1000 {
		t.Fatalf("earned %d; want 1000", e.Points)
	}
	b, err := f.svc.TierBenefits(manager, mei)
	must(t, err)
	if b.Tier != "GOLD" || b.DiscountBP != 800 || b.FreeShippingThreshold == nil || *b.FreeShippingThreshold != 0 {
		t.Fatalf("benefits %+v", b)
	}
}

// Many tills and jobs at once on one member: accruals with retries, redemptions,
// adjustments and expiry. Whatever interleaving happens, the ledger stays whole.
func TestLedgerStaysWholeUnderConcurrentLoad(t *testing.T) {
	f := newFixture(t)
	mei := f.customer(t, "mei.lin@example.com")
	_, err := f.db.Exec(`UPDATE loyalty_programme SET min_redeem_points = 1, max_redeem_share_bp = 10000`)
	must(t, err)
	manager := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Manager}, Name: "m"})
	f.accrue(t, f.order(t, mei, 500000, 0, true))
	_, err = f.db.Exec(`UPDATE loyalty_entries SET expires_at = now() - interval '1 second' WHERE customer_id = $1`, mei)
	must(t, err)

	var paid, unpaid []int64
	for range 8 {
		paid = append(paid, f.order(t, mei, 300000, 0, true))
		unpaid = append(unpaid, f.order(t, mei, 100000, 0, false))
	}
	var wg sync.WaitGroup
	run := func(fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				if _, ok := apperr.As(err); !ok { // running short of points is expected
					t.Error(err)
				}
			}
		}()
	}
	for i := range 8 {
		for range 3 {
			run(func() error {
				return f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.AccrueForOrder(system, tx, paid[i]); return err })
			})
		}
		run(func() error {
			return f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.RedeemForPayment(system, tx, mei, unpaid[i], 20); return err })
		})
		run(func() error { _, err := f.svc.Adjust(manager, mei, 5, "load test"); return err })
		run(func() error { _, err := f.svc.ExpireDue(system, time.Now(), 5); return err })
	}
	wg.Wait()
	f.checkLedger(t, mei)
	var earns int
	must(t, f.db.Get(&earns, `SELECT count(*) FROM loyalty_entries WHERE customer_id = $1 AND kind = 'EARN'`, mei))
	if earns != 9 {
		t.Fatalf("%d accruals; want 9 (one per paid order)", earns)
	}
}
