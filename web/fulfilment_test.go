package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"atrium/internal/inventory"
	"atrium/internal/order"
)

// fulfilmentOf returns the order's single fulfilment not cancelled.
func (a *orderApp) fulfilmentOf(t *testing.T, orderID int64) order.Fulfilment {
	t.Helper()
	d, err := a.deps.Orders.Detail(system(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.Fulfilments {
		if f.Status != order.FulfilmentCancelled {
			return f
		}
	}
	t.Fatalf("order %d has no live fulfilment", orderID)
	return order.Fulfilment{}
}

// htmxScan posts one scan as the pack screen's HTMX form does.
func htmxScan(c *client, id int64, code, key string) *response {
	c.t.Helper()
	return c.post(fulfilmentURL(id)+"/scan", url.Values{"code": {code}, "idempotencyKey": {key}},
		"HX-Request", "true", "HX-Target", "pack-status")
}

// The warehouse works a web order from its queue: pick list, scan to pack with per-scan
// feedback, ship with carrier and tracking, deliver.
func TestFulfilmentShipPages(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	o := a.ship(t, "pack.test@example.com", []order.LineInput{line(a.v1, 2), line(a.v2, 1)})
	f := a.fulfilmentOf(t, o.ID)
	wh := a.signedIn("fulfilment")

	t.Run("queue and pick list", func(t *testing.T) {
		res := wh.get(fulfilmentQueueURL).wantStatus(http.StatusOK)
		res.wantContains(o.Number, a.v1.SKU)
		wh.get(fulfilmentQueueURL + "?status=SHIPPED").wantStatus(http.StatusOK).wantNotContains(o.Number)
		wh.get(fulfilmentQueueURL+"?status=OPEN", "HX-Request", "true", "HX-Target", "fulfilment-results").
			wantStatus(http.StatusOK).wantContains(o.Number).wantNotContains("<nav class=\"container\"")
		pl := wh.get("/admin/fulfilment/pick-list").wantStatus(http.StatusOK)
		pl.wantContains(a.v1.SKU, a.v2.SKU, *a.v1.Barcode, o.Number)
		whID := strconv.FormatInt(locationID(t, a.app, "WH-TAO"), 10)
		bin := url.Values{"location": {whID}, "variant": {strconv.FormatInt(a.v2.ID, 10)}, "bin": {"shelf 3"}}
		res = wh.post("/admin/fulfilment/bins", bin).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID("error-bin"); !strings.Contains(msg, "A-03-2") {
			t.Errorf("bin error %q", msg)
		}
		bin.Set("bin", "b-01-1")
		wh.post("/admin/fulfilment/bins", bin).wantRedirect(pickListURL(locationID(t, a.app, "WH-TAO")))
		pl = wh.get(pickListURL(locationID(t, a.app, "WH-TAO"))).wantContains("Bin saved.")
		if g := pl.byID("pick-group-0"); !strings.Contains(g, "Bin B-01-1") || !strings.Contains(g, a.v2.SKU) {
			t.Errorf("first group %q, want bin B-01-1 with %s", g, a.v2.SKU)
		}
		a.signedIn("associate").post("/admin/fulfilment/bins", bin).wantStatus(http.StatusForbidden)
	})
	t.Run("scan to pack", func(t *testing.T) {
		page := wh.get(fulfilmentURL(f.ID)).wantStatus(http.StatusOK)
		if !page.hasID("scan-form") || page.hasID("pack-button") {
			t.Fatalf("pack screen without scan field or with a pack button before scanning")
		}
		res := htmxScan(wh, f.ID, "4710000000000", "k1").wantStatus(http.StatusOK)
		if fb := res.byID("scan-feedback"); !strings.Contains(fb, "is not on this order") || !strings.Contains(fb, a.v1.SKU) {
			t.Errorf("wrong item feedback %q", fb)
		}
		res = htmxScan(wh, f.ID, *a.v1.Barcode, "k2").wantStatus(http.StatusOK)
		if fb := res.byID("scan-feedback"); !strings.Contains(fb, "1 of 2 scanned") {
			t.Errorf("accepted feedback %q", fb)
		}
		if p := res.byID("pack-progress"); !strings.Contains(p, "1 of 3 unit(s) scanned") {
			t.Errorf("progress %q", p)
		}
		htmxScan(wh, f.ID, *a.v1.Barcode, "k2").wantStatus(http.StatusOK) // a retry counts once
		htmxScan(wh, f.ID, a.v1.SKU, "k3").wantStatus(http.StatusOK)
		res = htmxScan(wh, f.ID, *a.v1.Barcode, "k4")
		if fb := res.byID("scan-feedback"); !strings.Contains(fb, "already scanned") {
			t.Errorf("too many feedback %q", fb)
		}
		// Without JavaScript a refused scan shows the page with the message.
		wh.post(fulfilmentURL(f.ID)+"/scan", url.Values{"code": {"NOPE-1"}}).wantStatus(http.StatusUnprocessableEntity).
			wantContains("is not on this order")
		res = htmxScan(wh, f.ID, *a.v2.Barcode, "k5")
		if fb := res.byID("scan-feedback"); !strings.Contains(fb, "Everything is scanned") || !res.hasID("pack-button") {
			t.Errorf("complete feedback %q", fb)
		}
		// Scans survive a reload.
		if p := wh.get(fulfilmentURL(f.ID)).byID("pack-progress"); !strings.Contains(p, "3 of 3") {
			t.Errorf("after reload %q", p)
		}
		wh.post(fulfilmentURL(f.ID)+"/pack", nil).wantRedirect(fulfilmentURL(f.ID))
		// A double click: the second post finds it packed already.
		wh.post(fulfilmentURL(f.ID)+"/pack", nil).wantRedirect(fulfilmentURL(f.ID))
		wh.post(fulfilmentURL(f.ID)+"/deliver", nil).wantStatus(http.StatusUnprocessableEntity).
			wantContains("is PACKED: it cannot be marked delivered (next: ship it)")
	})
	t.Run("ship and deliver", func(t *testing.T) {
		res := wh.post(fulfilmentURL(f.ID)+"/ship", url.Values{"carrier": {"Black Cat"}}).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID("error-trackingNumber"); !strings.Contains(msg, "tracking number") {
			t.Errorf("tracking error %q", msg)
		}
		if v := res.values("carrier"); len(v) != 1 || v[0] != "Black Cat" {
			t.Errorf("carrier as typed %v", v)
		}
		wh.post(fulfilmentURL(f.ID)+"/ship", url.Values{"carrier": {"Black Cat"}, "trackingNumber": {"BC-778899"}}).
			wantRedirect(fulfilmentURL(f.ID))
		page := wh.get(fulfilmentURL(f.ID)).wantStatus(http.StatusOK).wantContains("Shipped.", "BC-778899")
		if !page.hasID("deliver-button") {
			t.Errorf("no deliver button")
		}
		wh.post(fulfilmentURL(f.ID)+"/deliver", nil).wantRedirect(fulfilmentURL(f.ID))
		steps := wh.get(fulfilmentURL(f.ID)).byID("steps")
		for _, want := range []string{"Picking started", "Packed at WH-TAO", "Shipped from WH-TAO with Black Cat", "Delivered"} {
			if !strings.Contains(steps, want) {
				t.Errorf("steps lack %q: %s", want, steps)
			}
		}
		a.signedIn("manager").get(orderURL(o.ID)).wantContains(fulfilmentURL(f.ID), "Delivered")
	})
	t.Run("other locations and roles", func(t *testing.T) {
		o2 := a.ship(t, "other.test@example.com", []order.LineInput{line(a.v1, 1)})
		f2 := a.fulfilmentOf(t, o2.ID)
		a.signedIn("associate").post(fulfilmentURL(f2.ID)+"/pick", nil).wantStatus(http.StatusForbidden).
			wantContains("home location")
		a.signedIn("buyer").get(fulfilmentQueueURL).wantStatus(http.StatusForbidden)
		wh.post(fulfilmentURL(f2.ID)+"/pack-override", url.Values{"reason": {"x"}}).wantStatus(http.StatusForbidden)
	})
}

// A click-and-collect order at the associate's store: ready (code sent), a wrong code,
// payment, the right code; a cancelled paid order shows what is owed back.
func TestFulfilmentPickupPages(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	store := a.signedIn("associate")
	v1 := a.v1
	if _, err := a.deps.Inventory.Adjust(system(), adjustAt(a.tpe, v1.ID, 5)); err != nil {
		t.Fatal(err)
	}
	o, err := a.deps.Orders.PlaceOrder(context.Background(), order.PlaceOrderInput{IdempotencyKey: newIdempotencyKey(),
		Channel: order.Web, Email: "collect.test@example.com", Lines: []order.LineInput{line(v1, 1)},
		PaymentMethod: order.PayAtPickup, Fulfilment: order.FulfilmentInput{Method: order.Pickup, PickupLocationID: a.tpe}})
	if err != nil {
		t.Fatal(err)
	}
	f := a.fulfilmentOf(t, o.ID)
	htmxScan(store, f.ID, v1.SKU, "c1").wantStatus(http.StatusOK)
	store.post(fulfilmentURL(f.ID)+"/pack", nil).wantRedirect(fulfilmentURL(f.ID))
	store.post(fulfilmentURL(f.ID)+"/ready", nil).wantRedirect(fulfilmentURL(f.ID))
	page := store.get(fulfilmentURL(f.ID)).wantContains("Ready for pickup: the customer is sent the pickup code.")
	if !page.hasID("collect-form") || page.hasID("collect-override") {
		t.Fatalf("collect form for an associate without the manager's override expected")
	}
	var body string
	if err := a.db.Get(&body, `SELECT body FROM notifications WHERE kind = 'PICKUP_READY' AND recipient = 'collect.test@example.com'`); err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`Pickup code: ([0-9]{6})`).FindStringSubmatch(body)[1]
	store.post(fulfilmentURL(f.ID)+"/collect", url.Values{"code": {code}}).wantStatus(http.StatusUnprocessableEntity).
		wantContains("record the payment")
	if _, err := a.deps.Orders.RecordPayment(staffContext(t, a.app, "associate"), order.PaymentInput{OrderID: o.ID,
		IdempotencyKey: newIdempotencyKey(), Method: order.PayAtPickup, Amount: o.Total}); err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	res := store.post(fulfilmentURL(f.ID)+"/collect", url.Values{"code": {wrong}}).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID("error-code"); !strings.Contains(msg, "wrong pickup code: 4 tries left") {
		t.Errorf("wrong code message %q", msg)
	}
	store.post(fulfilmentURL(f.ID)+"/collect", url.Values{"code": {code}}).wantRedirect(fulfilmentURL(f.ID))
	store.get(fulfilmentURL(f.ID)).wantContains("Handed over.", "Collected at TPE-01")

	t.Run("a paid order cancelled shows what is owed back", func(t *testing.T) {
		o2 := a.ship(t, "refund.test@example.com", []order.LineInput{line(v1, 1)})
		if _, err := a.deps.Orders.RecordPayment(staffContext(t, a.app, "manager"), order.PaymentInput{OrderID: o2.ID,
			IdempotencyKey: newIdempotencyKey(), Method: order.Card, Amount: o2.Total, Reference: "slip 1"}); err != nil {
			t.Fatal(err)
		}
		f2 := a.fulfilmentOf(t, o2.ID)
		m := a.signedIn("manager")
		m.post(fulfilmentURL(f2.ID)+"/cancel", url.Values{"reason": {""}}).wantStatus(http.StatusUnprocessableEntity)
		m.post(fulfilmentURL(f2.ID)+"/cancel", url.Values{"reason": {"customer called"}}).wantRedirect(fulfilmentURL(f2.ID))
		page := m.get(orderURL(o2.ID)).wantStatus(http.StatusOK)
		if got := page.byID("order-refund-due"); !strings.Contains(got, formatMoney(o2.Total, o2.Currency)) {
			t.Errorf("owed back %q, want %s", got, formatMoney(o2.Total, o2.Currency))
		}
		key := page.values("idempotencyKey")
		refund := url.Values{"idempotencyKey": key[len(key)-1:], "to": {"ORIGINAL"}, "reference": {"card slip 2"}}
		a.signedIn("accountant").post(orderURL(o2.ID)+"/refund", refund).wantStatus(http.StatusForbidden)
		m.post(orderURL(o2.ID)+"/refund", refund).wantRedirect(orderURL(o2.ID))
		m.post(orderURL(o2.ID)+"/refund", refund).wantRedirect(orderURL(o2.ID)) // a double submit refunds once
		page = m.get(orderURL(o2.ID)).wantContains("Refund recorded.")
		if page.hasID("order-refund-due") || page.hasID("refund-form") {
			t.Errorf("still owed back after the refund")
		}
		refunds, err := a.deps.Returns.RefundsByOrderIDs(system(), []int64{o2.ID})
		if err != nil || len(refunds[o2.ID]) != 1 || refunds[o2.ID][0].Amount != o2.Total {
			t.Errorf("refunds = %+v, %v; want one of %d", refunds[o2.ID], err, o2.Total)
		}
	})
	t.Run("re-route", func(t *testing.T) {
		o3 := a.ship(t, "move.test@example.com", []order.LineInput{line(v1, 1)})
		f3 := a.fulfilmentOf(t, o3.ID)
		m := a.signedIn("manager")
		res := m.post(fulfilmentURL(f3.ID)+"/reroute", url.Values{"locationId": {""}, "reason": {"x"}}).
			wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID("error-locationId"); msg == "" {
			t.Errorf("no location error")
		}
		res = m.post(fulfilmentURL(f3.ID)+"/reroute", url.Values{"locationId": {strconv.FormatInt(a.tpe, 10)},
			"reason": {"closer to the customer"}})
		res.wantRedirect("/admin/fulfilment/*")
		if res.Header.Get("Location") == fulfilmentURL(f3.ID) {
			t.Errorf("re-route went back to the old fulfilment")
		}
		m.get(res.Header.Get("Location")).wantContains("Moved. This is the new fulfilment.", "from TPE-01")
	})
}

// adjustAt receives n units of a variant at a location.
func adjustAt(locationID, variantID int64, n int) inventory.AdjustInput {
	return inventory.AdjustInput{IdempotencyKey: newIdempotencyKey(), LocationID: locationID, VariantID: variantID,
		Delta: n, Kind: inventory.KindReceipt, Reason: "stock for fulfilment tests"}
}

// The order page cancels some units of a line: the form as typed on a mistake, then the
// cancelled value in the totals.
func TestOrderCancelItemsPage(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	o := a.ship(t, "cancel.items@example.com", []order.LineInput{line(a.v1, 3)})
	d, err := a.deps.Orders.Detail(system(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	lineID := strconv.FormatInt(d.Lines[0].ID, 10)
	wh := a.signedIn("fulfilment")
	page := wh.get(orderURL(o.ID)).wantStatus(http.StatusOK)
	if !page.hasID("cancel-items") {
		t.Fatalf("no cancel items form")
	}
	res := wh.post(orderURL(o.ID)+"/cancel-items", url.Values{"line": {lineID}, "quantity": {"4"}, "reason": {"short"}}).
		wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID("error-lines-0-quantity"); !strings.Contains(msg, "only 3 of "+a.v1.SKU) {
		t.Errorf("quantity error %q", msg)
	}
	if v := res.values("quantity"); len(v) != 1 || v[0] != "4" {
		t.Errorf("quantity as typed %v", v)
	}
	wh.post(orderURL(o.ID)+"/cancel-items", url.Values{"line": {lineID}, "quantity": {"1"}, "reason": {"customer asked"}}).
		wantRedirect(orderURL(o.ID))
	page = wh.get(orderURL(o.ID)).wantContains("Items cancelled.")
	want := formatMoney(-d.Lines[0].Total/3, o.Currency)
	if got := page.byID("order-cancelled-amount"); !strings.Contains(got, want) {
		t.Errorf("cancelled %q, want %s", got, want)
	}
	a.signedIn("accountant").post(orderURL(o.ID)+"/cancel-items", url.Values{"line": {lineID}, "quantity": {"1"},
		"reason": {"x"}}).wantStatus(http.StatusForbidden)
}
