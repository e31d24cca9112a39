// Package seed loads Atrium's demo data: a Taiwanese omnichannel retailer with five stores
// and a central warehouse, a catalog of about 180 products, opening stock (with lots and
// expiry dates for cosmetics and food), staff logins for every role, customers, and
// suppliers with their price lists and purchase orders in every stage of buying.
//
// The data is generated from fixed definitions and a fixed random seed, so every load
// yields the same rows (only lot expiry dates move with the day of loading, so that some
// lots are always expired or about to expire). Loading is idempotent: rows are inserted on
// their natural keys and skipped when present.
package seed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/catalog"
	"atrium/internal/password"
)

// Version names the demo data; test templates are keyed on it, so bump it whenever the
// data changes.
const Version = "3"

// StaffLogins are the demo staff logins, one per role (the role is the login upper-cased).
var StaffLogins = []string{"admin", "manager", "associate", "fulfilment", "buyer", "accountant", "hr"}

// DemoCustomerEmail is a demo customer who can log in with the demo password.
const DemoCustomerEmail = "mei.lin@example.com"

// Options configure Load.
type Options struct {
	// Password is the password of every demo login (staff and customers with an account).
	Password string
	// Fast hashes passwords with password.Fast instead of password.Default, and leaves out
	// the demo buying (see LoadBuying), so tests start with no suppliers or purchase
	// orders (tests only).
	Fast bool
}

// gtinPrefix starts the demo barcodes: the GS1 Taiwan prefix 471 and a company number.
// tools/datagen uses another range (479…), so both can share a database.
const gtinPrefix = "4712026"

// Load inserts the demo data into d in one transaction. Rows that already exist (by
// location code, category or product handle, SKU, staff login, customer email or phone,
// and stock per location and variant) are left as they are, so a second load changes
// nothing. It returns an error when opts.Password is empty or the database refuses a row.
func Load(ctx context.Context, d *sqlx.DB, opts Options) error {
	if opts.Password == "" {
		return errors.New("seed: a demo password is required")
	}
	params := password.Default
	if opts.Fast {
		params = password.Fast
	}
	products, err := buildCatalog()
	if err != nil {
		return err
	}
	stock := buildStock(products)

	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	steps := []struct {
		name string
		run  func() error
	}{
		{"locations", func() error { return insertLocations(ctx, tx) }},
		{"staff", func() error { return insertStaff(ctx, tx, opts.Password, params) }},
		{"customers", func() error { return insertCustomers(ctx, tx, opts.Password, params) }},
		{"categories", func() error { return insertCategories(ctx, tx) }},
		{"products", func() error { return insertProducts(ctx, tx, products) }},
		{"stock", func() error { return insertStock(ctx, tx, stock) }},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("seed %s: %w", s.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	if opts.Fast {
		return nil
	}
	return LoadBuying(ctx, d)
}

func insertLocations(ctx context.Context, tx *sqlx.Tx) error {
	var code, name, kind, line1, line2, city, postal, phone []string
	var lat, lon []float64
	for _, l := range locationDefs {
		code, name, kind = append(code, l.code), append(name, l.name), append(kind, l.kind)
		line1, line2, city = append(line1, l.line1), append(line2, l.line2), append(city, l.city)
		postal, phone = append(postal, l.postc), append(phone, l.phone)
		lat, lon = append(lat, l.lat), append(lon, l.lon)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO locations (code, name, kind, address_line1, address_line2, city, postal_code,
			country, phone, latitude, longitude, time_zone, pickup_enabled)
		SELECT t.code, t.name, t.kind, t.line1, t.line2, t.city, t.postal,
			'TW', t.phone, t.lat, t.lon, 'Asia/Taipei', t.kind = 'STORE'
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::float8[], $10::float8[]) AS t(code, name, kind, line1, line2, city, postal, phone, lat, lon)
		ON CONFLICT (code) DO NOTHING`,
		pq.Array(code), pq.Array(name), pq.Array(kind), pq.Array(line1), pq.Array(line2), pq.Array(city),
		pq.Array(postal), pq.Array(phone), pq.Array(lat), pq.Array(lon))
	return err
}

// hashAll hashes pw once per entry (each hash has its own salt), in parallel: argon2id with
// the default parameters takes tens of milliseconds a hash.
func hashAll(pw string, p password.Params, n int) ([]string, error) {
	hashes := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			hashes[i], errs[i] = password.Hash(pw, p)
		})
	}
	wg.Wait()
	return hashes, errors.Join(errs...)
}

func insertStaff(ctx context.Context, tx *sqlx.Tx, pw string, p password.Params) error {
	var logins []string
	for _, s := range staffDefs {
		logins = append(logins, s.login)
	}
	var existing []string
	if err := tx.SelectContext(ctx, &existing, `SELECT login FROM staff WHERE login = ANY($1)`, pq.Array(logins)); err != nil {
		return err
	}
	var login, name, email, role, home []string
	for _, s := range staffDefs {
		if slices.Contains(existing, s.login) {
			continue // hashing is the slow part of a reload: skip it
		}
		login, name, email = append(login, s.login), append(name, s.name), append(email, s.email)
		role, home = append(role, s.role), append(home, s.home)
	}
	if len(login) == 0 {
		return nil
	}
	hashes, err := hashAll(pw, p, len(login))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO staff (login, name, email, password_hash, roles, home_location_id)
		SELECT t.login, t.name, t.email, t.hash, ARRAY[t.role], l.id
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
			AS t(login, name, email, hash, role, home)
		LEFT JOIN locations l ON l.code = t.home
		ON CONFLICT (login) DO NOTHING`,
		pq.Array(login), pq.Array(name), pq.Array(email), pq.Array(hashes), pq.Array(role), pq.Array(home))
	return err
}

func insertCustomers(ctx context.Context, tx *sqlx.Tx, pw string, p password.Params) error {
	var emails, phones []string
	for _, c := range customerDefs {
		emails, phones = append(emails, c.email), append(phones, c.phone)
	}
	var existing []struct {
		Email *string
		Phone *string
	}
	if err := tx.SelectContext(ctx, &existing, `SELECT email, phone FROM customers WHERE email = ANY($1) OR phone = ANY($2)`,
		pq.Array(emails), pq.Array(phones)); err != nil {
		return err
	}
	taken := map[string]bool{}
	for _, e := range existing {
		if e.Email != nil {
			taken[*e.Email] = true
		}
		if e.Phone != nil {
			taken[*e.Phone] = true
		}
	}
	var email, phone, name []string
	var withLogin []int
	for _, c := range customerDefs {
		if taken[c.email] || taken[c.phone] {
			continue
		}
		if c.login {
			withLogin = append(withLogin, len(email))
		}
		email, phone, name = append(email, c.email), append(phone, c.phone), append(name, c.name)
	}
	if len(email) == 0 {
		return nil
	}
	hashed, err := hashAll(pw, p, len(withLogin))
	if err != nil {
		return err
	}
	hashes := make([]string, len(email))
	for i, at := range withLogin {
		hashes[at] = hashed[i]
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO customers (email, phone, name, password_hash)
		SELECT NULLIF(t.email, ''), NULLIF(t.phone, ''), t.name, NULLIF(t.hash, '')
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(email, phone, name, hash)
		ON CONFLICT DO NOTHING`,
		pq.Array(email), pq.Array(phone), pq.Array(name), pq.Array(hashes))
	return err
}

func insertCategories(ctx context.Context, tx *sqlx.Tx) error {
	// Parents first: a statement does not see the rows it inserts itself.
	for _, children := range []bool{false, true} {
		var handle, name, parent []string
		for _, c := range categoryDefs {
			if (c.parent != "") == children {
				handle, name, parent = append(handle, c.handle), append(name, c.name), append(parent, c.parent)
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO categories (handle, name, parent_id)
			SELECT t.handle, t.name, p.id
			FROM unnest($1::text[], $2::text[], $3::text[]) AS t(handle, name, parent)
			LEFT JOIN categories p ON p.handle = t.parent
			ON CONFLICT (handle) DO NOTHING`,
			pq.Array(handle), pq.Array(name), pq.Array(parent))
		if err != nil {
			return err
		}
	}
	return nil
}

func insertProducts(ctx context.Context, tx *sqlx.Tx, products []product) error {
	var currency string
	if err := tx.GetContext(ctx, &currency, `SELECT currency FROM settings`); err != nil {
		return fmt.Errorf("read the currency: %w", err)
	}
	var handle, title, descr, brand, category, status []string
	var lot []bool
	var shelf []int64
	var vHandle, sku, barcode, vTitle, size, colour []string
	var price, position []int64
	var cost []string
	for _, p := range products {
		handle, title, descr = append(handle, p.handle), append(title, p.title), append(descr, p.description)
		brand, category, status = append(brand, p.brand), append(category, p.category), append(status, p.status)
		lot, shelf = append(lot, p.lotTracked), append(shelf, int64(p.shelfLife))
		for i, v := range p.variants {
			vHandle, sku, barcode = append(vHandle, p.handle), append(sku, v.sku), append(barcode, v.barcode)
			vTitle, size, colour = append(vTitle, v.title), append(size, v.size), append(colour, v.colour)
			price, position = append(price, v.price), append(position, int64(i))
			cost = append(cost, v.cost.String())
		}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO products (handle, title, description, brand, category_id, status, lot_tracked, shelf_life_days)
		SELECT t.handle, t.title, t.descr, t.brand, c.id, t.status, t.lot, NULLIF(t.shelf, 0)
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::int[])
			AS t(handle, title, descr, brand, category, status, lot, shelf)
		JOIN categories c ON c.handle = t.category
		ON CONFLICT (handle) DO NOTHING`,
		pq.Array(handle), pq.Array(title), pq.Array(descr), pq.Array(brand), pq.Array(category), pq.Array(status),
		pq.Array(lot), pq.Array(shelf))
	if err != nil {
		return err
	}
	// A variant loaded before costs existed gets its demo cost; a cost already there stays.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO variants (product_id, sku, barcode, title, size, colour, price_amount, currency, position, unit_cost)
		SELECT p.id, t.sku, t.barcode, t.title, t.size, t.colour, t.price, $9, t.position, t.cost
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::int[],
			$10::numeric[]) AS t(handle, sku, barcode, title, size, colour, price, position, cost)
		JOIN products p ON p.handle = t.handle
		ON CONFLICT (sku) DO UPDATE SET unit_cost = EXCLUDED.unit_cost WHERE variants.unit_cost IS NULL`,
		pq.Array(vHandle), pq.Array(sku), pq.Array(barcode), pq.Array(vTitle), pq.Array(size), pq.Array(colour),
		pq.Array(price), pq.Array(position), currency, pq.Array(cost))
	return err
}

// insertStock adds the opening stock of every (location, variant) that has no stock row
// yet, with its lots and the RECEIPT movements that make the ledger equal the balance.
func insertStock(ctx context.Context, tx *sqlx.Tx, s stockPlan) error {
	var code, sku []string
	var onHand, safety []int64
	for _, l := range s.levels {
		code, sku = append(code, l.location), append(sku, l.sku)
		onHand, safety = append(onHand, int64(l.onHand)), append(safety, int64(l.safety))
	}
	var inserted []struct {
		Code string
		SKU  string
	}
	err := tx.SelectContext(ctx, &inserted, `
		WITH ins AS (
			INSERT INTO stock_levels (location_id, variant_id, on_hand, safety_stock)
			SELECT l.id, v.id, t.on_hand, t.safety
			FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) AS t(code, sku, on_hand, safety)
			JOIN locations l ON l.code = t.code
			JOIN variants v ON v.sku = t.sku
			ON CONFLICT (location_id, variant_id) DO NOTHING
			RETURNING location_id, variant_id
		)
		SELECT l.code, v.sku FROM ins
		JOIN locations l ON l.id = ins.location_id
		JOIN variants v ON v.id = ins.variant_id`,
		pq.Array(code), pq.Array(sku), pq.Array(onHand), pq.Array(safety))
	if err != nil {
		return err
	}
	if len(inserted) == 0 {
		return nil
	}
	isNew := make(map[[2]string]bool, len(inserted))
	for _, r := range inserted {
		isNew[[2]string{r.Code, r.SKU}] = true
	}

	var lCode, lSKU, lot []string
	var days, qty []int64
	for _, l := range s.lots {
		if isNew[[2]string{l.location, l.sku}] {
			lCode, lSKU, lot = append(lCode, l.location), append(lSKU, l.sku), append(lot, l.lot)
			days, qty = append(days, int64(l.expiresInDays)), append(qty, int64(l.onHand))
		}
	}
	// Expiry dates are relative to today in Taiwan, so the demo always has lots that are
	// expired or about to expire.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO stock_lots (location_id, variant_id, lot, expires_on, on_hand)
		SELECT l.id, v.id, t.lot, (now() AT TIME ZONE 'Asia/Taipei')::date + t.days, t.qty
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[]) AS t(code, sku, lot, days, qty)
		JOIN locations l ON l.code = t.code
		JOIN variants v ON v.sku = t.sku`,
		pq.Array(lCode), pq.Array(lSKU), pq.Array(lot), pq.Array(days), pq.Array(qty))
	if err != nil {
		return err
	}

	var mCode, mSKU, mLot []string
	var delta []int64
	for _, m := range s.receipts() {
		if isNew[[2]string{m.location, m.sku}] {
			mCode, mSKU, mLot = append(mCode, m.location), append(mSKU, m.sku), append(mLot, m.lot)
			delta = append(delta, int64(m.onHand))
		}
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO stock_movements (location_id, variant_id, kind, on_hand_delta, lot, reference, reason, actor_kind)
		SELECT l.id, v.id, 'RECEIPT', t.delta, NULLIF(t.lot, ''), 'SEED', 'opening stock', 'SYSTEM'
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS t(code, sku, lot, delta)
		JOIN locations l ON l.code = t.code
		JOIN variants v ON v.sku = t.sku`,
		pq.Array(mCode), pq.Array(mSKU), pq.Array(mLot), pq.Array(delta))
	return err
}

// product and variant are the generated catalog, before ids exist.
type product struct {
	handle, title, description, brand, category, status string
	lotTracked                                          bool
	shelfLife                                           int
	variants                                            []variant
}

type variant struct {
	sku, barcode, title, size, colour string
	price                             int64           // minor units
	cost                              decimal.Decimal // major units, four decimals
}

// newRand returns the generator behind every random choice in the demo data; a fixed
// seed keeps the data the same on every load.
func newRand() *rand.Rand { return rand.New(rand.NewPCG(20260101, 886)) }

// buildCatalog expands groupDefs into products and variants, checking that handles, SKUs
// and barcodes are valid and unique (the inserts skip duplicates silently otherwise).
func buildCatalog() ([]product, error) {
	rng := newRand()
	var products []product
	handles, skus := map[string]bool{}, map[string]bool{}
	serial := 0
	for _, g := range groupDefs {
		for i, d := range g.products {
			pr := product{
				handle:      slug(d.title),
				title:       d.title,
				description: g.about,
				brand:       g.brands[i%len(g.brands)],
				category:    g.category,
				status:      "ACTIVE",
				lotTracked:  g.lot && !d.notLot,
			}
			if d.draft {
				pr.status = "DRAFT"
			}
			if pr.lotTracked {
				pr.shelfLife = cmp.Or(d.shelfLife, g.shelfLife)
			}
			if handles[pr.handle] {
				return nil, fmt.Errorf("seed: duplicate product handle %q", pr.handle)
			}
			handles[pr.handle] = true

			sizes := cmpOrSlice(d.sizes, g.sizes)
			colours := d.colours
			if colours == nil && !d.noColour && g.colours > 0 {
				for _, j := range rng.Perm(len(g.palette))[:g.colours] {
					colours = append(colours, g.palette[j])
				}
			}
			if len(colours) == 0 {
				colours = []string{""}
			}
			for _, c := range colours {
				for _, s := range sizes {
					label, price := parseSize(s, d.price)
					v := variant{colour: c, size: label, price: int64(price) * 100}
					if label == "One size" && c != "" {
						v.size = "" // a colour is the only option of a one-size item
					}
					v.title = strings.Join(nonEmpty(v.colour, v.size), " / ")
					parts := []string{fmt.Sprintf("%s-%03d", g.code, i+1)}
					if c != "" {
						code, ok := colourCodes[c]
						if !ok {
							return nil, fmt.Errorf("seed: no SKU code for colour %q", c)
						}
						parts = append(parts, code)
					}
					if v.size != "" && !(v.size == "One size" && c == "") {
						parts = append(parts, skuPart(v.size))
					}
					v.sku = strings.Join(parts, "-")
					v.cost = unitCost(v.sku, price)
					if skus[v.sku] {
						return nil, fmt.Errorf("seed: duplicate SKU %q", v.sku)
					}
					skus[v.sku] = true
					serial++
					body := fmt.Sprintf("%s%05d", gtinPrefix, serial)
					v.barcode = body + string(catalog.GTINCheckDigit(body))
					pr.variants = append(pr.variants, v)
				}
			}
			products = append(products, pr)
		}
	}
	return products, nil
}

// unitCost is a variant's demo cost: 40–60% of its price (NT$, major units) with four
// decimals, as suppliers quote. The share comes from a hash of the SKU rather than the
// random generator, so adding costs left every other generated value as it was.
func unitCost(sku string, price int) decimal.Decimal {
	h := fnv.New32a()
	h.Write([]byte(sku))
	share := 4000 + int64(h.Sum32()%2001) // ten-thousandths of the price
	return decimal.New(int64(price)*share, -4)
}

// parseSize splits "label=price" (a size with its own price in NT$) from a plain label.
func parseSize(s string, price int) (string, int) {
	label, p, ok := strings.Cut(s, "=")
	if !ok {
		return s, price
	}
	var n int
	if _, err := fmt.Sscanf(p, "%d", &n); err != nil {
		panic(fmt.Sprintf("seed: bad size price %q", s))
	}
	return label, n
}

// slug turns a title into a handle: lower-case words joined by dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r == '\'':
			// "Kids'" → "kids"
		default:
			dash = true
		}
	}
	return b.String()
}

// skuPart turns an option label into SKU characters: "EU 38" → "EU38", "6 x 250 ml" → "6X250ML".
func skuPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			return r
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return -1
	}, s)
}

func nonEmpty(ss ...string) []string {
	return slices.DeleteFunc(ss, func(s string) bool { return s == "" })
}

func cmpOrSlice(a, b []string) []string {
	if a != nil {
		return a
	}
	return b
}

// stockPlan is the opening stock: a balance per (location, variant) and, for lot-tracked
// variants, its split into lots.
type stockPlan struct {
	levels []stockLevel
	lots   []stockLot
}

type stockLevel struct {
	location, sku  string
	onHand, safety int
	lotTracked     bool
}

type stockLot struct {
	location, sku, lot string
	expiresInDays      int
	onHand             int
}

// receipt is one opening RECEIPT movement.
type receipt struct {
	location, sku, lot string
	onHand             int
}

// receipts returns one movement per lot row of lot-tracked variants and per level row of
// the others, so the ledger sums to the balance; empty rows get none.
func (s stockPlan) receipts() []receipt {
	var out []receipt
	for _, l := range s.levels {
		if !l.lotTracked && l.onHand > 0 {
			out = append(out, receipt{location: l.location, sku: l.sku, onHand: l.onHand})
		}
	}
	for _, l := range s.lots {
		out = append(out, receipt{location: l.location, sku: l.sku, lot: l.lot, onHand: l.onHand})
	}
	return out
}

// buildStock ranges every product at the warehouse and two to four stores, with realistic
// quantities: deep warehouse stock, a handful per store, some sold out and some low, a
// display unit held back as safety stock on some store rows, and lots with expiry dates
// (some past, some within 30 days) for lot-tracked products.
func buildStock(products []product) stockPlan {
	rng := newRand()
	var stores []string
	for _, l := range locationDefs {
		if l.kind == "STORE" {
			stores = append(stores, l.code)
		}
	}
	var plan stockPlan
	for _, p := range products {
		locs := []string{warehouseCode}
		for _, j := range rng.Perm(len(stores))[:2+rng.IntN(3)] {
			locs = append(locs, stores[j])
		}
		for _, v := range p.variants {
			var batches []batch
			if p.lotTracked {
				batches = newBatches(rng, p.shelfLife)
			}
			for _, loc := range locs {
				lvl := stockLevel{location: loc, sku: v.sku, lotTracked: p.lotTracked}
				if loc == warehouseCode {
					lvl.onHand = pick(rng, 0.05, 0.08, 5, 20+rng.IntN(180))
				} else {
					lvl.onHand = pick(rng, 0.12, 0.15, 2, 3+rng.IntN(12))
					if lvl.onHand > 2 && rng.Float64() < 0.2 {
						lvl.safety = 1 + rng.IntN(2)
					}
				}
				plan.levels = append(plan.levels, lvl)
				for i, n := range split(rng, lvl.onHand, len(batches)) {
					if n > 0 {
						plan.lots = append(plan.lots, stockLot{location: loc, sku: v.sku, lot: batches[i].code,
							expiresInDays: batches[i].expiresInDays, onHand: n})
					}
				}
			}
		}
	}
	return plan
}

// pick returns 0 with probability zero, 1..low with probability lowP, and normal otherwise.
func pick(rng *rand.Rand, zero, lowP float64, low, normal int) int {
	switch r := rng.Float64(); {
	case r < zero:
		return 0
	case r < zero+lowP:
		return 1 + rng.IntN(low)
	}
	return normal
}

// batch is a production lot of one variant, shared by the locations that stock it.
type batch struct {
	code          string
	expiresInDays int
}

// newBatches returns one to three lots, oldest first: the oldest is expired in about one
// case in eight and expires within 30 days in about one in six.
func newBatches(rng *rand.Rand, shelfLife int) []batch {
	n := 1 + rng.IntN(3)
	var out []batch
	for len(out) < n {
		code := fmt.Sprintf("L%02d%04d", 24+rng.IntN(3), rng.IntN(10000))
		if slices.ContainsFunc(out, func(b batch) bool { return b.code == code }) {
			continue
		}
		var days int
		switch r := rng.Float64(); {
		case len(out) == 0 && r < 0.12:
			days = -1 - rng.IntN(20)
		case len(out) == 0 && r < 0.30 || shelfLife <= 31:
			days = 1 + rng.IntN(min(30, shelfLife))
		default:
			days = 31 + rng.IntN(shelfLife-30)
		}
		out = append(out, batch{code: code, expiresInDays: days})
	}
	slices.SortStableFunc(out, func(a, b batch) int { return a.expiresInDays - b.expiresInDays })
	return out
}

// split divides n units among k lots at random (k = 0: none).
func split(rng *rand.Rand, n, k int) []int {
	if k == 0 {
		return nil
	}
	out := make([]int, k)
	for range n {
		out[rng.IntN(k)]++
	}
	return out
}
