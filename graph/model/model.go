// Package model holds the GraphQL types that have no domain type to bind to. Objects that
// do (Product, Variant, Location, StaffMember, Customer, StockLevel) are the domain types
// themselves; see gqlgen.yml.
package model

import "atrium/internal/catalog"

// Node is any object with a global ID. The domain types cannot carry gqlgen's marker
// methods, so the interface is empty and the generated code switches on concrete types.
type Node any

// Viewer is a staff.Member or a customer.Customer, for the same reason as Node.
type Viewer any

// Money is an amount in minor units with its ISO 4217 currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ProductConnection is a page of products. Query is what selected it, kept so totalCount
// can count the same products only when a client asks for it.
type ProductConnection struct {
	Edges    []ProductEdge
	PageInfo PageInfo
	Query    catalog.ProductQuery
}

// ProductEdge is a product with its cursor.
type ProductEdge struct {
	Cursor string
	Node   catalog.Product
}
