package web

import (
	"testing"

	"atrium/internal/apperr"
)

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	cases := []struct {
		amount   int64
		currency string
		want     string
	}{
		{129000, "TWD", "NT$1,290"},
		{129050, "TWD", "NT$1,290.50"},
		{0, "TWD", "NT$0"},
		{-49000, "TWD", "-NT$490"},
		{123456789, "TWD", "NT$1,234,567.89"},
		{1234, "USD", "USD 12.34"},
		{100, "EUR", "EUR 1.00"},
		{5, "USD", "USD 0.05"},
		{1290, "JPY", "JPY 1,290"},
		{1234, "KWD", "KWD 1.234"},
	}
	for _, tc := range cases {
		if got := formatMoney(tc.amount, tc.currency); got != tc.want {
			t.Errorf("formatMoney(%d, %s) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"1290", "TWD", 129000, true},
		{"1,290", "TWD", 129000, true},
		{"NT$1,290.5", "TWD", 129050, true},
		{" 12.34 ", "USD", 1234, true},
		{"USD 12", "USD", 1200, true},
		{"-5", "TWD", -500, true},
		{"1290", "JPY", 1290, true},
		{"12.345", "USD", 0, false},
		{"12.5", "JPY", 0, false},
		{"abc", "TWD", 0, false},
		{"", "TWD", 0, false},
		{"1.2.3", "TWD", 0, false},
		{"9999999999999999", "TWD", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseAmount(tc.in, tc.currency)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseAmount(%q, %s) = %d, %v; want %d, %v", tc.in, tc.currency, got, ok, tc.want, tc.ok)
		}
		// What the form shows parses back to the same amount.
		if ok {
			if back, _ := parseAmount(formatAmountInput(got, tc.currency), tc.currency); back != got {
				t.Errorf("round trip of %d %s gives %d", got, tc.currency, back)
			}
		}
	}
}

func TestFormatCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 82100: "82,100", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for next, want := range map[string]string{
		"/admin/products?q=x":     "/admin/products?q=x",
		"/admin/":                 "/admin/",
		"":                        "/admin/",
		"/graphql":                "/admin/",
		"https://evil.example/":   "/admin/",
		"//evil.example/admin/":   "/admin/",
		"/admin\\evil":            "/admin/",
		"/admin/login?next=/x":    "/admin/",
		"javascript:alert(1)":     "/admin/",
		"/admin/staff/3\r\nX: y":  "/admin/",
		"/admin/locations/new#go": "/admin/locations/new#go",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestFormatAndParseCost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cost, currency, want string
	}{
		{"628.617", "TWD", "NT$628.617"},
		{"645", "TWD", "NT$645"},
		{"1234.5", "TWD", "NT$1,234.50"},
		{"3.5", "USD", "USD 3.50"},
		{"0.1234", "USD", "USD 0.1234"},
		{"-2", "TWD", "-NT$2"},
	} {
		c, ok := parseCost(tc.cost, tc.currency)
		if !ok {
			t.Fatalf("parseCost(%q) failed", tc.cost)
		}
		if got := formatCost(c, tc.currency); got != tc.want {
			t.Errorf("formatCost(%s, %s) = %q, want %q", tc.cost, tc.currency, got, tc.want)
		}
	}
	for _, in := range []string{"", "abc", "1e3", "1.2.3", "--1", "12,3x"} {
		if _, ok := parseCost(in, "TWD"); ok {
			t.Errorf("parseCost(%q) accepted", in)
		}
	}
	if c, ok := parseCost("NT$1,234.5678", "TWD"); !ok || c.String() != "1234.5678" {
		t.Errorf("parseCost with symbol and grouping = %v, %v", c, ok)
	}
}

func TestCSVSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Linen Shirt":       "Linen Shirt",
		"-18":               "-18",
		"1234.50":           "1234.50",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+886 2 2722":       "'+886 2 2722",
		"@SUM(A1)":          "'@SUM(A1)",
		"-not a number":     "'-not a number",
		"":                  "",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrailPager(t *testing.T) {
	t.Parallel()
	link := func(after string, prev []string) string { return listURL("/l", nil, after, prev) }
	first := readTrail(nil).pager(120, 50, "50", link)
	if first.Page != 1 || first.Pages != 3 || first.PrevURL != "" || first.NextURL != "/l?after=50&prev=0" {
		t.Fatalf("first page %+v", first)
	}
	second := readTrail(map[string][]string{"after": {"50"}, "prev": {"0"}}).pager(120, 50, "100", link)
	if second.Page != 2 || second.PrevURL != "/l" || second.NextURL != "/l?after=100&prev=0%2C50" {
		t.Fatalf("second page %+v", second)
	}
	third := readTrail(map[string][]string{"after": {"100"}, "prev": {"0,50"}}).pager(-1, 50, "", link)
	if third.Page != 3 || third.Pages != 0 || third.PrevURL != "/l?after=50&prev=0" || third.NextURL != "" {
		t.Fatalf("third page %+v", third)
	}
	if bad := readTrail(map[string][]string{"after": {"1;drop"}}); bad.After != "" {
		t.Fatalf("a mangled cursor was kept: %+v", bad)
	}
}

func TestFormatPercentAndDistance(t *testing.T) {
	t.Parallel()
	for bp, want := range map[int]string{1000: "10%", 1250: "12.5%", 1: "0.01%", 10000: "100%"} {
		if got := formatPercentBP(bp); got != want {
			t.Errorf("formatPercentBP(%d) = %q, want %q", bp, got, want)
		}
	}
	if got := formatKm(12.345); got != "12.3 km" {
		t.Errorf("formatKm = %q", got)
	}
}

func TestPercentBP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"10", 1000, true}, {"12.5", 1250, true}, {" 12.5% ", 1250, true}, {"0.01", 1, true},
		{"12.345", 0, false}, {"ten", 0, false}, {"", 0, false},
	} {
		var errs apperr.List
		got := percentBP(&errs, "percentBp", tc.in)
		if got != tc.want || (len(errs) == 0) != tc.ok {
			t.Errorf("percentBP(%q) = %d, %v; want %d, ok %v", tc.in, got, errs, tc.want, tc.ok)
		}
	}
}
