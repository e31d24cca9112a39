package inventory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// PurchaseChange is what a purchase order does to the stock of one variant at its
// receiving location: Incoming rises when the order is approved and falls as it is
// received, closed or cancelled; OnHand rises by the units accepted on a goods receipt.
type PurchaseChange struct {
	LocationID int64
	VariantID  int64
	OnHand     int
	Incoming   int
	// Lot and ExpiresOn name the lot of received units of a lot-tracked variant (both
	// required for a lot new at the location).
	Lot       string
	ExpiresOn *time.Time
	// Reference is the purchase order's, e.g. PO:42; Reason says what happened.
	Reference string
	Reason    string
}

// ApplyPurchase applies c in ext's transaction (the purchasing service's), writing RECEIPT
// movements to the ledger like any other stock change: incoming-only for orders approved,
// closed or cancelled, on hand (and the lot) for goods received. Callers touching several
// variants apply them in variant order. Errors: apperr.List (lot, expiresOn) for a lot that
// is missing, not expected or at odds with the stock here; a plain error when the incoming
// figure would fall below zero.
func ApplyPurchase(ctx context.Context, ext sqlx.ExtContext, c PurchaseChange) ([]Movement, error) {
	if c.OnHand < 0 {
		return nil, fmt.Errorf("purchase change of variant %d: on hand cannot fall on a purchase", c.VariantID)
	}
	ms, err := apply(ctx, ext, change{LocationID: c.LocationID, VariantID: c.VariantID, Kind: KindReceipt,
		OnHand: c.OnHand, Incoming: c.Incoming, Lot: c.Lot, ExpiresOn: c.ExpiresOn,
		Reference: c.Reference, Reason: c.Reason})
	if r, ok := errors.AsType[*refusal](err); ok {
		return nil, fmt.Errorf("purchase change of variant %d at location %d refused: incoming is %d, change %d",
			c.VariantID, c.LocationID, r.Level.Incoming, c.Incoming)
	}
	return ms, err
}
