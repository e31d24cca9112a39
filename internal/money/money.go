// Package money formats and parses amounts held as integer minor units with an ISO 4217
// currency, in one place for the back office, the API's messages and the domain's texts
// (so a locale can be added here without touching logic).
package money

import (
	"strconv"
	"strings"
)

// minorDigits is the number of minor-unit digits of the currencies that differ from the
// usual two (ISO 4217).
var minorDigits = map[string]int{
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0,
	"BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3,
}

// MinorDigits is how many minor-unit digits currency has: amounts in minor units are
// major units times 10^MinorDigits (2 for TWD, 0 for JPY).
func MinorDigits(currency string) int {
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

// Format shows an amount in minor units: "NT$1,290" for TWD (cents only when there are
// some, as Taiwanese prices are whole dollars), "USD 12.34" for other currencies.
func Format(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	if currency == "TWD" {
		return sign + "NT$" + units(amount, currency, true)
	}
	return sign + currency + " " + units(amount, currency, true)
}

// FormatInput is an amount as typed into a form: "1290", "1290.50", no symbol, no grouping.
func FormatInput(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return sign + units(amount, currency, false)
}

func units(amount int64, currency string, group bool) string {
	exp := MinorDigits(currency)
	unit := pow10(exp)
	whole, frac := amount/unit, amount%unit
	s := strconv.FormatInt(whole, 10)
	if group {
		s = GroupThousands(s)
	}
	if exp > 0 && (frac != 0 || currency != "TWD") {
		f := strconv.FormatInt(frac, 10)
		s += "." + strings.Repeat("0", exp-len(f)) + f
	}
	return s
}

// Parse reads an amount typed in major units ("1,290", "NT$1290", "12.5") into minor
// units. It refuses more decimals than the currency has.
func Parse(s, currency string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-") // as Format writes it: "-NT$5"
	s = strings.TrimPrefix(s, "-")
	s = strings.TrimPrefix(s, currency)
	s = strings.TrimPrefix(strings.TrimSpace(s), "NT")
	s = strings.TrimPrefix(s, "$")
	s = strings.NewReplacer(",", "", " ", "").Replace(s)
	if strings.HasPrefix(s, "-") {
		if neg {
			return 0, false
		}
		neg, s = true, s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	exp := MinorDigits(currency)
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

// GroupThousands puts separators in a string of digits: "1234567" → "1,234,567".
func GroupThousands(s string) string {
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
