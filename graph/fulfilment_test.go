package graph

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The fulfilment paths end to end through the API: an order of each fulfilment method
// from placeOrder to its goods in the customer's hands, and a return in another store.

type gqlFulfilmentStep struct {
	ID             string
	Status         string
	Method         string
	Location       struct{ Code string }
	PickupLocation *struct{ Code string }
	ShipToStore    bool
	Carrier        *string
	TrackingNumber *string
	Units          int
	ScannedUnits   int
	Items          []struct {
		SKU       string
		Barcode   *string
		Quantity  int
		Scanned   int
		OrderLine struct{ LineNumber int }
	}
	Steps []struct{ Kind string }
	Order struct{ Status, PaymentStatus string }
}

const fulfilmentFields = `id status method location { code } pickupLocation { code } shipToStore carrier trackingNumber
	units scannedUnits items { sku barcode quantity scanned orderLine { lineNumber } } steps { kind }
	order { status paymentStatus }`

type fulfilmentResult struct {
	Fulfilment *gqlFulfilmentStep
	UserErrors []userError
}

// fulfil runs a fulfilment mutation: call is its name and arguments over the variables
// declared in decl, e.g. fulfil(token, "$id: ID!", "startPicking(id: $id)", vars).
func (a *api) fulfil(token, decl, call string, vars map[string]any) fulfilmentResult {
	a.t.Helper()
	name, _, _ := strings.Cut(call, "(")
	var out map[string]fulfilmentResult
	a.query(token, `mutation(`+decl+`) { `+call+` { fulfilment { `+fulfilmentFields+` } userErrors { field message code } } }`,
		vars, &out)
	return out[name]
}

// step runs a fulfilment mutation that takes the fulfilment's id only.
func (a *api) step(token, name, id string) fulfilmentResult {
	a.t.Helper()
	return a.fulfil(token, "$id: ID!", name+"(id: $id)", map[string]any{"id": id})
}

// mustStep runs a step that must succeed and returns the fulfilment after it.
func (a *api) mustStep(token, name, id string) gqlFulfilmentStep {
	a.t.Helper()
	res := a.step(token, name, id)
	if len(res.UserErrors) > 0 || res.Fulfilment == nil {
		a.t.Fatalf("%s: %+v", name, res.UserErrors)
	}
	return *res.Fulfilment
}

type scanResult struct {
	Item *struct {
		SKU      string
		Scanned  int
		Quantity int
	}
	Complete   bool
	Replayed   bool
	UserErrors []userError
}

func (a *api) scan(token, fulfilmentID, code, key string) scanResult {
	a.t.Helper()
	in := map[string]any{"fulfilmentId": fulfilmentID, "code": code}
	if key != "" {
		in["idempotencyKey"] = key
	}
	var out struct{ ScanToPack scanResult }
	a.query(token, `mutation($in: ScanToPackInput!) { scanToPack(input: $in) { item { sku scanned quantity } complete replayed
		userErrors { field message code } } }`, map[string]any{"in": in}, &out)
	return out.ScanToPack
}

func (a *api) ship(token, id, carrier, tracking string) fulfilmentResult {
	a.t.Helper()
	in := map[string]any{"id": id, "carrier": carrier}
	if tracking != "" {
		in["trackingNumber"] = tracking
	}
	return a.fulfil(token, "$in: ShipFulfilmentInput!", "shipFulfilment(input: $in)", map[string]any{"in": in})
}

func (a *api) collect(token string, in map[string]any) fulfilmentResult {
	a.t.Helper()
	return a.fulfil(token, "$in: CollectInput!", "collect(input: $in)", map[string]any{"in": in})
}

// pickupCode is the code sent to the customer of order (global ID) when its goods were
// made ready, read from the notifications outbox.
func (a *api) pickupCode(orderID string) string {
	a.t.Helper()
	_, id, err := decodeID("id", orderID)
	if err != nil {
		a.t.Fatal(err)
	}
	var body string
	if err := a.db.Get(&body, `SELECT body FROM notifications WHERE kind = 'PICKUP_READY' AND reference = 'ORD:' || $1::bigint::text`, id); err != nil {
		a.t.Fatalf("pickup message: %v", err)
	}
	m := regexp.MustCompile(`Pickup code: ([0-9]{6})`).FindStringSubmatch(body)
	if m == nil {
		a.t.Fatalf("no pickup code in %q", body)
	}
	return m[1]
}

// onHand is what is on hand of sku at a location.
func (f *orderFixture) onHand(sku, code string) int {
	f.a.t.Helper()
	var n int
	err := f.a.db.Get(&n, `SELECT coalesce(sum(s.on_hand), 0) FROM stock_levels s JOIN variants v ON v.id = s.variant_id
		WHERE v.sku = $1 AND s.location_id = $2`, sku, f.locID[code])
	if err != nil {
		f.a.t.Fatal(err)
	}
	return n
}

func stepKinds(f gqlFulfilmentStep) []string {
	var out []string
	for _, s := range f.Steps {
		out = append(out, s.Kind)
	}
	return out
}

// TestFulfilShipToDelivered: an order shipped from the warehouse, picked, packed with
// scans (wrong items refused), shipped, paid online and delivered.
func TestFulfilShipToDelivered(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer, wh := a.token("customer"), a.token("fulfilment")
	sku := f.variant(30000, map[string]int{"WH-TAO": 5})
	other := f.variant(10000, map[string]int{"WH-TAO": 5})
	o := a.mustPlace(customer, shipOrder("WEB", sku, 2))
	id := o.Fulfilments[0].ID

	res := a.send(request{token: a.token("associate"), query: `mutation($id: ID!) { startPicking(id: $id) { userErrors { code } } }`,
		vars: map[string]any{"id": id}})
	if res.code() != "FORBIDDEN" {
		t.Errorf("a TPE-01 associate picking at WH-TAO: %+v, want FORBIDDEN", res.Errors)
	}
	res = a.send(request{token: customer, query: `mutation($id: ID!) { startPicking(id: $id) { userErrors { code } } }`,
		vars: map[string]any{"id": id}})
	if res.code() != "FORBIDDEN" {
		t.Errorf("a customer picking: %+v, want FORBIDDEN", res.Errors)
	}

	fu := a.mustStep(wh, "startPicking", id)
	if fu.Status != "PICKING" || fu.Location.Code != "WH-TAO" || fu.Units != 2 || fu.ScannedUnits != 0 || len(fu.Items) != 1 {
		t.Fatalf("after startPicking %+v", fu)
	}
	// A tablet retrying after a lost response: the step is done, once.
	if again := a.mustStep(wh, "startPicking", id); again.Status != "PICKING" || again.ID != fu.ID {
		t.Errorf("picking again %+v, want the same fulfilment PICKING", again)
	}

	if s := a.scan(wh, id, other, ""); s.Item != nil || !hasUserError(s.UserErrors, "WRONG_ITEM", "input", "code") ||
		!strings.Contains(s.UserErrors[0].Message, sku) {
		t.Errorf("wrong item: %+v, want WRONG_ITEM saying what is expected", s)
	}
	if p := a.step(wh, "packFulfilment", id); !hasUserError(p.UserErrors, "NOT_SCANNED") {
		t.Errorf("packing unscanned: %+v, want NOT_SCANNED", p.UserErrors)
	}
	first := a.scan(wh, id, strings.ToLower(sku), "scan-a")
	replay := a.scan(wh, id, sku, "scan-a")
	if first.Item == nil || first.Item.Scanned != 1 || first.Complete || !replay.Replayed || replay.Item.Scanned != 1 {
		t.Errorf("first scan %+v, replayed %+v: want 1 of 2 counted once", first, replay)
	}
	if s := a.scan(wh, id, sku, ""); !s.Complete || s.Item.Scanned != 2 {
		t.Errorf("second scan %+v, want complete", s)
	}
	if s := a.scan(wh, id, sku, ""); !hasUserError(s.UserErrors, "TOO_MANY", "input", "code") {
		t.Errorf("third scan %+v, want TOO_MANY", s.UserErrors)
	}
	if fu = a.mustStep(wh, "packFulfilment", id); fu.Status != "PACKED" || fu.ScannedUnits != 2 {
		t.Errorf("packed %+v", fu)
	}

	if s := a.ship(wh, id, " ", ""); !hasUserError(s.UserErrors, "INVALID", "input", "carrier") ||
		!hasUserError(s.UserErrors, "INVALID", "input", "trackingNumber") {
		t.Errorf("shipping without carrier: %+v", s.UserErrors)
	}
	s := a.ship(wh, id, "Black Cat", "bc 1234-5678")
	if s.Fulfilment == nil || s.Fulfilment.Status != "SHIPPED" || deref(s.Fulfilment.Carrier) != "Black Cat" ||
		deref(s.Fulfilment.TrackingNumber) != "BC1234-5678" {
		t.Fatalf("shipped %+v %+v", s.Fulfilment, s.UserErrors)
	}
	// Retried after a lost response: done once (4 steps below); another number is refused.
	if again := a.ship(wh, id, "Black Cat", "BC1234-5678"); again.Fulfilment == nil || again.Fulfilment.Status != "SHIPPED" {
		t.Errorf("shipping again: %+v, want the same shipment", again.UserErrors)
	}
	if other := a.ship(wh, id, "Black Cat", "BC9999"); !hasUserError(other.UserErrors, "WRONG_STATUS") ||
		!strings.Contains(other.UserErrors[0].Message, "BC1234-5678") {
		t.Errorf("shipping again with another number: %+v, want WRONG_STATUS naming the recorded one", other.UserErrors)
	}
	if n, r := f.onHand(sku, "WH-TAO"), f.reserved(sku, "WH-TAO"); n != 3 || r != 0 {
		t.Errorf("WH-TAO after shipping: %d on hand, %d reserved; want 3, 0", n, r)
	}

	pay := a.recordPayment(customer, map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "ONLINE",
		"amount": o.Total.Amount, "reference": "pi_123"})
	if len(pay.UserErrors) > 0 || pay.Order.Status != "OPEN" || pay.Order.PaymentStatus != "PAID" {
		t.Fatalf("online payment: %+v, order %+v", pay.UserErrors, pay.Order)
	}
	fu = a.mustStep(wh, "markDelivered", id)
	if fu.Status != "DELIVERED" || fu.Order.Status != "COMPLETED" {
		t.Errorf("delivered %s, order %s; want DELIVERED and COMPLETED", fu.Status, fu.Order.Status)
	}

	// The customer follows the parcel on their order.
	var out struct {
		Order struct {
			Status      string
			Fulfilments []struct {
				Status, Carrier, TrackingNumber string
				Steps                           []struct{ Kind, Actor string }
			}
		}
	}
	a.query(customer, `query($id: ID!) { order(id: $id) { status fulfilments { status carrier trackingNumber steps { kind actor } } } }`,
		map[string]any{"id": o.ID}, &out)
	got := out.Order.Fulfilments
	if len(got) != 1 || got[0].Carrier != "Black Cat" || got[0].TrackingNumber != "BC1234-5678" || len(got[0].Steps) != 4 {
		t.Fatalf("the customer's view %+v", out.Order)
	}
	var kinds []string
	for _, st := range got[0].Steps {
		kinds = append(kinds, st.Kind)
	}
	if !slices.Equal(kinds, []string{"PICKING", "PACKED", "SHIPPED", "DELIVERED"}) || got[0].Steps[0].Actor != "" {
		t.Errorf("steps %+v, want the four steps without the staff's names", got[0].Steps)
	}
	var staffView struct {
		Order struct {
			Fulfilments []struct{ Steps []struct{ Actor string } }
		}
	}
	a.query(wh, `query($id: ID!) { order(id: $id) { fulfilments { steps { actor } } } }`, map[string]any{"id": o.ID}, &staffView)
	if st := staffView.Order.Fulfilments[0].Steps; st[0].Actor != "fulfilment" {
		t.Errorf("staff see steps %+v, want who picked", st)
	}
	if res := a.send(request{token: customer, query: `query($id: ID!) { order(id: $id) { fulfilments { items { scanned } } } }`,
		vars: map[string]any{"id": o.ID}}); res.code() != "FORBIDDEN" {
		t.Errorf("a customer reading pack progress: %+v, want FORBIDDEN", res.Errors)
	}
}

// TestFulfilPickupToCollected: click-and-collect from the store's own stock, collected
// with the code the customer was sent, once paid.
func TestFulfilPickupToCollected(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer, store := a.token("customer"), a.token("associate") // TPE-01
	sku := f.variant(40000, map[string]int{"TPE-01": 3})
	o := a.mustPlace(customer, map[string]any{"idempotencyKey": newKey(), "channel": "APP", "lines": lineInputs(sku, 1),
		"paymentMethod": "PAY_AT_PICKUP", "fulfillment": map[string]any{"method": "PICKUP", "pickupLocationId": f.loc["TPE-01"]}})
	id := o.Fulfilments[0].ID
	if o.Fulfilments[0].Location.Code != "TPE-01" || o.Fulfilments[0].ShipToStore {
		t.Fatalf("fulfilment %+v, want TPE-01's own stock", o.Fulfilments[0])
	}

	a.mustStep(store, "startPicking", id)
	if s := a.scan(store, id, sku, ""); !s.Complete {
		t.Fatalf("scan %+v", s)
	}
	a.mustStep(store, "packFulfilment", id)
	fu := a.mustStep(store, "markReady", id)
	if fu.Status != "READY_FOR_PICKUP" {
		t.Fatalf("ready %+v", fu)
	}
	code := a.pickupCode(o.ID)
	if again := a.mustStep(store, "markReady", id); again.Status != "READY_FOR_PICKUP" || a.pickupCode(o.ID) != code {
		t.Errorf("ready again %+v: want the code sent to stay", again)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if c := a.collect(store, map[string]any{"id": id, "pickupCode": code}); !hasUserError(c.UserErrors, "UNPAID") {
		t.Errorf("collecting unpaid: %+v, want UNPAID", c.UserErrors)
	}
	pay := a.recordPayment(store, map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "PAY_AT_PICKUP",
		"amount": o.Total.Amount})
	if len(pay.UserErrors) > 0 {
		t.Fatal(pay.UserErrors)
	}
	if c := a.collect(store, map[string]any{"id": id, "pickupCode": wrong}); !hasUserError(c.UserErrors, "WRONG_PICKUP_CODE", "input", "pickupCode") {
		t.Errorf("wrong code: %+v, want WRONG_PICKUP_CODE on input.pickupCode", c.UserErrors)
	}
	if c := a.collect(store, map[string]any{"id": id}); !hasUserError(c.UserErrors, "INVALID", "input", "pickupCode") {
		t.Errorf("no code: %+v, want INVALID on input.pickupCode", c.UserErrors)
	}
	c := a.collect(store, map[string]any{"id": id, "pickupCode": code})
	if c.Fulfilment == nil || c.Fulfilment.Status != "COLLECTED" || c.Fulfilment.Order.Status != "COMPLETED" {
		t.Fatalf("collected %+v %+v", c.Fulfilment, c.UserErrors)
	}
	if again := a.collect(store, map[string]any{"id": id, "pickupCode": code}); again.Fulfilment == nil ||
		again.Fulfilment.Status != "COLLECTED" {
		t.Errorf("collecting again: %+v, want the same collection", again.UserErrors)
	}
	if again := a.collect(store, map[string]any{"id": id, "pickupCode": wrong}); !hasUserError(again.UserErrors, "WRONG_STATUS") {
		t.Errorf("collecting again with another code: %+v, want WRONG_STATUS", again.UserErrors)
	}
	c = a.collect(store, map[string]any{"id": id, "pickupCode": code})
	if got := stepKinds(*c.Fulfilment); !slices.Equal(got, []string{"PICKING", "PACKED", "READY_FOR_PICKUP", "COLLECTED"}) {
		t.Errorf("steps %v", got)
	}
	if n, r := f.onHand(sku, "TPE-01"), f.reserved(sku, "TPE-01"); n != 2 || r != 0 {
		t.Errorf("TPE-01 after collection: %d on hand, %d reserved; want 2, 0", n, r)
	}
}

// TestFulfilShipToStore: click-and-collect at a store without the goods: the warehouse
// sends them (a manager overrides the scans), the store receives them, makes them ready
// and hands them over by a manager's override of the code.
func TestFulfilShipToStore(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer, wh := a.token("customer"), a.token("fulfilment")
	store, storeManager := a.token("tzuhan.yang"), a.token("shufen.hsu") // KHH-01
	sku := f.variant(20000, map[string]int{"WH-TAO": 9})
	o := a.mustPlace(customer, map[string]any{"idempotencyKey": newKey(), "channel": "WEB", "lines": lineInputs(sku, 3),
		"fulfillment": map[string]any{"method": "PICKUP", "pickupLocationId": f.loc["KHH-01"]}})
	id := o.Fulfilments[0].ID
	if !o.Fulfilments[0].ShipToStore || o.Fulfilments[0].Location.Code != "WH-TAO" {
		t.Fatalf("fulfilment %+v, want ship-to-store from WH-TAO", o.Fulfilments[0])
	}

	a.scan(wh, id, sku, "")
	override := func(token, reason string) fulfilmentResult {
		return a.fulfil(token, "$id: ID!, $r: String", "packFulfilment(id: $id, overrideReason: $r)", map[string]any{"id": id, "r": reason})
	}
	if res := a.send(request{token: wh, query: `mutation($id: ID!) { packFulfilment(id: $id, overrideReason: "scanner down") { userErrors { code } } }`,
		vars: map[string]any{"id": id}}); res.code() != "FORBIDDEN" {
		t.Errorf("override by fulfilment staff: %+v, want FORBIDDEN", res.Errors)
	}
	if p := override(a.token("manager"), " "); !hasUserError(p.UserErrors, "INVALID", "overrideReason") {
		t.Errorf("override without a reason: %+v, want INVALID on overrideReason", p.UserErrors)
	}
	if p := override(a.token("manager"), "scanner down"); p.Fulfilment == nil || p.Fulfilment.Status != "PACKED" || p.Fulfilment.ScannedUnits != 1 {
		t.Fatalf("override %+v %+v", p.Fulfilment, p.UserErrors)
	}
	if s := a.ship(wh, id, "own van", ""); s.Fulfilment == nil || s.Fulfilment.Status != "SHIPPED" {
		t.Fatalf("sent to the store: %+v", s.UserErrors)
	}
	if res := a.send(request{token: wh, query: `mutation($id: ID!) { receiveAtStore(id: $id) { userErrors { code } } }`,
		vars: map[string]any{"id": id}}); res.code() != "FORBIDDEN" {
		t.Errorf("the warehouse receiving at the store: %+v, want FORBIDDEN", res.Errors)
	}
	if r := a.step(store, "markReady", id); !hasUserError(r.UserErrors, "WRONG_STATUS") {
		t.Errorf("ready before received: %+v, want WRONG_STATUS", r.UserErrors)
	}
	if fu := a.mustStep(store, "receiveAtStore", id); fu.Status != "RECEIVED" {
		t.Errorf("received %+v", fu)
	}
	if n, r := f.onHand(sku, "KHH-01"), f.reserved(sku, "KHH-01"); n != 3 || r != 3 {
		t.Errorf("KHH-01 after receiving: %d on hand, %d reserved; want 3 reserved for the order", n, r)
	}
	a.mustStep(store, "markReady", id)
	pay := a.recordPayment(store, map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "CARD",
		"amount": o.Total.Amount, "reference": "slip 9"})
	if len(pay.UserErrors) > 0 {
		t.Fatal(pay.UserErrors)
	}
	// The customer lost the code: the store's manager checks their identity.
	if res := a.send(request{token: store, query: `mutation($in: CollectInput!) { collect(input: $in) { userErrors { code } } }`,
		vars: map[string]any{"in": map[string]any{"id": id, "overrideReason": "ID card checked"}}}); res.code() != "FORBIDDEN" {
		t.Errorf("an associate overriding the pickup code: %+v, want FORBIDDEN", res.Errors)
	}
	c := a.collect(storeManager, map[string]any{"id": id, "overrideReason": "ID card checked"})
	if c.Fulfilment == nil || c.Fulfilment.Status != "COLLECTED" || c.Fulfilment.Order.Status != "COMPLETED" {
		t.Fatalf("collected %+v %+v", c.Fulfilment, c.UserErrors)
	}
	want := []string{"PICKING", "PACKED", "SHIPPED", "RECEIVED", "READY_FOR_PICKUP", "COLLECTED"}
	if got := stepKinds(*c.Fulfilment); !slices.Equal(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
	if n, r := f.onHand(sku, "KHH-01"), f.onHand(sku, "WH-TAO"); n != 0 || r != 6 {
		t.Errorf("on hand after collection: KHH-01 %d, WH-TAO %d; want 0, 6", n, r)
	}
}

// TestFulfilCarryOut: a till sale is handed over at once and completes when paid; its
// units leave the store's stock.
func TestFulfilCarryOut(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	associate := a.token("associate")
	sku := f.variant(25000, map[string]int{"TPE-01": 4})
	o := a.mustPlace(associate, map[string]any{"idempotencyKey": newKey(), "channel": "POS", "locationId": f.loc["TPE-01"],
		"lines": lineInputs(sku, 3), "fulfillment": map[string]any{"method": "CARRY_OUT"}})
	if o.Status != "OPEN" || len(o.Fulfilments) != 1 || o.Fulfilments[0].Status != "COLLECTED" || o.Fulfilments[0].Method != "CARRY_OUT" {
		t.Fatalf("till sale %+v", o)
	}
	if n, r := f.onHand(sku, "TPE-01"), f.reserved(sku, "TPE-01"); n != 1 || r != 0 {
		t.Errorf("TPE-01 after the sale: %d on hand, %d reserved; want 1, 0", n, r)
	}
	if r := a.step(associate, "startPicking", o.Fulfilments[0].ID); !hasUserError(r.UserErrors, "WRONG_STATUS") {
		t.Errorf("picking a handed-over sale: %+v, want WRONG_STATUS", r.UserErrors)
	}
	pay := a.recordPayment(associate, map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "CASH",
		"amount": o.Total.Amount, "tendered": 80000})
	if len(pay.UserErrors) > 0 || pay.Order.Status != "COMPLETED" || pay.Payment.Change.Amount != 5000 {
		t.Errorf("paid %+v, order %+v", pay.Payment, pay.Order)
	}
}

// TestPickListAndQueue: a location's queue and pick list show what is to do there.
func TestPickListAndQueue(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer, wh := a.token("customer"), a.token("fulfilment")
	sku := f.variant(15000, map[string]int{"WH-TAO": 10})
	first := a.mustPlace(customer, shipOrder("WEB", sku, 1))
	second := a.mustPlace(customer, shipOrder("APP", sku, 2))

	var out struct {
		Fulfilments struct {
			Edges []struct {
				Node struct {
					ID, Status string
					Order      struct{ Number string }
					Items      []struct{ SKU string }
				}
			}
		}
		PickList struct {
			Location    struct{ Code string }
			Fulfilments int
			Units       int
			Groups      []struct {
				Bin      *string
				Category string
				Lines    []struct {
					SKU      string
					Quantity int
					For      []struct {
						FulfilmentID string
						OrderNumber  string
						Quantity     int
					}
				}
			}
		}
	}
	a.query(wh, `query($loc: ID!) {
		fulfilments(locationId: $loc, statuses: [OPEN], first: 100) { edges { node { id status order { number } items { sku } } } }
		pickList(locationId: $loc) { location { code } fulfilments units groups { bin category
			lines { sku quantity for { fulfilmentId orderNumber quantity } } } } }`, map[string]any{"loc": f.loc["WH-TAO"]}, &out)
	var queued []string
	for _, e := range out.Fulfilments.Edges {
		if len(e.Node.Items) == 1 && e.Node.Items[0].SKU == sku {
			queued = append(queued, e.Node.Order.Number)
		}
	}
	if !slices.Equal(queued, []string{first.Number, second.Number}) {
		t.Errorf("queue %v, want %s then %s (oldest first)", queued, first.Number, second.Number)
	}
	found := false
	for _, g := range out.PickList.Groups {
		for _, l := range g.Lines {
			if l.SKU != sku {
				continue
			}
			found = true
			if l.Quantity != 3 || len(l.For) != 2 || l.For[0].OrderNumber != first.Number || l.For[1].Quantity != 2 ||
				l.For[0].FulfilmentID != first.Fulfilments[0].ID {
				t.Errorf("pick line %+v, want 3 units for both orders", l)
			}
		}
	}
	if !found || out.PickList.Location.Code != "WH-TAO" || out.PickList.Units < 3 {
		t.Errorf("pick list %+v, want %s", out.PickList, sku)
	}
	res := a.send(request{token: wh, query: `{ pickList(locationId: "nope") { units } }`})
	if res.code() != "INVALID" {
		t.Errorf("bad location: %+v, want INVALID", res.Errors)
	}
}

// TestCancelLinesAndReroute: part of an order is cancelled and the rest sent from
// another location, with the decision explained.
func TestCancelLinesAndReroute(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer, manager := a.token("customer"), a.token("manager")
	sku := f.variant(10000, map[string]int{"WH-TAO": 10, "TPE-02": 10})
	o := a.mustPlace(customer, shipOrder("WEB", sku, 4))
	line := o.Lines[0].ID

	cancel := func(qty int, reason string) (p struct {
		Order *struct {
			Status    string
			Cancelled money
			Due       money
			RefundDue money
			Lines     []struct{ Quantity, CancelledQuantity int }
		}
		UserErrors []userError
	}) {
		t.Helper()
		var out struct{ CancelOrderLines json.RawMessage }
		a.query(manager, `mutation($in: CancelOrderLinesInput!) { cancelOrderLines(input: $in) {
			order { status cancelled { amount } due { amount } refundDue { amount } lines { quantity cancelledQuantity } }
			userErrors { field message code } } }`, map[string]any{"in": map[string]any{"orderId": o.ID, "reason": reason,
			"lines": []map[string]any{{"orderLineId": line, "quantity": qty}}}}, &out)
		if err := json.Unmarshal(out.CancelOrderLines, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := cancel(9, "too many"); !hasUserError(p.UserErrors, "INVALID", "input", "lines", "0", "quantity") {
		t.Errorf("cancelling more than ordered: %+v", p.UserErrors)
	}
	pay := a.recordPayment(customer, map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "ONLINE",
		"amount": o.Total.Amount, "reference": "pi_77"})
	if len(pay.UserErrors) > 0 {
		t.Fatal(pay.UserErrors)
	}
	p := cancel(1, "customer changed their mind")
	if p.Order == nil || p.Order.Status != "OPEN" || p.Order.Lines[0].CancelledQuantity != 1 || p.Order.Cancelled.Amount != 10000 ||
		p.Order.Due.Amount != 0 || p.Order.RefundDue.Amount != 10000 {
		t.Fatalf("after cancelling one of a paid order: %+v %+v", p.Order, p.UserErrors)
	}

	// What was paid for the cancelled unit goes back to the card it came from.
	var refund struct {
		RefundOrder struct {
			Refunds []struct {
				Method string
				Amount money
			}
			Order *struct {
				RefundDue money
				Refunds   []struct{ Method string }
			}
			Replayed   bool
			UserErrors []userError
		}
	}
	refundIn := map[string]any{"idempotencyKey": newKey(), "orderId": o.ID, "to": "ORIGINAL", "reference": "refund slip 3"}
	refundOrder := func() {
		t.Helper()
		a.query(manager, `mutation($in: RefundOrderInput!) { refundOrder(input: $in) { refunds { method amount { amount } }
			order { refundDue { amount } refunds { method } } replayed userErrors { field message code } } }`,
			map[string]any{"in": refundIn}, &refund)
	}
	refundOrder()
	rf := refund.RefundOrder
	if len(rf.UserErrors) > 0 || len(rf.Refunds) != 1 || rf.Refunds[0].Method != "ONLINE" || rf.Refunds[0].Amount.Amount != 10000 ||
		rf.Order == nil || len(rf.Order.Refunds) != 1 || rf.Order.RefundDue.Amount != 0 {
		t.Errorf("refundOrder %+v", rf)
	}
	refundOrder()
	if !refund.RefundOrder.Replayed || len(refund.RefundOrder.Refunds) != 1 {
		t.Errorf("replayed refund %+v, want the first", refund.RefundOrder)
	}
	refundIn["idempotencyKey"] = newKey()
	refundOrder()
	if !hasUserError(refund.RefundOrder.UserErrors, "NOTHING_TO_REFUND", "input", "orderId") {
		t.Errorf("refunding twice: %+v, want NOTHING_TO_REFUND", refund.RefundOrder.UserErrors)
	}
	if r := f.reserved(sku, "WH-TAO"); r != 3 {
		t.Errorf("reserved %d, want 3", r)
	}

	reroute := func(in map[string]any) fulfilmentResult {
		return a.fulfil(manager, "$in: RerouteFulfilmentInput!", "rerouteFulfilment(input: $in)", map[string]any{"in": in})
	}
	if r := reroute(map[string]any{"id": o.Fulfilments[0].ID, "locationId": f.loc["HSZ-01"], "reason": "closer"}); !hasUserError(r.UserErrors, "INSUFFICIENT_STOCK", "input", "lines") {
		t.Errorf("rerouting to a store without stock: %+v", r.UserErrors)
	}
	r := reroute(map[string]any{"id": o.Fulfilments[0].ID, "locationId": f.loc["TPE-02"], "reason": "warehouse backlog"})
	if r.Fulfilment == nil || r.Fulfilment.Location.Code != "TPE-02" || r.Fulfilment.Status != "OPEN" || r.Fulfilment.Units != 3 {
		t.Fatalf("rerouted %+v %+v", r.Fulfilment, r.UserErrors)
	}
	if w, s := f.reserved(sku, "WH-TAO"), f.reserved(sku, "TPE-02"); w != 0 || s != 3 {
		t.Errorf("reserved WH-TAO %d, TPE-02 %d; want 0, 3", w, s)
	}
	var out struct {
		Order struct {
			Allocations []struct{ Rule, Summary string }
			Fulfilments []struct {
				Status   string
				Location struct{ Code string }
			}
		}
	}
	a.query(manager, `query($id: ID!) { order(id: $id) { allocations { rule summary } fulfilments { status location { code } } } }`,
		map[string]any{"id": o.ID}, &out)
	if len(out.Order.Allocations) != 2 || len(out.Order.Fulfilments) != 2 || out.Order.Fulfilments[0].Status != "CANCELLED" ||
		out.Order.Fulfilments[1].Location.Code != "TPE-02" {
		t.Errorf("after the re-route %+v, want a second allocation and the old fulfilment cancelled", out.Order)
	}
}

type gqlReturn struct {
	ID       string
	Number   string
	Status   string
	Location struct{ Code string }
	Order    struct{ Number string }
	Total    money
	Refunded money
	Due      money
	Lines    []struct {
		ID          string
		SKU         string
		Quantity    int
		Reason      string
		Disposition string
		Amount      money
		OrderLine   struct{ LineNumber int }
	}
	Refunds []struct {
		Method string
		Amount money
	}
}

const returnFields = `id number status location { code } order { number } total { amount currency } refunded { amount }
	due { amount } lines { id sku quantity reason disposition amount { amount } orderLine { lineNumber } }
	refunds { method amount { amount } }`

type returnResult struct {
	Return     *gqlReturn
	Replayed   bool
	UserErrors []userError
}

func (a *api) returnMutation(token, decl, call string, vars map[string]any) returnResult {
	a.t.Helper()
	name, _, _ := strings.Cut(call, "(")
	var out map[string]returnResult
	a.query(token, `mutation(`+decl+`) { `+call+` { return { `+returnFields+` } replayed userErrors { field message code } } }`,
		vars, &out)
	return out[name]
}

// TestReturnInAnotherStore: goods shipped from the warehouse and delivered come back at a
// store: restocked there, then found damaged; refunded as store credit, and closed.
func TestReturnInAnotherStore(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer, manager := a.token("customer"), a.token("manager")
	store := a.token("yuting.lee") // associate at TPE-02
	sku := f.variant(30000, map[string]int{"WH-TAO": 5})
	o := a.mustPlace(customer, shipOrder("WEB", sku, 2))
	id := o.Fulfilments[0].ID
	a.fulfil(manager, "$id: ID!", `packFulfilment(id: $id, overrideReason: "test shortcut")`, map[string]any{"id": id})
	if s := a.ship(manager, id, "Black Cat", "BC42"); s.Fulfilment == nil {
		t.Fatal(s.UserErrors)
	}
	in := map[string]any{"idempotencyKey": newKey(), "orderId": o.ID, "locationId": f.loc["TPE-02"], "note": "came to the store",
		"lines": []map[string]any{{"orderLineId": o.Lines[0].ID, "quantity": 1, "reason": "SIZE_OR_FIT", "disposition": "RESTOCK"}}}
	create := func(token string) returnResult {
		return a.returnMutation(token, "$in: CreateReturnInput!", "createReturn(input: $in)", map[string]any{"in": in})
	}
	if r := create(store); !hasUserError(r.UserErrors, "NOT_HANDED_OVER", "input", "lines", "0", "orderLineId") {
		t.Errorf("returning goods not delivered yet: %+v", r.UserErrors)
	}
	a.mustStep(manager, "markDelivered", id)
	pay := a.recordPayment(customer, map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "ONLINE",
		"amount": o.Total.Amount, "reference": "pi_9"})
	if len(pay.UserErrors) > 0 {
		t.Fatal(pay.UserErrors)
	}
	var desk struct {
		Order struct {
			Returnable struct {
				Lines []struct {
					OrderLine                                struct{ SKU string }
					Bought, HandedOver, Returned, Returnable int
					OutsideWindow                            bool
				}
				Refundable          money
				StoreCreditPossible bool
			}
		}
	}
	a.query(store, `query($id: ID!) { order(id: $id) { returnable { lines { orderLine { sku } bought handedOver returned returnable
		outsideWindow } refundable { amount } storeCreditPossible } } }`, map[string]any{"id": o.ID}, &desk)
	rt := desk.Order.Returnable
	if len(rt.Lines) != 1 || rt.Lines[0].OrderLine.SKU != sku || rt.Lines[0].Returnable != 2 || rt.Lines[0].OutsideWindow ||
		rt.Refundable.Amount != o.Total.Amount || !rt.StoreCreditPossible {
		t.Errorf("returnable %+v, want 2 units of %s within the window", rt, sku)
	}
	in["lines"].([]map[string]any)[0]["quantity"] = 3
	if r := create(store); !hasUserError(r.UserErrors, "EXCEEDS_RETURNABLE", "input", "lines", "0", "quantity") {
		t.Errorf("returning more than bought: %+v", r.UserErrors)
	}
	in["idempotencyKey"] = newKey()
	in["lines"].([]map[string]any)[0]["quantity"] = 1
	if res := a.send(request{token: a.token("associate"), query: `mutation($in: CreateReturnInput!) { createReturn(input: $in) { replayed } }`,
		vars: map[string]any{"in": in}}); res.code() != "FORBIDDEN" {
		t.Errorf("a TPE-01 associate receiving at TPE-02: %+v, want FORBIDDEN", res.Errors)
	}
	r := create(store)
	again := create(store)
	if r.Return == nil || !again.Replayed || again.Return.ID != r.Return.ID {
		t.Fatalf("createReturn %+v, again %+v", r, again)
	}
	ret := *r.Return
	if ret.Status != "OPEN" || ret.Location.Code != "TPE-02" || ret.Order.Number != o.Number || ret.Total.Amount != 30000 ||
		len(ret.Lines) != 1 || ret.Lines[0].Disposition != "RESTOCK" || ret.Lines[0].OrderLine.LineNumber != 1 {
		t.Errorf("return %+v", ret)
	}
	if n := f.onHand(sku, "TPE-02"); n != 1 {
		t.Errorf("TPE-02 on hand %d after restocking, want 1", n)
	}

	disposition := func(value string) returnResult {
		return a.returnMutation(store, "$in: SetReturnDispositionInput!", "setReturnDisposition(input: $in)",
			map[string]any{"in": map[string]any{"returnLineId": ret.Lines[0].ID, "disposition": value, "note": "seam torn"}})
	}
	if d := disposition("DAMAGED"); d.Return == nil || d.Return.Lines[0].Disposition != "DAMAGED" {
		t.Fatalf("damaged %+v", d.UserErrors)
	}
	if n := f.onHand(sku, "TPE-02"); n != 0 {
		t.Errorf("TPE-02 on hand %d after writing off, want 0", n)
	}
	closeReturn := func() returnResult {
		return a.returnMutation(store, "$id: ID!", "closeReturn(id: $id)", map[string]any{"id": ret.ID})
	}
	if c := closeReturn(); !hasUserError(c.UserErrors, "INVALID", "id") {
		t.Errorf("closing before the refund: %+v, want INVALID on id", c.UserErrors)
	}

	var refund struct {
		Refund struct {
			Refunds []struct {
				Method string
				Amount money
			}
			Return     *struct{ Refunded, Due money }
			Replayed   bool
			UserErrors []userError
		}
	}
	a.query(store, `mutation($in: RefundInput!) { refund(input: $in) { refunds { method amount { amount } }
		return { refunded { amount } due { amount } } replayed userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": newKey(), "returnId": ret.ID, "to": "STORE_CREDIT"}}, &refund)
	rf := refund.Refund
	if len(rf.UserErrors) > 0 || len(rf.Refunds) != 1 || rf.Refunds[0].Method != "STORE_CREDIT" || rf.Refunds[0].Amount.Amount != 30000 ||
		rf.Return.Due.Amount != 0 {
		t.Fatalf("refund %+v", rf)
	}
	var me struct {
		Me struct{ StoreCredit money }
	}
	a.query(customer, `{ me { ... on Customer { storeCredit { amount currency } } } }`, nil, &me)
	if me.Me.StoreCredit.Amount != 30000 || me.Me.StoreCredit.Currency != "TWD" {
		t.Errorf("store credit %+v, want NT$300", me.Me.StoreCredit)
	}
	// The credit pays part of her next order at the till.
	next := a.mustPlace(customer, shipOrder("WEB", sku, 1))
	credit := a.recordPayment(store, map[string]any{"orderId": next.ID, "idempotencyKey": newKey(), "method": "STORE_CREDIT",
		"amount": 20000})
	if len(credit.UserErrors) > 0 || credit.Order.PaymentStatus != "PARTIALLY_PAID" {
		t.Errorf("store credit payment: %+v, order %+v", credit.UserErrors, credit.Order)
	}
	if over := a.recordPayment(store, map[string]any{"orderId": next.ID, "idempotencyKey": newKey(), "method": "STORE_CREDIT",
		"amount": 10001}); !hasUserError(over.UserErrors, "INSUFFICIENT_STORE_CREDIT", "input", "amount") {
		t.Errorf("paying beyond the balance: %+v, want INSUFFICIENT_STORE_CREDIT", over.UserErrors)
	}
	a.query(customer, `{ me { ... on Customer { storeCredit { amount currency } } } }`, nil, &me)
	if me.Me.StoreCredit.Amount != 10000 {
		t.Errorf("store credit %+v after spending NT$200, want NT$100", me.Me.StoreCredit)
	}
	if c := closeReturn(); c.Return == nil || c.Return.Status != "CLOSED" {
		t.Errorf("close %+v", c.UserErrors)
	}
	if d := disposition("RESTOCK"); !hasUserError(d.UserErrors, "WRONG_STATUS", "input", "returnLineId") {
		t.Errorf("changing a closed return: %+v, want WRONG_STATUS", d.UserErrors)
	}

	// The customer sees the return on their order; staff find it at the store.
	var out struct {
		Order struct{ Returns []gqlReturn }
	}
	a.query(customer, `query($id: ID!) { order(id: $id) { returns { `+returnFields+` } } }`, map[string]any{"id": o.ID}, &out)
	if len(out.Order.Returns) != 1 || out.Order.Returns[0].Status != "CLOSED" || len(out.Order.Returns[0].Refunds) != 1 {
		t.Errorf("the order's returns %+v", out.Order.Returns)
	}
	var list struct {
		Returns struct {
			Edges []struct{ Node struct{ Number string } }
		}
		Return *struct{ Number string }
	}
	a.query(manager, `query($loc: ID!, $id: ID!) { returns(locationId: $loc) { edges { node { number } } } return(id: $id) { number } }`,
		map[string]any{"loc": f.loc["TPE-02"], "id": ret.ID}, &list)
	if len(list.Returns.Edges) != 1 || list.Returns.Edges[0].Node.Number != ret.Number || list.Return == nil {
		t.Errorf("returns at TPE-02 %+v", list)
	}
}
