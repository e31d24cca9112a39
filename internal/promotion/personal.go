package promotion

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// personalAlphabet leaves out letters and digits read alike (0/O, 1/I/L), so a code
// read aloud at the till is typed right: 31^6 ≈ 887 million codes per prefix.
const personalAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

var prefixPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{1,32}$`)

// randomSuffix returns 6 random characters of personalAlphabet.
func randomSuffix() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		// 256 is not a multiple of 31: the slight bias does not matter for a code that is
		// also bound to its customer.
		b[i] = personalAlphabet[int(b[i])%len(personalAlphabet)]
	}
	return string(b)
}

// IssuePersonal creates, in the caller's transaction, one personal single-use coupon per
// customer from tmpl (its Code is the prefix: codes are PREFIX-XXXXXX, random and unique;
// tiers, segment and customer are ignored), and returns the code issued to each customer.
// The caller checks permissions, the customers, and audits. Errors: apperr.List of
// Invalid fields (the template's, with code naming the prefix).
func IssuePersonal(ctx context.Context, tx *sqlx.Tx, tmpl CouponInput, customerIDs []int64) (map[int64]string, error) {
	prefix := NormalizeCode(tmpl.Code)
	tmpl.Tiers, tmpl.SegmentID, tmpl.MaxRedemptions = nil, 0, 0
	tmpl.Code = prefix + "-AAAAAA"
	tmpl.CustomerID = 1 // validated as personal; set per customer below
	err := tmpl.normalize()
	var errs apperr.List
	if err != nil {
		l, ok := err.(apperr.List)
		if !ok {
			return nil, err
		}
		for _, e := range l {
			if len(e.Field) == 1 && e.Field[0] == "code" {
				continue
			}
			errs = append(errs, e)
		}
	}
	if !prefixPattern.MatchString(prefix) {
		errs = append(errs, apperr.Invalid("code", "a code prefix has 2–33 capital letters, digits, dashes or underscores, e.g. VIP-SPRING"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(customerIDs))
	todo := uniq(customerIDs)
	// A clash with an existing code is unlikely; those customers get a new draw.
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == 8 {
			return nil, apperr.Conflict("code", "could not find unused codes with prefix %s; choose a longer or different prefix", prefix).
				WithReason("DUPLICATE")
		}
		codes := make([]string, len(todo))
		for i := range todo {
			codes[i] = prefix + "-" + randomSuffix()
		}
		var rows []struct {
			ID         int64  `db:"id"`
			CustomerID int64  `db:"customer_id"`
			Code       string `db:"code"`
		}
		err := tx.SelectContext(ctx, &rows, `INSERT INTO coupons (code, description, kind, percent_bp, amount, scope, min_spend,
				starts_at, ends_at, max_redemptions, max_per_customer, channels, active, customer_id)
			SELECT DISTINCT ON (x.code) x.code, $3, $4, nullif($5, 0), nullif($6, 0), $7, $8, $9::timestamptz, $10::timestamptz, 1,
				nullif($11, 0), nullif($12::text[], '{}'), $13, x.customer_id
			FROM unnest($1::text[], $2::bigint[]) AS x (code, customer_id)
			ORDER BY x.code
			ON CONFLICT (code) DO NOTHING
			RETURNING id, customer_id, code`,
			pq.Array(codes), pq.Array(todo), tmpl.Description, tmpl.Kind, tmpl.PercentBP, tmpl.Amount, tmpl.Scope, tmpl.MinSpend,
			tmpl.StartsAt, tmpl.EndsAt, tmpl.MaxPerCustomer, pq.Array(tmpl.Channels), tmpl.Active)
		if err != nil {
			return nil, fmt.Errorf("issue personal coupons: %w", err)
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			out[r.CustomerID] = r.Code
			ids[i] = r.ID
		}
		if len(ids) > 0 && len(tmpl.ProductIDs)+len(tmpl.CategoryIDs) > 0 {
			_, err := tx.ExecContext(ctx, `
				WITH p AS (INSERT INTO coupon_products (coupon_id, product_id)
					SELECT c, p FROM unnest($1::bigint[]) c, unnest($2::bigint[]) p)
				INSERT INTO coupon_categories (coupon_id, category_id) SELECT c, k FROM unnest($1::bigint[]) c, unnest($3::bigint[]) k`,
				pq.Array(ids), pq.Array(uniq(tmpl.ProductIDs)), pq.Array(uniq(tmpl.CategoryIDs)))
			if err != nil {
				if postgres.IsForeignKeyViolation(err) {
					return nil, apperr.List{apperr.Invalid("productIds", "a product or category does not exist; pick them from the lists")}
				}
				return nil, fmt.Errorf("personal coupon targets: %w", err)
			}
		}
		next := todo[:0:0]
		for _, id := range todo {
			if _, ok := out[id]; !ok {
				next = append(next, id)
			}
		}
		todo = next
	}
	return out, nil
}
