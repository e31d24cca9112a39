// Package returns takes goods back from any order at any location (bought online,
// returned in a store), decides what becomes of each returned line (back into stock,
// written off as damaged, or held for inspection), refunds the customer (to the original
// payment methods, or as store credit) and keeps the customers' store credit ledger.
//
// Every change happens in one transaction that first locks the order's row, so returns,
// refunds and payments of one order never race: a line is never returned twice, an order
// is never refunded more than was paid. Stock moves through the inventory service in the
// same transaction. Creating a return and refunding take client idempotency keys: the
// same key and request return the first result; another request under the key is refused
// with CONFLICT.
//
// Errors that concern an input field come in an apperr.List with the field's path in the
// GraphQL input (e.g. lines.0.quantity); the others are single *apperr.Error values
// (Unauthenticated, Forbidden, NotFound).
package returns

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/inventory"
	"atrium/internal/loyalty"
	"atrium/internal/order"
)

// Status is where a return stands.
type Status string

const (
	// Open: received; dispositions may still change, the refund may still be due.
	Open Status = "OPEN"
	// Closed: every line decided and the refund done; nothing changes any more.
	Closed Status = "CLOSED"
)

// Disposition is what becomes of a returned line's units.
type Disposition string

const (
	// Restock: the units are sellable again, on hand at the receiving location (a RETURN
	// stock movement).
	Restock Disposition = "RESTOCK"
	// Damaged: the units are written off; they never count as stock (a unit restocked
	// before leaves again with a DAMAGE movement).
	Damaged Disposition = "DAMAGED"
	// ToInspect: the units are held out of sellable stock until someone decides.
	ToInspect Disposition = "TO_INSPECT"
)

// Dispositions lists every disposition.
var Dispositions = []Disposition{Restock, Damaged, ToInspect}

// Reason is why the customer returns a line.
type Reason string

const (
	ReasonDefective        Reason = "DEFECTIVE"
	ReasonDamagedInTransit Reason = "DAMAGED_IN_TRANSIT"
	ReasonWrongItem        Reason = "WRONG_ITEM"
	ReasonNotAsDescribed   Reason = "NOT_AS_DESCRIBED"
	ReasonSizeOrFit        Reason = "SIZE_OR_FIT"
	ReasonChangedMind      Reason = "CHANGED_MIND"
	ReasonArrivedLate      Reason = "ARRIVED_LATE"
	// ReasonOther needs a note saying what.
	ReasonOther Reason = "OTHER"
)

// Reasons lists every reason, in the order a form offers them.
var Reasons = []Reason{ReasonDefective, ReasonDamagedInTransit, ReasonWrongItem, ReasonNotAsDescribed,
	ReasonSizeOrFit, ReasonChangedMind, ReasonArrivedLate, ReasonOther}

// RefundTo is where a refund goes.
type RefundTo string

const (
	// ToOriginal refunds to the order's payments, newest first (see Refund).
	ToOriginal RefundTo = "ORIGINAL"
	// ToStoreCredit issues the whole refund as store credit to the order's customer.
	ToStoreCredit RefundTo = "STORE_CREDIT"
)

// Client codes (apperr Reason) of the refusals a client may want to tell apart.
const (
	// ReasonConflict: an idempotency key reused for another request.
	ReasonConflict = "CONFLICT"
	// ReasonOutsideWindow: the goods were handed over longer ago than the return window;
	// a manager may accept the return anyway with OverrideReason.
	ReasonOutsideWindow = "OUTSIDE_RETURN_WINDOW"
	// ReasonTooMany: more units than were bought, handed over and not yet returned.
	ReasonTooMany = "EXCEEDS_RETURNABLE"
	// ReasonNotHandedOver: the goods of the line have not left (not delivered nor collected).
	ReasonNotHandedOver = "NOT_HANDED_OVER"
	// ReasonNoCustomer: store credit for an order without a customer record.
	ReasonNoCustomer = "NO_CUSTOMER"
	// ReasonInsufficientCredit: a store credit payment larger than the balance.
	ReasonInsufficientCredit = "INSUFFICIENT_STORE_CREDIT"
	// ReasonNothingToRefund: the return is refunded already (or the order was not paid).
	ReasonNothingToRefund = "NOTHING_TO_REFUND"
	// ReasonWrongStatus: the return is closed.
	ReasonWrongStatus = "WRONG_STATUS"
)

// Return is goods of one order received back at one location, with what is owed for them.
type Return struct {
	ID          int64  `db:"id"`
	Number      string `db:"number"`
	OrderID     int64  `db:"order_id"`
	OrderNumber string `db:"order_number"`
	// LocationID is where the goods were received (and restocked).
	LocationID int64  `db:"location_id"`
	Status     Status `db:"status"`
	// CustomerID is the order's customer, if any.
	CustomerID *int64 `db:"customer_id"`
	// Amounts in minor units of Currency. Amount is the returned lines' totals (after
	// their discounts, tax included); Shipping is the order's shipping, refunded only by
	// the return that completes the return of the whole order; Total = Amount + Shipping;
	// Tax is the part of Total that is tax. Refunded is what has been refunded so far.
	Currency string `db:"currency"`
	Amount   int64  `db:"amount"`
	Shipping int64  `db:"shipping"`
	Tax      int64  `db:"tax"`
	Total    int64  `db:"total"`
	Refunded int64  `db:"refunded"`
	// WindowEndsAt is when the return window of its goods ended (or ends); a return
	// received later carries the manager's OverrideReason.
	WindowEndsAt   time.Time  `db:"window_ends_at"`
	OverrideReason string     `db:"override_reason"`
	Note           string     `db:"note"`
	CreatedByKind  string     `db:"created_by_kind"`
	CreatedByID    *int64     `db:"created_by_id"`
	CreatedByName  string     `db:"created_by_name"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
	ClosedAt       *time.Time `db:"closed_at"`

	// Replayed is true when Create returned the return an earlier call with the same
	// idempotency key created.
	Replayed bool `db:"-"`
}

// Due is what is still to refund for the return (before the cap of what the order paid).
func (r Return) Due() int64 { return r.Total - r.Refunded }

// Line is a quantity of one order line returned, with its refund amount and what becomes
// of the units.
type Line struct {
	ID          int64  `db:"id"`
	ReturnID    int64  `db:"return_id"`
	OrderLineID int64  `db:"order_line_id"`
	LineNo      int    `db:"line_no"`
	VariantID   int64  `db:"variant_id"`
	SKU         string `db:"sku"`
	Title       string `db:"title"`
	Quantity    int    `db:"quantity"`
	Reason      Reason `db:"reason"`
	Note        string `db:"note"`
	// Disposition is what becomes of the units now; Lot is the lot of a lot-tracked
	// variant's units (needed to restock them).
	Disposition Disposition `db:"disposition"`
	Lot         string      `db:"lot"`
	// Amount is the refund for these units (their share of the order line's total, after
	// discount, tax included); Discount and Tax are the shares of the line's discount and
	// tax in it.
	Amount    int64     `db:"amount"`
	Discount  int64     `db:"discount"`
	Tax       int64     `db:"tax"`
	UpdatedAt time.Time `db:"updated_at"`
}

// Refund is money given back for a return, or for goods cancelled after they were paid,
// by one method (one refund call may give back by several methods: one Refund each).
type Refund struct {
	ID int64 `db:"id"`
	// ReturnID is the return refunded; 0 for a refund of cancelled goods (RefundCancelled).
	ReturnID int64 `db:"return_id"`
	OrderID  int64 `db:"order_id"`
	// PaymentID is the payment refunded (nil for a refund as store credit).
	PaymentID *int64              `db:"payment_id"`
	Method    order.PaymentMethod `db:"method"`
	Amount    int64               `db:"amount"`
	Currency  string              `db:"currency"`
	// Reference is the till's note (a card refund slip); ProviderReference the refund
	// provider's own reference.
	Reference         string `db:"reference"`
	ProviderReference string `db:"provider_reference"`
	// StoreCreditEntryID is the store credit ledger entry of a refund to store credit.
	StoreCreditEntryID *int64    `db:"store_credit_entry_id"`
	ActorKind          string    `db:"actor_kind"`
	ActorID            *int64    `db:"actor_id"`
	ActorName          string    `db:"actor_name"`
	CreatedAt          time.Time `db:"created_at"`
}

// Detail is a return with its lines and refunds.
type Detail struct {
	Return
	Lines   []Line
	Refunds []Refund
}

// CreateInput is goods of one order received back at one location.
type CreateInput struct {
	// IdempotencyKey is generated by the client once per return (1–100 characters).
	IdempotencyKey string
	OrderID        int64
	// LocationID is the receiving store or warehouse (any location, not only the one
	// that sold). Associates and fulfilment staff receive at their home location.
	LocationID int64
	Lines      []LineInput
	Note       string
	// OverrideReason lets a manager accept goods past the return window; it is audited.
	// Ignored when every line is within the window.
	OverrideReason string
}

// LineInput is a quantity of one order line returned.
type LineInput struct {
	OrderLineID int64
	Quantity    int
	Reason      Reason
	// Note is free text; required with ReasonOther.
	Note        string
	Disposition Disposition
	// Lot names the lot of returned units of a lot-tracked variant when they are
	// restocked. Empty takes the lot the order's sale took, when it took exactly one.
	Lot string
}

// Quote is what a return would be, computed as Create would, without recording anything:
// the desk shows it before the associate confirms.
type Quote struct {
	OrderID     int64
	OrderNumber string
	Currency    string
	Lines       []QuoteLine
	// Amount, Shipping, Tax and Total as on Return.
	Amount, Shipping, Tax, Total int64
	// Refundable is what a refund would give back now: Total, at most what the order paid
	// and was not refunded yet.
	Refundable int64
	// WindowEndsAt is the earliest end of the lines' return windows; OutsideWindow says
	// it has passed (Create then needs a manager's OverrideReason).
	WindowEndsAt  time.Time
	OutsideWindow bool
	// StoreCreditCustomerID is the customer who would receive store credit (nil: the
	// order's guest has no customer record, so only the original methods are possible).
	StoreCreditCustomerID *int64
}

// QuoteLine is one line of a Quote.
type QuoteLine struct {
	LineInput
	LineNo                int
	SKU, Title            string
	Amount, Discount, Tax int64
	WindowEndsAt          time.Time
	OutsideWindow         bool
}

// Returnable is, for one order, what may still be returned.
type Returnable struct {
	OrderID     int64
	OrderNumber string
	Currency    string
	Lines       []ReturnableLine
	// Paid and Refunded are the order's; Paid − Refunded is the most any refund may give.
	Paid, Refunded int64
	// StoreCreditCustomerID: as on Quote.
	StoreCreditCustomerID *int64
}

// ReturnableLine is one order line with the units that may still be returned.
type ReturnableLine struct {
	OrderLineID int64
	LineNo      int
	VariantID   int64
	SKU, Title  string
	// Bought is the line's quantity; HandedOver the units delivered or collected (carried
	// out at a till); Returned the units already returned; Returnable = HandedOver −
	// Returned.
	Bought, HandedOver, Returned, Returnable int
	UnitPrice, Total                         int64
	// HandedOverAt is when the line's goods were last handed over (nil: not yet);
	// WindowEndsAt when its return window ends.
	HandedOverAt  *time.Time
	WindowEndsAt  *time.Time
	OutsideWindow bool
	// Lots are the lots the order's sale took for a lot-tracked variant.
	Lots []string
}

// DispositionInput changes what becomes of a returned line.
type DispositionInput struct {
	ReturnLineID int64
	Disposition  Disposition
	// Lot: as on LineInput, for a line restocked now.
	Lot  string
	Note string
}

// RefundInput refunds what a return is owed.
type RefundInput struct {
	// IdempotencyKey is generated by the client once per refund (1–100 characters).
	IdempotencyKey string
	ReturnID       int64
	To             RefundTo
	// Reference is the till's reference (a card refund slip number), optional.
	Reference string
}

// OrderRefundInput refunds what an order owes back for goods cancelled after they were
// paid (order.Order.RefundDue, less what was refunded for cancellations already).
type OrderRefundInput struct {
	// IdempotencyKey is generated by the client once per refund (1–90 characters).
	IdempotencyKey string
	OrderID        int64
	To             RefundTo
	Reference      string
}

// OrderRefundResult is the outcome of RefundCancelled.
type OrderRefundResult struct {
	Refunds  []Refund
	Replayed bool
}

// CancellationDue is what order o still owes back for cancelled goods, given its refunds:
// what it was paid beyond what it now comes to (o.RefundDue), less what was refunded for
// cancellations (refunds without a return).
func CancellationDue(o order.Order, refunds []Refund) int64 {
	due := o.RefundDue()
	for _, r := range refunds {
		if r.ReturnID == 0 && r.OrderID == o.ID {
			due -= r.Amount
		}
	}
	return max(0, due)
}

// RefundResult is a refund's outcome.
type RefundResult struct {
	// Refunds are the parts, one per method (or per payment) given back.
	Refunds []Refund
	Return  Return
	// Replayed is true when the key had already refunded: nothing new happened.
	Replayed bool
}

// Filter selects a page of returns, newest first. Zero fields do not filter.
type Filter struct {
	LocationID int64
	Status     Status
	OrderID    int64
	// After is the id of the last return of the previous page; First the page size
	// (1..MaxPage, 0 means 20).
	After int64
	First int
}

// MaxPage is the most items one page returns.
const MaxPage = 100

// Page is one page of returns.
type Page struct {
	Returns     []Return
	HasNextPage bool
}

// EntryKind is what a store credit entry did.
type EntryKind string

const (
	// Issue adds credit (a refund as store credit, or a refunded store credit payment).
	Issue EntryKind = "ISSUE"
	// Redeem spends credit (a STORE_CREDIT payment).
	Redeem EntryKind = "REDEEM"
)

// Balance is a customer's store credit.
type Balance struct {
	CustomerID int64
	Balance    int64
	Currency   string
}

// Entry is one row of a customer's store credit ledger; the balance is the sum of the
// entries' amounts.
type Entry struct {
	ID           int64     `db:"id"`
	CustomerID   int64     `db:"customer_id"`
	Kind         EntryKind `db:"kind"`
	Amount       int64     `db:"amount"`
	BalanceAfter int64     `db:"balance_after"`
	Currency     string    `db:"currency"`
	OrderID      *int64    `db:"order_id"`
	ReturnID     *int64    `db:"return_id"`
	PaymentID    *int64    `db:"payment_id"`
	Note         string    `db:"note"`
	ActorKind    string    `db:"actor_kind"`
	ActorID      *int64    `db:"actor_id"`
	ActorName    string    `db:"actor_name"`
	CreatedAt    time.Time `db:"created_at"`
}

// EntryPage is one page of store credit entries, newest first.
type EntryPage struct {
	Entries     []Entry
	HasNextPage bool
}

// Config is the retailer's return rules.
type Config struct {
	// WindowDays is how many days after the goods were handed over (delivered,
	// collected, carried out; the order date when unknown) they may be returned.
	WindowDays int
}

// DefaultConfig is a 30-day return window.
func DefaultConfig() Config { return Config{WindowDays: 30} }

// Stock is what returns need from inventory, in the return's transaction: units back on
// hand (RETURN movements) and units taken out again (DAMAGE, or ADJUSTMENT when restocked
// units go back to inspection).
type Stock interface {
	Restock(ctx context.Context, ext sqlx.ExtContext, ref string, lines []inventory.Line) error
	TakeOut(ctx context.Context, ext sqlx.ExtContext, kind inventory.Kind, ref, reason string, lines []inventory.Line) error
}

// Deps are the services returns use; main.go wires the real ones.
type Deps struct {
	Stock Stock
	// Refunder gives money back by card, online, cash; nil uses ManualRefunds.
	Refunder Refunder
	// Points takes back the loyalty points of refunded goods (internal/loyalty); nil
	// leaves points alone.
	Points Points
}

// Points is what refunds need from loyalty, in the refund's transaction.
type Points interface {
	ReverseForReturn(ctx context.Context, ext sqlx.ExtContext, returnID int64) (loyalty.Entry, error)
	ReverseForRefunds(ctx context.Context, ext sqlx.ExtContext, orderID int64) (loyalty.Entry, error)
}

// Service is the returns, refunds and store credit use cases.
type Service struct {
	db  *sqlx.DB
	dep Deps
	cfg Config
}

// NewService returns a Service on d; a zero WindowDays takes the default.
func NewService(d *sqlx.DB, deps Deps, cfg Config) *Service {
	if cfg.WindowDays <= 0 {
		cfg.WindowDays = DefaultConfig().WindowDays
	}
	if deps.Refunder == nil {
		deps.Refunder = ManualRefunds{}
	}
	return &Service{db: d, dep: deps, cfg: cfg}
}

// Config returns the rules the service applies.
func (s *Service) Config() Config { return s.cfg }

// The service implements the order service's store credit ledger.
var _ order.CreditLedger = (*Service)(nil)

// Refunder is where a real payment service plugs in to give money back. Refund calls it
// for every part that goes back by CARD, ONLINE, CASH or PAY_AT_PICKUP (store credit is
// Atrium's own ledger). It is called inside the refund's transaction while the order's row
// is locked: refunds of one order are rare, and holding the lock is what makes it
// impossible to give the same money back twice from two tills. A rolled-back transaction
// is retried with the same IdempotencyKey and part, which a real provider passes on as its
// own idempotency key, so the customer is refunded once.
type Refunder interface {
	// Refund gives r.Amount back and returns the provider's reference for it. Errors: an
	// *apperr.Error the associate can act on (declined, expired card; shown on the
	// reference field), or any other error.
	Refund(ctx context.Context, r RefundRequest) (RefundConfirmation, error)
}

// RefundRequest is one part of a refund to give back.
type RefundRequest struct {
	OrderID     int64
	OrderNumber string
	ReturnID    int64
	// IdempotencyKey is the refund call's key with the part's number (key/1, key/2...).
	IdempotencyKey string
	Method         order.PaymentMethod
	Amount         int64
	Currency       string
	// PaymentReference and PaymentProviderReference are those of the payment refunded.
	PaymentReference         string
	PaymentProviderReference string
	// Reference is the till's note (a card refund slip).
	Reference string
}

// RefundConfirmation is a Refunder's answer.
type RefundConfirmation struct {
	ProviderReference string
}

// ManualRefunds is the Refunder of a shop without a provider: cash is counted out of the
// till and cards are refunded on the store's terminal, with the slip's number as the
// reference; online payments are refunded in the provider's dashboard.
type ManualRefunds struct{}

// Refund implements Refunder.
func (ManualRefunds) Refund(_ context.Context, r RefundRequest) (RefundConfirmation, error) {
	return RefundConfirmation{ProviderReference: r.Reference}, nil
}

// Returnable returns what may still be returned of an order: per line, the units handed
// over (delivered, collected, carried out) and not returned yet, with the end of their
// return window; and what the order paid and was refunded. Staff only (the returns desk).
// Errors: Unauthenticated, Forbidden, NotFound.
func (s *Service) Returnable(ctx context.Context, orderID int64) (Returnable, error) {
	return s.returnable(ctx, orderID)
}

// Quote computes the return in would create, with its refund, without recording anything:
// the same checks as Create (except the idempotency key and the window override). Staff
// only. Errors: as Create.
func (s *Service) Quote(ctx context.Context, in CreateInput) (Quote, error) {
	return s.quote(ctx, in)
}

// Create records goods of an order received back at in.LocationID: any location, whatever
// the channel the order came from. Each line returns at most the units of its order line
// that were handed over (delivered, collected, carried out) and not returned before —
// which excludes cancelled units —, with a reason from Reasons (a note with OTHER) and a
// disposition: RESTOCK puts the units back on hand at the receiving location in the same
// transaction (a RETURN movement, in the sold lot for lot-tracked variants), DAMAGED and
// TO_INSPECT keep them out of stock. The amounts owed are computed from the order lines'
// totals (see Line.Amount and Return.Shipping). Goods handed over longer than
// Config.WindowDays ago need a manager's OverrideReason, which is audited. The order's
// timeline gets a RETURNED event.
//
// Who: staff with the ASSOCIATE, MANAGER or FULFILMENT role; associates and fulfilment
// staff at their home location only. Idempotent by in.IdempotencyKey (also when
// identical calls race).
//
// Errors: Unauthenticated, Forbidden (a window override by a non-manager too), NotFound
// (the order); apperr.List of Invalid fields: idempotencyKey, locationId, lines (none),
// lines.<i>.orderLineId (not on the order, twice, NOT_HANDED_OVER,
// OUTSIDE_RETURN_WINDOW), lines.<i>.quantity (EXCEEDS_RETURNABLE), lines.<i>.reason,
// lines.<i>.note, lines.<i>.disposition, lines.<i>.lot; Conflict on idempotencyKey
// (reason CONFLICT) when the key was used for another request.
func (s *Service) Create(ctx context.Context, in CreateInput) (Detail, error) {
	return s.create(ctx, in)
}

// SetDisposition changes what becomes of a returned line while its return is OPEN, and
// moves the stock to match at the return's location, in one transaction: to RESTOCK puts
// the units on hand (RETURN), from RESTOCK to DAMAGED takes them out again (DAMAGE), from
// RESTOCK to TO_INSPECT holds them out again (ADJUSTMENT); between DAMAGED and TO_INSPECT
// no stock moves. Units restocked and sold meanwhile cannot be taken out (an
// INSUFFICIENT_STOCK error says what is left). Setting the current disposition again is a
// no-op. Authorized as Create at the return's location.
//
// Errors: Unauthenticated, Forbidden, NotFound; apperr.List on disposition, lot, or
// Conflict (reason WRONG_STATUS) when the return is closed.
func (s *Service) SetDisposition(ctx context.Context, in DispositionInput) (Detail, error) {
	return s.setDisposition(ctx, in)
}

// Refund gives back what a return is owed (Return.Due), at most what its order paid and
// was not refunded yet, so an order is never refunded more than was paid:
//
//   - ToOriginal goes back to the order's payments newest first, each at most what it
//     paid less what was refunded to it. Newest first, not in proportion: a partial
//     return then touches one payment (one card refund instead of a few cents on each
//     method, which also costs the shop a fee per transaction), the payment that covered
//     the balance last — usually the card after store credit or a voucher — and a full
//     return gives every payment back exactly. A STORE_CREDIT payment goes back to the
//     customer's store credit; CARD, ONLINE, CASH and PAY_AT_PICKUP go through the
//     Refunder.
//   - ToStoreCredit issues everything as store credit to the order's customer; a guest
//     order needs a customer record with the order's email, else it is refused
//     (NO_CUSTOMER) and the associate refunds to the original method instead.
//
// Each part is a Refund row (method, amount, reference, actor) with an audit record; the
// order's timeline gets a REFUNDED event. Staff with the ASSOCIATE or MANAGER role
// (associates at their home location). Idempotent by in.IdempotencyKey.
//
// Errors: Unauthenticated, Forbidden, NotFound; apperr.List on idempotencyKey, to
// (NO_CUSTOMER), reference (the Refunder's refusal), returnId (NOTHING_TO_REFUND);
// Conflict on idempotencyKey (reason CONFLICT).
func (s *Service) Refund(ctx context.Context, in RefundInput) (RefundResult, error) {
	return s.refund(ctx, in)
}

// RefundCancelled gives back what an order was paid for goods cancelled since
// (CancellationDue), at most what it paid and was not refunded yet, split over the
// methods as Refund does (ToOriginal newest payment first, or ToStoreCredit). Each part is
// a Refund without a return, audited (order.refunded), with a REFUNDED event. Staff with
// the ASSOCIATE or MANAGER role. Idempotent by in.IdempotencyKey.
//
// Errors: Unauthenticated, Forbidden, NotFound; apperr.List on idempotencyKey, to
// (NO_CUSTOMER), reference (the Refunder's refusal), orderId (NOTHING_TO_REFUND);
// Conflict on idempotencyKey (reason CONFLICT).
func (s *Service) RefundCancelled(ctx context.Context, in OrderRefundInput) (OrderRefundResult, error) {
	return s.refundCancelled(ctx, in)
}

// RefundsByOrderIDs returns every refund of the visible orders among ids (for returns and
// for cancelled goods), oldest first, keyed by order id.
func (s *Service) RefundsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Refund, error) {
	return s.refundsByOrderIDs(ctx, ids)
}

// Close closes a return once every line is decided (none TO_INSPECT) and nothing is
// left to refund; then nothing about it changes any more. Authorized as SetDisposition.
// Errors: Unauthenticated, Forbidden, NotFound; apperr.List on lines (undecided) or
// returnId (a refund still due); Conflict (WRONG_STATUS) when already closed.
func (s *Service) Close(ctx context.Context, returnID int64, note string) (Detail, error) {
	return s.close(ctx, returnID, note)
}

// Detail returns a return with its lines and refunds. Staff see every return; a customer
// only those of their own orders. Errors: NotFound.
func (s *Service) Detail(ctx context.Context, id int64) (Detail, error) {
	return s.detail(ctx, id)
}

// ByNumber returns the return with a number (e.g. R-000012, case-insensitive), as Detail.
func (s *Service) ByNumber(ctx context.Context, number string) (Detail, error) {
	return s.byNumber(ctx, number)
}

// ReturnsByOrderIDs returns the returns of the visible orders among ids, oldest first,
// keyed by order id: the batch behind an order's returns (GraphQL loaders, order page).
func (s *Service) ReturnsByOrderIDs(ctx context.Context, ids []int64) (map[int64][]Return, error) {
	return s.returnsByOrderIDs(ctx, ids)
}

// LinesByReturnIDs returns the lines of the visible returns among ids, in order line
// order, keyed by return id.
func (s *Service) LinesByReturnIDs(ctx context.Context, ids []int64) (map[int64][]Line, error) {
	return s.linesByReturnIDs(ctx, ids)
}

// RefundsByReturnIDs returns the refunds of the visible returns among ids, oldest first,
// keyed by return id.
func (s *Service) RefundsByReturnIDs(ctx context.Context, ids []int64) (map[int64][]Refund, error) {
	return s.refundsByReturnIDs(ctx, ids)
}

// List returns a page of returns matching f, newest first: the desk's open returns at a
// location (Status OPEN, LocationID). Staff only. Errors: Unauthenticated, Forbidden.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	return s.list(ctx, f)
}

// StoreCredit returns a customer's store credit balance (zero without any entry). A
// customer sees only their own; staff anyone's. Errors: Unauthenticated, Forbidden.
func (s *Service) StoreCredit(ctx context.Context, customerID int64) (Balance, error) {
	return s.balance(ctx, customerID)
}

// StoreCreditEntries returns a page of a customer's store credit entries, newest first
// (after: the id of the last entry of the previous page; first: 1..MaxPage, 0 means 20).
// Authorized as StoreCredit.
func (s *Service) StoreCreditEntries(ctx context.Context, customerID, after int64, first int) (EntryPage, error) {
	return s.entries(ctx, customerID, after, first)
}

// RedeemForPayment implements order.CreditLedger: it takes a STORE_CREDIT payment from the
// balance of the order's customer (for a guest order, the customer with its email) in the
// payment's transaction, with one guarded statement, so concurrent payments can never take
// the balance below zero. The order service has authorized the payment.
func (s *Service) RedeemForPayment(ctx context.Context, ext sqlx.ExtContext, p order.CreditRedemption) error {
	return redeemForPayment(ctx, ext, p)
}
