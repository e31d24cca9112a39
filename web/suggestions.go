package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"atrium/internal/apperr"
	"atrium/internal/replenishment"
)

// Replenishment suggestions: a buyer computes a run (the forecast, the stock policy and
// the plan over every variant and location), reviews the suggested transfers per route and
// purchases per supplier and delivery location with the figures that explain each line,
// ticks those to act on and turns them into draft transfers and purchase orders in one
// action (HTMX swaps the run in place with links to the drafts). Converting is idempotent:
// a double submit, or a retry after a lost answer, reports the drafts already made.

const suggestionsURL = "/admin/purchasing/suggestions"

func suggestionsRunURL(id int64) string { return suggestionsURL + "?run=" + strconv.FormatInt(id, 10) }

func suggestionsConvertURL(id int64) string {
	return suggestionsURL + "/" + strconv.FormatInt(id, 10) + "/convert"
}

// Flash messages of the suggestions page.
const (
	flashSuggestionsComputed  = "suggestions-computed"
	flashSuggestionsConverted = "suggestions-converted"
)

// suggestionsView is the suggestions page: a run (nil before the first computation)
// grouped for review, and what the last conversion made.
type suggestionsView struct {
	Run *replenishment.Run
	// Stale is true when the run was computed for an earlier day: it can no longer be
	// converted.
	Stale     bool
	Orders    []suggestionOrder
	Transfers []suggestionTransfer
	Unsourced []replenishment.Suggestion
	// Selected are the suggestions ticked when the form was last sent (after a refusal).
	Selected map[int64]bool
	Errors   formErrors
	// Result is what the conversion just made (nil otherwise).
	Result *replenishment.Conversion
	// Runs are the latest runs, to look back at one.
	Runs []replenishment.Run
}

// suggestionOrder is a supplier's draft order for one location, with its lines.
type suggestionOrder struct {
	replenishment.OrderGroup
	Lines []replenishment.Suggestion
}

// suggestionTransfer is a route's draft transfer, with its lines.
type suggestionTransfer struct {
	replenishment.TransferGroup
	Lines []replenishment.Suggestion
}

// locationCode is the code of a location of the run's suggestions (its id otherwise).
func (v suggestionsView) locationCode(id int64) string {
	if v.Run != nil {
		for _, g := range v.Run.Suggestions {
			if g.LocationID == id {
				return g.LocationCode
			}
			if g.FromLocationID != nil && *g.FromLocationID == id && g.FromLocationCode != nil {
				return *g.FromLocationCode
			}
		}
	}
	return "location " + strconv.FormatInt(id, 10)
}

// suggestionColumns is how many columns a group's table has.
func suggestionColumns(purchase bool) int {
	if purchase {
		return 10
	}
	return 8
}

// sourceNote says what a transfer's source has to spare ("" for a purchase).
func sourceNote(g replenishment.Suggestion) string {
	if g.SourceExcess == nil || g.FromLocationCode == nil {
		return ""
	}
	note := *g.FromLocationCode + " has " + counted(*g.SourceExcess, "unit", "units") + " to spare"
	if g.SourceCoverDays != nil {
		note += " (" + formatDays(*g.SourceCoverDays) + " days of cover)"
	}
	return note + "."
}

// counted is n with the singular or plural noun: "1 line", "3 lines".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(n) + " " + many
}

// Open reports whether some suggestion of the run can still be converted.
func (v suggestionsView) Open() bool {
	if v.Run == nil || v.Stale {
		return false
	}
	for _, g := range v.Run.Suggestions {
		if g.Kind != replenishment.Unsourced && !g.Converted() {
			return true
		}
	}
	return false
}

// newSuggestionsView groups run for review; today is the company's date.
func newSuggestionsView(run replenishment.Run, today time.Time) suggestionsView {
	v := suggestionsView{Run: &run, Stale: run.AsOf.Format(time.DateOnly) != today.Format(time.DateOnly)}
	byID := make(map[int64]replenishment.Suggestion, len(run.Suggestions))
	for _, g := range run.Suggestions {
		byID[g.ID] = g
		if g.Kind == replenishment.Unsourced {
			v.Unsourced = append(v.Unsourced, g)
		}
	}
	lines := func(ids []int64) []replenishment.Suggestion {
		out := make([]replenishment.Suggestion, 0, len(ids))
		for _, id := range ids {
			out = append(out, byID[id])
		}
		return out
	}
	for _, o := range run.Orders {
		v.Orders = append(v.Orders, suggestionOrder{OrderGroup: o, Lines: lines(o.SuggestionIDs)})
	}
	for _, t := range run.Transfers {
		v.Transfers = append(v.Transfers, suggestionTransfer{TransferGroup: t, Lines: lines(t.SuggestionIDs)})
	}
	return v
}

// suggestionsView loads run id (the latest when 0) for review; the view has no run when
// none was ever computed.
func (s *server) suggestionsView(r *http.Request, id int64) (suggestionsView, error) {
	ctx := r.Context()
	var run replenishment.Run
	var err error
	if id > 0 {
		run, err = s.Replenishment.Run(ctx, id)
	} else {
		run, err = s.Replenishment.LatestRun(ctx)
	}
	var v suggestionsView
	switch {
	case id == 0 && apperr.CodeOf(err) == apperr.CodeNotFound:
	case err != nil:
		return v, err
	default:
		v = newSuggestionsView(run, time.Now().In(viewOf(ctx).Zone()))
	}
	if v.Runs, err = s.Replenishment.Runs(ctx, 10); err != nil {
		return v, err
	}
	return v, nil
}

// suggestionsShow is the suggestions page: the run in ?run= or the latest.
func (s *server) suggestionsShow(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if q := r.URL.Query().Get("run"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n <= 0 {
			return s.notFound(w, r)
		}
		id = n
	}
	v, err := s.suggestionsView(r, id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, suggestionsPage(v))
}

// suggestionsCompute computes a new run and shows it.
func (s *server) suggestionsCompute(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	run, err := s.Replenishment.Compute(r.Context())
	if err != nil {
		return err
	}
	return s.redirect(w, r, suggestionsRunURL(run.ID), flashSuggestionsComputed)
}

// suggestionsConvert turns the ticked suggestions of run {id} into drafts. With HTMX the
// run is shown again in place with links to what was made; without, the browser is sent
// back to the run, where converted lines link to their drafts.
func (s *server) suggestionsConvert(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := replenishment.ConvertInput{RunID: id}
	selected := map[int64]bool{}
	var errs apperr.List
	for _, raw := range r.PostForm["suggestion"] {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, apperr.Invalid("suggestion", "%q is not a suggestion: reload the page", raw))
			continue
		}
		if !selected[n] {
			selected[n] = true
			in.SuggestionIDs = append(in.SuggestionIDs, n)
		}
	}
	if len(in.SuggestionIDs) == 0 && len(errs) == 0 {
		// An empty selection would mean "everything" to the service: ask instead.
		errs = append(errs, apperr.Invalid("suggestion", "tick the suggestions to turn into drafts"))
	}
	ctx := r.Context()
	err = errs.Err()
	var conv replenishment.Conversion
	if err == nil {
		conv, err = s.Replenishment.Convert(ctx, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, fieldSet(), func(fe formErrors) (templ.Component, error) {
			v, err := s.suggestionsView(r, id)
			if err != nil {
				return nil, err
			}
			v.Selected, v.Errors = selected, fe
			if isHTMX(r) {
				return suggestionsBody(v), nil
			}
			return suggestionsPage(v), nil
		})
	}
	if !isHTMX(r) {
		return s.redirect(w, r, suggestionsRunURL(id), flashSuggestionsConverted)
	}
	v, err := s.suggestionsView(r, id)
	if err != nil {
		return err
	}
	v.Result = &conv
	return s.fragment(w, r, http.StatusOK, suggestionsBody(v))
}
