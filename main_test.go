package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"atrium/internal/testdb"
)

func TestLoadConfig(t *testing.T) {
	t.Setenv("ATRIUM_ADDR", "127.0.0.1:9999")
	t.Setenv("ATRIUM_DEMO", "1")
	t.Setenv("ATRIUM_DEMO_PASSWORD", "")
	c, err := loadConfig([]string{"-data-dir", "/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || !c.Demo || c.DataDir != "/tmp/x" || c.DemoPassword != "atrium-demo" {
		t.Fatalf("config %+v", c)
	}
	if _, err := loadConfig([]string{"-demo-password", "short"}); err == nil {
		t.Fatal("a short demo password is accepted")
	}
	if _, err := loadConfig([]string{"extra"}); err == nil {
		t.Fatal("a stray argument is accepted")
	}
	t.Setenv("ATRIUM_SMTP_ADDR", "127.0.0.1:25")
	t.Setenv("ATRIUM_SMTP_FROM", "shop at example")
	if _, err := loadConfig(nil); err == nil || !strings.Contains(err.Error(), "ATRIUM_SMTP_FROM") {
		t.Fatalf("a bad sender address gives %v, want an error naming ATRIUM_SMTP_FROM", err)
	}
}

func TestLoadConfigTrustedProxies(t *testing.T) {
	tests := []struct {
		name, env string
		args      []string
		want      string // the parsed list, or the text the error must have
		bad       bool
	}{
		{name: "default trusts nobody", want: ""},
		{name: "addresses and ranges", env: "10.0.0.0/8, 127.0.0.1,fd00::/8", want: "10.0.0.0/8,127.0.0.1,fd00::/8"},
		{name: "flag overrides the environment", env: "10.0.0.0/8", args: []string{"-trusted-proxies", "192.168.0.0/16"},
			want: "192.168.0.0/16"},
		{name: "host name", env: "10.0.0.0/8,lb.internal", bad: true, want: `ATRIUM_TRUSTED_PROXIES: "lb.internal" is not an IP address`},
		{name: "bad range", env: "10.0.0.0/40", bad: true, want: `ATRIUM_TRUSTED_PROXIES: "10.0.0.0/40" is not a CIDR range`},
		{name: "bad flag value", args: []string{"-trusted-proxies", "127.0.0.1:80"}, bad: true, want: `"127.0.0.1:80"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ATRIUM_TRUSTED_PROXIES", tt.env)
			c, err := loadConfig(tt.args)
			if tt.bad {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("loadConfig = %v, want an error with %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.TrustedProxies.String(); got != tt.want {
				t.Fatalf("TrustedProxies %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true,
		"0.0.0.0:8080": false, ":8080": false, "10.0.0.1:80": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v", addr, got)
		}
	}
}

// syncBuffer collects the server's output for the test to read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var baseURL = regexp.MustCompile(`Back office\s+(http://\S+)/admin/`)

// TestServeEmbeddedDefault is `make run` in-process: no DATABASE_URL, so a private
// PostgreSQL is created in the data folder, migrated and seeded; the server answers on
// every surface; cancelling (Ctrl-C) stops the server and the database cleanly.
func TestServeEmbeddedDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	dir := testdb.TempDir(t)
	cfg := config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true, DemoPassword: "atrium-demo", LogLevel: "warn"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), out) }()

	var base string
	for deadline := time.Now().Add(90 * time.Second); base == ""; {
		if m := baseURL.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not start within 90 s")
		}
	}
	for _, want := range []string{"/graphql/playground", "admin, manager, associate", "mei.lin@example.com", "atrium-demo"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up message lacks %q:\n%s", want, out.String())
		}
	}

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for path, want := range map[string]string{
		"/healthz":            "ok",
		"/readyz":             "ready",
		"/metrics":            "go_goroutines",
		"/admin/login":        `name="login"`,
		"/graphql/playground": "graphiql",
	} {
		if code, body := get(path); code != http.StatusOK || !strings.Contains(strings.ToLower(body), strings.ToLower(want)) {
			t.Errorf("GET %s = %d, want 200 containing %q", path, code, want)
		}
	}
	code, body := get(`/graphql?query={locations(kind:STORE){code}}`)
	var res struct {
		Data struct{ Locations []struct{ Code string } }
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || len(res.Data.Locations) < 3 {
		t.Errorf("GraphQL GET = %d %s", code, body)
	}
	// The order path is wired end to end: a guest's web order for a demo SKU in stock.
	gql := func(query string, vars map[string]any, out any) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, out) != nil {
			t.Fatalf("POST /graphql = %d %s", resp.StatusCode, raw)
		}
	}
	var catalog struct {
		Data struct {
			Products struct {
				Edges []struct {
					Node struct {
						Variants []struct {
							SKU          string
							Availability struct{ Available int }
						}
					}
				}
			}
		}
	}
	gql(`{products(first:5){edges{node{variants{sku availability{available}}}}}}`, nil, &catalog)
	sku := ""
	for _, e := range catalog.Data.Products.Edges {
		for _, v := range e.Node.Variants {
			if v.Availability.Available > 0 && sku == "" {
				sku = v.SKU
			}
		}
	}
	var placed struct {
		Data struct {
			PlaceOrder struct {
				Order      *struct{ Number, Status string }
				UserErrors []struct{ Message string }
			}
		}
		Errors []struct{ Message string }
	}
	gql(`mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { number status } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "serve-test-1", "channel": "WEB", "email": "serve.test@example.com",
			"lines": []any{map[string]any{"sku": sku, "quantity": 1}},
			"fulfillment": map[string]any{"method": "SHIP", "shippingAddress": map[string]any{"name": "Serve Test",
				"line1": "No. 7, Sec. 5, Xinyi Rd.", "city": "Taipei", "postalCode": "110", "country": "TW", "phone": "0912345678"}}}},
		&placed)
	if o := placed.Data.PlaceOrder.Order; o == nil || o.Number == "" || len(placed.Errors) > 0 {
		t.Errorf("placeOrder of %s = %+v", sku, placed)
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "atrium_graphql_operation_duration_seconds") {
		t.Errorf("metrics lack GraphQL operation latency")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("server did not stop within 60 s")
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "data", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("PostgreSQL still running after shutdown (postmaster.pid: %v)", err)
	}
}

// BenchmarkStartup measures what an operator waits for: from process start to the first
// answered request with the database already created, and the server's memory idle and
// after a burst of catalog pages. Run: go test -run '^$' -bench Startup .
func BenchmarkStartup(b *testing.B) {
	dir := testdb.TempDir(b)
	bin := filepath.Join(dir, "atrium")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "ATRIUM_DATA_DIR="+filepath.Join(dir, "data"), "ATRIUM_ADDR=127.0.0.1:18093",
		"ATRIUM_LOG_LEVEL=warn", "DATABASE_URL=")
	cmd := exec.Command(bin, "seed") // create and seed the database once

	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("seed: %v\n%s", err, out)
	}
	var idle, loaded float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		go io.Copy(io.Discard, bufio.NewReader(stdout))
		for {
			resp, err := http.Get("http://127.0.0.1:18093/healthz")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("no answer within 30 s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/first-answer")
		b.StopTimer()
		time.Sleep(200 * time.Millisecond)
		idle = rssMB(cmd.Process.Pid, "VmRSS")
		catalogBurst(b, "http://127.0.0.1:18093/graphql", 32, 2000)
		loaded = rssMB(cmd.Process.Pid, "VmHWM")
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(idle, "MB-rss-idle")
	b.ReportMetric(loaded, "MB-rss-peak-under-load")
}

func catalogBurst(b *testing.B, url string, conc, total int) {
	body := `{"query":"{ products(first: 20) { edges { node { title variants { sku price { amount } availability { available byLocation { location { code } available } } } } } } }"}`
	var wg sync.WaitGroup
	jobs := make(chan struct{}, total)
	for range total {
		jobs <- struct{}{}
	}
	close(jobs)
	for range conc {
		wg.Go(func() {
			for range jobs {
				resp, err := http.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
}

func rssMB(pid int, field string) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

func TestUnsubscribeConfig(t *testing.T) {
	t.Setenv("ATRIUM_ADDR", "127.0.0.1:9999")
	t.Setenv("ATRIUM_ENV", "")
	t.Setenv("ATRIUM_UNSUBSCRIBE_SECRET", "")
	t.Setenv("ATRIUM_PUBLIC_URL", "")
	c, err := loadConfig(nil)
	if err != nil || c.PublicURL != "http://127.0.0.1:9999" {
		t.Fatalf("public URL %q, %v; want the listen address", c.PublicURL, err)
	}
	for _, tc := range []struct {
		name, env, secret, url, want string
	}{
		{"production needs a secret", "production", "", "https://shop.example.com", "ATRIUM_UNSUBSCRIBE_SECRET is required in production"},
		{"a short secret", "", "too-short", "", "at least 32 bytes"},
		{"a public URL that is not a URL", "", "", "shop.example.com", "ATRIUM_PUBLIC_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ATRIUM_ENV", tc.env)
			t.Setenv("ATRIUM_UNSUBSCRIBE_SECRET", tc.secret)
			t.Setenv("ATRIUM_PUBLIC_URL", tc.url)
			if _, err := loadConfig(nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("a trailing slash is dropped", func(t *testing.T) {
		t.Setenv("ATRIUM_PUBLIC_URL", "https://shop.example.com/")
		if c, err := loadConfig(nil); err != nil || c.PublicURL != "https://shop.example.com" {
			t.Fatalf("%q, %v", c.PublicURL, err)
		}
	})
}

func TestUnsubscribeSecret(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	t.Run("the configured secret", func(t *testing.T) {
		s, err := unsubscribeSecret(config{UnsubscribeSecret: strings.Repeat("k", 32), DataDir: t.TempDir()}, log)
		if err != nil || string(s) != strings.Repeat("k", 32) {
			t.Fatalf("%q, %v", s, err)
		}
	})
	t.Run("generated once, kept and reused", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		first, err := unsubscribeSecret(config{DataDir: dir}, log)
		if err != nil || len(first) < unsubscribeSecretMin {
			t.Fatalf("%q, %v", first, err)
		}
		second, err := unsubscribeSecret(config{DataDir: dir}, log)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatal("a restart signs with another secret: the links already sent would stop working")
		}
		if info, err := os.Stat(filepath.Join(dir, "unsubscribe-secret")); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("secret file %v, %v", info, err)
		}
		other, _ := unsubscribeSecret(config{DataDir: t.TempDir()}, log)
		if bytes.Equal(first, other) {
			t.Fatal("two data folders share a secret")
		}
		if !strings.Contains(logged.String(), "ATRIUM_UNSUBSCRIBE_SECRET is not set") {
			t.Error("no warning")
		}
	})
}
