package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"atrium/internal/apperr"
)

// TakeOut takes units that are no longer sellable out of on hand in the caller's
// transaction (ext): DAMAGE for goods written off, ADJUSTMENT for goods set aside (a
// returned unit restocked and then held for inspection). Lot-tracked lines leave from
// their Lot (empty: first-expiring first). It never takes units reserved for orders.
// Returns use it when a restocked line's disposition changes; the caller has authorized
// the actor. Errors: apperr.List with reason INSUFFICIENT_STOCK on lines.<i>.qty naming
// what is left to take; apperr.List for malformed lines or another kind.
func (s *Service) TakeOut(ctx context.Context, ext sqlx.ExtContext, kind Kind, ref, reason string, lines []Line) error {
	if kind != KindDamage && kind != KindAdjustment {
		return apperr.List{apperr.Invalid("kind", "units are taken out as DAMAGE or ADJUSTMENT")}
	}
	return eachLine(ref, lines, func(i int, l Line) error {
		_, err := apply(ctx, ext, change{LocationID: l.LocationID, VariantID: l.VariantID, Kind: kind,
			OnHand: -l.Qty, Lot: l.Lot, Reference: ref, Reason: reason})
		if r, ok := errors.AsType[*refusal](err); ok {
			free := max(0, r.Level.OnHand-r.Level.Reserved)
			if l.Lot != "" {
				free = min(free, r.LotOnHand)
			}
			return apperr.List{apperr.Invalid(fmt.Sprintf("lines.%d.qty", i),
				"only %d of these units are on hand and not reserved for orders (%d to take out)", free, l.Qty).
				WithReason(ReasonInsufficientStock)}
		}
		return err
	})
}
