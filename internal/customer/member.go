package customer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// Member is a customer with their membership details.
type Member struct {
	ID               int64      `db:"id" json:"id"`
	MemberNumber     string     `db:"member_number" json:"memberNumber"`
	Name             string     `db:"name" json:"name"`
	Email            *string    `db:"email" json:"email,omitempty"`
	Phone            *string    `db:"phone" json:"phone,omitempty"`
	HasPassword      bool       `db:"has_password" json:"hasPassword"`
	JoinedChannel    string     `db:"joined_channel" json:"joinedChannel"`
	JoinedLocationID *int64     `db:"joined_location_id" json:"joinedLocationId,omitempty"`
	JoinedByStaffID  *int64     `db:"joined_by_staff_id" json:"joinedByStaffId,omitempty"`
	MergedIntoID     *int64     `db:"merged_into_id" json:"mergedIntoId,omitempty"`
	MergedAt         *time.Time `db:"merged_at" json:"mergedAt,omitempty"`
	ErasedAt         *time.Time `db:"erased_at" json:"erasedAt,omitempty"`
	CreatedAt        time.Time  `db:"created_at" json:"createdAt"`
}

const memberColumns = `id, member_number, name, email, phone, password_hash IS NOT NULL AS has_password, joined_channel,
	joined_location_id, joined_by_staff_id, merged_into_id, merged_at, erased_at, created_at`

func memberByID(ctx context.Context, q sqlx.QueryerContext, id int64) (Member, error) {
	var m Member
	err := sqlx.GetContext(ctx, q, &m, `SELECT `+memberColumns+` FROM customers WHERE id = $1`, id)
	return m, postgres.NotFound(err, "no customer with id %d", id)
}

// Member returns a customer's membership details: staff see anyone, a customer themself.
func (s *Service) Member(ctx context.Context, id int64) (Member, error) {
	if err := canSee(ctx, id); err != nil {
		return Member{}, err
	}
	return memberByID(ctx, s.db, id)
}

// Consent purposes and channels.
var (
	ConsentPurposes = []string{"MARKETING_EMAIL", "MARKETING_SMS", "PERSONALISATION", "TERMS"}
	ConsentChannels = []string{"WEB", "APP", "POS", "MARKETPLACE", "BACK_OFFICE", "EMAIL_LINK"}
)

// Consent is a consent given or withdrawn, with when and through which channel.
type Consent struct {
	ID         int64     `db:"id" json:"id"`
	CustomerID int64     `db:"customer_id" json:"customerId"`
	Purpose    string    `db:"purpose" json:"purpose"`
	Granted    bool      `db:"granted" json:"granted"`
	Channel    string    `db:"channel" json:"channel"`
	LocationID *int64    `db:"location_id" json:"locationId,omitempty"`
	Statement  string    `db:"statement" json:"statement,omitempty"`
	ActorKind  string    `db:"actor_kind" json:"actorKind"`
	RecordedAt time.Time `db:"recorded_at" json:"recordedAt"`
}

const consentColumns = `id, customer_id, purpose, granted, channel, location_id, statement, actor_kind, recorded_at`

// ConsentChoice is one consent as the customer gave it.
type ConsentChoice struct {
	Purpose string
	Granted bool
}

func validateChoices(field string, cs []ConsentChoice) apperr.List {
	var errs apperr.List
	seen := map[string]bool{}
	for i, c := range cs {
		f := fmt.Sprintf("%s.%d.purpose", field, i)
		switch {
		case !slices.Contains(ConsentPurposes, c.Purpose):
			errs = append(errs, apperr.Invalid(f, "%q is not a consent purpose; use one of %s", c.Purpose, strings.Join(ConsentPurposes, ", ")))
		case seen[c.Purpose]:
			errs = append(errs, apperr.Invalid(f, "%s is given twice", c.Purpose))
		}
		seen[c.Purpose] = true
	}
	return errs
}

// insertConsent records one consent by the actor in ctx.
func insertConsent(ctx context.Context, ext sqlx.ExtContext, customerID int64, c ConsentChoice, channel string, location *int64, statement string) (Consent, error) {
	a := actor.From(ctx)
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	var out Consent
	err := sqlx.GetContext(ctx, ext, &out, `INSERT INTO customer_consents (customer_id, purpose, granted, channel, location_id, statement, actor_kind, actor_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+consentColumns,
		customerID, c.Purpose, c.Granted, channel, location, statement, string(a.Kind), actorID)
	if err != nil {
		return out, fmt.Errorf("record consent: %w", err)
	}
	return out, nil
}

// RegisterMemberInput is a store sign-up from a tablet.
type RegisterMemberInput struct {
	Name  string
	Phone string // any local form; read as a Taiwanese number unless international
	Email string // optional
	// The customer's choices, as shown on the tablet (at least one).
	Consents []ConsentChoice
	// The wording the customer agreed to, or its version, kept with each consent.
	Statement string
	// The store; defaults to the associate's home store.
	LocationID *int64
}

// RegisterMember signs a shopper up at a store: an associate (or manager) enters the name
// and phone, and the consents the customer gave, which are recorded with the time, the
// POS channel and the store. The new member gets a member number. Errors: apperr.Invalid
// (every problem at once), apperr.Conflict (DUPLICATE) when the phone or email already
// belongs to a member (naming their member number), apperr.Forbidden.
func (s *Service) RegisterMember(ctx context.Context, in RegisterMemberInput) (Member, error) {
	a, err := actor.RequireStaff(ctx, actor.Associate, actor.Manager)
	if err != nil {
		return Member{}, err
	}
	var errs apperr.List
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	if in.Name == "" {
		errs = append(errs, apperr.Invalid("name", "enter the customer's name"))
	} else if len([]rune(in.Name)) > 100 {
		errs = append(errs, apperr.Invalid("name", "the name is longer than 100 characters"))
	}
	if strings.TrimSpace(in.Phone) == "" {
		errs = append(errs, apperr.Invalid("phone", "enter the customer's mobile number"))
	} else if p, err := NormalizePhone("phone", in.Phone, "TW"); err != nil {
		errs = append(errs, err.(*apperr.Error))
	} else {
		in.Phone = p
	}
	if strings.TrimSpace(in.Email) != "" {
		if e, err := NormalizeEmail("email", in.Email); err != nil {
			errs = append(errs, err.(*apperr.Error))
		} else {
			in.Email = e
		}
	}
	if len(in.Consents) == 0 {
		errs = append(errs, apperr.Invalid("consents", "record the customer's consent choices (yes or no for each one asked)"))
	}
	errs = append(errs, validateChoices("consents", in.Consents)...)
	loc := in.LocationID
	if loc == nil {
		loc = a.HomeLocationID
	}
	if loc == nil && a.Kind == actor.Staff {
		errs = append(errs, apperr.Invalid("locationId", "choose the store the customer signs up at"))
	}
	if err := errs.Err(); err != nil {
		return Member{}, err
	}
	var staffID *int64
	if a.Kind == actor.Staff {
		staffID = &a.ID
	}
	var m Member
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO customers (name, phone, email, joined_channel, joined_location_id, joined_by_staff_id)
			VALUES ($1, $2, nullif($3, ''), 'POS', $4, $5) RETURNING id`, in.Name, in.Phone, in.Email, loc, staffID)
		if err != nil {
			if postgres.IsUniqueViolation(err, "") {
				ident := IdentityInput{Kind: IdentityPhone, Value: in.Phone}
				if postgres.IsUniqueViolation(err, "customers_email_key") {
					ident = IdentityInput{Kind: IdentityEmail, Value: in.Email}
				} else if in.Email != "" {
					var taken bool
					_ = s.db.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM customer_identities WHERE kind = 'PHONE' AND value = $1)`, in.Phone)
					if !taken {
						ident = IdentityInput{Kind: IdentityEmail, Value: in.Email}
					}
				}
				ce := identityConflict(ctx, s.db, err, ident)
				if e, ok := apperr.As(ce); ok {
					e.Field = []string{strings.ToLower(ident.Kind)}
				}
				return ce
			}
			if postgres.IsForeignKeyViolation(err) {
				return apperr.Invalid("locationId", "no store with id %d", *loc)
			}
			return fmt.Errorf("register member: %w", err)
		}
		for _, c := range in.Consents {
			if _, err := insertConsent(ctx, tx, id, c, "POS", loc, in.Statement); err != nil {
				return err
			}
		}
		if m, err = memberByID(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.registered_in_store", Entity: "customer", EntityID: id,
			After: map[string]any{"memberNumber": m.MemberNumber, "locationId": loc}})
	})
	return m, err
}

// ConsentInput is a consent recorded after sign-up.
type ConsentInput struct {
	Purpose   string
	Granted   bool
	Channel   string // where it was given: WEB, APP, POS, MARKETPLACE, BACK_OFFICE, EMAIL_LINK
	Statement string
}

// RecordConsent records a consent given or withdrawn: by the customer (from WEB, APP or
// an EMAIL_LINK such as unsubscribe) or by staff on their behalf (POS, BACK_OFFICE).
// Errors: apperr.Invalid, apperr.Forbidden, apperr.NotFound.
func (s *Service) RecordConsent(ctx context.Context, customerID int64, in ConsentInput) (Consent, error) {
	if err := canSee(ctx, customerID); err != nil {
		return Consent{}, err
	}
	a := actor.From(ctx)
	errs := validateChoices("", []ConsentChoice{{Purpose: in.Purpose}})
	for i := range errs {
		errs[i].Field = []string{"purpose"}
	}
	switch {
	case !slices.Contains(ConsentChannels, in.Channel):
		errs = append(errs, apperr.Invalid("channel", "%q is not a channel; use one of %s", in.Channel, strings.Join(ConsentChannels, ", ")))
	case a.Kind == actor.Customer && !slices.Contains([]string{"WEB", "APP", "EMAIL_LINK"}, in.Channel):
		errs = append(errs, apperr.Invalid("channel", "a customer gives consent on the WEB, in the APP or by an EMAIL_LINK"))
	}
	if err := errs.Err(); err != nil {
		return Consent{}, err
	}
	var out Consent
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := activeCustomer(ctx, tx, customerID, "customer"); err != nil {
			return err
		}
		var err error
		out, err = insertConsent(ctx, tx, customerID, ConsentChoice{Purpose: in.Purpose, Granted: in.Granted}, in.Channel, a.HomeLocationID, in.Statement)
		return err
	})
	return out, err
}

// Consents returns the consents in force (the latest per purpose) and, with history, every
// one recorded, newest first.
func (s *Service) Consents(ctx context.Context, customerID int64, history bool) ([]Consent, error) {
	if err := canSee(ctx, customerID); err != nil {
		return nil, err
	}
	return consentsOf(ctx, s.db, customerID, history)
}

func consentsOf(ctx context.Context, q sqlx.QueryerContext, customerID int64, history bool) ([]Consent, error) {
	query := `SELECT DISTINCT ON (purpose) ` + consentColumns + ` FROM customer_consents WHERE customer_id = $1
		ORDER BY purpose, recorded_at DESC, id DESC`
	if history {
		query = `SELECT ` + consentColumns + ` FROM customer_consents WHERE customer_id = $1 ORDER BY recorded_at DESC, id DESC`
	}
	var out []Consent
	if err := sqlx.SelectContext(ctx, q, &out, query, customerID); err != nil {
		return nil, fmt.Errorf("consents: %w", err)
	}
	return out, nil
}
