package catalog

import (
	"testing"

	"atrium/internal/apperr"
)

func TestNormalizeGTIN(t *testing.T) {
	tests := []struct {
		name, in, want, reason string
	}{
		{"EAN-13", "4710088432018", "4710088432018", ""},
		{"EAN-13 with spaces", "4 710088 432018", "4710088432018", ""},
		{"UPC-A", "036000291452", "036000291452", ""},
		{"EAN-8", "96385074", "96385074", ""},
		{"GTIN-14", "10012345678902", "10012345678902", ""},
		{"bad check digit", "4710088432015", "", "BAD_CHECK_DIGIT"},
		{"too short", "12345", "", "INVALID_BARCODE"},
		{"letters", "47100884320AB", "", "INVALID_BARCODE"},
		{"11 digits", "12345678901", "", "INVALID_BARCODE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeGTIN("barcode", tt.in)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizeGTIN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.ClientCode() != tt.reason || e.Field[0] != "barcode" {
				t.Fatalf("NormalizeGTIN(%q) error = %v; want reason %s on field barcode", tt.in, err, tt.reason)
			}
		})
	}
}

func FuzzNormalizeGTIN(f *testing.F) {
	for _, s := range []string{"4710088432018", "036000291452", "96385074", "", "0-0", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeGTIN("barcode", s)
		if err != nil {
			if _, ok := apperr.As(err); !ok {
				t.Fatalf("error is not an apperr: %v", err)
			}
			return
		}
		// A normalised code validates again, unchanged.
		again, err := NormalizeGTIN("barcode", got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}

func TestHandleize(t *testing.T) {
	for in, want := range map[string]string{
		"Linen Shirt, Navy":   "linen-shirt-navy",
		"  --Tea & Biscuits!": "tea-biscuits",
		"100% Cotton Tee":     "100-cotton-tee",
	} {
		if got := Handleize(in); got != want {
			t.Errorf("Handleize(%q) = %q; want %q", in, got, want)
		}
	}
}
