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
// (middleware, gqlgen, loaders, PostgreSQL), without the network.
func BenchmarkCatalogPage(b *testing.B) {
	deps := testDeps(b, testdb.NewDemo(b))
	h := observe.Middleware(deps.Log, deps.Metrics, NewHandler(deps))
	body, err := json.Marshal(map[string]any{"query": catalogPageQuery})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "resp-bytes")
}
