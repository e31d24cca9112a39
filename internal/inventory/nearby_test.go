package inventory_test

import (
	"context"
	"slices"
	"testing"

	"atrium/internal/inventory"
	"atrium/internal/location"
)

func TestNearestFirst(t *testing.T) {
	t.Parallel()
	at := func(id int64, lat, lng float64) *location.Location {
		return &location.Location{ID: id, Latitude: &lat, Longitude: &lng}
	}
	taipei, taichung, kaohsiung := at(1, 25.0392, 121.5671), at(2, 24.1648, 120.6433), at(3, 22.6139, 120.3048)
	nowhere := &location.Location{ID: 4}
	// In the catalog's order; nowhere has no coordinates.
	avail := []inventory.LocationAvailability{{Location: nowhere}, {Location: taipei}, {Location: taichung}, {Location: kaohsiung}}

	order := func(got []inventory.LocationAvailability) []int64 {
		ids := make([]int64, len(got))
		for i, a := range got {
			ids[i] = a.Location.ID
		}
		return ids
	}
	tests := []struct {
		name   string
		origin inventory.Origin
		want   []int64
		// known is how many come with a distance.
		known int
	}{
		{"from a point in Kaohsiung", inventory.Origin{Point: &inventory.Point{Latitude: 22.62, Longitude: 120.30}}, []int64{3, 2, 1, 4}, 3},
		{"from a location", inventory.OriginAt(*taipei), []int64{1, 2, 3, 4}, 3},
		{"from a location without coordinates", inventory.OriginAt(*nowhere), []int64{4, 1, 2, 3}, 1},
		{"from nowhere", inventory.Origin{}, []int64{4, 1, 2, 3}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inventory.NearestFirst(avail, tt.origin)
			if !slices.Equal(order(got), tt.want) {
				t.Errorf("order %v, want %v", order(got), tt.want)
			}
			for i, a := range got {
				if (a.DistanceKm != nil) != (i < tt.known) {
					t.Errorf("%d: distance %v, want one for the first %d", a.Location.ID, a.DistanceKm, tt.known)
				}
				if i > 0 && a.DistanceKm != nil && *a.DistanceKm < *got[i-1].DistanceKm {
					t.Errorf("%d is nearer than %d before it", a.Location.ID, got[i-1].Location.ID)
				}
			}
		})
	}
	if d := inventory.NearestFirst(avail, inventory.OriginAt(*taipei))[2].DistanceKm; d == nil || *d < 250 || *d > 320 {
		t.Errorf("Taipei to Kaohsiung: %v km, want about 297", d)
	}
	if avail[0].DistanceKm != nil || avail[0].Location != nowhere {
		t.Error("NearestFirst changed its argument")
	}
}

func TestNewPoint(t *testing.T) {
	t.Parallel()
	if _, err := inventory.NewPoint(25.03, 121.56); err != nil {
		t.Errorf("Taipei: %v", err)
	}
	for _, p := range [][2]float64{{91, 0}, {0, -181}, {-90.5, 180.5}} {
		if _, err := inventory.NewPoint(p[0], p[1]); err == nil {
			t.Errorf("%v: no error", p)
		}
	}
}

// Availabilities agrees with AvailabilityByVariantIDs, adding the locations.
func TestAvailabilities(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.stock(f.a, f.plain[0], 5)
	f.stock(f.w, f.plain[0], 9)
	f.stock(f.b, f.plain[1], 2)
	f.stock(f.a, f.plain[1], 1)
	f.receiveLot(f.a, f.lotted[0], 4, "L1", -3) // expired: not available
	f.receiveLot(f.a, f.lotted[0], 3, "L2", 30)
	must[inventory.Level](t)(f.svc.SetStockPolicy(system, f.b, f.plain[1], 1, 0))
	if _, err := f.db.Exec(`UPDATE locations SET active = false WHERE id = $1`, f.w); err != nil {
		t.Fatal(err)
	}
	av := must[*inventory.Availabilities](t)(inventory.PrepareAvailabilities(context.Background(), f.db))
	defer av.Close()

	ids := []int64{f.plain[0], f.plain[1], f.plain[2], f.lotted[0]}
	for range 7 { // past the executions after which PostgreSQL may switch to a generic plan
		got := must[map[int64][]inventory.LocationAvailability](t)(av.ByVariantIDs(customerCtx(), ids))
		want := must[map[int64][]inventory.Availability](t)(f.svc.AvailabilityByVariantIDs(customerCtx(), ids))
		for _, id := range ids {
			if len(got[id]) != len(want[id]) {
				t.Fatalf("variant %d: %+v, want %+v", id, got[id], want[id])
			}
			for i, w := range want[id] {
				if g := got[id][i]; g.Location.ID != w.LocationID || g.Available != w.Available || g.Location.Code == "" {
					t.Errorf("variant %d at %d: %+v, want %+v with the location", id, i, g, w)
				}
			}
		}
		if a := got[f.lotted[0]]; len(a) != 1 || a[0].Available != 3 {
			t.Errorf("lot-tracked variant: %+v, want 3 available (the expired lot is not)", a)
		}
		if a := got[f.plain[1]]; len(a) != 2 || a[0].Available != 1 || a[1].Available != 1 {
			t.Errorf("variant at two stores: %+v, want 1 at A and 2 - 1 safety stock at B", a)
		}
		if len(got[f.plain[0]]) != 1 {
			t.Errorf("closed warehouse listed: %+v", got[f.plain[0]])
		}
	}

	// A newer server's migration adds a column while this one runs: its prepared
	// statement must go on working.
	if _, err := f.db.Exec(`ALTER TABLE locations ADD COLUMN opened_on date`); err != nil {
		t.Fatal(err)
	}
	if _, err := av.ByVariantIDs(customerCtx(), ids); err != nil {
		t.Errorf("after a column was added: %v", err)
	}
}
