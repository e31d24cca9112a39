// Package observe is what operators see of a running Atrium: structured logs carrying a
// request id, Prometheus metrics, and the HTTP middleware that ties them to each request
// and turns a panic into a logged 500 instead of a dropped connection.
package observe

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type ctxKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// Logger returns log annotated with ctx's request id.
func Logger(ctx context.Context, log *slog.Logger) *slog.Logger {
	if id := RequestID(ctx); id != "" {
		return log.With("request_id", id)
	}
	return log
}

// NewRequestID returns a fresh random request id.
func NewRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Metrics are Atrium's Prometheus metrics on their own registry.
type Metrics struct {
	Registry     *prometheus.Registry
	httpDuration *prometheus.HistogramVec
	// GraphQL observes GraphQL operations by operation name, type and outcome.
	GraphQL *prometheus.HistogramVec
}

// NewMetrics registers the Go runtime, process, HTTP and GraphQL metrics, and d's pool
// statistics when d is not nil.
func NewMetrics(d *sql.DB) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atrium_http_request_duration_seconds",
			Help:    "HTTP request latency by route group, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		GraphQL: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atrium_graphql_operation_duration_seconds",
			Help:    "GraphQL operation latency by operation name, type and outcome.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "type", "outcome"}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.GraphQL)
	if d != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(d, "atrium"))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, hijack for websockets).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Middleware gives each request an id (X-Request-ID, honouring a sane incoming one), logs
// it with the client as ClientIP finds it behind the trusted proxies, records its
// latency, and recovers a panic as a logged 500.
func Middleware(log *slog.Logger, m *Metrics, trusted TrustedProxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < '!' || c > '~' }) {
			id = NewRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		r = r.WithContext(WithRequestID(r.Context(), id))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				Logger(r.Context(), log).Error("panic serving request", "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, "Internal error (request id "+id+")", http.StatusInternalServerError)
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			m.httpDuration.WithLabelValues(routeGroup(r.URL.Path), r.Method, strconv.Itoa(status)).Observe(elapsed.Seconds())
			if r.URL.Path != "/healthz" && r.URL.Path != "/metrics" && !strings.HasPrefix(r.URL.Path, "/admin/static/") {
				log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id),
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
					slog.Duration("duration", elapsed), slog.String("client", ClientIP(r, trusted)))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// routeGroup keeps metric labels few: the first path segment.
func routeGroup(path string) string {
	seg := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)[0]
	switch seg {
	case "graphql", "admin", "healthz", "readyz", "metrics":
		return "/" + seg
	}
	return "other"
}
