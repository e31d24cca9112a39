package purchasing_test

import (
	"fmt"
	"sync"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/purchasing"
)

// Approvers and receivers racing on one order: the order row serialises them, so the last
// level is given once, incoming rises once, and a receipt retried at the same time with
// the same key takes effect once.
func TestConcurrentDecisions(t *testing.T) {
	f := newFixture(t)
	f.db.SetMaxOpenConns(20)
	tee, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "100", 1, 1)
	for i := range 6 {
		f.addStaff(t, fmt.Sprintf("mgr%d", i), "", actor.Manager)
	}

	t.Run("approvers race for the last level", func(t *testing.T) {
		o := f.draft(t, "WH-TAO", line(tee, 10))
		_, err := f.svc.Submit(f.as("buyer"), o.ID, "")
		must(t, err)
		var wg sync.WaitGroup
		var mu sync.Mutex
		approved, refused := 0, 0
		for i := range 6 {
			wg.Go(func() {
				o, err := f.svc.Approve(f.as(fmt.Sprintf("mgr%d", i)), o.ID, "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && o.Status == purchasing.Approved:
					approved++
				case err != nil:
					refused++
				}
			})
		}
		wg.Wait()
		if approved != 1 || refused != 5 {
			t.Errorf("%d approvals took effect and %d were refused, want 1 and 5", approved, refused)
		}
		if got := f.level(t, "WH-TAO", tee).Incoming; got != 10 {
			t.Errorf("incoming %d, want 10", got)
		}
	})

	t.Run("a receipt retried while the first is in flight", func(t *testing.T) {
		o := f.sent(t, "TPE-01", line(tee, 10))
		var wg sync.WaitGroup
		var mu sync.Mutex
		replays := 0
		for range 8 {
			wg.Go(func() {
				res, err := f.svc.Receive(f.as("manager"), purchasing.ReceiptInput{IdempotencyKey: "race", OrderID: o.ID,
					Lines: []purchasing.ReceiptLineInput{{VariantID: tee, Accepted: 4}}})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if res.Replayed {
					replays++
				}
			})
		}
		wg.Wait()
		if replays != 7 {
			t.Errorf("%d replays, want 7", replays)
		}
		if l := f.level(t, "TPE-01", tee); l.OnHand != 4 || l.Incoming != 6 {
			t.Errorf("on hand %d incoming %d, want 4 and 6", l.OnHand, l.Incoming)
		}
		checkLedger(t, f.db)
	})
}
