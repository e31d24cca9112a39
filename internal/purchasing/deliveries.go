package purchasing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
)

// Goods on their way to a location, for the store tablets and the back office: the
// purchase orders sent to suppliers for it and the transfers in transit to it, and a
// PostgreSQL notification each time a purchase order for a location is sent (goods
// arriving) or received, so live views on every server hear of it.

// GoodsChannel is the PostgreSQL notification channel of goods notices; the payload is
// "KIND:orderID:locationID" (see GoodsEvent).
const GoodsChannel = "goods_notice"

// GoodsEvent is a goods notice: Kind is KindGoodsArriving (the order was sent to its
// supplier) or KindGoodsReceived (a receipt was recorded against it).
type GoodsEvent struct {
	Kind       string
	OrderID    int64
	LocationID int64
}

// ParseGoodsEvent decodes a GoodsChannel payload; false for a malformed one.
func ParseGoodsEvent(payload string) (GoodsEvent, bool) {
	parts := strings.Split(strings.TrimSpace(payload), ":")
	if len(parts) != 3 || (parts[0] != KindGoodsArriving && parts[0] != KindGoodsReceived) {
		return GoodsEvent{}, false
	}
	order, err1 := strconv.ParseInt(parts[1], 10, 64)
	loc, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || order <= 0 || loc <= 0 {
		return GoodsEvent{}, false
	}
	return GoodsEvent{Kind: parts[0], OrderID: order, LocationID: loc}, true
}

// announceGoods notifies GoodsChannel of a goods notice about o; PostgreSQL delivers it
// when ext's transaction commits, and never if it rolls back.
func announceGoods(ctx context.Context, ext sqlx.ExtContext, kind string, o Order) error {
	payload := fmt.Sprintf("%s:%d:%d", kind, o.ID, o.LocationID)
	if _, err := ext.ExecContext(ctx, `SELECT pg_notify($1, $2)`, GoodsChannel, payload); err != nil {
		return fmt.Errorf("announce goods: %w", err)
	}
	return nil
}

// Kinds of expected deliveries.
const (
	DeliveryPurchaseOrder = "PURCHASE_ORDER"
	DeliveryTransfer      = "TRANSFER"
)

// Delivery is goods on their way to a location: a purchase order sent to its supplier (or
// partly received), or a transfer shipped from another location.
type Delivery struct {
	// Kind is DeliveryPurchaseOrder or DeliveryTransfer; ID the order's or the transfer's.
	Kind string
	ID   int64
	// Name is the order's number (PO-000042) or "Transfer 12".
	Name string
	// From is the supplier's name, or the code of the location the transfer left.
	From           string
	FromLocationID *int64
	LocationID     int64
	// Status is the order's or the transfer's.
	Status string
	// ExpectedOn is the expected arrival date (nil when none was given).
	ExpectedOn *time.Time
	// Units is what is still to come.
	Units int
}

// Transfers is what DeliveriesExpected needs of the stock service (*inventory.Service).
type Transfers interface {
	Transfers(ctx context.Context, f inventory.TransferFilter) (inventory.TransferPage, error)
}

// DeliveriesExpected lists what is on its way to a location, soonest first (those without
// a date last): the purchase orders SENT or PARTIALLY_RECEIVED for it, with the units
// still outstanding, and the transfers IN_TRANSIT to it. Staff who may not see purchase
// orders get the transfers only. Errors: Unauthenticated, Forbidden (from the transfers).
func (s *Service) DeliveriesExpected(ctx context.Context, locationID int64, transfers Transfers) ([]Delivery, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var out []Delivery
	f := OrderFilter{LocationID: locationID, Statuses: []Status{Sent, PartiallyReceived}, First: MaxPage}
	for {
		page, err := s.Orders(ctx, f)
		if apperr.CodeOf(err) == apperr.CodeForbidden {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, o := range page.Orders {
			d := Delivery{Kind: DeliveryPurchaseOrder, ID: o.ID, Name: o.Number(), From: o.SupplierName,
				LocationID: o.LocationID, Status: string(o.Status), ExpectedOn: o.ExpectedOn}
			for _, l := range o.Lines {
				d.Units += l.Outstanding()
			}
			out = append(out, d)
		}
		if !page.HasNextPage || len(page.Orders) == 0 {
			break
		}
		f.After = page.Orders[len(page.Orders)-1].ID
	}
	tf := inventory.TransferFilter{ToLocationID: &locationID, Statuses: []string{inventory.TransferInTransit}, First: inventory.MaxPage}
	var sources []int64
	first := len(out)
	for {
		page, err := transfers.Transfers(ctx, tf)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Transfers {
			d := Delivery{Kind: DeliveryTransfer, ID: t.ID, Name: "Transfer " + strconv.FormatInt(t.ID, 10),
				FromLocationID: &t.FromLocationID, LocationID: t.ToLocationID, Status: t.Status, ExpectedOn: t.ExpectedArrival}
			for _, l := range t.Lines {
				d.Units += l.Qty
			}
			sources = append(sources, t.FromLocationID)
			out = append(out, d)
		}
		if !page.HasNextPage || len(page.Transfers) == 0 {
			break
		}
		tf.After = page.Transfers[len(page.Transfers)-1].ID
	}
	if len(sources) > 0 {
		var codes []struct {
			ID   int64  `db:"id"`
			Code string `db:"code"`
		}
		if err := s.db.SelectContext(ctx, &codes, `SELECT id, code FROM locations WHERE id = ANY($1)`, pq.Array(sources)); err != nil {
			return nil, fmt.Errorf("transfer sources: %w", err)
		}
		for i := first; i < len(out); i++ {
			for _, c := range codes {
				if c.ID == *out[i].FromLocationID {
					out[i].From = c.Code
				}
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Delivery) int {
		switch {
		case x.ExpectedOn == nil && y.ExpectedOn == nil:
			return 0
		case x.ExpectedOn == nil:
			return 1
		case y.ExpectedOn == nil:
			return -1
		}
		return x.ExpectedOn.Compare(*y.ExpectedOn)
	})
	return out, nil
}
