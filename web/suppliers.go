package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/shopspring/decimal"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/purchasing"
)

// Suppliers: the list, a supplier's page with its terms, its price list (supplier code,
// cost, pack size, minimum order quantity) and its recent orders, and the forms that
// create and change them.

const suppliersURL = "/admin/purchasing/suppliers"

func supplierURL(id int64) string { return suppliersURL + "/" + strconv.FormatInt(id, 10) }

// supplierList is the suppliers page.
type supplierList struct {
	Query        string
	WithInactive bool
	Suppliers    []purchasing.Supplier
}

func (s *server) supplierList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := supplierList{Query: strings.TrimSpace(q.Get("q")), WithInactive: q.Get("inactive") != ""}
	var err error
	v.Suppliers, err = s.Purchasing.Suppliers(r.Context(), purchasing.SupplierFilter{Query: v.Query, ActiveOnly: !v.WithInactive})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, supplierListPage(v))
}

// supplierForm is a supplier as typed.
type supplierForm struct {
	Code, Name, ContactName, Email, Phone, Address, Currency string
	PaymentTerms, LeadTimeDays, MinOrderAmount               string
	Active                                                   bool
}

var supplierFields = fieldSet("code", "name", "contactName", "email", "phone", "address", "currency", "paymentTerms",
	"leadTimeDays", "minOrderAmount")

func supplierFormOf(sup purchasing.Supplier) supplierForm {
	return supplierForm{Code: sup.Code, Name: sup.Name, ContactName: sup.ContactName, Email: sup.Email, Phone: sup.Phone,
		Address: sup.Address, Currency: sup.Currency, PaymentTerms: sup.PaymentTerms.String(),
		LeadTimeDays: strconv.Itoa(sup.LeadTimeDays), MinOrderAmount: formatAmountInput(sup.MinOrderAmount, sup.Currency),
		Active: sup.Active}
}

func readSupplierForm(r *http.Request) supplierForm {
	v := r.PostFormValue
	return supplierForm{Code: v("code"), Name: v("name"), ContactName: v("contactName"), Email: v("email"), Phone: v("phone"),
		Address: v("address"), Currency: strings.ToUpper(strings.TrimSpace(v("currency"))), PaymentTerms: v("paymentTerms"),
		LeadTimeDays: v("leadTimeDays"), MinOrderAmount: v("minOrderAmount"), Active: checked(r, "active")}
}

// input decodes f; what cannot be read goes to errs.
func (f supplierForm) input(errs *apperr.List) purchasing.SupplierInput {
	in := purchasing.SupplierInput{Code: f.Code, Name: f.Name, ContactName: f.ContactName, Email: f.Email, Phone: f.Phone,
		Address: f.Address, Currency: f.Currency, Active: f.Active}
	terms, err := purchasing.ParsePaymentTerms(f.PaymentTerms)
	if list, ok := apperr.Errors(err); ok {
		*errs = append(*errs, list...)
	}
	in.PaymentTerms = terms
	if n := optInt(errs, "leadTimeDays", f.LeadTimeDays); n != nil {
		in.LeadTimeDays = *n
	}
	in.MinOrderAmount = optAmount(errs, "minOrderAmount", f.MinOrderAmount, f.Currency)
	return in
}

// supplierEditor is the new or edit page of a supplier.
type supplierEditor struct {
	ID     int64
	Form   supplierForm
	Errors formErrors
}

func (e supplierEditor) Title() string {
	if e.ID != 0 {
		return "Edit " + e.Form.Name
	}
	return "New supplier"
}

func (e supplierEditor) Action() string {
	if e.ID != 0 {
		return supplierURL(e.ID)
	}
	return suppliersURL
}

func (s *server) supplierNew(w http.ResponseWriter, r *http.Request) error {
	f := supplierForm{Currency: "TWD", PaymentTerms: "net 30", LeadTimeDays: "7", Active: true}
	return s.page(w, r, http.StatusOK, supplierEditPage(supplierEditor{Form: f}))
}

func (s *server) supplierEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sup, err := s.Purchasing.Supplier(r.Context(), id)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, supplierEditPage(supplierEditor{ID: id, Form: supplierFormOf(sup)}))
}

func (s *server) supplierCreate(w http.ResponseWriter, r *http.Request) error {
	return s.supplierSave(w, r, 0)
}

func (s *server) supplierUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.supplierSave(w, r, id)
}

func (s *server) supplierSave(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readSupplierForm(r)
	var errs apperr.List
	in := f.input(&errs)
	err := errs.Err()
	var sup purchasing.Supplier
	if err == nil {
		if id == 0 {
			sup, err = s.Purchasing.CreateSupplier(ctx, in)
		} else {
			sup, err = s.Purchasing.UpdateSupplier(ctx, id, in)
		}
	}
	if err != nil {
		// The terms are one field in the form.
		return s.formFailed(w, r, collapseField(err, "paymentTerms"), supplierFields, func(fe formErrors) (templ.Component, error) {
			return supplierEditPage(supplierEditor{ID: id, Form: f, Errors: fe}), nil
		})
	}
	flash := flashSupplierSaved
	if id == 0 {
		flash = flashSupplierCreated
	}
	return s.redirect(w, r, supplierURL(sup.ID), flash)
}

// collapseField moves errors on the parts of field (field.x) onto field itself.
func collapseField(err error, field string) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	out := make(apperr.List, len(errs))
	for i, e := range errs {
		c := *e
		if len(c.Field) > 1 && c.Field[0] == field {
			c.Field = []string{field}
		}
		out[i] = &c
	}
	return out
}

// supplierItemForm is a price list entry as typed; Code is our SKU or a barcode.
type supplierItemForm struct {
	Code, SupplierSKU, UnitCost, PackSize, MinOrderQty string
	Active                                             bool
}

var supplierItemFields = fieldSet("variantId", "supplierSku", "unitCost", "packSize", "minOrderQty")

// supplierPage is a supplier's page.
type supplierPage struct {
	Supplier purchasing.Supplier
	Items    []purchasing.SupplierItem
	Orders   []purchasing.Order
	// Rate is the recorded rate of the supplier's currency (nil for the company currency
	// or when none is recorded); CompanyCurrency is the company's.
	Rate            *purchasing.ExchangeRate
	CompanyCurrency string
	// Item is the price list form (a new item, or the one being changed), with its errors.
	Item       supplierItemForm
	ItemErrors formErrors
	Editing    bool
	// RateTyped and RateErrors are the exchange rate form after a refusal.
	RateTyped  string
	RateErrors formErrors
}

// canSetRates is who records exchange rates (the service checks again).
func canSetRates(a actor.Actor) bool { return a.HasRole(actor.Accountant, actor.Manager) }

func (s *server) supplierPage(ctx context.Context, id int64) (supplierPage, error) {
	var p supplierPage
	var err error
	if p.Supplier, err = s.Purchasing.Supplier(ctx, id); err != nil {
		return p, err
	}
	if p.Items, err = s.Purchasing.SupplierItems(ctx, id); err != nil {
		return p, err
	}
	page, err := s.Purchasing.Orders(ctx, purchasing.OrderFilter{SupplierID: id, First: 10})
	if err != nil {
		return p, err
	}
	p.Orders = page.Orders
	rates, err := s.Purchasing.ExchangeRates(ctx)
	if err != nil {
		return p, err
	}
	if i := slices.IndexFunc(rates, func(r purchasing.ExchangeRate) bool { return r.Currency == p.Supplier.Currency }); i >= 0 {
		p.Rate = &rates[i]
	}
	if p.CompanyCurrency, err = s.Catalog.Currency(ctx); err != nil {
		return p, err
	}
	p.Item = supplierItemForm{Active: true}
	return p, nil
}

func (s *server) supplierShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.supplierPage(r.Context(), id)
	if err != nil {
		return err
	}
	// ?item=<variant id> opens that item in the price list form.
	if vid, err := strconv.ParseInt(r.URL.Query().Get("item"), 10, 64); err == nil {
		if i := slices.IndexFunc(p.Items, func(it purchasing.SupplierItem) bool { return it.VariantID == vid }); i >= 0 {
			it := p.Items[i]
			p.Item = supplierItemForm{Code: it.SKU, SupplierSKU: it.SupplierSKU, UnitCost: formatCostInput(it.UnitCost),
				PackSize: strconv.Itoa(it.PackSize), MinOrderQty: strconv.Itoa(it.MinOrderQty), Active: it.Active}
			p.Editing = true
		}
	}
	return s.page(w, r, http.StatusOK, supplierShowPage(p))
}

// supplierItemSave records or changes a price list entry of the supplier.
func (s *server) supplierItemSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v := r.PostFormValue
	f := supplierItemForm{Code: strings.TrimSpace(v("code")), SupplierSKU: v("supplierSku"), UnitCost: v("unitCost"),
		PackSize: v("packSize"), MinOrderQty: v("minOrderQty"), Active: checked(r, "active")}
	sup, err := s.Purchasing.Supplier(ctx, id)
	if err != nil {
		return err
	}
	var errs apperr.List
	in := purchasing.SupplierItemInput{SupplierID: id, SupplierSKU: f.SupplierSKU, Active: f.Active}
	if c := optCost(&errs, "unitCost", f.UnitCost, sup.Currency); c != nil {
		in.UnitCost = *c
	} else if strings.TrimSpace(f.UnitCost) == "" {
		errs = append(errs, apperr.Invalid("unitCost", "enter the supplier's unit cost in %s", sup.Currency))
	}
	if n := optInt(&errs, "packSize", f.PackSize); n != nil {
		in.PackSize = *n
	}
	if n := optInt(&errs, "minOrderQty", f.MinOrderQty); n != nil {
		in.MinOrderQty = *n
	}
	switch variant, err := s.variantByCode(ctx, f.Code); {
	case f.Code == "":
		errs = append(errs, apperr.Invalid("variantId", "type or scan the SKU or barcode of the item"))
	case apperr.CodeOf(err) == apperr.CodeNotFound:
		errs = append(errs, apperr.Invalid("variantId", "no variant has the SKU or barcode %s", f.Code))
	case err != nil:
		return err
	default:
		in.VariantID = variant.ID
	}
	err = errs.Err()
	if err == nil {
		_, err = s.Purchasing.SetSupplierItem(ctx, in)
	}
	if err != nil {
		return s.formFailed(w, r, err, supplierItemFields, func(fe formErrors) (templ.Component, error) {
			p, err := s.supplierPage(ctx, id)
			if err != nil {
				return nil, err
			}
			p.Item, p.ItemErrors, p.Editing = f, fe, r.PostFormValue("editing") != ""
			return supplierShowPage(p), nil
		})
	}
	return s.redirect(w, r, supplierURL(id)+"#supplier-items", flashSupplierItemSaved)
}

// supplierItemRemove takes a variant off the supplier's price list.
func (s *server) supplierItemRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	variant, err := strconv.ParseInt(r.PathValue("variant"), 10, 64)
	if err != nil || variant <= 0 {
		return apperr.NotFound("")
	}
	if err := s.Purchasing.RemoveSupplierItem(r.Context(), id, variant); err != nil {
		return err
	}
	return s.redirect(w, r, supplierURL(id)+"#supplier-items", flashSupplierItemRemoved)
}

// exchangeRateSet records the rate of the supplier's currency, from its page.
func (s *server) exchangeRateSet(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sup, err := s.Purchasing.Supplier(ctx, id)
	if err != nil {
		return err
	}
	typed := strings.TrimSpace(r.PostFormValue("rate"))
	rate, convErr := decimal.NewFromString(strings.ReplaceAll(typed, ",", ""))
	if convErr != nil {
		err = apperr.List{apperr.Invalid("rate", "enter what one %s is worth, e.g. 32.15", sup.Currency)}
	} else {
		_, err = s.Purchasing.SetExchangeRate(ctx, sup.Currency, rate)
	}
	if err != nil {
		return s.formFailed(w, r, err, fieldSet("rate"), func(fe formErrors) (templ.Component, error) {
			p, err := s.supplierPage(ctx, id)
			if err != nil {
				return nil, err
			}
			p.RateTyped, p.RateErrors = typed, fe
			return supplierShowPage(p), nil
		})
	}
	return s.redirect(w, r, supplierURL(id), flashExchangeRateSet)
}

// rateValue is the rate form's value: as typed after a refusal, else the recorded rate.
func rateValue(p supplierPage) string {
	switch {
	case !p.RateErrors.Empty():
		return p.RateTyped
	case p.Rate != nil:
		return p.Rate.Rate.String()
	}
	return ""
}
