package payables

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/money"
	"atrium/internal/notify"
)

// KindRemittance is the notification that sends a supplier the remittance advice of a
// payment run.
const KindRemittance = "REMITTANCE_ADVICE"

// RemittancePDF renders the remittance advice of payment run runID for one supplier: the
// bills the run pays, each with its amount, the discount taken and what is paid, and the
// total transferred, so the supplier can apply the money to their invoices. A4, in
// Helvetica unless the service has a Unicode font (WithPDFFont). Accountants and
// managers. Errors: NotFound (no payment to the supplier in the run).
func (s *Service) RemittancePDF(ctx context.Context, runID, supplierID int64) ([]byte, error) {
	if _, err := actor.RequireStaff(ctx, payers...); err != nil {
		return nil, err
	}
	return s.remittancePDF(ctx, s.db, runID, supplierID)
}

// sendRemittances emails every supplier paid by run runID its remittance advice through
// the outbox, in tx (the run's transaction), once per run and supplier. Suppliers without
// an email address get none; their advice is on the run's page.
func (s *Service) sendRemittances(ctx context.Context, tx *sqlx.Tx, runID int64) error {
	var sups []struct {
		ID      int64  `db:"id"`
		Email   string `db:"email"`
		Company string `db:"company"`
	}
	if err := tx.SelectContext(ctx, &sups, `SELECT DISTINCT su.id, su.email, (SELECT company FROM settings) AS company
		FROM supplier_payments p JOIN suppliers su ON su.id = p.supplier_id
		WHERE p.run_id = $1 AND su.email <> '' ORDER BY su.id`, runID); err != nil {
		return err
	}
	for _, su := range sups {
		pdf, err := s.remittancePDF(ctx, tx, runID, su.ID)
		if err != nil {
			return fmt.Errorf("remittance advice: %w", err)
		}
		ref := fmt.Sprintf("RUN-%d", runID)
		if _, err := notify.Enqueue(ctx, tx, notify.Message{Kind: KindRemittance, To: su.Email,
			Subject: fmt.Sprintf("Remittance advice %s from %s", ref, su.Company),
			Body: fmt.Sprintf("Dear supplier,\n\nwe have paid the invoices listed in the attached remittance advice "+
				"(reference %s). Please apply the payment to them.\n\n%s accounts payable", ref, su.Company),
			Reference: "PAYMENT_RUN:" + strconv.FormatInt(runID, 10), DedupeKey: remittanceKey(runID, su.ID),
			Attachments: []notify.Attachment{{Filename: fmt.Sprintf("remittance-%s.pdf", ref), ContentType: "application/pdf",
				Data: pdf}}}); err != nil {
			return err
		}
	}
	return nil
}

// remittanceKey is the outbox's dedupe key of run runID's advice to supplier supplierID.
func remittanceKey(runID, supplierID int64) string {
	return fmt.Sprintf("REMITTANCE:%d:%d", runID, supplierID)
}

// remittancePDF renders the advice from q (the run's transaction, or the pool).
func (s *Service) remittancePDF(ctx context.Context, q sqlx.QueryerContext, runID, supplierID int64) ([]byte, error) {
	var pays []struct {
		Payment
		BillDate  time.Time `db:"bill_date"`
		BillTotal int64     `db:"total"`
	}
	if err := sqlx.SelectContext(ctx, q, &pays, `SELECT `+paymentColumns+`, b.bill_date, b.total
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
	if err := sqlx.GetContext(ctx, q, &head, `SELECT (SELECT company FROM settings) AS company, su.name, su.address, su.code,
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
