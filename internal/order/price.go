package order

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/loyalty"
	"atrium/internal/promotion"
)

// priced is an order as the server prices it.
type priced struct {
	currency string
	lines    []pricedLine // in the request's order
	// Totals in minor units: total = subtotal − discount + shipping; tax is included.
	subtotal, discount, shipping, tax, total int64
	coupons                                  []appliedCoupon
	// tier is the customer's loyalty tier when it gave a benefit: tierDiscount (part of
	// discount) and/or tierFreeShipping (it waived the shipping fee); nil for guests.
	tier             *loyalty.Benefits
	tierDiscount     int64
	tierFreeShipping bool
}

// pricedLine is one line with its price; total = subtotal − discount, tax included.
type pricedLine struct {
	variant catalog.Variant
	// title is what the line is sold as: "Product — Variant".
	title                          string
	qty                            int
	subtotal, discount, tax, total int64
}

// appliedCoupon is a coupon with the input field it came from.
type appliedCoupon struct {
	field string
	promotion.Applied
}

// price prices r from its variants (as read with the order, b: the one price in every
// channel) and its coupons (looked up only when it has some), and computes the
// lines and totals: coupon discounts spread over their lines so that they add up
// exactly, then for a customer their loyalty tier's discount on what is left (spread the
// same way; one more read, never for guests), shipping for SHIP orders (free from the
// configured amount or from the tier's threshold, whichever is lower), and the tax included in the total, spread over the
// lines and shipping the same way. Errors: apperr.List (lines.<i>.sku, couponCodes.<i>).
func (s *Service) price(ctx context.Context, r *request, b *basket) (*priced, error) {
	variants := b.variants
	p := &priced{}
	var errs apperr.List
	for _, l := range r.Lines {
		v, ok := variants[l.SKU]
		if !ok {
			errs = append(errs, apperr.Invalid(r.lineField(l.SKU, "sku"), "no product with SKU %s is for sale", l.SKU))
			continue
		}
		if p.currency == "" {
			p.currency = v.Currency
		} else if v.Currency != p.currency {
			return nil, fmt.Errorf("variants priced in %s and %s: one company currency expected", p.currency, v.Currency)
		}
		sub := v.PriceAmount * int64(l.Quantity)
		p.lines = append(p.lines, pricedLine{variant: v, title: b.titles[v.ID], qty: l.Quantity, subtotal: sub, total: sub})
		p.subtotal += sub
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	err := s.applyCoupons(ctx, r, p)
	if err != nil {
		return nil, err
	}
	var tier *loyalty.Benefits
	if r.CustomerID > 0 {
		if tier, err = s.tierBenefits(ctx, r.CustomerID); err != nil {
			return nil, err
		}
		p.applyTierDiscount(tier)
	}
	merchandise := p.subtotal - p.discount
	freeShipping := s.cfg.FreeShippingFrom > 0 && merchandise >= s.cfg.FreeShippingFrom
	if r.Method == Ship && !freeShipping {
		if tier != nil && tier.FreeShippingThreshold != nil && merchandise >= *tier.FreeShippingThreshold {
			p.tier, p.tierFreeShipping = tier, true
		} else {
			p.shipping = s.cfg.ShippingFee
		}
	}
	p.total = merchandise + p.shipping
	p.tax = includedTax(p.total, s.cfg.TaxRateBP)
	weights := make([]int64, 0, len(p.lines)+1)
	for _, l := range p.lines {
		weights = append(weights, l.total)
	}
	taxes := promotion.Prorate(p.tax, append(weights, p.shipping))
	for i := range p.lines {
		p.lines[i].tax = taxes[i]
	}
	return p, nil
}

// applyTierDiscount takes the tier's discount percent off the merchandise left after
// coupons, spread over the lines in proportion to what is left of each so that the parts
// add up exactly.
func (p *priced) applyTierDiscount(b *loyalty.Benefits) {
	if b == nil || b.DiscountBP <= 0 {
		return
	}
	d := promotion.MulDivRound(p.subtotal-p.discount, int64(b.DiscountBP), 10000)
	if d <= 0 {
		return
	}
	weights := make([]int64, len(p.lines))
	for i, l := range p.lines {
		weights[i] = l.total
	}
	for i, part := range promotion.Prorate(d, weights) {
		p.lines[i].discount += part
		p.lines[i].total -= part
	}
	p.discount += d
	p.tier, p.tierDiscount = b, d
}

// tierBenefitsSQL reads, in one statement, the benefits of a customer's loyalty tier: the
// customer's, or the survivor's it was merged into; the lowest tier's for a customer
// without an account or whose data was erased (as loyalty.BenefitsOf).
const tierBenefitsSQL = `WITH RECURSIVE chain (id, merged_into_id, erased, depth) AS (
		SELECT id, merged_into_id, erased_at IS NOT NULL, 0 FROM customers WHERE id = $1
		UNION ALL
		SELECT c.id, c.merged_into_id, c.erased_at IS NOT NULL, chain.depth + 1
		FROM customers c JOIN chain ON c.id = chain.merged_into_id
		WHERE NOT chain.erased AND chain.depth < 16
	), member AS (
		SELECT id, erased FROM chain WHERE merged_into_id IS NULL OR erased ORDER BY depth LIMIT 1
	)
	SELECT t.code, t.name, t.discount_bp, t.multiplier_bp, t.free_shipping_threshold FROM loyalty_tiers t
	WHERE t.code = coalesce((SELECT a.tier FROM loyalty_accounts a JOIN member m ON m.id = a.customer_id WHERE NOT m.erased),
		(SELECT code FROM loyalty_tiers ORDER BY min_spend LIMIT 1))`

// tierBenefits returns the benefits of customerID's tier; nil when there are no tiers.
func (s *Service) tierBenefits(ctx context.Context, customerID int64) (*loyalty.Benefits, error) {
	stmt, err := s.prepared(ctx, tierBenefitsSQL)
	if err != nil {
		return nil, err
	}
	var b loyalty.Benefits
	err = stmt.GetContext(ctx, &b, customerID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tier benefits of customer %d: %w", customerID, err)
	}
	return &b, nil
}

// includedTax is the tax included in amount at rateBP basis points of the net price:
// amount − round(amount ÷ (1 + rate)).
func includedTax(amount, rateBP int64) int64 {
	if rateBP <= 0 {
		return 0
	}
	return amount - promotion.MulDivRound(amount, 10000, 10000+rateBP)
}

// applyCoupons prices r's coupons, in the order the client gave them, into p. Errors:
// apperr.List on couponCodes.<i> (unknown, not applicable, used up).
func (s *Service) applyCoupons(ctx context.Context, r *request, p *priced) error {
	if len(r.Coupons) == 0 {
		return nil
	}
	found, err := s.dep.Coupons.CouponsByCodes(ctx, r.Coupons)
	if err != nil {
		return err
	}
	codes := slices.SortedFunc(slices.Values(r.Coupons), func(a, b string) int {
		return cmp.Compare(r.couponFields[a], r.couponFields[b])
	})
	var errs apperr.List
	var coupons []promotion.Coupon
	var inputIndex []int
	categories := false
	for _, code := range codes {
		c, ok := found[code]
		if !ok {
			errs = append(errs, apperr.Invalid(couponField(r.couponFields[code]), "there is no coupon %s", code).
				WithReason(promotion.ReasonNotApplicable))
			continue
		}
		coupons, inputIndex = append(coupons, c), append(inputIndex, r.couponFields[code])
		categories = categories || len(c.CoveredCategoryIDs) > 0
	}
	cart := promotion.Cart{Channel: string(r.Channel), Items: make([]promotion.Item, len(p.lines))}
	for i, l := range p.lines {
		cart.Items[i] = promotion.Item{ProductID: l.variant.ProductID, Amount: l.subtotal}
	}
	if categories {
		// Coupons for categories need the products' categories.
		ids := make([]int64, len(p.lines))
		for i, l := range p.lines {
			ids[i] = l.variant.ProductID
		}
		products, err := s.dep.Catalog.ProductsByIDs(ctx, ids)
		if err != nil {
			return err
		}
		for i := range cart.Items {
			cart.Items[i].CategoryID = products[cart.Items[i].ProductID].CategoryID
		}
	}
	applied, err := promotion.Apply(cart, coupons, time.Now())
	if refused, ok := apperr.Errors(err); ok {
		// Apply names coupons by their index in coupons; the client knows its own.
		for _, e := range refused {
			c := *e
			if i, err := strconv.Atoi(c.Field[len(c.Field)-1]); err == nil && i < len(inputIndex) {
				c.Field = []string{"couponCodes", strconv.Itoa(inputIndex[i])}
			}
			errs = append(errs, &c)
		}
	} else if err != nil {
		return err
	}
	if err := errs.Err(); err != nil {
		return err
	}
	for k, a := range applied {
		p.coupons = append(p.coupons, appliedCoupon{field: couponField(inputIndex[k]), Applied: a})
		p.discount += a.Discount
		for i, d := range a.ItemDiscounts {
			p.lines[i].discount += d
			p.lines[i].total -= d
		}
	}
	return nil
}

func couponField(i int) string { return "couponCodes." + strconv.Itoa(i) }
