// Package marketing reaches members: what they looked at online (for the associate's 360
// view), rule-based segments computed in SQL, and email campaigns to a segment through the
// notifications outbox, only to members who consented, with a signed unsubscribe link.
//
// Segments and campaigns live together because a campaign is sent to a segment's members
// as the segment's SQL finds them, and both are run from the same back office screens.
package marketing

import (
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Config is the marketing settings.
type Config struct {
	// UnsubscribeSecret signs the unsubscribe links (HMAC-SHA256); at least 32 bytes,
	// the same on every server, kept secret.
	UnsubscribeSecret []byte
	// UnsubscribeURL is where the link points, the token appended as ?token=...
	// e.g. https://shop.example.com/unsubscribe
	UnsubscribeURL string
	// MaxViewsPerShopper bounds the products kept per customer or session (200).
	MaxViewsPerShopper int
	// Now is the clock (tests).
	Now func() time.Time
}

// Service is the marketing use cases.
type Service struct {
	db  *sqlx.DB
	cfg Config
}

// NewService returns a Service on d. It refuses a secret shorter than 32 bytes or a
// missing unsubscribe URL: campaigns could not carry a working unsubscribe link.
func NewService(d *sqlx.DB, cfg Config) (*Service, error) {
	if len(cfg.UnsubscribeSecret) < 32 {
		return nil, errors.New("marketing: the unsubscribe secret must have at least 32 bytes")
	}
	if !strings.HasPrefix(cfg.UnsubscribeURL, "https://") && !strings.HasPrefix(cfg.UnsubscribeURL, "http://") {
		return nil, errors.New("marketing: the unsubscribe URL must be an absolute http(s) URL")
	}
	if cfg.MaxViewsPerShopper <= 0 {
		cfg.MaxViewsPerShopper = 200
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{db: d, cfg: cfg}, nil
}
