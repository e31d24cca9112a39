package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/location"
	"atrium/internal/order"
)

// Fulfilment in the back office: a location's queue of fulfilments by status, its pick
// list (bin by bin), and one fulfilment's page, where it is packed by scanning each unit
// (HTMX feedback per scan) and shipped, received at its pickup store, made ready and
// handed over against the pickup code. Every step is the order service's, which checks
// who may do it where.

const fulfilmentPageSize = 25

// canFulfil lets in the staff who pick, pack and hand over: managers, associates and
// fulfilment staff (admins hold every role).
func canFulfil(a actor.Actor) bool {
	return a.HasRole(actor.Manager, actor.Associate, actor.Fulfilment)
}

// canOverride is who may pack without every scan or hand over without the code.
func canOverride(a actor.Actor) bool { return a.HasRole(actor.Manager) }

const fulfilmentQueueURL = "/admin/fulfilment"

func fulfilmentURL(id int64) string { return "/admin/fulfilment/" + strconv.FormatInt(id, 10) }

func pickListURL(locationID int64) string {
	return "/admin/fulfilment/pick-list?" + url.Values{"location": {strconv.FormatInt(locationID, 10)}}.Encode()
}

// Flash messages of fulfilment steps (shown by fulfilmentFlash).
const (
	flashPickingStarted      = "fulfilment-picking"
	flashPacked              = "fulfilment-packed"
	flashShipped             = "fulfilment-shipped"
	flashDelivered           = "fulfilment-delivered"
	flashReceivedAtStore     = "fulfilment-received"
	flashReadyForPickup      = "fulfilment-ready"
	flashCollected           = "fulfilment-collected"
	flashFulfilmentCancelled = "fulfilment-cancelled"
	flashRerouted            = "fulfilment-rerouted"
)

// fulfilmentQueue is a location's fulfilments with a status filter.
type fulfilmentQueue struct {
	Locations []location.Location
	// Location is the chosen location (nil: none yet, for staff without a home).
	Location *location.Location
	Status   string
	Rows     []order.FulfilmentView
	// Next is the after= of the next page ("" on the last); Paged is true past the first.
	Next  string
	Paged bool
}

// URL is the queue at the same location with another status and page.
func (q fulfilmentQueue) URL(status, after string) string {
	v := url.Values{}
	if q.Location != nil {
		v.Set("location", strconv.FormatInt(q.Location.ID, 10))
	}
	if status != "" {
		v.Set("status", status)
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) == 0 {
		return fulfilmentQueueURL
	}
	return fulfilmentQueueURL + "?" + v.Encode()
}

// chosenLocation is the location= of a request, or the actor's home location.
func (s *server) chosenLocation(ctx context.Context, q url.Values) ([]location.Location, *location.Location, error) {
	ls, err := s.Locations.List(ctx, location.Filter{})
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(q.Get("location"), 10, 64)
	if err != nil {
		if home := actor.From(ctx).HomeLocationID; home != nil {
			id = *home
		}
	}
	for i := range ls {
		if ls[i].ID == id {
			return ls, &ls[i], nil
		}
	}
	return ls, nil, nil
}

func (s *server) fulfilmentQueue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	var v fulfilmentQueue
	var err error
	if v.Locations, v.Location, err = s.chosenLocation(ctx, q); err != nil {
		return err
	}
	if st := q.Get("status"); slices.Contains(order.FulfilmentStatuses, order.FulfilmentStatus(st)) {
		v.Status = st
	}
	if v.Location != nil {
		f := order.QueueFilter{LocationID: v.Location.ID, First: fulfilmentPageSize}
		if v.Status != "" {
			f.Statuses = []order.FulfilmentStatus{order.FulfilmentStatus(v.Status)}
		}
		f.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
		v.Paged = f.After > 0
		page, err := s.Orders.Fulfilments(ctx, f)
		if err != nil {
			return err
		}
		v.Rows = page.Fulfilments
		if page.HasNextPage {
			v.Next = strconv.FormatInt(v.Rows[len(v.Rows)-1].ID, 10)
		}
	}
	if isHTMX(r) && htmxTarget(r) == "fulfilment-results" {
		return s.fragment(w, r, http.StatusOK, fulfilmentResults(v))
	}
	return s.page(w, r, http.StatusOK, fulfilmentQueuePage(v))
}

// pickListView is a location's pick list; BinVariant and Bin are a bin as typed that was
// refused (Errors).
type pickListView struct {
	Locations  []location.Location
	Location   *location.Location
	List       order.PickList
	BinVariant int64
	Bin        string
	Errors     formErrors
}

// BinOf is the bin shown in a line's bin field: as typed when it was refused.
func (v pickListView) BinOf(l order.PickLine) string {
	if l.VariantID == v.BinVariant {
		return v.Bin
	}
	if l.Bin != nil {
		return *l.Bin
	}
	return ""
}

func (s *server) pickList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var v pickListView
	var err error
	if v.Locations, v.Location, err = s.chosenLocation(ctx, r.URL.Query()); err != nil {
		return err
	}
	if v.Location != nil {
		if v.List, err = s.Orders.PickList(ctx, v.Location.ID); err != nil {
			return err
		}
	}
	return s.page(w, r, http.StatusOK, pickListPage(v))
}

const flashBinSaved = "bin-saved"

// binSet records where a variant sits at a location, from the pick list, and shows the
// pick list again (grouped by the new bin).
func (s *server) binSet(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	v := r.PostFormValue
	var errs apperr.List
	loc := optInt64(&errs, "locationId", v("location"))
	variant := optInt64(&errs, "variantId", v("variant"))
	if loc == nil || variant == nil {
		return apperr.List{apperr.Invalid("bin", "the bin form lacks its location or variant: reload the pick list")}
	}
	bin := v("bin")
	if err := s.Inventory.SetBin(ctx, *loc, *variant, bin); err != nil {
		return s.formFailed(w, r, err, fieldSet("bin"), func(fe formErrors) (templ.Component, error) {
			view := pickListView{BinVariant: *variant, Bin: bin, Errors: fe}
			var err error
			if view.Locations, view.Location, err = s.chosenLocation(ctx, url.Values{"location": {v("location")}}); err != nil {
				return nil, err
			}
			if view.List, err = s.Orders.PickList(ctx, *loc); err != nil {
				return nil, err
			}
			return pickListPage(view), nil
		})
	}
	return s.redirect(w, r, pickListURL(*loc), flashBinSaved)
}

// scanFeedback is what the pack screen says about the last scan.
type scanFeedback struct {
	Accepted bool
	Message  string
}

// fulfilmentForm is what the fulfilment page's forms hold as typed.
type fulfilmentForm struct {
	ScanKey, Carrier, Tracking, Reason, Location string
}

// fulfilmentPage is one fulfilment with the steps the viewer can take next.
type fulfilmentPage struct {
	order.FulfilmentView
	Order     order.Order
	Locations []location.Location
	Form      fulfilmentForm
	Errors    formErrors
	Feedback  *scanFeedback
	// Override is true for managers (pack without every scan, hand over without the code).
	Override bool
}

// Complete reports whether every unit is scanned.
func (p fulfilmentPage) Complete() bool { return p.ScannedUnits() >= p.Units() }

// Packing reports whether the pack screen (scan field) is live.
func (p fulfilmentPage) Packing() bool {
	return p.Status == order.FulfilmentOpen || p.Status == order.FulfilmentPicking
}

// OwnPickup reports whether the goods are collected where they are picked.
func (p fulfilmentPage) OwnPickup() bool { return p.Method == order.Pickup && !p.ShipToStore() }

// Cancellable reports whether the goods have not left.
func (p fulfilmentPage) Cancellable() bool {
	return slices.Contains([]order.FulfilmentStatus{order.FulfilmentOpen, order.FulfilmentPicking, order.FulfilmentPacked,
		order.FulfilmentReceived, order.FulfilmentReadyForPickup}, p.Status) &&
		(p.Order.Status == order.Open || p.Order.Status == order.OnHold)
}

// RerouteTo lists the locations an OPEN fulfilment can move to.
func (p fulfilmentPage) RerouteTo() []location.Location {
	var out []location.Location
	for _, l := range p.Locations {
		if l.ID != p.LocationID {
			out = append(out, l)
		}
	}
	return out
}

func (s *server) fulfilmentPage(ctx context.Context, id int64, f fulfilmentForm, fe formErrors) (fulfilmentPage, error) {
	v, err := s.Orders.FulfilmentByID(ctx, id)
	if err != nil {
		return fulfilmentPage{}, err
	}
	o, err := s.Orders.Order(ctx, v.OrderID)
	if err != nil {
		return fulfilmentPage{}, err
	}
	ls, err := s.Locations.List(ctx, location.Filter{})
	if err != nil {
		return fulfilmentPage{}, err
	}
	if f.ScanKey == "" {
		f.ScanKey = newIdempotencyKey()
	}
	return fulfilmentPage{FulfilmentView: v, Order: o, Locations: ls, Form: f, Errors: fe,
		Override: canOverride(actor.From(ctx))}, nil
}

func (s *server) fulfilmentShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.fulfilmentPage(r.Context(), id, fulfilmentForm{}, formErrors{})
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, fulfilmentShowPage(p))
}

// fulfilmentFields are the fields the fulfilment page shows errors beside.
var fulfilmentFields = fieldSet("code", "carrier", "trackingNumber", "reason", "locationId")

// fulfilmentStep runs one step posted from the fulfilment page and goes back to it with
// flash; a refused step shows the page again with the form as typed and why.
func (s *server) fulfilmentStep(flash string, do func(ctx context.Context, id int64, f fulfilmentForm, r *http.Request) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := parseForm(w, r); err != nil {
			return err
		}
		id, err := pathID(r)
		if err != nil {
			return err
		}
		ctx := r.Context()
		v := r.PostFormValue
		f := fulfilmentForm{Carrier: v("carrier"), Tracking: v("trackingNumber"), Reason: v("reason"), Location: v("locationId")}
		// A double submit succeeds: the service returns a step already done with the same
		// input as done, without doing it twice.
		if err := do(ctx, id, f, r); err != nil {
			return s.formFailed(w, r, err, fulfilmentFields, func(fe formErrors) (templ.Component, error) {
				p, err := s.fulfilmentPage(ctx, id, f, fe)
				if err != nil {
					return nil, err
				}
				return fulfilmentShowPage(p), nil
			})
		}
		return s.redirect(w, r, fulfilmentURL(id), flash)
	}
}

func (s *server) fulfilmentPick(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashPickingStarted, func(ctx context.Context, id int64, _ fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.StartPicking(ctx, id)
		return err
	})(w, r)
}

func (s *server) fulfilmentPack(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashPacked, func(ctx context.Context, id int64, _ fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.Pack(ctx, id)
		return err
	})(w, r)
}

func (s *server) fulfilmentPackOverride(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashPacked, func(ctx context.Context, id int64, f fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.PackOverride(ctx, id, f.Reason)
		return err
	})(w, r)
}

func (s *server) fulfilmentShip(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashShipped, func(ctx context.Context, id int64, f fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.Ship(ctx, order.ShipInput{FulfilmentID: id, Carrier: f.Carrier, TrackingNumber: f.Tracking})
		return err
	})(w, r)
}

func (s *server) fulfilmentDeliver(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashDelivered, func(ctx context.Context, id int64, _ fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.MarkDelivered(ctx, id)
		return err
	})(w, r)
}

func (s *server) fulfilmentReceive(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashReceivedAtStore, func(ctx context.Context, id int64, _ fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.ReceiveAtStore(ctx, id)
		return err
	})(w, r)
}

func (s *server) fulfilmentReady(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashReadyForPickup, func(ctx context.Context, id int64, _ fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.ReadyForPickup(ctx, id)
		return err
	})(w, r)
}

func (s *server) fulfilmentCollect(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashCollected, func(ctx context.Context, id int64, _ fulfilmentForm, r *http.Request) error {
		_, err := s.Orders.Collect(ctx, id, r.PostFormValue("code"))
		return err
	})(w, r)
}

func (s *server) fulfilmentCollectOverride(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashCollected, func(ctx context.Context, id int64, f fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.CollectOverride(ctx, id, f.Reason)
		return err
	})(w, r)
}

func (s *server) fulfilmentCancel(w http.ResponseWriter, r *http.Request) error {
	return s.fulfilmentStep(flashFulfilmentCancelled, func(ctx context.Context, id int64, f fulfilmentForm, _ *http.Request) error {
		_, err := s.Orders.CancelFulfilment(ctx, id, f.Reason)
		return err
	})(w, r)
}

// fulfilmentReroute moves the whole fulfilment, then shows the new one.
func (s *server) fulfilmentReroute(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f := fulfilmentForm{Reason: r.PostFormValue("reason"), Location: r.PostFormValue("locationId")}
	var errs apperr.List
	to := optInt64(&errs, "locationId", f.Location)
	if to == nil && len(errs) == 0 {
		errs = append(errs, apperr.Invalid("locationId", "choose the location to move the fulfilment to"))
	}
	var nv order.FulfilmentView
	if err = errs.Err(); err == nil {
		nv, err = s.Orders.Reroute(ctx, order.RerouteInput{FulfilmentID: id, LocationID: *to, Reason: f.Reason})
	}
	if err != nil {
		return s.formFailed(w, r, err, fulfilmentFields, func(fe formErrors) (templ.Component, error) {
			p, err := s.fulfilmentPage(ctx, id, f, fe)
			if err != nil {
				return nil, err
			}
			return fulfilmentShowPage(p), nil
		})
	}
	return s.redirect(w, r, fulfilmentURL(nv.ID), flashRerouted)
}

// fulfilmentScan records one scan. With HTMX the pack panel is swapped with the scan's
// feedback (accepted, or refused with the service's message) and the progress; without,
// an accepted scan goes back to the page and a refused one shows it with the message.
func (s *server) fulfilmentScan(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	code := strings.TrimSpace(r.PostFormValue("code"))
	res, err := s.Orders.Scan(ctx, order.ScanInput{FulfilmentID: id, Code: code, IdempotencyKey: r.PostFormValue("idempotencyKey")})
	var fb scanFeedback
	switch e, ok := apperr.Errors(err); {
	case err == nil:
		fb = scanFeedback{Accepted: true, Message: acceptedMessage(res)}
	case ok && (e[0].Code == apperr.CodeInvalid || e[0].Code == apperr.CodeConflict):
		msgs := make([]string, len(e))
		for i, x := range e {
			msgs[i] = x.Message
		}
		fb = scanFeedback{Message: strings.Join(msgs, "; ")}
	default:
		return err
	}
	if !isHTMX(r) && fb.Accepted {
		http.Redirect(w, r, fulfilmentURL(id)+"#pack", http.StatusSeeOther)
		return nil
	}
	p, err := s.fulfilmentPage(ctx, id, fulfilmentForm{}, formErrors{})
	if err != nil {
		return err
	}
	p.Feedback = &fb
	if isHTMX(r) {
		return s.fragment(w, r, http.StatusOK, scanResponse(p))
	}
	return s.page(w, r, http.StatusUnprocessableEntity, fulfilmentShowPage(p))
}

// acceptedMessage says what an accepted scan was and where packing stands.
func acceptedMessage(res order.ScanResult) string {
	it := res.Item
	msg := it.SKU + " " + it.Title + ": " + strconv.Itoa(it.Scanned) + " of " + strconv.Itoa(it.Quantity) + " scanned."
	if res.Replayed {
		msg = it.SKU + ": this scan was already counted."
	}
	if res.Complete {
		msg += " Everything is scanned: pack it."
	}
	return msg
}

const flashItemsCancelled = "order-items-cancelled"

// cancelItemsForm cancels units of an order's lines that have not left yet.
type cancelItemsForm struct {
	OrderID  int64
	Number   string
	Choices  []cancelChoice
	Line     string
	Quantity string
	Reason   string
	Errors   formErrors
}

// cancelChoice is a line with units that can still be cancelled.
type cancelChoice struct {
	ID    int64
	Label string
	Max   int
}

// cancelItemsOf offers the lines of an order with units not yet gone (in a fulfilment
// that is open, being picked, packed, or waiting at the pickup store).
func cancelItemsOf(p orderPage) cancelItemsForm {
	f := cancelItemsForm{OrderID: p.ID, Number: p.Number}
	if p.Status != order.Open && p.Status != order.OnHold {
		return f
	}
	open := map[int64]int{}
	for _, fu := range p.Fulfilments {
		if slices.Contains([]order.FulfilmentStatus{order.FulfilmentOpen, order.FulfilmentPicking, order.FulfilmentPacked,
			order.FulfilmentReceived, order.FulfilmentReadyForPickup}, fu.Status) {
			for _, l := range fu.Lines {
				open[l.OrderLineID] += l.Quantity
			}
		}
	}
	for _, l := range p.Lines {
		if n := open[l.ID]; n > 0 {
			f.Choices = append(f.Choices, cancelChoice{ID: l.ID, Label: l.SKU + " " + l.Title, Max: n})
		}
	}
	return f
}

var cancelItemsFields = fieldSet("lines.0.orderLineId", "lines.0.quantity", "reason")

// orderCancelItems cancels a quantity of one line of an order, then shows the order; a
// refused cancellation shows the form again as typed, with why.
func (s *server) orderCancelItems(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v := r.PostFormValue
	f := cancelItemsForm{Line: v("line"), Quantity: v("quantity"), Reason: v("reason")}
	var errs apperr.List
	lineID := optInt64(&errs, "lines.0.orderLineId", f.Line)
	if lineID == nil && len(errs) == 0 {
		errs = append(errs, apperr.Invalid("lines.0.orderLineId", "choose the item to cancel"))
	}
	qty := wholeNumber(&errs, "lines.0.quantity", f.Quantity)
	if err = errs.Err(); err == nil {
		_, err = s.Orders.CancelLines(ctx, order.CancelLinesInput{OrderID: id, Reason: f.Reason,
			Lines: []order.LineQuantity{{OrderLineID: *lineID, Quantity: qty}}})
	}
	if err != nil {
		return s.formFailed(w, r, err, cancelItemsFields, func(fe formErrors) (templ.Component, error) {
			p, err := s.orderPage(ctx, id)
			if err != nil {
				return nil, err
			}
			form := cancelItemsOf(p)
			form.Line, form.Quantity, form.Reason, form.Errors = f.Line, f.Quantity, f.Reason, fe
			return cancelItemsPage(form), nil
		})
	}
	return s.redirect(w, r, orderURL(id), flashItemsCancelled)
}
