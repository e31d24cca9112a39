package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/internal/catalog"
	"atrium/internal/location"
	"atrium/internal/testdb"
)

func TestAnonymousGoesToLogin(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.client()

	t.Run("page", func(t *testing.T) {
		c.get("/admin/products?q=linen").wantRedirect("/admin/login?next=" + url.QueryEscape("/admin/products?q=linen"))
	})
	t.Run("home", func(t *testing.T) {
		c.get("/admin/").wantRedirect("/admin/login")
	})
	t.Run("unknown path reveals nothing", func(t *testing.T) {
		c.get("/admin/secret").wantRedirect("/admin/login?next=*")
	})
	t.Run("htmx", func(t *testing.T) {
		res := c.get("/admin/products?q=x", "HX-Request", "true", "HX-Target", "product-results",
			"HX-Current-URL", a.srv.URL+"/admin/products?q=x")
		res.wantStatus(http.StatusUnauthorized)
		if got, want := res.Header.Get("HX-Redirect"), "/admin/login?next="+url.QueryEscape("/admin/products?q=x"); got != want {
			t.Fatalf("HX-Redirect %q, want %q", got, want)
		}
	})
	t.Run("post", func(t *testing.T) {
		c.post("/admin/products", url.Values{"title": {"x"}}).wantRedirect("/admin/login")
	})
	t.Run("static assets need no session", func(t *testing.T) {
		res := c.get("/admin/static/htmx.min.js").wantStatus(http.StatusOK)
		if !strings.Contains(res.Header.Get("Content-Type"), "javascript") || !strings.Contains(res.Body, "htmx") {
			t.Fatalf("htmx.min.js served as %q", res.Header.Get("Content-Type"))
		}
		c.get("/admin/static/pico.min.css").wantStatus(http.StatusOK).wantContains("Pico CSS")
		c.get("/admin/static/").wantStatus(http.StatusNotFound)
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	a := newApp(t)

	t.Run("wrong password shows the error and starts no session", func(t *testing.T) {
		c := a.client()
		res := c.post("/admin/login", url.Values{"login": {"manager"}, "password": {"not-the-password"}})
		res.wantStatus(http.StatusUnauthorized)
		if got := res.byID("login-error"); !strings.Contains(got, "login or password is wrong") {
			t.Fatalf("error %q", got)
		}
		if v := res.values("login"); len(v) != 1 || v[0] != "manager" {
			t.Fatalf("login field %q, want the login typed", v)
		}
		if sc := res.Header.Values("Set-Cookie"); len(sc) > 0 {
			t.Fatalf("a failed sign-in set cookies %q", sc)
		}
		c.get("/admin/").wantRedirect("/admin/login")
	})

	t.Run("too many failures are throttled", func(t *testing.T) {
		c := a.client()
		for range 5 {
			c.post("/admin/login", url.Values{"login": {"buyer"}, "password": {"wrong-password"}}).wantStatus(http.StatusUnauthorized)
		}
		res := c.post("/admin/login", url.Values{"login": {"buyer"}, "password": {testdb.DemoPassword}})
		res.wantStatus(http.StatusTooManyRequests)
		if got := res.byID("login-error"); !strings.Contains(got, "too many failed sign-in attempts") {
			t.Fatalf("error %q", got)
		}
	})

	t.Run("success returns to next with a safe cookie", func(t *testing.T) {
		c := a.client()
		c.get("/admin/login?next=%2Fadmin%2Flocations").wantStatus(http.StatusOK)
		res := c.post("/admin/login", url.Values{"login": {" Admin "}, "password": {testdb.DemoPassword},
			"next": {"/admin/locations"}})
		res.wantRedirect("/admin/locations")
		cookie := res.Header.Get("Set-Cookie")
		for _, want := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/admin"} {
			if !strings.Contains(cookie, want) {
				t.Fatalf("cookie %q lacks %q", cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Fatalf("cookie %q is Secure over plain http", cookie)
		}
		c.get("/admin/locations").wantStatus(http.StatusOK)
		// Signed in, the login page goes home.
		c.get("/admin/login").wantRedirect("/admin/")
	})

	t.Run("next cannot leave the back office", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example/admin/", "/graphql", "/admin\\@evil"} {
			c := a.client()
			c.post("/admin/login", url.Values{"login": {"admin"}, "password": {testdb.DemoPassword}, "next": {next}}).
				wantRedirect("/admin/")
		}
	})
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	db := testdb.NewDemo(t)
	d := testDeps(db)
	d.SecureCookie = true
	a := newAppWith(t, db, d)
	res := a.client().post("/admin/login", url.Values{"login": {"admin"}, "password": {testdb.DemoPassword}})
	if cookie := res.Header.Get("Set-Cookie"); !strings.Contains(cookie, "Secure") {
		t.Fatalf("cookie %q is not Secure", cookie)
	}
}

func TestHomeShowsRealFigures(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	res := a.signedIn("manager").get("/admin/").wantStatus(http.StatusOK)

	ctx := system()
	counts, err := a.deps.Catalog.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds, err := a.deps.Locations.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nStaff, err := a.deps.Staff.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nCustomers, err := a.deps.Customers.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stock, err := a.deps.Inventory.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Products == 0 || stock.Units == 0 {
		t.Fatalf("the demo data is empty: %+v %+v", counts, stock)
	}
	for id, want := range map[string]string{
		"figure-products":     formatCount(counts.Products),
		"figure-variants":     formatCount(counts.Variants),
		"figure-stores":       formatCount(kinds[location.Store]),
		"figure-warehouses":   formatCount(kinds[location.Warehouse]),
		"figure-staff":        formatCount(nStaff),
		"figure-customers":    formatCount(nCustomers),
		"figure-units":        formatCount(stock.Units),
		"figure-out-of-stock": formatCount(stock.OutOfStock),
	} {
		if got := res.byID(id); !strings.HasPrefix(got, want+" ") {
			t.Errorf("#%s = %q, want it to start with %s", id, got, want)
		}
	}
	if !strings.Contains(res.byID("figure-products"), formatCount(counts.Active)+" active") {
		t.Errorf("products figure lacks the active count %d", counts.Active)
	}
}

func TestCrossSitePostIsRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("admin")
	cases := []struct {
		name   string
		header []string
	}{
		{"sec-fetch-site", []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign origin", []string{"Origin", "https://evil.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.post("/admin/logout", nil, tc.header...).wantStatus(http.StatusForbidden).wantContains("Request refused")
			c.post("/admin/locations", url.Values{"code": {"EVIL-1"}, "name": {"Evil"}, "kind": {"STORE"}}, tc.header...).
				wantStatus(http.StatusForbidden)
			c.post("/admin/login", url.Values{"login": {"admin"}, "password": {testdb.DemoPassword}}, tc.header...).
				wantStatus(http.StatusForbidden)
		})
	}
	// Nothing happened: still signed in, and no location was created.
	c.get("/admin/").wantStatus(http.StatusOK)
	if _, err := a.deps.Locations.ByCode(system(), "EVIL-1"); err == nil {
		t.Fatal("a cross-site post created a location")
	}
	// A same-origin browser post is fine.
	c.post("/admin/logout", nil, "Sec-Fetch-Site", "same-origin", "Origin", a.srv.URL).wantRedirect("/admin/login")
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("manager")
	u, _ := url.Parse(a.srv.URL + "/admin/")
	old := c.http.Jar.Cookies(u)
	if len(old) == 0 {
		t.Fatal("no session cookie after sign-in")
	}

	res := c.post("/admin/logout", nil).wantRedirect("/admin/login")
	if !strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), "\n"), sessionCookie+"=;") {
		t.Fatalf("logout did not clear the cookie: %q", res.Header.Values("Set-Cookie"))
	}
	c.get("/admin/login").wantStatus(http.StatusOK).wantContains("You have signed out.")
	c.get("/admin/").wantRedirect("/admin/login")

	// Someone who kept the old cookie gets nothing either.
	thief := a.client()
	thief.http.Jar.SetCookies(u, old)
	thief.get("/admin/").wantRedirect("/admin/login")
}

func TestDeactivatedStaffSessionStops(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	associate := a.signedIn("associate")
	associate.get("/admin/products").wantStatus(http.StatusOK)

	m := memberByLogin(t, a, "associate")
	admin := a.signedIn("admin")
	form := staffFormValues(m)
	form.Del("active")
	form.Set("reason", "left the company")
	admin.post(staffURL(m.ID), form).wantRedirect(staffURL(m.ID))

	associate.get("/admin/products").wantRedirect("/admin/login?next=*")
	// And the account cannot sign in again.
	associate.post("/admin/login", url.Values{"login": {"associate"}, "password": {testdb.DemoPassword}}).
		wantStatus(http.StatusUnauthorized)
}

func TestNavigationPerRole(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	cases := []struct {
		login                       string
		staff, newProduct, newPlace bool
	}{
		{"admin", true, true, true},
		{"manager", true, true, false},
		{"hr", true, false, false},
		{"buyer", false, true, false},
		{"associate", false, false, false},
		{"accountant", false, false, false},
		{"fulfilment", false, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.login, func(t *testing.T) {
			c := a.signedIn(tc.login)
			home := c.get("/admin/").wantStatus(http.StatusOK)
			links := strings.Join(home.links(), " ")
			if !strings.Contains(links, "/admin/products") || !strings.Contains(links, "/admin/locations") {
				t.Errorf("%s lacks the products or locations link: %s", tc.login, links)
			}
			if got := strings.Contains(links, `/admin/staff`); got != tc.staff {
				t.Errorf("%s sees a staff link: %v, want %v", tc.login, got, tc.staff)
			}
			if got, want := strings.Contains(links, "/admin/purchasing/orders"), slices.Contains([]string{"admin", "manager", "buyer", "accountant"}, tc.login); got != want {
				t.Errorf("%s sees a purchasing link: %v, want %v", tc.login, got, want)
			}
			for _, dead := range []string{"/admin/bills", "/admin/hr", "/admin/reports"} {
				if strings.Contains(links, dead) {
					t.Errorf("dead link %s shown", dead)
				}
			}
			staffPage := c.get("/admin/staff")
			if tc.staff {
				staffPage.wantStatus(http.StatusOK)
			} else {
				staffPage.wantStatus(http.StatusForbidden).wantContains("Not allowed")
			}

			products := c.get("/admin/products").wantStatus(http.StatusOK)
			if got := strings.Contains(strings.Join(products.links(), " "), "/admin/products/new"); got != tc.newProduct {
				t.Errorf("%s sees New product: %v, want %v", tc.login, got, tc.newProduct)
			}
			if tc.newProduct {
				c.get("/admin/products/new").wantStatus(http.StatusOK)
			} else {
				c.get("/admin/products/new").wantStatus(http.StatusForbidden)
			}
			locations := c.get("/admin/locations").wantStatus(http.StatusOK)
			if got := strings.Contains(strings.Join(locations.links(), " "), "/admin/locations/new"); got != tc.newPlace {
				t.Errorf("%s sees New location: %v, want %v", tc.login, got, tc.newPlace)
			}
		})
	}
}

func TestErrorPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("manager")

	t.Run("not found", func(t *testing.T) {
		c.get("/admin/products/999999999").wantStatus(http.StatusNotFound).wantContains("Not found", "no product with id")
		c.get("/admin/products/abc").wantStatus(http.StatusNotFound)
		c.get("/admin/nowhere").wantStatus(http.StatusNotFound).wantContains("Not found")
	})
	t.Run("htmx errors land in main", func(t *testing.T) {
		res := c.get("/admin/nowhere", "HX-Request", "true", "HX-Target", "product-results")
		res.wantStatus(http.StatusNotFound).wantNotContains("<html")
		if res.Header.Get("HX-Retarget") != "#main" {
			t.Fatalf("HX-Retarget %q", res.Header.Get("HX-Retarget"))
		}
	})
	t.Run("internal error quotes the request id, not the error", func(t *testing.T) {
		broken := testDeps(a.db)
		closed, err := sqlx.Open("postgres", testdb.DSN(t, "postgres"))
		if err != nil {
			t.Fatal(err)
		}
		closed.Close()
		broken.Catalog = catalog.NewService(closed)
		b := newAppWith(t, a.db, broken)
		res := b.signedIn("manager").get("/admin/").wantStatus(http.StatusInternalServerError)
		id := res.byID("request-id")
		if id == "" || id != res.Header.Get("X-Request-ID") {
			t.Fatalf("page quotes request id %q, header %q", id, res.Header.Get("X-Request-ID"))
		}
		res.wantNotContains("database is closed")
		if log := b.log.String(); !strings.Contains(log, "request_id="+id) || !strings.Contains(log, "database is closed") {
			t.Fatalf("log lacks the request id or the error:\n%s", log)
		}
	})
}
