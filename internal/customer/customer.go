// Package customer owns the shoppers: one customer across the web shop, the app and the
// stores, identified by email and/or phone.
package customer

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// Customer is a shopper.
type Customer struct {
	ID        int64     `db:"id"`
	Email     *string   `db:"email"`
	Phone     *string   `db:"phone"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// Service is the customer use cases.
type Service struct {
	db *sqlx.DB
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB) *Service { return &Service{db: d} }

const columns = `id, email, phone, name, created_at`

// ByIDs returns the customers with the given ids the actor may see: staff see all, a
// customer sees only themself.
func (s *Service) ByIDs(ctx context.Context, ids []int64) (map[int64]Customer, error) {
	a := actor.From(ctx)
	if !a.IsStaff() {
		if a.Kind != actor.Customer {
			return map[int64]Customer{}, nil
		}
		ids = filterSelf(ids, a.ID)
	}
	var rows []Customer
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+columns+` FROM customers WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("customers by id: %w", err)
	}
	out := make(map[int64]Customer, len(rows))
	for _, c := range rows {
		out[c.ID] = c
	}
	return out, nil
}

func filterSelf(ids []int64, self int64) []int64 {
	for _, id := range ids {
		if id == self {
			return []int64{self}
		}
	}
	return nil
}

// Get returns one customer the actor may see, or apperr.NotFound.
func (s *Service) Get(ctx context.Context, id int64) (Customer, error) {
	m, err := s.ByIDs(ctx, []int64{id})
	if err != nil {
		return Customer{}, err
	}
	c, ok := m[id]
	if !ok {
		return Customer{}, apperr.NotFound("no customer with id %d", id)
	}
	return c, nil
}

// Count returns the number of customers (staff only).
func (s *Service) Count(ctx context.Context) (int, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return 0, err
	}
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM customers`)
	return n, err
}

// NewCustomer is a customer to create.
type NewCustomer struct {
	Email        string
	Phone        string
	Name         string
	PasswordHash string
}

// Normalize validates and normalises n's contact details, returning every problem.
func (n *NewCustomer) Normalize() error {
	var errs apperr.List
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		errs = append(errs, apperr.Invalid("name", "enter your name"))
	}
	if n.Email != "" || n.Phone == "" {
		email, err := NormalizeEmail("email", n.Email)
		if err != nil {
			errs = append(errs, err.(*apperr.Error))
		}
		n.Email = email
	}
	if n.Phone != "" {
		phone, err := NormalizePhone("phone", n.Phone, "TW")
		if err != nil {
			errs = append(errs, err.(*apperr.Error))
		}
		n.Phone = phone
	}
	return errs.Err()
}

// Create inserts n (already normalised) using ext, so callers can do it inside their own
// transaction. Errors: apperr.Conflict (reason DUPLICATE) when the email or phone belongs
// to another customer.
func Create(ctx context.Context, ext sqlx.ExtContext, n NewCustomer) (Customer, error) {
	var c Customer
	err := sqlx.GetContext(ctx, ext, &c, `INSERT INTO customers (email, phone, name, password_hash)
		VALUES (nullif($1, ''), nullif($2, ''), $3, nullif($4, '')) RETURNING `+columns,
		n.Email, n.Phone, n.Name, n.PasswordHash)
	switch {
	case postgres.IsUniqueViolation(err, "customers_email_key"):
		return c, apperr.Conflict("email", "an account with this email already exists; sign in instead").WithReason("DUPLICATE")
	case postgres.IsUniqueViolation(err, "customers_phone_key"):
		return c, apperr.Conflict("phone", "this phone number already belongs to a member; sign in or ask a store to link it").WithReason("DUPLICATE")
	case postgres.IsUniqueViolation(err, "customer_identities_value_key"):
		// Another member has this email or phone as a second identity (see identity.go).
		return c, apperr.Conflict("email", "this email or phone already belongs to a member; sign in or ask a store to link it").WithReason("DUPLICATE")
	case err != nil:
		return c, fmt.Errorf("create customer: %w", err)
	}
	return c, nil
}

// NormalizeEmail lower-cases and validates an email address.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", apperr.Invalid(field, "enter an email address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return "", apperr.Invalid(field, "%q is not an email address (expected name@example.com)", s)
	}
	return s, nil
}

// countryCodes maps the countries Atrium knows local phone formats of to their calling codes.
var countryCodes = map[string]string{"TW": "886", "JP": "81", "HK": "852", "SG": "65", "US": "1", "GB": "44"}

// NormalizePhone returns a phone number in E.164 (+886912345678). Local numbers with a
// trunk prefix 0 (0912-345-678) are read in defaultCountry.
func NormalizePhone(field, s, defaultCountry string) (string, error) {
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r == '+':
			return r
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			return -1
		}
		return 'x'
	}, strings.TrimSpace(s))
	bad := apperr.Invalid(field, "%q is not a phone number; use the international form, e.g. +886 912 345 678", s)
	if strings.Contains(digits, "x") || strings.LastIndex(digits, "+") > 0 {
		return "", bad
	}
	switch {
	case strings.HasPrefix(digits, "+"):
	case strings.HasPrefix(digits, "00"):
		digits = "+" + digits[2:]
	case strings.HasPrefix(digits, "0"):
		cc, ok := countryCodes[defaultCountry]
		if !ok {
			return "", bad
		}
		digits = "+" + cc + digits[1:]
	default:
		return "", bad
	}
	if n := len(digits) - 1; n < 7 || n > 15 || digits[1] == '0' {
		return "", bad
	}
	return digits, nil
}
