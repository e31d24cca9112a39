package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/loyalty"
)

// The loyalty programme in the back office: a member's points (balance, tier, benefits,
// the whole ledger) with hand adjustments, and the programme's settings (limits, earn
// rules per currency, tiers).

const loyaltySettingsURL = "/admin/loyalty"

// canAdjustPoints is who credits or debits points by hand (loyalty.Adjust): managers.
func canAdjustPoints(a actor.Actor) bool { return a.HasRole(actor.Manager) }

// canSeeLoyaltySettings and canEditLoyaltySettings guard the programme's settings:
// managers (and admins, who hold every role) read and change them.
func canSeeLoyaltySettings(a actor.Actor) bool  { return a.HasRole(actor.Manager) }
func canEditLoyaltySettings(a actor.Actor) bool { return a.HasRole(actor.Manager) }

// pointsHistorySize is how many ledger entries the points page shows (the service's most).
const pointsHistorySize = 200

// pointsView is a member's points page.
type pointsView struct {
	Member   customer.Member
	Summary  loyalty.Summary
	Benefits loyalty.Benefits
	Entries  []loyalty.Entry
	Currency string
	Form     pointsForm
}

// pointsForm is a points adjustment as typed.
type pointsForm struct {
	Key, Points, Reason string
	Errors              formErrors
}

func (s *server) pointsView(ctx context.Context, id int64, f pointsForm) (pointsView, error) {
	v := pointsView{Form: f}
	var err error
	if v.Member, err = s.Customers.Member(ctx, id); err != nil {
		return v, err
	}
	if v.Summary, err = s.Loyalty.Summary(ctx, id); err != nil {
		return v, err
	}
	if v.Benefits, err = s.Loyalty.TierBenefits(ctx, id); err != nil {
		return v, err
	}
	if v.Entries, err = s.Loyalty.History(ctx, id, pointsHistorySize); err != nil {
		return v, err
	}
	v.Currency, err = s.Catalog.Currency(ctx)
	return v, err
}

func (s *server) pointsShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.pointsView(r.Context(), id, pointsForm{Key: newIdempotencyKey()})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, customerPointsPage(v))
}

func (s *server) pointsAdjust(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := pointsForm{Key: r.PostFormValue("idempotencyKey"), Points: r.PostFormValue("points"), Reason: r.PostFormValue("reason")}
	if to, ok := s.formReplay(ctx, f.Key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	var errs apperr.List
	points := signedPoints(&errs, "points", f.Points)
	err = errs.Err()
	if err == nil {
		if _, err = s.Loyalty.Adjust(ctx, id, points, f.Reason); err == nil {
			to := customerURL(id) + "/points"
			s.formDone(ctx, f.Key, to)
			return s.redirect(w, r, to, flashPointsAdjusted)
		}
	}
	return s.formFailed(w, r, err, fieldSet("points", "reason"), func(fe formErrors) (templ.Component, error) {
		f.Errors = fe
		v, err := s.pointsView(ctx, id, f)
		return customerPointsPage(v), err
	})
}

// signedPoints decodes a points adjustment: +500 adds, -200 takes away.
func signedPoints(errs *apperr.List, field, s string) int64 {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		*errs = append(*errs, apperr.Invalid(field, "enter a number of points to add (e.g. 500) or take away (e.g. -200)"))
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil || n > maxWholeNumber || n < -maxWholeNumber {
		*errs = append(*errs, apperr.Invalid(field, "enter whole points of at most nine digits, such as 500 or -200"))
		return 0
	}
	return n
}

// settingsForm is the programme's settings as typed: amounts in the currency's units,
// shares and discounts in percent, multipliers as factors (1.5).
type settingsForm struct {
	ExpiryMonths, MinRedeemPoints, MaxRedeemShare, TierWindowMonths string
	Rules                                                           []ruleForm
	Tiers                                                           []tierForm
}

type ruleForm struct {
	Currency, SpendPerPoint, PointValue string
	Active                              bool
}

type tierForm struct {
	Code, Name, MinSpend, Multiplier, Discount, FreeShipping string
}

// settingsView is the settings page.
type settingsView struct {
	Form     settingsForm
	Errors   formErrors
	Currency string
	CanEdit  bool
	// Promotions are the points promotions; Promo is the form adding one.
	Promotions  []loyalty.Promotion
	Promo       promotionForm
	PromoErrors formErrors
}

// promotionForm is a points promotion as typed: a multiplier such as 2 (double points),
// the first and last day, and the channels (none: every channel).
type promotionForm struct {
	Name, Multiplier, Starts, Ends string
	Channels                       []string
}

// blankRows is how many empty rows the settings form offers to add an earn rule or a tier.
const blankRows = 1

func settingsFormOf(st loyalty.Settings, currency string) settingsForm {
	f := settingsForm{ExpiryMonths: strconv.Itoa(st.ExpiryMonths), MinRedeemPoints: strconv.FormatInt(st.MinRedeemPoints, 10),
		MaxRedeemShare: decimal.New(int64(st.MaxRedeemShareBP), -2).String(), TierWindowMonths: strconv.Itoa(st.TierWindowMonths)}
	for _, r := range st.EarnRules {
		f.Rules = append(f.Rules, ruleForm{Currency: r.Currency, SpendPerPoint: formatAmountInput(r.SpendPerPoint, r.Currency),
			PointValue: formatAmountInput(r.PointValue, r.Currency), Active: r.Active})
	}
	for _, t := range st.Tiers {
		tf := tierForm{Code: t.Code, Name: t.Name, MinSpend: formatAmountInput(t.MinSpend, currency),
			Multiplier: decimal.New(int64(t.MultiplierBP), -4).String(), Discount: decimal.New(int64(t.DiscountBP), -2).String()}
		if t.FreeShippingThreshold != nil {
			tf.FreeShipping = formatAmountInput(*t.FreeShippingThreshold, currency)
		}
		f.Tiers = append(f.Tiers, tf)
	}
	for range blankRows {
		f.Rules = append(f.Rules, ruleForm{Active: true})
		f.Tiers = append(f.Tiers, tierForm{})
	}
	return f
}

func (s *server) loyaltySettings(w http.ResponseWriter, r *http.Request) error {
	v, err := s.settingsView(r.Context())
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, loyaltySettingsPage(v))
}

// settingsView is the programme's settings page as saved.
func (s *server) settingsView(ctx context.Context) (settingsView, error) {
	st, err := s.Loyalty.Settings(ctx)
	if err != nil {
		return settingsView{}, err
	}
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return settingsView{}, err
	}
	promos, err := s.Loyalty.Promotions(ctx)
	if err != nil {
		return settingsView{}, err
	}
	return settingsView{Form: settingsFormOf(st, currency), Currency: currency, CanEdit: canEditLoyaltySettings(actor.From(ctx)),
		Promotions: promos}, nil
}

// loyaltyPromotionCreate adds a points promotion: from the first day's start to the end
// of the last day, in the company's time.
func (s *server) loyaltyPromotionCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := promotionForm{Name: r.PostFormValue("name"), Multiplier: r.PostFormValue("multiplier"),
		Starts: r.PostFormValue("starts"), Ends: r.PostFormValue("ends"), Channels: r.PostForm["channels"]}
	var errs apperr.List
	p := loyalty.Promotion{Name: f.Name, MultiplierBP: multiplierBP(&errs, "multiplierBp", f.Multiplier), Channels: f.Channels}
	starts, ends := optDate(&errs, "startsAt", f.Starts), optDate(&errs, "endsAt", f.Ends)
	switch {
	case starts == nil && strings.TrimSpace(f.Starts) == "":
		errs = append(errs, apperr.Invalid("startsAt", "enter the first day, such as 2026-12-01"))
	case ends == nil && strings.TrimSpace(f.Ends) == "":
		errs = append(errs, apperr.Invalid("endsAt", "enter the last day, such as 2026-12-07"))
	}
	err := errs.Err()
	if err == nil {
		p.StartsAt, p.EndsAt = *starts, ends.AddDate(0, 0, 1)
		_, err = s.Loyalty.CreatePromotion(ctx, p)
	}
	if err != nil {
		return s.formFailed(w, r, err, fieldSet("name", "multiplierBp", "startsAt", "endsAt"), func(fe formErrors) (templ.Component, error) {
			v, err := s.settingsView(ctx)
			if err != nil {
				return nil, err
			}
			v.Promo, v.PromoErrors = f, fe
			return loyaltySettingsPage(v), nil
		})
	}
	return s.redirect(w, r, loyaltySettingsURL+"#promotions", flashPromotionCreated)
}

// readSettingsForm reads the rows the form posts as parallel lists (rule.currency,
// tier.code, ...); a row left wholly empty or ticked "remove" is dropped.
func readSettingsForm(r *http.Request) settingsForm {
	v := r.PostFormValue
	f := settingsForm{ExpiryMonths: v("expiryMonths"), MinRedeemPoints: v("minRedeemPoints"),
		MaxRedeemShare: v("maxRedeemShare"), TierWindowMonths: v("tierWindowMonths")}
	pf := r.PostForm
	at := func(name string, i int) string {
		if vs := pf[name]; i < len(vs) {
			return strings.TrimSpace(vs[i])
		}
		return ""
	}
	for i := range pf["rule.currency"] {
		rf := ruleForm{Currency: strings.ToUpper(at("rule.currency", i)), SpendPerPoint: at("rule.spendPerPoint", i),
			PointValue: at("rule.pointValue", i), Active: at("rule.active", i) == "yes"}
		if at("rule.remove", i) == "yes" || rf.Currency == "" && rf.SpendPerPoint == "" && rf.PointValue == "" {
			continue
		}
		f.Rules = append(f.Rules, rf)
	}
	for i := range pf["tier.code"] {
		tf := tierForm{Code: strings.ToUpper(at("tier.code", i)), Name: at("tier.name", i), MinSpend: at("tier.minSpend", i),
			Multiplier: at("tier.multiplier", i), Discount: at("tier.discount", i), FreeShipping: at("tier.freeShipping", i)}
		if at("tier.remove", i) == "yes" || tf == (tierForm{}) {
			continue
		}
		f.Tiers = append(f.Tiers, tf)
	}
	return f
}

// settings decodes f into the service's input, adding an error per field that is not a
// number; the service checks the rest (field paths match its own, e.g. tiers.1.minSpend).
func (f settingsForm) settings(errs *apperr.List, currency string) loyalty.Settings {
	st := loyalty.Settings{ExpiryMonths: wholeNumber(errs, "expiryMonths", f.ExpiryMonths),
		MinRedeemPoints:  int64(wholeNumber(errs, "minRedeemPoints", f.MinRedeemPoints)),
		MaxRedeemShareBP: percentBP(errs, "maxRedeemShareBp", f.MaxRedeemShare),
		TierWindowMonths: wholeNumber(errs, "tierWindowMonths", f.TierWindowMonths)}
	for i, rf := range f.Rules {
		p := fmt.Sprintf("earnRules.%d.", i)
		cur := rf.Currency
		if len(cur) != 3 {
			cur = currency // the amounts are read in the shop's currency until the code is right
		}
		st.EarnRules = append(st.EarnRules, loyalty.EarnRule{Currency: rf.Currency,
			SpendPerPoint: amount(errs, p+"spendPerPoint", rf.SpendPerPoint, cur),
			PointValue:    amount(errs, p+"pointValue", rf.PointValue, cur), Active: rf.Active})
	}
	for i, tf := range f.Tiers {
		p := fmt.Sprintf("tiers.%d.", i)
		t := loyalty.Tier{Code: tf.Code, Name: tf.Name, MinSpend: amount(errs, p+"minSpend", tf.MinSpend, currency),
			MultiplierBP: multiplierBP(errs, p+"multiplierBp", tf.Multiplier), DiscountBP: optPercentBP(errs, p+"discountBp", tf.Discount)}
		if strings.TrimSpace(tf.FreeShipping) != "" {
			n := amount(errs, p+"freeShippingThreshold", tf.FreeShipping, currency)
			t.FreeShippingThreshold = &n
		}
		st.Tiers = append(st.Tiers, t)
	}
	return st
}

// multiplierBP decodes a points multiplier typed as a factor (1, 1.25, 2) into basis points.
func multiplierBP(errs *apperr.List, field, s string) int {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "x"))
	if s == "" {
		return 10000
	}
	d, err := decimal.NewFromString(s)
	if err != nil || !d.Shift(4).IsInteger() || d.Abs().GreaterThan(decimal.NewFromInt(1000)) {
		*errs = append(*errs, apperr.Invalid(field, "enter a multiplier such as 1, 1.25 or 2"))
		return 0
	}
	return int(d.Shift(4).IntPart())
}

// optPercentBP is percentBP with "" meaning zero.
func optPercentBP(errs *apperr.List, field, s string) int {
	if strings.TrimSpace(s) == "" {
		return 0
	}
	return percentBP(errs, field, s)
}

// settingsFields are the paths the settings form shows beside their inputs.
func settingsFields(f settingsForm) func(string) bool {
	paths := []string{"expiryMonths", "minRedeemPoints", "maxRedeemShareBp", "tierWindowMonths", "tiers"}
	for i := range f.Rules {
		for _, n := range []string{"currency", "spendPerPoint", "pointValue"} {
			paths = append(paths, fmt.Sprintf("earnRules.%d.%s", i, n))
		}
	}
	for i := range f.Tiers {
		for _, n := range []string{"code", "name", "minSpend", "multiplierBp", "discountBp", "freeShippingThreshold"} {
			paths = append(paths, fmt.Sprintf("tiers.%d.%s", i, n))
		}
	}
	return fieldSet(paths...)
}

func (s *server) loyaltySettingsSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return err
	}
	f := readSettingsForm(r)
	var errs apperr.List
	in := f.settings(&errs, currency)
	err = errs.Err()
	if err == nil {
		if _, err = s.Loyalty.SaveSettings(ctx, in); err == nil {
			return s.redirect(w, r, loyaltySettingsURL, flashLoyaltySaved)
		}
	}
	return s.formFailed(w, r, err, settingsFields(f), func(fe formErrors) (templ.Component, error) {
		shown := f
		for range blankRows {
			shown.Rules = append(slices.Clip(shown.Rules), ruleForm{Active: true})
			shown.Tiers = append(slices.Clip(shown.Tiers), tierForm{})
		}
		return loyaltySettingsPage(settingsView{Form: shown, Errors: fe, Currency: currency, CanEdit: true}), nil
	})
}

// entryKindName says what a ledger entry was.
func entryKindName(kind string) string {
	switch kind {
	case loyalty.Earn:
		return "Earned"
	case loyalty.Redeem:
		return "Redeemed"
	case loyalty.Expire:
		return "Expired"
	case loyalty.Adjust:
		return "Adjusted"
	case loyalty.Reverse:
		return "Reversed"
	}
	return kind
}

func formatPoints(n int64) string {
	if n > 0 {
		return "+" + formatCount(n)
	}
	return formatCount(n)
}

func formatMultiplier(bp int) string { return decimal.New(int64(bp), -4).String() + "×" }
