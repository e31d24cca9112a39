-- +goose Up
-- Reaching members: linking an online registration to an existing store member by a
-- one-time code, the products a shopper looked at online, rule-based segments, email
-- campaigns to a segment, and after-sales feedback with a follow-up list.

-- One attempt to join an online registration to the member who already has its email or
-- phone. The code is sent to the member's identity on file and only its hash is kept.
CREATE TABLE customer_link_challenges (
    id              text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    customer_id     bigint NOT NULL REFERENCES customers (id),
    -- Where the code went: the matched identity.
    via             text NOT NULL CHECK (via IN ('EMAIL', 'PHONE')),
    destination     text NOT NULL,
    -- What the registration entered: the online account's email, and a phone if given.
    email           text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    phone           text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    -- The identity the rate limit counts starts against (kind:value).
    rate_key        text NOT NULL,
    code_hash       bytea NOT NULL,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    expires_at      timestamptz NOT NULL,
    confirmed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_link_challenges_rate_idx ON customer_link_challenges (rate_key, created_at);

-- Products a shopper looked at: one row per shopper and product with the latest view, for
-- a signed-in customer or an anonymous storefront session (merged into the customer at
-- sign-in). Bounded per shopper by the service.
CREATE TABLE product_views (
    id              bigserial PRIMARY KEY,
    customer_id     bigint REFERENCES customers (id),
    session_id      text CHECK (session_id ~ '^[A-Za-z0-9_-]{16,100}$'),
    product_id      bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    variant_id      bigint REFERENCES variants (id) ON DELETE SET NULL,
    channel         text NOT NULL CHECK (channel IN ('WEB', 'APP')),
    views           integer NOT NULL DEFAULT 1 CHECK (views > 0),
    first_viewed_at timestamptz NOT NULL DEFAULT now(),
    last_viewed_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((customer_id IS NULL) <> (session_id IS NULL))
);
CREATE UNIQUE INDEX product_views_customer_key ON product_views (customer_id, product_id) WHERE customer_id IS NOT NULL;
CREATE UNIQUE INDEX product_views_session_key ON product_views (session_id, product_id) WHERE session_id IS NOT NULL;
CREATE INDEX product_views_customer_recent_idx ON product_views (customer_id, last_viewed_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX product_views_session_recent_idx ON product_views (session_id, last_viewed_at DESC) WHERE session_id IS NOT NULL;

-- A saved segment: conditions (all must hold) as validated JSON, turned into SQL with
-- parameters by the service.
CREATE TABLE segments (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '',
    rules           jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array'),
    created_by_id   bigint,
    created_by_name text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- Segment rules look up paid orders by customer and date, and lines by order.
CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at) WHERE customer_id IS NOT NULL;

-- An email campaign to a segment. Starting it snapshots the recipients (members of the
-- segment who consented to marketing email); batches then put them in the outbox.
CREATE TABLE campaigns (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    segment_id      bigint NOT NULL REFERENCES segments (id),
    subject         text NOT NULL CHECK (length(btrim(subject)) BETWEEN 1 AND 200),
    body            text NOT NULL CHECK (length(btrim(body)) > 0),
    status          text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SENDING', 'SENT', 'CANCELLED')),
    created_by_id   bigint,
    created_by_name text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    started_by_name text NOT NULL DEFAULT '',
    completed_at    timestamptz,
    CHECK ((status = 'DRAFT') = (started_at IS NULL))
);

CREATE TABLE campaign_recipients (
    campaign_id     bigint NOT NULL REFERENCES campaigns (id),
    customer_id     bigint NOT NULL REFERENCES customers (id),
    email           text NOT NULL,
    -- PENDING until a batch handles it: QUEUED in the outbox, or SKIPPED when the consent
    -- was withdrawn (or the email removed) in between.
    status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'QUEUED', 'SKIPPED')),
    notification_id bigint REFERENCES notifications (id),
    handled_at      timestamptz,
    PRIMARY KEY (campaign_id, customer_id)
);
CREATE INDEX campaign_recipients_pending_idx ON campaign_recipients (campaign_id, customer_id) WHERE status = 'PENDING';

-- A customer's rating of an order once it was delivered or collected: one per order.
CREATE TABLE order_feedback (
    id              bigserial PRIMARY KEY,
    order_id        bigint NOT NULL UNIQUE REFERENCES orders (id),
    customer_id     bigint NOT NULL REFERENCES customers (id),
    -- The store it was collected at, or the location that delivered it.
    location_id     bigint NOT NULL REFERENCES locations (id),
    rating          integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment         text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    -- Low ratings need someone to get back to the customer.
    follow_up       boolean NOT NULL GENERATED ALWAYS AS (rating <= 2) STORED,
    resolved_at     timestamptz,
    resolved_by_id  bigint,
    resolved_by_name text NOT NULL DEFAULT '',
    resolution_note text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (resolved_at IS NULL OR follow_up)
);
CREATE INDEX order_feedback_location_idx ON order_feedback (location_id, created_at DESC);
CREATE INDEX order_feedback_customer_idx ON order_feedback (customer_id, created_at DESC);
CREATE INDEX order_feedback_follow_up_idx ON order_feedback (created_at) WHERE follow_up AND resolved_at IS NULL;

-- +goose Down
DROP TABLE order_feedback, campaign_recipients, campaigns, segments, product_views, customer_link_challenges;
DROP INDEX IF EXISTS orders_customer_created_idx;
