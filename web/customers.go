package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/location"
	"atrium/internal/loyalty"
	"atrium/internal/order"
	"atrium/internal/returns"
)

// Customers in the back office: search by what a shopper tells an associate, the 360°
// profile (contact, identities, consents, orders from every channel, lifetime value,
// points, store credit, returns, merges), signing a member up at the store, merging
// duplicates with a preview, and privacy requests (export, erasure).

const (
	customersURL         = "/admin/customers"
	customerPageSize     = 25
	profileOrderPageSize = 20
	// profileMaxOrders bounds the orders read for a profile's lifetime value (100 pages
	// of the order service's largest page); a customer with more shows a partial figure.
	profileMaxOrders = 10000
)

func customerURL(id int64) string { return customersURL + "/" + strconv.FormatInt(id, 10) }

func customerMergeURL(survivor, other int64) string {
	u := customerURL(survivor) + "/merge"
	if other != 0 {
		u += "?other=" + strconv.FormatInt(other, 10)
	}
	return u
}

// The guards below mirror the customer and loyalty services' checks, so that the
// navigation and the pages offer only what the viewer may do.

// canSeeCustomers is who looks customers up and sees their profile: the store staff.
func canSeeCustomers(a actor.Actor) bool { return a.HasRole(actor.Manager, actor.Associate) }

// canRegisterMembers is who signs shoppers up at a store (customer.RegisterMember).
func canRegisterMembers(a actor.Actor) bool { return a.HasRole(actor.Manager, actor.Associate) }

// canPreviewMerge is who may look at what a merge would do (associates ask a manager).
func canPreviewMerge(a actor.Actor) bool { return a.HasRole(actor.Manager, actor.Associate) }

// canMerge is who merges and unmerges customers: a merge moves value between accounts.
func canMerge(a actor.Actor) bool { return a.HasRole(actor.Manager) }

// canHandlePrivacy is who exports or erases a customer's data on their request.
func canHandlePrivacy(a actor.Actor) bool { return a.HasRole(actor.Manager) }

// Flash messages of the customer pages.
const (
	flashMemberRegistered = "member-registered"
	flashCustomersMerged  = "customers-merged"
	flashCustomerUnmerged = "customer-unmerged"
	flashCustomerErased   = "customer-erased"
	flashPointsAdjusted   = "points-adjusted"
	flashLoyaltySaved     = "loyalty-saved"
	flashIdentityAdded    = "identity-added"
	flashConsentRecorded  = "consent-recorded"
)

// Forms whose service takes no idempotency key (registering, merging, adjusting points,
// erasing) carry one anyway: the session remembers where a key's first submission led,
// so a double click or a resubmitted page lands there instead of acting twice.
const sessionFormDone = "form-done:"

func (s *server) formReplay(ctx context.Context, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	u := s.sessions.GetString(ctx, sessionFormDone+key)
	return u, u != ""
}

func (s *server) formDone(ctx context.Context, key, to string) {
	if key != "" {
		s.sessions.Put(ctx, sessionFormDone+key, to)
	}
}

// customerList is the search page: the query, its results and paging.
type customerList struct {
	Query string
	// Total is the number of customers on file.
	Total int
	Rows  []customer.Member
	// Problem is why the query cannot be searched (too short, not an email...).
	Problem string
	Pager   pager
}

func (s *server) customerList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	v := customerList{Query: strings.TrimSpace(q.Get("q"))}
	var err error
	if v.Total, err = s.Customers.Count(ctx); err != nil {
		return err
	}
	if v.Query != "" {
		t := readTrail(q)
		after, _ := strconv.ParseInt(t.After, 10, 64)
		page, err := s.Customers.Search(ctx, v.Query, customerPageSize, after)
		if e, ok := apperr.As(err); ok && e.Code == apperr.CodeInvalid {
			v.Problem = e.Message
		} else if err != nil {
			return err
		}
		v.Rows = page.Members
		next := ""
		if page.HasNext && len(page.Members) > 0 {
			next = strconv.FormatInt(page.Members[len(page.Members)-1].ID, 10)
		}
		v.Pager = t.pager(-1, customerPageSize, next, func(after string, prev []string) string {
			return listURL(customersURL, url.Values{"q": {v.Query}}, after, prev)
		})
	}
	if htmxTarget(r) == "customer-results" {
		return s.fragment(w, r, http.StatusOK, customerResults(v))
	}
	return s.page(w, r, http.StatusOK, customerListPage(v))
}

// signUpURL is the sign-up form started with what the search that found nobody was for:
// a phone number as the phone, anything else but an email or member number as the name.
func signUpURL(query string) string {
	u := customersURL + "/new"
	if _, err := customer.NormalizePhone("q", query, "TW"); err == nil {
		return u + "?" + url.Values{"phone": {query}}.Encode()
	}
	if strings.Contains(query, "@") || strings.IndexFunc(query, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 {
		return u
	}
	return u + "?" + url.Values{"name": {query}}.Encode()
}

// memberForm is the store sign-up form as typed. Consents maps a purpose to "yes", "no"
// or "" (not asked).
type memberForm struct {
	Key, Name, Phone, Email, Location, Statement string
	Consents                                     map[string]string
}

// memberEditor is the sign-up page.
type memberEditor struct {
	Form   memberForm
	Errors formErrors
	// Stores are offered when the associate has no home store (admins, head office).
	Stores     []location.Location
	NeedsStore bool
}

// defaultConsentStatement is the wording the store sign-up tablet shows, kept with each
// consent as proof of what the customer agreed to.
const defaultConsentStatement = "In-store member sign-up (back office form)"

func (s *server) memberEditor(ctx context.Context, f memberForm, fe formErrors) (memberEditor, error) {
	e := memberEditor{Form: f, Errors: fe, NeedsStore: actor.From(ctx).HomeLocationID == nil}
	if e.NeedsStore {
		ls, err := s.Locations.List(ctx, location.Filter{})
		if err != nil {
			return e, err
		}
		for _, l := range ls {
			if l.Kind == location.Store {
				e.Stores = append(e.Stores, l)
			}
		}
	}
	return e, nil
}

func (s *server) customerNew(w http.ResponseWriter, r *http.Request) error {
	f := memberForm{Key: newIdempotencyKey(), Statement: defaultConsentStatement, Consents: map[string]string{},
		Phone: r.URL.Query().Get("phone"), Name: r.URL.Query().Get("name")}
	e, err := s.memberEditor(r.Context(), f, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, customerNewPage(e))
}

func (s *server) customerCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	v := r.PostFormValue
	f := memberForm{Key: v("idempotencyKey"), Name: v("name"), Phone: v("phone"), Email: v("email"),
		Location: v("location"), Statement: strings.TrimSpace(v("statement")), Consents: map[string]string{}}
	if to, ok := s.formReplay(ctx, f.Key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if f.Statement == "" {
		f.Statement = defaultConsentStatement
	}
	in := customer.RegisterMemberInput{Name: f.Name, Phone: f.Phone, Email: f.Email, Statement: f.Statement}
	for _, p := range customer.ConsentPurposes {
		switch answer := v("consent." + p); answer {
		case "yes", "no":
			f.Consents[p] = answer
			in.Consents = append(in.Consents, customer.ConsentChoice{Purpose: p, Granted: answer == "yes"})
		}
	}
	var errs apperr.List
	in.LocationID = optInt64(&errs, "locationId", f.Location)
	err := errs.Err()
	if err == nil {
		var m customer.Member
		if m, err = s.Customers.RegisterMember(ctx, in); err == nil {
			to := customerURL(m.ID)
			s.formDone(ctx, f.Key, to)
			return s.redirect(w, r, to, flashMemberRegistered)
		}
	}
	return s.formFailed(w, r, err, fieldSet("name", "phone", "email", "consents", "locationId"),
		func(fe formErrors) (templ.Component, error) {
			e, err := s.memberEditor(ctx, f, fe)
			return customerNewPage(e), err
		})
}

// moneyTotal is an amount in one currency.
type moneyTotal struct {
	Currency string
	Amount   int64
}

func addMoney(ts []moneyTotal, currency string, amount int64) []moneyTotal {
	for i := range ts {
		if ts[i].Currency == currency {
			ts[i].Amount += amount
			return ts
		}
	}
	return append(ts, moneyTotal{Currency: currency, Amount: amount})
}

// customerProfile is the 360° view of one customer.
type customerProfile struct {
	Member     customer.Member
	Identities []customer.Identity
	// Consents are those in force; ConsentHistory every one recorded, newest first.
	Consents       []customer.Consent
	ConsentHistory []customer.Consent
	// Orders is one page of the customer's orders, newest first, from every channel.
	Orders     []order.Order
	OrderPager pager
	OrderCount int
	// Value is the lifetime value per currency: what the customer's orders came to, less
	// cancellations and the refunds of returns. Partial when there are more orders than
	// profileMaxOrders.
	Value        []moneyTotal
	ValuePartial bool
	Points       loyalty.Summary
	Entries      []loyalty.Entry
	Credit       returns.Balance
	Credits      []returns.Entry
	Returns      []returns.Return
	Merges       []customer.MergeEvent
	// People names the other customers of the merges.
	People    map[int64]customer.Customer
	Locations locationIndex
	// Currency is the shop's, for the figures of a customer without orders.
	Currency string
	// Unmerge is a failed unmerge shown again on its merge.
	Unmerge unmergeForm
	// Identity and Consent are the profile's forms, with what was typed after a failure.
	Identity identityForm
	Consent  consentForm
}

// identityForm adds an email, phone or external account id to a customer.
type identityForm struct {
	Kind, Provider, Value string
	Errors                formErrors
}

// consentForm records a consent given or withdrawn, on the customer's behalf.
type consentForm struct {
	Purpose, Answer, Channel, Statement string
	Errors                              formErrors
}

// staffConsentChannels are where staff record a consent on a customer's behalf.
var staffConsentChannels = []string{"POS", "BACK_OFFICE"}

// unmergeForm is an unmerge as typed, with its errors.
type unmergeForm struct {
	MergeID int64
	Key     string
	Reason  string
	Errors  formErrors
}

func (s *server) customerProfile(ctx context.Context, id int64, after string) (customerProfile, error) {
	var p customerProfile
	var err error
	if p.Member, err = s.Customers.Member(ctx, id); err != nil {
		return p, err
	}
	if p.Identities, err = s.Customers.Identities(ctx, id); err != nil {
		return p, err
	}
	if p.Consents, err = s.Customers.Consents(ctx, id, false); err != nil {
		return p, err
	}
	if p.ConsentHistory, err = s.Customers.Consents(ctx, id, true); err != nil {
		return p, err
	}
	var all []order.Order
	for cursor := int64(0); ; {
		page, err := s.Orders.ForCustomer(ctx, id, order.Page{After: cursor, First: order.MaxPage})
		if err != nil {
			return p, err
		}
		all = append(all, page.Orders...)
		if !page.HasNextPage || len(page.Orders) == 0 {
			break
		}
		if len(all) >= profileMaxOrders {
			p.ValuePartial = true
			break
		}
		cursor = page.Orders[len(page.Orders)-1].ID
	}
	p.OrderCount = len(all)
	ids := make([]int64, len(all))
	for i, o := range all {
		ids[i] = o.ID
		if o.Status != order.Cancelled {
			p.Value = addMoney(p.Value, o.Currency, o.Total-o.CancelledAmount)
		}
	}
	byOrder, err := s.Returns.ReturnsByOrderIDs(ctx, ids)
	if err != nil {
		return p, err
	}
	for _, rs := range byOrder {
		for _, rt := range rs {
			p.Returns = append(p.Returns, rt)
			p.Value = addMoney(p.Value, rt.Currency, -rt.Refunded)
		}
	}
	slices.SortFunc(p.Returns, func(a, b returns.Return) int { return b.CreatedAt.Compare(a.CreatedAt) })
	// The orders page: profileOrderPageSize orders after the cursor (an order id).
	t := trail{After: after}
	if !validCursor(after) {
		t = trail{}
	}
	start := 0
	if n, err := strconv.ParseInt(t.After, 10, 64); err == nil && n > 0 {
		start = len(all)
		for i, o := range all {
			if o.ID < n {
				start = i
				break
			}
		}
	}
	end := min(start+profileOrderPageSize, len(all))
	p.Orders = all[start:end]
	next := ""
	if end < len(all) && end > 0 {
		next = strconv.FormatInt(all[end-1].ID, 10)
	}
	p.OrderPager = pager{Page: start/profileOrderPageSize + 1, Pages: max(1, (len(all)+profileOrderPageSize-1)/profileOrderPageSize),
		Total: len(all)}
	if next != "" {
		p.OrderPager.NextURL = customerURL(id) + "?after=" + next + "#orders"
	}
	if start > 0 {
		p.OrderPager.PrevURL = customerURL(id) + "#orders"
		if prev := start - profileOrderPageSize; prev > 0 {
			p.OrderPager.PrevURL = customerURL(id) + "?after=" + strconv.FormatInt(all[prev-1].ID, 10) + "#orders"
		}
	}
	if p.Points, err = s.Loyalty.Summary(ctx, id); err != nil {
		return p, err
	}
	if p.Entries, err = s.Loyalty.History(ctx, id, 10); err != nil {
		return p, err
	}
	if p.Credit, err = s.Returns.StoreCredit(ctx, id); err != nil {
		return p, err
	}
	credits, err := s.Returns.StoreCreditEntries(ctx, id, 0, 10)
	if err != nil {
		return p, err
	}
	p.Credits = credits.Entries
	if p.Merges, err = s.Members.Merges(ctx, id); err != nil {
		return p, err
	}
	var others []int64
	for _, m := range p.Merges {
		others = append(others, m.SurvivorID, m.MergedID)
	}
	if p.Member.MergedIntoID != nil {
		others = append(others, *p.Member.MergedIntoID)
	}
	if p.People, err = s.Customers.ByIDs(ctx, others); err != nil {
		return p, err
	}
	if p.Locations, err = s.locationIndex(ctx); err != nil {
		return p, err
	}
	if p.Currency, err = s.Catalog.Currency(ctx); err != nil {
		return p, err
	}
	if p.Credit.Currency == "" {
		p.Credit.Currency = p.Currency
	}
	return p, nil
}

// personName is how a profile names another customer (an erased one has no name).
func (p customerProfile) personName(id int64) string {
	if c, ok := p.People[id]; ok && c.Name != "" {
		return c.Name
	}
	return fmt.Sprintf("Customer %d", id)
}

func (s *server) identityCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	v := r.PostFormValue
	f := identityForm{Kind: v("kind"), Provider: v("provider"), Value: v("value")}
	if _, err = s.Customers.AddIdentity(ctx, id, customer.IdentityInput{Kind: f.Kind, Provider: f.Provider, Value: f.Value}); err == nil {
		return s.redirect(w, r, customerURL(id)+"#identities", flashIdentityAdded)
	}
	return s.formFailed(w, r, err, fieldSet("kind", "provider", "value"), func(fe formErrors) (templ.Component, error) {
		p, err := s.customerProfile(ctx, id, "")
		f.Errors = fe
		p.Identity = f
		return customerShowPage(p), err
	})
}

func (s *server) consentCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	v := r.PostFormValue
	f := consentForm{Purpose: v("purpose"), Answer: v("answer"), Channel: v("channel"), Statement: strings.TrimSpace(v("statement"))}
	var errs apperr.List
	if f.Answer != "yes" && f.Answer != "no" {
		errs = append(errs, apperr.Invalid("granted", "choose whether the customer agrees or not"))
	}
	if !slices.Contains(staffConsentChannels, f.Channel) {
		errs = append(errs, apperr.Invalid("channel", "choose where the customer told you: in store or to the back office"))
	}
	err = errs.Err()
	if err == nil {
		if _, err = s.Customers.RecordConsent(ctx, id, customer.ConsentInput{Purpose: f.Purpose, Granted: f.Answer == "yes",
			Channel: f.Channel, Statement: f.Statement}); err == nil {
			return s.redirect(w, r, customerURL(id)+"#consents", flashConsentRecorded)
		}
	}
	return s.formFailed(w, r, err, fieldSet("purpose", "granted", "channel"), func(fe formErrors) (templ.Component, error) {
		p, err := s.customerProfile(ctx, id, "")
		f.Errors = fe
		p.Consent = f
		return customerShowPage(p), err
	})
}

func (s *server) customerShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.customerProfile(r.Context(), id, r.URL.Query().Get("after"))
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, customerShowPage(p))
}

// mergeView is the merge page of a survivor: the search for the other customer, and
// the preview of merging them in.
type mergeView struct {
	Survivor customer.Member
	Query    string
	Problem  string
	Results  []customer.Member
	// OtherID is the customer to merge in, 0 until one is chosen.
	OtherID int64
	Preview *customer.MergePreviewResult
	// PreviewProblem is why there is no preview (the same customer twice).
	PreviewProblem string
	Reason         string
	Key            string
	Errors         formErrors
	// Currency is the shop's, for the store credit that moves.
	Currency string
}

func (s *server) mergeView(ctx context.Context, survivorID int64, query string, otherID int64) (mergeView, error) {
	v := mergeView{Query: strings.TrimSpace(query), OtherID: otherID, Key: newIdempotencyKey()}
	var err error
	if v.Currency, err = s.Catalog.Currency(ctx); err != nil {
		return v, err
	}
	if v.Survivor, err = s.Customers.Member(ctx, survivorID); err != nil {
		return v, err
	}
	if v.Query != "" {
		page, err := s.Customers.Search(ctx, v.Query, 10, 0)
		if e, ok := apperr.As(err); ok && e.Code == apperr.CodeInvalid {
			v.Problem = e.Message
		} else if err != nil {
			return v, err
		}
		for _, m := range page.Members {
			if m.ID != survivorID {
				v.Results = append(v.Results, m)
			}
		}
	}
	if otherID != 0 {
		p, err := s.Members.MergePreview(ctx, survivorID, otherID)
		if e, ok := apperr.As(err); ok && e.Code == apperr.CodeInvalid {
			v.PreviewProblem = e.Message
		} else if err != nil {
			return v, err
		} else {
			v.Preview = &p
		}
	}
	return v, nil
}

func (s *server) mergePreview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	other, _ := strconv.ParseInt(q.Get("other"), 10, 64)
	v, err := s.mergeView(r.Context(), id, q.Get("q"), max(other, 0))
	if err != nil {
		return err
	}
	if htmxTarget(r) == "merge-candidates" {
		return s.fragment(w, r, http.StatusOK, mergeCandidates(v))
	}
	return s.page(w, r, http.StatusOK, customerMergePage(v))
}

func (s *server) mergeCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	key, reason := r.PostFormValue("idempotencyKey"), r.PostFormValue("reason")
	if to, ok := s.formReplay(ctx, key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	merged, perr := strconv.ParseInt(r.PostFormValue("merged"), 10, 64)
	if perr != nil || merged <= 0 {
		err = apperr.Invalid("mergedId", "choose the customer to merge in from the search")
	} else if _, err = s.Members.Merge(ctx, id, merged, reason); err == nil {
		to := customerURL(id)
		s.formDone(ctx, key, to)
		return s.redirect(w, r, to, flashCustomersMerged)
	}
	return s.formFailed(w, r, err, fieldSet("reason"), func(fe formErrors) (templ.Component, error) {
		v, err := s.mergeView(ctx, id, "", max(merged, 0))
		v.Reason, v.Key, v.Errors = reason, key, fe
		return customerMergePage(v), err
	})
}

func (s *server) unmergeCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mergeID, err := strconv.ParseInt(r.PathValue("merge"), 10, 64)
	if err != nil || mergeID <= 0 {
		return apperr.NotFound("")
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := unmergeForm{MergeID: mergeID, Key: r.PostFormValue("idempotencyKey"), Reason: r.PostFormValue("reason")}
	if to, ok := s.formReplay(ctx, f.Key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if _, err = s.Members.Unmerge(ctx, mergeID, f.Reason); err == nil {
		to := customerURL(id)
		s.formDone(ctx, f.Key, to)
		return s.redirect(w, r, to, flashCustomerUnmerged)
	}
	return s.formFailed(w, r, err, fieldSet("reason"), func(fe formErrors) (templ.Component, error) {
		p, err := s.customerProfile(ctx, id, "")
		f.Errors = fe
		p.Unmerge = f
		return customerShowPage(p), err
	})
}

func (s *server) customerExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	m, err := s.Customers.Member(ctx, id)
	if err != nil {
		return err
	}
	b, err := s.Members.ExportJSON(ctx, id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="customer-%s.json"`, exportName(m)))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
	return nil
}

// exportName names an export file after the member number (or the id of a customer
// without one), keeping only safe characters.
func exportName(m customer.Member) string {
	name := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, m.MemberNumber)
	if name == "" {
		return strconv.FormatInt(m.ID, 10)
	}
	return name
}

// eraseView is the erasure confirmation page.
type eraseView struct {
	Member  customer.Member
	Key     string
	Reason  string
	Confirm string
	Errors  formErrors
}

func (s *server) eraseConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.Customers.Member(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, customerErasePage(eraseView{Member: m, Key: newIdempotencyKey()}))
}

func (s *server) eraseCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	v := eraseView{Key: r.PostFormValue("idempotencyKey"), Reason: r.PostFormValue("reason"), Confirm: strings.TrimSpace(r.PostFormValue("confirm"))}
	if to, ok := s.formReplay(ctx, v.Key); ok {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if v.Member, err = s.Customers.Member(ctx, id); err != nil {
		return err
	}
	var errs apperr.List
	if !strings.EqualFold(v.Confirm, v.Member.MemberNumber) {
		errs = append(errs, apperr.Invalid("confirm", "type the member number %s to confirm that this customer is to be erased", v.Member.MemberNumber))
		if strings.TrimSpace(v.Reason) == "" {
			errs = append(errs, apperr.Invalid("reason", "say whose request this is (e.g. the ticket or letter reference)"))
		}
	}
	err = errs.Err()
	if err == nil {
		if err = s.Members.Erase(ctx, id, v.Reason); err == nil {
			to := customerURL(id)
			s.formDone(ctx, v.Key, to)
			return s.redirect(w, r, to, flashCustomerErased)
		}
	}
	return s.formFailed(w, r, err, fieldSet("reason", "confirm"), func(fe formErrors) (templ.Component, error) {
		v.Errors = fe
		return customerErasePage(v), nil
	})
}

// consentPurposeName says what a consent purpose covers.
func consentPurposeName(p string) string {
	switch p {
	case "MARKETING_EMAIL":
		return "Marketing by email"
	case "MARKETING_SMS":
		return "Marketing by text message"
	case "PERSONALISATION":
		return "Personalised recommendations"
	case "TERMS":
		return "Membership terms"
	}
	return p
}

// consentChannelName names where a consent was given.
func consentChannelName(c string) string {
	switch c {
	case "WEB":
		return "Web shop"
	case "APP":
		return "App"
	case "POS":
		return "In store"
	case "MARKETPLACE":
		return "Marketplace"
	case "BACK_OFFICE":
		return "Back office"
	case "EMAIL_LINK":
		return "Email link"
	}
	return c
}

// identityKindName names an identity kind (with the provider of an external id).
func identityKindName(i customer.Identity) string {
	switch i.Kind {
	case customer.IdentityEmail:
		return "Email"
	case customer.IdentityPhone:
		return "Phone"
	}
	if i.Provider != "" {
		return i.Provider + " id"
	}
	return "External id"
}

func optString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
