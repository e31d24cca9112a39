package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLocationCreateAndEdit(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("admin")
	if tz := c.get("/admin/locations/new").wantStatus(http.StatusOK).values("timeZone"); tz[0] != "Asia/Taipei" {
		t.Fatalf("new location time zone %q, want the company's", tz)
	}

	form := url.Values{"code": {"tnn-01"}, "name": {"Tainan Anping"}, "kind": {"STORE"},
		"addressLine1": {"No. 1, Anping Road"}, "city": {"Tainan City"}, "postalCode": {"708"}, "country": {"tw"},
		"phone": {"+886-6-222-0000"}, "latitude": {"twenty-three"}, "longitude": {"120.16"},
		"timeZone": {"Asia/Taipei"}, "pickupEnabled": {"on"}, "active": {"on"}}
	res := c.post("/admin/locations", form).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("latitude")); !strings.Contains(msg, "number") {
		t.Fatalf("latitude error %q", msg)
	}
	if got := res.values("latitude"); got[0] != "twenty-three" {
		t.Fatalf("latitude %q: the typed text was lost", got)
	}

	form.Set("latitude", "22.99")
	form.Set("kind", "WAREHOUSE")
	form.Set("code", "x")
	form.Set("timeZone", "Asia/Tainan")
	res = c.post("/admin/locations", form).wantStatus(http.StatusUnprocessableEntity)
	for field, want := range map[string]string{"code": "2–20", "timeZone": "unknown time zone", "pickupEnabled": "only stores"} {
		if msg := res.byID(errorID(field)); !strings.Contains(msg, want) {
			t.Errorf("%s error %q, want %q", field, msg, want)
		}
	}
	if got := res.values("addressLine1"); got[0] != "No. 1, Anping Road" {
		t.Fatalf("address %q: lost", got)
	}

	form.Set("code", "tnn-01")
	form.Set("kind", "STORE")
	form.Set("timeZone", "Asia/Taipei")
	res = c.post("/admin/locations", form).wantRedirect("/admin/locations/*")
	l, err := a.deps.Locations.ByCode(system(), "TNN-01")
	if err != nil {
		t.Fatal(err)
	}
	if l.Latitude == nil || *l.Latitude != 22.99 || l.Country != "TW" || !l.PickupEnabled {
		t.Fatalf("saved %+v", l)
	}
	c.get(res.Header.Get("Location")).wantStatus(http.StatusOK).wantContains("Location created.")
	c.get("/admin/locations").wantContains("TNN-01", "Tainan Anping")

	// Edit: a code in use is refused inline; then a good edit saves.
	edit := c.get(locationURL(l.ID)).wantStatus(http.StatusOK)
	form = url.Values{}
	for _, name := range []string{"code", "name", "kind", "addressLine1", "addressLine2", "city", "region",
		"postalCode", "country", "phone", "latitude", "longitude", "timeZone"} {
		form.Set(name, edit.values(name)[0])
	}
	form.Set("kind", "STORE")
	form.Set("active", "on")
	form.Set("code", "TPE-01")
	res = c.post(locationURL(l.ID), form).wantStatus(http.StatusUnprocessableEntity)
	if msg := res.byID(errorID("code")); !strings.Contains(msg, "already used") {
		t.Fatalf("duplicate code error %q", msg)
	}

	form.Set("code", "TNN-01")
	form.Set("name", "Tainan Anping Outlet")
	form.Del("active")
	c.post(locationURL(l.ID), form).wantRedirect(locationURL(l.ID))
	l, err = a.deps.Locations.Get(system(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "Tainan Anping Outlet" || l.Active || l.PickupEnabled {
		t.Fatalf("after edit %+v", l)
	}
	c.get(locationURL(l.ID)).wantContains("Location saved.", "Inactive")
}

func TestLocationsAreReadOnlyForManagers(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.signedIn("manager")
	l, err := a.deps.Locations.ByCode(system(), "TPE-01")
	if err != nil {
		t.Fatal(err)
	}
	page := c.get(locationURL(l.ID)).wantStatus(http.StatusOK)
	if !strings.Contains(page.Body, "<fieldset disabled") {
		t.Fatal("a manager gets an editable location page")
	}
	c.get("/admin/locations/new").wantStatus(http.StatusForbidden)
	c.post("/admin/locations", url.Values{"code": {"NEW-01"}}).wantStatus(http.StatusForbidden)
	c.post(locationURL(l.ID), url.Values{"code": {"TPE-01"}}).wantStatus(http.StatusForbidden)
}
