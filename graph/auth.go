package graph

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/observe"
)

type ctxKey int

const (
	tokenKey ctxKey = iota
	addressKey
	sessionKey // *wsSession of a websocket upgrade request
)

// bearerToken returns the request's bearer token: from the Authorization header, or the
// connection_init payload of a websocket.
func bearerToken(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey).(string)
	return t
}

// clientAddress is the address sign-in throttling counts failures by: the peer, or the
// client a trusted proxy forwarded for (observe.ClientIP); X-Forwarded-For from anyone
// else is anyone's to write.
func clientAddress(ctx context.Context) string {
	a, _ := ctx.Value(addressKey).(string)
	return a
}

// parseBearer extracts the token of an Authorization header value. ok is false for a
// header that is not "Bearer <token>"; an empty header is anonymous.
func parseBearer(header string) (token string, ok bool) {
	if header == "" {
		return "", true
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	return token, strings.EqualFold(scheme, "Bearer") && token != ""
}

// signIn returns ctx acting as the actor header's bearer token stands for; ctx unchanged
// for an empty header. Errors: apperr.Unauthenticated for a malformed header or an
// unknown, expired or revoked token.
func (s *server) signIn(ctx context.Context, header string) (context.Context, error) {
	token, ok := parseBearer(header)
	if !ok {
		return ctx, apperr.Unauthenticated("send the token as Authorization: Bearer <token>")
	}
	if token == "" {
		return ctx, nil
	}
	a, err := s.deps.Auth.Authenticate(ctx, token)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(actor.With(ctx, a), tokenKey, token), nil
}

// authenticate is the HTTP middleware in front of every transport: it notes the client's
// address and signs the request in with its bearer token. A bad token is refused with 401
// and a GraphQL error (extensions.code UNAUTHENTICATED), never served as anonymous: the
// client must learn that its session is gone.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), addressKey, observe.ClientIP(r, s.deps.TrustedProxies))
		if r.Header.Get("Upgrade") != "" {
			// A websocket's session watcher (watchSession) ends with its handler.
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(context.WithValue(ctx, sessionKey, &wsSession{}))
			defer cancel()
		}
		ctx, err := s.signIn(ctx, r.Header.Get("Authorization"))
		if err != nil {
			s.refuse(w, r.WithContext(ctx), err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// refuse answers a request that failed authentication, in the media type the client accepts.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	if apperr.CodeOf(err) == apperr.CodeUnauthenticated {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.Header().Set("Content-Type", responseType(r))
	w.WriteHeader(status)
	// No data key at all: the request did not start, as the spec has it for request errors.
	_ = json.NewEncoder(w).Encode(struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{s.present(r.Context(), err)}})
}

// responseType is the media type of a response to r: application/graphql-response+json
// when the client accepts it before application/json, as the GraphQL-over-HTTP spec asks.
func responseType(r *http.Request) string {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		switch mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part)); mt {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON:
			return mediaJSON
		}
	}
	return mediaJSON
}

// websocketInit signs a websocket in with the token of its connection_init payload
// ({"Authorization": "Bearer <token>"}), as browsers cannot set headers on a websocket.
// Without one, the connection keeps what its upgrade request's header gave. A signed-in
// connection ends, closed with 4403 and the reason, when its token stops being valid
// (watchSession); an anonymous one is not watched.
func (s *server) websocketInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	header := p.Authorization()
	if header == "" {
		if token := bearerToken(ctx); token != "" {
			return s.watchSession(ctx, token), nil, nil
		}
		return ctx, nil, nil
	}
	signed, err := s.signIn(ctx, header)
	if err == nil {
		return s.watchSession(signed, bearerToken(signed)), nil, nil
	}
	gqlErr := s.present(ctx, err)
	code := websocketCloseUnauthorized
	if apperr.CodeOf(err) != apperr.CodeUnauthenticated {
		code = websocketCloseInternal
	}
	ctx = transport.WithWebsocketCloseCode(ctx, code)
	return transport.AppendCloseReason(ctx, truncate(gqlErr.Message, 120)), nil, gqlErr
}

// Websocket close codes of the graphql-transport-ws protocol.
const (
	websocketCloseUnauthorized = 4403
	websocketCloseInternal     = 4500
)

// truncate cuts s to at most n bytes (a websocket close reason holds 123).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// hasRole implements the @hasRole directive: a coarse check in front of the services' own.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, roles []actor.Role) (any, error) {
	if _, err := actor.RequireStaff(ctx, roles...); err != nil {
		return nil, err
	}
	return next(ctx)
}
