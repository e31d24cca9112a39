package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/loyalty"
	"atrium/internal/marketing"
	"atrium/internal/promotion"
)

// Coupons: the list with their uses and limits, and the form a manager creates one with.

const (
	couponPageSize = 25
	couponsURL     = "/admin/coupons"
)

// couponChannels are the channels a coupon can be limited to, in the form's order.
var couponChannels = []string{"WEB", "APP", "POS", "MARKETPLACE"}

// canManageCoupons is who sees and creates coupons (promotion.CreateCoupon: managers;
// admins hold every role).
func canManageCoupons(a actor.Actor) bool { return a.HasRole(actor.Manager) }

// couponFilter is the list's query string: part of a code, and the paging position (the
// cursor is a coupon id).
type couponFilter struct {
	Code  string
	Trail trail
}

func (f couponFilter) url(after string, prev []string) string {
	return listURL(couponsURL, url.Values{"code": {f.Code}}, after, prev)
}

// couponList is the coupon list page, with the names of what the coupons apply to.
type couponList struct {
	Filter     couponFilter
	Rows       []promotion.Coupon
	Pager      pager
	Currency   string
	products   map[int64]catalog.Product
	categories map[int64]catalog.Category
}

// Targets names what an ITEMS coupon applies to: its products, then its categories.
func (v couponList) Targets(c promotion.Coupon) []string {
	var out []string
	for _, id := range c.ProductIDs {
		out = append(out, v.products[id].Title)
	}
	for _, id := range c.CategoryIDs {
		out = append(out, v.categories[id].Name)
	}
	return out
}

func (s *server) couponList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := couponFilter{Code: promotion.NormalizeCode(q.Get("code")), Trail: readTrail(q)}
	after, _ := strconv.ParseInt(f.Trail.After, 10, 64)
	page, err := s.Coupons.List(ctx, promotion.CouponFilter{Code: f.Code, After: after, First: couponPageSize})
	if err != nil {
		return err
	}
	v := couponList{Filter: f, Rows: page.Coupons, categories: map[int64]catalog.Category{}}
	if v.Currency, err = s.Catalog.Currency(ctx); err != nil {
		return err
	}
	var productIDs []int64
	for _, c := range page.Coupons {
		productIDs = append(productIDs, c.ProductIDs...)
	}
	if v.products, err = s.Catalog.ProductsByIDs(ctx, productIDs); err != nil {
		return err
	}
	cats, err := s.Catalog.Categories(ctx)
	if err != nil {
		return err
	}
	for _, c := range cats {
		v.categories[c.ID] = c
	}
	next := ""
	if page.HasNextPage {
		next = strconv.FormatInt(page.Coupons[len(page.Coupons)-1].ID, 10)
	}
	v.Pager = f.Trail.pager(-1, couponPageSize, next, f.url)
	return s.page(w, r, http.StatusOK, couponListPage(v))
}

// couponForm is a coupon as typed. Percent is a percentage (12.5 for 12.5%); the amounts
// are in major units of the company currency; StartsOn and EndsOn are the first and last
// days the coupon applies, in the viewer's time zone.
type couponForm struct {
	Code, Description, Kind, Percent, Amount, Scope, Products, MinSpend string
	StartsOn, EndsOn, MaxRedemptions, MaxPerCustomer                    string
	Categories, Channels                                                []string
	Active                                                              bool
	// The audience: tier codes and/or a segment id, or a member number for a personal code.
	Tiers          []string
	Segment        string
	PersonalMember string
}

var couponFields = fieldSet("code", "description", "kind", "percentBp", "amount", "scope", "productIds", "categoryIds",
	"minSpend", "startsAt", "endsAt", "maxRedemptions", "maxPerCustomer", "tiers", "segmentId", "customerId")

// couponEditor is the new-coupon page.
type couponEditor struct {
	Form       couponForm
	Errors     formErrors
	Categories []catalog.Category
	Currency   string
	// Tiers and Segments are the audiences a coupon can be limited to.
	Tiers    []loyalty.Tier
	Segments []marketing.SegmentCount
}

func (s *server) couponEditor(ctx context.Context, f couponForm, fe formErrors) (couponEditor, error) {
	e := couponEditor{Form: f, Errors: fe}
	var err error
	if e.Categories, err = s.Catalog.Categories(ctx); err != nil {
		return e, err
	}
	if s.Loyalty != nil {
		st, err := s.Loyalty.Settings(ctx)
		if err != nil {
			return e, err
		}
		e.Tiers = st.Tiers
	}
	if s.Marketing != nil {
		if e.Segments, err = s.Marketing.Segments(ctx); err != nil {
			return e, err
		}
	}
	e.Currency, err = s.Catalog.Currency(ctx)
	return e, err
}

func (s *server) couponNew(w http.ResponseWriter, r *http.Request) error {
	e, err := s.couponEditor(r.Context(), couponForm{Kind: string(promotion.Percent), Scope: string(promotion.WholeOrder),
		Active: true}, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, couponNewPage(e))
}

func readCouponForm(r *http.Request) couponForm {
	v := r.PostFormValue
	return couponForm{Code: v("code"), Description: v("description"), Kind: v("kind"), Percent: v("percent"),
		Amount: v("amount"), Scope: v("scope"), Products: v("products"), MinSpend: v("minSpend"),
		StartsOn: v("startsOn"), EndsOn: v("endsOn"), MaxRedemptions: v("maxRedemptions"),
		MaxPerCustomer: v("maxPerCustomer"), Categories: r.PostForm["categoryId"], Channels: r.PostForm["channel"],
		Active: checked(r, "active"), Tiers: r.PostForm["tier"], Segment: v("segmentId"),
		PersonalMember: strings.TrimSpace(v("personalMember"))}
}

func (s *server) couponCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readCouponForm(r)
	in, err := s.couponInput(ctx, f)
	if err == nil {
		_, err = s.Coupons.CreateCoupon(ctx, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, couponFields, func(fe formErrors) (templ.Component, error) {
			e, err := s.couponEditor(ctx, f, fe)
			return couponNewPage(e), err
		})
	}
	return s.redirect(w, r, couponsURL, flashCouponCreated)
}

// couponInput decodes the form into the service's input; what is not a value (a
// percentage, an amount, a date, a product nobody has) comes back as an apperr.List on
// the field, like the service's own errors.
func (s *server) couponInput(ctx context.Context, f couponForm) (promotion.CouponInput, error) {
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return promotion.CouponInput{}, err
	}
	zone := viewOf(ctx).Zone()
	var errs apperr.List
	in := promotion.CouponInput{Code: f.Code, Description: f.Description, Kind: promotion.Kind(f.Kind),
		Scope: promotion.Scope(f.Scope), Channels: slices.Clone(f.Channels), Active: f.Active,
		MinSpend: optAmount(&errs, "minSpend", f.MinSpend, currency)}
	switch in.Kind {
	case promotion.Percent:
		in.PercentBP = percentBP(&errs, "percentBp", f.Percent)
	case promotion.Fixed:
		in.Amount = amount(&errs, "amount", f.Amount, currency)
	}
	if d := optDate(&errs, "startsAt", f.StartsOn); d != nil {
		t := startOfDay(*d, zone)
		in.StartsAt = &t
	}
	if d := optDate(&errs, "endsAt", f.EndsOn); d != nil {
		t := startOfDay(d.AddDate(0, 0, 1), zone) // the last day is included
		in.EndsAt = &t
	}
	if n := optInt(&errs, "maxRedemptions", f.MaxRedemptions); n != nil {
		in.MaxRedemptions = *n
	}
	if n := optInt(&errs, "maxPerCustomer", f.MaxPerCustomer); n != nil {
		in.MaxPerCustomer = *n
	}
	for _, c := range f.Categories {
		if id := optInt64(&errs, "categoryIds", c); id != nil {
			in.CategoryIDs = append(in.CategoryIDs, *id)
		}
	}
	if in.Scope == promotion.Items {
		if in.ProductIDs, err = s.productsByCode(ctx, &errs, "productIds", f.Products); err != nil {
			return in, err
		}
	}
	in.Tiers = slices.Clone(f.Tiers)
	if id := optInt64(&errs, "segmentId", f.Segment); id != nil {
		in.SegmentID = *id
	}
	if f.PersonalMember != "" {
		if in.CustomerID, err = s.memberByNumber(ctx, &errs, "customerId", f.PersonalMember); err != nil {
			return in, err
		}
	}
	return in, errs.Err()
}

// memberByNumber finds the active member with member number text (M00000042 or 42); one
// that is not found goes to errs.
func (s *server) memberByNumber(ctx context.Context, errs *apperr.List, field, text string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimLeft(text, "Mm"), 10, 64)
	if err != nil || n <= 0 {
		*errs = append(*errs, apperr.Invalid(field, "enter the member number, such as M00000042"))
		return 0, nil
	}
	page, err := s.Customers.Search(ctx, "M"+strconv.FormatInt(n, 10), 2, 0)
	if err != nil {
		return 0, err
	}
	if len(page.Members) != 1 {
		*errs = append(*errs, apperr.Invalid(field, "no active member has number %s; look the member up in Customers", text))
		return 0, nil
	}
	return page.Members[0].ID, nil
}

// productsByCode finds the products named in text by handle or by the SKU of one of
// their variants, separated by commas or spaces; a name that is neither goes to errs.
func (s *server) productsByCode(ctx context.Context, errs *apperr.List, field, text string) ([]int64, error) {
	var ids []int64
	for _, code := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		p, err := s.Catalog.ProductByHandle(ctx, code)
		if err == nil {
			ids = append(ids, p.ID)
			continue
		}
		if apperr.CodeOf(err) != apperr.CodeNotFound {
			return nil, err
		}
		vs, err := s.Catalog.VariantsBySKUs(ctx, []string{strings.ToUpper(code)})
		if err != nil {
			return nil, err
		}
		if v, ok := vs[strings.ToUpper(code)]; ok {
			ids = append(ids, v.ProductID)
			continue
		}
		*errs = append(*errs, apperr.Invalid(field, "no product has the handle or SKU %s", code))
	}
	return ids, nil
}

// percentBP decodes a percentage typed as 10, 12.5 or 12.5% into basis points (at most
// two decimals: a basis point is the smallest step).
func percentBP(errs *apperr.List, field, s string) int {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	d, err := decimal.NewFromString(s)
	if err != nil || !d.Shift(2).IsInteger() || d.Abs().GreaterThan(decimal.NewFromInt(maxWholeNumber)) {
		*errs = append(*errs, apperr.Invalid(field, "enter a percentage such as 10 or 12.5"))
		return 0
	}
	return int(d.Shift(2).IntPart())
}

// couponLastDay is the last day a coupon applies: its end is the first instant it no
// longer does.
func couponLastDay(end time.Time) time.Time { return end.Add(-time.Nanosecond) }
