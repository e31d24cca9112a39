package seed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/purchasing"
)

// The demo buying: five suppliers (four billing in TWD, one importer in USD, with the
// rate), price lists covering every demo variant, and purchase orders in the states a
// buyer meets every day: a draft, one waiting for approval, one sent to the supplier and
// one partially received at a store, and two received in full whose bills wait for the
// accountant (see demoBills).

type supplierDef struct {
	code, name, contact, email, phone, address, currency string
	basis                                                string
	days, discountDays                                   int
	discountPct                                          string
	leadTime                                             int
	minOrder                                             int64 // minor units of currency
	// groups are the catalog groups (SKU prefixes) the supplier sells us, with the pack
	// size and minimum order quantity of each, and the prefix of its own codes.
	groups      []string
	pack, moq   int
	skuPrefix   string
	costPercent int64 // its cost as a share of our demo unit cost, in percent
}

// demoUSDRate is what one US dollar is worth in NT$ in the demo.
var demoUSDRate = decimal.RequireFromString("32.15")

var supplierDefs = []supplierDef{
	{code: "SUP-FORMOSA", name: "Formosa Garment Works", contact: "Lin Chia-Yi", email: "orders@formosa-garment.example.com",
		phone: "+886-2-2299-4410", address: "No. 56, Section 2, Zhongshan Road, Banqiao District, New Taipei City 220",
		currency: "TWD", basis: "NET", days: 30, leadTime: 10, minOrder: 300000,
		groups: []string{"WAP", "MAP", "KAP"}, pack: 1, moq: 1, skuPrefix: "FGW-", costPercent: 100},
	{code: "SUP-YUSHAN", name: "Yushan Footwear & Leather", contact: "Chen Wei-Ming", email: "sales@yushan-footwear.example.com",
		phone: "+886-4-2358-7721", address: "No. 12, Gongye 38th Road, Xitun District, Taichung City 407",
		currency: "TWD", basis: "END_OF_MONTH", days: 30, leadTime: 14,
		groups: []string{"FTW", "ACC"}, pack: 1, moq: 2, skuPrefix: "YS", costPercent: 100},
	{code: "SUP-LOTUS", name: "Lotus Beauty Distribution", contact: "Huang Mei-Hua", email: "po@lotus-beauty.example.com",
		phone: "+886-2-2703-5589", address: "No. 201, Section 4, Xinyi Road, Da'an District, Taipei City 106",
		currency: "TWD", basis: "NET", days: 30, discountPct: "2", discountDays: 10, leadTime: 7,
		groups: []string{"SKN", "MKP", "HAB"}, pack: 6, moq: 12, skuPrefix: "LB-", costPercent: 100},
	{code: "SUP-ALISHAN", name: "Alishan Fine Foods Wholesale", contact: "Wu Tsung-Han", email: "orders@alishan-foods.example.com",
		phone: "+886-5-276-3318", address: "No. 8, Zhongzheng Road, East District, Chiayi City 600",
		currency: "TWD", basis: "NET", days: 15, leadTime: 3, minOrder: 200000,
		groups: []string{"SNK", "TEA", "PAN"}, pack: 12, moq: 24, skuPrefix: "AFF-", costPercent: 100},
	{code: "SUP-PACIFIC", name: "Pacific Homeware Trading Inc.", contact: "Karen Mitchell", email: "export@pacific-homeware.example.com",
		phone: "+1-206-555-0148", address: "2200 Alaskan Way, Suite 410, Seattle, WA 98121, USA",
		currency: "USD", basis: "NET", days: 45, leadTime: 35, minOrder: 50000,
		groups: []string{"KIT", "BED", "STN"}, pack: 4, moq: 8, skuPrefix: "PH-", costPercent: 92},
}

// LoadBuying adds the demo buying to a database holding the rest of the demo data (Load
// does, except for tests): the suppliers, their price lists and the USD rate in one
// transaction, then the purchase orders through the purchasing service. Like Load, it
// leaves what is already there as it is.
func LoadBuying(ctx context.Context, d *sqlx.DB) error {
	products, err := buildCatalog()
	if err != nil {
		return err
	}
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := insertSuppliers(ctx, tx, products); err != nil {
		return fmt.Errorf("seed suppliers: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	// Purchase orders go through the purchasing service, each in its own transaction.
	if err := loadPurchaseOrders(ctx, d, products); err != nil {
		return fmt.Errorf("seed purchase orders: %w", err)
	}
	if err := loadBills(ctx, d); err != nil {
		return fmt.Errorf("seed bills: %w", err)
	}
	return nil
}

// supplierCost is a supplier's unit cost of a variant of our cost (NT$): its share of it,
// in its currency, to four decimals.
func supplierCost(d supplierDef, cost decimal.Decimal) decimal.Decimal {
	c := cost.Mul(decimal.New(d.costPercent, -2))
	if d.currency == "USD" {
		c = c.Div(demoUSDRate)
	}
	return c.Round(4)
}

// insertSuppliers adds the demo suppliers (by code), their price lists (by supplier and
// variant) and the USD rate, each only when missing.
func insertSuppliers(ctx context.Context, tx *sqlx.Tx, products []product) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_rates (currency, rate) VALUES ('USD', $1)
		ON CONFLICT (currency) DO NOTHING`, demoUSDRate); err != nil {
		return err
	}
	for _, d := range supplierDefs {
		discount := decimal.Zero
		if d.discountPct != "" {
			discount = decimal.RequireFromString(d.discountPct)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO suppliers (code, name, contact_name, email, phone, address, currency,
			payment_basis, payment_days, discount_pct, discount_days, lead_time_days, min_order_amount)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (code) DO NOTHING`,
			d.code, d.name, d.contact, d.email, d.phone, d.address, d.currency, d.basis, d.days, discount, d.discountDays,
			d.leadTime, d.minOrder)
		if err != nil {
			return fmt.Errorf("supplier %s: %w", d.code, err)
		}
		var sku, supplierSKU, cost []string
		for _, p := range products {
			for _, v := range p.variants {
				group, _, _ := strings.Cut(v.sku, "-")
				if !containsString(d.groups, group) {
					continue
				}
				sku = append(sku, v.sku)
				supplierSKU = append(supplierSKU, d.skuPrefix+v.sku)
				cost = append(cost, supplierCost(d, v.cost).String())
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO supplier_items (supplier_id, variant_id, supplier_sku, unit_cost, pack_size, min_order_qty)
			SELECT s.id, v.id, t.supplier_sku, t.cost::numeric, $5, $6
			FROM unnest($2::text[], $3::text[], $4::text[]) AS t(sku, supplier_sku, cost)
			JOIN variants v ON v.sku = t.sku JOIN suppliers s ON s.code = $1
			ON CONFLICT DO NOTHING`,
			d.code, pq.Array(sku), pq.Array(supplierSKU), pq.Array(cost), d.pack, d.moq)
		if err != nil {
			return fmt.Errorf("price list of %s: %w", d.code, err)
		}
	}
	return nil
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// demoOrder is a purchase order the demo holds, made by the demo buyer and taken through
// the workflow up to stage. Note names it: an order with this note is not made again.
type demoOrder struct {
	note, supplier, location string
	// lines are (SKU, quantity); the SKUs are taken near the end of their groups, away from
	// the first variants tests pick.
	lines []demoLine
	stage purchasing.Status
	// approvers give the levels in turn (logins), as many as the order needs.
	approvers []string
	// received are the lines received by receiver (the lot is used for lot-tracked goods).
	received []demoReceipt
	receiver string
}

type demoLine struct {
	sku string
	qty int
}

type demoReceipt struct {
	sku                string
	accepted, rejected int
	reason, lot        string
}

// demoOrders lists the purchase orders with their SKUs resolved from the catalog.
func demoOrders(products []product) ([]demoOrder, error) {
	// pick returns the first variant's SKU of count products near the end of a group
	// (before its last one).
	pick := func(group string, count int) ([]string, error) {
		var ps []product
		for _, p := range products {
			if groupOf(p) == group && p.status == "ACTIVE" {
				ps = append(ps, p)
			}
		}
		if count+1 > len(ps) {
			return nil, fmt.Errorf("seed: group %s has %d products", group, len(ps))
		}
		var out []string
		for _, p := range ps[len(ps)-1-count : len(ps)-1] {
			out = append(out, p.variants[0].sku)
		}
		return out, nil
	}
	var errs []error
	skus := func(group string, count int) []string {
		s, err := pick(group, count)
		errs = append(errs, err)
		return s
	}
	tees, socks := skus("MAP", 3), skus("KAP", 1)
	beauty := skus("SKN", 2)
	home, paper := skus("KIT", 1), skus("STN", 1)
	snacks := skus("SNK", 2)
	hair, women := skus("HAB", 2), skus("WAP", 2)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return []demoOrder{
		{note: "Autumn restock of men's basics for the warehouse", supplier: "SUP-FORMOSA", location: warehouseCode,
			lines: []demoLine{{tees[0], 12}, {tees[1], 18}, {tees[2], 12}, {socks[0], 10}}, stage: purchasing.Draft},
		{note: "Skincare for the year-end gift season", supplier: "SUP-LOTUS", location: warehouseCode,
			lines: []demoLine{{beauty[0], 24}, {beauty[1], 12}}, stage: purchasing.Submitted},
		{note: "Kitchen and stationery container, FOB Seattle", supplier: "SUP-PACIFIC", location: warehouseCode,
			lines: []demoLine{{home[0], 96}, {paper[0], 160}}, stage: purchasing.Sent, approvers: []string{"manager", "shufen.hsu"}},
		{note: "Direct delivery of snacks to Xinyi", supplier: "SUP-ALISHAN", location: flagshipCode,
			lines: []demoLine{{snacks[0], 24}, {snacks[1], 24}}, stage: purchasing.PartiallyReceived, approvers: []string{"manager", "shufen.hsu"},
			received: []demoReceipt{{sku: snacks[0], accepted: 22, rejected: 2, reason: "crushed boxes", lot: "AFF-2611"}},
			receiver: "associate"},
		// Received in full and billed (see demoBills).
		{note: "Women's basics for the autumn window", supplier: "SUP-FORMOSA", location: warehouseCode,
			lines: []demoLine{{women[0], 20}, {women[1], 16}}, stage: purchasing.Received, approvers: []string{"manager", "shufen.hsu"},
			received: []demoReceipt{{sku: women[0], accepted: 20}, {sku: women[1], accepted: 16}}, receiver: "fulfilment"},
		{note: "Hair care for the stores' shelves", supplier: "SUP-LOTUS", location: warehouseCode,
			lines: []demoLine{{hair[0], 24}, {hair[1], 12}}, stage: purchasing.Received, approvers: []string{"manager", "shufen.hsu"},
			received: []demoReceipt{{sku: hair[0], accepted: 24, lot: "LB-2611"}, {sku: hair[1], accepted: 12, lot: "LB-2611"}},
			receiver: "fulfilment"},
	}, nil
}

// groupOf is the catalog group (SKU prefix) of p.
func groupOf(p product) string {
	group, _, _ := strings.Cut(p.variants[0].sku, "-")
	return group
}

// loadPurchaseOrders makes the demo purchase orders through the purchasing service, as the
// demo staff would (so their history, approvals, incoming stock and notifications are the
// application's own), skipping those already there.
func loadPurchaseOrders(ctx context.Context, d *sqlx.DB, products []product) error {
	orders, err := demoOrders(products)
	if err != nil {
		return err
	}
	svc := purchasing.NewService(d)
	lotTracked := map[string]bool{}
	for _, p := range products {
		for _, v := range p.variants {
			lotTracked[v.sku] = p.lotTracked
		}
	}
	as := func(login string) (context.Context, error) { return actingAs(ctx, d, login) }
	buyer, err := as("buyer")
	if err != nil {
		return err
	}
	for _, o := range orders {
		var exists bool
		if err := d.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE note = $1)`, o.note); err != nil {
			return err
		}
		if exists {
			continue
		}
		in := purchasing.OrderInput{Note: o.note}
		if err := d.GetContext(ctx, &in.SupplierID, `SELECT id FROM suppliers WHERE code = $1`, o.supplier); err != nil {
			return fmt.Errorf("supplier %s: %w", o.supplier, err)
		}
		if err := d.GetContext(ctx, &in.LocationID, `SELECT id FROM locations WHERE code = $1`, o.location); err != nil {
			return fmt.Errorf("location %s: %w", o.location, err)
		}
		for _, l := range o.lines {
			in.Lines = append(in.Lines, purchasing.LineInput{Code: l.sku, Quantity: l.qty})
		}
		po, err := svc.CreateOrder(buyer, in)
		if err != nil {
			return fmt.Errorf("order %q: %w", o.note, err)
		}
		if o.stage == purchasing.Draft {
			continue
		}
		if _, err := svc.Submit(buyer, po.ID, ""); err != nil {
			return fmt.Errorf("submit %s: %w", po.Number(), err)
		}
		for _, login := range o.approvers {
			approver, err := as(login)
			if err != nil {
				return err
			}
			after, err := svc.Approve(approver, po.ID, "Quantities match the forecast.")
			if err != nil {
				return fmt.Errorf("approve %s as %s: %w", po.Number(), login, err)
			}
			if after.Status != purchasing.Submitted {
				break // every level given
			}
		}
		if o.stage == purchasing.Submitted || o.stage == purchasing.Approved {
			continue
		}
		if _, err := svc.Send(buyer, po.ID, purchasing.SendInput{Comment: "Confirmed by phone."}); err != nil {
			return fmt.Errorf("send %s: %w", po.Number(), err)
		}
		if len(o.received) == 0 {
			continue
		}
		receiver, err := as(o.receiver)
		if err != nil {
			return err
		}
		expires := time.Now().UTC().AddDate(0, 6, 0)
		rin := purchasing.ReceiptInput{IdempotencyKey: fmt.Sprintf("seed-%s-1", po.Number()), OrderID: po.ID,
			Note: "First delivery; the rest follows next week."}
		if o.stage == purchasing.Received {
			rin.Note = "Delivered complete."
		}
		for _, r := range o.received {
			l := purchasing.ReceiptLineInput{Code: r.sku, Accepted: r.accepted, Rejected: r.rejected, RejectReason: r.reason}
			if lotTracked[r.sku] {
				l.Lot, l.ExpiresOn = r.lot, &expires
			}
			rin.Lines = append(rin.Lines, l)
		}
		if _, err := svc.Receive(receiver, rin); err != nil {
			return fmt.Errorf("receive %s: %w", po.Number(), err)
		}
	}
	return nil
}

// actingAs is ctx acting as the demo staff member login, as the back office would.
func actingAs(ctx context.Context, d *sqlx.DB, login string) (context.Context, error) {
	var row struct {
		ID    int64          `db:"id"`
		Roles pq.StringArray `db:"roles"`
		Home  *int64         `db:"home_location_id"`
	}
	if err := d.GetContext(ctx, &row, `SELECT id, roles, home_location_id FROM staff WHERE login = $1`, login); err != nil {
		return nil, fmt.Errorf("staff %s: %w", login, err)
	}
	a := actor.Actor{Kind: actor.Staff, ID: row.ID, HomeLocationID: row.Home, Name: login}
	for _, r := range row.Roles {
		a.Roles = append(a.Roles, actor.Role(r))
	}
	return actor.With(ctx, a), nil
}
