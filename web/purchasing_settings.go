package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/purchasing"
)

// The purchasing settings: the approval rules (which orders need which approval levels,
// by amount in the company currency and category, and who may give each), kept by admins,
// and the over-receipt tolerance, kept by managers. Managers see the rules read-only.

const purchasingSettingsURL = "/admin/purchasing/settings"

// Flash messages of the settings page.
const (
	flashRulesSaved     = "approval-rule-saved"
	flashRuleRemoved    = "approval-rule-removed"
	flashToleranceSaved = "tolerance-saved"
)

// canSeePurchasingSettings is who opens the settings page: managers (and admins).
func canSeePurchasingSettings(a actor.Actor) bool { return a.HasRole(actor.Manager) }

// canEditApprovalRules is who changes the approval rules (the service checks again).
func canEditApprovalRules(a actor.Actor) bool { return a.HasRole(actor.Admin) }

// approvalRuleInputForm is an approval rule as typed; ID is 0 for a new rule.
type approvalRuleInputForm struct {
	ID                                 int64
	Level, Category, Above, UpTo, Note string
	Roles                              []string
	Active                             bool
}

func readApprovalRuleForm(v url.Values) approvalRuleInputForm {
	return approvalRuleInputForm{Level: strings.TrimSpace(v.Get("level")), Category: strings.TrimSpace(v.Get("categoryId")),
		Above: strings.TrimSpace(v.Get("aboveAmount")), UpTo: strings.TrimSpace(v.Get("upToAmount")), Note: v.Get("note"),
		Roles: v["roles"], Active: v.Get("active") != ""}
}

// approvalRuleFormOf is the form of a stored rule.
func approvalRuleFormOf(r purchasing.ApprovalRule, currency string) approvalRuleInputForm {
	f := approvalRuleInputForm{ID: r.ID, Level: strconv.Itoa(r.Level), Category: formatID(r.CategoryID), Note: r.Note,
		Roles: r.Roles, Active: r.Active}
	if r.AboveAmount != nil {
		f.Above = formatAmountInput(*r.AboveAmount, currency)
	}
	if r.UpToAmount != nil {
		f.UpTo = formatAmountInput(*r.UpToAmount, currency)
	}
	return f
}

func (f approvalRuleInputForm) hasRole(r actor.Role) bool { return slices.Contains(f.Roles, string(r)) }

// input reads the form into the service's input, amounts in the company currency.
func (f approvalRuleInputForm) input(errs *apperr.List, currency string) purchasing.ApprovalRuleInput {
	in := purchasing.ApprovalRuleInput{Note: f.Note, Active: f.Active}
	if f.Level == "" {
		*errs = append(*errs, apperr.Invalid("level", "give the approval level, 1 for the first"))
	} else if n := optInt(errs, "level", f.Level); n != nil {
		in.Level = *n
	}
	in.CategoryID = optInt64(errs, "categoryId", f.Category)
	if f.Above != "" {
		n := amount(errs, "aboveAmount", f.Above, currency)
		in.AboveAmount = &n
	}
	if f.UpTo != "" {
		n := amount(errs, "upToAmount", f.UpTo, currency)
		in.UpToAmount = &n
	}
	for _, r := range f.Roles {
		in.Roles = append(in.Roles, actor.Role(strings.TrimSpace(r)))
	}
	return in
}

var approvalRuleFields = fieldSet("level", "categoryId", "aboveAmount", "upToAmount", "roles", "note")

// purchasingSettingsView is the settings page.
type purchasingSettingsView struct {
	Settings   purchasing.Settings
	Rules      []purchasing.ApprovalRule
	Categories []catalog.Category
	Currency   string
	CanRules   bool
	// Rule is the rule form (a new rule, or the rule being edited) and RuleErrors its errors.
	Rule       approvalRuleInputForm
	RuleErrors formErrors
	// Tolerance is the tolerance as typed when it was refused.
	Tolerance       string
	ToleranceErrors formErrors
}

// categoryName names category id ("" for any).
func (v purchasingSettingsView) categoryName(id *int64) string {
	if id == nil {
		return ""
	}
	for _, c := range v.Categories {
		if c.ID == *id {
			return c.Name
		}
	}
	return "#" + strconv.FormatInt(*id, 10)
}

// band says which order totals a rule applies to.
func (v purchasingSettingsView) band(r purchasing.ApprovalRule) string {
	switch {
	case r.AboveAmount == nil && r.UpToAmount == nil:
		return "any amount"
	case r.AboveAmount == nil:
		return "up to " + formatMoney(*r.UpToAmount, v.Currency)
	case r.UpToAmount == nil:
		return "above " + formatMoney(*r.AboveAmount, v.Currency)
	}
	return "above " + formatMoney(*r.AboveAmount, v.Currency) + ", up to " + formatMoney(*r.UpToAmount, v.Currency)
}

// toleranceValue is what the tolerance field shows.
func (v purchasingSettingsView) toleranceValue() string {
	if v.Tolerance != "" || !v.ToleranceErrors.Empty() {
		return v.Tolerance
	}
	return v.Settings.OverReceiptTolerancePct.String()
}

func (s *server) purchasingSettingsView(ctx context.Context) (purchasingSettingsView, error) {
	v := purchasingSettingsView{CanRules: canEditApprovalRules(actor.From(ctx)), Rule: approvalRuleInputForm{Active: true}}
	var err error
	if v.Settings, err = s.Purchasing.Settings(ctx); err != nil {
		return v, err
	}
	if v.Rules, err = s.Purchasing.ApprovalRules(ctx); err != nil {
		return v, err
	}
	if v.Categories, err = s.Catalog.Categories(ctx); err != nil {
		return v, err
	}
	v.Currency, err = s.Catalog.Currency(ctx)
	return v, err
}

func (s *server) purchasingSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, err := s.purchasingSettingsView(ctx)
	if err != nil {
		return err
	}
	if edit := r.URL.Query().Get("edit"); edit != "" && v.CanRules {
		id, _ := strconv.ParseInt(edit, 10, 64)
		i := slices.IndexFunc(v.Rules, func(x purchasing.ApprovalRule) bool { return x.ID == id })
		if i < 0 {
			return apperr.NotFound("no approval rule with id %s", edit)
		}
		v.Rule = approvalRuleFormOf(v.Rules[i], v.Currency)
	}
	return s.page(w, r, http.StatusOK, purchasingSettingsPage(v))
}

func (s *server) approvalRuleCreate(w http.ResponseWriter, r *http.Request) error {
	return s.approvalRuleSave(w, r, 0)
}

func (s *server) approvalRuleUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.approvalRuleSave(w, r, id)
}

// approvalRuleSave creates (id 0) or changes a rule; mistakes come back inline.
func (s *server) approvalRuleSave(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readApprovalRuleForm(r.PostForm)
	f.ID = id
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return err
	}
	var errs apperr.List
	in := f.input(&errs, currency)
	err = errs.Err()
	if err == nil {
		_, err = s.Purchasing.SaveApprovalRule(ctx, id, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, approvalRuleFields, func(fe formErrors) (templ.Component, error) {
			v, err := s.purchasingSettingsView(ctx)
			if err != nil {
				return nil, err
			}
			v.Rule, v.RuleErrors = f, fe
			return purchasingSettingsPage(v), nil
		})
	}
	return s.redirect(w, r, purchasingSettingsURL, flashRulesSaved)
}

// approvalRuleRemove takes a rule out of use. Rules are kept (deactivated) so the orders
// that were given their levels still explain themselves.
func (s *server) approvalRuleRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rules, err := s.Purchasing.ApprovalRules(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(rules, func(x purchasing.ApprovalRule) bool { return x.ID == id })
	if i < 0 {
		return apperr.NotFound("no approval rule with id %d", id)
	}
	rule := rules[i]
	in := purchasing.ApprovalRuleInput{Level: rule.Level, CategoryID: rule.CategoryID, AboveAmount: rule.AboveAmount,
		UpToAmount: rule.UpToAmount, Note: rule.Note}
	for _, role := range rule.Roles {
		in.Roles = append(in.Roles, actor.Role(role))
	}
	if _, err := s.Purchasing.SaveApprovalRule(ctx, id, in); err != nil {
		return err
	}
	return s.redirect(w, r, purchasingSettingsURL, flashRuleRemoved)
}

// toleranceSave sets the over-receipt tolerance percent.
func (s *server) toleranceSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostFormValue("overReceiptTolerancePct"))
	pct, perr := decimal.NewFromString(strings.TrimSuffix(typed, "%"))
	var err error
	if perr != nil {
		err = apperr.List{apperr.Invalid("overReceiptTolerancePct", "enter a percentage such as 5 or 2.5")}
	} else {
		_, err = s.Purchasing.SetOverReceiptTolerance(ctx, pct)
	}
	if err != nil {
		return s.formFailed(w, r, err, fieldSet("overReceiptTolerancePct"), func(fe formErrors) (templ.Component, error) {
			v, err := s.purchasingSettingsView(ctx)
			if err != nil {
				return nil, err
			}
			v.Tolerance, v.ToleranceErrors = typed, fe
			return purchasingSettingsPage(v), nil
		})
	}
	return s.redirect(w, r, purchasingSettingsURL, flashToleranceSaved)
}
