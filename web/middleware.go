package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/observe"
)

// handlerFunc is a back-office handler: it renders or redirects, or returns an error that
// serve turns into the right page (form errors are rendered by the handler itself).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// sessionStaffID is the only thing a session holds: the actor is loaded afresh on every
// request, so deactivation and role changes apply at once.
const sessionStaffID = "staff_id"

// anyStaff lets every signed-in staff member in; the services decide the rest.
func anyStaff(actor.Actor) bool { return true }

// errNoAccess is the route guard's refusal; the 403 page explains it.
var errNoAccess = apperr.Forbidden("")

// public serves a page that needs no sign-in (but knows who is signed in).
func (s *server) public(h handlerFunc) http.Handler {
	return s.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := s.withActor(r)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		s.serve(w, r, h)
	}))
}

// staff serves a page for signed-in staff that can lets in: anonymous visitors go to the
// sign-in page, others get a 403 page.
func (s *server) staff(can func(actor.Actor) bool, h handlerFunc) http.Handler {
	return s.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := s.withActor(r)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		a := actor.From(r.Context())
		switch {
		case a.Kind != actor.Staff:
			s.toLogin(w, r)
		case !can(a):
			s.fail(w, r, errNoAccess)
		default:
			s.serve(w, r, h)
		}
	}))
}

func (s *server) serve(w http.ResponseWriter, r *http.Request, h handlerFunc) {
	if err := h(w, r); err != nil {
		s.fail(w, r, err)
	}
}

// withActor loads the session's staff member into the request context (actor.With) with
// the view the templates read. A session whose account was deactivated or removed ends here.
func (s *server) withActor(r *http.Request) (*http.Request, error) {
	ctx := r.Context()
	a := actor.Actor{Kind: actor.Anonymous}
	if id := s.sessions.GetInt64(ctx, sessionStaffID); id != 0 {
		sa, err := s.Auth.StaffActor(ctx, id)
		switch {
		case err == nil:
			a = sa
		case apperr.CodeOf(err) == apperr.CodeUnauthenticated:
			if err := s.sessions.Destroy(ctx); err != nil {
				return r, err
			}
		default:
			return r, err
		}
	}
	ctx = actor.With(ctx, a)
	v := &view{Actor: a, Path: r.URL.Path}
	v.zone = sync.OnceValue(func() *time.Location { return s.timeZone(ctx, a) })
	if canDecideOrders(a) {
		v.onHold = sync.OnceValue(func() int { return s.onHoldCount(ctx) })
	}
	return r.WithContext(withView(ctx, v)), nil
}

// timeZone is where a staff member's times are shown: their home location's zone, else
// the company's. A failed lookup falls back to UTC (the zone is always printed).
func (s *server) timeZone(ctx context.Context, a actor.Actor) *time.Location {
	if a.HomeLocationID != nil {
		if l, err := s.Locations.Get(ctx, *a.HomeLocationID); err == nil {
			if z, err := time.LoadLocation(l.TimeZone); err == nil {
				return z
			}
		}
	}
	if z, err := s.Locations.CompanyTimeZone(ctx); err == nil {
		return z
	}
	return time.UTC
}

// toLogin sends an anonymous visitor to the sign-in page, to come back to where they were.
// HTMX requests get HX-Redirect, so the whole page changes rather than a fragment.
func (s *server) toLogin(w http.ResponseWriter, r *http.Request) {
	next := ""
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next = r.URL.RequestURI()
	}
	if isHTMX(r) {
		if u, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && u.Path != "" {
			next = u.RequestURI()
		}
		w.Header().Set("HX-Redirect", loginURL(next))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
}

func loginURL(next string) string {
	next = safeNext(next)
	if next == "/admin/" {
		return "/admin/login"
	}
	return "/admin/login?next=" + url.QueryEscape(next)
}

// safeNext keeps a post-sign-in redirect inside the back office (no open redirect).
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(next, "/admin/") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(u.Path, "/admin/login") {
		return "/admin/"
	}
	return next
}

// clientAddress is the address sign-in throttling counts failures against: the client
// behind the trusted proxies, never one the client names itself.
func (s *server) clientAddress(r *http.Request) string {
	return observe.ClientIP(r, s.TrustedProxies)
}

func isHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

// htmxTarget is the id of the element an HTMX request will swap, or "" for a full page.
func htmxTarget(r *http.Request) string {
	if !isHTMX(r) {
		return ""
	}
	return r.Header.Get("HX-Target")
}

// withRequestID gives the request an id when no outer middleware (observe.Middleware) has,
// so error pages and logs can always quote one.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if observe.RequestID(r.Context()) == "" {
			id := observe.NewRequestID()
			w.Header().Set("X-Request-ID", id)
			r = r.WithContext(observe.WithRequestID(r.Context(), id))
		}
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only our own scripts and styles (no inline code: htmx is
// configured not to need it) and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
