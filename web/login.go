package web

import (
	"errors"
	"net/http"

	"atrium/internal/actor"
	"atrium/internal/apperr"
)

// loginForm is the sign-in form as typed (the password is never echoed back).
type loginForm struct {
	Login string
	Next  string
	// Error is the service's reason for refusing: wrong credentials or too many attempts.
	Error string
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if actor.From(r.Context()).Kind == actor.Staff {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.page(w, r, http.StatusOK, loginPage(loginForm{Next: next}))
}

// login checks the credentials and starts a session holding only the staff id, under a
// new token (no session fixation).
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := loginForm{Login: r.PostFormValue("login"), Next: safeNext(r.PostFormValue("next"))}
	ctx := r.Context()
	a, err := s.Auth.VerifyStaff(ctx, f.Login, r.PostFormValue("password"), s.clientAddress(r))
	if err != nil {
		var e *apperr.Error
		if !errors.As(err, &e) {
			return err
		}
		f.Error = e.Message
		status := http.StatusUnauthorized
		if e.Code == apperr.CodeRateLimited {
			status = http.StatusTooManyRequests
		}
		return s.page(w, r, status, loginPage(f))
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionStaffID, a.ID)
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
	return nil
}

// logout ends the session: the token is renewed (dropping the old one from the store) and
// the new one destroyed, so the old cookie no longer works anywhere.
func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	return s.redirect(w, r, "/admin/login", flashSignedOut)
}
