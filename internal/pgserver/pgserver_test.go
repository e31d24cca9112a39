package pgserver_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"atrium/internal/pgserver"
	"atrium/internal/testdb"
)

// One data folder, one server: a second start while the first runs is refused clearly,
// and after a stop the data is still there for the next start.
func TestStartStopRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	dir := filepath.Join(testdb.TempDir(t), "pg")
	ctx := context.Background()
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	dsn, err := srv.EnsureDatabase(ctx, "atrium")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, dsn, `CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)`)

	if _, err := pgserver.Start(ctx, pgserver.Options{Dir: dir}); !errors.Is(err, pgserver.ErrRunning) {
		t.Fatalf("second start: %v, want ErrRunning", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid left behind after a clean stop: %v", err)
	}

	srv, err = pgserver.Start(ctx, pgserver.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	var x int
	d, _ := sql.Open("postgres", srv.DSN("atrium"))
	defer d.Close()
	if err := d.QueryRow(`SELECT x FROM kept`).Scan(&x); err != nil || x != 42 {
		t.Fatalf("data not kept across restart: %d, %v", x, err)
	}
}

func TestLongPathUsesShortSocketFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	dir := filepath.Join(testdb.TempDir(t), "a-very-long-folder-name-to-push-the-socket-path-past-the-unix-limit-of-107-bytes", "pg")
	srv, err := pgserver.Start(context.Background(), pgserver.Options{Dir: dir, Throwaway: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	exec(t, srv.DSN("postgres"), `SELECT 1`)
}

func exec(t *testing.T, dsn, query string) {
	t.Helper()
	d, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(query); err != nil {
		t.Fatal(err)
	}
}

// As root, a data folder the postgres user cannot enter (t.TempDir is 0700) moves to
// FallbackRoot instead of failing with "permission denied" deep inside initdb.
func TestUnreachableFolderFallsBack(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root and starts a PostgreSQL server")
	}
	pgserver.FallbackRoot = testdb.TempDir(t)
	srv, err := pgserver.Start(context.Background(), pgserver.Options{Dir: filepath.Join(t.TempDir(), "pg"), Throwaway: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	exec(t, srv.DSN("postgres"), `SELECT 1`)
}
