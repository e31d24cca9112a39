package graph

import (
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"

	// maxDepth bounds how deeply fields nest (variant → product → variants → … cycles).
	maxDepth = 12
	// cacheSize is how many parsed queries and persisted query texts are kept.
	cacheSize = 1000
	// maxBodyBytes and maxTokens bound what one request may make the server read and
	// parse; the storefront's largest query is a few hundred tokens.
	maxBodyBytes = 1 << 20
	maxTokens    = 10_000
)

func init() {
	// A query over a limit is a request error like a validation error: 400 under
	// application/graphql-response+json. gqlgen leaves the complexity limit's code
	// unregistered, so it would answer 200.
	errcode.RegisterErrorType(codeComplexityLimit, errcode.KindProtocol)
	errcode.RegisterErrorType(codeDepthLimit, errcode.KindProtocol)
}

// server holds what the HTTP and websocket entry points share.
type server struct {
	deps    Deps
	present graphql.ErrorPresenterFunc
}

// NewHandler returns the GraphQL endpoint, mounted at /graphql: queries over GET and POST,
// mutations over POST, and everything over a websocket. It expects observe.Middleware
// around it, for the request id that internal errors quote.
func NewHandler(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &server{deps: d, present: errorPresenter(d.Log)}
	srv := handler.New(newSchema(d))
	srv.AddTransport(transport.Websocket{
		// The zero AcceptOptions refuse cross-origin handshakes: a page elsewhere cannot
		// ride a signed-in browser's connection. Apps send no Origin and are let through.
		Implementation:        sessionWebsockets{transport.CoderWebsocketImplementation{}},
		InitFunc:              s.websocketInit,
		KeepAlivePingInterval: 10 * time.Second,
	})
	srv.AddTransport(transport.Options{AllowedMethods: []string{"GET", "POST", "OPTIONS"}})
	srv.AddTransport(overHTTP{transport.GET{}})
	srv.AddTransport(overHTTP{transport.POST{}})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](cacheSize))
	srv.SetParserTokenLimit(maxTokens)
	srv.SetErrorPresenter(s.present)
	srv.SetRecoverFunc(recoverFunc(d.Log))
	if !d.Production {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](cacheSize)})
	srv.Use(depthLimit(maxDepth)) // first: it is the cheaper check
	srv.Use(extension.FixedComplexityLimit(maxComplexity))
	if d.Metrics != nil {
		srv.Use(newOperationMetrics(d.Metrics.GraphQL))
	}
	srv.AroundOperations(withLoaders(d))
	return s.authenticate(limitBody(srv))
}

// limitBody refuses a body over maxBodyBytes (gqlgen would read any size into memory).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// Playground serves GraphiQL for endpoint (development only).
func Playground(endpoint string) http.Handler {
	return playground.Handler("Atrium GraphQL", endpoint)
}

// overHTTP adapts a gqlgen HTTP transport's status codes to the GraphQL-over-HTTP spec:
// a mutation over GET is 405 Method Not Allowed (gqlgen says 406), and a request that
// fails to parse or validate is 200 under application/json (gqlgen says 422), while
// application/graphql-response+json keeps the spec's 400.
type overHTTP struct{ graphql.Transport }

func (t overHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Transport.Do(&specStatus{ResponseWriter: w, get: r.Method == http.MethodGet}, r, exec)
}

type specStatus struct {
	http.ResponseWriter
	get bool
}

func (w *specStatus) WriteHeader(code int) {
	switch mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type")); {
	case code == http.StatusNotAcceptable && w.get:
		w.Header().Set("Allow", "POST")
		code = http.StatusMethodNotAllowed
	case code == http.StatusUnprocessableEntity && mt == mediaJSON:
		code = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(code)
}
