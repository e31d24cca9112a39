package customer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/notify"
	"atrium/internal/password"
	"atrium/internal/postgres"
)

// Linking: a shopper who joined in a store registers online with the same email or phone.
// Instead of a second customer, they prove they own the identity on file with a one-time
// code, and the online credentials join the existing member.

// LinkOptions tune the linking flow; zero values take the defaults.
type LinkOptions struct {
	// Password is the cost of the online password's hash (password.Default).
	Password password.Params
	// CodeTTL is how long a code is valid (10 minutes).
	CodeTTL time.Duration
	// MaxAttempts wrong codes lock the challenge (5).
	MaxAttempts int
	// MaxStarts codes may be asked for one identity per StartWindow (3 per 15 minutes), so
	// nobody can flood a member's inbox or phone.
	MaxStarts   int
	StartWindow time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// Linker runs the linking flow.
type Linker struct {
	db   *sqlx.DB
	opts LinkOptions
}

// NewLinker returns a Linker on d.
func NewLinker(d *sqlx.DB, opts LinkOptions) *Linker {
	if opts.Password == (password.Params{}) {
		opts.Password = password.Default
	}
	if opts.CodeTTL <= 0 {
		opts.CodeTTL = 10 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.MaxStarts <= 0 {
		opts.MaxStarts = 3
	}
	if opts.StartWindow <= 0 {
		opts.StartWindow = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Linker{db: d, opts: opts}
}

// LinkStart is the online registration that matched an existing member.
type LinkStart struct {
	Email string // the online account's email (required)
	Phone string // optional; any local form
}

// LinkChallenge is a code sent: the id to confirm it with and where it went (masked).
type LinkChallenge struct {
	ID string `json:"id"`
	// Via is EMAIL or PHONE: the member's identity the code was sent to.
	Via         string    `json:"via"`
	Destination string    `json:"destination"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// Reasons of the linking errors, for clients to react to.
const (
	LinkReasonNoMatch        = "NO_MATCH"
	LinkReasonAmbiguous      = "AMBIGUOUS"
	LinkReasonHasAccount     = "HAS_ONLINE_ACCOUNT"
	LinkReasonWrongCode      = "WRONG_CODE"
	LinkReasonExpired        = "CODE_EXPIRED"
	LinkReasonLocked         = "TOO_MANY_ATTEMPTS"
	LinkReasonAlreadyLinked  = "ALREADY_LINKED"
	LinkReasonIdentityTaken  = "DUPLICATE"
	LinkReasonMemberInactive = "MEMBER_INACTIVE"
)

type linkMatch struct {
	ID          int64   `db:"id"`
	Email       *string `db:"email"`
	Phone       *string `db:"phone"`
	HasPassword bool    `db:"has_password"`
	Merged      bool    `db:"merged"`
	Erased      bool    `db:"erased"`
}

// StartLink looks for the member who has the registration's email or phone and sends a
// 6-digit code to that identity through the outbox (kind VERIFICATION_CODE): to the email
// when the email matched, else by SMS to the phone. Errors: apperr.Invalid for bad input;
// NotFound (NO_MATCH) when nobody has them (register normally); Conflict when the email
// and phone belong to two different members (AMBIGUOUS), when the member already has an
// online account (HAS_ONLINE_ACCOUNT: sign in or reset the password), or when the
// registration's other identity belongs to someone else (DUPLICATE); RateLimited after
// MaxStarts codes for one identity in StartWindow.
func (l *Linker) StartLink(ctx context.Context, in LinkStart) (LinkChallenge, error) {
	n := NewCustomer{Email: in.Email, Phone: in.Phone, Name: "-"}
	if strings.TrimSpace(in.Email) == "" {
		n.Email = " "
	}
	if err := n.Normalize(); err != nil {
		return LinkChallenge{}, err
	}
	var out LinkChallenge
	err := postgres.InTx(ctx, l.db, func(tx *sqlx.Tx) error {
		byEmail, err := linkOwner(ctx, tx, IdentityEmail, n.Email)
		if err != nil {
			return err
		}
		var byPhone *linkMatch
		if n.Phone != "" {
			if byPhone, err = linkOwner(ctx, tx, IdentityPhone, n.Phone); err != nil {
				return err
			}
		}
		m, via, dest := byEmail, IdentityEmail, n.Email
		switch {
		case byEmail != nil && byPhone != nil && byEmail.ID != byPhone.ID:
			return apperr.Conflict("phone", "this email and this phone belong to two different members; ask a store to merge them").
				WithReason(LinkReasonAmbiguous)
		case byEmail == nil && byPhone == nil:
			return apperr.NotFound("no member has this email or phone; register a new account").WithReason(LinkReasonNoMatch)
		case byEmail == nil:
			m, via, dest = byPhone, IdentityPhone, n.Phone
		}
		switch {
		case m.Merged || m.Erased:
			return apperr.Conflict("email", "this membership is closed; ask a store for help").WithReason(LinkReasonMemberInactive)
		case m.HasPassword:
			return apperr.Conflict("email", "this member already has an online account; sign in, or reset the password").
				WithReason(LinkReasonHasAccount)
		}
		rateKey := via + ":" + dest
		// Serialise starts for one identity so that the count below holds.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "link:"+rateKey); err != nil {
			return err
		}
		now := l.opts.Now()
		var recent int
		if err := tx.GetContext(ctx, &recent, `SELECT count(*) FROM customer_link_challenges WHERE rate_key = $1 AND created_at > $2`,
			rateKey, now.Add(-l.opts.StartWindow)); err != nil {
			return fmt.Errorf("count link codes: %w", err)
		}
		if recent >= l.opts.MaxStarts {
			return apperr.RateLimited("%d codes were sent to this %s in the last %s; wait before asking for another",
				recent, strings.ToLower(via), l.opts.StartWindow).WithReason("RATE_LIMITED")
		}
		id, code, err := newChallenge()
		if err != nil {
			return err
		}
		out = LinkChallenge{ID: id, Via: via, Destination: maskIdentity(via, dest), ExpiresAt: now.Add(l.opts.CodeTTL)}
		_, err = tx.ExecContext(ctx, `INSERT INTO customer_link_challenges (id, customer_id, via, destination, email, phone, rate_key,
				code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7, $8, $9, $10)`,
			id, m.ID, via, dest, n.Email, n.Phone, rateKey, codeHash(id, code), out.ExpiresAt, now)
		if err != nil {
			return fmt.Errorf("record link code: %w", err)
		}
		msg := notify.Message{Kind: "VERIFICATION_CODE", To: dest, Reference: fmt.Sprintf("CUSTOMER:%d", m.ID),
			Subject: "Your Atrium verification code",
			Body: fmt.Sprintf("Your code to join your online account to your Atrium membership is %s.\n"+
				"It expires in %d minutes. If you did not ask for it, ignore this message.", code, int(l.opts.CodeTTL.Minutes()))}
		if via == IdentityPhone {
			msg.Channel = notify.SMS
			msg.Subject = ""
			msg.Body = fmt.Sprintf("Atrium code: %s (valid %d min). Not you? Ignore this.", code, int(l.opts.CodeTTL.Minutes()))
		}
		_, err = notify.Enqueue(ctx, tx, msg)
		return err
	})
	return out, err
}

// linkOwner returns the customer who has an identity, or nil.
func linkOwner(ctx context.Context, q sqlx.QueryerContext, kind, value string) (*linkMatch, error) {
	var m []linkMatch
	err := sqlx.SelectContext(ctx, q, &m, `SELECT c.id, c.email, c.phone, c.password_hash IS NOT NULL AS has_password,
			c.merged_into_id IS NOT NULL AS merged, c.erased_at IS NOT NULL AS erased
		FROM customer_identities i JOIN customers c ON c.id = i.customer_id
		WHERE i.kind = $1 AND i.provider = '' AND i.value = $2`, kind, value)
	if err != nil || len(m) == 0 {
		return nil, err
	}
	return &m[0], nil
}

// ConfirmLink checks the code and gives the member the online credentials: the
// registration's email becomes the contact email (a previous one stays as a second
// identity), the phone is added if the member had none, the identity the code went to is
// marked verified, and the password is set. It returns the member's id for the caller to
// sign them in. Errors: apperr.Invalid for a bad password or a wrong code (WRONG_CODE,
// with the tries left); NotFound for an unknown challenge; Invalid CODE_EXPIRED,
// TOO_MANY_ATTEMPTS (after MaxAttempts wrong codes, even the right one is refused) or
// ALREADY_LINKED; Conflict (DUPLICATE) if the email was taken meanwhile.
func (l *Linker) ConfirmLink(ctx context.Context, challengeID, code, pw string) (int64, error) {
	if err := password.Validate("password", pw); err != nil {
		return 0, err
	}
	code = strings.TrimSpace(code)
	var ch struct {
		CustomerID  int64      `db:"customer_id"`
		Via         string     `db:"via"`
		Destination string     `db:"destination"`
		Email       string     `db:"email"`
		Phone       *string    `db:"phone"`
		CodeHash    []byte     `db:"code_hash"`
		Attempts    int        `db:"attempts"`
		ExpiresAt   time.Time  `db:"expires_at"`
		ConfirmedAt *time.Time `db:"confirmed_at"`
	}
	var refused error // a refusal whose attempt count must still be committed
	err := postgres.InTx(ctx, l.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &ch, `SELECT customer_id, via, destination, email, phone, code_hash, attempts, expires_at, confirmed_at
			FROM customer_link_challenges WHERE id = $1 FOR UPDATE`, challengeID)
		if err != nil {
			return postgres.NotFound(err, "this verification is unknown; ask for a new code")
		}
		switch {
		case ch.ConfirmedAt != nil:
			return apperr.Invalid("code", "this code was already used; sign in").WithReason(LinkReasonAlreadyLinked)
		case ch.Attempts >= l.opts.MaxAttempts:
			return apperr.Invalid("code", "too many wrong codes; ask for a new code").WithReason(LinkReasonLocked)
		case !l.opts.Now().Before(ch.ExpiresAt):
			return apperr.Invalid("code", "the code has expired; ask for a new one").WithReason(LinkReasonExpired)
		}
		if subtle.ConstantTimeCompare(codeHash(challengeID, code), ch.CodeHash) != 1 {
			if _, err := tx.ExecContext(ctx, `UPDATE customer_link_challenges SET attempts = attempts + 1 WHERE id = $1`, challengeID); err != nil {
				return err
			}
			left := l.opts.MaxAttempts - ch.Attempts - 1
			if left == 0 {
				refused = apperr.Invalid("code", "wrong code, and that was the last try; ask for a new code").WithReason(LinkReasonLocked)
			} else {
				refused = apperr.Invalid("code", "wrong code; %d tries left", left).WithReason(LinkReasonWrongCode)
			}
			return nil
		}
		if err := activeCustomer(ctx, tx, ch.CustomerID, "code"); err != nil {
			return err
		}
		var hasPassword bool
		if err := tx.GetContext(ctx, &hasPassword, `SELECT password_hash IS NOT NULL FROM customers WHERE id = $1`, ch.CustomerID); err != nil {
			return err
		}
		if hasPassword {
			return apperr.Conflict("code", "this member already has an online account; sign in").WithReason(LinkReasonHasAccount)
		}
		hash, err := password.Hash(pw, l.opts.Password)
		if err != nil {
			return err
		}
		m, err := memberByID(ctx, tx, ch.CustomerID)
		if err != nil {
			return err
		}
		// The online email becomes the contact email (the sign-in); the trigger keeps the
		// identities in step, and a previous contact email is kept as a second identity.
		_, err = tx.ExecContext(ctx, `UPDATE customers SET email = $2, phone = coalesce(phone, $3), password_hash = $4, updated_at = now()
			WHERE id = $1`, ch.CustomerID, ch.Email, ch.Phone, hash)
		if err != nil {
			return identityConflict(ctx, tx, err, IdentityInput{Kind: IdentityEmail, Value: ch.Email})
		}
		if m.Email != nil && *m.Email != ch.Email {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (customer_id, kind, value) VALUES ($1, 'EMAIL', $2)
				ON CONFLICT DO NOTHING`, ch.CustomerID, *m.Email); err != nil {
				return err
			}
		}
		if ch.Phone != nil && m.Phone != nil && *m.Phone != *ch.Phone {
			_, err := tx.ExecContext(ctx, `INSERT INTO customer_identities (customer_id, kind, value) VALUES ($1, 'PHONE', $2)`, ch.CustomerID, *ch.Phone)
			if err != nil {
				return identityConflict(ctx, tx, err, IdentityInput{Kind: IdentityPhone, Value: *ch.Phone})
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customer_identities SET verified_at = coalesce(verified_at, now())
			WHERE customer_id = $1 AND kind = $2 AND provider = '' AND value = $3`, ch.CustomerID, ch.Via, ch.Destination); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customer_link_challenges SET confirmed_at = now() WHERE id = $1`, challengeID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.online_account_linked", Entity: "customer", EntityID: ch.CustomerID,
			After: map[string]string{"email": ch.Email, "verifiedBy": ch.Via}})
	})
	if err != nil {
		return 0, err
	}
	if refused != nil {
		return 0, refused
	}
	return ch.CustomerID, nil
}

// newChallenge returns a random challenge id and a 6-digit code.
func newChallenge() (id, code string, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", "", err
	}
	return hex.EncodeToString(b), fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash binds the code to its challenge, so a hash is no use for another one.
func codeHash(id, code string) []byte {
	h := sha256.Sum256([]byte(id + ":" + code))
	return h[:]
}

// maskIdentity shows enough of where the code went for the shopper to recognise it.
func maskIdentity(kind, v string) string {
	if kind == IdentityPhone {
		if len(v) <= 4 {
			return v
		}
		return strings.Repeat("•", len(v)-3) + v[len(v)-3:]
	}
	at := strings.LastIndex(v, "@")
	if at <= 1 {
		return v
	}
	return v[:1] + strings.Repeat("•", at-1) + v[at:]
}
