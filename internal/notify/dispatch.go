package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
)

// Sender delivers one message. An error wrapping ErrPermanent (a refused address, a
// message the server will never accept) ends the retries at once; any other error is
// retried with backoff.
type Sender interface {
	Send(ctx context.Context, n Notification) error
}

// ErrPermanent marks a delivery failure that retrying cannot fix.
var ErrPermanent = errors.New("permanent delivery failure")

// Dispatcher sends the outbox's due messages. Several servers may run one each: a batch
// is claimed with FOR UPDATE SKIP LOCKED, so a message goes to one dispatcher at a time.
// Delivery is at least once: a server that dies after sending but before recording it
// sends the message again.
type Dispatcher struct {
	db   *sqlx.DB
	send Sender
	log  *slog.Logger
	// Batch is how many messages one claim takes (default 20).
	Batch int
	// MaxAttempts is how many failed attempts turn a message FAILED (default 8: with the
	// default backoff, about two hours of retrying).
	MaxAttempts int
	// Backoff is the wait after the n-th failed attempt (default 30 s doubling, capped at
	// one hour).
	Backoff func(attempt int) time.Duration
}

// NewDispatcher returns a Dispatcher sending through s.
func NewDispatcher(db *sqlx.DB, s Sender, log *slog.Logger) *Dispatcher {
	return &Dispatcher{db: db, send: s, log: log, Batch: 20, MaxAttempts: 8, Backoff: backoff}
}

func backoff(attempt int) time.Duration {
	d := 30 * time.Second << min(attempt-1, 7)
	return min(d, time.Hour)
}

// Run sends what is due every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			n, err := d.DispatchDue(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.Warn("notifications: dispatch", "err", err)
			}
			if err != nil || n < d.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DispatchDue claims up to Batch due messages, sends them and records the outcome. It
// returns how many it claimed.
func (d *Dispatcher) DispatchDue(ctx context.Context) (int, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, Rollback does nothing
	var due []Notification
	if err := sqlx.SelectContext(ctx, tx, &due, `
		SELECT `+columns+` FROM notifications
		WHERE status = 'PENDING' AND next_attempt_at <= now()
		ORDER BY next_attempt_at, id
		LIMIT $1
		FOR UPDATE SKIP LOCKED`, d.Batch); err != nil {
		return 0, fmt.Errorf("claim notifications: %w", err)
	}
	if err := loadAttachments(ctx, tx, due); err != nil {
		return 0, err
	}
	for _, n := range due {
		if err := d.deliver(ctx, tx, n); err != nil {
			return 0, err
		}
	}
	return len(due), tx.Commit()
}

// deliver sends n and records the result in tx.
func (d *Dispatcher) deliver(ctx context.Context, tx *sqlx.Tx, n Notification) error {
	sendErr := d.send.Send(ctx, n)
	if sendErr == nil {
		_, err := tx.ExecContext(ctx, `
			UPDATE notifications SET status = 'SENT', sent_at = now(), attempts = attempts + 1, last_error = ''
			WHERE id = $1`, n.ID)
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	attempts := n.Attempts + 1
	status := Pending
	if attempts >= d.MaxAttempts || errors.Is(sendErr, ErrPermanent) {
		status = Failed
		d.log.Error("notifications: giving up", "id", n.ID, "kind", n.Kind, "attempts", attempts, "err", sendErr)
	} else {
		d.log.Warn("notifications: will retry", "id", n.ID, "kind", n.Kind, "attempts", attempts, "err", sendErr)
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE notifications SET status = $2, attempts = $3, last_error = $4,
			next_attempt_at = now() + $5 * interval '1 millisecond'
		WHERE id = $1`, n.ID, string(status), attempts, truncate(sendErr.Error(), 500), d.Backoff(attempts).Milliseconds())
	return err
}

// attachmentNames lists n's attachments for a log line.
func attachmentNames(n Notification) []string {
	out := make([]string, len(n.Attachments))
	for i, a := range n.Attachments {
		out[i] = fmt.Sprintf("%s (%s, %d bytes)", a.Filename, a.ContentType, len(a.Data))
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// LogSender "sends" by logging: the demo and development default, so that a pickup code
// or a one-time code can be read in the server's log.
type LogSender struct{ Log *slog.Logger }

// Send implements Sender.
func (s LogSender) Send(_ context.Context, n Notification) error {
	s.Log.Info("notification (not sent: no mail server configured)", "id", n.ID, "kind", n.Kind,
		"channel", n.Channel, "to", n.To, "subject", n.Subject, "body", n.Body, "attachments", attachmentNames(n))
	return nil
}
