package graph

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

const (
	// codeComplexityLimit is what gqlgen's extension.ComplexityLimit reports.
	codeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
	codeDepthLimit      = "DEPTH_LIMIT_EXCEEDED"
)

// depthLimit refuses an operation whose fields nest deeper than its value, before it
// runs. The schema has cycles (variant → product → variants → …) that the complexity
// limit alone prices only roughly. Introspection fields do not count: GraphiQL's own
// schema query nests deeply.
type depthLimit int

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit(0)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	fragments := map[string]int{}
	if depth := selectionDepth(opCtx.Operation.SelectionSet, fragments); depth > int(d) {
		err := gqlerror.Errorf("operation nests fields %d deep, which exceeds the limit of %d", depth, int(d))
		errcode.Set(err, codeDepthLimit)
		return err
	}
	return nil
}

// selectionDepth is the depth of the deepest field under set. Each fragment's depth is
// computed once (validation has ruled out fragment cycles), so a document of fragments
// spreading each other many times costs linear time, not exponential.
func selectionDepth(set ast.SelectionSet, fragments map[string]int) int {
	deepest := 0
	for _, sel := range set {
		var depth int
		switch sel := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(sel.Name, "__") {
				continue
			}
			depth = 1 + selectionDepth(sel.SelectionSet, fragments)
		case *ast.InlineFragment:
			depth = selectionDepth(sel.SelectionSet, fragments)
		case *ast.FragmentSpread:
			d, ok := fragments[sel.Name]
			if !ok && sel.Definition != nil {
				d = selectionDepth(sel.Definition.SelectionSet, fragments)
				fragments[sel.Name] = d
			}
			depth = d
		}
		deepest = max(deepest, depth)
	}
	return deepest
}

// operationMetrics records each query's and mutation's latency, from the start of the
// request to the response, by operation name, type and outcome (ok, or error when the
// response carries any error). Subscriptions are left out: their events are not requests.
type operationMetrics struct {
	hist  *prometheus.HistogramVec
	names *labelSet
}

func newOperationMetrics(h *prometheus.HistogramVec) operationMetrics {
	return operationMetrics{hist: h, names: &labelSet{max: maxOperationNames, seen: map[string]bool{}}}
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = operationMetrics{}

func (operationMetrics) ExtensionName() string                   { return "OperationMetrics" }
func (operationMetrics) Validate(graphql.ExecutableSchema) error { return nil }

func (m operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	opCtx := graphql.GetOperationContext(ctx)
	name, typ := "", "invalid" // refused before it could run
	if op := opCtx.Operation; op != nil {
		if op.Operation == ast.Subscription {
			return resp
		}
		name, typ = m.names.label(op.Name), string(op.Operation)
	}
	outcome := "ok"
	if len(resp.Errors) > 0 {
		outcome = "error"
	}
	m.hist.WithLabelValues(name, typ, outcome).Observe(time.Since(opCtx.Stats.OperationStart).Seconds())
	return resp
}

// maxOperationNames bounds the operation label's values: clients name operations, and a
// client inventing a new name per request must not grow the metrics without end.
const maxOperationNames = 200

// labelSet admits the first max distinct label values and folds the rest into "other".
type labelSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]bool
}

func (s *labelSet) label(v string) string {
	if v == "" {
		return "anonymous"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen[v] {
		if len(s.seen) >= s.max {
			return "other"
		}
		s.seen[v] = true
	}
	return v
}
