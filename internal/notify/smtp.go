package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// SMTPSender delivers EMAIL messages through a mail server (plain SMTP, upgraded with
// STARTTLS when the server offers it). SMS messages go to SMS, the log by default:
// Atrium has no SMS gateway yet.
type SMTPSender struct {
	// Addr is the server, host:port.
	Addr string
	// From is the sender address, e.g. "Atrium <shop@example.com>".
	From string
	// Username and Password authenticate (PLAIN), if set; net/smtp refuses to send them
	// unencrypted except to localhost.
	Username, Password string
	// SMS sends SMS-channel messages.
	SMS Sender
}

// Send implements Sender. A 5xx reply (an address or message refused) is permanent.
func (s SMTPSender) Send(ctx context.Context, n Notification) error {
	if n.Channel == SMS {
		if s.SMS == nil {
			return fmt.Errorf("%w: no SMS gateway configured", ErrPermanent)
		}
		return s.SMS.Send(ctx, n)
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("sender address %q: %w", s.From, err)
	}
	to, err := mail.ParseAddress(n.To)
	if err != nil {
		return fmt.Errorf("%w: recipient %q: %v", ErrPermanent, n.To, err)
	}
	msg, err := compose(from, to, n, time.Now())
	if err != nil {
		return err
	}
	var auth smtp.Auth
	if s.Username != "" {
		host, _, _ := net.SplitHostPort(s.Addr)
		auth = smtp.PlainAuth("", s.Username, s.Password, host)
	}
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(s.Addr, auth, from.Address, []string{to.Address}, msg) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) && tpErr.Code >= 500 {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	return err
}

// compose writes an RFC 5322 plain-text message, UTF-8, quoted-printable.
func compose(from, to *mail.Address, n Notification, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	header := []struct{ k, v string }{
		{"From", from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", n.Subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", fmt.Sprintf("<%x.%d@%s>", id, n.ID, domain)},
		{"MIME-Version", "1.0"},
		{"Content-Type", `text/plain; charset="utf-8"`},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	for _, h := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", h.k, h.v)
	}
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(strings.ReplaceAll(n.Body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
