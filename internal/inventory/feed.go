package inventory

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"atrium/internal/actor"
	"atrium/internal/postgres"
)

// Feed fans the stock changes committed on the database, by any server, out to the
// subscribers in this process over one LISTEN connection (see Listen): a server holds one
// connection however many live views of stock it serves. Sends never block the feed: a
// subscriber that falls behind loses its backlog and receives the zero Change instead,
// which means "reload everything", as after a lost database connection.
type Feed = postgres.Feed[Change]

// NewFeed returns a feed of the changes committed on the database at dsn; Run starts it.
func NewFeed(dsn string) *Feed {
	return postgres.NewFeed(dsn, ChangesChannel, func(payload string) (Change, bool) {
		var c Change
		return c, json.Unmarshal([]byte(payload), &c) == nil
	})
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
