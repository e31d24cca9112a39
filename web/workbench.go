package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/payables"
)

// The reconciliation workbench: one supplier bill beside its purchase orders and their
// receipts, every difference the match found explained, and what may be done about it
// (accept the variance, ask for a credit note, reject, approve, match again, pay), each
// done in place with HTMX or, without JavaScript, by a form and a redirect back.

// workbenchView is a bill's workbench: the comparison and what the viewer may do.
type workbenchView struct {
	payables.Comparison
	// Resolvable: the differences may be accepted (EXCEPTION, CREDIT_REQUESTED).
	CanAccept, CanRequestCredit, CanReject, CanApprove, CanRematch, CanPay, CanEnterCredit bool
	// SelfEntered is true when the viewer entered the bill: someone else approves it.
	SelfEntered bool
	// failedForm is the action whose form shows errors and what was typed.
	failedForm
	// Notice says what the last action did, when it was done in place (HTMX).
	Notice string
	// Today is the default payment date.
	Today string
}

// HasActions reports whether any action is offered.
func (v workbenchView) HasActions() bool {
	return v.CanAccept || v.CanRequestCredit || v.CanReject || v.CanApprove || v.CanRematch || v.CanPay || v.CanEnterCredit
}

// Blocked reports whether the bill cannot be approved or paid as it stands (it differs
// from the order or its receipts and nobody accepted that).
func (v workbenchView) Blocked() bool {
	switch v.Bill.Status {
	case payables.Exception, payables.CreditRequested:
		return true
	}
	return false
}

// workbenchView loads bill id with the actions its status allows the viewer.
func (s *server) workbenchView(ctx context.Context, id int64) (workbenchView, error) {
	c, err := s.Payables.Compare(ctx, id)
	if err != nil {
		return workbenchView{}, err
	}
	a := actor.From(ctx)
	v := workbenchView{Comparison: c, Today: formatDay(ctx, time.Now())}
	b := c.Bill
	if b.Kind != payables.KindBill {
		return v, nil
	}
	st := b.Status
	v.SelfEntered = b.EnteredBy != nil && *b.EnteredBy == a.ID
	v.CanAccept = st == payables.Exception || st == payables.CreditRequested
	v.CanRequestCredit = st == payables.Exception
	v.CanReject = slices.Contains([]payables.Status{payables.Matched, payables.Exception, payables.Accepted, payables.CreditRequested}, st)
	v.CanApprove = st == payables.Matched || st == payables.Accepted
	v.CanRematch = slices.Contains([]payables.Status{payables.Matched, payables.Exception, payables.CreditRequested}, st)
	v.CanPay = (st == payables.Approved || st == payables.PartiallyPaid) && b.Open() > 0
	v.CanEnterCredit = st != payables.Rejected && b.Total-b.Credited > 0
	return v, nil
}

// billShow is the workbench page.
func (s *server) billShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.workbenchView(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, workbenchPage(v))
}

// billAction runs one of the workbench's actions (see detailAction).
func (s *server) billAction(w http.ResponseWriter, r *http.Request, action, flash string, fields []string,
	do func(ctx context.Context, id int64, form url.Values) error) error {
	return s.detailAction(w, r, action, flash, fields, do, s.showWorkbench, billURL)
}

// showWorkbench renders a bill's workbench, or its body, after an action.
func (s *server) showWorkbench(ctx context.Context, id int64, failed failedForm, notice string, body bool) (templ.Component, error) {
	v, err := s.workbenchView(ctx, id)
	if err != nil {
		return nil, err
	}
	v.failedForm, v.Notice = failed, notice
	if body {
		return workbenchBody(v), nil
	}
	return workbenchPage(v), nil
}

func (s *server) billAcceptVariance(w http.ResponseWriter, r *http.Request) error {
	return s.billAction(w, r, "accept", flashVarianceAccepted, []string{"reason"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Payables.AcceptVariance(ctx, id, f.Get("reason"))
			return err
		})
}

func (s *server) billRequestCredit(w http.ResponseWriter, r *http.Request) error {
	return s.billAction(w, r, "credit", flashCreditRequested, []string{"reason"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Payables.RequestCredit(ctx, id, f.Get("reason"))
			return err
		})
}

func (s *server) billReject(w http.ResponseWriter, r *http.Request) error {
	return s.billAction(w, r, "reject", flashBillRejected, []string{"reason"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Payables.RejectBill(ctx, id, f.Get("reason"))
			return err
		})
}

// billApprove approves the bill for payment. The service refuses the person who entered
// it; that refusal is theirs to understand, so it is shown in the approval form.
func (s *server) billApprove(w http.ResponseWriter, r *http.Request) error {
	return s.billAction(w, r, "approve", flashBillApproved, nil,
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Payables.ApproveBill(ctx, id)
			if e, ok := apperr.As(err); ok && e.Reason == "SAME_PERSON" {
				return apperr.Conflict("", "%s", e.Message).WithReason(e.Reason)
			}
			return err
		})
}

func (s *server) billRematch(w http.ResponseWriter, r *http.Request) error {
	return s.billAction(w, r, "rematch", flashBillRematched, nil,
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Payables.Rematch(ctx, id)
			return err
		})
}

// billPay records a payment typed in major units of the bill's currency.
func (s *server) billPay(w http.ResponseWriter, r *http.Request) error {
	return s.billAction(w, r, "pay", flashBillPaid, []string{"amount", "paidOn", "reference"},
		func(ctx context.Context, id int64, f url.Values) error {
			b, err := s.Payables.Bill(ctx, id)
			if err != nil {
				return err
			}
			var errs apperr.List
			in := payables.PaymentInput{BillID: id, Reference: strings.TrimSpace(f.Get("reference"))}
			amount, ok := parseAmount(f.Get("amount"), b.Currency)
			switch {
			case strings.TrimSpace(f.Get("amount")) == "":
				errs = append(errs, apperr.Invalid("amount", "enter the amount paid, up to %s still open", formatMoney(b.Open(), b.Currency)))
			case !ok:
				errs = append(errs, apperr.Invalid("amount", "enter the amount in %s as a number with at most %d decimals, e.g. %s",
					b.Currency, exponent(b.Currency), formatAmountInput(b.Open(), b.Currency)))
			case amount <= 0 || amount > b.Open():
				errs = append(errs, apperr.Invalid("amount", "pay more than 0 and at most %s, what is still open on bill %s",
					formatMoney(b.Open(), b.Currency), b.Number))
			default:
				in.Amount = amount
			}
			if d, ok := parseDate(f.Get("paidOn")); ok {
				in.PaidOn = d
			} else {
				errs = append(errs, apperr.Invalid("paidOn", "enter the date the payment was made, as 2026-05-01"))
			}
			if len(in.Reference) > 100 {
				errs = append(errs, apperr.Invalid("reference", "keep the reference to 100 characters (the bank transfer or cheque number)"))
			}
			if err := errs.Err(); err != nil {
				return err
			}
			_, err = s.Payables.RecordPayment(ctx, in)
			return err
		})
}

// Plain-words explanations of the match's findings, from the comparison.

// lineVariancePct is a line amount's difference from quantity × order price, as a
// percentage of the latter with one decimal and its sign: "+5.0%".
func lineVariancePct(lc payables.LineComparison) string {
	if lc.Expected == 0 {
		return ""
	}
	p := decimal.NewFromInt(lc.Variance).Mul(decimal.NewFromInt(100)).Div(decimal.NewFromInt(lc.Expected)).Round(1)
	s := p.StringFixed(1) + "%"
	if p.IsPositive() {
		s = "+" + s
	}
	return s
}

// varianceMoney shows a difference with its sign: +NT$50, -NT$20, NT$0.
func varianceMoney(amount int64, currency string) string {
	if amount > 0 {
		return "+" + formatMoney(amount, currency)
	}
	return formatMoney(amount, currency)
}

// tolerancePct shows a percentage setting: "2%", "2.5%".
func tolerancePct(p decimal.Decimal) string { return p.String() + "%" }

// lineFound reports whether the match found reason on the line.
func lineFound(lc payables.LineComparison, reason payables.Reason) bool {
	return slices.Contains(lc.Line.Exceptions, string(reason))
}

// billFound reports whether the match found reason on the bill (any line included).
func billFound(b payables.Bill, reason payables.Reason) bool {
	return slices.Contains(b.Exceptions, string(reason))
}

// comparisonRowClass marks a comparison row with differences.
func comparisonRowClass(lc payables.LineComparison) string {
	if len(lc.Line.Exceptions) > 0 {
		return "differs"
	}
	return ""
}

// comparisonCellClass marks a cell whose value differs from what it is compared with.
func comparisonCellClass(differs bool) string {
	if differs {
		return "num differs"
	}
	return "num"
}

// workbenchTitle names the bill or credit note, for the page title and heading.
func workbenchTitle(b payables.Bill) string {
	if b.Kind == payables.KindCreditNote {
		return "Credit note " + b.Number
	}
	return "Bill " + b.Number
}

// creditNoteNumber is the number of credit note id against the bill.
func creditNoteNumber(v workbenchView, id int64) string {
	for _, cn := range v.CreditNotes {
		if cn.ID == id {
			return cn.Number
		}
	}
	return ""
}
