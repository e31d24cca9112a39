package payables

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/money"
	"atrium/internal/postgres"
)

// CSVColumns are the columns of a bill import, in any order, named in a header row. Each
// row is one bill line with its bill's header columns repeated; rows with the same
// supplier_code and bill_number form one bill. Amounts are in major units ("1,050.00");
// credits_bill_number makes the bill a credit note against that bill of the supplier;
// po_number with sku (ours, or the supplier's) names the order line, both empty make a
// charge described by description.
var CSVColumns = []string{"supplier_code", "bill_number", "bill_date", "currency", "tax_amount", "total",
	"credits_bill_number", "po_number", "sku", "description", "quantity", "unit_price"}

var requiredColumns = []string{"supplier_code", "bill_number", "bill_date", "currency", "tax_amount", "total",
	"quantity", "unit_price"}

// RowError is one problem of an import: Row is the line of the file (the header is row
// 1), Column the column name (empty for the whole row).
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// ImportError lists every problem of an import; nothing was saved.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	if len(e.Rows) == 0 {
		return "import failed"
	}
	r := e.Rows[0]
	msg := fmt.Sprintf("row %d, %s: %s", r.Row, r.Column, r.Message)
	if len(e.Rows) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(e.Rows)-1)
	}
	return msg
}

// csvBill is a bill being assembled from rows.
type csvBill struct {
	in       BillInput
	header   []string // the header columns of its first row, to compare the others with
	rows     []int    // file row of each line
	credits  string
	supplier string
}

// ImportBills reads bills and credit notes from CSV (see CSVColumns) and enters them all
// in one transaction, each matched as EnterBill does. When any row is wrong nothing is
// saved and the error is an *ImportError listing every problem by row and column.
// Accountants and managers.
func (s *Service) ImportBills(ctx context.Context, r io.Reader) ([]Bill, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	records, err := cr.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &ImportError{Rows: []RowError{{Row: pe.Line, Message: "the file is not valid CSV: " + pe.Err.Error()}}}
		}
		return nil, err
	}
	if len(records) < 2 {
		return nil, &ImportError{Rows: []RowError{{Row: 1, Message: "the file needs a header row (" + strings.Join(CSVColumns, ",") + ") and at least one line"}}}
	}
	col := map[string]int{}
	var errs []RowError
	for i, h := range records[0] {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(CSVColumns, h) {
			errs = append(errs, RowError{Row: 1, Column: h, Message: "unknown column: use only " + strings.Join(CSVColumns, ", ")})
			continue
		}
		col[h] = i
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			errs = append(errs, RowError{Row: 1, Column: c, Message: "add this column to the header row"})
		}
	}
	if len(errs) > 0 {
		return nil, &ImportError{Rows: errs}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Bill
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var bills []*csvBill
		byKey := map[string]*csvBill{}
		for n, rec := range records[1:] {
			row := n + 2
			if strings.Join(rec, "") == "" {
				continue
			}
			fail := func(c, format string, args ...any) {
				errs = append(errs, RowError{Row: row, Column: c, Message: fmt.Sprintf(format, args...)})
			}
			headerCols := []string{"bill_date", "currency", "tax_amount", "total", "credits_bill_number"}
			header := make([]string, len(headerCols))
			for i, c := range headerCols {
				header[i] = get(rec, c)
			}
			code, number := strings.ToUpper(get(rec, "supplier_code")), get(rec, "bill_number")
			key := code + "\x00" + strings.ToLower(number)
			b, seen := byKey[key]
			if seen {
				for i, c := range headerCols {
					if header[i] != b.header[i] {
						fail(c, "bill %s has %q here but %q on row %d: repeat the same bill columns on each of its rows", number, header[i], b.header[i], b.rows[0])
					}
				}
			} else {
				b = &csvBill{header: header, supplier: code, credits: get(rec, "credits_bill_number")}
				b.in.Number = number
				byKey[key] = b
				bills = append(bills, b)
				if code == "" {
					fail("supplier_code", "enter the supplier's code")
				} else if err := tx.GetContext(ctx, &b.in.SupplierID, `SELECT id FROM suppliers WHERE code = $1`, code); err != nil {
					fail("supplier_code", "no supplier with code %s: check the code in Suppliers", code)
				}
				d, err := time.Parse(time.DateOnly, get(rec, "bill_date"))
				if err != nil {
					fail("bill_date", "write the date as YYYY-MM-DD, e.g. 2026-03-31")
				}
				b.in.BillDate = d
				b.in.Currency = strings.ToUpper(get(rec, "currency"))
				if len(b.in.Currency) != 3 {
					fail("currency", "write the three-letter currency code, e.g. TWD")
				} else {
					amount := func(c string, dst *int64) {
						v, ok := money.Parse(get(rec, c), b.in.Currency)
						if !ok {
							fail(c, "write the amount in %s as printed, e.g. 1050 or 1,050.00", b.in.Currency)
						}
						*dst = v
					}
					amount("tax_amount", &b.in.TaxAmount)
					amount("total", &b.in.Total)
				}
			}
			b.rows = append(b.rows, row)
			l := BillLineInput{Description: get(rec, "description")}
			q, err := strconv.Atoi(get(rec, "quantity"))
			if err != nil {
				fail("quantity", "write the quantity as a whole number, e.g. 12")
			}
			l.Quantity = q
			if l.UnitPrice, err = decimal.NewFromString(strings.ReplaceAll(get(rec, "unit_price"), ",", "")); err != nil {
				fail("unit_price", "write the unit price as a number, e.g. 125.50")
			}
			po, sku := strings.ToUpper(get(rec, "po_number")), get(rec, "sku")
			switch {
			case po == "" && sku == "":
			case po == "" || sku == "":
				fail("po_number", "give both po_number and sku to bill goods on an order, or neither for a charge")
			default:
				id, err := strconv.ParseInt(strings.TrimLeft(strings.TrimPrefix(po, "PO-"), "0"), 10, 64)
				if err != nil {
					fail("po_number", "write the order number as PO-000042")
					break
				}
				err = tx.GetContext(ctx, &l.OrderLineID, `SELECT ol.id FROM purchase_order_lines ol
					JOIN variants v ON v.id = ol.variant_id
					WHERE ol.order_id = $1 AND (v.sku = $2 OR ol.supplier_sku = $2) ORDER BY ol.position LIMIT 1`, id, sku)
				if err != nil {
					fail("sku", "%s has no line for %s: check the order and the SKU", po, sku)
				}
			}
			b.in.Lines = append(b.in.Lines, l)
		}
		if len(errs) > 0 {
			return &ImportError{Rows: errs}
		}
		sups := make([]int64, len(bills))
		for i, b := range bills {
			sups[i] = b.in.SupplierID
		}
		if err := lockSuppliers(ctx, tx, sups...); err != nil {
			return err
		}
		for _, b := range bills {
			if b.credits != "" {
				if err := tx.GetContext(ctx, &b.in.CreditsBillID, `SELECT id FROM supplier_bills
					WHERE supplier_id = $1 AND lower(number) = lower($2) AND kind = 'BILL'`, b.in.SupplierID, b.credits); err != nil {
					errs = append(errs, RowError{Row: b.rows[0], Column: "credits_bill_number",
						Message: fmt.Sprintf("no bill %s of %s to credit: enter or import the bill first", b.credits, b.supplier)})
					continue
				}
			}
			got, err := s.enterBill(ctx, tx, b.in)
			if err != nil {
				es, ok := apperr.Errors(err)
				if !ok {
					return err
				}
				for _, e := range es {
					errs = append(errs, rowError(b, e))
				}
				continue
			}
			out = append(out, got)
		}
		if len(errs) > 0 {
			return &ImportError{Rows: errs}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fieldColumns name the CSV column of EnterBill's fields.
var fieldColumns = map[string]string{"supplierId": "supplier_code", "number": "bill_number", "billDate": "bill_date",
	"currency": "currency", "taxAmount": "tax_amount", "total": "total", "creditsBillId": "credits_bill_number",
	"lines": "bill_number", "orderLineId": "po_number", "quantity": "quantity", "unitPrice": "unit_price",
	"description": "description"}

// rowError places an EnterBill error on its row: line errors on the line's row, bill
// errors on the bill's first row.
func rowError(b *csvBill, e *apperr.Error) RowError {
	re := RowError{Row: b.rows[0], Message: e.Message}
	f := e.Field
	if len(f) == 3 && f[0] == "lines" {
		if i, err := strconv.Atoi(f[1]); err == nil && i < len(b.rows) {
			re.Row = b.rows[i]
		}
		f = f[2:]
	}
	if len(f) > 0 {
		re.Column = fieldColumns[f[0]]
	}
	return re
}
