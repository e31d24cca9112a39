package order

import (
	"context"
	"fmt"
	"strings"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
)

// Fulfilment: what happens to an order's goods after it is released, one location's part
// (a Fulfilment) at a time.
//
//	SHIP:            OPEN → PICKING → PACKED → SHIPPED → DELIVERED
//	PICKUP (own):    OPEN → PICKING → PACKED → READY_FOR_PICKUP → COLLECTED
//	ship-to-store:   OPEN → PICKING → PACKED → SHIPPED → RECEIVED → READY_FOR_PICKUP → COLLECTED
//	any step before the goods leave (OPEN, PICKING, PACKED, RECEIVED, READY_FOR_PICKUP) → CANCELLED
//
// The source location (Fulfilment.LocationID) picks, packs and ships; the pickup store
// receives, makes ready and hands over. Each step is one transaction that locks the order,
// then the fulfilment, writes a timeline event (kind below, with the fulfilment's id, the
// actor and the time) and notifies order_updated listeners. Stock follows the goods: a
// SHIP fulfilment's reservation is consumed (SALE) when it ships; a ship-to-store's leaves
// the source as a transfer (TRANSFER_OUT) and is reserved again at the pickup store when it
// is received; a pickup is consumed (SALE) when collected; a cancellation releases it.
//
// Authorization: staff with the FULFILMENT or ASSOCIATE role act at their home location
// (the source for picking to shipping, the pickup store for receiving to collecting);
// managers and admins anywhere. Only OPEN orders (not on hold, cancelled or completed) are
// fulfilled.
//
// Steps are safe to retry (tablets resend a step whose response was lost on store Wi-Fi):
// a step on a fulfilment already in the status it leads to succeeds and returns the
// fulfilment as it is, writing nothing (no second event, message, stock movement or
// notice), when its input agrees with what was recorded: the same carrier and tracking
// number, the same pickup code, the same override or cancellation reason. Otherwise it is
// refused with a Conflict (WRONG_STATUS) quoting what was recorded.
//
// Errors common to every step: Unauthenticated, Forbidden, NotFound; Conflict with reason
// WRONG_STATUS naming the fulfilment's current status when the step does not follow from
// it (or the order is not OPEN), or when a retry disagrees with what was recorded.

// Timeline event kinds of fulfilment steps.
const (
	EventPicking             = "PICKING"
	EventPacked              = "PACKED"
	EventShipped             = "SHIPPED"
	EventDelivered           = "DELIVERED"
	EventReceived            = "RECEIVED"
	EventReadyForPickup      = "READY_FOR_PICKUP"
	EventCollected           = "COLLECTED"
	EventFulfilmentCancelled = "FULFILMENT_CANCELLED"
	EventLinesCancelled      = "LINES_CANCELLED"
	EventRerouted            = "REROUTED"
)

// Client codes of refused fulfilment actions (besides WRONG_STATUS).
const (
	// ReasonWrongItem: the scanned code is not on the fulfilment.
	ReasonWrongItem = "WRONG_ITEM"
	// ReasonTooMany: every unit of the scanned item is already scanned.
	ReasonTooMany = "TOO_MANY"
	// ReasonNotScanned: packing needs every unit scanned (or a manager's override).
	ReasonNotScanned = "NOT_SCANNED"
	// ReasonWrongPickupCode: the code given at collection is not the one sent.
	ReasonWrongPickupCode = "WRONG_PICKUP_CODE"
	// ReasonPickupCodeLocked: too many wrong codes; a manager hands over with an override.
	ReasonPickupCodeLocked = "PICKUP_CODE_LOCKED"
	// ReasonUnpaid: goods are not handed over while money is due.
	ReasonUnpaid = "UNPAID"
)

// MaxPickupCodeAttempts is how many wrong pickup codes lock a fulfilment's collection
// (a 6-digit code cannot be guessed in so few tries); a manager then hands over with
// CollectOverride after checking the customer's identity.
const MaxPickupCodeAttempts = 5

// FulfilmentView is a fulfilment with what the pick, pack and pickup screens show: its
// order, items with scan progress, scans, and its steps on the order's timeline.
type FulfilmentView struct {
	Fulfilment
	OrderNumber string `db:"order_number"`
	OrderStatus Status `db:"order_status"`
	// LocationCode is the source's code; PickupLocationCode the pickup store's.
	LocationCode       string  `db:"location_code"`
	PickupLocationCode *string `db:"pickup_location_code"`
	// Carrier and TrackingNumber once shipped (tracking may be empty for a ship-to-store
	// van run).
	Carrier        *string `db:"carrier"`
	TrackingNumber *string `db:"tracking_number"`
	CancelReason   *string `db:"cancel_reason"`
	// PickupCodeSent reports whether a pickup code was sent; PickupCodeAttempts counts
	// wrong codes tried (MaxPickupCodeAttempts locks collection). The code itself is
	// only in the customer's message.
	PickupCodeSent     bool `db:"pickup_code_sent"`
	PickupCodeAttempts int  `db:"pickup_code_attempts"`
	Items              []FulfilmentItem
	// Scans and Steps are loaded by FulfilmentView only (not in queue pages).
	Scans []Scan
	Steps []Event
}

// Units is how many units the fulfilment serves.
func (v FulfilmentView) Units() int {
	n := 0
	for _, it := range v.Items {
		n += it.Quantity
	}
	return n
}

// ScannedUnits is how many units have been scanned while packing.
func (v FulfilmentView) ScannedUnits() int {
	n := 0
	for _, it := range v.Items {
		n += it.Scanned
	}
	return n
}

// StockLocationID is where the fulfilment's units are reserved now: the pickup store once
// a ship-to-store fulfilment has been received there, else the source.
func (v FulfilmentView) StockLocationID() int64 {
	if v.ShipToStore() && (v.Status == FulfilmentReceived || v.Status == FulfilmentReadyForPickup ||
		v.Status == FulfilmentCollected) {
		return *v.PickupLocationID
	}
	return v.LocationID
}

// FulfilmentItem is one order line a fulfilment serves, with what the picker and packer
// need.
type FulfilmentItem struct {
	OrderLineID int64   `db:"order_line_id"`
	LineNo      int     `db:"line_no"`
	VariantID   int64   `db:"variant_id"`
	SKU         string  `db:"sku"`
	Barcode     *string `db:"barcode"`
	Title       string  `db:"title"`
	Category    string  `db:"category"`
	// Bin is where the variant sits at the source location, when set.
	Bin      *string `db:"bin"`
	Quantity int     `db:"quantity"`
	Scanned  int     `db:"scanned"`
}

// Scan is one unit scanned while packing.
type Scan struct {
	ID           int64     `db:"id"`
	FulfilmentID int64     `db:"fulfilment_id"`
	OrderLineID  int64     `db:"order_line_id"`
	SKU          string    `db:"sku"`
	Code         string    `db:"code"`
	ActorKind    string    `db:"actor_kind"`
	ActorID      *int64    `db:"actor_id"`
	ActorName    string    `db:"actor_name"`
	At           time.Time `db:"at"`
}

// ScanInput is a barcode or SKU scanned (or typed) at the pack station.
type ScanInput struct {
	FulfilmentID int64
	Code         string
	// IdempotencyKey, optional, makes a retried scan count once.
	IdempotencyKey string
}

// ScanResult is an accepted scan and where packing stands.
type ScanResult struct {
	Item FulfilmentItem
	// Complete reports whether every unit is now scanned (Pack will succeed).
	Complete bool
	// Replayed is true when the key had already recorded this scan.
	Replayed   bool
	Fulfilment FulfilmentView
}

// ShipInput is a packed fulfilment handed to a carrier.
type ShipInput struct {
	FulfilmentID int64
	Carrier      string
	// TrackingNumber is required when shipping to a customer; optional for a ship-to-store
	// run on the retailer's own van.
	TrackingNumber string
}

// LineQuantity is a quantity of one order line.
type LineQuantity struct {
	OrderLineID int64
	Quantity    int
}

// CancelLinesInput cancels quantities of an order's lines that have not left yet.
type CancelLinesInput struct {
	OrderID int64
	Lines   []LineQuantity
	Reason  string
}

// RerouteInput moves an OPEN fulfilment, or some of its lines, to another location.
type RerouteInput struct {
	FulfilmentID int64
	LocationID   int64
	// Lines to move; empty moves everything.
	Lines  []LineQuantity
	Reason string
}

// QueueFilter selects a location's fulfilments: those it fulfils and those collected at it
// (ship-to-store arrivals included).
type QueueFilter struct {
	LocationID int64
	// Statuses filters (empty: every status but the finished DELIVERED, COLLECTED and
	// CANCELLED).
	Statuses []FulfilmentStatus
	// After is the id of the last fulfilment of the previous page; First the page size
	// (0 means 20, at most MaxPage). Oldest first: the queue is worked in order.
	After int64
	First int
}

// FulfilmentPage is one page of a location's fulfilments with their items.
type FulfilmentPage struct {
	Fulfilments []FulfilmentView
	HasNextPage bool
}

// PickList is what to pick at a location for its OPEN and PICKING fulfilments, walked
// bin by bin, then by category for stock without a bin.
type PickList struct {
	LocationID  int64
	Fulfilments int
	Units       int
	Groups      []PickGroup
}

// PickGroup is the lines of one bin, or of one category (Bin empty).
type PickGroup struct {
	Bin      string
	Category string
	Lines    []PickLine
}

// PickLine is one variant to pick, with the orders it is for.
type PickLine struct {
	VariantID int64
	SKU       string
	Barcode   *string
	Title     string
	Category  string
	Bin       *string
	Quantity  int
	For       []PickFor
}

// PickFor is the part of a pick line that goes to one fulfilment.
type PickFor struct {
	FulfilmentID int64
	OrderID      int64
	OrderNumber  string
	Quantity     int
}

// RefundDue is what was paid beyond what the order now comes to (after cancellations):
// what the retailer owes the customer back. Refunds (internal/returns) pay it.
func (o Order) RefundDue() int64 {
	return max(0, o.Paid-(o.Total-o.CancelledAmount))
}

// StartPicking marks an OPEN fulfilment as being picked at its source location.
func (s *Service) StartPicking(ctx context.Context, id int64) (FulfilmentView, error) {
	return s.step(ctx, id, transition{what: "picked", at: atSource, from: []FulfilmentStatus{FulfilmentOpen},
		to: FulfilmentPicking}, func(st *stepState) error {
		return st.move(FulfilmentPicking, EventPicking, "Picking started at "+st.sourceCode()+".", nil)
	})
}

// Scan records one unit scanned at the pack station: in.Code is a barcode or a SKU that
// must be on the fulfilment, with units still to scan. A scan on an OPEN fulfilment starts
// picking. Scans are stored, so packing survives a reload; a retried key counts once.
//
// Errors: the common ones; apperr.List on code with reason WRONG_ITEM (not on this
// fulfilment: the message names the item and what is still expected) or TOO_MANY (all its
// units are already scanned).
func (s *Service) Scan(ctx context.Context, in ScanInput) (ScanResult, error) {
	var res ScanResult
	v, err := s.step(ctx, in.FulfilmentID, transition{what: "packed", at: atSource,
		from: []FulfilmentStatus{FulfilmentOpen, FulfilmentPicking}},
		func(st *stepState) error {
			var err error
			res, err = st.scan(in)
			return err
		})
	if err != nil {
		return ScanResult{}, err
	}
	res.Fulfilment = v
	for _, it := range v.Items {
		if it.OrderLineID == res.Item.OrderLineID {
			res.Item = it
		}
	}
	res.Complete = v.ScannedUnits() == v.Units()
	return res, nil
}

// Pack marks a PICKING fulfilment PACKED once every unit has been scanned. Errors: the
// common ones; Conflict with reason NOT_SCANNED naming what is still to scan.
func (s *Service) Pack(ctx context.Context, id int64) (FulfilmentView, error) {
	return s.step(ctx, id, transition{what: "packed", at: atSource, from: []FulfilmentStatus{FulfilmentPicking},
		to: FulfilmentPacked}, func(st *stepState) error {
		if missing := st.f.unscanned(); missing != "" {
			return apperr.Conflict("", "not every unit is scanned yet: still to scan %s", missing).WithReason(ReasonNotScanned)
		}
		return st.move(FulfilmentPacked, EventPacked, fmt.Sprintf("Packed at %s: all %d unit(s) scanned.",
			st.sourceCode(), st.f.Units()), nil)
	})
}

// PackOverride marks an OPEN or PICKING fulfilment PACKED without every unit scanned (a
// damaged barcode, a scanner down), with the manager's reason: audited, and on the
// timeline with what was not scanned. Managers only. Errors: the common ones;
// apperr.List on reason.
func (s *Service) PackOverride(ctx context.Context, id int64, reason string) (FulfilmentView, error) {
	reason, err := managerReason(ctx, reason)
	if err != nil {
		return FulfilmentView{}, err
	}
	return s.step(ctx, id, transition{what: "packed", at: atSource, from: []FulfilmentStatus{FulfilmentOpen, FulfilmentPicking},
		to: FulfilmentPacked, agrees: func(st *stepState) error { return st.sameOverride(EventPacked, "packed", reason) }}, func(st *stepState) error {
		missing := st.f.unscanned()
		err := st.move(FulfilmentPacked, EventPacked, fmt.Sprintf("Packed at %s by a manager's override (%d of %d unit(s) scanned): %s",
			st.sourceCode(), st.f.ScannedUnits(), st.f.Units(), reason),
			EventData{"override": true, "reason": reason, "unscanned": missing})
		if err != nil {
			return err
		}
		return audit.Record(ctx, st.tx, audit.Entry{Action: "fulfilment.pack_override", Entity: "fulfilment", EntityID: id,
			Before: map[string]any{"status": st.f.Status, "scanned": st.f.ScannedUnits(), "units": st.f.Units(), "unscanned": missing},
			After:  map[string]any{"status": FulfilmentPacked}, Reason: reason})
	})
}

// Ship hands a PACKED fulfilment to a carrier. A SHIP fulfilment's units leave the source
// (SALE movements, consuming the reservation); a ship-to-store's travel to the pickup
// store as a stock transfer (TRANSFER_OUT at the source, incoming at the store). A pickup
// from the store's own stock is not shipped (ReadyForPickup). Errors: the common ones;
// apperr.List on carrier, trackingNumber.
func (s *Service) Ship(ctx context.Context, in ShipInput) (FulfilmentView, error) {
	return s.step(ctx, in.FulfilmentID, transition{what: "shipped", at: atSource, from: []FulfilmentStatus{FulfilmentPacked},
		to: FulfilmentShipped, agrees: func(st *stepState) error { return st.sameShipment(in) }}, func(st *stepState) error {
		return st.ship(s, in)
	})
}

// MarkDelivered records that a SHIPPED fulfilment reached the customer; the order
// completes when it was the last one and the order is paid.
func (s *Service) MarkDelivered(ctx context.Context, id int64) (FulfilmentView, error) {
	return s.step(ctx, id, transition{what: "marked delivered", at: atSource, from: []FulfilmentStatus{FulfilmentShipped},
		to: FulfilmentDelivered}, func(st *stepState) error {
		if st.f.Method != Ship {
			return st.wrongStep("marked delivered (it is collected at a store)")
		}
		if err := st.move(FulfilmentDelivered, EventDelivered, "Delivered"+st.f.tracking()+".", nil); err != nil {
			return err
		}
		return st.settle(s)
	})
}

// ReceiveAtStore records that a SHIPPED ship-to-store fulfilment arrived at its pickup
// store: the transfer is received there and its units reserved for the order. Staff of
// the pickup store (or managers).
func (s *Service) ReceiveAtStore(ctx context.Context, id int64) (FulfilmentView, error) {
	return s.step(ctx, id, transition{what: "received", at: atPickup, from: []FulfilmentStatus{FulfilmentShipped},
		to: FulfilmentReceived}, func(st *stepState) error {
		return st.receive(s)
	})
}

// ReadyForPickup makes a fulfilment ready to collect at its pickup store (PACKED from the
// store's own stock, or RECEIVED from elsewhere): it sets a new 6-digit pickup code and
// sends it to the order's email (or phone) through the notifications outbox. A retry
// keeps the code sent and sends nothing. Staff of the pickup store (or managers).
func (s *Service) ReadyForPickup(ctx context.Context, id int64) (FulfilmentView, error) {
	return s.step(ctx, id, transition{what: "made ready for pickup", at: atPickup,
		from: []FulfilmentStatus{FulfilmentPacked, FulfilmentReceived}, to: FulfilmentReadyForPickup},
		func(st *stepState) error { return st.ready() })
}

// Collect hands a READY_FOR_PICKUP fulfilment over to the customer who gives the pickup
// code: its units leave the store (SALE). A wrong code is counted; after
// MaxPickupCodeAttempts the fulfilment is locked for CollectOverride. An order with money
// due is paid first. Errors: the common ones; apperr.List on code with reason
// WRONG_PICKUP_CODE; Conflict with reason PICKUP_CODE_LOCKED or UNPAID.
func (s *Service) Collect(ctx context.Context, id int64, code string) (FulfilmentView, error) {
	return s.step(ctx, id, transition{what: "collected", at: atPickup, from: []FulfilmentStatus{FulfilmentReadyForPickup},
		to: FulfilmentCollected, agrees: func(st *stepState) error { return st.sameCode(code) }}, func(st *stepState) error {
		return st.collect(s, code, "")
	})
}

// CollectOverride hands a READY_FOR_PICKUP fulfilment over without the code (lost, or
// locked after wrong tries), with the manager's reason (e.g. the identity document
// checked): audited. Managers only.
func (s *Service) CollectOverride(ctx context.Context, id int64, reason string) (FulfilmentView, error) {
	reason, err := managerReason(ctx, reason)
	if err != nil {
		return FulfilmentView{}, err
	}
	return s.step(ctx, id, transition{what: "collected", at: atPickup, from: []FulfilmentStatus{FulfilmentReadyForPickup},
		to: FulfilmentCollected, agrees: func(st *stepState) error { return st.sameOverride(EventCollected, "collected", reason) }},
		func(st *stepState) error {
			return st.collect(s, "", reason)
		})
}

// CancelFulfilment cancels a fulfilment whose goods have not left (OPEN, PICKING, PACKED,
// RECEIVED, READY_FOR_PICKUP) of an OPEN or ON_HOLD order, with the reason: its
// reservations are released, its units recorded as cancelled on the order lines and their
// value on the order (what is due drops; what was paid beyond is owed back: RefundDue).
// The order is CANCELLED when nothing is left of it, COMPLETED when the rest is done and
// paid. Staff of the source or pickup store, or managers. Errors: the common ones;
// apperr.List on reason.
func (s *Service) CancelFulfilment(ctx context.Context, id int64, reason string) (FulfilmentView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return FulfilmentView{}, apperr.List{apperr.Invalid("reason", "say why the fulfilment is cancelled, for the order's record")}
	}
	return s.step(ctx, id, transition{what: "cancelled", at: atEither, from: cancellable, to: FulfilmentCancelled,
		agrees: func(st *stepState) error { return st.sameCancellation(reason) }}, func(st *stepState) error {
		return st.cancelWhole(s, reason, "Cancelled: "+reason)
	})
}

// CancelLines cancels quantities of an OPEN or ON_HOLD order's lines that have not left
// yet, taking them from the order's fulfilments least advanced first: reservations are
// released, the units and their value recorded as cancelled (see CancelFulfilment), and a
// fulfilment left with nothing is cancelled. Staff of the fulfilments' locations, or
// managers. Errors: Unauthenticated, Forbidden, NotFound; Conflict (WRONG_STATUS) for an
// order not OPEN or ON_HOLD; apperr.List on reason, lines.<i>.orderLineId,
// lines.<i>.quantity (more than can still be cancelled).
func (s *Service) CancelLines(ctx context.Context, in CancelLinesInput) (Order, error) {
	return s.cancelLines(ctx, in)
}

// Reroute moves an OPEN fulfilment of an OPEN order, or some of its lines, to another
// active location, with the reason: the units are reserved there with the guarded
// reservation (as when the order was allocated) and released at the old location. The
// decision is recorded as a new allocation with its explanation, the moved units form a
// new OPEN fulfilment (ship-to-store when a pickup goes to another location than the
// pickup store), and the old one keeps the rest (or is cancelled when nothing is left).
// It returns the new fulfilment. Staff of the old location, or managers.
//
// Errors: the common ones; apperr.List on reason, locationId, lines.<i>.orderLineId,
// lines.<i>.quantity (reason INSUFFICIENT_STOCK when the location lacks units).
func (s *Service) Reroute(ctx context.Context, in RerouteInput) (FulfilmentView, error) {
	return s.reroute(ctx, in)
}

// FulfilmentByID returns one fulfilment with its order number, items and scan progress,
// scans and steps. Staff only. Errors: Unauthenticated, Forbidden, NotFound.
func (s *Service) FulfilmentByID(ctx context.Context, id int64) (FulfilmentView, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return FulfilmentView{}, err
	}
	return s.loadView(ctx, s.db, id, false, true)
}

// Fulfilments returns a page of a location's fulfilments (those it fulfils and those
// collected at it), oldest first, with their items. Staff only. Errors: Unauthenticated,
// Forbidden, apperr.List on locationId, statuses.
func (s *Service) Fulfilments(ctx context.Context, f QueueFilter) (FulfilmentPage, error) {
	return s.queue(ctx, f)
}

// PickList returns what to pick at a location for its OPEN and PICKING fulfilments, by
// bin then category. Staff only. Errors: Unauthenticated, Forbidden, apperr.List on
// locationId.
func (s *Service) PickList(ctx context.Context, locationID int64) (PickList, error) {
	return s.pickList(ctx, locationID)
}

// FulfilmentViewsByIDs returns the fulfilments with the given ids, with their items (not
// scans or steps), keyed by id: a batch for the transports' per-request loaders. Staff
// only. Errors: Unauthenticated, Forbidden.
func (s *Service) FulfilmentViewsByIDs(ctx context.Context, ids []int64) (map[int64]FulfilmentView, error) {
	return s.viewsByIDs(ctx, ids)
}
