package web

import (
	"bytes"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"

	"atrium/internal/apperr"
	"atrium/internal/marketing"
	"atrium/internal/observe"
)

// UnsubscribeHandler serves the link at the foot of every campaign email, outside the
// back office and without sign-in: the token's signature is the proof. GET (the link
// opened) only asks to confirm, because mail scanners open every link in a message; POST
// (the confirm button, or one-click unsubscribe, RFC 8058, sent by mail clients)
// withdraws the marketing email consent; confirming again changes nothing. A token that
// is not this server's, or was altered, gets 400 and says what to do.
func UnsubscribeHandler(m *marketing.Service, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		token := r.URL.Query().Get("token")
		if token == "" && r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
			token = r.PostFormValue("token")
		}
		v := unsubscribeView{Token: token, Done: r.Method == http.MethodPost}
		var err error
		if v.Done {
			err = m.Unsubscribe(r.Context(), token)
		} else {
			err = m.CheckUnsubscribeToken(token)
		}
		status := http.StatusOK
		switch {
		case err == nil:
		case apperr.CodeOf(err) == apperr.CodeInvalid, apperr.CodeOf(err) == apperr.CodeNotFound:
			status, v = http.StatusBadRequest, unsubscribeView{Problem: messageOf(err)}
			if token == "" {
				v.Problem = "this address lacks the token of the email's link; copy the whole link from the email into the browser, or change your choices in your account"
			}
		default:
			observe.Logger(r.Context(), log).Error("unsubscribe failed", "err", err)
			status, v = http.StatusInternalServerError, unsubscribeView{Problem: "we could not record your choice just now; please open the link again in a few minutes"}
		}
		writeStandalone(w, r, status, unsubscribePage(v))
	})
}

// unsubscribeView is the page a customer sees after opening an unsubscribe link: the
// question (Token to confirm with), the confirmation (Done) or what went wrong.
type unsubscribeView struct {
	Token   string
	Done    bool
	Problem string
}

func messageOf(err error) string {
	if e, ok := apperr.As(err); ok && e.Message != "" {
		return e.Message
	}
	return "this unsubscribe link is not valid"
}

// writeStandalone renders a public page: no caching, no referrer (the URL holds the
// token), the back office's security headers.
func writeStandalone(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = buf.WriteTo(w)
	}
}

// capitalise starts a service message (written to follow other words) with a capital.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
	}
	return string(r)
}
