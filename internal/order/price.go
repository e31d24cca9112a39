package order

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/promotion"
)

// priced is an order as the server prices it.
type priced struct {
	currency string
	lines    []pricedLine // in the request's order
	// Totals in minor units: total = subtotal − discount + shipping; tax is included.
	subtotal, discount, shipping, tax, total int64
	coupons                                  []appliedCoupon
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
// exactly, shipping for SHIP orders, and the tax included in the total, spread over the
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
	if err := s.applyCoupons(ctx, r, p); err != nil {
		return nil, err
	}
	merchandise := p.subtotal - p.discount
	if r.Method == Ship && (s.cfg.FreeShippingFrom <= 0 || merchandise < s.cfg.FreeShippingFrom) {
		p.shipping = s.cfg.ShippingFee
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
