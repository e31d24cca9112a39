-- +goose Up
-- Foundation: settings, locations, staff and customers with their credentials, bearer
-- tokens, back-office sessions, login throttling, audit trail, catalog, and the stock
-- ledger that later capabilities build on.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One deployment serves one retailer: its name, currency and time zone.
CREATE TABLE settings (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    company     text    NOT NULL DEFAULT 'Atrium Retail',
    currency    char(3) NOT NULL DEFAULT 'TWD' CHECK (currency ~ '^[A-Z]{3}$'),
    time_zone   text    NOT NULL DEFAULT 'Asia/Taipei'
);
INSERT INTO settings DEFAULT VALUES;

CREATE TABLE locations (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,19}$'),
    name            text NOT NULL CHECK (length(btrim(name)) > 0),
    kind            text NOT NULL CHECK (kind IN ('STORE', 'WAREHOUSE')),
    address_line1   text NOT NULL DEFAULT '',
    address_line2   text NOT NULL DEFAULT '',
    city            text NOT NULL DEFAULT '',
    region          text NOT NULL DEFAULT '',
    postal_code     text NOT NULL DEFAULT '',
    country         char(2) NOT NULL DEFAULT 'TW' CHECK (country ~ '^[A-Z]{2}$'),
    phone           text NOT NULL DEFAULT '',
    latitude        double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision CHECK (longitude BETWEEN -180 AND 180),
    time_zone       text NOT NULL DEFAULT 'UTC',
    pickup_enabled  boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CHECK (kind = 'STORE' OR NOT pickup_enabled)
);

CREATE TABLE staff (
    id                  bigserial PRIMARY KEY,
    login               text NOT NULL CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,39}$'),
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    email               text,
    password_hash       text NOT NULL,
    roles               text[] NOT NULL DEFAULT '{}'
        CHECK (roles <@ ARRAY['ADMIN','MANAGER','ASSOCIATE','FULFILMENT','BUYER','ACCOUNTANT','HR']),
    home_location_id    bigint REFERENCES locations (id),
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_login_key ON staff (login);

CREATE TABLE customers (
    id              bigserial PRIMARY KEY,
    email           text CHECK (email = lower(email)),
    phone           text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name            text NOT NULL DEFAULT '',
    password_hash   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_email_key ON customers (email);
CREATE UNIQUE INDEX customers_phone_key ON customers (phone);

-- Bearer tokens for the GraphQL API. Only a SHA-256 of the token is stored.
CREATE TABLE auth_tokens (
    token_hash  bytea PRIMARY KEY,
    staff_id    bigint REFERENCES staff (id) ON DELETE CASCADE,
    customer_id bigint REFERENCES customers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CHECK ((staff_id IS NULL) <> (customer_id IS NULL))
);
CREATE INDEX auth_tokens_staff_idx ON auth_tokens (staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX auth_tokens_customer_idx ON auth_tokens (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX auth_tokens_expires_idx ON auth_tokens (expires_at);

-- Every login attempt, to throttle guessing per account and per address.
CREATE TABLE login_attempts (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('STAFF', 'CUSTOMER')),
    login       text NOT NULL,
    address     text NOT NULL,
    succeeded   boolean NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_login_idx ON login_attempts (kind, login, at);
CREATE INDEX login_attempts_address_idx ON login_attempts (address, at);

-- Back-office sessions (scs postgresstore).
CREATE TABLE sessions (
    token   text PRIMARY KEY,
    data    bytea NOT NULL,
    expiry  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Sensitive actions: who, when, what before and after, why.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL,
    actor_id    bigint,
    actor_name  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   bigint,
    before      jsonb,
    after       jsonb,
    reason      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);

CREATE TABLE categories (
    id          bigserial PRIMARY KEY,
    handle      text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL,
    parent_id   bigint REFERENCES categories (id)
);

CREATE TABLE products (
    id              bigserial PRIMARY KEY,
    handle          text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title           text NOT NULL CHECK (length(btrim(title)) > 0),
    description     text NOT NULL DEFAULT '',
    brand           text NOT NULL DEFAULT '',
    category_id     bigint REFERENCES categories (id),
    status          text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')),
    lot_tracked     boolean NOT NULL DEFAULT false,
    shelf_life_days integer CHECK (shelf_life_days > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_title_trgm_idx ON products USING gin (title gin_trgm_ops);
CREATE INDEX products_category_idx ON products (category_id);

CREATE TABLE variants (
    id              bigserial PRIMARY KEY,
    product_id      bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku             text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9][A-Z0-9._-]{1,39}$'),
    barcode         text UNIQUE CHECK (barcode ~ '^([0-9]{8}|[0-9]{12,14})$'),
    title           text NOT NULL CHECK (length(btrim(title)) > 0),
    size            text NOT NULL DEFAULT '',
    colour          text NOT NULL DEFAULT '',
    price_amount    bigint NOT NULL CHECK (price_amount >= 0),
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    position        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX variants_product_idx ON variants (product_id, position, id);
CREATE INDEX variants_sku_trgm_idx ON variants USING gin (sku gin_trgm_ops);

-- Stock per location and variant. The balance row always equals the sum of its
-- movements in stock_movements, both written in one transaction.
CREATE TABLE stock_levels (
    location_id     bigint NOT NULL REFERENCES locations (id),
    variant_id      bigint NOT NULL REFERENCES variants (id),
    on_hand         integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved        integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    safety_stock    integer NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    incoming        integer NOT NULL DEFAULT 0 CHECK (incoming >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (location_id, variant_id)
);
CREATE INDEX stock_levels_variant_idx ON stock_levels (variant_id);

-- Stock per lot for lot-tracked variants (FEFO: first expiring, first out).
CREATE TABLE stock_lots (
    location_id     bigint NOT NULL REFERENCES locations (id),
    variant_id      bigint NOT NULL REFERENCES variants (id),
    lot             text NOT NULL CHECK (length(btrim(lot)) > 0),
    expires_on      date,
    on_hand         integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    PRIMARY KEY (location_id, variant_id, lot),
    FOREIGN KEY (location_id, variant_id) REFERENCES stock_levels (location_id, variant_id)
);

-- The append-only stock ledger.
CREATE TABLE stock_movements (
    id              bigserial PRIMARY KEY,
    location_id     bigint NOT NULL REFERENCES locations (id),
    variant_id      bigint NOT NULL REFERENCES variants (id),
    kind            text NOT NULL CHECK (kind IN ('RECEIPT','SALE','RESERVE','RELEASE','ADJUSTMENT','COUNT',
                                                  'TRANSFER_OUT','TRANSFER_IN','RETURN','DAMAGE','EXPIRY')),
    -- on_hand_delta and reserved_delta are what the movement did to the balance row.
    on_hand_delta   integer NOT NULL DEFAULT 0,
    reserved_delta  integer NOT NULL DEFAULT 0,
    lot             text,
    reference       text NOT NULL DEFAULT '',
    reason          text NOT NULL DEFAULT '',
    actor_kind      text NOT NULL,
    actor_id        bigint,
    idempotency_key text,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_level_idx ON stock_movements (location_id, variant_id, at);
CREATE UNIQUE INDEX stock_movements_idempotency_key ON stock_movements (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP TABLE stock_movements, stock_lots, stock_levels, variants, products, categories,
    audit_log, sessions, login_attempts, auth_tokens, customers, staff, locations, settings;
