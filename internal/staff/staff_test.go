package staff_test

import (
	"context"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/auth"
	"atrium/internal/password"
	"atrium/internal/staff"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func as(id int64, roles ...actor.Role) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: id, Roles: roles, Name: "test"})
}

func TestStaffAccounts(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	svc := staff.NewService(d, password.Fast)
	authSvc := auth.NewService(d, auth.Options{Password: password.Fast})
	var adminID, storeID int64
	if err := d.Get(&adminID, `SELECT id FROM staff WHERE login = 'admin'`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&storeID, `SELECT id FROM locations WHERE kind = 'STORE' ORDER BY code LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	admin := as(adminID, actor.Admin)

	m, err := svc.Create(admin, staff.Input{Login: "Lin.W", Name: "Lin Wei", Roles: []actor.Role{actor.Associate, actor.Associate},
		HomeLocationID: &storeID, Active: true, Password: "first-password"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Login != "lin.w" || len(m.Roles) != 1 {
		t.Fatalf("created %+v", m)
	}
	if _, err := authSvc.StaffLogin(context.Background(), "lin.w", "first-password", "10.0.0.1"); err != nil {
		t.Fatalf("new staff cannot sign in: %v", err)
	}

	t.Run("validation", func(t *testing.T) {
		tests := []struct {
			name  string
			in    staff.Input
			field string
		}{
			{"login taken", staff.Input{Login: "lin.w", Name: "X", Roles: []actor.Role{actor.HR}, Password: "long enough"}, "login"},
			{"no roles", staff.Input{Login: "x1", Name: "X", Password: "long enough"}, "roles"},
			{"unknown role", staff.Input{Login: "x2", Name: "X", Roles: []actor.Role{"KING"}, Password: "long enough"}, "roles"},
			{"associate without store", staff.Input{Login: "x3", Name: "X", Roles: []actor.Role{actor.Associate}, Password: "long enough"}, "homeLocationId"},
			{"short password", staff.Input{Login: "x4", Name: "X", Roles: []actor.Role{actor.HR}, Password: "short"}, "password"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.Create(admin, tt.in)
				errs, ok := apperr.Errors(err)
				if !ok || errs[0].Field[0] != tt.field {
					t.Fatalf("got %v, want an error on %s", err, tt.field)
				}
			})
		}
	})

	t.Run("only admins change accounts", func(t *testing.T) {
		for _, r := range []actor.Role{actor.Manager, actor.HR, actor.Associate} {
			if _, err := svc.Create(as(99, r), staff.Input{Login: "x5", Name: "X", Roles: []actor.Role{actor.HR}, Password: "long enough"}); apperr.CodeOf(err) != apperr.CodeForbidden {
				t.Errorf("%s: got %v, want FORBIDDEN", r, err)
			}
		}
		if _, err := svc.List(as(99, actor.Associate)); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Errorf("associate lists staff: %v", err)
		}
	})

	t.Run("role change is audited and deactivation revokes tokens", func(t *testing.T) {
		s, err := authSvc.StaffLogin(context.Background(), "lin.w", "first-password", "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		in := staff.Input{Login: "lin.w", Name: "Lin Wei", Roles: []actor.Role{actor.Manager}, HomeLocationID: &storeID, Active: false}
		if _, err := svc.Update(admin, m.ID, in, "left the company"); err != nil {
			t.Fatal(err)
		}
		var reason string
		if err := d.Get(&reason, `SELECT reason FROM audit_log WHERE action = 'staff.access_changed' AND entity_id = $1`, m.ID); err != nil || reason != "left the company" {
			t.Fatalf("audit reason %q, %v", reason, err)
		}
		if _, err := authSvc.Authenticate(context.Background(), s.Token); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
			t.Fatalf("token of deactivated staff works: %v", err)
		}
	})

	t.Run("admin cannot demote themself", func(t *testing.T) {
		_, err := svc.Update(admin, adminID, staff.Input{Login: "admin", Name: "Admin", Roles: []actor.Role{actor.HR}, Active: true}, "")
		if apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("got %v, want INVALID", err)
		}
	})

	t.Run("reset password", func(t *testing.T) {
		var hrID int64
		_ = d.Get(&hrID, `SELECT id FROM staff WHERE login = 'hr'`)
		if err := svc.ResetPassword(admin, hrID, "brand-new-pass"); err != nil {
			t.Fatal(err)
		}
		if _, err := authSvc.StaffLogin(context.Background(), "hr", "brand-new-pass", "10.0.0.3"); err != nil {
			t.Fatalf("new password refused: %v", err)
		}
		if err := svc.ResetPassword(admin, hrID, "short"); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("short password: %v", err)
		}
	})
}
