// Package testdb gives each test its own real PostgreSQL database, cloned from a migrated
// template, so tests run in parallel against the real thing.
//
// The server is the one DATABASE_URL names (make test starts a throwaway one for the whole
// run and sets it), or, when it is unset, a throwaway server this test process starts and
// stops in Main. Only databases this package creates (t_*, atrium_tpl_*) are ever dropped.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/db"
	"atrium/db/seed"
	"atrium/internal/pgserver"
	"atrium/internal/postgres"
)

// DemoPassword is the password of every demo account in NewDemo databases.
const DemoPassword = "atrium-demo"

var (
	server    *pgserver.Server
	startOnce sync.Once
	adminDSN  string
	startErr  error

	templatesMu sync.Mutex
	templates   = map[string]error{}
)

// Main runs the package's tests and stops the throwaway server, if one was started.
// Call it from TestMain: func TestMain(m *testing.M) { testdb.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if server != nil {
		_ = server.Stop()
	}
	os.Exit(code)
}

// New returns a new, migrated, empty database, dropped when t ends.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	return clone(t, "migrated", func(context.Context, *sqlx.DB) error { return nil })
}

// NewDemo returns a new database holding the demo data (staff logins with DemoPassword,
// locations, catalog, stock, customers), dropped when t ends.
func NewDemo(t testing.TB) *sqlx.DB {
	t.Helper()
	return clone(t, "demo", func(ctx context.Context, d *sqlx.DB) error {
		return seed.Load(ctx, d, seed.Options{Password: DemoPassword, Fast: true})
	})
}

// NewDemoDSN is NewDemo that also returns the database's DSN, for what opens connections
// of its own to it: a second server's pool, a LISTEN.
func NewDemoDSN(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	d := NewDemo(t)
	var name string
	if err := d.Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	return d, DSN(t, name)
}

// AdminDSN returns the DSN of the test server's maintenance database, starting the server
// if needed.
func AdminDSN(t testing.TB) string {
	t.Helper()
	startOnce.Do(start)
	if startErr != nil {
		t.Fatalf("test database server: %v", startErr)
	}
	return adminDSN
}

// DSN returns the DSN of database name on the test server.
func DSN(t testing.TB, name string) string {
	return withDatabase(AdminDSN(t), name)
}

func start() {
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		adminDSN = dsn
		return
	}
	dir, err := os.MkdirTemp("", "atrium-test-")
	if err != nil {
		startErr = err
		return
	}
	server, startErr = pgserver.Start(context.Background(), pgserver.Options{Dir: dir, Throwaway: true})
	if startErr == nil {
		adminDSN = server.DSN("postgres")
	}
}

func clone(t testing.TB, kind string, prepare func(context.Context, *sqlx.DB) error) *sqlx.DB {
	t.Helper()
	ctx := context.Background()
	admin := AdminDSN(t)
	tpl := "atrium_tpl_" + kind + "_" + schemaHash()
	if err := ensureTemplate(ctx, admin, tpl, prepare); err != nil {
		t.Fatalf("prepare template %s: %v", tpl, err)
	}
	name := "t_" + randomHex(8)
	a, err := sqlx.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tpl)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	d, err := postgres.Open(ctx, withDatabase(admin, name))
	if err != nil {
		t.Fatal(err)
	}
	d.SetMaxOpenConns(10)
	t.Cleanup(func() {
		d.Close()
		a, err := sqlx.Open("postgres", admin)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.ExecContext(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return d
}

// ensureTemplate creates template database tpl once per server (several test processes
// may race: an advisory lock serialises them) and marks it a template when complete.
func ensureTemplate(ctx context.Context, admin, tpl string, prepare func(context.Context, *sqlx.DB) error) error {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if err, done := templates[tpl]; done {
		return err
	}
	err := buildTemplate(ctx, admin, tpl, prepare)
	templates[tpl] = err
	return err
}

func buildTemplate(ctx context.Context, admin, tpl string, prepare func(context.Context, *sqlx.DB) error) error {
	a, err := sqlx.Open("postgres", admin)
	if err != nil {
		return err
	}
	defer a.Close()
	conn, err := a.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	h := fnv.New64a()
	h.Write([]byte(tpl))
	lockID := int64(h.Sum64() >> 1)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, lockID)

	var ready bool
	err = conn.GetContext(ctx, &ready, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, tpl)
	if err != nil || ready {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, tpl)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, tpl)); err != nil {
		return err
	}
	d, err := postgres.Open(ctx, withDatabase(admin, tpl))
	if err != nil {
		return err
	}
	err = postgres.Migrate(ctx, d.DB, nil)
	if err == nil {
		err = prepare(ctx, d)
	}
	d.Close()
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s IS_TEMPLATE true`, tpl))
	return err
}

var schemaHash = sync.OnceValue(func() string {
	h := sha256.New()
	_ = fs.WalkDir(db.Migrations, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(db.Migrations, p)
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	h.Write([]byte(seed.Version))
	return hex.EncodeToString(h.Sum(nil))[:12]
})

// withDatabase returns dsn (a URL or key=value string) pointed at database name.
func withDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	return dsn + " dbname=" + name
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TempDir returns a temporary folder that the postgres system user may enter (t.TempDir's
// is 0700), removed when t ends: for tests that start a PostgreSQL server of their own.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "atrium-test-dir-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
