package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/inventory"
	"atrium/internal/postgres"
)

// Status is where a purchase order stands.
type Status string

// Purchase order statuses.
const (
	Draft             Status = "DRAFT"
	Submitted         Status = "SUBMITTED"
	Approved          Status = "APPROVED"
	Sent              Status = "SENT"
	PartiallyReceived Status = "PARTIALLY_RECEIVED"
	Received          Status = "RECEIVED"
	Closed            Status = "CLOSED"
	Rejected          Status = "REJECTED"
	Cancelled         Status = "CANCELLED"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Draft, Submitted, Approved, Sent, PartiallyReceived, Received, Closed, Rejected, Cancelled}

// expecting are the statuses in which an order's outstanding units count as incoming.
var expecting = []Status{Approved, Sent, PartiallyReceived}

// Order is a purchase order.
type Order struct {
	ID           int64  `db:"id" json:"id"`
	SupplierID   int64  `db:"supplier_id" json:"supplierId"`
	SupplierCode string `db:"supplier_code" json:"supplierCode"`
	SupplierName string `db:"supplier_name" json:"supplierName"`
	LocationID   int64  `db:"location_id" json:"locationId"`
	LocationCode string `db:"location_code" json:"locationCode"`
	Currency     string `db:"currency" json:"currency"`
	// ExchangeRate to the company currency, recorded when the order was submitted.
	ExchangeRate    *decimal.Decimal `db:"exchange_rate" json:"exchangeRate"`
	ExpectedOn      *time.Time       `db:"expected_on" json:"expectedOn"`
	Note            string           `db:"note" json:"note"`
	Status          Status           `db:"status" json:"status"`
	ApprovalRound   int              `db:"approval_round" json:"approvalRound"`
	RejectionReason string           `db:"rejection_reason" json:"rejectionReason"`
	CreatedBy       int64            `db:"created_by" json:"createdBy"`
	CreatedByName   string           `db:"created_by_name" json:"createdByName"`
	CreatedAt       time.Time        `db:"created_at" json:"createdAt"`
	UpdatedAt       time.Time        `db:"updated_at" json:"updatedAt"`
	SubmittedAt     *time.Time       `db:"submitted_at" json:"submittedAt"`
	ApprovedAt      *time.Time       `db:"approved_at" json:"approvedAt"`
	SentAt          *time.Time       `db:"sent_at" json:"sentAt"`
	ClosedAt        *time.Time       `db:"closed_at" json:"closedAt"`
	Lines           []Line           `json:"lines"`
}

// Number is the order's name for people: PO-000042.
func (o Order) Number() string { return OrderNumber(o.ID) }

// Total is the order's amount in minor units of its currency: the sum of its lines, each
// rounded to minor units.
func (o Order) Total() int64 {
	var t int64
	for _, l := range o.Lines {
		t += l.Total(o.Currency)
	}
	return t
}

// Line is one variant of a purchase order.
type Line struct {
	ID        int64  `db:"id" json:"id"`
	Position  int    `db:"position" json:"position"`
	VariantID int64  `db:"variant_id" json:"variantId"`
	SKU       string `db:"sku" json:"sku"`
	// Title is the product's title and the variant's options: "Linen shirt · Camel / XS".
	Title       string `db:"title" json:"title"`
	SupplierSKU string `db:"supplier_sku" json:"supplierSku"`
	Quantity    int    `db:"quantity" json:"quantity"`
	// UnitCost is in major units of the order's currency.
	UnitCost   decimal.Decimal `db:"unit_cost" json:"unitCost"`
	Received   int             `db:"received" json:"received"`
	Rejected   int             `db:"rejected" json:"rejected"`
	LotTracked bool            `db:"lot_tracked" json:"lotTracked"`
}

// Total is quantity × unit cost in minor units of currency.
func (l Line) Total(currency string) int64 { return minorTotal(l.Quantity, l.UnitCost, currency) }

// Outstanding is what is still to be received of the line.
func (l Line) Outstanding() int { return max(0, l.Quantity-l.Received) }

const orderColumns = `o.id, o.supplier_id, su.code AS supplier_code, su.name AS supplier_name, o.location_id,
	l.code AS location_code, o.currency, o.exchange_rate, o.expected_on, o.note, o.status, o.approval_round,
	o.rejection_reason, o.created_by, st.name AS created_by_name, o.created_at, o.updated_at, o.submitted_at,
	o.approved_at, o.sent_at, o.closed_at`

const orderFrom = ` FROM purchase_orders o JOIN suppliers su ON su.id = o.supplier_id
	JOIN locations l ON l.id = o.location_id JOIN staff st ON st.id = o.created_by`

// OrderInput is a new purchase order, or a draft's (or rejected order's) new content.
type OrderInput struct {
	SupplierID int64
	// LocationID is where the goods are delivered: a warehouse or a store.
	LocationID int64
	// ExpectedOn is when the goods should arrive; nil takes today plus the supplier's
	// lead time.
	ExpectedOn *time.Time
	Note       string
	Lines      []LineInput
	// IdempotencyKey, when set (CreateOrder only), makes the creation happen once: a second
	// CreateOrder with the same key returns the order the first made (a double submit, a
	// retry after a lost answer), whoever retries; the key names one order for good.
	IdempotencyKey string
}

// ReasonKeyReused: an idempotency key already named an order for another supplier or
// location.
const ReasonKeyReused = "IDEMPOTENCY_KEY_REUSED"

// LineInput is one line of an order. The variant is named by VariantID or by Code: our
// SKU, a barcode, or the supplier's SKU.
type LineInput struct {
	VariantID int64
	Code      string
	Quantity  int
	// UnitCost in major units of the supplier's currency; nil takes the supplier item's.
	UnitCost *decimal.Decimal
}

// resolvedLine is a line input checked against the supplier's terms.
type resolvedLine struct {
	VariantID   int64
	SupplierSKU string
	Quantity    int
	UnitCost    decimal.Decimal
}

// CreateOrder records a DRAFT purchase order by the acting buyer. Quantities must respect
// the supplier item's pack size and minimum order quantity; a unit cost not given is the
// supplier item's. With an IdempotencyKey it is done once: a retry returns the order the
// first call made. Buyers, managers and admins. Errors: Unauthenticated, Forbidden,
// apperr.List (supplierId, locationId, expectedOn, idempotencyKey, lines.<i>.quantity
// with reason PACK_SIZE or MINIMUM_ORDER_QUANTITY, lines.<i>.unitCost, ...), Conflict
// (idempotencyKey with reason IDEMPOTENCY_KEY_REUSED).
func (s *Service) CreateOrder(ctx context.Context, in OrderInput) (Order, error) {
	a, err := actor.RequireStaff(ctx, buyers...)
	if err != nil {
		return Order{}, err
	}
	if a.ID == 0 {
		return Order{}, apperr.Forbidden("a purchase order is written by a staff member")
	}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	if n := len(in.IdempotencyKey); n > 200 {
		return Order{}, apperr.List{apperr.Invalid("idempotencyKey", "the key has %d characters: use at most 200", n)}
	}
	var o Order
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if o, err = orderByKey(ctx, tx, in); err != nil || o.ID != 0 {
			return err
		}
		o, err = s.createOrder(ctx, tx, a, in, "")
		return err
	})
	return o, err
}

// orderByKey returns the order created earlier with in's key (zero without key or order),
// refusing a key that named an order for another supplier or location.
func orderByKey(ctx context.Context, tx *sqlx.Tx, in OrderInput) (Order, error) {
	if in.IdempotencyKey == "" {
		return Order{}, nil
	}
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT id FROM purchase_orders WHERE idempotency_key = $1`, in.IdempotencyKey)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, nil
	}
	if err != nil {
		return Order{}, fmt.Errorf("order by key: %w", err)
	}
	o, err := loadOrder(ctx, tx, id, false)
	if err != nil {
		return Order{}, err
	}
	if o.SupplierID != in.SupplierID || o.LocationID != in.LocationID {
		return Order{}, apperr.Conflict("idempotencyKey", "this key was used for %s to %s: use a new key for another order",
			o.Number(), o.SupplierName).WithReason(ReasonKeyReused)
	}
	return o, nil
}

// createOrder writes a DRAFT order by a in tx, with comment on its first history row.
func (s *Service) createOrder(ctx context.Context, tx *sqlx.Tx, a actor.Actor, in OrderInput, comment string) (Order, error) {
	sup, lines, err := s.checkOrder(ctx, tx, &in)
	if err != nil {
		return Order{}, err
	}
	var key *string
	if in.IdempotencyKey != "" {
		key = &in.IdempotencyKey
	}
	var id int64
	// A concurrent call with the same key waits for the first, then inserts nothing.
	err = tx.GetContext(ctx, &id, `INSERT INTO purchase_orders (supplier_id, location_id, currency, expected_on, note, created_by,
			idempotency_key)
		VALUES ($1, $2, $3, $4::date, $5, $6, $7)
		ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
		in.SupplierID, in.LocationID, sup.Currency, dateArg(in.ExpectedOn), in.Note, a.ID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return orderByKey(ctx, tx, in)
	}
	if err != nil {
		return Order{}, postgres.MapError(err)
	}
	if err := insertLines(ctx, tx, id, lines); err != nil {
		return Order{}, err
	}
	if err := recordEvent(ctx, tx, id, nil, Draft, "CREATE", nil, comment); err != nil {
		return Order{}, err
	}
	o, err := loadOrder(ctx, tx, id, false)
	if err != nil {
		return Order{}, err
	}
	return o, audit.Record(ctx, tx, audit.Entry{Action: "purchase_order.created", Entity: "purchase_order", EntityID: id,
		After: o, Reason: comment})
}

// UpdateOrder replaces the content of a DRAFT or REJECTED order (its supplier, location,
// date, note and lines). Only its author (or an admin). Errors: as CreateOrder, NotFound,
// Forbidden, Conflict (PO_STATUS).
func (s *Service) UpdateOrder(ctx context.Context, id int64, in OrderInput) (Order, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Order{}, err
	}
	return s.inOrder(ctx, id, func(tx *sqlx.Tx, o *Order) error {
		if err := mustBe(*o, "edited", Draft, Rejected); err != nil {
			return err
		}
		if err := authorOnly(ctx, *o, "edit"); err != nil {
			return err
		}
		sup, lines, err := s.checkOrder(ctx, tx, &in)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE purchase_orders SET supplier_id = $2, location_id = $3, currency = $4,
			expected_on = $5::date, note = $6, updated_at = now() WHERE id = $1`,
			id, in.SupplierID, in.LocationID, sup.Currency, dateArg(in.ExpectedOn), in.Note)
		if err != nil {
			return postgres.MapError(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM purchase_order_lines WHERE order_id = $1`, id); err != nil {
			return err
		}
		if err := insertLines(ctx, tx, id, lines); err != nil {
			return err
		}
		before := *o
		after, err := loadOrder(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, id, &o.Status, o.Status, "EDIT", nil, ""); err != nil {
			return err
		}
		*o = after
		return audit.Record(ctx, tx, audit.Entry{Action: "purchase_order.updated", Entity: "purchase_order", EntityID: id,
			Before: before, After: after})
	})
}

// checkOrder validates in and resolves its lines against the supplier's terms.
func (s *Service) checkOrder(ctx context.Context, tx *sqlx.Tx, in *OrderInput) (Supplier, []resolvedLine, error) {
	in.Note = strings.TrimSpace(in.Note)
	var errs apperr.List
	var sup Supplier
	if in.SupplierID <= 0 {
		errs = append(errs, apperr.Invalid("supplierId", "choose the supplier to order from"))
	} else {
		err := tx.GetContext(ctx, &sup, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, in.SupplierID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			errs = append(errs, apperr.Invalid("supplierId", "no such supplier"))
		case err != nil:
			return sup, nil, err
		case !sup.Active:
			errs = append(errs, apperr.Invalid("supplierId", "%s is no longer bought from: reactivate it or choose another supplier", sup.Name))
		}
	}
	var locActive *bool
	if in.LocationID <= 0 {
		errs = append(errs, apperr.Invalid("locationId", "choose the warehouse or store the goods are delivered to"))
	} else if err := tx.GetContext(ctx, &locActive, `SELECT active FROM locations WHERE id = $1`, in.LocationID); err != nil || !*locActive {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return sup, nil, err
		}
		errs = append(errs, apperr.Invalid("locationId", "no such active location: choose a warehouse or store that receives goods"))
	}
	if in.ExpectedOn == nil && sup.ID != 0 {
		d := today(s.now()).AddDate(0, 0, sup.LeadTimeDays)
		in.ExpectedOn = &d
	} else if in.ExpectedOn != nil && in.ExpectedOn.Before(today(s.now())) {
		errs = append(errs, apperr.Invalid("expectedOn", "%s is in the past: give the date the goods should arrive, today or later",
			in.ExpectedOn.Format(time.DateOnly)))
	}
	if len(in.Lines) == 0 {
		errs = append(errs, apperr.Invalid("lines", "add at least one line"))
	}
	if len(errs) > 0 && sup.ID == 0 {
		return sup, nil, errs
	}
	lines, lineErrs, err := resolveLines(ctx, tx, sup, in.Lines)
	if err != nil {
		return sup, nil, err
	}
	errs = append(errs, lineErrs...)
	return sup, lines, errs.Err()
}

// resolveLines finds each line's variant and the supplier's terms for it, and checks
// quantities and costs.
func resolveLines(ctx context.Context, q sqlx.QueryerContext, sup Supplier, in []LineInput) ([]resolvedLine, apperr.List, error) {
	var errs apperr.List
	out := make([]resolvedLine, len(in))
	seen := map[int64]int{}
	for i, l := range in {
		field := func(name string) string { return fmt.Sprintf("lines.%d.%s", i, name) }
		code := strings.TrimSpace(l.Code)
		var v struct {
			ID    int64  `db:"id"`
			SKU   string `db:"sku"`
			Title string `db:"title"`
		}
		err := sqlx.GetContext(ctx, q, &v, `SELECT v.id, v.sku, v.title FROM variants v
			WHERE ($1 > 0 AND v.id = $1) OR ($1 = 0 AND $2 <> '' AND (upper(v.sku) = upper($2) OR v.barcode = $2
				OR v.id = (SELECT variant_id FROM supplier_items WHERE supplier_id = $3 AND supplier_sku = $2)))
			LIMIT 1`, l.VariantID, code, sup.ID)
		switch {
		case errors.Is(err, sql.ErrNoRows) && l.VariantID == 0 && code == "":
			errs = append(errs, apperr.Invalid(field("variantId"), "choose a variant, or type or scan its SKU or barcode"))
			continue
		case errors.Is(err, sql.ErrNoRows):
			errs = append(errs, apperr.Invalid(field("variantId"), "no variant has the SKU, barcode or supplier code %q", cmpOr(code, fmt.Sprint(l.VariantID))))
			continue
		case err != nil:
			return nil, nil, err
		}
		if j, dup := seen[v.ID]; dup {
			errs = append(errs, apperr.Invalid(field("variantId"), "%s is also on line %d: change that line's quantity instead", v.SKU, j+1).WithReason("DUPLICATE"))
			continue
		}
		seen[v.ID] = i
		out[i] = resolvedLine{VariantID: v.ID, Quantity: l.Quantity}
		var item SupplierItem
		err = sqlx.GetContext(ctx, q, &item, `SELECT `+supplierItemColumns+supplierItemFrom+`
			WHERE i.supplier_id = $1 AND i.variant_id = $2`, sup.ID, v.ID)
		known := err == nil && item.Active
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, err
		}
		if known {
			out[i].SupplierSKU = item.SupplierSKU
		}
		switch {
		case l.Quantity <= 0:
			errs = append(errs, apperr.Invalid(field("quantity"), "enter how many units of %s to order", v.SKU))
		case known && l.Quantity%item.PackSize != 0:
			lower := l.Quantity / item.PackSize * item.PackSize
			upper := lower + item.PackSize
			hint := fmt.Sprintf("order %d", max(upper, item.MinOrderQty))
			if lower >= item.MinOrderQty && lower > 0 {
				hint = fmt.Sprintf("order %d or %d", lower, upper)
			}
			errs = append(errs, apperr.Invalid(field("quantity"), "%s comes in packs of %d from %s: %d is not a whole number of packs; %s",
				v.SKU, item.PackSize, sup.Name, l.Quantity, hint).WithReason(ReasonPackSize))
		case known && l.Quantity < item.MinOrderQty:
			errs = append(errs, apperr.Invalid(field("quantity"), "%s takes orders of at least %d units of %s: order %d or more",
				sup.Name, item.MinOrderQty, v.SKU, item.MinOrderQty).WithReason(ReasonMinimumQuantity))
		}
		switch {
		case l.UnitCost != nil:
			before := len(errs)
			if errs = checkCost(errs, field("unitCost"), *l.UnitCost); len(errs) == before {
				out[i].UnitCost = *l.UnitCost
			}
		case known:
			out[i].UnitCost = item.UnitCost
		default:
			errs = append(errs, apperr.Invalid(field("unitCost"),
				"%s is not on %s's price list: give the unit cost in %s, or add it to the supplier's items first",
				v.SKU, sup.Name, sup.Currency))
		}
	}
	return out, errs, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func insertLines(ctx context.Context, ext sqlx.ExtContext, orderID int64, lines []resolvedLine) error {
	variants, skus, qtys, costs := make([]int64, len(lines)), make([]string, len(lines)), make([]int64, len(lines)), make([]string, len(lines))
	for i, l := range lines {
		variants[i], skus[i], qtys[i], costs[i] = l.VariantID, l.SupplierSKU, int64(l.Quantity), l.UnitCost.String()
	}
	_, err := ext.ExecContext(ctx, `INSERT INTO purchase_order_lines (order_id, position, variant_id, supplier_sku, quantity, unit_cost)
		SELECT $1, t.n, t.v, t.s, t.q, t.c::numeric FROM unnest($2::bigint[], $3::text[], $4::int[], $5::text[])
			WITH ORDINALITY AS t(v, s, q, c, n)`,
		orderID, pq.Array(variants), pq.Array(skus), pq.Array(qtys), pq.Array(costs))
	if err != nil {
		return fmt.Errorf("purchase order lines: %w", postgres.MapError(err))
	}
	return nil
}

// Submit sends a DRAFT or REJECTED order for approval: it must meet the supplier's minimum
// order value; its total is converted at the current rate (recorded on the order) and the
// approval rules decide which levels it needs. Only its author (or an admin).
// Errors: Unauthenticated, Forbidden, NotFound, Conflict (PO_STATUS), apperr.List (total
// with reason MINIMUM_ORDER_VALUE, currency with reason NO_EXCHANGE_RATE).
func (s *Service) Submit(ctx context.Context, id int64, comment string) (Order, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Order{}, err
	}
	return s.inOrder(ctx, id, func(tx *sqlx.Tx, o *Order) error {
		if err := mustBe(*o, "submitted", Draft, Rejected); err != nil {
			return err
		}
		if err := authorOnly(ctx, *o, "submit"); err != nil {
			return err
		}
		var sup Supplier
		if err := tx.GetContext(ctx, &sup, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, o.SupplierID); err != nil {
			return err
		}
		var errs apperr.List
		if o.Total() < sup.MinOrderAmount {
			errs = append(errs, apperr.Invalid("total", "the order totals %s; %s's minimum order is %s: add lines or quantities",
				formatAmount(o.Total(), o.Currency), sup.Name, formatAmount(sup.MinOrderAmount, sup.Currency)).WithReason(ReasonMinimumOrderValue))
		}
		if o.ExpectedOn != nil && o.ExpectedOn.Before(today(s.now())) {
			errs = append(errs, apperr.Invalid("expectedOn", "the expected date %s has passed: edit the order with a new date",
				o.ExpectedOn.Format(time.DateOnly)))
		}
		rate, company, err := rateFor(ctx, tx, o.Currency)
		if e, ok := apperr.As(err); ok {
			errs = append(errs, e)
		} else if err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		levels, err := requiredLevels(ctx, tx, *o, convert(o.Total(), o.Currency, rate, company))
		if err != nil {
			return err
		}
		round := o.ApprovalRound + 1
		_, err = tx.ExecContext(ctx, `UPDATE purchase_orders SET status = 'SUBMITTED', exchange_rate = $2, approval_round = $3,
			rejection_reason = '', submitted_at = now(), updated_at = now() WHERE id = $1`, id, rate, round)
		if err != nil {
			return err
		}
		for _, l := range levels {
			_, err := tx.ExecContext(ctx, `INSERT INTO purchase_order_approvals (order_id, round, level, roles) VALUES ($1, $2, $3, $4)`,
				id, round, l.Level, pq.Array(rolesText(l.Roles)))
			if err != nil {
				return err
			}
		}
		return s.transition(ctx, tx, o, Submitted, "SUBMIT", nil, comment)
	})
}

// SendInput is how an approved order goes to the supplier.
type SendInput struct {
	// ExpectedOn replaces the expected arrival date when given (confirmed by the supplier).
	ExpectedOn *time.Time
	Comment    string
}

// Send marks an APPROVED order as sent to the supplier: it is emailed to the supplier (when
// it has an address) and the receiving location is told what arrives when (GOODS_ARRIVING).
// Buyers, managers and admins. Errors: Unauthenticated, Forbidden, NotFound, Conflict
// (PO_STATUS), apperr.List (expectedOn).
func (s *Service) Send(ctx context.Context, id int64, in SendInput) (Order, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Order{}, err
	}
	return s.inOrder(ctx, id, func(tx *sqlx.Tx, o *Order) error {
		if err := mustBe(*o, "sent", Approved); err != nil {
			return err
		}
		if in.ExpectedOn != nil {
			if in.ExpectedOn.Before(today(s.now())) {
				return apperr.List{apperr.Invalid("expectedOn", "%s is in the past: give the arrival date the supplier confirmed",
					in.ExpectedOn.Format(time.DateOnly))}
			}
			o.ExpectedOn = in.ExpectedOn
		}
		if o.ExpectedOn == nil {
			return apperr.List{apperr.Invalid("expectedOn", "give the date the supplier will deliver, so the receiving location can plan")}
		}
		_, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET status = 'SENT', expected_on = $2::date, sent_at = now(),
			updated_at = now() WHERE id = $1`, id, dateArg(o.ExpectedOn))
		if err != nil {
			return err
		}
		comment := strings.TrimSpace(in.Comment)
		sent, err := s.mailSupplier(ctx, tx, *o)
		if err != nil {
			return err
		}
		if !sent {
			comment = strings.TrimSpace(comment + " (the supplier has no email address: send the order another way)")
		}
		told, err := s.noticeArriving(ctx, tx, *o)
		if err != nil {
			return err
		}
		if told == 0 {
			comment = strings.TrimSpace(comment + " " + nobodyToTell(*o))
		}
		if err := announceGoods(ctx, tx, KindGoodsArriving, *o); err != nil {
			return err
		}
		return s.transition(ctx, tx, o, Sent, "SEND", nil, comment)
	})
}

// Close closes a RECEIVED or PARTIALLY_RECEIVED order: nothing more is expected, and what
// was still outstanding leaves the location's incoming stock. Buyers, managers and admins.
// Errors: Unauthenticated, Forbidden, NotFound, Conflict (PO_STATUS).
func (s *Service) Close(ctx context.Context, id int64, comment string) (Order, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Order{}, err
	}
	return s.inOrder(ctx, id, func(tx *sqlx.Tx, o *Order) error {
		if err := mustBe(*o, "closed", Received, PartiallyReceived); err != nil {
			return err
		}
		comment = strings.TrimSpace(comment)
		if o.Status == PartiallyReceived && comment == "" {
			return apperr.List{apperr.Invalid("comment", "say why the rest of the order will not be received")}
		}
		if err := releaseIncoming(ctx, tx, *o, "order closed"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET status = 'CLOSED', closed_at = now(), updated_at = now()
			WHERE id = $1`, id); err != nil {
			return err
		}
		return s.transition(ctx, tx, o, Closed, "CLOSE", nil, comment)
	})
}

// Cancel cancels an order before any goods arrive (DRAFT, SUBMITTED, REJECTED, APPROVED or
// SENT); an approved order's units leave the location's incoming stock. A reason is
// required. Buyers, managers and admins. Errors: Unauthenticated, Forbidden, NotFound,
// Conflict (PO_STATUS), apperr.List (reason).
func (s *Service) Cancel(ctx context.Context, id int64, reason string) (Order, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Order{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Order{}, apperr.List{apperr.Invalid("reason", "say why the order is cancelled")}
	}
	return s.inOrder(ctx, id, func(tx *sqlx.Tx, o *Order) error {
		if err := mustBe(*o, "cancelled", Draft, Submitted, Rejected, Approved, Sent); err != nil {
			return err
		}
		if slices.Contains(expecting, o.Status) {
			if err := releaseIncoming(ctx, tx, *o, "order cancelled"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET status = 'CANCELLED', closed_at = now(), updated_at = now()
			WHERE id = $1`, id); err != nil {
			return err
		}
		return s.transition(ctx, tx, o, Cancelled, "CANCEL", nil, reason)
	})
}

// releaseIncoming takes what is still outstanding of o out of its location's incoming.
func releaseIncoming(ctx context.Context, ext sqlx.ExtContext, o Order, why string) error {
	for _, l := range byVariant(o.Lines) {
		if l.Outstanding() == 0 {
			continue
		}
		_, err := inventory.ApplyPurchase(ctx, ext, inventory.PurchaseChange{LocationID: o.LocationID, VariantID: l.VariantID,
			Incoming: -l.Outstanding(), Reference: reference(o.ID), Reason: o.Number() + " " + why})
		if err != nil {
			return err
		}
	}
	return nil
}

// byVariant returns lines in variant order: the order stock levels are locked in.
func byVariant(lines []Line) []Line {
	out := slices.Clone(lines)
	slices.SortFunc(out, func(a, b Line) int { return int(a.VariantID - b.VariantID) })
	return out
}

// mustBe refuses an action (described by verb, e.g. "approved") on an order not in one of
// the statuses allowed.
func mustBe(o Order, verb string, allowed ...Status) error {
	if slices.Contains(allowed, o.Status) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, st := range allowed {
		names[i] = string(st)
	}
	return apperr.Conflict("", "%s is %s: it can be %s only while %s", o.Number(), o.Status, verb,
		strings.Join(names, " or ")).WithReason(ReasonStatus)
}

// authorOnly lets only the order's author (or an admin) do what verb says.
func authorOnly(ctx context.Context, o Order, verb string) error {
	a := actor.From(ctx)
	if a.ID == o.CreatedBy || a.Kind == actor.System || slices.Contains(a.Roles, actor.Admin) {
		return nil
	}
	return apperr.Forbidden("only %s, who wrote %s, can %s it", o.CreatedByName, o.Number(), verb)
}

// inOrder runs fn on order id, locked, in a transaction, and returns the order as fn left
// it (reloaded).
func (s *Service) inOrder(ctx context.Context, id int64, fn func(*sqlx.Tx, *Order) error) (Order, error) {
	var o Order
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		if o, err = loadOrder(ctx, tx, id, true); err != nil {
			return err
		}
		if err := fn(tx, &o); err != nil {
			return err
		}
		o, err = loadOrder(ctx, tx, id, false)
		return err
	})
	return o, err
}

// transition records o's move to status: a history row and an audit record.
func (s *Service) transition(ctx context.Context, ext sqlx.ExtContext, o *Order, to Status, action string, level *int, comment string) error {
	from := o.Status
	if err := recordEvent(ctx, ext, o.ID, &from, to, action, level, comment); err != nil {
		return err
	}
	after := map[string]any{"status": to}
	if level != nil {
		after["level"] = *level
	}
	return audit.Record(ctx, ext, audit.Entry{Action: "purchase_order." + strings.ToLower(action), Entity: "purchase_order",
		EntityID: o.ID, Before: map[string]any{"status": from}, After: after, Reason: strings.TrimSpace(comment)})
}

// recordEvent writes a history row of order id.
func recordEvent(ctx context.Context, ext sqlx.ExtContext, id int64, from *Status, to Status, action string, level *int, comment string) error {
	a := actor.From(ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	_, err := ext.ExecContext(ctx, `INSERT INTO purchase_order_events (order_id, from_status, to_status, action, level,
		actor_kind, actor_id, actor_name, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, from, to, action, level, string(a.Kind), actorID, a.Name, strings.TrimSpace(comment))
	if err != nil {
		return fmt.Errorf("purchase order history: %w", err)
	}
	return nil
}

// loadOrder returns order id with its lines, locking it when forUpdate.
func loadOrder(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (Order, error) {
	query := `SELECT ` + orderColumns + orderFrom + ` WHERE o.id = $1`
	if forUpdate {
		query += ` FOR UPDATE OF o`
	}
	var o Order
	if err := sqlx.GetContext(ctx, q, &o, query, id); err != nil {
		return Order{}, postgres.NotFound(err, "no purchase order with id %d", id)
	}
	os := []Order{o}
	err := withLines(ctx, q, os)
	return os[0], err
}

// withLines loads the lines of os, in position order.
func withLines(ctx context.Context, q sqlx.QueryerContext, os []Order) error {
	if len(os) == 0 {
		return nil
	}
	ids := make([]int64, len(os))
	for i, o := range os {
		ids[i] = o.ID
	}
	var lines []struct {
		OrderID int64 `db:"order_id"`
		Line
	}
	err := sqlx.SelectContext(ctx, q, &lines, `SELECT pl.order_id, pl.id, pl.position, pl.variant_id, v.sku,
		concat_ws(' · ', p.title, nullif(v.title, '')) AS title, pl.supplier_sku, pl.quantity, pl.unit_cost, pl.received,
		pl.rejected, p.lot_tracked
		FROM purchase_order_lines pl JOIN variants v ON v.id = pl.variant_id JOIN products p ON p.id = v.product_id
		WHERE pl.order_id = ANY($1) ORDER BY pl.order_id, pl.position`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("purchase order lines: %w", err)
	}
	byID := make(map[int64][]Line, len(os))
	for _, l := range lines {
		byID[l.OrderID] = append(byID[l.OrderID], l.Line)
	}
	for i := range os {
		os[i].Lines = byID[os[i].ID]
	}
	return nil
}

// Event is one row of an order's history.
type Event struct {
	ID         int64     `db:"id" json:"id"`
	FromStatus *Status   `db:"from_status" json:"fromStatus"`
	ToStatus   Status    `db:"to_status" json:"toStatus"`
	Action     string    `db:"action" json:"action"`
	Level      *int      `db:"level" json:"level"`
	ActorKind  string    `db:"actor_kind" json:"actorKind"`
	ActorID    *int64    `db:"actor_id" json:"actorId"`
	ActorName  string    `db:"actor_name" json:"actorName"`
	Comment    string    `db:"comment" json:"comment"`
	At         time.Time `db:"at" json:"at"`
}

// Detail is an order with its approvals, history and receipts.
type Detail struct {
	Order
	// Approvals are the levels of the current round, in level order.
	Approvals []Approval
	History   []Event
	Receipts  []Receipt
	// CompanyTotal is the total in the company currency at the order's rate (nil before it
	// is submitted), and CompanyCurrency that currency.
	CompanyTotal    *int64
	CompanyCurrency string
}

// Order returns an order with its approvals, history (oldest first) and receipts. Errors:
// Unauthenticated, Forbidden, NotFound.
func (s *Service) Order(ctx context.Context, id int64) (Detail, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return Detail{}, err
	}
	o, err := loadOrder(ctx, s.db, id, false)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Order: o}
	if d.CompanyCurrency, err = companyCurrency(ctx, s.db); err != nil {
		return Detail{}, err
	}
	if o.ExchangeRate != nil {
		t := convert(o.Total(), o.Currency, *o.ExchangeRate, d.CompanyCurrency)
		d.CompanyTotal = &t
	}
	if d.Approvals, err = approvals(ctx, s.db, o.ID, o.ApprovalRound); err != nil {
		return Detail{}, err
	}
	if err := s.db.SelectContext(ctx, &d.History, `SELECT id, from_status, to_status, action, level, actor_kind, actor_id,
		actor_name, comment, at FROM purchase_order_events WHERE order_id = $1 ORDER BY id`, id); err != nil {
		return Detail{}, fmt.Errorf("purchase order history: %w", err)
	}
	if d.Receipts, err = receipts(ctx, s.db, id); err != nil {
		return Detail{}, err
	}
	return d, nil
}

// OrderFilter selects purchase orders. Zero fields do not filter.
type OrderFilter struct {
	Statuses   []Status
	SupplierID int64
	LocationID int64
	// AuthorID is the staff member who wrote the orders.
	AuthorID int64
	// ApproverID is a staff member who approved a level of the orders.
	ApproverID int64
	// CreatedFrom and CreatedTo bound the creation date (inclusive, UTC dates).
	CreatedFrom, CreatedTo *time.Time
	// After is the id of the last order of the previous page (0 for the first page).
	After int64
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// MaxPage is the most orders one page returns.
const MaxPage = 100

// OrderPage is one page of orders, newest first.
type OrderPage struct {
	Orders      []Order
	HasNextPage bool
}

// Orders returns a page of purchase orders with their lines, newest first. Errors:
// Unauthenticated, Forbidden, apperr.List (first, statuses).
func (s *Service) Orders(ctx context.Context, f OrderFilter) (OrderPage, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return OrderPage{}, err
	}
	if f.First == 0 {
		f.First = 20
	}
	if f.First < 1 || f.First > MaxPage {
		return OrderPage{}, apperr.List{apperr.Invalid("first", "a page has between 1 and %d orders", MaxPage)}
	}
	statuses := make([]string, len(f.Statuses))
	for i, st := range f.Statuses {
		if !slices.Contains(Statuses, st) {
			return OrderPage{}, apperr.List{apperr.Invalid("statuses", "%q is not a purchase order status", st)}
		}
		statuses[i] = string(st)
	}
	var os []Order
	err := s.db.SelectContext(ctx, &os, `SELECT `+orderColumns+orderFrom+`
		WHERE (cardinality($1::text[]) = 0 OR o.status = ANY($1))
		  AND ($2 = 0 OR o.supplier_id = $2) AND ($3 = 0 OR o.location_id = $3) AND ($4 = 0 OR o.created_by = $4)
		  AND ($5 = 0 OR EXISTS (SELECT 1 FROM purchase_order_approvals a WHERE a.order_id = o.id AND a.approved_by = $5))
		  AND ($6::date IS NULL OR (o.created_at AT TIME ZONE 'UTC')::date >= $6::date)
		  AND ($7::date IS NULL OR (o.created_at AT TIME ZONE 'UTC')::date <= $7::date)
		  AND ($8 = 0 OR o.id < $8)
		ORDER BY o.id DESC LIMIT $9`,
		pq.Array(statuses), f.SupplierID, f.LocationID, f.AuthorID, f.ApproverID, dateArg(f.CreatedFrom), dateArg(f.CreatedTo),
		f.After, f.First+1)
	if err != nil {
		return OrderPage{}, fmt.Errorf("purchase orders: %w", err)
	}
	page := OrderPage{Orders: os}
	if len(os) > f.First {
		page.Orders, page.HasNextPage = os[:f.First], true
	}
	return page, withLines(ctx, s.db, page.Orders)
}
