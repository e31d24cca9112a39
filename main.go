// Command atrium serves Atrium: the GraphQL API for the storefront, the app and the store
// tablets, and the back office, on one server and one PostgreSQL database.
//
//	atrium [serve]   migrate, optionally load demo data, and serve (the default)
//	atrium migrate   apply the database migrations and exit
//	atrium seed      apply migrations, load the demo data and exit
//
// Configuration is by environment (see README.md); flags mirror it.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/db/seed"
	"atrium/graph"
	"atrium/internal/actor"
	"atrium/internal/auth"
	"atrium/internal/catalog"
	"atrium/internal/customer"
	"atrium/internal/feedback"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/loyalty"
	"atrium/internal/marketing"
	"atrium/internal/notify"
	"atrium/internal/observe"
	"atrium/internal/order"
	"atrium/internal/password"
	"atrium/internal/payables"
	"atrium/internal/pgserver"
	"atrium/internal/postgres"
	"atrium/internal/promotion"
	"atrium/internal/purchasing"
	"atrium/internal/replenishment"
	"atrium/internal/returns"
	"atrium/internal/staff"
	"atrium/web"
)

// config is everything Atrium reads from its environment.
type config struct {
	DatabaseURL  string
	Addr         string
	DataDir      string
	Demo         bool
	DemoPassword string
	Production   bool
	LogFormat    string
	LogLevel     string
	// SMTP sends the notifications outbox; with no SMTPAddr messages are logged instead.
	SMTPAddr, SMTPFrom, SMTPUsername, SMTPPassword string
	// UnsubscribeSecret signs campaign unsubscribe links (at least 32 bytes; required in
	// production). PublicURL is where customers reach this server, for those links.
	UnsubscribeSecret, PublicURL string
	// TrustedProxies are the load balancers whose X-Forwarded-For names the client, for
	// sign-in throttling and the request log; none trusts nobody.
	TrustedProxies observe.TrustedProxies
}

func loadConfig(args []string) (config, error) {
	c := config{
		DatabaseURL:       os.Getenv("DATABASE_URL"),
		Addr:              envOr("ATRIUM_ADDR", "127.0.0.1:8080"),
		DataDir:           envOr("ATRIUM_DATA_DIR", ".atrium"),
		Demo:              os.Getenv("ATRIUM_DEMO") == "1",
		DemoPassword:      envOr("ATRIUM_DEMO_PASSWORD", "atrium-demo"),
		Production:        os.Getenv("ATRIUM_ENV") == "production",
		LogFormat:         envOr("ATRIUM_LOG_FORMAT", "text"),
		LogLevel:          envOr("ATRIUM_LOG_LEVEL", "info"),
		SMTPAddr:          os.Getenv("ATRIUM_SMTP_ADDR"),
		SMTPFrom:          envOr("ATRIUM_SMTP_FROM", "Atrium <no-reply@atrium.localhost>"),
		SMTPUsername:      os.Getenv("ATRIUM_SMTP_USERNAME"),
		SMTPPassword:      os.Getenv("ATRIUM_SMTP_PASSWORD"),
		UnsubscribeSecret: os.Getenv("ATRIUM_UNSUBSCRIBE_SECRET"),
		PublicURL:         os.Getenv("ATRIUM_PUBLIC_URL"),
	}
	fs := flag.NewFlagSet("atrium", flag.ContinueOnError)
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL (DATABASE_URL); empty starts a private PostgreSQL")
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (ATRIUM_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "folder for the private PostgreSQL (ATRIUM_DATA_DIR)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "load demo data (ATRIUM_DEMO=1)")
	fs.StringVar(&c.DemoPassword, "demo-password", c.DemoPassword, "password of the demo logins (ATRIUM_DEMO_PASSWORD)")
	fs.BoolVar(&c.Production, "production", c.Production, "production mode: no GraphiQL, no introspection, secure cookies (ATRIUM_ENV=production)")
	trustedProxies := os.Getenv("ATRIUM_TRUSTED_PROXIES")
	fs.StringVar(&trustedProxies, "trusted-proxies", trustedProxies, "comma-separated IPs or CIDRs of the proxies whose X-Forwarded-For is believed (ATRIUM_TRUSTED_PROXIES)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.TrustedProxies, err = observe.ParseTrustedProxies(trustedProxies); err != nil {
		return c, fmt.Errorf("ATRIUM_TRUSTED_PROXIES: %v; list the load balancers' addresses, comma-separated", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if _, err := mail.ParseAddress(c.SMTPFrom); c.SMTPAddr != "" && err != nil {
		return c, fmt.Errorf("ATRIUM_SMTP_FROM %q is not an email address (e.g. \"Shop <shop@example.com>\"): %v", c.SMTPFrom, err)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return c, fmt.Errorf("ATRIUM_PUBLIC_URL %q must be an absolute http(s) URL such as https://shop.example.com", c.PublicURL)
	}
	if c.UnsubscribeSecret != "" && len(c.UnsubscribeSecret) < unsubscribeSecretMin {
		return c, fmt.Errorf("ATRIUM_UNSUBSCRIBE_SECRET must have at least %d bytes (e.g. openssl rand -hex 32)", unsubscribeSecretMin)
	}
	if c.Production && c.UnsubscribeSecret == "" {
		return c, errors.New("ATRIUM_UNSUBSCRIBE_SECRET is required in production: it signs the unsubscribe links of campaigns (e.g. openssl rand -hex 32)")
	}
	if c.Demo && len(c.DemoPassword) < password.MinLength {
		return c, fmt.Errorf("ATRIUM_DEMO_PASSWORD must have at least %d characters", password.MinLength)
	}
	return c, nil
}

// unsubscribeSecretMin is marketing.NewService's minimum secret length.
const unsubscribeSecretMin = 32

// unsubscribeSecret is the configured secret or, outside production, one kept in the data
// folder: generated once and reused, so the links in emails already sent keep working
// across restarts (a secret derived from a public path could be forged by anyone who
// guesses it). Several servers must share ATRIUM_UNSUBSCRIBE_SECRET instead.
func unsubscribeSecret(cfg config, log *slog.Logger) ([]byte, error) {
	if cfg.UnsubscribeSecret != "" {
		return []byte(cfg.UnsubscribeSecret), nil
	}
	file := filepath.Join(cfg.DataDir, "unsubscribe-secret")
	if b, err := os.ReadFile(file); err == nil && len(b) >= unsubscribeSecretMin {
		log.Warn("ATRIUM_UNSUBSCRIBE_SECRET is not set: unsubscribe links are signed with the secret kept in "+file, "file", file)
		return b, nil
	}
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	secret := []byte(fmt.Sprintf("%x", b))
	if err := os.MkdirAll(cfg.DataDir, 0o700); err == nil {
		if err = os.WriteFile(file, secret, 0o600); err == nil {
			log.Warn("ATRIUM_UNSUBSCRIBE_SECRET is not set: generated an unsubscribe secret and kept it in "+file, "file", file)
			return secret, nil
		}
	}
	log.Warn("ATRIUM_UNSUBSCRIBE_SECRET is not set and the data folder is not writable: unsubscribe links stop working after a restart")
	return secret, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	tuneGC()
	cmd, args := "serve", os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	cfg, err := loadConfig(args)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "atrium:", err)
		os.Exit(2)
	}
	log := newLogger(cfg, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, os.Stdout)
	case "migrate":
		err = withDatabase(ctx, cfg, log, func(*sqlx.DB, string) error { return nil })
	case "seed":
		cfg.Demo = true
		err = withDatabase(ctx, cfg, log, func(*sqlx.DB, string) error { return nil })
	case "help":
		fmt.Println("usage: atrium [serve|migrate|seed] [flags]; see README.md")
	default:
		err = fmt.Errorf("unknown command %q (want serve, migrate or seed)", cmd)
	}
	if err != nil {
		log.Error("atrium stopped", "err", err)
		os.Exit(1)
	}
}

// tuneGC trades memory for throughput unless the operator set GOGC/GOMEMLIMIT: on the
// catalog page GOGC=400 with a 128 MiB soft limit took 2 cores from ~320 to ~480 req/s
// (p99 ~600 → ~350 ms) for about 100 MB RSS under load (see README, Benchmarks).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// withDatabase opens the configured database (starting the private PostgreSQL when no
// DATABASE_URL is set), migrates it, loads the demo data when asked, runs fn with it and its
// DSN, and stops what it started.
func withDatabase(ctx context.Context, cfg config, log *slog.Logger, fn func(d *sqlx.DB, dsn string) error) error {
	dsn := cfg.DatabaseURL
	if dsn == "" {
		srv, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(cfg.DataDir, "pg"), Log: log})
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				log.Error("stopping PostgreSQL", "err", err)
			} else {
				log.Info("private PostgreSQL stopped")
			}
		}()
		if dsn, err = srv.EnsureDatabase(ctx, "atrium"); err != nil {
			return err
		}
	}
	d, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := postgres.Migrate(ctx, d.DB, log); err != nil {
		return err
	}
	if cfg.Demo {
		start := time.Now()
		if err := seed.Load(actor.SystemContext(ctx), d, seed.Options{Password: cfg.DemoPassword}); err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		log.Info("demo data ready", "duration", time.Since(start).Round(time.Millisecond))
	}
	return fn(d, dsn)
}

// serve runs the server until ctx ends, printing the URLs and demo logins to out.
func serve(ctx context.Context, cfg config, log *slog.Logger, out io.Writer) error {
	return withDatabase(ctx, cfg, log, func(d *sqlx.DB, dsn string) error {
		authSvc := auth.NewService(d, auth.Options{})
		catalogSvc := catalog.NewService(d)
		locationSvc := location.NewService(d)
		inventorySvc := inventory.NewService(d)
		availability, err := inventory.PrepareAvailabilities(ctx, d)
		if err != nil {
			return err
		}
		defer availability.Close()
		customerSvc := customer.NewService(d)
		staffSvc := staff.NewService(d, password.Default)
		promotionSvc := promotion.NewService(d)
		purchasingSvc := purchasing.NewService(d)
		loyaltySvc := loyalty.NewService(d)
		returnsSvc := returns.NewService(d, returns.Deps{Stock: inventorySvc, Points: loyaltySvc}, returns.DefaultConfig())
		orderSvc := order.NewService(d, order.Deps{Catalog: catalogSvc, Stock: inventorySvc, Locations: locationSvc,
			Coupons: promotionSvc, StoreCredit: returnsSvc, Points: loyaltySvc}, order.DefaultConfig())
		secret, err := unsubscribeSecret(cfg, log)
		if err != nil {
			return err
		}
		publicURL := cfg.PublicURL
		if publicURL == "" {
			publicURL = "http://" + cfg.Addr
		}
		marketingSvc, err := marketing.NewService(d, marketing.Config{UnsubscribeSecret: secret,
			UnsubscribeURL: publicURL + "/unsubscribe"})
		if err != nil {
			return err
		}
		promotionSvc.UseSegments(marketingSvc) // segment coupons check membership at redemption
		feedbackSvc := feedback.NewService(d)
		metrics := observe.NewMetrics(d.DB)
		// One LISTEN connection feeds every stockChanged subscription of this server.
		stockFeed := inventory.NewFeed(dsn)
		go func() {
			if err := stockFeed.Run(ctx); err != nil {
				log.Error("stock change feed stopped: stockChanged subscriptions get no updates", "err", err)
			}
		}()
		// And one feeds every orderUpdated subscription.
		orderFeed := graph.NewOrderFeed(dsn)
		go func() {
			if err := orderFeed.Run(ctx); err != nil {
				log.Error("order feed stopped: orderUpdated subscriptions get no updates", "err", err)
			}
		}()
		// And one every goodsNotifications subscription of the store tablets.
		goodsFeed := graph.NewGoodsFeed(dsn)
		go func() {
			if err := goodsFeed.Run(ctx); err != nil {
				log.Error("goods feed stopped: goodsNotifications subscriptions get no updates", "err", err)
			}
		}()
		// Bills entered before their goods arrived are matched again as receipts come in.
		payablesSvc := payables.NewService(d)
		go func() {
			if err := payablesSvc.RematchOnReceipts(ctx, dsn, log); err != nil {
				log.Error("payables stopped re-matching bills on receipts: re-match them from the workbench", "err", err)
			}
		}()

		mux := http.NewServeMux()
		mux.Handle("/graphql", graph.NewHandler(graph.Deps{
			Auth: authSvc, Catalog: catalogSvc, Locations: locationSvc, Inventory: inventorySvc, Availabilities: availability,
			Customers: customerSvc, Staff: staffSvc, Feed: stockFeed, Orders: orderSvc, OrderFeed: orderFeed, Returns: returnsSvc,
			Members: customer.NewMembers(d, loyaltySvc), Loyalty: loyaltySvc, Linker: customer.NewLinker(d, customer.LinkOptions{}),
			Views: marketingSvc, Feedback: feedbackSvc, Purchasing: purchasingSvc, GoodsFeed: goodsFeed,
			Log: log, Metrics: metrics, Production: cfg.Production, TrustedProxies: cfg.TrustedProxies,
		}))
		if !cfg.Production {
			mux.Handle("/graphql/playground", graph.Playground("/graphql"))
		}
		mux.Handle("/admin/", web.NewHandler(web.Deps{
			DB: d, Auth: authSvc, Catalog: catalogSvc, Locations: locationSvc, Staff: staffSvc,
			Customers: customerSvc, Inventory: inventorySvc, Orders: orderSvc, Coupons: promotionSvc, Returns: returnsSvc, Log: log,
			Members: customer.NewMembers(d, loyaltySvc), Loyalty: loyaltySvc, Marketing: marketingSvc, Feedback: feedbackSvc,
			Purchasing: purchasingSvc, Replenishment: replenishment.NewService(d, inventorySvc, purchasingSvc),
			Payables: payablesSvc, SecureCookie: cfg.Production || !isLoopback(cfg.Addr),
			TrustedProxies: cfg.TrustedProxies,
		}))
		// Unsubscribe links in campaign emails: public, the signed token is the proof.
		mux.Handle("/unsubscribe", web.UnsubscribeHandler(marketingSvc, log))
		mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
			pingCtx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := d.PingContext(pingCtx); err != nil {
				observe.Logger(r.Context(), log).Warn("readiness: database unreachable", "err", err)
				http.Error(w, "database unreachable", http.StatusServiceUnavailable)
				return
			}
			_, _ = io.WriteString(w, "ready\n")
		})
		mux.Handle("GET /metrics", metrics.Handler())
		mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusFound))

		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (set ATRIUM_ADDR to another address)", cfg.Addr, err)
		}
		srv := &http.Server{
			Handler:           observe.Middleware(log, metrics, cfg.TrustedProxies, mux),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		if len(cfg.TrustedProxies) > 0 {
			log.Info("clients are read from X-Forwarded-For behind the trusted proxies", "proxies", cfg.TrustedProxies.String())
		}
		go housekeeping(ctx, log, authSvc, inventorySvc, loyaltySvc)
		go notify.NewDispatcher(d, mailer(cfg, log), log).Run(ctx, 5*time.Second)
		go marketingSvc.Run(ctx, 30*time.Second, 200, log)
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		printWelcome(out, "http://"+ln.Addr().String(), cfg)

		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		log.Info("shutting down: finishing open requests")
		shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return srv.Shutdown(shutCtx)
	})
}

// mailer is the notifications' sender: the configured SMTP server, else the log (demo and
// development), with a warning in production where customers would miss their messages.
func mailer(cfg config, log *slog.Logger) notify.Sender {
	logged := notify.LogSender{Log: log}
	if cfg.SMTPAddr == "" {
		if cfg.Production {
			log.Warn("ATRIUM_SMTP_ADDR is not set: notifications (pickup codes, one-time codes) are only logged")
		}
		return logged
	}
	return notify.SMTPSender{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword, SMS: logged}
}

// housekeeping runs the periodic jobs once an hour (and at start): it moves expired lots
// out of stock, expires loyalty points past their date, removes expired tokens and old
// login attempts, and once a day recalculates every member's tier from their rolling
// spend. Each job is safe with several servers running it at once.
func housekeeping(ctx context.Context, log *slog.Logger, a *auth.Service, inv *inventory.Service, points *loyalty.Service) {
	sys := actor.SystemContext(ctx)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	var tiersOn string
	for {
		if err := a.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: expired tokens", "err", err)
		}
		if n, err := inv.ExpireLots(sys, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: expired lots", "err", err)
		} else if n > 0 {
			log.Info("housekeeping: expired lots moved out of stock", "units", n)
		}
		if expired, err := points.ExpireDue(sys, time.Now(), 200); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: loyalty points expiry", "err", err)
		} else if len(expired) > 0 {
			log.Info("housekeeping: loyalty points expired", "accounts", len(expired))
		}
		if today := time.Now().UTC().Format(time.DateOnly); today != tiersOn {
			if changes, err := points.RecalculateAllTiers(sys, time.Now(), 200); err != nil && ctx.Err() == nil {
				log.Warn("housekeeping: loyalty tiers", "err", err)
			} else {
				tiersOn = today
				log.Info("housekeeping: loyalty tiers recalculated", "changed", len(changes))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func printWelcome(w io.Writer, base string, cfg config) {
	fmt.Fprintf(w, "\nAtrium is running.\n\n")
	fmt.Fprintf(w, "  Back office   %s/admin/\n", base)
	fmt.Fprintf(w, "  GraphQL       %s/graphql\n", base)
	if !cfg.Production {
		fmt.Fprintf(w, "  GraphiQL      %s/graphql/playground\n", base)
	}
	fmt.Fprintf(w, "  Health        %s/healthz  %s/readyz  %s/metrics\n", base, base, base)
	if cfg.Demo {
		fmt.Fprintf(w, "\nDemo logins (password %q):\n", cfg.DemoPassword)
		fmt.Fprintf(w, "  staff:    %s\n", strings.Join(seed.StaffLogins, ", "))
		fmt.Fprintf(w, "  customer: %s\n", seed.DemoCustomerEmail)
	}
	fmt.Fprintf(w, "\nPress Ctrl-C to stop.\n\n")
}
