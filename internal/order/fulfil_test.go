package order_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/order"
)

// only returns the order's single fulfilment not cancelled.
func (f *fixture) only(t testing.TB, orderID int64) order.Fulfilment {
	t.Helper()
	var live []order.Fulfilment
	for _, fu := range f.detail(t, orderID).Fulfilments {
		if fu.Status != order.FulfilmentCancelled {
			live = append(live, fu)
		}
	}
	if len(live) != 1 {
		t.Fatalf("order %d has %d live fulfilments, want 1", orderID, len(live))
	}
	return live[0]
}

// pay records a card payment of what is due on an order.
func (f *fixture) pay(t testing.TB, orderID int64) order.Order {
	t.Helper()
	o, err := f.svc.Order(system, orderID)
	must(t, err)
	res, err := f.svc.RecordPayment(f.as("manager"), order.PaymentInput{OrderID: orderID, IdempotencyKey: newKey(),
		Method: order.Card, Amount: o.Due(), Reference: "slip-" + newKey()})
	must(t, err)
	return res.Order
}

// scanAll scans every unit of a fulfilment as ctx.
func (f *fixture) scanAll(t testing.TB, ctx context.Context, id int64) {
	t.Helper()
	v, err := f.svc.FulfilmentByID(ctx, id)
	must(t, err)
	for _, it := range v.Items {
		for range it.Quantity - it.Scanned {
			_, err := f.svc.Scan(ctx, order.ScanInput{FulfilmentID: id, Code: it.SKU})
			must(t, err)
		}
	}
}

// movements returns the kinds and on-hand deltas of a variant's movements at a location,
// e.g. "RECEIPT:+5 RESERVE:+0 SALE:-2".
func (f *fixture) movements(t testing.TB, code string, variant int64) string {
	t.Helper()
	var rows []struct {
		Kind string `db:"kind"`
		D    int    `db:"on_hand_delta"`
		R    int    `db:"reserved_delta"`
		I    int    `db:"incoming_delta"`
	}
	must(t, f.db.Select(&rows, `SELECT kind, on_hand_delta, reserved_delta, incoming_delta FROM stock_movements
		WHERE location_id = $1 AND variant_id = $2 ORDER BY id`, f.loc[code].ID, variant))
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join([]string{r.Kind, signed(r.D), signed(r.R), signed(r.I)}, "/"))
	}
	return strings.Join(out, " ")
}

func signed(n int) string {
	if n >= 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// steps returns the kinds of a fulfilment's timeline events.
func (f *fixture) steps(t testing.TB, id int64) []string {
	t.Helper()
	v, err := f.svc.FulfilmentByID(system, id)
	must(t, err)
	var out []string
	for _, e := range v.Steps {
		out = append(out, e.Kind)
	}
	return out
}

// pickupCode returns the code of the one PICKUP_READY message of an order and how many
// such messages there are.
func (f *fixture) pickupCode(t testing.TB, orderID int64) (string, int) {
	t.Helper()
	var bodies []string
	must(t, f.db.Select(&bodies, `SELECT body FROM notifications WHERE kind = 'PICKUP_READY' AND reference = $1`,
		"ORD:"+itoa64(orderID)))
	if len(bodies) == 0 {
		return "", 0
	}
	m := regexp.MustCompile(`Pickup code: ([0-9]{6})`).FindStringSubmatch(bodies[0])
	if m == nil {
		t.Fatalf("no pickup code in %q", bodies[0])
	}
	return m[1], len(bodies)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// From a placed web order to delivery: pick, scan-verified pack, ship (SALE), deliver,
// and the order completes once paid.
func TestShipFulfilment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, variant := f.variant(t, 30000, map[string]int{"WH-TAO": 5})
	other, _ := f.variant(t, 10000, map[string]int{"WH-TAO": 5})
	o := f.place(t, guest, shipInput(taipei(), line(sku, 2)))
	fu := f.only(t, o.ID)
	wh := f.as("fulfilment")

	v, err := f.svc.StartPicking(wh, fu.ID)
	must(t, err)
	if v.Status != order.FulfilmentPicking || v.LocationCode != "WH-TAO" || v.OrderNumber != o.Number {
		t.Fatalf("after start picking %+v", v)
	}
	_, err = f.svc.Scan(wh, order.ScanInput{FulfilmentID: fu.ID, Code: other})
	e := wantErr(t, err, order.ReasonWrongItem, "code")
	if !strings.Contains(e.Message, other) || !strings.Contains(e.Message, sku+" Order test tee — Black / M × 2") {
		t.Errorf("wrong item message %q, want the item scanned and what is expected", e.Message)
	}
	_, err = f.svc.Pack(wh, fu.ID)
	wantErr(t, err, order.ReasonNotScanned, "")

	res, err := f.svc.Scan(wh, order.ScanInput{FulfilmentID: fu.ID, Code: strings.ToLower(sku), IdempotencyKey: "scan-1"})
	must(t, err)
	again, err := f.svc.Scan(wh, order.ScanInput{FulfilmentID: fu.ID, Code: sku, IdempotencyKey: "scan-1"})
	must(t, err)
	if res.Complete || res.Item.Scanned != 1 || !again.Replayed || again.Fulfilment.ScannedUnits() != 1 {
		t.Errorf("first scan %+v, retried %+v: want 1 of 2 scanned once", res.Item, again)
	}
	res, err = f.svc.Scan(wh, order.ScanInput{FulfilmentID: fu.ID, Code: sku})
	must(t, err)
	if !res.Complete || res.Item.Scanned != 2 {
		t.Errorf("second scan %+v, want complete", res)
	}
	_, err = f.svc.Scan(wh, order.ScanInput{FulfilmentID: fu.ID, Code: sku})
	e = wantErr(t, err, order.ReasonTooMany, "code")
	if !strings.Contains(e.Message, "all 2 unit(s) are already scanned") {
		t.Errorf("too many message %q", e.Message)
	}
	v, err = f.svc.FulfilmentByID(wh, fu.ID)
	must(t, err)
	if len(v.Scans) != 2 || v.Scans[0].ActorName != "fulfilment" {
		t.Errorf("stored scans %+v, want 2 by the packer", v.Scans)
	}
	_, err = f.svc.Pack(wh, fu.ID)
	must(t, err)

	_, err = f.svc.Ship(wh, order.ShipInput{FulfilmentID: fu.ID, Carrier: " ", TrackingNumber: ""})
	wantErr(t, err, "INVALID", "carrier")
	wantErr(t, err, "INVALID", "trackingNumber")
	if lvl := f.level(t, "WH-TAO", variant); lvl.OnHand != 5 || lvl.Reserved != 2 {
		t.Errorf("before shipping %+v, want 5 on hand, 2 reserved", lvl)
	}
	v, err = f.svc.Ship(wh, order.ShipInput{FulfilmentID: fu.ID, Carrier: "Black Cat", TrackingNumber: "bc 1234-5678"})
	must(t, err)
	if v.Status != order.FulfilmentShipped || *v.Carrier != "Black Cat" || *v.TrackingNumber != "BC1234-5678" {
		t.Errorf("shipped %+v", v)
	}
	if lvl := f.level(t, "WH-TAO", variant); lvl.OnHand != 3 || lvl.Reserved != 0 {
		t.Errorf("after shipping %+v, want 3 on hand, nothing reserved", lvl)
	}
	if got, want := f.movements(t, "WH-TAO", variant), "RECEIPT/+5/+0/+0 RESERVE/+0/+2/+0 SALE/-2/-2/+0"; got != want {
		t.Errorf("movements %s, want %s", got, want)
	}
	paid := f.pay(t, o.ID)
	if paid.Status != order.Open {
		t.Errorf("paid before delivery: %s, want OPEN", paid.Status)
	}
	_, err = f.svc.MarkDelivered(wh, fu.ID)
	must(t, err)
	d := f.detail(t, o.ID)
	if d.Status != order.Completed {
		t.Errorf("order %s after delivery of a paid order, want COMPLETED", d.Status)
	}
	if got := f.steps(t, fu.ID); !slices.Equal(got, []string{"PICKING", "PACKED", "SHIPPED", "DELIVERED"}) {
		t.Errorf("steps %v", got)
	}
	for _, ev := range d.Events {
		if ev.Kind == order.EventShipped && (ev.ActorName != "fulfilment" || ev.FulfilmentID == nil || *ev.FulfilmentID != fu.ID) {
			t.Errorf("shipped event %+v, want the packer and the fulfilment", ev)
		}
	}
	checkLedger(t, f.db)
}

// Steps out of order are refused with the current status; nothing is fulfilled while the
// order is on hold.
func TestIllegalTransitions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *order.Config) { c.Inspection.MaxLineQuantity = 3 })
	sku, _ := f.variant(t, 1000, map[string]int{"WH-TAO": 9, "TPE-02": 9})
	ship := f.place(t, guest, shipInput(taipei(), line(sku, 1)))
	pickup := f.place(t, f.customer(f.mei), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.App,
		Lines: []order.LineInput{line(sku, 1)}, Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["TPE-02"].ID}})
	held := f.place(t, guest, shipInput(taipei(), line(sku, 4)))
	if held.Status != order.OnHold {
		t.Fatalf("order of 4 is %s, want ON_HOLD", held.Status)
	}
	m := f.as("manager")
	shipF, pickupF, heldF := f.only(t, ship.ID).ID, f.only(t, pickup.ID).ID, f.only(t, held.ID).ID
	_, err := f.svc.StartPicking(m, shipF)
	must(t, err)
	_, err = f.svc.PackOverride(m, pickupF, "barcode label torn")
	must(t, err)

	tests := []struct {
		name string
		do   func() error
		want string // in the message
	}{
		{"pack before scanning", func() error { _, err := f.svc.Pack(m, shipF); return err }, "not every unit is scanned"},
		{"ship while picking", func() error {
			_, err := f.svc.Ship(m, order.ShipInput{FulfilmentID: shipF, Carrier: "X", TrackingNumber: "T123"})
			return err
		}, "is PICKING: it cannot be shipped"},
		{"deliver while picking", func() error { _, err := f.svc.MarkDelivered(m, shipF); return err }, "is PICKING"},
		{"pack override after packing", func() error { _, err := f.svc.PackOverride(m, pickupF, "another reason"); return err },
			"already packed"},
		{"ship a pickup from the store's stock", func() error {
			_, err := f.svc.Ship(m, order.ShipInput{FulfilmentID: pickupF, Carrier: "X", TrackingNumber: "T123"})
			return err
		}, "own stock"},
		{"collect before ready", func() error { _, err := f.svc.Collect(m, pickupF, "123456"); return err }, "is PACKED"},
		{"receive a pickup from the store's stock", func() error { _, err := f.svc.ReceiveAtStore(m, pickupF); return err }, "is PACKED"},
		{"make a shipment ready for pickup", func() error { _, err := f.svc.ReadyForPickup(m, shipF); return err }, "is PICKING"},
		{"pick an order on hold", func() error { _, err := f.svc.StartPicking(m, heldF); return err }, "is ON_HOLD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.CodeConflict || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("got %v, want a conflict saying %q", err, tt.want)
			}
		})
	}
	t.Run("cancel after shipping", func(t *testing.T) {
		f.scanAll(t, m, shipF)
		_, err := f.svc.Pack(m, shipF)
		must(t, err)
		_, err = f.svc.Ship(m, order.ShipInput{FulfilmentID: shipF, Carrier: "Post", TrackingNumber: "RR123TW"})
		must(t, err)
		_, err = f.svc.CancelFulfilment(m, shipF, "customer changed their mind")
		wantErr(t, err, order.ReasonWrongStatus, "")
	})
}

// Pickup from the store's own stock: ready (code sent once), paid, collected with the
// right code after a wrong one; SALE at the store.
func TestPickupFromStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, variant := f.variant(t, 25000, map[string]int{"TPE-02": 3})
	o := f.place(t, f.customer(f.mei), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.App,
		Lines: []order.LineInput{line(sku, 2)}, PaymentMethod: order.PayAtPickup,
		Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["TPE-02"].ID}})
	fu := f.only(t, o.ID)
	store := f.as("yuting.lee") // associate at TPE-02
	f.scanAll(t, store, fu.ID)
	_, err := f.svc.Pack(store, fu.ID)
	must(t, err)
	v, err := f.svc.ReadyForPickup(store, fu.ID)
	must(t, err)
	if v.Status != order.FulfilmentReadyForPickup || !v.PickupCodeSent {
		t.Fatalf("ready %+v", v)
	}
	_, err = f.svc.ReadyForPickup(store, fu.ID) // a retry: no second code
	must(t, err)
	code, sent := f.pickupCode(t, o.ID)
	if sent != 1 {
		t.Fatalf("%d PICKUP_READY messages, want 1", sent)
	}
	var to string
	must(t, f.db.Get(&to, `SELECT recipient FROM notifications WHERE reference = $1 AND kind = 'PICKUP_READY'`, "ORD:"+itoa64(o.ID)))
	if to != "mei.lin@example.com" {
		t.Errorf("sent to %s", to)
	}

	_, err = f.svc.Collect(store, fu.ID, code)
	wantErr(t, err, order.ReasonUnpaid, "")
	_, err = f.svc.RecordPayment(store, order.PaymentInput{OrderID: o.ID, IdempotencyKey: newKey(), Method: order.PayAtPickup,
		Amount: o.Total})
	must(t, err)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err = f.svc.Collect(store, fu.ID, wrong)
	e := wantErr(t, err, order.ReasonWrongPickupCode, "code")
	if !strings.Contains(e.Message, "4 tries left") {
		t.Errorf("wrong code message %q", e.Message)
	}
	v, err = f.svc.Collect(store, fu.ID, code[:3]+" "+code[3:])
	must(t, err)
	if v.Status != order.FulfilmentCollected || v.PickupCodeAttempts != 1 {
		t.Errorf("collected %+v", v)
	}
	if lvl := f.level(t, "TPE-02", variant); lvl.OnHand != 1 || lvl.Reserved != 0 {
		t.Errorf("store stock %+v, want 1 on hand", lvl)
	}
	if got, want := f.movements(t, "TPE-02", variant), "RECEIPT/+3/+0/+0 RESERVE/+0/+2/+0 SALE/-2/-2/+0"; got != want {
		t.Errorf("movements %s, want %s", got, want)
	}
	if d := f.detail(t, o.ID); d.Status != order.Completed {
		t.Errorf("order %s, want COMPLETED", d.Status)
	}
	if got := f.steps(t, fu.ID); !slices.Equal(got, []string{"PICKING", "PACKED", "READY_FOR_PICKUP", "COLLECTED"}) {
		t.Errorf("steps %v", got)
	}
	checkLedger(t, f.db)
}

// Wrong codes lock collection; only a manager hands over, audited.
func TestPickupCodeLockAndOverride(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 25000, map[string]int{"TPE-01": 3})
	o := f.place(t, f.customer(f.mei), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.Web,
		Lines: []order.LineInput{line(sku, 1)}, Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["TPE-01"].ID}})
	f.pay(t, o.ID)
	fu := f.only(t, o.ID)
	store := f.as("associate")
	f.scanAll(t, store, fu.ID)
	_, err := f.svc.Pack(store, fu.ID)
	must(t, err)
	_, err = f.svc.ReadyForPickup(store, fu.ID)
	must(t, err)
	code, _ := f.pickupCode(t, o.ID)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range order.MaxPickupCodeAttempts {
		_, err = f.svc.Collect(store, fu.ID, wrong)
		wantErr(t, err, order.ReasonWrongPickupCode, "code")
	}
	_, err = f.svc.Collect(store, fu.ID, code)
	wantErr(t, err, order.ReasonPickupCodeLocked, "")
	_, err = f.svc.CollectOverride(store, fu.ID, "ID card checked")
	if apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("override by an associate: %v, want forbidden", err)
	}
	_, err = f.svc.CollectOverride(f.as("manager"), fu.ID, " ")
	wantErr(t, err, "INVALID", "reason")
	v, err := f.svc.CollectOverride(f.as("manager"), fu.ID, "ID card checked")
	must(t, err)
	if v.Status != order.FulfilmentCollected {
		t.Errorf("status %s", v.Status)
	}
	var reason string
	must(t, f.db.Get(&reason, `SELECT reason FROM audit_log WHERE action = 'fulfilment.collect_override' AND entity_id = $1`, fu.ID))
	if reason != "ID card checked" {
		t.Errorf("audit reason %q", reason)
	}
}

// Ship-to-store: the warehouse picks, packs (override, audited) and sends; the store
// receives (the transfer lands and is reserved for the order), makes ready, hands over.
func TestShipToStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, variant := f.variant(t, 20000, map[string]int{"WH-TAO": 9})
	o := f.place(t, f.customer(f.mei), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.App,
		Lines: []order.LineInput{line(sku, 3)}, Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["TPE-01"].ID}})
	fu := f.only(t, o.ID)
	if !fu.ShipToStore() {
		t.Fatalf("fulfilment %+v, want ship-to-store", fu)
	}
	wh, store := f.as("fulfilment"), f.as("associate") // WH-TAO, TPE-01

	_, err := f.svc.StartPicking(store, fu.ID)
	if apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Errorf("store associate picking at the warehouse: %v, want forbidden", err)
	}
	_, err = f.svc.Scan(wh, order.ScanInput{FulfilmentID: fu.ID, Code: sku})
	must(t, err)
	_, err = f.svc.PackOverride(wh, fu.ID, "scanner down")
	if apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Errorf("override by fulfilment staff: %v, want forbidden", err)
	}
	v, err := f.svc.PackOverride(f.as("manager"), fu.ID, "scanner down")
	must(t, err)
	if v.Status != order.FulfilmentPacked {
		t.Fatalf("status %s", v.Status)
	}
	var audited int
	must(t, f.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'fulfilment.pack_override' AND entity_id = $1
		AND reason = 'scanner down' AND before->>'scanned' = '1'`, fu.ID))
	if audited != 1 {
		t.Errorf("%d audit records of the override, want 1", audited)
	}
	_, err = f.svc.Ship(wh, order.ShipInput{FulfilmentID: fu.ID, Carrier: "own van"})
	must(t, err)
	v, err = f.svc.FulfilmentByID(wh, fu.ID)
	must(t, err)
	if v.TransferID == nil || v.Status != order.FulfilmentShipped {
		t.Fatalf("sent %+v, want a transfer", v)
	}
	if lvl := f.level(t, "WH-TAO", variant); lvl.OnHand != 6 || lvl.Reserved != 0 {
		t.Errorf("warehouse after sending %+v, want 6 on hand", lvl)
	}
	if lvl := f.level(t, "TPE-01", variant); lvl.Incoming != 3 || lvl.OnHand != 0 {
		t.Errorf("store after sending %+v, want 3 incoming", lvl)
	}
	_, err = f.svc.ReceiveAtStore(wh, fu.ID)
	if apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Errorf("warehouse receiving at the store: %v, want forbidden", err)
	}
	_, err = f.svc.ReadyForPickup(store, fu.ID)
	wantErr(t, err, order.ReasonWrongStatus, "")
	_, err = f.svc.ReceiveAtStore(store, fu.ID)
	must(t, err)
	if lvl := f.level(t, "TPE-01", variant); lvl.Incoming != 0 || lvl.OnHand != 3 || lvl.Reserved != 3 {
		t.Errorf("store after receiving %+v, want 3 on hand reserved for the order", lvl)
	}
	tr, err := f.inv.Transfer(system, *v.TransferID)
	must(t, err)
	if tr.Status != inventory.TransferReceived || tr.FromLocationID != f.loc["WH-TAO"].ID || tr.ToLocationID != f.loc["TPE-01"].ID {
		t.Errorf("transfer %+v", tr)
	}
	_, err = f.svc.ReadyForPickup(store, fu.ID)
	must(t, err)
	code, sent := f.pickupCode(t, o.ID)
	if sent != 1 {
		t.Errorf("%d messages", sent)
	}
	f.pay(t, o.ID)
	_, err = f.svc.Collect(store, fu.ID, code)
	must(t, err)
	if lvl := f.level(t, "TPE-01", variant); lvl.OnHand != 0 || lvl.Reserved != 0 {
		t.Errorf("store after collection %+v, want empty", lvl)
	}
	if got, want := f.movements(t, "WH-TAO", variant), "RECEIPT/+9/+0/+0 RESERVE/+0/+3/+0 TRANSFER_OUT/-3/-3/+0"; got != want {
		t.Errorf("warehouse movements %s, want %s", got, want)
	}
	if got, want := f.movements(t, "TPE-01", variant), "TRANSFER_IN/+0/+0/+3 TRANSFER_IN/+3/+0/-3 RESERVE/+0/+3/+0 SALE/-3/-3/+0"; got != want {
		t.Errorf("store movements %s, want %s", got, want)
	}
	if d := f.detail(t, o.ID); d.Status != order.Completed {
		t.Errorf("order %s, want COMPLETED", d.Status)
	}
	if got := f.steps(t, fu.ID); !slices.Equal(got, []string{"PICKING", "PACKED", "SHIPPED", "RECEIVED", "READY_FOR_PICKUP", "COLLECTED"}) {
		t.Errorf("steps %v", got)
	}
	checkLedger(t, f.db)
}

// Cancelling lines releases their stock, takes their value off what is due, and shows
// what a paid order owes back; cancelling everything cancels the order.
func TestCancelLines(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, va := f.variant(t, 10000, map[string]int{"WH-TAO": 5})
	b, vb := f.variant(t, 5000, map[string]int{"WH-TAO": 5})
	o := f.place(t, guest, shipInput(taipei(), line(a, 3), line(b, 1)))
	d := f.detail(t, o.ID)
	if o.Total != 43000 {
		t.Fatalf("total %d, want 43000 (35000 and 8000 shipping)", o.Total)
	}
	lineA, lineB := d.Lines[0].ID, d.Lines[1].ID
	wh := f.as("fulfilment")

	t.Run("unpaid: what is due drops", func(t *testing.T) {
		after, err := f.svc.CancelLines(wh, order.CancelLinesInput{OrderID: o.ID, Reason: "customer asked",
			Lines: []order.LineQuantity{{OrderLineID: lineA, Quantity: 1}}})
		must(t, err)
		if after.CancelledAmount != 10000 || after.Due() != 33000 || after.Status != order.Open {
			t.Errorf("order %+v, want 10000 cancelled and 33000 due", after)
		}
		if lvl := f.level(t, "WH-TAO", va); lvl.Reserved != 2 {
			t.Errorf("reserved %d, want 2", lvl.Reserved)
		}
	})
	t.Run("more than is left is refused", func(t *testing.T) {
		_, err := f.svc.CancelLines(wh, order.CancelLinesInput{OrderID: o.ID, Reason: "x",
			Lines: []order.LineQuantity{{OrderLineID: lineB, Quantity: 1}, {OrderLineID: lineA, Quantity: 3}}})
		e := wantErr(t, err, "INVALID", "lines.1.quantity")
		if !strings.Contains(e.Message, "only 2 of "+a) {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("paid: the order owes the difference back", func(t *testing.T) {
		f.pay(t, o.ID)
		after, err := f.svc.CancelLines(wh, order.CancelLinesInput{OrderID: o.ID, Reason: "out of stock on inspection",
			Lines: []order.LineQuantity{{OrderLineID: lineB, Quantity: 1}}})
		must(t, err)
		if after.RefundDue() != 5000 || after.Due() != 0 || after.PaymentStatus != order.Paid {
			t.Errorf("order %+v refund due %d, want 5000 owed back", after, after.RefundDue())
		}
		d := f.detail(t, o.ID)
		if d.Lines[0].CancelledQuantity != 1 || d.Lines[1].CancelledQuantity != 1 {
			t.Errorf("lines %+v", d.Lines)
		}
		if lvl := f.level(t, "WH-TAO", vb); lvl.Reserved != 0 {
			t.Errorf("b reserved %d", lvl.Reserved)
		}
	})
	t.Run("cancelling the rest cancels the order", func(t *testing.T) {
		_, err := f.svc.CancelFulfilment(wh, f.only(t, o.ID).ID, "")
		wantErr(t, err, "INVALID", "reason")
		_, err = f.svc.CancelFulfilment(wh, f.only(t, o.ID).ID, "address undeliverable")
		must(t, err)
		after, err := f.svc.Order(system, o.ID)
		must(t, err)
		if after.Status != order.Cancelled || after.RefundDue() != 33000 || after.CancelledAmount != after.Total {
			t.Errorf("order %+v, want cancelled with everything paid owed back", after)
		}
		if lvl := f.level(t, "WH-TAO", va); lvl.Reserved != 0 || lvl.OnHand != 5 {
			t.Errorf("a %+v, want nothing reserved", lvl)
		}
	})
	checkLedger(t, f.db)
}

// A fulfilment moves to another location with the same guarded reservation, recorded as
// a new allocation.
func TestReroute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, variant := f.variant(t, 10000, map[string]int{"WH-TAO": 5, "TPE-01": 1, "TPE-02": 5})
	o := f.place(t, guest, shipInput(taipei(), line(sku, 3)))
	fu := f.only(t, o.ID)
	lineID := fu.Lines[0].OrderLineID
	m := f.as("manager")

	_, err := f.svc.Reroute(f.as("associate"), order.RerouteInput{FulfilmentID: fu.ID, LocationID: f.loc["TPE-01"].ID, Reason: "x"})
	if apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Errorf("associate of another location: %v, want forbidden", err)
	}
	_, err = f.svc.Reroute(m, order.RerouteInput{FulfilmentID: fu.ID, LocationID: f.loc["TPE-01"].ID, Reason: "closer"})
	e := wantErr(t, err, order.ReasonInsufficientStock, "lines")
	if !strings.Contains(e.Message, "only 1 of "+sku+" available at TPE-01") {
		t.Errorf("message %q", e.Message)
	}
	nv, err := f.svc.Reroute(m, order.RerouteInput{FulfilmentID: fu.ID, LocationID: f.loc["TPE-02"].ID, Reason: "warehouse backlog",
		Lines: []order.LineQuantity{{OrderLineID: lineID, Quantity: 2}}})
	must(t, err)
	if nv.LocationCode != "TPE-02" || nv.Status != order.FulfilmentOpen || nv.Units() != 2 {
		t.Errorf("new fulfilment %+v", nv)
	}
	if wh, tp := f.level(t, "WH-TAO", variant), f.level(t, "TPE-02", variant); wh.Reserved != 1 || tp.Reserved != 2 {
		t.Errorf("reserved WH-TAO %d, TPE-02 %d; want 1 and 2", wh.Reserved, tp.Reserved)
	}
	d := f.detail(t, o.ID)
	last := d.Allocations[len(d.Allocations)-1]
	if len(d.Allocations) != 2 || last.Rule != order.RuleSingleLocation || !strings.Contains(last.Explanation.Summary, "warehouse backlog") ||
		!last.Explanation.Candidates[0].Chosen || last.Explanation.Candidates[0].Code != "TPE-02" || nv.AllocationID != last.ID {
		t.Errorf("allocations %+v", d.Allocations)
	}
	old, err := f.svc.FulfilmentByID(m, fu.ID)
	must(t, err)
	if old.Status != order.FulfilmentOpen || old.Units() != 1 {
		t.Errorf("old fulfilment %+v, want 1 unit left", old)
	}
	// Moving the rest cancels the old one.
	_, err = f.svc.Reroute(m, order.RerouteInput{FulfilmentID: fu.ID, LocationID: f.loc["TPE-02"].ID, Reason: "one parcel"})
	must(t, err)
	old, err = f.svc.FulfilmentByID(m, fu.ID)
	must(t, err)
	if old.Status != order.FulfilmentCancelled || f.level(t, "WH-TAO", variant).Reserved != 0 {
		t.Errorf("old fulfilment %+v, want cancelled with nothing reserved", old)
	}
	var rerouted int
	for _, ev := range f.detail(t, o.ID).Events {
		if ev.Kind == order.EventRerouted {
			rerouted++
		}
	}
	if rerouted != 2 {
		t.Errorf("%d REROUTED events, want 2", rerouted)
	}
	if o2, _ := f.svc.Order(system, o.ID); o2.CancelledAmount != 0 || o2.Status != order.Open {
		t.Errorf("order after re-routing %+v, want nothing cancelled", o2)
	}
	checkLedger(t, f.db)
}

// Who may do what where.
func TestFulfilmentAuthorization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 1000, map[string]int{"WH-TAO": 9})
	o := f.place(t, guest, shipInput(taipei(), line(sku, 1)))
	id := f.only(t, o.ID).ID
	tests := []struct {
		name string
		ctx  context.Context
		want apperr.Code // empty: allowed
	}{
		{"anonymous", context.Background(), apperr.CodeUnauthenticated},
		{"customer", f.customer(f.mei), apperr.CodeForbidden},
		{"buyer", f.as("buyer"), apperr.CodeForbidden},
		{"associate of another location", f.as("associate"), apperr.CodeForbidden},
		{"fulfilment staff of the warehouse", f.as("fulfilment"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.StartPicking(tt.ctx, id)
			if tt.want == "" {
				must(t, err)
				return
			}
			if apperr.CodeOf(err) != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
	t.Run("managers anywhere", func(t *testing.T) {
		_, err := f.svc.CancelFulfilment(actor.With(context.Background(), f.staff["shufen.hsu"]), id, "duplicate")
		must(t, err)
	})
}

// The pick list walks bins, then categories; the queue pages a location's work.
func TestPickListAndQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	binned, bv := f.variant(t, 1000, map[string]int{"HSZ-01": 9})
	loose, _ := f.variant(t, 1000, map[string]int{"HSZ-01": 9})
	hsz := f.as("chiahao.lin")
	must(t, f.inv.SetBin(hsz, f.loc["HSZ-01"].ID, bv, "a-03-2"))
	err := f.inv.SetBin(hsz, f.loc["HSZ-01"].ID, bv, "shelf 3")
	wantErr(t, err, "INVALID", "bin")
	hsinchu := func() *order.Address {
		a := taipei()
		lat, lng := 24.8, 120.97
		a.City, a.PostalCode, a.Latitude, a.Longitude = "Hsinchu City", "300", &lat, &lng
		return a
	}
	o1 := f.place(t, guest, shipInput(hsinchu(), line(binned, 2), line(loose, 1)))
	o2 := f.place(t, guest, shipInput(hsinchu(), line(binned, 1)))
	if f.code(f.only(t, o1.ID).LocationID) != "HSZ-01" {
		t.Fatalf("allocated to %s, want HSZ-01", f.code(f.only(t, o1.ID).LocationID))
	}
	pl, err := f.svc.PickList(hsz, f.loc["HSZ-01"].ID)
	must(t, err)
	if pl.Fulfilments != 2 || pl.Units != 4 || len(pl.Groups) != 2 {
		t.Fatalf("pick list %+v", pl)
	}
	g := pl.Groups[0]
	if g.Bin != "A-03-2" || len(g.Lines) != 1 || g.Lines[0].SKU != binned || g.Lines[0].Quantity != 3 || len(g.Lines[0].For) != 2 {
		t.Errorf("bin group %+v", g)
	}
	if g := pl.Groups[1]; g.Bin != "" || g.Category != "Men's Clothing" && g.Category == "" || g.Lines[0].SKU != loose {
		t.Errorf("category group %+v", g)
	}
	page, err := f.svc.Fulfilments(hsz, order.QueueFilter{LocationID: f.loc["HSZ-01"].ID, First: 1})
	must(t, err)
	if len(page.Fulfilments) != 1 || !page.HasNextPage || page.Fulfilments[0].OrderID != o1.ID || page.Fulfilments[0].Units() != 3 {
		t.Fatalf("first page %+v", page)
	}
	next, err := f.svc.Fulfilments(hsz, order.QueueFilter{LocationID: f.loc["HSZ-01"].ID, After: page.Fulfilments[0].ID})
	must(t, err)
	if len(next.Fulfilments) != 1 || next.HasNextPage || next.Fulfilments[0].OrderID != o2.ID {
		t.Errorf("second page %+v", next)
	}
	_, err = f.svc.StartPicking(hsz, page.Fulfilments[0].ID)
	must(t, err)
	picking, err := f.svc.Fulfilments(hsz, order.QueueFilter{LocationID: f.loc["HSZ-01"].ID,
		Statuses: []order.FulfilmentStatus{order.FulfilmentPicking}})
	must(t, err)
	if len(picking.Fulfilments) != 1 || picking.Fulfilments[0].OrderID != o1.ID {
		t.Errorf("picking %+v", picking)
	}
	byID, err := f.svc.FulfilmentViewsByIDs(hsz, []int64{page.Fulfilments[0].ID, next.Fulfilments[0].ID, 0})
	must(t, err)
	if len(byID) != 2 || byID[page.Fulfilments[0].ID].Units() != 3 || byID[next.Fulfilments[0].ID].LocationCode != "HSZ-01" {
		t.Errorf("by id %+v", byID)
	}
	if _, err := f.svc.FulfilmentViewsByIDs(f.customer(f.mei), []int64{next.Fulfilments[0].ID}); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Errorf("customer reading fulfilments: %v", err)
	}
	_, err = f.svc.Fulfilments(hsz, order.QueueFilter{LocationID: f.loc["HSZ-01"].ID, Statuses: []order.FulfilmentStatus{"LOST"}})
	wantErr(t, err, "INVALID", "statuses.0")
}

// A ship-to-store transfer received through the transfers screen is only reserved for
// the order when the store then receives the fulfilment.
func TestShipToStoreReceivedAsTransfer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, variant := f.variant(t, 20000, map[string]int{"WH-TAO": 4})
	o := f.place(t, f.customer(f.mei), order.PlaceOrderInput{IdempotencyKey: newKey(), Channel: order.App,
		Lines: []order.LineInput{line(sku, 2)}, Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: f.loc["TPE-01"].ID}})
	fu := f.only(t, o.ID)
	wh, store := f.as("fulfilment"), f.as("associate")
	f.scanAll(t, wh, fu.ID)
	_, err := f.svc.Pack(wh, fu.ID)
	must(t, err)
	v, err := f.svc.Ship(wh, order.ShipInput{FulfilmentID: fu.ID, Carrier: "own van"})
	must(t, err)
	_, err = f.inv.ReceiveTransfer(store, *v.TransferID, []inventory.ReceivedLine{{VariantID: variant, Qty: 2}})
	must(t, err)
	if lvl := f.level(t, "TPE-01", variant); lvl.OnHand != 2 || lvl.Reserved != 0 {
		t.Fatalf("after the transfer screen %+v", lvl)
	}
	_, err = f.svc.ReceiveAtStore(store, fu.ID)
	must(t, err)
	if lvl := f.level(t, "TPE-01", variant); lvl.OnHand != 2 || lvl.Reserved != 2 {
		t.Errorf("after receiving the fulfilment %+v, want 2 reserved", lvl)
	}
	// Cancelling it now releases the units at the store, not at the warehouse.
	_, err = f.svc.CancelFulfilment(store, fu.ID, "customer no longer wants it")
	must(t, err)
	if lvl := f.level(t, "TPE-01", variant); lvl.Reserved != 0 || lvl.OnHand != 2 {
		t.Errorf("after cancelling %+v, want the units free at the store", lvl)
	}
	if d := f.detail(t, o.ID); d.Status != order.Cancelled || d.Lines[0].CancelledQuantity != 2 {
		t.Errorf("order %s, lines %+v", d.Status, d.Lines)
	}
	checkLedger(t, f.db)
}

// Packers scanning the same fulfilment at once never scan more units than it has.
func TestConcurrentScans(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sku, _ := f.variant(t, 1000, map[string]int{"WH-TAO": 9})
	o := f.place(t, guest, shipInput(taipei(), line(sku, 3)))
	id := f.only(t, o.ID).ID
	wh := f.as("fulfilment")
	var wg sync.WaitGroup
	var accepted, tooMany atomic.Int64
	for range 12 {
		wg.Go(func() {
			_, err := f.svc.Scan(wh, order.ScanInput{FulfilmentID: id, Code: sku})
			switch {
			case err == nil:
				accepted.Add(1)
			case strings.Contains(err.Error(), "already scanned"):
				tooMany.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	v, err := f.svc.FulfilmentByID(wh, id)
	must(t, err)
	if accepted.Load() != 3 || tooMany.Load() != 9 || len(v.Scans) != 3 || v.Status != order.FulfilmentPicking {
		t.Errorf("accepted %d, refused %d, stored %d, status %s; want 3, 9, 3, PICKING",
			accepted.Load(), tooMany.Load(), len(v.Scans), v.Status)
	}
}
