package graph

import (
	"context"
	"errors"
	"strings"

	"atrium/graph/model"
	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
	"atrium/internal/staff"
)

// The stock resolvers' decoding and encoding: SKUs and global IDs into the inventory
// service's ids, its results and errors into payloads and connections.

// errNoFeed is the internal error of a stockChanged subscription on a server without Deps.Feed.
var errNoFeed = errors.New("stockChanged: no stock change feed configured")

// maxSKUs bounds the SKUs one stockLevels query or stockChanged subscription watches.
const maxSKUs = 100

// variantIDs resolves SKUs to variant ids in one statement. An unknown SKU is an
// apperr.Invalid (reason NOT_FOUND) on field(i), so that a mutation reports it as a
// userError beside the service's own.
func (r *Resolver) variantIDs(ctx context.Context, skus []string, field func(i int) string) ([]int64, error) {
	if len(skus) == 0 {
		return nil, nil
	}
	found, err := r.Catalog.VariantsBySKUs(ctx, skus)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(skus))
	var errs apperr.List
	for i, sku := range skus {
		// VariantsBySKUs keys its answer by the stored SKU: trimmed, upper case.
		v, ok := found[strings.ToUpper(strings.TrimSpace(sku))]
		if !ok {
			errs = append(errs, apperr.Invalid(field(i), "no variant has the SKU %q", sku).WithReason(string(apperr.CodeNotFound)))
			continue
		}
		ids[i] = v.ID
	}
	return ids, errs.Err()
}

// watchedLevels decodes the arguments of stockLevels and stockChanged: at most maxSKUs
// SKUs, and an optional location.
func (r *Resolver) watchedLevels(ctx context.Context, skus []string, locationID *string) ([]int64, *int64, error) {
	if len(skus) == 0 || len(skus) > maxSKUs {
		return nil, nil, apperr.Invalid("skus", "give 1 to %d SKUs", maxSKUs)
	}
	loc, err := optionalID("locationId", typeLocation, locationID)
	if err != nil {
		return nil, nil, err
	}
	ids, err := r.variantIDs(ctx, skus, func(int) string { return "skus" })
	return ids, loc, err
}

// decodeLevel decodes the location and SKU of a stock mutation's input into ids.
func (r *Resolver) decodeLevel(ctx context.Context, locationID, sku string) (loc, variant int64, err error) {
	if loc, err = decodeIDOf("locationId", typeLocation, locationID); err != nil {
		return 0, 0, err
	}
	ids, err := r.variantIDs(ctx, []string{sku}, func(int) string { return "sku" })
	if err != nil {
		return 0, 0, err
	}
	return loc, ids[0], nil
}

// optionalID decodes an optional global ID argument of type typ.
func optionalID(field, typ string, gid *string) (*int64, error) {
	if gid == nil {
		return nil, nil
	}
	id, err := decodeIDOf(field, typ, *gid)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// origin decodes byLocation's near: exactly one of a location, read through the
// operation's loader (so a page of variants reads it at most once, and not at all when
// the page's availability brought it), or coordinates.
func (r *Resolver) origin(ctx context.Context, near model.NearInput) (inventory.Origin, error) {
	switch {
	case near.LocationID != nil && near.Coordinates == nil:
		id, err := decodeIDOf("near.locationId", typeLocation, *near.LocationID)
		if err != nil {
			return inventory.Origin{}, err
		}
		loc, err := load(ctx, loadersFrom(ctx).location, id)
		if apperr.CodeOf(err) == apperr.CodeNotFound {
			err = apperr.Invalid("near.locationId", "no location has the ID %q", *near.LocationID)
		}
		return inventory.OriginAt(loc), err
	case near.Coordinates != nil && near.LocationID == nil:
		p, err := inventory.NewPoint(near.Coordinates.Latitude, near.Coordinates.Longitude)
		return inventory.Origin{Point: &p}, err
	}
	return inventory.Origin{}, apperr.Invalid("near", "give exactly one of locationId or coordinates")
}

// schemaFields maps the inventory service's input field names to the schema's where they
// differ (the schema names variants by SKU, as tablets scan them).
var schemaFields = map[string]string{"variantId": "sku", "qty": "quantity"}

// stockUserErrors is userErrors for the stock mutations: field paths under prefix, in the
// schema's names.
func stockUserErrors(err error, prefix ...string) ([]model.UserError, error) {
	errs, err := userErrors(err, prefix...)
	for i := range errs {
		for j, f := range errs[i].Field {
			if name, ok := schemaFields[f]; ok {
				errs[i].Field[j] = name
			}
		}
	}
	return errs, err
}

// stockPayload answers a stock mutation: the level and movements, or what the user can fix.
func stockPayload(res inventory.Result, err error) (*model.StockPayload, error) {
	if err != nil {
		errs, err := stockUserErrors(err, "input")
		if err != nil {
			return nil, err
		}
		return &model.StockPayload{UserErrors: errs}, nil
	}
	return &model.StockPayload{StockLevel: &res.Level, Movements: res.Movements, Replayed: res.Replayed,
		UserErrors: []model.UserError{}}, nil
}

// transferPayload answers a transfer mutation: the transfer, or what the user can fix
// (field paths under prefix).
func transferPayload(t inventory.Transfer, err error, prefix ...string) (*model.TransferPayload, error) {
	if err != nil {
		errs, err := stockUserErrors(err, prefix...)
		if err != nil {
			return nil, err
		}
		return &model.TransferPayload{UserErrors: errs}, nil
	}
	return &model.TransferPayload{Transfer: &t, UserErrors: []model.UserError{}}, nil
}

// edges builds the edges and page info of a page of a connection: edge makes the edge of
// each item, with the cursor that continues after it.
func edges[T, E any](items []T, hasNext bool, cursor func(*T) string, edge func(string, *T) E) ([]E, *model.PageInfo) {
	out := make([]E, len(items))
	info := &model.PageInfo{HasNextPage: hasNext}
	for i := range items {
		c := cursor(&items[i])
		out[i] = edge(c, &items[i])
		if i == 0 {
			info.StartCursor = &c
		}
		info.EndCursor = &c
	}
	return out, info
}

// afterID decodes the after argument of a connection ordered by id (0 for none).
func afterID(after *string) (int64, error) {
	if deref(after) == "" {
		return 0, nil
	}
	return decodeIDOf("after", typeCursor, *after)
}

// pageSize is the page size a connection's first argument asks for, for the complexity
// limit (the services refuse a size out of range).
func pageSize(first *int, limit int) int {
	if first == nil {
		return defaultPageCost
	}
	return min(max(*first, 1), limit)
}

// movementActor is the staff member or customer a movement records, through the
// operation's loaders; nil for the system or an account no longer there.
func movementActor(ctx context.Context, m *inventory.Movement) (model.Viewer, error) {
	if m.ActorID == nil {
		return nil, nil
	}
	l := loadersFrom(ctx)
	var (
		v   model.Viewer
		err error
	)
	switch actor.Kind(m.ActorKind) {
	case actor.Staff:
		v, err = load(ctx, l.staff, *m.ActorID)
	case actor.Customer:
		v, err = load(ctx, l.customer, *m.ActorID)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, nilIfNotFound(err)
	}
	return v, nil
}

// transferCreator is the staff member who created a transfer; nil for the system or an
// account no longer there.
func transferCreator(ctx context.Context, t *inventory.Transfer) (*staff.Member, error) {
	if t.CreatedBy == nil || actor.Kind(t.CreatedByKind) != actor.Staff {
		return nil, nil
	}
	return notFoundAsNil(load(ctx, loadersFrom(ctx).staff, *t.CreatedBy))
}
