package marketing

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
	"atrium/internal/promotion"
)

// IsMember reports whether customer customerID is in segment segmentID now, running the
// segment's rules for that one customer in q (the caller's transaction: a coupon is
// checked as of the order). It serves promotion.SegmentMembership, so it checks no
// actor: the caller decides who may ask. Errors: apperr.NotFound for the segment.
func (s *Service) IsMember(ctx context.Context, q sqlx.QueryerContext, segmentID, customerID int64) (bool, error) {
	sg, err := segmentByID(ctx, q, segmentID)
	if err != nil {
		return false, err
	}
	var b query
	where := b.where(sg.Rules, s.cfg.Now())
	var in bool
	if err := sqlx.GetContext(ctx, q, &in, `SELECT EXISTS (SELECT 1 FROM customers c WHERE c.id = `+b.arg(customerID)+` AND `+where+`)`,
		b.args...); err != nil {
		return false, fmt.Errorf("segment membership: %w", err)
	}
	return in, nil
}

// IssuePersonalCoupons gives every current member of a segment a personal single-use
// coupon made from template (its Code is the prefix: codes are PREFIX-XXXXXX, random and
// unique; the audience fields are ignored), in one transaction, audited, and returns how
// many were issued. Managers. Errors: apperr.NotFound (segment), apperr.List of Invalid
// template fields, apperr.Forbidden.
func (s *Service) IssuePersonalCoupons(ctx context.Context, segmentID int64, template promotion.CouponInput) (int, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return 0, err
	}
	var n int
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		sg, err := segmentByID(ctx, tx, segmentID)
		if err != nil {
			return err
		}
		var b query
		where := b.where(sg.Rules, s.cfg.Now())
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT c.id FROM customers c WHERE `+where+` ORDER BY c.id`, b.args...); err != nil {
			return fmt.Errorf("segment members: %w", err)
		}
		codes, err := promotion.IssuePersonal(ctx, tx, template, ids)
		if err != nil {
			return err
		}
		n = len(codes)
		return audit.Record(ctx, tx, audit.Entry{Action: "coupon.personal_issued", Entity: "segment", EntityID: segmentID,
			After: map[string]any{"segment": sg.Name, "prefix": promotion.NormalizeCode(template.Code), "issued": n,
				"kind": template.Kind, "percentBp": template.PercentBP, "amount": template.Amount}})
	})
	return n, err
}

// CouponPlaceholder in a campaign's body is replaced by the recipient's personal code.
const CouponPlaceholder = "{{coupon}}"

// StartCampaignWithCoupons starts a draft campaign (as StartCampaign) and, in the same
// transaction, issues each recipient (the segment's members with an email who consent to
// marketing email) a personal single-use coupon made from template (its Code is the
// prefix), which the email carries where the body says {{coupon}}. Managers; audited.
// It returns the campaign and the number of recipients (each has a code). Errors: as
// StartCampaign; apperr.Invalid on body when it has no {{coupon}}, apperr.List of Invalid
// template fields.
func (s *Service) StartCampaignWithCoupons(ctx context.Context, id int64, template promotion.CouponInput) (Campaign, int, error) {
	a, err := actor.RequireStaff(ctx, actor.Manager)
	if err != nil {
		return Campaign{}, 0, err
	}
	var out Campaign
	var n int
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		out, n, err = s.startCampaign(ctx, tx, a, id, func(c Campaign) error {
			if !strings.Contains(c.Body, CouponPlaceholder) {
				return apperr.Invalid("body", "campaign %q does not say where the code goes: put %s in its text", c.Name, CouponPlaceholder)
			}
			return nil
		})
		if err != nil {
			return err
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT customer_id FROM campaign_recipients WHERE campaign_id = $1 ORDER BY customer_id`, id); err != nil {
			return fmt.Errorf("campaign recipients: %w", err)
		}
		codes, err := promotion.IssuePersonal(ctx, tx, template, ids)
		if err != nil {
			return err
		}
		list := make([]string, 0, len(codes))
		for _, c := range codes {
			list = append(list, c)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE coupons SET campaign_id = $1 WHERE code = ANY($2)`, id, pq.Array(list)); err != nil {
			return fmt.Errorf("tag campaign coupons: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "coupon.personal_issued", Entity: "campaign", EntityID: id,
			After: map[string]any{"campaign": out.Name, "prefix": promotion.NormalizeCode(template.Code), "issued": len(codes),
				"kind": template.Kind, "percentBp": template.PercentBP, "amount": template.Amount}})
	})
	return out, n, err
}
