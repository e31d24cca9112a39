-- +goose Up
-- A purchase order created with a key is created once: a double submit of the editor, or a
-- replenishment conversion retried after a lost answer, finds the order made the first time.
ALTER TABLE purchase_orders ADD COLUMN idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200);
CREATE UNIQUE INDEX purchase_orders_idempotency_key ON purchase_orders (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Files sent with a notification (the purchase order's PDF to its supplier), written in
-- the same transaction as the message.
CREATE TABLE notification_attachments (
    id              bigserial PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    position        integer NOT NULL CHECK (position >= 0),
    filename        text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type    text NOT NULL CHECK (content_type ~ '^[a-z0-9.+-]+/[a-zA-Z0-9.+-]+$'),
    data            bytea NOT NULL,
    UNIQUE (notification_id, position)
);

-- +goose Down
DROP TABLE notification_attachments;
DROP INDEX purchase_orders_idempotency_key;
ALTER TABLE purchase_orders DROP COLUMN idempotency_key;
