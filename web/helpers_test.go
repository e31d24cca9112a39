package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"golang.org/x/net/html"

	"atrium/internal/actor"
	"atrium/internal/auth"
	"atrium/internal/catalog"
	"atrium/internal/customer"
	"atrium/internal/feedback"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/loyalty"
	"atrium/internal/marketing"
	"atrium/internal/order"
	"atrium/internal/password"
	"atrium/internal/payables"
	"atrium/internal/promotion"
	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
	"atrium/internal/returns"
	"atrium/internal/staff"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// app is the real back office on its own demo database, served over HTTP.
type app struct {
	t    *testing.T
	db   *sqlx.DB
	deps Deps
	srv  *httptest.Server
	log  *syncBuffer
}

func newApp(t *testing.T) *app {
	t.Helper()
	db := testdb.NewDemo(t)
	return newAppWith(t, db, testDeps(db))
}

// testDeps wires the services as main.go does.
func testDeps(db *sqlx.DB) Deps {
	catalogSvc, locationSvc, inventorySvc := catalog.NewService(db), location.NewService(db), inventory.NewService(db)
	promotionSvc, purchasingSvc := promotion.NewService(db), purchasing.NewService(db)
	loyaltySvc := loyalty.NewService(db)
	returnsSvc := returns.NewService(db, returns.Deps{Stock: inventorySvc, Points: loyaltySvc}, returns.DefaultConfig())
	marketingSvc, err := marketing.NewService(db, marketing.Config{UnsubscribeSecret: []byte(testUnsubscribeSecret),
		UnsubscribeURL: "http://shop.test/unsubscribe"})
	if err != nil {
		panic(err)
	}
	promotionSvc.UseSegments(marketingSvc)
	return Deps{
		DB:        db,
		Auth:      auth.NewService(db, auth.Options{Password: password.Fast}),
		Catalog:   catalogSvc,
		Locations: locationSvc,
		Staff:     staff.NewService(db, password.Fast),
		Customers: customer.NewService(db),
		Members:   customer.NewMembers(db, loyaltySvc),
		Loyalty:   loyaltySvc,
		Marketing: marketingSvc,
		Feedback:  feedback.NewService(db),
		Inventory: inventorySvc,
		Orders: order.NewService(db, order.Deps{Catalog: catalogSvc, Stock: inventorySvc, Locations: locationSvc,
			Coupons: promotionSvc, StoreCredit: returnsSvc, Points: loyaltySvc}, order.DefaultConfig()),
		Coupons:       promotionSvc,
		Returns:       returnsSvc,
		Purchasing:    purchasingSvc,
		Replenishment: replenishment.NewService(db, inventorySvc, purchasingSvc),
		Payables:      payables.NewService(db),
	}
}

// testUnsubscribeSecret signs the unsubscribe links in tests.
const testUnsubscribeSecret = "test-unsubscribe-secret-of-at-least-32-bytes"

func newAppWith(t *testing.T, db *sqlx.DB, d Deps) *app {
	t.Helper()
	a := &app{t: t, db: db, log: &syncBuffer{}}
	d.Log = slog.New(slog.NewTextHandler(a.log, nil))
	a.deps = d
	a.srv = httptest.NewServer(NewHandler(d))
	t.Cleanup(a.srv.Close)
	return a
}

// system is a context acting as the system, for checking the database behind the pages.
func system() context.Context { return actor.SystemContext(context.Background()) }

// syncBuffer collects the handler's log for tests to read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// client is a browser stand-in: a cookie jar, and redirects left for the test to check.
type client struct {
	t    *testing.T
	app  *app
	http *http.Client
}

func (a *app) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return &client{t: a.t, app: a, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn returns a client signed in as login with the demo password.
func (a *app) signedIn(login string) *client {
	a.t.Helper()
	c := a.client()
	res := c.post("/admin/login", url.Values{"login": {login}, "password": {testdb.DemoPassword}})
	res.wantRedirect("/admin/")
	return c
}

type response struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   string
	doc    *html.Node
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{t: c.t, Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (c *client) get(path string, header ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	setHeaders(req, header)
	return c.do(req)
}

// post sends form as application/x-www-form-urlencoded; header is name, value pairs.
func (c *client) post(path string, form url.Values, header ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	setHeaders(req, header)
	return c.do(req)
}

func setHeaders(req *http.Request, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
}

func (r *response) wantStatus(status int) *response {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("status %d, want %d; body:\n%s", r.Status, status, r.Body)
	}
	return r
}

// wantRedirect checks for a 303 to location (a prefix match when location ends in '*').
func (r *response) wantRedirect(location string) *response {
	r.t.Helper()
	got := r.Header.Get("Location")
	ok := got == location
	if prefix, found := strings.CutSuffix(location, "*"); found {
		ok = strings.HasPrefix(got, prefix)
	}
	if r.Status != http.StatusSeeOther || !ok {
		r.t.Fatalf("got %d to %q, want 303 to %q; body:\n%s", r.Status, got, location, r.Body)
	}
	return r
}

func (r *response) wantContains(subs ...string) *response {
	r.t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.Body, s) {
			r.t.Fatalf("page lacks %q; body:\n%s", s, r.Body)
		}
	}
	return r
}

func (r *response) wantNotContains(subs ...string) *response {
	r.t.Helper()
	for _, s := range subs {
		if strings.Contains(r.Body, s) {
			r.t.Fatalf("page has %q; body:\n%s", s, r.Body)
		}
	}
	return r
}

func (r *response) document() *html.Node {
	r.t.Helper()
	if r.doc == nil {
		doc, err := html.Parse(strings.NewReader(r.Body))
		if err != nil {
			r.t.Fatal(err)
		}
		r.doc = doc
	}
	return r.doc
}

// byID returns the text of the element with id (its text nodes joined by spaces),
// failing when there is none.
func (r *response) byID(id string) string {
	r.t.Helper()
	n := find(r.document(), func(n *html.Node) bool { return attr(n, "id") == id })
	if len(n) == 0 {
		r.t.Fatalf("no element #%s; body:\n%s", id, r.Body)
	}
	return text(n[0])
}

func (r *response) hasID(id string) bool {
	return len(find(r.document(), func(n *html.Node) bool { return attr(n, "id") == id })) > 0
}

// inputs returns the elements named name (inputs, selects, textareas), in page order.
func (r *response) inputs(name string) []*html.Node {
	return find(r.document(), func(n *html.Node) bool {
		return n.Type == html.ElementNode && attr(n, "name") == name &&
			(n.Data == "input" || n.Data == "select" || n.Data == "textarea")
	})
}

// values returns the values of the inputs named name, in page order.
func (r *response) values(name string) []string {
	var out []string
	for _, n := range r.inputs(name) {
		out = append(out, attr(n, "value"))
	}
	return out
}

// links returns the href of every link on the page.
func (r *response) links() []string {
	var out []string
	for _, n := range find(r.document(), func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "a" }) {
		out = append(out, attr(n, "href"))
	}
	return out
}

func find(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data + " ")
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
