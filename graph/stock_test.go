package graph

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/inventory"
	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

// stockFixture is demo stock the stock tests work on.
type stockFixture struct {
	// home is TPE-01 (the demo manager's and associate's store), other TPE-02 and
	// warehouse WH-TAO, as global IDs.
	home, other, warehouse string
	// skus are two variants that are not lot-tracked, stocked at home (at least 5) and
	// at other; lotSKU is a lot-tracked variant with a lot at home.
	skus   [2]string
	lotSKU string
}

func (a *api) stockFixture() stockFixture {
	a.t.Helper()
	var f stockFixture
	for code, id := range map[string]*string{"TPE-01": &f.home, "TPE-02": &f.other, "WH-TAO": &f.warehouse} {
		var dbID int64
		if err := a.db.Get(&dbID, `SELECT id FROM locations WHERE code = $1`, code); err != nil {
			a.t.Fatal(err)
		}
		*id = encodeID(typeLocation, dbID)
	}
	var skus []string
	err := a.db.Select(&skus, `SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id
		JOIN stock_levels h ON h.variant_id = v.id AND h.location_id = (SELECT id FROM locations WHERE code = 'TPE-01')
		JOIN stock_levels o ON o.variant_id = v.id AND o.location_id = (SELECT id FROM locations WHERE code = 'TPE-02')
		WHERE NOT p.lot_tracked AND p.status = 'ACTIVE' AND h.on_hand >= 5 AND o.on_hand >= 1
		ORDER BY v.id LIMIT 2`)
	if err != nil || len(skus) < 2 {
		a.t.Fatalf("demo stock: %v, %v", skus, err)
	}
	copy(f.skus[:], skus)
	err = a.db.Get(&f.lotSKU, `SELECT v.sku FROM variants v JOIN stock_lots k ON k.variant_id = v.id
		WHERE k.location_id = (SELECT id FROM locations WHERE code = 'TPE-01') AND k.on_hand > 0 ORDER BY v.id LIMIT 1`)
	if err != nil {
		a.t.Fatal(err)
	}
	return f
}

var keySeq atomic.Int64

// newKey returns an idempotency key not used before.
func newKey() string { return fmt.Sprintf("test-%d-%d", time.Now().UnixNano(), keySeq.Add(1)) }

type userError struct {
	Field   []string
	Message string
	Code    string
}

// hasUserError reports whether errs holds code on field (nil: the whole input).
func hasUserError(errs []userError, code string, field ...string) bool {
	return slices.ContainsFunc(errs, func(e userError) bool {
		return e.Code == code && slices.Equal(e.Field, field) && e.Message != ""
	})
}

// stockLevel is StockLevel as the tests select it.
type stockLevel struct {
	OnHand, Reserved, SafetyStock, Incoming, ReorderPoint, Expired, Available int
	Location                                                                  struct{ Code string }
	Variant                                                                   struct{ SKU string }
}

const stockLevelFields = `onHand reserved safetyStock incoming reorderPoint expired available location { code } variant { sku }`

type movement struct {
	ID, Kind, Reference, Reason, At string
	OnHandDelta, IncomingDelta      int
	Lot                             *string
	Actor                           *struct{ Login string }
	Transfer                        *struct{ ID, Status string }
}

const movementFields = `id kind reference reason at onHandDelta incomingDelta lot
	actor { ... on StaffMember { login } } transfer { id status }`

type stockResult struct {
	StockLevel *stockLevel
	Movements  []movement
	Replayed   bool
	UserErrors []userError
}

const stockResultFields = `stockLevel { ` + stockLevelFields + ` } movements { ` + movementFields + ` } replayed userErrors { field message code }`

// stockMutation runs a stock mutation (adjustStock, countStock, setStockPolicy) that must
// not fail with a GraphQL error.
func (a *api) stockMutation(token, name string, input map[string]any) stockResult {
	a.t.Helper()
	var out map[string]stockResult
	a.query(token, `mutation($in: `+inputType(name)+`!) { `+name+`(input: $in) { `+stockResultFields+` } }`,
		map[string]any{"in": input}, &out)
	return out[name]
}

// inputType is the input type of a mutation named name: adjustStock takes AdjustStockInput.
func inputType(name string) string {
	return string(name[0]-'a'+'A') + name[1:] + "Input"
}

func TestAdjustStock(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.stockFixture()
	manager := a.token("manager")
	adjust := func(input map[string]any) stockResult {
		t.Helper()
		return a.stockMutation(manager, "adjustStock", input)
	}
	before := a.levels(manager, f.skus[0], f.home)[0]

	key := newKey()
	in := map[string]any{"idempotencyKey": key, "locationId": f.home, "sku": f.skus[0], "delta": 2, "reason": "found on the shelf"}
	first := adjust(in)
	if first.StockLevel == nil || first.StockLevel.OnHand != before.OnHand+2 || first.StockLevel.Location.Code != "TPE-01" ||
		first.StockLevel.Variant.SKU != f.skus[0] || first.Replayed || len(first.UserErrors) != 0 {
		t.Fatalf("adjust: %+v, want %d on hand", first, before.OnHand+2)
	}
	if m := first.Movements; len(m) != 1 || m[0].Kind != "ADJUSTMENT" || m[0].OnHandDelta != 2 || m[0].Reference != "ADJ:"+key ||
		m[0].Reason != "found on the shelf" || m[0].Actor == nil || m[0].Actor.Login != "manager" || m[0].Transfer != nil {
		t.Errorf("movements %+v, want one ADJUSTMENT of 2 by the manager", m)
	}

	t.Run("retry", func(t *testing.T) {
		again := adjust(in)
		if !again.Replayed || again.StockLevel.OnHand != first.StockLevel.OnHand || len(again.Movements) != 1 ||
			again.Movements[0].ID != first.Movements[0].ID {
			t.Errorf("retry: %+v, want the first result replayed", again)
		}
	})
	tests := []struct {
		name  string
		input map[string]any
		code  string
		field []string
	}{
		{"key reused for another change", map[string]any{"delta": 3, "idempotencyKey": key}, "CONFLICT", []string{"input", "idempotencyKey"}},
		{"below zero", map[string]any{"delta": -(before.OnHand + 100)}, "INSUFFICIENT_STOCK", []string{"input", "delta"}},
		{"unknown SKU", map[string]any{"sku": "NO-SUCH-SKU"}, "NOT_FOUND", []string{"input", "sku"}},
		{"not a location", map[string]any{"locationId": encodeID(typeProduct, 1)}, "INVALID", []string{"input", "locationId"}},
		{"no reason", map[string]any{"reason": " "}, "INVALID", []string{"input", "reason"}},
		{"damage adds units", map[string]any{"kind": "DAMAGE"}, "INVALID", []string{"input", "delta"}},
		{"lot of a product without lots", map[string]any{"lot": "L1"}, "INVALID", []string{"input", "lot"}},
		{"lot-tracked units without their lot", map[string]any{"sku": f.lotSKU}, "INVALID", []string{"input", "lot"}},
		{"a new lot without its expiry", map[string]any{"sku": f.lotSKU, "lot": "NEW-LOT"}, "INVALID", []string{"input", "expiresOn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := map[string]any{"idempotencyKey": newKey(), "locationId": f.home, "sku": f.skus[0], "delta": 1, "reason": "test"}
			for k, v := range tt.input {
				input[k] = v
			}
			res := adjust(input)
			if res.StockLevel != nil || !hasUserError(res.UserErrors, tt.code, tt.field...) {
				t.Errorf("got %+v, want userError %s on %v", res, tt.code, tt.field)
			}
		})
	}
	t.Run("receipt of a new lot", func(t *testing.T) {
		res := adjust(map[string]any{"idempotencyKey": newKey(), "locationId": f.home, "sku": f.lotSKU, "delta": 4,
			"reason": "delivery", "kind": "RECEIPT", "lot": "LOT-GQL-1", "expiresOn": time.Now().AddDate(1, 0, 0).Format(time.DateOnly)})
		if len(res.UserErrors) != 0 || len(res.Movements) != 1 || res.Movements[0].Kind != "RECEIPT" ||
			res.Movements[0].Lot == nil || *res.Movements[0].Lot != "LOT-GQL-1" {
			t.Errorf("got %+v, want a RECEIPT into lot LOT-GQL-1", res)
		}
	})
	if got := a.levels(manager, f.skus[0], f.home)[0]; got.OnHand != before.OnHand+2 {
		t.Errorf("on hand %d after the refused changes, want %d", got.OnHand, before.OnHand+2)
	}
}

// levels returns the stock levels of sku at location (every location when empty).
func (a *api) levels(token, sku, location string) []stockLevel {
	a.t.Helper()
	var out struct{ StockLevels []stockLevel }
	vars := map[string]any{"skus": []string{sku}}
	if location != "" {
		vars["loc"] = location
	}
	a.query(token, `query($skus: [String!]!, $loc: ID) { stockLevels(skus: $skus, locationId: $loc) { `+stockLevelFields+` } }`, vars, &out)
	return out.StockLevels
}

func TestCountStock(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.stockFixture()
	associate := a.token("associate")
	before := a.levels(associate, f.skus[0], f.home)[0]
	count := func(expected, counted int) stockResult {
		t.Helper()
		return a.stockMutation(associate, "countStock", map[string]any{"idempotencyKey": newKey(), "locationId": f.home,
			"sku": f.skus[0], "expectedOnHand": expected, "countedOnHand": counted})
	}

	res := count(before.OnHand, before.OnHand-1)
	if res.StockLevel == nil || res.StockLevel.OnHand != before.OnHand-1 || len(res.Movements) != 1 ||
		res.Movements[0].Kind != "COUNT" || res.Movements[0].OnHandDelta != -1 || res.Movements[0].Reason != "cycle count" {
		t.Fatalf("count: %+v, want on hand %d by a COUNT of -1", res, before.OnHand-1)
	}
	// The figure the counter was shown is out of date now: refused, not applied.
	stale := count(before.OnHand, before.OnHand+5)
	if stale.StockLevel != nil || !hasUserError(stale.UserErrors, "STALE_COUNT", "input", "expectedOnHand") {
		t.Errorf("stale count: %+v, want STALE_COUNT on input.expectedOnHand", stale)
	}
	if bad := count(-1, -2); !hasUserError(bad.UserErrors, "INVALID", "input", "countedOnHand") {
		t.Errorf("negative count: %+v, want INVALID on input.countedOnHand", bad)
	}
	if got := a.levels(associate, f.skus[0], f.home)[0]; got.OnHand != before.OnHand-1 {
		t.Errorf("on hand %d, want %d", got.OnHand, before.OnHand-1)
	}
}

func TestSetStockPolicy(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.stockFixture()
	manager := a.token("manager")
	set := func(token string, safety, reorder int) gqlResponse {
		return a.send(request{token: token, query: `mutation($in: SetStockPolicyInput!) { setStockPolicy(input: $in) { ` +
			stockResultFields + ` } }`, vars: map[string]any{"in": map[string]any{"locationId": f.other, "sku": f.skus[1],
			"safetyStock": safety, "reorderPoint": reorder}}})
	}
	res := a.stockMutation(manager, "setStockPolicy", map[string]any{"locationId": f.other, "sku": f.skus[1], "safetyStock": 1, "reorderPoint": 1000})
	if l := res.StockLevel; l == nil || l.SafetyStock != 1 || l.ReorderPoint != 1000 || l.Available != max(0, l.OnHand-l.Reserved-1-l.Expired) ||
		len(res.Movements) != 0 {
		t.Fatalf("set policy: %+v", res)
	}
	bad := a.stockMutation(manager, "setStockPolicy", map[string]any{"locationId": f.other, "sku": f.skus[1], "safetyStock": -1, "reorderPoint": 0})
	if !hasUserError(bad.UserErrors, "INVALID", "input", "safetyStock") {
		t.Errorf("negative safety stock: %+v", bad)
	}
	if res := set(a.token("associate"), 0, 0); res.code() != "FORBIDDEN" {
		t.Errorf("associate: code %q, want FORBIDDEN", res.code())
	}

	t.Run("low stock", func(t *testing.T) {
		// The level is now below its reorder point: lowStock lists it, a page at a time.
		var out struct {
			LowStock struct {
				Edges []struct {
					Cursor string
					Node   stockLevel
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		const q = `query($loc: ID, $after: String) { lowStock(locationId: $loc, first: 1, after: $after) {
			edges { cursor node { ` + stockLevelFields + ` } } pageInfo { hasNextPage endCursor } } }`
		a.query(manager, q, map[string]any{"loc": f.other}, &out)
		if e := out.LowStock.Edges; len(e) != 1 || e[0].Node.Variant.SKU != f.skus[1] || e[0].Node.ReorderPoint != 1000 {
			t.Fatalf("lowStock: %+v, want %s", out.LowStock, f.skus[1])
		}
		a.query(manager, q, map[string]any{"loc": f.other, "after": *out.LowStock.PageInfo.EndCursor}, &out)
		if len(out.LowStock.Edges) != 0 || out.LowStock.PageInfo.HasNextPage {
			t.Errorf("second page: %+v, want none", out.LowStock)
		}
		if res := a.send(request{token: manager, query: q, vars: map[string]any{"after": encodeID(typeCursor, 1)}}); res.code() != "INVALID" {
			t.Errorf("a cursor of another connection: code %q, want INVALID", res.code())
		}
	})
}

// TestStockAuthorization checks who may read and move stock, through the handler.
func TestStockAuthorization(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.stockFixture()
	tokens := map[string]string{"anonymous": ""}
	for _, who := range []string{"customer", "hr", "buyer", "associate", "yuting.lee", "manager", "admin"} {
		tokens[who] = a.token(who)
	}
	const adjust = `mutation($in: AdjustStockInput!) { adjustStock(input: $in) { stockLevel { onHand } userErrors { code } } }`
	tests := []struct {
		name, who, location, code string
	}{
		{"anonymous", "anonymous", f.home, "UNAUTHENTICATED"},
		{"customer", "customer", f.home, "FORBIDDEN"},
		{"HR", "hr", f.home, "FORBIDDEN"},
		{"buyer", "buyer", f.home, "FORBIDDEN"},
		{"associate at home", "associate", f.home, ""},
		{"associate at another store", "associate", f.other, "FORBIDDEN"},
		{"associate of the other store", "yuting.lee", f.other, ""},
		{"manager at another store", "manager", f.other, ""},
		{"admin", "admin", f.warehouse, ""},
	}
	for _, tt := range tests {
		t.Run("adjust/"+tt.name, func(t *testing.T) {
			res := a.send(request{token: tokens[tt.who], query: adjust, vars: map[string]any{"in": map[string]any{
				"idempotencyKey": newKey(), "locationId": tt.location, "sku": f.skus[0], "delta": 1, "reason": "test"}}})
			if res.code() != tt.code || (tt.code == "" && !hasData(res)) {
				t.Errorf("code %q, data %s; want %q", res.code(), res.Data, tt.code)
			}
		})
	}
	reads := map[string]request{
		"stockLevels":    {query: `query($s: [String!]!) { stockLevels(skus: $s) { onHand } }`, vars: map[string]any{"s": f.skus[:1]}},
		"stockMovements": {query: `{ stockMovements(first: 1) { edges { node { id } } } }`},
		"transfers":      {query: `{ transfers { edges { node { id } } } }`},
		"variant":        {query: `query($s: String) { variant(sku: $s) { stockLevels { onHand } } }`, vars: map[string]any{"s": f.skus[0]}},
	}
	for name, r := range reads {
		for who, code := range map[string]string{"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN", "hr": "FORBIDDEN", "buyer": "", "associate": ""} {
			t.Run("read/"+name+"/"+who, func(t *testing.T) {
				r.token = tokens[who]
				if res := a.send(r); res.code() != code {
					t.Errorf("code %q (%+v), want %q", res.code(), res.Errors, code)
				}
			})
		}
	}
	t.Run("availability is public", func(t *testing.T) {
		a.query("", `query($s: String) { variant(sku: $s) { availability { available byLocation { available } } } }`,
			map[string]any{"s": f.skus[0]}, nil)
	})
}

func TestStockMovementsPaging(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.stockFixture()
	manager := a.token("manager")
	var variant struct{ Variant struct{ ID string } }
	a.query("", `query($s: String) { variant(sku: $s) { id } }`, map[string]any{"s": f.skus[0]}, &variant)
	kinds := []string{"RECEIPT", "DAMAGE", "ADJUSTMENT", "DAMAGE", "RECEIPT"}
	for i, kind := range kinds {
		delta := i + 1
		if kind == "DAMAGE" {
			delta = -1
		}
		if res := a.stockMutation(manager, "adjustStock", map[string]any{"idempotencyKey": newKey(), "locationId": f.home,
			"sku": f.skus[0], "delta": delta, "kind": kind, "reason": fmt.Sprintf("change %d", i)}); len(res.UserErrors) > 0 {
			t.Fatal(res.UserErrors)
		}
	}

	type page struct {
		StockMovements struct {
			Edges []struct {
				Cursor string
				Node   movement
			}
			PageInfo struct {
				HasNextPage            bool
				StartCursor, EndCursor *string
			}
		}
	}
	const q = `query($v: ID, $l: ID, $k: StockMovementKind, $from: Time, $to: Time, $first: Int, $after: String) {
		stockMovements(variantId: $v, locationId: $l, kind: $k, from: $from, to: $to, first: $first, after: $after) {
			edges { cursor node { ` + movementFields + ` } } pageInfo { hasNextPage startCursor endCursor } } }`
	walk := func(vars map[string]any) []movement {
		t.Helper()
		var all []movement
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("paging does not end")
			}
			var p page
			a.query(manager, q, vars, &p)
			for _, e := range p.StockMovements.Edges {
				all = append(all, e.Node)
			}
			if !p.StockMovements.PageInfo.HasNextPage {
				return all
			}
			if len(p.StockMovements.Edges) != vars["first"] {
				t.Fatalf("a page before the last has %d movements", len(p.StockMovements.Edges))
			}
			vars["after"] = *p.StockMovements.PageInfo.EndCursor
		}
	}
	all := walk(map[string]any{"v": variant.Variant.ID, "l": f.home, "first": 2})
	if len(all) < len(kinds)+1 { // the demo's opening receipt, then ours
		t.Fatalf("%d movements, want at least %d", len(all), len(kinds)+1)
	}
	for i, m := range all[:len(kinds)] {
		if want := kinds[len(kinds)-1-i]; m.Kind != want || m.Reason != fmt.Sprintf("change %d", len(kinds)-1-i) {
			t.Errorf("movement %d: %s %q, want %s, newest first", i, m.Kind, m.Reason, want)
		}
	}
	seen := map[string]bool{}
	for _, m := range all {
		if seen[m.ID] {
			t.Errorf("movement %s on two pages", m.ID)
		}
		seen[m.ID] = true
	}

	t.Run("by kind", func(t *testing.T) {
		damage := walk(map[string]any{"v": variant.Variant.ID, "k": "DAMAGE", "first": 100})
		if len(damage) != 2 || damage[0].Kind != "DAMAGE" || damage[1].Kind != "DAMAGE" {
			t.Errorf("DAMAGE: %+v, want our two", damage)
		}
	})
	t.Run("by time", func(t *testing.T) {
		// from is inclusive, to exclusive.
		got := walk(map[string]any{"v": variant.Variant.ID, "from": all[2].At, "to": all[0].At, "first": 100})
		if len(got) != 2 || got[0].ID != all[1].ID || got[1].ID != all[2].ID {
			t.Errorf("got %+v, want the second and third newest", got)
		}
	})
	t.Run("node", func(t *testing.T) {
		var out struct{ Node *movement }
		a.query(manager, `query($id: ID!) { node(id: $id) { ... on StockMovement { `+movementFields+` } } }`,
			map[string]any{"id": all[0].ID}, &out)
		if out.Node == nil || out.Node.ID != all[0].ID || out.Node.Kind != kinds[len(kinds)-1] {
			t.Errorf("node: %+v, want %+v", out.Node, all[0])
		}
	})
	for name, vars := range map[string]map[string]any{
		"page too large": {"first": 101},
		"bad cursor":     {"after": "bm9wZQ=="},
		"bad variant":    {"v": f.home},
	} {
		t.Run(name, func(t *testing.T) {
			if res := a.send(request{token: manager, query: q, vars: vars}); res.code() != "INVALID" {
				t.Errorf("code %q, want INVALID", res.code())
			}
		})
	}
}

// TestByLocationNear sorts a variant's availability by distance from a point and from a
// location.
func TestByLocationNear(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.stockFixture()
	var sku string // stocked at the most locations, so the order says something
	if err := a.db.Get(&sku, `SELECT v.sku FROM variants v JOIN stock_levels s ON s.variant_id = v.id
		GROUP BY v.id ORDER BY count(*) DESC, v.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	type byLocation []struct {
		Available  int
		DistanceKm *float64
		Location   struct{ Code, Kind string }
	}
	const q = `query($s: String, $near: NearInput) { variant(sku: $s) { availability {
		byLocation(near: $near) { available distanceKm location { code kind } } } } }`
	get := func(near map[string]any) byLocation {
		t.Helper()
		var out struct {
			Variant struct {
				Availability struct{ ByLocation byLocation }
			}
		}
		a.query("", q, map[string]any{"s": sku, "near": near}, &out)
		return out.Variant.Availability.ByLocation
	}
	codes := func(b byLocation) []string {
		var out []string
		for _, l := range b {
			out = append(out, l.Location.Code)
		}
		return out
	}
	plain := get(nil)
	if len(plain) < 3 {
		t.Fatalf("%s is at %v, want at least 3 locations", sku, codes(plain))
	}
	for i, l := range plain {
		if l.DistanceKm != nil {
			t.Errorf("%s: a distance without near", l.Location.Code)
		}
		if p := plain[max(i-1, 0)]; i > 0 && (p.Location.Kind > l.Location.Kind || p.Location.Kind == l.Location.Kind && p.Location.Code > l.Location.Code) {
			t.Errorf("without near: %v, want stores first, by code", codes(plain))
		}
	}
	sortedByDistance := func(name string, got byLocation) {
		t.Helper()
		if len(got) != len(plain) {
			t.Errorf("%s: %v, want the same locations as %v", name, codes(got), codes(plain))
		}
		for i, l := range got {
			if l.DistanceKm == nil || (i > 0 && *l.DistanceKm < *got[i-1].DistanceKm) {
				t.Errorf("%s: %v, want nearest first with distances", name, codes(got))
				return
			}
		}
	}

	kaohsiung := get(map[string]any{"coordinates": map[string]any{"latitude": 22.6273, "longitude": 120.3014}})
	sortedByDistance("near Kaohsiung", kaohsiung)
	if slices.Contains(codes(plain), "KHH-01") && kaohsiung[0].Location.Code != "KHH-01" {
		t.Errorf("near Kaohsiung: %v, want KHH-01 first", codes(kaohsiung))
	}
	fromHome := get(map[string]any{"locationId": f.home})
	sortedByDistance("near TPE-01", fromHome)
	if slices.Contains(codes(plain), "TPE-01") && (fromHome[0].Location.Code != "TPE-01" || *fromHome[0].DistanceKm != 0) {
		t.Errorf("near TPE-01: %v, want TPE-01 first at 0 km", codes(fromHome))
	}
	for name, near := range map[string]map[string]any{
		"both":             {"locationId": f.home, "coordinates": map[string]any{"latitude": 25, "longitude": 121}},
		"neither":          {},
		"off the globe":    {"coordinates": map[string]any{"latitude": 95, "longitude": 121}},
		"unknown location": {"locationId": encodeID(typeLocation, 1<<40)},
	} {
		t.Run(name, func(t *testing.T) {
			if res := a.send(request{query: q, vars: map[string]any{"s": sku, "near": near}}); res.code() != "INVALID" {
				t.Errorf("code %q, want INVALID", res.code())
			}
		})
	}
}

// TestStockAlerts reads the expiry report, the discrepancies and the stock levels query.
func TestStockAlerts(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	a := newAPIOn(t, d, d)
	f := a.stockFixture()
	manager := a.token("manager")

	var expiring struct {
		ExpiringStock []struct {
			Lot, ExpiresOn string
			OnHand         int
			Expired        bool
			Location       struct{ Code string }
			Variant        struct{ SKU string }
		}
	}
	a.query(manager, `query($loc: ID) { expiringStock(withinDays: 365, locationId: $loc) {
		lot expiresOn onHand expired location { code } variant { sku } } }`, map[string]any{"loc": f.home}, &expiring)
	if len(expiring.ExpiringStock) == 0 {
		t.Fatal("no expiring lots at TPE-01")
	}
	today := time.Now().Format(time.DateOnly)
	for i, l := range expiring.ExpiringStock {
		if l.Location.Code != "TPE-01" || l.OnHand <= 0 || l.Variant.SKU == "" || (l.Expired && l.ExpiresOn > today) ||
			(i > 0 && l.ExpiresOn < expiring.ExpiringStock[i-1].ExpiresOn) {
			t.Errorf("lot %+v, want lots at TPE-01, first expiring first", l)
		}
	}
	if res := a.send(request{token: manager, query: `{ expiringStock(withinDays: 400) { lot } }`}); res.code() != "INVALID" {
		t.Errorf("400 days: code %q, want INVALID", res.code())
	}

	// A till sale the ledger could not cover (the order service's carry-out) leaves a
	// discrepancy; counting the level resolves it.
	var loc, variant int64
	if err := d.QueryRow(`SELECT l.id, v.id FROM locations l, variants v WHERE l.code = 'TPE-01' AND v.sku = $1`, f.skus[0]).
		Scan(&loc, &variant); err != nil {
		t.Fatal(err)
	}
	err := postgres.InTx(context.Background(), d, func(tx *sqlx.Tx) error {
		_, err := a.deps.Inventory.SellCarryOut(actor.SystemContext(context.Background()), tx, "ORD:test",
			[]inventory.Line{{LocationID: loc, VariantID: variant, Qty: 100000}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	type discrepancies struct {
		StockDiscrepancies []struct {
			Quantity          int
			Reference, Status string
			Location          struct{ Code string }
			Variant           struct{ SKU string }
		}
	}
	const q = `query($st: DiscrepancyStatus) { stockDiscrepancies(status: $st) {
		quantity reference status location { code } variant { sku } } }`
	var open discrepancies
	a.query(manager, q, nil, &open)
	if o := open.StockDiscrepancies; len(o) != 1 || o[0].Reference != "ORD:test" || o[0].Status != "OPEN" ||
		o[0].Location.Code != "TPE-01" || o[0].Variant.SKU != f.skus[0] || o[0].Quantity <= 0 {
		t.Fatalf("discrepancies: %+v, want the till's", o)
	}
	level := a.levels(manager, f.skus[0], f.home)[0]
	if res := a.stockMutation(manager, "countStock", map[string]any{"idempotencyKey": newKey(), "locationId": f.home,
		"sku": f.skus[0], "expectedOnHand": level.OnHand, "countedOnHand": 3}); len(res.UserErrors) > 0 {
		t.Fatal(res.UserErrors)
	}
	var resolved discrepancies
	a.query(manager, q, map[string]any{"st": "RESOLVED"}, &resolved)
	a.query(manager, q, nil, &open)
	if len(resolved.StockDiscrepancies) != 1 || len(open.StockDiscrepancies) != 0 {
		t.Errorf("after the count: %d resolved, %d open; want 1 and 0", len(resolved.StockDiscrepancies), len(open.StockDiscrepancies))
	}

	t.Run("stock levels of many SKUs", func(t *testing.T) {
		var out struct{ StockLevels []stockLevel }
		a.query(manager, `query($s: [String!]!) { stockLevels(skus: $s) { `+stockLevelFields+` } }`,
			map[string]any{"s": []string{f.skus[1], f.skus[0]}}, &out)
		if len(out.StockLevels) < 4 || out.StockLevels[0].Variant.SKU != f.skus[0] {
			t.Errorf("got %+v, want both SKUs everywhere, by variant", out.StockLevels)
		}
		for name, skus := range map[string][]string{"unknown": {"NOPE"}, "none": {}, "too many": make([]string, 101)} {
			res := a.send(request{token: manager, query: `query($s: [String!]!) { stockLevels(skus: $s) { onHand } }`,
				vars: map[string]any{"s": skus}})
			if res.code() != "INVALID" {
				t.Errorf("%s: code %q, want INVALID", name, res.code())
			}
		}
	})
}
