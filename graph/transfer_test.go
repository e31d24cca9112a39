package graph

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// transfer is Transfer as the tests select it.
type transfer struct {
	ID, Status      string
	ExpectedArrival *string
	Note            string
	FromLocation    struct{ Code string }
	ToLocation      struct{ Code string }
	CreatedBy       *struct{ Login string }
	ShippedAt       *string
	ReceivedAt      *string
	Lines           []transferLine
}

type transferLine struct {
	Variant    struct{ SKU string }
	Quantity   int
	Received   *int
	Difference int
}

const transferFields = `id status expectedArrival note fromLocation { code } toLocation { code } createdBy { login }
	shippedAt receivedAt lines { variant { sku } quantity received difference }`

type transferResult struct {
	Transfer   *transfer
	UserErrors []userError
}

// transferMutation runs a transfer mutation with args (e.g. `(id: $id)` or
// `(input: $in)`) that must not fail with a GraphQL error.
func (a *api) transferMutation(token, name, params, args string, vars map[string]any) transferResult {
	a.t.Helper()
	var out map[string]transferResult
	a.query(token, `mutation`+params+` { `+name+args+` { transfer { `+transferFields+` } userErrors { field message code } } }`, vars, &out)
	return out[name]
}

func (a *api) createTransfer(token string, input map[string]any) transferResult {
	a.t.Helper()
	return a.transferMutation(token, "createTransfer", "($in: CreateTransferInput!)", "(input: $in)", map[string]any{"in": input})
}

func (a *api) transferAction(token, name, id string) transferResult {
	a.t.Helper()
	return a.transferMutation(token, name, "($id: ID!)", "(id: $id)", map[string]any{"id": id})
}

func (a *api) receiveTransfer(token, id string, received []map[string]any) transferResult {
	a.t.Helper()
	return a.transferMutation(token, "receiveTransfer", "($in: ReceiveTransferInput!)", "(input: $in)",
		map[string]any{"in": map[string]any{"id": id, "received": received}})
}

// TestTransferLifecycle moves stock from TPE-01 to TPE-02: created, listed as incoming once
// shipped, received short, and the refusals on the way.
func TestTransferLifecycle(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.stockFixture()
	manager, associate, destination := a.token("manager"), a.token("associate"), a.token("yuting.lee")
	source0, dest0 := a.levels(manager, f.skus[0], f.home)[0], a.levels(manager, f.skus[0], f.other)[0]
	arrival := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	input := map[string]any{"idempotencyKey": newKey(), "fromLocationId": f.home, "toLocationId": f.other,
		"expectedArrival": arrival, "note": "weekend restock",
		"lines": []map[string]any{{"sku": f.skus[0], "quantity": 2}, {"sku": f.skus[1], "quantity": 1}}}

	created := a.createTransfer(associate, input)
	tr := created.Transfer
	if tr == nil || tr.Status != "DRAFT" || tr.FromLocation.Code != "TPE-01" || tr.ToLocation.Code != "TPE-02" ||
		tr.ExpectedArrival == nil || *tr.ExpectedArrival != arrival || tr.CreatedBy == nil || tr.CreatedBy.Login != "associate" ||
		len(tr.Lines) != 2 || len(created.UserErrors) != 0 {
		t.Fatalf("create: %+v", created)
	}
	if again := a.createTransfer(associate, input); again.Transfer == nil || again.Transfer.ID != tr.ID {
		t.Errorf("retried create: %+v, want transfer %s again", again, tr.ID)
	}
	var atHome struct {
		Transfers struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	a.query(associate, `query($l: ID) { transfers(locationId: $l) { edges { node { id } } } }`, map[string]any{"l": f.home}, &atHome)
	if e := atHome.Transfers.Edges; len(e) == 0 || e[0].Node.ID != tr.ID {
		t.Errorf("transfers at TPE-01: %+v, want the new one first", e)
	}

	incoming := func() []transfer {
		t.Helper()
		var out struct {
			Transfers struct{ Edges []struct{ Node transfer } }
		}
		a.query(destination, `query($to: ID) { transfers(toLocationId: $to, statuses: [IN_TRANSIT]) {
			edges { node { `+transferFields+` } } } }`, map[string]any{"to": f.other}, &out)
		var ts []transfer
		for _, e := range out.Transfers.Edges {
			ts = append(ts, e.Node)
		}
		return ts
	}
	if in := incoming(); len(in) != 0 {
		t.Errorf("incoming before shipping: %+v", in)
	}

	// The destination's associate may not ship what leaves TPE-01; its own may.
	if res := a.send(request{token: destination, query: `mutation($id: ID!) { shipTransfer(id: $id) { userErrors { code } } }`,
		vars: map[string]any{"id": tr.ID}}); res.code() != "FORBIDDEN" {
		t.Errorf("ship by the destination: code %q, want FORBIDDEN", res.code())
	}
	shipped := a.transferAction(associate, "shipTransfer", tr.ID)
	if shipped.Transfer == nil || shipped.Transfer.Status != "IN_TRANSIT" || shipped.Transfer.ShippedAt == nil {
		t.Fatalf("ship: %+v", shipped)
	}
	if l := a.levels(manager, f.skus[0], f.home)[0]; l.OnHand != source0.OnHand-2 {
		t.Errorf("source on hand %d, want %d", l.OnHand, source0.OnHand-2)
	}
	if l := a.levels(manager, f.skus[0], f.other)[0]; l.Incoming != dest0.Incoming+2 || l.OnHand != dest0.OnHand {
		t.Errorf("destination %+v, want 2 more incoming", l)
	}
	if in := incoming(); len(in) != 1 || in[0].ID != tr.ID || in[0].ExpectedArrival == nil {
		t.Errorf("incoming: %+v, want the transfer with its expected arrival", in)
	}
	if res := a.transferAction(associate, "cancelTransfer", tr.ID); !hasUserError(res.UserErrors, "TRANSFER_STATUS") {
		t.Errorf("cancel in transit: %+v, want TRANSFER_STATUS", res)
	}

	if res := a.receiveTransfer(destination, tr.ID, []map[string]any{{"sku": f.lotSKU, "quantity": 1}}); res.Transfer != nil ||
		!hasUserError(res.UserErrors, "INVALID", "input", "received", "0", "sku") {
		t.Errorf("receive a variant not shipped: %+v, want INVALID on input.received.0.sku", res)
	}
	// One unit of the first line arrived, none of the second.
	received := a.receiveTransfer(destination, tr.ID, []map[string]any{{"sku": f.skus[0], "quantity": 1}})
	rt := received.Transfer
	if rt == nil || rt.Status != "RECEIVED_WITH_DIFFERENCES" || rt.ReceivedAt == nil {
		t.Fatalf("receive: %+v", received)
	}
	for _, l := range rt.Lines {
		want := map[string]int{f.skus[0]: 1, f.skus[1]: 0}[l.Variant.SKU]
		if l.Received == nil || *l.Received != want || l.Difference != want-l.Quantity {
			t.Errorf("line %s: received %v, difference %d; want %d", l.Variant.SKU, l.Received, l.Difference, want)
		}
	}
	if l := a.levels(manager, f.skus[0], f.other)[0]; l.OnHand != dest0.OnHand+1 || l.Incoming != dest0.Incoming {
		t.Errorf("destination %+v, want 1 more on hand and incoming back to %d", l, dest0.Incoming)
	}
	if res := a.receiveTransfer(destination, tr.ID, []map[string]any{}); !hasUserError(res.UserErrors, "TRANSFER_STATUS") {
		t.Errorf("second receipt: %+v, want TRANSFER_STATUS", res)
	}

	t.Run("movements name the transfer", func(t *testing.T) {
		var out struct {
			StockMovements struct{ Edges []struct{ Node movement } }
		}
		a.query(manager, `query($l: ID) { stockMovements(locationId: $l, kind: TRANSFER_OUT, first: 1) {
			edges { node { `+movementFields+` } } } }`, map[string]any{"l": f.home}, &out)
		if e := out.StockMovements.Edges; len(e) != 1 || e[0].Node.Transfer == nil || e[0].Node.Transfer.ID != tr.ID {
			t.Errorf("movements %+v, want the transfer's", e)
		}
	})
	t.Run("lookup", func(t *testing.T) {
		var out struct {
			Transfer *transfer
			Node     *struct{ ID string }
		}
		a.query(manager, `query($id: ID!) { transfer(id: $id) { `+transferFields+` } node(id: $id) { id } }`,
			map[string]any{"id": tr.ID}, &out)
		if out.Transfer == nil || out.Transfer.Status != "RECEIVED_WITH_DIFFERENCES" || out.Node == nil || out.Node.ID != tr.ID {
			t.Errorf("transfer and node: %+v", out)
		}
		a.query(manager, `query($id: ID!) { transfer(id: $id) { id } }`, map[string]any{"id": encodeID(typeTransfer, 1<<40)}, &out)
		if out.Transfer != nil {
			t.Errorf("unknown transfer: %+v, want null", out.Transfer)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		draft := a.createTransfer(manager, map[string]any{"idempotencyKey": newKey(), "fromLocationId": f.warehouse,
			"toLocationId": f.other, "lines": []map[string]any{{"sku": f.skus[0], "quantity": 1}}})
		if res := a.transferAction(manager, "cancelTransfer", draft.Transfer.ID); res.Transfer == nil || res.Transfer.Status != "CANCELLED" {
			t.Errorf("cancel: %+v", res)
		}
	})
	t.Run("short", func(t *testing.T) {
		draft := a.createTransfer(manager, map[string]any{"idempotencyKey": newKey(), "fromLocationId": f.home,
			"toLocationId": f.other, "lines": []map[string]any{{"sku": f.skus[1], "quantity": 1}, {"sku": f.skus[0], "quantity": 100000}}})
		// The path is that of the line in the transfer's lines, which are in variant order.
		short := slices.IndexFunc(draft.Transfer.Lines, func(l transferLine) bool { return l.Variant.SKU == f.skus[0] })
		res := a.transferAction(manager, "shipTransfer", draft.Transfer.ID)
		if res.Transfer != nil || !hasUserError(res.UserErrors, "INSUFFICIENT_STOCK", "lines", strconv.Itoa(short), "quantity") {
			t.Errorf("ship more than there is: %+v, want INSUFFICIENT_STOCK on lines.%d.quantity", res, short)
		}
	})
	for name, in := range map[string]struct {
		input map[string]any
		field []string
		code  string
	}{
		"unknown SKU":      {map[string]any{"lines": []map[string]any{{"sku": "NOPE", "quantity": 1}}}, []string{"input", "lines", "0", "sku"}, "NOT_FOUND"},
		"no quantity":      {map[string]any{"lines": []map[string]any{{"sku": f.skus[0], "quantity": 0}}}, []string{"input", "lines", "0", "quantity"}, "INVALID"},
		"to itself":        {map[string]any{"toLocationId": f.home}, []string{"input", "toLocationId"}, "INVALID"},
		"duplicate line":   {map[string]any{"lines": []map[string]any{{"sku": f.skus[0], "quantity": 1}, {"sku": f.skus[0], "quantity": 1}}}, []string{"input", "lines", "1", "sku"}, "DUPLICATE"},
		"not a location":   {map[string]any{"fromLocationId": tr.ID}, []string{"input", "fromLocationId"}, "INVALID"},
		"no lines at all":  {map[string]any{"lines": []map[string]any{}}, []string{"input", "lines"}, "INVALID"},
		"key already used": {map[string]any{"idempotencyKey": input["idempotencyKey"]}, []string{"input", "idempotencyKey"}, "CONFLICT"},
	} {
		t.Run(name, func(t *testing.T) {
			bad := map[string]any{"idempotencyKey": newKey(), "fromLocationId": f.home, "toLocationId": f.other,
				"lines": []map[string]any{{"sku": f.skus[0], "quantity": 1}}}
			for k, v := range in.input {
				bad[k] = v
			}
			if res := a.createTransfer(manager, bad); res.Transfer != nil || !hasUserError(res.UserErrors, in.code, in.field...) {
				t.Errorf("got %+v, want %s on %v", res, in.code, in.field)
			}
		})
	}
}
