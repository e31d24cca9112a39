package customer

import "testing"

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0912-345-678", "+886912345678"},
		{"+886 912 345 678", "+886912345678"},
		{"00886912345678", "+886912345678"},
		{"(02) 2345-6789", "+886223456789"},
		{"12345", ""},
		{"+0912345678", ""},
		{"0912abc678", ""},
		{"+1 (415) 555-0100", "+14155550100"},
	}
	for _, tt := range tests {
		got, err := NormalizePhone("phone", tt.in, "TW")
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	f.Add("0912-345-678")
	f.Add("+886 912 345 678")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone("phone", s, "TW")
		if err != nil {
			return
		}
		if again, err := NormalizePhone("phone", got, "TW"); err != nil || again != got {
			t.Fatalf("%q -> %q -> %q, %v", s, got, again, err)
		}
	})
}
