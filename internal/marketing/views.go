package marketing

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// ViewInput is one product page the storefront showed.
type ViewInput struct {
	// SessionID identifies an anonymous storefront session (16 to 100 of A-Z a-z 0-9 _ -);
	// ignored when a customer is signed in: the view is theirs.
	SessionID string
	ProductID int64
	// VariantID is the variant shown, if one was chosen; it must be of the product.
	VariantID *int64
	// Channel is WEB or APP.
	Channel string
}

var sessionRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,100}$`)

// TrackProductView records that the signed-in customer (or, anonymous, the session) looked
// at a product: one row per shopper and product with the count and the latest view; only
// the most recent MaxViewsPerShopper products are kept. Errors: apperr.Invalid.
func (s *Service) TrackProductView(ctx context.Context, in ViewInput) error {
	a := actor.From(ctx)
	var customerID *int64
	var session *string
	var errs apperr.List
	switch a.Kind {
	case actor.Customer:
		customerID = &a.ID
	case actor.Anonymous:
		if !sessionRe.MatchString(in.SessionID) {
			errs = append(errs, apperr.Invalid("sessionId", "give the storefront session id (16 to 100 letters, digits, _ or -)"))
		}
		session = &in.SessionID
	default:
		return apperr.Forbidden("product views are reported by the storefront for shoppers")
	}
	if in.Channel != "WEB" && in.Channel != "APP" {
		errs = append(errs, apperr.Invalid("channel", "%q is not a storefront channel; use WEB or APP", in.Channel))
	}
	if in.ProductID <= 0 {
		errs = append(errs, apperr.Invalid("productId", "give the product viewed"))
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var ok bool
		err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM products p WHERE p.id = $1
			AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM variants v WHERE v.id = $2 AND v.product_id = p.id)))`, in.ProductID, in.VariantID)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Invalid("productId", "no product %d (with variant %v)", in.ProductID, deref(in.VariantID))
		}
		if err := upsertView(ctx, tx, customerID, session, in.ProductID, in.VariantID, in.Channel, 1, s.cfg.Now(), s.cfg.Now()); err != nil {
			return err
		}
		return prune(ctx, tx, customerID, session, s.cfg.MaxViewsPerShopper)
	})
}

func deref(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

func upsertView(ctx context.Context, ext sqlx.ExtContext, customerID *int64, session *string, productID int64, variantID *int64,
	channel string, views int, first, last time.Time) error {
	conflict := `(customer_id, product_id) WHERE customer_id IS NOT NULL`
	if customerID == nil {
		conflict = `(session_id, product_id) WHERE session_id IS NOT NULL`
	}
	_, err := ext.ExecContext(ctx, `INSERT INTO product_views (customer_id, session_id, product_id, variant_id, channel, views,
			first_viewed_at, last_viewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT `+conflict+` DO UPDATE SET views = product_views.views + EXCLUDED.views,
			first_viewed_at = least(product_views.first_viewed_at, EXCLUDED.first_viewed_at),
			variant_id = CASE WHEN EXCLUDED.last_viewed_at >= product_views.last_viewed_at
				THEN coalesce(EXCLUDED.variant_id, product_views.variant_id) ELSE product_views.variant_id END,
			channel = CASE WHEN EXCLUDED.last_viewed_at >= product_views.last_viewed_at THEN EXCLUDED.channel ELSE product_views.channel END,
			last_viewed_at = greatest(product_views.last_viewed_at, EXCLUDED.last_viewed_at)`,
		customerID, session, productID, variantID, channel, views, first, last)
	if err != nil {
		return fmt.Errorf("record product view: %w", err)
	}
	return nil
}

// prune keeps a shopper's keep most recently viewed products.
func prune(ctx context.Context, ext sqlx.ExtContext, customerID *int64, session *string, keep int) error {
	_, err := ext.ExecContext(ctx, `DELETE FROM product_views WHERE id IN (
		SELECT id FROM product_views WHERE ($1::bigint IS NOT NULL AND customer_id = $1) OR ($2::text IS NOT NULL AND session_id = $2)
		ORDER BY last_viewed_at DESC, id DESC OFFSET $3)`, customerID, session, keep)
	if err != nil {
		return fmt.Errorf("prune product views: %w", err)
	}
	return nil
}

// MergeSessionViews gives the customer the views of an anonymous session they just signed
// in from (call it after a successful sign-in or registration, as that customer or the
// system). It returns how many products moved. Errors: apperr.Invalid, Forbidden.
func (s *Service) MergeSessionViews(ctx context.Context, sessionID string, customerID int64) (int, error) {
	a := actor.From(ctx)
	if !(a.Kind == actor.System || a.Kind == actor.Customer && a.ID == customerID) {
		return 0, apperr.Forbidden("only the signed-in customer can take over their session's views")
	}
	if !sessionRe.MatchString(sessionID) {
		return 0, apperr.Invalid("sessionId", "give the storefront session id (16 to 100 letters, digits, _ or -)")
	}
	var moved int
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var rows []struct {
			ProductID int64     `db:"product_id"`
			VariantID *int64    `db:"variant_id"`
			Channel   string    `db:"channel"`
			Views     int       `db:"views"`
			First     time.Time `db:"first_viewed_at"`
			Last      time.Time `db:"last_viewed_at"`
		}
		if err := tx.SelectContext(ctx, &rows, `DELETE FROM product_views WHERE session_id = $1
			RETURNING product_id, variant_id, channel, views, first_viewed_at, last_viewed_at`, sessionID); err != nil {
			return fmt.Errorf("take session views: %w", err)
		}
		for _, r := range rows {
			if err := upsertView(ctx, tx, &customerID, nil, r.ProductID, r.VariantID, r.Channel, r.Views, r.First, r.Last); err != nil {
				return err
			}
		}
		moved = len(rows)
		return prune(ctx, tx, &customerID, nil, s.cfg.MaxViewsPerShopper)
	})
	return moved, err
}

// ProductView is a product a customer looked at, for the associate's 360 view.
type ProductView struct {
	ProductID    int64     `db:"product_id" json:"productId"`
	Handle       string    `db:"handle" json:"handle"`
	Title        string    `db:"title" json:"title"`
	VariantID    *int64    `db:"variant_id" json:"variantId,omitempty"`
	SKU          *string   `db:"sku" json:"sku,omitempty"`
	Channel      string    `db:"channel" json:"channel"`
	Views        int       `db:"views" json:"views"`
	LastViewedAt time.Time `db:"last_viewed_at" json:"lastViewedAt"`
}

// RecentViews returns the products a customer looked at online, latest first (limit 1 to
// 200, default 20), including those of customers merged into them. Staff see anyone's, a
// customer their own.
func (s *Service) RecentViews(ctx context.Context, customerID int64, limit int) ([]ProductView, error) {
	a := actor.From(ctx)
	switch {
	case a.IsStaff(), a.Kind == actor.Customer && a.ID == customerID:
	case a.Kind == actor.Anonymous:
		return nil, apperr.Unauthenticated("sign in to do this")
	default:
		return nil, apperr.Forbidden("you can only see your own views")
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	var out []ProductView
	err := s.db.SelectContext(ctx, &out, `
		SELECT * FROM (
			SELECT DISTINCT ON (pv.product_id) pv.product_id, p.handle, p.title, pv.variant_id, v.sku, pv.channel,
				sum(pv.views) OVER (PARTITION BY pv.product_id) AS views, pv.last_viewed_at
			FROM product_views pv JOIN products p ON p.id = pv.product_id LEFT JOIN variants v ON v.id = pv.variant_id
			WHERE pv.customer_id = $1 OR pv.customer_id IN (SELECT id FROM customers WHERE merged_into_id = $1)
			ORDER BY pv.product_id, pv.last_viewed_at DESC) AS latest
		ORDER BY last_viewed_at DESC, product_id LIMIT $2`, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("recent views: %w", err)
	}
	return out, nil
}

// PruneSessionViews deletes the views of anonymous sessions last active before olderThan
// ago (sessions that never signed in); run it daily, from any number of servers. It
// returns how many rows it deleted.
func (s *Service) PruneSessionViews(ctx context.Context, olderThan time.Duration) (int64, error) {
	if olderThan < time.Hour {
		return 0, fmt.Errorf("marketing: keep session views at least an hour, not %s", olderThan)
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM product_views WHERE session_id IN (
		SELECT session_id FROM product_views WHERE session_id IS NOT NULL GROUP BY session_id HAVING max(last_viewed_at) < $1)`,
		s.cfg.Now().Add(-olderThan))
	if err != nil {
		return 0, fmt.Errorf("prune session views: %w", err)
	}
	return res.RowsAffected()
}
