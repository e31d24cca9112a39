package returns

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
	"atrium/internal/money"
	"atrium/internal/postgres"
	"atrium/internal/promotion"
)

// orderRow is what returns need of an order.
type orderRow struct {
	ID         int64     `db:"id"`
	Number     string    `db:"number"`
	Currency   string    `db:"currency"`
	CustomerID *int64    `db:"customer_id"`
	Email      *string   `db:"email"`
	Shipping   int64     `db:"shipping"`
	Tax        int64     `db:"tax"`
	Total      int64     `db:"total"`
	Paid       int64     `db:"paid"`
	Cancelled  int64     `db:"cancelled_amount"`
	CreatedAt  time.Time `db:"created_at"`
	// Refunded is the sum of the order's refunds; CancelRefunded the part of it for
	// cancelled goods (refunds without a return).
	Refunded       int64 `db:"refunded"`
	CancelRefunded int64 `db:"cancel_refunded"`
}

const orderRowSQL = `SELECT o.id, o.number, o.currency, o.customer_id, o.email, o.shipping, o.tax, o.total, o.paid,
	o.cancelled_amount, o.created_at,
	(SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.order_id = o.id) AS refunded,
	(SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.order_id = o.id AND r.return_id IS NULL) AS cancel_refunded
	FROM orders o WHERE o.id = $1`

// loadOrder reads an order, locking its row when lock (every change to an order's
// returns and refunds takes this lock first). Errors: NotFound.
func loadOrder(ctx context.Context, q sqlx.QueryerContext, id int64, lock bool) (orderRow, error) {
	var o orderRow
	if lock {
		// The lock first, the figures in a later statement: a statement that waited for the
		// lock would still see the refunds as they were when it began.
		ext, ok := q.(sqlx.ExecerContext)
		if !ok {
			return o, fmt.Errorf("lock order: %T cannot execute", q)
		}
		res, err := ext.ExecContext(ctx, `SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return o, fmt.Errorf("lock order: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return o, apperr.NotFound("no order with id %d", id)
		}
	}
	err := sqlx.GetContext(ctx, q, &o, orderRowSQL, id)
	if err != nil {
		return o, postgres.NotFound(err, "no order with id %d", id)
	}
	return o, nil
}

// orderLine is an order line with what became of its units.
type orderLine struct {
	ID           int64          `db:"id"`
	LineNo       int            `db:"line_no"`
	VariantID    int64          `db:"variant_id"`
	SKU          string         `db:"sku"`
	Title        string         `db:"title"`
	Quantity     int            `db:"quantity"`
	Cancelled    int            `db:"cancelled_quantity"`
	UnitPrice    int64          `db:"unit_price"`
	Discount     int64          `db:"discount"`
	Tax          int64          `db:"tax"`
	Total        int64          `db:"total"`
	HandedOver   int            `db:"handed_over"`
	HandedOverAt *time.Time     `db:"handed_over_at"`
	Returned     int            `db:"returned"`
	LotTracked   bool           `db:"lot_tracked"`
	Lots         pq.StringArray `db:"lots"`
}

func (l orderLine) returnable() int {
	return max(0, min(l.HandedOver, l.Quantity-l.Cancelled)-l.Returned)
}

// orderLinesSQL reads an order's lines with the units handed over — in fulfilments
// DELIVERED or COLLECTED (a till sale is COLLECTED at once) —, when they last were (the
// step's timeline event, else the fulfilment's last change), the units already returned
// and the lots the order's sales took.
const orderLinesSQL = `
	SELECT l.id, l.line_no, l.variant_id, l.sku, l.title, l.quantity, l.cancelled_quantity, l.unit_price,
		l.discount, l.tax, l.total, coalesce(h.qty, 0) AS handed_over, h.at AS handed_over_at,
		coalesce((SELECT sum(rl.quantity) FROM return_lines rl WHERE rl.order_line_id = l.id), 0) AS returned,
		p.lot_tracked,
		coalesce((SELECT array_agg(DISTINCT m.lot ORDER BY m.lot) FROM stock_movements m
			WHERE m.reference = 'ORD:' || l.order_id AND m.variant_id = l.variant_id AND m.kind = 'SALE'
			AND m.lot IS NOT NULL), '{}') AS lots
	FROM order_lines l
	JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id
	LEFT JOIN LATERAL (
		SELECT sum(fl.quantity) AS qty, max(coalesce((SELECT max(e.at) FROM order_events e
			WHERE e.fulfilment_id = f.id AND e.kind IN ('DELIVERED', 'COLLECTED')), f.updated_at)) AS at
		FROM fulfilment_lines fl JOIN fulfilments f ON f.id = fl.fulfilment_id
		WHERE fl.order_line_id = l.id AND f.status IN ('DELIVERED', 'COLLECTED')
	) h ON true
	WHERE l.order_id = $1
	ORDER BY l.line_no`

func loadLines(ctx context.Context, q sqlx.QueryerContext, orderID int64) ([]orderLine, error) {
	var lines []orderLine
	if err := sqlx.SelectContext(ctx, q, &lines, orderLinesSQL, orderID); err != nil {
		return nil, fmt.Errorf("order lines: %w", err)
	}
	return lines, nil
}

// windowEnd is when the return window of goods handed over at at (nil: not known, the
// order's date counts) ends.
func (s *Service) windowEnd(o orderRow, at *time.Time) time.Time {
	from := o.CreatedAt
	if at != nil {
		from = *at
	}
	return from.AddDate(0, 0, s.cfg.WindowDays)
}

// storeCreditCustomer is who receives store credit for an order: its customer, or the
// customer record with a guest order's email; nil when there is none.
func storeCreditCustomer(ctx context.Context, q sqlx.QueryerContext, o orderRow) (*int64, error) {
	if o.CustomerID != nil {
		return o.CustomerID, nil
	}
	if o.Email == nil {
		return nil, nil
	}
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM customers WHERE email = $1`, *o.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("customer by email: %w", err)
	}
	return &id, nil
}

func (s *Service) returnable(ctx context.Context, orderID int64) (Returnable, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Returnable{}, err
	}
	o, err := loadOrder(ctx, s.db, orderID, false)
	if err != nil {
		return Returnable{}, err
	}
	lines, err := loadLines(ctx, s.db, orderID)
	if err != nil {
		return Returnable{}, err
	}
	out := Returnable{OrderID: o.ID, OrderNumber: o.Number, Currency: o.Currency, Paid: o.Paid, Refunded: o.Refunded}
	if out.StoreCreditCustomerID, err = storeCreditCustomer(ctx, s.db, o); err != nil {
		return out, err
	}
	now := time.Now()
	for _, l := range lines {
		rl := ReturnableLine{OrderLineID: l.ID, LineNo: l.LineNo, VariantID: l.VariantID, SKU: l.SKU, Title: l.Title,
			Bought: l.Quantity, HandedOver: min(l.HandedOver, l.Quantity-l.Cancelled), Returned: l.Returned,
			Returnable: l.returnable(), UnitPrice: l.UnitPrice, Total: l.Total, HandedOverAt: l.HandedOverAt, Lots: l.Lots}
		if l.HandedOver > 0 {
			end := s.windowEnd(o, l.HandedOverAt)
			rl.WindowEndsAt, rl.OutsideWindow = &end, now.After(end)
		}
		out.Lines = append(out.Lines, rl)
	}
	return out, nil
}

// authorize checks that the actor may receive returns (and refund, when refund) at
// location loc: ASSOCIATE, MANAGER or FULFILMENT (not for refunds), at their home location
// unless a manager. loc 0 checks only the role.
func authorize(ctx context.Context, loc int64, refund bool) (actor.Actor, error) {
	roles := []actor.Role{actor.Associate, actor.Manager, actor.Fulfilment}
	what := "receiving returns needs the role ASSOCIATE, MANAGER or FULFILMENT"
	if refund {
		roles, what = []actor.Role{actor.Associate, actor.Manager}, "refunds need the role ASSOCIATE or MANAGER"
	}
	a, err := actor.RequireStaff(ctx)
	if err != nil {
		return a, err
	}
	if !a.HasRole(roles...) {
		return a, apperr.Forbidden("%s", what)
	}
	if loc != 0 && !a.HasRole(actor.Manager) && (a.HomeLocationID == nil || *a.HomeLocationID != loc) {
		return a, apperr.Forbidden("you handle returns at your own store only; a manager can do it elsewhere")
	}
	return a, nil
}

func (in *CreateInput) normalize() error {
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	in.Note = strings.TrimSpace(in.Note)
	in.OverrideReason = strings.TrimSpace(in.OverrideReason)
	var errs apperr.List
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		errs = append(errs, apperr.Invalid("idempotencyKey", "send a client-generated key of 1 to 100 characters"))
	}
	errs = append(errs, in.check()...)
	return errs.Err()
}

// check normalizes and checks what does not need the database (all but the key). It
// normalizes a copy of the lines: the caller's slice may be shared (a retry, a race).
func (in *CreateInput) check() apperr.List {
	in.Lines = slices.Clone(in.Lines)
	var errs apperr.List
	if in.OrderID <= 0 {
		errs = append(errs, apperr.Invalid("orderId", "choose the order the goods come from"))
	}
	if in.LocationID <= 0 {
		errs = append(errs, apperr.Invalid("locationId", "choose the location receiving the goods"))
	}
	if len(in.Lines) == 0 {
		errs = append(errs, apperr.Invalid("lines", "choose at least one line to return"))
	}
	if len(in.Note) > 1000 {
		errs = append(errs, apperr.Invalid("note", "at most 1000 characters"))
	}
	if len(in.OverrideReason) > 500 {
		errs = append(errs, apperr.Invalid("overrideReason", "at most 500 characters"))
	}
	seen := map[int64]bool{}
	for i := range in.Lines {
		l := &in.Lines[i]
		f := func(name string) string { return "lines." + strconv.Itoa(i) + "." + name }
		l.Reason = Reason(strings.ToUpper(strings.TrimSpace(string(l.Reason))))
		l.Disposition = Disposition(strings.ToUpper(strings.TrimSpace(string(l.Disposition))))
		l.Note, l.Lot = strings.TrimSpace(l.Note), strings.TrimSpace(l.Lot)
		if l.Disposition == "" {
			l.Disposition = ToInspect
		}
		switch {
		case l.OrderLineID <= 0:
			errs = append(errs, apperr.Invalid(f("orderLineId"), "choose a line of the order"))
		case seen[l.OrderLineID]:
			errs = append(errs, apperr.Invalid(f("orderLineId"), "this line is already in the return: give its total quantity once"))
		}
		seen[l.OrderLineID] = true
		if l.Quantity <= 0 {
			errs = append(errs, apperr.Invalid(f("quantity"), "return at least one unit"))
		}
		if !slices.Contains(Reasons, l.Reason) {
			errs = append(errs, apperr.Invalid(f("reason"), "choose one of %v", Reasons))
		}
		if l.Reason == ReasonOther && l.Note == "" {
			errs = append(errs, apperr.Invalid(f("note"), "say why the customer returns it"))
		}
		if len(l.Note) > 500 {
			errs = append(errs, apperr.Invalid(f("note"), "at most 500 characters"))
		}
		if !slices.Contains(Dispositions, l.Disposition) {
			errs = append(errs, apperr.Invalid(f("disposition"), "choose one of %v", Dispositions))
		}
		if len(l.Lot) > 100 {
			errs = append(errs, apperr.Invalid(f("lot"), "at most 100 characters"))
		}
	}
	return errs
}

// plan is a return as computed from its input and the order: what Quote shows and
// Create records.
type plan struct {
	order    orderRow
	quote    Quote
	lines    []orderLine // the order lines of quote.Lines, in the same order
	location locationRow
}

type locationRow struct {
	ID     int64  `db:"id"`
	Code   string `db:"code"`
	Active bool   `db:"active"`
}

// compute checks in against the order (read through q, locked by the caller when it is
// about to record) and computes the return. Errors: apperr.List.
func (s *Service) compute(ctx context.Context, q sqlx.QueryerContext, in CreateInput, o orderRow) (*plan, error) {
	p := &plan{order: o}
	var errs apperr.List
	err := sqlx.GetContext(ctx, q, &p.location, `SELECT id, code, active FROM locations WHERE id = $1`, in.LocationID)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && !p.location.Active):
		errs = append(errs, apperr.Invalid("locationId", "no open location with id %d", in.LocationID))
	case err != nil:
		return nil, fmt.Errorf("location: %w", err)
	}
	lines, err := loadLines(ctx, q, o.ID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]orderLine, len(lines))
	for _, l := range lines {
		byID[l.ID] = l
	}
	now := time.Now()
	qt := Quote{OrderID: o.ID, OrderNumber: o.Number, Currency: o.Currency}
	after := map[int64]int{} // units of each line returned once this return is in
	for i, in := range in.Lines {
		f := func(name string) string { return "lines." + strconv.Itoa(i) + "." + name }
		l, ok := byID[in.OrderLineID]
		if !ok {
			errs = append(errs, apperr.Invalid(f("orderLineId"), "order %s has no line %d", o.Number, in.OrderLineID))
			continue
		}
		if l.HandedOver == 0 {
			errs = append(errs, apperr.Invalid(f("orderLineId"),
				"%s has not been handed over yet (not delivered nor collected): cancel it instead of returning it", l.SKU).
				WithReason(ReasonNotHandedOver))
			continue
		}
		if in.Quantity > l.returnable() {
			errs = append(errs, apperr.Invalid(f("quantity"),
				"only %d of %s can be returned (%d bought, %d handed over, %d cancelled, %d already returned)",
				l.returnable(), l.SKU, l.Quantity, l.HandedOver, l.Cancelled, l.Returned).WithReason(ReasonTooMany))
			continue
		}
		ql := QuoteLine{LineInput: in, LineNo: l.LineNo, SKU: l.SKU, Title: l.Title}
		ql.WindowEndsAt = s.windowEnd(o, l.HandedOverAt)
		ql.OutsideWindow = now.After(ql.WindowEndsAt)
		// The units' share of the line: what the line's returned units come to after
		// them less before them, so that the returns of a whole line add up to it exactly.
		share := func(x int64) int64 {
			return promotion.MulDivRound(x, int64(l.Returned+in.Quantity), int64(l.Quantity)) -
				promotion.MulDivRound(x, int64(l.Returned), int64(l.Quantity))
		}
		ql.Amount, ql.Discount = share(l.Total), share(l.Discount)
		ql.Tax = min(share(l.Tax), ql.Amount)
		if err := checkLot(ctx, q, &ql.LineInput, l, f("lot")); err != nil {
			errs = append(errs, err)
		}
		qt.Lines = append(qt.Lines, ql)
		p.lines = append(p.lines, l)
		qt.Amount += ql.Amount
		qt.Tax += ql.Tax
		after[l.ID] = in.Quantity
		if qt.WindowEndsAt.IsZero() || ql.WindowEndsAt.Before(qt.WindowEndsAt) {
			qt.WindowEndsAt = ql.WindowEndsAt
		}
		qt.OutsideWindow = qt.OutsideWindow || ql.OutsideWindow
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	// Shipping paid for delivering goods; it is refunded only when the whole order comes
	// back (every unit not cancelled): the customer who keeps some of the goods had them
	// delivered, and a partial return that refunded shipping would refund it again with
	// each part.
	whole := true
	var linesTax int64
	for _, l := range lines {
		linesTax += l.Tax
		if l.Returned+after[l.ID] < l.Quantity-l.Cancelled {
			whole = false
		}
	}
	if whole && o.Shipping > 0 {
		qt.Shipping = o.Shipping
		qt.Tax += max(0, o.Tax-linesTax)
	}
	qt.Total = qt.Amount + qt.Shipping
	qt.Refundable = min(qt.Total, max(0, o.Paid-o.Refunded))
	if qt.StoreCreditCustomerID, err = storeCreditCustomer(ctx, q, o); err != nil {
		return nil, err
	}
	p.quote = qt
	return p, nil
}

// checkLot settles the lot of a returned line: required to restock a lot-tracked variant
// (defaulting to the one lot the order's sale took), refused for other variants.
func checkLot(ctx context.Context, q sqlx.QueryerContext, in *LineInput, l orderLine, field string) *apperr.Error {
	if !l.LotTracked {
		if in.Lot != "" {
			return apperr.Invalid(field, "%s is not lot-tracked: leave the lot empty", l.SKU)
		}
		return nil
	}
	if in.Lot == "" && len(l.Lots) == 1 {
		in.Lot = l.Lots[0]
	}
	if in.Lot == "" {
		if in.Disposition != Restock {
			return nil
		}
		if len(l.Lots) > 1 {
			return apperr.Invalid(field, "%s was sold from lots %s: name the lot printed on the returned units",
				l.SKU, strings.Join(l.Lots, ", "))
		}
		return apperr.Invalid(field, "%s is lot-tracked: name the lot printed on the returned units", l.SKU)
	}
	var known bool
	err := sqlx.GetContext(ctx, q, &known, `SELECT EXISTS (SELECT 1 FROM stock_lots WHERE variant_id = $1 AND lot = $2)`,
		l.VariantID, in.Lot)
	if err != nil {
		return apperr.Invalid(field, "cannot check lot %s", in.Lot)
	}
	if !known {
		return apperr.Invalid(field, "there is no lot %s of %s: check the label", in.Lot, l.SKU)
	}
	return nil
}

func (s *Service) quote(ctx context.Context, in CreateInput) (Quote, error) {
	if _, err := authorize(ctx, 0, false); err != nil {
		return Quote{}, err
	}
	if err := in.check().Err(); err != nil {
		return Quote{}, err
	}
	o, err := loadOrder(ctx, s.db, in.OrderID, false)
	if err != nil {
		return Quote{}, err
	}
	p, err := s.compute(ctx, s.db, in, o)
	if err != nil {
		return Quote{}, err
	}
	return p.quote, nil
}

// requestHash fingerprints a request with its actor.
func requestHash(ctx context.Context, op string, in any) string {
	a := actor.From(ctx)
	b, err := json.Marshal(struct {
		Op    string
		Actor string
		In    any
	}{op, fmt.Sprintf("%s:%d", a.Kind, a.ID), in})
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func keyReused(what string) error {
	return apperr.List{apperr.Conflict("idempotencyKey",
		"this key was already used for a different %s: send a new key", what).WithReason(ReasonConflict)}
}

// returnByKey returns the id of the return created under key, if any. Errors: Conflict
// (CONFLICT) when another request created it.
func returnByKey(ctx context.Context, q sqlx.QueryerContext, key, hash string) (int64, bool, error) {
	var row struct {
		ID   int64  `db:"id"`
		Hash string `db:"request_hash"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT id, request_hash FROM returns WHERE idempotency_key = $1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("return by key: %w", err)
	}
	if row.Hash != hash {
		return 0, false, keyReused("return")
	}
	return row.ID, true, nil
}

func (s *Service) create(ctx context.Context, in CreateInput) (Detail, error) {
	a, err := authorize(ctx, 0, false)
	if err != nil {
		return Detail{}, err
	}
	if err := in.normalize(); err != nil {
		return Detail{}, err
	}
	hash := requestHash(ctx, "CREATE_RETURN", in)
	replay := func(id int64) (Detail, error) {
		d, err := s.detailAs(ctx, s.db, id)
		d.Replayed = true
		return d, err
	}
	if id, found, err := returnByKey(ctx, s.db, in.IdempotencyKey, hash); err != nil {
		return Detail{}, err
	} else if found {
		return replay(id)
	}
	if _, err := authorize(ctx, in.LocationID, false); err != nil {
		return Detail{}, err
	}
	var id int64
	replayed := false
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		o, err := loadOrder(ctx, tx, in.OrderID, true)
		if err != nil {
			return err
		}
		// The order is locked: an identical call racing this one has committed by now.
		var found bool
		if id, found, err = returnByKey(ctx, tx, in.IdempotencyKey, hash); err != nil || found {
			replayed = found
			return err
		}
		p, err := s.compute(ctx, tx, in, o)
		if err != nil {
			return err
		}
		override := ""
		if p.quote.OutsideWindow {
			switch {
			case in.OverrideReason == "":
				return apperr.List{apperr.Invalid("lines", "the return window of %d days ended on %s: a manager can accept the return with a reason",
					s.cfg.WindowDays, p.quote.WindowEndsAt.Format(time.DateOnly)).WithReason(ReasonOutsideWindow)}
			case !a.HasRole(actor.Manager):
				return apperr.Forbidden("accepting a return after the return window needs a manager")
			}
			override = in.OverrideReason
		}
		id, err = s.insertReturn(ctx, tx, in, hash, p, override)
		return err
	})
	if postgres.IsUniqueViolation(err, "returns_idempotency_key_key") {
		return Detail{}, keyReused("return")
	}
	if err != nil {
		return Detail{}, err
	}
	if replayed {
		return replay(id)
	}
	return s.detailAs(ctx, s.db, id)
}

// insertReturn records the planned return with its lines, restocks its RESTOCK lines,
// audits a window override and writes the order's timeline.
func (s *Service) insertReturn(ctx context.Context, tx *sqlx.Tx, in CreateInput, hash string, p *plan, override string) (int64, error) {
	a := actor.From(ctx)
	qt := p.quote
	var r struct {
		ID     int64  `db:"id"`
		Number string `db:"number"`
	}
	err := tx.GetContext(ctx, &r, `INSERT INTO returns (idempotency_key, request_hash, order_id, location_id, currency,
			amount, shipping, tax, total, window_ends_at, override_reason, note, created_by_kind, created_by_id,
			created_by_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id, number`,
		in.IdempotencyKey, hash, p.order.ID, in.LocationID, qt.Currency, qt.Amount, qt.Shipping, qt.Tax, qt.Total,
		qt.WindowEndsAt, override, in.Note, string(a.Kind), actorID(a), a.Name)
	if err != nil {
		return 0, fmt.Errorf("insert return: %w", err)
	}
	n := len(qt.Lines)
	ids, qty := make([]int64, n), make([]int64, n)
	reasons, notes, disps, lots := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	amounts, discounts, taxes := make([]int64, n), make([]int64, n), make([]int64, n)
	var restock []inventory.Line
	units := 0
	for i, l := range qt.Lines {
		ids[i], qty[i], reasons[i], notes[i], disps[i], lots[i] = l.OrderLineID, int64(l.Quantity), string(l.Reason),
			l.Note, string(l.Disposition), l.Lot
		amounts[i], discounts[i], taxes[i] = l.Amount, l.Discount, l.Tax
		units += l.Quantity
		if l.Disposition == Restock {
			restock = append(restock, inventory.Line{LocationID: in.LocationID, VariantID: p.lines[i].VariantID,
				Qty: l.Quantity, Lot: l.Lot})
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO return_lines (return_id, order_line_id, quantity, reason, note,
			disposition, lot, amount, discount, tax)
		SELECT $1, t.* FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::bigint[], $9::bigint[], $10::bigint[]) AS t`,
		r.ID, pq.Array(ids), pq.Array(qty), pq.Array(reasons), pq.Array(notes), pq.Array(disps), pq.Array(lots),
		pq.Array(amounts), pq.Array(discounts), pq.Array(taxes))
	if err != nil {
		return 0, fmt.Errorf("insert return lines: %w", err)
	}
	if len(restock) > 0 {
		if err := s.dep.Stock.Restock(ctx, tx, stockRef(r.ID), restock); err != nil {
			return 0, fmt.Errorf("restock: %w", err)
		}
	}
	if override != "" {
		err := audit.Record(ctx, tx, audit.Entry{Action: "return.window_overridden", Entity: "return", EntityID: r.ID,
			After: map[string]any{"order": p.order.Number, "return": r.Number, "windowEndedAt": qt.WindowEndsAt,
				"total": qt.Total}, Reason: override})
		if err != nil {
			return 0, err
		}
	}
	msg := fmt.Sprintf("Return %s received at %s: %d unit(s) worth %s.", r.Number, p.location.Code, units,
		money.Format(qt.Total, qt.Currency))
	if override != "" {
		msg += " Accepted after the return window: " + override
	}
	return r.ID, addEvent(ctx, tx, p.order.ID, "RETURNED", msg, map[string]any{"returnId": r.ID,
		"locationId": in.LocationID, "total": qt.Total})
}

// stockRef is the stock movements' reference of a return.
func stockRef(returnID int64) string { return "RET:" + strconv.FormatInt(returnID, 10) }

func actorID(a actor.Actor) *int64 {
	if a.ID == 0 {
		return nil
	}
	return &a.ID
}

// addEvent appends an event to an order's timeline as done by the actor in ctx, and
// tells order_updated listeners (when the transaction commits).
func addEvent(ctx context.Context, ext sqlx.ExtContext, orderID int64, kind, message string, data map[string]any) error {
	a := actor.From(ctx)
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = ext.ExecContext(ctx, `
		WITH e AS (
			INSERT INTO order_events (order_id, kind, message, data, actor_kind, actor_id, actor_name)
			VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) RETURNING 1
		)
		SELECT pg_notify('order_updated', $1::bigint::text) FROM (SELECT count(*) FROM e) AS c`,
		orderID, kind, message, string(b), string(a.Kind), actorID(a), a.Name)
	if err != nil {
		return fmt.Errorf("record order event: %w", err)
	}
	return nil
}
