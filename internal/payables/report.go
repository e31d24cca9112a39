package payables

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/money"
)

// AgingRow is what one supplier is owed, by how long past due, in minor units of
// Currency. Current is not yet due.
type AgingRow struct {
	SupplierID   int64  `db:"supplier_id" json:"supplierId"`
	SupplierCode string `db:"supplier_code" json:"supplierCode"`
	SupplierName string `db:"supplier_name" json:"supplierName"`
	Currency     string `db:"currency" json:"currency"`
	Current      int64  `db:"current" json:"current"`
	Days1To30    int64  `db:"d1_30" json:"days1To30"`
	Days31To60   int64  `db:"d31_60" json:"days31To60"`
	Days61To90   int64  `db:"d61_90" json:"days61To90"`
	Over90       int64  `db:"over_90" json:"over90"`
	Total        int64  `db:"total" json:"total"`
}

// Aging is what is owed to each supplier as of a date (bills dated by then, less credit
// notes and payments dated by then), by days past the due date: current, 1-30, 31-60,
// 61-90, over 90. Rejected bills are not owed. Suppliers owed nothing are left out.
// Accountants and managers.
func (s *Service) Aging(ctx context.Context, asOf time.Time) ([]AgingRow, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	var rows []AgingRow
	err := s.db.SelectContext(ctx, &rows, `
		WITH open AS (
		  SELECT b.supplier_id, b.currency, ($1::date - b.due_on) AS late,
		         b.total
		         - coalesce((SELECT sum(c.total) FROM supplier_bills c WHERE c.credits_bill_id = b.id AND c.bill_date <= $1), 0)
		         - coalesce((SELECT sum(p.amount + p.discount) FROM supplier_payments p WHERE p.bill_id = b.id AND p.paid_on <= $1), 0)
		           AS amount
		  FROM supplier_bills b
		  WHERE b.kind = 'BILL' AND b.status <> 'REJECTED' AND b.bill_date <= $1)
		SELECT o.supplier_id, su.code AS supplier_code, su.name AS supplier_name, o.currency,
		       coalesce(sum(amount) FILTER (WHERE late <= 0), 0) AS current,
		       coalesce(sum(amount) FILTER (WHERE late BETWEEN 1 AND 30), 0) AS d1_30,
		       coalesce(sum(amount) FILTER (WHERE late BETWEEN 31 AND 60), 0) AS d31_60,
		       coalesce(sum(amount) FILTER (WHERE late BETWEEN 61 AND 90), 0) AS d61_90,
		       coalesce(sum(amount) FILTER (WHERE late > 90), 0) AS over_90,
		       sum(amount) AS total
		FROM open o JOIN suppliers su ON su.id = o.supplier_id
		GROUP BY 1, 2, 3, 4 HAVING sum(amount) <> 0 ORDER BY su.code, o.currency`, dateText(day(asOf)))
	return rows, err
}

// AgingTotals sums aging rows per currency, in currency order: amounts in different
// currencies are never added together. The totals' supplier fields are empty.
func AgingTotals(rows []AgingRow) []AgingRow {
	at := map[string]int{}
	var out []AgingRow
	for _, r := range rows {
		i, ok := at[r.Currency]
		if !ok {
			i = len(out)
			at[r.Currency] = i
			out = append(out, AgingRow{Currency: r.Currency})
		}
		t := &out[i]
		t.Current += r.Current
		t.Days1To30 += r.Days1To30
		t.Days31To60 += r.Days31To60
		t.Days61To90 += r.Days61To90
		t.Over90 += r.Over90
		t.Total += r.Total
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// GRNIRow is goods received on a purchase order line and not yet billed.
type GRNIRow struct {
	OrderID      int64           `db:"order_id" json:"orderId"`
	OrderLineID  int64           `db:"order_line_id" json:"orderLineId"`
	SupplierID   int64           `db:"supplier_id" json:"supplierId"`
	SupplierCode string          `db:"supplier_code" json:"supplierCode"`
	SupplierName string          `db:"supplier_name" json:"supplierName"`
	SKU          string          `db:"sku" json:"sku"`
	Currency     string          `db:"currency" json:"currency"`
	UnitCost     decimal.Decimal `db:"unit_cost" json:"unitCost"`
	ExchangeRate decimal.Decimal `db:"exchange_rate" json:"exchangeRate"`
	Received     int             `db:"received" json:"received"`
	Billed       int             `db:"billed" json:"billed"`
	// Unbilled is received − billed, and Amount its value at the order price (minor units
	// of Currency); CompanyAmount is Amount in the company currency at the order's rate.
	Unbilled      int   `db:"unbilled" json:"unbilled"`
	Amount        int64 `json:"amount"`
	CompanyAmount int64 `json:"companyAmount"`
}

// GRNI lists goods received and not invoiced as of a date: per order line, the accepted
// quantity received by then less the quantity billed by then (bills not rejected, less
// credit notes), valued at the order price. This is the accrual the general ledger
// carries for goods the company owns but has no bill for. Accountants and managers.
func (s *Service) GRNI(ctx context.Context, asOf time.Time) ([]GRNIRow, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	var company string
	if err := s.db.GetContext(ctx, &company, `SELECT currency FROM settings`); err != nil {
		return nil, err
	}
	var rows []GRNIRow
	if err := s.db.SelectContext(ctx, &rows, `
		WITH r AS (
		  SELECT gl.order_line_id, sum(gl.accepted) AS received FROM goods_receipt_lines gl
		  JOIN goods_receipts g ON g.id = gl.receipt_id WHERE `+receivedOn+` <= $1 GROUP BY 1),
		bl AS (
		  SELECT l.order_line_id, sum(CASE WHEN b.kind = 'BILL' THEN l.quantity ELSE -l.quantity END) AS billed
		  FROM supplier_bill_lines l JOIN supplier_bills b ON b.id = l.bill_id
		  WHERE l.order_line_id IS NOT NULL AND b.status <> 'REJECTED' AND b.bill_date <= $1 GROUP BY 1)
		SELECT o.id AS order_id, ol.id AS order_line_id, o.supplier_id, su.code AS supplier_code,
		       su.name AS supplier_name, v.sku, o.currency,
		       ol.unit_cost, `+rateSQL("o")+` AS exchange_rate, r.received, coalesce(bl.billed, 0) AS billed,
		       r.received - coalesce(bl.billed, 0) AS unbilled
		FROM r JOIN purchase_order_lines ol ON ol.id = r.order_line_id
		JOIN purchase_orders o ON o.id = ol.order_id JOIN suppliers su ON su.id = o.supplier_id
		JOIN variants v ON v.id = ol.variant_id
		LEFT JOIN bl ON bl.order_line_id = ol.id
		WHERE r.received > coalesce(bl.billed, 0)
		ORDER BY su.code, o.id, ol.position`, dateText(day(asOf))); err != nil {
		return nil, err
	}
	for i := range rows {
		r := &rows[i]
		r.Amount = minorTotal(r.Unbilled, r.UnitCost, r.Currency)
		r.CompanyAmount = convert(r.Amount, r.Currency, r.ExchangeRate, company)
	}
	return rows, nil
}

// GRNITotal is what rows are worth in the company currency (each at its order's rate).
func GRNITotal(rows []GRNIRow) int64 {
	var n int64
	for _, r := range rows {
		n += r.CompanyAmount
	}
	return n
}

// convert turns minor units of from into minor units of to at rate (major units of to per
// major unit of from), as purchasing converts.
func convert(amount int64, from string, rate decimal.Decimal, to string) int64 {
	if from == to {
		return amount
	}
	major := decimal.New(amount, -int32(money.MinorDigits(from)))
	return major.Mul(rate).Shift(int32(money.MinorDigits(to))).Round(0).IntPart()
}

// ForecastWeek is what falls due in the week starting Start (a Monday), per currency,
// minor units. Overdue bills count in the first week.
type ForecastWeek struct {
	Start    time.Time `db:"week" json:"start"`
	Currency string    `db:"currency" json:"currency"`
	// Approved is owed on bills approved for payment; Pending on bills still being
	// matched or resolved, which may yet be paid.
	Approved int64 `db:"approved" json:"approved"`
	Pending  int64 `db:"pending" json:"pending"`
}

// CashForecast is the cash requirements forecast: what is still open on bills not
// rejected, by week of due date, for weeks from the week of from. A bill whose discount
// is still available counts at its discount date and discounted amount, as a payment run
// would pay it. Accountants and managers.
func (s *Service) CashForecast(ctx context.Context, from time.Time, weeks int) ([]ForecastWeek, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	if weeks < 1 || weeks > 52 {
		return nil, apperr.List{apperr.Invalid("weeks", "forecast 1 to 52 weeks")}
	}
	start := day(from)
	first := WeekOf(start)
	end := first.AddDate(0, 0, 7*weeks)
	var bills []Bill
	if err := s.db.SelectContext(ctx, &bills, `SELECT `+billColumns+billFrom+`
		WHERE b.kind = 'BILL' AND b.status NOT IN ('REJECTED', 'PAID') AND least(b.due_on, b.discount_on) < $1
		ORDER BY b.id`, dateText(end)); err != nil {
		return nil, err
	}
	var rows []ForecastWeek
	for _, b := range bills {
		// Paid as a run would pay it: by the discount date while the discount stands.
		payOn, amount := b.DueOn, b.Open()
		if b.DiscountOn != nil && !b.DiscountOn.Before(start) {
			if a, discount := runPayment(b, *b.DiscountOn); discount > 0 {
				payOn, amount = *b.DiscountOn, a
			}
		}
		if amount <= 0 || !payOn.Before(end) {
			continue
		}
		week := WeekOf(payOn)
		if week.Before(first) {
			week = first // overdue bills in the first week
		}
		i := slices.IndexFunc(rows, func(w ForecastWeek) bool { return w.Start.Equal(week) && w.Currency == b.Currency })
		if i < 0 {
			rows = append(rows, ForecastWeek{Start: week, Currency: b.Currency})
			i = len(rows) - 1
		}
		if b.Status == Approved || b.Status == PartiallyPaid {
			rows[i].Approved += amount
		} else {
			rows[i].Pending += amount
		}
	}
	slices.SortFunc(rows, func(a, b ForecastWeek) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Currency, b.Currency))
	})
	return rows, nil
}

// WeekOf is the Monday starting the week of day t: the first week CashForecast reports
// from t.
func WeekOf(t time.Time) time.Time {
	d := day(t)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// ForecastTotals sums forecast weeks per currency, in currency order (Start is zero):
// what the forecast period needs in each currency.
func ForecastTotals(weeks []ForecastWeek) []ForecastWeek {
	at := map[string]int{}
	var out []ForecastWeek
	for _, w := range weeks {
		i, ok := at[w.Currency]
		if !ok {
			i = len(out)
			at[w.Currency] = i
			out = append(out, ForecastWeek{Currency: w.Currency})
		}
		out[i].Approved += w.Approved
		out[i].Pending += w.Pending
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// Total is what falls due in the week, approved or not.
func (w ForecastWeek) Total() int64 { return w.Approved + w.Pending }
