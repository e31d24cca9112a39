package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"atrium/db/seed"
	"atrium/internal/catalog"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestGenerate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	// Beside the demo data, as in a developer's database.
	if err := seed.Load(ctx, d, seed.Options{Password: "datagen-test", Fast: true}); err != nil {
		t.Fatal(err)
	}
	cfg := config{prefix: "T", products: 50, variantsPerProduct: 4, locations: 12, stockLocations: 5, seed: 7}
	var out strings.Builder
	sum, err := generate(ctx, d, cfg, &out)
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, out.String())
	}
	want := summary{locations: 12, products: 50, variants: 200, stockLevels: 1000}
	if sum.locations != want.locations || sum.products != want.products || sum.variants != want.variants || sum.stockLevels != want.stockLevels {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if sum.movements == 0 || sum.movements > sum.stockLevels {
		t.Errorf("%d movements for %d stock rows", sum.movements, sum.stockLevels)
	}

	t.Run("a second run with the same prefix does nothing", func(t *testing.T) {
		again, err := generate(ctx, d, cfg, io.Discard)
		if err != nil || !again.skipped {
			t.Errorf("generate again = %+v, %v; want skipped", again, err)
		}
	})
	t.Run("another prefix adds more", func(t *testing.T) {
		cfg := cfg
		cfg.prefix = "U"
		if _, err := generate(ctx, d, cfg, io.Discard); err != nil {
			t.Fatal(err)
		}
	})

	var variants, barcodes int
	if err := d.QueryRow(`SELECT count(*), count(DISTINCT barcode) FROM variants WHERE barcode LIKE '479%'`).Scan(&variants, &barcodes); err != nil {
		t.Fatal(err)
	}
	if variants != 400 || barcodes != 400 {
		t.Errorf("%d generated variants with %d distinct barcodes, want 400 and 400", variants, barcodes)
	}
	var all []string
	if err := d.Select(&all, `SELECT barcode FROM variants`); err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		if _, err := catalog.NormalizeGTIN("barcode", b); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}

	// Each query returns the rows that break an invariant; all must be empty.
	for name, query := range map[string]string{
		"ledger equals balance": `
			SELECT s.location_id FROM stock_levels s
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand_delta) AS total
				FROM stock_movements GROUP BY 1, 2) m USING (location_id, variant_id)
			WHERE coalesce(m.total, 0) <> s.on_hand`,
		"lots sum to the balance": `
			SELECT s.location_id FROM stock_levels s
			JOIN variants v ON v.id = s.variant_id
			JOIN products p ON p.id = v.product_id AND p.lot_tracked
			LEFT JOIN (SELECT location_id, variant_id, sum(on_hand) AS total
				FROM stock_lots GROUP BY 1, 2) l USING (location_id, variant_id)
			WHERE coalesce(l.total, 0) <> s.on_hand`,
		"every variant is stocked": `
			SELECT v.id FROM variants v WHERE NOT EXISTS (SELECT 1 FROM stock_levels s WHERE s.variant_id = v.id)`,
	} {
		var n int
		if err := d.Get(&n, `SELECT count(*) FROM (`+query+`) bad`); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != 0 {
			t.Errorf("%s: %d violations", name, n)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := config{prefix: "BENCH", products: 1, variantsPerProduct: 1, locations: 1, stockLocations: 1}
	tests := []struct {
		name string
		edit func(*config)
		ok   bool
	}{
		{"defaults", func(*config) {}, true},
		{"lower-case prefix", func(c *config) { c.prefix = "bench" }, false},
		{"long prefix", func(c *config) { c.prefix = "ABCDEFGHIJK" }, false},
		{"no products", func(c *config) { c.products = 0 }, false},
		{"too many variants", func(c *config) { c.variantsPerProduct = 100 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			if err := c.validate(); (err == nil) != tt.ok {
				t.Errorf("validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
