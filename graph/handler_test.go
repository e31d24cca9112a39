package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"atrium/internal/observe"
	"atrium/internal/testdb"
)

func TestGET(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	res := a.send(request{method: http.MethodGet, query: `query($k: LocationKind) { locations(kind: $k) { code } }`, vars: map[string]any{"k": "WAREHOUSE"}})
	if res.Status != http.StatusOK || res.code() != "" || !strings.Contains(string(res.Data), "WH-TAO") {
		t.Errorf("GET query: status %d, errors %+v, data %s", res.Status, res.Errors, res.Data)
	}
	res = a.send(request{method: http.MethodGet, query: `mutation { logout }`})
	if res.Status != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" || len(res.Errors) == 0 {
		t.Errorf("GET mutation: status %d, Allow %q, errors %+v; want 405, Allow: POST and an error",
			res.Status, res.Header.Get("Allow"), res.Errors)
	}
}

// TestStatusCodes checks the GraphQL-over-HTTP status codes of both media types.
func TestStatusCodes(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	tests := []struct {
		name, accept, query string
		status              int
		mediaType           string
	}{
		{"ok, json", "application/json", `{ locations { code } }`, 200, mediaJSON},
		{"ok, graphql-response", "application/graphql-response+json", `{ locations { code } }`, 200, mediaGraphQLResponse},
		{"ok, no Accept", "", `{ locations { code } }`, 200, mediaJSON},
		{"ok, prefers graphql-response", "application/graphql-response+json, application/json;q=0.9", `{ locations { code } }`, 200, mediaGraphQLResponse},
		{"parse error, json", "application/json", `{ locations { code }`, 200, mediaJSON},
		{"parse error, graphql-response", "application/graphql-response+json", `{ locations { code }`, 400, mediaGraphQLResponse},
		{"invalid, json", "application/json", `{ locations { nope } }`, 200, mediaJSON},
		{"invalid, graphql-response", "application/graphql-response+json", `{ locations { nope } }`, 400, mediaGraphQLResponse},
		{"field error, graphql-response", "application/graphql-response+json", `{ node(id: "x") { id } }`, 200, mediaGraphQLResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := a.send(request{accept: tt.accept, query: tt.query})
			if res.Status != tt.status || res.Header.Get("Content-Type") != tt.mediaType {
				t.Errorf("status %d, Content-Type %q; want %d, %s (errors %+v)",
					res.Status, res.Header.Get("Content-Type"), tt.status, tt.mediaType, res.Errors)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	deep := `{ variant(sku: "X") { product { variants { product { variants { product { variants {
		product { variants { product { variants { product { variants { sku } } } } } } } } } } } } } }`
	wide := `{ products(first: 100) { edges { node { variants {
		availability { byLocation { location { code name address { line1 city } } } }
		stockLevels { onHand location { code name } variant { sku title } } } } } } }`
	tests := []struct{ name, query, code string }{
		{"depth", deep, codeDepthLimit},
		{"complexity", wide, codeComplexityLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, accept := range []string{mediaJSON, mediaGraphQLResponse} {
				res := a.send(request{accept: accept, query: tt.query})
				want := map[string]int{mediaJSON: 200, mediaGraphQLResponse: 400}[accept]
				if res.code() != tt.code || res.Status != want || hasData(res) {
					t.Errorf("%s: status %d, code %q, data %s; want %d, %s and no data", accept, res.Status, res.code(), res.Data, want, tt.code)
				}
			}
		})
	}
	t.Run("storefront page passes", func(t *testing.T) {
		a.query("", catalogPageQuery, nil, nil)
	})
}

func TestPersistedQuery(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	q := `{ locations(kind: STORE) { code } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}

	if res := a.send(request{ext: ext}); res.code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: code %q, want PERSISTED_QUERY_NOT_FOUND", res.code())
	}
	if res := a.send(request{ext: ext, query: q}); res.code() != "" {
		t.Fatalf("register: errors %+v", res.Errors)
	}
	if res := a.send(request{ext: ext}); res.code() != "" || !strings.Contains(string(res.Data), "TPE-01") {
		t.Errorf("by hash: errors %+v, data %s", res.Errors, res.Data)
	}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	const q = `{ __schema { queryType { name } } }`
	if res := a.send(request{query: q}); res.code() != "" {
		t.Errorf("development: errors %+v, want introspection", res.Errors)
	}
	deps := a.deps
	deps.Production = true
	srv := httptest.NewServer(NewHandler(deps))
	defer srv.Close()
	prod := &api{t: t, url: srv.URL}
	if res := prod.send(request{query: q}); len(res.Errors) == 0 {
		t.Error("production: introspection answered")
	}
}

// TestInternalError checks that an internal error shows only the request id, which the
// log carries with the cause.
func TestInternalError(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	if err := a.db.Close(); err != nil {
		t.Fatal(err)
	}
	res := a.send(request{query: `{ products { edges { node { id } } } }`})
	id := res.Header.Get("X-Request-ID")
	if res.code() != "INTERNAL" || id == "" || res.Errors[0].Message != "internal error (request id "+id+")" {
		t.Errorf("errors %+v, X-Request-ID %q; want the generic message with the request id", res.Errors, id)
	}
}

// TestPanic checks that a panicking resolver (here: a missing service) answers a generic
// internal error with the request id, and the server goes on.
func TestPanic(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	deps := testDeps(t, d)
	deps.Customers = nil
	srv := httptest.NewServer(observe.Middleware(deps.Log, deps.Metrics, deps.TrustedProxies, NewHandler(deps)))
	defer srv.Close()
	a := &api{t: t, url: srv.URL}
	res := a.send(request{token: a.token("hr"), query: `query($id: ID!) { node(id: $id) { id } }`,
		vars: map[string]any{"id": encodeID(typeCustomer, 1)}})
	id := res.Header.Get("X-Request-ID")
	if res.code() != "INTERNAL" || res.Errors[0].Message != "internal error (request id "+id+")" {
		t.Errorf("errors %+v, X-Request-ID %q; want the generic message with the request id", res.Errors, id)
	}
	a.query("", `{ locations { code } }`, nil, nil)
}

func TestPlayground(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	Playground("/graphql").ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/graphql/playground", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/graphql") {
		t.Errorf("status %d, body %.200s", w.Code, w.Body)
	}
}

func TestOperationMetrics(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	a.query("", `query Shops { locations { code } }`, nil, nil)
	a.send(request{query: `query Broken { node(id: "x") { id } }`})
	families, err := a.deps.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "atrium_graphql_operation_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got[strings.Join(labels, ",")] = m.GetHistogram().GetSampleCount()
		}
	}
	for _, want := range []string{"operation=Shops,outcome=ok,type=query", "operation=Broken,outcome=error,type=query"} {
		if got[want] != 1 {
			t.Errorf("samples %v, want one for %s", got, want)
		}
	}
}

// TestWebsocket runs an operation over graphql-transport-ws, signed in by the
// connection_init payload.
func TestWebsocket(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	token := a.token("fulfilment")

	c := a.dial(t, "Bearer "+token)
	if m := c.read(); m.Type != "connection_ack" {
		t.Fatalf("after connection_init: %+v; want connection_ack", m)
	}
	c.write(map[string]any{"type": "subscribe", "id": "1",
		"payload": map[string]any{"query": `{ me { ... on StaffMember { login } } }`}})
	if m := c.read(); m.Type != "next" || !strings.Contains(string(m.Payload), `"login":"fulfilment"`) {
		t.Fatalf("got %s %s; want the signed-in staff member", m.Type, m.Payload)
	}

	bad := a.dial(t, "Bearer atr_revoked-or-never-issued")
	var m wsMessage
	err := wsjson.Read(bad.ctx, bad.conn, &m)
	if status := websocket.CloseStatus(err); status != websocketCloseUnauthorized {
		t.Errorf("bad token: close status %d (%v), want %d", status, err, websocketCloseUnauthorized)
	}
}

// hasData reports whether res carries data (gqlgen writes "data": null for request errors).
func hasData(res gqlResponse) bool {
	return len(res.Data) > 0 && string(res.Data) != "null"
}
