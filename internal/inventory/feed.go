package inventory

import (
	"context"
	"slices"
	"sync"
	"time"

	"atrium/internal/actor"
)

// Feed fans the stock changes committed on the database, by any server, out to the
// subscribers in this process over one LISTEN connection (see Listen): a server holds one
// connection however many live views of stock it serves. Sends never block the feed: a
// subscriber that falls behind loses its backlog and receives the zero Change instead,
// which means "reload everything", as after a lost database connection.
type Feed struct {
	dsn string

	mu      sync.Mutex
	subs    map[*feedSub]struct{}
	stopped bool
}

type feedSub struct {
	match func(Change) bool
	ch    chan Change
}

// feedBacklog is how many changes a subscriber may have waiting before it falls behind.
const feedBacklog = 64

// NewFeed returns a feed of the changes committed on the database at dsn; Run starts it.
func NewFeed(dsn string) *Feed {
	return &Feed{dsn: dsn, subs: map[*feedSub]struct{}{}}
}

// Run delivers changes to the subscribers until ctx ends, then ends every subscription
// (and any made later). Call it once, in its own goroutine. Errors: as Listen's.
func (f *Feed) Run(ctx context.Context) error {
	defer f.stop()
	return Listen(ctx, f.dsn, f.publish)
}

// Subscribe returns the changes for which match is true (and every zero Change) until ctx
// ends or the feed stops; the channel is closed then. match runs on the feed's goroutine
// and must be quick.
func (f *Feed) Subscribe(ctx context.Context, match func(Change) bool) <-chan Change {
	s := &feedSub{match: match, ch: make(chan Change, feedBacklog)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		close(s.ch)
		return s.ch
	}
	f.subs[s] = struct{}{}
	context.AfterFunc(ctx, func() { f.unsubscribe(s) })
	return s.ch
}

// Subscribers returns the number of live subscriptions (for metrics and tests).
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *Feed) publish(c Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		if c != (Change{}) && !s.match(c) {
			continue
		}
		select {
		case s.ch <- c:
		default:
			// Fallen behind: replace the backlog with one "reload everything". The feed is
			// the only sender and holds the lock, so the channel has room once drained.
			for len(s.ch) > 0 {
				select {
				case <-s.ch:
				default:
				}
			}
			s.ch <- Change{}
		}
	}
}

func (f *Feed) unsubscribe(s *feedSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[s]; ok {
		delete(f.subs, s)
		close(s.ch)
	}
}

func (f *Feed) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for s := range f.subs {
		delete(f.subs, s)
		close(s.ch)
	}
}

// reloadRetry is how long WatchLevels waits before reading the levels again after a
// failed read.
const reloadRetry = time.Second

// WatchLevels sends the stock levels of variantIDs at locationID (every active location
// when nil) each time one changes, until ctx ends or the feed stops, when the channel is
// closed. After a zero Change it sends every level watched again. The levels are read
// as the actor in ctx, so only staff may watch: errors apperr.Unauthenticated / Forbidden.
func (s *Service) WatchLevels(ctx context.Context, f *Feed, variantIDs []int64, locationID *int64) (<-chan Level, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	variantIDs = slices.Clone(variantIDs)
	changes := f.Subscribe(ctx, func(c Change) bool {
		return slices.Contains(variantIDs, c.VariantID) && (locationID == nil || c.LocationID == *locationID)
	})
	out := make(chan Level)
	go func() {
		defer close(out)
		for c := range changes {
			if !s.sendLevels(ctx, out, c, variantIDs, locationID) {
				return
			}
		}
	}()
	return out, nil
}

// sendLevels reads the levels change c concerns (all of them for the zero Change) and
// sends them to out, retrying a failed read until it succeeds or ctx ends. It reports
// false when ctx has ended.
func (s *Service) sendLevels(ctx context.Context, out chan<- Level, c Change, variantIDs []int64, locationID *int64) bool {
	if c != (Change{}) {
		variantIDs, locationID = []int64{c.VariantID}, &c.LocationID
	}
	for {
		levels, err := s.LevelsFor(ctx, variantIDs, locationID)
		if err == nil {
			for _, l := range levels {
				select {
				case out <- l:
				case <-ctx.Done():
					return false
				}
			}
			return true
		}
		select {
		case <-time.After(reloadRetry):
		case <-ctx.Done():
			return false
		}
	}
}
