// Package model holds the GraphQL types that have no domain type to bind to, and thin
// wrappers of the two the catalog page serves by the hundred (Product, Variant). The other
// objects (Location, StaffMember, Customer, StockLevel, Transfer, …) are the domain types
// themselves; see gqlgen.yml.
package model

import (
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"atrium/internal/catalog"
	"atrium/internal/inventory"
)

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

// Global ID type names: the first half of "Type:dbid" (see GlobalID).
const (
	TypeProduct = "Product"
	TypeVariant = "Variant"
)

// GlobalID returns the opaque global ID of the object typ with database id: base64 of
// "Type:id". Clients must not parse it; encoding the type lets node(id) find the table.
func GlobalID(typ string, id int64) string {
	return base64.StdEncoding.EncodeToString(strconv.AppendInt([]byte(typ+":"), id, 10))
}

// Product is a catalog product as the schema serves it, and Variant a variant. Their
// fields computed from the domain type are methods rather than resolvers because gqlgen
// runs a resolver (or a method taking a context) in a goroutine of its own when an
// object has more than one, and a method without a context inline: on a catalog page
// that is a goroutine less per product and two less per variant.
type Product struct{ catalog.Product }

// ID is the product's global ID.
func (p Product) ID() string { return GlobalID(TypeProduct, p.Product.ID) }

// Variant: see Product.
type Variant struct{ catalog.Variant }

// ID is the variant's global ID.
func (v Variant) ID() string { return GlobalID(TypeVariant, v.Variant.ID) }

// Price is the variant's price.
func (v Variant) Price() Money { return Money{Amount: v.PriceAmount, Currency: v.Currency} }

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
	Node   Product
}

// Availability is a variant's sellable stock. Its byLocation field is a resolver, as it
// sorts Locations by distance on request.
type Availability struct {
	Available int
	// Locations are in the catalog's location order (kind, code).
	Locations []inventory.LocationAvailability
}

// MarshalDate writes the Date scalar: the calendar date of t as YYYY-MM-DD, whatever its
// time of day (the database's dates arrive as midnight UTC).
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
	})
}

// UnmarshalDate reads the Date scalar, YYYY-MM-DD, as midnight UTC.
func UnmarshalDate(v any) (time.Time, error) {
	if s, ok := v.(string); ok {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("a Date is a string such as 2026-03-01")
}
