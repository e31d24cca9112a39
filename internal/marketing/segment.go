package marketing

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
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

// Rule kinds. A segment's members meet every rule.
const (
	// RuleRecency: days since the last paid order between MinDays and MaxDays (either may
	// be left out); customers who never bought never match.
	RuleRecency = "RECENCY"
	// RuleFrequency: paid orders in the last Days days between Min and Max.
	RuleFrequency = "FREQUENCY"
	// RuleMonetary: spend (paid orders minus refunds) in Currency over the last Days days
	// between Min and Max, in minor units.
	RuleMonetary = "MONETARY"
	// RuleTier: the loyalty tier is one of Values (members without an account are MEMBER).
	RuleTier = "TIER"
	// RuleChannel: a paid order through one of Values (WEB, APP, POS, MARKETPLACE), in the
	// last Days days (0: ever).
	RuleChannel = "CHANNEL"
	// RuleStore: a paid order at one of the stores IDs (a till or tablet sale there, or an
	// order collected there), in the last Days days (0: ever).
	RuleStore = "STORE"
	// RuleCategory: a paid order with a product of one of the categories IDs (or their
	// subcategories), in the last Days days (0: ever).
	RuleCategory = "CATEGORY"
	// RuleConsent: the consent in force for Purpose (MARKETING_EMAIL, MARKETING_SMS,
	// PERSONALISATION) is Granted (true) or not (false: withdrawn or never given).
	RuleConsent = "CONSENT"
)

// RuleKinds lists the rule kinds, in the order the back office offers them.
var RuleKinds = []string{RuleRecency, RuleFrequency, RuleMonetary, RuleTier, RuleChannel, RuleStore, RuleCategory, RuleConsent}

// Rule is one condition of a segment; which fields count depends on Kind (see the kinds).
type Rule struct {
	Kind     string   `json:"kind"`
	MinDays  *int     `json:"minDays,omitempty"`
	MaxDays  *int     `json:"maxDays,omitempty"`
	Days     int      `json:"days,omitempty"`
	Min      *int64   `json:"min,omitempty"`
	Max      *int64   `json:"max,omitempty"`
	Currency string   `json:"currency,omitempty"`
	Values   []string `json:"values,omitempty"`
	IDs      []int64  `json:"ids,omitempty"`
	Purpose  string   `json:"purpose,omitempty"`
	Granted  *bool    `json:"granted,omitempty"`
}

// Rules is a segment's conditions, stored as JSON.
type Rules []Rule

// Scan implements sql.Scanner for the jsonb column.
func (r *Rules) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		return json.Unmarshal(v, r)
	case string:
		return json.Unmarshal([]byte(v), r)
	}
	return fmt.Errorf("segment rules: cannot scan %T", src)
}

const (
	maxRules = 20
	maxDays  = 3650
)

var (
	orderChannels  = []string{"WEB", "APP", "POS", "MARKETPLACE"}
	segmentConsent = []string{"MARKETING_EMAIL", "MARKETING_SMS", "PERSONALISATION"}
)

// validate checks rules against the kinds and the database (tiers, stores, categories that
// exist), normalising codes to upper case. It returns every problem at once.
func validateRules(ctx context.Context, q sqlx.QueryerContext, rules Rules) error {
	var errs apperr.List
	if len(rules) == 0 {
		errs = append(errs, apperr.Invalid("rules", "add at least one condition"))
	}
	if len(rules) > maxRules {
		errs = append(errs, apperr.Invalid("rules", "a segment has at most %d conditions", maxRules))
	}
	for i := range rules {
		r := &rules[i]
		f := func(name string) string { return fmt.Sprintf("rules.%d.%s", i, name) }
		bad := func(name, format string, args ...any) { errs = append(errs, apperr.Invalid(f(name), format, args...)) }
		r.Kind = strings.ToUpper(strings.TrimSpace(r.Kind))
		days := func(required bool) {
			switch {
			case required && r.Days <= 0:
				bad("days", "give the period in days (1 to %d)", maxDays)
			case r.Days < 0 || r.Days > maxDays:
				bad("days", "the period must be 0 (ever) to %d days", maxDays)
			}
		}
		minMax := func(what string) {
			switch {
			case r.Min == nil && r.Max == nil:
				bad("min", "give a minimum, a maximum or both %s", what)
			case r.Min != nil && *r.Min < 0, r.Max != nil && *r.Max < 0:
				bad("min", "the %s cannot be negative", what)
			case r.Min != nil && r.Max != nil && *r.Min > *r.Max:
				bad("max", "the maximum (%d) is below the minimum (%d)", *r.Max, *r.Min)
			}
		}
		upper := func() {
			for j, v := range r.Values {
				r.Values[j] = strings.ToUpper(strings.TrimSpace(v))
			}
			if len(r.Values) == 0 {
				bad("values", "choose at least one")
			}
		}
		ids := func(table, what string) {
			if len(r.IDs) == 0 {
				bad("ids", "choose at least one %s", what)
				return
			}
			var found []int64
			query := `SELECT id FROM categories WHERE id = ANY($1)`
			if table == "locations" {
				query = `SELECT id FROM locations WHERE id = ANY($1)`
			}
			if err := sqlx.SelectContext(ctx, q, &found, query, pq.Array(r.IDs)); err != nil {
				errs = append(errs, apperr.Invalid(f("ids"), "cannot check the %ss: %v", what, err))
				return
			}
			for _, id := range r.IDs {
				if !slices.Contains(found, id) {
					bad("ids", "no %s with id %d", what, id)
				}
			}
		}
		switch r.Kind {
		case RuleRecency:
			switch {
			case r.MinDays == nil && r.MaxDays == nil:
				bad("minDays", "give the fewest days, the most days or both since the last order")
			case r.MinDays != nil && (*r.MinDays < 0 || *r.MinDays > maxDays), r.MaxDays != nil && (*r.MaxDays < 0 || *r.MaxDays > maxDays):
				bad("minDays", "days since the last order must be 0 to %d", maxDays)
			case r.MinDays != nil && r.MaxDays != nil && *r.MinDays > *r.MaxDays:
				bad("maxDays", "the most days (%d) is below the fewest (%d)", *r.MaxDays, *r.MinDays)
			}
		case RuleFrequency:
			days(true)
			minMax("number of orders")
		case RuleMonetary:
			days(true)
			minMax("spend")
			r.Currency = strings.ToUpper(strings.TrimSpace(r.Currency))
			if r.Currency == "" {
				r.Currency = "TWD"
			}
			if len(r.Currency) != 3 || strings.Trim(r.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				bad("currency", "%q is not a currency code (e.g. TWD)", r.Currency)
			}
		case RuleTier:
			upper()
			var tiers []string
			if err := sqlx.SelectContext(ctx, q, &tiers, `SELECT code FROM loyalty_tiers ORDER BY min_spend`); err != nil {
				return err
			}
			for _, v := range r.Values {
				if !slices.Contains(tiers, v) {
					bad("values", "%q is not a tier; use one of %s", v, strings.Join(tiers, ", "))
				}
			}
		case RuleChannel:
			days(false)
			upper()
			for _, v := range r.Values {
				if !slices.Contains(orderChannels, v) {
					bad("values", "%q is not a sales channel; use one of %s", v, strings.Join(orderChannels, ", "))
				}
			}
		case RuleStore:
			days(false)
			ids("locations", "store")
		case RuleCategory:
			days(false)
			ids("categories", "category")
		case RuleConsent:
			r.Purpose = strings.ToUpper(strings.TrimSpace(r.Purpose))
			if !slices.Contains(segmentConsent, r.Purpose) {
				bad("purpose", "%q is not a consent to target; use one of %s", r.Purpose, strings.Join(segmentConsent, ", "))
			}
			if r.Granted == nil {
				bad("granted", "say whether the consent must be given or not")
			}
		default:
			bad("kind", "%q is not a kind of condition; use one of %s", r.Kind, strings.Join(RuleKinds, ", "))
		}
	}
	return errs.Err()
}

// query builds SQL with numbered parameters: fragments are constants of this file, every
// value a rule carries is a parameter.
type query struct{ args []any }

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

// paidOrders is the condition on orders o of customer c that count as bought.
const paidOrders = `o.customer_id = c.id AND o.status <> 'CANCELLED' AND o.payment_status = 'PAID'`

// where returns the condition on customers c for rules (validated), at time now.
func (q *query) where(rules Rules, now time.Time) string {
	conds := []string{"c.merged_into_id IS NULL", "c.erased_at IS NULL"}
	// The time is a parameter only when a rule uses it: an unused one has no type.
	nowArg := ""
	nowP := func() string {
		if nowArg == "" {
			nowArg = q.arg(now)
		}
		return nowArg
	}
	since := func(days int) string {
		if days <= 0 {
			return ""
		}
		return " AND o.created_at >= " + nowP() + "::timestamptz - make_interval(days => " + q.arg(days) + ")"
	}
	for _, r := range rules {
		switch r.Kind {
		case RuleRecency:
			last := `(SELECT max(o.created_at) FROM orders o WHERE ` + paidOrders + `)`
			if r.MinDays != nil {
				conds = append(conds, last+" <= "+nowP()+"::timestamptz - make_interval(days => "+q.arg(*r.MinDays)+")")
			}
			if r.MaxDays != nil {
				conds = append(conds, last+" >= "+nowP()+"::timestamptz - make_interval(days => "+q.arg(*r.MaxDays)+")")
			}
		case RuleFrequency, RuleMonetary:
			var value string
			if r.Kind == RuleFrequency {
				value = `(SELECT count(*) FROM orders o WHERE ` + paidOrders + since(r.Days) + `)`
			} else {
				value = `(SELECT coalesce(sum(o.total - coalesce((SELECT sum(rf.amount) FROM refunds rf WHERE rf.order_id = o.id), 0)), 0)
					FROM orders o WHERE ` + paidOrders + ` AND o.currency = ` + q.arg(r.Currency) + since(r.Days) + `)`
			}
			if r.Min != nil {
				conds = append(conds, value+" >= "+q.arg(*r.Min))
			}
			if r.Max != nil {
				conds = append(conds, value+" <= "+q.arg(*r.Max))
			}
		case RuleTier:
			conds = append(conds, `coalesce((SELECT la.tier FROM loyalty_accounts la WHERE la.customer_id = c.id), 'MEMBER') = ANY(`+
				q.arg(pq.Array(r.Values))+`)`)
		case RuleChannel:
			conds = append(conds, `EXISTS (SELECT 1 FROM orders o WHERE `+paidOrders+` AND o.channel = ANY(`+q.arg(pq.Array(r.Values))+`)`+since(r.Days)+`)`)
		case RuleStore:
			ids := q.arg(pq.Array(r.IDs))
			conds = append(conds, `EXISTS (SELECT 1 FROM orders o WHERE `+paidOrders+since(r.Days)+` AND (o.location_id = ANY(`+ids+`)
				OR EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id AND f.pickup_location_id = ANY(`+ids+`))))`)
		case RuleCategory:
			conds = append(conds, `EXISTS (SELECT 1 FROM orders o JOIN order_lines ol ON ol.order_id = o.id
				JOIN variants v ON v.id = ol.variant_id JOIN products p ON p.id = v.product_id
				WHERE `+paidOrders+since(r.Days)+` AND ol.quantity > ol.cancelled_quantity AND p.category_id IN (
					WITH RECURSIVE sub AS (SELECT id FROM categories WHERE id = ANY(`+q.arg(pq.Array(r.IDs))+`)
						UNION SELECT ch.id FROM categories ch JOIN sub ON ch.parent_id = sub.id)
					SELECT id FROM sub))`)
		case RuleConsent:
			conds = append(conds, `coalesce((SELECT cc.granted FROM customer_consents cc WHERE cc.customer_id = c.id AND cc.purpose = `+
				q.arg(r.Purpose)+` ORDER BY cc.recorded_at DESC, cc.id DESC LIMIT 1), false) = `+q.arg(*r.Granted))
		}
	}
	return strings.Join(conds, "\n\t\tAND ")
}

// Segment is a saved set of conditions.
type Segment struct {
	ID            int64     `db:"id" json:"id"`
	Name          string    `db:"name" json:"name"`
	Description   string    `db:"description" json:"description"`
	Rules         Rules     `db:"rules" json:"rules"`
	CreatedByName string    `db:"created_by_name" json:"createdByName"`
	CreatedAt     time.Time `db:"created_at" json:"createdAt"`
	UpdatedAt     time.Time `db:"updated_at" json:"updatedAt"`
}

const segmentColumns = `id, name, description, rules, created_by_name, created_at, updated_at`

// SegmentInput is a segment to save.
type SegmentInput struct {
	Name        string
	Description string
	Rules       Rules
}

func (s *Service) checkSegment(ctx context.Context, in *SegmentInput) error {
	var errs apperr.List
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		errs = append(errs, apperr.Invalid("name", "give the segment a name of 1 to 100 characters"))
	}
	in.Description = strings.TrimSpace(in.Description)
	if err := validateRules(ctx, s.db, in.Rules); err != nil {
		if l, ok := err.(apperr.List); ok {
			errs = append(errs, l...)
		} else {
			return err
		}
	}
	return errs.Err()
}

func segmentConflict(err error) error {
	if postgres.IsUniqueViolation(err, "segments_name_key") {
		return apperr.Conflict("name", "a segment with this name exists; choose another name").WithReason("DUPLICATE")
	}
	return err
}

// CreateSegment saves a segment (managers). Errors: apperr.Invalid (every problem, fields
// rules.N.field), Conflict (DUPLICATE name), Forbidden.
func (s *Service) CreateSegment(ctx context.Context, in SegmentInput) (Segment, error) {
	a, err := actor.RequireStaff(ctx, actor.Manager)
	if err != nil {
		return Segment{}, err
	}
	if err := s.checkSegment(ctx, &in); err != nil {
		return Segment{}, err
	}
	rules, _ := json.Marshal(in.Rules)
	var out Segment
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `INSERT INTO segments (name, description, rules, created_by_id, created_by_name)
			VALUES ($1, $2, $3, nullif($4, 0), $5) RETURNING `+segmentColumns, in.Name, in.Description, string(rules), a.ID, a.Name)
		if err != nil {
			return segmentConflict(err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "segment.created", Entity: "segment", EntityID: out.ID, After: in})
	})
	return out, err
}

// UpdateSegment replaces a segment's name, description and rules (managers). Campaigns
// already started keep the recipients they were started with.
func (s *Service) UpdateSegment(ctx context.Context, id int64, in SegmentInput) (Segment, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Segment{}, err
	}
	if err := s.checkSegment(ctx, &in); err != nil {
		return Segment{}, err
	}
	rules, _ := json.Marshal(in.Rules)
	var out Segment
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		before, err := segmentByID(ctx, tx, id)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &out, `UPDATE segments SET name = $2, description = $3, rules = $4, updated_at = now()
			WHERE id = $1 RETURNING `+segmentColumns, id, in.Name, in.Description, string(rules))
		if err != nil {
			return segmentConflict(err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "segment.updated", Entity: "segment", EntityID: id, Before: before, After: in})
	})
	return out, err
}

func segmentByID(ctx context.Context, q sqlx.QueryerContext, id int64) (Segment, error) {
	var out Segment
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+segmentColumns+` FROM segments WHERE id = $1`, id)
	return out, postgres.NotFound(err, "no segment with id %d", id)
}

// Segment returns one segment (managers).
func (s *Service) Segment(ctx context.Context, id int64) (Segment, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Segment{}, err
	}
	return segmentByID(ctx, s.db, id)
}

// SegmentCount is a segment with its member count.
type SegmentCount struct {
	Segment
	Members int `json:"members"`
}

// Segments lists the segments by name with their member counts (managers).
func (s *Service) Segments(ctx context.Context) ([]SegmentCount, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return nil, err
	}
	var segs []Segment
	if err := s.db.SelectContext(ctx, &segs, `SELECT `+segmentColumns+` FROM segments ORDER BY name`); err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	out := make([]SegmentCount, len(segs))
	for i, sg := range segs {
		n, err := s.countRules(ctx, s.db, sg.Rules)
		if err != nil {
			return nil, err
		}
		out[i] = SegmentCount{Segment: sg, Members: n}
	}
	return out, nil
}

func (s *Service) countRules(ctx context.Context, q sqlx.QueryerContext, rules Rules) (int, error) {
	var b query
	where := b.where(rules, s.cfg.Now())
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM customers c WHERE `+where, b.args...); err != nil {
		return 0, fmt.Errorf("count segment: %w", err)
	}
	return n, nil
}

// Count returns how many members a segment has now (managers).
func (s *Service) Count(ctx context.Context, segmentID int64) (int, error) {
	sg, err := s.Segment(ctx, segmentID)
	if err != nil {
		return 0, err
	}
	return s.countRules(ctx, s.db, sg.Rules)
}

// Preview counts the members rules would have, before saving them (managers). Errors:
// apperr.Invalid as CreateSegment.
func (s *Service) Preview(ctx context.Context, rules Rules) (int, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return 0, err
	}
	if err := validateRules(ctx, s.db, rules); err != nil {
		return 0, err
	}
	return s.countRules(ctx, s.db, rules)
}

// SegmentMember is one member of a segment.
type SegmentMember struct {
	ID             int64      `db:"id" json:"id"`
	MemberNumber   string     `db:"member_number" json:"memberNumber"`
	Name           string     `db:"name" json:"name"`
	Email          *string    `db:"email" json:"email,omitempty"`
	Phone          *string    `db:"phone" json:"phone,omitempty"`
	Tier           string     `db:"tier" json:"tier"`
	LastOrderAt    *time.Time `db:"last_order_at" json:"lastOrderAt,omitempty"`
	MarketingEmail bool       `db:"marketing_email" json:"marketingEmail"`
	MarketingSMS   bool       `db:"marketing_sms" json:"marketingSms"`
}

// Page is a page of a list: Limit 1 to 500 (default 50), from Offset.
type Page struct {
	Limit  int
	Offset int
}

func (p Page) norm() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	p.Limit = min(p.Limit, 500)
	p.Offset = max(p.Offset, 0)
	return p
}

const latestConsent = `coalesce((SELECT cc.granted FROM customer_consents cc WHERE cc.customer_id = c.id AND cc.purpose = '%s'
	ORDER BY cc.recorded_at DESC, cc.id DESC LIMIT 1), false)`

// membersQuery selects the members of rules after customer id after, in id order.
func (s *Service) membersQuery(rules Rules, after int64, limit, offset int) (string, []any) {
	var b query
	where := b.where(rules, s.cfg.Now())
	return `SELECT c.id, c.member_number, c.name, c.email, c.phone, coalesce(la.tier, 'MEMBER') AS tier,
			(SELECT max(o.created_at) FROM orders o WHERE ` + paidOrders + `) AS last_order_at,
			` + fmt.Sprintf(latestConsent, "MARKETING_EMAIL") + ` AS marketing_email,
			` + fmt.Sprintf(latestConsent, "MARKETING_SMS") + ` AS marketing_sms
		FROM customers c LEFT JOIN loyalty_accounts la ON la.customer_id = c.id
		WHERE ` + where + ` AND c.id > ` + b.arg(after) + `
		ORDER BY c.id LIMIT ` + b.arg(limit) + ` OFFSET ` + b.arg(offset), b.args
}

// Members returns a page of a segment's members, by customer id (managers).
func (s *Service) Members(ctx context.Context, segmentID int64, page Page) ([]SegmentMember, error) {
	sg, err := s.Segment(ctx, segmentID)
	if err != nil {
		return nil, err
	}
	page = page.norm()
	sqlText, args := s.membersQuery(sg.Rules, 0, page.Limit, page.Offset)
	var out []SegmentMember
	if err := s.db.SelectContext(ctx, &out, sqlText, args...); err != nil {
		return nil, fmt.Errorf("segment members: %w", err)
	}
	return out, nil
}

// ExportCSV writes a segment's members as CSV (header row first) to w, reading them in
// chunks, and records the export in the audit log: it is personal data leaving Atrium
// (managers). It returns the number of members written.
func (s *Service) ExportCSV(ctx context.Context, segmentID int64, w io.Writer) (int, error) {
	sg, err := s.Segment(ctx, segmentID)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"member_number", "name", "email", "phone", "tier", "last_order_at", "marketing_email", "marketing_sms"})
	var after int64
	n := 0
	for {
		sqlText, args := s.membersQuery(sg.Rules, after, 1000, 0)
		var rows []SegmentMember
		if err := s.db.SelectContext(ctx, &rows, sqlText, args...); err != nil {
			return n, fmt.Errorf("export segment: %w", err)
		}
		for _, m := range rows {
			last := ""
			if m.LastOrderAt != nil {
				last = m.LastOrderAt.UTC().Format(time.RFC3339)
			}
			if err := cw.Write([]string{m.MemberNumber, csvText(m.Name), str(m.Email), str(m.Phone), m.Tier, last,
				fmt.Sprint(m.MarketingEmail), fmt.Sprint(m.MarketingSMS)}); err != nil {
				return n, err
			}
			after = m.ID
		}
		n += len(rows)
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		if len(rows) < 1000 {
			break
		}
	}
	err = audit.Record(ctx, s.db, audit.Entry{Action: "segment.exported", Entity: "segment", EntityID: segmentID,
		After: map[string]any{"members": n, "name": sg.Name}})
	return n, err
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// csvText defuses a free-text cell a spreadsheet would run as a formula.
func csvText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// String says what a rule selects, for the back office's segment list (stores and
// categories by id: the page shows their names).
func (r Rule) String() string {
	period := func() string {
		if r.Days <= 0 {
			return ""
		}
		return fmt.Sprintf(" in the last %d days", r.Days)
	}
	between := func(unit string) string {
		switch {
		case r.Min != nil && r.Max != nil:
			return fmt.Sprintf("%d to %d%s", *r.Min, *r.Max, unit)
		case r.Min != nil:
			return fmt.Sprintf("at least %d%s", *r.Min, unit)
		case r.Max != nil:
			return fmt.Sprintf("at most %d%s", *r.Max, unit)
		}
		return "any" + unit
	}
	switch r.Kind {
	case RuleRecency:
		switch {
		case r.MinDays != nil && r.MaxDays != nil:
			return fmt.Sprintf("last paid order %d to %d days ago", *r.MinDays, *r.MaxDays)
		case r.MinDays != nil:
			return fmt.Sprintf("last paid order %d or more days ago", *r.MinDays)
		case r.MaxDays != nil:
			return fmt.Sprintf("last paid order within %d days", *r.MaxDays)
		}
	case RuleFrequency:
		return "paid orders: " + between("") + period()
	case RuleMonetary:
		return "spend: " + between(" "+r.Currency+" minor units") + period()
	case RuleTier:
		return "tier " + strings.Join(r.Values, " or ")
	case RuleChannel:
		return "bought through " + strings.Join(r.Values, " or ") + period()
	case RuleStore:
		return fmt.Sprintf("bought at store %v", r.IDs) + period()
	case RuleCategory:
		return fmt.Sprintf("bought in category %v", r.IDs) + period()
	case RuleConsent:
		if r.Granted != nil && *r.Granted {
			return "consents to " + r.Purpose
		}
		return "does not consent to " + r.Purpose
	}
	return r.Kind
}
