package location_test

import (
	"context"
	"math"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/location"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func ptr[T any](v T) *T { return &v }

func TestLocations(t *testing.T) {
	t.Parallel()
	svc := location.NewService(testdb.NewDemo(t))
	admin := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Admin}})
	ctx := context.Background()

	stores, err := svc.List(ctx, location.Filter{Kind: ptr(location.Store)})
	if err != nil || len(stores) < 3 {
		t.Fatalf("stores: %d, %v", len(stores), err)
	}
	for _, s := range stores {
		if !s.PickupEnabled || s.Latitude == nil || s.TimeZone == "" {
			t.Errorf("store %s lacks pickup, coordinates or time zone", s.Code)
		}
	}

	l, err := svc.Create(admin, location.Input{Code: "tnn-01", Name: "Tainan", Kind: location.Store,
		Latitude: ptr(22.99), Longitude: ptr(120.2), TimeZone: "Asia/Taipei", PickupEnabled: true, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.Code != "TNN-01" || l.Country != "TW" {
		t.Fatalf("created %+v", l)
	}

	tests := []struct {
		name  string
		in    location.Input
		field string
	}{
		{"duplicate code", location.Input{Code: "TNN-01", Name: "X", Kind: location.Store}, "code"},
		{"bad code", location.Input{Code: "x", Name: "X", Kind: location.Store}, "code"},
		{"warehouse pickup", location.Input{Code: "WH-9", Name: "X", Kind: location.Warehouse, PickupEnabled: true}, "pickupEnabled"},
		{"bad time zone", location.Input{Code: "WH-8", Name: "X", Kind: location.Warehouse, TimeZone: "Mars/Base"}, "timeZone"},
		{"half coordinates", location.Input{Code: "WH-7", Name: "X", Kind: location.Warehouse, Latitude: ptr(1.0)}, "latitude"},
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

	t.Run("update and deactivate", func(t *testing.T) {
		in := location.Input{Code: "TNN-01", Name: "Tainan Zhongxi", Kind: location.Store, Active: false}
		if _, err := svc.Update(admin, l.ID, in); err != nil {
			t.Fatal(err)
		}
		all, _ := svc.List(ctx, location.Filter{})
		for _, x := range all {
			if x.ID == l.ID {
				t.Fatal("inactive location listed to the public")
			}
		}
		if _, err := svc.List(ctx, location.Filter{IncludeInactive: true}); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
			t.Fatalf("anonymous lists inactive locations: %v", err)
		}
	})

	t.Run("only admins", func(t *testing.T) {
		mgr := actor.With(ctx, actor.Actor{Kind: actor.Staff, ID: 2, Roles: []actor.Role{actor.Manager}})
		if _, err := svc.Create(mgr, location.Input{Code: "ZZ-1", Name: "Z", Kind: location.Store}); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("manager creates a location: %v", err)
		}
	})
}

func TestDistance(t *testing.T) {
	taipei := location.Location{Latitude: ptr(25.033), Longitude: ptr(121.565)}
	if d := taipei.DistanceKm(22.627, 120.301); math.Abs(d-297) > 10 {
		t.Fatalf("Taipei–Kaohsiung = %.0f km; want about 297", d)
	}
	if d := (location.Location{}).DistanceKm(0, 0); !math.IsInf(d, 1) {
		t.Fatalf("no coordinates: %v", d)
	}
}
