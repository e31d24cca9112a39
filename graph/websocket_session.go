package graph

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"atrium/internal/apperr"
)

// DefaultSessionCheckInterval is how often a signed-in websocket re-checks its token
// when Deps.SessionCheckInterval is zero.
const DefaultSessionCheckInterval = 20 * time.Second

// websocketCloseSessionEnded is the close code of a websocket whose token stopped being
// valid while it was open: 4403 like a refused connection_init, so a client handles both
// by signing in again.
const websocketCloseSessionEnded = websocketCloseUnauthorized

// wsSession is what one websocket's watcher tells its connection: why it ended it. The
// authenticate middleware puts one in the context of every upgrade request; the websocket
// implementation reads it to close with the session's code and reason instead of gqlgen's
// "1000 terminated", which is all gqlgen says when a connection's context is cancelled.
type wsSession struct {
	mu     sync.Mutex
	code   int
	reason string
}

// end records why the connection is being closed; the first reason wins.
func (s *wsSession) end(code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code == 0 {
		s.code, s.reason = code, reason
	}
}

// ended returns the code and reason end recorded, ok false when it was not called.
func (s *wsSession) ended() (code int, reason string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code, s.reason, s.code != 0
}

// watchSession returns the connection context of a websocket signed in with token: it is
// cancelled, ending the connection and every subscription on it, once the token stops
// being valid (signed out, revoked by a password reset, erasure or merge, expired, or its
// staff account deactivated). One goroutine per signed-in connection re-authenticates the
// token every interval; it ends with ctx, which ends when the websocket's handler returns.
//
// Why polling rather than LISTEN/NOTIFY: tokens are revoked by plain UPDATEs in four
// packages (auth sign-out, staff password resets, customer erasure and merges), so a
// notice would need a trigger or an edit at each, and a periodic check would still be
// needed for expiry and for notices missed across a lost LISTEN connection. One indexed
// lookup per connection every interval (default 20 s) is cheap next to the events a
// connection streams, and nothing is added per event.
func (s *server) watchSession(ctx context.Context, token string) context.Context {
	sess, _ := ctx.Value(sessionKey).(*wsSession)
	ctx, cancel := context.WithCancel(ctx)
	interval := s.deps.SessionCheckInterval
	if interval <= 0 {
		interval = DefaultSessionCheckInterval
	}
	go func() {
		defer cancel()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			_, err := s.deps.Auth.Authenticate(ctx, token)
			switch {
			case err == nil:
			case ctx.Err() != nil:
				return
			case apperr.CodeOf(err) == apperr.CodeUnauthenticated:
				if sess != nil {
					sess.end(websocketCloseSessionEnded, truncate(s.present(ctx, err).Message, 120))
				}
				return // cancels ctx: gqlgen closes the connection and its subscriptions
			default:
				// The database being unreachable is no reason to drop a tablet's live
				// view; the next tick checks again.
				s.deps.Log.WarnContext(ctx, "websocket: re-checking the token failed", "err", err)
			}
		}
	}()
	return ctx
}

// sessionWebsockets accepts websockets that close with their session's code and reason
// when a watcher ended them (see wsSession).
type sessionWebsockets struct {
	transport.WebsocketImplementation
}

func (w sessionWebsockets) Accept(rw http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := w.WebsocketImplementation.Accept(rw, r, o)
	if err != nil {
		return nil, err
	}
	sess, _ := r.Context().Value(sessionKey).(*wsSession)
	if sess == nil {
		return conn, nil
	}
	return &sessionConn{WebsocketConn: conn, sess: sess}, nil
}

// sessionConn is a websocket whose close frame says why its session ended. It passes on
// the read limit and deadlines gqlgen sets through optional interfaces.
type sessionConn struct {
	transport.WebsocketConn
	sess *wsSession
}

func (c *sessionConn) WriteClose(code int, reason string) error {
	if sc, sr, ok := c.sess.ended(); ok {
		code, reason = sc, sr
	}
	return c.WebsocketConn.WriteClose(code, reason)
}

func (c *sessionConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *sessionConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
