// Package promotion owns coupons: what they take off (a percentage or a fixed amount, off
// the whole order or off some products and categories), when and where they apply
// (validity dates, minimum spend, channels) and how often (in total and per customer).
//
// Pricing is pure (Apply) so that a cart preview and the order service compute the same
// discounts; redeeming is a guarded counter in the order's own transaction (Redeem), so a
// total limit holds however many orders race for the last use.
package promotion

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
)

// Kind is what a coupon takes off.
type Kind string

const (
	// Percent takes PercentBP basis points (1/100 of a percent) off the eligible amount.
	Percent Kind = "PERCENT"
	// Fixed takes Amount minor units off the eligible amount (never more than it).
	Fixed Kind = "FIXED"
)

// Scope is what a coupon applies to.
type Scope string

const (
	// WholeOrder applies to every line.
	WholeOrder Scope = "ORDER"
	// Items applies to the lines of the coupon's products and categories.
	Items Scope = "ITEMS"
)

// Client codes of coupon errors, beside INVALID.
const (
	// ReasonNotApplicable: the coupon exists but does not apply to this order (expired,
	// not yet valid, another channel, below the minimum spend, no eligible line).
	ReasonNotApplicable = "COUPON_NOT_APPLICABLE"
	// ReasonLimitReached: the coupon's total or per-customer uses are spent.
	ReasonLimitReached = "COUPON_LIMIT_REACHED"
	// ReasonNotForCustomer: the coupon is for some members (tiers, a segment, one
	// customer) and this order's customer is not one of them, or is a guest.
	ReasonNotForCustomer = "COUPON_NOT_FOR_CUSTOMER"
)

// Coupon is a code that takes money off an order.
type Coupon struct {
	ID          int64  `db:"id"`
	Code        string `db:"code"`
	Description string `db:"description"`
	Kind        Kind   `db:"kind"`
	// PercentBP is set for Percent coupons: 1000 is 10%.
	PercentBP *int `db:"percent_bp"`
	// Amount is set for Fixed coupons, in minor units of the company currency.
	Amount *int64 `db:"amount"`
	Scope  Scope  `db:"scope"`
	// ProductIDs and CategoryIDs are what an Items coupon applies to; a category covers
	// its subcategories.
	ProductIDs  pq.Int64Array `db:"product_ids"`
	CategoryIDs pq.Int64Array `db:"category_ids"`
	// MinSpend is the least the eligible lines must come to before this coupon (minor units).
	MinSpend       int64      `db:"min_spend"`
	StartsAt       *time.Time `db:"starts_at"`
	EndsAt         *time.Time `db:"ends_at"`
	MaxRedemptions *int       `db:"max_redemptions"`
	MaxPerCustomer *int       `db:"max_per_customer"`
	// Redemptions counts the orders (not cancelled) that used the coupon.
	Redemptions int `db:"redemptions"`
	// Channels limits the coupon to some sales channels; empty means every channel.
	Channels  pq.StringArray `db:"channels"`
	Active    bool           `db:"active"`
	CreatedAt time.Time      `db:"created_at"`
	// CoveredCategoryIDs are CategoryIDs and all their subcategories, as read.
	CoveredCategoryIDs pq.Int64Array `db:"covered_categories"`
	// The audience: Tiers (loyalty tier codes), a SegmentID, or one CustomerID (a
	// personal, single-use code). None set: everyone, guests included.
	Tiers       pq.StringArray `db:"tiers"`
	SegmentID   *int64         `db:"segment_id"`
	CustomerID  *int64         `db:"customer_id"`
	SegmentName *string        `db:"segment_name"`
	// CustomerNumber is the member number of a personal coupon's customer.
	CustomerNumber *string `db:"customer_number"`
}

// Restricted reports whether only some members may use c.
func (c Coupon) Restricted() bool {
	return len(c.Tiers) > 0 || c.SegmentID != nil || c.CustomerID != nil
}

// Audience describes who may use c, for the back office.
func (c Coupon) Audience() string {
	var parts []string
	if c.CustomerID != nil {
		n := fmt.Sprintf("customer %d", *c.CustomerID)
		if c.CustomerNumber != nil {
			n = "member " + *c.CustomerNumber
		}
		parts = append(parts, "personal: "+n)
	}
	if len(c.Tiers) > 0 {
		parts = append(parts, "tiers "+strings.Join(c.Tiers, ", "))
	}
	if c.SegmentID != nil {
		n := fmt.Sprintf("#%d", *c.SegmentID)
		if c.SegmentName != nil {
			n = *c.SegmentName
		}
		parts = append(parts, "segment "+n)
	}
	if len(parts) == 0 {
		return "everyone"
	}
	return strings.Join(parts, "; ")
}

// SegmentMembership answers whether a customer is in a segment now, in the caller's
// transaction (*marketing.Service).
type SegmentMembership interface {
	IsMember(ctx context.Context, q sqlx.QueryerContext, segmentID, customerID int64) (bool, error)
}

// Service is the coupon use cases.
type Service struct {
	db       *sqlx.DB
	segments SegmentMembership
}

// NewService returns a Service on d.
func NewService(d *sqlx.DB) *Service { return &Service{db: d} }

// UseSegments sets how segment coupons check membership at redemption. Without it a
// segment coupon is refused (membership cannot be checked), never granted.
func (s *Service) UseSegments(m SegmentMembership) { s.segments = m }

// couponSelect reads coupons c with their targets and the categories they cover.
const couponSelect = `SELECT c.id, c.code, c.description, c.kind, c.percent_bp, c.amount, c.scope,
	c.min_spend, c.starts_at, c.ends_at, c.max_redemptions, c.max_per_customer, c.redemptions, c.channels,
	c.active, c.created_at,
	ARRAY(SELECT product_id FROM coupon_products WHERE coupon_id = c.id ORDER BY 1) AS product_ids,
	ARRAY(SELECT category_id FROM coupon_categories WHERE coupon_id = c.id ORDER BY 1) AS category_ids,
	ARRAY(WITH RECURSIVE sub AS (
		SELECT category_id AS id FROM coupon_categories WHERE coupon_id = c.id
		UNION SELECT k.id FROM categories k JOIN sub ON k.parent_id = sub.id)
	      SELECT id FROM sub ORDER BY 1) AS covered_categories,
	c.tiers, c.segment_id, c.customer_id,
	(SELECT sg.name FROM segments sg WHERE sg.id = c.segment_id) AS segment_name,
	(SELECT cu.member_number FROM customers cu WHERE cu.id = c.customer_id) AS customer_number
	FROM coupons c`

// CouponsByCodes returns the coupons with the given codes (case-insensitive), keyed by
// upper-cased code; unknown codes are absent. Anyone may look codes up: a code is what a
// shopper types.
func (s *Service) CouponsByCodes(ctx context.Context, codes []string) (map[string]Coupon, error) {
	norm := make([]string, len(codes))
	for i, c := range codes {
		norm[i] = NormalizeCode(c)
	}
	var rows []Coupon
	if err := s.db.SelectContext(ctx, &rows, couponSelect+` WHERE c.code = ANY($1)`, pq.Array(norm)); err != nil {
		return nil, fmt.Errorf("coupons by code: %w", err)
	}
	out := make(map[string]Coupon, len(rows))
	for _, c := range rows {
		out[c.Code] = c
	}
	return out, nil
}

// Coupon returns one coupon. Staff only. Errors: Unauthenticated, Forbidden, NotFound.
func (s *Service) Coupon(ctx context.Context, id int64) (Coupon, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Coupon{}, err
	}
	var c Coupon
	err := s.db.GetContext(ctx, &c, couponSelect+` WHERE c.id = $1`, id)
	return c, postgres.NotFound(err, "no coupon with id %d", id)
}

// NormalizeCode is how codes are stored and compared: trimmed, upper case.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// CouponInput is a coupon a manager creates.
type CouponInput struct {
	Code           string
	Description    string
	Kind           Kind
	PercentBP      int   // Percent: 1..10000
	Amount         int64 // Fixed: > 0, minor units
	Scope          Scope
	ProductIDs     []int64 // Items: the products it applies to
	CategoryIDs    []int64 // Items: the categories (with their subcategories)
	MinSpend       int64
	StartsAt       *time.Time
	EndsAt         *time.Time
	MaxRedemptions int // 0: no total limit
	MaxPerCustomer int // 0: no per-customer limit
	Channels       []string
	Active         bool
	// Audience: Tiers (loyalty tier codes) and/or a SegmentID, or one CustomerID for a
	// personal code (then used once: MaxRedemptions becomes 1). None: everyone.
	Tiers      []string
	SegmentID  int64
	CustomerID int64
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{2,39}$`)

// validChannels are the sales channels a coupon may be limited to.
var validChannels = []string{"WEB", "APP", "POS", "MARKETPLACE"}

func (in *CouponInput) normalize() error {
	in.Code = NormalizeCode(in.Code)
	in.Description = strings.TrimSpace(in.Description)
	var errs apperr.List
	if !codePattern.MatchString(in.Code) {
		errs = append(errs, apperr.Invalid("code", "a code has 3–40 capital letters, digits, dashes or underscores"))
	}
	switch in.Kind {
	case Percent:
		if in.PercentBP < 1 || in.PercentBP > 10000 {
			errs = append(errs, apperr.Invalid("percentBp", "a percentage is 1 to 10000 basis points (0.01%% to 100%%)"))
		}
	case Fixed:
		if in.Amount <= 0 {
			errs = append(errs, apperr.Invalid("amount", "a fixed amount is more than zero"))
		}
	default:
		errs = append(errs, apperr.Invalid("kind", "choose PERCENT or FIXED"))
	}
	switch in.Scope {
	case WholeOrder:
		if len(in.ProductIDs)+len(in.CategoryIDs) > 0 {
			errs = append(errs, apperr.Invalid("scope", "a whole-order coupon has no products or categories; choose ITEMS"))
		}
	case Items:
		if len(in.ProductIDs)+len(in.CategoryIDs) == 0 {
			errs = append(errs, apperr.Invalid("productIds", "choose the products or categories the coupon applies to"))
		}
	default:
		errs = append(errs, apperr.Invalid("scope", "choose ORDER or ITEMS"))
	}
	if in.MinSpend < 0 {
		errs = append(errs, apperr.Invalid("minSpend", "the minimum spend cannot be negative"))
	}
	if in.StartsAt != nil && in.EndsAt != nil && !in.EndsAt.After(*in.StartsAt) {
		errs = append(errs, apperr.Invalid("endsAt", "the coupon must end after it starts"))
	}
	if in.MaxRedemptions < 0 || in.MaxPerCustomer < 0 {
		errs = append(errs, apperr.Invalid("maxRedemptions", "limits are zero (none) or more"))
	}
	for i, ch := range in.Channels {
		in.Channels[i] = strings.ToUpper(strings.TrimSpace(ch))
		if !slices.Contains(validChannels, in.Channels[i]) {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("channels.%d", i), "choose among %v", validChannels))
		}
	}
	slices.Sort(in.Channels)
	in.Channels = slices.Compact(in.Channels)
	for i, t := range in.Tiers {
		in.Tiers[i] = strings.ToUpper(strings.TrimSpace(t))
	}
	in.Tiers = slices.DeleteFunc(in.Tiers, func(t string) bool { return t == "" })
	slices.Sort(in.Tiers)
	in.Tiers = slices.Compact(in.Tiers)
	if in.SegmentID < 0 || in.CustomerID < 0 {
		errs = append(errs, apperr.Invalid("segmentId", "choose a segment or customer from the list"))
	}
	if in.CustomerID > 0 {
		if len(in.Tiers) > 0 || in.SegmentID > 0 {
			errs = append(errs, apperr.Invalid("customerId", "a personal coupon is for one customer: clear the tiers and segment, or the customer"))
		}
		if in.MaxRedemptions > 1 {
			errs = append(errs, apperr.Invalid("maxRedemptions", "a personal coupon is used once: leave the limit empty or set it to 1"))
		}
		in.MaxRedemptions = 1
	}
	return errs.Err()
}

// checkAudience verifies that the tiers, segment and customer of in exist.
func checkAudience(ctx context.Context, q sqlx.QueryerContext, in CouponInput) error {
	var errs apperr.List
	if len(in.Tiers) > 0 {
		var unknown []string
		if err := sqlx.SelectContext(ctx, q, &unknown, `SELECT t FROM unnest($1::text[]) t
			WHERE NOT EXISTS (SELECT 1 FROM loyalty_tiers lt WHERE lt.code = t) ORDER BY t`, pq.Array(in.Tiers)); err != nil {
			return fmt.Errorf("check tiers: %w", err)
		}
		if len(unknown) > 0 {
			var known []string
			if err := sqlx.SelectContext(ctx, q, &known, `SELECT code FROM loyalty_tiers ORDER BY min_spend, code`); err != nil {
				return fmt.Errorf("tiers: %w", err)
			}
			errs = append(errs, apperr.Invalid("tiers", "no loyalty tier %s; choose among %s",
				strings.Join(unknown, ", "), strings.Join(known, ", ")))
		}
	}
	var ok bool
	if in.SegmentID > 0 {
		if err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM segments WHERE id = $1)`, in.SegmentID); err != nil {
			return fmt.Errorf("check segment: %w", err)
		}
		if !ok {
			errs = append(errs, apperr.Invalid("segmentId", "no segment with id %d; choose one from Marketing › Segments", in.SegmentID))
		}
	}
	if in.CustomerID > 0 {
		if err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1
			AND merged_into_id IS NULL AND erased_at IS NULL)`, in.CustomerID); err != nil {
			return fmt.Errorf("check customer: %w", err)
		}
		if !ok {
			errs = append(errs, apperr.Invalid("customerId",
				"no active customer with id %d (merged or erased customers cannot get a personal coupon); look the member up in Customers", in.CustomerID))
		}
	}
	return errs.Err()
}

// CreateCoupon adds a coupon. Managers and admins only; audited. Errors: Unauthenticated,
// Forbidden; apperr.List of Invalid fields, Conflict on code (reason DUPLICATE).
func (s *Service) CreateCoupon(ctx context.Context, in CouponInput) (Coupon, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Coupon{}, err
	}
	if err := in.normalize(); err != nil {
		return Coupon{}, err
	}
	var c Coupon
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := checkAudience(ctx, tx, in); err != nil {
			return err
		}
		id, err := insertCoupon(ctx, tx, in)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &c, couponSelect+` WHERE c.id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "coupon.created", Entity: "coupon", EntityID: id, After: c})
	})
	return c, err
}

// insertCoupon inserts in (normalized and checked) with its targets and returns its id.
func insertCoupon(ctx context.Context, q sqlx.QueryerContext, in CouponInput) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
			WITH c AS (
				INSERT INTO coupons (code, description, kind, percent_bp, amount, scope, min_spend, starts_at, ends_at,
					max_redemptions, max_per_customer, channels, active, tiers, segment_id, customer_id)
				VALUES ($1, $2, $3, nullif($4, 0), nullif($5, 0), $6, $7, $8, $9, nullif($10, 0), nullif($11, 0),
					nullif($12::text[], '{}'), $13, nullif($16::text[], '{}'), nullif($17, 0), nullif($18, 0))
				RETURNING id
			), p AS (
				INSERT INTO coupon_products (coupon_id, product_id) SELECT c.id, unnest($14::bigint[]) FROM c
			), k AS (
				INSERT INTO coupon_categories (coupon_id, category_id) SELECT c.id, unnest($15::bigint[]) FROM c
			)
			SELECT id FROM c`,
		in.Code, in.Description, in.Kind, in.PercentBP, in.Amount, in.Scope, in.MinSpend, in.StartsAt, in.EndsAt,
		in.MaxRedemptions, in.MaxPerCustomer, pq.Array(in.Channels), in.Active,
		pq.Array(uniq(in.ProductIDs)), pq.Array(uniq(in.CategoryIDs)), pq.Array(in.Tiers), in.SegmentID, in.CustomerID)
	switch {
	case postgres.IsUniqueViolation(err, "coupons_code_key"):
		return 0, apperr.List{apperr.Conflict("code", "the code %s is already used; choose another", in.Code).WithReason("DUPLICATE")}
	case postgres.IsForeignKeyViolation(err):
		return 0, apperr.List{apperr.Invalid("productIds", "a product or category does not exist; pick them from the lists")}
	case err != nil:
		return 0, fmt.Errorf("create coupon: %w", postgres.MapError(err))
	}
	return id, nil
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// Redemption is one use of a coupon by an order.
type Redemption struct {
	CouponID int64
	OrderID  int64
	// CustomerID or, for a guest, Email identifies whose use it is for per-customer limits.
	CustomerID *int64
	Email      string
	// Amount is what the coupon took off the order.
	Amount int64
}

// Redeem records r in the caller's transaction (ext): it takes one use off the coupon's
// total with a guarded update (the coupon row stays locked until the transaction ends, so
// concurrent orders queue on it and the limit holds) and checks the per-customer limit.
// Callers redeeming several coupons in one transaction do so in coupon id order.
//
// field names the coupon in the caller's input (e.g. "couponCodes.0"). Errors: apperr.List
// with reason COUPON_LIMIT_REACHED on field, or COUPON_NOT_APPLICABLE when the coupon was
// switched off meanwhile, or when a per-customer limit cannot be checked (no contact); the
// caller rolls back.
func (s *Service) Redeem(ctx context.Context, ext sqlx.ExtContext, field string, r Redemption) error {
	var c struct {
		Code           string         `db:"code"`
		MaxPerCustomer *int           `db:"max_per_customer"`
		Tiers          pq.StringArray `db:"tiers"`
		SegmentID      *int64         `db:"segment_id"`
		CustomerID     *int64         `db:"customer_id"`
	}
	err := sqlx.GetContext(ctx, ext, &c, `UPDATE coupons SET redemptions = redemptions + 1
		WHERE id = $1 AND active AND (max_redemptions IS NULL OR redemptions < max_redemptions)
		RETURNING code, max_per_customer, tiers, segment_id, customer_id`, r.CouponID)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.List{apperr.Invalid(field, "this coupon has been used as many times as it may be, or was withdrawn").
			WithReason(ReasonLimitReached)}
	}
	if err != nil {
		return fmt.Errorf("redeem coupon: %w", err)
	}
	if err := s.checkAudience(ctx, ext, field, c.Code, c.Tiers, c.SegmentID, c.CustomerID, r.CustomerID); err != nil {
		return err
	}
	if c.MaxPerCustomer != nil {
		if r.CustomerID == nil && r.Email == "" {
			return apperr.List{apperr.Invalid(field, "coupon %s is limited per customer: give the customer's account or email", c.Code).
				WithReason(ReasonNotApplicable)}
		}
		// The coupon row is locked by this transaction: uses by the same customer that
		// committed before are all visible to this statement.
		var used int
		err := sqlx.GetContext(ctx, ext, &used, `SELECT count(*) FROM coupon_redemptions
			WHERE coupon_id = $1 AND cancelled_at IS NULL
			  AND (customer_id = $2 OR ($2::bigint IS NULL AND email = $3))`, r.CouponID, r.CustomerID, r.Email)
		if err != nil {
			return fmt.Errorf("count coupon uses: %w", err)
		}
		if used >= *c.MaxPerCustomer {
			return apperr.List{apperr.Invalid(field, "coupon %s may be used %d time(s) per customer, and has been", c.Code, *c.MaxPerCustomer).
				WithReason(ReasonLimitReached)}
		}
	}
	_, err = ext.ExecContext(ctx, `INSERT INTO coupon_redemptions (coupon_id, order_id, customer_id, email, amount)
		VALUES ($1, $2, $3, nullif($4, ''), $5)`, r.CouponID, r.OrderID, r.CustomerID, r.Email, r.Amount)
	if err != nil {
		return fmt.Errorf("record coupon use: %w", postgres.MapError(err))
	}
	return nil
}

// checkAudience refuses a coupon restricted to tiers, a segment or one customer when the
// order's customer (nil: a guest) is not in its audience. It runs in the order's
// transaction, so the tier and segment are as of the order.
func (s *Service) checkAudience(ctx context.Context, q sqlx.ExtContext, field, code string, tiers pq.StringArray,
	segmentID, personalID, customerID *int64) error {
	if len(tiers) == 0 && segmentID == nil && personalID == nil {
		return nil
	}
	refuse := func(format string, args ...any) error {
		return apperr.List{apperr.Invalid(field, "coupon %s "+format, append([]any{code}, args...)...).WithReason(ReasonNotForCustomer)}
	}
	if customerID == nil {
		return refuse("is for members only: sign in (or look up the member at the till) as the member it was given to")
	}
	if personalID != nil {
		// A personal coupon follows its customer into a merge.
		var ok bool
		if err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1
			AND (id = $2 OR merged_into_id = $2))`, *personalID, *customerID); err != nil {
			return fmt.Errorf("check coupon owner: %w", err)
		}
		if !ok {
			return refuse("is personal to another member: only the member it was issued to can use it")
		}
	}
	if len(tiers) > 0 {
		var tier string
		if err := sqlx.GetContext(ctx, q, &tier, `SELECT coalesce((SELECT tier FROM loyalty_accounts WHERE customer_id = $1), 'MEMBER')`,
			*customerID); err != nil {
			return fmt.Errorf("customer tier: %w", err)
		}
		if !slices.Contains(tiers, tier) {
			return refuse("is for %s members only; this member is %s", strings.Join(tiers, " or "), tier)
		}
	}
	if segmentID != nil {
		if s.segments == nil {
			return refuse("is for a segment of members, which cannot be checked here; ask the store to apply it")
		}
		in, err := s.segments.IsMember(ctx, q, *segmentID, *customerID)
		if err != nil {
			return fmt.Errorf("check coupon segment: %w", err)
		}
		if !in {
			return refuse("is for a selected group of members, and this member is not in it")
		}
	}
	return nil
}

// CancelRedemptions gives back the coupon uses of a cancelled order, in the caller's
// transaction, locking coupons in id order.
func (s *Service) CancelRedemptions(ctx context.Context, ext sqlx.ExtContext, orderID int64) error {
	_, err := ext.ExecContext(ctx, `
		WITH r AS (
			UPDATE coupon_redemptions SET cancelled_at = now()
			WHERE order_id = $1 AND cancelled_at IS NULL RETURNING coupon_id
		)
		UPDATE coupons c SET redemptions = c.redemptions - 1
		FROM (SELECT coupon_id FROM r ORDER BY coupon_id) AS r WHERE c.id = r.coupon_id`, orderID)
	if err != nil {
		return fmt.Errorf("cancel coupon uses: %w", err)
	}
	return nil
}
