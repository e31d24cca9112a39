package notify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"atrium/internal/notify"
	"atrium/internal/notify/smtpsink"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestEnqueueValidatesAndDedupes(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	for name, m := range map[string]notify.Message{
		"bad kind":     {Kind: "pickup ready", To: "a@example.com", Body: "x"},
		"no recipient": {Kind: "PICKUP_READY", Body: "x"},
		"no body":      {Kind: "PICKUP_READY", To: "a@example.com", Body: "  "},
		"bad channel":  {Kind: "PICKUP_READY", To: "a@example.com", Body: "x", Channel: "FAX"},
		"empty attachment": {Kind: "PURCHASE_ORDER", To: "a@example.com", Body: "x",
			Attachments: []notify.Attachment{{Filename: "PO-1.pdf", ContentType: "application/pdf"}}},
		"attachment without type": {Kind: "PURCHASE_ORDER", To: "a@example.com", Body: "x",
			Attachments: []notify.Attachment{{Filename: "PO-1.pdf", Data: []byte("%PDF")}}},
		"attachment name with a line break": {Kind: "PURCHASE_ORDER", To: "a@example.com", Body: "x",
			Attachments: []notify.Attachment{{Filename: "PO\r\n.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}}},
		"attachment by SMS": {Kind: "PICKUP_READY", To: "+886912345678", Body: "x", Channel: notify.SMS,
			Attachments: []notify.Attachment{{Filename: "a.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := notify.Enqueue(ctx, db, m); err == nil {
				t.Fatal("enqueued an invalid message")
			}
		})
	}
	m := notify.Message{Kind: "PICKUP_READY", To: "mei@example.com", Subject: "Ready", Body: "Code 123456",
		Reference: "ORD:1", DedupeKey: "pickup-ready:1"}
	first, err := notify.Enqueue(ctx, db, m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := notify.Enqueue(ctx, db, m)
	if err != nil || again != first {
		t.Fatalf("second enqueue with the same key = %d, %v; want %d", again, err, first)
	}
	ns, err := notify.ByReference(ctx, db, "ORD:1")
	if err != nil || len(ns) != 1 || ns[0].Status != notify.Pending {
		t.Fatalf("by reference = %+v, %v; want one pending message", ns, err)
	}
}

func TestDispatchThroughSMTP(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	sink := smtpsink.Start(t)
	sink.Refuse("nobody@example.com")
	for _, m := range []notify.Message{
		{Kind: "PICKUP_READY", To: "mei.lin@example.com", Subject: "Your order A-000042 is ready — 取貨", Body: "Pickup code: 481 516\nSee you soon.", Reference: "ORD:42"},
		{Kind: "PICKUP_READY", To: "nobody@example.com", Subject: "Ready", Body: "x", Reference: "ORD:43"},
	} {
		if _, err := notify.Enqueue(ctx, db, m); err != nil {
			t.Fatal(err)
		}
	}
	d := notify.NewDispatcher(db, notify.SMTPSender{Addr: sink.Addr(), From: "Atrium <shop@example.com>"}, quiet)
	if n, err := d.DispatchDue(ctx); err != nil || n != 2 {
		t.Fatalf("dispatch = %d, %v; want 2 claimed", n, err)
	}
	mails := sink.Mails()
	if len(mails) != 1 {
		t.Fatalf("sink got %d mails, want 1", len(mails))
	}
	got := mails[0]
	if got.To[0] != "mei.lin@example.com" || got.Subject != "Your order A-000042 is ready — 取貨" ||
		!strings.Contains(got.Body, "Pickup code: 481 516\nSee you soon.") {
		t.Errorf("mail = %+v", got)
	}
	sent, _ := notify.ByReference(ctx, db, "ORD:42")
	refused, _ := notify.ByReference(ctx, db, "ORD:43")
	if sent[0].Status != notify.Sent || sent[0].SentAt == nil {
		t.Errorf("delivered message = %+v, want SENT", sent[0])
	}
	if refused[0].Status != notify.Failed || !strings.Contains(refused[0].LastError, "550") {
		t.Errorf("refused message = %+v, want FAILED with the 550 reply", refused[0])
	}
	if n, err := d.DispatchDue(ctx); err != nil || n != 0 {
		t.Errorf("second dispatch = %d, %v; want nothing due", n, err)
	}
}

// flaky fails its first calls, then succeeds.
type flaky struct{ fails, calls atomic.Int32 }

func (f *flaky) Send(context.Context, notify.Notification) error {
	if f.calls.Add(1) <= f.fails.Load() {
		return errors.New("connection refused")
	}
	return nil
}

func TestDispatchRetriesWithBackoffThenGivesUp(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := notify.Enqueue(ctx, db, notify.Message{Kind: "OTP", To: "a@example.com", Body: "1", Reference: "R"}); err != nil {
		t.Fatal(err)
	}
	f := &flaky{}
	f.fails.Store(100)
	d := notify.NewDispatcher(db, f, quiet)
	d.MaxAttempts = 3
	d.Backoff = func(int) time.Duration { return 0 }

	for attempt := 1; attempt <= 3; attempt++ {
		if _, err := d.DispatchDue(ctx); err != nil {
			t.Fatal(err)
		}
		ns, _ := notify.ByReference(ctx, db, "R")
		want := notify.Pending
		if attempt == 3 {
			want = notify.Failed
		}
		if ns[0].Attempts != attempt || ns[0].Status != want || ns[0].LastError != "connection refused" {
			t.Fatalf("after attempt %d: %+v, want %s", attempt, ns[0], want)
		}
	}

	t.Run("backoff defers the next attempt", func(t *testing.T) {
		if _, err := notify.Enqueue(ctx, db, notify.Message{Kind: "OTP", To: "b@example.com", Body: "1", Reference: "S"}); err != nil {
			t.Fatal(err)
		}
		d.Backoff = func(int) time.Duration { return time.Hour }
		f.calls.Store(0)
		d.DispatchDue(ctx)
		d.DispatchDue(ctx)
		if c := f.calls.Load(); c != 1 {
			t.Errorf("sent %d times within the backoff, want 1", c)
		}
	})
}

func TestDispatchersShareTheOutbox(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	for range 50 {
		if _, err := notify.Enqueue(ctx, db, notify.Message{Kind: "OTP", To: "a@example.com", Body: "1"}); err != nil {
			t.Fatal(err)
		}
	}
	var count counting
	done := make(chan struct{})
	for range 3 {
		go func() {
			d := notify.NewDispatcher(db, &count, quiet)
			d.Batch = 5
			for {
				if n, err := d.DispatchDue(ctx); err != nil || n == 0 {
					break
				}
			}
			done <- struct{}{}
		}()
	}
	for range 3 {
		<-done
	}
	if n := count.n.Load(); n != 50 {
		t.Errorf("three dispatchers sent %d messages, want each of the 50 once", n)
	}
}

type counting struct{ n atomic.Int32 }

func (c *counting) Send(context.Context, notify.Notification) error { c.n.Add(1); return nil }

func TestAttachmentsTravelWithTheMessage(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	sink := smtpsink.Start(t)
	// Bytes of every value, longer than a base64 line, so encoding and line breaks are tested.
	pdf := []byte("%PDF-1.4\n")
	for i := range 600 {
		pdf = append(pdf, byte(i))
	}
	m := notify.Message{Kind: "PURCHASE_ORDER", To: "orders@formosa.example", Subject: "Purchase order PO-000042",
		Body: "Please supply the attached order.\nThank you.", Reference: "PO:42", DedupeKey: "PO:42:SENT",
		Attachments: []notify.Attachment{
			{Filename: "PO-000042.pdf", ContentType: "application/pdf", Data: pdf},
			{Filename: "訂單 42.txt", ContentType: "text/plain", Data: []byte("line 1\r\nline 2\r\n")},
		}}
	first, err := notify.Enqueue(ctx, db, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a deduplicated message keeps one set of attachments", func(t *testing.T) {
		again, err := notify.Enqueue(ctx, db, m)
		if err != nil || again != first {
			t.Fatalf("again = %d, %v", again, err)
		}
		ns, err := notify.ByReference(ctx, db, "PO:42")
		if err != nil || len(ns) != 1 || len(ns[0].Attachments) != 2 || ns[0].Attachments[0].Filename != "PO-000042.pdf" {
			t.Fatalf("stored = %+v, %v", ns, err)
		}
	})
	t.Run("the recipient gets the body and the files", func(t *testing.T) {
		d := notify.NewDispatcher(db, notify.SMTPSender{Addr: sink.Addr(), From: "Atrium <shop@example.com>"}, quiet)
		if n, err := d.DispatchDue(ctx); err != nil || n != 1 {
			t.Fatalf("dispatch = %d, %v", n, err)
		}
		mails := sink.Mails()
		if len(mails) != 1 {
			t.Fatalf("%d mails", len(mails))
		}
		got := mails[0]
		if !strings.HasPrefix(got.Header.Get("Content-Type"), "multipart/mixed") || got.Body != m.Body {
			t.Errorf("content type %q, body %q", got.Header.Get("Content-Type"), got.Body)
		}
		if len(got.Attachments) != 2 {
			t.Fatalf("attachments %+v", got.Attachments)
		}
		for i, want := range m.Attachments {
			a := got.Attachments[i]
			if a.Filename != want.Filename || a.ContentType != want.ContentType || !bytes.Equal(a.Data, want.Data) {
				t.Errorf("attachment %d = %s %s (%d bytes), want %s %s (%d bytes)", i, a.Filename, a.ContentType, len(a.Data),
					want.Filename, want.ContentType, len(want.Data))
			}
		}
	})
}
