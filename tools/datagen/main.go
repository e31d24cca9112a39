// Command datagen fills a database with a large synthetic catalog for benchmarks:
// locations, categories, products, variants with valid GTIN-13 barcodes, and stock for
// every variant at a few random locations with the RECEIPT movements that back it.
//
//	go run ./tools/datagen -dsn "$DATABASE_URL" -products 25000 -variants-per-product 4 -locations 50
//
// It migrates the database first. Everything it writes carries a code prefix (-prefix,
// BENCH by default): a second run with the same prefix does nothing, and runs with other
// prefixes add more data beside it. Barcodes use the 479 prefix range, continuing after
// the highest one present, so they never collide with the demo seed (471…) or each other.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/catalog"
	"atrium/internal/postgres"
)

// config is what to generate.
type config struct {
	prefix             string
	products           int
	variantsPerProduct int
	locations          int
	stockLocations     int // locations stocking each variant
	seed               uint64
}

func main() {
	cfg := config{}
	dsn := flag.String("dsn", os.Getenv("DATABASE_URL"), "PostgreSQL connection string (default $DATABASE_URL)")
	flag.StringVar(&cfg.prefix, "prefix", "BENCH", "code prefix of everything generated (A-Z, 0-9, up to 10 characters); use another one to add more data")
	flag.IntVar(&cfg.products, "products", 25000, "number of products")
	flag.IntVar(&cfg.variantsPerProduct, "variants-per-product", 4, "variants per product")
	flag.IntVar(&cfg.locations, "locations", 50, "number of locations (every tenth one a warehouse)")
	flag.IntVar(&cfg.stockLocations, "stock-locations", 5, "locations stocking each variant")
	flag.Uint64Var(&cfg.seed, "seed", 1, "random seed (the same seed generates the same data)")
	flag.Parse()
	if *dsn == "" {
		fmt.Fprintln(os.Stderr, "datagen: no database: pass -dsn or set DATABASE_URL")
		os.Exit(2)
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dsn, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
}

var prefixRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,9}$`)

func (c config) validate() error {
	switch {
	case !prefixRE.MatchString(c.prefix):
		return fmt.Errorf("-prefix %q: use 1 to 10 capital letters or digits, starting with a letter", c.prefix)
	case c.products < 1 || c.products > 9_999_999:
		return errors.New("-products must be between 1 and 9,999,999")
	case c.variantsPerProduct < 1 || c.variantsPerProduct > 99:
		return errors.New("-variants-per-product must be between 1 and 99")
	case c.locations < 1 || c.locations > 9999:
		return errors.New("-locations must be between 1 and 9,999")
	case c.stockLocations < 1:
		return errors.New("-stock-locations must be at least 1")
	}
	return nil
}

func run(ctx context.Context, dsn string, cfg config, out io.Writer) error {
	d, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := postgres.Migrate(ctx, d.DB, nil); err != nil {
		return err
	}
	_, err = generate(ctx, d, cfg, out)
	return err
}

// summary counts what generate wrote.
type summary struct {
	skipped                                  bool
	locations, products, variants            int
	stockLevels, stockLots, movements, units int
}

// generate writes the synthetic data in one transaction with COPY, printing progress to
// out. It writes nothing and reports skipped when data with cfg.prefix already exists.
func generate(ctx context.Context, d *sqlx.DB, cfg config, out io.Writer) (summary, error) {
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(out, "%6.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, 0x479)), logf: logf,
		today: time.Now().UTC().Truncate(24 * time.Hour)}
	var sum summary

	var existing int
	err := d.GetContext(ctx, &existing, `
		SELECT (SELECT count(*) FROM locations WHERE code ~ ('^' || $1 || '-[0-9]{4}$'))
			+ (SELECT count(*) FROM products WHERE handle ~ ('^' || lower($1) || '-[0-9]{7}-'))`, cfg.prefix)
	if err != nil {
		return sum, err
	}
	if existing > 0 {
		fmt.Fprintf(out, "data with prefix %s already exists (%d locations and products): nothing to do; pass another -prefix to add more\n",
			cfg.prefix, existing)
		sum.skipped = true
		return sum, nil
	}

	logf("generating %d products × %d variants, stocked at %d of %d locations (prefix %s)",
		cfg.products, cfg.variantsPerProduct, min(cfg.stockLocations, cfg.locations), cfg.locations, cfg.prefix)
	err = postgres.InTx(ctx, d, func(tx *sqlx.Tx) error {
		// Serialise concurrent runs, which read the barcode range here and fill it below.
		// (It also holds back the server's writes to variants until the commit.)
		if _, err := tx.ExecContext(ctx, `LOCK TABLE variants IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &g.currency, `SELECT currency FROM settings`); err != nil {
			return fmt.Errorf("read the currency: %w", err)
		}
		err := tx.GetContext(ctx, &g.nextGTIN, `
			SELECT coalesce(max(substr(barcode, 4, 9)::bigint), 0) + 1 FROM variants WHERE barcode ~ '^479[0-9]{10}$'`)
		if err != nil {
			return err
		}
		if g.nextGTIN+int64(cfg.products*cfg.variantsPerProduct) > 1e9 {
			return errors.New("the 479 barcode range is full")
		}
		steps := []struct {
			what string
			fn   func(context.Context, *sqlx.Tx, *summary) error
		}{
			{"locations", g.locations},
			{"categories", g.categories},
			{"products and variants", g.catalog},
			{"stock", g.stock},
		}
		for _, s := range steps {
			if err := s.fn(ctx, tx, &sum); err != nil {
				return fmt.Errorf("%s: %w", s.what, err)
			}
			logf("%s done", s.what)
		}
		logf("committing")
		return nil
	})
	if err != nil {
		return sum, err
	}
	// Fresh statistics, so the first benchmark queries get the plans they will have later.
	if _, err := d.ExecContext(ctx, `ANALYZE locations, products, variants, stock_levels, stock_lots, stock_movements`); err != nil {
		return sum, err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "generated in %s: %d locations, %d products, %d variants, %d stock rows (%d lots, %d units), %d movements (%.0f rows/s)\n",
		elapsed.Round(time.Millisecond), sum.locations, sum.products, sum.variants, sum.stockLevels, sum.stockLots, sum.units,
		sum.movements, float64(sum.locations+sum.products+sum.variants+sum.stockLevels+sum.stockLots+sum.movements)/elapsed.Seconds())
	return sum, nil
}

// generator holds the state shared by the steps: ids of what earlier steps wrote.
type generator struct {
	cfg      config
	rng      *rand.Rand
	logf     func(format string, args ...any)
	today    time.Time
	currency string
	nextGTIN int64

	locationIDs []int64
	warehouse   []bool  // per location
	categoryIDs []int64 // parallel to categories
	// variant ids in order, with their product's lot tracking.
	variantIDs []int64
	variantLot []bool
}

// copyIn streams rows into table with COPY, calling next until it returns false.
func (g *generator) copyIn(ctx context.Context, tx *sqlx.Tx, table string, cols []string, next func() ([]any, bool)) (int, error) {
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, cols...))
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		row, ok := next()
		if !ok {
			break
		}
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			stmt.Close()
			return n, err
		}
		n++
		if n%250_000 == 0 {
			g.logf("  %s: %d rows", table, n)
		}
	}
	// The final Exec ends the COPY; the server checks the foreign keys of every row now.
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return n, err
	}
	if err := stmt.Close(); err != nil {
		return n, err
	}
	g.logf("  %s: %d rows copied", table, n)
	return n, nil
}

var cities = []struct {
	name     string
	lat, lon float64
}{
	{"Taipei City", 25.04, 121.55}, {"New Taipei City", 25.01, 121.46}, {"Taoyuan City", 24.99, 121.30},
	{"Hsinchu City", 24.80, 120.97}, {"Taichung City", 24.15, 120.67}, {"Tainan City", 22.99, 120.21},
	{"Kaohsiung City", 22.63, 120.30}, {"Keelung City", 25.13, 121.74}, {"Chiayi City", 23.48, 120.45},
	{"Hualien City", 23.98, 121.60},
}

func (g *generator) locations(ctx context.Context, tx *sqlx.Tx, sum *summary) error {
	codes := make([]string, g.cfg.locations)
	i := 0
	n, err := g.copyIn(ctx, tx, "locations",
		[]string{"code", "name", "kind", "address_line1", "city", "postal_code", "phone", "latitude", "longitude", "time_zone", "pickup_enabled"},
		func() ([]any, bool) {
			if i == len(codes) {
				return nil, false
			}
			c := cities[i%len(cities)]
			codes[i] = fmt.Sprintf("%s-%04d", g.cfg.prefix, i+1)
			kind, name := "STORE", fmt.Sprintf("%s store %d", strings.TrimSuffix(c.name, " City"), i+1)
			if i%10 == 9 {
				kind, name = "WAREHOUSE", fmt.Sprintf("%s warehouse %d", strings.TrimSuffix(c.name, " City"), i+1)
			}
			g.warehouse = append(g.warehouse, kind == "WAREHOUSE")
			row := []any{codes[i], name, kind, fmt.Sprintf("No. %d, Section %d, Zhongshan Road", 1+g.rng.IntN(400), 1+g.rng.IntN(4)),
				c.name, fmt.Sprintf("%d", 100+g.rng.IntN(880)), fmt.Sprintf("+886-2-%04d-%04d", g.rng.IntN(10000), g.rng.IntN(10000)),
				c.lat + (g.rng.Float64()-0.5)*0.1, c.lon + (g.rng.Float64()-0.5)*0.1, "Asia/Taipei", kind == "STORE"}
			i++
			return row, true
		})
	if err != nil {
		return err
	}
	sum.locations = n
	return tx.SelectContext(ctx, &g.locationIDs, `SELECT id FROM locations WHERE code = ANY($1) ORDER BY code`, pq.Array(codes))
}

// categories are the synthetic catalog's departments; lot tracks food.
var categories = []struct {
	handle, name     string
	lot              bool
	materials, nouns []string
	sizes            []string
}{
	{"apparel", "Apparel", false, []string{"Cotton", "Linen", "Wool", "Jersey", "Denim", "Recycled"},
		[]string{"Shirt", "Tee", "Trousers", "Jacket", "Dress", "Sweater", "Shorts", "Hoodie"}, []string{"XS", "S", "M", "L", "XL", "XXL"}},
	{"footwear", "Footwear", false, []string{"Leather", "Canvas", "Suede", "Knit", "Rubber"},
		[]string{"Sneakers", "Boots", "Sandals", "Loafers", "Slippers"}, []string{"EU 37", "EU 38", "EU 39", "EU 40", "EU 41", "EU 42", "EU 43", "EU 44"}},
	{"accessories", "Accessories", false, []string{"Leather", "Canvas", "Nylon", "Silk", "Woven"},
		[]string{"Tote Bag", "Wallet", "Cap", "Scarf", "Backpack", "Belt", "Umbrella"}, []string{"One size", "Large"}},
	{"home", "Home", false, []string{"Ceramic", "Bamboo", "Linen", "Hinoki", "Glass", "Cotton"},
		[]string{"Mug", "Towel", "Cushion", "Lamp", "Plate", "Basket", "Blanket"}, []string{"Small", "Medium", "Large"}},
	{"beauty", "Beauty", false, []string{"Camellia", "Pearl", "Aloe", "Green Tea", "Hyaluronic"},
		[]string{"Serum", "Cleanser", "Lip Tint", "Sheet Mask", "Hand Cream"}, []string{"15 ml", "30 ml", "50 ml", "100 ml"}},
	{"food", "Food", true, []string{"Alishan", "Taitung", "Pingtung", "Yilan", "Nantou"},
		[]string{"Pineapple Cakes", "Oolong Tea", "Beef Jerky", "Nougat", "Dried Mango"}, []string{"100 g", "200 g", "500 g", "1 kg"}},
}

var (
	adjectives = []string{"Classic", "Relaxed", "Essential", "Premium", "Everyday", "Lightweight", "Heritage", "Urban", "Coastal", "Soft", "Organic"}
	colours    = []string{"Black", "White", "Navy", "Grey", "Beige", "Olive", "Red", "Sky Blue", "Sage", "Camel"}
	brands     = []string{"Atrium Basics", "Formosa Outdoor", "Island Linen", "Taroko Living", "Lotus Skin Lab", "Jade Leaf"}
)

func (g *generator) categories(ctx context.Context, tx *sqlx.Tx, _ *summary) error {
	lp := strings.ToLower(g.cfg.prefix)
	parent := lp + "-catalog"
	handles := []string{}
	names := []string{}
	for _, c := range categories {
		handles, names = append(handles, lp+"-"+c.handle), append(names, c.name+" ("+g.cfg.prefix+")")
	}
	var parentID int64
	err := tx.GetContext(ctx, &parentID, `INSERT INTO categories (handle, name) VALUES ($1, $2) RETURNING id`,
		parent, "Synthetic catalog "+g.cfg.prefix)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO categories (handle, name, parent_id)
		SELECT h, n, $3 FROM unnest($1::text[], $2::text[]) AS t(h, n)`, pq.Array(handles), pq.Array(names), parentID)
	if err != nil {
		return err
	}
	return tx.SelectContext(ctx, &g.categoryIDs, `
		SELECT id FROM categories WHERE handle = ANY($1) ORDER BY array_position($1, handle)`, pq.Array(handles))
}

// reserveIDs takes n values of table's id sequence, so rows can be copied with their ids
// known in advance.
func reserveIDs(ctx context.Context, tx *sqlx.Tx, table string, n int) ([]int64, error) {
	var ids []int64
	err := tx.SelectContext(ctx, &ids, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	return ids, err
}

func (g *generator) catalog(ctx context.Context, tx *sqlx.Tx, sum *summary) error {
	np, vpp := g.cfg.products, g.cfg.variantsPerProduct
	productIDs, err := reserveIDs(ctx, tx, "products", np)
	if err != nil {
		return err
	}
	if g.variantIDs, err = reserveIDs(ctx, tx, "variants", np*vpp); err != nil {
		return err
	}
	productCat := make([]int, np)
	lp := strings.ToLower(g.cfg.prefix)
	i := 0
	sum.products, err = g.copyIn(ctx, tx, "products",
		[]string{"id", "handle", "title", "description", "brand", "category_id", "status", "lot_tracked", "shelf_life_days"},
		func() ([]any, bool) {
			if i == np {
				return nil, false
			}
			c := g.rng.IntN(len(categories))
			productCat[i] = c
			cat := categories[c]
			title := fmt.Sprintf("%s %s %s", adjectives[g.rng.IntN(len(adjectives))], cat.materials[g.rng.IntN(len(cat.materials))],
				cat.nouns[g.rng.IntN(len(cat.nouns))])
			var shelf any
			if cat.lot {
				shelf = 180 + g.rng.IntN(360)
			}
			status := "ACTIVE"
			if g.rng.IntN(50) == 0 {
				status = "DRAFT"
			}
			row := []any{productIDs[i], fmt.Sprintf("%s-%07d-%s", lp, i+1, strings.ToLower(strings.ReplaceAll(title, " ", "-"))),
				title, "Synthetic " + strings.ToLower(cat.name) + " for benchmarks.", brands[g.rng.IntN(len(brands))],
				g.categoryIDs[c], status, cat.lot, shelf}
			i++
			return row, true
		})
	if err != nil {
		return err
	}

	g.variantLot = make([]bool, len(g.variantIDs))
	i = 0
	var basePrice int64
	sum.variants, err = g.copyIn(ctx, tx, "variants",
		[]string{"id", "product_id", "sku", "barcode", "title", "size", "colour", "price_amount", "currency", "position"},
		func() ([]any, bool) {
			if i == len(g.variantIDs) {
				return nil, false
			}
			p, pos := i/vpp, i%vpp
			cat := categories[productCat[p]]
			if pos == 0 {
				basePrice = int64(90+10*g.rng.IntN(300)) * 100 // NT$90 to NT$3,080
			}
			size := cat.sizes[pos%len(cat.sizes)]
			colour := colours[(p+pos/len(cat.sizes))%len(colours)]
			body := fmt.Sprintf("479%09d", g.nextGTIN)
			g.nextGTIN++
			g.variantLot[i] = cat.lot
			row := []any{g.variantIDs[i], productIDs[p], fmt.Sprintf("%s-%07d-%02d", g.cfg.prefix, p+1, pos+1),
				body + string(catalog.GTINCheckDigit(body)), colour + " / " + size, size, colour,
				basePrice + int64(pos%len(cat.sizes))*1000, g.currency, pos}
			i++
			return row, true
		})
	return err
}

// level is one generated stock row.
type level struct {
	location int32
	variant  int32 // index into variantIDs
	onHand   int32
}

func (g *generator) stock(ctx context.Context, tx *sqlx.Tx, sum *summary) error {
	k := min(g.cfg.stockLocations, len(g.locationIDs))
	levels := make([]level, 0, len(g.variantIDs)*k)
	perm := make([]int32, len(g.locationIDs))
	for i := range perm {
		perm[i] = int32(i)
	}
	for v := range g.variantIDs {
		for j := range k { // partial Fisher–Yates: k distinct locations
			r := j + g.rng.IntN(len(perm)-j)
			perm[j], perm[r] = perm[r], perm[j]
			var q int
			switch {
			case g.rng.IntN(10) == 0:
				q = 0
			case g.warehouse[perm[j]]:
				q = 20 + g.rng.IntN(480)
			default:
				q = 1 + g.rng.IntN(30)
			}
			levels = append(levels, level{location: perm[j], variant: int32(v), onHand: int32(q)})
			sum.units += q
		}
	}

	i := 0
	var err error
	sum.stockLevels, err = g.copyIn(ctx, tx, "stock_levels", []string{"location_id", "variant_id", "on_hand", "safety_stock"},
		func() ([]any, bool) {
			if i == len(levels) {
				return nil, false
			}
			l := levels[i]
			i++
			safety := 0 // a display unit or two held back in stores
			if !g.warehouse[l.location] {
				safety = min(2, int(l.onHand)/10)
			}
			return []any{g.locationIDs[l.location], g.variantIDs[l.variant], l.onHand, safety}, true
		})
	if err != nil {
		return err
	}

	// Lot-tracked rows hold one lot each: one lot per variant, the same at every location,
	// expiring from ten days ago to a year from now.
	lotCode := func(l level) string { return fmt.Sprintf("%s%07d", g.cfg.prefix[:1], l.variant%10_000_000) }
	expiry := func(l level) string {
		return g.today.AddDate(0, 0, -10+int(l.variant)*7919%375).Format(time.DateOnly)
	}
	i = 0
	sum.stockLots, err = g.copyIn(ctx, tx, "stock_lots", []string{"location_id", "variant_id", "lot", "expires_on", "on_hand"},
		func() ([]any, bool) {
			for ; i < len(levels); i++ {
				l := levels[i]
				if g.variantLot[l.variant] && l.onHand > 0 {
					i++
					return []any{g.locationIDs[l.location], g.variantIDs[l.variant], lotCode(l), expiry(l), l.onHand}, true
				}
			}
			return nil, false
		})
	if err != nil {
		return err
	}

	i = 0
	sum.movements, err = g.copyIn(ctx, tx, "stock_movements",
		[]string{"location_id", "variant_id", "kind", "on_hand_delta", "lot", "reference", "reason", "actor_kind"},
		func() ([]any, bool) {
			for ; i < len(levels); i++ {
				l := levels[i]
				if l.onHand == 0 {
					continue
				}
				i++
				var lot any
				if g.variantLot[l.variant] {
					lot = lotCode(l)
				}
				return []any{g.locationIDs[l.location], g.variantIDs[l.variant], "RECEIPT", l.onHand, lot,
					"DATAGEN-" + g.cfg.prefix, "opening stock", "SYSTEM"}, true
			}
			return nil, false
		})
	return err
}
