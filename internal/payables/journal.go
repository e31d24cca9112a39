package payables

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// Account is a general ledger account the journals post to. Codes follow a common
// retail chart; the accounting package maps them on import.
type Account struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

var (
	AccountBank           = Account{"1000", "Bank"}
	AccountInputTax       = Account{"1250", "Input tax"}
	AccountInventory      = Account{"1300", "Inventory"}
	AccountPayable        = Account{"2100", "Accounts payable"}
	AccountGRNI           = Account{"2110", "Goods received not invoiced"}
	AccountDiscountIncome = Account{"4900", "Early-payment discounts"}
	AccountPriceVariance  = Account{"5190", "Purchase price variance"}
	AccountCharges        = Account{"5200", "Freight and other purchase charges"}
)

// JournalLine debits or credits one account, minor units of the company currency.
type JournalLine struct {
	Account Account `json:"account"`
	Debit   int64   `json:"debit"`
	Credit  int64   `json:"credit"`
}

// JournalEntry is one balanced posting for a receipt, a bill or credit note, or a payment.
// Date is the posting date; DocumentDate the date on the document (the bill date, the day
// paid, the day received): the same, or earlier when the document was dated in a closed
// period.
type JournalEntry struct {
	Date         time.Time     `json:"date"`
	DocumentDate time.Time     `json:"documentDate"`
	Source       string        `json:"source"` // RECEIPT, BILL, CREDIT_NOTE, PAYMENT
	SourceID     int64         `json:"sourceId"`
	Reference    string        `json:"reference"`
	Currency     string        `json:"currency"`
	Lines        []JournalLine `json:"lines"`
}

// Balanced reports whether debits equal credits.
func (e JournalEntry) Balanced() bool {
	var d, c int64
	for _, l := range e.Lines {
		d += l.Debit
		c += l.Credit
	}
	return d == c
}

// Moved reports whether the entry posts on another day than its document's date (the
// document was dated in a closed period).
func (e JournalEntry) Moved() bool { return !e.DocumentDate.IsZero() && !e.DocumentDate.Equal(e.Date) }

// post adds amount to account on the debit side when positive, credit when negative.
func (e *JournalEntry) post(a Account, amount int64) {
	switch {
	case amount > 0:
		e.Lines = append(e.Lines, JournalLine{Account: a, Debit: amount})
	case amount < 0:
		e.Lines = append(e.Lines, JournalLine{Account: a, Credit: -amount})
	}
}

// receivedOn is the day goods receipt g arrived in the company's time zone: the date
// its journal entry and the GRNI report count it on, whatever the database session's zone.
const receivedOn = `(g.received_at AT TIME ZONE (SELECT time_zone FROM settings))::date`

// Journals returns the general ledger entries for receipts, bills (not rejected) and
// payments posted from..to inclusive, in posting date order, in the company currency
// (foreign amounts at the order's exchange rate, else today's rate). Receipts post on the
// day received (they cannot be back-dated); bills, credit notes and payments on their
// posted_on, so a period's journals do not change once it is closed (see ClosePeriod). Receipts: inventory / GRNI at
// the order price. Bills: GRNI at the order price for goods on orders, price variance
// for the difference, charges for lines not on an order, input tax / payables; credit
// notes the reverse. Payments: payables / bank and discount income. Every entry balances:
// the payables line is the sum of the others. Accountants and managers.
func (s *Service) Journals(ctx context.Context, from, to time.Time) ([]JournalEntry, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	var company string
	if err := s.db.GetContext(ctx, &company, `SELECT currency FROM settings`); err != nil {
		return nil, err
	}
	f, t := dateText(day(from)), dateText(day(to))
	var out []JournalEntry

	var receipts []struct {
		ID       int64           `db:"id"`
		OrderID  int64           `db:"order_id"`
		On       time.Time       `db:"received_on"`
		Currency string          `db:"currency"`
		Rate     decimal.Decimal `db:"rate"`
		Qty      int             `db:"accepted"`
		UnitCost decimal.Decimal `db:"unit_cost"`
	}
	if err := s.db.SelectContext(ctx, &receipts, `
		SELECT g.id, g.order_id, `+receivedOn+` AS received_on, o.currency, `+rateSQL("o")+` AS rate, gl.accepted, ol.unit_cost
		FROM goods_receipts g JOIN purchase_orders o ON o.id = g.order_id
		JOIN goods_receipt_lines gl ON gl.receipt_id = g.id JOIN purchase_order_lines ol ON ol.id = gl.order_line_id
		WHERE `+receivedOn+` BETWEEN $1 AND $2 AND gl.accepted > 0 ORDER BY g.id, gl.id`, f, t); err != nil {
		return nil, err
	}
	byReceipt := map[int64]*JournalEntry{}
	var order []int64
	for _, r := range receipts {
		e, ok := byReceipt[r.ID]
		if !ok {
			e = &JournalEntry{Date: r.On, DocumentDate: r.On, Source: "RECEIPT", SourceID: r.ID,
				Reference: fmt.Sprintf("GR-%d PO-%06d", r.ID, r.OrderID), Currency: company}
			byReceipt[r.ID] = e
			order = append(order, r.ID)
		}
		v := convert(minorTotal(r.Qty, r.UnitCost, r.Currency), r.Currency, r.Rate, company)
		e.post(AccountInventory, v)
		e.post(AccountGRNI, -v)
	}
	for _, id := range order {
		out = append(out, merge(*byReceipt[id]))
	}

	var bills []struct {
		Bill
		Rate decimal.Decimal `db:"rate"`
	}
	if err := s.db.SelectContext(ctx, &bills, `SELECT `+billColumns+`, coalesce(
		  (SELECT o.exchange_rate FROM supplier_bill_lines l JOIN purchase_order_lines ol ON ol.id = l.order_line_id
		   JOIN purchase_orders o ON o.id = ol.order_id WHERE l.bill_id = b.id AND o.exchange_rate IS NOT NULL LIMIT 1),
		  (SELECT r.rate FROM exchange_rates r WHERE r.currency = b.currency), 1) AS rate`+billFrom+`
		WHERE b.status <> 'REJECTED' AND b.posted_on BETWEEN $1 AND $2 ORDER BY b.posted_on, b.id`, f, t); err != nil {
		return nil, err
	}
	for _, x := range bills {
		b := x.Bill
		if err := withLines(ctx, s.db, &b); err != nil {
			return nil, err
		}
		sign := int64(1)
		if b.Kind == KindCreditNote {
			sign = -1
		}
		e := JournalEntry{Date: b.PostedOn, DocumentDate: b.BillDate, Source: string(b.Kind), SourceID: b.ID,
			Reference: b.SupplierCode + " " + b.Number, Currency: company}
		conv := func(n int64) int64 { return convert(n, b.Currency, x.Rate, company) }
		var debits int64
		add := func(a Account, n int64) {
			e.post(a, sign*n)
			debits += n
		}
		var subtotal int64
		for _, l := range b.Lines {
			subtotal += l.Amount
			if l.OrderLineID == nil {
				add(AccountCharges, conv(l.Amount))
				continue
			}
			var cost decimal.Decimal
			if err := s.db.GetContext(ctx, &cost, `SELECT unit_cost FROM purchase_order_lines WHERE id = $1`, *l.OrderLineID); err != nil {
				return nil, err
			}
			atOrder := conv(minorTotal(l.Quantity, cost, b.Currency))
			add(AccountGRNI, atOrder)
			add(AccountPriceVariance, conv(l.Amount)-atOrder)
		}
		add(AccountInputTax, conv(b.TaxAmount))
		// What the document totals beyond its lines and tax (rounding) is a variance too.
		add(AccountPriceVariance, conv(b.Total-subtotal-b.TaxAmount))
		e.post(AccountPayable, -sign*debits)
		out = append(out, merge(e))
	}

	var pays []struct {
		Payment
		SupplierCode string          `db:"supplier_code"`
		Rate         decimal.Decimal `db:"rate"`
	}
	if err := s.db.SelectContext(ctx, &pays, `SELECT `+paymentColumns+`, su.code AS supplier_code,
		coalesce((SELECT r.rate FROM exchange_rates r WHERE r.currency = p.currency), 1) AS rate
		FROM supplier_payments p JOIN supplier_bills b ON b.id = p.bill_id JOIN suppliers su ON su.id = p.supplier_id
		WHERE p.posted_on BETWEEN $1 AND $2 ORDER BY p.posted_on, p.id`, f, t); err != nil {
		return nil, err
	}
	for _, p := range pays {
		e := JournalEntry{Date: p.PostedOn, DocumentDate: p.PaidOn, Source: "PAYMENT", SourceID: p.ID,
			Reference: p.SupplierCode + " " + p.BillNumber, Currency: company}
		amount := convert(p.Amount, p.Currency, p.Rate, company)
		discount := convert(p.Discount, p.Currency, p.Rate, company)
		e.post(AccountPayable, amount+discount)
		e.post(AccountBank, -amount)
		e.post(AccountDiscountIncome, -discount)
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out, nil
}

// ClosePeriod closes the books through the day through (inclusive): from then on a bill,
// credit note or payment dated on or before it posts on the day after, so journals
// exported for the closed period stay as exported. Closing only moves forward (a closed
// period is not reopened) and not past today in the company's time zone; closing again
// through the same day changes nothing. Accountants and managers; audited.
// Errors: Unauthenticated, Forbidden, apperr.List (closedThrough, reasons FUTURE_DATE,
// ALREADY_CLOSED).
func (s *Service) ClosePeriod(ctx context.Context, through time.Time) (Settings, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Settings{}, err
	}
	if through.IsZero() {
		return Settings{}, apperr.List{apperr.Invalid("closedThrough", "enter the last day of the period to close, e.g. the last day of the month exported to the ledger")}
	}
	through = day(through)
	var st Settings
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var before Settings
		if err := tx.GetContext(ctx, &before, `SELECT `+settingsColumns+` FROM payables_settings FOR UPDATE`); err != nil {
			return err
		}
		var zone string
		if err := tx.GetContext(ctx, &zone, `SELECT time_zone FROM settings`); err != nil {
			return err
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return fmt.Errorf("company time zone %q: %w", zone, err)
		}
		if today := day(s.now().In(loc)); through.After(today) {
			return apperr.List{apperr.Invalid("closedThrough", "%s is in the future: close a period once it has ended (today is %s)",
				dateText(through), dateText(today)).WithReason("FUTURE_DATE")}
		}
		if c := before.ClosedThrough; c != nil {
			switch closed := day(*c); {
			case through.Before(closed):
				return apperr.List{apperr.Invalid("closedThrough", "the books are already closed through %s and closing only moves forward (a closed period cannot be reopened): give a later day",
					dateText(closed)).WithReason("ALREADY_CLOSED")}
			case through.Equal(closed):
				st = before
				return nil
			}
		}
		if err := tx.GetContext(ctx, &st, `UPDATE payables_settings SET closed_through = $1, updated_at = now()
			RETURNING `+settingsColumns, dateText(through)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "payables.period_closed", Entity: "payables_settings",
			Before: before, After: st})
	})
	return st, err
}

// rateSQL is the exchange rate of order alias o to the company currency: the one recorded
// on the order, else today's, else 1 (the company currency).
func rateSQL(o string) string {
	return `coalesce(` + o + `.exchange_rate, (SELECT r.rate FROM exchange_rates r WHERE r.currency = ` + o + `.currency), 1)`
}

// merge sums an entry's lines per account and side, so a receipt of many lines reads as
// one debit and one credit.
func merge(e JournalEntry) JournalEntry {
	type key struct {
		code  string
		debit bool
	}
	sum := map[key]*JournalLine{}
	var lines []JournalLine
	var keys []key
	for _, l := range e.Lines {
		k := key{l.Account.Code, l.Debit > 0}
		if s, ok := sum[k]; ok {
			s.Debit += l.Debit
			s.Credit += l.Credit
			continue
		}
		c := l
		sum[k] = &c
		keys = append(keys, k)
	}
	for _, k := range keys {
		lines = append(lines, *sum[k])
	}
	e.Lines = lines
	return e
}

// JournalCSVHeader names the columns of the journal export.
var JournalCSVHeader = []string{"date", "entry", "source", "reference", "account", "account_name", "debit", "credit", "currency",
	"document_date"}

// JournalCSVRecords is the journal export for an accounting package: one record per line
// with the (posting) date, entry number (its position), source, reference, account, debit
// and credit in major units (empty for nothing), and last the document's own date (earlier
// than the posting date when it was dated in a closed period), under JournalCSVHeader.
func JournalCSVRecords(entries []JournalEntry) [][]string {
	var out [][]string
	for i, e := range entries {
		for _, l := range e.Lines {
			out = append(out, []string{dateText(e.Date), fmt.Sprint(i + 1), e.Source, e.Reference, l.Account.Code,
				l.Account.Name, major(l.Debit, e.Currency), major(l.Credit, e.Currency), e.Currency, dateText(documentDate(e))})
		}
	}
	return out
}

// documentDate is e's document date, its posting date when not set.
func documentDate(e JournalEntry) time.Time {
	if e.DocumentDate.IsZero() {
		return e.Date
	}
	return e.DocumentDate
}

// AccountTotal is what a period's entries debit and credit one account, minor units of
// the company currency.
type AccountTotal struct {
	Account Account `json:"account"`
	Debit   int64   `json:"debit"`
	Credit  int64   `json:"credit"`
}

// Net is debits less credits.
func (t AccountTotal) Net() int64 { return t.Debit - t.Credit }

// JournalTotals sums entries' lines per account, in account code order: the period's
// trial balance of the accounts payables posts to. Debits equal credits over all accounts
// when every entry balances.
func JournalTotals(entries []JournalEntry) []AccountTotal {
	at := map[string]int{}
	var out []AccountTotal
	for _, e := range entries {
		for _, l := range e.Lines {
			i, ok := at[l.Account.Code]
			if !ok {
				i = len(out)
				at[l.Account.Code] = i
				out = append(out, AccountTotal{Account: l.Account})
			}
			out[i].Debit += l.Debit
			out[i].Credit += l.Credit
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account.Code < out[j].Account.Code })
	return out
}

// major writes minor units as a plain decimal ("1050.00"), empty for 0.
func major(n int64, currency string) string {
	if n == 0 {
		return ""
	}
	return decimal.New(n, -int32(money.MinorDigits(currency))).StringFixed(int32(money.MinorDigits(currency)))
}
