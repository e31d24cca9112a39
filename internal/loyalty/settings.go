package loyalty

import (
	"context"
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

// Settings are the programme's rules, as the back office edits them.
type Settings struct {
	ExpiryMonths     int        `db:"expiry_months" json:"expiryMonths"`
	MinRedeemPoints  int64      `db:"min_redeem_points" json:"minRedeemPoints"`
	MaxRedeemShareBP int        `db:"max_redeem_share_bp" json:"maxRedeemShareBp"`
	TierWindowMonths int        `db:"tier_window_months" json:"tierWindowMonths"`
	EarnRules        []EarnRule `db:"-" json:"earnRules"`
	Tiers            []Tier     `db:"-" json:"tiers"`
}

// EarnRule is how points are earned and spent in one currency.
type EarnRule struct {
	Currency      string `db:"currency" json:"currency"`
	SpendPerPoint int64  `db:"spend_per_point" json:"spendPerPoint"`
	PointValue    int64  `db:"point_value" json:"pointValue"`
	Active        bool   `db:"active" json:"active"`
}

// Tier is a level of the programme.
type Tier struct {
	Code                  string `db:"code" json:"code"`
	Name                  string `db:"name" json:"name"`
	MinSpend              int64  `db:"min_spend" json:"minSpend"`
	MultiplierBP          int    `db:"multiplier_bp" json:"multiplierBp"`
	DiscountBP            int    `db:"discount_bp" json:"discountBp"`
	FreeShippingThreshold *int64 `db:"free_shipping_threshold" json:"freeShippingThreshold,omitempty"`
}

// Settings returns the programme's rules (staff).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return Settings{}, err
	}
	return loadSettings(ctx, s.db)
}

func loadSettings(ctx context.Context, q sqlx.QueryerContext) (Settings, error) {
	var st Settings
	if err := sqlx.GetContext(ctx, q, &st, `SELECT expiry_months, min_redeem_points, max_redeem_share_bp, tier_window_months FROM loyalty_programme`); err != nil {
		return st, fmt.Errorf("loyalty programme: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &st.EarnRules, `SELECT currency, spend_per_point, point_value, active FROM loyalty_earn_rules ORDER BY currency`); err != nil {
		return st, fmt.Errorf("earn rules: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &st.Tiers, `SELECT code, name, min_spend, multiplier_bp, discount_bp, free_shipping_threshold
		FROM loyalty_tiers ORDER BY min_spend`); err != nil {
		return st, fmt.Errorf("tiers: %w", err)
	}
	return st, nil
}

var (
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
	tierCodeRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,19}$`)
)

// SaveSettings replaces the programme's rules: limits, earn rules (one per currency) and
// tiers (the lowest must start at zero spend, so every member has a tier). Existing
// points keep their expiry; tiers are recalculated by the next order or nightly run.
// Managers only, audited. Errors: apperr.Invalid with every problem (fields like
// "tiers.1.minSpend"), apperr.Forbidden.
func (s *Service) SaveSettings(ctx context.Context, in Settings) (Settings, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Settings{}, err
	}
	var errs apperr.List
	bad := func(field, format string, args ...any) { errs = append(errs, apperr.Invalid(field, format, args...)) }
	if in.ExpiryMonths < 1 || in.ExpiryMonths > 120 {
		bad("expiryMonths", "points must last between 1 and 120 months")
	}
	if in.MinRedeemPoints < 1 {
		bad("minRedeemPoints", "the minimum to redeem must be at least 1 point")
	}
	if in.MaxRedeemShareBP < 1 || in.MaxRedeemShareBP > 10000 {
		bad("maxRedeemShareBp", "the share of an order points may pay must be between 0.01%% and 100%%")
	}
	if in.TierWindowMonths < 1 || in.TierWindowMonths > 36 {
		bad("tierWindowMonths", "tiers count spend over 1 to 36 months")
	}
	seen := map[string]bool{}
	for i, r := range in.EarnRules {
		f := fmt.Sprintf("earnRules.%d.", i)
		switch {
		case !currencyRe.MatchString(r.Currency):
			bad(f+"currency", "%q is not a currency code (e.g. TWD)", r.Currency)
		case seen[r.Currency]:
			bad(f+"currency", "%s has two earn rules; keep one", r.Currency)
		}
		seen[r.Currency] = true
		if r.SpendPerPoint <= 0 {
			bad(f+"spendPerPoint", "enter the spend (in minor units) that earns one point, above zero")
		}
		if r.PointValue <= 0 {
			bad(f+"pointValue", "enter what one point pays (in minor units), above zero")
		}
	}
	if len(in.Tiers) == 0 {
		bad("tiers", "keep at least one tier")
	}
	tiers := slices.Clone(in.Tiers)
	slices.SortFunc(tiers, func(a, b Tier) int { return int(a.MinSpend - b.MinSpend) })
	codes, spends := map[string]bool{}, map[int64]bool{}
	for i, t := range in.Tiers {
		f := fmt.Sprintf("tiers.%d.", i)
		if !tierCodeRe.MatchString(t.Code) {
			bad(f+"code", "%q is not a tier code; use capitals, digits and _ (e.g. GOLD)", t.Code)
		} else if codes[t.Code] {
			bad(f+"code", "tier %s is listed twice", t.Code)
		}
		codes[t.Code] = true
		if strings.TrimSpace(t.Name) == "" {
			bad(f+"name", "enter the tier's name")
		}
		if t.MinSpend < 0 {
			bad(f+"minSpend", "the spend to reach a tier cannot be negative")
		} else if spends[t.MinSpend] {
			bad(f+"minSpend", "two tiers start at the same spend")
		}
		spends[t.MinSpend] = true
		if t.MultiplierBP < 0 || t.MultiplierBP > 100000 {
			bad(f+"multiplierBp", "the points multiplier must be between 0x and 10x")
		}
		if t.DiscountBP < 0 || t.DiscountBP > 5000 {
			bad(f+"discountBp", "the tier discount must be between 0%% and 50%%")
		}
		if t.FreeShippingThreshold != nil && *t.FreeShippingThreshold < 0 {
			bad(f+"freeShippingThreshold", "the free shipping threshold cannot be negative")
		}
	}
	if len(tiers) > 0 && tiers[0].MinSpend != 0 {
		bad("tiers", "the lowest tier must start at zero spend, so that every member has a tier")
	}
	if err := errs.Err(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		before, err := loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE loyalty_programme SET expiry_months = $1, min_redeem_points = $2,
			max_redeem_share_bp = $3, tier_window_months = $4, updated_at = now()`,
			in.ExpiryMonths, in.MinRedeemPoints, in.MaxRedeemShareBP, in.TierWindowMonths); err != nil {
			return fmt.Errorf("save programme: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM loyalty_earn_rules`); err != nil {
			return err
		}
		for _, r := range in.EarnRules {
			if _, err := tx.ExecContext(ctx, `INSERT INTO loyalty_earn_rules (currency, spend_per_point, point_value, active)
				VALUES ($1, $2, $3, $4)`, r.Currency, r.SpendPerPoint, r.PointValue, r.Active); err != nil {
				return fmt.Errorf("save earn rule %s: %w", r.Currency, err)
			}
		}
		// Kept tiers are updated in place (accounts reference them); members of a removed
		// tier drop to the lowest one until their next recalculation (marked due now).
		var removed []string
		for _, t := range before.Tiers {
			if !codes[t.Code] {
				removed = append(removed, t.Code)
			}
		}
		// Min spends are unique: first lift the existing tiers above every old and new
		// spend, so that writing the new values never collides with an old one.
		offset := int64(1)
		for _, t := range append(slices.Clone(before.Tiers), in.Tiers...) {
			offset = max(offset, t.MinSpend+1)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE loyalty_tiers SET min_spend = min_spend + $1`, offset); err != nil {
			return fmt.Errorf("reorder tiers: %w", err)
		}
		for _, t := range in.Tiers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO loyalty_tiers (code, name, min_spend, multiplier_bp, discount_bp, free_shipping_threshold)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET name = $2, min_spend = $3, multiplier_bp = $4,
					discount_bp = $5, free_shipping_threshold = $6, updated_at = now()`,
				t.Code, strings.TrimSpace(t.Name), t.MinSpend, t.MultiplierBP, t.DiscountBP, t.FreeShippingThreshold); err != nil {
				return fmt.Errorf("save tier %s: %w", t.Code, err)
			}
		}
		if len(removed) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE loyalty_accounts SET tier = $1, tier_checked_at = '-infinity' WHERE tier = ANY($2)`,
				tiers[0].Code, pq.Array(removed)); err != nil {
				return fmt.Errorf("move members of removed tiers: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM loyalty_tiers WHERE code = ANY($1)`, pq.Array(removed)); err != nil {
				return fmt.Errorf("remove tiers: %w", err)
			}
		}
		if out, err = loadSettings(ctx, tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "loyalty.settings_changed", Entity: "loyalty_programme", Before: before, After: out})
	})
	return out, err
}

// Promotion multiplies the points earned on orders placed while it runs.
type Promotion struct {
	ID           int64     `db:"id" json:"id"`
	Name         string    `db:"name" json:"name"`
	MultiplierBP int       `db:"multiplier_bp" json:"multiplierBp"`
	StartsAt     time.Time `db:"starts_at" json:"startsAt"`
	EndsAt       time.Time `db:"ends_at" json:"endsAt"`
	Channels     []string  `db:"-" json:"channels,omitempty"`
	Active       bool      `db:"active" json:"active"`
}

// CreatePromotion adds a points promotion (e.g. double points this weekend, in the app
// only: Channels ["APP"]; none for every channel). Managers only, audited. Errors:
// apperr.Invalid with every problem, apperr.Forbidden.
func (s *Service) CreatePromotion(ctx context.Context, p Promotion) (Promotion, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Promotion{}, err
	}
	var errs apperr.List
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		errs = append(errs, apperr.Invalid("name", "name the promotion"))
	}
	if p.MultiplierBP < 10000 || p.MultiplierBP > 100000 {
		errs = append(errs, apperr.Invalid("multiplierBp", "the multiplier must be between 1x (10000) and 10x (100000)"))
	}
	if !p.EndsAt.After(p.StartsAt) {
		errs = append(errs, apperr.Invalid("endsAt", "the promotion must end after it starts"))
	}
	for i, c := range p.Channels {
		if !slices.Contains([]string{"WEB", "APP", "POS", "MARKETPLACE"}, c) {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("channels.%d", i), "%q is not a channel; use WEB, APP, POS or MARKETPLACE", c))
		}
	}
	if err := errs.Err(); err != nil {
		return Promotion{}, err
	}
	var channels any
	if len(p.Channels) > 0 {
		channels = "{" + strings.Join(p.Channels, ",") + "}"
	}
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &p.ID, `INSERT INTO loyalty_promotions (name, multiplier_bp, starts_at, ends_at, channels)
			VALUES ($1, $2, $3, $4, $5::text[]) RETURNING id`, p.Name, p.MultiplierBP, p.StartsAt, p.EndsAt, channels); err != nil {
			return fmt.Errorf("create points promotion: %w", err)
		}
		p.Active = true
		return audit.Record(ctx, tx, audit.Entry{Action: "loyalty.promotion_created", Entity: "loyalty_promotion", EntityID: p.ID, After: p})
	})
	return p, err
}

// Promotions lists the points promotions, the latest first. Managers only.
func (s *Service) Promotions(ctx context.Context) ([]Promotion, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return nil, err
	}
	var rows []struct {
		Promotion
		Channels pq.StringArray `db:"channels"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name, multiplier_bp, starts_at, ends_at, active, channels
		FROM loyalty_promotions ORDER BY starts_at DESC, id DESC`); err != nil {
		return nil, fmt.Errorf("points promotions: %w", err)
	}
	out := make([]Promotion, len(rows))
	for i, r := range rows {
		out[i] = r.Promotion
		out[i].Channels = r.Channels
	}
	return out, nil
}
