// Package order is the one order book of every channel (web shop, app, tills,
// marketplaces): placing orders with server-side prices, coupons and tax, choosing the
// locations that fulfil them (and recording why), inspecting them, and taking payments.
//
// An order takes stock only through the inventory service's reservations, inside the
// order's own transaction, so an online order can never oversell; a till sale of goods in
// the customer's hands is never refused. Every state-changing call a client may retry
// takes an idempotency key: the same key and request return the first result.
//
// Errors that concern an input field come in an apperr.List with the field's path in the
// GraphQL input (e.g. lines.0.sku, fulfillment.shippingAddress.postalCode); the others
// are single *apperr.Error values (Unauthenticated, Forbidden, NotFound).
package order

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/promotion"
)

// Channel is where an order was placed.
type Channel string

const (
	Web         Channel = "WEB"
	App         Channel = "APP"
	POS         Channel = "POS"
	Marketplace Channel = "MARKETPLACE"
)

// Channels lists every channel.
var Channels = []Channel{Web, App, POS, Marketplace}

// Method is how goods reach the customer.
type Method string

const (
	// CarryOut: a till sale; the customer takes the goods now (POS only).
	CarryOut Method = "CARRY_OUT"
	// Ship: sent to an address.
	Ship Method = "SHIP"
	// Pickup: collected at a pickup-enabled store.
	Pickup Method = "PICKUP"
)

// Status is where an order stands as a whole. Payment is apart (PaymentStatus), and each
// fulfilment has its own status.
type Status string

const (
	// Open: placed and released to fulfilment.
	Open Status = "OPEN"
	// OnHold: inspection flagged it; a manager releases or cancels it.
	OnHold Status = "ON_HOLD"
	// Completed: every fulfilment is done and the order is paid.
	Completed Status = "COMPLETED"
	Cancelled Status = "CANCELLED"
)

// PaymentStatus says how much of the total is paid.
type PaymentStatus string

const (
	Unpaid        PaymentStatus = "UNPAID"
	PartiallyPaid PaymentStatus = "PARTIALLY_PAID"
	Paid          PaymentStatus = "PAID"
)

// PaymentMethod is how money was (or will be) paid.
type PaymentMethod string

const (
	Cash        PaymentMethod = "CASH"
	Card        PaymentMethod = "CARD"
	Online      PaymentMethod = "ONLINE"
	PayAtPickup PaymentMethod = "PAY_AT_PICKUP"
	StoreCredit PaymentMethod = "STORE_CREDIT"
	// Points pays with the customer's loyalty points, recorded at their money value.
	Points PaymentMethod = "POINTS"
)

// PaymentMethods lists every payment method.
var PaymentMethods = []PaymentMethod{Cash, Card, Online, PayAtPickup, StoreCredit, Points}

// FulfilmentStatus is where one location's part of an order stands.
type FulfilmentStatus string

const (
	FulfilmentOpen           FulfilmentStatus = "OPEN"
	FulfilmentPicking        FulfilmentStatus = "PICKING"
	FulfilmentPacked         FulfilmentStatus = "PACKED"
	FulfilmentShipped        FulfilmentStatus = "SHIPPED"
	FulfilmentReadyForPickup FulfilmentStatus = "READY_FOR_PICKUP"
	FulfilmentDelivered      FulfilmentStatus = "DELIVERED"
	FulfilmentCollected      FulfilmentStatus = "COLLECTED"
	FulfilmentCancelled      FulfilmentStatus = "CANCELLED"

	// FulfilmentReceived: a ship-to-store fulfilment arrived at its pickup store.
	FulfilmentReceived FulfilmentStatus = "RECEIVED"
)

// ReasonInsufficientStock is the client code of a line the order cannot have.
const ReasonInsufficientStock = inventory.ReasonInsufficientStock

// ReasonConflict is the client code of an idempotency key reused for another request.
const ReasonConflict = "CONFLICT"

// Order is an order as a whole: who, where, how much. Lines, fulfilments, payments and
// events are read apart (the ...ByOrderIDs methods, or Detail).
type Order struct {
	ID            int64          `db:"id"`
	Number        string         `db:"number"`
	Channel       Channel        `db:"channel"`
	Status        Status         `db:"status"`
	PaymentStatus PaymentStatus  `db:"payment_status"`
	PaymentMethod *PaymentMethod `db:"payment_method"`
	CustomerID    *int64         `db:"customer_id"`
	// Email and Phone are the contact for this order (the customer's, or the guest's).
	Email      *string `db:"email"`
	Phone      *string `db:"phone"`
	LocationID *int64  `db:"location_id"`
	// PlacedByKind and PlacedByID are the actor who placed it (a staff member ordering
	// for a customer, the customer, a guest, the system).
	PlacedByKind string `db:"placed_by_kind"`
	PlacedByID   *int64 `db:"placed_by_id"`
	// Amounts in minor units of Currency. Total = Subtotal − Discount + Shipping; Tax is
	// the part of Total that is tax (prices include it).
	Currency string `db:"currency"`
	Subtotal int64  `db:"subtotal"`
	Discount int64  `db:"discount"`
	Shipping int64  `db:"shipping"`
	Tax      int64  `db:"tax"`
	Total    int64  `db:"total"`
	Paid     int64  `db:"paid"`
	// CancelledAmount is the value of what was cancelled before it left (everything,
	// shipping included, once the whole order is cancelled): what is due drops by it.
	CancelledAmount int64 `db:"cancelled_amount"`
	// HoldReasons are why inspection held the order (kept after release).
	HoldReasons pq.StringArray `db:"hold_reasons"`
	CreatedAt   time.Time      `db:"created_at"`
	UpdatedAt   time.Time      `db:"updated_at"`

	// Replayed is true when PlaceOrder returned the order an earlier call with the same
	// idempotency key placed.
	Replayed bool `db:"-"`
}

// Due is what is left to pay.
func (o Order) Due() int64 { return max(0, o.Total-o.CancelledAmount-o.Paid) }

const orderColumns = `o.id, o.number, o.channel, o.status, o.payment_status, o.payment_method, o.customer_id,
	o.email, o.phone, o.location_id, o.placed_by_kind, o.placed_by_id, o.currency, o.subtotal, o.discount,
	o.shipping, o.tax, o.total, o.paid, o.cancelled_amount, o.hold_reasons, o.created_at, o.updated_at`

// Line is one variant on an order, with its price as sold. Total = Subtotal − Discount;
// Tax is the part of Total that is tax. The lines' taxes and the shipping's add up to the
// order's Tax.
type Line struct {
	ID        int64  `db:"id"`
	OrderID   int64  `db:"order_id"`
	LineNo    int    `db:"line_no"`
	VariantID int64  `db:"variant_id"`
	SKU       string `db:"sku"`
	Title     string `db:"title"`
	Quantity  int    `db:"quantity"`
	UnitPrice int64  `db:"unit_price"`
	Subtotal  int64  `db:"subtotal"`
	Discount  int64  `db:"discount"`
	Tax       int64  `db:"tax"`
	Total     int64  `db:"total"`
	// CancelledQuantity is how many of Quantity were cancelled before they left.
	CancelledQuantity int `db:"cancelled_quantity"`
}

const lineColumns = `c.id, c.order_id, c.line_no, c.variant_id, c.sku, c.title, c.quantity, c.unit_price,
	c.subtotal, c.discount, c.tax, c.total, c.cancelled_quantity`

// Fulfilment is what one location does for an order: hand goods over at the till, ship
// them, or have them collected at a pickup store. A PICKUP fulfilment whose LocationID is
// not its PickupLocationID is ship-to-store: the goods travel to the pickup store first.
type Fulfilment struct {
	ID               int64            `db:"id"`
	OrderID          int64            `db:"order_id"`
	AllocationID     int64            `db:"allocation_id"`
	LocationID       int64            `db:"location_id"`
	Method           Method           `db:"method"`
	Status           FulfilmentStatus `db:"status"`
	PickupLocationID *int64           `db:"pickup_location_id"`
	ShipAddress      *Address         `db:"ship_address"`
	// ExpectedReadyOn is when a ship-to-store fulfilment should be ready to collect.
	ExpectedReadyOn *time.Time `db:"expected_ready_on"`
	TransferID      *int64     `db:"transfer_id"`
	CreatedAt       time.Time  `db:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at"`
	Lines           []FulfilmentLine
}

// ShipToStore reports whether the goods travel to the pickup store first.
func (f Fulfilment) ShipToStore() bool {
	return f.Method == Pickup && f.PickupLocationID != nil && *f.PickupLocationID != f.LocationID
}

const fulfilmentColumns = `c.id, c.order_id, c.allocation_id, c.location_id, c.method, c.status,
	c.pickup_location_id, c.ship_address, c.expected_ready_on, c.transfer_id, c.created_at, c.updated_at`

// FulfilmentLine is a quantity of an order line that a fulfilment serves.
type FulfilmentLine struct {
	FulfilmentID int64 `db:"fulfilment_id"`
	OrderLineID  int64 `db:"order_line_id"`
	Quantity     int   `db:"quantity"`
}

// Allocation is one decision about which locations fulfil an order, with its explanation.
type Allocation struct {
	ID          int64       `db:"id"`
	OrderID     int64       `db:"order_id"`
	Method      Method      `db:"method"`
	Rule        Rule        `db:"rule"`
	Explanation Explanation `db:"explanation"`
	ActorKind   string      `db:"actor_kind"`
	ActorID     *int64      `db:"actor_id"`
	CreatedAt   time.Time   `db:"created_at"`
}

const allocationColumns = `c.id, c.order_id, c.method, c.rule, c.explanation, c.actor_kind, c.actor_id, c.created_at`

// Event is one entry of an order's timeline.
type Event struct {
	ID           int64     `db:"id"`
	OrderID      int64     `db:"order_id"`
	FulfilmentID *int64    `db:"fulfilment_id"`
	Kind         string    `db:"kind"`
	Message      string    `db:"message"`
	Data         EventData `db:"data"`
	ActorKind    string    `db:"actor_kind"`
	ActorID      *int64    `db:"actor_id"`
	ActorName    string    `db:"actor_name"`
	At           time.Time `db:"at"`
}

const eventColumns = `c.id, c.order_id, c.fulfilment_id, c.kind, c.message, c.data, c.actor_kind, c.actor_id,
	c.actor_name, c.at`

// Event kinds.
const (
	EventPlaced      = "PLACED"
	EventAllocated   = "ALLOCATED"
	EventDiscrepancy = "DISCREPANCY"
	EventHeld        = "HELD"
	EventReleased    = "RELEASED"
	EventCancelled   = "CANCELLED"
	EventPayment     = "PAYMENT"
	EventPaid        = "PAID"
	EventCompleted   = "COMPLETED"
)

// EventData is an event's details (amounts, discrepancies, reasons), as JSON.
type EventData map[string]any

// Scan implements sql.Scanner for a jsonb column.
func (d *EventData) Scan(src any) error { return scanJSON(src, d) }

// Value implements driver.Valuer.
func (d EventData) Value() (driver.Value, error) {
	if d == nil {
		return nil, nil
	}
	return jsonText(d)
}

// Config is the retailer's order rules.
type Config struct {
	// TaxRateBP is the tax included in prices, in basis points of the net price (500: 5%
	// VAT, Taiwan). An amount's tax is amount − round(amount ÷ (1 + rate)).
	TaxRateBP int64
	// ShippingFee is what shipping costs (minor units), unless the merchandise after
	// discounts comes to FreeShippingFrom or more (0: never free).
	ShippingFee      int64
	FreeShippingFrom int64
	// LocationPriority lists location codes in the order the retailer prefers them when
	// nothing else decides (no address coordinates); unlisted locations come after, by code.
	LocationPriority []string
	// ShipToStoreDays is how many days after ordering goods sent to a pickup store from
	// another location are expected ready.
	ShipToStoreDays int
	// MaxAttempts bounds how often PlaceOrder plans again when a location's stock is taken
	// between planning and reserving (each retry means another order got the units).
	MaxAttempts int
	// Inspection thresholds (see Inspect).
	Inspection Inspection
}

// Inspection holds the thresholds of the checks new orders go through.
type Inspection struct {
	// DuplicateWindow: an order with the same contact and lines as another placed this
	// recently is a likely duplicate (0 turns the check off).
	DuplicateWindow time.Duration
	// MaxLineQuantity: a line of more units is unusual (0: off).
	MaxLineQuantity int
	// MaxTotal: an order worth more is unusual (minor units; 0: off).
	MaxTotal int64
	// MaxFirstPayAtPickup: a customer's first order, paid at pickup, worth more is held
	// (minor units; 0: off).
	MaxFirstPayAtPickup int64
}

// DefaultConfig is Taiwan's 5% VAT, NT$80 shipping free from NT$990 (TWD minor units),
// no location priority (by code), ship-to-store in two days and conservative inspection
// thresholds.
func DefaultConfig() Config {
	return Config{
		TaxRateBP:        500,
		ShippingFee:      8000,
		FreeShippingFrom: 99000,
		ShipToStoreDays:  2,
		MaxAttempts:      8,
		Inspection: Inspection{
			DuplicateWindow:     10 * time.Minute,
			MaxLineQuantity:     20,
			MaxTotal:            10_000_000, // NT$100,000
			MaxFirstPayAtPickup: 500_000,    // NT$5,000
		},
	}
}

// Catalog is what orders need from the catalog: variants by SKU (the one price in every
// channel) and, for coupons limited to categories, their products.
type Catalog interface {
	VariantsBySKUs(ctx context.Context, skus []string) (map[string]catalog.Variant, error)
	ProductsByIDs(ctx context.Context, ids []int64) (map[int64]catalog.Product, error)
}

// Stock is what orders need from inventory: where stock is available (to plan) and the
// reservations taken in the order's transaction (to commit the plan without overselling).
type Stock interface {
	inventory.Reservations
	AvailabilityByVariantIDs(ctx context.Context, variantIDs []int64) (map[int64][]inventory.Availability, error)
}

// Locations lists the open stores and warehouses.
type Locations interface {
	List(ctx context.Context, f location.Filter) ([]location.Location, error)
}

// Coupons prices and redeems coupons.
type Coupons interface {
	CouponsByCodes(ctx context.Context, codes []string) (map[string]promotion.Coupon, error)
	Redeem(ctx context.Context, ext sqlx.ExtContext, field string, r promotion.Redemption) error
	CancelRedemptions(ctx context.Context, ext sqlx.ExtContext, orderID int64) error
}

// Deps are the services orders use; main.go wires the real ones.
type Deps struct {
	Catalog   Catalog
	Stock     Stock
	Locations Locations
	Coupons   Coupons
	// Payments confirms card and online payments; nil uses ManualPayments.
	Payments PaymentProvider

	StoreCredit CreditLedger // redeems STORE_CREDIT payments (internal/returns); nil refuses them
	// Points credits loyalty points when an order is paid, prices tier benefits and takes
	// POINTS payments; nil earns none, gives no tier benefits and refuses POINTS.
	Points PointsProgramme
}

// Service is the order use cases.
type Service struct {
	db      *sqlx.DB
	dep     Deps
	cfg     Config
	hotPath *hotPath
	notices notices
}

// NewService returns a Service on d. A zero MaxAttempts or ShipToStoreDays in cfg takes
// the default.
func NewService(d *sqlx.DB, deps Deps, cfg Config) *Service {
	def := DefaultConfig()
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = def.MaxAttempts
	}
	if cfg.ShipToStoreDays <= 0 {
		cfg.ShipToStoreDays = def.ShipToStoreDays
	}
	if deps.Payments == nil {
		deps.Payments = ManualPayments{}
	}
	return &Service{db: d, dep: deps, cfg: cfg, hotPath: &hotPath{stmts: map[string]*sqlx.Stmt{}}}
}

// scanJSON decodes a jsonb column (NULL leaves dst as it is).
func scanJSON(src, dst any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(v, dst)
	case string:
		return json.Unmarshal([]byte(v), dst)
	}
	return fmt.Errorf("cannot scan %T into %T", src, dst)
}

// jsonText returns v as JSON text. Text, not []byte: with lib/pq's binary_parameters a
// []byte is sent in jsonb's binary format, which it is not.
func jsonText(v any) (driver.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// errReplay reports, inside PlaceOrder's transaction, that the idempotency key is taken.
var errReplay = errors.New("idempotency key already used")
