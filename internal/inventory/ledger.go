package inventory

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// Kind is the type of a stock movement.
type Kind string

// Movement kinds.
const (
	KindReceipt     Kind = "RECEIPT"
	KindSale        Kind = "SALE"
	KindReserve     Kind = "RESERVE"
	KindRelease     Kind = "RELEASE"
	KindAdjustment  Kind = "ADJUSTMENT"
	KindCount       Kind = "COUNT"
	KindTransferOut Kind = "TRANSFER_OUT"
	KindTransferIn  Kind = "TRANSFER_IN"
	KindReturn      Kind = "RETURN"
	KindDamage      Kind = "DAMAGE"
	KindExpiry      Kind = "EXPIRY"
)

// Kinds lists every movement kind.
var Kinds = []Kind{KindReceipt, KindSale, KindReserve, KindRelease, KindAdjustment, KindCount,
	KindTransferOut, KindTransferIn, KindReturn, KindDamage, KindExpiry}

// Movement is one row of the stock ledger: what it did to the level of one variant at one
// location (and, for lot-tracked variants, to which lot), why, and who did it.
type Movement struct {
	ID            int64   `db:"id"`
	LocationID    int64   `db:"location_id"`
	VariantID     int64   `db:"variant_id"`
	Kind          Kind    `db:"kind"`
	OnHandDelta   int     `db:"on_hand_delta"`
	ReservedDelta int     `db:"reserved_delta"`
	IncomingDelta int     `db:"incoming_delta"`
	Lot           *string `db:"lot"`
	// Reference names the document that caused the movement: ADJ:<key>, CNT:<key>,
	// TRF:<transfer id>, ORD:<order id>, EXP:<date>.
	Reference      string    `db:"reference"`
	Reason         string    `db:"reason"`
	ActorKind      string    `db:"actor_kind"`
	ActorID        *int64    `db:"actor_id"`
	IdempotencyKey *string   `db:"idempotency_key"`
	At             time.Time `db:"at"`
}

const movementColumns = `id, location_id, variant_id, kind, on_hand_delta, reserved_delta, incoming_delta,
	lot, reference, reason, actor_kind, actor_id, idempotency_key, at`

// expiredSQL is the quantity in the lots of level s past their expiry date at the instant
// now (an SQL expression), in the location's time zone. A lot is sellable through its
// expiry date. Expired stock stays on hand until ExpireLots moves it out, but is never
// available: computing it on read keeps availability exact between job runs.
func expiredSQL(now string) string {
	return `(SELECT coalesce(sum(k.on_hand), 0) FROM stock_lots k JOIN locations kl ON kl.id = k.location_id
		WHERE k.location_id = s.location_id AND k.variant_id = s.variant_id AND k.on_hand > 0
		AND ` + lotExpired(now) + `)`
}

var expiredNow = expiredSQL("now()")

// levelColumns selects a Level from stock_levels s.
var levelColumns = `s.location_id, s.variant_id, s.on_hand, s.reserved, s.safety_stock, s.incoming,
	s.reorder_point, ` + expiredNow + ` AS expired`

// change is one movement to apply to the level of a variant at a location.
type change struct {
	LocationID, VariantID int64
	Kind                  Kind
	// Deltas to the level.
	OnHand, Reserved, Incoming int
	// Lot is the lot the units enter or leave. Empty takes lot-tracked stock out first
	// expiring first (non-expired lots before expired ones); entering stock of a
	// lot-tracked variant must name it.
	Lot string
	// ExpiresOn is the expiry of a lot entering a location for the first time; when nil,
	// the lot's expiry at another location is used.
	ExpiresOn *time.Time
	Reference string
	Reason    string
	Key       string // idempotency key, stored on the first movement

	// Sellable makes a reservation take only available units: not safety stock, not
	// expired lots, not what is already reserved.
	Sellable bool
	// ExpectOnHand applies the change only when on hand is this (compare-and-set).
	ExpectOnHand *int
}

// refusal reports that a guard refused a change, with the level (and lot) as they are now.
type refusal struct {
	Level     Level
	Lot       string
	LotOnHand int
}

func (r *refusal) Error() string {
	return fmt.Sprintf("stock change refused at location %d, variant %d (on hand %d, reserved %d)",
		r.Level.LocationID, r.Level.VariantID, r.Level.OnHand, r.Level.Reserved)
}

// part is the share of a change that one movement records: one per lot touched.
type part struct {
	Lot                        string
	OnHand, Reserved, Incoming int
}

// apply applies c in ext's transaction: it makes sure the level row exists when stock
// arrives, updates the level in one guarded statement (no row: the guard refused, and a
// *refusal says why), moves the lots of lot-tracked variants, writes one movement per lot
// touched and notifies stock_changed listeners when the transaction commits. Errors:
// *refusal, after which nothing has changed and the caller may go on; apperr.List (lot,
// expiresOn, locationId, variantId) or others, after which the caller must roll back.
//
// Callers touching several levels in one transaction apply them in (location, variant)
// order, so that concurrent transactions lock rows in the same order and cannot deadlock.
// Lots are only ever changed after their level row is locked.

func apply(ctx context.Context, ext sqlx.ExtContext, c change) ([]Movement, error) {
	if c.OnHand > 0 || c.Incoming > 0 || c.ExpectOnHand != nil {
		_, err := ext.ExecContext(ctx, `INSERT INTO stock_levels (location_id, variant_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, c.LocationID, c.VariantID)
		if err != nil {
			return nil, fmt.Errorf("create stock level: %w", mapLevelErr(err))
		}
	}
	var lotTracked bool
	err := ext.QueryRowxContext(ctx, `
		UPDATE stock_levels s
		SET on_hand = s.on_hand + $3, reserved = s.reserved + $4, incoming = s.incoming + $5, updated_at = now()
		FROM variants v JOIN products p ON p.id = v.product_id
		WHERE s.location_id = $1 AND s.variant_id = $2 AND v.id = s.variant_id
		  AND s.reserved + $4 BETWEEN 0 AND s.on_hand + $3
		  AND s.incoming + $5 >= 0
		  AND ($6::int IS NULL OR s.on_hand = $6)
		  AND (NOT $7 OR s.on_hand - s.reserved - s.safety_stock - `+expiredNow+` >= $4)
		RETURNING p.lot_tracked`,
		c.LocationID, c.VariantID, c.OnHand, c.Reserved, c.Incoming, c.ExpectOnHand, c.Sellable).Scan(&lotTracked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refuse(ctx, ext, c.LocationID, c.VariantID, "")
	}
	if err != nil {
		return nil, fmt.Errorf("update stock level: %w", err)
	}
	if c.Sellable && lotTracked {
		if err := recheckSellable(ctx, ext, c); err != nil {
			return nil, err
		}
	}
	parts, err := moveLots(ctx, ext, c, lotTracked)
	if err != nil {
		return nil, err
	}
	return insertMovements(ctx, ext, c, parts)
}

// moveLots keeps the lots of a lot-tracked level in step with its on-hand change and
// returns the share of each lot touched.
func moveLots(ctx context.Context, ext sqlx.ExtContext, c change, lotTracked bool) ([]part, error) {
	whole := []part{{Lot: c.Lot, OnHand: c.OnHand, Reserved: c.Reserved, Incoming: c.Incoming}}
	switch {
	case !lotTracked && c.Lot != "":
		return nil, apperr.List{apperr.Invalid("lot", "this product is not lot-tracked: leave the lot empty")}
	case !lotTracked || c.OnHand == 0:
		whole[0].Lot = ""
		return whole, nil
	case c.OnHand > 0:
		if err := receiveLot(ctx, ext, c); err != nil {
			return nil, err
		}
		return whole, nil
	case c.Lot != "":
		if err := takeLot(ctx, ext, c); err != nil {
			return nil, err
		}
		return whole, nil
	}
	return takeFEFO(ctx, ext, c)
}

// receiveLot adds c.OnHand units to lot c.Lot, creating it with its expiry when new.
func receiveLot(ctx context.Context, ext sqlx.ExtContext, c change) error {
	if c.Lot == "" {
		return apperr.List{apperr.Invalid("lot", "this product is lot-tracked: name the lot the units belong to")}
	}
	var expires *time.Time
	err := ext.QueryRowxContext(ctx, `
		INSERT INTO stock_lots AS k (location_id, variant_id, lot, expires_on, on_hand)
		VALUES ($1, $2, $3, coalesce($4::date,
			(SELECT max(expires_on) FROM stock_lots WHERE variant_id = $2 AND lot = $3)), $5)
		ON CONFLICT (location_id, variant_id, lot) DO UPDATE SET on_hand = k.on_hand + EXCLUDED.on_hand
		WHERE $4::date IS NULL OR k.expires_on = $4::date
		RETURNING k.expires_on`,
		c.LocationID, c.VariantID, c.Lot, dateArg(c.ExpiresOn), c.OnHand).Scan(&expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return apperr.List{apperr.Invalid("expiresOn", "lot %s is already here with another expiry date", c.Lot)}
	case err != nil:
		return fmt.Errorf("receive lot: %w", err)
	case expires == nil:
		return apperr.List{apperr.Invalid("expiresOn", "lot %s is new: give its expiry date", c.Lot)}
	}
	return nil
}

// takeLot takes -c.OnHand units from lot c.Lot; when the lot has too few, the change is
// undone and refused.
func takeLot(ctx context.Context, ext sqlx.ExtContext, c change) error {
	res, err := ext.ExecContext(ctx, `UPDATE stock_lots SET on_hand = on_hand + $4
		WHERE location_id = $1 AND variant_id = $2 AND lot = $3 AND on_hand + $4 >= 0`,
		c.LocationID, c.VariantID, c.Lot, c.OnHand)
	if err != nil {
		return fmt.Errorf("take from lot: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	return undo(ctx, ext, c, c.Lot)
}

// recheckSellable checks a reservation of a lot-tracked variant again, in a new snapshot.
// apply's guard sees the lots as they were when its statement began: when it had to wait
// for another transaction's change of the level, PostgreSQL re-checks the guard on the new
// row but with the old lots, so units that change brought in already expired (a late
// transfer, a return) would count as available. Now that the level is locked, a new
// statement sees all its lots.
func recheckSellable(ctx context.Context, ext sqlx.ExtContext, c change) error {
	var ok bool
	err := sqlx.GetContext(ctx, ext, &ok, `SELECT s.on_hand - s.reserved - s.safety_stock - `+expiredNow+` >= 0
		FROM stock_levels s WHERE s.location_id = $1 AND s.variant_id = $2`, c.LocationID, c.VariantID)
	if err != nil {
		return fmt.Errorf("recheck reservation: %w", err)
	}
	if ok {
		return nil
	}
	return undo(ctx, ext, c, "")
}

// undo reverses apply's update of the level for a change refused afterwards, so that a
// refused change leaves nothing behind (the row is still locked by this transaction, so
// this restores it exactly), and returns the *refusal.
func undo(ctx context.Context, ext sqlx.ExtContext, c change, lot string) error {
	_, err := ext.ExecContext(ctx, `UPDATE stock_levels SET on_hand = on_hand - $3, reserved = reserved - $4,
		incoming = incoming - $5 WHERE location_id = $1 AND variant_id = $2`,
		c.LocationID, c.VariantID, c.OnHand, c.Reserved, c.Incoming)
	if err != nil {
		return fmt.Errorf("undo refused stock change: %w", err)
	}
	return refuse(ctx, ext, c.LocationID, c.VariantID, lot)
}

type lotTake struct {
	Lot  string `db:"lot"`
	Take int    `db:"take"`
	Rank int    `db:"rank"`
}

// takeFEFO takes -c.OnHand units from the level's lots, first expiring first, non-expired
// lots before expired ones, in one statement. Units beyond the lots (stock on hand from
// before the product was lot-tracked) leave without a lot.
func takeFEFO(ctx context.Context, ext sqlx.ExtContext, c change) ([]part, error) {
	var taken []lotTake
	err := sqlx.SelectContext(ctx, ext, &taken, `
		WITH ranked AS (
			SELECT k.lot, k.on_hand,
			       row_number() OVER w AS rank,
			       coalesce(sum(k.on_hand) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
			FROM stock_lots k JOIN locations kl ON kl.id = k.location_id
			WHERE k.location_id = $1 AND k.variant_id = $2 AND k.on_hand > 0
			WINDOW w AS (ORDER BY coalesce(`+lotExpired("now()")+`, false), k.expires_on NULLS LAST, k.lot)
		)
		UPDATE stock_lots k SET on_hand = k.on_hand - LEAST(r.on_hand, $3 - r.before)
		FROM ranked r
		WHERE k.location_id = $1 AND k.variant_id = $2 AND k.lot = r.lot AND r.before < $3
		RETURNING k.lot, LEAST(r.on_hand, $3 - r.before) AS take, r.rank`,
		c.LocationID, c.VariantID, -c.OnHand)
	if err != nil {
		return nil, fmt.Errorf("take lots first-expiring first: %w", err)
	}
	slices.SortFunc(taken, func(a, b lotTake) int { return cmp.Compare(a.Rank, b.Rank) })
	left := -c.OnHand
	var parts []part
	for _, t := range taken {
		parts = append(parts, part{Lot: t.Lot, OnHand: -t.Take})
		left -= t.Take
	}
	if left > 0 {
		parts = append(parts, part{OnHand: -left})
	}
	// Reserved units leave with the goods, lot by lot; anything else rides on the first part.
	if c.Reserved == c.OnHand {
		for i := range parts {
			parts[i].Reserved = parts[i].OnHand
		}
	} else {
		parts[0].Reserved = c.Reserved
	}
	parts[0].Incoming = c.Incoming
	return parts, nil
}

// insertMovements writes the movements of c, one per part, and notifies stock_changed
// listeners (delivered when the transaction commits; one notification per level and
// transaction).
func insertMovements(ctx context.Context, ext sqlx.ExtContext, c change, parts []part) ([]Movement, error) {
	a := actor.From(ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	var key *string
	if c.Key != "" {
		key = &c.Key
	}
	onHand, reserved, incoming, lots := make([]int64, len(parts)), make([]int64, len(parts)), make([]int64, len(parts)), make([]string, len(parts))
	for i, p := range parts {
		onHand[i], reserved[i], incoming[i], lots[i] = int64(p.OnHand), int64(p.Reserved), int64(p.Incoming), p.Lot
	}
	var out []Movement
	err := sqlx.SelectContext(ctx, ext, &out, `
		WITH m AS (
			INSERT INTO stock_movements (location_id, variant_id, kind, on_hand_delta, reserved_delta, incoming_delta,
				lot, reference, reason, actor_kind, actor_id, idempotency_key)
			SELECT $1, $2, $3, t.on_hand, t.reserved, t.incoming, NULLIF(t.lot, ''), $4, $5, $6, $7,
			       CASE WHEN t.n = 1 THEN $8::text END
			FROM unnest($9::int[], $10::int[], $11::int[], $12::text[]) WITH ORDINALITY AS t(on_hand, reserved, incoming, lot, n)
			ORDER BY t.n
			RETURNING `+movementColumns+`
		)
		SELECT m.* FROM m, (SELECT `+notifySQL+`) AS notified ORDER BY m.id`,
		c.LocationID, c.VariantID, c.Kind, c.Reference, c.Reason, string(a.Kind), actorID, key,
		pq.Array(onHand), pq.Array(reserved), pq.Array(incoming), pq.Array(lots))
	if err != nil {
		return nil, fmt.Errorf("record stock movement: %w", err)
	}
	return out, nil
}

// notifySQL tells stock_changed listeners that the level of variant $2 at location $1
// changed; PostgreSQL delivers it when the transaction commits, once per level.
const notifySQL = `pg_notify('stock_changed', json_build_object('locationId', $1::bigint, 'variantId', $2::bigint)::text)`

// refuse returns a *refusal with the level (and lot) as they are now, for the caller to
// explain.
func refuse(ctx context.Context, q sqlx.QueryerContext, locationID, variantID int64, lot string) error {
	l, err := levelAt(ctx, q, locationID, variantID, false)
	if err != nil {
		return err
	}
	r := &refusal{Level: l, Lot: lot}
	if lot != "" {
		err := sqlx.GetContext(ctx, q, &r.LotOnHand, `SELECT on_hand FROM stock_lots
			WHERE location_id = $1 AND variant_id = $2 AND lot = $3`, locationID, variantID, lot)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return r
}

// levelAt returns the level of a variant at a location (zero when there is no row),
// locking it when forUpdate.
func levelAt(ctx context.Context, q sqlx.QueryerContext, locationID, variantID int64, forUpdate bool) (Level, error) {
	query := `SELECT ` + levelColumns + ` FROM stock_levels s WHERE s.location_id = $1 AND s.variant_id = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var l Level
	err := sqlx.GetContext(ctx, q, &l, query, locationID, variantID)
	if errors.Is(err, sql.ErrNoRows) {
		return Level{LocationID: locationID, VariantID: variantID}, nil
	}
	if err != nil {
		return Level{}, fmt.Errorf("stock level: %w", err)
	}
	return l, nil
}

// mapLevelErr explains a missing location or variant behind a foreign key violation.
func mapLevelErr(err error) error {
	var pe *pq.Error
	if !errors.As(err, &pe) || !postgres.IsForeignKeyViolation(err) {
		return err
	}
	if strings.Contains(pe.Constraint, "location") {
		return apperr.List{apperr.Invalid("locationId", "no such location")}
	}
	return apperr.List{apperr.Invalid("variantId", "no such variant")}
}

// dateArg passes a date (or NULL) to PostgreSQL as text, so no time zone can shift it.
func dateArg(d *time.Time) *string {
	if d == nil {
		return nil
	}
	s := d.Format(time.DateOnly)
	return &s
}

// byLevel orders items by (location, variant): the one order in which every transaction
// locks stock levels.
func byLevel(aLoc, aVar, bLoc, bVar int64) int {
	return cmp.Or(cmp.Compare(aLoc, bLoc), cmp.Compare(aVar, bVar))
}
