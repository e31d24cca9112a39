package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"atrium/internal/actor"
	"atrium/internal/location"
	"atrium/internal/purchasing"
)

// Purchase orders, read-only: the list (with the orders waiting for the viewer's approval
// on top), an order's page with its lines, approvals, history and receipts, and its PDF.

const purchaseOrderPageSize = 25

// canSeePurchasing is who the purchasing pages are for (the service checks again).
func canSeePurchasing(a actor.Actor) bool {
	return a.HasRole(actor.Buyer, actor.Manager, actor.Accountant)
}

func purchaseOrderURL(id int64) string {
	return "/admin/purchasing/orders/" + strconv.FormatInt(id, 10)
}

// purchaseOrderFilter is the list's query string.
type purchaseOrderFilter struct {
	Status     string
	SupplierID string
	LocationID string
	Trail      trail
}

func readPurchaseOrderFilter(r *http.Request) purchaseOrderFilter {
	q := r.URL.Query()
	f := purchaseOrderFilter{Status: q.Get("status"), SupplierID: q.Get("supplier"), LocationID: q.Get("location"),
		Trail: readTrail(q)}
	if !slices.Contains(purchasing.Statuses, purchasing.Status(f.Status)) {
		f.Status = ""
	}
	if id, err := strconv.ParseInt(f.SupplierID, 10, 64); err != nil || id <= 0 {
		f.SupplierID = ""
	}
	if id, err := strconv.ParseInt(f.LocationID, 10, 64); err != nil || id <= 0 {
		f.LocationID = ""
	}
	return f
}

func (f purchaseOrderFilter) url(after string, prev []string) string {
	return listURL("/admin/purchasing/orders", url.Values{"status": {f.Status}, "supplier": {f.SupplierID},
		"location": {f.LocationID}}, after, prev)
}

func (f purchaseOrderFilter) query() purchasing.OrderFilter {
	q := purchasing.OrderFilter{First: purchaseOrderPageSize}
	q.After, _ = strconv.ParseInt(f.Trail.After, 10, 64)
	q.SupplierID, _ = strconv.ParseInt(f.SupplierID, 10, 64)
	q.LocationID, _ = strconv.ParseInt(f.LocationID, 10, 64)
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
	Orders    []purchasing.Order
	Pager     pager
	// Waiting are the orders waiting for the viewer's approval (first page only).
	Waiting []purchasing.Order
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

func (s *server) purchaseOrderShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.Purchasing.Order(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, purchaseOrderPage(d))
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
}

func (s *server) quotationList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var v quotationList
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
	c, err := s.Purchasing.CompareQuotes(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, quotationPage(c))
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
