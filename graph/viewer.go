package graph

import (
	"context"

	"atrium/graph/model"
	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/auth"
)

// viewer returns the staff member or customer ctx acts as; nil when anonymous (or the
// system, which is nobody a client can be).
func (r *Resolver) viewer(ctx context.Context) (model.Viewer, error) {
	a := actor.From(ctx)
	switch a.Kind {
	case actor.Staff:
		m, err := r.Staff.Get(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return m, nil
	case actor.Customer:
		c, err := r.Customers.Get(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, nil
}

// authPayload answers a sign-in: the session's token and viewer, or what the user can fix
// as userErrors (field paths under prefix).
func (r *Resolver) authPayload(ctx context.Context, sess auth.Session, err error, prefix ...string) (*model.AuthPayload, error) {
	if err != nil {
		errs, err := userErrors(err, prefix...)
		if err != nil {
			return nil, err
		}
		return &model.AuthPayload{UserErrors: errs}, nil
	}
	v, err := r.viewer(actor.With(ctx, sess.Actor))
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Token: &sess.Token, ExpiresAt: &sess.ExpiresAt, Viewer: v, UserErrors: []model.UserError{}}, nil
}

// nilIfNotFound drops apperr.NotFound: for node(id) and other lookups, "not there, or not
// yours to see" is null rather than an error.
func nilIfNotFound(err error) error {
	if apperr.CodeOf(err) == apperr.CodeNotFound {
		return nil
	}
	return err
}

// notFoundAsNil returns a pointer to v, or nil for apperr.NotFound (see nilIfNotFound).
func notFoundAsNil[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, nilIfNotFound(err)
	}
	return &v, nil
}

// ptr returns a pointer to v, for non-null object fields (gqlgen wants pointers).
func ptr[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// deref returns *p, or the zero value for nil (an omitted argument).
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// nonEmpty returns nil for "" (a column the domain keeps as empty text, shown as null).
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
