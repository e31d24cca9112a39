package customer

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// Identity kinds: a way to recognise a customer, unique across customers.
const (
	IdentityEmail    = "EMAIL"
	IdentityPhone    = "PHONE"
	IdentityExternal = "EXTERNAL"
)

// Identity is one email, phone or external account id of a customer.
type Identity struct {
	ID         int64      `db:"id" json:"id"`
	CustomerID int64      `db:"customer_id" json:"customerId"`
	Kind       string     `db:"kind" json:"kind"`
	Provider   string     `db:"provider" json:"provider,omitempty"`
	Value      string     `db:"value" json:"value"`
	VerifiedAt *time.Time `db:"verified_at" json:"verifiedAt,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"createdAt"`
}

const identityColumns = `id, customer_id, kind, provider, value, verified_at, created_at`

// IdentityInput is an identity to add or look up. Phones may be in local form (read in
// Country, TW by default).
type IdentityInput struct {
	Kind     string
	Provider string // EXTERNAL only: LINE, SHOPEE, ...
	Value    string
	Country  string
}

var (
	providerRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,29}$`)
	externalRe = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)
)

// Normalize validates in and puts its value in canonical form: emails lower case, phones
// E.164, external ids as given (printable, no spaces) with the provider upper case.
func (in *IdentityInput) Normalize() error {
	in.Kind = strings.ToUpper(strings.TrimSpace(in.Kind))
	in.Provider = strings.ToUpper(strings.TrimSpace(in.Provider))
	in.Value = strings.TrimSpace(in.Value)
	country := in.Country
	if country == "" {
		country = "TW"
	}
	var err error
	switch in.Kind {
	case IdentityEmail:
		in.Provider = ""
		in.Value, err = NormalizeEmail("value", in.Value)
	case IdentityPhone:
		in.Provider = ""
		in.Value, err = NormalizePhone("value", in.Value, country)
	case IdentityExternal:
		var errs apperr.List
		if !providerRe.MatchString(in.Provider) {
			errs = append(errs, apperr.Invalid("provider", "%q is not a provider code; use capitals, digits and _ (e.g. LINE, SHOPEE)", in.Provider))
		}
		if !externalRe.MatchString(in.Value) {
			errs = append(errs, apperr.Invalid("value", "enter the account id at the provider (1 to 200 printable characters, no spaces)"))
		}
		err = errs.Err()
	default:
		err = apperr.Invalid("kind", "%q is not an identity kind; use EMAIL, PHONE or EXTERNAL", in.Kind)
	}
	return err
}

// identityConflict turns the identity uniqueness violation into a clear message.
func identityConflict(ctx context.Context, q sqlx.QueryerContext, err error, in IdentityInput) error {
	if !postgres.IsUniqueViolation(err, "customer_identities_value_key") && !postgres.IsUniqueViolation(err, "customers_email_key") &&
		!postgres.IsUniqueViolation(err, "customers_phone_key") {
		return err
	}
	var number string
	_ = sqlx.GetContext(ctx, q, &number, `SELECT c.member_number FROM customer_identities i JOIN customers c ON c.id = i.customer_id
		WHERE i.kind = $1 AND i.provider = $2 AND i.value = $3`, in.Kind, in.Provider, in.Value)
	msg := "this " + strings.ToLower(in.Kind) + " already belongs to another member"
	if number != "" {
		msg += " (" + number + "); look them up, or merge the two customers"
	}
	return apperr.Conflict("value", "%s", msg).WithReason("DUPLICATE")
}

// AddIdentity attaches an identity to a customer (staff: an associate adding a LINE id or
// a second email; the system: a marketplace buyer id). Errors: apperr.Invalid for a bad
// value, apperr.Conflict (DUPLICATE) when it belongs to another customer (naming their
// member number so staff can merge), apperr.NotFound, apperr.Forbidden.
func (s *Service) AddIdentity(ctx context.Context, customerID int64, in IdentityInput) (Identity, error) {
	if _, err := actor.RequireStaff(ctx, actor.Associate, actor.Manager); err != nil {
		return Identity{}, err
	}
	if err := in.Normalize(); err != nil {
		return Identity{}, err
	}
	var out Identity
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := activeCustomer(ctx, tx, customerID, "customer"); err != nil {
			return err
		}
		var existing []Identity
		if err := tx.SelectContext(ctx, &existing, `SELECT `+identityColumns+` FROM customer_identities
			WHERE kind = $1 AND provider = $2 AND value = $3`, in.Kind, in.Provider, in.Value); err != nil {
			return err
		}
		if len(existing) > 0 && existing[0].CustomerID == customerID {
			out = existing[0]
			return nil
		}
		err := tx.GetContext(ctx, &out, `INSERT INTO customer_identities (customer_id, kind, provider, value)
			VALUES ($1, $2, $3, $4) RETURNING `+identityColumns, customerID, in.Kind, in.Provider, in.Value)
		if err != nil {
			return identityConflict(ctx, s.db, err, in)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.identity_added", Entity: "customer", EntityID: customerID,
			After: map[string]string{"kind": in.Kind, "provider": in.Provider}})
	})
	return out, err
}

// RemoveIdentity detaches an identity. The customer's contact email and phone are changed
// on the customer, not here. Errors: apperr.NotFound, apperr.Invalid (CONTACT), Forbidden.
func (s *Service) RemoveIdentity(ctx context.Context, identityID int64) error {
	if _, err := actor.RequireStaff(ctx, actor.Associate, actor.Manager); err != nil {
		return err
	}
	return postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var id struct {
			Identity
			Contact bool `db:"contact"`
		}
		err := tx.GetContext(ctx, &id, `SELECT i.id, i.customer_id, i.kind, i.provider, i.value, i.verified_at, i.created_at,
				(i.kind = 'EMAIL' AND i.value = c.email) OR (i.kind = 'PHONE' AND i.value = c.phone) AS contact
			FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.id = $1 FOR UPDATE OF i`, identityID)
		if err != nil {
			return postgres.NotFound(err, "no identity with id %d", identityID)
		}
		if id.Contact {
			return apperr.Invalid("identity", "this is the customer's contact %s; change the contact instead", strings.ToLower(id.Kind)).WithReason("CONTACT")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_identities WHERE id = $1`, identityID); err != nil {
			return fmt.Errorf("remove identity: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.identity_removed", Entity: "customer", EntityID: id.CustomerID,
			Before: map[string]string{"kind": id.Kind, "provider": id.Provider}})
	})
}

// Identities returns a customer's identities: staff see anyone's, a customer their own.
func (s *Service) Identities(ctx context.Context, customerID int64) ([]Identity, error) {
	if err := canSee(ctx, customerID); err != nil {
		return nil, err
	}
	return identitiesOf(ctx, s.db, customerID)
}

func identitiesOf(ctx context.Context, q sqlx.QueryerContext, customerID int64) ([]Identity, error) {
	var out []Identity
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+identityColumns+` FROM customer_identities WHERE customer_id = $1 ORDER BY id`, customerID); err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	return out, nil
}

// FindByIdentity returns the member an email, phone (any local form) or external id
// belongs to (staff only; a merged customer's identities are the survivor's). Errors:
// apperr.Invalid for a malformed value, apperr.NotFound when nobody has it.
func (s *Service) FindByIdentity(ctx context.Context, in IdentityInput) (Member, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Member{}, err
	}
	if err := in.Normalize(); err != nil {
		return Member{}, err
	}
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT customer_id FROM customer_identities WHERE kind = $1 AND provider = $2 AND value = $3`,
		in.Kind, in.Provider, in.Value)
	if err != nil {
		return Member{}, postgres.NotFound(err, "no member has this %s", strings.ToLower(in.Kind))
	}
	return memberByID(ctx, s.db, id)
}

func canSee(ctx context.Context, customerID int64) error {
	a := actor.From(ctx)
	switch {
	case a.IsStaff(), a.Kind == actor.Customer && a.ID == customerID:
		return nil
	case a.Kind == actor.Anonymous:
		return apperr.Unauthenticated("sign in to do this")
	}
	return apperr.Forbidden("you can only see your own details")
}

// activeCustomer locks a customer that is neither merged away nor erased, or explains.
func activeCustomer(ctx context.Context, ext sqlx.ExtContext, id int64, field string) error {
	var c struct {
		MergedInto *int64     `db:"merged_into_id"`
		Number     *string    `db:"survivor"`
		ErasedAt   *time.Time `db:"erased_at"`
	}
	err := sqlx.GetContext(ctx, ext, &c, `SELECT c.merged_into_id, s.member_number AS survivor, c.erased_at FROM customers c
		LEFT JOIN customers s ON s.id = c.merged_into_id WHERE c.id = $1 FOR UPDATE OF c`, id)
	if err != nil {
		return postgres.NotFound(err, "no customer with id %d", id)
	}
	if c.MergedInto != nil {
		return apperr.Invalid(field, "customer %d was merged into member %s; use that member", id, *c.Number).WithReason("MERGED")
	}
	if c.ErasedAt != nil {
		return apperr.Invalid(field, "customer %d's personal data was erased on request", id).WithReason("ERASED")
	}
	return nil
}
