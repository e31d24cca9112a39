package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

func TestTransferLineLookup(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("associate")
	wh := strconv.FormatInt(locationID(t, a, "WH-TAO"), 10)
	l, v := demoLevel(t, a, "WH-TAO", 5, 0)
	htmx := []string{"HX-Request", "true", "HX-Target", "line-4"}

	for name, code := range map[string]string{"sku": strings.ToLower(v.SKU), "barcode": *v.Barcode} {
		t.Run("by "+name, func(t *testing.T) {
			res := c.get("/admin/stock/transfers/line?"+url.Values{"line_code": {code}, "line_qty": {"2"},
				"line_index": {"4"}, "fromLocationId": {wh}}.Encode(), htmx...).wantStatus(http.StatusOK).fragment()
			row := res.rows("fragment")
			if len(row) != 1 || !res.hasID("line-4") || res.values("line_code")[0] != code || res.values("line_qty")[0] != "2" {
				t.Fatalf("looked-up line %v", row)
			}
			want := formatCount(l.Available()) + " available at WH-TAO"
			if !strings.Contains(row[0][2], v.SKU) || !strings.Contains(row[0][3], want) {
				t.Fatalf("line %v, want %s and %q", row[0], v.SKU, want)
			}
		})
	}
	t.Run("unknown code", func(t *testing.T) {
		res := c.get("/admin/stock/transfers/line?"+url.Values{"line_code": {"NO-SUCH-SKU"}, "line_index": {"4"},
			"fromLocationId": {wh}}.Encode(), htmx...).wantStatus(http.StatusOK).fragment()
		if msg := res.byID(errorID("lines.4.variantId")); !strings.Contains(msg, "no variant has the SKU or barcode NO-SUCH-SKU") {
			t.Fatalf("error %q", msg)
		}
	})
	t.Run("no source yet", func(t *testing.T) {
		c.get("/admin/stock/transfers/line?line_code="+v.SKU+"&line_index=0", htmx...).wantStatus(http.StatusOK).
			wantContains("Choose where the stock comes from")
	})
	t.Run("a new line takes the next index", func(t *testing.T) {
		res := c.get("/admin/stock/transfers/line?line_index=0&line_index=3", "HX-Request", "true", "HX-Target", "transfer-lines").
			wantStatus(http.StatusOK).fragment()
		if !res.hasID("line-4") || res.values("line_code")[0] != "" {
			t.Fatalf("new line:\n%s", res.Body)
		}
	})
}

func TestTransferCreateShipReceive(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	store := a.signedIn("associate")      // TPE-01
	warehouse := a.signedIn("fulfilment") // WH-TAO
	tpe, wh := locationID(t, a, "TPE-01"), locationID(t, a, "WH-TAO")
	l1, v1 := demoLevel(t, a, "WH-TAO", 10, 0)
	l2, v2 := demoLevel(t, a, "WH-TAO", 10, 1)
	before1, _ := level(t, a, tpe, v1.ID)
	before2, _ := level(t, a, tpe, v2.ID)

	page := store.get("/admin/stock/transfers/new").wantStatus(http.StatusOK)
	key := page.values("idempotencyKey")[0]
	selected := func(r *response, name string) string {
		for _, o := range find(r.inputs(name)[0], func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") }) {
			return attr(o, "value")
		}
		return ""
	}
	if selected(page, "fromLocationId") != strconv.FormatInt(wh, 10) || selected(page, "toLocationId") != strconv.FormatInt(tpe, 10) {
		t.Fatal("a store's new transfer does not default to warehouse → home")
	}
	arrival := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	form := url.Values{"idempotencyKey": {key}, "fromLocationId": {strconv.FormatInt(wh, 10)},
		"toLocationId": {strconv.FormatInt(tpe, 10)}, "expectedArrival": {arrival}, "note": {"weekly top-up"},
		"line_code": {v1.SKU, "NO-SUCH-SKU", "", *v2.Barcode}, "line_qty": {"4", "1", "", "x"}}

	t.Run("line errors show inline, as typed", func(t *testing.T) {
		res := store.post("/admin/stock/transfers", form).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("lines.1.variantId")); !strings.Contains(msg, "NO-SUCH-SKU") {
			t.Fatalf("unknown code error %q", msg)
		}
		if msg := res.byID(errorID("lines.3.qty")); !strings.Contains(msg, "whole number") {
			t.Fatalf("quantity error %q", msg)
		}
		if got := res.values("line_code"); !slices.Equal(got, form["line_code"]) {
			t.Fatalf("lines after the error %q", got)
		}
		if row := res.rows("transfer-lines")[0]; !strings.Contains(row[2], v1.SKU) || !strings.Contains(row[3], "available at WH-TAO") {
			t.Fatalf("the good line is not looked up: %v", row)
		}
		if res.values("idempotencyKey")[0] != key {
			t.Fatal("the key changed after a refusal")
		}
	})
	t.Run("without JavaScript the editor adds and removes lines", func(t *testing.T) {
		add := url.Values{}
		for k, v := range form {
			add[k] = v
		}
		add.Set("op", "add-line")
		if got := store.post("/admin/stock/transfers", add).wantStatus(http.StatusOK).values("line_code"); len(got) != 5 {
			t.Fatalf("lines after adding one: %q", got)
		}
		add.Set("op", "remove-1")
		if got := store.post("/admin/stock/transfers", add).wantStatus(http.StatusOK).values("line_code"); len(got) != 3 || got[1] != "" {
			t.Fatalf("lines after removing the second: %q", got)
		}
	})

	// Fixed, and sent twice (a double click): one transfer.
	form["line_code"] = []string{strings.ToLower(v1.SKU), "", *v2.Barcode}
	form["line_qty"] = []string{"4", "", "3"}
	res := store.post("/admin/stock/transfers", form).wantRedirect("/admin/stock/transfers/*")
	store.post("/admin/stock/transfers", form).wantRedirect(res.Header.Get("Location"))
	id, err := strconv.ParseInt(strings.TrimPrefix(res.Header.Get("Location"), "/admin/stock/transfers/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.db.Get(&n, `SELECT count(*) FROM transfers`); err != nil || n != 1 {
		t.Fatalf("%d transfers after a double submit, %v", n, err)
	}
	ref := "TRF:" + strconv.FormatInt(id, 10)

	draft := store.get(transferURL(id)).wantStatus(http.StatusOK).wantContains("Transfer created.", "Draft", "weekly top-up", arrival)
	if draft.hasID("ship-transfer") || !draft.hasID("cancel-transfer") || draft.hasID("receive-form") {
		t.Fatal("the destination may ship, or may not cancel, a draft")
	}
	if lines := draft.rows("main"); len(lines) != 2 || lines[0][0] != v1.SKU || lines[0][2] != "4" || lines[1][0] != v2.SKU {
		t.Fatalf("lines %v", lines)
	}

	// The warehouse ships it; a second ship is refused with the reason.
	shipPage := warehouse.get(transferURL(id)).wantStatus(http.StatusOK)
	if !shipPage.hasID("ship-transfer") {
		t.Fatal("the source cannot ship")
	}
	warehouse.post(transferURL(id)+"/ship", nil).wantRedirect(transferURL(id))
	warehouse.post(transferURL(id)+"/ship", nil).wantRedirect(transferURL(id)) // a double click: shipped once
	warehouse.get(transferURL(id)).wantContains("Transfer shipped", "In transit")
	warehouse.post(transferURL(id)+"/cancel", nil).wantStatus(http.StatusUnprocessableEntity).
		wantContains("is IN_TRANSIT; this needs a transfer that is DRAFT")
	if after, _ := level(t, a, wh, v1.ID); after.OnHand != l1.OnHand-4 {
		t.Fatalf("warehouse on hand %d after shipping 4 of %d", after.OnHand, l1.OnHand)
	}

	// The store sees it coming, with its expected arrival.
	list := store.get("/admin/stock/transfers").wantStatus(http.StatusOK)
	arriving := list.rows("arriving")
	if len(arriving) != 1 || arriving[0][0] != ref || arriving[0][1] != "WH-TAO" || arriving[0][3] != "7" || arriving[0][5] != arrival {
		t.Fatalf("arriving at TPE-01: %v", arriving)
	}
	if rows := list.rows("transfer-results"); len(rows) != 1 || rows[0][3] != "In transit" {
		t.Fatalf("transfers of TPE-01: %v\n%s", rows, list.Body)
	}
	if rows := store.get("/admin/stock/transfers?dir=out").rows("transfer-results"); len(rows) != 0 {
		t.Fatalf("outgoing from TPE-01: %v", rows)
	}
	if rows := store.get("/admin/stock/transfers?status=RECEIVED").rows("transfer-results"); len(rows) != 0 {
		t.Fatalf("received: %v", rows)
	}
	if incoming, _ := level(t, a, tpe, v1.ID); incoming.Incoming != before1.Incoming+4 {
		t.Fatalf("incoming at TPE-01 %d", incoming.Incoming)
	}

	// The store receives one unit short of the second line.
	recv := store.get(transferURL(id)).wantStatus(http.StatusOK)
	if !recv.hasID("receive-form") || !slices.Equal(recv.values("received_qty"), []string{"4", "3"}) {
		t.Fatalf("receive form %v", recv.values("received_qty"))
	}
	bad := url.Values{"received_variant": recv.values("received_variant"), "received_qty": {"4", "-1"}}
	res = store.post(transferURL(id)+"/receive", bad).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("received.1.qty")); !strings.Contains(msg, "negative") || res.values("received_qty")[1] != "-1" {
		t.Fatalf("received error %q", msg)
	}
	store.post(transferURL(id)+"/receive", url.Values{"received_variant": recv.values("received_variant"),
		"received_qty": {"4", "2"}}).wantRedirect(transferURL(id))
	done := store.get(transferURL(id)).wantStatus(http.StatusOK).wantContains("Transfer received.", "Received with differences")
	lines := done.rows("main")
	if lines[0][3] != "4" || lines[0][4] != "0" || lines[1][3] != "2" || lines[1][4] != "-1" {
		t.Fatalf("received lines %v", lines)
	}
	if after, _ := level(t, a, tpe, v2.ID); after.OnHand != before2.OnHand+2 || after.Incoming != before2.Incoming {
		t.Fatalf("TPE-01 %s after receiving 2: %+v (before %+v)", v2.SKU, after, before2)
	}
	if after, _ := level(t, a, wh, v2.ID); after.OnHand != l2.OnHand-3 {
		t.Fatalf("warehouse %s: %+v", v2.SKU, after)
	}
}

func TestTransferShortageAndCancel(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	manager := a.signedIn("manager")
	tpe, tpe2 := locationID(t, a, "TPE-01"), locationID(t, a, "TPE-02")
	l, v := demoLevel(t, a, "TPE-01", 1, 0)
	page := manager.get("/admin/stock/transfers/new").wantStatus(http.StatusOK)
	form := url.Values{"idempotencyKey": page.values("idempotencyKey"), "fromLocationId": {strconv.FormatInt(tpe, 10)},
		"toLocationId": {strconv.FormatInt(tpe2, 10)}, "line_code": {v.SKU}, "line_qty": {strconv.Itoa(l.OnHand + 10)}}
	id := strings.TrimPrefix(manager.post("/admin/stock/transfers", form).wantRedirect("/admin/stock/transfers/*").Header.Get("Location"),
		"/admin/stock/transfers/")
	res := manager.post("/admin/stock/transfers/"+id+"/ship", nil).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("lines.0.qty")); !strings.Contains(msg, "available at TPE-01") {
		t.Fatalf("shortage %q", msg)
	}
	manager.post("/admin/stock/transfers/"+id+"/cancel", nil).wantRedirect("/admin/stock/transfers/" + id)
	manager.get("/admin/stock/transfers/"+id).wantContains("Transfer cancelled.", "Cancelled").wantNotContains(`id="ship-transfer"`)

	// An associate of neither end may look, not act.
	hsz := a.signedIn("chiahao.lin") // HSZ-01
	hsz.get("/admin/stock/transfers/" + id).wantStatus(http.StatusOK).wantNotContains(`id="cancel-transfer"`)
	hsz.post("/admin/stock/transfers/"+id+"/cancel", nil).wantStatus(http.StatusForbidden)
	hsz.get("/admin/stock/transfers/999999").wantStatus(http.StatusNotFound)
}
