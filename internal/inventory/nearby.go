package inventory

import (
	"cmp"
	"math"
	"slices"

	"atrium/internal/apperr"
	"atrium/internal/location"
)

// Point is a place on the map, in WGS 84 degrees.
type Point struct {
	Latitude, Longitude float64
}

// NewPoint returns the point at latitude, longitude. Errors: apperr.List (latitude,
// longitude) for degrees off the globe.
func NewPoint(latitude, longitude float64) (Point, error) {
	var errs apperr.List
	if !(latitude >= -90 && latitude <= 90) {
		errs = append(errs, apperr.Invalid("latitude", "latitude is between -90 and 90"))
	}
	if !(longitude >= -180 && longitude <= 180) {
		errs = append(errs, apperr.Invalid("longitude", "longitude is between -180 and 180"))
	}
	return Point{latitude, longitude}, errs.Err()
}

// Origin is where NearestFirst measures from: a point, a location, or both.
type Origin struct {
	// LocationID, when set, is at distance 0 even without coordinates: a tablet lists its
	// own store first.
	LocationID int64
	// Point is nil when the distances are unknown (a location without coordinates).
	Point *Point
}

// OriginAt is the origin of a location: the location itself, with its coordinates when
// it has them.
func OriginAt(l location.Location) Origin {
	o := Origin{LocationID: l.ID}
	if l.Latitude != nil && l.Longitude != nil {
		o.Point = &Point{*l.Latitude, *l.Longitude}
	}
	return o
}

// NearestFirst returns a copy of avail sorted nearest first from o, each with its
// distance. Locations whose distance is unknown come last, in their previous order
// (stable), so without coordinates the catalog's order stays.
func NearestFirst(avail []LocationAvailability, o Origin) []LocationAvailability {
	out := slices.Clone(avail)
	for i := range out {
		out[i].DistanceKm = nil
		switch l := out[i].Location; {
		case l.ID == o.LocationID:
			out[i].DistanceKm = new(0.0)
		case o.Point != nil:
			if d := l.DistanceKm(o.Point.Latitude, o.Point.Longitude); !math.IsInf(d, 1) {
				out[i].DistanceKm = &d
			}
		}
	}
	slices.SortStableFunc(out, func(a, b LocationAvailability) int {
		return cmp.Compare(distanceOrInf(a), distanceOrInf(b))
	})
	return out
}

func distanceOrInf(a LocationAvailability) float64 {
	if a.DistanceKm == nil {
		return math.Inf(1)
	}
	return *a.DistanceKm
}
