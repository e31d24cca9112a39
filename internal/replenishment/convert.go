package replenishment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/inventory"
	"atrium/internal/postgres"
	"atrium/internal/purchasing"
)

// ConvertInput selects the suggestions of a run to turn into drafts.
type ConvertInput struct {
	RunID int64
	// SuggestionIDs are the suggestions to convert; none means every transfer and purchase
	// suggestion of the run (those converted already are reported, not made again).
	SuggestionIDs []int64
}

// Conversion is what a conversion made (or had made: a retry returns the same drafts).
type Conversion struct {
	// Orders are the DRAFT purchase orders holding the selected purchase suggestions.
	Orders []purchasing.Order
	// Transfers are the DRAFT transfers holding the selected transfer suggestions.
	Transfers []inventory.Transfer
	// AlreadyConverted are selected suggestions an earlier call had converted.
	AlreadyConverted []int64
}

// Convert turns the selected suggestions of a run into one DRAFT transfer per route (by
// inventory.CreateTransfer, keyed so that a retry finds it) and one DRAFT purchase order
// per supplier and delivery location (by purchasing.CreateOrder, noted with the run and the
// set of suggestions so that a retry finds it), and marks the suggestions converted.
// Converting again is harmless: converted suggestions are reported, not made twice.
// Concurrent conversions of one run wait for each other. Orders under the supplier's
// minimum value are drafted all the same (Submit refuses them until lines are added).
//
// Buyers and managers (who may both draft any transfer: a draft moves no stock). The run must have been computed today. Errors:
// Unauthenticated, Forbidden, NotFound, Conflict (STALE_RUN, SUPPLIER_TERMS_CHANGED),
// apperr.List (suggestionIds, with reason UNSOURCED for a need without supplier).
func (s *Service) Convert(ctx context.Context, in ConvertInput) (Conversion, error) {
	a, err := actor.RequireStaff(ctx, buyers...)
	if err != nil {
		return Conversion{}, err
	}
	if a.Kind != actor.Staff || a.ID == 0 {
		return Conversion{}, apperr.Forbidden("suggestions are converted by a staff member, who becomes the author of the drafts")
	}
	var out Conversion
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		out = Conversion{}
		run, err := loadRun(ctx, tx, in.RunID, true)
		if err != nil {
			return err
		}
		today, err := s.today(ctx, tx)
		if err != nil {
			return err
		}
		if run.AsOf.Format(time.DateOnly) != today.Format(time.DateOnly) {
			return apperr.Conflict("runId", "these suggestions were computed for %s and stock has moved since: compute fresh suggestions",
				run.AsOf.Format(time.DateOnly)).WithReason(ReasonStaleRun)
		}
		chosen, err := selectSuggestions(run, in.SuggestionIDs)
		if err != nil {
			return err
		}
		var todo []Suggestion
		orderIDs, transferIDs := map[int64]bool{}, map[int64]bool{}
		for _, g := range chosen {
			switch {
			case g.PurchaseOrderID != nil:
				out.AlreadyConverted = append(out.AlreadyConverted, g.ID)
				orderIDs[*g.PurchaseOrderID] = true
			case g.TransferID != nil:
				out.AlreadyConverted = append(out.AlreadyConverted, g.ID)
				transferIDs[*g.TransferID] = true
			default:
				todo = append(todo, g)
			}
		}
		orders, transfers := groups(todo)
		for _, t := range transfers {
			if !inventory.CanDraftTransfer(a, t.FromLocationID, t.ToLocationID) {
				return apperr.Forbidden("drafting the transfer from %s to %s needs a buyer, a manager or staff of one of them: "+
					"leave its suggestions out and convert the purchases, or ask a manager", t.FromLocationCode, t.ToLocationCode)
			}
		}
		byID := make(map[int64]Suggestion, len(todo))
		for _, g := range todo {
			byID[g.ID] = g
		}
		for _, t := range transfers {
			lines := make([]inventory.TransferLineInput, len(t.SuggestionIDs))
			for i, id := range t.SuggestionIDs {
				lines[i] = inventory.TransferLineInput{VariantID: byID[id].VariantID, Qty: byID[id].Quantity}
			}
			arrival := today.AddDate(0, 0, run.TransferDays)
			tr, err := s.inv.CreateTransfer(ctx, inventory.TransferInput{
				IdempotencyKey: fmt.Sprintf("replenishment-%d-%s", run.ID, setKey(t.SuggestionIDs)),
				FromLocationID: t.FromLocationID, ToLocationID: t.ToLocationID, ExpectedArrival: &arrival,
				Lines: lines, Note: fmt.Sprintf("Rebalancing suggested by replenishment run %d", run.ID)})
			if err != nil {
				return fmt.Errorf("transfer %s → %s: %w", t.FromLocationCode, t.ToLocationCode, err)
			}
			transferIDs[tr.ID] = true
			if err := markConverted(ctx, tx, t.SuggestionIDs, "transfer_id", tr.ID, a.ID); err != nil {
				return err
			}
		}
		for _, o := range orders {
			id, err := s.draftOrder(ctx, run, o, byID)
			if err != nil {
				return err
			}
			orderIDs[id] = true
			if err := markConverted(ctx, tx, o.SuggestionIDs, "purchase_order_id", id, a.ID); err != nil {
				return err
			}
		}
		for _, id := range sortedKeys(transferIDs) {
			t, err := s.inv.Transfer(ctx, id)
			if err != nil {
				return err
			}
			out.Transfers = append(out.Transfers, t)
		}
		for _, id := range sortedKeys(orderIDs) {
			d, err := s.buy.Order(ctx, id)
			if err != nil {
				return err
			}
			out.Orders = append(out.Orders, d.Order)
		}
		if len(todo) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "replenishment.converted", Entity: "replenishment_run", EntityID: run.ID,
			After: map[string]any{"suggestions": idsOf(todo), "purchaseOrders": sortedKeys(orderIDs), "transfers": sortedKeys(transferIDs)}})
	})
	return out, err
}

// selectSuggestions returns the suggestions of run named by ids (every transfer and
// purchase when ids is empty, converted or not, so that a retry sees the same selection),
// refusing ids of other runs and unsourced needs.
func selectSuggestions(run Run, ids []int64) ([]Suggestion, error) {
	if len(ids) == 0 {
		var out []Suggestion
		for _, g := range run.Suggestions {
			if g.Kind != Unsourced {
				out = append(out, g)
			}
		}
		if len(out) == 0 {
			return nil, apperr.List{apperr.Invalid("suggestionIds", "run %d suggests no transfer or purchase", run.ID)}
		}
		return out, nil
	}
	byID := make(map[int64]Suggestion, len(run.Suggestions))
	for _, g := range run.Suggestions {
		byID[g.ID] = g
	}
	var errs apperr.List
	var out []Suggestion
	seen := map[int64]bool{}
	for i, id := range ids {
		g, ok := byID[id]
		field := fmt.Sprintf("suggestionIds.%d", i)
		switch {
		case !ok:
			errs = append(errs, apperr.Invalid(field, "suggestion %d is not one of run %d: reload the suggestions", id, run.ID))
		case g.Kind == Unsourced:
			errs = append(errs, apperr.Invalid(field, "no supplier sells %s: add it to a supplier's items and compute again",
				g.SKU).WithReason(ReasonUnsourced))
		case !seen[id]:
			seen[id] = true
			out = append(out, g)
		}
	}
	return out, errs.Err()
}

// draftOrder creates the draft purchase order of group o, keyed by the run, supplier,
// location and set of suggestions so that a retry after an interrupted call (the order is
// created in its own transaction) finds the order made then.
func (s *Service) draftOrder(ctx context.Context, run Run, o OrderGroup, byID map[int64]Suggestion) (int64, error) {
	set := setKey(o.SuggestionIDs)
	note := fmt.Sprintf("Suggested by replenishment run %d (set %s)", run.ID, set)
	lines := make([]purchasing.LineInput, len(o.SuggestionIDs))
	for i, id := range o.SuggestionIDs {
		lines[i] = purchasing.LineInput{VariantID: byID[id].VariantID, Quantity: byID[id].Quantity}
	}
	in := purchasing.OrderInput{SupplierID: o.SupplierID, LocationID: o.LocationID, Note: note, Lines: lines,
		IdempotencyKey: fmt.Sprintf("replenishment-%d-%d-%d-%s", run.ID, o.SupplierID, o.LocationID, set)}
	po, err := s.buy.CreateOrder(ctx, in)
	if err == nil && po.Status == purchasing.Cancelled {
		// The draft an interrupted call made was cancelled since: the suggestions still
		// stand, so draft them again under a key of their own.
		in.IdempotencyKey += fmt.Sprintf("-after-%d", po.ID)
		po, err = s.buy.CreateOrder(ctx, in)
	}
	if err != nil {
		var list apperr.List
		if errors.As(err, &list) {
			msgs := make([]string, len(list))
			for i, e := range list {
				msgs[i] = e.Message
			}
			return 0, apperr.Conflict("suggestionIds", "%s refused the draft order for %s: %s; compute fresh suggestions",
				o.SupplierName, o.LocationCode, strings.Join(msgs, "; ")).WithReason(ReasonTermsChanged)
		}
		return 0, fmt.Errorf("purchase order %s → %s: %w", o.SupplierCode, o.LocationCode, err)
	}
	return po.ID, nil
}

func markConverted(ctx context.Context, ext sqlx.ExtContext, ids []int64, column string, id, by int64) error {
	_, err := ext.ExecContext(ctx, `UPDATE replenishment_suggestions SET `+column+` = $2, converted_at = now(),
		converted_by = $3 WHERE id = ANY($1)`, pq.Array(ids), id, by)
	if err != nil {
		return fmt.Errorf("mark suggestions converted: %w", err)
	}
	return nil
}

// setKey names a set of suggestion ids (order-free) in 16 hex digits.
func setKey(ids []int64) string {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	h := fnv.New64a()
	for _, id := range sorted {
		h.Write([]byte(strconv.FormatInt(id, 10) + ","))
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func sortedKeys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, cmp.Compare)
	return out
}

func idsOf(gs []Suggestion) []int64 {
	out := make([]int64, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}
