-- +goose Up
-- The notifications outbox: messages to customers, staff and suppliers (pickup ready,
-- one-time codes, purchase orders, campaigns) are written in the transaction of the change
-- that causes them, and sent afterwards by a dispatcher that any number of servers run
-- (FOR UPDATE SKIP LOCKED), retrying with backoff. A message is never sent for a change
-- that rolled back, and a change never waits on a mail server.
CREATE TABLE notifications (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind ~ '^[A-Z][A-Z0-9_]*$'),
    channel         text NOT NULL DEFAULT 'EMAIL' CHECK (channel IN ('EMAIL', 'SMS')),
    recipient       text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 320),
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL,
    -- What it is about, e.g. ORD:42, for finding the messages of an order.
    reference       text NOT NULL DEFAULT '',
    -- Set when the same message must go only once (a retried change, a campaign member).
    dedupe_key      text UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CHECK ((status = 'SENT') = (sent_at IS NOT NULL))
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at, id) WHERE status = 'PENDING';
CREATE INDEX notifications_reference_idx ON notifications (reference, id) WHERE reference <> '';

-- +goose Down
DROP TABLE notifications;
