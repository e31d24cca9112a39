package catalog

import (
	"strings"

	"atrium/internal/apperr"
)

// GTINCheckDigit returns the GS1 check digit for the digits of a GTIN without its last
// digit: from the right, weights 3,1,3,1...; the check digit brings the sum to a multiple of 10.
func GTINCheckDigit(body string) byte {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// NormalizeGTIN validates a GTIN-8, -12 (UPC-A), -13 (EAN) or -14 barcode, ignoring spaces
// and dashes, and returns its digits. The error (apperr.Invalid on field) says what is wrong.
func NormalizeGTIN(field, s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", apperr.Invalid(field, "a barcode has digits only; %q has %q", s, r).WithReason("INVALID_BARCODE")
		}
	}
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", apperr.Invalid(field, "a barcode (GTIN) has 8, 12, 13 or 14 digits; this one has %d", len(s)).WithReason("INVALID_BARCODE")
	}
	if want := GTINCheckDigit(s[:len(s)-1]); s[len(s)-1] != want {
		return "", apperr.Invalid(field, "the barcode's check digit is wrong: %s should end in %c (mistyped?)", s, want).WithReason("BAD_CHECK_DIGIT")
	}
	return s, nil
}
