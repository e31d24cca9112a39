package loyalty_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/loyalty"
)

func TestAccrueIsIdempotentUnderConcurrentRetries(t *testing.T) {
	f := newFixture(t)
	mei := f.customer(t, "mei.lin@example.com")
	order := f.order(t, mei, 345678, 0, true) // NT$3,456.78: 34 points at 1 per NT$100

	const retries = 20
	var wg sync.WaitGroup
	points := make([]int64, retries)
	errs := make([]error, retries)
	for i := range retries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.inTx(t, func(tx *sqlx.Tx) error {
				e, err := f.svc.AccrueForOrder(system, tx, order)
				points[i] = e.Points
				return err
			})
		}()
	}
	wg.Wait()
	for i := range retries {
		if errs[i] != nil || points[i] != 34 {
			t.Fatalf("retry %d: %d points, %v; want 34", i, points[i], errs[i])
		}
	}
	var n int
	must(t, f.db.Get(&n, `SELECT count(*) FROM loyalty_entries WHERE order_id = $1`, order))
	if n != 1 || f.balance(t, mei) != 34 {
		t.Fatalf("%d entries, balance %d; want 1 entry and 34 points", n, f.balance(t, mei))
	}
	f.checkLedger(t, mei)
}

func TestAccrualRules(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name            string
		total, shipping int64
		paid            bool
		promoBP         int // a running promotion's multiplier, 0 for none
		priorSpend      int64
		want            int64
		wantReason      string
	}{
		{name: "one point per NT$100, rounded down", total: 129900, want: 12},
		{name: "shipping earns nothing", total: 110000, shipping: 10000, want: 10},
		{name: "double points promotion", total: 100000, promoBP: 20000, want: 20},
		{name: "silver earns 1.25x once the order lifts the spend", total: 100000, priorSpend: 1950000, want: 12},
		{name: "gold earns 1.5x", total: 100000, priorSpend: 6000000, want: 15},
		{name: "too small to earn", total: 9999, want: 0},
		{name: "unpaid order", total: 100000, paid: false, wantReason: "NOT_PAID"},
	}
	emails := []string{"sophia.chen@example.com", "yuki.tanaka@example.com", "weiting.chang@example.com", "chunyi.huang@example.com",
		"yawen.liu@example.com", "pohan.tsai@example.com", "ichen.yang@example.com"}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.customer(t, emails[i])
			must(t, f.inTx(t, func(tx *sqlx.Tx) error {
				_, err := tx.Exec(`UPDATE loyalty_promotions SET active = false`)
				return err
			}))
			if tt.promoBP > 0 {
				_, err := f.db.Exec(`INSERT INTO loyalty_promotions (name, multiplier_bp, starts_at, ends_at, channels)
					VALUES ('Double points', $1, now() - interval '1 day', now() + interval '1 day', '{WEB}')`, tt.promoBP)
				must(t, err)
			}
			if tt.priorSpend > 0 {
				f.order(t, c, tt.priorSpend, 0, true)
			}
			paid := tt.paid || tt.wantReason == ""
			order := f.order(t, c, tt.total, tt.shipping, paid)
			var e loyalty.Entry
			err := f.inTx(t, func(tx *sqlx.Tx) (err error) { e, err = f.svc.AccrueForOrder(system, tx, order); return err })
			if tt.wantReason != "" {
				if ae, ok := apperr.As(err); !ok || ae.Reason != tt.wantReason {
					t.Fatalf("err = %v; want reason %s", err, tt.wantReason)
				}
				return
			}
			must(t, err)
			if e.Points != tt.want || f.balance(t, c) != tt.want {
				t.Fatalf("earned %d, balance %d; want %d", e.Points, f.balance(t, c), tt.want)
			}
			f.checkLedger(t, c)
		})
	}
}

func TestRedemptionLimits(t *testing.T) {
	f := newFixture(t)
	mei := f.customer(t, "mei.lin@example.com")
	// 1,000 points from a NT$100,000 order at Gold (the order itself lifts her to Gold).
	f.accrue(t, f.order(t, mei, 10000000, 0, true))
	earned := f.balance(t, mei)
	if earned != 1500 {
		t.Fatalf("earned %d; want 1500 (1000 at Gold's 1.5x)", earned)
	}
	order := f.order(t, mei, 200000, 0, false) // NT$2,000: at most 50% = NT$1,000 = 1,000 points

	tests := []struct {
		name       string
		customer   int64
		points     int64
		wantValue  int64
		wantReason string
	}{
		{name: "below the minimum", points: 99, wantReason: "BELOW_MINIMUM"},
		{name: "above the share of the order", points: 1001, wantReason: "ABOVE_LIMIT"},
		{name: "someone else's order", customer: f.customer(t, "david.wang@example.com"), points: 100, wantReason: "NOT_OWN_ORDER"},
		{name: "within limits", points: 1000, wantValue: 100000},
		{name: "a retry returns the same value", points: 1000, wantValue: 100000},
		{name: "a different amount is refused", points: 500, wantReason: "ALREADY_REDEEMED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.customer
			if c == 0 {
				c = mei
			}
			var v int64
			err := f.inTx(t, func(tx *sqlx.Tx) (err error) {
				v, err = f.svc.RedeemForPayment(system, tx, c, order, tt.points)
				return err
			})
			if tt.wantReason != "" {
				if ae, ok := apperr.As(err); !ok || ae.Reason != tt.wantReason {
					t.Fatalf("err = %v; want reason %s", err, tt.wantReason)
				}
				return
			}
			must(t, err)
			if v != tt.wantValue {
				t.Fatalf("value %d; want %d", v, tt.wantValue)
			}
		})
	}
	if b := f.balance(t, mei); b != earned-1000 {
		t.Fatalf("balance %d after redeeming 1000 once; want %d", b, earned-1000)
	}
	f.checkLedger(t, mei)

	t.Run("insufficient points", func(t *testing.T) {
		big := f.order(t, mei, 10000000, 0, false)
		err := f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.RedeemForPayment(system, tx, mei, big, 501); return err })
		if ae, ok := apperr.As(err); !ok || ae.Reason != "INSUFFICIENT_POINTS" {
			t.Fatalf("err = %v; want INSUFFICIENT_POINTS", err)
		}
	})
	t.Run("a customer cannot spend another's points", func(t *testing.T) {
		ctx := actor.With(system, actor.Actor{Kind: actor.Customer, ID: f.customer(t, "david.wang@example.com")})
		err := f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.RedeemForPayment(ctx, tx, mei, order, 100); return err })
		if apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("err = %v; want FORBIDDEN", err)
		}
	})
	t.Run("released points come back once", func(t *testing.T) {
		for range 2 {
			must(t, f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.ReleaseRedemption(system, tx, order); return err }))
		}
		if b := f.balance(t, mei); b != earned {
			t.Fatalf("balance %d after release; want %d", b, earned)
		}
		f.checkLedger(t, mei)
		var v int64
		must(t, f.inTx(t, func(tx *sqlx.Tx) (err error) {
			v, err = f.svc.RedeemForPayment(system, tx, mei, order, 400)
			return err
		}))
		if v != 40000 {
			t.Fatalf("value %d after re-redeeming 400; want 40000", v)
		}
	})
}

func TestExpiryIsFIFOAndRunsOnceAcrossServers(t *testing.T) {
	f := newFixture(t)
	mei := f.customer(t, "mei.lin@example.com")
	old := f.accrue(t, f.order(t, mei, 1000000, 0, true))  // 100 points
	young := f.accrue(t, f.order(t, mei, 500000, 0, true)) // 50 points
	if old.Points != 100 || young.Points != 50 {
		t.Fatalf("earned %d and %d; want 100 and 50", old.Points, young.Points)
	}
	now := time.Now()
	_, err := f.db.Exec(`UPDATE loyalty_entries SET expires_at = $2 WHERE id = $1`, old.ID, now.Add(24*time.Hour))
	must(t, err)
	// Spend 60: all from the older lot, leaving it 40.
	pay := f.order(t, mei, 100000, 0, false)
	_, err = f.db.Exec(`UPDATE loyalty_programme SET min_redeem_points = 1, max_redeem_share_bp = 10000`)
	must(t, err)
	must(t, f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.RedeemForPayment(system, tx, mei, pay, 60); return err }))
	before := f.balance(t, mei)

	if got, err := f.svc.ExpireDue(system, now, 10); err != nil || len(got) != 0 {
		t.Fatalf("expired %v, %v before any lot's date; want nothing", got, err)
	}
	// Two servers run the job at once, two days later: the older lot's 40 expire once.
	asOf := now.Add(48 * time.Hour)
	var wg sync.WaitGroup
	results := make([][]loyalty.Expired, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.svc.ExpireDue(system, asOf, 10)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	var expired int64
	for _, r := range results {
		for _, e := range r {
			if e.CustomerID == mei {
				expired += e.Points
			}
		}
	}
	if expired != 40 {
		t.Fatalf("expired %d points in total; want 40 (the older lot's remainder), once", expired)
	}
	if b := f.balance(t, mei); b != before-40 || b != young.Points {
		t.Fatalf("balance %d; want %d (the younger lot)", b, young.Points)
	}
	if again, err := f.svc.ExpireDue(system, asOf, 10); err != nil || len(again) != 0 {
		t.Fatalf("second run expired %v, %v; want nothing", again, err)
	}
	f.checkLedger(t, mei)
}

func TestReversalIsProportionalAndIncremental(t *testing.T) {
	f := newFixture(t)
	mei := f.customer(t, "mei.lin@example.com")
	order := f.order(t, mei, 1000000, 0, true) // NT$10,000: 100 points
	if e := f.accrue(t, order); e.Points != 100 {
		t.Fatalf("earned %d; want 100", e.Points)
	}
	reverse := func(ret int64) loyalty.Entry {
		t.Helper()
		var e loyalty.Entry
		must(t, f.inTx(t, func(tx *sqlx.Tx) (err error) { e, err = f.svc.ReverseForReturn(system, tx, ret); return err }))
		return e
	}
	r1 := f.refund(t, order, 250000) // a quarter back
	if e := reverse(r1); e.Points != -25 {
		t.Fatalf("reversed %d; want -25", e.Points)
	}
	if e := reverse(r1); e.Points != 0 {
		t.Fatalf("retry reversed %d more; want nothing", e.Points)
	}
	if b := f.balance(t, mei); b != 75 {
		t.Fatalf("balance %d; want 75", b)
	}
	// She spends what is left; then the rest is refunded: the balance goes to -75, and her
	// next order pays that back first.
	_, err := f.db.Exec(`UPDATE loyalty_programme SET min_redeem_points = 1, max_redeem_share_bp = 10000`)
	must(t, err)
	pay := f.order(t, mei, 100000, 0, false)
	must(t, f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.RedeemForPayment(system, tx, mei, pay, 75); return err }))
	r2 := f.refund(t, order, 750000)
	if e := reverse(r2); e.Points != -75 {
		t.Fatalf("reversed %d; want -75", e.Points)
	}
	if b := f.balance(t, mei); b != -75 {
		t.Fatalf("balance %d; want -75", b)
	}
	f.checkLedger(t, mei)
	f.accrue(t, f.order(t, mei, 1000000, 0, true)) // +100
	if b := f.balance(t, mei); b != 25 {
		t.Fatalf("balance %d after earning 100 with -75; want 25", b)
	}
	f.checkLedger(t, mei)
}

func TestTierChanges(t *testing.T) {
	f := newFixture(t)
	mei := f.customer(t, "mei.lin@example.com")
	tier := func() loyalty.Benefits {
		t.Helper()
		b, err := f.svc.TierBenefits(system, mei)
		must(t, err)
		return b
	}
	if b := tier(); b.Tier != "MEMBER" || b.DiscountBP != 0 || b.FreeShippingThreshold != nil {
		t.Fatalf("new member's benefits %+v; want MEMBER without discount", b)
	}
	first := f.order(t, mei, 1500000, 0, true)
	f.accrue(t, first)
	if b := tier(); b.Tier != "MEMBER" {
		t.Fatalf("tier %s at NT$15,000; want MEMBER", b.Tier)
	}
	second := f.order(t, mei, 600000, 0, true)
	f.accrue(t, second)
	b := tier()
	if b.Tier != "SILVER" || b.DiscountBP != 300 || b.FreeShippingThreshold == nil || *b.FreeShippingThreshold != 150000 {
		t.Fatalf("benefits %+v at NT$21,000; want SILVER with 3%% off and free shipping from NT$1,500", b)
	}
	// A refund takes the spend back under Silver's threshold.
	ret := f.refund(t, second, 200000)
	must(t, f.inTx(t, func(tx *sqlx.Tx) error { _, err := f.svc.ReverseForReturn(system, tx, ret); return err }))
	if b := tier(); b.Tier != "MEMBER" {
		t.Fatalf("tier %s after the refund (NT$19,000); want MEMBER", b.Tier)
	}
	// Back to Silver, then the nightly job drops her when the big order leaves the window.
	f.accrue(t, f.order(t, mei, 500000, 0, true))
	if b := tier(); b.Tier != "SILVER" {
		t.Fatalf("tier %s at NT$24,000; want SILVER", b.Tier)
	}
	_, err := f.db.Exec(`UPDATE orders SET created_at = now() - interval '13 months' WHERE id = $1`, first)
	must(t, err)
	_, err = f.db.Exec(`UPDATE loyalty_accounts SET tier_checked_at = now() - interval '2 days'`)
	must(t, err)
	changes, err := f.svc.RecalculateAllTiers(system, time.Now(), 5)
	must(t, err)
	var found bool
	for _, c := range changes {
		if c.CustomerID == mei && c.From == "SILVER" && c.To == "MEMBER" && c.RollingSpend == 900000 {
			found = true
		}
	}
	if !found {
		t.Fatalf("nightly changes %+v; want mei SILVER -> MEMBER at NT$9,000", changes)
	}
	var history []string
	must(t, f.db.Select(&history, `SELECT from_tier || '>' || to_tier || ':' || cause FROM loyalty_tier_changes WHERE customer_id = $1 ORDER BY id`, mei))
	want := []string{"MEMBER>SILVER:ORDER", "SILVER>MEMBER:RETURN", "MEMBER>SILVER:ORDER", "SILVER>MEMBER:NIGHTLY"}
	if len(history) != len(want) {
		t.Fatalf("tier history %v; want %v", history, want)
	}
	for i := range want {
		if history[i] != want[i] {
			t.Fatalf("tier history %v; want %v", history, want)
		}
	}
}

func TestAdjustNeedsAManagerAndAReason(t *testing.T) {
	f := newFixture(t)
	mei := f.customer(t, "mei.lin@example.com")
	associate := actor.With(system, actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Associate}})
	manager := actor.With(system, actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Manager}, Name: "m"})
	tests := []struct {
		name   string
		ctx    context.Context
		points int64
		reason string
		code   apperr.Code
	}{
		{"associate", associate, 100, "goodwill", apperr.CodeForbidden},
		{"no reason", manager, 100, " ", apperr.CodeInvalid},
		{"more than the balance", manager, -1, "correction", apperr.CodeInvalid},
		{"credit", manager, 100, "goodwill for a late delivery", ""},
		{"debit", manager, -40, "correction", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Adjust(tt.ctx, mei, tt.points, tt.reason)
			if apperr.CodeOf(err) != tt.code && !(tt.code == "" && err == nil) {
				t.Fatalf("err = %v; want %q", err, tt.code)
			}
		})
	}
	if b := f.balance(t, mei); b != 60 {
		t.Fatalf("balance %d; want 60", b)
	}
	f.checkLedger(t, mei)
}
