package marketing_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/marketing"
	"atrium/internal/postgres"
	"atrium/internal/promotion"
)

// couponWorld is the segment world with coupons whose segment membership marketing checks.
type couponWorld struct {
	*world
	promo *promotion.Service
	email marketing.Segment // members who consent to marketing email: ann, gia
}

func newCouponWorld(t *testing.T) *couponWorld {
	t.Helper()
	w := &couponWorld{world: newWorld(t)}
	w.promo = promotion.NewService(w.db)
	w.promo.UseSegments(w.svc)
	var err error
	w.email, err = w.svc.CreateSegment(w.mgr, marketing.SegmentInput{Name: "email ok",
		Rules: marketing.Rules{{Kind: marketing.RuleConsent, Purpose: "MARKETING_EMAIL", Granted: bp(true)}}})
	must(t, err)
	return w
}

func (w *couponWorld) coupon(t *testing.T, code string, edit func(*promotion.CouponInput)) promotion.Coupon {
	t.Helper()
	in := promotion.CouponInput{Code: code, Kind: promotion.Fixed, Amount: 100, Scope: promotion.WholeOrder, Active: true}
	edit(&in)
	c, err := w.promo.CreateCoupon(w.mgr, in)
	must(t, err)
	return c
}

// redeem uses coupon c on a new order of who ("" for a guest with an email), as the order
// service does in its transaction, and returns the refusal's reason and message.
func (w *couponWorld) redeem(t *testing.T, p *promotion.Service, c int64, who string) (string, string) {
	t.Helper()
	owner := who
	if owner == "" {
		owner = "dan"
	}
	r := promotion.Redemption{CouponID: c, OrderID: w.order(t, owner, order{channel: "WEB", total: 1000, product: "shirt"}), Amount: 100}
	if who == "" {
		r.Email = "guest@example.com"
	} else {
		id := w.cust[who]
		r.CustomerID = &id
	}
	err := postgres.InTx(system, w.db, func(tx *sqlx.Tx) error { return p.Redeem(system, tx, "couponCodes.0", r) })
	if err == nil {
		return "", ""
	}
	errs, ok := apperr.Errors(err)
	if !ok {
		t.Fatal(err)
	}
	return errs[0].ClientCode(), errs[0].Message
}

func TestCouponAudiencesAtRedemption(t *testing.T) {
	w := newCouponWorld(t)
	gold := w.coupon(t, "GOLD-ONLY", func(in *promotion.CouponInput) { in.Tiers = []string{"GOLD"} })
	seg := w.coupon(t, "EMAIL-FANS", func(in *promotion.CouponInput) { in.SegmentID = w.email.ID })
	annOnly := w.coupon(t, "ANN-ONLY", func(in *promotion.CouponInput) { in.CustomerID = w.cust["ann"] })
	anyone := w.coupon(t, "ANYONE", func(in *promotion.CouponInput) {})
	unchecked := promotion.NewService(w.db) // segment membership not wired

	for _, tt := range []struct {
		name   string
		svc    *promotion.Service
		coupon int64
		who    string
		reason string
		msg    string
	}{
		{"tier coupon refused to a Member", w.promo, gold.ID, "bob", promotion.ReasonNotForCustomer, "is for GOLD members only; this member is MEMBER"},
		{"tier coupon accepted for a Gold member", w.promo, gold.ID, "ann", "", ""},
		{"tier coupon refused to a guest", w.promo, gold.ID, "", promotion.ReasonNotForCustomer, "sign in"},
		{"segment coupon accepted for a member of the segment", w.promo, seg.ID, "gia", "", ""},
		{"segment coupon refused to one who withdrew consent", w.promo, seg.ID, "bob", promotion.ReasonNotForCustomer, "not in it"},
		{"segment coupon refused to a guest", w.promo, seg.ID, "", promotion.ReasonNotForCustomer, "members only"},
		{"segment coupon refused when membership cannot be checked", unchecked, seg.ID, "gia", promotion.ReasonNotForCustomer, "cannot be checked"},
		{"personal coupon refused to another member", w.promo, annOnly.ID, "gia", promotion.ReasonNotForCustomer, "personal to another member"},
		{"personal coupon refused to a guest", w.promo, annOnly.ID, "", promotion.ReasonNotForCustomer, "sign in"},
		{"personal coupon used by its owner", w.promo, annOnly.ID, "ann", "", ""},
		{"personal coupon used only once", w.promo, annOnly.ID, "ann", promotion.ReasonLimitReached, "used as many times"},
		{"unrestricted coupon for a guest", w.promo, anyone.ID, "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reason, msg := w.redeem(t, tt.svc, tt.coupon, tt.who)
			if reason != tt.reason || !strings.Contains(msg, tt.msg) {
				t.Errorf("refusal %s %q; want %s %q", reason, msg, tt.reason, tt.msg)
			}
		})
	}
	t.Run("a refused use is not counted", func(t *testing.T) {
		var n int
		must(t, w.db.Get(&n, `SELECT redemptions FROM coupons WHERE id = $1`, gold.ID))
		if n != 1 {
			t.Errorf("GOLD-ONLY redemptions %d; want 1 (ann's)", n)
		}
	})
}

func TestIssuePersonalCoupons(t *testing.T) {
	w := newCouponWorld(t)
	tmpl := promotion.CouponInput{Code: "vip", Kind: promotion.Percent, PercentBP: 1500, Scope: promotion.WholeOrder, Active: true,
		Tiers: []string{"GOLD"}, Description: "Thank you"}
	assoc := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 9, Roles: []actor.Role{actor.Associate}})

	t.Run("managers only", func(t *testing.T) {
		if _, err := w.svc.IssuePersonalCoupons(assoc, w.email.ID, tmpl); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Errorf("associate: %v", err)
		}
	})
	t.Run("bad template says how to fix", func(t *testing.T) {
		bad := tmpl
		bad.Code, bad.PercentBP = "v", 0
		_, err := w.svc.IssuePersonalCoupons(w.mgr, w.email.ID, bad)
		errs, _ := apperr.Errors(err)
		got := map[string]string{}
		for _, e := range errs {
			got[strings.Join(e.Field, ".")] = e.Message
		}
		if !strings.Contains(got["code"], "prefix has 2–33") || !strings.Contains(got["percentBp"], "basis points") {
			t.Errorf("errors %v", got)
		}
	})
	t.Run("unknown segment", func(t *testing.T) {
		if _, err := w.svc.IssuePersonalCoupons(w.mgr, 999, tmpl); apperr.CodeOf(err) != apperr.CodeNotFound {
			t.Errorf("unknown segment: %v", err)
		}
	})

	n, err := w.svc.IssuePersonalCoupons(w.mgr, w.email.ID, tmpl)
	must(t, err)
	var rows []struct {
		Code     string `db:"code"`
		Customer int64  `db:"customer_id"`
		Max      int    `db:"max_redemptions"`
		ID       int64  `db:"id"`
	}
	must(t, w.db.Select(&rows, `SELECT id, code, customer_id, max_redemptions FROM coupons WHERE customer_id IS NOT NULL
		AND tiers IS NULL AND percent_bp = 1500 ORDER BY customer_id`))
	t.Run("one single-use code per member", func(t *testing.T) {
		code := regexp.MustCompile(`^VIP-[2-9A-HJKMNP-Z]{6}$`)
		if n != 2 || len(rows) != 2 || w.names([]int64{rows[0].Customer, rows[1].Customer})[0] != "ann" || rows[0].Code == rows[1].Code {
			t.Fatalf("issued %d: %+v; want one each for ann and gia", n, rows)
		}
		for _, r := range rows {
			if !code.MatchString(r.Code) || r.Max != 1 {
				t.Errorf("coupon %+v", r)
			}
		}
	})
	t.Run("audited", func(t *testing.T) {
		var issued int
		must(t, w.db.Get(&issued, `SELECT (after->>'issued')::int FROM audit_log WHERE action = 'coupon.personal_issued' AND entity_id = $1`,
			w.email.ID))
		if issued != 2 {
			t.Errorf("audit says %d issued", issued)
		}
	})
	t.Run("only its member can use an issued code", func(t *testing.T) {
		first, second := rows[0], rows[1]
		other := w.names([]int64{second.Customer})[0]
		if reason, _ := w.redeem(t, w.promo, first.ID, other); reason != promotion.ReasonNotForCustomer {
			t.Errorf("%s used %s's code: %s", other, w.names([]int64{first.Customer})[0], reason)
		}
		if reason, msg := w.redeem(t, w.promo, first.ID, w.names([]int64{first.Customer})[0]); reason != "" {
			t.Errorf("owner refused: %s", msg)
		}
	})
}

func TestStartCampaignWithCoupons(t *testing.T) {
	w := newCouponWorld(t)
	tmpl := promotion.CouponInput{Code: "THANKS", Kind: promotion.Fixed, Amount: 20000, Scope: promotion.WholeOrder, Active: true}
	draft := func(body string) marketing.Campaign {
		t.Helper()
		c, err := w.svc.CreateCampaign(w.mgr, marketing.CampaignInput{Name: "Thank you", SegmentID: w.email.ID, Subject: "A gift", Body: body})
		must(t, err)
		return c
	}
	t.Run("the body must say where the code goes", func(t *testing.T) {
		c := draft("Hi {{name}}, come back soon")
		_, _, err := w.svc.StartCampaignWithCoupons(w.mgr, c.ID, tmpl)
		if errs, _ := apperr.Errors(err); len(errs) == 0 || errs[0].Field[0] != "body" || !strings.Contains(errs[0].Message, "{{coupon}}") {
			t.Fatalf("%v; want an error on body naming {{coupon}}", err)
		}
		var status string
		must(t, w.db.Get(&status, `SELECT status FROM campaigns WHERE id = $1`, c.ID))
		if status != marketing.CampaignDraft {
			t.Errorf("campaign %s after the refusal; want it left a draft", status)
		}
	})
	c := draft("Hi {{name}}, your code is {{coupon}}")
	_, n, err := w.svc.StartCampaignWithCoupons(w.mgr, c.ID, tmpl)
	must(t, err)
	_, err = w.svc.SendBatch(system, 100)
	must(t, err)
	var mails []struct {
		To   string `db:"recipient"`
		Body string `db:"body"`
		Code string `db:"code"`
	}
	must(t, w.db.Select(&mails, `SELECT n.recipient, n.body, cp.code FROM notifications n
		JOIN customers cu ON cu.email = n.recipient
		JOIN coupons cp ON cp.customer_id = cu.id AND cp.campaign_id = $1
		WHERE n.reference = $2 ORDER BY n.recipient`, c.ID, marketing.Reference(c.ID)))
	t.Run("each consenting member gets their own code by email", func(t *testing.T) {
		if n != 2 || len(mails) != 2 || mails[0].To != "ann@example.com" || mails[1].To != "gia@example.com" {
			t.Fatalf("%d recipients, mails %+v; want ann and gia", n, mails)
		}
		for _, m := range mails {
			if !strings.Contains(m.Body, "your code is "+m.Code) || !strings.HasPrefix(m.Code, "THANKS-") {
				t.Errorf("mail to %s: %q (code %s)", m.To, m.Body, m.Code)
			}
		}
	})
}
