package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/money"
)

// Every amount, count, date and time the back office shows is formatted here, so a locale
// can be added in one place.

func exponent(currency string) int { return money.MinorDigits(currency) }

func formatMoney(amount int64, currency string) string { return money.Format(amount, currency) }

func formatAmountInput(amount int64, currency string) string {
	return money.FormatInput(amount, currency)
}

func parseAmount(s, currency string) (int64, bool) { return money.Parse(s, currency) }

// formatCount shows a count with thousands separators: 12,345.
func formatCount[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	if n < 0 {
		return "-" + money.GroupThousands(s[1:])
	}
	return money.GroupThousands(s)
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

// viewerToday is the viewer's calendar day (in their time zone) as a date: midnight UTC,
// as the services keep dates.
func viewerToday(ctx context.Context) time.Time {
	y, m, d := time.Now().In(viewOf(ctx).Zone()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
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
	s := money.GroupThousands(whole)
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

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
