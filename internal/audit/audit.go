// Package audit records sensitive actions (approvals, overrides, merges, price and role
// changes, refunds): who, when, what before and after, and why. Records are written in the
// transaction of the change they describe, so one never exists without the other.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
)

// Entry is one audit record to write.
type Entry struct {
	Action   string // e.g. "staff.roles_changed", "variant.price_changed"
	Entity   string // e.g. "staff", "variant"
	EntityID int64
	Before   any // marshalled to JSON; nil for none
	After    any
	Reason   string
}

// Record writes e as done by the actor in ctx.
func Record(ctx context.Context, ext sqlx.ExtContext, e Entry) error {
	a := actor.From(ctx)
	before, err := marshal(e.Before)
	if err != nil {
		return err
	}
	after, err := marshal(e.After)
	if err != nil {
		return err
	}
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	_, err = ext.ExecContext(ctx, `
		INSERT INTO audit_log (actor_kind, actor_id, actor_name, action, entity, entity_id, before, after, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		string(a.Kind), actorID, a.Name, e.Action, e.Entity, e.EntityID, before, after, e.Reason)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Stored is an audit entry as read back.
type Stored struct {
	ID        int64     `db:"id"`
	At        time.Time `db:"at"`
	ActorKind string    `db:"actor_kind"`
	ActorName string    `db:"actor_name"`
	Action    string    `db:"action"`
	Entity    string    `db:"entity"`
	EntityID  *int64    `db:"entity_id"`
	Before    []byte    `db:"before"`
	After     []byte    `db:"after"`
	Reason    string    `db:"reason"`
}

// ForEntity returns the newest audit records of one entity, newest first.
func ForEntity(ctx context.Context, q sqlx.QueryerContext, entity string, id int64, limit int) ([]Stored, error) {
	var out []Stored
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, at, actor_kind, actor_name, action, entity, entity_id, before, after, reason
		FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY at DESC, id DESC LIMIT $3`, entity, id, limit)
	return out, err
}

// marshal returns v as JSON text (nil for none). Text, not []byte: with lib/pq's
// binary_parameters a []byte is sent in jsonb's binary format, which it is not.
func marshal(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
