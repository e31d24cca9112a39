package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"atrium/internal/observe"
	"atrium/internal/testdb"
)

// catalogPageQuery is the storefront's catalog page: 20 products with their variants,
// prices and availability per location.
const catalogPageQuery = `query CatalogPage($after: String) {
	products(first: 20, after: $after) {
		edges { cursor node { id handle title brand
			variants { id sku title size colour price { amount currency }
				availability { available byLocation { available location { id code name } } } } } }
		pageInfo { hasNextPage endCursor }
	}
}`

// BenchmarkCatalogPage serves the storefront catalog page through the whole handler
// (middleware, gqlgen, loaders, PostgreSQL), without the network, one page at a time.
func BenchmarkCatalogPage(b *testing.B) {
	serve := catalogPage(b)
	var size int
	for b.Loop() {
		size = serve()
	}
	b.ReportMetric(float64(size), "resp-bytes")
}

// BenchmarkCatalogPageParallel serves it from 64 goroutines at once, as the load tool
// does: gqlgen's goroutines, the garbage collector and PostgreSQL then compete for the
// CPU, which is what limits a busy server.
func BenchmarkCatalogPageParallel(b *testing.B) {
	serve := catalogPage(b)
	b.SetParallelism(32) // × GOMAXPROCS (2 here)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serve()
		}
	})
}

// catalogPage returns a function serving the catalog page once and returning the size of
// the response.
func catalogPage(b *testing.B) func() int {
	deps := testDeps(b, testdb.NewDemo(b))
	h := observe.Middleware(deps.Log, deps.Metrics, deps.TrustedProxies, NewHandler(deps))
	body, err := json.Marshal(map[string]any{"query": catalogPageQuery})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	return func() int {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
			b.Errorf("status %d: %s", w.Code, w.Body)
		}
		return w.Body.Len()
	}
}

// BenchmarkPlaceOrder places guest web orders of one line, shipped, through the whole
// handler from 16 goroutines, as the load tool's order scenario does (without the
// network): the API's share of the order path on top of the order service's.
func BenchmarkPlaceOrder(b *testing.B) {
	a := newAPI(b)
	f := a.orderFixture()
	sku := f.variant(20000, map[string]int{"WH-TAO": 1_000_000})
	h := observe.Middleware(a.deps.Log, a.deps.Metrics, a.deps.TrustedProxies, NewHandler(a.deps))
	const mutation = `mutation Place($input: PlaceOrderInput!) {
		placeOrder(input: $input) { order { id number status } replayed userErrors { field message code } } }`
	b.ReportAllocs()
	b.SetParallelism(8) // × GOMAXPROCS (2 here)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := shipOrder("WEB", sku, 1)
			in["email"] = newKey() + "@example.com"
			body, err := json.Marshal(map[string]any{"query": mutation, "variables": map[string]any{"input": in}})
			if err != nil {
				b.Error(err)
				return
			}
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) ||
				!bytes.Contains(w.Body.Bytes(), []byte(`"userErrors":[]`)) {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}
