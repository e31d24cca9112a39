package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
)

// Transfers between locations: the list (with what is on its way to the viewer's home
// location), the line editor that looks SKUs and barcodes up as they are typed or scanned,
// and a transfer's page where the source ships it and the destination receives it.

const transferPageSize = 25

var transferStatuses = []string{inventory.TransferDraft, inventory.TransferInTransit, inventory.TransferReceived,
	inventory.TransferReceivedWithDifferences, inventory.TransferCancelled}

func transferURL(id int64) string { return "/admin/stock/transfers/" + strconv.FormatInt(id, 10) }

// transferFilter is the list's query string. Dir narrows the location to one end: "out"
// (transfers leaving it) or "in" (arriving); "" is both.
type transferFilter struct {
	Location locationChoice
	Dir      string
	Status   string
	Trail    trail
}

func readTransferFilter(r *http.Request) transferFilter {
	q := r.URL.Query()
	f := transferFilter{Location: readLocation(q, actor.From(r.Context())), Dir: q.Get("dir"), Status: q.Get("status"),
		Trail: readTrail(q)}
	if f.Dir != "out" && f.Dir != "in" {
		f.Dir = ""
	}
	if !slices.Contains(transferStatuses, f.Status) {
		f.Status = ""
	}
	return f
}

func (f transferFilter) url(after string, prev []string) string {
	return listURL("/admin/stock/transfers", url.Values{"location": {f.Location.Raw}, "dir": {f.Dir},
		"status": {f.Status}}, after, prev)
}

func (f transferFilter) query() inventory.TransferFilter {
	q := inventory.TransferFilter{First: transferPageSize}
	q.After, _ = strconv.ParseInt(f.Trail.After, 10, 64)
	switch f.Dir {
	case "out":
		q.FromLocationID = f.Location.ID
	case "in":
		q.ToLocationID = f.Location.ID
	default:
		q.LocationID = f.Location.ID
	}
	if f.Status != "" {
		q.Statuses = []string{f.Status}
	}
	return q
}

// transferRow is a transfer with its ends.
type transferRow struct {
	inventory.Transfer
	From, To location.Location
}

// Units is how many units the transfer moves.
func (t transferRow) Units() int {
	n := 0
	for _, l := range t.Lines {
		n += l.Qty
	}
	return n
}

// transferList is the transfers page.
type transferList struct {
	Filter    transferFilter
	Locations []location.Location
	Rows      []transferRow
	Pager     pager
	// Home is the viewer's home location, and Arriving the transfers in transit to it.
	Home     *location.Location
	Arriving []transferRow
}

func (s *server) transferRows(ctx context.Context, ts []inventory.Transfer) ([]transferRow, []location.Location, error) {
	ix, err := s.locationIndex(ctx)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]transferRow, len(ts))
	for i, t := range ts {
		rows[i] = transferRow{Transfer: t, From: ix.location(t.FromLocationID), To: ix.location(t.ToLocationID)}
	}
	return rows, ix.Locations, nil
}

func (s *server) transferList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readTransferFilter(r)
	page, err := s.Inventory.Transfers(ctx, f.query())
	if err != nil {
		return err
	}
	v := transferList{Filter: f}
	if v.Rows, v.Locations, err = s.transferRows(ctx, page.Transfers); err != nil {
		return err
	}
	next := ""
	if page.HasNextPage {
		next = strconv.FormatInt(page.Transfers[len(page.Transfers)-1].ID, 10)
	}
	v.Pager = f.Trail.pager(-1, transferPageSize, next, f.url)
	if home := actor.From(ctx).HomeLocationID; home != nil && f.Trail.After == "" {
		arriving, err := s.Inventory.Transfers(ctx, inventory.TransferFilter{ToLocationID: home,
			Statuses: []string{inventory.TransferInTransit}, First: inventory.MaxPage})
		if err != nil {
			return err
		}
		if v.Arriving, _, err = s.transferRows(ctx, arriving.Transfers); err != nil {
			return err
		}
		for _, l := range v.Locations {
			if l.ID == *home {
				v.Home = &l
			}
		}
	}
	return s.page(w, r, http.StatusOK, transferListPage(v))
}

// transferForm is a new transfer as typed.
type transferForm struct {
	Key, From, To, ExpectedArrival, Note string
	Lines                                []transferLine
}

// transferLine is a row of the line editor: the SKU or barcode and quantity as typed, and
// what the code was found to be. Index identifies the row in the page (its error ids);
// rows added in the browser get the next free one.
type transferLine struct {
	Index     int
	Code, Qty string
	Found     *lineLookup
}

// lineLookup is a line's variant and its stock at the source (Level is nil when no source
// is chosen yet).
type lineLookup struct {
	Variant catalog.Variant
	Product catalog.Product
	Source  *location.Location
	Level   *inventory.Level
}

// Shippable is what the source can ship: on hand less what is reserved for orders.
func (l lineLookup) Shippable() int {
	if l.Level == nil {
		return 0
	}
	return max(0, l.Level.OnHand-l.Level.Reserved)
}

func readTransferForm(r *http.Request) transferForm {
	v := r.PostFormValue
	f := transferForm{Key: v("idempotencyKey"), From: v("fromLocationId"), To: v("toLocationId"),
		ExpectedArrival: v("expectedArrival"), Note: v("note")}
	qtys := r.PostForm["line_qty"]
	for i, code := range r.PostForm["line_code"] {
		l := transferLine{Index: i, Code: strings.TrimSpace(code)}
		if i < len(qtys) {
			l.Qty = strings.TrimSpace(qtys[i])
		}
		f.Lines = append(f.Lines, l)
	}
	return f
}

// shows reports whether the editor displays the field at path.
func (f transferForm) shows(path string) bool {
	if fieldSet("fromLocationId", "toLocationId", "expectedArrival", "note", "lines")(path) {
		return true
	}
	var i int
	var field string
	if _, err := fmt.Sscanf(strings.ReplaceAll(path, ".", " "), "lines %d %s", &i, &field); err != nil {
		return false
	}
	return i >= 0 && i < len(f.Lines) && (field == "variantId" || field == "qty")
}

// transferEditor is the new-transfer page.
type transferEditor struct {
	Form      transferForm
	Errors    formErrors
	Locations []location.Location
}

func (s *server) transferNew(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := transferForm{Key: newIdempotencyKey(), Lines: []transferLine{{}}}
	ls, err := s.Locations.List(ctx, location.Filter{})
	if err != nil {
		return err
	}
	// Store staff mostly ask the warehouse for stock for their store.
	if home := actor.From(ctx).HomeLocationID; home != nil {
		f.To = strconv.FormatInt(*home, 10)
		for _, l := range ls {
			if l.Kind == location.Warehouse && l.ID != *home {
				f.From = strconv.FormatInt(l.ID, 10)
				break
			}
		}
	}
	return s.page(w, r, http.StatusOK, transferNewPage(transferEditor{Form: f, Locations: ls}))
}

// transferLineLookup looks up one line of the editor as it is typed or scanned (HTMX), or
// returns a blank line to add (with the next free index after those in line_index).
func (s *server) transferLineLookup(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	l := transferLine{Code: strings.TrimSpace(q.Get("line_code")), Qty: strings.TrimSpace(q.Get("line_qty"))}
	if q.Has("line_code") {
		l.Index, _ = strconv.Atoi(q.Get("line_index"))
	} else {
		for _, i := range q["line_index"] {
			if n, err := strconv.Atoi(i); err == nil && n >= l.Index {
				l.Index = n + 1
			}
		}
	}
	from := optInt64(new(apperr.List), "", q.Get("fromLocationId"))
	var errs apperr.List
	if err := s.lookupLine(r.Context(), from, &l, &errs); err != nil {
		return err
	}
	return s.fragment(w, r, http.StatusOK, transferLineFields(l, newFormErrors(errs, func(string) bool { return true })))
}

// lookupLine finds the variant of l's code and its stock at from; what is wrong with the
// line (an unknown code, a quantity that is not one) goes to errs under l.Index.
func (s *server) lookupLine(ctx context.Context, from *int64, l *transferLine, errs *apperr.List) error {
	field := func(name string) string { return fmt.Sprintf("lines.%d.%s", l.Index, name) }
	if l.Qty != "" {
		wholeNumber(errs, field("qty"), l.Qty)
	}
	if l.Code == "" {
		return nil
	}
	v, err := s.variantByCode(ctx, l.Code)
	if apperr.CodeOf(err) == apperr.CodeNotFound {
		*errs = append(*errs, apperr.Invalid(field("variantId"), "no variant has the SKU or barcode %s", l.Code))
		return nil
	}
	if err != nil {
		return err
	}
	p, err := s.Catalog.Product(ctx, v.ProductID)
	if err != nil {
		return err
	}
	l.Found = &lineLookup{Variant: v, Product: p}
	if from == nil {
		return nil
	}
	src, err := s.Locations.Get(ctx, *from)
	if apperr.CodeOf(err) == apperr.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	levels, err := s.Inventory.LevelsByVariantIDs(ctx, []int64{v.ID})
	if err != nil {
		return err
	}
	l.Found.Source, l.Found.Level = &src, &inventory.Level{LocationID: src.ID, VariantID: v.ID}
	for _, lv := range levels[v.ID] {
		if lv.LocationID == src.ID {
			l.Found.Level = &lv
		}
	}
	return nil
}

func (s *server) transferCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := readTransferForm(r)
	editor := func(fe formErrors) (templ.Component, error) {
		ls, err := s.Locations.List(ctx, location.Filter{})
		if err != nil {
			return nil, err
		}
		var errs apperr.List
		from := optInt64(&errs, "", f.From)
		for i := range f.Lines {
			f.Lines[i].Index = i
			if err := s.lookupLine(ctx, from, &f.Lines[i], &errs); err != nil {
				return nil, err
			}
		}
		if fe.Empty() {
			fe = newFormErrors(errs, f.shows) // the line editor's buttons: show what the lines are
		}
		return transferNewPage(transferEditor{Form: f, Errors: fe, Locations: ls}), nil
	}
	// Without JavaScript the line editor's buttons post here: add or remove a line.
	if lines, ok := lineEditOp(r, f.Lines); ok {
		f.Lines = lines
		c, err := editor(formErrors{})
		if err != nil {
			return err
		}
		return s.page(w, r, http.StatusOK, c)
	}

	var errs apperr.List
	in := inventory.TransferInput{IdempotencyKey: f.Key, Note: f.Note,
		ExpectedArrival: optDate(&errs, "expectedArrival", f.ExpectedArrival)}
	if from := optInt64(&errs, "fromLocationId", f.From); from != nil {
		in.FromLocationID = *from
	}
	if to := optInt64(&errs, "toLocationId", f.To); to != nil {
		in.ToLocationID = *to
	}
	var rowOf []int // the editor's row of each line of the input
	for i, l := range f.Lines {
		if l.Code == "" && l.Qty == "" {
			continue // a blank row left over
		}
		field := func(name string) string { return fmt.Sprintf("lines.%d.%s", i, name) }
		line := inventory.TransferLineInput{Qty: wholeNumber(&errs, field("qty"), l.Qty)}
		if l.Code == "" {
			errs = append(errs, apperr.Invalid(field("variantId"), "type or scan a SKU or barcode"))
		} else if v, err := s.variantByCode(ctx, l.Code); err == nil {
			line.VariantID = v.ID
		} else if apperr.CodeOf(err) == apperr.CodeNotFound {
			errs = append(errs, apperr.Invalid(field("variantId"), "no variant has the SKU or barcode %s", l.Code))
		} else {
			return err
		}
		in.Lines = append(in.Lines, line)
		rowOf = append(rowOf, i)
	}
	var t inventory.Transfer
	err := errs.Err()
	if err == nil {
		t, err = s.Inventory.CreateTransfer(ctx, in)
		err = renumberLines(err, rowOf)
	}
	if err != nil {
		f.Key = keyAfter(f.Key, err)
		return s.formFailed(w, r, err, f.shows, editor)
	}
	return s.redirect(w, r, transferURL(t.ID), flashTransferCreated)
}

// renumberLines rewrites the line numbers of err's lines.<i>.* fields from the input's to
// the editor's rows (blank rows are not sent).
func renumberLines(err error, rowOf []int) error {
	errs, ok := apperr.Errors(err)
	if !ok {
		return err
	}
	out := make(apperr.List, len(errs))
	for k, e := range errs {
		c := *e
		if len(c.Field) >= 2 && c.Field[0] == "lines" {
			if i, err := strconv.Atoi(c.Field[1]); err == nil && i >= 0 && i < len(rowOf) {
				c.Field = append([]string{"lines", strconv.Itoa(rowOf[i])}, c.Field[2:]...)
			}
		}
		out[k] = &c
	}
	return out
}

// transferPage is one transfer with what the viewer may do with it.
type transferPage struct {
	transferRow
	Lines     []transferLineRow
	CreatedBy string
	Errors    formErrors
	// Received holds the receive form's quantities as typed, by line.
	Received                       []string
	CanShip, CanCancel, CanReceive bool
}

type transferLineRow struct {
	inventory.TransferLine
	Variant catalog.Variant
	Product catalog.Product
}

// shows reports whether the transfer page displays the field at path: each line's
// shortage and received quantity.
func (p transferPage) shows(path string) bool {
	parts := strings.Split(path, ".")
	if len(parts) != 3 {
		return false
	}
	i, err := strconv.Atoi(parts[1])
	return err == nil && i >= 0 && i < len(p.Lines) &&
		(parts[0] == "lines" && parts[2] == "qty" || parts[0] == "received" && parts[2] == "qty")
}

func (s *server) transferPage(ctx context.Context, t inventory.Transfer) (transferPage, error) {
	rows, _, err := s.transferRows(ctx, []inventory.Transfer{t})
	if err != nil {
		return transferPage{}, err
	}
	p := transferPage{transferRow: rows[0]}
	ids := make([]int64, len(t.Lines))
	for i, l := range t.Lines {
		ids[i] = l.VariantID
		p.Received = append(p.Received, strconv.Itoa(l.Qty))
	}
	names, err := s.stockNames(ctx, ids)
	if err != nil {
		return p, err
	}
	for _, l := range t.Lines {
		it := names.item(0, l.VariantID)
		p.Lines = append(p.Lines, transferLineRow{TransferLine: l, Variant: it.Variant, Product: it.Product})
	}
	if t.CreatedBy != nil && t.CreatedByKind == string(actor.Staff) {
		people, err := s.Staff.ByIDs(ctx, []int64{*t.CreatedBy})
		if err != nil {
			return p, err
		}
		p.CreatedBy = people[*t.CreatedBy].Name
	}
	a := actor.From(ctx)
	p.CanShip = t.Status == inventory.TransferDraft && inventory.CanMoveStockAt(a, t.FromLocationID)
	p.CanCancel = t.Status == inventory.TransferDraft &&
		(inventory.CanMoveStockAt(a, t.FromLocationID) || inventory.CanMoveStockAt(a, t.ToLocationID))
	p.CanReceive = t.Status == inventory.TransferInTransit && inventory.CanMoveStockAt(a, t.ToLocationID)
	return p, nil
}

func (s *server) transferShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := s.Inventory.Transfer(r.Context(), id)
	if err != nil {
		return err
	}
	p, err := s.transferPage(r.Context(), t)
	if err != nil {
		return err
	}
	return s.page(w, r, http.StatusOK, transferShowPage(p))
}

// The status each action leaves a transfer in.
var (
	afterShip    = []string{inventory.TransferInTransit}
	afterReceive = []string{inventory.TransferReceived, inventory.TransferReceivedWithDifferences}
	afterCancel  = []string{inventory.TransferCancelled}
)

func (s *server) transferShip(w http.ResponseWriter, r *http.Request) error {
	return s.transferAction(w, r, flashTransferShipped, afterShip, nil, func(ctx context.Context, id int64) error {
		_, err := s.Inventory.ShipTransfer(ctx, id)
		return err
	})
}

func (s *server) transferCancel(w http.ResponseWriter, r *http.Request) error {
	return s.transferAction(w, r, flashTransferCancel, afterCancel, nil, func(ctx context.Context, id int64) error {
		_, err := s.Inventory.CancelTransfer(ctx, id)
		return err
	})
}

// transferReceive receives a transfer with the quantities that arrived, one per line in
// line order (received_qty), for the variants in received_variant.
func (s *server) transferReceive(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	qtys := r.PostForm["received_qty"]
	return s.transferAction(w, r, flashTransferArrived, afterReceive, qtys, func(ctx context.Context, id int64) error {
		var errs apperr.List
		var lines []inventory.ReceivedLine
		for i, v := range r.PostForm["received_variant"] {
			variant, err := strconv.ParseInt(v, 10, 64)
			if err != nil || i >= len(qtys) {
				return apperr.Invalid("", "the form could not be read; reload the page and try again")
			}
			lines = append(lines, inventory.ReceivedLine{VariantID: variant,
				Qty: wholeNumber(&errs, fmt.Sprintf("received.%d.qty", i), qtys[i])})
		}
		if err := errs.Err(); err != nil {
			return err
		}
		_, err := s.Inventory.ReceiveTransfer(ctx, id, lines)
		return err
	})
}

// transferAction runs a transfer's ship, receive or cancel; when refused for something the
// user can fix (a shortage, a received quantity, the status), the transfer's page shows
// why, with received as typed. An action refused because the transfer already is in the
// status it leads to (after) was done by a double submit: its first post did it.
func (s *server) transferAction(w http.ResponseWriter, r *http.Request, flash string, after, received []string,
	do func(context.Context, int64) error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := do(ctx, id); err != nil {
		t, terr := s.Inventory.Transfer(ctx, id)
		if terr != nil {
			return terr
		}
		if hasReason(err, inventory.ReasonTransferStatus) && slices.Contains(after, t.Status) {
			return s.redirect(w, r, transferURL(id), flash)
		}
		p, perr := s.transferPage(ctx, t)
		if perr != nil {
			return perr
		}
		if len(received) == len(p.Received) {
			p.Received = received
		}
		return s.formFailed(w, r, err, p.shows, func(fe formErrors) (templ.Component, error) {
			p.Errors = fe
			return transferShowPage(p), nil
		})
	}
	return s.redirect(w, r, transferURL(id), flash)
}
