package customer_test

import (
	"slices"
	"testing"
)

// view records that customer c looked at the product at offset n (by id) of the demo
// catalogue, and returns the view's id.
func (f *fixture) view(t *testing.T, c int64, n int) int64 {
	t.Helper()
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO product_views (customer_id, product_id, channel)
		VALUES ($1, (SELECT id FROM products ORDER BY id OFFSET $2 LIMIT 1), 'WEB') RETURNING id`, c, n))
	return id
}

// feedback rates order o of customer c with a comment, and returns the feedback's id.
func (f *fixture) feedback(t *testing.T, c, o int64, comment string) int64 {
	t.Helper()
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO order_feedback (order_id, customer_id, location_id, rating, comment)
		VALUES ($1, $2, (SELECT min(id) FROM locations), 2, $3) RETURNING id`, o, c, comment))
	return id
}

func (f *fixture) ids(t *testing.T, query string, args ...any) []int64 {
	t.Helper()
	var out []int64
	must(t, f.db.Select(&out, query, args...))
	slices.Sort(out)
	return out
}

func TestEraseRemovesViewsChallengesAndComments(t *testing.T) {
	f := newFixture(t)
	manager := f.staff["MANAGER"]
	mei := f.customer(t, "mei.lin@example.com")
	o := f.paidOrder(t, mei, 90000)
	fb := f.feedback(t, mei, o, "Mei Lin here, call me on 0912 345 678")
	f.view(t, mei, 0)
	f.view(t, mei, 1)
	_, err := f.db.Exec(`INSERT INTO customer_link_challenges (id, customer_id, via, destination, email, rate_key, code_hash, expires_at)
		VALUES (md5('x'), $1, 'EMAIL', 'mei.lin@example.com', 'mei.online@example.com', 'EMAIL:mei.lin@example.com', '\x00', now() + interval '10 minutes')`, mei)
	must(t, err)

	must(t, f.members.Erase(manager, mei, "request #31 by email"))
	var left struct {
		Views      int    `db:"views"`
		Challenges int    `db:"challenges"`
		Comment    string `db:"comment"`
		Rating     int    `db:"rating"`
	}
	must(t, f.db.Get(&left, `SELECT (SELECT count(*) FROM product_views WHERE customer_id = $1) AS views,
		(SELECT count(*) FROM customer_link_challenges WHERE customer_id = $1) AS challenges,
		(SELECT comment FROM order_feedback WHERE id = $2) AS comment, (SELECT rating FROM order_feedback WHERE id = $2) AS rating`, mei, fb))
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"product views deleted", left.Views == 0},
		{"link codes deleted", left.Challenges == 0},
		{"feedback comment blanked", left.Comment == ""},
		{"feedback rating kept for the store's figures", left.Rating == 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("after erasure: %+v", left)
			}
		})
	}
}

func TestMergeMovesViewsAndFeedbackAndUnmergeMovesThemBack(t *testing.T) {
	f := newFixture(t)
	manager := f.staff["MANAGER"]
	mei := f.customer(t, "mei.lin@example.com")
	var dup int64
	must(t, f.db.Get(&dup, `INSERT INTO customers (name, email) VALUES ('Mei L.', 'mei.dup@example.com') RETURNING id`))
	o := f.paidOrder(t, dup, 50000)
	fb := f.feedback(t, dup, o, "late")
	shared := f.view(t, dup, 0) // mei viewed this product too: it stays with the duplicate
	own := f.view(t, dup, 1)
	meiView := f.view(t, mei, 0)

	ev, err := f.members.Merge(manager, mei, dup, "same person, confirmed at the till")
	must(t, err)
	t.Run("merge moves feedback and views the survivor had not", func(t *testing.T) {
		if !slices.Equal(ev.Moved.OrderFeedback, []int64{fb}) || !slices.Equal(ev.Moved.ProductViews, []int64{own}) {
			t.Fatalf("moved feedback %v, views %v; want [%d], [%d]", ev.Moved.OrderFeedback, ev.Moved.ProductViews, fb, own)
		}
		if got := f.ids(t, `SELECT id FROM product_views WHERE customer_id = $1`, mei); !slices.Equal(got, []int64{own, meiView}) {
			t.Errorf("survivor's views %v", got)
		}
		if got := f.ids(t, `SELECT id FROM order_feedback WHERE customer_id = $1`, mei); !slices.Equal(got, []int64{fb}) {
			t.Errorf("survivor's feedback %v", got)
		}
		merges, err := f.members.Merges(manager, mei)
		must(t, err)
		if len(merges) != 1 || !slices.Equal(merges[0].Moved.ProductViews, []int64{own}) {
			t.Errorf("recorded merge %+v", merges)
		}
	})
	_, err = f.members.Unmerge(manager, ev.ID, "different people after all")
	must(t, err)
	t.Run("unmerge moves them back", func(t *testing.T) {
		if got := f.ids(t, `SELECT id FROM product_views WHERE customer_id = $1`, dup); !slices.Equal(got, []int64{shared, own}) {
			t.Errorf("duplicate's views %v; want [%d %d]", got, shared, own)
		}
		if got := f.ids(t, `SELECT id FROM product_views WHERE customer_id = $1`, mei); !slices.Equal(got, []int64{meiView}) {
			t.Errorf("survivor's views %v; want [%d]", got, meiView)
		}
		if got := f.ids(t, `SELECT id FROM order_feedback WHERE customer_id = $1`, dup); !slices.Equal(got, []int64{fb}) {
			t.Errorf("duplicate's feedback %v", got)
		}
	})
}
