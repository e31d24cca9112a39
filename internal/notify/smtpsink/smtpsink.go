// Package smtpsink is a local SMTP server for tests: it accepts mail on a loopback port and
// keeps it, so tests check what Atrium sent through a real SMTP conversation.
package smtpsink

import (
	"bufio"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// Mail is one message the sink accepted.
type Mail struct {
	From    string
	To      []string
	Subject string
	// Body is the plain text (of a multipart message, its first text/plain part).
	Body   string
	Header mail.Header
	// Attachments are the parts of a multipart message sent as attachments, decoded.
	Attachments []Attachment
}

// Attachment is a file attached to a mail.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Sink is a running SMTP server on 127.0.0.1.
type Sink struct {
	ln     net.Listener
	mu     sync.Mutex
	mails  []Mail
	refuse map[string]bool
	wg     sync.WaitGroup
}

// Start runs a sink until the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Sink{ln: ln, refuse: map[string]bool{}}
	s.wg.Go(s.serve)
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// Addr is the sink's host:port.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Refuse makes the sink answer 550 for mail to address.
func (s *Sink) Refuse(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(address)] = true
}

// Mails returns what the sink accepted so far.
func (s *Sink) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

func (s *Sink) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() { s.session(c) })
	}
}

func (s *Sink) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(line string) { io.WriteString(c, line+"\r\n") }
	reply("220 smtpsink ready")
	var from string
	var to []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			reply("250 smtpsink")
		case "MAIL":
			from, to = addr(line), nil
			reply("250 ok")
		case "RCPT":
			a := addr(line)
			s.mu.Lock()
			refused := s.refuse[strings.ToLower(a)]
			s.mu.Unlock()
			if refused {
				reply("550 no such user")
				continue
			}
			to = append(to, a)
			reply("250 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			s.keep(from, to, data.String())
			reply("250 queued")
		case "RSET":
			from, to = "", nil
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func (s *Sink) keep(from string, to []string, data string) {
	m := Mail{From: from, To: to}
	if msg, err := mail.ReadMessage(strings.NewReader(data)); err == nil {
		m.Header = msg.Header
		m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		media, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if strings.HasPrefix(media, "multipart/") {
			r := multipart.NewReader(msg.Body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err != nil {
					break
				}
				b := decoded(p.Header.Get("Content-Transfer-Encoding"), p)
				ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				disposition, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
				if disposition == "attachment" {
					m.Attachments = append(m.Attachments, Attachment{Filename: dp["filename"], ContentType: ct, Data: b})
				} else if ct == "text/plain" && m.Body == "" {
					m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
				}
			}
		} else {
			m.Body = strings.ReplaceAll(string(decoded(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)), "\r\n", "\n")
		}
	}
	s.mu.Lock()
	s.mails = append(s.mails, m)
	s.mu.Unlock()
}

// decoded reads r, undoing its transfer encoding.
func decoded(encoding string, r io.Reader) []byte {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	return b
}

// addr takes the address out of "MAIL FROM:<a@b>" or "RCPT TO:<a@b>".
func addr(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.LastIndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}
