// Package catalog owns what the retailer sells: categories, products and their variants
// (SKU, barcode, options, one price in every channel).
package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// Product statuses. Only ACTIVE products are visible to shoppers.
const (
	StatusDraft    = "DRAFT"
	StatusActive   = "ACTIVE"
	StatusArchived = "ARCHIVED"
)

// Category groups products.
type Category struct {
	ID       int64  `db:"id"`
	Handle   string `db:"handle"`
	Name     string `db:"name"`
	ParentID *int64 `db:"parent_id"`
}

// Product is a thing the retailer sells, in one or more variants.
type Product struct {
	ID            int64     `db:"id" json:"id"`
	Handle        string    `db:"handle" json:"handle"`
	Title         string    `db:"title" json:"title"`
	Description   string    `db:"description" json:"description"`
	Brand         string    `db:"brand" json:"brand"`
	CategoryID    *int64    `db:"category_id" json:"categoryId"`
	Status        string    `db:"status" json:"status"`
	LotTracked    bool      `db:"lot_tracked" json:"lotTracked"`
	ShelfLifeDays *int      `db:"shelf_life_days" json:"shelfLifeDays"`
	CreatedAt     time.Time `db:"created_at" json:"-"`
	UpdatedAt     time.Time `db:"updated_at" json:"-"`
}

// Variant is one sellable version of a product (a size and colour), identified by SKU and
// barcode, with its price in minor units and what one unit costs the retailer.
type Variant struct {
	ID          int64   `db:"id" json:"id"`
	ProductID   int64   `db:"product_id" json:"productId"`
	SKU         string  `db:"sku" json:"sku"`
	Barcode     *string `db:"barcode" json:"barcode"`
	Title       string  `db:"title" json:"title"`
	Size        string  `db:"size" json:"size"`
	Colour      string  `db:"colour" json:"colour"`
	PriceAmount int64   `db:"price_amount" json:"priceAmount"`
	Currency    string  `db:"currency" json:"currency"`
	Position    int     `db:"position" json:"position"`
	// UnitCost is what one unit costs the retailer, in major units of Currency with up to
	// four decimals (supplier costs have sub-cent precision); nil when not known, and for
	// actors who may not see costs (see CanSeeCost).
	UnitCost *decimal.Decimal `db:"unit_cost" json:"unitCost"`
}

// Service is the catalog use cases.
type Service struct {
	db *sqlx.DB
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB) *Service { return &Service{db: d} }

const productColumns = `p.id, p.handle, p.title, p.description, p.brand, p.category_id, p.status,
	p.lot_tracked, p.shelf_life_days, p.created_at, p.updated_at`

const variantColumns = `v.id, v.product_id, v.sku, v.barcode, v.title, v.size, v.colour,
	v.price_amount, v.currency, v.position, v.unit_cost`

// MaxPage is the most products one page returns.
const MaxPage = 100

// ProductQuery selects a page of products, ordered by id.
type ProductQuery struct {
	// Search matches title, brand, handle or SKU (substring, case-insensitive) or an exact barcode.
	Search     string
	CategoryID *int64
	// Status filters by status; shoppers always see ACTIVE only.
	Status string
	// After is the id of the last product of the previous page (0 for the first page).
	After int64
	// First is the page size, 1..MaxPage (0 means 20).
	First int
}

// ProductPage is one page of products.
type ProductPage struct {
	Products    []Product
	HasNextPage bool
}

// canSeeAll reports whether the actor may see draft and archived products.
func canSeeAll(ctx context.Context) bool { return actor.From(ctx).IsStaff() }

// ListProducts returns a page of products. Errors: apperr.Invalid for a bad page size.
func (s *Service) ListProducts(ctx context.Context, q ProductQuery) (ProductPage, error) {
	if q.First == 0 {
		q.First = 20
	}
	if q.First < 1 || q.First > MaxPage {
		return ProductPage{}, apperr.Invalid("first", "a page has between 1 and %d products", MaxPage)
	}
	status := strings.ToUpper(strings.TrimSpace(q.Status))
	if !canSeeAll(ctx) {
		status = StatusActive
	}
	where, args := productWhere(q.Search, q.CategoryID, status)
	args = append(args, q.After, q.First+1)
	var rows []Product
	err := s.db.SelectContext(ctx, &rows, `SELECT `+productColumns+` FROM products p WHERE `+where+
		fmt.Sprintf(` AND p.id > $%d ORDER BY p.id LIMIT $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return ProductPage{}, fmt.Errorf("list products: %w", err)
	}
	page := ProductPage{Products: rows}
	if len(rows) > q.First {
		page.Products, page.HasNextPage = rows[:q.First], true
	}
	return page, nil
}

// CountProducts returns how many products match q (ignoring paging).
func (s *Service) CountProducts(ctx context.Context, q ProductQuery) (int, error) {
	status := strings.ToUpper(strings.TrimSpace(q.Status))
	if !canSeeAll(ctx) {
		status = StatusActive
	}
	where, args := productWhere(q.Search, q.CategoryID, status)
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM products p WHERE `+where, args...)
	return n, err
}

func productWhere(search string, category *int64, status string) (string, []any) {
	conds := []string{"true"}
	var args []any
	if status != "" {
		args = append(args, status)
		conds = append(conds, fmt.Sprintf("p.status = $%d", len(args)))
	}
	if category != nil {
		args = append(args, *category)
		conds = append(conds, fmt.Sprintf("p.category_id = $%d", len(args)))
	}
	if search = strings.TrimSpace(search); search != "" {
		args = append(args, "%"+escapeLike(search)+"%", strings.ReplaceAll(search, " ", ""))
		n := len(args)
		conds = append(conds, fmt.Sprintf(`(p.title ILIKE $%[1]d OR p.brand ILIKE $%[1]d OR p.handle ILIKE $%[1]d
			OR EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND (v.sku ILIKE $%[1]d OR v.barcode = $%[2]d)))`, n-1, n))
	}
	return strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ProductsByIDs returns the products with the given ids that the actor may see, keyed by id.
func (s *Service) ProductsByIDs(ctx context.Context, ids []int64) (map[int64]Product, error) {
	var rows []Product
	err := s.db.SelectContext(ctx, &rows, `SELECT `+productColumns+` FROM products p
		WHERE p.id = ANY($1) AND (p.status = 'ACTIVE' OR $2)`, pq.Array(ids), canSeeAll(ctx))
	if err != nil {
		return nil, fmt.Errorf("products by id: %w", err)
	}
	out := make(map[int64]Product, len(rows))
	for _, p := range rows {
		out[p.ID] = p
	}
	return out, nil
}

// Product returns the product with id, or apperr.NotFound.
func (s *Service) Product(ctx context.Context, id int64) (Product, error) {
	m, err := s.ProductsByIDs(ctx, []int64{id})
	if err != nil {
		return Product{}, err
	}
	p, ok := m[id]
	if !ok {
		return Product{}, apperr.NotFound("no product with id %d", id)
	}
	return p, nil
}

// ProductByHandle returns the product with handle, or apperr.NotFound.
func (s *Service) ProductByHandle(ctx context.Context, handle string) (Product, error) {
	var p Product
	err := s.db.GetContext(ctx, &p, `SELECT `+productColumns+` FROM products p
		WHERE p.handle = $1 AND (p.status = 'ACTIVE' OR $2)`, strings.ToLower(strings.TrimSpace(handle)), canSeeAll(ctx))
	return p, postgres.NotFound(err, "no product with handle %q", handle)
}

// VariantsByProductIDs returns each product's variants in display order.
func (s *Service) VariantsByProductIDs(ctx context.Context, productIDs []int64) (map[int64][]Variant, error) {
	var rows []Variant
	err := s.db.SelectContext(ctx, &rows, `SELECT `+variantColumns+` FROM variants v
		WHERE v.product_id = ANY($1) ORDER BY v.product_id, v.position, v.id`, pq.Array(productIDs))
	if err != nil {
		return nil, fmt.Errorf("variants by product: %w", err)
	}
	costs := CanSeeCost(actor.From(ctx))
	out := make(map[int64][]Variant, len(productIDs))
	for _, v := range rows {
		if !costs {
			v.UnitCost = nil
		}
		out[v.ProductID] = append(out[v.ProductID], v)
	}
	return out, nil
}

// VariantsByIDs returns the variants with the given ids whose products the actor may see.
func (s *Service) VariantsByIDs(ctx context.Context, ids []int64) (map[int64]Variant, error) {
	return s.variantsWhere(ctx, "v.id = ANY($1)", pq.Array(ids))
}

// VariantsBySKUs returns the variants with the given SKUs (upper-cased), keyed by SKU.
func (s *Service) VariantsBySKUs(ctx context.Context, skus []string) (map[string]Variant, error) {
	norm := make([]string, len(skus))
	for i, sku := range skus {
		norm[i] = strings.ToUpper(strings.TrimSpace(sku))
	}
	m, err := s.variantsWhere(ctx, "v.sku = ANY($1)", pq.Array(norm))
	if err != nil {
		return nil, err
	}
	out := make(map[string]Variant, len(m))
	for _, v := range m {
		out[v.SKU] = v
	}
	return out, nil
}

func (s *Service) variantsWhere(ctx context.Context, cond string, arg any) (map[int64]Variant, error) {
	var rows []Variant
	err := s.db.SelectContext(ctx, &rows, `SELECT `+variantColumns+` FROM variants v
		JOIN products p ON p.id = v.product_id WHERE `+cond+` AND (p.status = 'ACTIVE' OR $2)`, arg, canSeeAll(ctx))
	if err != nil {
		return nil, fmt.Errorf("variants: %w", err)
	}
	costs := CanSeeCost(actor.From(ctx))
	out := make(map[int64]Variant, len(rows))
	for _, v := range rows {
		if !costs {
			v.UnitCost = nil
		}
		out[v.ID] = v
	}
	return out, nil
}

// VariantKey identifies a variant by exactly one of id, SKU or barcode.
type VariantKey struct {
	ID      int64
	SKU     string
	Barcode string
}

// Variant looks one variant up. A scanned barcode may be a UPC-A (12 digits) of an EAN-13
// stored with a leading zero, or the reverse. Errors: apperr.Invalid when not exactly one
// key is given, apperr.NotFound.
func (s *Service) Variant(ctx context.Context, k VariantKey) (Variant, error) {
	given := 0
	for _, set := range []bool{k.ID != 0, k.SKU != "", k.Barcode != ""} {
		if set {
			given++
		}
	}
	if given != 1 {
		return Variant{}, apperr.Invalid("", "give exactly one of id, sku or barcode")
	}
	var m map[int64]Variant
	var err error
	switch {
	case k.ID != 0:
		m, err = s.VariantsByIDs(ctx, []int64{k.ID})
	case k.SKU != "":
		m, err = s.variantsWhere(ctx, "v.sku = $1", strings.ToUpper(strings.TrimSpace(k.SKU)))
	default:
		code := strings.TrimSpace(k.Barcode)
		alts := []string{code, "0" + code, strings.TrimPrefix(code, "0")}
		m, err = s.variantsWhere(ctx, "v.barcode = ANY($1)", pq.Array(alts))
	}
	if err != nil {
		return Variant{}, err
	}
	for _, v := range m {
		return v, nil
	}
	return Variant{}, apperr.NotFound("no variant matches %s", k.describe())
}

func (k VariantKey) describe() string {
	switch {
	case k.ID != 0:
		return "id " + strconv.FormatInt(k.ID, 10)
	case k.SKU != "":
		return "SKU " + k.SKU
	}
	return "barcode " + k.Barcode
}

// Categories returns every category by name.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	var out []Category
	err := s.db.SelectContext(ctx, &out, `SELECT id, handle, name, parent_id FROM categories ORDER BY name`)
	return out, err
}

// Counts are catalog figures for dashboards.
type Counts struct {
	Products int `db:"products"`
	Active   int `db:"active"`
	Variants int `db:"variants"`
}

// Count returns catalog figures.
func (s *Service) Count(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.GetContext(ctx, &c, `SELECT
		(SELECT count(*) FROM products) AS products,
		(SELECT count(*) FROM products WHERE status = 'ACTIVE') AS active,
		(SELECT count(*) FROM variants) AS variants`)
	return c, err
}

// ProductInput is a product with its variants as staff edit it.
type ProductInput struct {
	Handle        string
	Title         string
	Description   string
	Brand         string
	CategoryID    *int64
	Status        string
	LotTracked    bool
	ShelfLifeDays *int
	Variants      []VariantInput
}

// VariantInput is one variant row of ProductInput. ID 0 adds a variant; variants of the
// product missing from the input are removed (when nothing refers to them).
type VariantInput struct {
	ID          int64
	SKU         string
	Barcode     string
	Title       string
	Size        string
	Colour      string
	PriceAmount int64
	// UnitCost is the cost of one unit in major units of the company currency: at least
	// zero, at most four decimals; nil when not known.
	UnitCost *decimal.Decimal
}

// editors may change the catalog.
var editors = []actor.Role{actor.Admin, actor.Manager, actor.Buyer}

// costViewers may see unit costs: the editors, who set them, and accountants.
var costViewers = []actor.Role{actor.Admin, actor.Manager, actor.Buyer, actor.Accountant}

// CreateProduct adds a product with its variants. Errors: apperr.List (every invalid
// field, with its path such as variants.1.barcode), Forbidden.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (Product, error) {
	return s.saveProduct(ctx, 0, in)
}

// UpdateProduct replaces a product's fields and variants. Price changes are audited.
// Errors: as CreateProduct, plus NotFound.
func (s *Service) UpdateProduct(ctx context.Context, id int64, in ProductInput) (Product, error) {
	return s.saveProduct(ctx, id, in)
}

func (s *Service) saveProduct(ctx context.Context, id int64, in ProductInput) (Product, error) {
	if _, err := actor.RequireStaff(ctx, editors...); err != nil {
		return Product{}, err
	}
	if err := in.normalize(); err != nil {
		return Product{}, err
	}
	var p Product
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var currency string
		if err := tx.GetContext(ctx, &currency, `SELECT currency FROM settings`); err != nil {
			return err
		}
		var err error
		if id == 0 {
			err = tx.GetContext(ctx, &p, `INSERT INTO products AS p (handle, title, description, brand, category_id,
				status, lot_tracked, shelf_life_days) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING `+productColumns,
				in.Handle, in.Title, in.Description, in.Brand, in.CategoryID, in.Status, in.LotTracked, in.ShelfLifeDays)
		} else {
			err = tx.GetContext(ctx, &p, `UPDATE products AS p SET handle=$2, title=$3, description=$4, brand=$5,
				category_id=$6, status=$7, lot_tracked=$8, shelf_life_days=$9, updated_at=now()
				WHERE id = $1 RETURNING `+productColumns,
				id, in.Handle, in.Title, in.Description, in.Brand, in.CategoryID, in.Status, in.LotTracked, in.ShelfLifeDays)
			err = postgres.NotFound(err, "no product with id %d", id)
		}
		if err != nil {
			return mapProductErr(err, in)
		}
		return s.saveVariants(ctx, tx, p.ID, currency, in.Variants)
	})
	return p, err
}

func (s *Service) saveVariants(ctx context.Context, tx *sqlx.Tx, productID int64, currency string, vs []VariantInput) error {
	var existing []Variant
	if err := tx.SelectContext(ctx, &existing, `SELECT `+variantColumns+` FROM variants v WHERE product_id = $1 FOR UPDATE`, productID); err != nil {
		return err
	}
	old := make(map[int64]Variant, len(existing))
	for _, v := range existing {
		old[v.ID] = v
	}
	keep := make([]int64, 0, len(vs))
	for i, v := range vs {
		var barcode *string
		if v.Barcode != "" {
			barcode = &v.Barcode
		}
		if v.ID == 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO variants (product_id, sku, barcode, title, size, colour,
				price_amount, currency, position, unit_cost) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
				productID, v.SKU, barcode, v.Title, v.Size, v.Colour, v.PriceAmount, currency, i, v.UnitCost)
			if err != nil {
				return mapVariantErr(err, i, v)
			}
			continue
		}
		before, ok := old[v.ID]
		if !ok {
			return apperr.List{apperr.Invalid(fmt.Sprintf("variants.%d.id", i), "variant %d does not belong to this product", v.ID)}
		}
		keep = append(keep, v.ID)
		_, err := tx.ExecContext(ctx, `UPDATE variants SET sku=$2, barcode=$3, title=$4, size=$5, colour=$6,
			price_amount=$7, position=$8, unit_cost=$9, updated_at=now() WHERE id = $1`,
			v.ID, v.SKU, barcode, v.Title, v.Size, v.Colour, v.PriceAmount, i, v.UnitCost)
		if err != nil {
			return mapVariantErr(err, i, v)
		}
		if before.PriceAmount != v.PriceAmount {
			err := audit.Record(ctx, tx, audit.Entry{Action: "variant.price_changed", Entity: "variant", EntityID: v.ID,
				Before: map[string]any{"sku": before.SKU, "price": before.PriceAmount, "currency": before.Currency},
				After:  map[string]any{"sku": v.SKU, "price": v.PriceAmount, "currency": before.Currency}})
			if err != nil {
				return err
			}
		}
		if !sameCost(before.UnitCost, v.UnitCost) {
			err := audit.Record(ctx, tx, audit.Entry{Action: "variant.cost_changed", Entity: "variant", EntityID: v.ID,
				Before: map[string]any{"sku": before.SKU, "unitCost": before.UnitCost, "currency": before.Currency},
				After:  map[string]any{"sku": v.SKU, "unitCost": v.UnitCost, "currency": before.Currency}})
			if err != nil {
				return err
			}
		}
	}
	for _, v := range existing {
		if contains(keep, v.ID) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM variants WHERE id = $1`, v.ID); err != nil {
			if postgres.IsForeignKeyViolation(err) {
				return apperr.List{apperr.Conflict("variants", "variant %s has stock or history and cannot be removed; archive the product instead", v.SKU)}
			}
			return err
		}
	}
	return nil
}

// sameCost reports whether two optional costs are equal (1.5 equals 1.5000).
func sameCost(a, b *decimal.Decimal) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func mapProductErr(err error, in ProductInput) error {
	switch {
	case postgres.IsUniqueViolation(err, "products_handle_key"):
		return apperr.List{apperr.Conflict("handle", "the handle %q is used by another product", in.Handle).WithReason("DUPLICATE")}
	case postgres.IsForeignKeyViolation(err):
		return apperr.List{apperr.Invalid("categoryId", "that category does not exist")}
	}
	return postgres.MapError(err)
}

func mapVariantErr(err error, i int, v VariantInput) error {
	field := func(name string) string { return fmt.Sprintf("variants.%d.%s", i, name) }
	switch {
	case postgres.IsUniqueViolation(err, "variants_sku_key"):
		return apperr.List{apperr.Conflict(field("sku"), "SKU %s is already used by another variant", v.SKU).WithReason("DUPLICATE")}
	case postgres.IsUniqueViolation(err, "variants_barcode_key"):
		return apperr.List{apperr.Conflict(field("barcode"), "barcode %s is already used by another variant", v.Barcode).WithReason("DUPLICATE")}
	}
	return postgres.MapError(err)
}

var (
	handlePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	skuPattern    = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{1,39}$`)
)

// Handleize turns a title into a URL handle ("Linen Shirt, Navy" → "linen-shirt-navy").
func Handleize(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func (in *ProductInput) normalize() error {
	in.Title = strings.TrimSpace(in.Title)
	in.Handle = strings.ToLower(strings.TrimSpace(in.Handle))
	in.Brand = strings.TrimSpace(in.Brand)
	in.Description = strings.TrimSpace(in.Description)
	in.Status = strings.ToUpper(strings.TrimSpace(in.Status))
	if in.Handle == "" {
		in.Handle = Handleize(in.Title)
	}
	if in.Status == "" {
		in.Status = StatusActive
	}
	var errs apperr.List
	if in.Title == "" {
		errs = append(errs, apperr.Invalid("title", "enter the product's title"))
	}
	if !handlePattern.MatchString(in.Handle) {
		errs = append(errs, apperr.Invalid("handle", "a handle has lower-case letters and digits joined by single dashes, e.g. linen-shirt"))
	}
	if in.Status != StatusDraft && in.Status != StatusActive && in.Status != StatusArchived {
		errs = append(errs, apperr.Invalid("status", "choose DRAFT, ACTIVE or ARCHIVED"))
	}
	if in.ShelfLifeDays != nil && *in.ShelfLifeDays <= 0 {
		errs = append(errs, apperr.Invalid("shelfLifeDays", "shelf life is a positive number of days"))
	}
	if len(in.Variants) == 0 {
		errs = append(errs, apperr.Invalid("variants", "a product needs at least one variant"))
	}
	skus := map[string]int{}
	barcodes := map[string]int{}
	for i := range in.Variants {
		v := &in.Variants[i]
		f := func(name string) string { return fmt.Sprintf("variants.%d.%s", i, name) }
		v.SKU = strings.ToUpper(strings.TrimSpace(v.SKU))
		v.Title = strings.TrimSpace(v.Title)
		v.Size = strings.TrimSpace(v.Size)
		v.Colour = strings.TrimSpace(v.Colour)
		if v.Title == "" {
			v.Title = strings.Trim(strings.Join([]string{v.Colour, v.Size}, " / "), " /")
		}
		if v.Title == "" {
			v.Title = "Default"
		}
		if !skuPattern.MatchString(v.SKU) {
			errs = append(errs, apperr.Invalid(f("sku"), "a SKU has 2–40 capital letters, digits, dots, dashes or underscores"))
		} else if j, dup := skus[v.SKU]; dup {
			errs = append(errs, apperr.Invalid(f("sku"), "SKU %s is also on row %d", v.SKU, j+1).WithReason("DUPLICATE"))
		} else {
			skus[v.SKU] = i
		}
		if strings.TrimSpace(v.Barcode) != "" {
			code, err := NormalizeGTIN(f("barcode"), v.Barcode)
			if err != nil {
				errs = append(errs, err.(*apperr.Error))
			} else if j, dup := barcodes[code]; dup {
				errs = append(errs, apperr.Invalid(f("barcode"), "barcode %s is also on row %d", code, j+1).WithReason("DUPLICATE"))
			} else {
				barcodes[code] = i
				v.Barcode = code
			}
		} else {
			v.Barcode = ""
		}
		if v.PriceAmount < 0 {
			errs = append(errs, apperr.Invalid(f("price"), "a price cannot be negative"))
		}
		if err := checkCost(f("unitCost"), v.UnitCost); err != nil {
			errs = append(errs, err)
		}
	}
	return errs.Err()
}

// maxCost is the first cost the unit_cost column (NUMERIC(14,4)) cannot hold.
var maxCost = decimal.New(1, 10)

// checkCost validates an optional unit cost: not negative, at most four decimals, and
// below ten billion.
func checkCost(field string, c *decimal.Decimal) *apperr.Error {
	switch {
	case c == nil:
		return nil
	case c.IsNegative():
		return apperr.Invalid(field, "a cost cannot be negative")
	case !c.Equal(c.Truncate(4)):
		return apperr.Invalid(field, "a cost has at most four decimals")
	case c.GreaterThanOrEqual(maxCost):
		return apperr.Invalid(field, "a cost is less than 10,000,000,000")
	}
	return nil
}

// CanSeeCost reports whether a may see unit costs; other actors get variants without them.
func CanSeeCost(a actor.Actor) bool { return a.HasRole(costViewers...) }

// CanEdit reports whether a may create and change products, so a transport can hide
// editing from everyone else; CreateProduct and UpdateProduct still check on their own.
func CanEdit(a actor.Actor) bool { return a.HasRole(editors...) }

// Currency returns the company currency that prices are entered and stored in.
func (s *Service) Currency(ctx context.Context) (string, error) {
	var c string
	if err := s.db.GetContext(ctx, &c, `SELECT currency FROM settings`); err != nil {
		return "", fmt.Errorf("currency: %w", err)
	}
	return c, nil
}
