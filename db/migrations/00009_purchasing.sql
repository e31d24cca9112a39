-- +goose Up
-- Buying: suppliers with structured payment terms, what each supplier sells us (supplier
-- items), exchange rates to the company currency, approval rules by amount band and
-- category, purchase orders with their lines, approvals and history, and goods receipts.

-- What one major unit of a currency is worth in major units of the company currency
-- (settings.currency). Purchase orders record the rate they were approved at.
CREATE TABLE exchange_rates (
    currency    char(3) PRIMARY KEY CHECK (currency ~ '^[A-Z]{3}$'),
    rate        numeric(18, 8) NOT NULL CHECK (rate > 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint REFERENCES staff (id)
);

-- Settings of the buying process (one row).
CREATE TABLE purchasing_settings (
    id                          boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- How far above the ordered quantity a line may be received (accepted) before the
    -- receipt is refused, in percent of the ordered quantity.
    over_receipt_tolerance_pct  numeric(5, 2) NOT NULL DEFAULT 5 CHECK (over_receipt_tolerance_pct BETWEEN 0 AND 100)
);
INSERT INTO purchasing_settings DEFAULT VALUES;

CREATE TABLE suppliers (
    id                  bigserial PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,19}$'),
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    contact_name        text NOT NULL DEFAULT '',
    email               text NOT NULL DEFAULT '',
    phone               text NOT NULL DEFAULT '',
    address             text NOT NULL DEFAULT '',
    currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Payment terms, for accounts payable: the bill is due payment_days after the invoice
    -- date (NET) or after the end of the invoice's month (END_OF_MONTH); paying within
    -- discount_days of the invoice date earns discount_pct off (2/10 net 30).
    payment_basis       text NOT NULL DEFAULT 'NET' CHECK (payment_basis IN ('NET', 'END_OF_MONTH')),
    payment_days        integer NOT NULL DEFAULT 30 CHECK (payment_days BETWEEN 0 AND 365),
    discount_pct        numeric(5, 2) NOT NULL DEFAULT 0 CHECK (discount_pct >= 0 AND discount_pct < 100),
    discount_days       integer NOT NULL DEFAULT 0 CHECK (discount_days >= 0),
    lead_time_days      integer NOT NULL DEFAULT 7 CHECK (lead_time_days BETWEEN 0 AND 365),
    -- In minor units of the supplier's currency; 0 means no minimum.
    min_order_amount    bigint NOT NULL DEFAULT 0 CHECK (min_order_amount >= 0),
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((discount_pct = 0) = (discount_days = 0)),
    CHECK (discount_days = 0 OR payment_basis = 'END_OF_MONTH' OR discount_days < payment_days)
);
CREATE INDEX suppliers_name_trgm_idx ON suppliers USING gin (name gin_trgm_ops);

-- What a supplier sells us: its own SKU, its cost (in its currency, four decimals), the
-- pack it ships in and the least it accepts.
CREATE TABLE supplier_items (
    supplier_id     bigint NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    variant_id      bigint NOT NULL REFERENCES variants (id),
    supplier_sku    text NOT NULL CHECK (length(btrim(supplier_sku)) BETWEEN 1 AND 60),
    unit_cost       numeric(14, 4) NOT NULL CHECK (unit_cost >= 0),
    pack_size       integer NOT NULL DEFAULT 1 CHECK (pack_size >= 1),
    min_order_qty   integer NOT NULL DEFAULT 1 CHECK (min_order_qty >= 1),
    active          boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier_id, variant_id),
    CHECK (min_order_qty % pack_size = 0)
);
CREATE UNIQUE INDEX supplier_items_sku_key ON supplier_items (supplier_id, supplier_sku);
CREATE INDEX supplier_items_variant_idx ON supplier_items (variant_id);

-- An order whose total in the company currency is in the band (above_amount, up_to_amount]
-- (NULL: unbounded) and that holds a line of category_id or one of its sub-categories
-- (NULL: any) needs an approval at this level from someone holding one of roles. Levels
-- are given in order, each by a different person, never the order's author.
CREATE TABLE approval_rules (
    id              bigserial PRIMARY KEY,
    level           integer NOT NULL CHECK (level BETWEEN 1 AND 5),
    category_id     bigint REFERENCES categories (id),
    above_amount    bigint CHECK (above_amount >= 0),
    up_to_amount    bigint CHECK (up_to_amount > 0),
    roles           text[] NOT NULL CHECK (cardinality(roles) > 0
        AND roles <@ ARRAY['ADMIN','MANAGER','ASSOCIATE','FULFILMENT','BUYER','ACCOUNTANT','HR']),
    note            text NOT NULL DEFAULT '',
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (above_amount IS NULL OR up_to_amount IS NULL OR up_to_amount > above_amount)
);
-- Default: every order needs a manager (or buyer other than its author); above NT$5,000 a
-- second approver, a manager.
INSERT INTO approval_rules (level, above_amount, roles, note) VALUES
    (1, NULL, ARRAY['MANAGER', 'BUYER'], 'every order: one manager or buyer'),
    (2, 500000, ARRAY['MANAGER'], 'above NT$5,000: a second approver, a manager');

CREATE TABLE purchase_orders (
    id                  bigserial PRIMARY KEY,
    supplier_id         bigint NOT NULL REFERENCES suppliers (id),
    location_id         bigint NOT NULL REFERENCES locations (id),
    currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- The rate to the company currency recorded when the order was submitted.
    exchange_rate       numeric(18, 8) CHECK (exchange_rate > 0),
    expected_on         date,
    note                text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SUBMITTED', 'APPROVED', 'SENT',
        'PARTIALLY_RECEIVED', 'RECEIVED', 'CLOSED', 'REJECTED', 'CANCELLED')),
    -- Each submission starts a new approval round.
    approval_round      integer NOT NULL DEFAULT 0 CHECK (approval_round >= 0),
    rejection_reason    text NOT NULL DEFAULT '',
    created_by          bigint NOT NULL REFERENCES staff (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    submitted_at        timestamptz,
    approved_at         timestamptz,
    sent_at             timestamptz,
    closed_at           timestamptz
);
CREATE INDEX purchase_orders_status_idx ON purchase_orders (status, id);
CREATE INDEX purchase_orders_supplier_idx ON purchase_orders (supplier_id, id);
CREATE INDEX purchase_orders_location_idx ON purchase_orders (location_id, id);
CREATE INDEX purchase_orders_author_idx ON purchase_orders (created_by, id);

-- quantity is what was ordered; received what was accepted so far, rejected what arrived
-- and was refused (it does not count towards the order).
CREATE TABLE purchase_order_lines (
    id              bigserial PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    variant_id      bigint NOT NULL REFERENCES variants (id),
    supplier_sku    text NOT NULL DEFAULT '',
    quantity        integer NOT NULL CHECK (quantity > 0),
    unit_cost       numeric(14, 4) NOT NULL CHECK (unit_cost >= 0),
    received        integer NOT NULL DEFAULT 0 CHECK (received >= 0),
    rejected        integer NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    UNIQUE (order_id, variant_id)
);

-- The approvals an order needs in a round, and who gave each. One person gives at most one
-- level of a round.
CREATE TABLE purchase_order_approvals (
    order_id        bigint NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    round           integer NOT NULL,
    level           integer NOT NULL,
    roles           text[] NOT NULL,
    approved_by     bigint REFERENCES staff (id),
    approved_at     timestamptz,
    PRIMARY KEY (order_id, round, level),
    CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
CREATE UNIQUE INDEX purchase_order_approvals_person_key ON purchase_order_approvals (order_id, round, approved_by);
CREATE INDEX purchase_order_approvals_pending_idx ON purchase_order_approvals (order_id) WHERE approved_by IS NULL;

-- Every transition (and every approval level given), with who, when and why.
CREATE TABLE purchase_order_events (
    id              bigserial PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    from_status     text,
    to_status       text NOT NULL,
    action          text NOT NULL,
    level           integer,
    actor_kind      text NOT NULL,
    actor_id        bigint,
    actor_name      text NOT NULL DEFAULT '',
    comment         text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX purchase_order_events_order_idx ON purchase_order_events (order_id, id);

-- Goods received against a purchase order. A client retry sends the same key and gets the
-- first receipt back.
CREATE TABLE goods_receipts (
    id              bigserial PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES purchase_orders (id),
    location_id     bigint NOT NULL REFERENCES locations (id),
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    request         jsonb NOT NULL,
    note            text NOT NULL DEFAULT '',
    received_by     bigint REFERENCES staff (id),
    received_by_name text NOT NULL DEFAULT '',
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goods_receipts_order_idx ON goods_receipts (order_id, id);

CREATE TABLE goods_receipt_lines (
    id              bigserial PRIMARY KEY,
    receipt_id      bigint NOT NULL REFERENCES goods_receipts (id) ON DELETE CASCADE,
    order_line_id   bigint NOT NULL REFERENCES purchase_order_lines (id),
    variant_id      bigint NOT NULL REFERENCES variants (id),
    accepted        integer NOT NULL CHECK (accepted >= 0),
    rejected        integer NOT NULL CHECK (rejected >= 0),
    reject_reason   text NOT NULL DEFAULT '',
    lot             text,
    expires_on      date,
    CHECK (accepted + rejected > 0),
    CHECK (rejected = 0 OR length(btrim(reject_reason)) > 0)
);
CREATE INDEX goods_receipt_lines_receipt_idx ON goods_receipt_lines (receipt_id, id);

-- Requests for quotation: the same lines asked of several suppliers, their answers entered
-- as they come, compared side by side, and the chosen one turned into a purchase order.
CREATE TABLE quotation_requests (
    id              bigserial PRIMARY KEY,
    location_id     bigint NOT NULL REFERENCES locations (id),
    needed_by       date,
    note            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'AWARDED', 'CANCELLED')),
    created_by      bigint NOT NULL REFERENCES staff (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    awarded_supplier_id bigint REFERENCES suppliers (id),
    order_id        bigint REFERENCES purchase_orders (id),
    CHECK ((status = 'AWARDED') = (order_id IS NOT NULL))
);

CREATE TABLE quotation_request_lines (
    request_id      bigint NOT NULL REFERENCES quotation_requests (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    variant_id      bigint NOT NULL REFERENCES variants (id),
    quantity        integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (request_id, variant_id)
);

CREATE TABLE quotation_request_suppliers (
    request_id      bigint NOT NULL REFERENCES quotation_requests (id) ON DELETE CASCADE,
    supplier_id     bigint NOT NULL REFERENCES suppliers (id),
    PRIMARY KEY (request_id, supplier_id)
);

-- A supplier's answer, in its currency; entering it again replaces it.
CREATE TABLE quotations (
    request_id      bigint NOT NULL,
    supplier_id     bigint NOT NULL,
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    valid_until     date,
    lead_time_days  integer CHECK (lead_time_days BETWEEN 0 AND 365),
    note            text NOT NULL DEFAULT '',
    entered_by      bigint REFERENCES staff (id),
    entered_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, supplier_id),
    FOREIGN KEY (request_id, supplier_id) REFERENCES quotation_request_suppliers (request_id, supplier_id) ON DELETE CASCADE
);

-- A line the supplier quoted: its unit cost and the quantity it offers (a pack or minimum
-- may round the request up). A line not quoted has no row.
CREATE TABLE quotation_lines (
    request_id      bigint NOT NULL,
    supplier_id     bigint NOT NULL,
    variant_id      bigint NOT NULL,
    quantity        integer NOT NULL CHECK (quantity > 0),
    unit_cost       numeric(14, 4) NOT NULL CHECK (unit_cost >= 0),
    PRIMARY KEY (request_id, supplier_id, variant_id),
    FOREIGN KEY (request_id, supplier_id) REFERENCES quotations (request_id, supplier_id) ON DELETE CASCADE,
    FOREIGN KEY (request_id, variant_id) REFERENCES quotation_request_lines (request_id, variant_id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE quotation_lines, quotations, quotation_request_suppliers, quotation_request_lines, quotation_requests,
    goods_receipt_lines, goods_receipts, purchase_order_events, purchase_order_approvals,
    purchase_order_lines, purchase_orders, approval_rules, supplier_items, suppliers,
    purchasing_settings, exchange_rates;
