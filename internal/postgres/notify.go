package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Listen calls fn with the payload of each notification on channel committed on the
// database at dsn, by any server, until ctx ends, then returns nil. It holds one
// dedicated connection; pq.Listener reconnects after a connection loss. fn is called with
// missed true once listening starts and after each reconnection: notifications may have
// been missed, so a subscriber reloads what it shows. fn runs on Listen's goroutine and
// should return quickly. Errors: the LISTEN command failing.
func Listen(ctx context.Context, dsn, channel string, fn func(payload string, missed bool)) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, nil)
	defer l.Close()
	stop := context.AfterFunc(ctx, func() { l.Close() }) // unblocks Listen while connecting
	defer stop()
	if err := l.Listen(channel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	fn("", true)
	ping := time.NewTicker(time.Minute)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n, ok := <-l.Notify:
			switch {
			case !ok:
				return nil
			case n == nil: // pq.Listener reconnected
				fn("", true)
			default:
				fn(n.Extra, false)
			}
		case <-ping.C:
			// A ping notices a dead connection that would otherwise wait for TCP to time out.
			go l.Ping()
		}
	}
}

// Feed fans the notifications of one channel, committed on the database by any server,
// out to the subscribers in this process over one LISTEN connection: a server holds one
// connection per channel however many live views it serves. Payloads are decoded into
// values of T, whose zero value means "reload everything": it is sent once listening
// starts, after a lost connection, and to a subscriber that falls behind (which loses its
// backlog rather than block the feed).
type Feed[T comparable] struct {
	dsn, channel string
	decode       func(payload string) (T, bool)

	mu      sync.Mutex
	subs    map[*feedSub[T]]struct{}
	stopped bool
}

type feedSub[T comparable] struct {
	match func(T) bool
	ch    chan T
}

// FeedBacklog is how many values a subscriber may have waiting before it falls behind.
const FeedBacklog = 64

// NewFeed returns a feed of the notifications on channel at dsn; decode turns a payload
// into a value (false drops a malformed one). Run starts it.
func NewFeed[T comparable](dsn, channel string, decode func(payload string) (T, bool)) *Feed[T] {
	return &Feed[T]{dsn: dsn, channel: channel, decode: decode, subs: map[*feedSub[T]]struct{}{}}
}

// Run delivers notifications to the subscribers until ctx ends, then ends every
// subscription (and any made later). Call it once, in its own goroutine. Errors: as
// Listen's.
func (f *Feed[T]) Run(ctx context.Context) error {
	defer f.stop()
	return Listen(ctx, f.dsn, f.channel, func(payload string, missed bool) {
		var zero T
		if missed {
			f.publish(zero)
			return
		}
		if v, ok := f.decode(payload); ok && v != zero {
			f.publish(v)
		}
	})
}

// Subscribe returns the values for which match is true (and every zero value) until ctx
// ends or the feed stops; the channel is closed then. match runs on the feed's goroutine
// and must be quick.
func (f *Feed[T]) Subscribe(ctx context.Context, match func(T) bool) <-chan T {
	s := &feedSub[T]{match: match, ch: make(chan T, FeedBacklog)}
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
func (f *Feed[T]) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *Feed[T]) publish(v T) {
	var zero T
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		if v != zero && !s.match(v) {
			continue
		}
		select {
		case s.ch <- v:
		default:
			// Fallen behind: replace the backlog with one "reload everything". The feed is
			// the only sender and holds the lock, so the channel has room once drained.
			for len(s.ch) > 0 {
				select {
				case <-s.ch:
				default:
				}
			}
			s.ch <- zero
		}
	}
}

func (f *Feed[T]) unsubscribe(s *feedSub[T]) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[s]; ok {
		delete(f.subs, s)
		close(s.ch)
	}
}

func (f *Feed[T]) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for s := range f.subs {
		delete(f.subs, s)
		close(s.ch)
	}
}
