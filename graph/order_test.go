package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"atrium/db/seed"
	"atrium/internal/actor"
	"atrium/internal/inventory"
	"atrium/internal/testdb"
)

// orderFixture is the demo database's locations and customers as the order tests use
// them, and a product to craft variants of with exactly the stock a test wants.
type orderFixture struct {
	a       *api
	loc     map[string]string // code → global ID
	locID   map[string]int64  // code → database id
	product int64
	mei     string // the demo customer's global ID
	david   string // customer david.wang@example.com
}

func (a *api) orderFixture() *orderFixture {
	a.t.Helper()
	f := &orderFixture{a: a, loc: map[string]string{}, locID: map[string]int64{}}
	var locs []struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	if err := a.db.Select(&locs, `SELECT id, code FROM locations`); err != nil {
		a.t.Fatal(err)
	}
	for _, l := range locs {
		f.loc[l.Code], f.locID[l.Code] = encodeID(typeLocation, l.ID), l.ID
	}
	var mei, david int64
	if err := a.db.Get(&mei, `SELECT id FROM customers WHERE email = $1`, seed.DemoCustomerEmail); err != nil {
		a.t.Fatal(err)
	}
	if err := a.db.Get(&david, `SELECT id FROM customers WHERE email = 'david.wang@example.com'`); err != nil {
		a.t.Fatal(err)
	}
	f.mei, f.david = encodeID(typeCustomer, mei), encodeID(typeCustomer, david)
	if err := a.db.Get(&f.product, `INSERT INTO products (handle, title, category_id)
		VALUES ('graph-order-test', 'Order test tee', (SELECT id FROM categories ORDER BY id LIMIT 1)) RETURNING id`); err != nil {
		a.t.Fatal(err)
	}
	return f
}

var skuSeq atomic.Int64

// variant crafts a variant at price (minor units) with the given units on hand per
// location code, and returns its SKU.
func (f *orderFixture) variant(price int64, stock map[string]int) string {
	t := f.a.t
	t.Helper()
	sku := fmt.Sprintf("GOT-%d", skuSeq.Add(1))
	var id int64
	if err := f.a.db.Get(&id, `INSERT INTO variants (product_id, sku, title, price_amount, currency)
		VALUES ($1, $2, 'Black / M', $3, 'TWD') RETURNING id`, f.product, sku, price); err != nil {
		t.Fatal(err)
	}
	for code, n := range stock {
		_, err := f.a.deps.Inventory.Adjust(actor.SystemContext(context.Background()), inventory.AdjustInput{
			IdempotencyKey: newKey(), LocationID: f.locID[code], VariantID: id, Delta: n, Reason: "order test"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return sku
}

// reserved is what is reserved of sku at a location.
func (f *orderFixture) reserved(sku, code string) int {
	f.a.t.Helper()
	var n int
	err := f.a.db.Get(&n, `SELECT coalesce(sum(s.reserved), 0) FROM stock_levels s JOIN variants v ON v.id = s.variant_id
		WHERE v.sku = $1 AND s.location_id = $2`, sku, f.locID[code])
	if err != nil {
		f.a.t.Fatal(err)
	}
	return n
}

type money struct {
	Amount   int64
	Currency string
}

type gqlOrder struct {
	ID            string
	Number        string
	Channel       string
	Status        string
	PaymentStatus string
	Customer      *struct{ ID, Email string }
	Email         *string
	Subtotal      money
	Discount      money
	Shipping      money
	Tax           money
	Total         money
	Paid          money
	Due           money
	HoldReasons   []string
	Location      *struct{ Code string }
	Lines         []struct {
		ID         string
		LineNumber int
		SKU        string
		Title      string
		Quantity   int
		UnitPrice  money
		Total      money
		Variant    *struct{ SKU string }
	}
	Fulfilments []gqlFulfilment
	Payments    []gqlPayment
	Events      []struct {
		Kind    string
		Message string
		Actor   *string
	}
}

type gqlFulfilment struct {
	ID              string
	Method          string
	Status          string
	Location        struct{ Code string }
	PickupLocation  *struct{ Code string }
	ShipToStore     bool
	ShippingAddress *struct{ Name, City, PostalCode string }
	ExpectedReadyOn *string
	Lines           []struct {
		SKU       string
		Quantity  int
		OrderLine struct{ LineNumber int }
	}
}

type gqlPayment struct {
	Method    string
	Amount    money
	Tendered  *money
	Change    money
	Reference *string
}

const orderFields = `id number channel status paymentStatus customer { id email } email
	subtotal { amount currency } discount { amount currency } shipping { amount currency } tax { amount currency }
	total { amount currency } paid { amount currency } due { amount currency } holdReasons location { code }
	lines { id lineNumber sku title quantity unitPrice { amount currency } total { amount currency } variant { sku } }
	fulfilments { id method status location { code } pickupLocation { code } shipToStore
		shippingAddress { name city postalCode } expectedReadyOn lines { sku quantity orderLine { lineNumber } } }
	payments { method amount { amount currency } tendered { amount currency } change { amount currency } reference }
	events { kind message actor }`

type placeResult struct {
	Order      *gqlOrder
	Replayed   bool
	UserErrors []userError
}

func (a *api) placeOrder(token string, input map[string]any) placeResult {
	a.t.Helper()
	var out struct{ PlaceOrder placeResult }
	a.query(token, `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { `+orderFields+` }
		replayed userErrors { field message code } } }`, map[string]any{"in": input}, &out)
	return out.PlaceOrder
}

// mustPlace places an order that must succeed.
func (a *api) mustPlace(token string, input map[string]any) gqlOrder {
	a.t.Helper()
	res := a.placeOrder(token, input)
	if len(res.UserErrors) > 0 || res.Order == nil {
		a.t.Fatalf("placeOrder: %+v", res.UserErrors)
	}
	return *res.Order
}

// order reads an order by ID as token (nil when not visible).
func (a *api) order(token, id string) *gqlOrder {
	a.t.Helper()
	var out struct{ Order *gqlOrder }
	a.query(token, `query($id: ID!) { order(id: $id) { `+orderFields+` } }`, map[string]any{"id": id}, &out)
	return out.Order
}

var address = map[string]any{"name": "Mei Lin", "line1": "No. 7, Section 5, Xinyi Road", "city": "Taipei City",
	"postalCode": "110", "country": "TW", "phone": "0912-345-678"}

func shipOrder(channel string, lines ...any) map[string]any {
	return map[string]any{"idempotencyKey": newKey(), "channel": channel, "lines": lineInputs(lines...),
		"fulfillment": map[string]any{"method": "SHIP", "shippingAddress": address}}
}

// lineInputs makes order lines of SKU, quantity pairs.
func lineInputs(pairs ...any) []map[string]any {
	var out []map[string]any
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	return out
}

func eventKinds(o gqlOrder) []string {
	var kinds []string
	for _, e := range o.Events {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// TestPlaceOrder places an order of each fulfilment method through the API and checks
// what comes back: totals, lines, fulfilments, and the allocation's explanation.
func TestPlaceOrder(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	manager := a.token("manager")

	t.Run("SHIP as a customer", func(t *testing.T) {
		sku := f.variant(120000, map[string]int{"WH-TAO": 10, "TPE-02": 1})
		o := a.mustPlace(a.token("customer"), shipOrder("WEB", sku, 2))
		if o.Status != "OPEN" || o.Channel != "WEB" || o.PaymentStatus != "UNPAID" ||
			o.Customer == nil || o.Customer.ID != f.mei {
			t.Errorf("order %+v, want an OPEN, UNPAID WEB order of Mei", o)
		}
		if o.Subtotal.Amount != 240000 || o.Shipping.Amount != 0 || o.Total.Amount != 240000 || o.Due.Amount != 240000 ||
			o.Total.Currency != "TWD" || o.Tax.Amount != 240000-228571 {
			t.Errorf("amounts %+v %+v %+v %+v, want 2 × NT$1,200 shipped free, 5%% VAT included", o.Subtotal, o.Shipping, o.Total, o.Tax)
		}
		if len(o.Lines) != 1 || o.Lines[0].SKU != sku || o.Lines[0].Quantity != 2 || o.Lines[0].UnitPrice.Amount != 120000 ||
			o.Lines[0].Variant == nil || o.Lines[0].Variant.SKU != sku || o.Lines[0].LineNumber != 1 {
			t.Errorf("lines %+v", o.Lines)
		}
		if len(o.Fulfilments) != 1 {
			t.Fatalf("fulfilments %+v, want one", o.Fulfilments)
		}
		ff := o.Fulfilments[0]
		if ff.Method != "SHIP" || ff.Status != "OPEN" || ff.Location.Code != "WH-TAO" || ff.ShippingAddress == nil ||
			ff.ShippingAddress.PostalCode != "110" || len(ff.Lines) != 1 || ff.Lines[0].Quantity != 2 || ff.Lines[0].OrderLine.LineNumber != 1 {
			t.Errorf("fulfilment %+v, want WH-TAO shipping both units to the address", ff)
		}
		if got := eventKinds(o); !slices.Equal(got, []string{"PLACED", "ALLOCATED"}) {
			t.Errorf("events %v", got)
		}
		if r := f.reserved(sku, "WH-TAO"); r != 2 {
			t.Errorf("reserved at WH-TAO %d, want 2", r)
		}

		// Staff read why WH-TAO ships it; the customer may not.
		var out struct {
			Order struct {
				Allocations []struct {
					Method, Rule, Summary string
					Lines                 []struct{ SKU string }
					Candidates            []struct {
						Code, Kind, Reason string
						Chosen             bool
						Location           struct{ Code string }
						Lines              []struct {
							SKU              string
							Available, Takes int
						}
					}
				}
			}
		}
		a.query(manager, `query($id: ID!) { order(id: $id) { allocations { method rule summary lines { sku }
			candidates { code kind chosen reason location { code } lines { sku available takes } } } } }`,
			map[string]any{"id": o.ID}, &out)
		al := out.Order.Allocations
		if len(al) != 1 || al[0].Rule != "SINGLE_LOCATION" || al[0].Method != "SHIP" || al[0].Summary == "" || len(al[0].Candidates) < 2 {
			t.Fatalf("allocations %+v, want one SINGLE_LOCATION decision over WH-TAO and TPE-02", al)
		}
		for _, c := range al[0].Candidates {
			want := map[string][2]int{"WH-TAO": {10, 2}, "TPE-02": {1, 0}}[c.Code]
			if c.Code != "WH-TAO" && c.Code != "TPE-02" {
				continue
			}
			if c.Chosen != (c.Code == "WH-TAO") || c.Reason == "" || c.Location.Code != c.Code || len(c.Lines) != 1 ||
				c.Lines[0].SKU != sku || c.Lines[0].Available != want[0] || c.Lines[0].Takes != want[1] {
				t.Errorf("candidate %+v, want available %d, takes %d, with a reason", c, want[0], want[1])
			}
		}
		res := a.send(request{token: a.token("customer"), query: `query($id: ID!) { order(id: $id) { allocations { rule } } }`,
			vars: map[string]any{"id": o.ID}})
		if res.code() != "FORBIDDEN" {
			t.Errorf("a customer reading allocations: %+v, want FORBIDDEN", res.Errors)
		}
	})

	t.Run("PICKUP as a guest, ship-to-store", func(t *testing.T) {
		sku := f.variant(50000, map[string]int{"WH-TAO": 5})
		o := a.mustPlace("", map[string]any{"idempotencyKey": newKey(), "channel": "APP", "email": "Guest.Buyer@Example.com",
			"lines": lineInputs(sku, 1), "fulfillment": map[string]any{"method": "PICKUP", "pickupLocationId": f.loc["KHH-01"]}})
		if o.Customer != nil || o.Email == nil || *o.Email != "guest.buyer@example.com" || o.Shipping.Amount != 0 ||
			o.Total.Amount != 50000 {
			t.Errorf("order %+v, want a guest's, collected without shipping", o)
		}
		if len(o.Lines) != 1 || len(o.Fulfilments) != 1 {
			t.Fatalf("lines %+v fulfilments %+v: a guest sees what they just ordered", o.Lines, o.Fulfilments)
		}
		ff := o.Fulfilments[0]
		if ff.Method != "PICKUP" || ff.Location.Code != "WH-TAO" || ff.PickupLocation == nil || ff.PickupLocation.Code != "KHH-01" ||
			!ff.ShipToStore || ff.ExpectedReadyOn == nil {
			t.Errorf("fulfilment %+v, want WH-TAO sending to KHH-01 with an expected ready date", ff)
		}
		if got := a.order("", o.ID); got != nil {
			t.Errorf("a guest reads order %s by ID afterwards", got.Number)
		}
	})

	t.Run("CARRY_OUT at the till", func(t *testing.T) {
		sku := f.variant(30000, map[string]int{"TPE-01": 1})
		// Two in the customer's hands, one in the system: recorded, not refused.
		o := a.mustPlace(a.token("associate"), map[string]any{"idempotencyKey": newKey(), "channel": "POS",
			"locationId": f.loc["TPE-01"], "lines": lineInputs(sku, 2), "fulfillment": map[string]any{"method": "CARRY_OUT"}})
		if o.Channel != "POS" || o.Location == nil || o.Location.Code != "TPE-01" || o.Total.Amount != 60000 || o.Shipping.Amount != 0 {
			t.Errorf("order %+v, want a TPE-01 till sale of NT$600", o)
		}
		if len(o.Fulfilments) != 1 || o.Fulfilments[0].Method != "CARRY_OUT" || o.Fulfilments[0].Status != "COLLECTED" {
			t.Errorf("fulfilments %+v, want one CARRY_OUT handed over", o.Fulfilments)
		}
		if kinds := eventKinds(o); !slices.Contains(kinds, "DISCREPANCY") {
			t.Errorf("events %v, want the shortfall on the timeline", kinds)
		}
	})

	t.Run("customers may not sell at the till", func(t *testing.T) {
		sku := f.variant(30000, map[string]int{"TPE-01": 1})
		res := a.send(request{token: a.token("customer"), query: `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { userErrors { code } } }`,
			vars: map[string]any{"in": map[string]any{"idempotencyKey": newKey(), "channel": "POS", "locationId": f.loc["TPE-01"],
				"lines": lineInputs(sku, 1), "fulfillment": map[string]any{"method": "CARRY_OUT"}}}})
		if res.code() != "FORBIDDEN" {
			t.Errorf("got %+v, want FORBIDDEN", res.Errors)
		}
	})
}

// TestPlaceOrderIdempotent: a retry with the same key returns the first order and takes
// no more stock; the key reused for another order is a CONFLICT.
func TestPlaceOrderIdempotent(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer := a.token("customer")
	sku := f.variant(20000, map[string]int{"WH-TAO": 10})
	in := shipOrder("APP", sku, 3)

	first := a.placeOrder(customer, in)
	again := a.placeOrder(customer, in)
	if first.Order == nil || again.Order == nil || first.Replayed || !again.Replayed || again.Order.ID != first.Order.ID ||
		again.Order.Number != first.Order.Number {
		t.Fatalf("first %+v, again %+v: want the same order, the second replayed", first, again)
	}
	if r := f.reserved(sku, "WH-TAO"); r != 3 {
		t.Errorf("reserved %d, want 3: a replay takes no stock", r)
	}

	in["lines"] = lineInputs(sku, 4)
	res := a.placeOrder(customer, in)
	if res.Order != nil || !hasUserError(res.UserErrors, "CONFLICT", "input", "idempotencyKey") {
		t.Errorf("got %+v, want a CONFLICT on input.idempotencyKey", res)
	}

	t.Run("concurrent retries", func(t *testing.T) {
		// A tablet on bad Wi-Fi sends the same order several times at once.
		in := shipOrder("APP", sku, 2)
		const tries = 8
		ids := make(chan string, tries)
		var wg sync.WaitGroup
		for range tries {
			wg.Go(func() {
				res := a.send(request{token: customer, query: `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) {
					order { id } userErrors { code } } }`, vars: map[string]any{"in": in}})
				var out struct {
					PlaceOrder struct {
						Order      *struct{ ID string }
						UserErrors []userError
					}
				}
				if len(res.Errors) > 0 || json.Unmarshal(res.Data, &out) != nil || out.PlaceOrder.Order == nil {
					ids <- fmt.Sprintf("failed: %+v %s", res.Errors, res.Data)
					return
				}
				ids <- out.PlaceOrder.Order.ID
			})
		}
		wg.Wait()
		close(ids)
		var got []string
		for id := range ids {
			got = append(got, id)
		}
		if slices.Sort(got); len(slices.Compact(got)) != 1 || strings.HasPrefix(got[0], "failed") {
			t.Errorf("orders %v, want one order for all", got)
		}
		if r := f.reserved(sku, "WH-TAO"); r != 5 {
			t.Errorf("reserved %d, want 5: 3 before and 2 once", r)
		}
	})
}

// TestPlaceOrderUserErrors: what the user can fix comes back as userErrors on the field.
func TestPlaceOrderUserErrors(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	customer := a.token("customer")
	sku := f.variant(20000, map[string]int{"WH-TAO": 2, "TPE-02": 1})

	t.Run("shortage", func(t *testing.T) {
		res := a.placeOrder(customer, shipOrder("WEB", sku, 4))
		if res.Order != nil || !hasUserError(res.UserErrors, "INSUFFICIENT_STOCK", "input", "lines", "0", "quantity") {
			t.Fatalf("got %+v, want INSUFFICIENT_STOCK on input.lines.0.quantity", res)
		}
		if msg := res.UserErrors[0].Message; !strings.Contains(msg, sku) || !strings.Contains(msg, "only 3") {
			t.Errorf("message %q, want the SKU and the 3 available", msg)
		}
		if r := f.reserved(sku, "WH-TAO"); r != 0 {
			t.Errorf("reserved %d after a refused order", r)
		}
	})
	tests := []struct {
		name  string
		input map[string]any
		code  string
		field []string
	}{
		{"unknown SKU", shipOrder("WEB", "NO-SUCH-SKU", 1), "INVALID", []string{"input", "lines", "0", "sku"}},
		{"bad pickup store ID", map[string]any{"idempotencyKey": newKey(), "channel": "WEB", "lines": lineInputs(sku, 1),
			"fulfillment": map[string]any{"method": "PICKUP", "pickupLocationId": f.mei}},
			"INVALID", []string{"input", "fulfillment", "pickupLocationId"}},
		{"postal code", map[string]any{"idempotencyKey": newKey(), "channel": "WEB", "lines": lineInputs(sku, 1),
			"fulfillment": map[string]any{"method": "SHIP", "shippingAddress": map[string]any{"name": "Mei", "line1": "1 Road",
				"city": "Taipei", "postalCode": "ABC", "country": "TW"}}},
			"INVALID", []string{"input", "fulfillment", "shippingAddress", "postalCode"}},
		{"no key", map[string]any{"idempotencyKey": "", "channel": "WEB", "lines": lineInputs(sku, 1),
			"fulfillment": map[string]any{"method": "SHIP", "shippingAddress": address}},
			"INVALID", []string{"input", "idempotencyKey"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := a.placeOrder(customer, tt.input)
			if res.Order != nil || !hasUserError(res.UserErrors, tt.code, tt.field...) {
				t.Errorf("got %+v, want %s on %v", res, tt.code, tt.field)
			}
		})
	}
}

type orderConnection struct {
	Edges []struct {
		Cursor string
		Node   gqlOrder
	}
	PageInfo struct {
		HasNextPage bool
		EndCursor   *string
	}
}

func (c orderConnection) numbers() []string {
	var out []string
	for _, e := range c.Edges {
		out = append(out, e.Node.Number)
	}
	return out
}

// TestOrderVisibility: a customer sees their own orders from every channel and nobody
// else's; guests see none by ID.
func TestOrderVisibility(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	mei, manager := a.token("customer"), a.token("manager")
	david := a.customerLogin("david.wang@example.com", testdb.DemoPassword)
	if david.Token == nil {
		t.Fatal("david cannot sign in")
	}
	sku := f.variant(20000, map[string]int{"WH-TAO": 10, "TPE-01": 10})

	web := a.mustPlace(mei, shipOrder("WEB", sku, 1))
	till := a.mustPlace(manager, map[string]any{"idempotencyKey": newKey(), "channel": "POS", "locationId": f.loc["TPE-01"],
		"customerId": f.mei, "lines": lineInputs(sku, 1), "fulfillment": map[string]any{"method": "CARRY_OUT"}})
	forDavid := shipOrder("WEB", sku, 2)
	forDavid["customerId"] = f.david
	theirs := a.mustPlace(manager, forDavid)
	if theirs.Customer == nil || theirs.Customer.ID != f.david {
		t.Fatalf("order for david: %+v", theirs.Customer)
	}

	myOrders := func(token string) []string {
		t.Helper()
		var out struct {
			Me struct{ Orders orderConnection }
		}
		a.query(token, `{ me { ... on Customer { orders(first: 10) { edges { cursor node { number channel } }
			pageInfo { hasNextPage endCursor } } } } }`, nil, &out)
		return out.Me.Orders.numbers()
	}
	if got := myOrders(mei); !slices.Equal(got, []string{till.Number, web.Number}) {
		t.Errorf("Mei's orders %v, want her till and web orders %v newest first", got, []string{till.Number, web.Number})
	}
	if got := myOrders(*david.Token); !slices.Equal(got, []string{theirs.Number}) {
		t.Errorf("David's orders %v, want %s", got, theirs.Number)
	}

	for _, tt := range []struct {
		name, token, id string
		visible         bool
	}{
		{"own order", mei, web.ID, true},
		{"own till sale", mei, till.ID, true},
		{"another's order", mei, theirs.ID, false},
		{"guest", "", web.ID, false},
		{"staff", manager, theirs.ID, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := a.order(tt.token, tt.id)
			if (o != nil) != tt.visible {
				t.Fatalf("order(id) = %+v, want visible %v", o, tt.visible)
			}
			var out struct {
				Node *struct{ Number string }
			}
			a.query(tt.token, `query($id: ID!) { node(id: $id) { ... on Order { number } } }`, map[string]any{"id": tt.id}, &out)
			if (out.Node != nil) != tt.visible {
				t.Errorf("node(id) = %+v, want visible %v", out.Node, tt.visible)
			}
			if tt.visible && len(o.Lines) != 1 {
				t.Errorf("lines %+v", o.Lines)
			}
		})
	}

	res := a.send(request{token: mei, query: `{ orders { edges { node { number } } } }`})
	if res.code() != "FORBIDDEN" {
		t.Errorf("a customer searching orders: %+v, want FORBIDDEN", res.Errors)
	}
}

// TestOrderSearch: staff find orders by number, email, customer, channel, location,
// status and time, a page at a time.
func TestOrderSearch(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	manager := a.token("manager")
	sku := f.variant(20000, map[string]int{"WH-TAO": 20, "TPE-01": 20})

	till := a.mustPlace(manager, map[string]any{"idempotencyKey": newKey(), "channel": "POS", "locationId": f.loc["TPE-01"],
		"lines": lineInputs(sku, 1), "fulfillment": map[string]any{"method": "CARRY_OUT"}})
	guestIn := shipOrder("WEB", sku, 1)
	guestIn["email"] = "search.guest@example.com"
	guest := a.mustPlace("", guestIn)
	forDavid := shipOrder("APP", sku, 1)
	forDavid["customerId"] = f.david
	david := a.mustPlace(manager, forDavid)

	search := func(args string, vars map[string]any) orderConnection {
		t.Helper()
		types := map[string]string{"first": "Int", "after": "String", "search": "String", "customer": "ID",
			"channel": "Channel", "status": "OrderStatus", "pay": "PaymentStatus", "loc": "ID", "from": "Time", "to": "Time"}
		var decls []string
		for name := range vars {
			decls = append(decls, "$"+name+": "+types[name])
		}
		var out struct{ Orders orderConnection }
		a.query(manager, `query(`+strings.Join(decls, ", ")+`) { orders(`+args+`) {
			edges { cursor node { number channel status } } pageInfo { hasNextPage endCursor } } }`, vars, &out)
		return out.Orders
	}
	future := time.Now().Add(time.Hour).Format(time.RFC3339)
	tests := []struct {
		name string
		args string
		vars map[string]any
		want []string
	}{
		{"by number", "search: $search", map[string]any{"search": strings.ToLower(till.Number)}, []string{till.Number}},
		{"by email", "search: $search", map[string]any{"search": "Search.Guest@example.com"}, []string{guest.Number}},
		{"by customer", "customerId: $customer", map[string]any{"customer": f.david}, []string{david.Number}},
		{"till sales at TPE-01", "channel: $channel, locationId: $loc", map[string]any{"channel": "POS", "loc": f.loc["TPE-01"]},
			[]string{till.Number}},
		{"completed and unpaid", "status: $status, paymentStatus: $pay, search: $search",
			map[string]any{"status": "OPEN", "pay": "UNPAID", "search": david.Number}, []string{david.Number}},
		{"placed later", "from: $from", map[string]any{"from": future}, nil},
		{"placed before now", "to: $to, channel: $channel", map[string]any{"to": future, "channel": "APP"}, []string{david.Number}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := search(tt.args, tt.vars).numbers(); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		var seen []string
		var after any
		for range 3 {
			page := search("first: $first, after: $after, from: $from", map[string]any{"first": 1, "after": after,
				"from": time.Now().Add(-time.Hour).Format(time.RFC3339)})
			if len(page.Edges) != 1 || page.PageInfo.EndCursor == nil {
				t.Fatalf("page %+v", page)
			}
			seen = append(seen, page.numbers()...)
			after = *page.PageInfo.EndCursor
		}
		if want := []string{david.Number, guest.Number, till.Number}; !slices.Equal(seen, want) {
			t.Errorf("pages %v, want %v newest first", seen, want)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for _, args := range []string{`orders(first: 0)`, `orders(locationId: "nope")`, `orders(after: "nope")`} {
			res := a.send(request{token: manager, query: `{ ` + args + ` { edges { node { number } } } }`})
			if res.code() != "INVALID" {
				t.Errorf("%s: %+v, want INVALID", args, res.Errors)
			}
		}
	})
}

type paymentResult struct {
	Payment    *gqlPayment
	Order      *gqlOrder
	Replayed   bool
	UserErrors []userError
}

func (a *api) recordPayment(token string, input map[string]any) paymentResult {
	a.t.Helper()
	var out struct{ RecordPayment paymentResult }
	a.query(token, `mutation($in: RecordPaymentInput!) { recordPayment(input: $in) {
		payment { method amount { amount currency } tendered { amount currency } change { amount currency } reference }
		order { `+orderFields+` } replayed userErrors { field message code } } }`, map[string]any{"in": input}, &out)
	return out.RecordPayment
}

// TestRecordPayment: cash at the till with change; the order is paid and, its goods
// handed over, completed.
func TestRecordPayment(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	associate := a.token("associate")
	sku := f.variant(45000, map[string]int{"TPE-01": 5})
	o := a.mustPlace(associate, map[string]any{"idempotencyKey": newKey(), "channel": "POS", "locationId": f.loc["TPE-01"],
		"lines": lineInputs(sku, 2), "fulfillment": map[string]any{"method": "CARRY_OUT"}})

	t.Run("more than is due", func(t *testing.T) {
		res := a.recordPayment(associate, map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "CARD",
			"amount": o.Total.Amount + 1, "reference": "slip 1"})
		if res.Payment != nil || !hasUserError(res.UserErrors, "INVALID", "input", "amount") {
			t.Errorf("got %+v, want INVALID on input.amount", res)
		}
	})
	t.Run("customers pay online only", func(t *testing.T) {
		res := a.send(request{token: a.token("customer"), query: `mutation($in: RecordPaymentInput!) { recordPayment(input: $in) { replayed } }`,
			vars: map[string]any{"in": map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "CASH", "amount": 100}}})
		if res.code() != "FORBIDDEN" {
			t.Errorf("got %+v, want FORBIDDEN", res.Errors)
		}
	})

	in := map[string]any{"orderId": o.ID, "idempotencyKey": newKey(), "method": "CASH", "amount": o.Total.Amount,
		"tendered": o.Total.Amount + 10000}
	res := a.recordPayment(associate, in)
	if len(res.UserErrors) > 0 || res.Payment == nil || res.Order == nil {
		t.Fatalf("recordPayment: %+v", res.UserErrors)
	}
	p := res.Payment
	if p.Method != "CASH" || p.Amount.Amount != 90000 || p.Tendered == nil || p.Tendered.Amount != 100000 || p.Change.Amount != 10000 {
		t.Errorf("payment %+v, want NT$900 from NT$1,000 with NT$100 change", p)
	}
	if po := res.Order; po.PaymentStatus != "PAID" || po.Status != "COMPLETED" || po.Due.Amount != 0 || po.Paid.Amount != 90000 ||
		len(po.Payments) != 1 || !slices.Contains(eventKinds(*po), "PAID") {
		t.Errorf("order %s %s due %d payments %d events %v, want PAID and COMPLETED", po.PaymentStatus, po.Status,
			po.Due.Amount, len(po.Payments), eventKinds(*po))
	}

	again := a.recordPayment(associate, in)
	if !again.Replayed || again.Payment == nil || again.Payment.Change.Amount != 10000 || len(again.Order.Payments) != 1 {
		t.Errorf("replay %+v, want the first payment, nothing new", again)
	}
	in["amount"] = 100
	if res := a.recordPayment(associate, in); !hasUserError(res.UserErrors, "CONFLICT", "input", "idempotencyKey") {
		t.Errorf("reused key: %+v, want CONFLICT", res.UserErrors)
	}
}

// TestReleaseAndCancel: orders inspection holds are released or cancelled by a manager,
// with a note.
func TestReleaseAndCancel(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	manager, customer := a.token("manager"), a.token("customer")
	sku := f.variant(1000, map[string]int{"WH-TAO": 100})
	// More than 20 units of a line is unusual: held.
	held := a.mustPlace(customer, shipOrder("WEB", sku, 21))
	other := a.mustPlace(customer, shipOrder("WEB", sku, 22))
	if held.Status != "ON_HOLD" || len(held.HoldReasons) == 0 || !slices.Contains(eventKinds(held), "HELD") {
		t.Fatalf("order %s with reasons %v, want ON_HOLD", held.Status, held.HoldReasons)
	}

	decide := func(token, name, id, note string) (payload struct {
		Order      *struct{ Status string }
		UserErrors []userError
	}, res gqlResponse) {
		t.Helper()
		res = a.send(request{token: token, query: `mutation($id: ID!, $note: String!) { ` + name + `(id: $id, note: $note) {
			order { status } userErrors { field message code } } }`, vars: map[string]any{"id": id, "note": note}})
		var out map[string]json.RawMessage
		if len(res.Errors) == 0 {
			if err := json.Unmarshal(res.Data, &out); err != nil || json.Unmarshal(out[name], &payload) != nil {
				t.Fatalf("decode %s: %v", res.Data, err)
			}
		}
		return payload, res
	}

	tests := []struct {
		name, token, mutation, id, note string
		wantStatus                      string   // after, when it succeeds
		wantCode                        string   // userError code, or GraphQL error code
		wantField                       []string // of the userError
	}{
		{"associates may not release", a.token("associate"), "releaseOrder", held.ID, "ok", "", "FORBIDDEN", nil},
		{"customers may not cancel", customer, "cancelOrder", held.ID, "oops", "", "FORBIDDEN", nil},
		{"a note is required", manager, "releaseOrder", held.ID, " ", "", "INVALID", []string{"note"}},
		{"release", manager, "releaseOrder", held.ID, "Called the customer: genuine.", "OPEN", "", nil},
		{"release twice", manager, "releaseOrder", held.ID, "again", "", "WRONG_STATUS", nil},
		{"cancel", manager, "cancelOrder", other.ID, "Customer asked to cancel.", "CANCELLED", "", nil},
		{"unknown order", manager, "cancelOrder", encodeID(typeOrder, 1<<40), "?", "", "NOT_FOUND", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, res := decide(tt.token, tt.mutation, tt.id, tt.note)
			switch {
			case tt.wantCode == "FORBIDDEN":
				if res.code() != "FORBIDDEN" {
					t.Errorf("got %+v, want FORBIDDEN", res.Errors)
				}
			case tt.wantCode != "":
				if p.Order != nil || !hasUserError(p.UserErrors, tt.wantCode, tt.wantField...) {
					t.Errorf("got %+v %+v, want %s on %v", p, res.Errors, tt.wantCode, tt.wantField)
				}
			default:
				if len(res.Errors) > 0 || p.Order == nil || p.Order.Status != tt.wantStatus || len(p.UserErrors) > 0 {
					t.Errorf("got %+v %+v, want %s", p, res.Errors, tt.wantStatus)
				}
			}
		})
	}

	if o := a.order(manager, held.ID); o == nil || !slices.Contains(eventKinds(*o), "RELEASED") {
		t.Errorf("released order's timeline: %+v", o)
	}
	o := a.order(manager, other.ID)
	if o == nil || o.Status != "CANCELLED" || len(o.Fulfilments) != 1 || o.Fulfilments[0].Status != "CANCELLED" {
		t.Errorf("cancelled order %+v", o)
	}
	if r := f.reserved(sku, "WH-TAO"); r != 21 {
		t.Errorf("reserved %d, want 21: the cancelled order's 22 given back", r)
	}
}

// TestOrderUpdatedAcrossServers: a customer follows their order on server A while staff
// take a payment through server B; the update reaches A through LISTEN/NOTIFY.
func TestOrderUpdatedAcrossServers(t *testing.T) {
	t.Parallel()
	_, dsn := testdb.NewDemoDSN(t)
	serverA, serverB := newServer(t, dsn), newServer(t, dsn)
	f := serverA.orderFixture()
	customer := serverA.token("customer")
	sku := f.variant(30000, map[string]int{"WH-TAO": 5})
	o := serverB.mustPlace(customer, shipOrder("WEB", sku, 1))

	const subscription = `subscription($id: ID!) { orderUpdated(id: $id) { id status paymentStatus paid { amount }
		payments { amount { amount } } events { kind } } }`
	c := serverA.dial(t, "Bearer "+customer)
	if m := c.read(); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	c.write(map[string]any{"type": "subscribe", "id": "order", "payload": map[string]any{"query": subscription,
		"variables": map[string]any{"id": o.ID}}})
	if !waitFor(func() bool { return serverA.deps.OrderFeed.Subscribers() == 1 }) {
		t.Fatal("the subscription did not start")
	}
	// Another order's change is not sent.
	serverB.mustPlace(customer, shipOrder("WEB", sku, 1))
	res := serverB.recordPayment(serverB.token("associate"), map[string]any{"orderId": o.ID, "idempotencyKey": newKey(),
		"method": "CARD", "amount": 10000, "reference": "slip 42"})
	if len(res.UserErrors) > 0 {
		t.Fatal(res.UserErrors)
	}

	m := c.read()
	var next struct {
		Data struct {
			OrderUpdated struct {
				ID, Status, PaymentStatus string
				Paid                      money
				Payments                  []struct{ Amount money }
				Events                    []struct{ Kind string }
			}
		}
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &next); err != nil || m.Type != "next" || m.ID != "order" || len(next.Errors) > 0 {
		t.Fatalf("got %s %s (%v), want the order", m.Type, m.Payload, err)
	}
	if u := next.Data.OrderUpdated; u.ID != o.ID || u.PaymentStatus != "PARTIALLY_PAID" || u.Paid.Amount != 10000 ||
		len(u.Payments) != 1 || u.Events[len(u.Events)-1].Kind != "PAYMENT" {
		t.Errorf("got %+v, want the order partly paid with its payment", u)
	}

	c.write(map[string]any{"type": "complete", "id": "order"})
	if !waitFor(func() bool { return serverA.deps.OrderFeed.Subscribers() == 0 }) {
		t.Error("the subscription outlived its completion")
	}

	t.Run("authorization", func(t *testing.T) {
		david := serverA.customerLogin("david.wang@example.com", testdb.DemoPassword)
		for name, tt := range map[string]struct{ auth, code string }{
			"anonymous":        {"", "UNAUTHENTICATED"},
			"another customer": {"Bearer " + *david.Token, "NOT_FOUND"},
		} {
			t.Run(name, func(t *testing.T) {
				c := serverA.dial(t, tt.auth)
				if m := c.read(); m.Type != "connection_ack" {
					t.Fatalf("got %+v, want connection_ack", m)
				}
				c.write(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
					"query": `subscription($id: ID!) { orderUpdated(id: $id) { id } }`, "variables": map[string]any{"id": o.ID}}})
				var res gqlResponse
				if m := c.read(); m.Type != "next" || json.Unmarshal(m.Payload, &res) != nil || res.code() != tt.code || hasData(res) {
					t.Errorf("got %s %s, want a result with error %s and no data", m.Type, m.Payload, tt.code)
				}
			})
		}
		if !waitFor(func() bool { return serverA.deps.OrderFeed.Subscribers() == 0 }) {
			t.Errorf("%d subscribers, want none", serverA.deps.OrderFeed.Subscribers())
		}
	})
}

// TestOrderStatementsPerQuery: a page of orders with their lines, fulfilments, payments
// and events takes the same statements whatever its size.
func TestOrderStatementsPerQuery(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	counted, statements := countingDB(t, d)
	a := newAPIOn(t, d, counted)
	f := a.orderFixture()
	manager := a.token("manager")
	sku := f.variant(20000, map[string]int{"WH-TAO": 50})
	for range 6 {
		in := shipOrder("WEB", sku, 1)
		in["customerId"] = f.mei
		a.mustPlace(manager, in)
	}
	const query = `query($first: Int) { orders(first: $first) { edges { node { number customer { email }
		lines { sku variant { sku } } fulfilments { status location { code } lines { sku } carrier steps { kind } }
		payments { amount { amount } } events { kind } returns { number } } } } }`
	var counts []int64
	for _, first := range []int{1, 6} {
		before := statements.Load()
		var out struct{ Orders orderConnection }
		a.query(manager, query, map[string]any{"first": first}, &out)
		if len(out.Orders.Edges) != first {
			t.Fatalf("%d orders, want %d", len(out.Orders.Edges), first)
		}
		counts = append(counts, statements.Load()-before)
	}
	// token, orders, lines, fulfilments (and their lines), payments, events, returns,
	// customers, variants, locations
	t.Logf("statements for 1 and 6 orders: %v", counts)
	if counts[0] != counts[1] || counts[1] > 11 {
		t.Errorf("statements for 1 and 6 orders: %v, want the same handful", counts)
	}
}

// TestOrderComplexity: a tablet's page of orders with everything about them passes the
// complexity limit; the largest page with every list nested inside is refused before it
// runs.
func TestOrderComplexity(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	manager := a.token("manager")
	tests := []struct {
		name  string
		query string
		code  string
	}{
		{"page of 20 with detail", `{ orders(first: 20) { edges { node { ` + orderFields + `
			allocations { rule candidates { code lines { sku available takes } } } returns { number } } } } }`, ""},
		{"100 orders with every list", `{ orders(first: 100) { edges { node { ` + orderFields + `
			allocations { rule candidates { code location { code } lines { sku available takes } } }
			fulfilments { items { sku orderLine { sku } } scans { sku } steps { kind } }
			returns { lines { sku } refunds { method } } } } } }`, codeComplexityLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := a.send(request{token: manager, query: tt.query})
			if res.code() != tt.code {
				t.Errorf("code %q (%+v), want %q", res.code(), res.Errors, tt.code)
			}
		})
	}
}
