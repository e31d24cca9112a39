package web

import (
	"strconv"
	"strings"

	"atrium/internal/actor"
	"atrium/internal/payables"
)

// Accounts payable pages: the bills and their reconciliation workbench (bills.go,
// workbench.go), payment runs (payments.go) and the reports (payables_reports.go).

// canSeePayables is who works with supplier bills (the service checks again).
func canSeePayables(a actor.Actor) bool { return a.HasRole(actor.Accountant, actor.Manager) }

// canClosePeriod is who closes the books through a day (the service checks again).
func canClosePeriod(a actor.Actor) bool { return a.HasRole(actor.Accountant, actor.Manager) }

// canEditPayablesSettings is who changes the matching tolerances.
func canEditPayablesSettings(a actor.Actor) bool { return a.HasRole(actor.Manager) }

const (
	billsURL            = "/admin/payables/bills"
	billNewURL          = "/admin/payables/bills/new"
	billImportURL       = "/admin/payables/bills/import"
	paymentRunsURL      = "/admin/payables/payment-runs"
	agingURL            = "/admin/payables/aging"
	grniURL             = "/admin/payables/grni"
	cashForecastURL     = "/admin/payables/forecast"
	journalsURL         = "/admin/payables/journals"
	payablesSettingsURL = "/admin/payables/settings"
)

// billURL is a bill's reconciliation workbench.
func billURL(id int64) string { return billsURL + "/" + strconv.FormatInt(id, 10) }

// Flash keys of the payables pages (shown by payablesFlash).
const (
	flashBillEntered    = "bill-entered"
	flashBillsImported  = "bills-imported"
	flashPaymentRunDone = "payment-run-done"
	flashPayablesSaved  = "payables-settings-saved"
	flashPeriodClosed   = "payables-period-closed"
	// The workbench's actions (workbench.go).
	flashVarianceAccepted = "bill-variance-accepted"
	flashCreditRequested  = "bill-credit-requested"
	flashBillRejected     = "bill-rejected"
	flashBillApproved     = "bill-approved"
	flashBillRematched    = "bill-rematched"
	flashBillPaid         = "bill-payment-recorded"
)

// flashCreditNoteEntered says a credit note was entered and the bill it reduces matched again.
const flashCreditNoteEntered = "credit-note-entered"

// Bills in words, the same on every payables page.

// billReasonText says an exception reason in plain words.
func billReasonText(reason string) string {
	switch payables.Reason(reason) {
	case payables.OverBilledQuantity:
		return "billed more than was received"
	case payables.PriceVariance:
		return "price differs from the order"
	case payables.NotReceived:
		return "goods not received yet"
	case payables.NoOrderLine:
		return "line not on a purchase order"
	case payables.TotalMismatch:
		return "total is not the lines plus tax"
	case payables.TaxMismatch:
		return "tax differs from the expected rate"
	}
	return strings.ToLower(strings.ReplaceAll(reason, "_", " "))
}

// billStatusText names where a bill stands; a credit note has no status of its own.
func billStatusText(b payables.Bill) string {
	if b.Kind == payables.KindCreditNote {
		return "Credit note"
	}
	switch b.Status {
	case payables.Matched:
		return "Matched"
	case payables.Exception:
		return "Exception"
	case payables.Accepted:
		return "Differences accepted"
	case payables.CreditRequested:
		return "Credit note requested"
	case payables.Rejected:
		return "Rejected"
	case payables.Approved:
		return "Approved for payment"
	case payables.PartiallyPaid:
		return "Partly paid"
	case payables.Paid:
		return "Paid"
	}
	return string(b.Status)
}

// billBadgeClass styles a bill's status (badge-bill-exception); a credit note has its own.
func billBadgeClass(b payables.Bill) string {
	if b.Kind == payables.KindCreditNote {
		return "badge badge-bill-credit-note"
	}
	return "badge badge-bill-" + strings.ToLower(strings.ReplaceAll(string(b.Status), "_", "-"))
}

func billKindText(k payables.Kind) string {
	if k == payables.KindCreditNote {
		return "Credit note"
	}
	return "Bill"
}

// billReasonsText says what a bill's match found, in words: "goods not received yet,
// price differs from the order".
func billReasonsText(reasons []string) string {
	words := make([]string, len(reasons))
	for i, r := range reasons {
		words[i] = billReasonText(r)
	}
	return strings.Join(words, ", ")
}
