package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/order"
	"atrium/internal/promotion"
)

// orderApp is the back office with two demo variants well stocked at the warehouse, and
// helpers that place orders through the order service, as the storefront and the tills do.
type orderApp struct {
	*app
	v1, v2 catalog.Variant
	tpe    int64 // the associate's and manager's store
}

func newOrderApp(t *testing.T) *orderApp {
	t.Helper()
	a := &orderApp{app: newApp(t)}
	a.tpe = locationID(t, a.app, "TPE-01")
	wh := locationID(t, a.app, "WH-TAO")
	_, a.v1 = demoLevel(t, a.app, "WH-TAO", 1, 0)
	_, a.v2 = demoLevel(t, a.app, "WH-TAO", 1, 1)
	for _, v := range []catalog.Variant{a.v1, a.v2} {
		_, err := a.deps.Inventory.Adjust(system(), inventory.AdjustInput{IdempotencyKey: newIdempotencyKey(),
			LocationID: wh, VariantID: v.ID, Delta: 200, Kind: inventory.KindReceipt, Reason: "stock for order tests"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func line(v catalog.Variant, qty int) order.LineInput {
	return order.LineInput{SKU: v.SKU, Quantity: qty}
}

// ship places a guest's web order, shipped to Taipei (no map position: the warehouse
// ships first), with coupons.
func (a *orderApp) ship(t *testing.T, email string, lines []order.LineInput, coupons ...string) order.Order {
	t.Helper()
	addr := &order.Address{Name: "Mei Lin", Line1: "No. 1, Nanjing West Road", City: "Taipei City", PostalCode: "104",
		Country: "TW"}
	o, err := a.deps.Orders.PlaceOrder(context.Background(), order.PlaceOrderInput{IdempotencyKey: newIdempotencyKey(),
		Channel: order.Web, Email: email, Lines: lines, CouponCodes: coupons,
		Fulfilment: order.FulfilmentInput{Method: order.Ship, ShippingAddress: addr}})
	if err != nil {
		t.Fatalf("place a web order: %v", err)
	}
	return o
}

// tillSale is a walk-in sale at the associate's till in TPE-01, not yet paid.
func (a *orderApp) tillSale(t *testing.T, lines ...order.LineInput) order.Order {
	t.Helper()
	o, err := a.deps.Orders.PlaceOrder(staffContext(t, a.app, "associate"), order.PlaceOrderInput{
		IdempotencyKey: newIdempotencyKey(), Channel: order.POS, LocationID: a.tpe, Lines: lines,
		Fulfilment: order.FulfilmentInput{Method: order.CarryOut}})
	if err != nil {
		t.Fatalf("till sale: %v", err)
	}
	return o
}

// held places a guest's order twice: inspection holds the second as a likely duplicate.
func (a *orderApp) held(t *testing.T, email string) (first, second order.Order) {
	t.Helper()
	first = a.ship(t, email, []order.LineInput{line(a.v1, 1)})
	second = a.ship(t, email, []order.LineInput{line(a.v1, 1)})
	if second.Status != order.OnHold {
		t.Fatalf("a repeated order is %s, want ON_HOLD", second.Status)
	}
	return first, second
}

func (a *orderApp) order(t *testing.T, id int64) order.Detail {
	t.Helper()
	d, err := a.deps.Orders.Detail(system(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// numbers is the first word of each row: the order numbers of a list.
func numbers(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Fields(r[0])[0])
	}
	return out
}

// inDiv is an HTMX response of page content, put in a div (#fragment) to be read as one.
func (r *response) inDiv() *response {
	r.t.Helper()
	if strings.Contains(r.Body, "<html") {
		r.t.Fatalf("a whole page, not a fragment:\n%s", r.Body)
	}
	return &response{t: r.t, Status: r.Status, Header: r.Header, Body: `<div id="fragment">` + r.Body + `</div>`}
}

func (r *response) linkRel(rel string) string {
	r.t.Helper()
	for _, n := range find(r.document(), func(n *html.Node) bool { return n.Data == "a" && attr(n, "rel") == rel }) {
		return attr(n, "href")
	}
	return ""
}

func TestOrderList(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	var web []order.Order
	for i := range 26 {
		web = append(web, a.ship(t, fmt.Sprintf("guest%02d@example.com", i), []order.LineInput{line(a.v1, 1)}))
	}
	sale := a.tillSale(t, line(a.v2, 1))
	if _, err := a.deps.Orders.RecordPayment(staffContext(t, a.app, "associate"), order.PaymentInput{OrderID: sale.ID,
		IdempotencyKey: newIdempotencyKey(), Method: order.Card, Amount: sale.Total, Reference: "slip 1"}); err != nil {
		t.Fatal(err)
	}
	held := a.ship(t, "guest05@example.com", []order.LineInput{line(a.v1, 1)})
	manager := a.signedIn("manager")

	t.Run("newest first, paged", func(t *testing.T) {
		first := manager.get("/admin/orders").wantStatus(http.StatusOK)
		rows := first.rows("order-results")
		if len(rows) != orderPageSize || rows[0][0] != held.Number || rows[1][0] != sale.Number || rows[2][0] != web[25].Number {
			t.Fatalf("first page %v", numbers(rows))
		}
		want := []string{sale.Number, "Till", "Walk-in customer", "TPE-01", "Completed", "Paid",
			formatMoney(sale.Total, sale.Currency), formatMoney(0, sale.Currency)}
		if got := slices.Delete(slices.Clone(rows[1]), 1, 2); !slices.Equal(got, want) {
			t.Fatalf("till sale row %q, want %q", got, want)
		}
		want = []string{held.Number, "Web shop", "Guest guest05@example.com", "WH-TAO", "On hold", "Unpaid",
			formatMoney(held.Total, held.Currency), formatMoney(held.Total, held.Currency)}
		if got := slices.Delete(slices.Clone(rows[0]), 1, 2); !slices.Equal(got, want) {
			t.Fatalf("held row %q, want %q", got, want)
		}
		next := first.linkRel("next")
		second := manager.get(next).wantStatus(http.StatusOK)
		if got := numbers(second.rows("order-results")); !slices.Equal(got, []string{web[2].Number, web[1].Number, web[0].Number}) {
			t.Fatalf("second page %v", got)
		}
		if second.linkRel("next") != "" {
			t.Fatal("a next page after the last")
		}
		if back := manager.get(second.linkRel("prev")).rows("order-results"); back[0][0] != held.Number {
			t.Fatalf("previous page starts with %s", back[0][0])
		}
	})

	zone, err := time.LoadLocation("Asia/Taipei") // the manager's store
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(zone)
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	for _, tc := range []struct {
		name, query string
		want        []order.Order
	}{
		{"number, any case", "number=" + strings.ToLower(web[3].Number), []order.Order{web[3]}},
		{"customer email", "email=GUEST05@example.com", []order.Order{held, web[5]}},
		{"channel", "channel=POS", []order.Order{sale}},
		{"status", "status=ON_HOLD", []order.Order{held}},
		{"payment status", "payment=PAID", []order.Order{sale}},
		{"location", "location=" + strconv.FormatInt(a.tpe, 10), []order.Order{sale}},
		{"placed today", "from=" + day(0) + "&to=" + day(0) + "&channel=POS", []order.Order{sale}},
		{"placed until yesterday", "to=" + day(-1), nil},
		{"placed from tomorrow", "from=" + day(1), nil},
		{"filters combine", "email=guest05@example.com&status=OPEN", []order.Order{web[5]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, o := range tc.want {
				want = append(want, o.Number)
			}
			if got := numbers(manager.get("/admin/orders?" + tc.query).wantStatus(http.StatusOK).rows("order-results")); !slices.Equal(got, want) {
				t.Fatalf("%s: %v, want %v", tc.query, got, want)
			}
		})
	}

	t.Run("HTMX swaps the results only", func(t *testing.T) {
		res := manager.get("/admin/orders?channel=POS", "HX-Request", "true", "HX-Target", "order-results").
			wantStatus(http.StatusOK).wantNotContains("<html", `name="channel"`)
		if got := numbers(res.inDiv().rows("fragment")); !slices.Equal(got, []string{sale.Number}) {
			t.Fatalf("fragment rows %v", got)
		}
	})
	t.Run("an associate starts at their store", func(t *testing.T) {
		associate := a.signedIn("associate")
		if got := numbers(associate.get("/admin/orders").rows("order-results")); !slices.Equal(got, []string{sale.Number}) {
			t.Fatalf("associate's default list %v", got)
		}
		if got := associate.get("/admin/orders?location=all").rows("order-results"); len(got) != orderPageSize {
			t.Fatalf("every location: %d rows", len(got))
		}
	})
	t.Run("a buyer may not", func(t *testing.T) {
		a.signedIn("buyer").get("/admin/orders").wantStatus(http.StatusForbidden)
	})
}

func TestOrderDetail(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	if _, err := a.deps.Coupons.CreateCoupon(staffContext(t, a.app, "manager"), promotion.CouponInput{Code: "TAKE10",
		Kind: promotion.Percent, PercentBP: 1000, Scope: promotion.WholeOrder, Active: true}); err != nil {
		t.Fatal(err)
	}
	o := a.ship(t, "mei.guest@example.com", []order.LineInput{line(a.v1, 2), line(a.v2, 1)}, "take10")
	d := a.order(t, o.ID)
	if d.Discount == 0 || len(d.Allocations) != 1 {
		t.Fatalf("order %+v, want a discount and one allocation", d.Order)
	}
	money := func(n int64) string { return formatMoney(n, d.Currency) }
	page := a.signedIn("manager").get(orderURL(o.ID)).wantStatus(http.StatusOK).
		wantContains("Order "+o.Number, "Open", "Unpaid", "Web shop", "mei.guest@example.com")

	t.Run("lines", func(t *testing.T) {
		rows := page.rows("order-lines")
		if len(rows) != 2 {
			t.Fatalf("lines %v", rows)
		}
		for i, l := range d.Lines {
			want := []string{l.SKU, l.Title, strconv.Itoa(l.Quantity), money(l.UnitPrice), money(-l.Discount), money(l.Tax), money(l.Total)}
			if !slices.Equal(rows[i], want) {
				t.Errorf("line %d %q, want %q", i, rows[i], want)
			}
		}
	})
	t.Run("totals", func(t *testing.T) {
		want := [][]string{{"Subtotal", money(d.Subtotal)}, {"Discount", money(-d.Discount)}, {"Shipping", money(d.Shipping)},
			{"Total", money(d.Total)}, {"Tax included", money(d.Tax)}, {"Paid", money(0)}, {"Balance due", money(d.Total)}}
		if got := page.rows("order-totals"); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("totals %q, want %q", got, want)
		}
	})
	t.Run("allocation explained", func(t *testing.T) {
		e := d.Allocations[0].Explanation
		section := page.byID("allocation")
		for _, s := range []string{"One location ships everything", e.Summary, e.Policy, "No map position"} {
			if !strings.Contains(section, s) {
				t.Errorf("explanation lacks %q: %s", s, section)
			}
		}
		rows := page.rows("allocation")
		if len(rows) != len(e.Candidates) || len(rows) < 2 {
			t.Fatalf("candidates %v, want %d", rows, len(e.Candidates))
		}
		for i, c := range e.Candidates {
			row := rows[i]
			decision := "Not chosen"
			if c.Chosen {
				decision = "Chosen"
			}
			if !strings.HasPrefix(row[0], c.Code) || !strings.HasPrefix(row[2], formatCount(c.Available[0])) ||
				!strings.HasPrefix(row[3], formatCount(c.Available[1])) || row[4] != decision || row[5] != c.Reason {
				t.Errorf("candidate %d %q, want %+v", i, row, c)
			}
		}
		if rows[0][0] != "WH-TAO warehouse" || rows[0][2] != formatCount(e.Candidates[0].Available[0])+" takes 2" {
			t.Errorf("the warehouse ships: %q", rows[0])
		}
	})
	t.Run("fulfilment", func(t *testing.T) {
		rows := page.rows("fulfilments")
		want := fmt.Sprintf("2 × %s 1 × %s", a.v1.SKU, a.v2.SKU)
		if len(rows) != 1 || rows[0][0] != "WH-TAO" || rows[0][1] != "Ship" || rows[0][2] != "Open" || rows[0][3] != want ||
			!strings.HasPrefix(rows[0][4], "Mei Lin") {
			t.Fatalf("fulfilments %q", rows)
		}
	})
	t.Run("timeline", func(t *testing.T) {
		timeline := page.byID("timeline")
		for _, s := range []string{"Placed Placed on WEB by a guest.", "Allocated " + d.Allocations[0].Explanation.Summary} {
			if !strings.Contains(timeline, s) {
				t.Errorf("timeline lacks %q: %s", s, timeline)
			}
		}
	})
	t.Run("who may do what", func(t *testing.T) {
		if !page.hasID("payment-form") || !page.hasID("decision") || page.hasID("hold-reasons") {
			t.Error("a manager cannot take a payment or cancel an open order")
		}
		accountant := a.signedIn("accountant").get(orderURL(o.ID)).wantStatus(http.StatusOK)
		if accountant.hasID("payment-form") || accountant.hasID("decision") {
			t.Error("an accountant may change the order")
		}
		if !accountant.hasID("allocation") {
			t.Error("an accountant does not see the allocation")
		}
		a.signedIn("manager").get("/admin/orders/999999").wantStatus(http.StatusNotFound)
	})
}

func TestOrderPayment(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	sale := a.tillSale(t, line(a.v1, 1), line(a.v2, 2))
	money := func(n int64) string { return formatMoney(n, sale.Currency) }
	input := func(n int64) string { return formatAmountInput(n, sale.Currency) }
	associate := a.signedIn("associate")
	page := associate.get(orderURL(sale.ID)).wantStatus(http.StatusOK)
	key := page.values("idempotencyKey")[0]
	if page.values("amount")[0] != input(sale.Total) || key == "" {
		t.Fatalf("payment form amount %q, key %q", page.values("amount"), key)
	}
	if a.signedIn("manager").get(orderURL(sale.ID)).hasID("decision") {
		t.Fatal("a till sale, whose goods have left, is offered for cancelling")
	}
	form := url.Values{"idempotencyKey": {key}, "method": {"CASH"}, "amount": {input(sale.Total + 100)},
		"tendered": {""}, "reference": {""}}

	t.Run("more than is due is shown on the amount", func(t *testing.T) {
		res := associate.post(orderURL(sale.ID)+"/payments", form).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("amount")); msg != "only "+money(sale.Total)+" is due on order "+sale.Number {
			t.Fatalf("amount error %q", msg)
		}
		if res.values("amount")[0] != form.Get("amount") || res.values("idempotencyKey")[0] != key {
			t.Fatal("the form lost what was typed, or its key")
		}
	})
	t.Run("too little cash", func(t *testing.T) {
		bad := url.Values{"idempotencyKey": {key}, "method": {"CASH"}, "amount": {input(sale.Total)}, "tendered": {input(sale.Total - 100)}}
		res := associate.post(orderURL(sale.ID)+"/payments", bad).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("tendered")); msg != "the cash tendered does not cover the amount" {
			t.Fatalf("tendered error %q", msg)
		}
	})
	t.Run("not a number", func(t *testing.T) {
		bad := url.Values{"idempotencyKey": {key}, "method": {"CASH"}, "amount": {"lots"}}
		if msg := associate.post(orderURL(sale.ID)+"/payments", bad).wantStatus(http.StatusUnprocessableEntity).
			byID(errorID("amount")); !strings.Contains(msg, "enter an amount") {
			t.Fatalf("amount error %q", msg)
		}
	})

	// Cash, with a NT$1,000 note more than the total: change is given; sent twice, paid once.
	form.Set("amount", input(sale.Total))
	form.Set("tendered", input(sale.Total+100000))
	res := associate.post(orderURL(sale.ID)+"/payments", form).wantRedirect(orderURL(sale.ID) + "?payment=*")
	associate.post(orderURL(sale.ID)+"/payments", form).wantRedirect(res.Header.Get("Location"))
	d := a.order(t, sale.ID)
	if len(d.Payments) != 1 || d.PaymentStatus != order.Paid || d.Status != order.Completed {
		t.Fatalf("after a double submit: %d payments, %s, %s", len(d.Payments), d.PaymentStatus, d.Status)
	}
	paid := associate.get(res.Header.Get("Location")).wantStatus(http.StatusOK).wantContains("Payment recorded.")
	if change := paid.byID("change-due"); !strings.Contains(change, "Change to give: "+money(100000)) {
		t.Fatalf("change %q", change)
	}
	want := []string{"Cash", money(sale.Total), money(sale.Total + 100000), money(100000), "", "Jason Chen"}
	if rows := paid.rows("payments"); len(rows) != 1 || !slices.Equal(rows[0][1:], want) {
		t.Fatalf("payments %q, want %q", rows, want)
	}
	if paid.hasID("payment-form") {
		t.Fatal("a paid order still offers the payment form")
	}
	timeline := paid.byID("timeline")
	if !strings.Contains(timeline, "Cash payment of "+money(sale.Total)+" received ("+money(sale.Total+100000)+" tendered, "+
		money(100000)+" change).") || !strings.Contains(timeline, "Paid in full.") {
		t.Fatalf("timeline %s", timeline)
	}
	if totals := paid.rows("order-totals"); totals[5][1] != money(sale.Total) || totals[6][1] != money(0) {
		t.Fatalf("totals after payment %q", totals)
	}

	t.Run("accountants read only", func(t *testing.T) {
		a.signedIn("accountant").post(orderURL(sale.ID)+"/payments", form).wantStatus(http.StatusForbidden)
	})
}

func TestInspectionQueue(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	_, h1 := a.held(t, "first@example.com")
	_, h2 := a.held(t, "second@example.com")
	_, h3 := a.held(t, "third@example.com")
	manager := a.signedIn("manager")
	queue := func() []string { return numbers(manager.get(inspectionURL).wantStatus(http.StatusOK).rows("queue")) }

	page := manager.get(inspectionURL).wantStatus(http.StatusOK)
	if got := numbers(page.rows("queue")); !slices.Equal(got, []string{h3.Number, h2.Number, h1.Number}) {
		t.Fatalf("queue %v", got)
	}
	if row := page.rows("queue")[0]; !strings.Contains(row[5], "likely duplicate of") || !strings.Contains(row[3], "1 × "+a.v1.SKU) {
		t.Fatalf("row %q lacks its reason or items", row)
	}
	if badge := page.byID("nav-inspection"); badge != "Inspection 3 waiting" {
		t.Fatalf("navigation %q", badge)
	}
	htmx := func(id int64) []string { return []string{"HX-Request", "true", "HX-Target", holdRowID(id)} }

	t.Run("a note is required", func(t *testing.T) {
		res := manager.post(orderURL(h1.ID)+"/release", url.Values{"from": {"queue"}, "note": {"  "}}).
			wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("note")); !strings.Contains(msg, "say why") {
			t.Fatalf("note error %q", msg)
		}
		frag := manager.post(orderURL(h1.ID)+"/cancel", url.Values{"from": {"queue"}}, htmx(h1.ID)...).
			wantStatus(http.StatusUnprocessableEntity).fragment()
		if !frag.hasID(holdRowID(h1.ID)) || !strings.Contains(frag.byID(errorID("note")), "say why") {
			t.Fatalf("row after a missing note:\n%s", frag.Body)
		}
		if got := a.order(t, h1.ID).Status; got != order.OnHold {
			t.Fatalf("status %s after a refusal", got)
		}
	})
	t.Run("an associate may not", func(t *testing.T) {
		associate := a.signedIn("associate")
		associate.get(inspectionURL).wantStatus(http.StatusForbidden)
		associate.post(orderURL(h1.ID)+"/release", url.Values{"note": {"looks fine"}}).wantStatus(http.StatusForbidden)
		associate.post(orderURL(h1.ID)+"/cancel", url.Values{"note": {"looks fine"}}, htmx(h1.ID)...).wantStatus(http.StatusForbidden)
		if strings.Contains(associate.get(orderURL(h1.ID)).Body, `id="decision"`) {
			t.Fatal("an associate is offered the decision")
		}
	})
	t.Run("release with HTMX: the row leaves", func(t *testing.T) {
		res := manager.post(orderURL(h3.ID)+"/release", url.Values{"from": {"queue"}, "note": {"called the customer: two gifts"}},
			htmx(h3.ID)...).wantStatus(http.StatusOK).wantNotContains("<tr", "<html")
		if status := res.byID("queue-status"); status != "Order "+h3.Number+" released to fulfilment. 2 orders are still waiting." {
			t.Fatalf("status %q", status)
		}
		if badge := res.byID("nav-inspection"); badge != "Inspection 2 waiting" {
			t.Fatalf("badge %q", badge)
		}
		d := a.order(t, h3.ID)
		if d.Status != order.Open || d.Events[len(d.Events)-1].Message != "Released to fulfilment: called the customer: two gifts" {
			t.Fatalf("after release: %s, %+v", d.Status, d.Events[len(d.Events)-1])
		}
		if got := queue(); !slices.Equal(got, []string{h2.Number, h1.Number}) {
			t.Fatalf("queue %v", got)
		}
		// Sent again (a double click): done already.
		manager.post(orderURL(h3.ID)+"/release", url.Values{"from": {"queue"}, "note": {"again"}}, htmx(h3.ID)...).
			wantStatus(http.StatusOK)
	})
	t.Run("cancel without JavaScript", func(t *testing.T) {
		before, _ := level(t, a.app, locationID(t, a.app, "WH-TAO"), a.v1.ID)
		manager.post(orderURL(h2.ID)+"/cancel", url.Values{"from": {"queue"}, "note": {"fraud check failed"}}).
			wantRedirect(inspectionURL)
		manager.post(orderURL(h2.ID)+"/cancel", url.Values{"from": {"queue"}, "note": {"fraud check failed"}}).
			wantRedirect(inspectionURL) // a double submit
		after, _ := level(t, a.app, locationID(t, a.app, "WH-TAO"), a.v1.ID)
		if got := a.order(t, h2.ID).Status; got != order.Cancelled || after.Reserved != before.Reserved-1 {
			t.Fatalf("after cancel: %s, reserved %d (before %d)", got, after.Reserved, before.Reserved)
		}
		res := manager.get(inspectionURL).wantContains("Order cancelled.")
		if got := numbers(res.rows("queue")); !slices.Equal(got, []string{h1.Number}) {
			t.Fatalf("queue %v", got)
		}
		// A cancelled order cannot be released: the queue says why.
		manager.post(orderURL(h2.ID)+"/release", url.Values{"from": {"queue"}, "note": {"oops"}}).
			wantStatus(http.StatusUnprocessableEntity).wantContains("is CANCELLED: it cannot be released")
		manager.post(orderURL(h2.ID)+"/release", url.Values{"note": {"oops"}}).
			wantStatus(http.StatusUnprocessableEntity).wantContains("is CANCELLED: it cannot be released")
	})
	t.Run("from the order's page", func(t *testing.T) {
		detail := manager.get(orderURL(h1.ID)).wantStatus(http.StatusOK)
		if !strings.Contains(detail.byID("hold-reasons"), "likely duplicate of") || !detail.hasID("decision") {
			t.Fatal("the held order's page lacks its reasons or the decision")
		}
		manager.post(orderURL(h1.ID)+"/release", url.Values{"note": {"fine"}}).wantRedirect(orderURL(h1.ID))
		manager.get(orderURL(h1.ID)).wantContains("Order released to fulfilment.", "Was held for")
		if got := queue(); len(got) != 0 {
			t.Fatalf("queue %v", got)
		}
		if strings.Contains(manager.get("/admin/").byID("nav-inspection"), "waiting") {
			t.Fatal("the badge stays when nothing waits")
		}
	})
}

func TestOrderNavigationPerRole(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	a.held(t, "nav@example.com")
	for _, tc := range []struct {
		login                      string
		orders, inspection, coupon bool
	}{
		{"admin", true, true, true},
		{"manager", true, true, true},
		{"associate", true, false, false},
		{"fulfilment", true, false, false},
		{"accountant", true, false, false},
		{"buyer", false, false, false},
		{"hr", false, false, false},
	} {
		t.Run(tc.login, func(t *testing.T) {
			c := a.signedIn(tc.login)
			home := c.get("/admin/").wantStatus(http.StatusOK)
			links := home.links()
			for link, want := range map[string]bool{"/admin/orders": tc.orders, inspectionURL: tc.inspection, couponsURL: tc.coupon} {
				if got := slices.Contains(links, link); got != want {
					t.Errorf("link %s shown: %v, want %v", link, got, want)
				}
			}
			if tc.inspection && home.byID("nav-inspection") != "Inspection 1 waiting" {
				t.Errorf("badge %q", home.byID("nav-inspection"))
			}
			for path, want := range map[string]bool{"/admin/orders": tc.orders, inspectionURL: tc.inspection, couponsURL: tc.coupon} {
				status := http.StatusForbidden
				if want {
					status = http.StatusOK
				}
				c.get(path).wantStatus(status)
			}
		})
	}
}
