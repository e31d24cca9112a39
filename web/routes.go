package web

import (
	"net/http"

	"atrium/internal/catalog"
	"atrium/internal/location"
	"atrium/internal/staff"
)

// routes lists the whole back office. s.public pages need no sign-in; s.staff pages need a
// signed-in staff member the guard lets in (the services check again on every call).
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()

	mux.Handle("GET /admin/static/", staticHandler())

	mux.Handle("GET /admin/login", s.public(s.loginPage))
	mux.Handle("POST /admin/login", s.public(s.login))
	mux.Handle("POST /admin/logout", s.public(s.logout))

	mux.Handle("GET /admin/{$}", s.staff(anyStaff, s.home))

	mux.Handle("GET /admin/products", s.staff(anyStaff, s.productList))
	mux.Handle("GET /admin/products/new", s.staff(catalog.CanEdit, s.productNew))
	mux.Handle("GET /admin/products/variant-row", s.staff(catalog.CanEdit, s.variantRow))
	mux.Handle("POST /admin/products", s.staff(catalog.CanEdit, s.productCreate))
	mux.Handle("GET /admin/products/{id}", s.staff(anyStaff, s.productShow))
	mux.Handle("POST /admin/products/{id}", s.staff(catalog.CanEdit, s.productUpdate))

	mux.Handle("GET /admin/locations", s.staff(anyStaff, s.locationList))
	mux.Handle("GET /admin/locations/new", s.staff(location.CanEdit, s.locationNew))
	mux.Handle("POST /admin/locations", s.staff(location.CanEdit, s.locationCreate))
	mux.Handle("GET /admin/locations/{id}", s.staff(anyStaff, s.locationShow))
	mux.Handle("POST /admin/locations/{id}", s.staff(location.CanEdit, s.locationUpdate))

	mux.Handle("GET /admin/staff", s.staff(staff.CanView, s.staffList))
	mux.Handle("GET /admin/staff/new", s.staff(staff.CanEdit, s.staffNew))
	mux.Handle("POST /admin/staff", s.staff(staff.CanEdit, s.staffCreate))
	mux.Handle("GET /admin/staff/{id}", s.staff(staff.CanView, s.staffShow))
	mux.Handle("POST /admin/staff/{id}", s.staff(staff.CanEdit, s.staffUpdate))
	mux.Handle("POST /admin/staff/{id}/password", s.staff(staff.CanEdit, s.staffResetPassword))

	// Anything else under /admin/ is a 404 page (after sign-in, so it reveals nothing).
	mux.Handle("/admin/", s.staff(anyStaff, s.notFound))
	return mux
}
