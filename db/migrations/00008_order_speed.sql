-- +goose Up
-- Placing an order in two statements: one read (order_basket) and one write whose guarded
-- stock reservation is a function (reserve_stock), so that the order's insert takes its
-- stock in the same statement (no transaction kept open across round trips while the
-- hottest stock rows are locked), and so that inventory's Reserve takes every line of an
-- order in one call.

-- stock_expired is the quantity of a level in lots past their expiry date now: on hand
-- but not sellable. The rule is inventory's (expiredSQL in internal/inventory/ledger.go):
-- a lot is sellable through its expiry date in the location's time zone. PL/pgSQL so that
-- its plan is cached per connection.
-- +goose StatementBegin
CREATE FUNCTION stock_expired(p_location_id bigint, p_variant_id bigint) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(sum(k.on_hand), 0) FROM stock_lots k JOIN locations kl ON kl.id = k.location_id
            WHERE k.location_id = p_location_id AND k.variant_id = p_variant_id AND k.on_hand > 0
              AND k.expires_on <= (now() AT TIME ZONE 'UTC')::date
              AND k.expires_on < (now() AT TIME ZONE kl.time_zone)::date);
END
$$;
-- +goose StatementEnd

-- reserve_stock reserves quantities of variants at locations for the document p_ref
-- (e.g. 'ORD:42'), as done by actor p_actor_kind/p_actor_id: one guarded update per
-- level, in (location, variant) order so that concurrent orders cannot deadlock, taking
-- only available units (on hand less reserved, safety stock and lots past their expiry),
-- with one RESERVE movement per level, as inventory's ledger writes them, and (p_notify)
-- one stock_changed notification per level. Lines for the same level are merged.
--
-- A transaction that notifies holds a lock that serialises every such commit on the
-- server, WAL flush included, from the start of its commit to the end (PostgreSQL's
-- async.c, so that notifications arrive in commit order): at a few hundred orders a
-- second on a busy disk, that lock is the limit. The order service's one-statement orders
-- therefore pass p_notify false and notify right after their commit, in a statement of
-- their own whose commit writes no WAL.
--
-- When any line is short, it raises SQLSTATE AT001 (nothing it did survives: the
-- statement fails) with DETAIL a JSON array of the short lines: line (index of the first
-- input line of that level), locationId, variantId, sku, locationCode, requested and
-- available. Returns the number of levels reserved.
--
-- Each statement of a PL/pgSQL function sees a new snapshot: the recheck of a lot-tracked
-- level, made once the level is locked, sees every lot committed before the lock was
-- granted (the guard itself may have seen older lots when it waited for the lock).
-- +goose StatementBegin
CREATE FUNCTION reserve_stock(p_ref text, p_actor_kind text, p_actor_id bigint,
    p_location_ids bigint[], p_variant_ids bigint[], p_quantities integer[], p_notify boolean) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_line record;
    v_lot_tracked boolean;
    v_ok boolean;
    v_short jsonb := '[]';
    v_levels integer := 0;
BEGIN
    -- The movements and notifications first: they need no lock, and a short line rolls
    -- them back with everything else. The stock rows are then locked for as short a time
    -- as can be: from their update to the commit.
    INSERT INTO stock_movements (location_id, variant_id, kind, reserved_delta, reference, actor_kind, actor_id)
    SELECT t.location_id, t.variant_id, 'RESERVE', sum(t.qty), p_ref, p_actor_kind, p_actor_id
    FROM unnest(p_location_ids, p_variant_ids, p_quantities) AS t(location_id, variant_id, qty)
    GROUP BY t.location_id, t.variant_id
    ORDER BY t.location_id, t.variant_id;
    IF p_notify THEN
        PERFORM pg_notify('stock_changed', json_build_object('locationId', t.location_id, 'variantId', t.variant_id)::text)
        FROM (SELECT DISTINCT u.location_id, u.variant_id FROM unnest(p_location_ids, p_variant_ids) AS u(location_id, variant_id)) AS t;
    END IF;
    FOR v_line IN
        SELECT t.location_id, t.variant_id, sum(t.qty)::integer AS qty, (min(t.n) - 1)::integer AS line
        FROM unnest(p_location_ids, p_variant_ids, p_quantities) WITH ORDINALITY AS t(location_id, variant_id, qty, n)
        GROUP BY t.location_id, t.variant_id
        ORDER BY t.location_id, t.variant_id
    LOOP
        UPDATE stock_levels s SET reserved = s.reserved + v_line.qty, updated_at = now()
        WHERE s.location_id = v_line.location_id AND s.variant_id = v_line.variant_id
          AND v_line.qty > 0
          AND s.on_hand - s.reserved - s.safety_stock - stock_expired(s.location_id, s.variant_id) >= v_line.qty
        RETURNING (SELECT p.lot_tracked FROM products p
                   WHERE p.id = (SELECT v.product_id FROM variants v WHERE v.id = s.variant_id))
        INTO v_lot_tracked;
        v_ok := FOUND;
        IF v_ok AND v_lot_tracked THEN
            SELECT s.on_hand - s.reserved - s.safety_stock - stock_expired(s.location_id, s.variant_id) >= 0
            INTO v_ok
            FROM stock_levels s WHERE s.location_id = v_line.location_id AND s.variant_id = v_line.variant_id;
            IF NOT v_ok THEN
                UPDATE stock_levels s SET reserved = s.reserved - v_line.qty
                WHERE s.location_id = v_line.location_id AND s.variant_id = v_line.variant_id;
            END IF;
        END IF;
        IF NOT v_ok THEN
            v_short := v_short || jsonb_build_object(
                'line', v_line.line, 'locationId', v_line.location_id, 'variantId', v_line.variant_id,
                'requested', v_line.qty,
                'available', coalesce((
                    SELECT greatest(0, s.on_hand - s.reserved - s.safety_stock - stock_expired(s.location_id, s.variant_id))
                    FROM stock_levels s WHERE s.location_id = v_line.location_id AND s.variant_id = v_line.variant_id), 0),
                'sku', coalesce((SELECT sku FROM variants WHERE id = v_line.variant_id), '#' || v_line.variant_id),
                'locationCode', coalesce((SELECT code FROM locations WHERE id = v_line.location_id), '#' || v_line.location_id));
            CONTINUE;
        END IF;
        v_levels := v_levels + 1;
    END LOOP;
    IF v_short <> '[]' THEN
        RAISE EXCEPTION 'not enough stock for % line(s) of %', jsonb_array_length(v_short), p_ref
            USING ERRCODE = 'AT001', DETAIL = v_short::text;
    END IF;
    RETURN v_levels;
END
$$;
-- +goose StatementEnd

-- order_basket is what placing an order reads, in one call: the variants of the lines'
-- SKUs (p_skus, with p_quantities) with their product's title, and where each is
-- available now (inventory's
-- Level.Available: on hand less reserved, safety stock and expired lots, at active
-- locations, in location id order); products that are not active only for staff
-- (p_staff); a version of the locations table (its row count and the sum of its rows'
-- transaction ids, which any insert, update or delete changes) for the order service's
-- cache of locations; and for inspection, given the contact (p_customer_id, or else
-- p_email), the number of its latest order with the same variants and quantities within
-- p_window seconds (duplicate_of; the signature is the order's lines_signature) and
-- whether it has any order not cancelled. Every row carries the same version and
-- inspection columns.
--
-- PL/pgSQL with generic plans, so that each statement is planned once per connection:
-- with the lines as an array, PostgreSQL would otherwise plan them again on every call
-- (about 1 ms under load, more than running them). A generic plan guesses ten lines and
-- would scan the variants whole and hash them; an order has a few lines, each found by
-- index, so only nested loops are allowed.
-- +goose StatementBegin
CREATE FUNCTION order_basket(p_skus text[], p_quantities integer[], p_staff boolean, p_customer_id bigint,
    p_email text, p_window double precision)
RETURNS TABLE (id bigint, product_id bigint, sku text, barcode text, title text, size text, colour text,
    price_amount bigint, currency text, "position" integer, product_title text, location_ids bigint[],
    available integer[], location_version text, duplicate_of text, ordered_before boolean)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan SET enable_hashjoin = off SET enable_mergejoin = off AS $$
#variable_conflict use_column
DECLARE
    v_signature text;
    v_duplicate text;
    v_before boolean := false;
    v_version text;
BEGIN
    SELECT count(*) || ':' || coalesce(sum(l.xmin::text::bigint), 0) INTO v_version FROM locations l;
    IF p_customer_id IS NOT NULL OR p_email IS NOT NULL THEN
        SELECT string_agg(v.id || ':' || t.qty, ',' ORDER BY (v.id || ':' || t.qty) COLLATE "C") INTO v_signature
        FROM unnest(p_skus, p_quantities) AS t(sku, qty)
        JOIN variants v ON v.sku = t.sku JOIN products p ON p.id = v.product_id
        WHERE p.status = 'ACTIVE' OR p_staff;
    END IF;
    IF p_customer_id IS NOT NULL THEN
        SELECT o.number INTO v_duplicate FROM orders o
        WHERE o.customer_id = p_customer_id AND o.status <> 'CANCELLED'
          AND o.created_at > now() - make_interval(secs => p_window) AND o.lines_signature = v_signature
        ORDER BY o.created_at DESC LIMIT 1;
        v_before := EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = p_customer_id AND o.status <> 'CANCELLED');
    ELSIF p_email IS NOT NULL THEN
        SELECT o.number INTO v_duplicate FROM orders o
        WHERE o.email = p_email AND o.status <> 'CANCELLED'
          AND o.created_at > now() - make_interval(secs => p_window) AND o.lines_signature = v_signature
        ORDER BY o.created_at DESC LIMIT 1;
        v_before := EXISTS (SELECT 1 FROM orders o WHERE o.email = p_email AND o.status <> 'CANCELLED');
    END IF;
    RETURN QUERY
    SELECT v.id, v.product_id, v.sku, v.barcode, v.title, v.size, v.colour, v.price_amount, v.currency::text,
        v.position, p.title, coalesce(a.location_ids, '{}'), coalesce(a.available, '{}'), v_version, v_duplicate,
        v_before
    FROM unnest(p_skus) AS t(sku)
    JOIN variants v ON v.sku = t.sku JOIN products p ON p.id = v.product_id
    LEFT JOIN LATERAL (
        SELECT array_agg(s.location_id ORDER BY s.location_id) AS location_ids,
            array_agg(greatest(0, s.on_hand - s.reserved - s.safety_stock - stock_expired(s.location_id, s.variant_id))
                ORDER BY s.location_id) AS available
        FROM stock_levels s JOIN locations l ON l.id = s.location_id AND l.active
        WHERE s.variant_id = v.id
    ) AS a ON true
    WHERE p.status = 'ACTIVE' OR p_staff;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION reserve_stock(text, text, bigint, bigint[], bigint[], integer[], boolean);
DROP FUNCTION order_basket(text[], integer[], boolean, bigint, text, double precision);
DROP FUNCTION stock_expired(bigint, bigint);
