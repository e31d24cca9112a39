package web

import (
	"context"
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

const productPageSize = 25

// productFilter is the product list's query string: search, filters and the paging
// position (the cursor is a product id).
type productFilter struct {
	Q        string
	Status   string
	Category string
	Trail    trail
}

func readProductFilter(r *http.Request) productFilter {
	q := r.URL.Query()
	f := productFilter{Q: strings.TrimSpace(q.Get("q")), Category: q.Get("category"), Trail: readTrail(q)}
	switch s := q.Get("status"); s {
	case catalog.StatusDraft, catalog.StatusActive, catalog.StatusArchived:
		f.Status = s
	}
	if _, err := strconv.ParseInt(f.Category, 10, 64); err != nil {
		f.Category = ""
	}
	return f
}

func (f productFilter) query() catalog.ProductQuery {
	q := catalog.ProductQuery{Search: f.Q, Status: f.Status, First: productPageSize}
	q.After, _ = strconv.ParseInt(f.Trail.After, 10, 64)
	if id, err := strconv.ParseInt(f.Category, 10, 64); err == nil {
		q.CategoryID = &id
	}
	return q
}

// url is the list URL with f's filters, starting after the cursor after.
func (f productFilter) url(after string, prev []string) string {
	return listURL("/admin/products", url.Values{"q": {f.Q}, "status": {f.Status}, "category": {f.Category}}, after, prev)
}

// productList is the product list page.
type productList struct {
	Filter     productFilter
	Categories []catalog.Category
	Rows       []productRow
	Pager      pager
}

type productRow struct {
	Product  catalog.Product
	Category string
	Variants []catalog.Variant
}

func (s *server) productList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readProductFilter(r)
	q := f.query()
	page, err := s.Catalog.ListProducts(ctx, q)
	if err != nil {
		return err
	}
	total, err := s.Catalog.CountProducts(ctx, q)
	if err != nil {
		return err
	}
	cats, err := s.Catalog.Categories(ctx)
	if err != nil {
		return err
	}
	ids := make([]int64, len(page.Products))
	for i, p := range page.Products {
		ids[i] = p.ID
	}
	variants, err := s.Catalog.VariantsByProductIDs(ctx, ids)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(cats))
	for _, c := range cats {
		names[c.ID] = c.Name
	}
	v := productList{Filter: f, Categories: cats}
	for _, p := range page.Products {
		row := productRow{Product: p, Variants: variants[p.ID]}
		if p.CategoryID != nil {
			row.Category = names[*p.CategoryID]
		}
		v.Rows = append(v.Rows, row)
	}
	next := ""
	if page.HasNextPage && len(page.Products) > 0 {
		next = strconv.FormatInt(page.Products[len(page.Products)-1].ID, 10)
	}
	v.Pager = f.Trail.pager(total, productPageSize, next, f.url)
	if htmxTarget(r) == "product-results" {
		return s.fragment(w, r, http.StatusOK, productResults(v))
	}
	return s.page(w, r, http.StatusOK, productListPage(v))
}

// productForm is the product editor as typed: text fields stay text, so a form that
// fails validation comes back exactly as the user left it.
type productForm struct {
	Title, Handle, Description, Brand string
	CategoryID, Status, ShelfLifeDays string
	LotTracked                        bool
	Variants                          []variantForm
}

// variantForm is one row of the variant line editor. Rows post as repeated fields
// (variant_sku, ...), so rows removed in the browser leave no gaps: row i of the post is
// variants.i in the service's error paths.
type variantForm struct {
	ID, SKU, Barcode, Title, Size, Colour, Price, Cost string
}

func productFormFrom(p catalog.Product, vs []catalog.Variant) productForm {
	f := productForm{Title: p.Title, Handle: p.Handle, Description: p.Description, Brand: p.Brand,
		CategoryID: formatID(p.CategoryID), Status: p.Status, ShelfLifeDays: formatOptInt(p.ShelfLifeDays),
		LotTracked: p.LotTracked}
	for _, v := range vs {
		barcode := ""
		if v.Barcode != nil {
			barcode = *v.Barcode
		}
		cost := ""
		if v.UnitCost != nil {
			cost = formatCostInput(*v.UnitCost)
		}
		f.Variants = append(f.Variants, variantForm{ID: strconv.FormatInt(v.ID, 10), SKU: v.SKU, Barcode: barcode,
			Title: v.Title, Size: v.Size, Colour: v.Colour, Price: formatAmountInput(v.PriceAmount, v.Currency), Cost: cost})
	}
	return f
}

func readProductForm(r *http.Request) productForm {
	f := productForm{Title: r.PostFormValue("title"), Handle: r.PostFormValue("handle"),
		Description: r.PostFormValue("description"), Brand: r.PostFormValue("brand"),
		CategoryID: r.PostFormValue("categoryId"), Status: r.PostFormValue("status"),
		ShelfLifeDays: r.PostFormValue("shelfLifeDays"), LotTracked: checked(r, "lotTracked")}
	col := func(name string, i int) string {
		if vs := r.PostForm[name]; i < len(vs) {
			return vs[i]
		}
		return ""
	}
	for i := range r.PostForm["variant_sku"] {
		f.Variants = append(f.Variants, variantForm{ID: col("variant_id", i), SKU: col("variant_sku", i),
			Barcode: col("variant_barcode", i), Title: col("variant_title", i), Size: col("variant_size", i),
			Colour: col("variant_colour", i), Price: col("variant_price", i), Cost: col("variant_cost", i)})
	}
	return f
}

// input decodes the form into the service's input; errs holds what is not even a value
// (a price that is not a number), with the same field paths the service uses.
func (f productForm) input(currency string) (catalog.ProductInput, apperr.List) {
	var errs apperr.List
	in := catalog.ProductInput{Title: f.Title, Handle: f.Handle, Description: f.Description, Brand: f.Brand,
		Status: f.Status, LotTracked: f.LotTracked,
		CategoryID:    optInt64(&errs, "categoryId", f.CategoryID),
		ShelfLifeDays: optInt(&errs, "shelfLifeDays", f.ShelfLifeDays)}
	for i, v := range f.Variants {
		field := func(name string) string { return fmt.Sprintf("variants.%d.%s", i, name) }
		vi := catalog.VariantInput{SKU: v.SKU, Barcode: v.Barcode, Title: v.Title, Size: v.Size, Colour: v.Colour}
		if id := optInt64(&errs, field("id"), v.ID); id != nil {
			vi.ID = *id
		}
		vi.PriceAmount = amount(&errs, field("price"), v.Price, currency)
		vi.UnitCost = optCost(&errs, field("unitCost"), v.Cost, currency)
		in.Variants = append(in.Variants, vi)
	}
	return in, errs
}

var productFields = fieldSet("title", "handle", "description", "brand", "categoryId", "status",
	"lotTracked", "shelfLifeDays", "variants")

// shows reports whether the editor displays the field at path (a variant cell of a row it has).
func (f productForm) shows(path string) bool {
	if productFields(path) {
		return true
	}
	parts := strings.Split(path, ".")
	if len(parts) != 3 || parts[0] != "variants" {
		return false
	}
	i, err := strconv.Atoi(parts[1])
	if err != nil || i < 0 || i >= len(f.Variants) {
		return false
	}
	switch parts[2] {
	case "sku", "barcode", "title", "size", "colour", "price", "unitCost":
		return true
	}
	return false
}

// productPage is the product editor (or, for staff who may not edit, the same page read-only).
type productPage struct {
	Product    *catalog.Product // nil for a new product
	Form       productForm
	Errors     formErrors
	Categories []catalog.Category
	Currency   string
	Stock      stockTable
	CanEdit    bool
	// CanSeeCost shows the unit cost column (editors, who set costs, and accountants).
	CanSeeCost bool
}

// stockTable is each saved variant's stock at each active location.
type stockTable struct {
	Locations []location.Location
	Rows      []stockRow
}

type stockRow struct {
	Variant catalog.Variant
	Levels  []*inventory.Level // by Locations index; nil where the location holds none
}

func (s *server) productShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.Catalog.Product(ctx, id)
	if err != nil {
		return err
	}
	vs, err := s.Catalog.VariantsByProductIDs(ctx, []int64{id})
	if err != nil {
		return err
	}
	page, err := s.productPage(ctx, &p, productFormFrom(p, vs[id]), formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, productEditPage(page))
}

func (s *server) productNew(w http.ResponseWriter, r *http.Request) error {
	f := productForm{Status: catalog.StatusDraft, Variants: []variantForm{{}}}
	page, err := s.productPage(r.Context(), nil, f, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, productEditPage(page))
}

// variantRow is a blank line for the variant editor, appended by HTMX.
func (s *server) variantRow(w http.ResponseWriter, r *http.Request) error {
	return s.fragment(w, r, http.StatusOK, variantRowFields(-1, variantForm{}, formErrors{}, true, true))
}

func (s *server) productCreate(w http.ResponseWriter, r *http.Request) error {
	return s.saveProduct(w, r, 0)
}

func (s *server) productUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.saveProduct(w, r, id)
}

// saveProduct creates (id 0) or updates a product from the editor. The editor's own
// "add row"/"remove row" buttons post here too when JavaScript is off (op), and only
// re-render the form.
func (s *server) saveProduct(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var product *catalog.Product
	if id != 0 {
		p, err := s.Catalog.Product(ctx, id)
		if err != nil {
			return err
		}
		product = &p
	}
	f := readProductForm(r)
	if op := r.PostFormValue("op"); op != "" {
		f.apply(op)
		page, err := s.productPage(ctx, product, f, formErrors{})
		if err != nil {
			return err
		}
		return s.page(w, r, http.StatusOK, productEditPage(page))
	}
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return err
	}
	in, errs := f.input(currency)
	saved := catalog.Product{ID: id}
	switch {
	case len(errs) > 0:
		err = errs
	case id == 0:
		saved, err = s.Catalog.CreateProduct(ctx, in)
	default:
		saved, err = s.Catalog.UpdateProduct(ctx, id, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, f.shows, func(fe formErrors) (templ.Component, error) {
			page, err := s.productPage(ctx, product, f, fe)
			return productEditPage(page), err
		})
	}
	flash := flashProductSaved
	if id == 0 {
		flash = flashProductCreated
	}
	return s.redirect(w, r, productURL(saved.ID), flash)
}

// apply runs a no-JavaScript line-editor button: "add-row" or "remove-<row>".
func (f *productForm) apply(op string) {
	if op == "add-row" {
		f.Variants = append(f.Variants, variantForm{})
		return
	}
	if i, err := strconv.Atoi(strings.TrimPrefix(op, "remove-")); err == nil && i >= 0 && i < len(f.Variants) {
		f.Variants = append(f.Variants[:i], f.Variants[i+1:]...)
	}
}

// productPage gathers what the editor shows besides the form: categories, the currency
// prices are typed in and, for a saved product, its stock by location.
func (s *server) productPage(ctx context.Context, p *catalog.Product, f productForm, fe formErrors) (productPage, error) {
	a := actor.From(ctx)
	page := productPage{Product: p, Form: f, Errors: fe, CanEdit: catalog.CanEdit(a), CanSeeCost: catalog.CanSeeCost(a)}
	var err error
	if page.Categories, err = s.Catalog.Categories(ctx); err != nil {
		return page, err
	}
	if page.Currency, err = s.Catalog.Currency(ctx); err != nil {
		return page, err
	}
	if p == nil {
		return page, nil
	}
	page.Stock, err = s.stockTable(ctx, p.ID)
	return page, err
}

func (s *server) stockTable(ctx context.Context, productID int64) (stockTable, error) {
	var t stockTable
	vs, err := s.Catalog.VariantsByProductIDs(ctx, []int64{productID})
	if err != nil {
		return t, err
	}
	ids := make([]int64, len(vs[productID]))
	for i, v := range vs[productID] {
		ids[i] = v.ID
	}
	levels, err := s.Inventory.LevelsByVariantIDs(ctx, ids)
	if err != nil {
		return t, err
	}
	if t.Locations, err = s.Locations.List(ctx, location.Filter{}); err != nil {
		return t, err
	}
	col := make(map[int64]int, len(t.Locations))
	for i, l := range t.Locations {
		col[l.ID] = i
	}
	for _, v := range vs[productID] {
		row := stockRow{Variant: v, Levels: make([]*inventory.Level, len(t.Locations))}
		for _, l := range levels[v.ID] {
			if i, ok := col[l.LocationID]; ok {
				row.Levels[i] = &l
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func productURL(id int64) string { return "/admin/products/" + strconv.FormatInt(id, 10) }

// priceRange returns the lowest and highest variant price (in the first variant's currency).
func priceRange(vs []catalog.Variant) (lo, hi int64, currency string, ok bool) {
	for i, v := range vs {
		if i == 0 || v.PriceAmount < lo {
			lo = v.PriceAmount
		}
		if i == 0 || v.PriceAmount > hi {
			hi = v.PriceAmount
		}
	}
	if len(vs) == 0 {
		return 0, 0, "", false
	}
	return lo, hi, vs[0].Currency, true
}
