package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
)

// The movement history: the stock ledger newest first, each movement with the document it
// came from and who made it.

const movementPageSize = 50

// movementFilter is the history's query string.
type movementFilter struct {
	Location locationChoice
	SKU      string // a SKU or a barcode
	Kind     string
	From, To string // days as typed, in the viewer's time zone; To is included
	Trail    trail
}

var movementFields = fieldSet("sku", "kind", "from", "to")

func readMovementFilter(r *http.Request) movementFilter {
	q := r.URL.Query()
	f := movementFilter{Location: readLocation(q, actor.From(r.Context())), SKU: strings.TrimSpace(q.Get("sku")),
		Kind: q.Get("kind"), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Trail: readTrail(q)}
	if !slices.Contains(inventory.Kinds, inventory.Kind(f.Kind)) {
		f.Kind = ""
	}
	return f
}

func (f movementFilter) url(after string, prev []string) string {
	return listURL("/admin/stock/movements", url.Values{"location": {f.Location.Raw}, "sku": {f.SKU},
		"kind": {f.Kind}, "from": {f.From}, "to": {f.To}}, after, prev)
}

// query decodes f for the ledger; errs holds what is not a value (an unknown SKU, a date
// that is not one).
func (s *server) movementQuery(ctx context.Context, f movementFilter) (inventory.MovementFilter, apperr.List, error) {
	var errs apperr.List
	q := inventory.MovementFilter{LocationID: f.Location.ID, Kind: inventory.Kind(f.Kind), First: movementPageSize}
	q.After, _ = strconv.ParseInt(f.Trail.After, 10, 64)
	if f.SKU != "" {
		v, err := s.variantByCode(ctx, f.SKU)
		switch {
		case apperr.CodeOf(err) == apperr.CodeNotFound:
			errs = append(errs, apperr.Invalid("sku", "no variant has this SKU or barcode"))
		case err != nil:
			return q, nil, err
		default:
			q.VariantID = &v.ID
		}
	}
	zone := viewOf(ctx).Zone()
	day := func(field, s string) *time.Time {
		if s == "" {
			return nil
		}
		d, err := time.ParseInLocation(time.DateOnly, s, zone)
		if err != nil {
			errs = append(errs, apperr.Invalid(field, "enter a date such as 2026-05-01"))
			return nil
		}
		return &d
	}
	q.From = day("from", f.From)
	if to := day("to", f.To); to != nil {
		end := to.AddDate(0, 0, 1)
		q.To = &end
	}
	return q, errs, nil
}

// variantByCode finds a variant by SKU or by barcode (as typed or scanned).
// Errors: NotFound.
func (s *server) variantByCode(ctx context.Context, code string) (catalog.Variant, error) {
	code = strings.TrimSpace(code)
	keys := []catalog.VariantKey{{SKU: code}, {Barcode: code}}
	if digits(code) {
		keys[0], keys[1] = keys[1], keys[0] // a scan is a barcode, mostly
	}
	var err error
	for _, k := range keys {
		var v catalog.Variant
		if v, err = s.Catalog.Variant(ctx, k); apperr.CodeOf(err) != apperr.CodeNotFound {
			return v, err
		}
	}
	return catalog.Variant{}, err
}

// movementTable is ledger rows with their names.
type movementTable struct {
	Rows []movementRow
}

type movementRow struct {
	inventory.Movement
	stockItem
	// Actor is the staff member who made the movement; "" when the system did.
	Actor string
	Doc   movementDoc
}

// movementDoc is the document a movement came from, read from its reference.
type movementDoc struct {
	// Kind is TRF (a transfer), ADJ (an adjustment), CNT (a count), ORD (an order), EXP
	// (the expiry job), SEED (opening stock), or "" for any other reference.
	Kind string
	// Ref is the reference as recorded; ID the transfer or order id, or the expiry date.
	Ref, ID string
	// Href is the document's page, when the back office has one.
	Href string
}

func documentOf(ref string) movementDoc {
	d := movementDoc{Ref: ref}
	kind, id, _ := strings.Cut(ref, ":")
	switch kind {
	case "TRF":
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			d.Kind, d.ID, d.Href = kind, id, transferURL(n)
		}
	case "ADJ", "CNT", "ORD", "EXP":
		d.Kind, d.ID = kind, id
	case "SEED":
		d.Kind = kind
	}
	return d
}

func (s *server) movementTable(ctx context.Context, ms []inventory.Movement) (movementTable, error) {
	var t movementTable
	variants := make([]int64, 0, len(ms))
	var staffIDs []int64
	for _, m := range ms {
		variants = append(variants, m.VariantID)
		if m.ActorID != nil && m.ActorKind == "STAFF" {
			staffIDs = append(staffIDs, *m.ActorID)
		}
	}
	names, err := s.stockNames(ctx, variants)
	if err != nil {
		return t, err
	}
	people, err := s.Staff.ByIDs(ctx, staffIDs)
	if err != nil {
		return t, err
	}
	for _, m := range ms {
		row := movementRow{Movement: m, stockItem: names.item(m.LocationID, m.VariantID), Doc: documentOf(m.Reference)}
		if m.ActorID != nil {
			row.Actor = people[*m.ActorID].Name
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// movementList is the movement history page.
type movementList struct {
	Filter    movementFilter
	Errors    formErrors
	Locations []location.Location
	Table     movementTable
	Pager     pager
}

func (s *server) movementList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readMovementFilter(r)
	v := movementList{Filter: f}
	var err error
	if v.Locations, err = s.Locations.List(ctx, location.Filter{IncludeInactive: true}); err != nil {
		return err
	}
	q, errs, err := s.movementQuery(ctx, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		v.Errors = newFormErrors(errs, movementFields)
	} else {
		page, err := s.Inventory.Movements(ctx, q)
		if err != nil {
			return err
		}
		if v.Table, err = s.movementTable(ctx, page.Movements); err != nil {
			return err
		}
		next := ""
		if page.HasNextPage {
			next = strconv.FormatInt(page.Movements[len(page.Movements)-1].ID, 10)
		}
		v.Pager = f.Trail.pager(-1, movementPageSize, next, f.url)
	}
	if htmxTarget(r) == "movement-results" {
		return s.fragment(w, r, http.StatusOK, movementResults(v))
	}
	return s.page(w, r, http.StatusOK, movementListPage(v))
}
