package payables

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/postgres"
	"atrium/internal/purchasing"
)

// Kind tells a bill from a credit note.
type Kind string

const (
	KindBill       Kind = "BILL"
	KindCreditNote Kind = "CREDIT_NOTE"
)

// Status is where a bill is between entry and payment.
type Status string

const (
	// Matched: every line agrees with the order and the receipts within tolerance.
	Matched Status = "MATCHED"
	// Exception: something differs; see Exceptions. Blocks approval until resolved.
	Exception Status = "EXCEPTION"
	// Accepted: an accountant or manager accepted the variance with a reason.
	Accepted Status = "ACCEPTED"
	// CreditRequested: the supplier was asked for a credit note; a credit note against
	// the bill re-runs the match.
	CreditRequested Status = "CREDIT_REQUESTED"
	Rejected        Status = "REJECTED"
	// Approved for payment.
	Approved      Status = "APPROVED"
	PartiallyPaid Status = "PARTIALLY_PAID"
	Paid          Status = "PAID"
)

// Reason is why a line or bill does not match.
type Reason string

const (
	OverBilledQuantity Reason = "OVER_BILLED_QUANTITY"
	PriceVariance      Reason = "PRICE_VARIANCE"
	NotReceived        Reason = "NOT_RECEIVED"
	NoOrderLine        Reason = "NO_ORDER_LINE"
	TotalMismatch      Reason = "TOTAL_MISMATCH"
	TaxMismatch        Reason = "TAX_MISMATCH"
)

// Bill is a supplier bill or credit note. Amounts are positive minor units of Currency;
// a credit note reduces what is owed.
type Bill struct {
	ID            int64     `db:"id" json:"id"`
	Kind          Kind      `db:"kind" json:"kind"`
	SupplierID    int64     `db:"supplier_id" json:"supplierId"`
	SupplierCode  string    `db:"supplier_code" json:"supplierCode"`
	SupplierName  string    `db:"supplier_name" json:"supplierName"`
	Number        string    `db:"number" json:"number"`
	CreditsBillID *int64    `db:"credits_bill_id" json:"creditsBillId"`
	BillDate      time.Time `db:"bill_date" json:"billDate"`
	// PostedOn is the general-ledger date: BillDate, or the first open day when BillDate
	// fell in a closed period at entry.
	PostedOn       time.Time  `db:"posted_on" json:"postedOn"`
	Currency       string     `db:"currency" json:"currency"`
	Subtotal       int64      `db:"subtotal" json:"subtotal"`
	TaxAmount      int64      `db:"tax_amount" json:"taxAmount"`
	Total          int64      `db:"total" json:"total"`
	DueOn          time.Time  `db:"due_on" json:"dueOn"`
	DiscountOn     *time.Time `db:"discount_on" json:"discountOn"`
	DiscountAmount int64      `db:"discount_amount" json:"discountAmount"`
	Status         Status     `db:"status" json:"status"`
	// Exceptions are the reasons of the last match, bill-level and line-level together.
	Exceptions       pq.StringArray `db:"exceptions" json:"exceptions"`
	ResolutionReason string         `db:"resolution_reason" json:"resolutionReason"`
	Note             string         `db:"note" json:"note"`
	EnteredBy        *int64         `db:"entered_by" json:"enteredBy"`
	ApprovedBy       *int64         `db:"approved_by" json:"approvedBy"`
	ApprovedAt       *time.Time     `db:"approved_at" json:"approvedAt"`
	CreatedAt        time.Time      `db:"created_at" json:"createdAt"`
	// Paid is what payments and discounts taken have settled so far.
	Paid int64 `db:"paid" json:"paid"`
	// Credited is the total of credit notes against the bill.
	Credited int64 `db:"credited" json:"credited"`
	// CreditsNumber is the number of the bill a credit note reduces ("" for a bill).
	CreditsNumber string     `db:"credits_number" json:"creditsNumber"`
	Lines         []BillLine `json:"lines"`
}

// Open is what is still owed on the bill: its total less credit notes against it,
// payments and discounts taken (0 for credit notes and rejected bills).
func (b Bill) Open() int64 {
	if b.Kind != KindBill || b.Status == Rejected {
		return 0
	}
	return max(0, b.Total-b.Credited-b.Paid)
}

// BillLine is one line of a bill: goods on a purchase order line, or a charge.
type BillLine struct {
	ID          int64           `db:"id" json:"id"`
	Position    int             `db:"position" json:"position"`
	OrderLineID *int64          `db:"order_line_id" json:"orderLineId"`
	OrderID     *int64          `db:"order_id" json:"orderId"`
	Description string          `db:"description" json:"description"`
	Quantity    int             `db:"quantity" json:"quantity"`
	UnitPrice   decimal.Decimal `db:"unit_price" json:"unitPrice"`
	Amount      int64           `db:"amount" json:"amount"`
	Exceptions  pq.StringArray  `db:"exceptions" json:"exceptions"`
}

// BillInput is a bill or credit note as entered.
type BillInput struct {
	SupplierID int64
	Number     string
	// CreditsBillID makes the input a credit note against that bill.
	CreditsBillID int64
	BillDate      time.Time
	Currency      string
	// TaxAmount and Total are as printed on the supplier's document, minor units.
	TaxAmount int64
	Total     int64
	Note      string
	Lines     []BillLineInput
}

// BillLineInput is a line as entered: OrderLineID for goods on a purchase order, 0 for a
// charge (freight) described by Description.
type BillLineInput struct {
	OrderLineID int64
	Description string
	Quantity    int
	// UnitPrice is in major units of the bill's currency.
	UnitPrice decimal.Decimal
}

const billColumns = `b.id, b.kind, b.supplier_id, su.code AS supplier_code, su.name AS supplier_name, b.number,
	b.credits_bill_id, coalesce((SELECT c.number FROM supplier_bills c WHERE c.id = b.credits_bill_id), '') AS credits_number,
	b.bill_date, b.posted_on, b.currency, b.subtotal, b.tax_amount, b.total, b.due_on, b.discount_on,
	b.discount_amount, b.status, b.exceptions, b.resolution_reason, b.note, b.entered_by, b.approved_by,
	b.approved_at, b.created_at,
	coalesce((SELECT sum(p.amount + p.discount) FROM supplier_payments p WHERE p.bill_id = b.id), 0) AS paid,
	coalesce((SELECT sum(c.total) FROM supplier_bills c WHERE c.credits_bill_id = b.id), 0) AS credited`

const billFrom = ` FROM supplier_bills b JOIN suppliers su ON su.id = b.supplier_id`

// EnterBill records a supplier bill or, with CreditsBillID, a credit note, computes its
// due and discount dates from the supplier's terms and matches it at once. The bill
// number is unique per supplier. Accountants and managers.
//
// Errors: Unauthenticated, Forbidden, Conflict (number, reason DUPLICATE), apperr.List
// (supplierId, number, billDate, currency, taxAmount, total, lines.<i>.orderLineId,
// lines.<i>.quantity, lines.<i>.unitPrice, lines.<i>.description, creditsBillId).
func (s *Service) EnterBill(ctx context.Context, in BillInput) (Bill, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Bill{}, err
	}
	var b Bill
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		b, err = s.enterBill(ctx, tx, in)
		return err
	})
	return b, err
}

// enterBill validates, inserts and matches one bill in tx.
func (s *Service) enterBill(ctx context.Context, tx *sqlx.Tx, in BillInput) (Bill, error) {
	if err := lockSuppliers(ctx, tx, in.SupplierID); err != nil {
		return Bill{}, err
	}
	a := actor.From(ctx)
	in.Number = strings.TrimSpace(in.Number)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	var errs apperr.List
	var terms purchasing.PaymentTerms
	var supCurrency string
	err := tx.QueryRowxContext(ctx, `SELECT currency, payment_basis, payment_days, discount_pct, discount_days
		FROM suppliers WHERE id = $1`, in.SupplierID).Scan(&supCurrency, &terms.Basis, &terms.Days, &terms.DiscountPct, &terms.DiscountDays)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		errs = append(errs, apperr.Invalid("supplierId", "choose an existing supplier (no supplier with id %d)", in.SupplierID))
	case err != nil:
		return Bill{}, err
	case in.Currency != supCurrency:
		errs = append(errs, apperr.Invalid("currency", "the supplier bills in %s: enter the bill in %s as printed, or fix the supplier's currency first", supCurrency, supCurrency))
	}
	if in.Number == "" || len(in.Number) > 60 {
		errs = append(errs, apperr.Invalid("number", "enter the supplier's bill number as printed (1 to 60 characters)"))
	}
	if in.BillDate.IsZero() {
		errs = append(errs, apperr.Invalid("billDate", "enter the date printed on the bill"))
	} else if day(in.BillDate).After(day(s.now()).AddDate(0, 0, 1)) {
		errs = append(errs, apperr.Invalid("billDate", "the bill date %s is in the future: check the date on the document", dateText(in.BillDate)))
	}
	if in.TaxAmount < 0 {
		errs = append(errs, apperr.Invalid("taxAmount", "enter the tax as a positive amount (0 when there is none); credit notes are positive too"))
	}
	if in.Total <= 0 {
		errs = append(errs, apperr.Invalid("total", "enter the total printed on the document, more than 0; a credit note is entered with positive amounts"))
	}
	if len(in.Lines) == 0 {
		errs = append(errs, apperr.Invalid("lines", "add at least one line: goods with their purchase order line, or a charge such as freight"))
	}
	kind := KindBill
	var credited *Bill
	if in.CreditsBillID != 0 {
		kind = KindCreditNote
		c, err := loadBill(ctx, tx, in.CreditsBillID, true)
		switch {
		case apperr.CodeOf(err) == apperr.CodeNotFound:
			errs = append(errs, apperr.Invalid("creditsBillId", "choose the bill this credit note reduces (no bill %d)", in.CreditsBillID))
		case err != nil:
			return Bill{}, err
		case c.Kind != KindBill || c.SupplierID != in.SupplierID:
			errs = append(errs, apperr.Invalid("creditsBillId", "a credit note reduces a bill of the same supplier, not another credit note"))
		case c.Status == Rejected:
			errs = append(errs, apperr.Invalid("creditsBillId", "bill %s was rejected and is not owed: there is nothing to credit", c.Number))
		case in.Total > c.Total-c.Credited:
			errs = append(errs, apperr.Invalid("total", "the credit note (%d) is more than what is left to credit on bill %s (%d): check the amount or the bill it belongs to", in.Total, c.Number, c.Total-c.Credited))
		default:
			credited = &c
		}
	}
	lines := make([]BillLine, len(in.Lines))
	var subtotal int64
	for i, l := range in.Lines {
		f := func(name string) string { return fmt.Sprintf("lines.%d.%s", i, name) }
		bl := BillLine{Position: i + 1, Description: strings.TrimSpace(l.Description), Quantity: l.Quantity, UnitPrice: l.UnitPrice}
		if l.Quantity <= 0 {
			errs = append(errs, apperr.Invalid(f("quantity"), "enter the quantity billed, 1 or more (1 for a charge such as freight)"))
		}
		if l.UnitPrice.IsNegative() || !l.UnitPrice.Equal(l.UnitPrice.Truncate(4)) {
			errs = append(errs, apperr.Invalid(f("unitPrice"), "enter the unit price as a positive amount with at most 4 decimals"))
		}
		if l.OrderLineID != 0 {
			var orderID int64
			var orderSupplier int64
			var status string
			err := tx.QueryRowxContext(ctx, `SELECT o.id, o.supplier_id, o.status FROM purchase_order_lines ol
				JOIN purchase_orders o ON o.id = ol.order_id WHERE ol.id = $1`, l.OrderLineID).Scan(&orderID, &orderSupplier, &status)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				errs = append(errs, apperr.Invalid(f("orderLineId"), "choose a line of one of the supplier's purchase orders (no order line %d)", l.OrderLineID))
			case err != nil:
				return Bill{}, err
			case orderSupplier != in.SupplierID:
				errs = append(errs, apperr.Invalid(f("orderLineId"), "order line %d is on %s, which is from another supplier", l.OrderLineID, purchasing.OrderNumber(orderID)))
			case status == "DRAFT" || status == "SUBMITTED" || status == "REJECTED" || status == "CANCELLED":
				errs = append(errs, apperr.Invalid(f("orderLineId"), "%s is %s: a bill can only reference an approved order", purchasing.OrderNumber(orderID), status))
			default:
				id := l.OrderLineID
				bl.OrderLineID, bl.OrderID = &id, &orderID
			}
		} else if bl.Description == "" {
			errs = append(errs, apperr.Invalid(f("description"), "describe a line that is not on a purchase order (e.g. \"Freight\"), or choose its order line"))
		}
		bl.Amount = minorTotal(l.Quantity, l.UnitPrice, in.Currency)
		subtotal += bl.Amount
		lines[i] = bl
	}
	if len(errs) > 0 {
		return Bill{}, errs
	}
	var dup int64
	err = tx.GetContext(ctx, &dup, `SELECT id FROM supplier_bills WHERE supplier_id = $1 AND lower(number) = lower($2)`, in.SupplierID, in.Number)
	if err == nil {
		return Bill{}, apperr.Conflict("number", "bill %s of this supplier was already entered (bill id %d): check whether this is a copy, or enter a credit note against it", in.Number, dup).WithReason("DUPLICATE")
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Bill{}, err
	}
	billDate := day(in.BillDate)
	due := terms.DueDate(billDate)
	var discOn *time.Time
	var discount int64
	if d, ok := terms.DiscountDate(billDate); ok && kind == KindBill {
		discOn, discount = &d, terms.Discount(in.Total)
	}
	var enteredBy *int64
	if a.ID != 0 {
		enteredBy = &a.ID
	}
	// posted_on is set by the database (migration 00018): the bill date, or the first
	// open day when the bill date falls in a closed period.
	var id int64
	err = tx.GetContext(ctx, &id, `INSERT INTO supplier_bills (kind, supplier_id, number, credits_bill_id, bill_date,
		currency, subtotal, tax_amount, total, due_on, discount_on, discount_amount, status, note, entered_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'MATCHED', $13, $14) RETURNING id`,
		kind, in.SupplierID, in.Number, nullID(in.CreditsBillID), dateText(billDate), in.Currency, subtotal, in.TaxAmount,
		in.Total, dateText(due), datePtr(discOn), discount, strings.TrimSpace(in.Note), enteredBy)
	if postgres.IsUniqueViolation(err, "supplier_bills_number_key") {
		return Bill{}, apperr.Conflict("number", "bill %s of this supplier was already entered", in.Number).WithReason("DUPLICATE")
	}
	if err != nil {
		return Bill{}, err
	}
	for _, l := range lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_bill_lines (bill_id, position, order_line_id, description,
			quantity, unit_price, amount) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, l.Position, l.OrderLineID, l.Description, l.Quantity, l.UnitPrice, l.Amount); err != nil {
			return Bill{}, err
		}
	}
	b, err := loadBill(ctx, tx, id, false)
	if err != nil {
		return Bill{}, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "payables.bill_entered", Entity: "supplier_bill", EntityID: id, After: b}); err != nil {
		return Bill{}, err
	}
	if kind == KindCreditNote {
		// A credit note is nothing to match; it reduces what the credited bill's lines
		// count as billed, so the credited bill is matched again.
		if _, err := s.match(ctx, tx, credited.ID); err != nil {
			return Bill{}, err
		}
		return loadBill(ctx, tx, id, false)
	}
	return s.match(ctx, tx, id)
}

// lockSuppliers serialises the entry of bills for each of ids (until tx ends), so that a
// bill's id, which decides which of two bills for the same goods claims them first (see
// match), is assigned only after the other has committed and can be seen. Without it two
// bills entered at once could each match, the later one first. ids are locked in order,
// so that imports naming several suppliers cannot deadlock.
func lockSuppliers(ctx context.Context, tx *sqlx.Tx, ids ...int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('payables:supplier:' || $1::text, 0))`,
			id); err != nil {
			return fmt.Errorf("lock supplier %d's bills: %w", id, err)
		}
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func datePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := dateText(*t)
	return &s
}

// Bill returns bill id with its lines. Accountants and managers. Errors: NotFound.
func (s *Service) Bill(ctx context.Context, id int64) (Bill, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return Bill{}, err
	}
	return loadBill(ctx, s.db, id, false)
}

// BillFilter selects bills and, for Bills, a page of them.
type BillFilter struct {
	SupplierID int64
	Statuses   []Status
	Kind       Kind
	// Number selects the bill so numbered, whatever its case.
	Number string
	// After is the Next of the previous page ("" for the first page). Bills only.
	After string
	// First is the page size, 1 to MaxBillsPage (0: DefaultBillsPage). Bills only.
	First int
}

// Page sizes of Bills.
const (
	DefaultBillsPage = 50
	MaxBillsPage     = 500
)

// BillPage is a page of bills, the most recent first.
type BillPage struct {
	Bills []Bill `json:"bills"`
	// Next is the After of the next page, "" on the last page.
	Next string `json:"next"`
}

// OpenTotal is what the bills of a selection still owe in one currency, and on how many
// bills (those that owe something).
type OpenTotal struct {
	Currency string `db:"currency" json:"currency"`
	Amount   int64  `db:"amount" json:"amount"`
	Bills    int    `db:"bills" json:"bills"`
}

// where is f's selection as SQL conditions on supplier_bills b with their arguments
// (paging aside), so a list, its count and its totals select the same bills.
func (f BillFilter) where() (string, []any) {
	conds := []string{"TRUE"}
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.SupplierID != 0 {
		add("b.supplier_id = $%d", f.SupplierID)
	}
	if len(f.Statuses) > 0 {
		st := make(pq.StringArray, len(f.Statuses))
		for i, x := range f.Statuses {
			st[i] = string(x)
		}
		add("b.status = ANY($%d)", st)
	}
	if f.Kind != "" {
		add("b.kind = $%d", string(f.Kind))
	}
	if n := strings.TrimSpace(f.Number); n != "" {
		add("lower(b.number) = lower($%d)", n)
	}
	return strings.Join(conds, " AND "), args
}

// billCursor is where a page ending with b stops: its date and id, as "2026-05-01.42"
// (letters, digits, dots and dashes, so it travels in a URL as it is).
func billCursor(b Bill) string {
	return dateText(b.BillDate) + "." + strconv.FormatInt(b.ID, 10)
}

// parseBillCursor reads a cursor billCursor made, strictly: anything else is refused
// rather than read as some other place in the list.
func parseBillCursor(c string) (time.Time, int64, bool) {
	d, n, ok := strings.Cut(c, ".")
	if !ok {
		return time.Time{}, 0, false
	}
	date, err := time.Parse(time.DateOnly, d)
	if err != nil || dateText(date) != d {
		return time.Time{}, 0, false
	}
	id, err := strconv.ParseInt(n, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != n {
		return time.Time{}, 0, false
	}
	return date, id, true
}

// Bills lists a page of the bills f selects without their lines (Bill has them), the
// most recent first (by bill date, then the last entered). Pages are keyset: a page
// starts after the previous page's last bill, so bills entered meanwhile do not shift
// it. Accountants and managers. Errors: Forbidden, apperr.List (after, first).
func (s *Service) Bills(ctx context.Context, f BillFilter) (BillPage, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return BillPage{}, err
	}
	var errs apperr.List
	first := f.First
	if first == 0 {
		first = DefaultBillsPage
	}
	if first < 1 || first > MaxBillsPage {
		errs = append(errs, apperr.Invalid("first", "ask for 1 to %d bills a page (0 for %d)", MaxBillsPage, DefaultBillsPage))
	}
	where, args := f.where()
	if f.After != "" {
		date, id, ok := parseBillCursor(f.After)
		if !ok {
			errs = append(errs, apperr.Invalid("after", "the page position %q is not one the bills list gave: start again from the first page",
				f.After).WithReason("BAD_CURSOR"))
		}
		args = append(args, dateText(date), id)
		where += fmt.Sprintf(" AND (b.bill_date, b.id) < ($%d::date, $%d)", len(args)-1, len(args))
	}
	if len(errs) > 0 {
		return BillPage{}, errs
	}
	args = append(args, first+1)
	var page BillPage
	if err := s.db.SelectContext(ctx, &page.Bills, `SELECT `+billColumns+billFrom+` WHERE `+where+`
		ORDER BY b.bill_date DESC, b.id DESC LIMIT $`+strconv.Itoa(len(args)), args...); err != nil {
		return BillPage{}, err
	}
	if len(page.Bills) > first {
		page.Bills = page.Bills[:first]
		page.Next = billCursor(page.Bills[first-1])
	}
	return page, nil
}

// CountBills is how many bills f selects (After and First aside). Accountants and
// managers. Errors: Forbidden.
func (s *Service) CountBills(ctx context.Context, f BillFilter) (int, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return 0, err
	}
	where, args := f.where()
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM supplier_bills b WHERE `+where, args...)
	return n, err
}

// OpenTotals is what every bill f selects (After and First aside) still owes, per
// currency in alphabetical order, by the rule of Bill.Open: the total less credit notes
// against it, payments and discounts taken; nothing for credit notes and rejected bills.
// Currencies with nothing owed are left out. Accountants and managers. Errors: Forbidden.
func (s *Service) OpenTotals(ctx context.Context, f BillFilter) ([]OpenTotal, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	where, args := f.where()
	ts := []OpenTotal{}
	err := s.db.SelectContext(ctx, &ts, `SELECT b.currency, sum(o.open)::bigint AS amount, count(*) AS bills
		FROM supplier_bills b CROSS JOIN LATERAL (SELECT b.total
			- coalesce((SELECT sum(c.total) FROM supplier_bills c WHERE c.credits_bill_id = b.id), 0)
			- coalesce((SELECT sum(p.amount + p.discount) FROM supplier_payments p WHERE p.bill_id = b.id), 0) AS open) o
		WHERE `+where+` AND b.kind = 'BILL' AND b.status <> 'REJECTED' AND o.open > 0
		GROUP BY b.currency ORDER BY b.currency`, args...)
	return ts, err
}

func loadBill(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (Bill, error) {
	var b Bill
	if forUpdate {
		var one int
		if err := sqlx.GetContext(ctx, q, &one, `SELECT 1 FROM supplier_bills WHERE id = $1 FOR UPDATE`, id); err != nil {
			return Bill{}, postgres.NotFound(err, "no bill with id %d", id)
		}
	}
	if err := sqlx.GetContext(ctx, q, &b, `SELECT `+billColumns+billFrom+` WHERE b.id = $1`, id); err != nil {
		return Bill{}, postgres.NotFound(err, "no bill with id %d", id)
	}
	return b, withLines(ctx, q, &b)
}

func withLines(ctx context.Context, q sqlx.QueryerContext, b *Bill) error {
	return sqlx.SelectContext(ctx, q, &b.Lines, `SELECT l.id, l.position, l.order_line_id, ol.order_id, l.description,
		l.quantity, l.unit_price, l.amount, l.exceptions
		FROM supplier_bill_lines l LEFT JOIN purchase_order_lines ol ON ol.id = l.order_line_id
		WHERE l.bill_id = $1 ORDER BY l.position`, b.ID)
}
