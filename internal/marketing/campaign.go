package marketing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/notify"
	"atrium/internal/postgres"
)

// Campaign statuses.
const (
	CampaignDraft     = "DRAFT"
	CampaignSending   = "SENDING"
	CampaignSent      = "SENT"
	CampaignCancelled = "CANCELLED"
)

// Campaign is an email to a segment's consenting members.
type Campaign struct {
	ID            int64      `db:"id" json:"id"`
	Name          string     `db:"name" json:"name"`
	SegmentID     int64      `db:"segment_id" json:"segmentId"`
	Subject       string     `db:"subject" json:"subject"`
	Body          string     `db:"body" json:"body"`
	Status        string     `db:"status" json:"status"`
	CreatedByName string     `db:"created_by_name" json:"createdByName"`
	CreatedAt     time.Time  `db:"created_at" json:"createdAt"`
	StartedAt     *time.Time `db:"started_at" json:"startedAt,omitempty"`
	StartedByName string     `db:"started_by_name" json:"startedByName"`
	CompletedAt   *time.Time `db:"completed_at" json:"completedAt,omitempty"`
}

const campaignColumns = `id, name, segment_id, subject, body, status, created_by_name, created_at, started_at, started_by_name, completed_at`

// CampaignInput is a campaign to draft. Body is plain text; {{name}} is replaced by the
// member's name, and {{coupon}} by the member's personal code when the campaign is
// started with coupons (StartCampaignWithCoupons). The unsubscribe link is added below it.
type CampaignInput struct {
	Name      string
	SegmentID int64
	Subject   string
	Body      string
}

// Reference is the outbox reference of a campaign's messages.
func Reference(campaignID int64) string { return fmt.Sprintf("CAMPAIGN:%d", campaignID) }

// CreateCampaign drafts a campaign (managers). Errors: apperr.Invalid (every problem),
// Forbidden.
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput) (Campaign, error) {
	a, err := actor.RequireStaff(ctx, actor.Manager)
	if err != nil {
		return Campaign{}, err
	}
	var errs apperr.List
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	in.Subject = strings.Join(strings.Fields(in.Subject), " ")
	in.Body = strings.TrimSpace(in.Body)
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		errs = append(errs, apperr.Invalid("name", "give the campaign a name of 1 to 100 characters"))
	}
	if in.Subject == "" || len([]rune(in.Subject)) > 200 {
		errs = append(errs, apperr.Invalid("subject", "write a subject of 1 to 200 characters"))
	}
	if in.Body == "" {
		errs = append(errs, apperr.Invalid("body", "write the message"))
	} else if len(in.Body) > 100_000 {
		errs = append(errs, apperr.Invalid("body", "the message is longer than 100,000 characters"))
	}
	if _, err := segmentByID(ctx, s.db, in.SegmentID); err != nil {
		errs = append(errs, apperr.Invalid("segmentId", "choose a segment (no segment with id %d)", in.SegmentID))
	}
	if err := errs.Err(); err != nil {
		return Campaign{}, err
	}
	var out Campaign
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `INSERT INTO campaigns (name, segment_id, subject, body, created_by_id, created_by_name)
			VALUES ($1, $2, $3, $4, nullif($5, 0), $6) RETURNING `+campaignColumns, in.Name, in.SegmentID, in.Subject, in.Body, a.ID, a.Name)
		if err != nil {
			return fmt.Errorf("create campaign: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "campaign.created", Entity: "campaign", EntityID: out.ID,
			After: map[string]any{"name": in.Name, "segmentId": in.SegmentID}})
	})
	return out, err
}

func campaignByID(ctx context.Context, q sqlx.QueryerContext, id int64, lock bool) (Campaign, error) {
	query := `SELECT ` + campaignColumns + ` FROM campaigns WHERE id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	var c Campaign
	err := sqlx.GetContext(ctx, q, &c, query, id)
	return c, postgres.NotFound(err, "no campaign with id %d", id)
}

// StartCampaign takes the segment's members who have an email and whose consent to
// marketing email is in force as the recipients, and hands the campaign to the senders
// (SendBatch). It returns the campaign and the number of recipients. Errors:
// apperr.NotFound, Invalid (NOT_DRAFT: already started or cancelled; NO_RECIPIENTS).
func (s *Service) StartCampaign(ctx context.Context, id int64) (Campaign, int, error) {
	a, err := actor.RequireStaff(ctx, actor.Manager)
	if err != nil {
		return Campaign{}, 0, err
	}
	var out Campaign
	var n int
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		out, n, err = s.startCampaign(ctx, tx, a, id, nil)
		return err
	})
	return out, n, err
}

// startCampaign starts draft campaign id in tx; check, when set, vets the draft first.
func (s *Service) startCampaign(ctx context.Context, tx *sqlx.Tx, a actor.Actor, id int64, check func(Campaign) error) (Campaign, int, error) {
	var out Campaign
	var n int
	err := func() error {
		c, err := campaignByID(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(c); err != nil {
				return err
			}
		}
		if c.Status != CampaignDraft {
			return apperr.Invalid("campaign", "campaign %q is %s; only a draft can be started", c.Name, strings.ToLower(c.Status)).WithReason("NOT_DRAFT")
		}
		sg, err := segmentByID(ctx, tx, c.SegmentID)
		if err != nil {
			return err
		}
		var b query
		where := b.where(sg.Rules, s.cfg.Now())
		res, err := tx.ExecContext(ctx, `INSERT INTO campaign_recipients (campaign_id, customer_id, email)
			SELECT `+b.arg(id)+`::bigint, c.id, c.email FROM customers c
			WHERE `+where+` AND c.email IS NOT NULL AND `+fmt.Sprintf(latestConsent, "MARKETING_EMAIL"), b.args...)
		if err != nil {
			return fmt.Errorf("campaign recipients: %w", err)
		}
		rows, _ := res.RowsAffected()
		n = int(rows)
		if n == 0 {
			return apperr.Invalid("campaign", "nobody in segment %q has an email and consents to marketing email", sg.Name).WithReason("NO_RECIPIENTS")
		}
		if err := tx.GetContext(ctx, &out, `UPDATE campaigns SET status = 'SENDING', started_at = now(), started_by_name = $2
			WHERE id = $1 RETURNING `+campaignColumns, id, a.Name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "campaign.started", Entity: "campaign", EntityID: id,
			After: map[string]any{"recipients": n, "segment": sg.Name}})
	}()
	return out, n, err
}

// CancelCampaign stops a draft or a campaign being sent: messages already in the outbox
// still go, the others are not queued. Errors: apperr.NotFound, Invalid (FINISHED).
func (s *Service) CancelCampaign(ctx context.Context, id int64) (Campaign, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return Campaign{}, err
	}
	var out Campaign
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		c, err := campaignByID(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if c.Status == CampaignSent || c.Status == CampaignCancelled {
			return apperr.Invalid("campaign", "campaign %q is already %s", c.Name, strings.ToLower(c.Status)).WithReason("FINISHED")
		}
		if err := tx.GetContext(ctx, &out, `UPDATE campaigns SET status = 'CANCELLED', completed_at = now(),
			started_at = coalesce(started_at, now()) WHERE id = $1 RETURNING `+campaignColumns, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "campaign.cancelled", Entity: "campaign", EntityID: id})
	})
	return out, err
}

// SendBatch puts up to limit pending recipients of campaigns being sent into the outbox,
// one message each (dedupe key campaign:<id>:<customer>), and marks campaigns whose
// recipients are all handled SENT. Servers may run it at the same time: recipients are
// claimed with SKIP LOCKED. A recipient whose consent was withdrawn or email removed
// since the start is skipped. It returns how many recipients it handled. When two
// batches take a campaign's last recipients at once, the campaign turns SENT on the next
// call (Run makes one every interval).
func (s *Service) SendBatch(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = 200
	}
	var handled int
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var rows []struct {
			CampaignID int64   `db:"campaign_id"`
			CustomerID int64   `db:"customer_id"`
			Email      *string `db:"email"`
			Name       string  `db:"name"`
			Consents   bool    `db:"consents"`
			Subject    string  `db:"subject"`
			Body       string  `db:"body"`
			Coupon     string  `db:"coupon"`
		}
		err := tx.SelectContext(ctx, &rows, `SELECT r.campaign_id, r.customer_id, c.email, c.name, k.subject, k.body,
				coalesce((SELECT cp.code FROM coupons cp WHERE cp.campaign_id = r.campaign_id AND cp.customer_id = r.customer_id), '') AS coupon,
				c.erased_at IS NULL AND c.merged_into_id IS NULL AND `+fmt.Sprintf(latestConsent, "MARKETING_EMAIL")+` AS consents
			FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id JOIN customers c ON c.id = r.customer_id
			WHERE r.status = 'PENDING' AND k.status = 'SENDING'
			ORDER BY r.campaign_id, r.customer_id LIMIT $1 FOR UPDATE OF r SKIP LOCKED`, limit)
		if err != nil {
			return fmt.Errorf("claim campaign recipients: %w", err)
		}
		for _, r := range rows {
			if !r.Consents || r.Email == nil {
				if _, err := tx.ExecContext(ctx, `UPDATE campaign_recipients SET status = 'SKIPPED', handled_at = now()
					WHERE campaign_id = $1 AND customer_id = $2`, r.CampaignID, r.CustomerID); err != nil {
					return err
				}
				continue
			}
			link := s.UnsubscribeLink(r.CampaignID, r.CustomerID)
			body := strings.NewReplacer("{{name}}", r.Name, CouponPlaceholder, r.Coupon).Replace(r.Body) +
				"\n\n--\nYou receive this because you agreed to hear from us. To stop these emails, open:\n" + link + "\n"
			nid, err := notify.Enqueue(ctx, tx, notify.Message{Kind: "CAMPAIGN", To: *r.Email, Subject: r.Subject, Body: body,
				Reference: Reference(r.CampaignID), DedupeKey: fmt.Sprintf("campaign:%d:%d", r.CampaignID, r.CustomerID)})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE campaign_recipients SET status = 'QUEUED', notification_id = $3, handled_at = now()
				WHERE campaign_id = $1 AND customer_id = $2`, r.CampaignID, r.CustomerID, nid); err != nil {
				return err
			}
		}
		handled = len(rows)
		_, err = tx.ExecContext(ctx, `UPDATE campaigns k SET status = 'SENT', completed_at = now() WHERE k.status = 'SENDING'
			AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = k.id AND r.status = 'PENDING')`)
		return err
	})
	return handled, err
}

// Run calls SendBatch every interval until ctx ends, draining what is pending each time.
func (s *Service) Run(ctx context.Context, every time.Duration, batch int, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			n, err := s.SendBatch(actor.SystemContext(ctx), batch)
			if err != nil && ctx.Err() == nil {
				log.Warn("campaigns: send batch", "err", err)
			}
			if err != nil || n < batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Progress is where a campaign's sending stands: recipients snapshot at the start, those
// not yet in the outbox (Pending) or skipped, and the outbox's state of the rest.
type Progress struct {
	Recipients int `json:"recipients"`
	Pending    int `json:"pending"`
	Skipped    int `json:"skipped"`
	// Queued are in the outbox waiting for (or retrying) delivery.
	Queued int `json:"queued"`
	Sent   int `json:"sent"`
	Failed int `json:"failed"`
}

// CampaignWithProgress is a campaign and its progress.
type CampaignWithProgress struct {
	Campaign
	Progress Progress `json:"progress"`
}

// Campaign returns a campaign with its progress (managers).
func (s *Service) Campaign(ctx context.Context, id int64) (CampaignWithProgress, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return CampaignWithProgress{}, err
	}
	c, err := campaignByID(ctx, s.db, id, false)
	if err != nil {
		return CampaignWithProgress{}, err
	}
	p, err := progress(ctx, s.db, id)
	return CampaignWithProgress{Campaign: c, Progress: p}, err
}

// Campaigns lists campaigns, newest first, with their progress (managers).
func (s *Service) Campaigns(ctx context.Context, page Page) ([]CampaignWithProgress, error) {
	if _, err := actor.RequireStaff(ctx, actor.Manager); err != nil {
		return nil, err
	}
	page = page.norm()
	var cs []Campaign
	if err := s.db.SelectContext(ctx, &cs, `SELECT `+campaignColumns+` FROM campaigns ORDER BY id DESC LIMIT $1 OFFSET $2`,
		page.Limit, page.Offset); err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	out := make([]CampaignWithProgress, len(cs))
	for i, c := range cs {
		p, err := progress(ctx, s.db, c.ID)
		if err != nil {
			return nil, err
		}
		out[i] = CampaignWithProgress{Campaign: c, Progress: p}
	}
	return out, nil
}

func progress(ctx context.Context, q sqlx.QueryerContext, id int64) (Progress, error) {
	var p Progress
	err := sqlx.GetContext(ctx, q, &p, `SELECT
			(SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1) AS recipients,
			(SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND status = 'PENDING') AS pending,
			(SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND status = 'SKIPPED') AS skipped,
			count(*) FILTER (WHERE n.status = 'PENDING') AS queued,
			count(*) FILTER (WHERE n.status = 'SENT') AS sent,
			count(*) FILTER (WHERE n.status = 'FAILED') AS failed
		FROM notifications n WHERE n.reference = $2`, id, Reference(id))
	if err != nil {
		return p, fmt.Errorf("campaign progress: %w", err)
	}
	return p, nil
}

// Unsubscribe tokens: v1.<campaign>.<customer>.<HMAC-SHA256 of the rest, base64url>.
const tokenVersion = "v1"

func (s *Service) sign(payload string) string {
	m := hmac.New(sha256.New, s.cfg.UnsubscribeSecret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// UnsubscribeToken returns the signed token of a campaign's recipient.
func (s *Service) UnsubscribeToken(campaignID, customerID int64) string {
	payload := fmt.Sprintf("%s.%d.%d", tokenVersion, campaignID, customerID)
	return payload + "." + s.sign(payload)
}

// UnsubscribeLink is the URL put in a campaign's message.
func (s *Service) UnsubscribeLink(campaignID, customerID int64) string {
	sep := "?"
	if strings.Contains(s.cfg.UnsubscribeURL, "?") {
		sep = "&"
	}
	return s.cfg.UnsubscribeURL + sep + "token=" + url.QueryEscape(s.UnsubscribeToken(campaignID, customerID))
}

// CheckUnsubscribeToken reports whether token is an unsubscribe token this server
// signed, so the link's page can ask to confirm before anything changes (a mail scanner
// opening every link must not unsubscribe anyone). Errors: apperr.Invalid (BAD_TOKEN).
func (s *Service) CheckUnsubscribeToken(token string) error {
	_, _, err := s.parseToken(token)
	return err
}

// parseToken returns the campaign and customer an unsubscribe token was made for.
func (s *Service) parseToken(token string) (campaignID, customerID int64, err error) {
	bad := apperr.Invalid("token", "this unsubscribe link is not valid; copy the whole link from the email, or change your choices in your account").
		WithReason("BAD_TOKEN")
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 4 || parts[0] != tokenVersion {
		return 0, 0, bad
	}
	payload := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(s.sign(payload))) {
		return 0, 0, bad
	}
	campaignID, err1 := strconv.ParseInt(parts[1], 10, 64)
	customerID, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, bad
	}
	return campaignID, customerID, nil
}

// Unsubscribe records the withdrawal of the marketing email consent of the customer a
// token was made for (channel EMAIL_LINK), once: confirming again changes nothing. It
// needs no sign-in: the signature is the proof. Errors: apperr.Invalid (BAD_TOKEN) for a
// token not signed by this server or altered.
func (s *Service) Unsubscribe(ctx context.Context, token string) error {
	campaignID, customerID, err := s.parseToken(token)
	if err != nil {
		return err
	}
	return postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var c struct {
			ID     int64 `db:"id"`
			Erased bool  `db:"erased"`
		}
		// A customer merged since then unsubscribes the survivor: the same person.
		err := tx.GetContext(ctx, &c, `SELECT coalesce(s.id, c.id) AS id, coalesce(s.erased_at, c.erased_at) IS NOT NULL AS erased
			FROM customers c LEFT JOIN customers s ON s.id = c.merged_into_id WHERE c.id = $1`, customerID)
		if err != nil {
			return postgres.NotFound(err, "this unsubscribe link is for a customer who no longer exists")
		}
		if c.Erased {
			return nil // nothing is sent to an erased customer
		}
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM customers WHERE id = $1 FOR UPDATE`, c.ID); err != nil {
			return err
		}
		var granted bool
		if err := tx.GetContext(ctx, &granted, `SELECT coalesce((SELECT granted FROM customer_consents WHERE customer_id = $1
			AND purpose = 'MARKETING_EMAIL' ORDER BY recorded_at DESC, id DESC LIMIT 1), false)`, c.ID); err != nil {
			return err
		}
		if !granted {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO customer_consents (customer_id, purpose, granted, channel, statement, actor_kind, actor_id)
			VALUES ($1, 'MARKETING_EMAIL', false, 'EMAIL_LINK', $2, 'CUSTOMER', $1)`,
			c.ID, fmt.Sprintf("unsubscribe link in campaign %d", campaignID))
		if err != nil {
			return fmt.Errorf("record unsubscribe: %w", err)
		}
		return nil
	})
}
