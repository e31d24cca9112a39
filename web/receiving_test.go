package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"atrium/internal/inventory"
	"atrium/internal/purchasing"
)

// sentOrder is an order of qty units of variant from the fixture's supplier to WH-TAO,
// submitted by the buyer, approved by the manager and sent.
func (p purchasingApp) sentOrder(t *testing.T, variant int64, qty int) purchasing.Order {
	t.Helper()
	buyer, manager := staffContext(t, p.app, "buyer"), staffContext(t, p.app, "manager")
	o, err := p.svc.CreateOrder(buyer, purchasing.OrderInput{SupplierID: p.supplier.ID, LocationID: locationID(t, p.app, "WH-TAO"),
		Lines: []purchasing.LineInput{{VariantID: variant, Quantity: qty}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Submit(buyer, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Approve(manager, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if o, err = p.svc.Send(buyer, o.ID, purchasing.SendInput{}); err != nil {
		t.Fatal(err)
	}
	return o
}

// receiptForm is the receiving screen's form with one row.
func receiptFormOf(key, code, accepted, rejected, reason, lot, expires string) url.Values {
	return url.Values{"idempotencyKey": {key}, "rcv_index": {"0"}, "rcv_code": {code}, "rcv_accepted": {accepted},
		"rcv_rejected": {rejected}, "rcv_reason": {reason}, "rcv_lot": {lot}, "rcv_expires": {expires}}
}

func TestGoodsReceiptPages(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	o := a.sentOrder(t, a.variant, 10)
	wh := locationID(t, a.app, "WH-TAO")
	fulfilment := a.signedIn("fulfilment") // at WH-TAO
	// Incoming counts this order's 10 units (and the fixture's approved order's).
	before, v := level(t, a.app, wh, a.variant)

	t.Run("orders to receive at the viewer's location", func(t *testing.T) {
		res := fulfilment.get(receivingURL).wantStatus(http.StatusOK)
		if got := res.byID("receiving-results"); !strings.Contains(got, o.Number()) || !strings.Contains(got, "Receive") {
			t.Errorf("receiving %q", got)
		}
	})

	t.Run("the screen lists what is expected, one row per line", func(t *testing.T) {
		res := fulfilment.get(receiveURL(o.ID)).wantStatus(http.StatusOK)
		if got := res.values("rcv_code"); len(got) != 1 || got[0] != v.SKU {
			t.Errorf("rows %v", got)
		}
		if got := res.values("idempotencyKey"); len(got) != 1 || got[0] == "" {
			t.Errorf("no idempotency key: %v", got)
		}
	})

	t.Run("a scanned barcode or the supplier's code finds its line", func(t *testing.T) {
		for _, code := range []string{*v.Barcode, "FG-100"} {
			res := fulfilment.get(receiveURL(o.ID)+"/line?rcv_index=3&rcv_code="+url.QueryEscape(code), "HX-Request", "true").
				wantStatus(http.StatusOK).inTable()
			if got := res.byID("receipt-row-3"); !strings.Contains(got, v.SKU) || !strings.Contains(got, "10 outstanding") {
				t.Errorf("%s: row %q", code, got)
			}
		}
		res := fulfilment.get(receiveURL(o.ID)+"/line?rcv_index=0&rcv_code=NOT-ON-IT", "HX-Request", "true").inTable()
		if got := res.byID("error-lines-0-variantId"); !strings.Contains(got, "not on "+o.Number()) {
			t.Errorf("error %q", got)
		}
	})

	t.Run("over-receipt and a rejection without reason are refused inline, input kept", func(t *testing.T) {
		res := fulfilment.post(receiveURL(o.ID), receiptFormOf("k-1", v.SKU, "12", "1", "", "", "")).
			wantStatus(http.StatusUnprocessableEntity)
		if got := res.byID("error-lines-0-accepted"); !strings.Contains(got, "tolerance") {
			t.Errorf("accepted error %q", got)
		}
		if got := res.byID("error-lines-0-rejectReason"); !strings.Contains(got, "say why") {
			t.Errorf("reason error %q", got)
		}
		if got := res.values("rcv_accepted"); len(got) != 1 || got[0] != "12" {
			t.Errorf("accepted %v, want as typed", got)
		}
		if got := res.values("idempotencyKey"); got[0] != "k-1" {
			t.Errorf("key %v, want the same (nothing was recorded)", got)
		}
	})

	var receiptURL string
	t.Run("a receipt puts the goods on hand and shows the stock", func(t *testing.T) {
		res := fulfilment.post(receiveURL(o.ID), receiptFormOf("k-2", *v.Barcode, "6", "1", "torn bag", "", "")).
			wantRedirect(receiveURL(o.ID) + "?receipt=*")
		receiptURL = res.Header.Get("Location")
		after, _ := level(t, a.app, wh, a.variant)
		if after.OnHand != before.OnHand+6 || after.Incoming != before.Incoming-6 {
			t.Errorf("level %+v, before %+v: want 6 more on hand and 6 fewer incoming", after, before)
		}
		if st := a.status(o.ID); st != purchasing.PartiallyReceived {
			t.Errorf("status %s", st)
		}
		page := fulfilment.get(receiptURL).wantStatus(http.StatusOK)
		page.wantContains("Goods received.")
		rows := page.rows("receipt-result")
		if len(rows) != 1 || rows[0][0] != v.SKU || rows[0][1] != "6" || rows[0][2] != "1" || rows[0][3] != formatCount(after.OnHand) {
			t.Errorf("result %v, want %s 6 accepted, 1 rejected, %d on hand", rows, v.SKU, after.OnHand)
		}
		if got := page.values("rcv_accepted"); len(got) != 1 || got[0] != "" {
			t.Errorf("the next receipt's form %v, want a fresh row", got)
		}
	})

	t.Run("the same submission twice records one receipt", func(t *testing.T) {
		fulfilment.post(receiveURL(o.ID), receiptFormOf("k-2", *v.Barcode, "6", "1", "torn bag", "", "")).wantRedirect(receiptURL)
		after, _ := level(t, a.app, wh, a.variant)
		if after.OnHand != before.OnHand+6 {
			t.Errorf("on hand %d after a replay, want %d", after.OnHand, before.OnHand+6)
		}
	})

	t.Run("only the location's staff or a manager receive", func(t *testing.T) {
		associate := a.signedIn("associate") // at TPE-01
		page := associate.get(receiveURL(o.ID)).wantStatus(http.StatusOK)
		if page.hasID("receive-form") {
			t.Error("an associate of another store is offered the form")
		}
		associate.post(receiveURL(o.ID), receiptFormOf("k-3", v.SKU, "1", "", "", "", "")).wantStatus(http.StatusForbidden)
		a.signedIn("buyer").post(receiveURL(o.ID), receiptFormOf("k-4", v.SKU, "1", "", "", "", "")).wantStatus(http.StatusForbidden)
	})

	t.Run("the buyer closes the order short with a reason", func(t *testing.T) {
		buyer := a.signedIn("buyer")
		page := buyer.get(purchaseOrderURL(o.ID)).wantStatus(http.StatusOK)
		if got := page.byID("close-order"); !strings.Contains(got, "Close short") || !strings.Contains(got, "4 units are still outstanding") {
			t.Errorf("close %q", got)
		}
		buyer.post(purchaseOrderURL(o.ID)+"/close", url.Values{"comment": {""}}).wantStatus(http.StatusUnprocessableEntity).
			wantContains(`id="error-comment"`)
		buyer.post(purchaseOrderURL(o.ID)+"/close", url.Values{"comment": {"supplier out of stock"}}).wantRedirect(purchaseOrderURL(o.ID))
		after, _ := level(t, a.app, wh, a.variant)
		if st := a.status(o.ID); st != purchasing.Closed || after.Incoming != before.Incoming-10 {
			t.Errorf("status %s, incoming %d (%d before the order arrived); want CLOSED and none of it incoming",
				st, after.Incoming, before.Incoming)
		}
	})
}

func TestGoodsReceiptLots(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	var variant int64
	var sku string
	if err := a.db.QueryRow(`SELECT v.id, v.sku FROM variants v JOIN products p ON p.id = v.product_id
		WHERE p.lot_tracked AND p.status = 'ACTIVE' ORDER BY v.id LIMIT 1`).Scan(&variant, &sku); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.SetSupplierItem(staffContext(t, a.app, "buyer"), purchasing.SupplierItemInput{SupplierID: a.supplier.ID,
		VariantID: variant, SupplierSKU: "FG-LOT", UnitCost: decimal.RequireFromString("40"), Active: true}); err != nil {
		t.Fatal(err)
	}
	o := a.sentOrder(t, variant, 20)
	manager := a.signedIn("manager") // receives anywhere

	page := manager.get(receiveURL(o.ID)).wantStatus(http.StatusOK)
	if len(page.inputs("rcv_lot")) != 1 || attr(page.inputs("rcv_lot")[0], "type") == "hidden" {
		t.Fatal("a lot-tracked line has no lot field")
	}
	res := manager.post(receiveURL(o.ID), receiptFormOf("lot-1", sku, "20", "", "", "", "")).wantStatus(http.StatusUnprocessableEntity)
	if got := res.byID("error-lines-0-lot"); !strings.Contains(got, "lot-tracked") {
		t.Errorf("lot error %q", got)
	}
	manager.post(receiveURL(o.ID), receiptFormOf("lot-1", sku, "20", "", "", "L-7781", "2099-12-31")).
		wantRedirect(receiveURL(o.ID) + "?receipt=*")
	var onHand int
	if err := a.db.Get(&onHand, `SELECT on_hand FROM stock_lots WHERE variant_id = $1 AND lot = 'L-7781'
		AND location_id = $2 AND expires_on = '2099-12-31'`, variant, locationID(t, a.app, "WH-TAO")); err != nil {
		t.Fatal(err)
	}
	if onHand != 20 {
		t.Errorf("lot L-7781 holds %d, want 20", onHand)
	}
	if st := a.status(o.ID); st != purchasing.Received {
		t.Errorf("status %s", st)
	}
}

func TestDeliveriesExpectedOnHome(t *testing.T) {
	t.Parallel()
	a := newPurchasingApp(t)
	o := a.sentOrder(t, a.variant, 7)
	wh := locationID(t, a.app, "WH-TAO")
	manager := staffContext(t, a.app, "manager")
	l, v := demoLevel(t, a.app, "TPE-01", 3, 0)
	tr, err := a.deps.Inventory.CreateTransfer(manager, inventory.TransferInput{IdempotencyKey: newIdempotencyKey(),
		FromLocationID: l.LocationID, ToLocationID: wh, Lines: []inventory.TransferLineInput{{VariantID: v.ID, Qty: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.deps.Inventory.ShipTransfer(manager, tr.ID); err != nil {
		t.Fatal(err)
	}
	// A draft transfer is not on its way yet.
	draft, err := a.deps.Inventory.CreateTransfer(manager, inventory.TransferInput{IdempotencyKey: newIdempotencyKey(),
		FromLocationID: l.LocationID, ToLocationID: wh, Lines: []inventory.TransferLineInput{{VariantID: v.ID, Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the warehouse's staff see the order and the transfer on their way", func(t *testing.T) {
		res := a.signedIn("fulfilment").get("/admin/").wantStatus(http.StatusOK) // at WH-TAO
		got := res.byID("deliveries-expected")
		for _, want := range []string{o.Number(), a.supplier.Name, formatDate(*o.ExpectedOn), "7",
			"Transfer " + strconv.FormatInt(tr.ID, 10), "TPE-01"} {
			if !strings.Contains(got, want) {
				t.Errorf("deliveries %q lack %q", got, want)
			}
		}
		if strings.Contains(got, "Transfer "+strconv.FormatInt(draft.ID, 10)) || strings.Contains(got, a.approved.Number()) {
			t.Errorf("deliveries %q list a draft transfer or an order not sent", got)
		}
		if !slices.Contains(res.links(), receiveURL(o.ID)) || !slices.Contains(res.links(), transferURL(tr.ID)) {
			t.Errorf("links %v lack the receipt and the transfer", res.links())
		}
	})
	t.Run("a store with nothing coming says so", func(t *testing.T) {
		res := a.signedIn("associate").get("/admin/").wantStatus(http.StatusOK)
		if got := res.byID("deliveries-expected"); !strings.Contains(got, "Nothing is on its way") {
			t.Errorf("deliveries %q", got)
		}
	})
	t.Run("staff without a home location see no list", func(t *testing.T) {
		if res := a.signedIn("buyer").get("/admin/").wantStatus(http.StatusOK); res.hasID("deliveries-expected") {
			t.Error("the buyer (no home location) sees a deliveries list")
		}
	})
}
