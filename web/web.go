// Package web is the back office at /admin: server-rendered templ pages with HTMX for
// partial updates, served from the same binary and database as the GraphQL API.
//
// Handlers decode a form into the same domain input a GraphQL mutation would, call the
// service, and render the result; every rule (validation, authorization, auditing) stays
// in the service. The web layer adds only coarse route guards, sessions and CSRF checks.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jmoiron/sqlx"

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
	"atrium/internal/payables"
	"atrium/internal/promotion"
	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
	"atrium/internal/returns"
	"atrium/internal/staff"
)

// Deps are what the back office needs from main.
type Deps struct {
	DB *sqlx.DB // scs sessions (github.com/alexedwards/scs/postgresstore, table `sessions` already migrated)

	Auth       *auth.Service
	Catalog    *catalog.Service
	Locations  *location.Service
	Staff      *staff.Service
	Customers  *customer.Service
	Inventory  *inventory.Service
	Orders     *order.Service
	Coupons    *promotion.Service
	Returns    *returns.Service
	Purchasing *purchasing.Service
	// Replenishment computes and converts the buying suggestions.
	Replenishment *replenishment.Service

	// Members merges customers and handles their privacy requests.
	Members *customer.Members
	// Loyalty is the points ledger, tiers and the programme's settings.
	Loyalty *loyalty.Service
	// Marketing is segments, campaigns and product views; Feedback the after-sales ratings.
	Marketing *marketing.Service
	Feedback  *feedback.Service
	// Payables is accounts payable: supplier bills, their match, payments and reports.
	Payables *payables.Service

	Log *slog.Logger
	// TrustedProxies are the load balancers whose X-Forwarded-For names the client that
	// sign-in throttling counts against; none means the connection's peer.
	TrustedProxies observe.TrustedProxies
	// SecureCookie marks the session cookie Secure; true unless serving plain http on loopback.
	SecureCookie bool
}

// server holds the dependencies shared by every handler.
type server struct {
	Deps
	sessions *scs.SessionManager
}

// Session lifetimes: a shift, with a sign-out after two idle hours at a shared till.
const (
	sessionLifetime    = 12 * time.Hour
	sessionIdleTimeout = 2 * time.Hour
	sessionCookie      = "atrium_admin"
)

// NewHandler returns the back office, serving everything under /admin/ (including
// /admin/static/). Unsafe cross-origin requests are refused with 403 before any handler
// runs.
func NewHandler(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	sm := scs.New()
	sm.Store = postgresstore.New(d.DB.DB)
	sm.Lifetime = sessionLifetime
	sm.IdleTimeout = sessionIdleTimeout
	// A leaked sessions table must not leak live sessions.
	sm.HashTokenInStore = true
	sm.Cookie.Name = sessionCookie
	sm.Cookie.Path = "/admin"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.SecureCookie
	// A browser session cookie: closing the browser on a shared machine signs out.
	sm.Cookie.Persist = false

	s := &server{Deps: d, sessions: sm}
	sm.ErrorFunc = s.internalError

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	return withRequestID(securityHeaders(csrf.Handler(s.routes())))
}
