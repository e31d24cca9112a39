package graph

import (
	"strings"
	"testing"
)

// page is a products connection as the tests select it.
type page struct {
	Products struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   productNode
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
			StartCursor *string
		}
	}
}

type productNode struct {
	ID       string
	Handle   string
	Title    string
	Status   string
	Variants []struct {
		ID      string
		SKU     string
		Barcode string
		Price   struct {
			Amount   int
			Currency string
		}
	}
}

const pageQuery = `query($first: Int, $after: String, $search: String) {
	products(first: $first, after: $after, search: $search) {
		totalCount
		edges { cursor node { id handle title status variants { id sku barcode price { amount currency } } } }
		pageInfo { hasNextPage endCursor startCursor }
	}
}`

// allProducts walks every page of products as token sees them.
func (a *api) allProducts(token string, first int) []productNode {
	a.t.Helper()
	var all []productNode
	seen := map[string]bool{}
	var after any
	for pages := 0; ; pages++ {
		if pages > 1000 {
			a.t.Fatal("paging does not end")
		}
		var p page
		a.query(token, pageQuery, map[string]any{"first": first, "after": after}, &p)
		for _, e := range p.Products.Edges {
			if seen[e.Node.ID] {
				a.t.Fatalf("product %s on two pages", e.Node.ID)
			}
			seen[e.Node.ID] = true
			all = append(all, e.Node)
		}
		if !p.Products.PageInfo.HasNextPage {
			if len(all) != p.Products.TotalCount {
				a.t.Errorf("walked %d products, totalCount says %d", len(all), p.Products.TotalCount)
			}
			return all
		}
		if n := len(p.Products.Edges); n != first || *p.Products.PageInfo.EndCursor != p.Products.Edges[n-1].Cursor {
			a.t.Fatalf("a page before the last has %d products (want %d) or a wrong endCursor", n, first)
		}
		after = *p.Products.PageInfo.EndCursor
	}
}

func TestProductsPaging(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	shopper := a.allProducts("", 25)
	if len(shopper) < 100 {
		t.Fatalf("walked %d products, want the whole demo catalog", len(shopper))
	}
	for _, p := range shopper {
		if p.Status != "ACTIVE" {
			t.Errorf("a shopper sees %s product %s", p.Status, p.Handle)
		}
		if len(p.Variants) == 0 || p.Variants[0].Price.Currency != "TWD" || p.Variants[0].Price.Amount <= 0 {
			t.Errorf("product %s: variants %+v, want priced TWD variants", p.Handle, p.Variants)
		}
	}
	if staff := a.allProducts(a.token("buyer"), 100); len(staff) <= len(shopper) {
		t.Errorf("staff see %d products, shoppers %d; want drafts for staff too", len(staff), len(shopper))
	}

	t.Run("page size", func(t *testing.T) {
		for _, first := range []int{0, 101, -1} {
			res := a.send(request{query: pageQuery, vars: map[string]any{"first": first}})
			if res.code() != "INVALID" {
				t.Errorf("first: %d: code %q, want INVALID", first, res.code())
			}
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		res := a.send(request{query: pageQuery, vars: map[string]any{"after": "bm9wZQ=="}})
		if res.code() != "INVALID" {
			t.Errorf("code %q, want INVALID", res.code())
		}
	})
	t.Run("empty", func(t *testing.T) {
		var p page
		a.query("", pageQuery, map[string]any{"search": "no such thing at all"}, &p)
		if len(p.Products.Edges) != 0 || p.Products.PageInfo.HasNextPage || p.Products.PageInfo.EndCursor != nil || p.Products.TotalCount != 0 {
			t.Errorf("got %+v, want an empty page", p.Products)
		}
	})
}

func TestProductsSearch(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	var first page
	a.query("", pageQuery, map[string]any{"first": 30}, &first)
	target := first.Products.Edges[len(first.Products.Edges)-1].Node
	v := target.Variants[len(target.Variants)-1]
	word := strings.Fields(target.Title)[len(strings.Fields(target.Title))-1]

	for _, tt := range []struct{ name, search string }{
		{"title word", strings.ToLower(word)},
		{"whole title", target.Title},
		{"SKU", strings.ToLower(v.SKU)},
		{"barcode", v.Barcode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p page
			a.query("", pageQuery, map[string]any{"first": 100, "search": tt.search}, &p)
			found := false
			for _, e := range p.Products.Edges {
				found = found || e.Node.ID == target.ID
			}
			if !found {
				t.Errorf("search %q: %d results without %s", tt.search, len(p.Products.Edges), target.Handle)
			}
			if tt.name == "barcode" && len(p.Products.Edges) != 1 {
				t.Errorf("search by barcode: %d results, want 1", len(p.Products.Edges))
			}
		})
	}
}

func TestProductAndVariantLookup(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	var first page
	a.query("", pageQuery, map[string]any{"first": 1}, &first)
	p := first.Products.Edges[0].Node
	v := p.Variants[0]

	const productQuery = `query($id: ID, $handle: String) { product(id: $id, handle: $handle) { id handle } }`
	for _, vars := range []map[string]any{{"id": p.ID}, {"handle": p.Handle}} {
		var out struct{ Product *productNode }
		a.query("", productQuery, vars, &out)
		if out.Product == nil || out.Product.ID != p.ID {
			t.Errorf("product(%v) = %+v, want %s", vars, out.Product, p.ID)
		}
	}
	var none struct{ Product *productNode }
	a.query("", productQuery, map[string]any{"handle": "no-such-product"}, &none)
	if none.Product != nil {
		t.Errorf("product(handle: no-such-product) = %+v, want null", none.Product)
	}

	const variantQuery = `query($id: ID, $sku: String, $barcode: String) {
		variant(id: $id, sku: $sku, barcode: $barcode) { id sku barcode product { id } } }`
	for _, vars := range []map[string]any{{"id": v.ID}, {"sku": strings.ToLower(v.SKU)}, {"barcode": v.Barcode}} {
		var out struct {
			Variant *struct {
				ID, SKU string
				Product struct{ ID string }
			}
		}
		a.query("", variantQuery, vars, &out)
		if out.Variant == nil || out.Variant.ID != v.ID || out.Variant.SKU != v.SKU || out.Variant.Product.ID != p.ID {
			t.Errorf("variant(%v) = %+v, want %s of %s", vars, out.Variant, v.SKU, p.ID)
		}
	}
	for _, tt := range []struct {
		vars map[string]any
		code string
	}{
		{map[string]any{"barcode": "4712026999999"}, ""},
		{map[string]any{"sku": v.SKU, "barcode": v.Barcode}, "INVALID"},
		{map[string]any{}, "INVALID"},
		{map[string]any{"id": p.ID}, "INVALID"}, // a product's ID is not a variant's
	} {
		res := a.send(request{query: variantQuery, vars: tt.vars})
		if res.code() != tt.code || (tt.code == "" && string(res.Data) != `{"variant":null}`) {
			t.Errorf("variant(%v): code %q, data %s; want code %q", tt.vars, res.code(), res.Data, tt.code)
		}
	}
}

func TestNodeRoundTrip(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	staff, customer := a.token("manager"), a.token("customer")
	var ids struct {
		Products  struct{ Edges []struct{ Node productNode } }
		Locations []struct{ ID string }
	}
	a.query("", `{ products(first: 1) { edges { node { id variants { id } } } } locations { id } }`, nil, &ids)
	var me struct{ Me struct{ ID string } }
	a.query(staff, `{ me { ... on StaffMember { id } } }`, nil, &me)
	staffID := me.Me.ID
	a.query(customer, `{ me { ... on Customer { id } } }`, nil, &me)
	customerID := me.Me.ID

	tests := []struct {
		name, token, id, typename string
	}{
		{"product", "", ids.Products.Edges[0].Node.ID, "Product"},
		{"variant", "", ids.Products.Edges[0].Node.Variants[0].ID, "Variant"},
		{"location", "", ids.Locations[0].ID, "Location"},
		{"staff member", staff, staffID, "StaffMember"},
		{"customer as themself", customer, customerID, "Customer"},
		{"customer as staff", staff, customerID, "Customer"},
		{"customer as anonymous", "", customerID, ""},
		{"unknown product", "", encodeID(typeProduct, 1<<40), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				Node *struct {
					ID       string
					Typename string `json:"__typename"`
				}
			}
			a.query(tt.token, `query($id: ID!) { node(id: $id) { id __typename } }`, map[string]any{"id": tt.id}, &out)
			switch {
			case tt.typename == "" && out.Node != nil:
				t.Errorf("node = %+v, want null", out.Node)
			case tt.typename != "" && (out.Node == nil || out.Node.ID != tt.id || out.Node.Typename != tt.typename):
				t.Errorf("node = %+v, want %s %s", out.Node, tt.typename, tt.id)
			}
		})
	}
	t.Run("staff member as customer", func(t *testing.T) {
		res := a.send(request{token: customer, query: `query($id: ID!) { node(id: $id) { id } }`, vars: map[string]any{"id": staffID}})
		if res.code() != "FORBIDDEN" {
			t.Errorf("code %q, want FORBIDDEN", res.code())
		}
	})
	t.Run("malformed", func(t *testing.T) {
		for _, id := range []string{"12", "not base64!", encodeID("Invoice", 1), encodeID(typeCursor, 1)} {
			res := a.send(request{query: `query($id: ID!) { node(id: $id) { id } }`, vars: map[string]any{"id": id}})
			if res.code() != "INVALID" {
				t.Errorf("node(%q): code %q, want INVALID", id, res.code())
			}
		}
	})
}

func TestLocations(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	type loc struct {
		ID, Code, Kind, TimeZone string
		PickupEnabled            bool
		Address                  struct{ Line1, City, Country string }
		Coordinates              *struct{ Latitude, Longitude float64 }
	}
	const q = `query($kind: LocationKind) { locations(kind: $kind) {
		id code kind timeZone pickupEnabled address { line1 city country } coordinates { latitude longitude } } }`
	for _, tt := range []struct {
		kind  any
		count int
	}{{nil, 6}, {"STORE", 5}, {"WAREHOUSE", 1}} {
		var out struct{ Locations []loc }
		a.query("", q, map[string]any{"kind": tt.kind}, &out)
		if len(out.Locations) != tt.count {
			t.Errorf("locations(kind: %v): %d, want %d", tt.kind, len(out.Locations), tt.count)
		}
		for i, l := range out.Locations {
			if tt.kind != nil && l.Kind != tt.kind {
				t.Errorf("locations(kind: %v) has %s %s", tt.kind, l.Kind, l.Code)
			}
			if prev := out.Locations[max(i-1, 0)]; i > 0 && prev.Kind == l.Kind && prev.Code > l.Code {
				t.Errorf("%s listed after %s", l.Code, prev.Code)
			}
			if l.TimeZone != "Asia/Taipei" || l.Address.Country != "TW" || l.Address.City == "" || l.Coordinates == nil {
				t.Errorf("location %+v: want an address, coordinates and time zone", l)
			}
			if l.PickupEnabled != (l.Kind == "STORE") {
				t.Errorf("location %s: pickupEnabled %v", l.Code, l.PickupEnabled)
			}
		}
	}
}

func TestStockFields(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	var out struct {
		Products struct {
			Edges []struct {
				Node struct {
					Variants []struct {
						SKU          string
						Availability struct {
							Available  int
							ByLocation []struct {
								Available int
								Location  struct{ Code string }
							}
						}
						StockLevels []struct {
							OnHand, Reserved, SafetyStock, Expired, Available int
							Location                                          struct{ Code string }
							Variant                                           struct{ SKU string }
						}
					}
				}
			}
		}
	}
	a.query(a.token("associate"), `{ products(first: 10) { edges { node { variants { sku
		availability { available byLocation { available location { code } } }
		stockLevels { onHand reserved safetyStock expired available location { code } variant { sku } } } } } } }`, nil, &out)
	stocked := 0
	for _, e := range out.Products.Edges {
		for _, v := range e.Node.Variants {
			sum := 0
			for _, l := range v.Availability.ByLocation {
				sum += l.Available
				if l.Location.Code == "" {
					t.Errorf("%s: availability without a location", v.SKU)
				}
			}
			if sum != v.Availability.Available {
				t.Errorf("%s: available %d, locations add up to %d", v.SKU, v.Availability.Available, sum)
			}
			for _, s := range v.StockLevels {
				if s.Variant.SKU != v.SKU || s.Available != max(0, s.OnHand-s.Reserved-s.SafetyStock-s.Expired) {
					t.Errorf("%s: stock level %+v", v.SKU, s)
				}
			}
			if len(v.StockLevels) > 0 {
				stocked++
			}
		}
	}
	if stocked == 0 {
		t.Error("no variant has stock levels")
	}
}
