-- +goose Up
-- Orders from every channel: the order book (orders and their lines), the fulfilments that
-- serve them per location with the allocation decision that chose each location, a
-- timeline of events, payments, and coupons with their redemptions.
--
-- Money is bigint minor units in the order's currency; every figure that is derived from
-- others is checked against them, so a wrong total cannot be stored.

-- Order numbers people can read out at a counter: A-000001, A-000002, ... (more digits
-- once past a million). A sequence, not the id: numbers skip on rollback, which is fine.
CREATE SEQUENCE order_number_seq;

-- +goose StatementBegin
CREATE FUNCTION next_order_number() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT 'A-' || lpad(n::text, greatest(6, length(n::text)), '0')
    FROM (SELECT nextval('order_number_seq') AS n) AS s
$$;
-- +goose StatementEnd

CREATE TABLE orders (
    id              bigserial PRIMARY KEY,
    number          text NOT NULL UNIQUE DEFAULT next_order_number() CHECK (number ~ '^A-[0-9]{6,}$'),
    -- The client's key: a retry with the same key and the same request (request_hash, which
    -- covers the actor too) returns this order; another request under the key is refused.
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    request_hash    text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    channel         text NOT NULL CHECK (channel IN ('WEB', 'APP', 'POS', 'MARKETPLACE')),
    status          text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'ON_HOLD', 'COMPLETED', 'CANCELLED')),
    -- How the customer means to pay (inspection looks at pay-at-pickup); payments record
    -- what was actually paid.
    payment_method  text CHECK (payment_method IN ('CASH', 'CARD', 'ONLINE', 'PAY_AT_PICKUP', 'STORE_CREDIT')),
    customer_id     bigint REFERENCES customers (id),
    -- Contact at the time of the order: the customer's email or the guest's.
    email           text CHECK (email = lower(email) AND email LIKE '%_@_%'),
    phone           text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    -- The store of a till (POS) sale or of the tablet an associate ordered from.
    location_id     bigint REFERENCES locations (id),
    placed_by_kind  text NOT NULL CHECK (placed_by_kind IN ('ANONYMOUS', 'STAFF', 'CUSTOMER', 'SYSTEM')),
    placed_by_id    bigint,
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal        bigint NOT NULL CHECK (subtotal >= 0),
    discount        bigint NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= subtotal),
    shipping        bigint NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    -- Tax included in the total (prices include it), shown apart.
    tax             bigint NOT NULL DEFAULT 0 CHECK (tax >= 0),
    total           bigint NOT NULL,
    paid            bigint NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= total),
    payment_status  text NOT NULL GENERATED ALWAYS AS (
                        CASE WHEN paid >= total THEN 'PAID' WHEN paid > 0 THEN 'PARTIALLY_PAID' ELSE 'UNPAID' END) STORED,
    -- The variants and quantities, canonical, for spotting likely duplicates.
    lines_signature text NOT NULL,
    -- Why inspection held the order (kept after release, for the record).
    hold_reasons    text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (total = subtotal - discount + shipping),
    CHECK (tax <= total),
    CHECK (channel <> 'POS' OR location_id IS NOT NULL),
    CHECK (customer_id IS NOT NULL OR email IS NOT NULL OR channel = 'POS'),
    CHECK (status <> 'ON_HOLD' OR cardinality(hold_reasons) > 0),
    CHECK ((placed_by_kind IN ('STAFF', 'CUSTOMER')) = (placed_by_id IS NOT NULL))
);
CREATE INDEX orders_customer_idx ON orders (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX orders_email_idx ON orders (email, created_at) WHERE email IS NOT NULL;
CREATE INDEX orders_location_idx ON orders (location_id, created_at) WHERE location_id IS NOT NULL;
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE INDEX orders_hold_idx ON orders (id) WHERE status = 'ON_HOLD';

-- One line per variant; SKU, title and unit price are copied so that the order keeps
-- saying what was sold at what price when the catalog changes.
CREATE TABLE order_lines (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id),
    line_no     integer NOT NULL CHECK (line_no >= 0),
    variant_id  bigint NOT NULL REFERENCES variants (id),
    sku         text NOT NULL,
    title       text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    unit_price  bigint NOT NULL CHECK (unit_price >= 0),
    subtotal    bigint NOT NULL,
    discount    bigint NOT NULL DEFAULT 0,
    tax         bigint NOT NULL DEFAULT 0,
    total       bigint NOT NULL,
    UNIQUE (order_id, line_no),
    UNIQUE (order_id, variant_id),
    CHECK (subtotal = unit_price * quantity),
    CHECK (discount BETWEEN 0 AND subtotal),
    CHECK (total = subtotal - discount),
    CHECK (tax BETWEEN 0 AND total)
);
CREATE INDEX order_lines_variant_idx ON order_lines (variant_id);

-- Every allocation decision, with its explanation: the candidates considered, what each
-- had available, the rule that chose and why each other location was not chosen. A
-- re-route later adds a decision; fulfilments point at the one that made them.
CREATE TABLE order_allocations (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id),
    method      text NOT NULL CHECK (method IN ('CARRY_OUT', 'SHIP', 'PICKUP')),
    rule        text NOT NULL CHECK (rule IN ('CARRY_OUT', 'SINGLE_LOCATION', 'SPLIT', 'PICKUP_STORE', 'SHIP_TO_STORE')),
    explanation jsonb NOT NULL CHECK (jsonb_typeof(explanation) = 'object'),
    actor_kind  text NOT NULL,
    actor_id    bigint,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_allocations_order_idx ON order_allocations (order_id, id);

-- What one location does for an order: hand over at the till (CARRY_OUT), ship to an
-- address (SHIP), or have it collected at a pickup store (PICKUP) — from its own stock,
-- or sent there from location_id (ship-to-store) by expected_ready_on.
CREATE TABLE fulfilments (
    id                  bigserial PRIMARY KEY,
    order_id            bigint NOT NULL REFERENCES orders (id),
    allocation_id       bigint NOT NULL REFERENCES order_allocations (id),
    location_id         bigint NOT NULL REFERENCES locations (id),
    method              text NOT NULL CHECK (method IN ('CARRY_OUT', 'SHIP', 'PICKUP')),
    status              text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'PICKING', 'PACKED', 'SHIPPED',
                            'READY_FOR_PICKUP', 'DELIVERED', 'COLLECTED', 'CANCELLED')),
    pickup_location_id  bigint REFERENCES locations (id),
    ship_address        jsonb CHECK (jsonb_typeof(ship_address) = 'object'),
    expected_ready_on   date,
    -- The stock transfer that brings a ship-to-store fulfilment to the pickup store.
    transfer_id         bigint REFERENCES transfers (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((method = 'PICKUP') = (pickup_location_id IS NOT NULL)),
    CHECK ((method = 'SHIP') = (ship_address IS NOT NULL)),
    CHECK (expected_ready_on IS NULL OR method = 'PICKUP'),
    CHECK (transfer_id IS NULL OR (method = 'PICKUP' AND location_id <> pickup_location_id)),
    CHECK (method <> 'CARRY_OUT' OR status IN ('COLLECTED', 'CANCELLED'))
);
CREATE INDEX fulfilments_order_idx ON fulfilments (order_id, id);
CREATE INDEX fulfilments_location_idx ON fulfilments (location_id, status);

CREATE TABLE fulfilment_lines (
    fulfilment_id   bigint NOT NULL REFERENCES fulfilments (id),
    order_line_id   bigint NOT NULL REFERENCES order_lines (id),
    quantity        integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfilment_id, order_line_id)
);
CREATE INDEX fulfilment_lines_line_idx ON fulfilment_lines (order_line_id);

-- The order's timeline.
CREATE TABLE order_events (
    id              bigserial PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES orders (id),
    fulfilment_id   bigint REFERENCES fulfilments (id),
    kind            text NOT NULL CHECK (kind ~ '^[A-Z][A-Z_]*$'),
    message         text NOT NULL,
    data            jsonb,
    actor_kind      text NOT NULL,
    actor_id        bigint,
    actor_name      text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- Money received against an order. Cash records what was handed over and the change.
CREATE TABLE payments (
    id                  bigserial PRIMARY KEY,
    order_id            bigint NOT NULL REFERENCES orders (id),
    idempotency_key     text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    request_hash        text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    method              text NOT NULL CHECK (method IN ('CASH', 'CARD', 'ONLINE', 'PAY_AT_PICKUP', 'STORE_CREDIT')),
    amount              bigint NOT NULL CHECK (amount > 0),
    currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    tendered            bigint,
    change_given        bigint NOT NULL DEFAULT 0 CHECK (change_given >= 0),
    reference           text NOT NULL DEFAULT '',
    provider_reference  text NOT NULL DEFAULT '',
    actor_kind          text NOT NULL,
    actor_id            bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (method = 'CASH' OR (tendered IS NULL AND change_given = 0)),
    CHECK (tendered IS NULL OR tendered = amount + change_given)
);
CREATE INDEX payments_order_idx ON payments (order_id, id);

-- Coupons: percent (basis points) or a fixed amount off the whole order or off some
-- products and categories (a category covers its subcategories), with a minimum spend,
-- validity, total and per-customer limits, and optionally only in some channels.
CREATE TABLE coupons (
    id                  bigserial PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{2,39}$'),
    description         text NOT NULL DEFAULT '',
    kind                text NOT NULL CHECK (kind IN ('PERCENT', 'FIXED')),
    percent_bp          integer CHECK (percent_bp BETWEEN 1 AND 10000),
    amount              bigint CHECK (amount > 0),
    scope               text NOT NULL CHECK (scope IN ('ORDER', 'ITEMS')),
    min_spend           bigint NOT NULL DEFAULT 0 CHECK (min_spend >= 0),
    starts_at           timestamptz,
    ends_at             timestamptz,
    max_redemptions     integer CHECK (max_redemptions > 0),
    max_per_customer    integer CHECK (max_per_customer > 0),
    -- Redemptions by orders not cancelled: the guarded counter behind max_redemptions.
    redemptions         integer NOT NULL DEFAULT 0
                            CHECK (redemptions >= 0 AND (max_redemptions IS NULL OR redemptions <= max_redemptions)),
    -- NULL: every channel.
    channels            text[] CHECK (cardinality(channels) > 0
                            AND channels <@ ARRAY['WEB', 'APP', 'POS', 'MARKETPLACE']::text[]),
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'PERCENT') = (percent_bp IS NOT NULL)),
    CHECK ((kind = 'FIXED') = (amount IS NOT NULL)),
    CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);

CREATE TABLE coupon_products (
    coupon_id   bigint NOT NULL REFERENCES coupons (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    PRIMARY KEY (coupon_id, product_id)
);

CREATE TABLE coupon_categories (
    coupon_id   bigint NOT NULL REFERENCES coupons (id),
    category_id bigint NOT NULL REFERENCES categories (id),
    PRIMARY KEY (coupon_id, category_id)
);

-- One row per coupon used on an order; a cancelled order gives its use back.
CREATE TABLE coupon_redemptions (
    id              bigserial PRIMARY KEY,
    coupon_id       bigint NOT NULL REFERENCES coupons (id),
    order_id        bigint NOT NULL REFERENCES orders (id),
    customer_id     bigint REFERENCES customers (id),
    email           text,
    amount          bigint NOT NULL CHECK (amount >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    cancelled_at    timestamptz,
    UNIQUE (coupon_id, order_id),
    CHECK (customer_id IS NOT NULL OR email IS NOT NULL)
);
CREATE INDEX coupon_redemptions_customer_idx ON coupon_redemptions (coupon_id, customer_id)
    WHERE customer_id IS NOT NULL AND cancelled_at IS NULL;
CREATE INDEX coupon_redemptions_email_idx ON coupon_redemptions (coupon_id, email)
    WHERE email IS NOT NULL AND cancelled_at IS NULL;
CREATE INDEX coupon_redemptions_order_idx ON coupon_redemptions (order_id);

-- +goose Down
DROP TABLE coupon_redemptions, coupon_categories, coupon_products, coupons, payments, order_events,
    fulfilment_lines, fulfilments, order_allocations, order_lines, orders;
DROP FUNCTION next_order_number();
DROP SEQUENCE order_number_seq;
