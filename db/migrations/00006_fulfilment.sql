-- +goose Up
-- Fulfilment: the steps a location's part of an order goes through (pick, pack with scan
-- verification, ship or hand over at a pickup store), bins to pick from, cancelled
-- quantities and their value on the order.

-- A ship-to-store fulfilment is RECEIVED at the pickup store before it is made ready.
ALTER TABLE fulfilments DROP CONSTRAINT fulfilments_status_check;
ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_status_check CHECK (status IN ('OPEN', 'PICKING', 'PACKED',
    'SHIPPED', 'RECEIVED', 'READY_FOR_PICKUP', 'DELIVERED', 'COLLECTED', 'CANCELLED'));

-- Carrier and tracking of what was shipped; the pickup code (a SHA-256 of the fulfilment
-- id and the code: only the customer's email holds the code itself, so staff cannot hand
-- goods over without it) with the wrong tries so far (collection locks after a few).
ALTER TABLE fulfilments
    ADD COLUMN carrier              text CHECK (length(btrim(carrier)) > 0),
    ADD COLUMN tracking_number      text,
    ADD COLUMN pickup_code_hash     text CHECK (pickup_code_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN pickup_code_attempts integer NOT NULL DEFAULT 0 CHECK (pickup_code_attempts >= 0),
    ADD COLUMN cancel_reason        text,
    ADD CONSTRAINT fulfilments_shipped_carrier_check CHECK (status NOT IN ('SHIPPED', 'DELIVERED') OR method = 'CARRY_OUT'
        OR carrier IS NOT NULL);
CREATE INDEX fulfilments_pickup_idx ON fulfilments (pickup_location_id, status) WHERE pickup_location_id IS NOT NULL;

-- Each unit scanned while packing (barcode or SKU as typed), so a pack survives a reload
-- and shows who scanned what. A tablet's retry sends the same key and counts once.
CREATE TABLE fulfilment_scans (
    id              bigserial PRIMARY KEY,
    fulfilment_id   bigint NOT NULL REFERENCES fulfilments (id),
    order_line_id   bigint NOT NULL REFERENCES order_lines (id),
    code            text NOT NULL,
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    actor_kind      text NOT NULL,
    actor_id        bigint,
    actor_name      text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (fulfilment_id, idempotency_key),
    FOREIGN KEY (fulfilment_id, order_line_id) REFERENCES fulfilment_lines (fulfilment_id, order_line_id)
        ON DELETE CASCADE
);
CREATE INDEX fulfilment_scans_fulfilment_idx ON fulfilment_scans (fulfilment_id, order_line_id);

-- Where a variant sits in a location (aisle-shelf, e.g. A-03-2): pick lists walk bins in
-- order; stock without a bin is grouped by category.
ALTER TABLE stock_levels ADD COLUMN bin text CHECK (bin ~ '^[A-Z0-9][A-Z0-9.-]{0,19}$');

-- Units of a line cancelled before they left, and the value of everything cancelled on
-- the order: what is due drops by it, and what was paid beyond the rest is owed back.
ALTER TABLE order_lines ADD COLUMN cancelled_quantity integer NOT NULL DEFAULT 0
    CHECK (cancelled_quantity BETWEEN 0 AND quantity);
ALTER TABLE orders ADD COLUMN cancelled_amount bigint NOT NULL DEFAULT 0 CHECK (cancelled_amount BETWEEN 0 AND total);

-- PAID now means covering what is left after cancellations.
ALTER TABLE orders DROP COLUMN payment_status;
ALTER TABLE orders ADD COLUMN payment_status text NOT NULL GENERATED ALWAYS AS (
    CASE WHEN paid >= total - cancelled_amount THEN 'PAID' WHEN paid > 0 THEN 'PARTIALLY_PAID' ELSE 'UNPAID' END) STORED;

-- +goose Down
ALTER TABLE orders DROP COLUMN payment_status;
ALTER TABLE orders ADD COLUMN payment_status text NOT NULL GENERATED ALWAYS AS (
    CASE WHEN paid >= total THEN 'PAID' WHEN paid > 0 THEN 'PARTIALLY_PAID' ELSE 'UNPAID' END) STORED;
ALTER TABLE orders DROP COLUMN cancelled_amount;
ALTER TABLE order_lines DROP COLUMN cancelled_quantity;
ALTER TABLE stock_levels DROP COLUMN bin;
DROP TABLE fulfilment_scans;
DROP INDEX fulfilments_pickup_idx;
ALTER TABLE fulfilments DROP CONSTRAINT fulfilments_shipped_carrier_check,
    DROP COLUMN carrier, DROP COLUMN tracking_number, DROP COLUMN pickup_code_hash,
    DROP COLUMN pickup_code_attempts, DROP COLUMN cancel_reason;
ALTER TABLE fulfilments DROP CONSTRAINT fulfilments_status_check;
ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_status_check CHECK (status IN ('OPEN', 'PICKING', 'PACKED',
    'SHIPPED', 'READY_FOR_PICKUP', 'DELIVERED', 'COLLECTED', 'CANCELLED'));
