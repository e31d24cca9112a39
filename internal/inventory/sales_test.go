package inventory_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/inventory"
)

func TestDailySales(t *testing.T) {
	f := newFixture(t)
	v := f.plain[0]
	taipei, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(taipei).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	at := func(daysAgo int, clock string) time.Time {
		c, _ := time.Parse("15:04", clock)
		return time.Date(y, m, d-daysAgo, c.Hour(), c.Minute(), 0, 0, taipei)
	}
	move := func(loc int64, kind string, delta int, when time.Time) {
		t.Helper()
		_, err := f.db.Exec(`INSERT INTO stock_levels (location_id, variant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, loc, v)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.db.Exec(`INSERT INTO stock_movements (location_id, variant_id, kind, on_hand_delta, actor_kind, at)
			VALUES ($1, $2, $3, $4, 'SYSTEM', $5)`, loc, v, kind, delta, when)
		if err != nil {
			t.Fatal(err)
		}
	}
	// Store A has had the variant since before the window; store B since two days ago.
	move(f.a, "RECEIPT", 20, at(9, "09:00"))
	move(f.a, "SALE", -4, at(6, "12:00")) // before the window
	move(f.a, "SALE", -2, at(3, "23:30")) // late evening in Taipei, still that day
	move(f.a, "SALE", -1, at(2, "00:30")) // just after midnight: the next day
	move(f.a, "SALE", -3, at(1, "12:00"))
	move(f.a, "SALE", -2, at(1, "18:00"))
	move(f.a, "ADJUSTMENT", -1, at(1, "19:00")) // not a sale
	move(f.a, "SALE", -7, at(0, "08:00"))       // today: not complete, left out
	move(f.b, "RECEIPT", 5, at(2, "10:00"))
	move(f.b, "SALE", -1, at(1, "10:00"))

	staff := staffCtx(0, actor.Buyer)
	got, err := f.svc.DailySales(staff, []int64{v}, today.AddDate(0, 0, -4), today)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		loc   int64
		since time.Time
		units []int
	}{
		{"stocked before the window: every day of it", f.a, today.AddDate(0, 0, -4), []int{0, 2, 1, 5}},
		{"stocked during the window: from its first movement", f.b, today.AddDate(0, 0, -2), []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := got[inventory.LevelKey{LocationID: tt.loc, VariantID: v}]
			if !ok {
				t.Fatal("no history")
			}
			if !h.Since.Equal(tt.since) || !slices.Equal(h.Units, tt.units) {
				t.Errorf("since %s units %v; want %s %v", h.Since.Format(time.DateOnly), h.Units, tt.since.Format(time.DateOnly), tt.units)
			}
		})
	}
	if _, ok := got[inventory.LevelKey{LocationID: f.w, VariantID: v}]; ok || len(got) != 2 {
		t.Errorf("histories for %d levels, want the 2 stocked ones", len(got))
	}
	t.Run("an empty range is refused", func(t *testing.T) {
		if _, err := f.svc.DailySales(staff, []int64{v}, today, today); apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Errorf("err %v, want Invalid", err)
		}
	})
	t.Run("staff only", func(t *testing.T) {
		if _, err := f.svc.DailySales(context.Background(), []int64{v}, today.AddDate(0, 0, -4), today); apperr.CodeOf(err) != apperr.CodeUnauthenticated {
			t.Errorf("err %v, want Unauthenticated", err)
		}
	})
}
