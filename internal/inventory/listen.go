package inventory

import (
	"context"
	"encoding/json"
	"time"

	"github.com/lib/pq"
)

// ChangesChannel is the PostgreSQL notification channel of stock changes.
const ChangesChannel = "stock_changed"

// Change says that the stock of a variant at a location changed (committed by any server
// on the database). The zero Change means "changes may have been missed": it is sent once
// listening starts and after each reconnection, so a subscriber reloads what it shows.
type Change struct {
	LocationID int64 `json:"locationId"`
	VariantID  int64 `json:"variantId"`
}

// Listen calls fn for each stock change committed on the database at dsn until ctx ends,
// then returns nil. It holds one dedicated connection; pq.Listener reconnects after a
// connection loss (fn then receives a zero Change). fn runs on Listen's goroutine and
// should return quickly. Errors: the LISTEN command failing.
func Listen(ctx context.Context, dsn string, fn func(Change)) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, nil)
	defer l.Close()
	stop := context.AfterFunc(ctx, func() { l.Close() }) // unblocks Listen while connecting
	defer stop()
	if err := l.Listen(ChangesChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	fn(Change{})
	ping := time.NewTicker(time.Minute)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n, ok := <-l.Notify:
			if !ok {
				return nil
			}
			var c Change
			if n != nil {
				if json.Unmarshal([]byte(n.Extra), &c) != nil {
					continue
				}
			}
			fn(c)
		case <-ping.C:
			// A ping notices a dead connection that would otherwise wait for TCP to time out.
			go l.Ping()
		}
	}
}
