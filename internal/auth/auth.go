// Package auth signs staff and customers in and out: password checks with throttling,
// bearer tokens for the GraphQL API (random, stored hashed, expiring, revocable), and the
// actor each request acts as.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/password"
	"atrium/internal/postgres"
	"atrium/internal/staff"
)

// Options tune token lifetimes and throttling.
type Options struct {
	StaffTokenTTL    time.Duration // default 12 h: a shift
	CustomerTokenTTL time.Duration // default 30 days
	// At most MaxFailures failed attempts per account, and MaxAddressFailures per client
	// address, within Window; then sign-in is refused until the window has passed.
	MaxFailures        int
	MaxAddressFailures int
	Window             time.Duration
	Password           password.Params
}

func (o *Options) defaults() {
	if o.StaffTokenTTL == 0 {
		o.StaffTokenTTL = 12 * time.Hour
	}
	if o.CustomerTokenTTL == 0 {
		o.CustomerTokenTTL = 30 * 24 * time.Hour
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = 5
	}
	if o.MaxAddressFailures == 0 {
		o.MaxAddressFailures = 50
	}
	if o.Window == 0 {
		o.Window = 15 * time.Minute
	}
	if o.Password.Memory == 0 {
		o.Password = password.Default
	}
}

// Service is the sign-in use cases.
type Service struct {
	db   *sqlx.DB
	opts Options
	// dummyHash is verified when an account does not exist, so a wrong login and a wrong
	// password take the same time.
	dummyHash string
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB, opts Options) *Service {
	opts.defaults()
	h, _ := password.Hash("not a password", opts.Password)
	return &Service{db: d, opts: opts, dummyHash: h}
}

// Session is a signed-in actor with its bearer token.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Actor     actor.Actor
}

// ErrBadCredentials is the one answer to a wrong login or password; it never says which.
var ErrBadCredentials = apperr.Invalid("", "the login or password is wrong").WithReason("INVALID_CREDENTIALS")

const (
	kindStaff    = "STAFF"
	kindCustomer = "CUSTOMER"
)

type staffRow struct {
	ID             int64       `db:"id"`
	Login          string      `db:"login"`
	PasswordHash   string      `db:"password_hash"`
	Roles          staff.Roles `db:"roles"`
	HomeLocationID *int64      `db:"home_location_id"`
	Active         bool        `db:"active"`
}

func (r staffRow) actor() actor.Actor {
	return actor.Actor{Kind: actor.Staff, ID: r.ID, Roles: r.Roles, HomeLocationID: r.HomeLocationID, Name: r.Login}
}

// VerifyStaff checks a staff member's login and password and returns the actor, without
// issuing a token (the back office keeps its own session). Errors: ErrBadCredentials,
// apperr.RateLimited.
func (s *Service) VerifyStaff(ctx context.Context, login, pw, address string) (actor.Actor, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	if err := s.throttle(ctx, kindStaff, login, address); err != nil {
		return actor.Actor{}, err
	}
	var r staffRow
	err := s.db.GetContext(ctx, &r, `SELECT id, login, password_hash, roles, home_location_id, active FROM staff WHERE login = $1`, login)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return actor.Actor{}, err
	}
	ok := s.verify(pw, r.PasswordHash) && r.Active
	if err := s.recordAttempt(ctx, kindStaff, login, address, ok); err != nil {
		return actor.Actor{}, err
	}
	if !ok {
		return actor.Actor{}, ErrBadCredentials
	}
	return r.actor(), nil
}

// StaffLogin signs a staff member in and issues a bearer token. Errors as VerifyStaff.
func (s *Service) StaffLogin(ctx context.Context, login, pw, address string) (Session, error) {
	a, err := s.VerifyStaff(ctx, login, pw, address)
	if err != nil {
		return Session{}, err
	}
	return s.issue(ctx, s.db, a, s.opts.StaffTokenTTL)
}

// CustomerLogin signs a customer in by email and issues a bearer token. Errors:
// ErrBadCredentials, apperr.RateLimited.
func (s *Service) CustomerLogin(ctx context.Context, email, pw, address string) (Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := s.throttle(ctx, kindCustomer, email, address); err != nil {
		return Session{}, err
	}
	var r struct {
		ID   int64          `db:"id"`
		Hash sql.NullString `db:"password_hash"`
	}
	err := s.db.GetContext(ctx, &r, `SELECT id, password_hash FROM customers WHERE email = $1`, email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Session{}, err
	}
	ok := s.verify(pw, r.Hash.String)
	if err := s.recordAttempt(ctx, kindCustomer, email, address, ok); err != nil {
		return Session{}, err
	}
	if !ok {
		return Session{}, ErrBadCredentials
	}
	return s.issue(ctx, s.db, actor.Actor{Kind: actor.Customer, ID: r.ID, Name: email}, s.opts.CustomerTokenTTL)
}

// Registration is what a shopper enters to open an online account.
type Registration struct {
	Email    string
	Password string
	Name     string
	Phone    string
}

// CustomerRegister opens an online account and signs it in. Errors: apperr.List of invalid
// fields; Conflict (DUPLICATE) when the email or phone is already a customer's.
func (s *Service) CustomerRegister(ctx context.Context, in Registration) (Session, error) {
	n := customer.NewCustomer{Email: in.Email, Phone: in.Phone, Name: in.Name}
	if strings.TrimSpace(in.Email) == "" {
		n.Email = " " // an online account always needs an email
	}
	var errs apperr.List
	if err := n.Normalize(); err != nil {
		errs, _ = err.(apperr.List)
	}
	if err := password.Validate("password", in.Password); err != nil {
		errs = append(errs, err.(*apperr.Error))
	}
	if len(errs) > 0 {
		return Session{}, errs
	}
	hash, err := password.Hash(in.Password, s.opts.Password)
	if err != nil {
		return Session{}, err
	}
	n.PasswordHash = hash
	var sess Session
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		c, err := customer.Create(ctx, tx, n)
		if err != nil {
			return err
		}
		sess, err = s.issue(ctx, tx, actor.Actor{Kind: actor.Customer, ID: c.ID, Name: n.Email}, s.opts.CustomerTokenTTL)
		return err
	})
	return sess, err
}

// Authenticate returns the actor a bearer token stands for. Errors: apperr.Unauthenticated
// for an unknown, expired or revoked token or a deactivated account.
func (s *Service) Authenticate(ctx context.Context, token string) (actor.Actor, error) {
	var r struct {
		ExpiresAt      time.Time      `db:"expires_at"`
		Revoked        bool           `db:"revoked"`
		StaffID        sql.NullInt64  `db:"staff_id"`
		CustomerID     sql.NullInt64  `db:"customer_id"`
		Login          sql.NullString `db:"login"`
		Roles          staff.Roles    `db:"roles"`
		HomeLocationID *int64         `db:"home_location_id"`
		Active         sql.NullBool   `db:"active"`
		Email          sql.NullString `db:"email"`
	}
	err := s.db.GetContext(ctx, &r, `
		SELECT t.expires_at, t.revoked_at IS NOT NULL AS revoked, t.staff_id, t.customer_id,
		       s.login, coalesce(s.roles, '{}') AS roles, s.home_location_id, s.active, c.email
		FROM auth_tokens t
		LEFT JOIN staff s ON s.id = t.staff_id
		LEFT JOIN customers c ON c.id = t.customer_id
		WHERE t.token_hash = $1`, hashToken(token))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return actor.Actor{}, apperr.Unauthenticated("the token is not valid; sign in again")
	case err != nil:
		return actor.Actor{}, err
	case r.Revoked:
		return actor.Actor{}, apperr.Unauthenticated("you signed out with this token; sign in again")
	case time.Now().After(r.ExpiresAt):
		return actor.Actor{}, apperr.Unauthenticated("your session has expired; sign in again")
	case r.StaffID.Valid && !r.Active.Bool:
		return actor.Actor{}, apperr.Unauthenticated("this staff account is deactivated")
	case r.StaffID.Valid:
		return actor.Actor{Kind: actor.Staff, ID: r.StaffID.Int64, Roles: r.Roles, HomeLocationID: r.HomeLocationID, Name: r.Login.String}, nil
	}
	return actor.Actor{Kind: actor.Customer, ID: r.CustomerID.Int64, Name: r.Email.String}, nil
}

// StaffActor returns the current actor for a staff id (the back office keeps only the id
// in its session, so role changes and deactivation take effect on the next request).
// Errors: apperr.Unauthenticated when the account is missing or deactivated.
func (s *Service) StaffActor(ctx context.Context, id int64) (actor.Actor, error) {
	var r staffRow
	err := s.db.GetContext(ctx, &r, `SELECT id, login, password_hash, roles, home_location_id, active FROM staff WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !r.Active) {
		return actor.Actor{}, apperr.Unauthenticated("this staff account no longer exists or is deactivated")
	}
	if err != nil {
		return actor.Actor{}, err
	}
	return r.actor(), nil
}

// Logout revokes a bearer token. Revoking an unknown or already revoked token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE auth_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, hashToken(token))
	return err
}

// DeleteExpired removes tokens and login attempts past use; a periodic job calls it.
func (s *Service) DeleteExpired(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `
		WITH t AS (DELETE FROM auth_tokens WHERE expires_at < now() - interval '7 days')
		DELETE FROM login_attempts WHERE at < now() - interval '1 day'`)
	return err
}

func (s *Service) issue(ctx context.Context, ext sqlx.ExtContext, a actor.Actor, ttl time.Duration) (Session, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return Session{}, err
	}
	token := "atr_" + base64.RawURLEncoding.EncodeToString(b)
	expires := time.Now().Add(ttl).UTC().Truncate(time.Second)
	var staffID, customerID *int64
	if a.Kind == actor.Staff {
		staffID = &a.ID
	} else {
		customerID = &a.ID
	}
	_, err := ext.ExecContext(ctx, `INSERT INTO auth_tokens (token_hash, staff_id, customer_id, expires_at) VALUES ($1, $2, $3, $4)`,
		hashToken(token), staffID, customerID, expires)
	if err != nil {
		return Session{}, fmt.Errorf("issue token: %w", err)
	}
	return Session{Token: token, ExpiresAt: expires, Actor: a}, nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func (s *Service) verify(pw, hash string) bool {
	if hash == "" {
		_, _ = password.Verify(pw, s.dummyHash)
		return false
	}
	ok, err := password.Verify(pw, hash)
	return err == nil && ok
}

// throttle refuses a sign-in when the account or the address has failed too often within
// the window (counting an account's failures since its last success).
func (s *Service) throttle(ctx context.Context, kind, login, address string) error {
	var r struct {
		Account    int          `db:"account"`
		Address    int          `db:"address"`
		OldestFail sql.NullTime `db:"oldest"`
	}
	since := time.Now().Add(-s.opts.Window)
	err := s.db.GetContext(ctx, &r, `
		WITH last_ok AS (
			SELECT coalesce(max(at), '-infinity') AS at FROM login_attempts
			WHERE kind = $1 AND login = $2 AND succeeded AND at > $4)
		SELECT
			(SELECT count(*) FROM login_attempts a, last_ok
			  WHERE a.kind = $1 AND a.login = $2 AND NOT a.succeeded AND a.at > $4 AND a.at > last_ok.at) AS account,
			(SELECT count(*) FROM login_attempts WHERE address = $3 AND NOT succeeded AND at > $4) AS address,
			(SELECT min(at) FROM login_attempts WHERE ((kind = $1 AND login = $2) OR address = $3)
			  AND NOT succeeded AND at > $4) AS oldest`,
		kind, login, address, since)
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	if r.Account < s.opts.MaxFailures && r.Address < s.opts.MaxAddressFailures {
		return nil
	}
	wait := s.opts.Window
	if r.OldestFail.Valid {
		wait = time.Until(r.OldestFail.Time.Add(s.opts.Window))
	}
	return apperr.RateLimited("too many failed sign-in attempts; try again in %d minutes or ask an admin to reset the password",
		int(math.Ceil(max(wait, time.Minute).Minutes())))
}

func (s *Service) recordAttempt(ctx context.Context, kind, login, address string, ok bool) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO login_attempts (kind, login, address, succeeded) VALUES ($1, $2, $3, $4)`,
		kind, login, address, ok)
	return err
}
