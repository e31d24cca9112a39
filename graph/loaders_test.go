package graph

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"atrium/internal/testdb"
)

// TestStatementsPerQuery proves the loaders (and the products prefetch) keep the number
// of SQL statements per query constant, whatever the number of products, variants and
// locations in the answer.
func TestStatementsPerQuery(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	counted, statements := countingDB(t, d)
	a := newAPIOn(t, d, counted)
	staff := a.token("manager")

	tests := []struct {
		name  string
		token string
		query string // %d is the page size
		pages []int  // page sizes to compare (a wider query is refused beyond some size)
		want  int64
	}{
		// products, variants, availability with its locations
		{"catalog availability", "", `{ products(first: %d) { edges { node {
			variants { availability { byLocation { location { code } } } } } } } }`, []int{1, 50}, 3},
		// + the token; stock levels instead of availability; variant and product are primed
		{"stock levels", staff, `{ products(first: %d) { edges { node {
			variants { stockLevels { location { code } variant { sku product { title } } } } } } } }`, []int{1, 25}, 5},
		// the token, locations, products: nothing prefetched that is not asked for
		{"no children", staff, `{ locations { code } products(first: %d) { edges { node { handle } } } }`, []int{1, 100}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, first := range tt.pages {
				before := statements.Load()
				a.query(tt.token, fmt.Sprintf(tt.query, first), nil, nil)
				if got := statements.Load() - before; got != tt.want {
					t.Errorf("first: %d: %d statements, want %d", first, got, tt.want)
				}
			}
		})
	}
}

// storefrontPage is the storefront's catalog page as the inventory issue states its
// performance target: exactly three statements (products, variants, availability with its
// locations) whatever the page size and the server's load.
const storefrontPage = `query($first: Int) { products(first: $first) { edges { node { title
	variants { sku price { amount currency } availability { available byLocation { location { code name } available } } } } } } }`

func TestCatalogPageStatements(t *testing.T) {
	t.Parallel()
	d := testdb.NewDemo(t)
	counted, statements := countingDB(t, d)
	a := newAPIOn(t, d, counted)
	var products struct {
		Products struct {
			Edges []struct{ Node struct{ Title string } }
		}
	}
	for _, first := range []int{1, 20, 100} {
		t.Run(fmt.Sprintf("first %d", first), func(t *testing.T) {
			before := statements.Load()
			a.query("", storefrontPage, map[string]any{"first": first}, &products)
			if got := statements.Load() - before; got != 3 || len(products.Products.Edges) != first {
				t.Errorf("%d products in %d statements, want %d in 3", len(products.Products.Edges), got, first)
			}
		})
	}
	// Under load the loaders' batches would split (see prefetch); the page must not.
	t.Run("concurrently", func(t *testing.T) {
		const clients, pages = 16, 5
		before := statements.Load()
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for range pages {
					if res := a.send(request{query: storefrontPage, vars: map[string]any{"first": 20}}); len(res.Errors) > 0 {
						t.Errorf("errors %+v", res.Errors)
					}
				}
			})
		}
		wg.Wait()
		if got := statements.Load() - before; got != 3*clients*pages {
			t.Errorf("%d pages in %d statements, want %d", clients*pages, got, 3*clients*pages)
		}
	})
}

// TestLoadersBatch proves the loaders batch on their own, where no parent primes them:
// products fetched by node(id), their variants, and their availability with its locations
// take one statement each, however many products are asked for.
//
// Not parallel: the loaders collect keys for a couple of milliseconds, and a CPU busy
// with the other tests could split a batch (which is why products prefetches).
func TestLoadersBatch(t *testing.T) {
	d := testdb.NewDemo(t)
	counted, statements := countingDB(t, d)
	a := newAPIOn(t, d, counted)
	var ids []int64
	if err := d.Select(&ids, `SELECT id FROM products WHERE status = 'ACTIVE' ORDER BY id LIMIT 8`); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, len(ids)} {
		query := "{"
		for i, id := range ids[:n] {
			query += fmt.Sprintf(` p%d: node(id: %q) { ... on Product { variants {
				product { handle } availability { byLocation { location { code } } } } } }`, i, encodeID(typeProduct, id))
		}
		query += " }"
		before := statements.Load()
		a.query("", query, nil, nil)
		if got := statements.Load() - before; got != 3 {
			t.Errorf("%d products: %d statements, want 3", n, got)
		}
	}
}

// countingDB opens a second pool on d's database whose connections count the statements
// they send.
func countingDB(t testing.TB, d *sqlx.DB) (*sqlx.DB, *atomic.Int64) {
	t.Helper()
	var name string
	if err := d.Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	connector, err := pq.NewConnector(testdb.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	n := new(atomic.Int64)
	db := sqlx.NewDb(sql.OpenDB(countingConnector{connector, n}), "postgres")
	t.Cleanup(func() { db.Close() })
	return db, n
}

type countingConnector struct {
	driver.Connector
	n *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countingConn{conn.(pqConn), c.n}, nil
}

// pqConn is what lib/pq's connection implements and database/sql looks for.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.NamedValueChecker
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type countingConn struct {
	pqConn
	n *atomic.Int64
}

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.pqConn.QueryContext(ctx, q, args)
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.pqConn.ExecContext(ctx, q, args)
}

// PrepareContext counts the executions of a prepared statement, not its preparation:
// that happens once per connection, not once per query.
func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	s, err := c.pqConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return countingStmt{s.(pqStmt), c.n}, nil
}

// pqStmt is what lib/pq's prepared statement implements and database/sql looks for.
type pqStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
}

type countingStmt struct {
	pqStmt
	n *atomic.Int64
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.n.Add(1)
	return s.pqStmt.QueryContext(ctx, args)
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.n.Add(1)
	return s.pqStmt.ExecContext(ctx, args)
}
