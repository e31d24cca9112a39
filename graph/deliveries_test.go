package graph

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"atrium/db/seed"
	"atrium/internal/actor"
	"atrium/internal/purchasing"
	"atrium/internal/testdb"
)

// as is ctx acting as the demo staff member login, for the steps the GraphQL API does not
// serve (purchase orders are written in the back office).
func (a *api) as(login string) context.Context {
	a.t.Helper()
	var id int64
	if err := a.db.Get(&id, `SELECT id FROM staff WHERE login = $1`, login); err != nil {
		a.t.Fatal(err)
	}
	ctx := context.Background()
	act, err := a.deps.Auth.StaffActor(ctx, id)
	if err != nil {
		a.t.Fatal(err)
	}
	return actor.With(ctx, act)
}

// loadBuying adds the demo suppliers and purchase orders, which the test demo leaves out.
func (a *api) loadBuying() {
	a.t.Helper()
	if err := seed.LoadBuying(context.Background(), a.db); err != nil {
		a.t.Fatal(err)
	}
}

// openPO is the demo purchase order still open at location code (SENT or partly received).
func (a *api) openPO(code string) purchasing.Detail {
	a.t.Helper()
	var id int64
	if err := a.db.Get(&id, `SELECT o.id FROM purchase_orders o JOIN locations l ON l.id = o.location_id
		WHERE l.code = $1 AND o.status IN ('SENT', 'PARTIALLY_RECEIVED') ORDER BY o.id LIMIT 1`, code); err != nil {
		a.t.Fatalf("open purchase order at %s: %v", code, err)
	}
	d, err := a.deps.Purchasing.Order(a.as("manager"), id)
	if err != nil {
		a.t.Fatal(err)
	}
	return d
}

func outstanding(o purchasing.Order) int {
	n := 0
	for _, l := range o.Lines {
		n += l.Outstanding()
	}
	return n
}

type expectedDelivery struct {
	Kind, Name, From, Status string
	FromLocation             *struct{ Code string }
	Location                 struct{ Code string }
	ExpectedOn               *string
	Units                    int
	Transfer                 *struct{ ID string }
}

const deliveriesQuery = `query($loc: ID!) { deliveriesExpected(locationId: $loc) { kind name from status
	fromLocation { code } location { code } expectedOn units transfer { id } } }`

// TestDeliveriesExpected: a store's tablet lists the purchase orders on their way to it
// and the transfers in transit to it, soonest first.
func TestDeliveriesExpected(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.loadBuying()
	f := a.stockFixture()
	associate, manager := a.token("associate"), a.token("manager")
	po := a.openPO("TPE-01")

	arrival := time.Now().AddDate(0, 0, 60).Format(time.DateOnly)
	tr := a.createTransfer(manager, map[string]any{"idempotencyKey": newKey(), "fromLocationId": f.other, "toLocationId": f.home,
		"expectedArrival": arrival, "lines": []map[string]any{{"sku": f.skus[0], "quantity": 1}}})
	if tr.Transfer == nil {
		t.Fatalf("transfer: %+v", tr.UserErrors)
	}
	if shipped := a.transferAction(manager, "shipTransfer", tr.Transfer.ID); shipped.Transfer == nil {
		t.Fatalf("ship: %+v", shipped.UserErrors)
	}
	// A draft transfer is not on its way.
	if draft := a.createTransfer(manager, map[string]any{"idempotencyKey": newKey(), "fromLocationId": f.other,
		"toLocationId": f.home, "lines": []map[string]any{{"sku": f.skus[1], "quantity": 1}}}); draft.Transfer == nil {
		t.Fatalf("draft: %+v", draft.UserErrors)
	}

	var out struct{ DeliveriesExpected []expectedDelivery }
	a.query(associate, deliveriesQuery, map[string]any{"loc": f.home}, &out)
	ds := out.DeliveriesExpected
	var gotPO, gotTransfer *expectedDelivery
	for i, d := range ds {
		if d.Location.Code != "TPE-01" {
			t.Errorf("delivery %+v is not for TPE-01", d)
		}
		switch d.Kind {
		case "PURCHASE_ORDER":
			if d.Name == po.Number() {
				gotPO = &ds[i]
			}
		case "TRANSFER":
			gotTransfer = &ds[i]
		}
	}
	if gotPO == nil || gotPO.From != po.SupplierName || gotPO.Status != string(po.Status) || gotPO.Units != outstanding(po.Order) ||
		gotPO.Units == 0 || gotPO.Transfer != nil || gotPO.FromLocation != nil {
		t.Errorf("purchase order %s: got %+v", po.Number(), gotPO)
	}
	if gotTransfer == nil || gotTransfer.From != "TPE-02" || gotTransfer.FromLocation == nil || gotTransfer.FromLocation.Code != "TPE-02" ||
		gotTransfer.Status != "IN_TRANSIT" || deref(gotTransfer.ExpectedOn) != arrival || gotTransfer.Units != 1 ||
		gotTransfer.Transfer == nil || gotTransfer.Transfer.ID != tr.Transfer.ID {
		t.Errorf("transfer: got %+v", gotTransfer)
	}
	if n := len(ds); n != 2 {
		t.Errorf("%d deliveries, want the purchase order and the shipped transfer: %+v", n, ds)
	}
	if !slices.IsSortedFunc(ds, func(x, y expectedDelivery) int {
		switch {
		case x.ExpectedOn == nil && y.ExpectedOn == nil:
			return 0
		case x.ExpectedOn == nil:
			return 1
		case y.ExpectedOn == nil:
			return -1
		}
		return compareStrings(*x.ExpectedOn, *y.ExpectedOn)
	}) {
		t.Errorf("deliveries not soonest first: %+v", ds)
	}

	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name, token, loc, code string
		}{
			{"hr", a.token("hr"), f.home, "FORBIDDEN"},
			{"customer", a.token("customer"), f.home, "FORBIDDEN"},
			{"anonymous", "", f.home, "UNAUTHENTICATED"},
			{"not a location", associate, tr.Transfer.ID, "INVALID"},
			{"unknown location", associate, encodeID(typeLocation, 999999), "NOT_FOUND"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := a.send(request{token: tt.token, query: deliveriesQuery, vars: map[string]any{"loc": tt.loc}})
				if res.code() != tt.code || hasData(res) {
					t.Errorf("got %s %+v, want %s", res.Data, res.Errors, tt.code)
				}
			})
		}
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// goodsNotice is a goodsNotifications event as the tests select it.
type goodsNotice struct {
	Kind, PurchaseOrderNumber, Status, SupplierName string
	Location                                        struct{ Code string }
	ExpectedOn                                      *string
	OutstandingUnits                                int
}

func (c *wsConn) nextGoods(id string) goodsNotice {
	c.t.Helper()
	m := c.read()
	var next struct {
		Data   struct{ GoodsNotifications goodsNotice }
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &next); err != nil || m.Type != "next" || m.ID != id || len(next.Errors) > 0 {
		c.t.Fatalf("got %s %s (%v), want a goods notice", m.Type, m.Payload, err)
	}
	return next.Data.GoodsNotifications
}

// TestGoodsNotificationsAcrossServers: a tablet at TPE-01 subscribes on server A; a buyer
// sends a purchase order for TPE-01 and goods are received through server B; the notices
// reach A through LISTEN/NOTIFY, and those of other locations do not.
func TestGoodsNotificationsAcrossServers(t *testing.T) {
	t.Parallel()
	_, dsn := testdb.NewDemoDSN(t)
	serverA, serverB := newServer(t, dsn), newServer(t, dsn)
	serverB.loadBuying()
	token := serverA.token("associate")
	var home string
	var homeID int64
	if err := serverA.db.Get(&homeID, `SELECT id FROM locations WHERE code = 'TPE-01'`); err != nil {
		t.Fatal(err)
	}
	home = encodeID(typeLocation, homeID)

	const subscription = `subscription($loc: ID!) { goodsNotifications(locationId: $loc) { kind purchaseOrderNumber status
		supplierName location { code } expectedOn outstandingUnits } }`
	c := serverA.dial(t, "Bearer "+token)
	if m := c.read(); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	c.write(map[string]any{"type": "subscribe", "id": "goods", "payload": map[string]any{"query": subscription,
		"variables": map[string]any{"loc": home}}})
	if !waitFor(func() bool { return serverA.deps.GoodsFeed.Subscribers() == 1 }) {
		t.Fatal("the subscription did not start")
	}

	// A buyer orders again what the demo order brings to TPE-01, and sends it once approved.
	open := serverB.openPO("TPE-01")
	svc := serverB.deps.Purchasing
	in := purchasing.OrderInput{SupplierID: open.SupplierID, LocationID: homeID, Note: "graph test"}
	for _, l := range open.Lines {
		in.Lines = append(in.Lines, purchasing.LineInput{VariantID: l.VariantID, Quantity: l.Quantity})
	}
	buyer := serverB.as("buyer")
	po, err := svc.CreateOrder(buyer, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(buyer, po.ID, ""); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"manager", "shufen.hsu"} {
		after, err := svc.Approve(serverB.as(login), po.ID, "ok")
		if err != nil {
			t.Fatalf("approve as %s: %v", login, err)
		}
		if after.Status != purchasing.Submitted {
			break
		}
	}
	expected := time.Now().AddDate(0, 0, 9).UTC().Truncate(24 * time.Hour)
	if _, err := svc.Send(buyer, po.ID, purchasing.SendInput{ExpectedOn: &expected}); err != nil {
		t.Fatal(err)
	}
	arriving := c.nextGoods("goods")
	if arriving.Kind != "ARRIVING" || arriving.PurchaseOrderNumber != po.Number() || arriving.Status != "SENT" ||
		arriving.Location.Code != "TPE-01" || deref(arriving.ExpectedOn) != expected.Format(time.DateOnly) ||
		arriving.OutstandingUnits != outstanding(po) || arriving.SupplierName != open.SupplierName {
		t.Errorf("arriving: %+v", arriving)
	}

	// Goods received at the warehouse are not TPE-01's business; the rest of the demo
	// order received at TPE-01 is.
	wh := serverB.openPO("WH-TAO")
	first := wh.Lines[0]
	if _, err := svc.Receive(serverB.as("manager"), purchasing.ReceiptInput{IdempotencyKey: newKey(), OrderID: wh.ID,
		Lines: []purchasing.ReceiptLineInput{receiptLine(first, 1)}}); err != nil {
		t.Fatal(err)
	}
	rin := purchasing.ReceiptInput{IdempotencyKey: newKey(), OrderID: open.ID}
	for _, l := range open.Lines {
		if l.Outstanding() > 0 {
			rin.Lines = append(rin.Lines, receiptLine(l, l.Outstanding()))
		}
	}
	if _, err := svc.Receive(serverB.as("associate"), rin); err != nil {
		t.Fatal(err)
	}
	received := c.nextGoods("goods")
	if received.Kind != "RECEIVED" || received.PurchaseOrderNumber != open.Number() || received.Status != "RECEIVED" ||
		received.OutstandingUnits != 0 || received.Location.Code != "TPE-01" {
		t.Errorf("received: %+v, want %s fully received at TPE-01", received, open.Number())
	}

	c.write(map[string]any{"type": "complete", "id": "goods"})
	if !waitFor(func() bool { return serverA.deps.GoodsFeed.Subscribers() == 0 }) {
		t.Error("the subscription outlived its completion")
	}

	t.Run("authorization", func(t *testing.T) {
		for name, tt := range map[string]struct{ auth, code string }{
			"anonymous": {"", "UNAUTHENTICATED"},
			"hr":        {"Bearer " + serverA.token("hr"), "FORBIDDEN"},
			"customer":  {"Bearer " + serverA.token("customer"), "FORBIDDEN"},
		} {
			t.Run(name, func(t *testing.T) {
				c := serverA.dial(t, tt.auth)
				if m := c.read(); m.Type != "connection_ack" {
					t.Fatalf("got %+v, want connection_ack", m)
				}
				c.write(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": subscription,
					"variables": map[string]any{"loc": home}}})
				var res gqlResponse
				if m := c.read(); m.Type != "next" || json.Unmarshal(m.Payload, &res) != nil || res.code() != tt.code || hasData(res) {
					t.Errorf("got %s %s, want a result with error %s and no data", m.Type, m.Payload, tt.code)
				}
			})
		}
	})
}

// receiptLine accepts n units of order line l, with a lot for lot-tracked goods.
func receiptLine(l purchasing.Line, n int) purchasing.ReceiptLineInput {
	in := purchasing.ReceiptLineInput{VariantID: l.VariantID, Accepted: n}
	if l.LotTracked {
		expires := time.Now().AddDate(0, 6, 0)
		in.Lot, in.ExpiresOn = "GT-"+time.Now().Format("150405"), &expires
	}
	return in
}
