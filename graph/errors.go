package graph

import (
	"context"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"atrium/graph/model"
	"atrium/internal/apperr"
	"atrium/internal/observe"
)

// Errors are translated here, once, into what clients see: application errors keep their
// safe message with extensions.code; errors gqlgen raises itself (parse, validation,
// limits) pass through; anything else is internal, logged with the request id and shown
// as a generic message.

const codeInternal = string(apperr.CodeInternal)

// errorPresenter is gqlgen's ErrorPresenterFunc, bound to the logger.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if errs, ok := apperr.Errors(err); ok && len(errs) > 0 && errs[0].Code != apperr.CodeInternal {
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = e.Message
			}
			gqlErr.Message = strings.Join(msgs, "; ")
			gqlErr.Extensions = map[string]any{"code": string(errs[0].Code)}
			if r := errs[0].Reason; r != "" {
				gqlErr.Extensions["reason"] = r
			}
			return gqlErr
		}
		if gqlErr.Err == nil {
			return gqlErr // raised by gqlgen itself, or already presented
		}
		observe.Logger(ctx, log).Error("graphql: internal error", "path", gqlErr.Path.String(), "err", err)
		return internalError(ctx, gqlErr.Path)
	}
}

// recoverFunc turns a panic in a resolver into a logged internal error.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		observe.Logger(ctx, log).Error("graphql: panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return internalError(ctx, graphql.GetPath(ctx))
	}
}

// internalError is the one thing clients learn about an internal error: the request id
// to quote when they report it.
func internalError(ctx context.Context, path ast.Path) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    "internal error (request id " + observe.RequestID(ctx) + ")",
		Path:       path,
		Extensions: map[string]any{"code": codeInternal},
	}
}

// userErrors splits a mutation's error: problems the user can fix (invalid input, not
// found, conflicts, bad credentials, throttling) become userErrors, their field paths
// under prefix (the input argument's name); authentication, authorization and internal
// errors are returned as err, for the GraphQL errors.
func userErrors(err error, prefix ...string) ([]model.UserError, error) {
	errs, ok := apperr.Errors(err)
	if !ok {
		return nil, err
	}
	out := make([]model.UserError, 0, len(errs))
	for _, e := range errs {
		switch e.Code {
		case apperr.CodeUnauthenticated, apperr.CodeForbidden, apperr.CodeInternal:
			return nil, err
		}
		var field []string
		if len(e.Field) > 0 {
			field = append(slices.Clone(prefix), e.Field...)
		}
		out = append(out, model.UserError{Field: field, Message: e.Message, Code: e.ClientCode()})
	}
	return out, nil
}
