package inventory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// Transfer statuses.
const (
	TransferDraft                   = "DRAFT"
	TransferInTransit               = "IN_TRANSIT"
	TransferReceived                = "RECEIVED"
	TransferReceivedWithDifferences = "RECEIVED_WITH_DIFFERENCES"
	TransferCancelled               = "CANCELLED"
)

// ReasonTransferStatus is the client code of a transfer action its status does not allow.
const ReasonTransferStatus = "TRANSFER_STATUS"

// Transfer moves stock from one location to another: created as a DRAFT, shipped (out of
// the source's on hand, into the destination's incoming), then received.
type Transfer struct {
	ID              int64      `db:"id"`
	IdempotencyKey  string     `db:"idempotency_key"`
	FromLocationID  int64      `db:"from_location_id"`
	ToLocationID    int64      `db:"to_location_id"`
	Status          string     `db:"status"`
	ExpectedArrival *time.Time `db:"expected_arrival"`
	Note            string     `db:"note"`
	CreatedByKind   string     `db:"created_by_kind"`
	CreatedBy       *int64     `db:"created_by"`
	CreatedAt       time.Time  `db:"created_at"`
	ShippedAt       *time.Time `db:"shipped_at"`
	ReceivedAt      *time.Time `db:"received_at"`
	CancelledAt     *time.Time `db:"cancelled_at"`
	Lines           []TransferLine
}

// Reference is the reference of the transfer's movements.
func (t Transfer) Reference() string { return "TRF:" + strconv.FormatInt(t.ID, 10) }

// TransferLine is one variant of a transfer: Qty asked for and shipped, Received once it
// has arrived.
type TransferLine struct {
	VariantID int64 `db:"variant_id"`
	Qty       int   `db:"quantity"`
	Received  *int  `db:"received"`
}

// Difference is received less shipped: negative when units went missing, zero until the
// transfer is received.
func (l TransferLine) Difference() int {
	if l.Received == nil {
		return 0
	}
	return *l.Received - l.Qty
}

const transferColumns = `id, idempotency_key, from_location_id, to_location_id, status, expected_arrival, note,
	created_by_kind, created_by, created_at, shipped_at, received_at, cancelled_at`

// TransferInput is a new transfer.
type TransferInput struct {
	IdempotencyKey  string
	FromLocationID  int64
	ToLocationID    int64
	ExpectedArrival *time.Time
	Lines           []TransferLineInput
	Note            string
}

// TransferLineInput is one line of a new transfer.
type TransferLineInput struct {
	VariantID int64
	Qty       int
}

// CreateTransfer records a DRAFT transfer; no stock moves until it ships. Idempotent by
// key like Adjust. Managers, admins and buyers (who turn replenishment suggestions into
// transfers) may draft any transfer; associates and fulfilment staff one from or to their
// home location. Shipping and receiving keep their own rules.
//
// Errors: Unauthenticated, Forbidden, apperr.List of Invalid fields (lines.<i>.variantId,
// ...) or Conflict on idempotencyKey.
func (s *Service) CreateTransfer(ctx context.Context, in TransferInput) (Transfer, error) {
	if a, err := actor.RequireStaff(ctx); err != nil {
		return Transfer{}, err
	} else if !CanDraftTransfer(a, in.FromLocationID, in.ToLocationID) {
		return Transfer{}, apperr.Forbidden("you can draft a transfer only from or to your home location (buyers and managers draft any)")
	}
	if err := in.normalize(); err != nil {
		return Transfer{}, err
	}
	request := struct {
		Op    string
		Actor string
		TransferInput
		ExpectedArrival *string
	}{"CREATE_TRANSFER", actorRef(ctx), in, dateArg(in.ExpectedArrival)}
	var t Transfer
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		fresh, err := claimKey(ctx, tx, in.IdempotencyKey, request)
		if err != nil {
			return err
		}
		if fresh {
			a := actor.From(ctx)
			var createdBy *int64
			if a.ID != 0 {
				createdBy = &a.ID
			}
			err = tx.GetContext(ctx, &t.ID, `INSERT INTO transfers (idempotency_key, from_location_id, to_location_id,
				expected_arrival, note, created_by_kind, created_by) VALUES ($1, $2, $3, $4::date, $5, $6, $7) RETURNING id`,
				in.IdempotencyKey, in.FromLocationID, in.ToLocationID, dateArg(in.ExpectedArrival), in.Note, string(a.Kind), createdBy)
			if err != nil {
				return mapTransferErr(err)
			}
			variants, qtys := make([]int64, len(in.Lines)), make([]int64, len(in.Lines))
			for i, l := range in.Lines {
				variants[i], qtys[i] = l.VariantID, int64(l.Qty)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO transfer_lines (transfer_id, variant_id, quantity)
				SELECT $1, t.v, t.q FROM unnest($2::bigint[], $3::int[]) AS t(v, q)`, t.ID, pq.Array(variants), pq.Array(qtys))
			if err != nil {
				return mapTransferErr(err)
			}
		} else {
			err = tx.GetContext(ctx, &t.ID, `SELECT id FROM transfers WHERE idempotency_key = $1`, in.IdempotencyKey)
			if err != nil {
				return err
			}
		}
		t, err = loadTransfer(ctx, tx, t.ID, false)
		return err
	})
	return t, err
}

// CanDraftTransfer reports whether a may draft (CreateTransfer) a transfer from one
// location to another: a draft moves no stock, so buyers may plan any route, as managers
// may; associates and fulfilment staff draft from or to their home location.
func CanDraftTransfer(a actor.Actor, from, to int64) bool {
	return a.HasRole(actor.Buyer) || CanMoveStockAt(a, from) || CanMoveStockAt(a, to)
}

func (in *TransferInput) normalize() error {
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	in.Note = strings.TrimSpace(in.Note)
	errs := checkKey(nil, in.IdempotencyKey)
	if in.FromLocationID <= 0 {
		errs = append(errs, apperr.Invalid("fromLocationId", "choose the location the stock leaves"))
	}
	if in.ToLocationID <= 0 {
		errs = append(errs, apperr.Invalid("toLocationId", "choose the location the stock goes to"))
	} else if in.ToLocationID == in.FromLocationID {
		errs = append(errs, apperr.Invalid("toLocationId", "a transfer goes to another location"))
	}
	if len(in.Lines) == 0 {
		errs = append(errs, apperr.Invalid("lines", "add at least one line"))
	}
	seen := map[int64]int{}
	for i, l := range in.Lines {
		field := func(name string) string { return fmt.Sprintf("lines.%d.%s", i, name) }
		if j, dup := seen[l.VariantID]; dup {
			errs = append(errs, apperr.Invalid(field("variantId"), "this variant is also on line %d", j+1).WithReason("DUPLICATE"))
		} else if l.VariantID <= 0 {
			errs = append(errs, apperr.Invalid(field("variantId"), "choose a variant"))
		}
		seen[l.VariantID] = i
		if l.Qty <= 0 {
			errs = append(errs, apperr.Invalid(field("qty"), "enter a positive quantity"))
		}
	}
	return errs.Err()
}

func mapTransferErr(err error) error {
	var pe *pq.Error
	if errors.As(err, &pe) && postgres.IsForeignKeyViolation(err) {
		switch {
		case strings.Contains(pe.Constraint, "from_location"):
			return apperr.List{apperr.Invalid("fromLocationId", "no such location")}
		case strings.Contains(pe.Constraint, "to_location"):
			return apperr.List{apperr.Invalid("toLocationId", "no such location")}
		case strings.Contains(pe.Constraint, "variant"):
			return apperr.List{apperr.Invalid("lines", "a line names a variant that does not exist")}
		}
	}
	return postgres.MapError(err)
}

// ShipTransfer ships a DRAFT transfer: each line leaves the source's on hand (TRANSFER_OUT,
// lot-tracked stock first-expiring first) and enters the destination's incoming
// (TRANSFER_IN of incoming only). Units reserved for orders are not shipped. Managers and
// admins, or associates and fulfilment staff of the source location.
//
// Errors: Unauthenticated, Forbidden, NotFound, Conflict (reason TRANSFER_STATUS) when not
// a draft, *ShortageError when the source lacks units (an apperr.List).
func (s *Service) ShipTransfer(ctx context.Context, id int64) (Transfer, error) {
	return s.transferTx(ctx, id, TransferDraft, func(t Transfer) int64 { return t.FromLocationID },
		func(tx *sqlx.Tx, t *Transfer) error {
			ref := t.Reference()
			var changes []change
			for _, l := range t.Lines {
				changes = append(changes,
					change{LocationID: t.FromLocationID, VariantID: l.VariantID, Kind: KindTransferOut, OnHand: -l.Qty, Reference: ref},
					change{LocationID: t.ToLocationID, VariantID: l.VariantID, Kind: KindTransferIn, Incoming: l.Qty, Reference: ref,
						Reason: "in transit"})
			}
			var short []Shortage
			err := applyAll(ctx, tx, changes, func(c change, r *refusal) {
				i := slices.IndexFunc(t.Lines, func(l TransferLine) bool { return l.VariantID == c.VariantID })
				short = append(short, Shortage{Line: i, LocationID: c.LocationID, VariantID: c.VariantID,
					Requested: -c.OnHand, Available: max(0, r.Level.OnHand-r.Level.Reserved)})
			})
			if err != nil {
				return err
			}
			if len(short) > 0 {
				return shortageError(ctx, tx, short)
			}
			_, err = tx.ExecContext(ctx, `UPDATE transfers SET status = 'IN_TRANSIT', shipped_at = now() WHERE id = $1`, t.ID)
			return err
		})
}

// ReceivedLine is what arrived of one variant of a transfer. A lot-tracked variant may
// name the lot; otherwise the units are taken to be of the shipped lots, first-expiring
// first.
type ReceivedLine struct {
	VariantID int64
	Qty       int
	Lot       string
}

// ReceiveTransfer receives an IN_TRANSIT transfer at its destination: what arrived goes on
// hand (TRANSFER_IN, lots keep their expiry), the destination's incoming drops by what was
// shipped, and each line records what was received. Lines not listed arrived with nothing.
// The status becomes RECEIVED, or RECEIVED_WITH_DIFFERENCES when a line differs. Managers
// and admins, or associates and fulfilment staff of the destination.
//
// Errors: Unauthenticated, Forbidden, NotFound, Conflict (TRANSFER_STATUS) when not in
// transit, apperr.List (received.<i>.variantId, received.<i>.qty, lot).
func (s *Service) ReceiveTransfer(ctx context.Context, id int64, received []ReceivedLine) (Transfer, error) {
	return s.transferTx(ctx, id, TransferInTransit, func(t Transfer) int64 { return t.ToLocationID },
		func(tx *sqlx.Tx, t *Transfer) error {
			got, err := receivedByVariant(t, received)
			if err != nil {
				return err
			}
			shipped, err := shippedLots(ctx, tx, t.Reference())
			if err != nil {
				return err
			}
			var changes []change
			variants, qtys := make([]int64, len(t.Lines)), make([]int64, len(t.Lines))
			status := TransferReceived
			for i, l := range t.Lines {
				parts := receivedParts(got[l.VariantID], shipped[l.VariantID])
				if len(parts) == 0 {
					parts = []receivedQty{{}} // nothing arrived: incoming still drops
				}
				total := 0
				for j, p := range parts {
					c := change{LocationID: t.ToLocationID, VariantID: l.VariantID, Kind: KindTransferIn, OnHand: p.Qty,
						Lot: p.Lot, ExpiresOn: p.ExpiresOn, Reference: t.Reference(), Reason: "received"}
					if j == 0 {
						c.Incoming = -l.Qty
					}
					changes = append(changes, c)
					total += p.Qty
				}
				variants[i], qtys[i] = l.VariantID, int64(total)
				if total != l.Qty {
					status = TransferReceivedWithDifferences
				}
			}
			if err := applyAll(ctx, tx, changes, nil); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE transfer_lines l SET received = t.q
				FROM unnest($2::bigint[], $3::int[]) AS t(v, q) WHERE l.transfer_id = $1 AND l.variant_id = t.v`,
				t.ID, pq.Array(variants), pq.Array(qtys))
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE transfers SET status = $2, received_at = now() WHERE id = $1`, t.ID, status)
			return err
		})
}

// receivedQty is a quantity received into one lot ("" for variants without lots).
type receivedQty struct {
	Lot       string
	Qty       int
	ExpiresOn *time.Time
}

// receivedByVariant checks received against t's lines and groups it by variant.
func receivedByVariant(t *Transfer, received []ReceivedLine) (map[int64][]ReceivedLine, error) {
	var errs apperr.List
	out := map[int64][]ReceivedLine{}
	for i, r := range received {
		r.Lot = strings.TrimSpace(r.Lot)
		if !slices.ContainsFunc(t.Lines, func(l TransferLine) bool { return l.VariantID == r.VariantID }) {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("received.%d.variantId", i), "this variant is not on the transfer"))
		}
		if r.Qty < 0 {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("received.%d.qty", i), "a received quantity cannot be negative"))
		}
		out[r.VariantID] = append(out[r.VariantID], r)
	}
	return out, errs.Err()
}

// receivedParts splits what arrived of one variant into lots: named lots as named, the
// rest over the shipped lots first-expiring first up to what each shipped, any excess into
// the last. Lots keep the expiry they had at the source.
func receivedParts(got []ReceivedLine, shipped []receivedQty) []receivedQty {
	byLot := map[string]int{}
	unnamed := 0
	for _, r := range got {
		if r.Lot == "" {
			unnamed += r.Qty
		} else {
			byLot[r.Lot] += r.Qty
		}
	}
	for i, s := range shipped {
		take := max(0, min(unnamed, s.Qty-byLot[s.Lot]))
		if i == len(shipped)-1 {
			take = unnamed
		}
		byLot[s.Lot] += take
		unnamed -= take
	}
	if unnamed > 0 {
		byLot[""] += unnamed
	}
	var out []receivedQty
	for _, s := range shipped {
		if q, ok := byLot[s.Lot]; ok {
			out = append(out, receivedQty{Lot: s.Lot, Qty: q, ExpiresOn: s.ExpiresOn})
			delete(byLot, s.Lot)
		}
	}
	for _, lot := range slices.Sorted(maps.Keys(byLot)) {
		out = append(out, receivedQty{Lot: lot, Qty: byLot[lot]})
	}
	return slices.DeleteFunc(out, func(r receivedQty) bool { return r.Qty == 0 })
}

// shippedLots returns, per variant, the lots a transfer shipped with their expiry,
// first-expiring first (a single "" lot for variants without lots).
func shippedLots(ctx context.Context, q sqlx.QueryerContext, ref string) (map[int64][]receivedQty, error) {
	var rows []struct {
		VariantID int64      `db:"variant_id"`
		Lot       string     `db:"lot"`
		Qty       int        `db:"qty"`
		ExpiresOn *time.Time `db:"expires_on"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT m.variant_id, coalesce(m.lot, '') AS lot, -sum(m.on_hand_delta) AS qty, k.expires_on
		FROM stock_movements m
		LEFT JOIN stock_lots k ON k.location_id = m.location_id AND k.variant_id = m.variant_id AND k.lot = m.lot
		WHERE m.reference = $1 AND m.kind = 'TRANSFER_OUT'
		GROUP BY m.variant_id, m.lot, k.expires_on
		ORDER BY m.variant_id, k.expires_on NULLS LAST, m.lot`, ref)
	if err != nil {
		return nil, fmt.Errorf("shipped lots: %w", err)
	}
	out := map[int64][]receivedQty{}
	for _, r := range rows {
		out[r.VariantID] = append(out[r.VariantID], receivedQty{Lot: r.Lot, Qty: r.Qty, ExpiresOn: r.ExpiresOn})
	}
	return out, nil
}

// CancelTransfer cancels a DRAFT transfer (nothing has moved yet). Managers and admins, or
// associates and fulfilment staff of either end. Errors: Unauthenticated, Forbidden,
// NotFound, Conflict (TRANSFER_STATUS).
func (s *Service) CancelTransfer(ctx context.Context, id int64) (Transfer, error) {
	return s.transferTx(ctx, id, TransferDraft, nil, func(tx *sqlx.Tx, t *Transfer) error {
		_, err := tx.ExecContext(ctx, `UPDATE transfers SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1`, t.ID)
		return err
	})
}

// transferTx runs fn on transfer id, locked, in a transaction, after checking that the
// actor may act at the location side picks (either end when side is nil) and that the
// transfer has status want. It returns the transfer as fn left it.
func (s *Service) transferTx(ctx context.Context, id int64, want string, side func(Transfer) int64,
	fn func(*sqlx.Tx, *Transfer) error) (Transfer, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager, actor.Associate, actor.Fulfilment); err != nil {
		return Transfer{}, err
	}
	var t Transfer
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		if t, err = loadTransfer(ctx, tx, id, true); err != nil {
			return err
		}
		at := []int64{t.FromLocationID, t.ToLocationID}
		if side != nil {
			at = []int64{side(t)}
		}
		if err := authorizeAt(ctx, at...); err != nil {
			return err
		}
		if t.Status != want {
			return apperr.Conflict("", "transfer %d is %s; this needs a transfer that is %s", t.ID, t.Status, want).
				WithReason(ReasonTransferStatus)
		}
		if err := fn(tx, &t); err != nil {
			return err
		}
		t, err = loadTransfer(ctx, tx, id, false)
		return err
	})
	return t, err
}

// applyAll applies changes in (location, variant) order. A refused change is passed to
// refused, when given, and the others still applied (the caller then rolls back); without
// refused it is an error.
func applyAll(ctx context.Context, ext sqlx.ExtContext, changes []change, refused func(change, *refusal)) error {
	slices.SortStableFunc(changes, func(a, b change) int {
		return byLevel(a.LocationID, a.VariantID, b.LocationID, b.VariantID)
	})
	for _, c := range changes {
		_, err := apply(ctx, ext, c)
		if r, ok := errors.AsType[*refusal](err); ok && refused != nil {
			refused(c, r)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Transfer returns one transfer with its lines. Staff only. Errors: Unauthenticated,
// Forbidden, NotFound.
func (s *Service) Transfer(ctx context.Context, id int64) (Transfer, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Transfer{}, err
	}
	return loadTransfer(ctx, s.db, id, false)
}

// TransferFilter selects transfers. Nil fields do not filter.
type TransferFilter struct {
	// LocationID matches either end.
	LocationID     *int64
	FromLocationID *int64
	// ToLocationID with Statuses [IN_TRANSIT] lists what is on its way to a location.
	ToLocationID *int64
	Statuses     []string
	// After is the id of the last transfer of the previous page (0 for the first page).
	After int64
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// TransferPage is one page of transfers, newest first.
type TransferPage struct {
	Transfers   []Transfer
	HasNextPage bool
}

// Transfers returns a page of transfers with their lines, newest first. Staff only.
// Errors: Unauthenticated, Forbidden, apperr.List (first).
func (s *Service) Transfers(ctx context.Context, f TransferFilter) (TransferPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return TransferPage{}, err
	}
	first, err := pageSize(f.First)
	if err != nil {
		return TransferPage{}, err
	}
	var ts []Transfer
	err = s.db.SelectContext(ctx, &ts, `SELECT `+transferColumns+` FROM transfers
		WHERE ($1::bigint IS NULL OR $1 IN (from_location_id, to_location_id))
		  AND ($2::bigint IS NULL OR from_location_id = $2)
		  AND ($3::bigint IS NULL OR to_location_id = $3)
		  AND (coalesce(cardinality($4::text[]), 0) = 0 OR status = ANY($4))
		  AND ($5::bigint = 0 OR id < $5)
		ORDER BY id DESC LIMIT $6`,
		f.LocationID, f.FromLocationID, f.ToLocationID, pq.Array(f.Statuses), f.After, first+1)
	if err != nil {
		return TransferPage{}, fmt.Errorf("transfers: %w", err)
	}
	page := TransferPage{Transfers: ts}
	if len(ts) > first {
		page.Transfers, page.HasNextPage = ts[:first], true
	}
	return page, withLines(ctx, s.db, page.Transfers)
}

// loadTransfer returns transfer id with its lines, locking it when forUpdate.
func loadTransfer(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (Transfer, error) {
	query := `SELECT ` + transferColumns + ` FROM transfers WHERE id = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var t Transfer
	if err := sqlx.GetContext(ctx, q, &t, query, id); err != nil {
		return Transfer{}, postgres.NotFound(err, "no transfer with id %d", id)
	}
	ts := []Transfer{t}
	err := withLines(ctx, q, ts)
	return ts[0], err
}

// withLines loads the lines of ts, in variant order.
func withLines(ctx context.Context, q sqlx.QueryerContext, ts []Transfer) error {
	if len(ts) == 0 {
		return nil
	}
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	var lines []struct {
		TransferID int64 `db:"transfer_id"`
		TransferLine
	}
	err := sqlx.SelectContext(ctx, q, &lines, `SELECT transfer_id, variant_id, quantity, received FROM transfer_lines
		WHERE transfer_id = ANY($1) ORDER BY transfer_id, variant_id`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("transfer lines: %w", err)
	}
	byID := make(map[int64][]TransferLine, len(ts))
	for _, l := range lines {
		byID[l.TransferID] = append(byID[l.TransferID], l.TransferLine)
	}
	for i := range ts {
		ts[i].Lines = byID[ts[i].ID]
	}
	return nil
}
