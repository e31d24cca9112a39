package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/location"
)

func (s *server) locationList(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.Locations.List(r.Context(), location.Filter{IncludeInactive: true})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, locationListPage(ls))
}

// locationForm is location.Input as typed.
type locationForm struct {
	Code, Name, Kind                                string
	AddressLine1, AddressLine2, City, Region        string
	PostalCode, Country, Phone, Latitude, Longitude string
	TimeZone                                        string
	PickupEnabled, Active                           bool
}

var locationFields = fieldSet("code", "name", "kind", "addressLine1", "addressLine2", "city", "region",
	"postalCode", "country", "phone", "latitude", "longitude", "timeZone", "pickupEnabled", "active")

func locationFormFrom(l location.Location) locationForm {
	return locationForm{Code: l.Code, Name: l.Name, Kind: string(l.Kind), AddressLine1: l.AddressLine1,
		AddressLine2: l.AddressLine2, City: l.City, Region: l.Region, PostalCode: l.PostalCode,
		Country: l.Country, Phone: l.Phone, Latitude: formatOptFloat(l.Latitude),
		Longitude: formatOptFloat(l.Longitude), TimeZone: l.TimeZone, PickupEnabled: l.PickupEnabled,
		Active: l.Active}
}

func readLocationForm(r *http.Request) locationForm {
	v := r.PostFormValue
	return locationForm{Code: v("code"), Name: v("name"), Kind: v("kind"), AddressLine1: v("addressLine1"),
		AddressLine2: v("addressLine2"), City: v("city"), Region: v("region"), PostalCode: v("postalCode"),
		Country: v("country"), Phone: v("phone"), Latitude: v("latitude"), Longitude: v("longitude"),
		TimeZone: v("timeZone"), PickupEnabled: checked(r, "pickupEnabled"), Active: checked(r, "active")}
}

func (f locationForm) input() (location.Input, apperr.List) {
	var errs apperr.List
	in := location.Input{Code: f.Code, Name: f.Name, Kind: location.Kind(f.Kind), AddressLine1: f.AddressLine1,
		AddressLine2: f.AddressLine2, City: f.City, Region: f.Region, PostalCode: f.PostalCode,
		Country: f.Country, Phone: f.Phone, TimeZone: f.TimeZone, PickupEnabled: f.PickupEnabled, Active: f.Active,
		Latitude:  optFloat(&errs, "latitude", f.Latitude),
		Longitude: optFloat(&errs, "longitude", f.Longitude)}
	return in, errs
}

// locationPage is the location editor (read-only for staff who may not edit).
type locationPage struct {
	Location *location.Location // nil for a new location
	Form     locationForm
	Errors   formErrors
	CanEdit  bool
}

func (s *server) locationShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l, err := s.Locations.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, locationEditPage(s.locationPage(r.Context(), &l, locationFormFrom(l), formErrors{})))
}

func (s *server) locationNew(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := locationForm{Kind: string(location.Store), Country: "TW", TimeZone: "UTC", Active: true}
	if z, err := s.Locations.CompanyTimeZone(ctx); err == nil {
		f.TimeZone = z.String()
	}
	return s.page(w, r, http.StatusOK, locationEditPage(s.locationPage(ctx, nil, f, formErrors{})))
}

func (s *server) locationCreate(w http.ResponseWriter, r *http.Request) error {
	return s.saveLocation(w, r, 0)
}

func (s *server) locationUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.saveLocation(w, r, id)
}

// saveLocation creates (id 0) or updates a location from the editor.
func (s *server) saveLocation(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var current *location.Location
	if id != 0 {
		l, err := s.Locations.Get(ctx, id)
		if err != nil {
			return err
		}
		current = &l
	}
	f := readLocationForm(r)
	in, errs := f.input()
	saved := location.Location{ID: id}
	var err error
	switch {
	case len(errs) > 0:
		err = errs
	case id == 0:
		saved, err = s.Locations.Create(ctx, in)
	default:
		saved, err = s.Locations.Update(ctx, id, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, locationFields, func(fe formErrors) (templ.Component, error) {
			return locationEditPage(s.locationPage(ctx, current, f, fe)), nil
		})
	}
	flash := flashLocationSaved
	if id == 0 {
		flash = flashLocationCreated
	}
	return s.redirect(w, r, locationURL(saved.ID), flash)
}

func (s *server) locationPage(ctx context.Context, l *location.Location, f locationForm, fe formErrors) locationPage {
	return locationPage{Location: l, Form: f, Errors: fe, CanEdit: location.CanEdit(actor.From(ctx))}
}

func locationURL(id int64) string { return "/admin/locations/" + strconv.FormatInt(id, 10) }

// locationIndex is every location, closed ones too, in location order and by id: what a
// list needs to name the locations its rows refer to, read in one statement.
type locationIndex struct {
	Locations []location.Location
	byID      map[int64]location.Location
}

func (s *server) locationIndex(ctx context.Context) (locationIndex, error) {
	ls, err := s.Locations.List(ctx, location.Filter{IncludeInactive: true})
	if err != nil {
		return locationIndex{}, err
	}
	ix := locationIndex{Locations: ls, byID: make(map[int64]location.Location, len(ls))}
	for _, l := range ls {
		ix.byID[l.ID] = l
	}
	return ix, nil
}

// location is the location with id (a zero Location when there is none).
func (ix locationIndex) location(id int64) location.Location { return ix.byID[id] }

// ActiveLocations are the locations open now, for pickers and filters.
func (ix locationIndex) ActiveLocations() []location.Location {
	var out []location.Location
	for _, l := range ix.Locations {
		if l.Active {
			out = append(out, l)
		}
	}
	return out
}
