package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/catalog"
)

// Every amount, count, date and time the back office shows is formatted here, so a locale
// can be added in one place.

func exponent(currency string) int { return catalog.MinorDigits(currency) }

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// formatMoney shows an amount in minor units: "NT$1,290" for TWD (cents only when there
// are some, as Taiwanese prices are whole dollars), "USD 12.34" for other currencies.
func formatMoney(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	if currency == "TWD" {
		return sign + "NT$" + formatUnits(amount, currency, true)
	}
	return sign + currency + " " + formatUnits(amount, currency, true)
}

// formatAmountInput is an amount as typed into a form: "1290", "1290.50", no symbol.
func formatAmountInput(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return sign + formatUnits(amount, currency, false)
}

func formatUnits(amount int64, currency string, group bool) string {
	exp := exponent(currency)
	unit := pow10(exp)
	whole, frac := amount/unit, amount%unit
	s := strconv.FormatInt(whole, 10)
	if group {
		s = groupThousands(s)
	}
	if exp > 0 && (frac != 0 || currency != "TWD") {
		f := strconv.FormatInt(frac, 10)
		s += "." + strings.Repeat("0", exp-len(f)) + f
	}
	return s
}

// parseAmount reads an amount typed in major units ("1,290", "NT$1290", "12.5") into
// minor units. It refuses more decimals than the currency has.
func parseAmount(s, currency string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, currency)
	s = strings.TrimPrefix(strings.TrimSpace(s), "NT")
	s = strings.TrimPrefix(s, "$")
	s = strings.NewReplacer(",", "", " ", "").Replace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	exp := exponent(currency)
	if whole == "" || len(whole) > 15 || len(frac) > exp || !digits(whole) || !digits(frac) {
		return 0, false
	}
	n, _ := strconv.ParseInt(whole, 10, 64)
	n *= pow10(exp)
	if frac != "" {
		f, _ := strconv.ParseInt(frac, 10, 64)
		n += f * pow10(exp-len(frac))
	}
	if neg {
		n = -n
	}
	return n, true
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// formatCount shows a count with thousands separators: 12,345.
func formatCount[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	if n < 0 {
		return "-" + groupThousands(s[1:])
	}
	return groupThousands(s)
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	first := len(s) % 3
	if first > 0 {
		b.WriteString(s[:first])
	}
	for i := first; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// formatDateTime shows t in the viewer's time zone (their home location's, else the
// company's), with the zone, since staff work across locations.
func formatDateTime(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(viewOf(ctx).Zone()).Format("2006-01-02 15:04 MST")
}

// machineTime is t for a <time datetime> attribute.
func machineTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// formatDate shows a calendar date (a DATE column such as a lot's expiry, which has no time
// zone): 2026-05-01.
func formatDate(d time.Time) string { return d.Format(time.DateOnly) }

// formatDay shows the day of t in the viewer's time zone: 2026-05-01.
func formatDay(ctx context.Context, t time.Time) string {
	return t.In(viewOf(ctx).Zone()).Format(time.DateOnly)
}

// dateInput is a calendar date as an <input type="date"> value; "" for nil.
func dateInput(d *time.Time) string {
	if d == nil {
		return ""
	}
	return formatDate(*d)
}

// parseDate reads a date typed as 2026-05-01.
func parseDate(s string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return d, err == nil
}

// startOfDay is the first instant of calendar day d (as parseDate reads it) in zone: a day
// typed in a filter or a form means the viewer's day, not UTC's.
func startOfDay(d time.Time, zone *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone)
}

// formatKm shows a distance in kilometres with one decimal: 12.5 km.
func formatKm(km float64) string { return strconv.FormatFloat(km, 'f', 1, 64) + " km" }

// formatPercentBP shows basis points as a percentage: 1000 is 10%, 1250 is 12.5%.
func formatPercentBP(bp int) string {
	return decimal.New(int64(bp), -2).String() + "%"
}

// formatDelta shows a change in a count with its sign: +3, -2, 0.
func formatDelta(n int) string {
	if n > 0 {
		return "+" + formatCount(n)
	}
	return formatCount(n)
}

// formatDays shows a number of days with one decimal: 12.5.
func formatDays(d float64) string { return strconv.FormatFloat(d, 'f', 1, 64) }

// formatCost shows a unit cost with as many decimals as it has (up to four) and at least
// the currency's: "NT$245.125", "USD 3.50".
func formatCost(c decimal.Decimal, currency string) string {
	sign := ""
	if c.IsNegative() {
		sign, c = "-", c.Neg()
	}
	whole, frac, _ := strings.Cut(formatCostInput(c), ".")
	if n := exponent(currency); len(frac) < n && (frac != "" || currency != "TWD") {
		frac += strings.Repeat("0", n-len(frac))
	}
	s := groupThousands(whole)
	if frac != "" {
		s += "." + frac
	}
	if currency == "TWD" {
		return sign + "NT$" + s
	}
	return sign + currency + " " + s
}

// formatCostInput is a cost as typed into a form: "245.125", no symbol, no grouping.
func formatCostInput(c decimal.Decimal) string { return c.String() }

// parseCost reads a cost typed in major units ("1,245.125", "NT$12.5"), with any number
// of decimals and a sign (the service says what it accepts).
func parseCost(s, currency string) (decimal.Decimal, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, currency)
	s = strings.TrimPrefix(strings.TrimSpace(s), "NT")
	s = strings.TrimPrefix(s, "$")
	s = strings.NewReplacer(",", "", " ", "").Replace(s)
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || len(whole) > 15 || len(frac) > 15 || !digits(whole) || !digits(frac) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}
