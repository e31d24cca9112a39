package purchasing

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/money"
)

// pdfParty is a name and address block on the document.
type pdfParty struct {
	Name  string
	Lines []string
}

// OrderPDF renders purchase order id as an A4 PDF for its supplier: who orders, the
// supplier, where and when to deliver, the payment terms, the lines with the supplier's
// codes and the total. An order not yet approved is marked as not valid for supply, a
// cancelled one as cancelled. It is pure Go: in the PDF's standard Helvetica (Western
// European characters only; others show as dots) unless the service was given a Unicode
// font with WithPDFFont (e.g. one covering Chinese for Taiwanese suppliers).
// Errors: Unauthenticated, Forbidden, NotFound.
func (s *Service) OrderPDF(ctx context.Context, id int64) ([]byte, error) {
	if _, err := actor.RequireStaff(ctx, viewers...); err != nil {
		return nil, err
	}
	o, err := loadOrder(ctx, s.db, id, false)
	if err != nil {
		return nil, err
	}
	return renderOrderPDF(ctx, s.db, o, s.pdfFont)
}

// renderOrderPDF draws o, in font (a TrueType font's bytes) when given, else in the PDF's
// standard Helvetica.
func renderOrderPDF(ctx context.Context, q sqlx.QueryerContext, o Order, font []byte) ([]byte, error) {
	var sup Supplier
	if err := sqlx.GetContext(ctx, q, &sup, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, o.SupplierID); err != nil {
		return nil, err
	}
	var company string
	if err := sqlx.GetContext(ctx, q, &company, `SELECT company FROM settings`); err != nil {
		return nil, err
	}
	var loc struct {
		Name  string `db:"name"`
		Line1 string `db:"address_line1"`
		Line2 string `db:"address_line2"`
		City  string `db:"city"`
		Post  string `db:"postal_code"`
		Ctry  string `db:"country"`
		Phone string `db:"phone"`
	}
	if err := sqlx.GetContext(ctx, q, &loc, `SELECT name, address_line1, address_line2, city, postal_code, country, phone
		FROM locations WHERE id = $1`, o.LocationID); err != nil {
		return nil, err
	}
	supplier := pdfParty{Name: sup.Name, Lines: nonEmpty(
		prefixed("Attn: ", sup.ContactName), sup.Address, prefixed("Email: ", sup.Email), prefixed("Phone: ", sup.Phone))}
	deliver := pdfParty{Name: fmt.Sprintf("%s (%s)", loc.Name, o.LocationCode), Lines: nonEmpty(
		loc.Line1, loc.Line2, strings.TrimSpace(loc.Post+" "+loc.City), loc.Ctry, prefixed("Phone: ", loc.Phone))}

	issued := o.CreatedAt
	if o.SentAt != nil {
		issued = *o.SentAt
	} else if o.ApprovedAt != nil {
		issued = *o.ApprovedAt
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	family, tr := "Helvetica", pdf.UnicodeTranslatorFromDescriptor("")
	if font != nil {
		// A Unicode TrueType font: text goes in as UTF-8, in any script the font covers.
		family, tr = "Unicode", func(s string) string { return s }
		pdf.AddUTF8FontFromBytes(family, "", font)
		pdf.AddUTF8FontFromBytes(family, "B", font)
	}
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetTitle(o.Number(), true)
	pdf.SetAuthor(company, true)
	pdf.SetCreator("Atrium", true)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("")

	// Table columns: #, supplier code, our SKU, description, qty, unit cost, amount.
	widths := []float64{8, 28, 28, 54, 16, 24, 22}
	heads := []string{"#", "Your code", "Our SKU", "Description", "Qty", "Unit cost", "Amount"}
	aligns := []string{"R", "L", "L", "L", "R", "R", "R"}
	tableHead := func() {
		pdf.SetFont(family, "B", 8.5)
		pdf.SetFillColor(235, 235, 235)
		for i, h := range heads {
			pdf.CellFormat(widths[i], 7, h, "TB", 0, aligns[i], true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont(family, "", 8.5)
	}
	inTable := false
	pdf.SetHeaderFunc(func() {
		if pdf.PageNo() > 1 {
			pdf.SetFont(family, "B", 9)
			pdf.CellFormat(0, 6, tr(fmt.Sprintf("%s  %s (continued)", company, o.Number())), "", 1, "L", false, 0, "")
			pdf.Ln(2)
			if inTable {
				tableHead()
			}
		}
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetFont(family, "", 7.5)
		pdf.SetTextColor(100, 100, 100)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("Please quote %s on your delivery note and invoice.", o.Number())), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 5, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	// Title block.
	pdf.SetFont(family, "B", 16)
	pdf.CellFormat(110, 9, tr(company), "", 0, "L", false, 0, "")
	pdf.CellFormat(0, 9, "PURCHASE ORDER", "", 1, "R", false, 0, "")
	pdf.SetFont(family, "", 10)
	pdf.CellFormat(110, 6, "", "", 0, "L", false, 0, "")
	pdf.CellFormat(0, 6, o.Number(), "", 1, "R", false, 0, "")
	if mark := pdfMark(o.Status); mark != "" {
		pdf.SetFont(family, "B", 11)
		pdf.SetTextColor(180, 30, 30)
		pdf.CellFormat(0, 7, mark, "", 1, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
	pdf.Ln(4)

	// Parties, side by side.
	top := pdf.GetY()
	block := func(x float64, title string, p pdfParty) float64 {
		pdf.SetXY(x, top)
		pdf.SetFont(family, "B", 8)
		pdf.SetTextColor(100, 100, 100)
		pdf.CellFormat(85, 5, title, "", 2, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.SetFont(family, "B", 10)
		pdf.MultiCell(85, 5, tr(p.Name), "", "L", false)
		pdf.SetFont(family, "", 9)
		for _, l := range p.Lines {
			pdf.SetX(x)
			pdf.MultiCell(85, 4.5, tr(l), "", "L", false)
		}
		return pdf.GetY()
	}
	y1 := block(15, "SUPPLIER", supplier)
	y2 := block(110, "DELIVER TO", deliver)
	pdf.SetXY(15, max(y1, y2)+5)

	// Terms.
	expected := "to be confirmed"
	if o.ExpectedOn != nil {
		expected = o.ExpectedOn.Format(time.DateOnly)
	}
	facts := [][2]string{
		{"Order date", issued.UTC().Format(time.DateOnly)},
		{"Delivery date", expected},
		{"Currency", o.Currency},
		{"Payment terms", sup.PaymentTerms.String()},
	}
	for _, f := range facts {
		pdf.SetFont(family, "B", 9)
		pdf.CellFormat(32, 5.5, f[0], "", 0, "L", false, 0, "")
		pdf.SetFont(family, "", 9)
		pdf.CellFormat(0, 5.5, tr(f[1]), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)

	// Lines.
	tableHead()
	inTable = true
	for i, l := range o.Lines {
		cells := []string{fmt.Sprint(i + 1), l.SupplierSKU, l.SKU, l.Title, fmt.Sprint(l.Quantity),
			l.UnitCost.StringFixed(int32(max(2, unitCostDecimals(l)))), fixedAmount(l.Total(o.Currency), o.Currency)}
		for j, c := range cells {
			pdf.CellFormat(widths[j], 6, fitText(pdf, c, widths[j]-2, tr), "B", 0, aligns[j], false, 0, "")
		}
		pdf.Ln(-1)
	}
	inTable = false
	pdf.SetFont(family, "B", 10)
	sum := 0.0
	for _, w := range widths[:5] {
		sum += w
	}
	pdf.CellFormat(sum, 8, "Total "+o.Currency, "", 0, "R", false, 0, "")
	pdf.CellFormat(widths[5]+widths[6], 8, fixedAmount(o.Total(), o.Currency), "", 1, "R", false, 0, "")

	if o.Note != "" {
		pdf.Ln(4)
		pdf.SetFont(family, "B", 9)
		pdf.CellFormat(0, 5, "Notes", "", 1, "L", false, 0, "")
		pdf.SetFont(family, "", 9)
		pdf.MultiCell(0, 4.5, tr(o.Note), "", "L", false)
	}

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render %s as PDF: %w", o.Number(), err)
	}
	return buf.Bytes(), nil
}

// pdfMark is the warning printed on an order that is not (or no longer) an order.
func pdfMark(st Status) string {
	switch {
	case slices.Contains([]Status{Draft, Submitted, Rejected}, st):
		return "NOT APPROVED - NOT VALID FOR SUPPLY"
	case st == Cancelled:
		return "CANCELLED - DO NOT SUPPLY"
	}
	return ""
}

// unitCostDecimals is how many decimals a line's unit cost needs (at most 4).
func unitCostDecimals(l Line) int {
	for d := 0; d < 4; d++ {
		if l.UnitCost.Equal(l.UnitCost.Truncate(int32(d))) {
			return d
		}
	}
	return 4
}

// fixedAmount is an amount for a document's columns: grouped, with every minor digit of
// the currency and no symbol ("61,536.25", "240.00"), so the figures line up.
func fixedAmount(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	exp := money.MinorDigits(currency)
	unit := int64(1)
	for range exp {
		unit *= 10
	}
	s := sign + money.GroupThousands(strconv.FormatInt(amount/unit, 10))
	if exp > 0 {
		s += fmt.Sprintf(".%0*d", exp, amount%unit)
	}
	return s
}

// fitText cuts s to width w with an ellipsis mark, and translates it for the font (tr).
func fitText(pdf *fpdf.Fpdf, s string, w float64, tr func(string) string) string {
	if pdf.GetStringWidth(tr(s)) <= w {
		return tr(s)
	}
	r := []rune(s)
	for len(r) > 1 && pdf.GetStringWidth(tr(string(r)+"...")) > w {
		r = r[:len(r)-1]
	}
	return tr(string(r) + "...")
}

// WithPDFFont makes order PDFs use a TrueType font (its bytes, e.g. a font covering
// Chinese), in place of Helvetica; CheckPDFFont tells whether the bytes will do.
func WithPDFFont(ttf []byte) Option {
	return func(s *Service) { s.pdfFont = ttf }
}

// CheckPDFFont reports whether ttf is a TrueType font order PDFs can be drawn in.
func CheckPDFFont(ttf []byte) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("Unicode", "", ttf)
	pdf.AddPage()
	pdf.SetFont("Unicode", "", 10)
	pdf.CellFormat(0, 5, "PO-000001", "", 1, "L", false, 0, "")
	if err := pdf.Output(io.Discard); err != nil {
		return fmt.Errorf("the PDF font cannot be used: %w", err)
	}
	return nil
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func nonEmpty(ss ...string) []string {
	return slices.DeleteFunc(ss, func(s string) bool { return strings.TrimSpace(s) == "" })
}
