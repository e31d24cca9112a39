package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/staff"
	"atrium/internal/testdb"
)

func memberByLogin(t *testing.T, a *app, login string) staff.Member {
	t.Helper()
	ms, err := a.deps.Staff.List(system())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Login == login {
			return m
		}
	}
	t.Fatalf("no staff member %q", login)
	return staff.Member{}
}

// staffFormValues is what the account editor posts for m unchanged.
func staffFormValues(m staff.Member) url.Values {
	f := staffFormFrom(m)
	form := url.Values{"login": {f.Login}, "name": {f.Name}, "email": {f.Email}, "homeLocationId": {f.HomeLocationID}}
	for _, r := range f.Roles {
		form.Add("roles", string(r))
	}
	if f.Active {
		form.Set("active", "on")
	}
	return form
}

func TestStaffCreate(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("admin")
	c.get("/admin/staff/new").wantStatus(http.StatusOK)
	store, err := a.deps.Locations.ByCode(system(), "TPE-02")
	if err != nil {
		t.Fatal(err)
	}

	form := url.Values{"login": {"New Hire"}, "name": {"Li-Hua Wang"}, "email": {"lihua@atrium.example.com"},
		"password": {"short"}, "active": {"on"}}
	res := c.post("/admin/staff", form).wantStatus(http.StatusUnprocessableEntity)
	for _, field := range []string{"login", "roles", "password"} {
		if res.byID(errorID(field)) == "" {
			t.Errorf("no inline error for %s", field)
		}
	}
	if got := res.values("name"); got[0] != "Li-Hua Wang" {
		t.Fatalf("name %q: the typed name was lost", got)
	}
	if got := res.values("password"); got[0] != "" {
		t.Fatal("the password is echoed back into the page")
	}

	// An associate needs a home store: the service says so next to the select.
	form.Set("login", "lihua.wang")
	form.Set("password", "a-long-initial-password")
	form["roles"] = []string{string(actor.Associate)}
	res = c.post("/admin/staff", form).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("homeLocationId")); !strings.Contains(msg, "home store") {
		t.Fatalf("home location error %q", msg)
	}
	if !slices.Contains(res.values("roles"), "ASSOCIATE") {
		t.Fatal("the ticked role was lost")
	}
	for _, box := range res.inputs("roles") {
		if attr(box, "value") == "ASSOCIATE" && !hasAttr(box, "checked") {
			t.Fatal("the ticked role is not ticked any more")
		}
	}

	form.Set("homeLocationId", strconv.FormatInt(store.ID, 10))
	res = c.post("/admin/staff", form).wantRedirect("/admin/staff/*")
	c.get(res.Header.Get("Location")).wantStatus(http.StatusOK).wantContains("Staff account created.", "Li-Hua Wang")
	m := memberByLogin(t, a, "lihua.wang")
	if !slices.Equal(m.Roles, staff.Roles{actor.Associate}) || m.HomeLocationID == nil || *m.HomeLocationID != store.ID {
		t.Fatalf("saved %+v", m)
	}
	// The new account signs in with its initial password.
	a.client().post("/admin/login", url.Values{"login": {"lihua.wang"}, "password": {"a-long-initial-password"}}).
		wantRedirect("/admin/")

	// Taken logins are refused inline.
	form.Set("login", "manager")
	res = c.post("/admin/staff", form).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("login")); !strings.Contains(msg, "taken") {
		t.Fatalf("duplicate login error %q", msg)
	}
}

func TestStaffRoleChangeIsAuditedAndAppliesAtOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	buyer := a.signedIn("buyer")
	buyer.get("/admin/staff").wantStatus(http.StatusForbidden)

	m := memberByLogin(t, a, "buyer")
	admin := a.signedIn("admin")
	form := staffFormValues(m)
	form.Add("roles", string(actor.Manager))
	form.Set("reason", "covering for the store manager")
	admin.post(staffURL(m.ID), form).wantRedirect(staffURL(m.ID))

	page := admin.get(staffURL(m.ID)).wantStatus(http.StatusOK).wantContains("Staff account saved.")
	for _, box := range page.inputs("roles") {
		want := attr(box, "value") == "BUYER" || attr(box, "value") == "MANAGER"
		if hasAttr(box, "checked") != want {
			t.Fatalf("role %s checked: %v", attr(box, "value"), !want)
		}
	}

	entries, err := audit.ForEntity(system(), a.db, "staff", m.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].Action != "staff.access_changed" || entries[0].Reason != "covering for the store manager" ||
		entries[0].ActorName != "admin" {
		t.Fatalf("audit trail %+v", entries)
	}

	// The buyer's open session has the new role on its next request.
	buyer.get("/admin/staff").wantStatus(http.StatusOK)

	t.Run("an admin cannot demote themself", func(t *testing.T) {
		me := memberByLogin(t, a, "admin")
		form := staffFormValues(me)
		form["roles"] = []string{string(actor.Manager)}
		res := admin.post(staffURL(me.ID), form).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("roles")); !strings.Contains(msg, "own ADMIN role") {
			t.Fatalf("roles error %q", msg)
		}
	})
}

func TestStaffPagesAreReadOnlyForHR(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hr := a.signedIn("hr")
	m := memberByLogin(t, a, "associate")
	page := hr.get(staffURL(m.ID)).wantStatus(http.StatusOK)
	if !strings.Contains(page.Body, "<fieldset disabled") || page.hasID("reset-password") {
		t.Fatal("HR gets an editable account page")
	}
	hr.post(staffURL(m.ID), staffFormValues(m)).wantStatus(http.StatusForbidden)
	hr.post(staffURL(m.ID)+"/password", url.Values{"password": {"another-password"}}).wantStatus(http.StatusForbidden)
	hr.get("/admin/staff/new").wantStatus(http.StatusForbidden)
}

func TestStaffResetPassword(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	m := memberByLogin(t, a, "accountant")
	accountant := a.signedIn("accountant")
	admin := a.signedIn("admin")

	res := admin.post(staffURL(m.ID)+"/password", url.Values{"password": {"short"}}).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("password")); !strings.Contains(msg, "at least") {
		t.Fatalf("password error %q", msg)
	}
	accountant.get("/admin/").wantStatus(http.StatusOK)

	admin.post(staffURL(m.ID)+"/password", url.Values{"password": {"a-brand-new-password"}}).wantRedirect(staffURL(m.ID))
	admin.get(staffURL(m.ID)).wantContains("Password reset.")

	// The accountant's open session is over, the old password is refused and the new one works.
	accountant.get("/admin/").wantRedirect("/admin/login")
	_, err := a.deps.Auth.VerifyStaff(system(), "accountant", testdb.DemoPassword, "192.0.2.1")
	if apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("old password: %v", err)
	}
	a.client().post("/admin/login", url.Values{"login": {"accountant"}, "password": {"a-brand-new-password"}}).
		wantRedirect("/admin/")
	// The admin's own session is untouched.
	admin.get("/admin/staff").wantStatus(http.StatusOK)
}
