package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// PaymentBasis is what a supplier's payment days count from.
type PaymentBasis string

const (
	// Net: the bill is due Days after the invoice date ("net 30").
	Net PaymentBasis = "NET"
	// EndOfMonth: the bill is due Days after the end of the invoice's month ("EOM 30").
	EndOfMonth PaymentBasis = "END_OF_MONTH"
)

// PaymentTerms say when a supplier's bill is due and what paying early earns, as data
// accounts payable can compute with: 2/10 net 30 is Basis NET, Days 30, DiscountPct 2,
// DiscountDays 10.
type PaymentTerms struct {
	Basis       PaymentBasis    `db:"payment_basis" json:"basis"`
	Days        int             `db:"payment_days" json:"days"`
	DiscountPct decimal.Decimal `db:"discount_pct" json:"discountPct"`
	// DiscountDays count from the invoice date.
	DiscountDays int `db:"discount_days" json:"discountDays"`
}

// DueDate is the date a bill invoiced on invoiced is due.
func (t PaymentTerms) DueDate(invoiced time.Time) time.Time {
	y, m, d := invoiced.Date()
	if t.Basis == EndOfMonth {
		// Day 0 of the next month is the last day of this one.
		return time.Date(y, m+1, 0, 0, 0, 0, 0, invoiced.Location()).AddDate(0, 0, t.Days)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, invoiced.Location()).AddDate(0, 0, t.Days)
}

// DiscountDate is the last date a bill invoiced on invoiced earns the early-payment
// discount; ok is false when the terms have none.
func (t PaymentTerms) DiscountDate(invoiced time.Time) (date time.Time, ok bool) {
	if t.DiscountDays == 0 {
		return time.Time{}, false
	}
	y, m, d := invoiced.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, invoiced.Location()).AddDate(0, 0, t.DiscountDays), true
}

// Discount is the early-payment discount on amount (minor units), rounded to minor units.
func (t PaymentTerms) Discount(amount int64) int64 {
	return decimal.NewFromInt(amount).Mul(t.DiscountPct).Div(decimal.NewFromInt(100)).Round(0).IntPart()
}

// String writes the terms the way buyers and accountants say them: "net 30", "EOM 30",
// "2/10 net 30".
func (t PaymentTerms) String() string {
	s := fmt.Sprintf("net %d", t.Days)
	if t.Basis == EndOfMonth {
		s = fmt.Sprintf("EOM %d", t.Days)
	}
	if t.DiscountDays > 0 {
		s = fmt.Sprintf("%s/%d %s", t.DiscountPct.String(), t.DiscountDays, s)
	}
	return s
}

var termsPattern = regexp.MustCompile(`^(?:(\d+(?:\.\d{1,2})?)\s*/\s*(\d+)\s+)?(net|eom)\s*(\d+)$`)

// ParsePaymentTerms reads terms as String writes them ("net 30", "EOM 30", "2/10 net 30",
// case and spacing free) and validates them. Errors: apperr.List (paymentTerms).
func ParsePaymentTerms(s string) (PaymentTerms, error) {
	m := termsPattern.FindStringSubmatch(strings.ToLower(strings.Join(strings.Fields(s), " ")))
	if m == nil {
		return PaymentTerms{}, apperr.List{apperr.Invalid("paymentTerms",
			"write the terms as \"net 30\", \"EOM 30\" or, with an early-payment discount, \"2/10 net 30\"")}
	}
	t := PaymentTerms{Basis: Net}
	if m[3] == "eom" {
		t.Basis = EndOfMonth
	}
	fmt.Sscan(m[4], &t.Days)
	if m[1] != "" {
		t.DiscountPct, _ = decimal.NewFromString(m[1])
		fmt.Sscan(m[2], &t.DiscountDays)
	}
	if errs := t.check(nil, "paymentTerms"); len(errs) > 0 {
		return PaymentTerms{}, errs
	}
	return t, nil
}

// check validates t, reporting under prefix (e.g. "paymentTerms").
func (t PaymentTerms) check(errs apperr.List, prefix string) apperr.List {
	f := func(name string) string { return prefix + "." + name }
	if t.Basis != Net && t.Basis != EndOfMonth {
		errs = append(errs, apperr.Invalid(f("basis"), "choose NET (days after the invoice date) or END_OF_MONTH (days after the end of its month)"))
	}
	if t.Days < 0 || t.Days > 365 {
		errs = append(errs, apperr.Invalid(f("days"), "payment days are between 0 and 365"))
	}
	switch {
	case t.DiscountPct.IsNegative() || t.DiscountPct.GreaterThanOrEqual(decimal.NewFromInt(100)) || !t.DiscountPct.Equal(t.DiscountPct.Truncate(2)):
		errs = append(errs, apperr.Invalid(f("discountPct"), "an early-payment discount is a percentage from 0 to below 100, with at most two decimals"))
	case t.DiscountDays < 0:
		errs = append(errs, apperr.Invalid(f("discountDays"), "discount days cannot be negative"))
	case t.DiscountPct.IsZero() != (t.DiscountDays == 0):
		errs = append(errs, apperr.Invalid(f("discountDays"), "give both the discount percentage and the days it applies within (2/10: 2%% within 10 days), or neither"))
	case t.DiscountDays > 0 && t.Basis == Net && t.DiscountDays >= t.Days:
		errs = append(errs, apperr.Invalid(f("discountDays"), "the discount period (%d days) must end before the bill is due (net %d)", t.DiscountDays, t.Days))
	}
	return errs
}

// Supplier is a company we buy from.
type Supplier struct {
	ID          int64  `db:"id" json:"id"`
	Code        string `db:"code" json:"code"`
	Name        string `db:"name" json:"name"`
	ContactName string `db:"contact_name" json:"contactName"`
	Email       string `db:"email" json:"email"`
	Phone       string `db:"phone" json:"phone"`
	Address     string `db:"address" json:"address"`
	// Currency is what the supplier bills in; its orders are in it.
	Currency     string `db:"currency" json:"currency"`
	PaymentTerms `json:"paymentTerms"`
	LeadTimeDays int `db:"lead_time_days" json:"leadTimeDays"`
	// MinOrderAmount is the least an order may total, in minor units of Currency (0: none).
	MinOrderAmount int64     `db:"min_order_amount" json:"minOrderAmount"`
	Active         bool      `db:"active" json:"active"`
	CreatedAt      time.Time `db:"created_at" json:"-"`
	UpdatedAt      time.Time `db:"updated_at" json:"-"`
}

const supplierColumns = `id, code, name, contact_name, email, phone, address, currency, payment_basis, payment_days,
	discount_pct, discount_days, lead_time_days, min_order_amount, active, created_at, updated_at`

// SupplierInput is what buyers enter to create or edit a supplier.
type SupplierInput struct {
	Code           string
	Name           string
	ContactName    string
	Email          string
	Phone          string
	Address        string
	Currency       string
	PaymentTerms   PaymentTerms
	LeadTimeDays   int
	MinOrderAmount int64
	Active         bool
}

var (
	codePattern     = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,19}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	emailPattern    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func (in *SupplierInput) normalize() error {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	in.ContactName = strings.TrimSpace(in.ContactName)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Phone = strings.TrimSpace(in.Phone)
	in.Address = strings.TrimSpace(in.Address)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if in.PaymentTerms.Basis == "" {
		in.PaymentTerms.Basis = Net
	}
	var errs apperr.List
	if !codePattern.MatchString(in.Code) {
		errs = append(errs, apperr.Invalid("code", "a supplier code is 2 to 20 letters, digits or dashes, e.g. SUP-TEA"))
	}
	if in.Name == "" {
		errs = append(errs, apperr.Invalid("name", "enter the supplier's name"))
	}
	if in.Email != "" && !emailPattern.MatchString(in.Email) {
		errs = append(errs, apperr.Invalid("email", "%q is not an email address: orders are sent to it, e.g. orders@supplier.example", in.Email))
	}
	if !currencyPattern.MatchString(in.Currency) {
		errs = append(errs, apperr.Invalid("currency", "give the ISO 4217 code of the currency the supplier bills in, e.g. TWD or USD"))
	}
	errs = in.PaymentTerms.check(errs, "paymentTerms")
	if in.LeadTimeDays < 0 || in.LeadTimeDays > 365 {
		errs = append(errs, apperr.Invalid("leadTimeDays", "the lead time is between 0 and 365 days from order to arrival"))
	}
	if in.MinOrderAmount < 0 {
		errs = append(errs, apperr.Invalid("minOrderAmount", "a minimum order value cannot be negative (0 means none)"))
	}
	return errs.Err()
}

// CreateSupplier adds a supplier. Buyers, managers and admins. Errors: Unauthenticated,
// Forbidden, apperr.List of Invalid fields, Conflict on code (reason DUPLICATE).
func (s *Service) CreateSupplier(ctx context.Context, in SupplierInput) (Supplier, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Supplier{}, err
	}
	if err := in.normalize(); err != nil {
		return Supplier{}, err
	}
	var sup Supplier
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &sup, `INSERT INTO suppliers (code, name, contact_name, email, phone, address, currency,
			payment_basis, payment_days, discount_pct, discount_days, lead_time_days, min_order_amount, active)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING `+supplierColumns,
			in.Code, in.Name, in.ContactName, in.Email, in.Phone, in.Address, in.Currency, in.PaymentTerms.Basis,
			in.PaymentTerms.Days, in.PaymentTerms.DiscountPct, in.PaymentTerms.DiscountDays, in.LeadTimeDays,
			in.MinOrderAmount, in.Active)
		if err != nil {
			return mapSupplierErr(err, in.Code)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "supplier.created", Entity: "supplier", EntityID: sup.ID, After: sup})
	})
	return sup, err
}

// UpdateSupplier changes supplier id. Orders already submitted keep their currency and
// costs. Buyers, managers and admins. Errors: Unauthenticated, Forbidden, NotFound,
// apperr.List, Conflict on code.
func (s *Service) UpdateSupplier(ctx context.Context, id int64, in SupplierInput) (Supplier, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return Supplier{}, err
	}
	if err := in.normalize(); err != nil {
		return Supplier{}, err
	}
	var sup Supplier
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before Supplier
		if err := tx.GetContext(ctx, &before, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1 FOR UPDATE`, id); err != nil {
			return postgres.NotFound(err, "no supplier with id %d", id)
		}
		if in.Currency != before.Currency {
			// Item costs are in the supplier's currency: changing it would silently
			// reprice them.
			var items int
			if err := tx.GetContext(ctx, &items, `SELECT count(*) FROM supplier_items WHERE supplier_id = $1`, id); err != nil {
				return err
			}
			if items > 0 {
				return apperr.List{apperr.Invalid("currency",
					"%d items of %s are priced in %s: remove them (or create a new supplier for %s) before changing the currency",
					items, before.Name, before.Currency, in.Currency)}
			}
		}
		err := tx.GetContext(ctx, &sup, `UPDATE suppliers SET code=$2, name=$3, contact_name=$4, email=$5, phone=$6, address=$7,
			currency=$8, payment_basis=$9, payment_days=$10, discount_pct=$11, discount_days=$12, lead_time_days=$13,
			min_order_amount=$14, active=$15, updated_at=now() WHERE id = $1 RETURNING `+supplierColumns,
			id, in.Code, in.Name, in.ContactName, in.Email, in.Phone, in.Address, in.Currency, in.PaymentTerms.Basis,
			in.PaymentTerms.Days, in.PaymentTerms.DiscountPct, in.PaymentTerms.DiscountDays, in.LeadTimeDays,
			in.MinOrderAmount, in.Active)
		if err != nil {
			return mapSupplierErr(err, in.Code)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "supplier.updated", Entity: "supplier", EntityID: id, Before: before, After: sup})
	})
	return sup, err
}

func mapSupplierErr(err error, code string) error {
	if postgres.IsUniqueViolation(err, "suppliers_code_key") {
		return apperr.List{apperr.Conflict("code", "supplier code %s is taken: choose another", code).WithReason("DUPLICATE")}
	}
	return postgres.MapError(err)
}

// Supplier returns supplier id. Staff who buy, receive or pay. Errors: Unauthenticated,
// Forbidden, NotFound.
func (s *Service) Supplier(ctx context.Context, id int64) (Supplier, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return Supplier{}, err
	}
	var sup Supplier
	err := s.db.GetContext(ctx, &sup, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, id)
	return sup, postgres.NotFound(err, "no supplier with id %d", id)
}

// SupplierFilter selects suppliers.
type SupplierFilter struct {
	// Query matches the code or name (part of it, any case).
	Query string
	// ActiveOnly leaves out suppliers no longer bought from.
	ActiveOnly bool
}

// Suppliers returns the suppliers matching f, by name. Errors: Unauthenticated, Forbidden.
func (s *Service) Suppliers(ctx context.Context, f SupplierFilter) ([]Supplier, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	var out []Supplier
	q := strings.TrimSpace(f.Query)
	err := s.db.SelectContext(ctx, &out, `SELECT `+supplierColumns+` FROM suppliers
		WHERE ($1 = '' OR code ILIKE '%' || $1 || '%' OR name ILIKE '%' || $1 || '%') AND (NOT $2 OR active)
		ORDER BY name, id`, q, f.ActiveOnly)
	if err != nil {
		return nil, fmt.Errorf("suppliers: %w", err)
	}
	return out, nil
}

// SupplierItem is a variant a supplier sells us, at its cost in the supplier's currency.
type SupplierItem struct {
	SupplierID  int64  `db:"supplier_id" json:"supplierId"`
	VariantID   int64  `db:"variant_id" json:"variantId"`
	SKU         string `db:"sku" json:"sku"`
	Title       string `db:"title" json:"title"`
	SupplierSKU string `db:"supplier_sku" json:"supplierSku"`
	// UnitCost is in major units of the supplier's currency, up to four decimals.
	UnitCost decimal.Decimal `db:"unit_cost" json:"unitCost"`
	Currency string          `db:"currency" json:"currency"`
	// PackSize: orders are in whole packs of this many units.
	PackSize int `db:"pack_size" json:"packSize"`
	// MinOrderQty is the least one order may ask for, a whole number of packs.
	MinOrderQty int       `db:"min_order_qty" json:"minOrderQty"`
	Active      bool      `db:"active" json:"active"`
	UpdatedAt   time.Time `db:"updated_at" json:"-"`
}

// OrderQuantity is the least quantity at least want that the supplier accepts: a whole
// number of packs, no less than the minimum order quantity (0 when want is 0 or less).
func (i SupplierItem) OrderQuantity(want int) int {
	if want <= 0 {
		return 0
	}
	pack := max(1, i.PackSize)
	q := max(want, i.MinOrderQty)
	return (q + pack - 1) / pack * pack
}

const supplierItemColumns = `i.supplier_id, i.variant_id, v.sku, v.title, i.supplier_sku, i.unit_cost, s.currency,
	i.pack_size, i.min_order_qty, i.active, i.updated_at`

const supplierItemFrom = ` FROM supplier_items i JOIN variants v ON v.id = i.variant_id JOIN suppliers s ON s.id = i.supplier_id`

// SupplierItemInput is a variant's terms at a supplier. PackSize and MinOrderQty 0 mean 1
// pack and one pack.
type SupplierItemInput struct {
	SupplierID  int64
	VariantID   int64
	SupplierSKU string
	UnitCost    decimal.Decimal
	PackSize    int
	MinOrderQty int
	Active      bool
}

// maxCost is the first cost a NUMERIC(14,4) column cannot hold.
var maxCost = decimal.New(1, 10)

func checkCost(errs apperr.List, field string, c decimal.Decimal) apperr.List {
	switch {
	case c.IsNegative():
		return append(errs, apperr.Invalid(field, "a cost cannot be negative"))
	case !c.Equal(c.Truncate(4)):
		return append(errs, apperr.Invalid(field, "a cost has at most four decimals, e.g. 12.3456"))
	case c.GreaterThanOrEqual(maxCost):
		return append(errs, apperr.Invalid(field, "a unit cost is below 10,000,000,000"))
	}
	return errs
}

func (in *SupplierItemInput) normalize() error {
	in.SupplierSKU = strings.TrimSpace(in.SupplierSKU)
	if in.PackSize == 0 {
		in.PackSize = 1
	}
	if in.MinOrderQty == 0 {
		in.MinOrderQty = in.PackSize
	}
	var errs apperr.List
	if in.SupplierID <= 0 {
		errs = append(errs, apperr.Invalid("supplierId", "choose the supplier"))
	}
	if in.VariantID <= 0 {
		errs = append(errs, apperr.Invalid("variantId", "choose the variant the supplier sells"))
	}
	if in.SupplierSKU == "" || len(in.SupplierSKU) > 60 {
		errs = append(errs, apperr.Invalid("supplierSku", "enter the supplier's own code for this item (up to 60 characters), as on its price list"))
	}
	errs = checkCost(errs, "unitCost", in.UnitCost)
	switch {
	case in.PackSize < 1:
		errs = append(errs, apperr.Invalid("packSize", "a pack holds at least 1 unit"))
	case in.MinOrderQty < 1:
		errs = append(errs, apperr.Invalid("minOrderQty", "the minimum order quantity is at least 1 unit"))
	case in.MinOrderQty%in.PackSize != 0:
		lower := in.MinOrderQty / in.PackSize * in.PackSize
		upper := lower + in.PackSize
		hint := fmt.Sprintf("use %d", upper)
		if lower > 0 {
			hint = fmt.Sprintf("use %d or %d", lower, upper)
		}
		errs = append(errs, apperr.Invalid("minOrderQty", "the minimum order quantity %d is not a whole number of packs of %d: %s",
			in.MinOrderQty, in.PackSize, hint).WithReason(ReasonPackSize))
	}
	return errs.Err()
}

// SetSupplierItem records (or changes) the terms at which a supplier sells a variant.
// Buyers, managers and admins; a cost change is audited. Errors: Unauthenticated,
// Forbidden, apperr.List (supplierId, variantId, supplierSku with reason DUPLICATE,
// unitCost, packSize, minOrderQty).
func (s *Service) SetSupplierItem(ctx context.Context, in SupplierItemInput) (SupplierItem, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return SupplierItem{}, err
	}
	if err := in.normalize(); err != nil {
		return SupplierItem{}, err
	}
	var item SupplierItem
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before *SupplierItem
		var b SupplierItem
		err := tx.GetContext(ctx, &b, `SELECT `+supplierItemColumns+supplierItemFrom+`
			WHERE i.supplier_id = $1 AND i.variant_id = $2 FOR UPDATE OF i`, in.SupplierID, in.VariantID)
		switch {
		case err == nil:
			before = &b
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO supplier_items (supplier_id, variant_id, supplier_sku, unit_cost, pack_size,
			min_order_qty, active) VALUES ($1,$2,$3,$4,$5,$6,$7)
			ON CONFLICT (supplier_id, variant_id) DO UPDATE SET supplier_sku = EXCLUDED.supplier_sku,
				unit_cost = EXCLUDED.unit_cost, pack_size = EXCLUDED.pack_size, min_order_qty = EXCLUDED.min_order_qty,
				active = EXCLUDED.active, updated_at = now()`,
			in.SupplierID, in.VariantID, in.SupplierSKU, in.UnitCost, in.PackSize, in.MinOrderQty, in.Active)
		if err != nil {
			return mapItemErr(err, in.SupplierSKU)
		}
		if err := tx.GetContext(ctx, &item, `SELECT `+supplierItemColumns+supplierItemFrom+`
			WHERE i.supplier_id = $1 AND i.variant_id = $2`, in.SupplierID, in.VariantID); err != nil {
			return err
		}
		if before != nil && before.UnitCost.Equal(item.UnitCost) && before.PackSize == item.PackSize &&
			before.MinOrderQty == item.MinOrderQty && before.SupplierSKU == item.SupplierSKU && before.Active == item.Active {
			return nil
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "supplier_item.set", Entity: "supplier", EntityID: in.SupplierID,
			Before: before, After: item})
	})
	return item, err
}

func mapItemErr(err error, sku string) error {
	var pe *pq.Error
	switch {
	case postgres.IsUniqueViolation(err, "supplier_items_sku_key"):
		return apperr.List{apperr.Invalid("supplierSku", "the supplier's code %s is already on another of its items", sku).WithReason("DUPLICATE")}
	case errors.As(err, &pe) && postgres.IsForeignKeyViolation(err) && strings.Contains(pe.Constraint, "supplier"):
		return apperr.List{apperr.Invalid("supplierId", "no such supplier")}
	case postgres.IsForeignKeyViolation(err):
		return apperr.List{apperr.Invalid("variantId", "no such variant")}
	}
	return postgres.MapError(err)
}

// RemoveSupplierItem takes a variant off a supplier's price list; orders already written
// keep their lines. Buyers, managers and admins. Errors: Unauthenticated, Forbidden,
// NotFound.
func (s *Service) RemoveSupplierItem(ctx context.Context, supplierID, variantID int64) error {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return err
	}
	return postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before SupplierItem
		err := tx.GetContext(ctx, &before, `SELECT `+supplierItemColumns+supplierItemFrom+`
			WHERE i.supplier_id = $1 AND i.variant_id = $2 FOR UPDATE OF i`, supplierID, variantID)
		if err != nil {
			return postgres.NotFound(err, "the supplier does not sell this variant")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM supplier_items WHERE supplier_id = $1 AND variant_id = $2`,
			supplierID, variantID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "supplier_item.removed", Entity: "supplier", EntityID: supplierID,
			Before: before})
	})
}

// SupplierItems returns what supplier supplierID sells us, by SKU. Errors:
// Unauthenticated, Forbidden.
func (s *Service) SupplierItems(ctx context.Context, supplierID int64) ([]SupplierItem, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	var out []SupplierItem
	err := s.db.SelectContext(ctx, &out, `SELECT `+supplierItemColumns+supplierItemFrom+`
		WHERE i.supplier_id = $1 ORDER BY v.sku`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("supplier items: %w", err)
	}
	return out, nil
}

// SuppliersOfVariant returns the active terms of every active supplier of a variant,
// cheapest first in the company currency where a rate is known. Errors: Unauthenticated,
// Forbidden.
func (s *Service) SuppliersOfVariant(ctx context.Context, variantID int64) ([]SupplierItem, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	var out []SupplierItem
	err := s.db.SelectContext(ctx, &out, `SELECT `+supplierItemColumns+supplierItemFrom+`
		LEFT JOIN exchange_rates r ON r.currency = s.currency
		WHERE i.variant_id = $1 AND i.active AND s.active
		ORDER BY i.unit_cost * CASE WHEN s.currency = (SELECT currency FROM settings) THEN 1 ELSE r.rate END NULLS LAST, s.name`,
		variantID)
	if err != nil {
		return nil, fmt.Errorf("suppliers of variant: %w", err)
	}
	return out, nil
}

// SuppliersOfVariants is SuppliersOfVariant for many variants in one query: each variant's
// active terms of active suppliers, cheapest first (variants without any are left out).
// Errors: Unauthenticated, Forbidden.
func (s *Service) SuppliersOfVariants(ctx context.Context, variantIDs []int64) (map[int64][]SupplierItem, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	out := map[int64][]SupplierItem{}
	if len(variantIDs) == 0 {
		return out, nil
	}
	var items []SupplierItem
	err := s.db.SelectContext(ctx, &items, `SELECT `+supplierItemColumns+supplierItemFrom+`
		LEFT JOIN exchange_rates r ON r.currency = s.currency
		WHERE i.variant_id = ANY($1) AND i.active AND s.active
		ORDER BY i.variant_id,
			i.unit_cost * CASE WHEN s.currency = (SELECT currency FROM settings) THEN 1 ELSE r.rate END NULLS LAST, s.name`,
		pq.Array(variantIDs))
	if err != nil {
		return nil, fmt.Errorf("suppliers of variants: %w", err)
	}
	for _, it := range items {
		out[it.VariantID] = append(out[it.VariantID], it)
	}
	return out, nil
}

// formatAmount shows an amount for a message.
func formatAmount(amount int64, currency string) string { return money.Format(amount, currency) }
