package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/notify"
	"atrium/internal/postgres"
)

// RFQStatus is where a request for quotation stands.
type RFQStatus string

// Request for quotation statuses.
const (
	RFQOpen      RFQStatus = "OPEN"
	RFQAwarded   RFQStatus = "AWARDED"
	RFQCancelled RFQStatus = "CANCELLED"
)

// ReasonRFQStatus: the action is not allowed in the request's current status.
const ReasonRFQStatus = "RFQ_STATUS"

// KindQuotationRequest is the request emailed to each supplier asked.
const KindQuotationRequest = "QUOTATION_REQUEST"

// RFQ is a request for quotation: lines asked of several suppliers, with their answers.
type RFQ struct {
	ID                int64      `db:"id" json:"id"`
	LocationID        int64      `db:"location_id" json:"locationId"`
	LocationCode      string     `db:"location_code" json:"locationCode"`
	NeededBy          *time.Time `db:"needed_by" json:"neededBy"`
	Note              string     `db:"note" json:"note"`
	Status            RFQStatus  `db:"status" json:"status"`
	CreatedBy         int64      `db:"created_by" json:"createdBy"`
	CreatedByName     string     `db:"created_by_name" json:"createdByName"`
	CreatedAt         time.Time  `db:"created_at" json:"createdAt"`
	ClosedAt          *time.Time `db:"closed_at" json:"closedAt"`
	AwardedSupplierID *int64     `db:"awarded_supplier_id" json:"awardedSupplierId"`
	// OrderID is the purchase order the chosen answer became.
	OrderID   *int64        `db:"order_id" json:"orderId"`
	Lines     []RFQLine     `json:"lines"`
	Suppliers []RFQSupplier `json:"suppliers"`
}

// Number is how people name the request: RFQ-000007.
func (r RFQ) Number() string { return fmt.Sprintf("RFQ-%06d", r.ID) }

// RFQLine is one variant asked for.
type RFQLine struct {
	VariantID int64  `db:"variant_id" json:"variantId"`
	SKU       string `db:"sku" json:"sku"`
	Title     string `db:"title" json:"title"`
	Quantity  int    `db:"quantity" json:"quantity"`
}

// RFQSupplier is a supplier asked, with its answer once entered.
type RFQSupplier struct {
	SupplierID int64  `db:"supplier_id" json:"supplierId"`
	Code       string `db:"code" json:"code"`
	Name       string `db:"name" json:"name"`
	Currency   string `db:"currency" json:"currency"`
	Quote      *Quote `json:"quote"`
}

// Quote is a supplier's answer, in its currency.
type Quote struct {
	SupplierID    int64       `db:"supplier_id" json:"supplierId"`
	Currency      string      `db:"currency" json:"currency"`
	ValidUntil    *time.Time  `db:"valid_until" json:"validUntil"`
	LeadTimeDays  *int        `db:"lead_time_days" json:"leadTimeDays"`
	Note          string      `db:"note" json:"note"`
	EnteredByName string      `db:"entered_by_name" json:"enteredByName"`
	EnteredAt     time.Time   `db:"entered_at" json:"enteredAt"`
	Lines         []QuoteLine `json:"lines"`
}

// QuoteLine is what a supplier offers for one line: a quantity (the request's, or rounded
// to its packs) at a unit cost in major units of its currency.
type QuoteLine struct {
	VariantID int64           `db:"variant_id" json:"variantId"`
	Quantity  int             `db:"quantity" json:"quantity"`
	UnitCost  decimal.Decimal `db:"unit_cost" json:"unitCost"`
}

// RFQInput is a new request for quotation.
type RFQInput struct {
	// LocationID is where the goods would be delivered.
	LocationID  int64
	NeededBy    *time.Time
	Note        string
	SupplierIDs []int64
	Lines       []RFQLineInput
}

// RFQLineInput is a variant (by id, or by SKU or barcode as Code) and how many.
type RFQLineInput struct {
	VariantID int64
	Code      string
	Quantity  int
}

// CreateRFQ records an OPEN request for quotation and emails it to each supplier that has
// an address. Buyers, managers and admins. Errors: Unauthenticated, Forbidden,
// apperr.List (locationId, neededBy, supplierIds, lines.<i>.variantId, lines.<i>.quantity).
func (s *Service) CreateRFQ(ctx context.Context, in RFQInput) (RFQ, error) {
	a, err := actor.RequireStaff(ctx, buyers...)
	if err != nil {
		return RFQ{}, err
	}
	if a.ID == 0 {
		return RFQ{}, apperr.Forbidden("a request for quotation is written by a staff member")
	}
	in.Note = strings.TrimSpace(in.Note)
	var r RFQ
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		lines, err := s.checkRFQ(ctx, tx, &in)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO quotation_requests (location_id, needed_by, note, created_by)
			VALUES ($1, $2::date, $3, $4) RETURNING id`, in.LocationID, dateArg(in.NeededBy), in.Note, a.ID); err != nil {
			return postgres.MapError(err)
		}
		for i, l := range lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO quotation_request_lines (request_id, position, variant_id, quantity)
				VALUES ($1, $2, $3, $4)`, id, i+1, l.VariantID, l.Quantity); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO quotation_request_suppliers (request_id, supplier_id)
			SELECT $1, unnest($2::bigint[])`, id, pq.Array(in.SupplierIDs)); err != nil {
			return err
		}
		if r, err = loadRFQ(ctx, tx, id, false); err != nil {
			return err
		}
		if err := s.mailRFQ(ctx, tx, r); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "quotation_request.created", Entity: "quotation_request", EntityID: id, After: r})
	})
	return r, err
}

// checkRFQ validates in and resolves its lines' variants.
func (s *Service) checkRFQ(ctx context.Context, tx *sqlx.Tx, in *RFQInput) ([]RFQLineInput, error) {
	var errs apperr.List
	var active *bool
	if in.LocationID <= 0 {
		errs = append(errs, apperr.Invalid("locationId", "choose the warehouse or store the goods would be delivered to"))
	} else if err := tx.GetContext(ctx, &active, `SELECT active FROM locations WHERE id = $1`, in.LocationID); err != nil || !*active {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		errs = append(errs, apperr.Invalid("locationId", "no such active location"))
	}
	if in.NeededBy != nil && in.NeededBy.Before(today(s.now())) {
		errs = append(errs, apperr.Invalid("neededBy", "%s is in the past: give the date the goods are needed by", in.NeededBy.Format(time.DateOnly)))
	}
	if len(in.SupplierIDs) == 0 {
		errs = append(errs, apperr.Invalid("supplierIds", "choose the suppliers to ask (several, to compare their answers)"))
	}
	seenSup := map[int64]bool{}
	for _, id := range in.SupplierIDs {
		var sup Supplier
		err := tx.GetContext(ctx, &sup, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			errs = append(errs, apperr.Invalid("supplierIds", "no supplier has id %d", id))
		case err != nil:
			return nil, err
		case !sup.Active:
			errs = append(errs, apperr.Invalid("supplierIds", "%s is no longer bought from: reactivate it or leave it out", sup.Name))
		case seenSup[id]:
			errs = append(errs, apperr.Invalid("supplierIds", "%s is chosen twice", sup.Name))
		}
		seenSup[id] = true
	}
	if len(in.Lines) == 0 {
		errs = append(errs, apperr.Invalid("lines", "add at least one line"))
	}
	out := make([]RFQLineInput, len(in.Lines))
	seen := map[int64]int{}
	for i, l := range in.Lines {
		field := func(name string) string { return fmt.Sprintf("lines.%d.%s", i, name) }
		code := strings.TrimSpace(l.Code)
		var v struct {
			ID  int64  `db:"id"`
			SKU string `db:"sku"`
		}
		err := tx.GetContext(ctx, &v, `SELECT id, sku FROM variants
			WHERE ($1 > 0 AND id = $1) OR ($1 = 0 AND $2 <> '' AND (upper(sku) = upper($2) OR barcode = $2)) LIMIT 1`, l.VariantID, code)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			errs = append(errs, apperr.Invalid(field("variantId"), "no variant has the SKU or barcode %q", cmpOr(code, fmt.Sprint(l.VariantID))))
			continue
		case err != nil:
			return nil, err
		}
		if j, dup := seen[v.ID]; dup {
			errs = append(errs, apperr.Invalid(field("variantId"), "%s is also on line %d", v.SKU, j+1).WithReason("DUPLICATE"))
			continue
		}
		seen[v.ID] = i
		if l.Quantity <= 0 {
			errs = append(errs, apperr.Invalid(field("quantity"), "enter how many units of %s to ask a price for", v.SKU))
		}
		out[i] = RFQLineInput{VariantID: v.ID, Quantity: l.Quantity}
	}
	return out, errs.Err()
}

// mailRFQ emails the request to each supplier asked that has an address.
func (s *Service) mailRFQ(ctx context.Context, ext sqlx.ExtContext, r RFQ) error {
	var company string
	if err := sqlx.GetContext(ctx, ext, &company, `SELECT company FROM settings`); err != nil {
		return err
	}
	for _, sup := range r.Suppliers {
		var email, contact string
		if err := ext.QueryRowxContext(ctx, `SELECT email, contact_name FROM suppliers WHERE id = $1`, sup.SupplierID).
			Scan(&email, &contact); err != nil {
			return err
		}
		if email == "" {
			continue
		}
		skus := map[int64]string{}
		rows := []struct {
			VariantID   int64  `db:"variant_id"`
			SupplierSKU string `db:"supplier_sku"`
		}{}
		if err := sqlx.SelectContext(ctx, ext, &rows, `SELECT variant_id, supplier_sku FROM supplier_items WHERE supplier_id = $1`,
			sup.SupplierID); err != nil {
			return err
		}
		for _, row := range rows {
			skus[row.VariantID] = row.SupplierSKU
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Dear %s,\n\n%s asks for your best price and delivery time for the following (request %s), delivered to %s",
			cmpOr(contact, sup.Name), company, r.Number(), r.LocationCode)
		if r.NeededBy != nil {
			fmt.Fprintf(&b, " by %s", r.NeededBy.Format(time.DateOnly))
		}
		b.WriteString(":\n\n")
		for _, l := range r.Lines {
			fmt.Fprintf(&b, "  %-20s %-20s %-40s %8d\n", skus[l.VariantID], l.SKU, truncate(l.Title, 40), l.Quantity)
		}
		fmt.Fprintf(&b, "\nPlease quote unit prices in %s, the quantities you can supply (in whole packs), how long the prices hold and your lead time, quoting %s.\n",
			sup.Currency, r.Number())
		if r.Note != "" {
			fmt.Fprintf(&b, "\n%s\n", r.Note)
		}
		_, err := notify.Enqueue(ctx, ext, notify.Message{Kind: KindQuotationRequest, To: email,
			Subject:   fmt.Sprintf("Request for quotation %s from %s", r.Number(), company),
			Body:      b.String(),
			Reference: fmt.Sprintf("RFQ:%d", r.ID), DedupeKey: fmt.Sprintf("RFQ:%d:SUP:%d", r.ID, sup.SupplierID)})
		if err != nil {
			return err
		}
	}
	return nil
}

// QuoteInput is a supplier's answer as a buyer enters it.
type QuoteInput struct {
	SupplierID   int64
	ValidUntil   *time.Time
	LeadTimeDays *int
	Note         string
	Lines        []QuoteLineInput
}

// QuoteLineInput is the supplier's offer for one line of the request; lines it did not
// quote are left out. Quantity 0 means the quantity asked for.
type QuoteLineInput struct {
	VariantID int64
	Quantity  int
	UnitCost  decimal.Decimal
}

// RecordQuote enters (or replaces) a supplier's answer to an OPEN request. Buyers,
// managers and admins. Errors: Unauthenticated, Forbidden, NotFound, Conflict (RFQ_STATUS
// when the request is closed), apperr.List (supplierId, validUntil, leadTimeDays,
// lines.<i>.variantId, lines.<i>.quantity, lines.<i>.unitCost).
func (s *Service) RecordQuote(ctx context.Context, rfqID int64, in QuoteInput) (RFQ, error) {
	a, err := actor.RequireStaff(ctx, buyers...)
	if err != nil {
		return RFQ{}, err
	}
	in.Note = strings.TrimSpace(in.Note)
	var r RFQ
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if r, err = loadRFQ(ctx, tx, rfqID, true); err != nil {
			return err
		}
		if r.Status != RFQOpen {
			return apperr.Conflict("", "%s is %s: answers are entered only while it is OPEN", r.Number(), r.Status).WithReason(ReasonRFQStatus)
		}
		i := slices.IndexFunc(r.Suppliers, func(sup RFQSupplier) bool { return sup.SupplierID == in.SupplierID })
		if i < 0 {
			return apperr.List{apperr.Invalid("supplierId", "this supplier was not asked in %s: choose one of the suppliers asked", r.Number())}
		}
		sup := r.Suppliers[i]
		var errs apperr.List
		if in.LeadTimeDays != nil && (*in.LeadTimeDays < 0 || *in.LeadTimeDays > 365) {
			errs = append(errs, apperr.Invalid("leadTimeDays", "the lead time is between 0 and 365 days"))
		}
		if in.ValidUntil != nil && in.ValidUntil.Before(today(s.now())) {
			errs = append(errs, apperr.Invalid("validUntil", "%s has passed: this answer no longer holds", in.ValidUntil.Format(time.DateOnly)))
		}
		if len(in.Lines) == 0 {
			errs = append(errs, apperr.Invalid("lines", "enter the price of at least one line (a supplier that declines quotes nothing)"))
		}
		seen := map[int64]bool{}
		for j, l := range in.Lines {
			field := func(name string) string { return fmt.Sprintf("lines.%d.%s", j, name) }
			k := slices.IndexFunc(r.Lines, func(rl RFQLine) bool { return rl.VariantID == l.VariantID })
			switch {
			case k < 0:
				errs = append(errs, apperr.Invalid(field("variantId"), "this variant is not on %s", r.Number()))
				continue
			case seen[l.VariantID]:
				errs = append(errs, apperr.Invalid(field("variantId"), "%s is quoted twice", r.Lines[k].SKU).WithReason("DUPLICATE"))
				continue
			}
			seen[l.VariantID] = true
			if l.Quantity < 0 {
				errs = append(errs, apperr.Invalid(field("quantity"), "a quantity cannot be negative (0 means the quantity asked for)"))
			}
			errs = checkCost(errs, field("unitCost"), l.UnitCost)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM quotations WHERE request_id = $1 AND supplier_id = $2`, rfqID, in.SupplierID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO quotations (request_id, supplier_id, currency, valid_until, lead_time_days, note, entered_by)
			VALUES ($1, $2, $3, $4::date, $5, $6, $7)`, rfqID, in.SupplierID, sup.Currency, dateArg(in.ValidUntil), in.LeadTimeDays,
			in.Note, a.ID); err != nil {
			return postgres.MapError(err)
		}
		for _, l := range in.Lines {
			qty := l.Quantity
			if qty == 0 {
				qty = r.Lines[slices.IndexFunc(r.Lines, func(rl RFQLine) bool { return rl.VariantID == l.VariantID })].Quantity
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO quotation_lines (request_id, supplier_id, variant_id, quantity, unit_cost)
				VALUES ($1, $2, $3, $4, $5)`, rfqID, in.SupplierID, l.VariantID, qty, l.UnitCost); err != nil {
				return postgres.MapError(err)
			}
		}
		if r, err = loadRFQ(ctx, tx, rfqID, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "quotation.recorded", Entity: "quotation_request", EntityID: rfqID,
			After: r.Suppliers[i].Quote})
	})
	return r, err
}

// Offer is one supplier's answer for one line, as compared.
type Offer struct {
	SupplierID int64
	Quoted     bool
	Quantity   int
	UnitCost   decimal.Decimal
	Currency   string
	// Total is Quantity × UnitCost in minor units of Currency; CompanyTotal the same in the
	// company currency at today's rate (nil when no rate is recorded).
	Total        int64
	CompanyTotal *int64
}

// ComparisonRow is one line of the request with every supplier's offer, in the order of
// RFQ.Suppliers. Best is the index of the cheapest offer in the company currency (-1 when
// none can be compared).
type ComparisonRow struct {
	Line   RFQLine
	Offers []Offer
	Best   int
}

// SupplierTotal sums a supplier's answer.
type SupplierTotal struct {
	SupplierID int64
	Name       string
	Answered   bool
	// LinesQuoted of the request's lines; Complete when it quoted every line.
	LinesQuoted  int
	Complete     bool
	Currency     string
	Total        int64
	CompanyTotal *int64
	LeadTimeDays *int
	ValidUntil   *time.Time
	// Expired when the answer's validity has passed.
	Expired bool
}

// Comparison sets the answers to a request side by side, in the company currency.
type Comparison struct {
	RFQ             RFQ
	CompanyCurrency string
	Rows            []ComparisonRow
	Totals          []SupplierTotal
	// Cheapest is the index in Totals of the cheapest complete, valid answer (-1: none).
	Cheapest int
}

// CompareQuotes returns the answers to request id side by side. Errors: Unauthenticated,
// Forbidden, NotFound.
func (s *Service) CompareQuotes(ctx context.Context, id int64) (Comparison, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return Comparison{}, err
	}
	r, err := loadRFQ(ctx, s.db, id, false)
	if err != nil {
		return Comparison{}, err
	}
	c := Comparison{RFQ: r, Cheapest: -1}
	if c.CompanyCurrency, err = companyCurrency(ctx, s.db); err != nil {
		return Comparison{}, err
	}
	rates := map[string]decimal.Decimal{c.CompanyCurrency: decimal.NewFromInt(1)}
	var stored []ExchangeRate
	if err := s.db.SelectContext(ctx, &stored, `SELECT currency, rate, updated_at FROM exchange_rates`); err != nil {
		return Comparison{}, err
	}
	for _, st := range stored {
		rates[st.Currency] = st.Rate
	}
	toCompany := func(amount int64, currency string) *int64 {
		rate, ok := rates[currency]
		if !ok {
			return nil
		}
		v := convert(amount, currency, rate, c.CompanyCurrency)
		return &v
	}
	todayUTC := today(s.now())
	for _, sup := range r.Suppliers {
		t := SupplierTotal{SupplierID: sup.SupplierID, Name: sup.Name, Currency: sup.Currency}
		if q := sup.Quote; q != nil {
			t.Answered, t.LeadTimeDays, t.ValidUntil = true, q.LeadTimeDays, q.ValidUntil
			t.Expired = q.ValidUntil != nil && q.ValidUntil.Before(todayUTC)
			t.LinesQuoted = len(q.Lines)
			t.Complete = len(q.Lines) == len(r.Lines)
			for _, l := range q.Lines {
				t.Total += minorTotal(l.Quantity, l.UnitCost, q.Currency)
			}
			t.CompanyTotal = toCompany(t.Total, q.Currency)
		}
		c.Totals = append(c.Totals, t)
	}
	for _, l := range r.Lines {
		row := ComparisonRow{Line: l, Best: -1}
		for i, sup := range r.Suppliers {
			o := Offer{SupplierID: sup.SupplierID, Currency: sup.Currency}
			if q := sup.Quote; q != nil {
				if k := slices.IndexFunc(q.Lines, func(ql QuoteLine) bool { return ql.VariantID == l.VariantID }); k >= 0 {
					o.Quoted, o.Quantity, o.UnitCost = true, q.Lines[k].Quantity, q.Lines[k].UnitCost
					o.Total = minorTotal(o.Quantity, o.UnitCost, q.Currency)
					o.CompanyTotal = toCompany(o.Total, q.Currency)
				}
			}
			// The best offer is the lowest unit cost in the company currency (quantities
			// offered may differ), among answers still valid.
			if o.Quoted && o.CompanyTotal != nil && !c.Totals[i].Expired {
				if row.Best < 0 || unitCompany(o, rates).LessThan(unitCompany(row.Offers[row.Best], rates)) {
					row.Best = i
				}
			}
			row.Offers = append(row.Offers, o)
		}
		c.Rows = append(c.Rows, row)
	}
	for i, t := range c.Totals {
		if t.Complete && !t.Expired && t.CompanyTotal != nil &&
			(c.Cheapest < 0 || *t.CompanyTotal < *c.Totals[c.Cheapest].CompanyTotal) {
			c.Cheapest = i
		}
	}
	return c, nil
}

// unitCompany is an offer's unit cost in the company currency.
func unitCompany(o Offer, rates map[string]decimal.Decimal) decimal.Decimal {
	return o.UnitCost.Mul(rates[o.Currency])
}

// Award turns supplier supplierID's answer to OPEN request id into a DRAFT purchase order
// by the acting buyer (its quoted lines, quantities and costs, delivered where the request
// said, expected when needed or after the quoted lead time) and closes the request as
// AWARDED. The order then goes through approval like any other. Buyers, managers and
// admins. Errors: Unauthenticated, Forbidden, NotFound, Conflict (RFQ_STATUS),
// apperr.List (supplierId when it has not answered or its answer has expired, and the
// order's own checks, e.g. lines.<i>.quantity against the supplier's packs).
func (s *Service) Award(ctx context.Context, id, supplierID int64, comment string) (Order, error) {
	a, err := actor.RequireStaff(ctx, buyers...)
	if err != nil {
		return Order{}, err
	}
	if a.ID == 0 {
		return Order{}, apperr.Forbidden("a purchase order is written by a staff member")
	}
	var o Order
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		r, err := loadRFQ(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if r.Status != RFQOpen {
			return apperr.Conflict("", "%s is %s: only an OPEN request can be awarded", r.Number(), r.Status).WithReason(ReasonRFQStatus)
		}
		i := slices.IndexFunc(r.Suppliers, func(sup RFQSupplier) bool { return sup.SupplierID == supplierID })
		switch {
		case i < 0:
			return apperr.List{apperr.Invalid("supplierId", "this supplier was not asked in %s", r.Number())}
		case r.Suppliers[i].Quote == nil:
			return apperr.List{apperr.Invalid("supplierId", "%s has not answered %s yet: enter its answer first", r.Suppliers[i].Name, r.Number())}
		}
		q := r.Suppliers[i].Quote
		if q.ValidUntil != nil && q.ValidUntil.Before(today(s.now())) {
			return apperr.List{apperr.Invalid("supplierId", "%s's answer held until %s: ask it again or enter a new answer",
				r.Suppliers[i].Name, q.ValidUntil.Format(time.DateOnly))}
		}
		in := OrderInput{SupplierID: supplierID, LocationID: r.LocationID, Note: strings.TrimSpace("From " + r.Number() + ". " + r.Note)}
		switch {
		case r.NeededBy != nil && !r.NeededBy.Before(today(s.now())):
			in.ExpectedOn = r.NeededBy
		case q.LeadTimeDays != nil:
			d := today(s.now()).AddDate(0, 0, *q.LeadTimeDays)
			in.ExpectedOn = &d
		}
		for _, l := range q.Lines {
			cost := l.UnitCost
			in.Lines = append(in.Lines, LineInput{VariantID: l.VariantID, Quantity: l.Quantity, UnitCost: &cost})
		}
		if o, err = s.createOrder(ctx, tx, a, in, strings.TrimSpace("awarded "+r.Number()+" "+comment)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE quotation_requests SET status = 'AWARDED', closed_at = now(),
			awarded_supplier_id = $2, order_id = $3 WHERE id = $1`, id, supplierID, o.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "quotation_request.awarded", Entity: "quotation_request", EntityID: id,
			After: map[string]any{"supplierId": supplierID, "orderId": o.ID}, Reason: strings.TrimSpace(comment)})
	})
	return o, err
}

// CancelRFQ closes an OPEN request without an order. A reason is required. Buyers,
// managers and admins. Errors: Unauthenticated, Forbidden, NotFound, Conflict
// (RFQ_STATUS), apperr.List (reason).
func (s *Service) CancelRFQ(ctx context.Context, id int64, reason string) (RFQ, error) {
	if _, err := actor.RequireStaff(ctx, buyers...); err != nil {
		return RFQ{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return RFQ{}, apperr.List{apperr.Invalid("reason", "say why the request is cancelled")}
	}
	var r RFQ
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		if r, err = loadRFQ(ctx, tx, id, true); err != nil {
			return err
		}
		if r.Status != RFQOpen {
			return apperr.Conflict("", "%s is %s: only an OPEN request can be cancelled", r.Number(), r.Status).WithReason(ReasonRFQStatus)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE quotation_requests SET status = 'CANCELLED', closed_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "quotation_request.cancelled", Entity: "quotation_request", EntityID: id,
			Reason: reason}); err != nil {
			return err
		}
		r, err = loadRFQ(ctx, tx, id, false)
		return err
	})
	return r, err
}

// RFQ returns request id with its lines, suppliers and answers. Errors: Unauthenticated,
// Forbidden, NotFound.
func (s *Service) RFQ(ctx context.Context, id int64) (RFQ, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return RFQ{}, err
	}
	return loadRFQ(ctx, s.db, id, false)
}

// RFQs returns the requests in statuses (all when empty), newest first, at most MaxPage.
// Errors: Unauthenticated, Forbidden.
func (s *Service) RFQs(ctx context.Context, statuses ...RFQStatus) ([]RFQ, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	st := make([]string, len(statuses))
	for i, x := range statuses {
		st[i] = string(x)
	}
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM quotation_requests
		WHERE cardinality($1::text[]) = 0 OR status = ANY($1) ORDER BY id DESC LIMIT $2`, pq.Array(st), MaxPage); err != nil {
		return nil, err
	}
	out := make([]RFQ, 0, len(ids))
	for _, id := range ids {
		r, err := loadRFQ(ctx, s.db, id, false)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// loadRFQ returns request id with its lines, suppliers and answers, locking it when
// forUpdate.
func loadRFQ(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (RFQ, error) {
	query := `SELECT r.id, r.location_id, l.code AS location_code, r.needed_by, r.note, r.status, r.created_by,
		st.name AS created_by_name, r.created_at, r.closed_at, r.awarded_supplier_id, r.order_id
		FROM quotation_requests r JOIN locations l ON l.id = r.location_id JOIN staff st ON st.id = r.created_by
		WHERE r.id = $1`
	if forUpdate {
		query += ` FOR UPDATE OF r`
	}
	var r RFQ
	if err := sqlx.GetContext(ctx, q, &r, query, id); err != nil {
		return RFQ{}, postgres.NotFound(err, "no request for quotation with id %d", id)
	}
	if err := sqlx.SelectContext(ctx, q, &r.Lines, `SELECT rl.variant_id, v.sku, v.title, rl.quantity
		FROM quotation_request_lines rl JOIN variants v ON v.id = rl.variant_id
		WHERE rl.request_id = $1 ORDER BY rl.position`, id); err != nil {
		return RFQ{}, err
	}
	if err := sqlx.SelectContext(ctx, q, &r.Suppliers, `SELECT rs.supplier_id, s.code, s.name, s.currency
		FROM quotation_request_suppliers rs JOIN suppliers s ON s.id = rs.supplier_id
		WHERE rs.request_id = $1 ORDER BY s.name, s.id`, id); err != nil {
		return RFQ{}, err
	}
	var quotes []Quote
	if err := sqlx.SelectContext(ctx, q, &quotes, `SELECT qu.supplier_id, qu.currency, qu.valid_until, qu.lead_time_days, qu.note,
		coalesce(st.name, '') AS entered_by_name, qu.entered_at
		FROM quotations qu LEFT JOIN staff st ON st.id = qu.entered_by WHERE qu.request_id = $1`, id); err != nil {
		return RFQ{}, err
	}
	var lines []struct {
		SupplierID int64 `db:"supplier_id"`
		QuoteLine
	}
	if err := sqlx.SelectContext(ctx, q, &lines, `SELECT ql.supplier_id, ql.variant_id, ql.quantity, ql.unit_cost
		FROM quotation_lines ql JOIN quotation_request_lines rl ON rl.request_id = ql.request_id AND rl.variant_id = ql.variant_id
		WHERE ql.request_id = $1 ORDER BY rl.position`, id); err != nil {
		return RFQ{}, err
	}
	for i := range quotes {
		for _, l := range lines {
			if l.SupplierID == quotes[i].SupplierID {
				quotes[i].Lines = append(quotes[i].Lines, l.QuoteLine)
			}
		}
		for j := range r.Suppliers {
			if r.Suppliers[j].SupplierID == quotes[i].SupplierID {
				r.Suppliers[j].Quote = &quotes[i]
			}
		}
	}
	return r, nil
}
