// Package notify is the notifications outbox. Domain services write a Message with
// Enqueue inside the transaction of the change that causes it (an order ready for pickup,
// a one-time code, a purchase order for a supplier), so nothing is sent for a change that
// rolled back and no change waits on a mail server. A Dispatcher sends what is due through
// a Sender (SMTP in production, the log in demo), retrying with backoff; any number of
// servers can run one.
package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Channel is how a message travels.
type Channel string

const (
	Email Channel = "EMAIL"
	SMS   Channel = "SMS"
)

// Message is one notification to send.
type Message struct {
	// Kind names what it is, e.g. PICKUP_READY, VERIFICATION_CODE (upper case).
	Kind string
	// Channel defaults to Email.
	Channel Channel
	// To is an email address (Email) or an E.164 phone number (SMS).
	To      string
	Subject string
	Body    string
	// Reference says what the message is about, e.g. "ORD:42".
	Reference string
	// DedupeKey, when set, makes Enqueue write the message once: a second call with the
	// same key does nothing and returns the first message's id.
	DedupeKey string
	// Attachments are files sent with an Email (a purchase order's PDF), stored with the
	// message in the outbox.
	Attachments []Attachment
}

// Attachment is a file sent with an email.
type Attachment struct {
	// Filename is the name the recipient sees, e.g. PO-000042.pdf.
	Filename string
	// ContentType is its media type, e.g. application/pdf.
	ContentType string
	Data        []byte
}

// MaxAttachmentBytes bounds one attachment: mail servers commonly refuse messages over
// 10 MB once base64 has added its third.
const MaxAttachmentBytes = 7 << 20

var contentTypePattern = regexp.MustCompile(`^[a-z0-9.+-]+/[a-zA-Z0-9.+-]+$`)

func (a Attachment) check() error {
	switch {
	case strings.TrimSpace(a.Filename) == "" || len(a.Filename) > 200 || strings.ContainsAny(a.Filename, "\r\n\"/\\"):
		return fmt.Errorf("notify: attachment name %q must be 1 to 200 characters without quotes, slashes or line breaks", a.Filename)
	case !contentTypePattern.MatchString(a.ContentType):
		return fmt.Errorf("notify: attachment %s has no valid content type (%q)", a.Filename, a.ContentType)
	case len(a.Data) == 0:
		return fmt.Errorf("notify: attachment %s is empty", a.Filename)
	case len(a.Data) > MaxAttachmentBytes:
		return fmt.Errorf("notify: attachment %s has %d bytes, more than %d", a.Filename, len(a.Data), MaxAttachmentBytes)
	}
	return nil
}

var kindPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// Enqueue writes m to the outbox in ext (the caller's transaction) and returns its id.
// Errors: an invalid message (no recipient, no body, a bad kind) is a programming error
// reported as a plain error.
func Enqueue(ctx context.Context, ext sqlx.ExtContext, m Message) (int64, error) {
	if m.Channel == "" {
		m.Channel = Email
	}
	m.To = strings.TrimSpace(m.To)
	switch {
	case !kindPattern.MatchString(m.Kind):
		return 0, fmt.Errorf("notify: kind %q must be upper case letters, digits and _", m.Kind)
	case m.Channel != Email && m.Channel != SMS:
		return 0, fmt.Errorf("notify: unknown channel %q", m.Channel)
	case len(m.To) < 3:
		return 0, errors.New("notify: message has no recipient")
	case strings.TrimSpace(m.Body) == "":
		return 0, errors.New("notify: message has no body")
	case len(m.Attachments) > 0 && m.Channel != Email:
		return 0, fmt.Errorf("notify: %s messages cannot carry attachments", m.Channel)
	}
	for _, a := range m.Attachments {
		if err := a.check(); err != nil {
			return 0, err
		}
	}
	var dedupe *string
	if m.DedupeKey != "" {
		dedupe = &m.DedupeKey
	}
	var id int64
	err := sqlx.GetContext(ctx, ext, &id, `
		WITH ins AS (
			INSERT INTO notifications (kind, channel, recipient, subject, body, reference, dedupe_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (dedupe_key) DO NOTHING
			RETURNING id)
		SELECT id FROM ins
		UNION ALL
		SELECT id FROM notifications WHERE dedupe_key = $7
		LIMIT 1`,
		m.Kind, string(m.Channel), m.To, m.Subject, m.Body, m.Reference, dedupe)
	if err != nil {
		return 0, fmt.Errorf("notify: enqueue %s: %w", m.Kind, err)
	}
	for i, a := range m.Attachments {
		// A deduplicated message keeps the attachments written the first time.
		_, err := ext.ExecContext(ctx, `INSERT INTO notification_attachments (notification_id, position, filename,
			content_type, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (notification_id, position) DO NOTHING`,
			id, i, a.Filename, a.ContentType, a.Data)
		if err != nil {
			return 0, fmt.Errorf("notify: enqueue %s: attachment %s: %w", m.Kind, a.Filename, err)
		}
	}
	return id, nil
}

// loadAttachments fills in the attachments of ns.
func loadAttachments(ctx context.Context, q sqlx.QueryerContext, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ids := make([]int64, len(ns))
	at := make(map[int64]int, len(ns))
	for i, n := range ns {
		ids[i], at[n.ID] = n.ID, i
	}
	var rows []struct {
		NotificationID int64 `db:"notification_id"`
		Filename       string
		ContentType    string `db:"content_type"`
		Data           []byte
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT notification_id, filename, content_type, data
		FROM notification_attachments WHERE notification_id = ANY($1) ORDER BY notification_id, position`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("notification attachments: %w", err)
	}
	for _, r := range rows {
		n := &ns[at[r.NotificationID]]
		n.Attachments = append(n.Attachments, Attachment{Filename: r.Filename, ContentType: r.ContentType, Data: r.Data})
	}
	return nil
}

// Status is where a stored notification stands.
type Status string

const (
	Pending Status = "PENDING"
	Sent    Status = "SENT"
	// Failed: every attempt failed; the last error says why.
	Failed Status = "FAILED"
)

// Notification is a message as stored, with its delivery state.
type Notification struct {
	ID            int64      `db:"id"`
	Kind          string     `db:"kind"`
	Channel       Channel    `db:"channel"`
	To            string     `db:"recipient"`
	Subject       string     `db:"subject"`
	Body          string     `db:"body"`
	Reference     string     `db:"reference"`
	Status        Status     `db:"status"`
	Attempts      int        `db:"attempts"`
	LastError     string     `db:"last_error"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
	// Attachments are loaded by the dispatcher (and ByReference) with the message.
	Attachments []Attachment `db:"-"`
}

const columns = `id, kind, channel, recipient, subject, body, reference, status, attempts, last_error,
	next_attempt_at, created_at, sent_at`

// ByReference returns the messages about reference (e.g. "ORD:42"), oldest first.
func ByReference(ctx context.Context, q sqlx.QueryerContext, reference string) ([]Notification, error) {
	var ns []Notification
	err := sqlx.SelectContext(ctx, q, &ns, `SELECT `+columns+` FROM notifications WHERE reference = $1 ORDER BY id`, reference)
	if err != nil {
		return nil, err
	}
	return ns, loadAttachments(ctx, q, ns)
}
