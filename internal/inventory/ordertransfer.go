package inventory

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// Ship-to-store: an order's goods travel from the location that picked them to the store
// where the customer collects them. The order service calls these inside its own
// transaction (ext), after deciding that the actor may; the movements are the actor's.

// OrderTransfers moves an order's reserved units to its pickup store.
type OrderTransfers interface {
	// SendForOrder ships reserved units to another location for an order: at the source,
	// one TRANSFER_OUT movement per line takes them off hand and out of the reservation;
	// at the destination they become incoming (TRANSFER_IN). It records an IN_TRANSIT
	// transfer (key: a unique key for the order's shipment) and returns its id.
	SendForOrder(ctx context.Context, ext sqlx.ExtContext, in OrderTransferInput) (int64, error)
	// ReceiveForOrder receives an order's transfer in full at its destination and reserves
	// the units for the order there (RESERVE under orderRef), so that nobody else can sell
	// them before the customer collects. A transfer already received through the transfers
	// screen only has its units reserved.
	ReceiveForOrder(ctx context.Context, ext sqlx.ExtContext, transferID int64, orderRef string) error
}

var _ OrderTransfers = (*Service)(nil)

// OrderTransferInput is an order's shipment between two locations.
type OrderTransferInput struct {
	Key             string
	FromLocationID  int64
	ToLocationID    int64
	ExpectedArrival *time.Time
	Note            string
	Lines           []TransferLineInput
}

// SendForOrder implements OrderTransfers. Sending more than is reserved at the source is
// an error in the caller (a plain error).
func (s *Service) SendForOrder(ctx context.Context, ext sqlx.ExtContext, in OrderTransferInput) (int64, error) {
	in.Key = strings.TrimSpace(in.Key)
	if in.Key == "" {
		return 0, fmt.Errorf("send for order: no key")
	}
	if err := (&TransferInput{IdempotencyKey: in.Key, FromLocationID: in.FromLocationID, ToLocationID: in.ToLocationID,
		Lines: in.Lines}).normalize(); err != nil {
		return 0, err
	}
	a := actor.From(ctx)
	var createdBy *int64
	if a.ID != 0 {
		createdBy = &a.ID
	}
	var id int64
	err := sqlx.GetContext(ctx, ext, &id, `INSERT INTO transfers (idempotency_key, from_location_id, to_location_id,
		status, expected_arrival, note, created_by_kind, created_by, shipped_at)
		VALUES ($1, $2, $3, 'IN_TRANSIT', $4::date, $5, $6, $7, now()) RETURNING id`,
		in.Key, in.FromLocationID, in.ToLocationID, dateArg(in.ExpectedArrival), in.Note, string(a.Kind), createdBy)
	if err != nil {
		return 0, mapTransferErr(err)
	}
	variants, qtys := make([]int64, len(in.Lines)), make([]int64, len(in.Lines))
	for i, l := range in.Lines {
		variants[i], qtys[i] = l.VariantID, int64(l.Qty)
	}
	_, err = ext.ExecContext(ctx, `INSERT INTO transfer_lines (transfer_id, variant_id, quantity)
		SELECT $1, t.v, t.q FROM unnest($2::bigint[], $3::int[]) AS t(v, q)`, id, pq.Array(variants), pq.Array(qtys))
	if err != nil {
		return 0, mapTransferErr(err)
	}
	ref := Transfer{ID: id}.Reference()
	var changes []change
	for _, l := range in.Lines {
		changes = append(changes,
			change{LocationID: in.FromLocationID, VariantID: l.VariantID, Kind: KindTransferOut, OnHand: -l.Qty,
				Reserved: -l.Qty, Reference: ref, Reason: in.Note},
			change{LocationID: in.ToLocationID, VariantID: l.VariantID, Kind: KindTransferIn, Incoming: l.Qty,
				Reference: ref, Reason: "in transit"})
	}
	var refused error
	err = applyAll(ctx, ext, changes, func(c change, r *refusal) {
		refused = fmt.Errorf("send %d of variant %d from location %d: only %d reserved, %d on hand",
			-c.OnHand, c.VariantID, c.LocationID, r.Level.Reserved, r.Level.OnHand)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return 0, err
	}
	return id, nil
}

// ReceiveForOrder implements OrderTransfers.
func (s *Service) ReceiveForOrder(ctx context.Context, ext sqlx.ExtContext, transferID int64, orderRef string) error {
	t, err := loadTransfer(ctx, ext, transferID, true)
	if err != nil {
		return err
	}
	ref := t.Reference()
	switch t.Status {
	case TransferInTransit:
		shipped, err := shippedLots(ctx, ext, ref)
		if err != nil {
			return err
		}
		var changes []change
		for _, l := range t.Lines {
			parts := receivedParts([]ReceivedLine{{VariantID: l.VariantID, Qty: l.Qty}}, shipped[l.VariantID])
			for j, p := range parts {
				c := change{LocationID: t.ToLocationID, VariantID: l.VariantID, Kind: KindTransferIn, OnHand: p.Qty,
					Lot: p.Lot, ExpiresOn: p.ExpiresOn, Reference: ref, Reason: "received for " + orderRef}
				if j == 0 {
					c.Incoming = -l.Qty
				}
				changes = append(changes, c)
			}
		}
		if err := applyAll(ctx, ext, changes, nil); err != nil {
			return err
		}
		if _, err := ext.ExecContext(ctx, `UPDATE transfer_lines SET received = quantity WHERE transfer_id = $1`, t.ID); err != nil {
			return fmt.Errorf("receive transfer lines: %w", err)
		}
		if _, err := ext.ExecContext(ctx, `UPDATE transfers SET status = 'RECEIVED', received_at = now() WHERE id = $1`, t.ID); err != nil {
			return fmt.Errorf("receive transfer: %w", err)
		}
	case TransferReceived, TransferReceivedWithDifferences:
		// Received through the transfers screen: the units are on hand, not yet reserved.
	default:
		return apperr.Conflict("", "transfer %d is %s: it cannot be received for the order", t.ID, t.Status).
			WithReason(ReasonTransferStatus)
	}
	var changes []change
	for _, l := range t.Lines {
		changes = append(changes, change{LocationID: t.ToLocationID, VariantID: l.VariantID, Kind: KindReserve,
			Reserved: l.Qty, Reference: orderRef, Reason: "arrived for collection"})
	}
	var short []Shortage
	err = applyAll(ctx, ext, changes, func(c change, r *refusal) {
		i := 0
		for k, l := range t.Lines {
			if l.VariantID == c.VariantID {
				i = k
			}
		}
		short = append(short, Shortage{Line: i, LocationID: c.LocationID, VariantID: c.VariantID, Requested: c.Reserved,
			Available: max(0, r.Level.OnHand-r.Level.Reserved)})
	})
	if err != nil {
		return err
	}
	if len(short) > 0 {
		return shortageError(ctx, ext, short)
	}
	return nil
}

// binPattern is a bin label: aisle-shelf-position, e.g. A-03-2.
var binPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9.-]{0,19}$`)

// SetBin records where a variant sits at a location (e.g. A-03-2; empty clears it), for
// pick lists to walk bin by bin. Managers anywhere, associates and fulfilment staff at
// their home location. Errors: Unauthenticated, Forbidden, apperr.List on bin.
func (s *Service) SetBin(ctx context.Context, locationID, variantID int64, bin string) error {
	if err := authorizeAt(ctx, locationID); err != nil {
		return err
	}
	bin = strings.ToUpper(strings.TrimSpace(bin))
	if bin != "" && !binPattern.MatchString(bin) {
		return apperr.List{apperr.Invalid("bin", "a bin is up to 20 letters, digits, dots and dashes, e.g. A-03-2")}
	}
	return postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO stock_levels (location_id, variant_id, bin) VALUES ($1, $2, nullif($3, ''))
			ON CONFLICT (location_id, variant_id) DO UPDATE SET bin = excluded.bin, updated_at = now()`,
			locationID, variantID, bin)
		if err != nil {
			return mapLevelErr(err)
		}
		return nil
	})
}
