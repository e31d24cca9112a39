package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/observe"
)

// view is what every template may read from the context: who is signed in, where they
// are, the one-shot flash message and the time zone to show times in.
type view struct {
	Actor actor.Actor
	Path  string
	Flash string
	zone  func() *time.Location
	// onHold counts the inspection queue for the navigation's badge; nil for those who
	// do not decide on held orders (the count is then never read).
	onHold func() int
}

type viewKey struct{}

func withView(ctx context.Context, v *view) context.Context {
	return context.WithValue(ctx, viewKey{}, v)
}

// viewOf returns the request's view, or an anonymous one (error pages rendered before the
// session was loaded).
func viewOf(ctx context.Context) *view {
	if v, ok := ctx.Value(viewKey{}).(*view); ok {
		return v
	}
	return &view{Actor: actor.Actor{Kind: actor.Anonymous}}
}

// Zone is the time zone times are shown in.
func (v *view) Zone() *time.Location {
	if v.zone == nil {
		return time.UTC
	}
	return v.zone()
}

// OnHold is how many orders wait in the inspection queue (0 for those who do not decide
// on them).
func (v *view) OnHold() int {
	if v.onHold == nil {
		return 0
	}
	return v.onHold()
}

// htmxConfig sets htmx up for this back office: a history miss fetches a full page (not
// a fragment), nothing is eval'd and no inline indicator style is added (the CSP forbids
// both; app.css styles indicators), and error responses are swapped too (the server
// retargets them to #main) so a failure shows its page instead of nothing.
const htmxConfig = `{"historyRestoreAsHxRequest":false,"allowEval":false,"includeIndicatorStyles":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}`

// navActive reports whether href is the section the page belongs to.
func navActive(ctx context.Context, href string) bool {
	p := viewOf(ctx).Path
	return p == href || strings.HasPrefix(p, href+"/")
}

// stockOverviewActive reports whether the page is the stock overview or one of its levels.
func stockOverviewActive(ctx context.Context) bool {
	return navActive(ctx, "/admin/stock") && !navActive(ctx, "/admin/stock/movements") &&
		!navActive(ctx, "/admin/stock/transfers") && !navActive(ctx, "/admin/stock/alerts") &&
		!navActive(ctx, "/admin/stock/value")
}

// ordersActive reports whether the page is the order list or an order (the inspection
// queue has its own link).
func ordersActive(ctx context.Context) bool {
	return navActive(ctx, "/admin/orders") && !navActive(ctx, inspectionURL)
}

// page renders a full page (consuming the flash message), status first.
func (s *server) page(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	viewOf(r.Context()).Flash = s.takeFlash(w, r)
	w.Header().Add("Vary", "HX-Request")
	return write(w, r, status, c)
}

// fragment renders part of a page for an HTMX swap.
func (s *server) fragment(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	w.Header().Add("Vary", "HX-Request")
	return write(w, r, status, c)
}

// write renders c into a buffer first, so a failing template becomes a clean error page
// rather than half a page.
func write(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // a client that went away is not a server error
	return nil
}

// fail turns an error into the page the user sees: the sign-in page, a 403/404/409/429
// page with the service's message, or, for anything else, a logged internal error.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	errs, ok := apperr.Errors(err)
	if !ok || len(errs) == 0 {
		s.internalError(w, r, err)
		return
	}
	var status int
	switch errs[0].Code {
	case apperr.CodeUnauthenticated:
		s.toLogin(w, r)
		return
	case apperr.CodeNotFound:
		status = http.StatusNotFound
	case apperr.CodeForbidden:
		status = http.StatusForbidden
	case apperr.CodeConflict:
		status = http.StatusConflict
	case apperr.CodeRateLimited:
		status = http.StatusTooManyRequests
	case apperr.CodeInvalid:
		status = http.StatusBadRequest
	default:
		s.internalError(w, r, err)
		return
	}
	p := problemView{Status: status}
	for _, e := range errs {
		if e.Message != "" {
			p.Messages = append(p.Messages, e.Message)
		}
	}
	s.problem(w, r, p)
}

// internalError logs err with the request id and shows a page that quotes the id, never
// the error itself.
func (s *server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	observe.Logger(r.Context(), s.Log).Error("back office request failed",
		"method", r.Method, "path", r.URL.Path, "err", err)
	s.problem(w, r, problemView{Status: http.StatusInternalServerError})
}

// crossOriginDenied answers an unsafe request from another site (CSRF).
func (s *server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.problem(w, r, problemView{Status: http.StatusForbidden, CrossOrigin: true})
}

// problem renders an error page; for HTMX requests only its content, into #main (the
// htmx config swaps error responses).
func (s *server) problem(w http.ResponseWriter, r *http.Request, p problemView) {
	c := errorPage(p)
	if isHTMX(r) {
		w.Header().Set("HX-Retarget", "#main")
		w.Header().Set("HX-Reswap", "innerHTML")
		w.Header().Set("HX-Push-Url", "false")
		c = errorContent(p)
	}
	if err := write(w, r, p.Status, c); err != nil {
		observe.Logger(r.Context(), s.Log).Error("render error page", "err", err)
		http.Error(w, http.StatusText(p.Status), p.Status)
	}
}

// problemView is what an error page shows: the status, the service's messages (never an
// internal error's), and whether it is the CSRF refusal.
type problemView struct {
	Status      int
	Messages    []string
	CrossOrigin bool
}

// notFound is the page for any unknown /admin/ path.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	return apperr.NotFound("")
}

// formFailed re-renders a form with the user's own mistakes (invalid input, conflicts)
// shown inline; any other error (not found, forbidden, internal) becomes its error page.
// shows says which field paths the form displays; the others go to the form's summary.
// A form posted by HTMX into part of a page gets render's fragment back, not a page.
func (s *server) formFailed(w http.ResponseWriter, r *http.Request, err error, shows func(path string) bool,
	render func(formErrors) (templ.Component, error)) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	for _, e := range errs {
		if e.Code != apperr.CodeInvalid && e.Code != apperr.CodeConflict {
			return err
		}
	}
	c, rerr := render(newFormErrors(errs, shows))
	if rerr != nil {
		return rerr
	}
	if htmxTarget(r) != "" {
		return s.fragment(w, r, http.StatusUnprocessableEntity, c)
	}
	return s.page(w, r, http.StatusUnprocessableEntity, c)
}

// failedForm is which of a page's several forms was refused (Failed), why (Errors) and
// what was typed into it (Typed), so that only that form shows the errors and the typing.
type failedForm struct {
	Failed string
	Errors formErrors
	Typed  url.Values
}

// typed is what was typed into field name of form when it failed, else "".
func (f failedForm) typed(form, name string) string { return f.typedOr(form, name, "") }

// typedOr is what was typed into field name of form when it failed, else fallback.
func (f failedForm) typedOr(form, name, fallback string) string {
	if f.Failed != form {
		return fallback
	}
	return f.Typed.Get(name)
}

// errorsFor are the errors to show in form.
func (f failedForm) errorsFor(form string) formErrors {
	if f.Failed != form {
		return formErrors{}
	}
	return f.Errors
}

// detailAction runs do, an action posted from one of the forms (action) of the page of
// record id. Done, the page is shown again: in place with a notice for HTMX, else after
// a redirect to urlOf(id) with the flash. Refused for something the user can fix, the
// page is shown again with that form saying why and keeping what was typed. show renders
// the page (only its body for HTMX) with the failed form or the notice.
func (s *server) detailAction(w http.ResponseWriter, r *http.Request, action, flash string, fields []string,
	do func(ctx context.Context, id int64, form url.Values) error,
	show func(ctx context.Context, id int64, failed failedForm, notice string, body bool) (templ.Component, error),
	urlOf func(id int64) string) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := do(ctx, id, r.PostForm); err != nil {
		return s.formFailed(w, r, err, fieldSet(fields...), func(fe formErrors) (templ.Component, error) {
			return show(ctx, id, failedForm{Failed: action, Errors: fe, Typed: r.PostForm}, "", isHTMX(r))
		})
	}
	if !isHTMX(r) {
		return s.redirect(w, r, urlOf(id), flash)
	}
	c, err := show(ctx, id, failedForm{}, flash, true)
	if err != nil {
		return err
	}
	return s.fragment(w, r, http.StatusOK, c)
}

// Flash messages survive one redirect in a short-lived cookie holding a key (the text is
// in the flashMessage template), so the session keeps only the staff id.
const flashCookie = "atrium_flash"

const (
	flashSignedOut        = "signed-out"
	flashProductCreated   = "product-created"
	flashProductSaved     = "product-saved"
	flashLocationCreated  = "location-created"
	flashLocationSaved    = "location-saved"
	flashStaffCreated     = "staff-created"
	flashStaffSaved       = "staff-saved"
	flashPasswordReset    = "password-reset"
	flashStockAdjusted    = "stock-adjusted"
	flashStockCounted     = "stock-counted"
	flashPolicySaved      = "stock-policy-saved"
	flashTransferCreated  = "transfer-created"
	flashTransferShipped  = "transfer-shipped"
	flashTransferArrived  = "transfer-received"
	flashTransferCancel   = "transfer-cancelled"
	flashPaymentRecorded  = "payment-recorded"
	flashOrderReleased    = "order-released"
	flashOrderCancelled   = "order-cancelled"
	flashOrderRefunded    = "order-refunded"
	flashPromotionCreated = "points-promotion-created"
	flashCouponCreated    = "coupon-created"
)

// redirect sends the browser to url after a successful POST, with a flash message.
func (s *server) redirect(w http.ResponseWriter, r *http.Request, url, flash string) error {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: flash, Path: "/admin", MaxAge: 60,
		HttpOnly: true, Secure: s.SecureCookie, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

func (s *server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/admin", MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookie, SameSite: http.SameSiteLaxMode})
	return c.Value
}
