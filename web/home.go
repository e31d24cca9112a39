package web

import (
	"net/http"

	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
)

// homeFigures are the dashboard's headline numbers.
type homeFigures struct {
	Catalog   catalog.Counts
	Locations map[location.Kind]int
	Staff     int
	Customers int
	Stock     inventory.Totals
	// Deliveries are the goods on their way to the viewer's home location.
	Deliveries []expectedDelivery
}

func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var f homeFigures
	var err error
	if f.Catalog, err = s.Catalog.Count(ctx); err != nil {
		return err
	}
	if f.Locations, err = s.Locations.Count(ctx); err != nil {
		return err
	}
	if f.Staff, err = s.Staff.Count(ctx); err != nil {
		return err
	}
	if f.Customers, err = s.Customers.Count(ctx); err != nil {
		return err
	}
	if f.Stock, err = s.Inventory.Totals(ctx); err != nil {
		return err
	}
	if f.Deliveries, err = s.deliveriesExpected(ctx); err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, homePage(f))
}
