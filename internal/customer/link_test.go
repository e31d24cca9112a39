package customer_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/notify"
	"atrium/internal/password"
	"atrium/internal/testdb"
)

// linkClock is a settable clock for the linker.
type linkClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *linkClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *linkClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// linkSetup is an empty database with one store member (phone +886912000111, email
// store.member@example.com, no password) and a linker on a test clock.
func linkSetup(t *testing.T) (*sqlx.DB, *customer.Linker, *linkClock, int64) {
	t.Helper()
	d := testdb.New(t)
	var id int64
	must(t, d.Get(&id, `INSERT INTO customers (name, phone, email, joined_channel) VALUES ('Store Member', '+886912000111',
		'store.member@example.com', 'POS') RETURNING id`))
	clock := &linkClock{t: time.Now()}
	return d, customer.NewLinker(d, customer.LinkOptions{Password: password.Fast, Now: clock.Now}), clock, id
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// linkCode reads the last code sent to customer from the outbox.
func linkCode(t *testing.T, d *sqlx.DB, customerID int64) (notify.Notification, string) {
	t.Helper()
	ns, err := notify.ByReference(context.Background(), d, fmt.Sprintf("CUSTOMER:%d", customerID))
	must(t, err)
	if len(ns) == 0 {
		t.Fatal("no verification code in the outbox")
	}
	n := ns[len(ns)-1]
	code := sixDigits.FindString(n.Body)
	if n.Kind != "VERIFICATION_CODE" || code == "" {
		t.Fatalf("outbox message %s %q has no code", n.Kind, n.Body)
	}
	return n, code
}

func wantReason(t *testing.T, err error, code apperr.Code, reason string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || e.Reason != reason {
		t.Fatalf("got %v, want %s/%s", err, code, reason)
	}
}

func TestLinkByEmailAttachesOnlineAccount(t *testing.T) {
	d, l, _, member := linkSetup(t)
	ctx := context.Background()
	ch, err := l.StartLink(ctx, customer.LinkStart{Email: "Store.Member@Example.com", Phone: "0912-999-888"})
	must(t, err)
	if ch.Via != "EMAIL" || ch.Destination != "s•••••••••••@example.com" || len(ch.ID) != 32 {
		t.Fatalf("challenge %+v", ch)
	}
	n, code := linkCode(t, d, member)
	if n.To != "store.member@example.com" || n.Channel != notify.Email {
		t.Fatalf("code sent to %s by %s", n.To, n.Channel)
	}
	var stored string
	must(t, d.Get(&stored, `SELECT encode(code_hash, 'hex') FROM customer_link_challenges WHERE id = $1`, ch.ID))
	if stored == code || len(stored) != 64 {
		t.Fatalf("code stored as %q, want its hash", stored)
	}
	got, err := l.ConfirmLink(ctx, ch.ID, code, "a long password")
	must(t, err)
	if got != member {
		t.Fatalf("linked to %d, want member %d", got, member)
	}
	var c struct {
		Count int    `db:"n"`
		Hash  string `db:"hash"`
	}
	must(t, d.Get(&c, `SELECT count(*) OVER () AS n, password_hash AS hash FROM customers`))
	if c.Count != 1 {
		t.Fatalf("%d customers, want the one member", c.Count)
	}
	if ok, _ := password.Verify("a long password", c.Hash); !ok {
		t.Fatal("the password was not set on the member")
	}
	var verified bool
	must(t, d.Get(&verified, `SELECT verified_at IS NOT NULL FROM customer_identities WHERE kind = 'EMAIL' AND value = 'store.member@example.com'`))
	if !verified {
		t.Fatal("the email the code went to is not marked verified")
	}
	// The member keeps their store phone; the other phone entered online is a second identity.
	var phones []string
	must(t, d.Select(&phones, `SELECT value FROM customer_identities WHERE customer_id = $1 AND kind = 'PHONE' ORDER BY id`, member))
	if len(phones) != 2 || phones[0] != "+886912000111" || phones[1] != "+886912999888" {
		t.Fatalf("phones %v", phones)
	}
	_, err = l.ConfirmLink(ctx, ch.ID, code, "a long password")
	wantReason(t, err, apperr.CodeInvalid, customer.LinkReasonAlreadyLinked)
	_, err = l.StartLink(ctx, customer.LinkStart{Email: "store.member@example.com"})
	wantReason(t, err, apperr.CodeConflict, customer.LinkReasonHasAccount)
}

func TestLinkByPhoneSendsSMSAndTakesNewEmail(t *testing.T) {
	d, l, _, member := linkSetup(t)
	ctx := context.Background()
	ch, err := l.StartLink(ctx, customer.LinkStart{Email: "new.address@example.com", Phone: "0912 000 111"})
	must(t, err)
	n, code := linkCode(t, d, member)
	if ch.Via != "PHONE" || n.Channel != notify.SMS || n.To != "+886912000111" {
		t.Fatalf("challenge %+v, message to %s by %s", ch, n.To, n.Channel)
	}
	_, err = l.ConfirmLink(ctx, ch.ID, code, "a long password")
	must(t, err)
	var emails []string
	must(t, d.Select(&emails, `SELECT value FROM customer_identities WHERE customer_id = $1 AND kind = 'EMAIL' ORDER BY value`, member))
	var contact string
	must(t, d.Get(&contact, `SELECT email FROM customers WHERE id = $1`, member))
	if contact != "new.address@example.com" || len(emails) != 2 {
		t.Fatalf("contact %s, emails %v: want the new email as contact and the old one kept", contact, emails)
	}
	// Registering again online with either email cannot create a second customer.
	_, err = customer.Create(ctx, d, customer.NewCustomer{Email: "store.member@example.com", Name: "Again"})
	wantReason(t, err, apperr.CodeConflict, "DUPLICATE")
}

func TestLinkRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong code counts down and locks", func(t *testing.T) {
		d, l, _, member := linkSetup(t)
		ch, err := l.StartLink(ctx, customer.LinkStart{Email: "store.member@example.com"})
		must(t, err)
		_, code := linkCode(t, d, member)
		wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
		for i := 1; i <= 4; i++ {
			_, err := l.ConfirmLink(ctx, ch.ID, wrong, "a long password")
			wantReason(t, err, apperr.CodeInvalid, customer.LinkReasonWrongCode)
			if e, _ := apperr.As(err); e.Message != fmt.Sprintf("wrong code; %d tries left", 5-i) {
				t.Fatalf("try %d: %q", i, e.Message)
			}
		}
		_, err = l.ConfirmLink(ctx, ch.ID, wrong, "a long password")
		wantReason(t, err, apperr.CodeInvalid, customer.LinkReasonLocked)
		_, err = l.ConfirmLink(ctx, ch.ID, code, "a long password")
		wantReason(t, err, apperr.CodeInvalid, customer.LinkReasonLocked)
		var hasPassword bool
		must(t, d.Get(&hasPassword, `SELECT password_hash IS NOT NULL FROM customers WHERE id = $1`, member))
		if hasPassword {
			t.Fatal("a locked challenge linked the account")
		}
	})
	t.Run("expired", func(t *testing.T) {
		d, l, clock, member := linkSetup(t)
		ch, err := l.StartLink(ctx, customer.LinkStart{Email: "store.member@example.com"})
		must(t, err)
		_, code := linkCode(t, d, member)
		clock.Add(10*time.Minute + time.Second)
		_, err = l.ConfirmLink(ctx, ch.ID, code, "a long password")
		wantReason(t, err, apperr.CodeInvalid, customer.LinkReasonExpired)
	})
	t.Run("rate limited per identity", func(t *testing.T) {
		_, l, clock, _ := linkSetup(t)
		for range 3 {
			_, err := l.StartLink(ctx, customer.LinkStart{Email: "store.member@example.com"})
			must(t, err)
		}
		_, err := l.StartLink(ctx, customer.LinkStart{Email: "store.member@example.com"})
		if apperr.CodeOf(err) != apperr.CodeRateLimited {
			t.Fatalf("4th start: %v, want rate limited", err)
		}
		clock.Add(16 * time.Minute)
		_, err = l.StartLink(ctx, customer.LinkStart{Email: "store.member@example.com"})
		must(t, err)
	})
	t.Run("no match", func(t *testing.T) {
		_, l, _, _ := linkSetup(t)
		_, err := l.StartLink(ctx, customer.LinkStart{Email: "nobody@example.com", Phone: "0912 555 666"})
		wantReason(t, err, apperr.CodeNotFound, customer.LinkReasonNoMatch)
	})
	t.Run("email and phone of two members", func(t *testing.T) {
		d, l, _, _ := linkSetup(t)
		_, err := d.Exec(`INSERT INTO customers (name, email) VALUES ('Other', 'other@example.com')`)
		must(t, err)
		_, err = l.StartLink(ctx, customer.LinkStart{Email: "other@example.com", Phone: "+886912000111"})
		wantReason(t, err, apperr.CodeConflict, customer.LinkReasonAmbiguous)
	})
	t.Run("bad input", func(t *testing.T) {
		_, l, _, _ := linkSetup(t)
		_, err := l.StartLink(ctx, customer.LinkStart{Email: "not an email"})
		if apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("got %v", err)
		}
		_, err = l.ConfirmLink(ctx, "0123456789abcdef0123456789abcdef", "123456", "short")
		if apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("short password: %v", err)
		}
		_, err = l.ConfirmLink(ctx, "0123456789abcdef0123456789abcdef", "123456", "a long password")
		if apperr.CodeOf(err) != apperr.CodeNotFound {
			t.Fatalf("unknown challenge: %v", err)
		}
	})
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
