package order_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"atrium/internal/apperr"
	"atrium/internal/order"
)

// The same key with the same request returns the first order: in sequence, from another
// server (a new service on the same database, as after a restart), and when 20 identical
// calls race; exactly one order and one reservation exist. The key with another request
// is refused.
func TestIdempotentPlaceOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.variant(t, 1500, map[string]int{"WH-TAO": 10})
	in := shipInput(taipei(), line(sku, 2))

	first := f.place(t, guest, in)
	if first.Replayed {
		t.Error("the first call is marked replayed")
	}
	again := f.place(t, guest, in)
	restarted := order.NewService(f.db, f.deps, order.DefaultConfig())
	after, err := restarted.PlaceOrder(guest, in)
	must(t, err)
	for _, o := range []order.Order{again, after} {
		if !o.Replayed || o.ID != first.ID || o.Number != first.Number || o.Total != first.Total {
			t.Errorf("replay %+v, want the first order %s", o, first.Number)
		}
	}

	t.Run("a key reused for another order", func(t *testing.T) {
		other := in
		other.Lines = []order.LineInput{line(sku, 3)}
		_, err := f.svc.PlaceOrder(guest, other)
		wantErr(t, err, order.ReasonConflict, "idempotencyKey")
		_, err = f.svc.PlaceOrder(f.customer(f.mei), in) // the same content from someone else
		wantErr(t, err, order.ReasonConflict, "idempotencyKey")
	})

	t.Run("20 identical calls at once", func(t *testing.T) {
		race := shipInput(taipei(), line(sku, 1))
		var wg sync.WaitGroup
		got := make([]order.Order, 20)
		errs := make([]error, 20)
		for i := range got {
			wg.Go(func() { got[i], errs[i] = f.svc.PlaceOrder(guest, race) })
		}
		wg.Wait()
		fresh := 0
		for i, o := range got {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if o.ID != got[0].ID {
				t.Errorf("call %d got order %d, call 0 order %d", i, o.ID, got[0].ID)
			}
			if !o.Replayed {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("%d calls placed an order, want 1", fresh)
		}
		var reservations int
		must(t, f.db.Get(&reservations, `SELECT count(*) FROM stock_movements WHERE reference = $1 AND kind = 'RESERVE'`,
			fmt.Sprintf("ORD:%d", got[0].ID)))
		if reservations != 1 {
			t.Errorf("%d reservations for the order, want 1", reservations)
		}
	})

	// The first order took the last units: its retry still answers with it.
	t.Run("a retry after the stock is gone", func(t *testing.T) {
		last := shipInput(taipei(), line(sku, f.level(t, "WH-TAO", vid).Available()))
		o := f.place(t, guest, last)
		again := f.place(t, guest, last)
		if !again.Replayed || again.ID != o.ID {
			t.Errorf("retry %+v, want order %d", again, o.ID)
		}
	})
	var orders int
	must(t, f.db.Get(&orders, `SELECT count(*) FROM orders`))
	if orders != 3 {
		t.Errorf("%d orders, want 3", orders)
	}
	if l := f.level(t, "WH-TAO", vid); l.Reserved != 10 || l.Available() != 0 {
		t.Errorf("level %+v, want all 10 reserved by three orders", l)
	}
	checkLedger(t, f.db)
}

// 200 shoppers buy one unit each of an item with 5 available in all (over three
// locations, one keeping a display unit back): exactly 5 orders are accepted, the others
// are refused with INSUFFICIENT_STOCK, and the ledger equals the balances.
func TestNoOversell(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, vid := f.variant(t, 990, map[string]int{"WH-TAO": 2, "TPE-01/1": 3, "KHH-01": 1})
	const shoppers = 200
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted []int64
		refused  int
	)
	for range shoppers {
		wg.Go(func() {
			o, err := f.svc.PlaceOrder(guest, shipInput(taipei(), line(sku, 1)))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				accepted = append(accepted, o.ID)
				return
			}
			if errs, ok := apperr.Errors(err); ok && len(errs) == 1 && errs[0].ClientCode() == order.ReasonInsufficientStock {
				refused++
				return
			}
			t.Errorf("order: %v", err)
		})
	}
	wg.Wait()
	if len(accepted) != 5 || refused != shoppers-5 {
		t.Fatalf("%d accepted and %d refused, want 5 and %d", len(accepted), refused, shoppers-5)
	}
	reserved := 0
	for _, code := range []string{"WH-TAO", "TPE-01", "KHH-01"} {
		l := f.level(t, code, vid)
		reserved += l.Reserved
		if l.Available() != 0 {
			t.Errorf("%s: %+v still available", code, l)
		}
	}
	if l := f.level(t, "TPE-01", vid); l.Reserved != 2 || l.SafetyStock != 1 {
		t.Errorf("TPE-01 %+v, want 2 reserved and the display unit kept", l)
	}
	if reserved != 5 {
		t.Errorf("%d reserved in all, want 5", reserved)
	}
	checkLedger(t, f.db)
}

// A coupon's total limit holds when orders race for its last uses.
func TestCouponTotalLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 10000, map[string]int{"WH-TAO": 100})
	f.coupon(t, "LAST3", func(c *couponInput) { c.MaxRedemptions = 3 })
	var wg sync.WaitGroup
	var mu sync.Mutex
	used, limited := 0, 0
	for range 12 {
		wg.Go(func() {
			in := shipInput(taipei(), line(sku, 1))
			in.CouponCodes = []string{"last3"}
			_, err := f.svc.PlaceOrder(guest, in)
			mu.Lock()
			defer mu.Unlock()
			var l apperr.List
			switch {
			case err == nil:
				used++
			case errors.As(err, &l) && l[0].ClientCode() == "COUPON_LIMIT_REACHED":
				limited++
			default:
				t.Errorf("order: %v", err)
			}
		})
	}
	wg.Wait()
	var redemptions, counter int
	must(t, f.db.Get(&redemptions, `SELECT count(*) FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id WHERE c.code = 'LAST3'`))
	must(t, f.db.Get(&counter, `SELECT redemptions FROM coupons WHERE code = 'LAST3'`))
	if used != 3 || limited != 9 || redemptions != 3 || counter != 3 {
		t.Errorf("%d orders used the coupon, %d were refused, %d redemptions (counter %d); want 3, 9, 3, 3",
			used, limited, redemptions, counter)
	}
}
