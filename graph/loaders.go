package graph

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"atrium/graph/model"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/customer"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/order"
	"atrium/internal/returns"
	"atrium/internal/staff"
)

// loaderWait is how long a loader collects keys before it queries. Short, because the
// products resolver primes the loaders for its page (see prefetch), so the wait only
// matters for single-object queries, where the keys arrive within microseconds.
const loaderWait = 2 * time.Millisecond

// loaders batch the child fields that would otherwise query once per parent. A new set is
// made for every operation, so a cached value never outlives it nor crosses actors.
type loaders struct {
	product           *dataloadgen.Loader[int64, model.Product]
	variant           *dataloadgen.Loader[int64, model.Variant]
	variantsByProduct *dataloadgen.Loader[int64, []model.Variant]
	location          *dataloadgen.Loader[int64, location.Location]
	availability      *dataloadgen.Loader[int64, []inventory.LocationAvailability]
	stockLevels       *dataloadgen.Loader[int64, []inventory.Level]
	movement          *dataloadgen.Loader[int64, inventory.Movement]
	transfer          *dataloadgen.Loader[int64, inventory.Transfer]
	staff             *dataloadgen.Loader[int64, staff.Member]
	customer          *dataloadgen.Loader[int64, customer.Customer]
	order             *dataloadgen.Loader[int64, model.Order]
	orderLines        *dataloadgen.Loader[int64, []order.Line]
	fulfilments       *dataloadgen.Loader[int64, []order.Fulfilment]
	allocations       *dataloadgen.Loader[int64, []order.Allocation]
	orderEvents       *dataloadgen.Loader[int64, []order.Event]
	payments          *dataloadgen.Loader[int64, []order.Payment]
	fulfilmentView    *dataloadgen.Loader[int64, order.FulfilmentView]
	fulfilmentFull    *dataloadgen.Loader[int64, order.FulfilmentView]
	orderRefunds      *dataloadgen.Loader[int64, []returns.Refund]
	returnsByOrder    *dataloadgen.Loader[int64, []returns.Return]
	returnLines       *dataloadgen.Loader[int64, []returns.Line]
	refunds           *dataloadgen.Loader[int64, []returns.Refund]
	member            *dataloadgen.Loader[int64, customer.Member]
	lifetimeValue     *dataloadgen.Loader[int64, []customer.Amount]
}

func newLoaders(d Deps) *loaders {
	return &loaders{
		product:           one(wrapped(d.Catalog.ProductsByIDs, wrapProduct)),
		variant:           one(wrapped(d.Catalog.VariantsByIDs, wrapVariant)),
		variantsByProduct: many(wrapped(d.Catalog.VariantsByProductIDs, wrapVariants)),
		location:          one(d.Locations.ByIDs),
		availability:      many(d.Availabilities.ByVariantIDs),
		stockLevels:       many(d.Inventory.LevelsByVariantIDs),
		movement:          one(d.Inventory.MovementsByIDs),
		transfer:          one(d.Inventory.TransfersByIDs),
		staff:             one(d.Staff.ByIDs),
		customer:          one(d.Customers.ByIDs),
		order:             one(wrapped(d.Orders.OrdersByIDs, wrapOrder)),
		orderLines:        many(d.Orders.LinesByOrderIDs),
		fulfilments:       many(d.Orders.FulfilmentsByOrderIDs),
		allocations:       many(d.Orders.AllocationsByOrderIDs),
		orderEvents:       many(d.Orders.EventsByOrderIDs),
		payments:          many(d.Orders.PaymentsByOrderIDs),
		fulfilmentView:    one(d.Orders.FulfilmentViewsByIDs),
		fulfilmentFull:    one(viewsByID(d.Orders)),
		orderRefunds:      many(d.Returns.RefundsByOrderIDs),
		returnsByOrder:    many(d.Returns.ReturnsByOrderIDs),
		returnLines:       many(d.Returns.LinesByReturnIDs),
		refunds:           many(d.Returns.RefundsByReturnIDs),
		member:            one(d.Customers.MembersByIDs),
		lifetimeValue:     many(d.Customers.LifetimeValues),
	}
}

// batchFunc is the shape of the services' batch reads: values keyed by id, absent when
// there is none (or the actor may not see it).
type batchFunc[V any] func(ctx context.Context, ids []int64) (map[int64]V, error)

// wrapped adapts a batch read to values of the schema's wrapper type.
func wrapped[D, W any](fetch batchFunc[D], wrap func(D) W) batchFunc[W] {
	return func(ctx context.Context, ids []int64) (map[int64]W, error) {
		m, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[int64]W, len(m))
		for id, v := range m {
			out[id] = wrap(v)
		}
		return out, nil
	}
}

func wrapProduct(p catalog.Product) model.Product { return model.Product{Product: p} }
func wrapVariant(v catalog.Variant) model.Variant { return model.Variant{Variant: v} }

func wrapVariants(vs []catalog.Variant) []model.Variant {
	out := make([]model.Variant, len(vs))
	for i, v := range vs {
		out[i] = wrapVariant(v)
	}
	return out
}

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

// primeMany reads the lists of ids in one batch and primes l with them (an empty list for
// an id without any); a failed read primes nothing.
func primeMany[V any](ctx context.Context, l *dataloadgen.Loader[int64, []V], ids []int64, fetch batchFunc[[]V]) {
	m, err := fetch(ctx, ids)
	if err != nil {
		return
	}
	for _, id := range ids {
		l.Prime(id, m[id])
	}
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
