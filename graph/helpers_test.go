package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/jmoiron/sqlx"

	"atrium/db/seed"
	"atrium/internal/auth"
	"atrium/internal/catalog"
	"atrium/internal/customer"
	"atrium/internal/feedback"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/loyalty"
	"atrium/internal/marketing"
	"atrium/internal/observe"
	"atrium/internal/order"
	"atrium/internal/password"
	"atrium/internal/promotion"
	"atrium/internal/purchasing"
	"atrium/internal/returns"
	"atrium/internal/staff"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// api is the real GraphQL handler on a demo database, behind a real HTTP server.
type api struct {
	t    testing.TB
	db   *sqlx.DB
	deps Deps
	url  string
}

// newAPI serves the GraphQL API on a fresh demo database.
func newAPI(t testing.TB) *api {
	t.Helper()
	d := testdb.NewDemo(t)
	return newAPIOn(t, d, d)
}

// newAPIOn serves the API with its services on serviceDB; db is for the test's own SQL.
func newAPIOn(t testing.TB, db, serviceDB *sqlx.DB) *api {
	t.Helper()
	deps := testDeps(t, serviceDB)
	srv := httptest.NewServer(observe.Middleware(deps.Log, deps.Metrics, deps.TrustedProxies, NewHandler(deps)))
	t.Cleanup(srv.Close)
	return &api{t: t, db: db, deps: deps, url: srv.URL}
}

func testDeps(t testing.TB, d *sqlx.DB) Deps {
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	availability, err := inventory.PrepareAvailabilities(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { availability.Close() })
	inv := inventory.NewService(d)
	points := loyalty.NewService(d)
	rets := returns.NewService(d, returns.Deps{Stock: inv, Points: points}, returns.DefaultConfig())
	orders := order.NewService(d, order.Deps{Catalog: catalog.NewService(d), Stock: inv, Locations: location.NewService(d),
		Coupons: promotion.NewService(d), StoreCredit: rets, Points: points}, order.DefaultConfig())
	views, err := marketing.NewService(d, marketing.Config{UnsubscribeSecret: []byte(strings.Repeat("test secret ", 4)),
		UnsubscribeURL: "http://shop.test/unsubscribe"})
	if err != nil {
		t.Fatal(err)
	}
	return Deps{
		Auth:           auth.NewService(d, auth.Options{Password: password.Fast}),
		Catalog:        catalog.NewService(d),
		Locations:      location.NewService(d),
		Inventory:      inv,
		Orders:         orders,
		Returns:        rets,
		Availabilities: availability,
		Customers:      customer.NewService(d),
		Staff:          staff.NewService(d, password.Fast),
		Members:        customer.NewMembers(d, points),
		Loyalty:        points,
		Linker:         customer.NewLinker(d, customer.LinkOptions{Password: password.Fast}),
		Views:          views,
		Feedback:       feedback.NewService(d),
		Purchasing:     purchasing.NewService(d),
		Log:            log,
		Metrics:        observe.NewMetrics(nil),
	}
}

// gqlResponse is a GraphQL response as a client reads it.
type gqlResponse struct {
	Status int             `json:"-"`
	Header http.Header     `json:"-"`
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// code is the first error's extensions.code, or "" when there is no error.
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// request is one GraphQL request over HTTP.
type request struct {
	method string // POST unless set
	token  string
	accept string
	query  string
	vars   map[string]any
	ext    map[string]any
}

func (a *api) send(r request) gqlResponse {
	a.t.Helper()
	body, err := json.Marshal(map[string]any{"query": r.query, "variables": r.vars, "extensions": r.ext})
	if err != nil {
		a.t.Fatal(err)
	}
	var req *http.Request
	if r.method == http.MethodGet {
		req, err = http.NewRequest(http.MethodGet, a.url+"?"+getParams(a.t, r), nil)
	} else {
		req, err = http.NewRequest(http.MethodPost, a.url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		a.t.Fatal(err)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	out := gqlResponse{Status: res.StatusCode, Header: res.Header}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		a.t.Fatalf("decode response (status %d): %v", res.StatusCode, err)
	}
	return out
}

// getParams encodes r as the query string of a GET request.
func getParams(t testing.TB, r request) string {
	t.Helper()
	q := url.Values{"query": {r.query}}
	if r.vars != nil {
		b, err := json.Marshal(r.vars)
		if err != nil {
			t.Fatal(err)
		}
		q.Set("variables", string(b))
	}
	return q.Encode()
}

// query runs a query that must succeed and decodes its data into out.
func (a *api) query(token, query string, vars map[string]any, out any) {
	a.t.Helper()
	res := a.send(request{token: token, query: query, vars: vars})
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		a.t.Fatalf("query failed: status %d, errors %+v", res.Status, res.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			a.t.Fatalf("decode data %s: %v", res.Data, err)
		}
	}
}

// authPayload is AuthPayload as the tests select it.
type authPayload struct {
	Token     *string
	ExpiresAt *string
	Viewer    *struct {
		Typename string `json:"__typename"`
		ID       string
		Login    string
		Email    string
		Roles    []string
	}
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

const authPayloadFields = `token expiresAt
	viewer { __typename ... on StaffMember { id login roles } ... on Customer { id email } }
	userErrors { field message code }`

func (a *api) staffLogin(login, pw string) authPayload {
	a.t.Helper()
	var out struct{ StaffLogin authPayload }
	a.query("", `mutation($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { `+authPayloadFields+` } }`,
		map[string]any{"l": login, "p": pw}, &out)
	return out.StaffLogin
}

func (a *api) customerLogin(email, pw string) authPayload {
	a.t.Helper()
	var out struct{ CustomerLogin authPayload }
	a.query("", `mutation($e: String!, $p: String!) { customerLogin(email: $e, password: $p) { `+authPayloadFields+` } }`,
		map[string]any{"e": email, "p": pw}, &out)
	return out.CustomerLogin
}

// token signs in as a demo staff login, or as the demo customer for "customer".
func (a *api) token(who string) string {
	a.t.Helper()
	var p authPayload
	if who == "customer" {
		p = a.customerLogin(seed.DemoCustomerEmail, testdb.DemoPassword)
	} else {
		p = a.staffLogin(who, testdb.DemoPassword)
	}
	if p.Token == nil {
		a.t.Fatalf("sign in as %s: %+v", who, p.UserErrors)
	}
	return *p.Token
}

// wsConn is a graphql-transport-ws connection to the API.
type wsConn struct {
	t    testing.TB
	ctx  context.Context
	conn *websocket.Conn
}

// wsMessage is a message of the graphql-transport-ws protocol.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// dial opens a websocket to the API and sends connection_init with authorization (a
// header value, or empty); it is closed when t ends, and fails t after 20 s.
func (a *api) dial(t testing.TB, authorization string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.url, "http"),
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsConn{t: t, ctx: ctx, conn: conn}
	payload := map[string]any{}
	if authorization != "" {
		payload["Authorization"] = authorization
	}
	c.write(map[string]any{"type": "connection_init", "payload": payload})
	return c
}

func (c *wsConn) write(msg map[string]any) {
	c.t.Helper()
	if err := wsjson.Write(c.ctx, c.conn, msg); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message, answering the server's pings on the way.
func (c *wsConn) read() wsMessage {
	c.t.Helper()
	for {
		var m wsMessage
		if err := wsjson.Read(c.ctx, c.conn, &m); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if m.Type != "ping" {
			return m
		}
		c.write(map[string]any{"type": "pong"})
	}
}
