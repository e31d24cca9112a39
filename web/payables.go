package web

import (
	"strconv"

	"atrium/internal/actor"
)

// Accounts payable pages: the bills and their reconciliation workbench (bills.go,
// workbench.go), payment runs (payments.go) and the reports (payables_reports.go).

// canSeePayables is who works with supplier bills (the service checks again).
func canSeePayables(a actor.Actor) bool { return a.HasRole(actor.Accountant, actor.Manager) }

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
