-- +goose Up
-- Inventory: the incoming figure joins the ledger, per-location reorder points, idempotent
-- stock requests, discrepancies from till sales the ledger could not cover, and transfers
-- between locations.

-- incoming (inbound transfers, later purchase orders) is a ledger figure like on_hand and
-- reserved: the balance equals the sum of the movements' deltas.
ALTER TABLE stock_movements ADD COLUMN incoming_delta integer NOT NULL DEFAULT 0;
CREATE INDEX stock_movements_variant_idx ON stock_movements (variant_id, id);
CREATE INDEX stock_movements_location_idx ON stock_movements (location_id, id);
CREATE INDEX stock_movements_reference_idx ON stock_movements (reference) WHERE reference <> '';

-- Low-stock alerts fire when what is left for sale falls to the reorder point.
ALTER TABLE stock_levels ADD COLUMN reorder_point integer NOT NULL DEFAULT 0 CHECK (reorder_point >= 0);
CREATE INDEX stock_levels_reorder_idx ON stock_levels (location_id, variant_id) WHERE reorder_point > 0;

-- The expiry report and job look for lots by date.
CREATE INDEX stock_lots_expiry_idx ON stock_lots (expires_on) WHERE on_hand > 0;

-- A client-keyed stock request (adjustment, count, transfer): the same key with the same
-- request replays the first result; with another request it is refused.
CREATE TABLE stock_requests (
    idempotency_key text PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    request         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Units a till sold that the ledger did not have (the goods were in the customer's hands):
-- the store recounts, and a count at the level resolves them.
CREATE TABLE stock_discrepancies (
    id                      bigserial PRIMARY KEY,
    location_id             bigint NOT NULL REFERENCES locations (id),
    variant_id              bigint NOT NULL REFERENCES variants (id),
    quantity                integer NOT NULL CHECK (quantity > 0),
    reference               text NOT NULL,
    status                  text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'RESOLVED')),
    created_at              timestamptz NOT NULL DEFAULT now(),
    resolved_at             timestamptz,
    resolved_by_movement_id bigint REFERENCES stock_movements (id),
    CHECK ((status = 'RESOLVED') = (resolved_at IS NOT NULL))
);
CREATE INDEX stock_discrepancies_open_idx ON stock_discrepancies (location_id, variant_id) WHERE status = 'OPEN';

CREATE TABLE transfers (
    id                  bigserial PRIMARY KEY,
    idempotency_key     text NOT NULL UNIQUE,
    from_location_id    bigint NOT NULL REFERENCES locations (id),
    to_location_id      bigint NOT NULL REFERENCES locations (id),
    status              text NOT NULL DEFAULT 'DRAFT'
        CHECK (status IN ('DRAFT', 'IN_TRANSIT', 'RECEIVED', 'RECEIVED_WITH_DIFFERENCES', 'CANCELLED')),
    expected_arrival    date,
    note                text NOT NULL DEFAULT '',
    created_by_kind     text NOT NULL,
    created_by          bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    shipped_at          timestamptz,
    received_at         timestamptz,
    cancelled_at        timestamptz,
    CHECK (from_location_id <> to_location_id)
);
CREATE INDEX transfers_from_idx ON transfers (from_location_id, status, id);
CREATE INDEX transfers_to_idx ON transfers (to_location_id, status, id);

-- quantity is what was asked for and shipped; received is what arrived (NULL until then).
CREATE TABLE transfer_lines (
    transfer_id bigint NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
    variant_id  bigint NOT NULL REFERENCES variants (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    received    integer CHECK (received >= 0),
    PRIMARY KEY (transfer_id, variant_id)
);

-- +goose Down
DROP TABLE transfer_lines, transfers, stock_discrepancies, stock_requests;
DROP INDEX stock_lots_expiry_idx;
ALTER TABLE stock_levels DROP COLUMN reorder_point;
DROP INDEX stock_movements_variant_idx, stock_movements_location_idx, stock_movements_reference_idx;
ALTER TABLE stock_movements DROP COLUMN incoming_delta;
