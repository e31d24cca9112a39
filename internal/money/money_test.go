package money

import "testing"

func TestFormatAndParse(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		shown    string
		typed    string
	}{
		{129000, "TWD", "NT$1,290", "1290"},
		{129050, "TWD", "NT$1,290.50", "1290.50"},
		{-500, "TWD", "-NT$5", "-5"},
		{1234, "USD", "USD 12.34", "12.34"},
		{1500, "JPY", "JPY 1,500", "1500"},
		{1234567, "KWD", "KWD 1,234.567", "1234.567"},
	}
	for _, tt := range tests {
		if got := Format(tt.amount, tt.currency); got != tt.shown {
			t.Errorf("Format(%d, %s) = %q; want %q", tt.amount, tt.currency, got, tt.shown)
		}
		if got := FormatInput(tt.amount, tt.currency); got != tt.typed {
			t.Errorf("FormatInput(%d, %s) = %q; want %q", tt.amount, tt.currency, got, tt.typed)
		}
		for _, in := range []string{tt.shown, tt.typed} {
			if got, ok := Parse(in, tt.currency); !ok || got != tt.amount {
				t.Errorf("Parse(%q, %s) = %d, %v; want %d", in, tt.currency, got, ok, tt.amount)
			}
		}
	}
	for _, bad := range []string{"", "12.345", "abc", "1.2.3", "--5"} {
		if _, ok := Parse(bad, "TWD"); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("1,290.50")
	f.Add("NT$12")
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := Parse(s, "TWD")
		if !ok {
			return
		}
		if back, ok := Parse(FormatInput(n, "TWD"), "TWD"); !ok || back != n {
			t.Fatalf("%q -> %d -> %q -> %d", s, n, FormatInput(n, "TWD"), back)
		}
	})
}
