package payables

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/money"
)

// RemittancePDF renders the remittance advice of payment run runID for one supplier: the
// bills the run pays, each with its amount, the discount taken and what is paid, and the
// total transferred, so the supplier can apply the money to their invoices. A4, in
// Helvetica unless the service has a Unicode font (WithPDFFont). Accountants and
// managers. Errors: NotFound (no payment to the supplier in the run).
func (s *Service) RemittancePDF(ctx context.Context, runID, supplierID int64) ([]byte, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	var pays []struct {
		Payment
		BillDate  time.Time `db:"bill_date"`
		BillTotal int64     `db:"total"`
	}
	if err := s.db.SelectContext(ctx, &pays, `SELECT `+paymentColumns+`, b.bill_date, b.total
		FROM supplier_payments p JOIN supplier_bills b ON b.id = p.bill_id
		WHERE p.run_id = $1 AND p.supplier_id = $2 ORDER BY b.bill_date, b.id`, runID, supplierID); err != nil {
		return nil, err
	}
	if len(pays) == 0 {
		return nil, apperr.NotFound("payment run %d paid nothing to supplier %d", runID, supplierID)
	}
	var head struct {
		Company  string    `db:"company"`
		Name     string    `db:"name"`
		Address  string    `db:"address"`
		Code     string    `db:"code"`
		PayDate  time.Time `db:"pay_date"`
		Currency string    `db:"currency"`
	}
	if err := s.db.GetContext(ctx, &head, `SELECT (SELECT company FROM settings) AS company, su.name, su.address, su.code,
		r.pay_date, su.currency FROM suppliers su, payment_runs r WHERE su.id = $1 AND r.id = $2`, supplierID, runID); err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	font := "Helvetica"
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	if s.pdfFont != nil {
		pdf.AddUTF8FontFromBytes("Unicode", "", s.pdfFont)
		font, tr = "Unicode", func(s string) string { return s }
	}
	pdf.SetTitle(fmt.Sprintf("Remittance advice RUN-%d", runID), true)
	pdf.AddPage()
	pdf.SetFont(font, "", 16)
	pdf.CellFormat(0, 9, tr("Remittance advice"), "", 1, "L", false, 0, "")
	pdf.SetFont(font, "", 10)
	for _, l := range []string{head.Company, "", "To: " + head.Name + " (" + head.Code + ")", head.Address,
		fmt.Sprintf("Payment date: %s    Reference: RUN-%d", dateText(head.PayDate), runID)} {
		pdf.CellFormat(0, 5, tr(l), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	widths := []float64{45, 30, 35, 35, 35}
	row := func(cells []string, border string) {
		for i, c := range cells {
			align := "R"
			if i < 2 {
				align = "L"
			}
			pdf.CellFormat(widths[i], 7, tr(c), border, 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	row([]string{"Your invoice", "Date", "Invoice amount", "Discount", "Paid"}, "B")
	var paid, discount int64
	for _, p := range pays {
		row([]string{p.BillNumber, dateText(p.BillDate), money.Format(p.BillTotal, p.Currency),
			money.Format(p.Discount, p.Currency), money.Format(p.Amount, p.Currency)}, "")
		paid += p.Amount
		discount += p.Discount
	}
	row([]string{"Total", "", "", money.Format(discount, head.Currency), money.Format(paid, head.Currency)}, "T")
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
