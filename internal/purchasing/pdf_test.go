package purchasing_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"atrium/internal/notify"
	"atrium/internal/notify/smtpsink"
	"atrium/internal/purchasing"
)

// pdfText returns the text drawn on each page of a PDF written by fpdf: the content of
// its (deflated) streams, with the strings of the text operators.
func pdfText(t *testing.T, doc []byte) string {
	t.Helper()
	var out strings.Builder
	streams := regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`).FindAllSubmatch(doc, -1)
	for _, s := range streams {
		r, err := zlib.NewReader(bytes.NewReader(s[1]))
		if err != nil {
			out.Write(s[1])
			continue
		}
		b, err := io.ReadAll(r)
		if err != nil {
			continue
		}
		for _, m := range regexp.MustCompile(`\((.*?)\)\s*Tj`).FindAllSubmatch(b, -1) {
			out.WriteString(unescape.Replace(string(m[1])))
			out.WriteByte('\n')
		}
	}
	return out.String()
}

// unescape undoes the escapes of a PDF string.
var unescape = strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`)

func TestOrderPDF(t *testing.T) {
	f := newFixture(t)
	tee, sku := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "99.125", 1, 1)

	t.Run("a sent order", func(t *testing.T) {
		o := f.sent(t, "WH-TAO", line(tee, 8))
		doc, err := f.svc.OrderPDF(f.as("buyer"), o.ID)
		must(t, err)
		if !bytes.HasPrefix(doc, []byte("%PDF-")) || !bytes.Contains(doc[len(doc)-10:], []byte("%%EOF")) {
			t.Fatalf("not a PDF: %q...", doc[:min(20, len(doc))])
		}
		text := pdfText(t, doc)
		for _, want := range []string{"PURCHASE ORDER", o.Number(), "Formosa Garments", "Attn: Mr. Lee",
			"Taoyuan Central Warehouse (WH-TAO)", "net 30", sku, "S-" + itoa(tee), "99.125", "793.00", "Total TWD", "Page 1 of 1"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text has no %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "NOT VALID") {
			t.Errorf("a sent order is marked as not valid")
		}
	})

	t.Run("a draft is marked and long orders run over pages", func(t *testing.T) {
		var lines []purchasing.LineInput
		for range 70 {
			v, _ := f.variant(t, f.apparel)
			f.item(t, f.supplier.ID, v, "10", 1, 1)
			lines = append(lines, line(v, 1))
		}
		o := f.draft(t, "TPE-01", lines...)
		doc, err := f.svc.OrderPDF(f.as("manager"), o.ID)
		must(t, err)
		text := pdfText(t, doc)
		if !strings.Contains(text, "NOT APPROVED - NOT VALID FOR SUPPLY") {
			t.Errorf("draft not marked")
		}
		pages := len(regexp.MustCompile(`Page \d+ of \d+`).FindAllString(text, -1))
		if pages < 2 || !strings.Contains(text, fmt.Sprintf("Page %d of %d", pages, pages)) {
			t.Fatalf("70 lines on %d pages:\n%s", pages, text)
		}
		if n := strings.Count(text, "(continued)"); n != pages-1 {
			t.Errorf("%d continued headers on %d pages", n, pages)
		}
		if n := strings.Count(text, "Your code"); n != pages {
			t.Errorf("table head printed %d times on %d pages, want once per page", n, pages)
		}
		if !strings.Contains(text, "700.00") {
			t.Errorf("no total 700.00")
		}
	})

	t.Run("long and accented text fits its column", func(t *testing.T) {
		v, _ := f.variant(t, f.apparel)
		must(t, exec(f, `UPDATE variants SET title = 'Café crème brûlée gift tin, limited winter edition' WHERE id = $1`, v))
		f.item(t, f.supplier.ID, v, "10", 1, 1)
		o := f.draft(t, "WH-TAO", line(v, 1))
		doc, err := f.svc.OrderPDF(f.as("buyer"), o.ID)
		must(t, err)
		text := pdfText(t, doc)
		// Helvetica's code page (Windows-1252) has é and è: they are written as such, and the
		// title is cut with an ellipsis.
		if !strings.Contains(text, "Caf\xe9 cr\xe8me") || strings.Contains(text, "winter edition") || !strings.Contains(text, "...") {
			t.Errorf("title not encoded and cut:\n%q", text)
		}
	})

	t.Run("a Unicode font", func(t *testing.T) {
		const path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
		ttf, err := os.ReadFile(path)
		if err != nil {
			t.Skipf("no TrueType font at %s to try", path)
		}
		if err := purchasing.CheckPDFFont([]byte("not a font")); err == nil {
			t.Errorf("CheckPDFFont accepts garbage")
		}
		must(t, purchasing.CheckPDFFont(ttf))
		svc := purchasing.NewService(f.db, purchasing.WithPDFFont(ttf))
		must(t, exec(f, `UPDATE suppliers SET name = 'Ελληνικά Υφάσματα' WHERE id = $1`, f.supplier.ID))
		o := f.draft(t, "WH-TAO", line(tee, 3))
		doc, err := svc.OrderPDF(f.as("buyer"), o.ID)
		must(t, err)
		if !bytes.Contains(doc, []byte("/CIDFontType2")) || !bytes.Contains(doc, []byte("/FontFile2")) {
			t.Errorf("the Unicode font is not embedded")
		}
	})

	t.Run("staff only", func(t *testing.T) {
		_, err := f.svc.OrderPDF(t.Context(), 1)
		wantErr(t, err, "UNAUTHENTICATED", "")
	})
}

func exec(f *fixture, query string, args ...any) error {
	_, err := f.db.Exec(query, args...)
	return err
}

// TestSupplierReceivesThePDF sends an order and delivers the outbox through a real SMTP
// conversation: the supplier's mail carries the order's PDF, as the buyer downloads it.
func TestSupplierReceivesThePDF(t *testing.T) {
	f := newFixture(t)
	tee, _ := f.variant(t, f.apparel)
	f.item(t, f.supplier.ID, tee, "100", 1, 1)
	o := f.sent(t, "WH-TAO", line(tee, 12))
	sink := smtpsink.Start(t)
	d := notify.NewDispatcher(f.db, notify.SMTPSender{Addr: sink.Addr(), From: "Atrium <buying@atrium.example.com>"},
		slog.New(slog.DiscardHandler))
	for {
		n, err := d.DispatchDue(context.Background())
		must(t, err)
		if n == 0 {
			break
		}
	}
	var mail *smtpsink.Mail
	for _, m := range sink.Mails() {
		if len(m.To) == 1 && m.To[0] == "orders@formosa.example" {
			mail = &m
		}
	}
	if mail == nil {
		t.Fatalf("the supplier got no mail; the sink has %d", len(sink.Mails()))
	}
	if !strings.Contains(mail.Body, o.Number()) || !strings.Contains(mail.Body, "attached as a PDF") {
		t.Errorf("body %q", mail.Body)
	}
	if len(mail.Attachments) != 1 {
		t.Fatalf("attachments %+v, want the order's PDF", mail.Attachments)
	}
	a := mail.Attachments[0]
	if a.Filename != o.Number()+".pdf" || a.ContentType != "application/pdf" || !bytes.HasPrefix(a.Data, []byte("%PDF-")) {
		t.Errorf("attachment %s %s starting %q", a.Filename, a.ContentType, a.Data[:min(8, len(a.Data))])
	}
	text := pdfText(t, a.Data)
	if !strings.Contains(text, o.Number()) || strings.Contains(text, "NOT VALID FOR SUPPLY") {
		t.Errorf("the attached PDF reads %q", text)
	}
}
