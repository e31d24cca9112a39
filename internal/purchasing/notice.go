package purchasing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/notify"
)

// Notification kinds this package enqueues.
const (
	// KindPurchaseOrder is the order emailed to the supplier when it is sent.
	KindPurchaseOrder = "PURCHASE_ORDER"
	// KindGoodsArriving tells the receiving location what arrives when.
	KindGoodsArriving = "GOODS_ARRIVING"
	// KindGoodsReceived tells the receiving location's staff what a receipt put on hand.
	KindGoodsReceived = "GOODS_RECEIVED"
)

// locationRecipients returns who is told about goods for a location: locations have no
// address of their own, so its managers (active staff based there with the MANAGER role
// and an email), or, where it has none (a warehouse), every active staff member based
// there with an email. Sorted, so messages are enqueued in a stable order.
func locationRecipients(ctx context.Context, q sqlx.QueryerContext, locationID int64) ([]string, error) {
	var emails []string
	err := sqlx.SelectContext(ctx, q, &emails, `
		WITH here AS (
			SELECT lower(email) AS email, 'MANAGER' = ANY(roles) AS manager FROM staff
			WHERE active AND home_location_id = $1 AND email IS NOT NULL AND email <> '')
		SELECT DISTINCT email FROM here
		WHERE manager OR NOT EXISTS (SELECT 1 FROM here WHERE manager)
		ORDER BY email`, locationID)
	if err != nil {
		return nil, fmt.Errorf("location recipients: %w", err)
	}
	return emails, nil
}

// linesText lists an order's lines for an email, with what is still to come.
func linesText(o Order, outstanding bool) string {
	var b strings.Builder
	for _, l := range o.Lines {
		qty := l.Quantity
		if outstanding {
			qty = l.Outstanding()
			if qty == 0 {
				continue
			}
		}
		fmt.Fprintf(&b, "  %-20s %-40s %6d\n", l.SKU, l.Title, qty)
	}
	return b.String()
}

// noticeArriving tells the receiving location's staff what o brings and when. It returns
// how many were told (0 when nobody there has an email address).
func (s *Service) noticeArriving(ctx context.Context, ext sqlx.ExtContext, o Order) (int, error) {
	to, err := locationRecipients(ctx, ext, o.LocationID)
	if err != nil {
		return 0, err
	}
	date := o.ExpectedOn.Format(time.DateOnly)
	body := fmt.Sprintf("Purchase order %s from %s is on its way to %s, expected on %s:\n\n%s\nReceive it against %s when it arrives.",
		o.Number(), o.SupplierName, o.LocationCode, date, linesText(o, true), o.Number())
	return len(to), enqueueAll(ctx, ext, to, notify.Message{Kind: KindGoodsArriving,
		Subject: fmt.Sprintf("%s: goods from %s arriving at %s on %s", o.Number(), o.SupplierName, o.LocationCode, date),
		Body:    body, Reference: reference(o.ID)}, fmt.Sprintf("%s:ARRIVING:%s", reference(o.ID), date))
}

// noticeReceived tells the receiving location's staff what receipt r put on hand. It
// returns how many were told.
func (s *Service) noticeReceived(ctx context.Context, ext sqlx.ExtContext, o Order, r Receipt) (int, error) {
	to, err := locationRecipients(ctx, ext, o.LocationID)
	if err != nil {
		return 0, err
	}
	var b strings.Builder
	for _, l := range r.Lines {
		fmt.Fprintf(&b, "  %-20s accepted %6d", l.SKU, l.Accepted)
		if l.Lot != nil {
			fmt.Fprintf(&b, "  lot %s", *l.Lot)
			if l.ExpiresOn != nil {
				fmt.Fprintf(&b, " (expires %s)", l.ExpiresOn.Format(time.DateOnly))
			}
		}
		if l.Rejected > 0 {
			fmt.Fprintf(&b, "  rejected %d: %s", l.Rejected, l.RejectReason)
		}
		b.WriteString("\n")
	}
	body := fmt.Sprintf("Goods from %s were received at %s against %s by %s:\n\n%s", o.SupplierName, o.LocationCode,
		o.Number(), r.ReceivedByName, b.String())
	if rest := linesText(o, true); rest != "" {
		body += "\nStill to come:\n" + rest
	}
	return len(to), enqueueAll(ctx, ext, to, notify.Message{Kind: KindGoodsReceived,
		Subject: fmt.Sprintf("%s: goods received at %s", o.Number(), o.LocationCode), Body: body,
		Reference: reference(o.ID)}, fmt.Sprintf("GR:%d", r.ID))
}

// mailSupplier emails the order to its supplier; sent is false when the supplier has no
// email address.
func (s *Service) mailSupplier(ctx context.Context, ext sqlx.ExtContext, o Order) (sent bool, err error) {
	var sup Supplier
	if err := sqlx.GetContext(ctx, ext, &sup, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, o.SupplierID); err != nil {
		return false, err
	}
	if sup.Email == "" {
		return false, nil
	}
	var company, address string
	err = sqlx.GetContext(ctx, ext, &company, `SELECT company FROM settings`)
	if err != nil {
		return false, err
	}
	err = sqlx.GetContext(ctx, ext, &address, `SELECT concat_ws(', ', name, nullif(address_line1, ''), nullif(address_line2, ''),
		nullif(city, ''), nullif(postal_code, ''), country) FROM locations WHERE id = $1`, o.LocationID)
	if err != nil {
		return false, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Dear %s,\n\nPlease supply the following for %s, purchase order %s.\n\n", cmpOr(sup.ContactName, sup.Name), company, o.Number())
	fmt.Fprintf(&b, "Deliver to: %s (%s)\nDelivery date: %s\nPayment terms: %s\n\n", address, o.LocationCode,
		o.ExpectedOn.Format(time.DateOnly), sup.PaymentTerms.String())
	fmt.Fprintf(&b, "  %-20s %-20s %-34s %8s %14s %16s\n", "Your code", "Our SKU", "Description", "Qty", "Unit cost", "Amount")
	for _, l := range o.Lines {
		fmt.Fprintf(&b, "  %-20s %-20s %-34s %8d %14s %16s\n", l.SupplierSKU, l.SKU, truncate(l.Title, 34), l.Quantity,
			l.UnitCost.StringFixed(4), formatAmount(l.Total(o.Currency), o.Currency))
	}
	fmt.Fprintf(&b, "\nTotal: %s\n", formatAmount(o.Total(), o.Currency))
	if o.Note != "" {
		fmt.Fprintf(&b, "\n%s\n", o.Note)
	}
	fmt.Fprintf(&b, "\nPlease quote %s on your delivery note and invoice.\nThe order is attached as a PDF.\n", o.Number())
	// The PDF is drawn as the order stands once sent (approved: no "not valid" mark).
	pdf, err := renderOrderPDF(ctx, ext, o, s.pdfFont)
	if err != nil {
		return false, fmt.Errorf("purchase order PDF: %w", err)
	}
	_, err = notify.Enqueue(ctx, ext, notify.Message{Kind: KindPurchaseOrder, To: sup.Email,
		Subject: fmt.Sprintf("Purchase order %s from %s", o.Number(), company), Body: b.String(),
		Reference: reference(o.ID), DedupeKey: reference(o.ID) + ":SENT",
		Attachments: []notify.Attachment{{Filename: o.Number() + ".pdf", ContentType: "application/pdf", Data: pdf}}})
	return err == nil, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// nobodyToTell is the history note of a notice no one could receive.
func nobodyToTell(o Order) string {
	return fmt.Sprintf("(no staff member based at %s has an email address: nobody there was notified)", o.LocationCode)
}

// enqueueAll enqueues m to each address, once per address and dedupe prefix.
func enqueueAll(ctx context.Context, ext sqlx.ExtContext, to []string, m notify.Message, dedupe string) error {
	for _, addr := range to {
		m.To = addr
		m.DedupeKey = dedupe + ":" + addr
		if _, err := notify.Enqueue(ctx, ext, m); err != nil {
			return err
		}
	}
	return nil
}
