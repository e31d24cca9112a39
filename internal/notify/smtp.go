package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
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

// compose writes an RFC 5322 message, UTF-8: the body as quoted-printable plain text, or,
// with attachments, a multipart/mixed message of the body and each file in base64.
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
	}
	for _, h := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", h.k, h.v)
	}
	if len(n.Attachments) == 0 {
		b.WriteString("Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		if err := writeText(&b, n.Body); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "Content-Type: %s\r\n\r\n", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {`text/plain; charset="utf-8"`},
		"Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, err
	}
	if err := writeText(part, n.Body); err != nil {
		return nil, err
	}
	for _, a := range n.Attachments {
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(a.ContentType, map[string]string{"name": a.Filename})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeBase64(part, a.Data); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeText writes body quoted-printable with CRLF line ends.
func writeText(w io.Writer, body string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return err
	}
	return qp.Close()
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045).
func writeBase64(w io.Writer, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 0 {
		n := min(76, len(enc))
		if _, err := io.WriteString(w, enc[:n]+"\r\n"); err != nil {
			return err
		}
		enc = enc[n:]
	}
	return nil
}
