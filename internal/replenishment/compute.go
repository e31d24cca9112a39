package replenishment

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/inventory"
	"atrium/internal/postgres"
	"atrium/internal/purchasing"
)

// location is an active location as planning sees it.
type location struct {
	ID        int64  `db:"id"`
	Code      string `db:"code"`
	Warehouse bool   `db:"warehouse"`
}

// Compute forecasts demand for every variant of an active product at every active
// location that stocks it, plans the suggestions with the current settings and stores
// them as a new run, which it returns as Run does. Stock, sales history and levels are read
// in a few statements per batch of variants; suppliers are asked only for variants with
// demand or a stock floor. Draft and submitted purchase orders and draft transfers count
// as on order (they are not incoming yet), so suggestions already converted are not made
// again. Buyers and managers. Errors: Unauthenticated, Forbidden.
func (s *Service) Compute(ctx context.Context) (Run, error) {
	a, err := actor.RequireStaff(ctx, buyers...)
	if err != nil {
		return Run{}, err
	}
	var st Settings
	if err := s.db.GetContext(ctx, &st, `SELECT `+settingsColumns+` FROM replenishment_settings`); err != nil {
		return Run{}, fmt.Errorf("replenishment settings: %w", err)
	}
	today, err := s.today(ctx, s.db)
	if err != nil {
		return Run{}, err
	}
	var locs []location
	if err := s.db.SelectContext(ctx, &locs, `SELECT id, code, kind = 'WAREHOUSE' AS warehouse FROM locations
		WHERE active ORDER BY id`); err != nil {
		return Run{}, fmt.Errorf("locations: %w", err)
	}
	byID := make(map[int64]location, len(locs))
	for _, l := range locs {
		byID[l.ID] = l
	}
	var variants []int64
	if err := s.db.SelectContext(ctx, &variants, `SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
		WHERE p.status = 'ACTIVE' ORDER BY v.id`); err != nil {
		return Run{}, fmt.Errorf("variants: %w", err)
	}
	suppliers, err := s.buy.Suppliers(ctx, purchasing.SupplierFilter{ActiveOnly: true})
	if err != nil {
		return Run{}, err
	}
	supplierByID := make(map[int64]purchasing.Supplier, len(suppliers))
	for _, sup := range suppliers {
		supplierByID[sup.ID] = sup
	}
	onOrder, promised, err := s.pending(ctx)
	if err != nil {
		return Run{}, err
	}
	p := Params{ServiceLevel: st.ServiceLevel.InexactFloat64(), ReviewDays: st.ReviewPeriodDays,
		DefaultLeadTimeDays: st.DefaultLeadTimeDays}
	from := today.AddDate(0, 0, -st.HistoryDays)
	var planned []Planned
	levels := 0
	for start := 0; start < len(variants); start += s.batch {
		batch := variants[start:min(len(variants), start+s.batch)]
		stock, err := s.inv.LevelsByVariantIDs(ctx, batch)
		if err != nil {
			return Run{}, err
		}
		history, err := s.inv.DailySales(ctx, batch, from, today)
		if err != nil {
			return Run{}, err
		}
		inputs := make([][]Stock, len(batch))
		for i, vid := range batch {
			var in []Stock
			demand := false
			for _, l := range stock[vid] {
				loc, ok := byID[l.LocationID]
				if !ok {
					continue
				}
				key := inventory.LevelKey{LocationID: l.LocationID, VariantID: vid}
				h := history[key]
				sk := Stock{LocationID: l.LocationID, LocationCode: loc.Code, Warehouse: loc.Warehouse,
					OnHand: max(0, l.OnHand-l.Expired), Reserved: l.Reserved, Incoming: l.Incoming, Display: l.SafetyStock,
					ManualReorderPoint: l.ReorderPoint, OnOrder: onOrder[key], Promised: promised[key],
					History: make([]float64, len(h.Units))}
				for d, u := range h.Units {
					sk.History[d] = float64(u)
					demand = demand || u > 0
				}
				demand = demand || sk.Display > 0 || sk.ManualReorderPoint > 0
				in = append(in, sk)
			}
			levels += len(in)
			if demand { // otherwise nothing sells and nothing must be kept: no need anywhere
				inputs[i] = in
			}
		}
		out, err := s.planAll(ctx, batch, inputs, supplierByID, p)
		if err != nil {
			return Run{}, err
		}
		planned = append(planned, out...)
	}
	var id int64
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO replenishment_runs (as_of, service_level, review_period_days,
			history_days, transfer_days, variants, levels, created_by) VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			today.Format(time.DateOnly), st.ServiceLevel, st.ReviewPeriodDays, st.HistoryDays, st.TransferDays, len(variants),
			levels, staffID(a))
		if err != nil {
			return err
		}
		return insertSuggestions(ctx, tx, id, planned)
	})
	if err != nil {
		return Run{}, err
	}
	return loadRun(ctx, s.db, id, false)
}

// pending returns the units decided but not yet incoming, per level: on draft or submitted
// purchase orders and draft transfers to it (onOrder), and on draft transfers from it
// (promised).
func (s *Service) pending(ctx context.Context) (onOrder, promised map[inventory.LevelKey]int, err error) {
	onOrder, promised = map[inventory.LevelKey]int{}, map[inventory.LevelKey]int{}
	for after := int64(0); ; {
		page, err := s.inv.Transfers(ctx, inventory.TransferFilter{Statuses: []string{inventory.TransferDraft}, After: after,
			First: inventory.MaxPage})
		if err != nil {
			return nil, nil, err
		}
		for _, t := range page.Transfers {
			for _, l := range t.Lines {
				onOrder[inventory.LevelKey{LocationID: t.ToLocationID, VariantID: l.VariantID}] += l.Qty
				promised[inventory.LevelKey{LocationID: t.FromLocationID, VariantID: l.VariantID}] += l.Qty
			}
		}
		if !page.HasNextPage || len(page.Transfers) == 0 {
			break
		}
		after = page.Transfers[len(page.Transfers)-1].ID
	}
	for after := int64(0); ; {
		page, err := s.buy.Orders(ctx, purchasing.OrderFilter{Statuses: []purchasing.Status{purchasing.Draft, purchasing.Submitted},
			After: after, First: purchasing.MaxPage})
		if err != nil {
			return nil, nil, err
		}
		for _, o := range page.Orders {
			for _, l := range o.Lines {
				onOrder[inventory.LevelKey{LocationID: o.LocationID, VariantID: l.VariantID}] += l.Outstanding()
			}
		}
		if !page.HasNextPage || len(page.Orders) == 0 {
			break
		}
		after = page.Orders[len(page.Orders)-1].ID
	}
	return onOrder, promised, nil
}

// planAll plans the variants of batch that have inputs, on a few workers (fitting the
// forecasts is CPU work), with the suppliers of all of them read in one query, and returns
// the suggestions in the order of batch.
func (s *Service) planAll(ctx context.Context, batch []int64, inputs [][]Stock, suppliers map[int64]purchasing.Supplier,
	p Params) ([]Planned, error) {
	var wanted []int64
	for i, vid := range batch {
		if inputs[i] != nil {
			wanted = append(wanted, vid)
		}
	}
	items, err := s.buy.SuppliersOfVariants(ctx, wanted)
	if err != nil {
		return nil, err
	}
	results := make([][]Planned, len(batch))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(2, 2*runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = PlanVariant(batch[i], inputs[i], source(items[batch[i]], suppliers), p)
			}
		}()
	}
	for i := range batch {
		if inputs[i] != nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	var out []Planned
	for _, r := range results {
		out = append(out, r...)
	}
	return out, nil
}

// source is the cheapest of a variant's supplier items (cheapest first) whose supplier is
// active (nil when none).
func source(items []purchasing.SupplierItem, suppliers map[int64]purchasing.Supplier) *Source {
	for _, it := range items {
		if sup, ok := suppliers[it.SupplierID]; ok {
			return &Source{Supplier: sup, Item: it}
		}
	}
	return nil
}

// suggestionRow is a planned suggestion as inserted (through jsonb_to_recordset).
type suggestionRow struct {
	Kind           Kind    `json:"kind"`
	VariantID      int64   `json:"variant_id"`
	LocationID     int64   `json:"location_id"`
	FromLocationID *int64  `json:"from_location_id"`
	SupplierID     *int64  `json:"supplier_id"`
	Quantity       int     `json:"quantity"`
	Needed         int     `json:"needed"`
	UnitCost       *string `json:"unit_cost"`
	Currency       *string `json:"currency"`
	PackSize       *int    `json:"pack_size"`
	MinOrderQty    *int    `json:"min_order_qty"`
	MinOrderAmount *int64  `json:"min_order_amount"`
	Explanation
}

// insertSuggestions writes planned under run id in one statement.
func insertSuggestions(ctx context.Context, ext sqlx.ExtContext, id int64, planned []Planned) error {
	if len(planned) == 0 {
		return nil
	}
	rows := make([]suggestionRow, len(planned))
	for i, p := range planned {
		r := suggestionRow{Kind: p.Kind, VariantID: p.VariantID, LocationID: p.LocationID, Quantity: p.Quantity,
			Needed: p.Needed, Explanation: p.Explanation}
		if p.Kind == Transfer {
			from := p.FromLocationID
			r.FromLocationID = &from
		}
		if p.Kind == Purchase && p.Source != nil {
			src := p.Source
			cost, currency, pack, moq, minAmount := src.Item.UnitCost.String(), src.Supplier.Currency, src.Item.PackSize,
				src.Item.MinOrderQty, src.Supplier.MinOrderAmount
			r.SupplierID, r.UnitCost, r.Currency, r.PackSize, r.MinOrderQty, r.MinOrderAmount =
				&src.Supplier.ID, &cost, &currency, &pack, &moq, &minAmount
		}
		rows[i] = r
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = ext.ExecContext(ctx, `INSERT INTO replenishment_suggestions (run_id, kind, variant_id, location_id,
			from_location_id, supplier_id, quantity, needed, unit_cost, currency, pack_size, min_order_qty, min_order_amount,
			method, forecast_per_day, sigma, lead_time_days, review_period_days, safety_stock, reorder_point, order_up_to,
			on_hand, reserved, incoming, on_order, promised, cover_days, source_excess, source_cover_days, reason)
		SELECT $1, x.kind, x.variant_id, x.location_id, x.from_location_id, x.supplier_id, x.quantity, x.needed,
			x.unit_cost::numeric, x.currency, x.pack_size, x.min_order_qty, x.min_order_amount, x.method, x.forecast_per_day,
			x.sigma, x.lead_time_days, x.review_period_days, x.safety_stock, x.reorder_point, x.order_up_to, x.on_hand,
			x.reserved, x.incoming, x.on_order, x.promised, x.cover_days, x.source_excess, x.source_cover_days, x.reason
		FROM jsonb_to_recordset($2::jsonb) AS x(kind text, variant_id bigint, location_id bigint, from_location_id bigint,
			supplier_id bigint, quantity int, needed int, unit_cost text, currency text, pack_size int, min_order_qty int,
			min_order_amount bigint, method text, forecast_per_day double precision, sigma double precision,
			lead_time_days int, review_period_days int, safety_stock int, reorder_point int, order_up_to int, on_hand int,
			reserved int, incoming int, on_order int, promised int, cover_days double precision, source_excess int, source_cover_days double precision,
			reason text)`, id, string(b))
	if err != nil {
		return fmt.Errorf("replenishment suggestions: %w", postgres.MapError(err))
	}
	return nil
}
