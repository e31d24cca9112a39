package order

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/inventory"
	"atrium/internal/money"
	"atrium/internal/notify"
	"atrium/internal/postgres"
)

// side is where a step is done: the source location (pick, pack, ship), the pickup store
// (receive, make ready, collect), or either (cancel).
type side int

const (
	atSource side = iota
	atPickup
	atEither
)

// cancellable are the statuses of goods that have not left.
var cancellable = []FulfilmentStatus{FulfilmentOpen, FulfilmentPicking, FulfilmentPacked, FulfilmentReceived,
	FulfilmentReadyForPickup}

// stepState is a fulfilment step in progress: its transaction, the locked order and the
// locked fulfilment with its items.
type stepState struct {
	ctx context.Context
	tx  *sqlx.Tx
	o   Order
	f   FulfilmentView
}

// kept is an error after which a step's changes are still committed (a wrong pickup code
// is counted even though the collection is refused).
type kept struct{ err error }

func (k *kept) Error() string { return k.err.Error() }
func (k *kept) Unwrap() error { return k.err }

// transition is a fulfilment step: what it is called in messages ("it cannot be
// shipped"), where it is done, the statuses it starts from and the one it leads to.
type transition struct {
	what string
	at   side
	from []FulfilmentStatus
	// to is the status the step leads to; empty for actions that are not a step of
	// their own (a scan, a re-route).
	to FulfilmentStatus
	// agrees, when set, checks a retried step's input against what the first call
	// recorded (the same tracking number, the same pickup code): nil when it agrees, else
	// the Conflict saying what was recorded. Unset: any retry agrees (no input).
	agrees func(*stepState) error
}

// step runs fn on fulfilment id in a transaction: it checks the actor's role, locks the
// order then the fulfilment (the order first, like payments, so they cannot deadlock),
// checks the actor may act at the side's location, that the order is OPEN (or ON_HOLD for
// a cancellation) and that the fulfilment is in one of t.from. It returns the fulfilment
// as fn left it, read again in full.
//
// Steps are safe to retry: tablets on store Wi-Fi resend a step whose response was lost.
// A fulfilment already where t.to leads, with input that agrees with what was recorded,
// is returned as it is without running fn: no second event, message, stock movement or
// order_updated notice, whatever the order's status has become since (a collection may
// have completed it). The order and fulfilment locks make a concurrent double call the
// same: the second waits for the first and finds the step done.
func (s *Service) step(ctx context.Context, id int64, t transition, fn func(*stepState) error) (FulfilmentView, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager, actor.Associate, actor.Fulfilment); err != nil {
		return FulfilmentView{}, err
	}
	var keep error
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var orderID int64
		if err := tx.GetContext(ctx, &orderID, `SELECT order_id FROM fulfilments WHERE id = $1`, id); err != nil {
			return postgres.NotFound(err, "no fulfilment with id %d", id)
		}
		st := &stepState{ctx: ctx, tx: tx}
		if err := tx.GetContext(ctx, &st.o, `SELECT `+orderColumns+` FROM orders o WHERE o.id = $1 FOR UPDATE`, orderID); err != nil {
			return fmt.Errorf("lock order: %w", err)
		}
		var err error
		if st.f, err = s.loadView(ctx, tx, id, true, false); err != nil {
			return err
		}
		if err := authorizeFulfilment(ctx, st.f, t.at); err != nil {
			return err
		}
		if t.to != "" && st.f.Status == t.to && !slices.Contains(t.from, t.to) {
			if t.agrees != nil {
				return t.agrees(st)
			}
			return nil
		}
		if st.o.Status != Open && !(t.to == FulfilmentCancelled && st.o.Status == OnHold) {
			return apperr.Conflict("", "order %s is %s: its goods cannot be %s", st.o.Number, st.o.Status, t.what).
				WithReason(ReasonWrongStatus)
		}
		if !slices.Contains(t.from, st.f.Status) {
			return st.wrongStep(t.what)
		}
		err = fn(st)
		if k, ok := errors.AsType[*kept](err); ok {
			keep = k.err
			return nil
		}
		return err
	})
	if err != nil {
		return FulfilmentView{}, err
	}
	if keep != nil {
		return FulfilmentView{}, keep
	}
	return s.loadView(ctx, s.db, id, false, true)
}

// alreadyDone refuses a retried step whose input disagrees with what its first call
// recorded, quoting the step's timeline event: e.g. shipping again with another tracking
// number.
func (st *stepState) alreadyDone(kind, what, differs string) error {
	recorded, err := st.recorded(kind)
	if err != nil {
		return err
	}
	msg := ""
	if recorded.Message != "" {
		msg = fmt.Sprintf(" (%s by %s at %s)", strings.TrimSuffix(recorded.Message, "."), recorded.ActorName,
			recorded.At.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return apperr.Conflict("", "fulfilment %d of order %s is already %s%s: %s", st.f.ID, st.o.Number, what, msg, differs).
		WithReason(ReasonWrongStatus)
}

// recorded returns the fulfilment's latest timeline event of kind (empty when none).
func (st *stepState) recorded(kind string) (Event, error) {
	var e Event
	err := st.tx.GetContext(st.ctx, &e, `SELECT `+eventColumns+` FROM order_events c
		WHERE c.order_id = $1 AND c.fulfilment_id = $2 AND c.kind = $3 ORDER BY c.id DESC LIMIT 1`, st.o.ID, st.f.ID, kind)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("recorded step: %w", err)
	}
	return e, nil
}

// recordedReason is the reason of the fulfilment's latest kind event when it was a
// manager's override ("" otherwise).
func (st *stepState) recordedReason(kind string) (string, error) {
	e, err := st.recorded(kind)
	if err != nil {
		return "", err
	}
	if override, _ := e.Data["override"].(bool); !override {
		return "", nil
	}
	reason, _ := e.Data["reason"].(string)
	return reason, nil
}

// sameShipment checks a retried Ship against the carrier and tracking number recorded.
func (st *stepState) sameShipment(in ShipInput) error {
	carrier, tracking := shipment(in)
	if strings.EqualFold(carrier, deref(st.f.Carrier)) && tracking == deref(st.f.TrackingNumber) {
		return nil
	}
	again := carrier
	if again == "" {
		again = "no carrier"
	}
	if tracking != "" {
		again += ", tracking " + tracking
	}
	return st.alreadyDone(EventShipped, "shipped", fmt.Sprintf("it cannot be shipped again with %s; "+
		"correct the shipment with the carrier if the recorded one is wrong", again))
}

// sameCode checks a retried Collect: the code must be the pickup code sent (not counted
// as a wrong try: the goods are gone). A fulfilment made ready without a code (no email
// or phone) was handed over on the customer's identity: any retry agrees.
func (st *stepState) sameCode(code string) error {
	var hash *string
	if err := st.tx.GetContext(st.ctx, &hash, `SELECT pickup_code_hash FROM fulfilments WHERE id = $1`, st.f.ID); err != nil {
		return fmt.Errorf("pickup code: %w", err)
	}
	code = codeSeparators.Replace(strings.TrimSpace(code))
	if hash == nil || subtle.ConstantTimeCompare([]byte(pickupCodeHash(st.f.ID, code)), []byte(*hash)) == 1 {
		return nil
	}
	return st.alreadyDone(EventCollected, "collected", "the code given is not its pickup code, so this is not a retry of that collection")
}

// sameOverride checks a retried manager's override (of a pack or a collection, the kind
// of event) against the reason recorded.
func (st *stepState) sameOverride(kind, what, reason string) error {
	recorded, err := st.recordedReason(kind)
	if err != nil || recorded == reason {
		return err
	}
	if recorded == "" {
		return st.alreadyDone(kind, what, "it was done without an override, so there is nothing to override")
	}
	return st.alreadyDone(kind, what, fmt.Sprintf("the override's reason was %q, not %q", recorded, reason))
}

// sameCancellation checks a retried CancelFulfilment against the reason recorded.
func (st *stepState) sameCancellation(reason string) error {
	recorded := deref(st.f.CancelReason)
	if recorded == reason {
		return nil
	}
	if recorded == "" {
		recorded = "none recorded"
	}
	return apperr.Conflict("", "fulfilment %d of order %s is already cancelled (reason: %s): it cannot be cancelled again for %q",
		st.f.ID, st.o.Number, recorded, reason).WithReason(ReasonWrongStatus)
}

// authorizeFulfilment lets managers act anywhere and associates and fulfilment staff at
// their home location when it is the step's side of f.
func authorizeFulfilment(ctx context.Context, f FulfilmentView, at side) error {
	a := actor.From(ctx)
	if a.HasRole(actor.Manager) {
		return nil
	}
	var where []int64
	var codes []string
	if at != atPickup || f.PickupLocationID == nil {
		where, codes = append(where, f.LocationID), append(codes, f.LocationCode)
	}
	if at != atSource && f.PickupLocationID != nil && *f.PickupLocationID != f.LocationID {
		where, codes = append(where, *f.PickupLocationID), append(codes, deref(f.PickupLocationCode))
	}
	if at == atPickup && f.PickupLocationID != nil && len(where) == 0 {
		where, codes = append(where, *f.PickupLocationID), append(codes, deref(f.PickupLocationCode))
	}
	if a.HomeLocationID != nil && slices.Contains(where, *a.HomeLocationID) {
		return nil
	}
	return apperr.Forbidden("this step is done at %s: you can handle fulfilments only at your home location",
		strings.Join(codes, " or "))
}

// wrongStep refuses a step the fulfilment's status does not allow, saying what can be
// done instead.
func (st *stepState) wrongStep(what string) error {
	return apperr.Conflict("", "fulfilment %d of order %s is %s: it cannot be %s (%s)", st.f.ID, st.o.Number,
		st.f.Status, what, st.f.nextSteps()).WithReason(ReasonWrongStatus)
}

// nextSteps says what can be done with f now.
func (v FulfilmentView) nextSteps() string {
	switch v.Status {
	case FulfilmentOpen:
		return "next: pick it (start picking or scan its items), re-route or cancel it"
	case FulfilmentPicking:
		return "next: scan its items and pack it, or cancel it"
	case FulfilmentPacked:
		if v.Method == Pickup && !v.ShipToStore() {
			return "next: make it ready for pickup"
		}
		return "next: ship it"
	case FulfilmentShipped:
		if v.Method == Ship {
			return "next: mark it delivered"
		}
		return "next: receive it at the pickup store"
	case FulfilmentReceived:
		return "next: make it ready for pickup"
	case FulfilmentReadyForPickup:
		return "next: hand it over against the pickup code"
	}
	return "it is finished"
}

// move sets the fulfilment's status and records the step on the order's timeline.
func (st *stepState) move(to FulfilmentStatus, kind, message string, data EventData) error {
	_, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET status = $2, updated_at = now() WHERE id = $1`, st.f.ID, to)
	if err != nil {
		return fmt.Errorf("set fulfilment status: %w", postgres.MapError(err))
	}
	st.f.Status = to
	return fulfilmentEvent(st.ctx, st.tx, st.o.ID, &st.f.ID, newEvent{kind, message, data})
}

// fulfilmentEvent appends an event about a fulfilment (nil: the order) to the order's
// timeline as done by the actor in ctx, and tells order_updated listeners when the
// transaction commits.
func fulfilmentEvent(ctx context.Context, ext sqlx.ExtContext, orderID int64, fulfilmentID *int64, e newEvent) error {
	a := actor.From(ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	var data any
	if e.data != nil {
		v, err := jsonText(e.data)
		if err != nil {
			return err
		}
		data = v
	}
	_, err := ext.ExecContext(ctx, `
		WITH e AS (
			INSERT INTO order_events (order_id, fulfilment_id, kind, message, data, actor_kind, actor_id, actor_name)
			VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
			RETURNING 1
		)
		SELECT pg_notify('order_updated', $1::bigint::text) FROM (SELECT count(*) FROM e) AS c`,
		orderID, fulfilmentID, e.kind, e.message, data, string(a.Kind), actorID, a.Name)
	if err != nil {
		return fmt.Errorf("record fulfilment event: %w", err)
	}
	return nil
}

func (st *stepState) sourceCode() string { return st.f.LocationCode }

func (st *stepState) pickupCode() string {
	if st.f.PickupLocationCode != nil {
		return *st.f.PickupLocationCode
	}
	return st.f.LocationCode
}

func (st *stepState) ref() string { return orderRef(st.o.ID) }

func orderRef(id int64) string { return "ORD:" + strconv.FormatInt(id, 10) }

// stockLines are the fulfilment's units where they are reserved now.
func (st *stepState) stockLines() []inventory.Line {
	lines := make([]inventory.Line, 0, len(st.f.Items))
	for _, it := range st.f.Items {
		lines = append(lines, inventory.Line{LocationID: st.f.StockLocationID(), VariantID: it.VariantID, Qty: it.Quantity})
	}
	return lines
}

// expected lists what is still to scan, e.g. "OT-1 Black tee × 2, OT-7 Cap × 1".
func (v FulfilmentView) unscanned() string {
	var out []string
	for _, it := range v.Items {
		if n := it.Quantity - it.Scanned; n > 0 {
			out = append(out, fmt.Sprintf("%s %s × %d", it.SKU, it.Title, n))
		}
	}
	return strings.Join(out, ", ")
}

func (v FulfilmentView) tracking() string {
	switch {
	case v.Carrier != nil && v.TrackingNumber != nil && *v.TrackingNumber != "":
		return fmt.Sprintf(" (%s, tracking %s)", *v.Carrier, *v.TrackingNumber)
	case v.Carrier != nil:
		return fmt.Sprintf(" (%s)", *v.Carrier)
	}
	return ""
}

// scan records one scanned unit; see Service.Scan.
func (st *stepState) scan(in ScanInput) (ScanResult, error) {
	code := strings.TrimSpace(in.Code)
	key := strings.TrimSpace(in.IdempotencyKey)
	var res ScanResult
	if code == "" {
		return res, apperr.List{apperr.Invalid("code", "scan a barcode or type a SKU")}
	}
	if len(key) > 100 {
		return res, apperr.List{apperr.Invalid("idempotencyKey", "a key is at most 100 characters")}
	}
	if key != "" {
		var lineID int64
		err := st.tx.GetContext(st.ctx, &lineID, `SELECT order_line_id FROM fulfilment_scans
			WHERE fulfilment_id = $1 AND idempotency_key = $2`, st.f.ID, key)
		if err == nil {
			res.Replayed, res.Item.OrderLineID = true, lineID
			return res, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return res, fmt.Errorf("scan by key: %w", err)
		}
	}
	i := slices.IndexFunc(st.f.Items, func(it FulfilmentItem) bool {
		return (it.Barcode != nil && *it.Barcode == code) || strings.EqualFold(it.SKU, code)
	})
	if i < 0 {
		return res, apperr.List{apperr.Invalid("code", "%s is not on this order (%s): put it aside. Still to scan: %s",
			st.nameCode(code), st.o.Number, orNothing(st.f.unscanned())).WithReason(ReasonWrongItem)}
	}
	it := &st.f.Items[i]
	if it.Scanned >= it.Quantity {
		return res, apperr.List{apperr.Invalid("code", "%s %s: all %d unit(s) are already scanned, this one is extra. Still to scan: %s",
			it.SKU, it.Title, it.Quantity, orNothing(st.f.unscanned())).WithReason(ReasonTooMany)}
	}
	if st.f.Status == FulfilmentOpen {
		if err := st.move(FulfilmentPicking, EventPicking, "Picking started at "+st.sourceCode()+" (first scan).", nil); err != nil {
			return res, err
		}
	}
	a := actor.From(st.ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	_, err := st.tx.ExecContext(st.ctx, `INSERT INTO fulfilment_scans (fulfilment_id, order_line_id, code, idempotency_key,
		actor_kind, actor_id, actor_name) VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7)`,
		st.f.ID, it.OrderLineID, code, key, string(a.Kind), actorID, a.Name)
	if err != nil {
		return res, fmt.Errorf("record scan: %w", err)
	}
	it.Scanned++
	res.Item = *it
	return res, nil
}

func orNothing(s string) string {
	if s == "" {
		return "nothing, everything is scanned"
	}
	return s
}

// nameCode names what a scanned code is in the catalog, e.g. "OT-9 Cap — Red (4710000000019)".
func (st *stepState) nameCode(code string) string {
	var name string
	err := st.tx.GetContext(st.ctx, &name, `SELECT v.sku || ' ' || p.title || CASE WHEN v.title <> '' THEN ' — ' || v.title ELSE '' END
		FROM variants v JOIN products p ON p.id = v.product_id WHERE v.barcode = $1 OR v.sku = upper($1) LIMIT 1`, code)
	if err != nil {
		return fmt.Sprintf("%q (no item has this code)", code)
	}
	return name
}

var trackingPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{3,39}$`)

// shipment is the carrier and tracking number of in as they are recorded.
func shipment(in ShipInput) (carrier, tracking string) {
	return strings.Join(strings.Fields(in.Carrier), " "), strings.ToUpper(strings.Join(strings.Fields(in.TrackingNumber), ""))
}

// ship hands the fulfilment to a carrier; see Service.Ship.
func (st *stepState) ship(s *Service, in ShipInput) error {
	if st.f.Method == Pickup && !st.f.ShipToStore() {
		return st.wrongStep("shipped: it is collected from this store's own stock")
	}
	carrier, tracking := shipment(in)
	var errs apperr.List
	if carrier == "" {
		errs = append(errs, apperr.Invalid("carrier", "name the carrier (e.g. Black Cat, Chunghwa Post, own van)"))
	} else if len(carrier) > 60 {
		errs = append(errs, apperr.Invalid("carrier", "a carrier name is at most 60 characters"))
	}
	switch {
	case tracking == "" && st.f.Method == Ship:
		errs = append(errs, apperr.Invalid("trackingNumber", "enter the carrier's tracking number, so the customer can follow the parcel"))
	case tracking != "" && !trackingPattern.MatchString(tracking):
		errs = append(errs, apperr.Invalid("trackingNumber", "a tracking number is 4 to 40 letters, digits and dashes"))
	}
	if err := errs.Err(); err != nil {
		return err
	}
	data := EventData{"carrier": carrier, "trackingNumber": tracking}
	var msg string
	if st.f.Method == Ship {
		if err := s.dep.Stock.Consume(st.ctx, st.tx, st.ref(), st.stockLines()); err != nil {
			return err
		}
		msg = fmt.Sprintf("Shipped from %s with %s, tracking %s.", st.sourceCode(), carrier, tracking)
	} else {
		transfers, ok := s.dep.Stock.(inventory.OrderTransfers)
		if !ok {
			return errors.New("ship to store: the stock service cannot transfer stock for orders")
		}
		lines := make([]inventory.TransferLineInput, len(st.f.Items))
		for i, it := range st.f.Items {
			lines[i] = inventory.TransferLineInput{VariantID: it.VariantID, Qty: it.Quantity}
		}
		id, err := transfers.SendForOrder(st.ctx, st.tx, inventory.OrderTransferInput{
			Key:            fmt.Sprintf("%s:F%d", st.ref(), st.f.ID),
			FromLocationID: st.f.LocationID, ToLocationID: *st.f.PickupLocationID, ExpectedArrival: st.f.ExpectedReadyOn,
			Note: fmt.Sprintf("Order %s, collected at %s", st.o.Number, st.pickupCode()), Lines: lines})
		if err != nil {
			return err
		}
		if _, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET transfer_id = $2 WHERE id = $1`, st.f.ID, id); err != nil {
			return fmt.Errorf("link transfer: %w", err)
		}
		data["transferId"] = id
		msg = fmt.Sprintf("Sent from %s to %s with %s (transfer %d).", st.sourceCode(), st.pickupCode(), carrier, id)
	}
	_, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET carrier = $2, tracking_number = nullif($3, '') WHERE id = $1`,
		st.f.ID, carrier, tracking)
	if err != nil {
		return fmt.Errorf("record carrier: %w", err)
	}
	return st.move(FulfilmentShipped, EventShipped, msg, data)
}

// receive takes a ship-to-store fulfilment in at its pickup store; see ReceiveAtStore.
func (st *stepState) receive(s *Service) error {
	if !st.f.ShipToStore() || st.f.TransferID == nil {
		return st.wrongStep("received: only goods sent to a pickup store are received")
	}
	transfers, ok := s.dep.Stock.(inventory.OrderTransfers)
	if !ok {
		return errors.New("receive at store: the stock service cannot transfer stock for orders")
	}
	err := transfers.ReceiveForOrder(st.ctx, st.tx, *st.f.TransferID, st.ref())
	if short, ok := errors.AsType[*inventory.ShortageError](err); ok {
		return apperr.Conflict("", "transfer %d was already received at %s and its units are no longer all there (%s): "+
			"re-route or cancel the missing lines", *st.f.TransferID, st.pickupCode(), short.Error()).WithReason(ReasonInsufficientStock)
	}
	if err != nil {
		return err
	}
	return st.move(FulfilmentReceived, EventReceived, fmt.Sprintf("Received at %s from %s (transfer %d).",
		st.pickupCode(), st.sourceCode(), *st.f.TransferID), EventData{"transferId": *st.f.TransferID})
}

// pickupCodeHash is what is stored of a pickup code.
func pickupCodeHash(fulfilmentID int64, code string) string {
	h := sha256.Sum256([]byte(strconv.FormatInt(fulfilmentID, 10) + ":" + code))
	return hex.EncodeToString(h[:])
}

// newPickupCode returns 6 random digits.
func newPickupCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("pickup code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// ready makes the fulfilment ready for pickup and sends the code; see ReadyForPickup.
func (st *stepState) ready() error {
	if st.f.Method != Pickup {
		return st.wrongStep("made ready for pickup: it is shipped to an address")
	}
	if st.f.ShipToStore() && st.f.Status == FulfilmentPacked {
		return st.wrongStep("made ready for pickup before it is sent to " + st.pickupCode())
	}
	var store struct {
		Name    string `db:"name"`
		Address string `db:"address"`
	}
	err := st.tx.GetContext(st.ctx, &store, `SELECT name, concat_ws(', ', nullif(address_line1, ''), nullif(address_line2, ''),
		nullif(city, '')) AS address FROM locations WHERE id = $1`, *st.f.PickupLocationID)
	if err != nil {
		return fmt.Errorf("pickup store: %w", err)
	}
	to, channel := deref(st.o.Email), notify.Email
	if to == "" && st.o.Phone != nil {
		to, channel = *st.o.Phone, notify.SMS
	}
	if to == "" {
		// No way to send a code: staff check the customer's identity at collection.
		_, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET pickup_code_hash = NULL, pickup_code_attempts = 0 WHERE id = $1`, st.f.ID)
		if err != nil {
			return fmt.Errorf("clear pickup code: %w", err)
		}
		return st.move(FulfilmentReadyForPickup, EventReadyForPickup, fmt.Sprintf("Ready for pickup at %s. The order has no "+
			"email or phone for a pickup code: check the customer's identity when handing it over.", st.pickupCode()), nil)
	}
	code, err := newPickupCode()
	if err != nil {
		return err
	}
	_, err = st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET pickup_code_hash = $2, pickup_code_attempts = 0 WHERE id = $1`,
		st.f.ID, pickupCodeHash(st.f.ID, code))
	if err != nil {
		return fmt.Errorf("set pickup code: %w", err)
	}
	body := fmt.Sprintf("Hello,\n\nYour order %s is ready for pickup at %s (%s).\n\nPickup code: %s\n\n"+
		"Show this code at the counter when you collect it.", st.o.Number, store.Name, store.Address, code)
	if due := st.o.Due(); due > 0 {
		body += fmt.Sprintf(" %s is to be paid at pickup.", money.Format(due, st.o.Currency))
	}
	body += "\n"
	if channel == notify.SMS {
		body = fmt.Sprintf("Order %s is ready at %s. Pickup code: %s", st.o.Number, store.Name, code)
	}
	_, err = notify.Enqueue(st.ctx, st.tx, notify.Message{Kind: "PICKUP_READY", Channel: channel, To: to,
		Subject: fmt.Sprintf("Order %s is ready for pickup at %s", st.o.Number, store.Name), Body: body,
		Reference: st.ref(), DedupeKey: fmt.Sprintf("PICKUP_READY:F%d", st.f.ID)})
	if err != nil {
		return err
	}
	return st.move(FulfilmentReadyForPickup, EventReadyForPickup, fmt.Sprintf("Ready for pickup at %s; pickup code sent to %s.",
		st.pickupCode(), maskContact(to)), EventData{"sentTo": maskContact(to)})
}

// maskContact hides most of an email or phone number on the timeline.
func maskContact(s string) string {
	if user, domain, ok := strings.Cut(s, "@"); ok {
		if len(user) > 1 {
			user = user[:1] + strings.Repeat("*", min(len(user)-1, 5))
		}
		return user + "@" + domain
	}
	if len(s) > 4 {
		return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
	}
	return s
}

var codeSeparators = strings.NewReplacer(" ", "", "-", "")

// collect hands the goods over; see Collect and CollectOverride (override: the reason).
func (st *stepState) collect(s *Service, code, override string) error {
	if due := st.o.Due(); due > 0 {
		return apperr.Conflict("", "order %s has %s due: record the payment before handing the goods over",
			st.o.Number, money.Format(due, st.o.Currency)).WithReason(ReasonUnpaid)
	}
	var stored struct {
		Hash     *string `db:"pickup_code_hash"`
		Attempts int     `db:"pickup_code_attempts"`
	}
	err := st.tx.GetContext(st.ctx, &stored, `SELECT pickup_code_hash, pickup_code_attempts FROM fulfilments WHERE id = $1`, st.f.ID)
	if err != nil {
		return fmt.Errorf("pickup code: %w", err)
	}
	if override == "" && stored.Hash != nil {
		if stored.Attempts >= MaxPickupCodeAttempts {
			return apperr.Conflict("", "%d wrong pickup codes were tried: collection is locked. A manager can hand the goods "+
				"over after checking the customer's identity", stored.Attempts).WithReason(ReasonPickupCodeLocked)
		}
		code = codeSeparators.Replace(strings.TrimSpace(code))
		if code == "" {
			return apperr.List{apperr.Invalid("code", "enter the 6-digit pickup code the customer received")}
		}
		if subtle.ConstantTimeCompare([]byte(pickupCodeHash(st.f.ID, code)), []byte(*stored.Hash)) != 1 {
			_, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET pickup_code_attempts = pickup_code_attempts + 1 WHERE id = $1`, st.f.ID)
			if err != nil {
				return fmt.Errorf("count pickup code attempt: %w", err)
			}
			left := MaxPickupCodeAttempts - stored.Attempts - 1
			msg := fmt.Sprintf("wrong pickup code: %d tries left", left)
			if left == 0 {
				msg = "wrong pickup code: collection is now locked; a manager can hand the goods over after checking the customer's identity"
			}
			return &kept{apperr.List{apperr.Invalid("code", "%s", msg).WithReason(ReasonWrongPickupCode)}}
		}
	}
	if err := s.dep.Stock.Consume(st.ctx, st.tx, st.ref(), st.stockLines()); err != nil {
		return err
	}
	msg, data := "Collected at "+st.pickupCode()+".", EventData(nil)
	if override != "" {
		msg, data = fmt.Sprintf("Collected at %s without the pickup code, by a manager's override: %s", st.pickupCode(), override),
			EventData{"override": true, "reason": override}
	}
	if err := st.move(FulfilmentCollected, EventCollected, msg, data); err != nil {
		return err
	}
	if override != "" {
		err := audit.Record(st.ctx, st.tx, audit.Entry{Action: "fulfilment.collect_override", Entity: "fulfilment", EntityID: st.f.ID,
			Before: map[string]any{"status": FulfilmentReadyForPickup, "codeAttempts": stored.Attempts},
			After:  map[string]any{"status": FulfilmentCollected}, Reason: override})
		if err != nil {
			return err
		}
	}
	return st.settle(s)
}

// cancelWhole cancels the fulfilment; see CancelFulfilment.
func (st *stepState) cancelWhole(s *Service, reason, message string) error {
	if err := s.dep.Stock.Release(st.ctx, st.tx, st.ref(), st.stockLines()); err != nil {
		return err
	}
	units := map[int64]int{}
	for _, it := range st.f.Items {
		units[it.OrderLineID] += it.Quantity
	}
	value, err := cancelUnits(st.ctx, st.tx, st.o.ID, units)
	if err != nil {
		return err
	}
	if _, err := st.tx.ExecContext(st.ctx, `UPDATE fulfilments SET cancel_reason = $2 WHERE id = $1`, st.f.ID, reason); err != nil {
		return fmt.Errorf("cancel fulfilment: %w", err)
	}
	if err := st.move(FulfilmentCancelled, EventFulfilmentCancelled, message,
		EventData{"reason": reason, "units": st.f.Units(), "value": value}); err != nil {
		return err
	}
	return st.settle(s)
}

// cancelUnits records units of an order's lines as cancelled and adds their value to the
// order's cancelled amount: a line's cancelled value is its total in proportion to the
// units cancelled, rounded down so that cancelling every unit gives exactly its total. It
// returns the value cancelled now.
func cancelUnits(ctx context.Context, ext sqlx.ExtContext, orderID int64, units map[int64]int) (int64, error) {
	ids, qtys := make([]int64, 0, len(units)), make([]int64, 0, len(units))
	for id, q := range units {
		if q > 0 {
			ids, qtys = append(ids, id), append(qtys, int64(q))
		}
	}
	var value int64
	err := sqlx.GetContext(ctx, ext, &value, `
		WITH u AS (
			UPDATE order_lines l SET cancelled_quantity = l.cancelled_quantity + t.q
			FROM unnest($2::bigint[], $3::int[]) AS t(id, q)
			WHERE l.id = t.id AND l.order_id = $1
			RETURNING l.total * l.cancelled_quantity / l.quantity - l.total * (l.cancelled_quantity - t.q) / l.quantity AS value
		), v AS (SELECT coalesce(sum(value), 0)::bigint AS value FROM u)
		UPDATE orders SET cancelled_amount = cancelled_amount + v.value, updated_at = now() FROM v WHERE id = $1
		RETURNING v.value`, orderID, pq.Array(ids), pq.Array(qtys))
	if err != nil {
		return 0, fmt.Errorf("cancel units: %w", postgres.MapError(err))
	}
	return value, nil
}

// settle completes or cancels the order after a fulfilment finished; see settleOrder.
func (st *stepState) settle(s *Service) error {
	o, err := s.settleOrder(st.ctx, st.tx, st.o.ID)
	st.o = o
	return err
}

// settleOrder cancels an order none of whose fulfilments is left (its coupon uses given
// back, its whole total cancelled), or completes an OPEN one whose fulfilments are all
// done when it is paid.
func (s *Service) settleOrder(ctx context.Context, tx *sqlx.Tx, orderID int64) (Order, error) {
	var counts struct {
		Unfinished int `db:"unfinished"`
		Live       int `db:"live"`
	}
	err := tx.GetContext(ctx, &counts, `SELECT
		count(*) FILTER (WHERE status NOT IN ('DELIVERED', 'COLLECTED', 'CANCELLED')) AS unfinished,
		count(*) FILTER (WHERE status <> 'CANCELLED') AS live
		FROM fulfilments WHERE order_id = $1`, orderID)
	if err != nil {
		return Order{}, fmt.Errorf("order fulfilments: %w", err)
	}
	var o Order
	if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders o WHERE o.id = $1`, orderID); err != nil {
		return o, fmt.Errorf("order: %w", err)
	}
	switch {
	case counts.Live == 0 && o.Status != Cancelled:
		if err := s.dep.Coupons.CancelRedemptions(ctx, tx, orderID); err != nil {
			return o, err
		}
		points, err := s.releasePoints(ctx, tx, orderID)
		if err != nil {
			return o, err
		}
		err = tx.GetContext(ctx, &o, `UPDATE orders o SET status = 'CANCELLED', cancelled_amount = o.total, updated_at = now()
			WHERE o.id = $1 RETURNING `+orderColumns, orderID)
		if err != nil {
			return o, fmt.Errorf("cancel order: %w", err)
		}
		msg := "Cancelled: nothing is left to fulfil."
		if points > 0 {
			msg += fmt.Sprintf(" The points payment of %s went back to the customer as points.", money.Format(points, o.Currency))
		}
		if owed := o.RefundDue(); owed > 0 {
			msg += fmt.Sprintf(" %s paid is owed back to the customer.", money.Format(owed, o.Currency))
		}
		return o, fulfilmentEvent(ctx, tx, orderID, nil, newEvent{EventCancelled, msg, EventData{"refundDue": o.RefundDue()}})
	case counts.Unfinished == 0 && counts.Live > 0 && o.Status == Open && o.PaymentStatus == Paid:
		if o, err = setStatus(ctx, tx, orderID, Completed); err != nil {
			return o, err
		}
		msg := "Completed."
		if owed := o.RefundDue(); owed > 0 {
			msg = fmt.Sprintf("Completed; %s paid for cancelled items is owed back to the customer.", money.Format(owed, o.Currency))
		}
		return o, fulfilmentEvent(ctx, tx, orderID, nil, newEvent{EventCompleted, msg, nil})
	}
	return o, nil
}

// managerReason checks that the actor is a manager and gave a reason for an override.
func managerReason(ctx context.Context, reason string) (string, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return "", err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", apperr.List{apperr.Invalid("reason", "say why, for the audit log")}
	}
	return reason, nil
}
