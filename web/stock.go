package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
)

// The stock pages: the overview by location and by product, one level (a variant at a
// location) with its safety stock and reorder point edited inline, and the adjustment and
// cycle count forms.

const stockPageSize = 50

// canUseStock lets in the staff who work with stock day to day: managers, buyers,
// associates and fulfilment staff (admins hold every role). The value report has its own
// guard (inventory.CanSeeValue).
func canUseStock(a actor.Actor) bool {
	return a.HasRole(actor.Manager, actor.Buyer, actor.Associate, actor.Fulfilment)
}

// defaultLocation is where stock pages open for a: an associate's or fulfilment staff
// member's home location; every location for buyers, managers and admins.
func defaultLocation(a actor.Actor) *int64 {
	if a.HasRole(actor.Manager, actor.Buyer) {
		return nil
	}
	return a.HomeLocationID
}

// locationChoice is a location filter as given: Raw is "" for the viewer's default, "all",
// or a location id; ID is the location it selects (nil: every location).
type locationChoice struct {
	Raw string
	ID  *int64
}

func readLocation(q url.Values, a actor.Actor) locationChoice {
	switch raw := q.Get("location"); raw {
	case "all":
		return locationChoice{Raw: raw}
	case "":
	default:
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil && id > 0 {
			return locationChoice{Raw: raw, ID: &id}
		}
	}
	return locationChoice{ID: defaultLocation(a)}
}

// Selected is the location select's value: the location's id, or "all".
func (c locationChoice) Selected() string {
	if c.ID == nil {
		return "all"
	}
	return strconv.FormatInt(*c.ID, 10)
}

// stockItem is what a row about a variant at a location shows of the catalog.
type stockItem struct {
	Location location.Location
	Variant  catalog.Variant
	Product  catalog.Product
}

// stockNames holds the locations, variants and products rows of stock name.
type stockNames struct {
	locationIndex
	variants map[int64]catalog.Variant
	products map[int64]catalog.Product
}

// stockNames loads the names of the variants (with their products) and every location.
func (s *server) stockNames(ctx context.Context, variantIDs []int64) (stockNames, error) {
	var n stockNames
	var err error
	if n.locationIndex, err = s.locationIndex(ctx); err != nil {
		return n, err
	}
	if n.variants, err = s.Catalog.VariantsByIDs(ctx, variantIDs); err != nil {
		return n, err
	}
	productIDs := make([]int64, 0, len(n.variants))
	for _, v := range n.variants {
		productIDs = append(productIDs, v.ProductID)
	}
	n.products, err = s.Catalog.ProductsByIDs(ctx, productIDs)
	return n, err
}

func (n stockNames) item(locationID, variantID int64) stockItem {
	v := n.variants[variantID]
	return stockItem{Location: n.location(locationID), Variant: v, Product: n.products[v.ProductID]}
}

// levelRow is one stock level with its names.
type levelRow struct {
	stockItem
	Level inventory.Level
}

// RowID is the id of the level's table row, which inline edits replace.
func (r levelRow) RowID() string {
	return fmt.Sprintf("level-%d-%d", r.Level.LocationID, r.Level.VariantID)
}

// URL is the level's page.
func (r levelRow) URL() string { return levelURL(r.Level.LocationID, r.Level.VariantID) }

func levelURL(locationID, variantID int64) string {
	return fmt.Sprintf("/admin/stock/levels/%d/%d", locationID, variantID)
}

// stockFilter is the overview's query string.
type stockFilter struct {
	View     string // "location" (the default) or "product"
	Location locationChoice
	Category string
	Q        string
	Low, Out bool
	Trail    trail
}

func readStockFilter(r *http.Request) stockFilter {
	q := r.URL.Query()
	f := stockFilter{View: "location", Location: readLocation(q, actor.From(r.Context())), Category: q.Get("category"),
		Q: strings.TrimSpace(q.Get("q")), Low: q.Get("low") != "", Out: q.Get("out") != "", Trail: readTrail(q)}
	if q.Get("view") == "product" {
		f.View = "product"
	}
	if _, err := strconv.ParseInt(f.Category, 10, 64); err != nil {
		f.Category = ""
	}
	return f
}

// url is the overview with f's filters, starting after the cursor after.
func (f stockFilter) url(after string, prev []string) string {
	v := url.Values{"location": {f.Location.Raw}, "category": {f.Category}, "q": {f.Q}}
	if f.View == "product" {
		v.Set("view", f.View)
	}
	if f.Low {
		v.Set("low", "1")
	}
	if f.Out {
		v.Set("out", "1")
	}
	return listURL("/admin/stock", v, after, prev)
}

func (f stockFilter) query() inventory.StockFilter {
	q := inventory.StockFilter{Search: f.Q, Low: f.Low, OutOfStock: f.Out, First: stockPageSize}
	if id, err := strconv.ParseInt(f.Category, 10, 64); err == nil {
		q.CategoryID = &id
	}
	return q
}

// stockOverview is the overview page: levels (by location) or variants (by product).
type stockOverview struct {
	Filter     stockFilter
	Categories []catalog.Category
	Names      stockNames
	Levels     []levelRow
	Variants   []variantRow
	Pager      pager
	// Back is this page, for the forms its rows link to to come back to.
	Back string
}

type variantRow struct {
	Variant catalog.Variant
	Product catalog.Product
	Stock   inventory.VariantStock
}

func (s *server) stockOverview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readStockFilter(r)
	v := stockOverview{Filter: f, Back: r.URL.RequestURI()}
	var ids []int64
	var total int
	next := ""
	if f.View == "product" {
		after, _ := strconv.ParseInt(f.Trail.After, 10, 64)
		page, err := s.Inventory.StockByVariant(ctx, inventory.VariantStockFilter{StockFilter: f.query(), After: after})
		if err != nil {
			return err
		}
		for _, vs := range page.Variants {
			ids = append(ids, vs.VariantID)
		}
		if v.Names, err = s.stockNames(ctx, ids); err != nil {
			return err
		}
		for _, vs := range page.Variants {
			it := v.Names.item(0, vs.VariantID)
			v.Variants = append(v.Variants, variantRow{Variant: it.Variant, Product: it.Product, Stock: vs})
		}
		if page.HasNextPage {
			next = strconv.FormatInt(ids[len(ids)-1], 10)
		}
		total = page.Total
	} else {
		page, err := s.Inventory.Stock(ctx, inventory.LevelFilter{StockFilter: f.query(), LocationID: f.Location.ID,
			After: parseLevelCursor(f.Trail.After)})
		if err != nil {
			return err
		}
		for _, l := range page.Levels {
			ids = append(ids, l.VariantID)
		}
		if v.Names, err = s.stockNames(ctx, ids); err != nil {
			return err
		}
		for _, l := range page.Levels {
			v.Levels = append(v.Levels, levelRow{stockItem: v.Names.item(l.LocationID, l.VariantID), Level: l})
		}
		if page.HasNextPage {
			next = levelCursor(page.Levels[len(page.Levels)-1])
		}
		total = page.Total
	}
	v.Pager = f.Trail.pager(total, stockPageSize, next, f.url)
	if htmxTarget(r) == "stock-results" {
		return s.fragment(w, r, http.StatusOK, stockResults(v))
	}
	var err error
	if v.Categories, err = s.Catalog.Categories(ctx); err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, stockOverviewPage(v))
}

// levelCursor is a level's place in (location, variant) order: "12.345".
func levelCursor(l inventory.Level) string {
	return fmt.Sprintf("%d.%d", l.LocationID, l.VariantID)
}

func parseLevelCursor(c string) inventory.LevelKey {
	loc, variant, _ := strings.Cut(c, ".")
	var k inventory.LevelKey
	k.LocationID, _ = strconv.ParseInt(loc, 10, 64)
	k.VariantID, _ = strconv.ParseInt(variant, 10, 64)
	return k
}

// levelRowAt loads the level of the request's {location} and {variant} (zero figures
// where the location holds no stock of the variant). Errors: NotFound.
func (s *server) levelRowAt(r *http.Request) (levelRow, error) {
	loc, err1 := strconv.ParseInt(r.PathValue("location"), 10, 64)
	variant, err2 := strconv.ParseInt(r.PathValue("variant"), 10, 64)
	if err1 != nil || err2 != nil {
		return levelRow{}, apperr.NotFound("")
	}
	return s.levelRow(r.Context(), loc, variant)
}

func (s *server) levelRow(ctx context.Context, locationID, variantID int64) (levelRow, error) {
	names, err := s.stockNames(ctx, []int64{variantID})
	if err != nil {
		return levelRow{}, err
	}
	it := names.item(locationID, variantID)
	if it.Location.ID == 0 || it.Variant.ID == 0 {
		return levelRow{}, apperr.NotFound("no stock of variant %d at location %d", variantID, locationID)
	}
	levels, err := s.Inventory.LevelsByVariantIDs(ctx, []int64{variantID})
	if err != nil {
		return levelRow{}, err
	}
	row := levelRow{stockItem: it, Level: inventory.Level{LocationID: locationID, VariantID: variantID}}
	for _, l := range levels[variantID] {
		if l.LocationID == locationID {
			row.Level = l
		}
	}
	return row, nil
}

// levelPage is one level: its figures, what may be done with it, and its latest movements.
type levelPage struct {
	Row       levelRow
	Movements movementTable
	// HistoryURL is the level's whole movement history.
	HistoryURL string
}

const levelPageMovements = 10

func (s *server) levelShow(w http.ResponseWriter, r *http.Request) error {
	row, err := s.levelRowAt(r)
	if err != nil {
		return err
	}
	if htmxTarget(r) == row.RowID() {
		return s.fragment(w, r, http.StatusOK, levelRowView(row, backTo(r.URL.Query().Get("back"), "")))
	}
	ctx := r.Context()
	p := levelPage{Row: row}
	f := movementFilter{Location: locationChoice{Raw: strconv.FormatInt(row.Location.ID, 10), ID: &row.Location.ID},
		SKU: row.Variant.SKU}
	p.HistoryURL = f.url("", nil)
	page, err := s.Inventory.Movements(ctx, inventory.MovementFilter{VariantID: &row.Variant.ID,
		LocationID: &row.Location.ID, First: levelPageMovements})
	if err != nil {
		return err
	}
	if p.Movements, err = s.movementTable(ctx, page.Movements); err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, levelShowPage(p))
}

// policyForm is a level's safety stock and reorder point as typed.
type policyForm struct {
	SafetyStock, ReorderPoint string
}

var policyFields = fieldSet("safetyStock", "reorderPoint")

// policyPage edits a level's policy: a page of its own without JavaScript, a table row
// in place with HTMX.
type policyPage struct {
	Row    levelRow
	Form   policyForm
	Errors formErrors
	// Back is where a saved policy returns to (a page with the level's row).
	Back string
}

func (s *server) policyEdit(w http.ResponseWriter, r *http.Request) error {
	row, err := s.levelRowAt(r)
	if err != nil {
		return err
	}
	p := policyPage{Row: row, Back: backTo(r.URL.Query().Get("back"), row.URL()),
		Form: policyForm{SafetyStock: strconv.Itoa(row.Level.SafetyStock), ReorderPoint: strconv.Itoa(row.Level.ReorderPoint)}}
	if htmxTarget(r) == row.RowID() {
		return s.fragment(w, r, http.StatusOK, levelEditRow(p))
	}
	return s.page(w, r, http.StatusOK, policyEditPage(p))
}

func (s *server) policyUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	row, err := s.levelRowAt(r)
	if err != nil {
		return err
	}
	p := policyPage{Row: row, Back: backTo(r.PostFormValue("back"), row.URL()),
		Form: policyForm{SafetyStock: r.PostFormValue("safetyStock"), ReorderPoint: r.PostFormValue("reorderPoint")}}
	var errs apperr.List
	safety := wholeNumber(&errs, "safetyStock", p.Form.SafetyStock)
	reorder := wholeNumber(&errs, "reorderPoint", p.Form.ReorderPoint)
	var saved inventory.Level
	if err = errs.Err(); err == nil {
		saved, err = s.Inventory.SetStockPolicy(r.Context(), row.Location.ID, row.Variant.ID, safety, reorder)
	}
	if err != nil {
		return s.formFailed(w, r, err, policyFields, func(fe formErrors) (templ.Component, error) {
			p.Errors = fe
			if htmxTarget(r) == row.RowID() {
				return levelEditRow(p), nil
			}
			return policyEditPage(p), nil
		})
	}
	row.Level = saved
	if htmxTarget(r) == row.RowID() {
		return s.fragment(w, r, http.StatusOK, levelRowView(row, p.Back))
	}
	return s.redirect(w, r, p.Back, flashPolicySaved)
}

// backTo is a back-office address to return to after a form, or fallback.
func backTo(back, fallback string) string {
	if back = safeNext(back); back == "/admin/" {
		return fallback
	}
	return back
}

// newIdempotencyKey is the key a stock form posts, made when the form is shown: posting
// the same form twice (a double click, a resend) has one effect.
func newIdempotencyKey() string { return "bo-" + rand.Text() }

// keyAfter is the key a form shown again after err posts: the same one, since a refused
// change uses up nothing, unless the key itself was refused.
func keyAfter(key string, err error) string {
	errs, _ := apperr.Errors(err)
	for _, e := range errs {
		if strings.Join(e.Field, ".") == "idempotencyKey" {
			return newIdempotencyKey()
		}
	}
	return key
}

// adjustForm is an adjustment as typed.
type adjustForm struct {
	Key, Kind, Delta, Reason, Lot, ExpiresOn string
}

var adjustFields = fieldSet("kind", "delta", "reason", "lot", "expiresOn")

type adjustPage struct {
	Row    levelRow
	Form   adjustForm
	Errors formErrors
}

// movableLevelAt is levelRowAt for a form that moves stock: one the viewer may move stock
// at (the service checks again). Errors: NotFound, Forbidden.
func (s *server) movableLevelAt(r *http.Request) (levelRow, error) {
	row, err := s.levelRowAt(r)
	if err == nil && !inventory.CanMoveStockAt(actor.From(r.Context()), row.Location.ID) {
		err = apperr.Forbidden("you can move stock only at your home location")
	}
	return row, err
}

func (s *server) adjustNew(w http.ResponseWriter, r *http.Request) error {
	row, err := s.movableLevelAt(r)
	if err != nil {
		return err
	}
	f := adjustForm{Key: newIdempotencyKey(), Kind: string(inventory.KindAdjustment)}
	return s.page(w, r, http.StatusOK, adjustEditPage(adjustPage{Row: row, Form: f}))
}

func (s *server) adjustCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	row, err := s.levelRowAt(r)
	if err != nil {
		return err
	}
	v := r.PostFormValue
	f := adjustForm{Key: v("idempotencyKey"), Kind: v("kind"), Delta: v("delta"), Reason: v("reason"), Lot: v("lot"),
		ExpiresOn: v("expiresOn")}
	var errs apperr.List
	in := inventory.AdjustInput{IdempotencyKey: f.Key, LocationID: row.Location.ID, VariantID: row.Variant.ID,
		Kind: inventory.Kind(f.Kind), Delta: wholeNumber(&errs, "delta", f.Delta), Reason: f.Reason, Lot: f.Lot,
		ExpiresOn: optDate(&errs, "expiresOn", f.ExpiresOn)}
	if err = errs.Err(); err == nil {
		_, err = s.Inventory.Adjust(r.Context(), in)
	}
	if err != nil {
		return s.formFailed(w, r, err, adjustFields, func(fe formErrors) (templ.Component, error) {
			f.Key = keyAfter(f.Key, err)
			return adjustEditPage(adjustPage{Row: row, Form: f, Errors: fe}), nil
		})
	}
	return s.redirect(w, r, row.URL(), flashStockAdjusted)
}

// countForm is a cycle count as typed. Expected is the on hand the counter was shown,
// posted back so a count of stock that changed meanwhile is refused, not applied.
type countForm struct {
	Key, Expected, Counted, Reason, Lot, ExpiresOn string
}

var countFields = fieldSet("countedOnHand", "expectedOnHand", "reason", "lot", "expiresOn")

type countPage struct {
	Row    levelRow
	Form   countForm
	Errors formErrors
	// Stale is set when on hand changed since the form was shown: Row has the new figure.
	Stale bool
	// Shown is the on hand the refused count was made against.
	Shown string
}

func (s *server) countNew(w http.ResponseWriter, r *http.Request) error {
	row, err := s.movableLevelAt(r)
	if err != nil {
		return err
	}
	f := countForm{Key: newIdempotencyKey(), Expected: strconv.Itoa(row.Level.OnHand)}
	return s.page(w, r, http.StatusOK, countEditPage(countPage{Row: row, Form: f}))
}

func (s *server) countCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	row, err := s.levelRowAt(r)
	if err != nil {
		return err
	}
	v := r.PostFormValue
	f := countForm{Key: v("idempotencyKey"), Expected: v("expectedOnHand"), Counted: v("countedOnHand"),
		Reason: v("reason"), Lot: v("lot"), ExpiresOn: v("expiresOn")}
	var errs apperr.List
	in := inventory.CountInput{IdempotencyKey: f.Key, LocationID: row.Location.ID, VariantID: row.Variant.ID,
		ExpectedOnHand: wholeNumber(&errs, "expectedOnHand", f.Expected),
		CountedOnHand:  wholeNumber(&errs, "countedOnHand", f.Counted),
		Reason:         f.Reason, Lot: f.Lot, ExpiresOn: optDate(&errs, "expiresOn", f.ExpiresOn)}
	if err = errs.Err(); err == nil {
		_, err = s.Inventory.Count(r.Context(), in)
	}
	if err != nil {
		return s.formFailed(w, r, err, countFields, func(fe formErrors) (templ.Component, error) {
			p := countPage{Row: row, Form: f, Errors: fe}
			p.Form.Key = keyAfter(f.Key, err)
			if hasReason(err, inventory.ReasonStaleCount) {
				// Count again against the figure as it is now.
				var rerr error
				if p.Row, rerr = s.levelRow(r.Context(), row.Location.ID, row.Variant.ID); rerr != nil {
					return nil, rerr
				}
				p.Stale, p.Shown = true, f.Expected
				p.Form.Expected = strconv.Itoa(p.Row.Level.OnHand)
			}
			return countEditPage(p), nil
		})
	}
	return s.redirect(w, r, row.URL(), flashStockCounted)
}

// hasReason reports whether err holds an application error with the client code reason.
func hasReason(err error, reason string) bool {
	errs, _ := apperr.Errors(err)
	for _, e := range errs {
		if e.Reason == reason {
			return true
		}
	}
	return false
}
