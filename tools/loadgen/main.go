// Command loadgen drives a running Atrium with GraphQL requests and reports throughput and
// latency percentiles. It only targets loopback addresses and stops by itself.
//
//	go run ./tools/loadgen -url http://127.0.0.1:8080/graphql -c 64 -d 20s
//
// Scenarios (-scenario):
//
//   - query (the default): the same query (-query, the catalog page) over and over.
//
//   - order: guest web orders, one line, SHIP, each with its own idempotency key and
//     email, through placeOrder, after topping up the stock of the SKUs it orders (-skus
//     of them, or those given with -sku) at the warehouse as a staff member (-login,
//     -password). User errors and transport errors are counted apart; any makes it exit 1.
//
//   - oversell: sets one SKU to exactly -units available (at the warehouse, none
//     elsewhere), sends -shoppers concurrent orders of one unit, and exits 1 unless
//     exactly -units are accepted and the others refused with INSUFFICIENT_STOCK.
//
//     go run ./tools/loadgen -scenario order -c 16 -d 20s -url http://127.0.0.1:8080/graphql
//     go run ./tools/loadgen -scenario oversell -url http://127.0.0.1:8080/graphql
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// catalogPage is the storefront's category page: 20 products, their variants and
// availability by store.
const catalogPage = `query CatalogPage($after: String) {
  products(first: 20, after: $after) {
    edges { cursor node { id handle title variants { id sku title price { amount currency }
      availability { available byLocation { location { code name } available } } } } }
    pageInfo { hasNextPage endCursor }
  }
}`

func main() {
	target := flag.String("url", "http://127.0.0.1:8080/graphql", "GraphQL endpoint (loopback only)")
	conc := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 15*time.Second, "duration (at most 10m)")
	query := flag.String("query", catalogPage, "GraphQL query to send")
	token := flag.String("token", "", "bearer token (optional)")
	scenario := flag.String("scenario", "query", "query, order or oversell")
	login := flag.String("login", "manager", "order, oversell: staff login that sets the stock up")
	pass := flag.String("password", envOr("ATRIUM_DEMO_PASSWORD", "atrium-demo"), "order, oversell: its password")
	nSKUs := flag.Int("skus", 1, "order: how many SKUs the orders spread over (round-robin)")
	var skus skuList
	flag.Var(&skus, "sku", "order, oversell: a SKU to order (repeatable; default: the first of the catalog)")
	warehouse := flag.String("warehouse", "", "order, oversell: code of the location to stock (default: the first warehouse)")
	units := flag.Int("units", 5, "oversell: units available")
	shoppers := flag.Int("shoppers", 200, "oversell: concurrent shoppers")
	flag.Parse()

	if err := checkLoopback(*target); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	*dur = min(*dur, 10*time.Minute)
	switch *scenario {
	case "query":
	case "order", "oversell":
		if *conc < 1 || *nSKUs < 1 || *units < 0 || *shoppers < 1 {
			fmt.Fprintln(os.Stderr, "loadgen: -c, -skus and -shoppers are at least 1, -units at least 0")
			os.Exit(2)
		}
		clients := max(*conc, *shoppers)
		o := &orderSetup{
			c: &client{http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients},
				Timeout: 30 * time.Second}, target: *target},
			login: *login, password: *pass, skus: skus, nSKUs: *nSKUs, conc: *conc, dur: *dur,
			run: strconv.FormatInt(time.Now().UnixNano(), 36), warehouseCode: *warehouse,
			oversellUnits: *units, oversellShoppers: *shoppers,
		}
		if len(skus) > 0 {
			o.nSKUs = len(skus)
		}
		if *scenario == "order" {
			os.Exit(runOrders(o))
		}
		os.Exit(runOversell(o))
	default:
		fmt.Fprintln(os.Stderr, "loadgen: -scenario is query, order or oversell")
		os.Exit(2)
	}
	body, _ := json.Marshal(map[string]any{"query": *query})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}, Timeout: 30 * time.Second}

	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    int
		bytesIn   int64
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			var local []time.Duration
			localErr, localBytes := 0, int64(0)
			for ctx.Err() == nil {
				t0 := time.Now()
				n, err := send(ctx, client, *target, *token, body)
				if ctx.Err() != nil {
					break
				}
				if err != nil {
					localErr++
					continue
				}
				local = append(local, time.Since(t0))
				localBytes += n
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errors += localErr
			bytesIn += localBytes
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	fmt.Printf("requests %d  errors %d  in %v  (%d connections)\n", len(latencies), errors, elapsed.Round(time.Millisecond), *conc)
	fmt.Printf("throughput %.1f req/s  %.1f KB/response\n", float64(len(latencies))/elapsed.Seconds(), float64(bytesIn)/float64(max(1, len(latencies)))/1024)
	fmt.Printf("latency p50 %v  p95 %v  p99 %v  max %v\n", pct(0.50), pct(0.95), pct(0.99), pct(1))
	if errors > 0 {
		os.Exit(1)
	}
}

func send(ctx context.Context, c *http.Client, target, token string, body []byte) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Errors []json.RawMessage `json:"errors"`
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Errors) > 0 {
		return 0, fmt.Errorf("graphql errors: %s", b[:min(len(b), 200)])
	}
	return int64(len(b)), nil
}

// skuList collects repeated -sku flags.
type skuList []string

func (l *skuList) String() string { return strings.Join(*l, ",") }
func (l *skuList) Set(v string) error {
	*l = append(*l, strings.ToUpper(strings.TrimSpace(v)))
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// checkLoopback refuses any target that is not this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to load %s: only loopback addresses (127.0.0.1, ::1, localhost)", host)
}
