package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The order scenarios place guest web orders (one line, SHIP) through placeOrder, as the
// storefront does. They sign in as a staff member only to set the stock up beforehand
// (adjustStock): the orders themselves are anonymous, each with its own email, so that
// inspection's duplicate check does not hold them.

const placeOrderMutation = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id number status } replayed userErrors { field message code } }
}`

const loginMutation = `mutation Login($login: String!, $password: String!) {
  staffLogin(login: $login, password: $password) { token userErrors { message code } }
}`

const skusQuery = `query Skus($first: Int) {
  products(first: $first) { edges { node { variants { sku } } } }
}`

const levelsQuery = `query Levels($skus: [String!]!) {
  stockLevels(skus: $skus) { location { id code kind } variant { sku } onHand reserved available }
}`

const adjustMutation = `mutation Adjust($input: AdjustStockInput!) {
  adjustStock(input: $input) { stockLevel { available } userErrors { field message code } }
}`

// client sends GraphQL requests to one endpoint.
type client struct {
	http   *http.Client
	target string
	token  string
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// do sends query with vars and decodes data into out. A transport failure, a non-200
// status or GraphQL errors are errors; user errors are the caller's to read in out.
func (c *client) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b[:min(len(b), 200)])
	}
	if resp.StatusCode != http.StatusOK || len(env.Errors) > 0 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b[:min(len(b), 300)])
	}
	return json.Unmarshal(env.Data, out)
}

// orderSetup is what the order scenarios need from the flags.
type orderSetup struct {
	c                *client
	login, password  string
	skus             []string
	nSKUs            int
	run              string // distinguishes this run's keys and emails
	conc             int
	dur              time.Duration
	warehouseCode    string
	oversellUnits    int
	oversellShoppers int
}

// signIn signs the staff member in; the token is used for the set-up only.
func (o *orderSetup) signIn(ctx context.Context) (string, error) {
	var out struct {
		StaffLogin struct {
			Token      *string     `json:"token"`
			UserErrors []userError `json:"userErrors"`
		} `json:"staffLogin"`
	}
	if err := o.c.do(ctx, loginMutation, map[string]any{"login": o.login, "password": o.password}, &out); err != nil {
		return "", fmt.Errorf("sign in as %s: %w", o.login, err)
	}
	if out.StaffLogin.Token == nil {
		return "", fmt.Errorf("sign in as %s: %v", o.login, out.StaffLogin.UserErrors)
	}
	return *out.StaffLogin.Token, nil
}

// pickSKUs returns the SKUs given with -sku, or the first n of the catalog.
func (o *orderSetup) pickSKUs(ctx context.Context, n int) ([]string, error) {
	if len(o.skus) > 0 {
		return o.skus, nil
	}
	var out struct {
		Products struct {
			Edges []struct {
				Node struct {
					Variants []struct {
						SKU string `json:"sku"`
					} `json:"variants"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"products"`
	}
	if err := o.c.do(ctx, skusQuery, map[string]any{"first": 100}, &out); err != nil {
		return nil, fmt.Errorf("list SKUs: %w", err)
	}
	var skus []string
	for _, e := range out.Products.Edges {
		for _, v := range e.Node.Variants {
			skus = append(skus, v.SKU)
		}
	}
	if len(skus) == 0 {
		return nil, errors.New("the catalog has no variants: start the server with ATRIUM_DEMO=1")
	}
	return skus[:min(n, len(skus))], nil
}

type level struct {
	Location struct {
		ID   string `json:"id"`
		Code string `json:"code"`
		Kind string `json:"kind"`
	} `json:"location"`
	Variant struct {
		SKU string `json:"sku"`
	} `json:"variant"`
	OnHand    int `json:"onHand"`
	Reserved  int `json:"reserved"`
	Available int `json:"available"`
}

func (o *orderSetup) levels(ctx context.Context, staff *client, skus []string) ([]level, error) {
	var out struct {
		StockLevels []level `json:"stockLevels"`
	}
	if err := staff.do(ctx, levelsQuery, map[string]any{"skus": skus}, &out); err != nil {
		return nil, fmt.Errorf("stock levels: %w", err)
	}
	return out.StockLevels, nil
}

// adjust adds delta units of sku at a location (a RECEIPT when positive). It reports
// false when the SKU cannot be adjusted so (e.g. a lot-tracked one, which needs a lot).
func (o *orderSetup) adjust(ctx context.Context, staff *client, locationID, sku string, delta int, why string) (bool, error) {
	kind := "ADJUSTMENT"
	if delta > 0 {
		kind = "RECEIPT"
	}
	var out struct {
		AdjustStock struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"adjustStock"`
	}
	err := staff.do(ctx, adjustMutation, map[string]any{"input": map[string]any{
		"idempotencyKey": fmt.Sprintf("loadgen-%s-%s-%s-%d", o.run, sku, locationID, delta),
		"locationId":     locationID, "sku": sku, "delta": delta, "reason": why, "kind": kind,
	}}, &out)
	if err != nil {
		return false, fmt.Errorf("adjust %s: %w", sku, err)
	}
	if len(out.AdjustStock.UserErrors) > 0 {
		fmt.Fprintf(os.Stderr, "loadgen: skipping %s: %s\n", sku, out.AdjustStock.UserErrors[0].Message)
		return false, nil
	}
	return true, nil
}

// warehouse returns the id of the location to stock from the levels (the one named by
// -warehouse, else the first warehouse).
func (o *orderSetup) warehouse(levels []level) (string, error) {
	for _, l := range levels {
		if l.Location.Code == o.warehouseCode || (o.warehouseCode == "" && l.Location.Kind == "WAREHOUSE") {
			return l.Location.ID, nil
		}
	}
	return "", fmt.Errorf("no stock row at a warehouse %q for these SKUs: pass -warehouse CODE", o.warehouseCode)
}

// placeInput is a guest's one-line SHIP order of sku, with its own key and email.
func (o *orderSetup) placeInput(n int64, sku string) map[string]any {
	return map[string]any{"input": map[string]any{
		"idempotencyKey": fmt.Sprintf("loadgen-%s-%d", o.run, n),
		"channel":        "WEB",
		"email":          fmt.Sprintf("load-%s-%d@example.com", o.run, n),
		"lines":          []map[string]any{{"sku": sku, "quantity": 1}},
		"fulfillment": map[string]any{"method": "SHIP", "shippingAddress": map[string]any{
			"name": "Load Test", "line1": "No. 1, Nanjing West Road", "city": "Taipei City", "postalCode": "104",
			"country": "TW", "phone": "0912-345-678", "latitude": 25.0530, "longitude": 121.5210,
		}},
	}}
}

type placeResult struct {
	accepted   bool
	userErrors []userError
}

func (o *orderSetup) place(ctx context.Context, n int64, sku string) (placeResult, error) {
	var out struct {
		PlaceOrder struct {
			Order *struct {
				Number string `json:"number"`
			} `json:"order"`
			UserErrors []userError `json:"userErrors"`
		} `json:"placeOrder"`
	}
	if err := o.c.do(ctx, placeOrderMutation, o.placeInput(n, sku), &out); err != nil {
		return placeResult{}, err
	}
	return placeResult{accepted: out.PlaceOrder.Order != nil, userErrors: out.PlaceOrder.UserErrors}, nil
}

// runOrders tops up the SKUs at the warehouse, then places orders from o.conc clients
// for o.dur, round-robin over the SKUs, and reports throughput and latency. It exits
// non-zero on any transport error or user error (stock was topped up for all of them).
func runOrders(o *orderSetup) int {
	ctx := context.Background()
	token, err := o.signIn(ctx)
	if err != nil {
		return fail(err)
	}
	staff := &client{http: o.c.http, target: o.c.target, token: token}
	candidates, err := o.pickSKUs(ctx, max(o.nSKUs*4, o.nSKUs))
	if err != nil {
		return fail(err)
	}
	levels, err := o.levels(ctx, staff, candidates)
	if err != nil {
		return fail(err)
	}
	wh, err := o.warehouse(levels)
	if err != nil {
		return fail(err)
	}
	// Enough for the whole run even at several thousand orders a second.
	topUp := 20_000 * max(1, int(o.dur.Seconds())) / o.nSKUs
	var skus []string
	for _, sku := range candidates {
		if len(skus) == o.nSKUs {
			break
		}
		ok, err := o.adjust(ctx, staff, wh, sku, topUp, "load test stock")
		if err != nil {
			return fail(err)
		}
		if ok {
			skus = append(skus, sku)
		}
	}
	if len(skus) == 0 {
		return fail(errors.New("no SKU could be stocked"))
	}
	fmt.Printf("placing one-line SHIP orders of %d SKU(s) %v (topped up by %d at the warehouse) from %d clients for %v\n",
		len(skus), skus, topUp, o.conc, o.dur)

	runCtx, cancel := context.WithTimeout(ctx, o.dur)
	defer cancel()
	var (
		mu         sync.Mutex
		latencies  []time.Duration
		transport  int
		userErrs   = map[string]int{}
		firstError error
		next       atomic.Int64
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.conc {
		wg.Go(func() {
			var local []time.Duration
			localTransport := 0
			localUser := map[string]int{}
			var localErr error
			for runCtx.Err() == nil {
				n := next.Add(1)
				t0 := time.Now()
				res, err := o.place(runCtx, n, skus[int(n)%len(skus)])
				if runCtx.Err() != nil {
					break
				}
				switch {
				case err != nil:
					localTransport++
					localErr = cmpErr(localErr, err)
				case !res.accepted:
					for _, e := range res.userErrors {
						localUser[e.Code]++
						localErr = cmpErr(localErr, fmt.Errorf("user error %s: %s", e.Code, e.Message))
					}
				default:
					local = append(local, time.Since(t0))
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			transport += localTransport
			for k, v := range localUser {
				userErrs[k] += v
			}
			firstError = cmpErr(firstError, localErr)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	report("orders", latencies, elapsed, o.conc)
	fmt.Printf("user errors %v  transport errors %d\n", userErrs, transport)
	if firstError != nil {
		fmt.Println("first error:", firstError)
	}
	if transport > 0 || len(userErrs) > 0 {
		return 1
	}
	return 0
}

// runOversell sets one SKU's stock to exactly o.oversellUnits available at the warehouse
// and none anywhere else, fires o.oversellShoppers concurrent orders for one unit each,
// and checks that exactly o.oversellUnits were accepted, the rest refused with
// INSUFFICIENT_STOCK, and nothing is left to sell. It exits non-zero otherwise.
func runOversell(o *orderSetup) int {
	ctx := context.Background()
	token, err := o.signIn(ctx)
	if err != nil {
		return fail(err)
	}
	staff := &client{http: o.c.http, target: o.c.target, token: token}
	candidates, err := o.pickSKUs(ctx, 20)
	if err != nil {
		return fail(err)
	}
	var sku string
	var levels []level
	for _, cand := range candidates {
		ls, err := o.levels(ctx, staff, []string{cand})
		if err != nil {
			return fail(err)
		}
		wh, err := o.warehouse(ls)
		if err != nil {
			continue
		}
		ok := true
		for _, l := range ls {
			want := 0
			if l.Location.ID == wh {
				want = o.oversellUnits
			}
			if l.Available == want {
				continue
			}
			if ok, err = o.adjust(ctx, staff, l.Location.ID, cand, want-l.Available, "oversell test"); err != nil {
				return fail(err)
			}
			if !ok {
				break
			}
		}
		if ok {
			sku = cand
			if levels, err = o.levels(ctx, staff, []string{cand}); err != nil {
				return fail(err)
			}
			break
		}
	}
	if sku == "" {
		return fail(errors.New("no SKU could be set up"))
	}
	total := 0
	for _, l := range levels {
		total += l.Available
	}
	if total != o.oversellUnits {
		return fail(fmt.Errorf("%s has %d available after set-up, want %d", sku, total, o.oversellUnits))
	}
	fmt.Printf("%d shoppers buy one unit each of %s, which has %d available (at the warehouse only)\n",
		o.oversellShoppers, sku, total)

	var (
		wg                        sync.WaitGroup
		accepted, short, transprt atomic.Int64
		mu                        sync.Mutex
		other                     []string
	)
	start := make(chan struct{})
	base := time.Now().UnixNano()
	for i := range o.oversellShoppers {
		wg.Go(func() {
			<-start
			res, err := o.place(ctx, base+int64(i), sku)
			switch {
			case err != nil:
				transprt.Add(1)
				mu.Lock()
				other = append(other, err.Error())
				mu.Unlock()
			case res.accepted:
				accepted.Add(1)
			case len(res.userErrors) == 1 && res.userErrors[0].Code == "INSUFFICIENT_STOCK":
				short.Add(1)
			default:
				mu.Lock()
				other = append(other, fmt.Sprint(res.userErrors))
				mu.Unlock()
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	after, err := o.levels(ctx, staff, []string{sku})
	if err != nil {
		return fail(err)
	}
	left := 0
	for _, l := range after {
		left += l.Available
	}
	fmt.Printf("accepted %d  refused INSUFFICIENT_STOCK %d  other %d  transport errors %d  in %v; %d left to sell\n",
		accepted.Load(), short.Load(), len(other)-int(transprt.Load()), transprt.Load(),
		time.Since(t0).Round(time.Millisecond), left)
	for _, e := range other[:min(len(other), 5)] {
		fmt.Println("  ", e)
	}
	if accepted.Load() != int64(o.oversellUnits) || short.Load() != int64(o.oversellShoppers-o.oversellUnits) || left != 0 {
		fmt.Printf("FAIL: want exactly %d accepted, %d refused and nothing left\n", o.oversellUnits, o.oversellShoppers-o.oversellUnits)
		return 1
	}
	fmt.Println("OK: no oversell")
	return 0
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	return 1
}

// report prints throughput and latency percentiles of what succeeded.
func report(what string, latencies []time.Duration, elapsed time.Duration, conc int) {
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	fmt.Printf("%s %d in %v (%d clients)\n", what, len(latencies), elapsed.Round(time.Millisecond), conc)
	fmt.Printf("throughput %.1f %s/s\n", float64(len(latencies))/elapsed.Seconds(), what)
	fmt.Printf("latency p50 %v  p95 %v  p99 %v  max %v\n", pct(0.50).Round(10*time.Microsecond),
		pct(0.95).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
}
