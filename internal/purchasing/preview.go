package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// LinePreview is a line of an order being written, as the supplier's terms make it: the
// variant found from what was typed or scanned, the supplier's code and cost, its pack and
// minimum, and the line's amount.
type LinePreview struct {
	// VariantID is 0 when nothing matched what was typed.
	VariantID   int64
	SKU         string
	Title       string
	SupplierSKU string
	Quantity    int
	UnitCost    decimal.Decimal
	// OnPriceList is true when the supplier sells the variant (PackSize and MinOrderQty are
	// then its terms; otherwise 1).
	OnPriceList bool
	PackSize    int
	MinOrderQty int
	// Total is Quantity × UnitCost in minor units of the supplier's currency.
	Total int64
}

// OrderPreview is an order being written, priced and checked without saving it, so an
// editor can show totals and who will have to approve it as lines are typed.
type OrderPreview struct {
	Currency string
	Lines    []LinePreview
	Total    int64
	// CompanyTotal is Total at today's rate (nil when no rate is recorded for Currency).
	CompanyTotal    *int64
	CompanyCurrency string
	// MinOrderAmount is the supplier's minimum (minor units of Currency; 0: none);
	// BelowMinimum tells that the order does not reach it yet.
	MinOrderAmount int64
	BelowMinimum   bool
	// Levels are the approvals the order would need if submitted now.
	Levels []Level
	// Errors are what must be fixed before the order can be saved (fields as in
	// CreateOrder: lines.<i>.quantity, ...). The preview is still filled as far as it can.
	Errors apperr.List
}

// PreviewOrder prices and checks in against the supplier's terms without saving anything:
// the same lookups and rules as CreateOrder, with the total in the company currency and
// the approval levels it would need. Buyers, managers and admins. Errors: Unauthenticated,
// Forbidden, NotFound (the supplier); problems with the order itself are in Errors.
func (s *Service) PreviewOrder(ctx context.Context, in OrderInput) (OrderPreview, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return OrderPreview{}, err
	}
	var sup Supplier
	if err := s.db.GetContext(ctx, &sup, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, in.SupplierID); err != nil {
		return OrderPreview{}, postgres.NotFound(err, "no supplier with id %d", in.SupplierID)
	}
	p := OrderPreview{Currency: sup.Currency, MinOrderAmount: sup.MinOrderAmount}
	resolved, errs, err := resolveLines(ctx, s.db, sup, in.Lines)
	if err != nil {
		return OrderPreview{}, err
	}
	p.Errors = errs
	var variants []int64
	for _, r := range resolved {
		lp, err := previewLine(ctx, s.db, sup, r)
		if err != nil {
			return OrderPreview{}, err
		}
		p.Lines = append(p.Lines, lp)
		p.Total += lp.Total
		if r.VariantID != 0 {
			variants = append(variants, r.VariantID)
		}
	}
	p.BelowMinimum = p.Total < sup.MinOrderAmount
	rate, company, err := rateFor(ctx, s.db, sup.Currency)
	if _, ok := apperr.As(err); ok {
		if p.CompanyCurrency, err = companyCurrency(ctx, s.db); err != nil {
			return OrderPreview{}, err
		}
		return p, nil
	}
	if err != nil {
		return OrderPreview{}, err
	}
	p.CompanyCurrency = company
	t := convert(p.Total, sup.Currency, rate, company)
	p.CompanyTotal = &t
	if p.Levels, err = levelsFor(ctx, s.db, variants, t); err != nil {
		return OrderPreview{}, err
	}
	return p, nil
}

// previewLine fills a resolved line with its variant and the supplier's terms.
func previewLine(ctx context.Context, q sqlx.QueryerContext, sup Supplier, r resolvedLine) (LinePreview, error) {
	lp := LinePreview{VariantID: r.VariantID, SupplierSKU: r.SupplierSKU, Quantity: r.Quantity, UnitCost: r.UnitCost,
		PackSize: 1, MinOrderQty: 1}
	if r.VariantID == 0 {
		return lp, nil
	}
	if err := q.QueryRowxContext(ctx, `SELECT sku, title FROM variants WHERE id = $1`, r.VariantID).Scan(&lp.SKU, &lp.Title); err != nil {
		return lp, fmt.Errorf("preview variant: %w", err)
	}
	var item SupplierItem
	err := sqlx.GetContext(ctx, q, &item, `SELECT `+supplierItemColumns+supplierItemFrom+`
		WHERE i.supplier_id = $1 AND i.variant_id = $2 AND i.active`, sup.ID, r.VariantID)
	switch {
	case err == nil:
		lp.OnPriceList, lp.PackSize, lp.MinOrderQty = true, item.PackSize, item.MinOrderQty
	case !errors.Is(err, sql.ErrNoRows):
		return lp, err
	}
	if r.Quantity > 0 {
		lp.Total = minorTotal(r.Quantity, r.UnitCost, sup.Currency)
	}
	return lp, nil
}
