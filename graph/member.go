package graph

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/vikstrous/dataloadgen"

	"atrium/graph/model"
	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/loyalty"
	"atrium/internal/postgres"
	"atrium/internal/purchasing"
)

// The member and loyalty resolvers' decoding and encoding (customers, identities, consents,
// points, merges, privacy, online linking), and the goods notices fed to tablets.

const (
	typeIdentity    = "CustomerIdentity"
	typeMerge       = "CustomerMerge"
	typePointsEntry = "PointsEntry"
	typeFeedback    = "Feedback"
)

// Page limits of the member lists, as the services enforce them.
const (
	maxCustomerPage  = 100
	maxViewsPage     = 200
	maxFeedbackPage  = 200
	maxPointsHistory = 200
)

var (
	// errNoViews is the internal error of the product view fields on a server without
	// Deps.Views.
	errNoViews = errors.New("product views: no marketing service configured")
	// errNoGoodsFeed is the internal error of a goodsNotifications subscription on a
	// server without Deps.GoodsFeed.
	errNoGoodsFeed = errors.New("goodsNotifications: no goods feed configured")
)

// memberCustomer is a member as the Customer type serves it.
func memberCustomer(m customer.Member) customer.Customer {
	return customer.Customer{ID: m.ID, Email: m.Email, Phone: m.Phone, Name: m.Name, CreatedAt: m.CreatedAt}
}

// primeMember primes the operation's loaders with a member read by other means.
func primeMember(ctx context.Context, m customer.Member) {
	l := loadersFrom(ctx)
	l.member.Prime(m.ID, m)
	l.customer.Prime(m.ID, memberCustomer(m))
}

// forgetCustomer drops what the loaders hold about customer id (after a change to it).
func forgetCustomer(ctx context.Context, id int64) {
	l := loadersFrom(ctx)
	l.member.Clear(id)
	l.customer.Clear(id)
	l.lifetimeValue.Clear(id)
}

// member loads the membership details of customer id through the operation's loader.
func member(ctx context.Context, id int64) (customer.Member, error) {
	return load(ctx, loadersFrom(ctx).member, id)
}

// limit decodes an optional list size of 1 to max on field; def when omitted.
func limit(field string, first *int, def, max int) (int, error) {
	if first == nil {
		return def, nil
	}
	if *first < 1 || *first > max {
		return 0, apperr.Invalid(field, "%s is 1 to %d", field, max)
	}
	return *first, nil
}

// shopMoney is an amount in the shop's currency (loyalty figures are kept in it).
func (r *Resolver) shopMoney(ctx context.Context, amount int64) (*model.Money, error) {
	cur, err := r.Catalog.Currency(ctx)
	if err != nil {
		return nil, err
	}
	return &model.Money{Amount: amount, Currency: cur}, nil
}

// customerPayload answers a change to a customer: the customer as it is now, or what the
// user can fix.
func (r *Resolver) customerPayload(ctx context.Context, id int64, err error, prefix ...string) (*model.CustomerPayload, error) {
	if err != nil {
		errs, err := userErrors(err, prefix...)
		if err != nil {
			return nil, err
		}
		return &model.CustomerPayload{UserErrors: errs}, nil
	}
	forgetCustomer(ctx, id)
	c, err := r.Deps.Customers.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return &model.CustomerPayload{Customer: &c, UserErrors: []model.UserError{}}, nil
}

// mergePayload answers a merge or unmerge.
func mergePayload(ctx context.Context, ev customer.MergeEvent, err error, prefix ...string) (*model.CustomerMergePayload, error) {
	if err != nil {
		errs, err := userErrors(err, prefix...)
		if err != nil {
			return nil, err
		}
		return &model.CustomerMergePayload{UserErrors: errs}, nil
	}
	forgetCustomer(ctx, ev.SurvivorID)
	forgetCustomer(ctx, ev.MergedID)
	return &model.CustomerMergePayload{Merge: &ev, UserErrors: []model.UserError{}}, nil
}

// consentChoices decodes registerMember's consents.
func consentChoices(in []model.ConsentChoiceInput) []customer.ConsentChoice {
	out := make([]customer.ConsentChoice, len(in))
	for i, c := range in {
		out[i] = customer.ConsentChoice{Purpose: c.Purpose, Granted: c.Granted}
	}
	return out
}

// selfOrCustomer is the customer an argument names, or the signed-in customer when it is
// omitted. Errors: apperr.Invalid on field for staff who omit it or a malformed ID,
// apperr.Unauthenticated for anonymous callers.
func selfOrCustomer(ctx context.Context, field string, gid *string) (int64, error) {
	if gid != nil {
		return decodeIDOf(field, typeCustomer, *gid)
	}
	switch a := actor.From(ctx); a.Kind {
	case actor.Customer:
		return a.ID, nil
	case actor.Anonymous:
		return 0, apperr.Unauthenticated("sign in to do this")
	}
	return 0, apperr.Invalid(field, "choose the customer")
}

// linkOnDuplicate starts linking an online registration to the store member who has its
// email or phone, when err says one does: the challenge to confirm, or nil when there is
// nothing to link (no linker, another error, or the member already has an online account:
// they sign in). A failure to start that the user can act on (too many codes asked) is
// returned as extra userErrors.
func (r *Resolver) linkOnDuplicate(ctx context.Context, err error, email string, phone *string) (*customer.LinkChallenge, []model.UserError, error) {
	found, _ := apperr.Errors(err)
	if r.Linker == nil || !slices.ContainsFunc(found, func(e *apperr.Error) bool { return e.Reason == "DUPLICATE" }) {
		return nil, nil, nil
	}
	ch, err := r.Linker.StartLink(ctx, customer.LinkStart{Email: email, Phone: deref(phone)})
	if err == nil {
		return &ch, nil, nil
	}
	if e, ok := apperr.As(err); ok {
		switch e.Reason {
		case customer.LinkReasonNoMatch, customer.LinkReasonHasAccount, customer.LinkReasonAmbiguous, customer.LinkReasonIdentityTaken:
			return nil, nil, nil // the duplicate says it all
		}
	}
	errs, err := userErrors(err, "input")
	return nil, errs, err
}

// GoodsFeed delivers the goods notices of every server to goodsNotifications subscriptions.
type GoodsFeed = postgres.Feed[purchasing.GoodsEvent]

// NewGoodsFeed returns the feed of goods notices committed on the database at dsn; the
// caller runs it (Run) for as long as the server serves.
func NewGoodsFeed(dsn string) *GoodsFeed {
	return postgres.NewFeed(dsn, purchasing.GoodsChannel, purchasing.ParseGoodsEvent)
}

// watchGoods sends the goods notices for location id, read as the actor in ctx, until ctx
// ends or the feed stops. Errors: NotFound for an unknown location.
func (r *Resolver) watchGoods(ctx context.Context, locationID int64) (<-chan *model.GoodsNotification, error) {
	if r.GoodsFeed == nil {
		return nil, errNoGoodsFeed
	}
	loc, err := load(ctx, loadersFrom(ctx).location, locationID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	events := r.GoodsFeed.Subscribe(ctx, func(ev purchasing.GoodsEvent) bool { return ev.LocationID == locationID })
	out := make(chan *model.GoodsNotification)
	go func() {
		defer cancel()
		defer close(out)
		for ev := range events {
			if ev == (purchasing.GoodsEvent{}) {
				continue // a lost connection: clients re-read deliveriesExpected when they reconnect
			}
			d, err := r.Purchasing.Order(ctx, ev.OrderID)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.Log.Warn("goodsNotifications: reading the purchase order", "order", ev.OrderID, "err", err)
				continue
			}
			n := &model.GoodsNotification{Kind: goodsKind(ev.Kind), PurchaseOrderNumber: d.Number(), Status: string(d.Status),
				SupplierName: d.SupplierName, Location: &loc, ExpectedOn: d.ExpectedOn}
			for _, l := range d.Lines {
				n.OutstandingUnits += l.Outstanding()
			}
			select {
			case out <- n:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// goodsKind is a notice's kind as the schema names it.
func goodsKind(kind string) string {
	if kind == purchasing.KindGoodsReceived {
		return "RECEIVED"
	}
	return "ARRIVING"
}

// pointsHistory reads a customer's newest points entries.
func (r *Resolver) pointsHistory(ctx context.Context, s *loyalty.Summary, first *int) ([]loyalty.Entry, error) {
	n, err := limit("first", first, defaultPageCost, maxPointsHistory)
	if err != nil {
		return nil, err
	}
	return r.Loyalty.History(ctx, s.CustomerID, n)
}

// trimmed returns nil for a blank optional string.
func trimmed(s *string) string { return strings.TrimSpace(deref(s)) }

// mergedOrders loads the orders a merge moved, leaving out any the viewer may not see.
func mergedOrders(ctx context.Context, ids []int64) ([]model.Order, error) {
	l := loadersFrom(ctx).order
	thunks := make([]func() (model.Order, error), len(ids))
	for i, id := range ids {
		thunks[i] = l.LoadThunk(ctx, id)
	}
	out := make([]model.Order, 0, len(ids))
	for _, get := range thunks {
		o, err := get()
		if errors.Is(err, dataloadgen.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
