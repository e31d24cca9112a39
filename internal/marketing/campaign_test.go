package marketing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"atrium/internal/apperr"
	"atrium/internal/marketing"
	"atrium/internal/notify"
	"atrium/internal/notify/smtpsink"
)

var linkRe = regexp.MustCompile(`https://shop\.example\.com/unsubscribe\?token=\S+`)

// tokenOf reads the unsubscribe token out of a mail body.
func tokenOf(t *testing.T, body string) string {
	t.Helper()
	link := linkRe.FindString(body)
	if link == "" {
		t.Fatalf("no unsubscribe link in %q", body)
	}
	u, err := url.Parse(link)
	must(t, err)
	return u.Query().Get("token")
}

func (w *world) latestEmailConsent(t *testing.T, who string) (granted bool, channel string) {
	t.Helper()
	var c struct {
		Granted bool   `db:"granted"`
		Channel string `db:"channel"`
	}
	must(t, w.db.Get(&c, `SELECT granted, channel FROM customer_consents WHERE customer_id = $1 AND purpose = 'MARKETING_EMAIL'
		ORDER BY recorded_at DESC, id DESC LIMIT 1`, w.cust[who]))
	return c.Granted, c.Channel
}

func TestCampaignReachesOnlyConsentingMembers(t *testing.T) {
	w := newWorld(t)
	// Everyone who bought on the web: ann and gia consent, cat never did, eve's order was cancelled.
	sg, err := w.svc.CreateSegment(w.mgr, marketing.SegmentInput{Name: "web buyers", Rules: marketing.Rules{{Kind: "CHANNEL", Values: []string{"WEB"}}}})
	must(t, err)
	n, err := w.svc.Count(w.mgr, sg.ID)
	must(t, err)
	if n != 3 {
		t.Fatalf("segment has %d members, want ann, cat and gia", n)
	}
	c, err := w.svc.CreateCampaign(w.mgr, marketing.CampaignInput{Name: "Autumn", SegmentID: sg.ID, Subject: "Autumn is here",
		Body: "Hello {{name}},\nour autumn collection is in store."})
	must(t, err)
	c, recipients, err := w.svc.StartCampaign(w.mgr, c.ID)
	must(t, err)
	if recipients != 2 || c.Status != marketing.CampaignSending {
		t.Fatalf("%d recipients, status %s", recipients, c.Status)
	}
	_, _, err = w.svc.StartCampaign(w.mgr, c.ID)
	if e, _ := apperr.As(err); e == nil || e.Reason != "NOT_DRAFT" {
		t.Fatalf("second start: %v", err)
	}
	// Several servers send at once: each recipient is queued once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				n, err := w.svc.SendBatch(system, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	// Two batches finishing together may each still see the other's recipient pending;
	// the next run (Run calls SendBatch every interval) then marks the campaign sent.
	_, err = w.svc.SendBatch(system, 1)
	must(t, err)
	got, err := w.svc.Campaign(w.mgr, c.ID)
	must(t, err)
	if got.Status != marketing.CampaignSent || got.Progress != (marketing.Progress{Recipients: 2, Queued: 2}) {
		t.Fatalf("after sending: %s %+v", got.Status, got.Progress)
	}

	sink := smtpsink.Start(t)
	d := notify.NewDispatcher(w.db, notify.SMTPSender{Addr: sink.Addr(), From: "Atrium <shop@example.com>"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, err = d.DispatchDue(context.Background())
	must(t, err)
	mails := sink.Mails()
	var to []string
	for _, m := range mails {
		to = append(to, m.To...)
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"ann@example.com", "gia@example.com"}) {
		t.Fatalf("mail went to %v, want the consenting ann and gia only", to)
	}
	var annMail string
	for _, m := range mails {
		if m.To[0] == "ann@example.com" {
			annMail = m.Body
			if m.Subject != "Autumn is here" || !strings.HasPrefix(m.Body, "Hello ann,") {
				t.Fatalf("mail %q %q", m.Subject, m.Body)
			}
		}
	}
	got, err = w.svc.Campaign(w.mgr, c.ID)
	must(t, err)
	if got.Progress != (marketing.Progress{Recipients: 2, Sent: 2}) {
		t.Fatalf("after delivery: %+v", got.Progress)
	}

	token := tokenOf(t, annMail)
	t.Run("tampered tokens are refused", func(t *testing.T) {
		parts := strings.Split(token, ".")
		for name, bad := range map[string]string{
			"other customer": fmt.Sprintf("%s.%s.%d.%s", parts[0], parts[1], w.cust["gia"], parts[3]),
			"bad signature":  strings.Join(parts[:3], ".") + "." + strings.Repeat("A", len(parts[3])),
			"truncated":      strings.Join(parts[:3], "."),
			"empty":          "",
		} {
			err := w.svc.Unsubscribe(context.Background(), bad)
			if e, _ := apperr.As(err); e == nil || e.Reason != "BAD_TOKEN" {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if granted, _ := w.latestEmailConsent(t, "gia"); !granted {
			t.Fatal("a tampered token withdrew gia's consent")
		}
	})
	t.Run("unsubscribe withdraws consent once", func(t *testing.T) {
		must(t, w.svc.Unsubscribe(context.Background(), token))
		must(t, w.svc.Unsubscribe(context.Background(), token))
		granted, channel := w.latestEmailConsent(t, "ann")
		if granted || channel != "EMAIL_LINK" {
			t.Fatalf("ann's consent: granted %v by %s", granted, channel)
		}
		var rows int
		must(t, w.db.Get(&rows, `SELECT count(*) FROM customer_consents WHERE customer_id = $1 AND purpose = 'MARKETING_EMAIL'`, w.cust["ann"]))
		if rows != 2 {
			t.Fatalf("%d consent rows, want the grant and one withdrawal", rows)
		}
		if granted, _ := w.latestEmailConsent(t, "gia"); !granted {
			t.Fatal("gia's consent changed")
		}
	})
	t.Run("a withdrawal before the batch skips the member", func(t *testing.T) {
		c2, err := w.svc.CreateCampaign(w.mgr, marketing.CampaignInput{Name: "Winter", SegmentID: sg.ID, Subject: "Winter", Body: "Cold."})
		must(t, err)
		_, recipients, err := w.svc.StartCampaign(w.mgr, c2.ID)
		must(t, err)
		if recipients != 1 {
			t.Fatalf("%d recipients, want gia only (ann unsubscribed)", recipients)
		}
		w.consent(t, "gia", "MARKETING_EMAIL", false)
		_, err = w.svc.SendBatch(system, 10)
		must(t, err)
		got, err := w.svc.Campaign(w.mgr, c2.ID)
		must(t, err)
		if got.Status != marketing.CampaignSent || got.Progress != (marketing.Progress{Recipients: 1, Skipped: 1}) {
			t.Fatalf("%s %+v", got.Status, got.Progress)
		}
		_, _, err = w.svc.StartCampaign(w.mgr, mustCampaign(t, w, sg.ID).ID)
		if e, _ := apperr.As(err); e == nil || e.Reason != "NO_RECIPIENTS" {
			t.Fatalf("nobody consents: %v", err)
		}
	})
}

func mustCampaign(t *testing.T, w *world, segmentID int64) marketing.Campaign {
	t.Helper()
	c, err := w.svc.CreateCampaign(w.mgr, marketing.CampaignInput{Name: "Again", SegmentID: segmentID, Subject: "S", Body: "B"})
	must(t, err)
	return c
}

func TestCampaignValidation(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.CreateCampaign(w.mgr, marketing.CampaignInput{SegmentID: 424242})
	errs, _ := apperr.Errors(err)
	var fields []string
	for _, e := range errs {
		fields = append(fields, strings.Join(e.Field, "."))
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{"body", "name", "segmentId", "subject"}) {
		t.Fatalf("errors on %v: %v", fields, err)
	}
	if _, err := marketing.NewService(w.db, marketing.Config{UnsubscribeSecret: []byte("short"), UnsubscribeURL: "https://x"}); err == nil {
		t.Fatal("a short secret was accepted")
	}
}
