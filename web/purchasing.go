package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/location"
	"atrium/internal/purchasing"
)

// Purchase orders: the list (with the orders waiting for the viewer's approval on top),
// the approvals inbox, an order's page with its lines, approvals, history and receipts and
// the actions its status allows the viewer (submit, approve or reject with a comment, send
// to the supplier, cancel, close short), done in place by HTMX, and its PDF.
//
// The replenishment suggestions (draft orders proposed from the forecast) have their own
// page under /admin/purchasing/suggestions (suggestions.go), linked from the purchasing menu.

const purchaseOrderPageSize = 25

// canSeePurchasing is who the purchasing pages are for (the service checks again).
func canSeePurchasing(a actor.Actor) bool {
	return a.HasRole(actor.Buyer, actor.Manager, actor.Accountant)
}

func purchaseOrderURL(id int64) string {
	return "/admin/purchasing/orders/" + strconv.FormatInt(id, 10)
}

const purchaseApprovalsURL = "/admin/purchasing/approvals"

// Flash messages of the purchasing pages.
const (
	flashPurchaseOrderSaved     = "po-saved"
	flashPurchaseOrderSubmitted = "po-submitted"
	flashPurchaseOrderApproved  = "po-approved"
	flashPurchaseOrderRejected  = "po-rejected"
	flashPurchaseOrderSent      = "po-sent"
	flashPurchaseOrderCancelled = "po-cancelled"
	flashPurchaseOrderClosed    = "po-closed"
	flashGoodsReceived          = "po-received"
	flashSupplierCreated        = "supplier-created"
	flashSupplierSaved          = "supplier-saved"
	flashSupplierItemSaved      = "supplier-item-saved"
	flashSupplierItemRemoved    = "supplier-item-removed"
	flashExchangeRateSet        = "exchange-rate-set"
)

// purchaseOrderFilter is the list's query string: status, supplier, receiving location,
// approver and creation dates.
type purchaseOrderFilter struct {
	Status     string
	SupplierID string
	LocationID string
	ApproverID string
	From, To   string
	Trail      trail
}

func readPurchaseOrderFilter(r *http.Request) purchaseOrderFilter {
	q := r.URL.Query()
	f := purchaseOrderFilter{Status: q.Get("status"), SupplierID: q.Get("supplier"), LocationID: q.Get("location"),
		ApproverID: q.Get("approver"), From: q.Get("from"), To: q.Get("to"), Trail: readTrail(q)}
	if !slices.Contains(purchasing.Statuses, purchasing.Status(f.Status)) {
		f.Status = ""
	}
	for _, id := range []*string{&f.SupplierID, &f.LocationID, &f.ApproverID} {
		if n, err := strconv.ParseInt(*id, 10, 64); err != nil || n <= 0 {
			*id = ""
		}
	}
	for _, d := range []*string{&f.From, &f.To} {
		if _, ok := parseDate(*d); !ok {
			*d = ""
		}
	}
	return f
}

func (f purchaseOrderFilter) url(after string, prev []string) string {
	return listURL("/admin/purchasing/orders", url.Values{"status": {f.Status}, "supplier": {f.SupplierID},
		"location": {f.LocationID}, "approver": {f.ApproverID}, "from": {f.From}, "to": {f.To}}, after, prev)
}

func (f purchaseOrderFilter) query() purchasing.OrderFilter {
	q := purchasing.OrderFilter{First: purchaseOrderPageSize}
	q.After, _ = strconv.ParseInt(f.Trail.After, 10, 64)
	q.SupplierID, _ = strconv.ParseInt(f.SupplierID, 10, 64)
	q.LocationID, _ = strconv.ParseInt(f.LocationID, 10, 64)
	q.ApproverID, _ = strconv.ParseInt(f.ApproverID, 10, 64)
	if d, ok := parseDate(f.From); ok {
		q.CreatedFrom = &d
	}
	if d, ok := parseDate(f.To); ok {
		q.CreatedTo = &d
	}
	if f.Status != "" {
		q.Statuses = []purchasing.Status{purchasing.Status(f.Status)}
	}
	return q
}

// purchaseOrderList is the purchase orders page.
type purchaseOrderList struct {
	Filter    purchaseOrderFilter
	Suppliers []purchasing.Supplier
	Locations []location.Location
	// Approvers are the staff who may approve orders, for the filter.
	Approvers []approverChoice
	Orders    []purchasing.Order
	Pager     pager
	// Waiting are the orders waiting for the viewer's approval (first page only).
	Waiting []purchasing.Order
}

// approverChoice is a staff member in the approver filter.
type approverChoice struct {
	ID   int64
	Name string
}

// approverChoices are the staff who may approve orders (managers, buyers, admins) for
// those who may see the staff list, else the viewer alone ("approved by me").
func (s *server) approverChoices(ctx context.Context) ([]approverChoice, error) {
	a := actor.From(ctx)
	members, err := s.Staff.List(ctx)
	if apperr.CodeOf(err) == apperr.CodeForbidden {
		return []approverChoice{{ID: a.ID, Name: "Me"}}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []approverChoice
	for _, m := range members {
		if m.Active && slices.ContainsFunc(m.Roles, func(r actor.Role) bool {
			return r == actor.Manager || r == actor.Buyer || r == actor.Admin
		}) {
			out = append(out, approverChoice{ID: m.ID, Name: m.Name})
		}
	}
	return out, nil
}

func (s *server) purchaseOrderList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readPurchaseOrderFilter(r)
	page, err := s.Purchasing.Orders(ctx, f.query())
	if err != nil {
		return err
	}
	v := purchaseOrderList{Filter: f, Orders: page.Orders}
	if v.Suppliers, err = s.Purchasing.Suppliers(ctx, purchasing.SupplierFilter{}); err != nil {
		return err
	}
	ix, err := s.locationIndex(ctx)
	if err != nil {
		return err
	}
	v.Locations = ix.Locations
	if v.Approvers, err = s.approverChoices(ctx); err != nil {
		return err
	}
	next := ""
	if page.HasNextPage {
		next = strconv.FormatInt(page.Orders[len(page.Orders)-1].ID, 10)
	}
	v.Pager = f.Trail.pager(-1, purchaseOrderPageSize, next, f.url)
	if f.Trail.After == "" {
		if v.Waiting, err = s.Purchasing.Inbox(ctx); err != nil {
			return err
		}
	}
	return s.page(w, r, http.StatusOK, purchaseOrderListPage(v))
}

// purchaseApprovals is the approvals inbox: the orders waiting for the viewer, oldest
// submitted first.
func (s *server) purchaseApprovals(w http.ResponseWriter, r *http.Request) error {
	orders, err := s.Purchasing.Inbox(r.Context())
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, purchaseApprovalsPage(orders))
}

// purchaseOrderView is an order's page: the order and what the viewer may do with it.
type purchaseOrderView struct {
	purchasing.Detail
	CanEdit, CanDecide, CanSend, CanCancel, CanClose, CanReceive bool
	// failedForm is the action whose form shows errors and what was typed.
	failedForm
	// Notice says what the last action did, when it was done in place (HTMX).
	Notice string
	// Arrived is the stock at the receiving location of the variants of a receipt just
	// recorded (nil otherwise).
	Arrived *receiptStock
}

// purchaseOrderView loads order id with the actions the viewer may take.
func (s *server) purchaseOrderView(ctx context.Context, id int64) (purchaseOrderView, error) {
	d, err := s.Purchasing.Order(ctx, id)
	if err != nil {
		return purchaseOrderView{}, err
	}
	a := actor.From(ctx)
	v := purchaseOrderView{Detail: d}
	buyer := canBuy(a)
	author := a.ID == d.CreatedBy || a.HasRole(actor.Admin)
	switch d.Status {
	case purchasing.Draft, purchasing.Rejected:
		v.CanEdit = buyer && author
	case purchasing.Submitted:
		// The inbox knows the rules: the next level's roles, not the author, one level each.
		inbox, err := s.Purchasing.Inbox(ctx)
		if err != nil {
			return v, err
		}
		v.CanDecide = slices.ContainsFunc(inbox, func(o purchasing.Order) bool { return o.ID == id })
	case purchasing.Approved:
		v.CanSend = buyer
	case purchasing.PartiallyReceived, purchasing.Received:
		v.CanClose = buyer
	}
	switch d.Status {
	case purchasing.Draft, purchasing.Submitted, purchasing.Rejected, purchasing.Approved, purchasing.Sent:
		v.CanCancel = buyer
	}
	v.CanReceive = (d.Status == purchasing.Sent || d.Status == purchasing.PartiallyReceived) && canReceiveAt(a, d.LocationID)
	return v, nil
}

func (s *server) purchaseOrderShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v, err := s.purchaseOrderView(ctx, id)
	if err != nil {
		return err
	}
	if rid, err := strconv.ParseInt(r.URL.Query().Get("receipt"), 10, 64); err == nil {
		if v.Arrived, err = s.receiptStock(ctx, v.Detail, rid); err != nil {
			return err
		}
	}
	return s.page(w, r, http.StatusOK, purchaseOrderPage(v))
}

// purchaseOrderAction runs one of the actions of an order's page (see detailAction).
func (s *server) purchaseOrderAction(w http.ResponseWriter, r *http.Request, action, flash string, fields []string,
	do func(ctx context.Context, id int64, form url.Values) error) error {
	return s.detailAction(w, r, action, flash, fields, do, s.showPurchaseOrder, purchaseOrderURL)
}

// showPurchaseOrder renders an order's page, or its body, after an action.
func (s *server) showPurchaseOrder(ctx context.Context, id int64, failed failedForm, notice string, body bool) (templ.Component, error) {
	v, err := s.purchaseOrderView(ctx, id)
	if err != nil {
		return nil, err
	}
	v.failedForm, v.Notice = failed, notice
	if body {
		return purchaseOrderBody(v), nil
	}
	return purchaseOrderPage(v), nil
}

func (s *server) purchaseOrderSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.purchaseOrderAction(w, r, "submit", flashPurchaseOrderSubmitted, []string{"comment"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Purchasing.Submit(ctx, id, f.Get("comment"))
			return err
		})
}

func (s *server) purchaseOrderApprove(w http.ResponseWriter, r *http.Request) error {
	return s.purchaseOrderAction(w, r, "decide", flashPurchaseOrderApproved, []string{"comment"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Purchasing.Approve(ctx, id, strings.TrimSpace(f.Get("comment")))
			return err
		})
}

// purchaseOrderReject rejects with the reason typed in the decision's comment box.
func (s *server) purchaseOrderReject(w http.ResponseWriter, r *http.Request) error {
	return s.purchaseOrderAction(w, r, "decide", flashPurchaseOrderRejected, []string{"comment"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Purchasing.Reject(ctx, id, f.Get("comment"))
			return renameField(err, "reason", "comment")
		})
}

func (s *server) purchaseOrderSend(w http.ResponseWriter, r *http.Request) error {
	return s.purchaseOrderAction(w, r, "send", flashPurchaseOrderSent, []string{"expectedOn", "comment"},
		func(ctx context.Context, id int64, f url.Values) error {
			var errs apperr.List
			in := purchasing.SendInput{ExpectedOn: optDate(&errs, "expectedOn", f.Get("expectedOn")), Comment: f.Get("comment")}
			if err := errs.Err(); err != nil {
				return err
			}
			_, err := s.Purchasing.Send(ctx, id, in)
			return err
		})
}

func (s *server) purchaseOrderCancel(w http.ResponseWriter, r *http.Request) error {
	return s.purchaseOrderAction(w, r, "cancel", flashPurchaseOrderCancelled, []string{"reason"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Purchasing.Cancel(ctx, id, f.Get("reason"))
			return err
		})
}

func (s *server) purchaseOrderClose(w http.ResponseWriter, r *http.Request) error {
	return s.purchaseOrderAction(w, r, "close", flashPurchaseOrderClosed, []string{"comment"},
		func(ctx context.Context, id int64, f url.Values) error {
			_, err := s.Purchasing.Close(ctx, id, f.Get("comment"))
			return err
		})
}

// renameField moves err's errors on field from to field to (a form that names a field
// differently from the service).
func renameField(err error, from, to string) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	out := make(apperr.List, len(errs))
	for i, e := range errs {
		c := *e
		if strings.Join(c.Field, ".") == from {
			c.Field = strings.Split(to, ".")
		} else if strings.HasPrefix(strings.Join(c.Field, "."), from+".") {
			c.Field = append(strings.Split(to, "."), c.Field[len(strings.Split(from, ".")):]...)
		}
		out[i] = &c
	}
	return out
}

// sendDate is the date the send form shows: as typed after a refusal, else the order's
// expected date, or today when that has passed.
func sendDate(v purchaseOrderView) string {
	if v.Failed == "send" {
		return v.Typed.Get("expectedOn")
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if v.ExpectedOn == nil || v.ExpectedOn.Before(today) {
		return formatDate(today)
	}
	return formatDate(*v.ExpectedOn)
}

// purchaseOrderPDF serves the order as the PDF the supplier gets.
func (s *server) purchaseOrderPDF(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	doc, err := s.Purchasing.OrderPDF(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+purchasing.OrderNumber(id)+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(doc)
	return err
}

func quotationURL(id int64) string {
	return "/admin/purchasing/quotations/" + strconv.FormatInt(id, 10)
}

// quotationList is the requests for quotation page, open ones first.
type quotationList struct {
	Open, Closed []purchasing.RFQ
	// CanCreate is true for those who may write a request.
	CanCreate bool
}

func (s *server) quotationList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := quotationList{CanCreate: canBuy(actor.From(ctx))}
	var err error
	if v.Open, err = s.Purchasing.RFQs(ctx, purchasing.RFQOpen); err != nil {
		return err
	}
	if v.Closed, err = s.Purchasing.RFQs(ctx, purchasing.RFQAwarded, purchasing.RFQCancelled); err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, quotationListPage(v))
}

// quotationShow sets a request's answers side by side.
func (s *server) quotationShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.quotationView(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, quotationPage(v))
}

// answered counts the suppliers that have answered r.
func answered(r purchasing.RFQ) int {
	n := 0
	for _, s := range r.Suppliers {
		if s.Quote != nil {
			n++
		}
	}
	return n
}
