package order

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/postgres"
)

// viewSelect reads FulfilmentViews from fulfilments c.
const viewSelect = `SELECT ` + fulfilmentColumns + `, o.number AS order_number, o.status AS order_status,
	c.carrier, c.tracking_number, c.cancel_reason, c.pickup_code_hash IS NOT NULL AS pickup_code_sent,
	c.pickup_code_attempts, sl.code AS location_code, pl.code AS pickup_location_code
	FROM fulfilments c JOIN orders o ON o.id = c.order_id JOIN locations sl ON sl.id = c.location_id
	LEFT JOIN locations pl ON pl.id = c.pickup_location_id`

// loadView reads fulfilment id with its items (locking the fulfilment when forUpdate),
// and its scans and steps when full.
func (s *Service) loadView(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate, full bool) (FulfilmentView, error) {
	query := viewSelect + ` WHERE c.id = $1`
	if forUpdate {
		query += ` FOR UPDATE OF c`
	}
	var v FulfilmentView
	if err := sqlx.GetContext(ctx, q, &v, query, id); err != nil {
		return v, postgres.NotFound(err, "no fulfilment with id %d", id)
	}
	vs := []FulfilmentView{v}
	if err := withItems(ctx, q, vs); err != nil {
		return v, err
	}
	v = vs[0]
	if !full {
		return v, nil
	}
	err := sqlx.SelectContext(ctx, q, &v.Scans, `SELECT sc.id, sc.fulfilment_id, sc.order_line_id, l.sku, sc.code,
		sc.actor_kind, sc.actor_id, sc.actor_name, sc.at
		FROM fulfilment_scans sc JOIN order_lines l ON l.id = sc.order_line_id
		WHERE sc.fulfilment_id = $1 ORDER BY sc.id`, id)
	if err != nil {
		return v, fmt.Errorf("fulfilment scans: %w", err)
	}
	err = sqlx.SelectContext(ctx, q, &v.Steps, `SELECT `+eventColumns+` FROM order_events c
		WHERE c.order_id = $1 AND c.fulfilment_id = $2 ORDER BY c.id`, v.OrderID, id)
	if err != nil {
		return v, fmt.Errorf("fulfilment steps: %w", err)
	}
	return v, nil
}

// withItems loads the items of vs with their scan progress, bin first then line order,
// and sets their Lines.
func withItems(ctx context.Context, q sqlx.QueryerContext, vs []FulfilmentView) error {
	if len(vs) == 0 {
		return nil
	}
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	var rows []struct {
		FulfilmentID int64 `db:"fulfilment_id"`
		FulfilmentItem
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT fl.fulfilment_id, fl.order_line_id, l.line_no, l.variant_id, l.sku, v.barcode, l.title,
			coalesce(cat.name, 'Uncategorised') AS category, s.bin, fl.quantity,
			(SELECT count(*) FROM fulfilment_scans sc
			 WHERE sc.fulfilment_id = fl.fulfilment_id AND sc.order_line_id = fl.order_line_id) AS scanned
		FROM fulfilment_lines fl
		JOIN fulfilments f ON f.id = fl.fulfilment_id
		JOIN order_lines l ON l.id = fl.order_line_id
		JOIN variants v ON v.id = l.variant_id
		JOIN products p ON p.id = v.product_id
		LEFT JOIN categories cat ON cat.id = p.category_id
		LEFT JOIN stock_levels s ON s.location_id = f.location_id AND s.variant_id = l.variant_id
		WHERE fl.fulfilment_id = ANY($1)
		ORDER BY fl.fulfilment_id, s.bin NULLS LAST, l.line_no`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("fulfilment items: %w", err)
	}
	byID := map[int64][]FulfilmentItem{}
	for _, r := range rows {
		byID[r.FulfilmentID] = append(byID[r.FulfilmentID], r.FulfilmentItem)
	}
	for i := range vs {
		vs[i].Items = byID[vs[i].ID]
		vs[i].Lines = make([]FulfilmentLine, len(vs[i].Items))
		for j, it := range vs[i].Items {
			vs[i].Lines[j] = FulfilmentLine{FulfilmentID: vs[i].ID, OrderLineID: it.OrderLineID, Quantity: it.Quantity}
		}
	}
	return nil
}

// FulfilmentStatuses lists every fulfilment status, in the order of the steps.
var FulfilmentStatuses = []FulfilmentStatus{FulfilmentOpen, FulfilmentPicking, FulfilmentPacked, FulfilmentShipped,
	FulfilmentReceived, FulfilmentReadyForPickup, FulfilmentDelivered, FulfilmentCollected, FulfilmentCancelled}

// unfinished are the statuses a location still has work on.
var unfinished = []FulfilmentStatus{FulfilmentOpen, FulfilmentPicking, FulfilmentPacked, FulfilmentShipped,
	FulfilmentReceived, FulfilmentReadyForPickup}

func (s *Service) queue(ctx context.Context, f QueueFilter) (FulfilmentPage, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return FulfilmentPage{}, err
	}
	var errs apperr.List
	if f.LocationID <= 0 {
		errs = append(errs, apperr.Invalid("locationId", "choose a location"))
	}
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = unfinished
	}
	for i, st := range statuses {
		if !slices.Contains(FulfilmentStatuses, st) {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("statuses.%d", i), "no fulfilment status %q", st))
		}
	}
	if f.First < 0 || f.First > MaxPage {
		errs = append(errs, apperr.Invalid("first", "a page has 1 to %d fulfilments", MaxPage))
	}
	if err := errs.Err(); err != nil {
		return FulfilmentPage{}, err
	}
	first := f.First
	if first == 0 {
		first = 20
	}
	strs := make([]string, len(statuses))
	for i, st := range statuses {
		strs[i] = string(st)
	}
	var vs []FulfilmentView
	err := s.db.SelectContext(ctx, &vs, viewSelect+`
		WHERE (c.location_id = $1 OR c.pickup_location_id = $1) AND c.method <> 'CARRY_OUT'
		  AND c.status = ANY($2) AND c.id > $3
		ORDER BY c.id LIMIT $4`, f.LocationID, pq.Array(strs), f.After, first+1)
	if err != nil {
		return FulfilmentPage{}, fmt.Errorf("fulfilment queue: %w", err)
	}
	page := FulfilmentPage{Fulfilments: vs}
	if len(vs) > first {
		page.Fulfilments, page.HasNextPage = vs[:first], true
	}
	return page, withItems(ctx, s.db, page.Fulfilments)
}

func (s *Service) pickList(ctx context.Context, locationID int64) (PickList, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return PickList{}, err
	}
	if locationID <= 0 {
		return PickList{}, apperr.List{apperr.Invalid("locationId", "choose a location")}
	}
	var rows []struct {
		FulfilmentID int64   `db:"fulfilment_id"`
		OrderID      int64   `db:"order_id"`
		OrderNumber  string  `db:"order_number"`
		VariantID    int64   `db:"variant_id"`
		SKU          string  `db:"sku"`
		Barcode      *string `db:"barcode"`
		Title        string  `db:"title"`
		Category     string  `db:"category"`
		Bin          *string `db:"bin"`
		Quantity     int     `db:"quantity"`
	}
	// Orders on hold are not released to fulfilment: they are not picked.
	err := s.db.SelectContext(ctx, &rows, `
		SELECT f.id AS fulfilment_id, f.order_id, o.number AS order_number, l.variant_id, l.sku, v.barcode, l.title,
			coalesce(cat.name, 'Uncategorised') AS category, s.bin, fl.quantity
		FROM fulfilments f
		JOIN orders o ON o.id = f.order_id
		JOIN fulfilment_lines fl ON fl.fulfilment_id = f.id
		JOIN order_lines l ON l.id = fl.order_line_id
		JOIN variants v ON v.id = l.variant_id
		JOIN products p ON p.id = v.product_id
		LEFT JOIN categories cat ON cat.id = p.category_id
		LEFT JOIN stock_levels s ON s.location_id = f.location_id AND s.variant_id = l.variant_id
		WHERE f.location_id = $1 AND f.status IN ('OPEN', 'PICKING') AND o.status = 'OPEN'
		ORDER BY s.bin NULLS LAST, category, l.sku, f.id`, locationID)
	if err != nil {
		return PickList{}, fmt.Errorf("pick list: %w", err)
	}
	pl := PickList{LocationID: locationID}
	seen := map[int64]bool{}
	for _, r := range rows {
		if !seen[r.FulfilmentID] {
			seen[r.FulfilmentID] = true
			pl.Fulfilments++
		}
		pl.Units += r.Quantity
		bin := deref(r.Bin)
		n := len(pl.Groups)
		if n == 0 || pl.Groups[n-1].Bin != bin || (bin == "" && pl.Groups[n-1].Category != r.Category) {
			g := PickGroup{Bin: bin}
			if bin == "" {
				g.Category = r.Category
			}
			pl.Groups = append(pl.Groups, g)
			n++
		}
		g := &pl.Groups[n-1]
		i := slices.IndexFunc(g.Lines, func(l PickLine) bool { return l.VariantID == r.VariantID })
		if i < 0 {
			g.Lines = append(g.Lines, PickLine{VariantID: r.VariantID, SKU: r.SKU, Barcode: r.Barcode, Title: r.Title,
				Category: r.Category, Bin: r.Bin})
			i = len(g.Lines) - 1
		}
		g.Lines[i].Quantity += r.Quantity
		g.Lines[i].For = append(g.Lines[i].For, PickFor{FulfilmentID: r.FulfilmentID, OrderID: r.OrderID,
			OrderNumber: r.OrderNumber, Quantity: r.Quantity})
	}
	return pl, nil
}

func (s *Service) viewsByIDs(ctx context.Context, ids []int64) (map[int64]FulfilmentView, error) {
	if _, err := actor.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var vs []FulfilmentView
	if err := s.db.SelectContext(ctx, &vs, viewSelect+` WHERE c.id = ANY($1) ORDER BY c.id`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("fulfilments by id: %w", err)
	}
	if err := withItems(ctx, s.db, vs); err != nil {
		return nil, err
	}
	out := make(map[int64]FulfilmentView, len(vs))
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, nil
}
