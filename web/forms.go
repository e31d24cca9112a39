package web

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/apperr"
)

// formErrors are a failed save's errors: those on a field the form shows, keyed by the
// field's path as the services name it (e.g. "variants.1.barcode"), and the rest, shown
// in the form's summary so no error is ever lost.
type formErrors struct {
	fields  map[string][]string
	general []string
}

func newFormErrors(errs []*apperr.Error, shows func(path string) bool) formErrors {
	fe := formErrors{fields: map[string][]string{}}
	for _, e := range errs {
		path := strings.Join(e.Field, ".")
		if path != "" && shows(path) {
			fe.fields[path] = append(fe.fields[path], e.Message)
		} else {
			fe.general = append(fe.general, e.Message)
		}
	}
	return fe
}

// For returns the message for the field at path, or "".
func (fe formErrors) For(path string) string { return strings.Join(fe.fields[path], "; ") }

// Empty reports whether there is nothing to show.
func (fe formErrors) Empty() bool { return len(fe.fields) == 0 && len(fe.general) == 0 }

// HasFields reports whether some field is marked in error.
func (fe formErrors) HasFields() bool { return len(fe.fields) > 0 }

// All returns every message, those on fields (in path order) first.
func (fe formErrors) All() []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(fe.fields)) {
		out = append(out, fe.fields[path]...)
	}
	return append(out, fe.general...)
}

// General returns the errors not tied to a shown field.
func (fe formErrors) General() []string { return fe.general }

// Attrs marks the input for path invalid (Pico styles aria-invalid) and ties it to its message.
func (fe formErrors) Attrs(path string) templ.Attributes {
	if _, ok := fe.fields[path]; !ok {
		return nil
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": errorID(path)}
}

func errorID(path string) string { return "error-" + strings.ReplaceAll(path, ".", "-") }

// fieldSet returns a shows function for forms with a fixed set of fields.
func fieldSet(paths ...string) func(string) bool {
	set := make(map[string]bool, len(paths))
	for _, p := range paths {
		set[p] = true
	}
	return func(p string) bool { return set[p] }
}

// maxFormBytes bounds a form body; the largest form (a product with many variants) is a
// few kilobytes.
const maxFormBytes = 1 << 20

func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return apperr.Invalid("", "the form could not be read; reload the page and try again")
	}
	return nil
}

// pathID is the {id} of the URL; a malformed one is simply not found.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound("")
	}
	return id, nil
}

// Decoders from form text to domain values. Each appends an apperr.Invalid on the field
// to errs when the text is not a value, so the form shows it beside what was typed.

func optInt64(errs *apperr.List, field, s string) *int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		*errs = append(*errs, apperr.Invalid(field, "enter a whole number"))
		return nil
	}
	return &n
}

// maxWholeNumber bounds the counts a form takes (stock figures are 32-bit in the database).
const maxWholeNumber = 999_999_999

// wholeNumber decodes a required whole number of at most nine digits.
func wholeNumber(errs *apperr.List, field, s string) int {
	if strings.TrimSpace(s) == "" {
		*errs = append(*errs, apperr.Invalid(field, "enter a whole number"))
		return 0
	}
	n := optInt64(errs, field, s)
	if n == nil {
		return 0
	}
	if *n > maxWholeNumber || *n < -maxWholeNumber {
		*errs = append(*errs, apperr.Invalid(field, "enter a whole number of at most nine digits"))
		return 0
	}
	return int(*n)
}

// optDate decodes an optional date typed as 2026-05-01.
func optDate(errs *apperr.List, field, s string) *time.Time {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	d, ok := parseDate(s)
	if !ok {
		*errs = append(*errs, apperr.Invalid(field, "enter a date such as 2026-05-01"))
		return nil
	}
	return &d
}

func optInt(errs *apperr.List, field, s string) *int {
	n := optInt64(errs, field, s)
	if n == nil {
		return nil
	}
	i := int(*n)
	return &i
}

func optFloat(errs *apperr.List, field, s string) *float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		*errs = append(*errs, apperr.Invalid(field, "enter a number such as 25.0339"))
		return nil
	}
	return &f
}

func amount(errs *apperr.List, field, s, currency string) int64 {
	n, ok := parseAmount(s, currency)
	if !ok {
		*errs = append(*errs, apperr.Invalid(field, "enter an amount such as %s", formatAmountInput(129000, currency)))
	}
	return n
}

// optAmount decodes an optional amount ("" is zero).
func optAmount(errs *apperr.List, field, s, currency string) int64 {
	if strings.TrimSpace(s) == "" {
		return 0
	}
	return amount(errs, field, s, currency)
}

// optCost decodes an optional unit cost ("" is none).
func optCost(errs *apperr.List, field, s, currency string) *decimal.Decimal {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	c, ok := parseCost(s, currency)
	if !ok {
		*errs = append(*errs, apperr.Invalid(field, "enter a cost such as 245.125 (up to four decimals)"))
		return nil
	}
	return &c
}

func checked(r *http.Request, name string) bool { return r.PostFormValue(name) != "" }

func formatID(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

func formatOptInt(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func formatOptFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// lineEditOp applies a line editor's button posted without JavaScript ("add-line" or
// "remove-<i>") to lines; ok is false when the form was posted by another button.
func lineEditOp[L any](r *http.Request, lines []L) (_ []L, ok bool) {
	op := r.PostFormValue("op")
	switch {
	case op == "":
		return lines, false
	case op == "add-line":
		return append(lines, *new(L)), true
	}
	if i, err := strconv.Atoi(strings.TrimPrefix(op, "remove-")); err == nil && i >= 0 && i < len(lines) {
		return slices.Delete(lines, i, i+1), true
	}
	return lines, true
}
