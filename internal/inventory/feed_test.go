package inventory_test

import (
	"context"
	"testing"
	"time"

	"atrium/internal/actor"
	"atrium/internal/inventory"
	"atrium/internal/testdb"
)

// runFeed runs a feed on f's database until the test ends and returns it once listening.
func runFeed(t *testing.T, f *fixture) *inventory.Feed {
	t.Helper()
	var name string
	if err := f.db.Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	feed := inventory.NewFeed(testdb.DSN(t, name))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("feed: %v", err)
		}
	})
	// The feed sends every subscriber the zero Change once it listens.
	probe, stop := context.WithCancel(context.Background())
	defer stop()
	select {
	case <-feed.Subscribe(probe, func(inventory.Change) bool { return false }):
	case <-time.After(10 * time.Second):
		t.Fatal("the feed does not listen")
	}
	return feed
}

func next(t *testing.T, ch <-chan inventory.Change) inventory.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change")
	}
	return inventory.Change{}
}

func TestFeed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	feed := runFeed(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	atA := feed.Subscribe(ctx, func(c inventory.Change) bool { return c.LocationID == f.a })
	all := feed.Subscribe(ctx, func(inventory.Change) bool { return true })
	if !eventually(func() bool { return feed.Subscribers() == 2 }) { // runFeed's probe ends
		t.Fatalf("%d subscribers, want 2", feed.Subscribers())
	}

	f.stock(f.b, f.plain[0], 1)
	f.stock(f.a, f.plain[1], 1)
	if c := next(t, all); c != (inventory.Change{LocationID: f.b, VariantID: f.plain[0]}) {
		t.Errorf("all: %+v, want the change at B first", c)
	}
	if c := next(t, atA); c != (inventory.Change{LocationID: f.a, VariantID: f.plain[1]}) {
		t.Errorf("at A: %+v, want only the change at A", c)
	}

	t.Run("falling behind", func(t *testing.T) {
		// all is not read while more changes arrive than it may have waiting: its
		// backlog becomes one zero Change, "reload everything".
		next(t, all) // the change at A
		last := inventory.Change{LocationID: f.b, VariantID: f.plain[2]}
		probe, stop := context.WithCancel(context.Background())
		defer stop()
		lastSeen := feed.Subscribe(probe, func(c inventory.Change) bool { return c == last })
		for range 70 {
			f.stock(f.a, f.plain[2], 1)
		}
		f.stock(last.LocationID, last.VariantID, 1)
		next(t, lastSeen) // the feed has published every change to all by now
		if c := next(t, all); c != (inventory.Change{}) {
			t.Errorf("got %+v first, want the zero Change", c)
		}
		for c := next(t, all); c != last; c = next(t, all) { // and the changes after it
		}
	})

	cancel()
	for _, ch := range []<-chan inventory.Change{atA, all} {
		for range ch { // drained, then closed
		}
	}
	if n := feed.Subscribers(); n != 0 {
		t.Errorf("%d subscribers after they ended, want 0", n)
	}
}

func TestFeedStops(t *testing.T) {
	t.Parallel()
	feed := inventory.NewFeed("host=/nonexistent dbname=none")
	ctx, cancel := context.WithCancel(context.Background())
	sub := feed.Subscribe(context.Background(), func(inventory.Change) bool { return true })
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, ok := <-sub; ok {
		t.Error("a subscription outlived its feed")
	}
	if _, ok := <-feed.Subscribe(context.Background(), func(inventory.Change) bool { return true }); ok {
		t.Error("a subscription to a stopped feed is open")
	}
}

func TestWatchLevels(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	feed := runFeed(t, f)
	f.stock(f.a, f.plain[0], 4)
	f.stock(f.b, f.plain[0], 2)

	if _, err := f.svc.WatchLevels(customerCtx(), feed, []int64{f.plain[0]}, nil); err == nil {
		t.Error("a customer watches stock levels")
	}
	ctx, cancel := context.WithCancel(staffCtx(f.a, actor.Associate))
	defer cancel()
	levels := must[<-chan inventory.Level](t)(f.svc.WatchLevels(ctx, feed, []int64{f.plain[0], f.plain[1]}, &f.a))
	f.stock(f.b, f.plain[0], 1) // elsewhere: not sent
	f.stock(f.a, f.plain[2], 1) // another variant: not sent
	f.stock(f.a, f.plain[0], 3)
	select {
	case l := <-levels:
		if l.LocationID != f.a || l.VariantID != f.plain[0] || l.OnHand != 7 {
			t.Errorf("got %+v, want 7 on hand of the watched variant at A", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no level")
	}
	cancel()
	for range levels { // closed once ctx ends
	}
}

// eventually polls cond for up to 10 s.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
