// Package graph is Atrium's GraphQL transport: the schema (schema.graphql at the module
// root) served by gqlgen over HTTP and websockets. Resolvers decode arguments, call the
// domain services and encode their results; the rules, authorization included, live in
// the services.
package graph

import (
	"log/slog"

	"github.com/99designs/gqlgen/graphql"

	"atrium/internal/auth"
	"atrium/internal/catalog"
	"atrium/internal/customer"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/observe"
	"atrium/internal/staff"
)

// Deps are the services and settings the GraphQL API runs on.
type Deps struct {
	Auth      *auth.Service
	Catalog   *catalog.Service
	Locations *location.Service
	Inventory *inventory.Service
	Customers *customer.Service
	Staff     *staff.Service
	Log       *slog.Logger
	Metrics   *observe.Metrics
	// Production turns introspection and the playground off.
	Production bool
}

// Resolver is the root resolver; every field resolver reaches the services through it.
type Resolver struct {
	Deps
}

// Costs for the complexity limit: what a list field is expected to hold, since its real
// length is only known after running it. A storefront catalog page (20 products with
// their variants and per-location availability, as in BenchmarkCatalogPage) costs 3,501.
const (
	maxComplexity       = 5000
	variantsPerProduct  = 4
	locationsPerVariant = 6
	// defaultPageCost is the page size products gets when first is omitted (the
	// catalog's default page).
	defaultPageCost = 20
)

// newSchema wires the resolvers, the @hasRole directive and the list costs into the
// executable schema.
func newSchema(d Deps) graphql.ExecutableSchema {
	cfg := Config{Resolvers: &Resolver{Deps: d}}
	cfg.Directives.HasRole = hasRole
	cfg.Complexity.Query.Products = func(child int, first *int, _, _ *string) int {
		n := defaultPageCost
		if first != nil {
			n = min(max(*first, 1), catalog.MaxPage)
		}
		return listCost(n)(child)
	}
	cfg.Complexity.Query.Locations = func(child int, _ *location.Kind) int { return listCost(locationsPerVariant)(child) }
	cfg.Complexity.Product.Variants = listCost(variantsPerProduct)
	cfg.Complexity.Variant.StockLevels = listCost(locationsPerVariant)
	cfg.Complexity.Availability.ByLocation = listCost(locationsPerVariant)
	return NewExecutableSchema(cfg)
}

// listCost prices a list field expected to hold n items of the given child cost.
func listCost(n int) func(child int) int {
	return func(child int) int { return 1 + n*child }
}
