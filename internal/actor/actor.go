// Package actor carries who is acting (a staff member, a customer, the system, or nobody)
// through the context, so every domain service decides authorization itself and no
// transport can skip it.
package actor

import (
	"context"
	"slices"

	"atrium/internal/apperr"
)

// Role is a staff role.
type Role string

const (
	Admin      Role = "ADMIN"
	Manager    Role = "MANAGER"
	Associate  Role = "ASSOCIATE"
	Fulfilment Role = "FULFILMENT"
	Buyer      Role = "BUYER"
	Accountant Role = "ACCOUNTANT"
	HR         Role = "HR"
)

// Roles lists every role, in the order the back office shows them.
var Roles = []Role{Admin, Manager, Associate, Fulfilment, Buyer, Accountant, HR}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Kind says what sort of actor is acting.
type Kind string

const (
	Anonymous Kind = "ANONYMOUS"
	Staff     Kind = "STAFF"
	Customer  Kind = "CUSTOMER"
	System    Kind = "SYSTEM"
)

// Actor is the authenticated principal of a request.
type Actor struct {
	Kind Kind
	// ID is the staff member's or customer's id; 0 for anonymous and system.
	ID int64
	// Roles and HomeLocationID are set for staff.
	Roles          []Role
	HomeLocationID *int64
	// Login or email, for audit records and logs.
	Name string
}

// HasRole reports whether a is staff holding any of roles. ADMIN holds every role.
func (a Actor) HasRole(roles ...Role) bool {
	if a.Kind == System {
		return true
	}
	if a.Kind != Staff {
		return false
	}
	if slices.Contains(a.Roles, Admin) {
		return true
	}
	for _, r := range roles {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// IsStaff reports whether a is a staff member (or the system).
func (a Actor) IsStaff() bool { return a.Kind == Staff || a.Kind == System }

type ctxKey struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// From returns the actor in ctx, or an anonymous actor.
func From(ctx context.Context) Actor {
	if a, ok := ctx.Value(ctxKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: Anonymous}
}

// SystemContext returns ctx acting as the system (seed, jobs, migrations).
func SystemContext(ctx context.Context) context.Context {
	return With(ctx, Actor{Kind: System, Name: "system"})
}

// RequireStaff returns the acting staff member, or an Unauthenticated/Forbidden error.
// With roles given, the actor must hold at least one of them (ADMIN holds all).
func RequireStaff(ctx context.Context, roles ...Role) (Actor, error) {
	a := From(ctx)
	switch {
	case a.Kind == Anonymous:
		return a, apperr.Unauthenticated("sign in as a staff member to do this")
	case !a.IsStaff():
		return a, apperr.Forbidden("this is for staff only")
	case len(roles) > 0 && !a.HasRole(roles...):
		return a, apperr.Forbidden("this needs one of the roles %v", roles)
	}
	return a, nil
}

// RequireCustomer returns the acting customer, or an Unauthenticated/Forbidden error.
func RequireCustomer(ctx context.Context) (Actor, error) {
	a := From(ctx)
	switch a.Kind {
	case Customer:
		return a, nil
	case Anonymous:
		return a, apperr.Unauthenticated("sign in to do this")
	default:
		return a, apperr.Forbidden("this is for customers only")
	}
}
