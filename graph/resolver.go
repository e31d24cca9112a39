// Package graph is Atrium's GraphQL transport: the schema (schema.graphql at the module
// root) served by gqlgen over HTTP and websockets. Resolvers decode arguments, call the
// domain services and encode their results; the rules, authorization included, live in
// the services.
package graph

import (
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"atrium/graph/model"
	"atrium/internal/auth"
	"atrium/internal/catalog"
	"atrium/internal/customer"
	"atrium/internal/feedback"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/loyalty"
	"atrium/internal/marketing"
	"atrium/internal/observe"
	"atrium/internal/order"
	"atrium/internal/purchasing"
	"atrium/internal/returns"
	"atrium/internal/staff"
)

// Deps are the services and settings the GraphQL API runs on.
type Deps struct {
	Auth      *auth.Service
	Catalog   *catalog.Service
	Locations *location.Service
	Inventory *inventory.Service
	// Availabilities serves the catalog's availability by location (a prepared statement).
	Availabilities *inventory.Availabilities
	Customers      *customer.Service
	Staff          *staff.Service
	// Feed delivers the stock changes of every server to stockChanged subscriptions; the
	// caller runs it. Without one, stockChanged fails.
	Feed *inventory.Feed
	// Orders is the order book.
	Orders *order.Service
	// OrderFeed delivers the order changes of every server to orderUpdated subscriptions;
	// the caller runs it (see NewOrderFeed). Without one, orderUpdated fails.
	OrderFeed *OrderFeed
	// Returns is returns, refunds and store credit.
	Returns *returns.Service
	// Members merges customers and answers privacy requests (customer.NewMembers).
	Members *customer.Members
	// Loyalty is points and tiers.
	Loyalty *loyalty.Service
	// Linker joins an online registration to the store member with the same email or
	// phone by a one-time code. Without one, customerRegister only reports the duplicate.
	Linker *customer.Linker
	// Views records and lists the products shoppers look at online (marketing). Without
	// one, trackProductView and recentViews fail.
	Views *marketing.Service
	// Feedback is after-sales ratings.
	Feedback *feedback.Service
	// Purchasing serves the deliveries expected at a location.
	Purchasing *purchasing.Service
	// GoodsFeed delivers the goods notices of every server to goodsNotifications
	// subscriptions; the caller runs it (see NewGoodsFeed). Without one, they fail.
	GoodsFeed *GoodsFeed
	Log       *slog.Logger
	Metrics   *observe.Metrics
	// TrustedProxies are the load balancers whose X-Forwarded-For names the client that
	// sign-in throttling counts against; none means the connection's peer.
	TrustedProxies observe.TrustedProxies
	// SessionCheckInterval is how often a signed-in websocket re-checks its token, ending
	// the connection once it is revoked or expired; zero means DefaultSessionCheckInterval.
	SessionCheckInterval time.Duration
	// Production turns introspection and the playground off.
	Production bool
}

// Resolver is the root resolver; every field resolver reaches the services through it.
type Resolver struct {
	Deps
}

// Costs for the complexity limit: what a list field is expected to hold, since its real
// length is only known after running it. A storefront catalog page (20 products with
// their variants and per-location availability, as in BenchmarkCatalogPage) costs 3,501,
// the same page of 100 products (the largest) 17,501; the limit lets that through and
// refuses, e.g., 100 products with both availability and staff stock levels (32,701).
const (
	maxComplexity       = 20_000
	variantsPerProduct  = 4
	locationsPerVariant = 6
	// defaultPageCost is the page size a connection gets when first is omitted (the
	// services' default page).
	defaultPageCost = 20
	// linesPerTransfer and expectedAlerts price the lists that are not paged.
	linesPerTransfer = 10
	expectedAlerts   = 50
	// What an order is expected to hold, for the lists of an order that are not paged: a
	// page of 20 orders with lines, fulfilments and their lines costs about 1,500.
	linesPerOrder         = 5
	fulfilmentsPerOrder   = 2
	allocationsPerOrder   = 2
	paymentsPerOrder      = 2
	eventsPerOrder        = 10
	discrepanciesPerOrder = 2
	returnsPerOrder       = 1
	refundsPerReturn      = 2
	scansPerFulfilment    = 10
	// A pick list walks up to pickGroups bins or categories of pickLinesPerGroup variants,
	// each for a few fulfilments.
	pickGroups        = 20
	pickLinesPerGroup = 5
	pickForPerLine    = 3
	// What a customer is expected to hold, for the lists of a profile that are not paged.
	identitiesPerCustomer = 4
	consentsPerCustomer   = 4
	mergesPerCustomer     = 2
	ordersPerMerge        = 20
	conflictsPerMerge     = 4
)

// newSchema wires the resolvers, the @hasRole directive and the list costs into the
// executable schema.
func newSchema(d Deps) graphql.ExecutableSchema {
	cfg := Config{Resolvers: &Resolver{Deps: d}}
	cfg.Directives.HasRole = hasRole
	cfg.Complexity.Query.Products = func(child int, first *int, _, _ *string) int {
		return listCost(pageSize(first, catalog.MaxPage))(child)
	}
	cfg.Complexity.Query.Locations = func(child int, _ *location.Kind) int { return listCost(locationsPerVariant)(child) }
	cfg.Complexity.Query.StockLevels = func(child int, skus []string, _ *string) int {
		return listCost(len(skus) * locationsPerVariant)(child)
	}
	cfg.Complexity.Query.StockMovements = func(child int, _, _ *string, _ *inventory.Kind, _, _ *time.Time, first *int, _ *string) int {
		return listCost(pageSize(first, inventory.MaxPage))(child)
	}
	cfg.Complexity.Query.Transfers = func(child int, _, _, _ *string, _ []string, first *int, _ *string) int {
		return listCost(pageSize(first, inventory.MaxPage))(child)
	}
	cfg.Complexity.Query.LowStock = func(child int, _ *string, first *int, _ *string) int {
		return listCost(pageSize(first, inventory.MaxPage))(child)
	}
	cfg.Complexity.Query.ExpiringStock = func(child int, _ *int, _ *string) int { return listCost(expectedAlerts)(child) }
	cfg.Complexity.Query.StockDiscrepancies = func(child int, _, _ *string) int { return listCost(expectedAlerts)(child) }
	cfg.Complexity.Product.Variants = listCost(variantsPerProduct)
	cfg.Complexity.Variant.StockLevels = listCost(locationsPerVariant)
	cfg.Complexity.Availability.ByLocation = func(child int, _ *model.NearInput) int { return listCost(locationsPerVariant)(child) }
	cfg.Complexity.Transfer.Lines = listCost(linesPerTransfer)
	cfg.Complexity.Query.Orders = func(child int, first *int, _, _, _ *string, _ *order.Channel, _ *order.Status,
		_ *order.PaymentStatus, _ *string, _, _ *time.Time) int {
		return listCost(pageSize(first, order.MaxPage))(child)
	}
	cfg.Complexity.Customer.Orders = func(child int, first *int, _ *string) int {
		return listCost(pageSize(first, order.MaxPage))(child)
	}
	cfg.Complexity.Order.Lines = listCost(linesPerOrder)
	cfg.Complexity.Order.Fulfilments = listCost(fulfilmentsPerOrder)
	cfg.Complexity.Order.Allocations = listCost(allocationsPerOrder)
	cfg.Complexity.Order.Payments = listCost(paymentsPerOrder)
	cfg.Complexity.Order.Events = listCost(eventsPerOrder)
	cfg.Complexity.Fulfilment.Lines = listCost(linesPerOrder)
	cfg.Complexity.Allocation.Lines = listCost(linesPerOrder)
	cfg.Complexity.Allocation.Candidates = listCost(locationsPerVariant)
	cfg.Complexity.Allocation.Discrepancies = listCost(discrepanciesPerOrder)
	cfg.Complexity.AllocationCandidate.Lines = listCost(linesPerOrder)
	cfg.Complexity.Order.Returns = listCost(returnsPerOrder)
	cfg.Complexity.Order.Refunds = listCost(refundsPerReturn)
	cfg.Complexity.Fulfilment.Items = listCost(linesPerOrder)
	cfg.Complexity.Fulfilment.Steps = listCost(eventsPerOrder)
	cfg.Complexity.Fulfilment.Scans = listCost(scansPerFulfilment)
	cfg.Complexity.Query.Fulfilments = func(child int, _ string, _ []order.FulfilmentStatus, first *int, _ *string) int {
		return listCost(pageSize(first, order.MaxPage))(child)
	}
	cfg.Complexity.PickList.Groups = listCost(pickGroups)
	cfg.Complexity.PickGroup.Lines = listCost(pickLinesPerGroup)
	cfg.Complexity.PickLine.For = listCost(pickForPerLine)
	cfg.Complexity.Query.Returns = func(child int, _ *string, _ *returns.Status, _ *string, first *int, _ *string) int {
		return listCost(pageSize(first, returns.MaxPage))(child)
	}
	cfg.Complexity.Return.Lines = listCost(linesPerOrder)
	cfg.Complexity.Return.Refunds = listCost(refundsPerReturn)
	cfg.Complexity.Returnable.Lines = listCost(linesPerOrder)
	cfg.Complexity.Query.Customers = func(child int, _ string, first *int, _ *string) int {
		return listCost(pageSize(first, maxCustomerPage))(child)
	}
	cfg.Complexity.Customer.Identities = listCost(identitiesPerCustomer)
	cfg.Complexity.Customer.Consents = func(child int, _ *bool) int { return listCost(consentsPerCustomer)(child) }
	cfg.Complexity.Customer.Merges = listCost(mergesPerCustomer)
	cfg.Complexity.Customer.LifetimeValue = listCost(1)
	cfg.Complexity.Customer.RecentViews = func(child int, first *int) int {
		return listCost(pageSize(first, maxViewsPage))(child)
	}
	cfg.Complexity.Customer.Feedback = func(child int, first *int) int {
		return listCost(pageSize(first, maxFeedbackPage))(child)
	}
	cfg.Complexity.LoyaltyPoints.History = func(child int, first *int) int {
		return listCost(pageSize(first, maxPointsHistory))(child)
	}
	cfg.Complexity.MergeMoves.Orders = listCost(ordersPerMerge)
	cfg.Complexity.CustomerMergePreview.Conflicts = listCost(conflictsPerMerge)
	cfg.Complexity.Query.DeliveriesExpected = func(child int, _ string) int { return listCost(expectedAlerts)(child) }
	return NewExecutableSchema(cfg)
}

// listCost prices a list field expected to hold n items of the given child cost.
func listCost(n int) func(child int) int {
	return func(child int) int { return 1 + n*child }
}
