package graph

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
)

// loaderWait is how long a loader collects keys before it queries. Short, because the
// products resolver primes the loaders for its page (see prefetch), so the wait only
// matters for single-object queries, where the keys arrive within microseconds.
const loaderWait = 2 * time.Millisecond

// loaders batch the child fields that would otherwise query once per parent. A new set is
// made for every operation, so a cached value never outlives it nor crosses actors.
type loaders struct {
	product           *dataloadgen.Loader[int64, catalog.Product]
	variant           *dataloadgen.Loader[int64, catalog.Variant]
	variantsByProduct *dataloadgen.Loader[int64, []catalog.Variant]
	location          *dataloadgen.Loader[int64, location.Location]
	availability      *dataloadgen.Loader[int64, []inventory.Availability]
	stockLevels       *dataloadgen.Loader[int64, []inventory.Level]
}

func newLoaders(d Deps) *loaders {
	return &loaders{
		product:           one(d.Catalog.ProductsByIDs),
		variant:           one(d.Catalog.VariantsByIDs),
		variantsByProduct: many(d.Catalog.VariantsByProductIDs),
		location:          one(d.Locations.ByIDs),
		availability:      many(d.Inventory.AvailabilityByVariantIDs),
		stockLevels:       many(d.Inventory.LevelsByVariantIDs),
	}
}

// batchFunc is the shape of the services' batch reads: values keyed by id, absent when
// there is none (or the actor may not see it).
type batchFunc[V any] func(ctx context.Context, ids []int64) (map[int64]V, error)

// one makes a loader of single objects; a missing one is dataloadgen.ErrNotFound, which
// load turns into apperr.NotFound.
func one[V any](fetch batchFunc[V]) *dataloadgen.Loader[int64, V] {
	return dataloadgen.NewMappedLoader(fetch, dataloadgen.WithWait(loaderWait))
}

// many makes a loader of lists, where a missing key is an empty list, not an error.
func many[V any](fetch batchFunc[[]V]) *dataloadgen.Loader[int64, []V] {
	return dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]V, []error) {
		m, err := fetch(ctx, ids)
		if err != nil {
			return nil, []error{err}
		}
		out := make([][]V, len(ids))
		for i, id := range ids {
			out[i] = m[id]
		}
		return out, nil
	}, dataloadgen.WithWait(loaderWait))
}

// load fetches one value through l, reporting a missing one as apperr.NotFound.
func load[V any](ctx context.Context, l *dataloadgen.Loader[int64, V], id int64) (V, error) {
	v, err := l.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		err = apperr.NotFound("not found")
	}
	return v, err
}

type loadersKey struct{}

// withLoaders gives each operation its own loaders.
func withLoaders(d Deps) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(context.WithValue(ctx, loadersKey{}, newLoaders(d)))
	}
}

// loadersFrom returns the operation's loaders.
func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}
