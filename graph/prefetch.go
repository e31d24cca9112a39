package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"atrium/graph/model"
)

// Field paths under products that prefetch looks for.
var (
	pathVariants       = []string{"edges", "node", "variants"}
	pathAvailability   = []string{"edges", "node", "variants", "availability"}
	pathStockLevels    = []string{"edges", "node", "variants", "stockLevels"}
	pathStockLevelLocs = []string{"edges", "node", "variants", "stockLevels", "location"}
)

// prefetch loads, in one statement each, the children of a page of products that the
// client asked for (variants, their availability with its locations, or their stock
// levels and those locations) and primes the loaders with them. Left to the loaders
// alone, the page's field resolvers would reach them at slightly different times and, on
// a busy server, split each batch in several statements. So the storefront's catalog page
// (products, variants, availability by location) takes three statements, whatever its size
// and the server's load.
//
// It is only an optimisation: when a read fails, the field resolvers load (and report)
// it themselves.
func (r *queryResolver) prefetch(ctx context.Context, products []model.Product) {
	l := loadersFrom(ctx)
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.Product.ID
		l.product.Prime(p.Product.ID, p)
	}
	if len(ids) == 0 || !requested(ctx, pathVariants...) {
		return
	}
	byProduct, err := r.Catalog.VariantsByProductIDs(ctx, ids)
	if err != nil {
		return
	}
	var variantIDs []int64
	for _, id := range ids {
		vs := wrapVariants(byProduct[id])
		l.variantsByProduct.Prime(id, vs)
		for _, v := range vs {
			l.variant.Prime(v.Variant.ID, v)
			variantIDs = append(variantIDs, v.Variant.ID)
		}
	}
	if len(variantIDs) == 0 {
		return
	}

	// The locations availability brings are primed too: byLocation(near: {locationId})
	// and stock levels then find theirs without a statement.
	primed := map[int64]bool{}
	if requested(ctx, pathAvailability...) {
		if av, err := r.Availabilities.ByVariantIDs(ctx, variantIDs); err == nil {
			for _, id := range variantIDs {
				l.availability.Prime(id, av[id])
				for _, a := range av[id] {
					if !primed[a.Location.ID] {
						primed[a.Location.ID] = true
						l.location.Prime(a.Location.ID, *a.Location)
					}
				}
			}
		}
	}
	var locationIDs []int64
	if requested(ctx, pathStockLevels...) {
		if levels, err := r.Inventory.LevelsByVariantIDs(ctx, variantIDs); err == nil {
			for _, id := range variantIDs {
				l.stockLevels.Prime(id, levels[id])
				for _, s := range levels[id] {
					if !primed[s.LocationID] {
						locationIDs = append(locationIDs, s.LocationID)
					}
				}
			}
		}
	}
	if len(locationIDs) == 0 || !requested(ctx, pathStockLevelLocs...) {
		return
	}
	slices.Sort(locationIDs)
	if locs, err := r.Deps.Locations.ByIDs(ctx, slices.Compact(locationIDs)); err == nil {
		for id, loc := range locs {
			l.location.Prime(id, loc)
		}
	}
}

// requested reports whether the client's selection under the current field reaches the
// field path, through aliases and fragments (a field skipped with @skip or @include
// does not count).
func requested(ctx context.Context, path ...string) bool {
	opCtx := graphql.GetOperationContext(ctx)
	fc := graphql.GetFieldContext(ctx)
	fields := graphql.CollectFields(opCtx, fc.Field.Selections, implementors(fc.Field.Definition.Type.Name()))
	for _, name := range path {
		var next []graphql.CollectedField
		found := false
		for _, f := range fields {
			if f.Name != name {
				continue
			}
			found = true
			if f.Definition != nil {
				next = append(next, graphql.CollectFields(opCtx, f.Selections, implementors(f.Definition.Type.Name()))...)
			}
		}
		if !found {
			return false
		}
		fields = next
	}
	return true
}

// implementors lists what fragments on an object of type typ may be spread on: the type
// itself and Node, the one interface of the schema's objects.
func implementors(typ string) []string { return []string{typ, "Node"} }
