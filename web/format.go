package web

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Every amount, count, date and time the back office shows is formatted here, so a locale
// can be added in one place.

// minorDigits is the number of minor-unit digits of currencies that differ from the usual
// two (ISO 4217).
var minorDigits = map[string]int{
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0,
	"BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3,
}

func exponent(currency string) int {
	if d, ok := minorDigits[currency]; ok {
		return d
	}
	return 2
}

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
