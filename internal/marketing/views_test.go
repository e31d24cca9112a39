package marketing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/marketing"
)

func (w *world) as(who string) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: w.cust[who], Name: who})
}

func handles(vs []marketing.ProductView) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Handle)
	}
	return out
}

func TestProductViews(t *testing.T) {
	w := newWorld(t)
	svc, err := marketing.NewService(w.db, marketing.Config{UnsubscribeSecret: []byte("0123456789abcdef0123456789abcdef-test"),
		UnsubscribeURL: "https://shop.example.com/unsubscribe", MaxViewsPerShopper: 2, Now: func() time.Time { return w.now }})
	must(t, err)
	tick := func() { w.now = w.now.Add(time.Minute) }
	anon := context.Background()
	const session = "sess_0123456789abcdef"
	view := func(ctx context.Context, product string, variant bool, channel string) {
		t.Helper()
		in := marketing.ViewInput{SessionID: session, ProductID: w.prod[product], Channel: channel}
		if variant {
			v := w.vari[product]
			in.VariantID = &v
		}
		must(t, svc.TrackProductView(ctx, in))
		tick()
	}

	view(w.as("ann"), "shirt", false, "WEB")
	view(w.as("ann"), "jacket", true, "APP")
	view(w.as("ann"), "shirt", true, "WEB")
	got, err := svc.RecentViews(w.mgr, w.cust["ann"], 10)
	must(t, err)
	if !slices.Equal(handles(got), []string{"shirt", "jacket"}) || got[0].Views != 2 || got[0].SKU == nil || *got[0].SKU != "SHIRT-1" {
		t.Fatalf("ann's views %+v", got)
	}
	// Bounded: a third product pushes out the oldest.
	view(w.as("ann"), "sneaker", false, "WEB")
	got, err = svc.RecentViews(w.as("ann"), w.cust["ann"], 10)
	must(t, err)
	if !slices.Equal(handles(got), []string{"sneaker", "shirt"}) {
		t.Fatalf("ann's views after a third product %v", handles(got))
	}

	// Anonymous views are kept under the session and joined to the customer at sign-in.
	view(anon, "jacket", false, "WEB")
	view(anon, "shirt", false, "WEB")
	if got, _ := svc.RecentViews(w.mgr, w.cust["gia"], 10); len(got) != 0 {
		t.Fatalf("gia has views before signing in: %v", handles(got))
	}
	moved, err := svc.MergeSessionViews(w.as("gia"), session, w.cust["gia"])
	must(t, err)
	got, err = svc.RecentViews(w.mgr, w.cust["gia"], 10)
	must(t, err)
	if moved != 2 || !slices.Equal(handles(got), []string{"shirt", "jacket"}) {
		t.Fatalf("moved %d, gia's views %v", moved, handles(got))
	}
	var left int
	must(t, w.db.Get(&left, `SELECT count(*) FROM product_views WHERE session_id = $1`, session))
	if left != 0 {
		t.Fatalf("%d views left on the session", left)
	}

	// A merged customer's views show on the survivor (fay was merged into ann).
	must(t, exec(w.db, `INSERT INTO product_views (customer_id, product_id, channel, last_viewed_at) VALUES ($1, $2, 'APP', $3)`,
		w.cust["fay"], w.prod["jacket"], w.now))
	got, err = svc.RecentViews(w.mgr, w.cust["ann"], 1)
	must(t, err)
	if !slices.Equal(handles(got), []string{"jacket"}) {
		t.Fatalf("survivor's latest view %v", handles(got))
	}

	t.Run("stale sessions are pruned", func(t *testing.T) {
		const stale, fresh = "stale_0123456789abcdef", "fresh_0123456789abcdef"
		must(t, exec(w.db, `INSERT INTO product_views (session_id, product_id, channel, last_viewed_at) VALUES
			($1, $3, 'WEB', $4::timestamptz - interval '40 days'), ($1, $5, 'WEB', $4::timestamptz - interval '31 days'),
			($2, $3, 'WEB', $4::timestamptz - interval '40 days'), ($2, $5, 'WEB', $4::timestamptz - interval '1 day')`,
			stale, fresh, w.prod["shirt"], w.now, w.prod["jacket"]))
		n, err := svc.PruneSessionViews(context.Background(), 30*24*time.Hour)
		must(t, err)
		var left int
		must(t, w.db.Get(&left, `SELECT count(*) FROM product_views WHERE session_id IS NOT NULL`))
		if n != 2 || left != 2 {
			t.Fatalf("pruned %d, %d left: want the stale session's 2 gone and the fresh one kept whole", n, left)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		other := w.vari["sneaker"]
		tests := []struct {
			name string
			ctx  context.Context
			in   marketing.ViewInput
			code apperr.Code
		}{
			{"anonymous without session", anon, marketing.ViewInput{ProductID: w.prod["shirt"], Channel: "WEB"}, apperr.CodeInvalid},
			{"till channel", w.as("ann"), marketing.ViewInput{ProductID: w.prod["shirt"], Channel: "POS"}, apperr.CodeInvalid},
			{"variant of another product", w.as("ann"), marketing.ViewInput{ProductID: w.prod["shirt"], VariantID: &other, Channel: "WEB"}, apperr.CodeInvalid},
			{"unknown product", w.as("ann"), marketing.ViewInput{ProductID: 999999, Channel: "WEB"}, apperr.CodeInvalid},
			{"staff", w.mgr, marketing.ViewInput{ProductID: w.prod["shirt"], Channel: "WEB"}, apperr.CodeForbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := svc.TrackProductView(tt.ctx, tt.in); apperr.CodeOf(err) != tt.code {
					t.Fatalf("got %v, want %s", err, tt.code)
				}
			})
		}
		if _, err := svc.RecentViews(w.as("bob"), w.cust["ann"], 10); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("bob reading ann's views: %v", err)
		}
		if _, err := svc.MergeSessionViews(w.as("bob"), session, w.cust["ann"]); apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("bob taking a session into ann: %v", err)
		}
	})
}
