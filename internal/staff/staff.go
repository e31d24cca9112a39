// Package staff manages staff accounts: who works for the retailer, in which roles and at
// which home location. Signing in is the auth package's job.
package staff

import (
	"context"
	"database/sql/driver"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/password"
	"atrium/internal/postgres"
)

// Roles is a set of staff roles, stored as a text[] column.
type Roles []actor.Role

// Scan implements sql.Scanner.
func (r *Roles) Scan(src any) error {
	var a pq.StringArray
	if err := a.Scan(src); err != nil {
		return err
	}
	*r = make(Roles, len(a))
	for i, s := range a {
		(*r)[i] = actor.Role(s)
	}
	return nil
}

// Value implements driver.Valuer.
func (r Roles) Value() (driver.Value, error) {
	a := make(pq.StringArray, len(r))
	for i, x := range r {
		a[i] = string(x)
	}
	return a.Value()
}

// Member is a staff account.
type Member struct {
	ID             int64     `db:"id" json:"id"`
	Login          string    `db:"login" json:"login"`
	Name           string    `db:"name" json:"name"`
	Email          *string   `db:"email" json:"email"`
	Roles          Roles     `db:"roles" json:"roles"`
	HomeLocationID *int64    `db:"home_location_id" json:"homeLocationId"`
	Active         bool      `db:"active" json:"active"`
	CreatedAt      time.Time `db:"created_at" json:"-"`
}

// Service is the staff account use cases.
type Service struct {
	db     *sqlx.DB
	params password.Params
}

// NewService returns a Service on d hashing passwords with params.
func NewService(d *sqlx.DB, params password.Params) *Service { return &Service{db: d, params: params} }

const columns = `id, login, name, email, roles, home_location_id, active, created_at`

// viewers may see the staff list; only admins change it.
var viewers = []actor.Role{actor.Admin, actor.HR, actor.Manager}

// List returns every staff account, active first, by name. Admins, HR and managers only.
func (s *Service) List(ctx context.Context) ([]Member, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	var out []Member
	err := s.db.SelectContext(ctx, &out, `SELECT `+columns+` FROM staff ORDER BY active DESC, name, id`)
	return out, err
}

// ByIDs returns staff accounts by id. Any staff member may see colleagues' names and
// roles; customers and anonymous callers get Forbidden/Unauthenticated.
func (s *Service) ByIDs(ctx context.Context, ids []int64) (map[int64]Member, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var rows []Member
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+columns+` FROM staff WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	out := make(map[int64]Member, len(rows))
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}

// Get returns one staff account, or apperr.NotFound.
func (s *Service) Get(ctx context.Context, id int64) (Member, error) {
	m, err := s.ByIDs(ctx, []int64{id})
	if err != nil {
		return Member{}, err
	}
	if mm, ok := m[id]; ok {
		return mm, nil
	}
	return Member{}, apperr.NotFound("no staff member with id %d", id)
}

// Count returns the number of active staff accounts.
func (s *Service) Count(ctx context.Context) (int, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return 0, err
	}
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM staff WHERE active`)
	return n, err
}

// Input is a staff account as an admin edits it.
type Input struct {
	Login          string
	Name           string
	Email          string
	Roles          []actor.Role
	HomeLocationID *int64
	Active         bool
	// Password is required on Create and ignored on Update (see ResetPassword).
	Password string
}

// Create adds a staff account. Admins only. Errors: apperr.List of invalid fields,
// Conflict for a login in use, Forbidden.
func (s *Service) Create(ctx context.Context, in Input) (Member, error) {
	if _, err := actor.RequireStaff(ctx, actor.Admin); err != nil {
		return Member{}, err
	}
	errs := in.normalize()
	if err := password.Validate("password", in.Password); err != nil {
		errs = append(errs, err.(*apperr.Error))
	}
	if len(errs) > 0 {
		return Member{}, errs
	}
	hash, err := password.Hash(in.Password, s.params)
	if err != nil {
		return Member{}, err
	}
	var m Member
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &m, `INSERT INTO staff (login, name, email, roles, home_location_id, active, password_hash)
			VALUES ($1, $2, nullif($3, ''), $4, $5, $6, $7) RETURNING `+columns,
			in.Login, in.Name, in.Email, Roles(in.Roles), in.HomeLocationID, in.Active, hash)
		if err != nil {
			return mapErr(err, in)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "staff.created", Entity: "staff", EntityID: m.ID, After: m})
	})
	return m, err
}

// Update changes a staff account's profile, roles, home location and status. Role
// changes are audited; deactivating an account revokes its tokens and sessions. An admin
// cannot remove their own ADMIN role or deactivate themself (so the shop is never left
// without an admin by accident). Errors: as Create, plus NotFound.
func (s *Service) Update(ctx context.Context, id int64, in Input, reason string) (Member, error) {
	a, err := actor.RequireStaff(ctx, actor.Admin)
	if err != nil {
		return Member{}, err
	}
	errs := in.normalize()
	if a.ID == id && (!slices.Contains(in.Roles, actor.Admin) || !in.Active) {
		errs = append(errs, apperr.Invalid("roles", "you cannot remove your own ADMIN role or deactivate yourself; ask another admin"))
	}
	if len(errs) > 0 {
		return Member{}, errs
	}
	var before, after Member
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &before, `SELECT `+columns+` FROM staff WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return postgres.NotFound(err, "no staff member with id %d", id)
		}
		err = tx.GetContext(ctx, &after, `UPDATE staff SET login=$2, name=$3, email=nullif($4, ''), roles=$5,
			home_location_id=$6, active=$7, updated_at=now() WHERE id = $1 RETURNING `+columns,
			id, in.Login, in.Name, in.Email, Roles(in.Roles), in.HomeLocationID, in.Active)
		if err != nil {
			return mapErr(err, in)
		}
		if !slices.Equal(before.Roles, after.Roles) || before.Active != after.Active {
			if err := audit.Record(ctx, tx, audit.Entry{Action: "staff.access_changed", Entity: "staff", EntityID: id,
				Before: map[string]any{"roles": before.Roles, "active": before.Active},
				After:  map[string]any{"roles": after.Roles, "active": after.Active}, Reason: reason}); err != nil {
				return err
			}
		}
		if !after.Active {
			return revokeAccess(ctx, tx, id)
		}
		return nil
	})
	return after, err
}

// ResetPassword sets a new password for a staff account and signs it out everywhere.
// Admins only; audited. Errors: Invalid (too short), NotFound, Forbidden.
func (s *Service) ResetPassword(ctx context.Context, id int64, newPassword string) error {
	if _, err := actor.RequireStaff(ctx, actor.Admin); err != nil {
		return err
	}
	if err := password.Validate("password", newPassword); err != nil {
		return apperr.List{err.(*apperr.Error)}
	}
	hash, err := password.Hash(newPassword, s.params)
	if err != nil {
		return err
	}
	return postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET password_hash = $2, updated_at = now() WHERE id = $1`, id, hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("no staff member with id %d", id)
		}
		if err := revokeAccess(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "staff.password_reset", Entity: "staff", EntityID: id})
	})
}

// revokeAccess ends a staff member's bearer tokens. Back-office sessions check the
// account on every request, so they end too.
func revokeAccess(ctx context.Context, ext sqlx.ExtContext, id int64) error {
	_, err := ext.ExecContext(ctx, `UPDATE auth_tokens SET revoked_at = now() WHERE staff_id = $1 AND revoked_at IS NULL`, id)
	return err
}

func mapErr(err error, in Input) error {
	if postgres.IsUniqueViolation(err, "staff_login_key") {
		return apperr.List{apperr.Conflict("login", "the login %q is taken; choose another", in.Login).WithReason("DUPLICATE")}
	}
	if postgres.IsForeignKeyViolation(err) {
		return apperr.List{apperr.Invalid("homeLocationId", "that location does not exist")}
	}
	return postgres.MapError(err)
}

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

func (in *Input) normalize() apperr.List {
	in.Login = strings.ToLower(strings.TrimSpace(in.Login))
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	var errs apperr.List
	if !loginPattern.MatchString(in.Login) {
		errs = append(errs, apperr.Invalid("login", "a login has 2–40 lower-case letters, digits, dots, dashes or underscores"))
	}
	if in.Name == "" {
		errs = append(errs, apperr.Invalid("name", "enter the person's name"))
	}
	if in.Email != "" && !strings.Contains(in.Email, "@") {
		errs = append(errs, apperr.Invalid("email", "%q is not an email address", in.Email))
	}
	if len(in.Roles) == 0 {
		errs = append(errs, apperr.Invalid("roles", "choose at least one role"))
	}
	seen := map[actor.Role]bool{}
	roles := in.Roles[:0]
	for _, r := range in.Roles {
		if !r.Valid() {
			errs = append(errs, apperr.Invalid("roles", "unknown role %q", r))
			continue
		}
		if !seen[r] {
			seen[r] = true
			roles = append(roles, r)
		}
	}
	slices.SortFunc(roles, func(a, b actor.Role) int { return slices.Index(actor.Roles, a) - slices.Index(actor.Roles, b) })
	in.Roles = roles
	if seen[actor.Associate] && in.HomeLocationID == nil {
		errs = append(errs, apperr.Invalid("homeLocationId", "an associate needs a home store"))
	}
	return errs
}

// String is for logs.
func (m Member) String() string { return fmt.Sprintf("%s (%s)", m.Login, m.Name) }

// CanView reports whether a may see the staff list, so a transport can hide it from
// everyone else; List still checks on its own.
func CanView(a actor.Actor) bool { return a.HasRole(viewers...) }

// CanEdit reports whether a may create and change staff accounts and reset passwords.
func CanEdit(a actor.Actor) bool { return a.HasRole(actor.Admin) }
