-- +goose Up
-- Replenishment: the settings of the stock policy, and the suggestions computed from the
-- demand forecast (transfers that rebalance stock between locations, purchases from
-- suppliers), each with the figures that explain it, kept so buyers review a stable set
-- and turn it into draft transfers and purchase orders once.

-- The stock policy (one row).
CREATE TABLE replenishment_settings (
    id                      boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- Probability of not running out before a replenishment arrives (cycle service level).
    service_level           numeric(5, 4) NOT NULL DEFAULT 0.95 CHECK (service_level BETWEEN 0.5 AND 0.999),
    -- Days between two reviews of the suggestions: stock is brought up to cover them.
    review_period_days      integer NOT NULL DEFAULT 7 CHECK (review_period_days BETWEEN 1 AND 90),
    -- Days of sales history the forecast reads.
    history_days            integer NOT NULL DEFAULT 182 CHECK (history_days BETWEEN 28 AND 730),
    -- Days a transfer takes between two locations.
    transfer_days           integer NOT NULL DEFAULT 2 CHECK (transfer_days BETWEEN 0 AND 60),
    -- Lead time assumed for a variant no active supplier sells.
    default_lead_time_days  integer NOT NULL DEFAULT 14 CHECK (default_lead_time_days BETWEEN 0 AND 365),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    updated_by              bigint REFERENCES staff (id)
);
INSERT INTO replenishment_settings DEFAULT VALUES;

-- One computation of the suggestions, with the settings it used. as_of is the day it was
-- computed for (in the company's time zone); the history ends the day before.
CREATE TABLE replenishment_runs (
    id                  bigserial PRIMARY KEY,
    as_of               date NOT NULL,
    service_level       numeric(5, 4) NOT NULL,
    review_period_days  integer NOT NULL,
    history_days        integer NOT NULL,
    transfer_days       integer NOT NULL,
    variants            integer NOT NULL DEFAULT 0,
    levels              integer NOT NULL DEFAULT 0,
    created_by          bigint REFERENCES staff (id),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replenishment_runs_created_idx ON replenishment_runs (created_at DESC, id DESC);

-- A suggestion brings one variant at one location (location_id) towards its order-up-to
-- level: by a TRANSFER from from_location_id, a PURCHASE from supplier_id, or, when no
-- active supplier sells it, UNSOURCED (shown, not convertible). The columns from method to
-- cover_days are the destination's figures when the run was computed.
CREATE TABLE replenishment_suggestions (
    id                  bigserial PRIMARY KEY,
    run_id              bigint NOT NULL REFERENCES replenishment_runs (id) ON DELETE CASCADE,
    kind                text NOT NULL CHECK (kind IN ('TRANSFER', 'PURCHASE', 'UNSOURCED')),
    variant_id          bigint NOT NULL REFERENCES variants (id),
    location_id         bigint NOT NULL REFERENCES locations (id),
    from_location_id    bigint REFERENCES locations (id),
    supplier_id         bigint REFERENCES suppliers (id),
    -- Units to move or order (a purchase is rounded up to the supplier's packs and
    -- minimum); needed is what the location lacks to reach its order-up-to level.
    quantity            integer NOT NULL CHECK (quantity > 0),
    needed              integer NOT NULL CHECK (needed > 0),
    unit_cost           numeric(14, 4),
    currency            char(3),
    pack_size           integer,
    min_order_qty       integer,
    -- The supplier's minimum order value (minor units of currency) when computed.
    min_order_amount    bigint,
    method              text NOT NULL,
    forecast_per_day    double precision NOT NULL,
    sigma               double precision NOT NULL,
    lead_time_days      integer NOT NULL,
    review_period_days  integer NOT NULL,
    safety_stock        integer NOT NULL,
    reorder_point       integer NOT NULL,
    order_up_to         integer NOT NULL,
    on_hand             integer NOT NULL,
    reserved            integer NOT NULL,
    incoming            integer NOT NULL,
    -- Units on draft or submitted purchase orders and draft transfers to the location,
    -- and units draft transfers will take from it.
    on_order            integer NOT NULL DEFAULT 0,
    promised            integer NOT NULL DEFAULT 0,
    -- Days the stock on hand less reserved lasts at the forecast; NULL without demand.
    cover_days          double precision,
    -- For a transfer: the source's units beyond its own order-up-to level and its cover.
    source_excess       integer,
    source_cover_days   double precision,
    reason              text NOT NULL,
    transfer_id         bigint REFERENCES transfers (id),
    purchase_order_id   bigint REFERENCES purchase_orders (id),
    converted_at        timestamptz,
    converted_by        bigint REFERENCES staff (id),
    CHECK ((kind = 'TRANSFER') = (from_location_id IS NOT NULL)),
    CHECK ((kind = 'PURCHASE') = (supplier_id IS NOT NULL AND unit_cost IS NOT NULL)),
    CHECK (from_location_id IS NULL OR from_location_id <> location_id),
    CHECK ((converted_at IS NULL) = (transfer_id IS NULL AND purchase_order_id IS NULL))
);
CREATE INDEX replenishment_suggestions_run_idx ON replenishment_suggestions (run_id, id);

-- +goose Down
DROP TABLE replenishment_suggestions, replenishment_runs, replenishment_settings;
