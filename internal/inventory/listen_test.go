package inventory_test

import (
	"context"
	"testing"
	"time"

	"atrium/internal/inventory"
	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

// A change committed through one connection pool (one server) reaches a listener on
// another connection.
func TestListen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var name string
	if err := f.db.Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	dsn := testdb.DSN(t, name)
	other, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	changes := make(chan inventory.Change, 16)
	done := make(chan error, 1)
	go func() { done <- inventory.Listen(ctx, dsn, func(c inventory.Change) { changes <- c }) }()
	next := func() inventory.Change {
		t.Helper()
		select {
		case c := <-changes:
			return c
		case <-ctx.Done():
			t.Fatal("no notification")
		}
		return inventory.Change{}
	}
	if c := next(); c != (inventory.Change{}) {
		t.Fatalf("first call %+v, want the zero Change once listening", c)
	}
	_, err = inventory.NewService(other).Adjust(system, inventory.AdjustInput{IdempotencyKey: newKey(),
		LocationID: f.b, VariantID: f.plain[1], Delta: 2, Reason: "found"})
	if err != nil {
		t.Fatal(err)
	}
	if c := next(); c != (inventory.Change{LocationID: f.b, VariantID: f.plain[1]}) {
		t.Fatalf("got %+v", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
