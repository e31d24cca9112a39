package catalog_test

import (
	"context"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func staffCtx(roles ...actor.Role) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 1, Roles: roles, Name: "test"})
}

func TestListProductsPagesThroughEverything(t *testing.T) {
	t.Parallel()
	svc := catalog.NewService(testdb.NewDemo(t))
	ctx := context.Background()
	total, err := svc.CountProducts(ctx, catalog.ProductQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	q := catalog.ProductQuery{First: 37}
	for pages := 0; ; pages++ {
		page, err := svc.ListProducts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Products {
			if seen[p.ID] {
				t.Fatalf("product %d on two pages", p.ID)
			}
			if p.Status != catalog.StatusActive {
				t.Fatalf("shopper sees %s product %s", p.Status, p.Handle)
			}
			seen[p.ID] = true
		}
		if !page.HasNextPage {
			break
		}
		q.After = page.Products[len(page.Products)-1].ID
		if pages > 100 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != total || total < 150 {
		t.Fatalf("paged through %d products, count says %d (want >= 150)", len(seen), total)
	}
}

func TestListProductsPageSize(t *testing.T) {
	t.Parallel()
	svc := catalog.NewService(testdb.New(t))
	for _, first := range []int{-1, catalog.MaxPage + 1} {
		_, err := svc.ListProducts(context.Background(), catalog.ProductQuery{First: first})
		if apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Errorf("first=%d: got %v, want INVALID", first, err)
		}
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	svc := catalog.NewService(d)
	ctx := context.Background()
	var v struct {
		SKU     string `db:"sku"`
		Barcode string `db:"barcode"`
		Title   string `db:"title"`
		ID      int64  `db:"id"`
	}
	if err := d.Get(&v, `SELECT v.sku, v.barcode, p.title, p.id FROM variants v JOIN products p ON p.id = v.product_id
		WHERE v.barcode IS NOT NULL AND p.status = 'ACTIVE' ORDER BY v.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	for name, search := range map[string]string{
		"title substring": v.Title[1 : len(v.Title)-1],
		"sku lower case":  v.SKU,
		"barcode":         v.Barcode,
	} {
		t.Run(name, func(t *testing.T) {
			page, err := svc.ListProducts(ctx, catalog.ProductQuery{Search: search, First: 100})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range page.Products {
				found = found || p.ID == v.ID
			}
			if !found {
				t.Fatalf("search %q did not find product %d", search, v.ID)
			}
		})
	}
	t.Run("no match", func(t *testing.T) {
		page, err := svc.ListProducts(ctx, catalog.ProductQuery{Search: "zzz-no-such-thing_%"})
		if err != nil || len(page.Products) != 0 {
			t.Fatalf("got %d products, %v", len(page.Products), err)
		}
	})
	t.Run("variant by barcode as UPC-A", func(t *testing.T) {
		got, err := svc.Variant(ctx, catalog.VariantKey{Barcode: v.Barcode})
		if err != nil || got.SKU != v.SKU {
			t.Fatalf("Variant(barcode) = %v, %v", got.SKU, err)
		}
	})
}

func TestSaveProductValidation(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	svc := catalog.NewService(d)
	ctx := staffCtx(actor.Buyer)
	good := catalog.ProductInput{
		Title: "Linen Shirt", Brand: "Atrium",
		Variants: []catalog.VariantInput{
			{SKU: "LS-NAVY-M", Barcode: "4710088432018", Size: "M", Colour: "Navy", PriceAmount: 129000},
			{SKU: "ls-navy-l", Size: "L", Colour: "Navy", PriceAmount: 129000},
		},
	}
	p, err := svc.CreateProduct(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if p.Handle != "linen-shirt" || p.Status != catalog.StatusActive {
		t.Fatalf("created %+v", p)
	}

	tests := []struct {
		name   string
		edit   func(*catalog.ProductInput)
		field  string
		reason string
	}{
		{"bad check digit", func(in *catalog.ProductInput) { in.Variants[1].Barcode = "4710088432015" }, "variants.1.barcode", "BAD_CHECK_DIGIT"},
		{"duplicate sku in form", func(in *catalog.ProductInput) { in.Variants[1].SKU = "LS-NAVY-M" }, "variants.1.sku", "DUPLICATE"},
		{"missing title", func(in *catalog.ProductInput) { in.Title = " "; in.Handle = "x-1" }, "title", "INVALID"},
		{"no variants", func(in *catalog.ProductInput) { in.Variants = nil }, "variants", "INVALID"},
		{"sku of another product", func(in *catalog.ProductInput) { in.Handle = "other"; in.Variants = in.Variants[:1] }, "variants.0.sku", "DUPLICATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			in.Variants = append([]catalog.VariantInput(nil), good.Variants...)
			tt.edit(&in)
			_, err := svc.CreateProduct(ctx, in)
			errs, ok := apperr.Errors(err)
			if !ok {
				t.Fatalf("got %v, want field errors", err)
			}
			for _, e := range errs {
				if joinField(e.Field) == tt.field && e.ClientCode() == tt.reason {
					return
				}
			}
			t.Fatalf("errors %v do not include %s on %s", err, tt.reason, tt.field)
		})
	}

	t.Run("associate may not edit", func(t *testing.T) {
		_, err := svc.UpdateProduct(staffCtx(actor.Associate), p.ID, good)
		if apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("got %v, want FORBIDDEN", err)
		}
	})
	t.Run("price change is audited", func(t *testing.T) {
		vs, err := svc.VariantsByProductIDs(ctx, []int64{p.ID})
		if err != nil {
			t.Fatal(err)
		}
		in := good
		in.Variants = nil
		for _, v := range vs[p.ID] {
			in.Variants = append(in.Variants, catalog.VariantInput{ID: v.ID, SKU: v.SKU, Size: v.Size, Colour: v.Colour, PriceAmount: v.PriceAmount + 100})
		}
		if _, err := svc.UpdateProduct(ctx, p.ID, in); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'variant.price_changed'`); err != nil || n != 2 {
			t.Fatalf("audit records = %d, %v; want 2", n, err)
		}
	})
}

func joinField(f []string) string {
	s := ""
	for i, p := range f {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}

func TestShoppersSeeOnlyActiveProducts(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	svc := catalog.NewService(d)
	p, err := svc.CreateProduct(staffCtx(actor.Admin), catalog.ProductInput{Title: "Secret", Status: "DRAFT",
		Variants: []catalog.VariantInput{{SKU: "SECRET-1", PriceAmount: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Product(context.Background(), p.ID); apperr.CodeOf(err) != apperr.CodeNotFound {
		t.Fatalf("anonymous sees a draft: %v", err)
	}
	if _, err := svc.Product(staffCtx(actor.Associate), p.ID); err != nil {
		t.Fatalf("staff cannot see a draft: %v", err)
	}
}
