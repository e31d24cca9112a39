package order

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/money"
	"atrium/internal/postgres"
	"atrium/internal/promotion"
)

// PlaceOrder places an order: it checks who may place it, prices it on the server
// (catalog prices, coupons, shipping, tax included), inspects it, chooses the locations
// that fulfil it and, in one transaction, records it with the explanation of that choice
// and takes its stock: reservations for SHIP and PICKUP (never more than is available,
// however many orders race), a till sale for CARRY_OUT (never refused: a shortfall
// becomes a discrepancy for the store to recount).
//
// Who: guests (with an email) and customers (for themselves) order on WEB and APP;
// associates and managers sell at the till (POS, associates in their home store) and
// order for a customer (CustomerID) or a guest (Email) from a tablet; staff or the system
// feed MARKETPLACE orders. CARRY_OUT is for POS only, from the sale's store.
//
// It is idempotent by in.IdempotencyKey: the same key with the same request, by the
// same actor, returns the first order with Replayed set — after a restart too, and when
// identical calls race (one places the order, the others wait for it and return it); no
// second reservation is ever taken.
//
// Errors: Unauthenticated, Forbidden; an apperr.List of Invalid fields, among them
// lines.<i>.sku (not for sale), lines.<i>.quantity with reason INSUFFICIENT_STOCK (naming
// the SKU and what is available), couponCodes.<i> with reason COUPON_NOT_APPLICABLE or
// COUPON_LIMIT_REACHED, locationId, customerId, email, fulfillment.pickupLocationId and
// fulfillment.shippingAddress.<field>; or Conflict on idempotencyKey (reason CONFLICT)
// when the key was used for another request.
func (s *Service) PlaceOrder(ctx context.Context, in PlaceOrderInput) (Order, error) {
	r, err := normalize(ctx, in)
	if err != nil {
		return Order{}, err
	}
	o, err := s.place(ctx, r)
	if err == nil {
		return o, nil
	}
	// A retry of an order placed before may not be placeable any more (its own
	// reservation took the stock, its coupon the last use): the first order is the answer.
	if _, user := apperr.Errors(err); user || errors.Is(err, errReplay) {
		prev, found, kerr := s.byKey(ctx, r)
		switch {
		case kerr != nil:
			return Order{}, kerr
		case found:
			return prev, nil
		}
	}
	if errors.Is(err, errReplay) {
		return Order{}, fmt.Errorf("order under key %q conflicted but cannot be read", r.Key)
	}
	return Order{}, err
}

// byKey returns the order placed under r's key, if any, marked Replayed. Errors: Conflict
// (reason CONFLICT) when it was placed by another request.
func (s *Service) byKey(ctx context.Context, r *request) (Order, bool, error) {
	var row struct {
		Order
		Hash string `db:"request_hash"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT `+orderColumns+`, o.request_hash FROM orders o WHERE o.idempotency_key = $1`, r.Key)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, false, nil
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("order by key: %w", err)
	}
	if row.Hash != r.hash {
		return Order{}, false, keyReused()
	}
	row.Order.Replayed = true
	return row.Order, true, nil
}

func keyReused() error {
	return apperr.List{apperr.Conflict("idempotencyKey",
		"this key was already used for a different order: send a new key with a new order").WithReason(ReasonConflict)}
}

// place reads, prices, inspects, plans and commits r. When a location's stock is taken
// between planning and reserving, it reads and plans again on fresh figures (each retry
// means another order got those units, so this ends).
func (s *Service) place(ctx context.Context, r *request) (Order, error) {
	for attempt := 1; ; attempt++ {
		b, err := s.read(ctx, r)
		if err != nil {
			return Order{}, err
		}
		if err := checkLocations(r, b.locations); err != nil {
			return Order{}, err
		}
		pr, err := s.price(ctx, r, b)
		if err != nil {
			return Order{}, err
		}
		holds := s.inspect(r, pr, b)
		pl, err := s.plan(r, pr, b)
		if err != nil {
			return Order{}, err
		}
		o, err := s.commit(ctx, r, pr, pl, holds)
		var short *inventory.ShortageError
		if !errors.As(err, &short) {
			return o, err
		}
		if attempt >= s.cfg.MaxAttempts {
			return Order{}, raceShortage(r, pr, pl, short)
		}
	}
}

// basket is what placing an order reads from the database, in one statement: the
// variants it names (the one price in every channel), where each is available now, the
// open locations, and what inspection needs to know about the contact's orders.
type basket struct {
	variants     map[string]catalog.Variant         // by SKU
	titles       map[int64]string                   // by variant id: as sold, "Product — Variant"
	availability map[int64][]inventory.Availability // by variant id, active locations only
	locations    map[int64]location.Location        // open locations, by id
	// duplicateOf is the number of an order by the same contact with the same variants and
	// quantities within the inspection's duplicate window; orderedBefore says whether the
	// contact has any order not cancelled.
	duplicateOf   *string
	orderedBefore bool
}

// read reads r's basket in one statement (the database's order_basket, migration 00008).
// The open locations come from a cache that the statement validates: it returns a
// version of the locations table (its row count and the sum of its rows' transaction
// ids, which any insert, update or delete changes), and a different version reloads the
// list. Errors: the database's.
func (s *Service) read(ctx context.Context, r *request) (*basket, error) {
	skus, quantities := make([]string, len(r.Lines)), make([]int64, len(r.Lines))
	for i, l := range r.Lines {
		skus[i], quantities[i] = l.SKU, int64(l.Quantity)
	}
	var customerID *int64
	var email *string
	switch {
	case r.CustomerID > 0:
		customerID = &r.CustomerID
	case r.Email != "":
		email = &r.Email
	}
	// Columns named, not *: a column a newer migration adds must not change a prepared
	// statement's result during a rolling deploy.
	stmt, err := s.prepared(ctx, `SELECT id, product_id, sku, barcode, title, size, colour, price_amount, currency,
		position, product_title, location_ids, available, location_version, duplicate_of, ordered_before
		FROM order_basket($1, $2, $3, $4, $5, $6)`)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		catalog.Variant
		ProductTitle    string        `db:"product_title"`
		LocationIDs     pq.Int64Array `db:"location_ids"`
		Available       pq.Int64Array `db:"available"`
		LocationVersion string        `db:"location_version"`
		DuplicateOf     *string       `db:"duplicate_of"`
		OrderedBefore   bool          `db:"ordered_before"`
	}
	err = stmt.SelectContext(ctx, &rows, pq.Array(skus), pq.Array(quantities), actor.From(ctx).IsStaff(),
		customerID, email, s.cfg.Inspection.DuplicateWindow.Seconds())
	if err != nil {
		return nil, fmt.Errorf("read order basket: %w", err)
	}
	b := &basket{variants: make(map[string]catalog.Variant, len(rows)), titles: make(map[int64]string, len(rows)),
		availability: make(map[int64][]inventory.Availability, len(rows))}
	version := ""
	for _, row := range rows {
		b.variants[row.SKU] = row.Variant
		b.titles[row.ID] = row.ProductTitle
		if row.Title != "" {
			b.titles[row.ID] += " — " + row.Title
		}
		for j, id := range row.LocationIDs {
			b.availability[row.ID] = append(b.availability[row.ID], inventory.Availability{LocationID: id, Available: int(row.Available[j])})
		}
		version, b.duplicateOf, b.orderedBefore = row.LocationVersion, row.DuplicateOf, row.OrderedBefore
	}
	if b.locations, err = s.openLocations(ctx, version); err != nil {
		return nil, err
	}
	return b, nil
}

// openLocations returns the open locations, from the cache when version is the one it
// was loaded at (an empty version always reloads).
func (s *Service) openLocations(ctx context.Context, version string) (map[int64]location.Location, error) {
	h := s.hotPath
	h.mu.Lock()
	if version != "" && version == h.locationVersion {
		locs := h.locations
		h.mu.Unlock()
		return locs, nil
	}
	h.mu.Unlock()
	list, err := s.dep.Locations.List(ctx, location.Filter{})
	if err != nil {
		return nil, fmt.Errorf("locations: %w", err)
	}
	locs := make(map[int64]location.Location, len(list))
	for _, l := range list {
		locs[l.ID] = l
	}
	// The list was read after the version: it is at least as new, so storing it under
	// that version can only cause one more reload.
	h.mu.Lock()
	h.locationVersion, h.locations = version, locs
	h.mu.Unlock()
	return locs, nil
}

// checkLocations checks the till's store (POS) and the pickup store among the open
// locations locs. Errors: apperr.List on locationId, fulfillment.pickupLocationId.
func checkLocations(r *request, locs map[int64]location.Location) error {
	var errs apperr.List
	if r.LocationID > 0 {
		l, ok := locs[r.LocationID]
		switch {
		case !ok:
			errs = append(errs, apperr.Invalid("locationId", "no open location with id %d", r.LocationID))
		case (r.Channel == POS || r.Method == CarryOut) && l.Kind != location.Store:
			errs = append(errs, apperr.Invalid("locationId", "%s is not a store: till sales happen in stores", l.Code))
		}
	}
	if r.PickupID > 0 {
		l, ok := locs[r.PickupID]
		switch {
		case !ok:
			errs = append(errs, apperr.Invalid("fulfillment.pickupLocationId", "no open store with id %d", r.PickupID))
		case !l.PickupEnabled:
			errs = append(errs, apperr.Invalid("fulfillment.pickupLocationId", "%s does not offer pickup", l.Code))
		}
	}
	return errs.Err()
}

// plan chooses among the open locations where the order's goods come from, by where
// they are available (b). Errors: apperr.List with reason INSUFFICIENT_STOCK on
// lines.<i>.quantity.
func (s *Service) plan(r *request, pr *priced, b *basket) (*plan, error) {
	locs := b.locations
	needs := make([]need, len(pr.lines))
	for i, l := range pr.lines {
		needs[i] = need{sku: l.variant.SKU, variantID: l.variant.ID, qty: l.qty}
	}
	avail := b.availability
	stocked := map[int64]location.Location{}
	availability := make([]map[int64]int, len(needs))
	for i, n := range needs {
		availability[i] = map[int64]int{}
		for _, a := range avail[n.variantID] {
			if l, open := locs[a.LocationID]; open {
				stocked[l.ID] = l
				availability[i][l.ID] = a.Available
			}
		}
	}
	p := newPlanner(s.cfg, needs, stocked, availability)
	var pl *plan
	var short []int
	switch r.Method {
	case CarryOut:
		pl = p.carryOut(locs[r.LocationID])
	case Ship:
		pl, short = p.ship(r.Address)
	case Pickup:
		store := locs[r.PickupID]
		pl, short = p.pickup(store, readyOn(store, s.cfg.ShipToStoreDays))
	}
	if short == nil {
		return pl, nil
	}
	var errs apperr.List
	for i, n := range short {
		if n > 0 {
			errs = append(errs, insufficient(r, needs[i].sku, needs[i].qty-n, needs[i].qty))
		}
	}
	return nil, errs
}

func insufficient(r *request, sku string, available, asked int) *apperr.Error {
	return apperr.Invalid(r.lineField(sku, "quantity"), "only %d of %s available (%d asked for)", available, sku, asked).
		WithReason(ReasonInsufficientStock)
}

// raceShortage explains a reservation still refused after every attempt, per line.
func raceShortage(r *request, pr *priced, pl *plan, short *inventory.ShortageError) error {
	_, owners := pl.stockLines(pr)
	var errs apperr.List
	for _, sh := range short.Lines {
		l := pr.lines[owners[sh.Line]]
		errs = append(errs, insufficient(r, l.variant.SKU, sh.Available, l.qty))
	}
	return errs
}

// readyOn is the date goods sent to store now are expected ready, in its time zone.
func readyOn(store location.Location, days int) string {
	tz, err := time.LoadLocation(store.TimeZone)
	if err != nil {
		tz = time.UTC
	}
	return time.Now().In(tz).AddDate(0, 0, days).Format(time.DateOnly)
}

// stockLines are the stock movements of pl, one per location and line, and for each the
// index of its line in pr.
func (pl *plan) stockLines(pr *priced) (lines []inventory.Line, owners []int) {
	for _, pt := range pl.parts {
		for i, q := range pt.qty {
			if q > 0 {
				lines = append(lines, inventory.Line{LocationID: pt.loc.ID, VariantID: pr.lines[i].variant.ID, Qty: q})
				owners = append(owners, i)
			}
		}
	}
	return lines, owners
}

// newEvent is a timeline entry to write.
type newEvent struct {
	kind, message string
	data          EventData
}

// commit records the order and takes its stock. An order that only reserves stock (SHIP
// or PICKUP, without coupons: the storefront's and the app's usual order) is written in
// one statement, its own transaction: the order with its lines, allocation, fulfilments
// and first events, then its reservations through inventory's reserve_stock (the guarded
// reservation Stock.Reserve makes), last, so that the hot stock rows stay locked only for
// the end of the statement and its commit, never across a round trip to this server;
// its listeners are told after the commit (notifyPlaced).
// Other orders take one transaction: the order, its coupon uses (coupon rows are locked
// before stock rows, as cancelling does), then its stock. Errors: errReplay when the key
// is taken; *inventory.ShortageError when the stock went meanwhile; apperr.List.
func (s *Service) commit(ctx context.Context, r *request, pr *priced, pl *plan, holds []string) (Order, error) {
	lines, owners := pl.stockLines(pr)
	if pl.method != CarryOut && len(pr.coupons) == 0 {
		o, _, err := s.insertOrder(ctx, nil, r, pr, pl, holds, lines)
		if err == nil {
			s.notifyPlaced(o.ID, lines)
		}
		return o, err
	}
	var o Order
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var allocationID int64
		var err error
		if o, allocationID, err = s.insertOrder(ctx, tx, r, pr, pl, holds, nil); err != nil {
			return err
		}
		coupons := slices.Clone(pr.coupons)
		slices.SortFunc(coupons, func(a, b appliedCoupon) int { return cmp.Compare(a.Coupon.ID, b.Coupon.ID) })
		for _, c := range coupons {
			err := s.dep.Coupons.Redeem(ctx, tx, c.field, promotion.Redemption{CouponID: c.Coupon.ID, OrderID: o.ID,
				CustomerID: o.CustomerID, Email: deref(o.Email), Amount: c.Discount})
			if err != nil {
				return err
			}
		}
		ref := "ORD:" + strconv.FormatInt(o.ID, 10)
		if pl.method != CarryOut {
			return s.dep.Stock.Reserve(ctx, tx, ref, lines)
		}
		ds, err := s.dep.Stock.SellCarryOut(ctx, tx, ref, lines)
		if err != nil || len(ds) == 0 {
			return err
		}
		return recordDiscrepancies(ctx, tx, o.ID, allocationID, pl, pr, lines, owners, ds)
	})
	return o, err
}

// notifyPlaced tells order_updated and stock_changed listeners (every server's
// subscriptions) about an order placed in a statement of its own, once it has committed,
// with the payloads the notifications sent inside transactions have (the order's id; the
// level's inventory.Change). Notifying inside the order's transaction would make its
// commit wait for PostgreSQL's lock that serialises the commits of every notifying
// transaction, WAL flush included (see migration 00008): that lock, not the stock rows,
// limited orders to a few hundred a second. The notifications are queued and sent by
// s.notices (see notices), whose statement's commit writes no WAL. The order stands
// whatever happens there: a notification lost to a failure after the commit is like one
// lost to a dropped listening connection, and the next change of the same order or level
// shows it.
func (s *Service) notifyPlaced(orderID int64, lines []inventory.Line) {
	channels := []string{"order_updated"}
	payloads := []string{strconv.FormatInt(orderID, 10)}
	seen := map[inventory.Change]bool{}
	for _, l := range lines {
		c := inventory.Change{LocationID: l.LocationID, VariantID: l.VariantID}
		if seen[c] {
			continue
		}
		seen[c] = true
		b, err := json.Marshal(c)
		if err != nil {
			continue
		}
		channels, payloads = append(channels, inventory.ChangesChannel), append(payloads, string(b))
	}
	s.notices.add(s, channels, payloads)
}

// notices sends the notifications of orders placed outside a transaction, in batches:
// the first order queues its notifications and starts a sender; the orders placed while
// it sends queue theirs for its next statement. Under load that is one statement for many
// orders instead of a round trip and a commit each, and no order waits for its
// notifications.
type notices struct {
	mu                 sync.Mutex
	sending            bool
	channels, payloads []string
}

func (n *notices) add(s *Service, channels, payloads []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.channels, n.payloads = append(n.channels, channels...), append(n.payloads, payloads...)
	if !n.sending {
		n.sending = true
		go n.send(s)
	}
}

// send sends what is queued until nothing is.
func (n *notices) send(s *Service) {
	for {
		n.mu.Lock()
		channels, payloads := n.channels, n.payloads
		n.channels, n.payloads = nil, nil
		if len(channels) == 0 {
			n.sending = false
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		stmt, err := s.prepared(ctx, `SELECT count(pg_notify(t.channel, t.payload)) FROM unnest($1::text[], $2::text[]) AS t(channel, payload)`)
		if err == nil {
			_, _ = stmt.ExecContext(ctx, pq.Array(channels), pq.Array(payloads))
		}
		cancel()
	}
}

// recordDiscrepancies adds a till sale's shortfalls to its allocation's explanation and
// to its timeline.
func recordDiscrepancies(ctx context.Context, ext sqlx.ExtContext, orderID, allocationID int64, pl *plan, pr *priced,
	lines []inventory.Line, owners []int, ds []inventory.Discrepancy) error {
	var events []newEvent
	code := pl.parts[0].loc.Code
	for _, d := range ds {
		i := slices.IndexFunc(lines, func(l inventory.Line) bool { return l.VariantID == d.VariantID })
		sku := pr.lines[owners[i]].variant.SKU
		pl.explain.Discrepancies = append(pl.explain.Discrepancies, Discrepancy{SKU: sku, LocationCode: code, Quantity: d.Quantity})
		events = append(events, newEvent{EventDiscrepancy,
			fmt.Sprintf("Sold %d more of %s than %s's system stock: the store recounts it.", d.Quantity, sku, code),
			EventData{"sku": sku, "quantity": d.Quantity, "discrepancyId": d.ID}})
	}
	if _, err := ext.ExecContext(ctx, `UPDATE order_allocations SET explanation = $2 WHERE id = $1`,
		allocationID, pl.explain); err != nil {
		return fmt.Errorf("record discrepancies: %w", err)
	}
	return addEvents(ctx, ext, orderID, events...)
}

// placedData is the PLACED event's data: the total and, when the customer's loyalty tier
// gave a benefit, the tier, its discount and whether it waived shipping.
func placedData(pr *priced) EventData {
	d := EventData{"total": pr.total, "currency": pr.currency}
	if pr.tier != nil {
		d["tier"], d["tierDiscount"], d["tierFreeShipping"] = pr.tier.Tier, pr.tierDiscount, pr.tierFreeShipping
	}
	return d
}

// placedMessage says who placed the order where and what the customer's tier gave.
func placedMessage(r *request, pr *priced) string {
	by := "a guest"
	switch r.placedBy.Kind {
	case actor.Customer:
		by = "the customer"
	case actor.Staff:
		by = "staff member " + r.placedBy.Name
	case actor.System:
		by = "the system"
	}
	msg := fmt.Sprintf("Placed on %s by %s.", r.Channel, by)
	if t := pr.tier; t != nil {
		var gave []string
		if pr.tierDiscount > 0 {
			gave = append(gave, fmt.Sprintf("%s tier discount (%s%%)", money.Format(pr.tierDiscount, pr.currency),
				strconv.FormatFloat(float64(t.DiscountBP)/100, 'f', -1, 64)))
		}
		if pr.tierFreeShipping {
			gave = append(gave, "free shipping")
		}
		msg += fmt.Sprintf(" %s member: %s.", t.Name, strings.Join(gave, " and "))
	}
	return msg
}

// insertOrder writes, in one statement, the order and its lines (with the SKU and title
// they were sold under, as read with the order), the allocation decision with its fulfilments and their lines, and the first
// events, and tells order_updated listeners — unless the key is taken (errReplay: a
// concurrent insert under the same key waits here until the first commits or rolls
// back). With reserve, the same statement then reserves those stock lines (see commit)
// and notifies nobody: the caller does, after the commit (notifyPlaced); tx nil runs it
// in a transaction of its own. It returns the order and the allocation's
// id. Errors: errReplay; *inventory.ShortageError (only with reserve); apperr.List.
func (s *Service) insertOrder(ctx context.Context, tx *sqlx.Tx, r *request, pr *priced, pl *plan, holds []string,
	reserve []inventory.Line) (Order, int64, error) {
	stmt, err := s.prepared(ctx, insertOrderSQL)
	if err != nil {
		return Order{}, 0, err
	}
	if tx != nil {
		stmt = tx.StmtxContext(ctx, stmt)
	}
	resLocations, resVariants, resQuantities := make([]int64, len(reserve)), make([]int64, len(reserve)), make([]int64, len(reserve))
	for i, l := range reserve {
		resLocations[i], resVariants[i], resQuantities[i] = l.LocationID, l.VariantID, int64(l.Qty)
	}
	n := len(pr.lines)
	variantIDs, quantities := make([]int64, n), make([]int64, n)
	prices, subtotals, discounts, taxes, totals := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	skus, titles := make([]string, n), make([]string, n)
	for i, l := range pr.lines {
		variantIDs[i], quantities[i], skus[i], titles[i] = l.variant.ID, int64(l.qty), l.variant.SKU, l.title
		prices[i], subtotals[i], discounts[i], taxes[i], totals[i] = l.variant.PriceAmount, l.subtotal, l.discount, l.tax, l.total
	}
	status := Open
	if len(holds) > 0 {
		status = OnHold
	}
	a := r.placedBy
	var placedByID, customerID, locationID *int64
	if a.Kind == actor.Staff || a.Kind == actor.Customer {
		placedByID = &a.ID
	}
	if r.CustomerID > 0 {
		customerID = &r.CustomerID
	}
	if r.LocationID > 0 {
		locationID = &r.LocationID
	}
	var email, phone *string
	if r.Email != "" {
		email = &r.Email
	}
	if r.Address != nil && r.Address.Phone != "" {
		phone = &r.Address.Phone
	}

	f := fulfilmentRows(pl)
	var address *Address
	if pl.method == Ship {
		address = r.Address
	}
	events := []newEvent{
		{EventPlaced, placedMessage(r, pr), placedData(pr)},
		{EventAllocated, pl.explain.Summary, EventData{"rule": pl.rule}},
	}
	if len(holds) > 0 {
		events = append(events, newEvent{EventHeld, "Held for inspection: " + strings.Join(holds, "; ") + ".",
			EventData{"reasons": holds}})
	}
	ev, err := eventRows(events)
	if err != nil {
		return Order{}, 0, err
	}

	var row struct {
		Order
		AllocationID int64 `db:"allocation_id"`
	}
	err = stmt.GetContext(ctx, &row,
		r.Key, r.hash, r.Channel, status, r.PaymentMethod, customerID, email, phone, locationID, string(a.Kind),
		placedByID, pr.currency, pr.subtotal, pr.discount, pr.shipping, pr.tax, pr.total, pr.signature(), pq.Array(holds),
		pq.Array(variantIDs), pq.Array(quantities), pq.Array(prices), pq.Array(subtotals), pq.Array(discounts),
		pq.Array(taxes), pq.Array(totals),
		pl.method, pl.rule, pl.explain, f.status, f.pickupID, address, pq.Array(f.locations), pq.Array(f.readyOn),
		pq.Array(f.lineLocations), pq.Array(f.lineNos), pq.Array(f.quantities),
		pq.Array(ev.kinds), pq.Array(ev.messages), pq.Array(ev.data), a.Name,
		len(reserve) > 0, pq.Array(resLocations), pq.Array(resVariants), pq.Array(resQuantities),
		pq.Array(skus), pq.Array(titles))
	if short, ok := inventory.ShortageOf(err); ok {
		return Order{}, 0, short
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Order{}, 0, errReplay
	case violates(err, "orders_customer_id_fkey"):
		return Order{}, 0, apperr.List{apperr.Invalid("customerId", "no customer with id %d", r.CustomerID)}
	case err != nil:
		return Order{}, 0, fmt.Errorf("insert order: %w", postgres.MapError(err))
	}
	return row.Order, row.AllocationID, nil
}

// fulfilments is a plan's fulfilments as statement parameters: one per part, and one
// line row per (part, order line) with units.
type fulfilments struct {
	status                             FulfilmentStatus
	pickupID                           *int64
	locations                          []int64
	readyOn                            []string
	lineLocations, lineNos, quantities []int64
}

func fulfilmentRows(pl *plan) fulfilments {
	f := fulfilments{status: FulfilmentOpen}
	if pl.method == CarryOut {
		f.status = FulfilmentCollected
	}
	if pl.pickup != nil {
		f.pickupID = &pl.pickup.ID
	}
	for _, pt := range pl.parts {
		ready := ""
		if pl.pickup != nil && pt.loc.ID != pl.pickup.ID {
			ready = pl.readyOn
		}
		f.locations, f.readyOn = append(f.locations, pt.loc.ID), append(f.readyOn, ready)
		for i, q := range pt.qty {
			if q > 0 {
				f.lineLocations, f.lineNos, f.quantities = append(f.lineLocations, pt.loc.ID), append(f.lineNos, int64(i)), append(f.quantities, int64(q))
			}
		}
	}
	return f
}

// events are timeline entries as statement parameters.
type events struct {
	kinds, messages, data []string
}

func eventRows(evs []newEvent) (events, error) {
	out := events{make([]string, len(evs)), make([]string, len(evs)), make([]string, len(evs))}
	for i, e := range evs {
		out.kinds[i], out.messages[i] = e.kind, e.message
		if e.data != nil {
			v, err := jsonText(e.data)
			if err != nil {
				return out, err
			}
			out.data[i] = v.(string)
		}
	}
	return out, nil
}

// addEvents appends events to an order's timeline as done by the actor in ctx, and tells
// order_updated listeners (delivered when the transaction commits).
func addEvents(ctx context.Context, ext sqlx.ExtContext, orderID int64, evs ...newEvent) error {
	a := actor.From(ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	ev, err := eventRows(evs)
	if err != nil {
		return err
	}
	_, err = ext.ExecContext(ctx, `
		WITH e AS (
			INSERT INTO order_events (order_id, kind, message, data, actor_kind, actor_id, actor_name)
			SELECT $1::bigint, t.kind, t.message, nullif(t.data, '')::jsonb, $5::text, $6::bigint, $7::text
			FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(kind, message, data, n)
			ORDER BY t.n
			RETURNING 1
		)
		SELECT pg_notify('order_updated', $1::bigint::text) FROM (SELECT count(*) FROM e) AS c`,
		orderID, pq.Array(ev.kinds), pq.Array(ev.messages), pq.Array(ev.data), string(a.Kind), actorID, a.Name)
	if err != nil {
		return fmt.Errorf("record order events: %w", err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// violates reports whether err is a violation of the named constraint.
func violates(err error, constraint string) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Constraint == constraint
}

// insertOrderSQL is insertOrder's statement; see there.
const insertOrderSQL = `
	WITH o AS (
		INSERT INTO orders AS o (idempotency_key, request_hash, channel, status, payment_method, customer_id, email,
			phone, location_id, placed_by_kind, placed_by_id, currency, subtotal, discount, shipping, tax, total,
			lines_signature, hold_reasons)
		VALUES ($1, $2, $3, $4, nullif($5, ''), $6, coalesce($7, (SELECT email FROM customers WHERE id = $6)),
			coalesce($8, (SELECT phone FROM customers WHERE id = $6)), $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, coalesce($19::text[], '{}'))
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING ` + orderColumns + `
	), l AS (
		INSERT INTO order_lines (order_id, line_no, variant_id, sku, title, quantity, unit_price, subtotal, discount,
			tax, total)
		SELECT o.id, t.n - 1, t.variant_id, t.sku, t.title, t.quantity, t.unit_price, t.subtotal, t.discount, t.tax,
			t.total
		FROM o, unnest($20::bigint[], $21::int[], $22::bigint[], $23::bigint[], $24::bigint[], $25::bigint[],
			$26::bigint[], $46::text[], $47::text[])
			WITH ORDINALITY AS t(variant_id, quantity, unit_price, subtotal, discount, tax, total, sku, title, n)
		RETURNING id, line_no
	), a AS (
		INSERT INTO order_allocations (order_id, method, rule, explanation, actor_kind, actor_id)
		SELECT o.id, $27, $28, $29::jsonb, $10, $11 FROM o
		RETURNING id, order_id
	), f AS (
		INSERT INTO fulfilments (order_id, allocation_id, location_id, method, status, pickup_location_id,
			ship_address, expected_ready_on)
		SELECT a.order_id, a.id, t.location_id, $27, $30, $31::bigint, $32::jsonb, nullif(t.ready_on, '')::date
		FROM a, unnest($33::bigint[], $34::text[]) WITH ORDINALITY AS t(location_id, ready_on, n)
		ORDER BY t.n
		RETURNING id, location_id
	), fl AS (
		INSERT INTO fulfilment_lines (fulfilment_id, order_line_id, quantity)
		SELECT f.id, l.id, t.quantity
		FROM unnest($35::bigint[], $36::int[], $37::int[]) AS t(location_id, line_no, quantity)
		JOIN f ON f.location_id = t.location_id JOIN l ON l.line_no = t.line_no
		RETURNING fulfilment_id
	), e AS (
		INSERT INTO order_events (order_id, kind, message, data, actor_kind, actor_id, actor_name)
		SELECT o.id, t.kind, t.message, nullif(t.data, '')::jsonb, $10, $11, $41
		FROM o, unnest($38::text[], $39::text[], $40::text[]) WITH ORDINALITY AS t(kind, message, data, n)
		ORDER BY t.n
		RETURNING order_id
	), notified AS (
		SELECT pg_notify('order_updated', min(order_id)::text) FROM e HAVING NOT $42::boolean
	), r AS (
		-- After everything else is written (it reads their counts), so that the stock rows
		-- stay locked only for the end of the statement.
		SELECT reserve_stock('ORD:' || o.id, $10, $11, $43::bigint[], $44::bigint[], $45::int[], false)
		FROM o, (SELECT count(*) FROM fl) AS fl_done, (SELECT count(*) FROM notified) AS e_done
		WHERE $42::boolean
	)
	SELECT o.*, a.id AS allocation_id FROM o, a, (SELECT count(*) FROM notified) AS n, (SELECT count(*) FROM r) AS rn`

// hotPath is a Service's state for placing orders: its prepared statements (PostgreSQL
// plans each once per connection instead of on every order: planning the order's
// statements cost about as much as running them) and the open locations, with the
// version of the locations table they were read at (see read).
type hotPath struct {
	mu              sync.Mutex
	stmts           map[string]*sqlx.Stmt
	locationVersion string
	locations       map[int64]location.Location
}

// prepared returns query prepared on the service's database (prepared again, by
// database/sql, on each connection that runs it).
func (s *Service) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	h := s.hotPath
	h.mu.Lock()
	defer h.mu.Unlock()
	if stmt, ok := h.stmts[query]; ok {
		return stmt, nil
	}
	stmt, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare order statement: %w", err)
	}
	h.stmts[query] = stmt
	return stmt, nil
}
