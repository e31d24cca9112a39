package purchasing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/inventory"
	"atrium/internal/notify"
	"atrium/internal/postgres"
)

// ApprovalRule asks for an approval at Level, by someone holding one of Roles, of every
// order whose total in the company currency is above AboveAmount and at most UpToAmount
// (nil: unbounded; minor units) and that holds a line of CategoryID or one of its
// sub-categories (nil: any category).
type ApprovalRule struct {
	ID          int64          `db:"id" json:"id"`
	Level       int            `db:"level" json:"level"`
	CategoryID  *int64         `db:"category_id" json:"categoryId"`
	AboveAmount *int64         `db:"above_amount" json:"aboveAmount"`
	UpToAmount  *int64         `db:"up_to_amount" json:"upToAmount"`
	Roles       pq.StringArray `db:"roles" json:"roles"`
	Note        string         `db:"note" json:"note"`
	Active      bool           `db:"active" json:"active"`
}

// matches reports whether r applies to an order of total (company minor units) holding
// lines in categories (with their ancestors).
func (r ApprovalRule) matches(total int64, categories []int64) bool {
	return r.Active && (r.AboveAmount == nil || total > *r.AboveAmount) && (r.UpToAmount == nil || total <= *r.UpToAmount) &&
		(r.CategoryID == nil || slices.Contains(categories, *r.CategoryID))
}

const ruleColumns = `id, level, category_id, above_amount, up_to_amount, roles, note, active`

// ApprovalRuleInput is a rule as an admin enters it.
type ApprovalRuleInput struct {
	Level       int
	CategoryID  *int64
	AboveAmount *int64
	UpToAmount  *int64
	Roles       []actor.Role
	Note        string
	Active      bool
}

func (in *ApprovalRuleInput) normalize() error {
	in.Note = strings.TrimSpace(in.Note)
	var errs apperr.List
	if in.Level < 1 || in.Level > 5 {
		errs = append(errs, apperr.Invalid("level", "approval levels go from 1 (first) to 5"))
	}
	if in.AboveAmount != nil && *in.AboveAmount < 0 {
		errs = append(errs, apperr.Invalid("aboveAmount", "the lower bound cannot be negative; leave it empty for no bound"))
	}
	if in.UpToAmount != nil && (*in.UpToAmount <= 0 || (in.AboveAmount != nil && *in.UpToAmount <= *in.AboveAmount)) {
		errs = append(errs, apperr.Invalid("upToAmount", "the upper bound is above the lower bound; leave it empty for no bound"))
	}
	if len(in.Roles) == 0 {
		errs = append(errs, apperr.Invalid("roles", "choose the roles that may give this level, e.g. MANAGER"))
	}
	for _, r := range in.Roles {
		if !r.Valid() {
			errs = append(errs, apperr.Invalid("roles", "%q is not a role", r))
		}
	}
	return errs.Err()
}

// ApprovalRules returns the approval rules by level. Staff who buy.
func (s *Service) ApprovalRules(ctx context.Context) ([]ApprovalRule, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	var out []ApprovalRule
	err := s.db.SelectContext(ctx, &out, `SELECT `+ruleColumns+` FROM approval_rules ORDER BY level, above_amount NULLS FIRST, id`)
	return out, err
}

// SaveApprovalRule creates a rule (id 0) or changes rule id. Orders already submitted keep
// the levels they were given. Admins only. Errors: Unauthenticated, Forbidden, NotFound,
// apperr.List (level, aboveAmount, upToAmount, roles, categoryId).
func (s *Service) SaveApprovalRule(ctx context.Context, id int64, in ApprovalRuleInput) (ApprovalRule, error) {
	if _, err := actor.RequireStaff(ctx, actor.Admin); err != nil {
		return ApprovalRule{}, err
	}
	if err := in.normalize(); err != nil {
		return ApprovalRule{}, err
	}
	var r ApprovalRule
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before *ApprovalRule
		var err error
		if id == 0 {
			err = tx.GetContext(ctx, &r, `INSERT INTO approval_rules (level, category_id, above_amount, up_to_amount, roles, note, active)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+ruleColumns,
				in.Level, in.CategoryID, in.AboveAmount, in.UpToAmount, pq.Array(rolesText(in.Roles)), in.Note, in.Active)
		} else {
			var b ApprovalRule
			if err := tx.GetContext(ctx, &b, `SELECT `+ruleColumns+` FROM approval_rules WHERE id = $1 FOR UPDATE`, id); err != nil {
				return postgres.NotFound(err, "no approval rule with id %d", id)
			}
			before = &b
			err = tx.GetContext(ctx, &r, `UPDATE approval_rules SET level = $2, category_id = $3, above_amount = $4,
				up_to_amount = $5, roles = $6, note = $7, active = $8 WHERE id = $1 RETURNING `+ruleColumns,
				id, in.Level, in.CategoryID, in.AboveAmount, in.UpToAmount, pq.Array(rolesText(in.Roles)), in.Note, in.Active)
		}
		if postgres.IsForeignKeyViolation(err) {
			return apperr.List{apperr.Invalid("categoryId", "no such category")}
		}
		if err != nil {
			return postgres.MapError(err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "approval_rule.saved", Entity: "approval_rule", EntityID: r.ID,
			Before: before, After: r})
	})
	return r, err
}

func rolesText(roles []actor.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// Level is one approval level an order needs, with the roles that may give it.
type Level struct {
	Level int
	Roles []actor.Role
}

// fallbackLevel is what an order needs when no rule applies: one manager. An order is
// never approved by nobody.
var fallbackLevel = Level{Level: 1, Roles: []actor.Role{actor.Manager}}

// requiredLevels returns the levels o needs at total (company minor units), from the
// active rules that apply: per level, the roles of every rule of that level that applies.
func requiredLevels(ctx context.Context, q sqlx.QueryerContext, o Order, total int64) ([]Level, error) {
	variants := make([]int64, len(o.Lines))
	for i, l := range o.Lines {
		variants[i] = l.VariantID
	}
	return levelsFor(ctx, q, variants, total)
}

// levelsFor returns the levels an order of variants at total (company minor units) needs.
func levelsFor(ctx context.Context, q sqlx.QueryerContext, variants []int64, total int64) ([]Level, error) {
	var rules []ApprovalRule
	if err := sqlx.SelectContext(ctx, q, &rules, `SELECT `+ruleColumns+` FROM approval_rules WHERE active ORDER BY level, id`); err != nil {
		return nil, fmt.Errorf("approval rules: %w", err)
	}
	// The categories of the variants' products and all their ancestors.
	var categories []int64
	err := sqlx.SelectContext(ctx, q, &categories, `
		WITH RECURSIVE c AS (
			SELECT DISTINCT p.category_id AS id FROM variants v JOIN products p ON p.id = v.product_id
			WHERE v.id = ANY($1) AND p.category_id IS NOT NULL
			UNION
			SELECT k.parent_id FROM categories k JOIN c ON c.id = k.id WHERE k.parent_id IS NOT NULL)
		SELECT id FROM c`, pq.Array(variants))
	if err != nil {
		return nil, fmt.Errorf("order categories: %w", err)
	}
	var levels []Level
	for _, r := range rules {
		if !r.matches(total, categories) {
			continue
		}
		i := slices.IndexFunc(levels, func(l Level) bool { return l.Level == r.Level })
		if i < 0 {
			levels = append(levels, Level{Level: r.Level})
			i = len(levels) - 1
		}
		for _, role := range r.Roles {
			if !slices.Contains(levels[i].Roles, actor.Role(role)) {
				levels[i].Roles = append(levels[i].Roles, actor.Role(role))
			}
		}
	}
	if len(levels) == 0 {
		levels = []Level{fallbackLevel}
	}
	slices.SortFunc(levels, func(a, b Level) int { return a.Level - b.Level })
	return levels, nil
}

// Approval is one level an order needs in its current round, and who gave it.
type Approval struct {
	Level          int            `db:"level" json:"level"`
	Roles          pq.StringArray `db:"roles" json:"roles"`
	ApprovedBy     *int64         `db:"approved_by" json:"approvedBy"`
	ApprovedByName *string        `db:"approved_by_name" json:"approvedByName"`
	ApprovedAt     *time.Time     `db:"approved_at" json:"approvedAt"`
}

func approvals(ctx context.Context, q sqlx.QueryerContext, id int64, round int) ([]Approval, error) {
	var out []Approval
	err := sqlx.SelectContext(ctx, q, &out, `SELECT a.level, a.roles, a.approved_by, s.name AS approved_by_name, a.approved_at
		FROM purchase_order_approvals a LEFT JOIN staff s ON s.id = a.approved_by
		WHERE a.order_id = $1 AND a.round = $2 ORDER BY a.level`, id, round)
	if err != nil {
		return nil, fmt.Errorf("purchase order approvals: %w", err)
	}
	return out, nil
}

// canGive reports whether a holds one of the roles of a level (ADMIN holds all).
func canGive(a actor.Actor, roles []string) bool {
	rs := make([]actor.Role, len(roles))
	for i, r := range roles {
		rs[i] = actor.Role(r)
	}
	return a.HasRole(rs...)
}

// mayDecide checks that the actor may give the next pending level of a SUBMITTED order:
// not its author, not someone who gave another level of this round, holding a role of the
// level. It returns that level.
func mayDecide(ctx context.Context, q sqlx.QueryerContext, o Order) (Approval, error) {
	a, err := actor.RequireStaff(ctx)
	if err != nil {
		return Approval{}, err
	}
	if err := mustBe(o, "approved or rejected", Submitted); err != nil {
		return Approval{}, err
	}
	if a.ID == 0 {
		return Approval{}, apperr.Forbidden("approvals are given by a staff member, never by the system")
	}
	if a.ID == o.CreatedBy {
		return Approval{}, apperr.Forbidden("you wrote %s: someone else must approve or reject it", o.Number()).WithReason(ReasonOwnOrder)
	}
	levels, err := approvals(ctx, q, o.ID, o.ApprovalRound)
	if err != nil {
		return Approval{}, err
	}
	var next *Approval
	for i, l := range levels {
		if l.ApprovedBy != nil && *l.ApprovedBy == a.ID && a.ID != 0 {
			return Approval{}, apperr.Forbidden("you gave level %d of %s: each level needs another person", l.Level, o.Number()).
				WithReason(ReasonAlreadyApproved)
		}
		if l.ApprovedBy == nil && next == nil {
			next = &levels[i]
		}
	}
	if next == nil {
		return Approval{}, fmt.Errorf("%s is submitted with no pending approval level", o.Number())
	}
	if !canGive(a, next.Roles) {
		return Approval{}, apperr.Forbidden("%s waits for approval level %d, which needs one of the roles %s",
			o.Number(), next.Level, strings.Join(next.Roles, ", "))
	}
	return *next, nil
}

// Approve gives the next approval level of a SUBMITTED order. When it was the last level
// the order becomes APPROVED and the receiving location's incoming stock rises by the
// ordered quantities (RECEIPT movements of incoming only). Nobody approves their own order,
// one person gives one level, and the level's roles decide who may. Errors:
// Unauthenticated, Forbidden (reasons OWN_ORDER, ALREADY_APPROVED), NotFound, Conflict
// (PO_STATUS).
func (s *Service) Approve(ctx context.Context, id int64, comment string) (Order, error) {
	return s.inOrder(ctx, id, func(tx *sqlx.Tx, o *Order) error {
		level, err := mayDecide(ctx, tx, *o)
		if err != nil {
			return err
		}
		a := actor.From(ctx)
		_, err = tx.ExecContext(ctx, `UPDATE purchase_order_approvals SET approved_by = $4, approved_at = now()
			WHERE order_id = $1 AND round = $2 AND level = $3`, o.ID, o.ApprovalRound, level.Level, a.ID)
		if postgres.IsUniqueViolation(err, "purchase_order_approvals_person_key") {
			return apperr.Forbidden("you already gave a level of %s: each level needs another person", o.Number()).
				WithReason(ReasonAlreadyApproved)
		}
		if err != nil {
			return err
		}
		var pending int
		if err := tx.GetContext(ctx, &pending, `SELECT count(*) FROM purchase_order_approvals
			WHERE order_id = $1 AND round = $2 AND approved_by IS NULL`, o.ID, o.ApprovalRound); err != nil {
			return err
		}
		lvl := level.Level
		if pending > 0 {
			return s.transition(ctx, tx, o, Submitted, "APPROVE_LEVEL", &lvl, comment)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET status = 'APPROVED', approved_at = now(), updated_at = now()
			WHERE id = $1`, o.ID); err != nil {
			return err
		}
		for _, l := range byVariant(o.Lines) {
			_, err := inventory.ApplyPurchase(ctx, tx, inventory.PurchaseChange{LocationID: o.LocationID, VariantID: l.VariantID,
				Incoming: l.Quantity, Reference: reference(o.ID), Reason: o.Number() + " approved"})
			if err != nil {
				return err
			}
		}
		return s.transition(ctx, tx, o, Approved, "APPROVE", &lvl, comment)
	})
}

// Reject sends a SUBMITTED order back to its author with the reason (and an email to
// them when they have an address); the author edits and submits it again, which starts a
// new approval round. Who may approve the pending level may reject. Errors:
// Unauthenticated, Forbidden, NotFound, Conflict (PO_STATUS), apperr.List (reason).
func (s *Service) Reject(ctx context.Context, id int64, reason string) (Order, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Order{}, apperr.List{apperr.Invalid("reason", "say what the author should change before submitting again")}
	}
	return s.inOrder(ctx, id, func(tx *sqlx.Tx, o *Order) error {
		level, err := mayDecide(ctx, tx, *o)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE purchase_orders SET status = 'REJECTED', rejection_reason = $2, updated_at = now()
			WHERE id = $1`, o.ID, reason); err != nil {
			return err
		}
		var email *string
		if err := tx.GetContext(ctx, &email, `SELECT email FROM staff WHERE id = $1`, o.CreatedBy); err != nil {
			return err
		}
		if email != nil && *email != "" {
			a := actor.From(ctx)
			_, err := notify.Enqueue(ctx, tx, notify.Message{Kind: "PURCHASE_ORDER_REJECTED", To: *email,
				Subject:   fmt.Sprintf("%s was rejected", o.Number()),
				Body:      fmt.Sprintf("%s rejected purchase order %s (%s) at approval level %d:\n\n%s\n\nEdit the order and submit it again.", a.Name, o.Number(), o.SupplierName, level.Level, reason),
				Reference: reference(o.ID), DedupeKey: fmt.Sprintf("%s:REJECTED:%d", reference(o.ID), o.ApprovalRound)})
			if err != nil {
				return err
			}
		}
		lvl := level.Level
		return s.transition(ctx, tx, o, Rejected, "REJECT", &lvl, reason)
	})
}

// Inbox returns the SUBMITTED orders waiting for the acting staff member: their next
// pending level is one the actor holds a role for, they did not write them and they gave
// no other level of them. Oldest submitted first. Errors: Unauthenticated, Forbidden.
func (s *Service) Inbox(ctx context.Context) ([]Order, error) {
	a, err := actor.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	roles := rolesText(a.Roles)
	admin := a.Kind == actor.System || slices.Contains(a.Roles, actor.Admin)
	var os []Order
	err = s.db.SelectContext(ctx, &os, `SELECT `+orderColumns+orderFrom+`
		JOIN LATERAL (SELECT roles FROM purchase_order_approvals p
		              WHERE p.order_id = o.id AND p.round = o.approval_round AND p.approved_by IS NULL
		              ORDER BY p.level LIMIT 1) nxt ON true
		WHERE o.status = 'SUBMITTED' AND o.created_by <> $1
		  AND ($3 OR nxt.roles && $2::text[])
		  AND NOT EXISTS (SELECT 1 FROM purchase_order_approvals d
		                  WHERE d.order_id = o.id AND d.round = o.approval_round AND d.approved_by = $1)
		ORDER BY o.submitted_at, o.id`, a.ID, pq.Array(roles), admin)
	if err != nil {
		return nil, fmt.Errorf("approvals inbox: %w", err)
	}
	return os, withLines(ctx, s.db, os)
}
