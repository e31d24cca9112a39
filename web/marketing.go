package web

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/location"
	"atrium/internal/loyalty"
	"atrium/internal/marketing"
	"atrium/internal/promotion"
)

// Segments and campaigns: managers define rule-based segments of customers (with a live
// count while editing), look at and export their members, and send email campaigns to a
// segment, watching the progress while the sender works through it.

const (
	segmentsURL         = "/admin/segments"
	campaignsURL        = "/admin/campaigns"
	segmentMembersPage  = 50
	campaignListPage    = 25
	campaignPollSeconds = 3
)

// Flash messages of the marketing pages.
const (
	flashSegmentCreated    = "segment-created"
	flashSegmentSaved      = "segment-saved"
	flashCampaignCreated   = "campaign-created"
	flashCampaignStarted   = "campaign-started"
	flashCampaignCancelled = "campaign-cancelled"
	// The next two are followed by how many codes were issued (coupons-issued-42).
	flashCouponsIssued          = "coupons-issued-"
	flashCampaignCouponsStarted = "campaign-started-coupons-"
)

// flashCount reads the count from a flash key made of prefix and a number.
func flashCount(key, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// canManageMarketing is who defines segments and sends campaigns (the services: managers;
// admins hold every role).
func canManageMarketing(a actor.Actor) bool { return a.HasRole(actor.Manager) }

func segmentURL(id int64) string  { return segmentsURL + "/" + strconv.FormatInt(id, 10) }
func campaignURL(id int64) string { return campaignsURL + "/" + strconv.FormatInt(id, 10) }

// consentPurposes are the consents a segment can target, in the editor's order.
var consentPurposes = []string{"MARKETING_EMAIL", "MARKETING_SMS", "PERSONALISATION"}

// segmentList is the segments page.
type segmentList struct {
	Rows []marketing.SegmentCount
	ctx  ruleContext
}

// ruleContext names what rules refer to by id (stores, categories) and gives the
// currency amounts are typed in.
type ruleContext struct {
	Stores     []location.Location
	Categories []catalog.Category
	Tiers      []loyalty.Tier
	Currency   string
}

func (s *server) ruleContext(ctx context.Context) (ruleContext, error) {
	var rc ruleContext
	ls, err := s.Locations.List(ctx, location.Filter{IncludeInactive: true})
	if err != nil {
		return rc, err
	}
	for _, l := range ls {
		if l.Kind == location.Store {
			rc.Stores = append(rc.Stores, l)
		}
	}
	if rc.Categories, err = s.Catalog.Categories(ctx); err != nil {
		return rc, err
	}
	st, err := s.Loyalty.Settings(ctx)
	if err != nil {
		return rc, err
	}
	rc.Tiers = st.Tiers
	rc.Currency, err = s.Catalog.Currency(ctx)
	return rc, err
}

// Describe says what a rule selects, naming stores, categories and tiers, with amounts
// in the shop's currency.
func (rc ruleContext) Describe(r marketing.Rule) string {
	period := ""
	if r.Days > 0 {
		period = fmt.Sprintf(" in the last %d days", r.Days)
	}
	names := func(ids []int64, name func(int64) string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = name(id)
		}
		return strings.Join(out, " or ")
	}
	switch r.Kind {
	case marketing.RuleMonetary:
		switch {
		case r.Min != nil && r.Max != nil:
			return "spent " + formatMoney(*r.Min, r.Currency) + " to " + formatMoney(*r.Max, r.Currency) + period
		case r.Min != nil:
			return "spent at least " + formatMoney(*r.Min, r.Currency) + period
		case r.Max != nil:
			return "spent at most " + formatMoney(*r.Max, r.Currency) + period
		}
	case marketing.RuleStore:
		return "bought at " + names(r.IDs, func(id int64) string {
			for _, l := range rc.Stores {
				if l.ID == id {
					return l.Code + " " + l.Name
				}
			}
			return fmt.Sprintf("store %d", id)
		}) + period
	case marketing.RuleCategory:
		return "bought in " + names(r.IDs, func(id int64) string {
			for _, c := range rc.Categories {
				if c.ID == id {
					return c.Name
				}
			}
			return fmt.Sprintf("category %d", id)
		}) + period
	case marketing.RuleTier:
		out := make([]string, len(r.Values))
		for i, v := range r.Values {
			out[i] = v
			for _, t := range rc.Tiers {
				if t.Code == v {
					out[i] = t.Name
				}
			}
		}
		return "tier " + strings.Join(out, " or ")
	}
	return r.String()
}

func (s *server) segmentList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rows, err := s.Marketing.Segments(ctx)
	if err != nil {
		return err
	}
	rc, err := s.ruleContext(ctx)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, segmentListPage(segmentList{Rows: rows, ctx: rc}))
}

// segmentRuleForm is one rule kind's part of the editor as typed; On says the segment uses it.
// Each kind appears once: a segment's members meet every rule, so one condition per kind
// says everything (a range, a set of values).
type segmentRuleForm struct {
	On                     bool
	MinDays, MaxDays, Days string
	Min, Max               string
	Values                 []string
	Purpose, Granted       string
}

// segmentForm is the segment editor as typed, by rule kind.
type segmentForm struct {
	Key, Name, Description string
	Rules                  map[string]segmentRuleForm
}

// Rule is the kind's part of the form (a zero one when absent).
func (f segmentForm) Rule(kind string) segmentRuleForm { return f.Rules[kind] }

// segmentEditor is the new and edit segment page.
type segmentEditor struct {
	// ID is the segment edited, 0 for a new one.
	ID     int64
	Form   segmentForm
	Errors formErrors
	ctx    ruleContext
}

// segmentFields are the paths the editor shows: name, description and each kind's inputs
// (the service's rules.N.field errors are moved to kind.field, see ruleErrors).
var segmentFields = func() func(string) bool {
	paths := []string{"name", "description", "rules"}
	for _, k := range marketing.RuleKinds {
		for _, f := range []string{"minDays", "maxDays", "days", "min", "max", "currency", "values", "ids", "purpose", "granted", "kind"} {
			paths = append(paths, k+"."+f)
		}
	}
	return fieldSet(paths...)
}()

func (s *server) segmentEditor(ctx context.Context, id int64, f segmentForm, fe formErrors) (segmentEditor, error) {
	rc, err := s.ruleContext(ctx)
	return segmentEditor{ID: id, Form: f, Errors: fe, ctx: rc}, err
}

func (s *server) segmentNew(w http.ResponseWriter, r *http.Request) error {
	f := segmentForm{Key: newIdempotencyKey(), Rules: map[string]segmentRuleForm{
		marketing.RuleConsent: {On: true, Purpose: "MARKETING_EMAIL", Granted: "yes"},
	}}
	e, err := s.segmentEditor(r.Context(), 0, f, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, segmentEditPage(e))
}

func (s *server) segmentEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sg, err := s.Marketing.Segment(ctx, id)
	if err != nil {
		return err
	}
	rc, err := s.ruleContext(ctx)
	if err != nil {
		return err
	}
	f := segmentForm{Key: newIdempotencyKey(), Name: sg.Name, Description: sg.Description, Rules: rulesToForm(sg.Rules, rc.Currency)}
	return s.page(w, r, http.StatusOK, segmentEditPage(segmentEditor{ID: id, Form: f, ctx: rc}))
}

// rulesToForm shows saved rules in the editor.
func rulesToForm(rules marketing.Rules, currency string) map[string]segmentRuleForm {
	out := map[string]segmentRuleForm{}
	num := func(n *int64) string {
		if n == nil {
			return ""
		}
		return strconv.FormatInt(*n, 10)
	}
	days := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	for _, r := range rules {
		f := segmentRuleForm{On: true, MinDays: formatOptInt(r.MinDays), MaxDays: formatOptInt(r.MaxDays), Days: days(r.Days),
			Min: num(r.Min), Max: num(r.Max), Values: r.Values, Purpose: r.Purpose}
		if r.Kind == marketing.RuleMonetary {
			cur := r.Currency
			if cur == "" {
				cur = currency
			}
			if r.Min != nil {
				f.Min = formatAmountInput(*r.Min, cur)
			}
			if r.Max != nil {
				f.Max = formatAmountInput(*r.Max, cur)
			}
		}
		for _, id := range r.IDs {
			f.Values = append(f.Values, strconv.FormatInt(id, 10))
		}
		if r.Granted != nil {
			f.Granted = map[bool]string{true: "yes", false: "no"}[*r.Granted]
		}
		out[r.Kind] = f
	}
	return out
}

func readSegmentForm(r *http.Request) segmentForm {
	v := r.PostFormValue
	f := segmentForm{Key: v("idempotencyKey"), Name: v("name"), Description: v("description"), Rules: map[string]segmentRuleForm{}}
	for _, k := range marketing.RuleKinds {
		p := strings.ToLower(k) + "."
		if !checked(r, p+"on") {
			continue
		}
		f.Rules[k] = segmentRuleForm{On: true, MinDays: v(p + "minDays"), MaxDays: v(p + "maxDays"), Days: v(p + "days"),
			Min: v(p + "min"), Max: v(p + "max"), Values: r.PostForm[p+"values"], Purpose: v(p + "purpose"), Granted: v(p + "granted")}
	}
	return f
}

// segmentRules decodes the form into rules, in the kinds' order, and the kind of each
// rule by index (to put the service's errors beside their fields). What is not a value
// comes back as an apperr.List on kind.field.
func segmentRules(f segmentForm, currency string) (marketing.Rules, []string, error) {
	var rules marketing.Rules
	var kinds []string
	var errs apperr.List
	for _, k := range marketing.RuleKinds {
		rf, ok := f.Rules[k]
		if !ok || !rf.On {
			continue
		}
		p := k + "."
		days := 0
		if d := optInt(&errs, p+"days", rf.Days); d != nil {
			days = *d
		}
		rule := marketing.Rule{Kind: k, Days: days}
		switch k {
		case marketing.RuleRecency:
			rule.MinDays = optInt(&errs, p+"minDays", rf.MinDays)
			rule.MaxDays = optInt(&errs, p+"maxDays", rf.MaxDays)
		case marketing.RuleFrequency:
			rule.Min = optInt64(&errs, p+"min", rf.Min)
			rule.Max = optInt64(&errs, p+"max", rf.Max)
		case marketing.RuleMonetary:
			rule.Currency = currency
			if strings.TrimSpace(rf.Min) != "" {
				n := amount(&errs, p+"min", rf.Min, currency)
				rule.Min = &n
			}
			if strings.TrimSpace(rf.Max) != "" {
				n := amount(&errs, p+"max", rf.Max, currency)
				rule.Max = &n
			}
		case marketing.RuleTier, marketing.RuleChannel:
			rule.Values = slices.Clone(rf.Values)
		case marketing.RuleStore, marketing.RuleCategory:
			for _, v := range rf.Values {
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					errs = append(errs, apperr.Invalid(p+"ids", "choose from the list"))
					break
				}
				rule.IDs = append(rule.IDs, id)
			}
		case marketing.RuleConsent:
			rule.Purpose = rf.Purpose
			switch rf.Granted {
			case "yes", "no":
				g := rf.Granted == "yes"
				rule.Granted = &g
			}
		}
		rules = append(rules, rule)
		kinds = append(kinds, k)
	}
	return rules, kinds, errs.Err()
}

// ruleErrors moves the service's errors on rules.N.field to kind.field, where the editor
// shows them.
func ruleErrors(err error, kinds []string) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	var out apperr.List
	for _, e := range errs {
		c := *e
		if len(c.Field) == 3 && c.Field[0] == "rules" {
			if i, err := strconv.Atoi(c.Field[1]); err == nil && i >= 0 && i < len(kinds) {
				c.Field = []string{kinds[i], c.Field[2]}
			}
		}
		out = append(out, &c)
	}
	return out.Err()
}

func (s *server) segmentSave(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readSegmentForm(r)
	if to, ok := s.formReplay(ctx, f.Key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return err
	}
	rules, kinds, err := segmentRules(f, currency)
	var sg marketing.Segment
	if err == nil {
		in := marketing.SegmentInput{Name: f.Name, Description: f.Description, Rules: rules}
		if id == 0 {
			sg, err = s.Marketing.CreateSegment(ctx, in)
		} else {
			sg, err = s.Marketing.UpdateSegment(ctx, id, in)
		}
		err = ruleErrors(err, kinds)
	}
	if err != nil {
		return s.formFailed(w, r, err, segmentFields, func(fe formErrors) (templ.Component, error) {
			e, err := s.segmentEditor(ctx, id, f, fe)
			return segmentEditPage(e), err
		})
	}
	to := segmentURL(sg.ID) + "/members"
	s.formDone(ctx, f.Key, to)
	if id == 0 {
		return s.redirect(w, r, to, flashSegmentCreated)
	}
	return s.redirect(w, r, to, flashSegmentSaved)
}

func (s *server) segmentCreate(w http.ResponseWriter, r *http.Request) error {
	return s.segmentSave(w, r, 0)
}

func (s *server) segmentUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.segmentSave(w, r, id)
}

// segmentPreview is the editor's live count: how many customers the rules as typed select,
// or what is wrong with them.
type segmentPreview struct {
	Count    int
	Problems []string
}

func (s *server) segmentPreview(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	currency, err := s.Catalog.Currency(ctx)
	if err != nil {
		return err
	}
	var p segmentPreview
	rules, kinds, err := segmentRules(readSegmentForm(r), currency)
	if err == nil {
		p.Count, err = s.Marketing.Preview(ctx, rules)
		err = ruleErrors(err, kinds)
	}
	if err != nil {
		errs, ok := apperr.Errors(err)
		if !ok || errs[0].Code != apperr.CodeInvalid {
			return err
		}
		// Named by their rule: the count sits below every rule, not beside one.
		for _, e := range errs {
			msg := e.Message
			if len(e.Field) == 2 && slices.Contains(marketing.RuleKinds, e.Field[0]) {
				msg = capitalise(strings.ToLower(e.Field[0])) + ": " + msg
			}
			p.Problems = append(p.Problems, msg)
		}
	}
	return s.fragment(w, r, http.StatusOK, segmentPreviewPart(p))
}

// segmentMembers is a page of a segment's members, with the form that gives each of them
// a personal coupon.
type segmentMembers struct {
	Segment marketing.Segment
	Count   int
	Rows    []marketing.SegmentMember
	Page    int
	Pages   int
	ctx     ruleContext
	// Coupon is the personal-coupon form as typed (CouponKey its idempotency key), with
	// its mistakes.
	Coupon       couponForm
	CouponKey    string
	CouponErrors formErrors
}

func (v segmentMembers) PageURL(page int) string {
	return fmt.Sprintf("%s/members?page=%d", segmentURL(v.Segment.ID), page)
}

func (s *server) segmentMembersView(ctx context.Context, id int64, page int) (segmentMembers, error) {
	v := segmentMembers{Page: 1, Coupon: couponForm{Kind: string(promotion.Percent)}, CouponKey: newIdempotencyKey()}
	var err error
	if v.Segment, err = s.Marketing.Segment(ctx, id); err != nil {
		return v, err
	}
	if v.Count, err = s.Marketing.Count(ctx, id); err != nil {
		return v, err
	}
	v.Pages = max(1, (v.Count+segmentMembersPage-1)/segmentMembersPage)
	if page > 1 {
		v.Page = min(page, v.Pages)
	}
	if v.Rows, err = s.Marketing.Members(ctx, id, marketing.Page{Limit: segmentMembersPage, Offset: (v.Page - 1) * segmentMembersPage}); err != nil {
		return v, err
	}
	v.ctx, err = s.ruleContext(ctx)
	return v, err
}

func (s *server) segmentMembers(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	v, err := s.segmentMembersView(r.Context(), id, page)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, segmentMembersPageView(v))
}

// personalCouponFields are the paths the personal-coupon forms show beside their inputs.
var personalCouponFields = fieldSet("code", "kind", "percentBp", "amount", "minSpend", "startsAt", "endsAt")

// readPersonalCouponForm reads the personal-coupon part of a form (the coupon editor's
// names): a discount on the whole order, active, its code typed as a prefix.
func readPersonalCouponForm(r *http.Request) couponForm {
	f := readCouponForm(r)
	return couponForm{Code: f.Code, Kind: f.Kind, Percent: f.Percent, Amount: f.Amount, MinSpend: f.MinSpend,
		StartsOn: f.StartsOn, EndsOn: f.EndsOn, Scope: string(promotion.WholeOrder), Active: true}
}

// typed reports whether anything of a personal coupon was filled in (the kind is a
// choice that always has a value).
func (f couponForm) typed() bool {
	for _, v := range []string{f.Code, f.Percent, f.Amount, f.MinSpend, f.StartsOn, f.EndsOn} {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// segmentCoupons gives every member of the segment a personal single-use coupon.
func (s *server) segmentCoupons(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	key := r.PostFormValue("idempotencyKey")
	if to, ok := s.formReplay(ctx, key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	f := readPersonalCouponForm(r)
	in, err := s.couponInput(ctx, f)
	var n int
	if err == nil {
		n, err = s.Marketing.IssuePersonalCoupons(ctx, id, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, personalCouponFields, func(fe formErrors) (templ.Component, error) {
			v, err := s.segmentMembersView(ctx, id, 1)
			v.Coupon, v.CouponKey, v.CouponErrors = f, key, fe
			return segmentMembersPageView(v), err
		})
	}
	to := segmentURL(id) + "/members"
	s.formDone(ctx, key, to)
	return s.redirect(w, r, to, flashCouponsIssued+strconv.Itoa(n))
}

// segmentCSV downloads every member of a segment (the service audits the export).
func (s *server) segmentCSV(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sg, err := s.Marketing.Segment(ctx, id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	if _, err := s.Marketing.ExportCSV(ctx, id, &buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": csvFileName(sg.Name)}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w)
	return nil
}

// csvFileName is a download name from a segment's name: letters and digits, dashes for
// the rest.
func csvFileName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.TrimRight(b.String(), "-")
	if base == "" {
		base = "members"
	}
	return "segment-" + base + ".csv"
}

// Campaigns.

// campaignList is the campaigns page with each one's progress.
type campaignList struct {
	Rows     []marketing.CampaignWithProgress
	Segments map[int64]string
	Page     int
	HasNext  bool
}

func (s *server) segmentNames(ctx context.Context) (map[int64]string, []marketing.SegmentCount, error) {
	segs, err := s.Marketing.Segments(ctx)
	names := make(map[int64]string, len(segs))
	for _, sg := range segs {
		names[sg.ID] = sg.Name
	}
	return names, segs, err
}

func (s *server) campaignList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := campaignList{Page: 1}
	if p, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && p > 1 && p < 100_000 {
		v.Page = p
	}
	rows, err := s.Marketing.Campaigns(ctx, marketing.Page{Limit: campaignListPage + 1, Offset: (v.Page - 1) * campaignListPage})
	if err != nil {
		return err
	}
	if len(rows) > campaignListPage {
		rows, v.HasNext = rows[:campaignListPage], true
	}
	v.Rows = rows
	if v.Segments, _, err = s.segmentNames(ctx); err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, campaignListPageView(v))
}

// Sending reports whether any campaign on the list is still being sent (the list then
// refreshes itself).
func (v campaignList) Sending() bool {
	return slices.ContainsFunc(v.Rows, func(c marketing.CampaignWithProgress) bool { return campaignActive(c) })
}

// campaignActive reports whether a campaign's figures may still change.
func campaignActive(c marketing.CampaignWithProgress) bool {
	return c.Status == marketing.CampaignSending || c.Progress.Pending > 0 || c.Progress.Queued > 0
}

// campaignForm is a new campaign as typed.
type campaignForm struct {
	Key, Name, SegmentID, Subject, Body string
}

type campaignEditor struct {
	Form     campaignForm
	Errors   formErrors
	Segments []marketing.SegmentCount
}

var campaignFields = fieldSet("name", "segmentId", "subject", "body")

func (s *server) campaignEditor(ctx context.Context, f campaignForm, fe formErrors) (campaignEditor, error) {
	_, segs, err := s.segmentNames(ctx)
	return campaignEditor{Form: f, Errors: fe, Segments: segs}, err
}

func (s *server) campaignNew(w http.ResponseWriter, r *http.Request) error {
	f := campaignForm{Key: newIdempotencyKey(), SegmentID: r.URL.Query().Get("segment"),
		Body: "Dear {{name}},\n\n"}
	e, err := s.campaignEditor(r.Context(), f, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, campaignNewPage(e))
}

func (s *server) campaignCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	v := r.PostFormValue
	f := campaignForm{Key: v("idempotencyKey"), Name: v("name"), SegmentID: v("segmentId"), Subject: v("subject"), Body: v("body")}
	if to, ok := s.formReplay(ctx, f.Key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	var errs apperr.List
	segID, perr := strconv.ParseInt(f.SegmentID, 10, 64)
	if perr != nil || segID <= 0 {
		errs = append(errs, apperr.Invalid("segmentId", "choose the segment to send to"))
	}
	// The service checks the rest even without a segment, so every mistake shows at once.
	c, err := s.Marketing.CreateCampaign(ctx, marketing.CampaignInput{Name: f.Name, SegmentID: segID, Subject: f.Subject, Body: f.Body})
	if len(errs) > 0 {
		if svc, ok := apperr.Errors(err); ok {
			for _, e := range svc {
				if strings.Join(e.Field, ".") != "segmentId" {
					errs = append(errs, e)
				}
			}
		} else if err != nil {
			return err
		}
		err = errs.Err()
	}
	if err != nil {
		return s.formFailed(w, r, err, campaignFields, func(fe formErrors) (templ.Component, error) {
			e, err := s.campaignEditor(ctx, f, fe)
			return campaignNewPage(e), err
		})
	}
	to := campaignURL(c.ID)
	s.formDone(ctx, f.Key, to)
	return s.redirect(w, r, to, flashCampaignCreated)
}

// campaignView is a campaign's page.
type campaignView struct {
	Campaign    marketing.CampaignWithProgress
	SegmentName string
	// Audience is how many the segment selects now (before the start: who it would reach).
	Audience int
	Problem  string
	// WithCoupon says the start form gives each recipient a personal coupon, as typed in
	// Coupon, with its mistakes.
	WithCoupon   bool
	Coupon       couponForm
	CouponErrors formErrors
	Currency     string
}

func (s *server) campaignView(ctx context.Context, id int64) (campaignView, error) {
	var v campaignView
	var err error
	if v.Campaign, err = s.Marketing.Campaign(ctx, id); err != nil {
		return v, err
	}
	sg, err := s.Marketing.Segment(ctx, v.Campaign.SegmentID)
	if err != nil {
		return v, err
	}
	v.SegmentName = sg.Name
	v.Coupon = couponForm{Kind: string(promotion.Percent)}
	if v.Campaign.Status == marketing.CampaignDraft {
		if v.Audience, err = s.Marketing.Count(ctx, sg.ID); err != nil {
			return v, err
		}
		if v.Currency, err = s.Catalog.Currency(ctx); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (s *server) campaignShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.campaignView(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, campaignShowPage(v))
}

// campaignProgress is the progress fragment the campaign page polls while sending.
func (s *server) campaignProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.Marketing.Campaign(r.Context(), id)
	if err != nil {
		return err
	}
	return s.fragment(w, r, http.StatusOK, campaignProgressPart(c))
}

// campaignAction cancels a campaign; a refusal (already started, nobody to
// send to) shows on the campaign's page.
func (s *server) campaignAction(w http.ResponseWriter, r *http.Request, act func(ctx context.Context, id int64) error, flash string) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	if err := act(ctx, id); err != nil {
		errs, ok := apperr.Errors(err)
		if !ok || (errs[0].Code != apperr.CodeInvalid && errs[0].Code != apperr.CodeConflict) {
			return err
		}
		v, verr := s.campaignView(ctx, id)
		if verr != nil {
			return verr
		}
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Message
		}
		v.Problem = strings.Join(msgs, "; ")
		return s.page(w, r, http.StatusUnprocessableEntity, campaignShowPage(v))
	}
	return s.redirect(w, r, campaignURL(id), flash)
}

// campaignStart starts a draft campaign; when the coupon part of the form is filled in
// (or ticked), each recipient also gets a personal coupon the email carries.
func (s *server) campaignStart(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readPersonalCouponForm(r)
	withCoupon := checked(r, "withCoupon") || f.typed()
	if !withCoupon {
		_, _, err = s.Marketing.StartCampaign(ctx, id)
		if err != nil {
			return s.campaignStartFailed(w, r, id, err, false, f)
		}
		return s.redirect(w, r, campaignURL(id), flashCampaignStarted)
	}
	in, err := s.couponInput(ctx, f)
	var n int
	if err == nil {
		_, n, err = s.Marketing.StartCampaignWithCoupons(ctx, id, in)
	}
	if err != nil {
		return s.campaignStartFailed(w, r, id, err, true, f)
	}
	return s.redirect(w, r, campaignURL(id), flashCampaignCouponsStarted+strconv.Itoa(n))
}

// campaignStartFailed shows why a campaign did not start on its page: the coupon's
// mistakes beside its fields, the rest (already started, nobody to send to, no {{coupon}}
// in the text) above.
func (s *server) campaignStartFailed(w http.ResponseWriter, r *http.Request, id int64, err error, withCoupon bool, f couponForm) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	for _, e := range errs {
		if e.Code != apperr.CodeInvalid && e.Code != apperr.CodeConflict {
			return err
		}
	}
	v, verr := s.campaignView(r.Context(), id)
	if verr != nil {
		return verr
	}
	shows := func(string) bool { return false }
	if withCoupon {
		shows = personalCouponFields
	}
	fe := newFormErrors(errs, shows)
	v.WithCoupon, v.Coupon, v.CouponErrors = withCoupon, f, fe
	v.Problem = strings.Join(fe.General(), "; ")
	if v.Problem == "" {
		v.Problem = "Please correct the marked coupon fields."
	}
	return s.page(w, r, http.StatusUnprocessableEntity, campaignShowPage(v))
}

func (s *server) campaignCancel(w http.ResponseWriter, r *http.Request) error {
	return s.campaignAction(w, r, func(ctx context.Context, id int64) error {
		_, err := s.Marketing.CancelCampaign(ctx, id)
		return err
	}, flashCampaignCancelled)
}

// pollEvery is the hx-trigger of a fragment refreshed while a campaign sends.
func pollEvery() string { return fmt.Sprintf("every %ds", campaignPollSeconds) }

// marketingActive reports whether the page is one of the customers menu's marketing or
// feedback pages.
func marketingActive(ctx context.Context) bool {
	return navActive(ctx, segmentsURL) || navActive(ctx, campaignsURL) || navActive(ctx, feedbackURL)
}
