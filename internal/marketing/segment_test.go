package marketing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/marketing"
)

func ip(v int) *int          { return &v }
func i64(v int64) *int64     { return &v }
func bp(v bool) *bool        { return &v }
func ids(v ...int64) []int64 { return v }

func TestSegmentMembership(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		rules marketing.Rules
		want  []string
	}{
		{"bought in the last 30 days", marketing.Rules{{Kind: "RECENCY", MaxDays: ip(30)}}, []string{"ann", "gia"}},
		{"lapsed 60 days or more", marketing.Rules{{Kind: "RECENCY", MinDays: ip(60)}}, []string{"bob"}},
		{"last order 30 to 60 days ago", marketing.Rules{{Kind: "RECENCY", MinDays: ip(30), MaxDays: ip(60)}}, []string{"cat"}},
		{"two orders or more in a year", marketing.Rules{{Kind: "FREQUENCY", Days: 365, Min: i64(2)}}, []string{"bob"}},
		{"no paid order in a year", marketing.Rules{{Kind: "FREQUENCY", Days: 365, Max: i64(0)}}, []string{"dan", "eve"}},
		{"one order in 90 days", marketing.Rules{{Kind: "FREQUENCY", Days: 90, Min: i64(1), Max: i64(1)}}, []string{"ann", "cat", "gia"}},
		{"spent NT$1,000 in 30 days", marketing.Rules{{Kind: "MONETARY", Days: 30, Min: i64(100000)}}, []string{"ann"}},
		{"spent NT$600 to NT$1,500 in a year", marketing.Rules{{Kind: "MONETARY", Days: 365, Min: i64(60000), Max: i64(150000)}}, []string{"bob"}},
		{"spend in another currency", marketing.Rules{{Kind: "MONETARY", Days: 365, Min: i64(1), Currency: "usd"}}, nil},
		{"gold", marketing.Rules{{Kind: "TIER", Values: []string{"gold"}}}, []string{"ann"}},
		{"member tier includes no account", marketing.Rules{{Kind: "TIER", Values: []string{"MEMBER"}}}, []string{"bob", "cat", "dan", "eve", "gia"}},
		{"bought in store", marketing.Rules{{Kind: "CHANNEL", Values: []string{"POS"}}}, []string{"bob"}},
		{"bought online in 30 days", marketing.Rules{{Kind: "CHANNEL", Values: []string{"WEB", "APP"}, Days: 30}}, []string{"ann", "gia"}},
		{"bought in the app (unpaid only)", marketing.Rules{{Kind: "CHANNEL", Values: []string{"APP"}}}, nil},
		{"bought at store A", marketing.Rules{{Kind: "STORE", IDs: ids(w.store["A"])}}, []string{"bob"}},
		{"collected at store B", marketing.Rules{{Kind: "STORE", IDs: ids(w.store["B"])}}, []string{"cat"}},
		{"store A within 30 days", marketing.Rules{{Kind: "STORE", IDs: ids(w.store["A"]), Days: 30}}, nil},
		{"clothing with subcategories", marketing.Rules{{Kind: "CATEGORY", IDs: ids(w.cat["clothing"])}}, []string{"ann", "cat"}},
		{"shirts only", marketing.Rules{{Kind: "CATEGORY", IDs: ids(w.cat["shirts"])}}, []string{"ann"}},
		{"shoes", marketing.Rules{{Kind: "CATEGORY", IDs: ids(w.cat["shoes"])}}, []string{"bob", "gia"}},
		{"consents to email", marketing.Rules{{Kind: "CONSENT", Purpose: "MARKETING_EMAIL", Granted: bp(true)}}, []string{"ann", "gia"}},
		{"no email consent", marketing.Rules{{Kind: "CONSENT", Purpose: "MARKETING_EMAIL", Granted: bp(false)}}, []string{"bob", "cat", "dan", "eve"}},
		{"consents to SMS", marketing.Rules{{Kind: "CONSENT", Purpose: "marketing_sms", Granted: bp(true)}}, []string{"dan"}},
		{"all conditions hold", marketing.Rules{
			{Kind: "CATEGORY", IDs: ids(w.cat["shoes"])},
			{Kind: "CONSENT", Purpose: "MARKETING_EMAIL", Granted: bp(true)},
			{Kind: "RECENCY", MaxDays: ip(30)},
		}, []string{"gia"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sg, err := w.svc.CreateSegment(w.mgr, marketing.SegmentInput{Name: fmt.Sprintf("segment %d", i), Rules: tt.rules})
			must(t, err)
			members, err := w.svc.Members(w.mgr, sg.ID, marketing.Page{})
			must(t, err)
			var got []int64
			for _, m := range members {
				got = append(got, m.ID)
			}
			if names := w.names(got); !slices.Equal(names, tt.want) {
				t.Fatalf("members %v, want %v", names, tt.want)
			}
			n, err := w.svc.Count(w.mgr, sg.ID)
			must(t, err)
			if n != len(tt.want) {
				t.Fatalf("count %d, want %d", n, len(tt.want))
			}
		})
	}
}

func TestSegmentValidation(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		in    marketing.SegmentInput
		field string
		msg   string
	}{
		{"no name", marketing.SegmentInput{Rules: marketing.Rules{{Kind: "TIER", Values: []string{"GOLD"}}}}, "name", "give the segment a name"},
		{"no rules", marketing.SegmentInput{Name: "x"}, "rules", "add at least one condition"},
		{"unknown kind", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "AGE"}}}, "rules.0.kind", `"AGE" is not a kind of condition`},
		{"unknown tier", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "TIER", Values: []string{"PLATINUM"}}}}, "rules.0.values", `"PLATINUM" is not a tier`},
		{"min above max", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "FREQUENCY", Days: 30, Min: i64(5), Max: i64(2)}}}, "rules.0.max", "below the minimum"},
		{"no period", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "MONETARY", Min: i64(5)}}}, "rules.0.days", "give the period"},
		{"unknown store", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "STORE", IDs: ids(999999)}}}, "rules.0.ids", "no store with id 999999"},
		{"unknown channel", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "CHANNEL", Values: []string{"FAX"}}}}, "rules.0.values", `"FAX" is not a sales channel`},
		{"consent without answer", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "CONSENT", Purpose: "MARKETING_EMAIL"}}}, "rules.0.granted", "say whether"},
		{"injection is just a bad value", marketing.SegmentInput{Name: "x", Rules: marketing.Rules{{Kind: "TIER", Values: []string{"GOLD') OR true --"}}}}, "rules.0.values", "is not a tier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.CreateSegment(w.mgr, tt.in)
			errs, _ := apperr.Errors(err)
			for _, e := range errs {
				if strings.Join(e.Field, ".") == tt.field && strings.Contains(e.Message, tt.msg) {
					return
				}
			}
			t.Fatalf("got %v, want %s: %s", err, tt.field, tt.msg)
		})
	}
	t.Run("associates cannot", func(t *testing.T) {
		assoc := actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: 1, Roles: []actor.Role{actor.Associate}})
		_, err := w.svc.Segments(assoc)
		if apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("got %v, want forbidden", err)
		}
	})
}

func TestSegmentExportCSV(t *testing.T) {
	w := newWorld(t)
	must(t, exec(w.db, `UPDATE customers SET name = '=HYPERLINK("x")', phone = '+886912000001' WHERE id = $1`, w.cust["gia"]))
	sg, err := w.svc.CreateSegment(w.mgr, marketing.SegmentInput{Name: "email ok",
		Rules: marketing.Rules{{Kind: "CONSENT", Purpose: "MARKETING_EMAIL", Granted: bp(true)}}})
	must(t, err)
	var buf bytes.Buffer
	n, err := w.svc.ExportCSV(w.mgr, sg.ID, &buf)
	must(t, err)
	rows, err := csv.NewReader(&buf).ReadAll()
	must(t, err)
	if n != 2 || len(rows) != 3 {
		t.Fatalf("%d members, rows %v", n, rows)
	}
	if rows[0][0] != "member_number" || rows[1][1] != "ann" || rows[1][4] != "GOLD" || rows[1][6] != "true" {
		t.Fatalf("row %v", rows[1])
	}
	if rows[2][1] != `'=HYPERLINK("x")` || rows[2][3] != "+886912000001" {
		t.Fatalf("gia's row %v: formula not defused or phone altered", rows[2])
	}
	var audited int
	must(t, w.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'segment.exported'`))
	if audited != 1 {
		t.Fatalf("%d export audit entries", audited)
	}
}

func TestRuleString(t *testing.T) {
	tests := []struct {
		rule marketing.Rule
		want string
	}{
		{marketing.Rule{Kind: "RECENCY", MaxDays: ip(30)}, "last paid order within 30 days"},
		{marketing.Rule{Kind: "RECENCY", MinDays: ip(30), MaxDays: ip(60)}, "last paid order 30 to 60 days ago"},
		{marketing.Rule{Kind: "FREQUENCY", Days: 365, Min: i64(2)}, "paid orders: at least 2 in the last 365 days"},
		{marketing.Rule{Kind: "MONETARY", Days: 30, Min: i64(100), Max: i64(500), Currency: "TWD"}, "spend: 100 to 500 TWD minor units in the last 30 days"},
		{marketing.Rule{Kind: "TIER", Values: []string{"SILVER", "GOLD"}}, "tier SILVER or GOLD"},
		{marketing.Rule{Kind: "CONSENT", Purpose: "MARKETING_SMS", Granted: bp(false)}, "does not consent to MARKETING_SMS"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.rule.String(); got != tt.want {
				t.Fatalf("got %q", got)
			}
		})
	}
}
