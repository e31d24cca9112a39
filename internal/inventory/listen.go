package inventory

import (
	"context"
	"encoding/json"

	"atrium/internal/postgres"
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
	return postgres.Listen(ctx, dsn, ChangesChannel, func(payload string, missed bool) {
		var c Change
		if !missed && json.Unmarshal([]byte(payload), &c) != nil {
			return
		}
		fn(c)
	})
}
