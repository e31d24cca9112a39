package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/location"
	"atrium/internal/staff"
)

// staffList is the staff accounts page.
type staffList struct {
	Members   []staff.Member
	Locations map[int64]location.Location
}

func (s *server) staffList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ms, err := s.Staff.List(ctx)
	if err != nil {
		return err
	}
	ls, err := s.Locations.List(ctx, location.Filter{IncludeInactive: true})
	if err != nil {
		return err
	}
	byID := make(map[int64]location.Location, len(ls))
	for _, l := range ls {
		byID[l.ID] = l
	}
	return s.page(w, r, http.StatusOK, staffListPage(staffList{Members: ms, Locations: byID}))
}

// staffForm is staff.Input as typed, plus the reason recorded in the audit trail. The
// password is never echoed back into the page.
type staffForm struct {
	Login, Name, Email string
	Roles              []actor.Role
	HomeLocationID     string
	Active             bool
	Password           string
	Reason             string
}

// HasRole reports whether the role's box is ticked.
func (f staffForm) HasRole(r actor.Role) bool { return slices.Contains(f.Roles, r) }

var staffFields = fieldSet("login", "name", "email", "roles", "homeLocationId", "active", "password", "reason")

func staffFormFrom(m staff.Member) staffForm {
	f := staffForm{Login: m.Login, Name: m.Name, Roles: m.Roles, HomeLocationID: formatID(m.HomeLocationID), Active: m.Active}
	if m.Email != nil {
		f.Email = *m.Email
	}
	return f
}

func readStaffForm(r *http.Request) staffForm {
	f := staffForm{Login: r.PostFormValue("login"), Name: r.PostFormValue("name"), Email: r.PostFormValue("email"),
		HomeLocationID: r.PostFormValue("homeLocationId"), Active: checked(r, "active"),
		Password: r.PostFormValue("password"), Reason: r.PostFormValue("reason")}
	for _, role := range r.PostForm["roles"] {
		f.Roles = append(f.Roles, actor.Role(role))
	}
	return f
}

func (f staffForm) input() (staff.Input, apperr.List) {
	var errs apperr.List
	in := staff.Input{Login: f.Login, Name: f.Name, Email: f.Email, Roles: slices.Clone(f.Roles),
		Active: f.Active, Password: f.Password, HomeLocationID: optInt64(&errs, "homeLocationId", f.HomeLocationID)}
	return in, errs
}

// staffPage is a staff account's page: the account editor and the password reset form
// (read-only for staff who may see but not change accounts).
type staffPage struct {
	Member         *staff.Member // nil for a new account
	Form           staffForm
	Errors         formErrors
	PasswordErrors formErrors
	Locations      []location.Location
	CanEdit        bool
}

func (s *server) staffShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m, err := s.member(r)
	if err != nil {
		return err
	}
	page, err := s.staffPage(ctx, &m, staffFormFrom(m), formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, staffEditPage(page))
}

func (s *server) staffNew(w http.ResponseWriter, r *http.Request) error {
	page, err := s.staffPage(r.Context(), nil, staffForm{Active: true}, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, staffEditPage(page))
}

func (s *server) staffCreate(w http.ResponseWriter, r *http.Request) error {
	return s.saveStaff(w, r, nil)
}

func (s *server) staffUpdate(w http.ResponseWriter, r *http.Request) error {
	m, err := s.member(r)
	if err != nil {
		return err
	}
	return s.saveStaff(w, r, &m)
}

// saveStaff creates (current nil) or updates a staff account. Role and status changes
// are audited by the service with the reason given.
func (s *server) saveStaff(w http.ResponseWriter, r *http.Request, current *staff.Member) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readStaffForm(r)
	in, errs := f.input()
	var saved staff.Member
	var err error
	switch {
	case len(errs) > 0:
		err = errs
	case current == nil:
		saved, err = s.Staff.Create(ctx, in)
	default:
		saved, err = s.Staff.Update(ctx, current.ID, in, f.Reason)
	}
	if err != nil {
		f.Password = ""
		return s.formFailed(w, r, err, staffFields, func(fe formErrors) (templ.Component, error) {
			page, err := s.staffPage(ctx, current, f, fe)
			return staffEditPage(page), err
		})
	}
	flash := flashStaffSaved
	if current == nil {
		flash = flashStaffCreated
	}
	return s.redirect(w, r, staffURL(saved.ID), flash)
}

// staffResetPassword sets a new password; the service signs the account out everywhere.
func (s *server) staffResetPassword(w http.ResponseWriter, r *http.Request) error {
	m, err := s.member(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.Staff.ResetPassword(ctx, m.ID, r.PostFormValue("password")); err != nil {
		return s.formFailed(w, r, err, fieldSet("password"), func(fe formErrors) (templ.Component, error) {
			page, err := s.staffPage(ctx, &m, staffFormFrom(m), formErrors{})
			page.PasswordErrors = fe
			return staffEditPage(page), err
		})
	}
	if err := s.endSessions(ctx, m.ID); err != nil {
		return err
	}
	return s.redirect(w, r, staffURL(m.ID), flashPasswordReset)
}

// endSessions signs a staff member out of the back office everywhere but in the current
// request's session. The service revokes API tokens on a password reset, but a session
// holds only the staff id, which a new password does not change. scs cannot search
// sessions by content, so this walks them all (a back office has few).
func (s *server) endSessions(ctx context.Context, staffID int64) error {
	keep := storeKey(s.sessions.Token(ctx))
	return s.sessions.Iterate(ctx, func(sc context.Context) error {
		// Within Iterate, Token is the key as stored (hashed, with HashTokenInStore).
		key := s.sessions.Token(sc)
		if key == keep || s.sessions.GetInt64(sc, sessionStaffID) != staffID {
			return nil
		}
		return s.sessions.Store.Delete(key)
	})
}

// storeKey is how scs stores a session token when HashTokenInStore is set.
func storeKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func (s *server) member(r *http.Request) (staff.Member, error) {
	id, err := pathID(r)
	if err != nil {
		return staff.Member{}, err
	}
	return s.Staff.Get(r.Context(), id)
}

func (s *server) staffPage(ctx context.Context, m *staff.Member, f staffForm, fe formErrors) (staffPage, error) {
	page := staffPage{Member: m, Form: f, Errors: fe, CanEdit: staff.CanEdit(actor.From(ctx))}
	var err error
	page.Locations, err = s.Locations.List(ctx, location.Filter{IncludeInactive: true})
	return page, err
}

func staffURL(id int64) string { return "/admin/staff/" + strconv.FormatInt(id, 10) }
