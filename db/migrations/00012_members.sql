-- +goose Up
-- Members: one customer across channels. A customer has identities (email, phone, external
-- account ids), each unique across customers; a member number people can read out at a
-- till; consents with the time and channel they were given; merges of duplicate customers
-- (reversible); and the loyalty programme: a points ledger of FIFO lots, earn rules, tiers
-- from rolling spend, and promotions that multiply points.

-- Member numbers: M00000001, M00000002, ... (more digits past a hundred million).
CREATE SEQUENCE member_number_seq;

-- +goose StatementBegin
CREATE FUNCTION next_member_number() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT 'M' || lpad(n::text, greatest(8, length(n::text)), '0')
    FROM (SELECT nextval('member_number_seq') AS n) AS s
$$;
-- +goose StatementEnd

ALTER TABLE customers
    ADD COLUMN member_number text NOT NULL DEFAULT next_member_number() CHECK (member_number ~ '^M[0-9]{8,}$'),
    -- Where the customer joined: the channel and, for a store sign-up, the store and associate.
    ADD COLUMN joined_channel text NOT NULL DEFAULT 'WEB' CHECK (joined_channel IN ('WEB', 'APP', 'POS', 'MARKETPLACE', 'BACK_OFFICE')),
    ADD COLUMN joined_location_id bigint REFERENCES locations (id),
    ADD COLUMN joined_by_staff_id bigint REFERENCES staff (id),
    -- A merged customer points at the survivor and takes no new business.
    ADD COLUMN merged_into_id bigint REFERENCES customers (id),
    ADD COLUMN merged_at timestamptz,
    -- An erased customer keeps its id (orders reference it) and nothing personal.
    ADD COLUMN erased_at timestamptz,
    ADD CONSTRAINT customers_merged_check CHECK ((merged_into_id IS NULL) = (merged_at IS NULL) AND merged_into_id <> id);
CREATE UNIQUE INDEX customers_member_number_key ON customers (member_number);
CREATE INDEX customers_merged_into_idx ON customers (merged_into_id) WHERE merged_into_id IS NOT NULL;
CREATE INDEX customers_name_trgm_idx ON customers USING gin (name gin_trgm_ops);

-- Ways to recognise a customer. EMAIL is lower case, PHONE E.164, EXTERNAL an id at a
-- provider (LINE, a marketplace's buyer id, ...). One identity belongs to one customer.
-- The customer's contact email and phone (customers.email/phone) are kept here too by a
-- trigger, so that a secondary email of one customer cannot be another's contact email.
CREATE TABLE customer_identities (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    kind        text NOT NULL CHECK (kind IN ('EMAIL', 'PHONE', 'EXTERNAL')),
    -- '' for EMAIL and PHONE; the provider's code (LINE, SHOPEE, ...) for EXTERNAL.
    provider    text NOT NULL DEFAULT '',
    value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'EXTERNAL') = (provider <> '')),
    CHECK (provider = '' OR provider ~ '^[A-Z][A-Z0-9_]{1,29}$'),
    CHECK (kind <> 'EMAIL' OR (value = lower(value) AND value LIKE '%_@_%')),
    CHECK (kind <> 'PHONE' OR value ~ '^\+[1-9][0-9]{6,14}$')
);
CREATE UNIQUE INDEX customer_identities_value_key ON customer_identities (kind, provider, value);
CREATE INDEX customer_identities_customer_idx ON customer_identities (customer_id, id);

-- +goose StatementBegin
CREATE FUNCTION customer_contact_identities() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_owner bigint;
    v_kind  text;
    v_old   text;
    v_new   text;
BEGIN
    FOREACH v_kind IN ARRAY ARRAY['EMAIL', 'PHONE'] LOOP
        IF v_kind = 'EMAIL' THEN
            v_new := NEW.email;
            v_old := CASE WHEN TG_OP = 'UPDATE' THEN OLD.email END;
        ELSE
            v_new := NEW.phone;
            v_old := CASE WHEN TG_OP = 'UPDATE' THEN OLD.phone END;
        END IF;
        IF v_old IS NOT DISTINCT FROM v_new THEN
            CONTINUE;
        END IF;
        IF v_old IS NOT NULL THEN
            DELETE FROM customer_identities WHERE customer_id = NEW.id AND kind = v_kind AND provider = '' AND value = v_old;
        END IF;
        IF v_new IS NOT NULL THEN
            INSERT INTO customer_identities (customer_id, kind, value) VALUES (NEW.id, v_kind, v_new)
            ON CONFLICT (kind, provider, value) DO NOTHING;
            SELECT customer_id INTO v_owner FROM customer_identities WHERE kind = v_kind AND provider = '' AND value = v_new;
            IF v_owner <> NEW.id THEN
                RAISE EXCEPTION 'identity % % belongs to customer %', v_kind, v_new, v_owner
                    USING ERRCODE = 'unique_violation', CONSTRAINT = 'customer_identities_value_key';
            END IF;
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER customers_contact_identities AFTER INSERT OR UPDATE OF email, phone ON customers
    FOR EACH ROW EXECUTE FUNCTION customer_contact_identities();

INSERT INTO customer_identities (customer_id, kind, value, created_at)
    SELECT id, 'EMAIL', email, created_at FROM customers WHERE email IS NOT NULL
    UNION ALL
    SELECT id, 'PHONE', phone, created_at FROM customers WHERE phone IS NOT NULL;

-- Consents as given or withdrawn, with when and through which channel; the latest row per
-- purpose is the one in force. Rows are never updated: they are the proof.
CREATE TABLE customer_consents (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    purpose     text NOT NULL CHECK (purpose IN ('MARKETING_EMAIL', 'MARKETING_SMS', 'PERSONALISATION', 'TERMS')),
    granted     boolean NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('WEB', 'APP', 'POS', 'MARKETPLACE', 'BACK_OFFICE', 'EMAIL_LINK')),
    location_id bigint REFERENCES locations (id),
    -- The wording shown, or a reference to it, for the record.
    statement   text NOT NULL DEFAULT '',
    actor_kind  text NOT NULL,
    actor_id    bigint,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_consents_customer_idx ON customer_consents (customer_id, purpose, recorded_at DESC, id DESC);

-- One merge of a duplicate customer into a survivor: who, when, and the ids of every row
-- that moved, so that it can be undone exactly (see customer.Unmerge for when).
CREATE TABLE customer_merges (
    id              bigserial PRIMARY KEY,
    survivor_id     bigint NOT NULL REFERENCES customers (id),
    merged_id       bigint NOT NULL REFERENCES customers (id),
    moved           jsonb NOT NULL CHECK (jsonb_typeof(moved) = 'object'),
    -- The merged customer's contact details before the merge, and which of them the
    -- survivor took over (they are put back on unmerge).
    merged_email    text,
    merged_phone    text,
    merged_password_hash text,
    survivor_took_email    boolean NOT NULL DEFAULT false,
    survivor_took_phone    boolean NOT NULL DEFAULT false,
    survivor_took_password boolean NOT NULL DEFAULT false,
    reason          text NOT NULL DEFAULT '',
    actor_kind      text NOT NULL,
    actor_id        bigint,
    actor_name      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    unmerged_at     timestamptz,
    unmerged_by_id  bigint,
    unmerged_by_name text NOT NULL DEFAULT '',
    unmerge_reason  text NOT NULL DEFAULT '',
    CHECK (survivor_id <> merged_id)
);
CREATE INDEX customer_merges_survivor_idx ON customer_merges (survivor_id, id);
CREATE INDEX customer_merges_merged_idx ON customer_merges (merged_id, id);
-- A customer is merged away at most once at a time.
CREATE UNIQUE INDEX customer_merges_active_key ON customer_merges (merged_id) WHERE unmerged_at IS NULL;

-- The programme's settings: how long earned points last, and the limits on paying with them.
CREATE TABLE loyalty_programme (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    expiry_months       integer NOT NULL DEFAULT 12 CHECK (expiry_months BETWEEN 1 AND 120),
    min_redeem_points   bigint NOT NULL DEFAULT 100 CHECK (min_redeem_points >= 1),
    -- At most this share of an order (basis points of its total) can be paid with points.
    max_redeem_share_bp integer NOT NULL DEFAULT 5000 CHECK (max_redeem_share_bp BETWEEN 1 AND 10000),
    tier_window_months  integer NOT NULL DEFAULT 12 CHECK (tier_window_months BETWEEN 1 AND 36),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
INSERT INTO loyalty_programme DEFAULT VALUES;

-- Earn and burn per currency: spend_per_point minor units spent earn one point (before
-- multipliers); one point pays point_value minor units.
CREATE TABLE loyalty_earn_rules (
    currency        char(3) PRIMARY KEY CHECK (currency ~ '^[A-Z]{3}$'),
    spend_per_point bigint NOT NULL CHECK (spend_per_point > 0),
    point_value     bigint NOT NULL CHECK (point_value > 0),
    active          boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- NT$100 spent earns 1 point; 1 point pays NT$1.
INSERT INTO loyalty_earn_rules (currency, spend_per_point, point_value) VALUES ('TWD', 10000, 100);

-- Tiers by rolling spend (paid orders minus refunds over tier_window_months), with their
-- earn multiplier and the benefits pricing applies.
CREATE TABLE loyalty_tiers (
    code                    text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,19}$'),
    name                    text NOT NULL CHECK (length(btrim(name)) > 0),
    min_spend               bigint NOT NULL UNIQUE CHECK (min_spend >= 0),
    multiplier_bp           integer NOT NULL DEFAULT 10000 CHECK (multiplier_bp BETWEEN 0 AND 100000),
    discount_bp             integer NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 5000),
    -- Orders from this subtotal ship free; NULL: no free shipping from the tier.
    free_shipping_threshold bigint CHECK (free_shipping_threshold >= 0),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
INSERT INTO loyalty_tiers (code, name, min_spend, multiplier_bp, discount_bp, free_shipping_threshold) VALUES
    ('MEMBER', 'Member', 0, 10000, 0, NULL),
    ('SILVER', 'Silver', 2000000, 12500, 300, 150000),
    ('GOLD', 'Gold', 6000000, 15000, 500, 0);

-- Promotions that multiply the points earned on orders placed while they run (the best one
-- applies), optionally only in some channels.
CREATE TABLE loyalty_promotions (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (length(btrim(name)) > 0),
    multiplier_bp   integer NOT NULL CHECK (multiplier_bp BETWEEN 10000 AND 100000),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    channels        text[] CHECK (cardinality(channels) > 0
                        AND channels <@ ARRAY['WEB', 'APP', 'POS', 'MARKETPLACE']::text[]),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);

-- The balance row of the ledger (balance = sum of the customer's entries), the current
-- tier and the spend it was computed from. Every change to a customer's points locks this
-- row first, so concurrent changes to one customer are serialised. The balance can go
-- below zero only when a return reverses points already spent.
CREATE TABLE loyalty_accounts (
    customer_id     bigint PRIMARY KEY REFERENCES customers (id),
    balance         bigint NOT NULL DEFAULT 0,
    tier            text NOT NULL DEFAULT 'MEMBER' REFERENCES loyalty_tiers (code),
    rolling_spend   bigint NOT NULL DEFAULT 0,
    tier_changed_at timestamptz NOT NULL DEFAULT now(),
    tier_checked_at timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The points ledger. Credits (EARN, positive ADJUST and REVERSE) are lots with what is left
-- of them (remaining) and when they expire; debits (REDEEM, EXPIRE, negative ADJUST and
-- REVERSE) take from lots oldest-expiring first, recorded in loyalty_allocations.
CREATE TABLE loyalty_entries (
    id              bigserial PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customers (id),
    kind            text NOT NULL CHECK (kind IN ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REVERSE')),
    points          bigint NOT NULL CHECK (points <> 0),
    remaining       bigint CHECK (remaining >= 0 AND remaining <= points),
    expires_at      timestamptz,
    order_id        bigint REFERENCES orders (id),
    return_id       bigint REFERENCES returns (id),
    -- EARN: the spend points were earned on; REDEEM: the money value paid; REVERSE: the
    -- refunded value reversed.
    amount          bigint CHECK (amount >= 0),
    currency        char(3) CHECK (currency ~ '^[A-Z]{3}$'),
    tier            text,
    multiplier_bp   integer,
    promotion_id    bigint REFERENCES loyalty_promotions (id),
    -- The REDEEM a REVERSE gives back (a cancelled order's points payment).
    reverses_id     bigint REFERENCES loyalty_entries (id),
    reason          text NOT NULL DEFAULT '',
    actor_kind      text NOT NULL,
    actor_id        bigint,
    actor_name      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((points > 0) = (remaining IS NOT NULL AND expires_at IS NOT NULL)),
    CHECK (kind <> 'EARN' OR (points > 0 AND order_id IS NOT NULL AND amount IS NOT NULL)),
    CHECK (kind <> 'REDEEM' OR (points < 0 AND order_id IS NOT NULL AND amount IS NOT NULL)),
    CHECK (kind <> 'EXPIRE' OR points < 0),
    CHECK (kind <> 'ADJUST' OR length(btrim(reason)) > 0),
    CHECK (kind <> 'REVERSE' OR order_id IS NOT NULL)
);
CREATE INDEX loyalty_entries_customer_idx ON loyalty_entries (customer_id, id);
CREATE INDEX loyalty_entries_lots_idx ON loyalty_entries (customer_id, expires_at, id) WHERE remaining > 0;
CREATE INDEX loyalty_entries_expiring_idx ON loyalty_entries (expires_at) WHERE remaining > 0;
CREATE INDEX loyalty_entries_order_idx ON loyalty_entries (order_id) WHERE order_id IS NOT NULL;
-- Idempotency: one accrual per order, one give-back per points payment. A points payment
-- released (order cancelled) may be followed by another on the same order, so its
-- one-in-force rule is kept under the account lock rather than by an index. Reversals for
-- refunds are incremental (each brings the order's reversed points up to its refunded
-- share), so a retry adds nothing.
CREATE UNIQUE INDEX loyalty_entries_earn_key ON loyalty_entries (order_id) WHERE kind = 'EARN';
CREATE UNIQUE INDEX loyalty_entries_reverses_key ON loyalty_entries (reverses_id) WHERE reverses_id IS NOT NULL;

-- Which lots a debit took its points from.
CREATE TABLE loyalty_allocations (
    debit_id    bigint NOT NULL REFERENCES loyalty_entries (id),
    lot_id      bigint NOT NULL REFERENCES loyalty_entries (id),
    points      bigint NOT NULL CHECK (points > 0),
    PRIMARY KEY (debit_id, lot_id)
);
CREATE INDEX loyalty_allocations_lot_idx ON loyalty_allocations (lot_id);

-- Tier changes, for the customer's history and for reports.
CREATE TABLE loyalty_tier_changes (
    id              bigserial PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customers (id),
    from_tier       text NOT NULL,
    to_tier         text NOT NULL,
    rolling_spend   bigint NOT NULL,
    cause           text NOT NULL CHECK (cause IN ('ORDER', 'NIGHTLY', 'MERGE', 'RETURN', 'MANUAL')),
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX loyalty_tier_changes_customer_idx ON loyalty_tier_changes (customer_id, id);

-- +goose Down
DROP TABLE loyalty_tier_changes, loyalty_allocations, loyalty_entries, loyalty_accounts, loyalty_promotions,
    loyalty_tiers, loyalty_earn_rules, loyalty_programme, customer_merges, customer_consents;
DROP TRIGGER customers_contact_identities ON customers;
DROP FUNCTION customer_contact_identities();
DROP TABLE customer_identities;
ALTER TABLE customers DROP COLUMN member_number, DROP COLUMN joined_channel, DROP COLUMN joined_location_id,
    DROP COLUMN joined_by_staff_id, DROP COLUMN merged_into_id, DROP COLUMN merged_at, DROP COLUMN erased_at;
DROP INDEX IF EXISTS customers_name_trgm_idx;
DROP FUNCTION next_member_number();
DROP SEQUENCE member_number_seq;
