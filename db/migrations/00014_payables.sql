-- +goose Up
-- Accounts payable: supplier bills and credit notes matched against purchase orders and
-- goods receipts (three-way match), their resolution and approval, payment runs, payments
-- and the supplier ledger they make.

-- One row of company-wide matching settings. A line's price variance and a bill's total
-- pass when within BOTH the percentage and the absolute amount (minor units of the
-- bill's currency); tax is expected at tax_rate_pct of the subtotal.
CREATE TABLE payables_settings (
    id                      boolean PRIMARY KEY DEFAULT true CHECK (id),
    price_tolerance_pct     numeric(5, 2) NOT NULL DEFAULT 1 CHECK (price_tolerance_pct BETWEEN 0 AND 100),
    price_tolerance_amount  bigint NOT NULL DEFAULT 10000 CHECK (price_tolerance_amount >= 0),
    total_tolerance_amount  bigint NOT NULL DEFAULT 100 CHECK (total_tolerance_amount >= 0),
    tax_rate_pct            numeric(5, 2) NOT NULL DEFAULT 5 CHECK (tax_rate_pct BETWEEN 0 AND 100),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
INSERT INTO payables_settings DEFAULT VALUES;

CREATE TABLE supplier_bills (
    id                  bigserial PRIMARY KEY,
    kind                text NOT NULL DEFAULT 'BILL' CHECK (kind IN ('BILL', 'CREDIT_NOTE')),
    supplier_id         bigint NOT NULL REFERENCES suppliers (id),
    number              text NOT NULL CHECK (length(btrim(number)) BETWEEN 1 AND 60),
    -- A credit note names the bill it credits.
    credits_bill_id     bigint REFERENCES supplier_bills (id),
    bill_date           date NOT NULL,
    currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Amounts are positive minor units of currency; a credit note's sign comes from kind.
    subtotal            bigint NOT NULL CHECK (subtotal >= 0),
    tax_amount          bigint NOT NULL CHECK (tax_amount >= 0),
    total               bigint NOT NULL CHECK (total >= 0),
    due_on              date NOT NULL,
    discount_on         date,
    discount_amount     bigint NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    status              text NOT NULL CHECK (status IN ('MATCHED', 'EXCEPTION', 'ACCEPTED', 'CREDIT_REQUESTED',
                            'REJECTED', 'APPROVED', 'PARTIALLY_PAID', 'PAID')),
    -- Why the last match failed, as reason codes.
    exceptions          text[] NOT NULL DEFAULT '{}',
    resolution_reason   text NOT NULL DEFAULT '',
    note                text NOT NULL DEFAULT '',
    entered_by          bigint REFERENCES staff (id),
    approved_by         bigint REFERENCES staff (id),
    approved_at         timestamptz,
    matched_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'CREDIT_NOTE') = (credits_bill_id IS NOT NULL))
);
-- A bill number is the supplier's, unique per supplier whatever its case.
CREATE UNIQUE INDEX supplier_bills_number_key ON supplier_bills (supplier_id, lower(number));
CREATE INDEX supplier_bills_status_idx ON supplier_bills (status, due_on);
CREATE INDEX supplier_bills_credits_idx ON supplier_bills (credits_bill_id) WHERE credits_bill_id IS NOT NULL;

CREATE TABLE supplier_bill_lines (
    id              bigserial PRIMARY KEY,
    bill_id         bigint NOT NULL REFERENCES supplier_bills (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    -- NULL for charges not on any order (freight, handling).
    order_line_id   bigint REFERENCES purchase_order_lines (id),
    description     text NOT NULL DEFAULT '',
    quantity        integer NOT NULL CHECK (quantity > 0),
    unit_price      numeric(14, 4) NOT NULL CHECK (unit_price >= 0),
    amount          bigint NOT NULL CHECK (amount >= 0),
    -- Last match result of the line.
    exceptions      text[] NOT NULL DEFAULT '{}',
    UNIQUE (bill_id, position)
);
CREATE INDEX supplier_bill_lines_order_line_idx ON supplier_bill_lines (order_line_id);

CREATE TABLE payment_runs (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    pay_date        date NOT NULL,
    due_by          date NOT NULL,
    supplier_id     bigint REFERENCES suppliers (id),
    created_by      bigint REFERENCES staff (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE supplier_payments (
    id              bigserial PRIMARY KEY,
    run_id          bigint REFERENCES payment_runs (id),
    bill_id         bigint NOT NULL REFERENCES supplier_bills (id),
    supplier_id     bigint NOT NULL REFERENCES suppliers (id),
    currency        char(3) NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    -- Early-payment discount taken with this payment.
    discount        bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
    paid_on         date NOT NULL,
    reference       text NOT NULL DEFAULT '',
    created_by      bigint REFERENCES staff (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supplier_payments_bill_idx ON supplier_payments (bill_id);
CREATE INDEX supplier_payments_supplier_idx ON supplier_payments (supplier_id, paid_on);

-- +goose Down
DROP TABLE supplier_payments, payment_runs, supplier_bill_lines, supplier_bills, payables_settings;
