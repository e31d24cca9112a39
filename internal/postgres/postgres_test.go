package postgres_test

import (
	"context"
	"sync"
	"testing"

	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The template database is already migrated: migrating again, from several servers at
// once, is a no-op that neither fails nor deadlocks.
func TestMigrateTwiceConcurrently(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	var before int
	if err := d.Get(&before, `SELECT count(*) FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() { errs <- postgres.Migrate(context.Background(), d.DB, nil) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var after int
	if err := d.Get(&after, `SELECT count(*) FROM goose_db_version`); err != nil || after != before {
		t.Fatalf("version rows %d -> %d, %v", before, after, err)
	}
}

func TestMigrateFreshDatabase(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	// Start from nothing: drop the schema and migrate twice.
	if _, err := d.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := postgres.Migrate(context.Background(), d.DB, nil); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	var n int
	if err := d.Get(&n, `SELECT count(*) FROM settings`); err != nil || n != 1 {
		t.Fatalf("settings rows %d, %v", n, err)
	}
}
