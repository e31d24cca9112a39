package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"atrium/db/seed"
	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/auth"
	"atrium/internal/password"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func newService(t *testing.T) (*auth.Service, context.Context) {
	t.Helper()
	return auth.NewService(testdb.NewDemo(t), auth.Options{Password: password.Fast, MaxFailures: 3, MaxAddressFailures: 10}), context.Background()
}

func TestStaffLogin(t *testing.T) {
	t.Parallel()
	svc, ctx := newService(t)

	t.Run("right password gives a token for the staff actor", func(t *testing.T) {
		s, err := svc.StaffLogin(ctx, " Associate ", testdb.DemoPassword, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if s.Token == "" || s.Actor.Kind != actor.Staff || !s.Actor.HasRole(actor.Associate) || s.Actor.HomeLocationID == nil {
			t.Fatalf("session %+v", s)
		}
		a, err := svc.Authenticate(ctx, s.Token)
		if err != nil || a.ID != s.Actor.ID || a.Name != "associate" {
			t.Fatalf("Authenticate = %+v, %v", a, err)
		}
	})
	for name, login := range map[string]string{"wrong password": "manager", "unknown login": "nobody"} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.StaffLogin(ctx, login, "wrong-password", "10.0.0.2")
			if !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("got %v, want ErrBadCredentials", err)
			}
		})
	}
}

func TestCustomerLoginAndRegister(t *testing.T) {
	t.Parallel()
	svc, ctx := newService(t)
	if _, err := svc.CustomerLogin(ctx, seed.DemoCustomerEmail, testdb.DemoPassword, "10.0.0.1"); err != nil {
		t.Fatalf("demo customer login: %v", err)
	}
	s, err := svc.CustomerRegister(ctx, auth.Registration{Email: "New.Shopper@Example.com", Password: "long enough", Name: "New Shopper", Phone: "0912-000-111"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Actor.Kind != actor.Customer || s.Token == "" {
		t.Fatalf("register session %+v", s)
	}
	if _, err := svc.CustomerLogin(ctx, "new.shopper@example.com", "long enough", "10.0.0.1"); err != nil {
		t.Fatalf("login after register: %v", err)
	}

	tests := []struct {
		name   string
		in     auth.Registration
		field  string
		reason string
	}{
		{"duplicate email", auth.Registration{Email: "new.shopper@example.com", Password: "long enough", Name: "X"}, "email", "DUPLICATE"},
		{"duplicate phone", auth.Registration{Email: "other@example.com", Password: "long enough", Name: "X", Phone: "+886912000111"}, "phone", "DUPLICATE"},
		{"bad email", auth.Registration{Email: "not-an-email", Password: "long enough", Name: "X"}, "email", "INVALID"},
		{"no email", auth.Registration{Password: "long enough", Name: "X"}, "email", "INVALID"},
		{"short password", auth.Registration{Email: "a@example.com", Password: "short", Name: "X"}, "password", "INVALID"},
		{"bad phone", auth.Registration{Email: "b@example.com", Password: "long enough", Name: "X", Phone: "12ab"}, "phone", "INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.CustomerRegister(ctx, tt.in)
			errs, ok := apperr.Errors(err)
			if !ok || len(errs) == 0 || errs[0].Field[0] != tt.field || errs[0].ClientCode() != tt.reason {
				t.Fatalf("got %v, want %s on %s", err, tt.reason, tt.field)
			}
		})
	}
}

func TestTokenExpiryAndLogout(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	svc := auth.NewService(d, auth.Options{Password: password.Fast})
	ctx := context.Background()

	s, err := svc.StaffLogin(ctx, "manager", testdb.DemoPassword, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Logout(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, s.Token); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
		t.Fatalf("token works after logout: %v", err)
	}

	s, err = svc.StaffLogin(ctx, "manager", testdb.DemoPassword, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, s.Token); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
		t.Fatalf("expired token works: %v", err)
	}
	if _, err := svc.Authenticate(ctx, "atr_forged"); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
		t.Fatalf("unknown token works: %v", err)
	}
	if !s.ExpiresAt.After(time.Now().Add(11 * time.Hour)) {
		t.Fatalf("staff token expires at %v; want about 12 h", s.ExpiresAt)
	}
}

func TestDeactivatedStaffIsLockedOut(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	svc := auth.NewService(d, auth.Options{Password: password.Fast})
	ctx := context.Background()
	s, err := svc.StaffLogin(ctx, "buyer", testdb.DemoPassword, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE staff SET active = false WHERE login = 'buyer'`); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, s.Token); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
		t.Fatalf("deactivated token works: %v", err)
	}
	if _, err := svc.StaffActor(ctx, s.Actor.ID); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
		t.Fatalf("deactivated session works: %v", err)
	}
	if _, err := svc.StaffLogin(ctx, "buyer", testdb.DemoPassword, "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("deactivated login: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	svc, ctx := newService(t) // 3 failures per account, 10 per address

	t.Run("per account", func(t *testing.T) {
		for i := range 3 {
			if _, err := svc.StaffLogin(ctx, "hr", "wrong-password", "10.0.1.1"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		// Even the right password is refused now, from any address.
		_, err := svc.StaffLogin(ctx, "hr", testdb.DemoPassword, "10.0.1.2")
		if apperr.CodeOf(err) != apperr.CodeRateLimited {
			t.Fatalf("got %v, want RATE_LIMITED", err)
		}
		// Other accounts are unaffected.
		if _, err := svc.StaffLogin(ctx, "accountant", testdb.DemoPassword, "10.0.1.2"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("per address", func(t *testing.T) {
		for i := range 10 {
			_, _ = svc.CustomerLogin(ctx, "guess"+string(rune('a'+i))+"@example.com", "wrong-password", "10.0.2.1")
		}
		_, err := svc.CustomerLogin(ctx, seed.DemoCustomerEmail, testdb.DemoPassword, "10.0.2.1")
		if apperr.CodeOf(err) != apperr.CodeRateLimited {
			t.Fatalf("got %v, want RATE_LIMITED", err)
		}
		if _, err := svc.CustomerLogin(ctx, seed.DemoCustomerEmail, testdb.DemoPassword, "10.0.2.9"); err != nil {
			t.Fatalf("another address is limited too: %v", err)
		}
	})
	t.Run("a success resets the account count", func(t *testing.T) {
		for range 2 {
			_, _ = svc.StaffLogin(ctx, "fulfilment", "wrong-password", "10.0.3.1")
		}
		if _, err := svc.StaffLogin(ctx, "fulfilment", testdb.DemoPassword, "10.0.3.1"); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			_, _ = svc.StaffLogin(ctx, "fulfilment", "wrong-password", "10.0.3.1")
		}
		if _, err := svc.StaffLogin(ctx, "fulfilment", testdb.DemoPassword, "10.0.3.1"); err != nil {
			t.Fatalf("limited although a success came between: %v", err)
		}
	})
}
