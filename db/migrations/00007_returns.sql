-- +goose Up
-- Returns anywhere: goods of any order received back at any location, what becomes of
-- each returned line (RESTOCK, DAMAGED, TO_INSPECT), the refunds given for them (to the
-- original payments or as store credit), and the customers' store credit ledger.
--
-- Money is bigint minor units in the order's currency; derived figures are checked
-- against their parts, as on orders.

-- Return numbers people can read out at a counter: R-000001, R-000002, ...
CREATE SEQUENCE return_number_seq;

-- +goose StatementBegin
CREATE FUNCTION next_return_number() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT 'R-' || lpad(n::text, greatest(6, length(n::text)), '0')
    FROM (SELECT nextval('return_number_seq') AS n) AS s
$$;
-- +goose StatementEnd

CREATE TABLE returns (
    id              bigserial PRIMARY KEY,
    number          text NOT NULL UNIQUE DEFAULT next_return_number() CHECK (number ~ '^R-[0-9]{6,}$'),
    -- The client's key: the same key and request (request_hash covers the actor) return
    -- this return; another request under the key is refused.
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    request_hash    text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    order_id        bigint NOT NULL REFERENCES orders (id),
    -- Where the goods came back (and are restocked): any location.
    location_id     bigint NOT NULL REFERENCES locations (id),
    status          text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- The returned lines' totals (tax included), the order's shipping when this return
    -- completes the return of the whole order, the tax in both, and what was refunded.
    amount          bigint NOT NULL CHECK (amount >= 0),
    shipping        bigint NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    tax             bigint NOT NULL DEFAULT 0 CHECK (tax >= 0),
    total           bigint NOT NULL,
    refunded        bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= total),
    -- The earliest end of the returned goods' return windows; a return after it carries
    -- the manager's reason (audited).
    window_ends_at  timestamptz NOT NULL,
    override_reason text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '',
    created_by_kind text NOT NULL,
    created_by_id   bigint,
    created_by_name text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    CHECK (total = amount + shipping),
    CHECK (tax <= total),
    CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
);
CREATE INDEX returns_order_idx ON returns (order_id, id);
CREATE INDEX returns_location_idx ON returns (location_id, id);
CREATE INDEX returns_open_idx ON returns (location_id, id) WHERE status = 'OPEN';

-- One line per order line returned. amount, discount and tax are the returned units'
-- shares of the order line's figures, computed so that the shares of every return of a
-- line add up to the line exactly.
CREATE TABLE return_lines (
    id              bigserial PRIMARY KEY,
    return_id       bigint NOT NULL REFERENCES returns (id),
    order_line_id   bigint NOT NULL REFERENCES order_lines (id),
    quantity        integer NOT NULL CHECK (quantity > 0),
    reason          text NOT NULL CHECK (reason IN ('DEFECTIVE', 'DAMAGED_IN_TRANSIT', 'WRONG_ITEM',
                        'NOT_AS_DESCRIBED', 'SIZE_OR_FIT', 'CHANGED_MIND', 'ARRIVED_LATE', 'OTHER')),
    note            text NOT NULL DEFAULT '',
    -- RESTOCK: the units are on hand at the return's location (a RETURN movement under
    -- RET:<return id>); DAMAGED and TO_INSPECT: they are not.
    disposition     text NOT NULL CHECK (disposition IN ('RESTOCK', 'DAMAGED', 'TO_INSPECT')),
    lot             text NOT NULL DEFAULT '',
    amount          bigint NOT NULL CHECK (amount >= 0),
    discount        bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
    tax             bigint NOT NULL DEFAULT 0 CHECK (tax BETWEEN 0 AND amount),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (return_id, order_line_id),
    CHECK (reason <> 'OTHER' OR length(btrim(note)) > 0)
);
CREATE INDEX return_lines_order_line_idx ON return_lines (order_line_id);

-- Store credit: a balance per customer kept with its ledger in the same transaction
-- (balance = sum of the entries' amounts), never below zero.
CREATE TABLE store_credit_accounts (
    customer_id bigint PRIMARY KEY REFERENCES customers (id),
    currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    balance     bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE store_credit_entries (
    id              bigserial PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES store_credit_accounts (customer_id),
    kind            text NOT NULL CHECK (kind IN ('ISSUE', 'REDEEM')),
    amount          bigint NOT NULL,
    balance_after   bigint NOT NULL CHECK (balance_after >= 0),
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    order_id        bigint REFERENCES orders (id),
    return_id       bigint REFERENCES returns (id),
    -- The STORE_CREDIT payment a redemption paid.
    payment_id      bigint UNIQUE REFERENCES payments (id),
    note            text NOT NULL DEFAULT '',
    actor_kind      text NOT NULL,
    actor_id        bigint,
    actor_name      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'ISSUE' AND amount > 0) OR (kind = 'REDEEM' AND amount < 0)),
    CHECK (kind <> 'REDEEM' OR payment_id IS NOT NULL)
);
CREATE INDEX store_credit_entries_customer_idx ON store_credit_entries (customer_id, id);

-- Money given back for a return, or for goods cancelled after they were paid (return_id
-- NULL), one row per method (payment) a refund call gave back by; a call's parts share
-- its idempotency key.
CREATE TABLE refunds (
    id                      bigserial PRIMARY KEY,
    return_id               bigint REFERENCES returns (id),
    order_id                bigint NOT NULL REFERENCES orders (id),
    idempotency_key         text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    request_hash            text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    part                    integer NOT NULL CHECK (part >= 1),
    -- The payment refunded; NULL for a refund as store credit.
    payment_id              bigint REFERENCES payments (id),
    method                  text NOT NULL CHECK (method IN ('CASH', 'CARD', 'ONLINE', 'PAY_AT_PICKUP', 'STORE_CREDIT')),
    amount                  bigint NOT NULL CHECK (amount > 0),
    currency                char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    reference               text NOT NULL DEFAULT '',
    provider_reference      text NOT NULL DEFAULT '',
    store_credit_entry_id   bigint UNIQUE REFERENCES store_credit_entries (id),
    actor_kind              text NOT NULL,
    actor_id                bigint,
    actor_name              text NOT NULL DEFAULT '',
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (idempotency_key, part),
    CHECK ((method = 'STORE_CREDIT') = (store_credit_entry_id IS NOT NULL)),
    CHECK (payment_id IS NOT NULL OR method = 'STORE_CREDIT')
);
CREATE INDEX refunds_order_idx ON refunds (order_id, id);
CREATE INDEX refunds_return_idx ON refunds (return_id, id);
CREATE INDEX refunds_payment_idx ON refunds (payment_id) WHERE payment_id IS NOT NULL;

-- +goose Down
DROP TABLE refunds, store_credit_entries, store_credit_accounts, return_lines, returns;
DROP FUNCTION next_return_number();
DROP SEQUENCE return_number_seq;
