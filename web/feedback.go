package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/feedback"
	"atrium/internal/marketing"
)

// After-sales feedback: the ratings customers left, by store, product and rating, and the
// follow-up list of low ratings an associate or manager resolves with a note.

const (
	feedbackURL           = "/admin/feedback"
	followUpURL           = "/admin/feedback/follow-up"
	feedbackPageSize      = 50
	flashFeedbackResolved = "feedback-resolved"
	// profileActivityRows bounds the feedback and product views on a customer profile.
	profileActivityRows = 10
)

// canSeeFeedback is who reads feedback and follows low ratings up (feedback.Resolve:
// associates and managers).
func canSeeFeedback(a actor.Actor) bool { return a.HasRole(actor.Associate, actor.Manager) }

// feedbackFilter is the list's query string as typed.
type feedbackFilter struct {
	Store, Product, MaxRating string
	FollowUp                  bool
	Page                      int
}

func (f feedbackFilter) values() url.Values {
	v := url.Values{"store": {f.Store}, "product": {f.Product}, "maxRating": {f.MaxRating}}
	if f.FollowUp {
		v.Set("followUp", "1")
	}
	return v
}

// PageURL is the list with these filters at page.
func (f feedbackFilter) PageURL(page int) string {
	v := f.values()
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return listURL(feedbackURL, v, "", nil)
}

// feedbackList is the feedback page or the follow-up page.
type feedbackList struct {
	Filter    feedbackFilter
	Problems  formErrors
	Rows      []feedback.Feedback
	Summary   feedback.Summary
	Pages     int
	Locations locationIndex
	// FollowUpPage is the follow-up list with resolve forms; Resolve a failed one shown again.
	FollowUpPage bool
	Resolve      resolveForm
}

// resolveForm is a follow-up's note as typed, with its errors.
type resolveForm struct {
	ID     int64
	Note   string
	Errors formErrors
}

func (s *server) feedbackList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := feedbackFilter{Store: q.Get("store"), Product: strings.TrimSpace(q.Get("product")), MaxRating: q.Get("maxRating"),
		FollowUp: q.Get("followUp") != "", Page: 1}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p < 100_000 {
		f.Page = p
	}
	filter := feedback.Filter{FollowUp: f.FollowUp, Limit: feedbackPageSize, Offset: (f.Page - 1) * feedbackPageSize}
	var errs apperr.List
	if f.Store != "" {
		if id, err := strconv.ParseInt(f.Store, 10, 64); err == nil && id > 0 {
			filter.LocationID = id
		} else {
			errs = append(errs, apperr.Invalid("store", "choose a store from the list"))
		}
	}
	if f.MaxRating != "" {
		if n, err := strconv.Atoi(f.MaxRating); err == nil && n >= 1 && n <= 5 {
			filter.MaxRating = n
		} else {
			errs = append(errs, apperr.Invalid("maxRating", "choose a rating from 1 to 5"))
		}
	}
	if f.Product != "" {
		ids, err := s.productsByCode(ctx, &errs, "product", f.Product)
		if err != nil {
			return err
		}
		switch {
		case len(ids) == 1:
			filter.ProductID = ids[0]
		case len(ids) > 1:
			errs = append(errs, apperr.Invalid("product", "enter one product handle or SKU"))
		}
	}
	return s.renderFeedback(w, r, f, filter, errs, false, resolveForm{})
}

func (s *server) followUpList(w http.ResponseWriter, r *http.Request) error {
	f := feedbackFilter{FollowUp: true, Page: 1}
	return s.renderFeedback(w, r, f, feedback.Filter{FollowUp: true, Limit: 200}, nil, true, resolveForm{})
}

func (s *server) renderFeedback(w http.ResponseWriter, r *http.Request, f feedbackFilter, filter feedback.Filter,
	errs apperr.List, followUp bool, rf resolveForm) error {
	ctx := r.Context()
	v := feedbackList{Filter: f, FollowUpPage: followUp, Resolve: rf}
	var err error
	if v.Locations, err = s.locationIndex(ctx); err != nil {
		return err
	}
	status := http.StatusOK
	if len(errs) > 0 {
		// A filter that cannot be applied lists nothing rather than everything.
		v.Problems = newFormErrors(errs, fieldSet("store", "product", "maxRating"))
		status = http.StatusBadRequest
	} else {
		if v.Rows, v.Summary, err = s.Feedback.List(ctx, filter); err != nil {
			return err
		}
		v.Pages = max(1, (v.Summary.Count+feedbackPageSize-1)/feedbackPageSize)
	}
	if rf.ID != 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.page(w, r, status, feedbackListPage(v))
}

func (s *server) feedbackResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	note := r.PostFormValue("note")
	if _, err := s.Feedback.Resolve(ctx, id, note); err != nil {
		errs, ok := apperr.Errors(err)
		if !ok {
			return err
		}
		for _, e := range errs {
			if e.Code != apperr.CodeInvalid {
				return err
			}
		}
		rf := resolveForm{ID: id, Note: note, Errors: newFormErrors(errs, fieldSet("note"))}
		return s.renderFeedback(w, r, feedbackFilter{FollowUp: true, Page: 1}, feedback.Filter{FollowUp: true, Limit: 200}, nil, true, rf)
	}
	return s.redirect(w, r, followUpURL, flashFeedbackResolved)
}

// ResolveElsewhere reports whether a failed resolve is of a row the page does not show
// (resolved meanwhile), so its errors go at the top.
func (v feedbackList) ResolveElsewhere() bool {
	if v.Resolve.ID == 0 {
		return false
	}
	for _, f := range v.Rows {
		if f.ID == v.Resolve.ID {
			return false
		}
	}
	return true
}

// ResolveFor is the resolve form of row id: what was typed after a failure, else empty.
func (v feedbackList) ResolveFor(id int64) resolveForm {
	if v.Resolve.ID == id {
		return v.Resolve
	}
	return resolveForm{ID: id}
}

// customerActivity is the profile's section of what the customer said and looked at.
type customerActivity struct {
	CustomerID int64
	Feedback   []feedback.Feedback
	Summary    feedback.Summary
	Views      []marketing.ProductView
}

// customerActivity is loaded by the profile after it shows, so a slow view history does
// not hold the profile up.
func (s *server) customerActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.Customers.Member(ctx, id); err != nil {
		return err
	}
	v := customerActivity{CustomerID: id}
	if v.Feedback, v.Summary, err = s.Feedback.List(ctx, feedback.Filter{CustomerID: id, Limit: profileActivityRows}); err != nil {
		return err
	}
	if v.Views, err = s.Marketing.RecentViews(ctx, id, profileActivityRows); err != nil {
		return err
	}
	return s.fragment(w, r, http.StatusOK, customerActivityPart(v))
}

// stars shows a rating as filled and empty stars, with the figure for screen readers.
func stars(n int) string {
	n = min(max(n, 0), 5)
	return strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
}

func ratingLabel(n int) string { return fmt.Sprintf("%d of 5", n) }

func activityURL(id int64) string { return customerURL(id) + "/activity" }

// resolveAction is where a follow-up's resolve form posts.
func resolveAction(id int64) templ.SafeURL {
	return templ.SafeURL(feedbackURL + "/" + strconv.FormatInt(id, 10) + "/resolve")
}
