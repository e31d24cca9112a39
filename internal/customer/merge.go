package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/loyalty"
	"atrium/internal/postgres"
)

// Points is what merges and privacy requests need of the loyalty programme
// (*loyalty.Service).
type Points interface {
	PreviewMerge(ctx context.Context, q sqlx.QueryerContext, survivorID, mergedID int64) (loyalty.MergePreview, error)
	MoveForMerge(ctx context.Context, ext sqlx.ExtContext, survivorID, mergedID int64) ([]int64, error)
	UndoMoveForMerge(ctx context.Context, ext sqlx.ExtContext, survivorID, mergedID int64, entryIDs, orderIDs []int64) error
}

// Members is the use cases that span a customer's whole record: merging duplicates and
// privacy requests.
type Members struct {
	db     *sqlx.DB
	points Points
}

// NewMembers returns Members on d, moving points through points.
func NewMembers(d *sqlx.DB, points Points) *Members { return &Members{db: d, points: points} }

// mergeRoles may merge and unmerge customers. Not associates: a merge moves value (points,
// store credit) from one account to another, so it is a manager's decision, audited, like
// a refund override; associates can preview and ask.
var mergeRoles = []actor.Role{actor.Manager}

// Moved is the ids of every row a merge moved, kept on the merge so it can be undone.
type Moved struct {
	Orders             []int64 `json:"orders"`
	LoyaltyEntries     []int64 `json:"loyaltyEntries"`
	Identities         []int64 `json:"identities"`
	Consents           []int64 `json:"consents"`
	StoreCreditEntries []int64 `json:"storeCreditEntries"`
	CouponRedemptions  []int64 `json:"couponRedemptions"`
	// ProductViews are the merged customer's views of products the survivor had not
	// viewed (one row per customer and product: a product both viewed keeps its own rows).
	ProductViews  []int64 `json:"productViews"`
	OrderFeedback []int64 `json:"orderFeedback"`
	Points        int64   `json:"points"`
	StoreCredit   int64   `json:"storeCredit"`
}

// MergeConflict is something a merge changes or cannot resolve. Blocking ones stop it.
type MergeConflict struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Blocking bool   `json:"blocking"`
}

// MergePreviewResult is what merging merged into survivor would do.
type MergePreviewResult struct {
	Survivor  Member          `json:"survivor"`
	Merged    Member          `json:"merged"`
	Moves     Moved           `json:"moves"`
	Conflicts []MergeConflict `json:"conflicts"`
}

// Blocked reports whether a blocking conflict stops the merge.
func (p MergePreviewResult) Blocked() bool {
	for _, c := range p.Conflicts {
		if c.Blocking {
			return true
		}
	}
	return false
}

// MergePreview shows what merging merged into survivor would move (orders, points,
// identities, consents, store credit, coupon uses) and its conflicts, changing nothing.
// Staff (associates, managers). Errors: apperr.NotFound, apperr.Invalid for the same
// customer twice, apperr.Forbidden.
func (m *Members) MergePreview(ctx context.Context, survivorID, mergedID int64) (MergePreviewResult, error) {
	if _, err := actor.RequireStaff(ctx, actor.Associate, actor.Manager); err != nil {
		return MergePreviewResult{}, err
	}
	return m.preview(ctx, m.db, survivorID, mergedID)
}

func (m *Members) preview(ctx context.Context, q sqlx.QueryerContext, survivorID, mergedID int64) (MergePreviewResult, error) {
	var p MergePreviewResult
	if survivorID == mergedID {
		return p, apperr.Invalid("mergedId", "choose two different customers to merge")
	}
	var err error
	if p.Survivor, err = memberByID(ctx, q, survivorID); err != nil {
		return p, err
	}
	if p.Merged, err = memberByID(ctx, q, mergedID); err != nil {
		return p, err
	}
	mv := &p.Moves
	if err := sqlx.SelectContext(ctx, q, &mv.Orders, `SELECT id FROM orders WHERE customer_id = $1 ORDER BY id`, mergedID); err != nil {
		return p, fmt.Errorf("orders to merge: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &mv.Identities, `SELECT id FROM customer_identities WHERE customer_id = $1 ORDER BY id`, mergedID); err != nil {
		return p, fmt.Errorf("identities to merge: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &mv.Consents, `SELECT id FROM customer_consents WHERE customer_id = $1 ORDER BY id`, mergedID); err != nil {
		return p, fmt.Errorf("consents to merge: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &mv.StoreCreditEntries, `SELECT id FROM store_credit_entries WHERE customer_id = $1 ORDER BY id`, mergedID); err != nil {
		return p, fmt.Errorf("store credit to merge: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &mv.CouponRedemptions, `SELECT id FROM coupon_redemptions WHERE customer_id = $1 ORDER BY id`, mergedID); err != nil {
		return p, fmt.Errorf("coupon uses to merge: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &mv.ProductViews, `SELECT v.id FROM product_views v WHERE v.customer_id = $1
		AND NOT EXISTS (SELECT 1 FROM product_views s WHERE s.customer_id = $2 AND s.product_id = v.product_id) ORDER BY v.id`,
		mergedID, survivorID); err != nil {
		return p, fmt.Errorf("product views to merge: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &mv.OrderFeedback, `SELECT id FROM order_feedback WHERE customer_id = $1 ORDER BY id`, mergedID); err != nil {
		return p, fmt.Errorf("feedback to merge: %w", err)
	}
	if err := sqlx.GetContext(ctx, q, &mv.StoreCredit, `SELECT coalesce((SELECT balance FROM store_credit_accounts WHERE customer_id = $1), 0)`, mergedID); err != nil {
		return p, fmt.Errorf("store credit balance: %w", err)
	}
	pts, err := m.points.PreviewMerge(ctx, q, survivorID, mergedID)
	if err != nil {
		return p, err
	}
	mv.Points = pts.Points
	add := func(code string, blocking bool, format string, args ...any) {
		p.Conflicts = append(p.Conflicts, MergeConflict{Code: code, Message: fmt.Sprintf(format, args...), Blocking: blocking})
	}
	for _, c := range []Member{p.Survivor, p.Merged} {
		switch {
		case c.MergedIntoID != nil:
			add("ALREADY_MERGED", true, "member %s was already merged into another customer; merge into that one", c.MemberNumber)
		case c.ErasedAt != nil:
			add("ERASED", true, "customer %d's data was erased on request; it cannot be merged", c.ID)
		}
	}
	if pts.Problem != "" {
		add("NEGATIVE_POINTS", true, "%s", pts.Problem)
	}
	var currencies []string
	if err := sqlx.SelectContext(ctx, q, &currencies, `SELECT DISTINCT currency FROM store_credit_accounts WHERE customer_id IN ($1, $2)`,
		survivorID, mergedID); err != nil {
		return p, fmt.Errorf("store credit currencies: %w", err)
	}
	if len(currencies) > 1 {
		add("STORE_CREDIT_CURRENCY", true, "the two customers hold store credit in different currencies (%s)", strings.Join(currencies, ", "))
	}
	if p.Merged.Email != nil && p.Survivor.Email != nil {
		add("EMAIL_KEPT", false, "the survivor keeps contact email %s; %s stays as another email of the member", *p.Survivor.Email, *p.Merged.Email)
	}
	if p.Merged.Phone != nil && p.Survivor.Phone != nil {
		add("PHONE_KEPT", false, "the survivor keeps contact phone %s; %s stays as another phone of the member", *p.Survivor.Phone, *p.Merged.Phone)
	}
	if p.Merged.HasPassword && p.Survivor.HasPassword {
		add("PASSWORD_DROPPED", false, "both have an online account; the merged account's password stops working and its sessions end")
	}
	if !strings.EqualFold(strings.TrimSpace(p.Survivor.Name), strings.TrimSpace(p.Merged.Name)) && p.Merged.Name != "" {
		add("NAME_DIFFERS", false, "the names differ (%q and %q); the survivor's is kept", p.Survivor.Name, p.Merged.Name)
	}
	return p, nil
}

// MergeEvent is a merge as recorded.
type MergeEvent struct {
	ID             int64      `db:"id" json:"id"`
	SurvivorID     int64      `db:"survivor_id" json:"survivorId"`
	MergedID       int64      `db:"merged_id" json:"mergedId"`
	Moved          Moved      `db:"-" json:"moved"`
	MovedJSON      []byte     `db:"moved" json:"-"`
	Reason         string     `db:"reason" json:"reason"`
	ActorKind      string     `db:"actor_kind" json:"actorKind"`
	ActorID        *int64     `db:"actor_id" json:"actorId,omitempty"`
	ActorName      string     `db:"actor_name" json:"actorName"`
	CreatedAt      time.Time  `db:"created_at" json:"createdAt"`
	UnmergedAt     *time.Time `db:"unmerged_at" json:"unmergedAt,omitempty"`
	UnmergedByName string     `db:"unmerged_by_name" json:"unmergedByName,omitempty"`
	UnmergeReason  string     `db:"unmerge_reason" json:"unmergeReason,omitempty"`
}

const mergeColumns = `id, survivor_id, merged_id, moved, reason, actor_kind, actor_id, actor_name, created_at,
	unmerged_at, unmerged_by_name, unmerge_reason`

// Merge merges customer merged into survivor in one transaction: orders, points (with
// their lots, so nothing is lost or counted twice), identities, consents, store credit
// coupon uses, product views (of products the survivor had not viewed) and feedback move
// to the survivor; the survivor takes the merged customer's contact
// email, phone and password where it has none; the merged customer's sessions end and it
// points at the survivor. It is recorded as a merge event (who, when, the ids of every row
// moved) with an audit record. Managers only. Errors: apperr.Conflict (MERGE_BLOCKED)
// naming the blocking conflicts, apperr.Invalid, apperr.NotFound, apperr.Forbidden.
func (m *Members) Merge(ctx context.Context, survivorID, mergedID int64, reason string) (MergeEvent, error) {
	a, err := actor.RequireStaff(ctx, mergeRoles...)
	if err != nil {
		return MergeEvent{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return MergeEvent{}, apperr.Invalid("reason", "say why these are the same person (e.g. same phone, confirmed at the till)")
	}
	var ev MergeEvent
	err = postgres.InTx(ctx, m.db, func(tx *sqlx.Tx) error {
		// Lock both customers in id order so two merges of the same pair never deadlock.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM customers WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`, survivorID, mergedID); err != nil {
			return fmt.Errorf("lock customers: %w", err)
		}
		p, err := m.preview(ctx, tx, survivorID, mergedID)
		if err != nil {
			return err
		}
		if p.Blocked() {
			var msgs []string
			for _, c := range p.Conflicts {
				if c.Blocking {
					msgs = append(msgs, c.Message)
				}
			}
			return apperr.Conflict("mergedId", "these customers cannot be merged: %s", strings.Join(msgs, "; ")).WithReason("MERGE_BLOCKED")
		}
		mv := p.Moves
		sur, mer := p.Survivor, p.Merged
		var hash *string
		if err := tx.GetContext(ctx, &hash, `SELECT password_hash FROM customers WHERE id = $1`, mergedID); err != nil {
			return err
		}
		takeEmail := sur.Email == nil && mer.Email != nil
		takePhone := sur.Phone == nil && mer.Phone != nil
		takePassword := !sur.HasPassword && hash != nil
		// The identities move first, so that the trigger keeping contact identities has
		// nothing to delete when the merged customer lets go of its contact details; then
		// the survivor takes those it lacks.
		if _, err := tx.ExecContext(ctx, `UPDATE customer_identities SET customer_id = $1 WHERE id = ANY($2)`, survivorID, pq.Array(mv.Identities)); err != nil {
			return fmt.Errorf("move identities: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = NULL, phone = NULL, password_hash = NULL,
				merged_into_id = $2, merged_at = now(), updated_at = now() WHERE id = $1`, mergedID, survivorID); err != nil {
			return fmt.Errorf("retire merged customer: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET
				email = CASE WHEN $2 THEN $3 ELSE email END,
				phone = CASE WHEN $4 THEN $5 ELSE phone END,
				password_hash = CASE WHEN $6 THEN $7 ELSE password_hash END, updated_at = now() WHERE id = $1`,
			survivorID, takeEmail, mer.Email, takePhone, mer.Phone, takePassword, hash); err != nil {
			return fmt.Errorf("survivor contact: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_tokens SET revoked_at = now() WHERE customer_id = $1 AND revoked_at IS NULL`, mergedID); err != nil {
			return fmt.Errorf("end merged sessions: %w", err)
		}
		for _, u := range []struct {
			table, what string
			ids         []int64
		}{
			{"orders", "orders", mv.Orders},
			{"customer_consents", "consents", mv.Consents},
			{"coupon_redemptions", "coupon uses", mv.CouponRedemptions},
			{"product_views", "product views", mv.ProductViews},
			{"order_feedback", "feedback", mv.OrderFeedback},
		} {
			if _, err := tx.ExecContext(ctx, `UPDATE `+u.table+` SET customer_id = $1 WHERE id = ANY($2)`, survivorID, pq.Array(u.ids)); err != nil {
				return fmt.Errorf("move %s: %w", u.what, err)
			}
		}
		if err := moveStoreCredit(ctx, tx, mergedID, survivorID, mv.StoreCreditEntries, mv.StoreCredit); err != nil {
			return err
		}
		if mv.LoyaltyEntries, err = m.points.MoveForMerge(ctx, tx, survivorID, mergedID); err != nil {
			return err
		}
		movedJSON, err := json.Marshal(mv)
		if err != nil {
			return err
		}
		var actorID *int64
		if a.ID != 0 {
			actorID = &a.ID
		}
		if err := tx.GetContext(ctx, &ev, `INSERT INTO customer_merges (survivor_id, merged_id, moved, merged_email, merged_phone,
				merged_password_hash, survivor_took_email, survivor_took_phone, survivor_took_password, reason, actor_kind, actor_id, actor_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING `+mergeColumns,
			survivorID, mergedID, string(movedJSON), mer.Email, mer.Phone, hash, takeEmail, takePhone, takePassword, reason,
			string(a.Kind), actorID, a.Name); err != nil {
			return fmt.Errorf("record merge: %w", err)
		}
		ev.Moved = mv
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.merged", Entity: "customer", EntityID: survivorID,
			Before: map[string]any{"survivor": sur.MemberNumber, "merged": mer.MemberNumber, "mergedId": mergedID},
			After:  map[string]any{"mergeId": ev.ID, "moved": mv}, Reason: reason})
	})
	return ev, err
}

// moveStoreCredit moves the store credit entries (with their balance) from one customer's
// account to another's, opening it when needed; the balance stays the sum of the entries.
func moveStoreCredit(ctx context.Context, ext sqlx.ExtContext, from, to int64, ids []int64, amount int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := ext.ExecContext(ctx, `INSERT INTO store_credit_accounts (customer_id, currency)
		SELECT $2, currency FROM store_credit_accounts WHERE customer_id = $1 ON CONFLICT DO NOTHING`, from, to); err != nil {
		return fmt.Errorf("open store credit account: %w", err)
	}
	if _, err := ext.ExecContext(ctx, `UPDATE store_credit_accounts SET balance = balance + $2, updated_at = now() WHERE customer_id = $1`, to, amount); err != nil {
		return fmt.Errorf("store credit balance: %w", err)
	}
	if _, err := ext.ExecContext(ctx, `UPDATE store_credit_entries SET customer_id = $2 WHERE id = ANY($1)`, pq.Array(ids), to); err != nil {
		return fmt.Errorf("move store credit: %w", err)
	}
	if _, err := ext.ExecContext(ctx, `UPDATE store_credit_accounts SET balance = balance - $2, updated_at = now() WHERE customer_id = $1`, from, amount); err != nil {
		if postgres.IsCheckViolation(err, "") {
			return apperr.Conflict("storeCredit", "store credit that came with the merge has since been spent; the merge can no longer be undone").WithReason("BUILT_ON_TOP")
		}
		return fmt.Errorf("store credit balance: %w", err)
	}
	return nil
}

// Unmerge undoes a merge: every row it moved goes back, the merged customer gets its
// contact details, password and member number back, and the survivor gives up what it
// took. It is allowed while nothing has been built on top of the merge, meaning:
//   - no points that came with the merge were spent, expired, adjusted or reversed, and no
//     points were earned or reversed on the moved orders since (loyalty.UndoMoveForMerge);
//   - no refund or store credit entry was written for a moved order since the merge, and
//     the survivor has not spent store credit that came with the merge;
//   - the survivor is still active (not itself merged away or erased since).
//
// New orders, points and identities of the survivor's own do not block it; they stay with
// the survivor. Managers only. Errors: apperr.Conflict (BUILT_ON_TOP, ALREADY_UNMERGED),
// apperr.NotFound, apperr.Invalid, apperr.Forbidden.
func (m *Members) Unmerge(ctx context.Context, mergeID int64, reason string) (MergeEvent, error) {
	a, err := actor.RequireStaff(ctx, mergeRoles...)
	if err != nil {
		return MergeEvent{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return MergeEvent{}, apperr.Invalid("reason", "say why the merge is undone")
	}
	var ev MergeEvent
	err = postgres.InTx(ctx, m.db, func(tx *sqlx.Tx) error {
		var rec struct {
			MergeEvent
			MergedEmail  *string `db:"merged_email"`
			MergedPhone  *string `db:"merged_phone"`
			MergedHash   *string `db:"merged_password_hash"`
			TookEmail    bool    `db:"survivor_took_email"`
			TookPhone    bool    `db:"survivor_took_phone"`
			TookPassword bool    `db:"survivor_took_password"`
		}
		if err := tx.GetContext(ctx, &rec, `SELECT `+mergeColumns+`, merged_email, merged_phone, merged_password_hash,
				survivor_took_email, survivor_took_phone, survivor_took_password FROM customer_merges WHERE id = $1 FOR UPDATE`, mergeID); err != nil {
			return postgres.NotFound(err, "no merge with id %d", mergeID)
		}
		if rec.UnmergedAt != nil {
			return apperr.Conflict("mergeId", "this merge was already undone on %s", rec.UnmergedAt.Format(time.DateOnly)).WithReason("ALREADY_UNMERGED")
		}
		var mv Moved
		if err := json.Unmarshal(rec.MovedJSON, &mv); err != nil {
			return fmt.Errorf("merge %d moved rows: %w", mergeID, err)
		}
		sur, mer := rec.SurvivorID, rec.MergedID
		if _, err := tx.ExecContext(ctx, `SELECT id FROM customers WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`, sur, mer); err != nil {
			return fmt.Errorf("lock customers: %w", err)
		}
		if err := activeCustomer(ctx, tx, sur, "mergeId"); err != nil {
			return apperr.Conflict("mergeId", "the surviving customer was since merged away or erased; undo that first").WithReason("BUILT_ON_TOP")
		}
		var since int
		if err := tx.GetContext(ctx, &since, `SELECT
				(SELECT count(*) FROM refunds WHERE order_id = ANY($1) AND created_at >= $2) +
				(SELECT count(*) FROM store_credit_entries WHERE order_id = ANY($1) AND created_at >= $2 AND NOT id = ANY($3))`,
			pq.Array(mv.Orders), rec.CreatedAt, pq.Array(mv.StoreCreditEntries)); err != nil {
			return fmt.Errorf("refunds since the merge: %w", err)
		}
		if since > 0 {
			return apperr.Conflict("mergeId", "refunds were given since the merge on orders that came with it; the merge can no longer be undone").WithReason("BUILT_ON_TOP")
		}
		// Orders go back before the points, so both tiers are recalculated on the right orders.
		for _, u := range []struct {
			table, what string
			ids         []int64
		}{
			{"orders", "orders", mv.Orders},
			{"customer_consents", "consents", mv.Consents},
			{"coupon_redemptions", "coupon uses", mv.CouponRedemptions},
			{"product_views", "product views", mv.ProductViews},
			{"order_feedback", "feedback", mv.OrderFeedback},
		} {
			if _, err := tx.ExecContext(ctx, `UPDATE `+u.table+` SET customer_id = $1 WHERE id = ANY($2) AND customer_id = $3`, mer, pq.Array(u.ids), sur); err != nil {
				return fmt.Errorf("move %s back: %w", u.what, err)
			}
		}
		if err := m.points.UndoMoveForMerge(ctx, tx, sur, mer, mv.LoyaltyEntries, mv.Orders); err != nil {
			return err
		}
		if err := moveStoreCredit(ctx, tx, sur, mer, mv.StoreCreditEntries, mv.StoreCredit); err != nil {
			return err
		}
		// The identities go back first (so the trigger deletes none when the survivor gives
		// up the contact details it took), then the merged customer's contact.
		if _, err := tx.ExecContext(ctx, `UPDATE customer_identities SET customer_id = $1 WHERE id = ANY($2) AND customer_id = $3`,
			mer, pq.Array(mv.Identities), sur); err != nil {
			return fmt.Errorf("move identities back: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET
				email = CASE WHEN $2 AND email = $3 THEN NULL ELSE email END,
				phone = CASE WHEN $4 AND phone = $5 THEN NULL ELSE phone END,
				password_hash = CASE WHEN $6 AND password_hash = $7 THEN NULL ELSE password_hash END, updated_at = now()
			WHERE id = $1`, sur, rec.TookEmail, rec.MergedEmail, rec.TookPhone, rec.MergedPhone, rec.TookPassword, rec.MergedHash); err != nil {
			return fmt.Errorf("survivor contact: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = $2, phone = $3, password_hash = $4, merged_into_id = NULL,
				merged_at = NULL, updated_at = now() WHERE id = $1`, mer, rec.MergedEmail, rec.MergedPhone, rec.MergedHash); err != nil {
			if postgres.IsUniqueViolation(err, "") {
				return apperr.Conflict("mergeId", "the merged customer's email or phone now belongs to someone else; the merge can no longer be undone").WithReason("BUILT_ON_TOP")
			}
			return fmt.Errorf("restore merged customer: %w", err)
		}
		var actorID *int64
		if a.ID != 0 {
			actorID = &a.ID
		}
		if err := tx.GetContext(ctx, &ev, `UPDATE customer_merges SET unmerged_at = now(), unmerged_by_id = $2, unmerged_by_name = $3,
				unmerge_reason = $4 WHERE id = $1 RETURNING `+mergeColumns, mergeID, actorID, a.Name, reason); err != nil {
			return fmt.Errorf("record unmerge: %w", err)
		}
		ev.Moved = mv
		return audit.Record(ctx, tx, audit.Entry{Action: "customer.unmerged", Entity: "customer", EntityID: sur,
			Before: map[string]any{"mergeId": mergeID, "mergedId": mer}, After: map[string]any{"moved": mv}, Reason: reason})
	})
	return ev, err
}

// Merges returns the merges a customer took part in (as survivor or merged), newest first.
func (m *Members) Merges(ctx context.Context, customerID int64) ([]MergeEvent, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var out []MergeEvent
	if err := m.db.SelectContext(ctx, &out, `SELECT `+mergeColumns+` FROM customer_merges
		WHERE survivor_id = $1 OR merged_id = $1 ORDER BY id DESC`, customerID); err != nil {
		return nil, fmt.Errorf("merges: %w", err)
	}
	for i := range out {
		if err := json.Unmarshal(out[i].MovedJSON, &out[i].Moved); err != nil {
			return nil, fmt.Errorf("merge %d: %w", out[i].ID, err)
		}
	}
	return out, nil
}
