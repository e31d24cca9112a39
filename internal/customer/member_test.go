package customer_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"atrium/internal/actor"
	"atrium/internal/apperr"
	"atrium/internal/customer"
	"atrium/internal/loyalty"
	"atrium/internal/postgres"
	"atrium/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var system = actor.SystemContext(context.Background())

type fixture struct {
	db      *sqlx.DB
	svc     *customer.Service
	members *customer.Members
	points  *loyalty.Service
	staff   map[string]context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := testdb.NewDemo(t)
	pts := loyalty.NewService(d)
	f := &fixture{db: d, svc: customer.NewService(d), members: customer.NewMembers(d, pts), points: pts, staff: map[string]context.Context{}}
	var staff []struct {
		ID    int64  `db:"id"`
		Login string `db:"login"`
		Role  string `db:"role"`
		Home  *int64 `db:"home_location_id"`
	}
	must(t, d.Select(&staff, `SELECT id, login, roles[1] AS role, home_location_id FROM staff`))
	for _, s := range staff {
		f.staff[s.Role] = actor.With(context.Background(), actor.Actor{Kind: actor.Staff, ID: s.ID, Roles: []actor.Role{actor.Role(s.Role)},
			HomeLocationID: s.Home, Name: s.Login})
	}
	for _, r := range []string{"ASSOCIATE", "MANAGER"} {
		if f.staff[r] == nil {
			t.Fatalf("no demo staff with role %s", r)
		}
	}
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func key() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *fixture) customer(t *testing.T, email string) int64 {
	t.Helper()
	var id int64
	must(t, f.db.Get(&id, `SELECT id FROM customers WHERE email = $1`, email))
	return id
}

// paidOrder crafts a paid TWD web order of customer with one line and a delivery address,
// and accrues its points.
func (f *fixture) paidOrder(t *testing.T, c, total int64) int64 {
	t.Helper()
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO orders (idempotency_key, request_hash, channel, customer_id, email, phone, placed_by_kind,
			currency, subtotal, total, paid, lines_signature)
		SELECT $1, repeat('a', 64), 'WEB', id, email, phone, 'SYSTEM', 'TWD', $3, $3, $3, '' FROM customers WHERE id = $2 RETURNING id`,
		key(), c, total))
	_, err := f.db.Exec(`INSERT INTO payments (order_id, idempotency_key, request_hash, method, amount, currency, actor_kind)
		VALUES ($1, $2, repeat('b', 64), 'CARD', $3, 'TWD', 'SYSTEM')`, id, key(), total)
	must(t, err)
	_, err = f.db.Exec(`INSERT INTO order_lines (order_id, line_no, variant_id, sku, title, quantity, unit_price, subtotal, total)
		SELECT $1, 0, id, sku, title, 1, $2, $2, $2 FROM variants ORDER BY id LIMIT 1`, id, total)
	must(t, err)
	var alloc int64
	must(t, f.db.Get(&alloc, `INSERT INTO order_allocations (order_id, method, rule, explanation, actor_kind)
		VALUES ($1, 'SHIP', 'SINGLE_LOCATION', '{}', 'SYSTEM') RETURNING id`, id))
	_, err = f.db.Exec(`INSERT INTO fulfilments (order_id, allocation_id, location_id, method, ship_address)
		VALUES ($1, $2, (SELECT min(id) FROM locations), 'SHIP',
			'{"name": "Mei Lin", "line1": "No. 7, Sec. 5, Xinyi Rd", "city": "Taipei", "postalCode": "110", "country": "TW", "phone": "+886912345678"}')`,
		id, alloc)
	must(t, err)
	must(t, postgres.InTx(system, f.db, func(tx *sqlx.Tx) error { _, err := f.points.AccrueForOrder(system, tx, id); return err }))
	return id
}

func reason(err error) string {
	if errs, ok := apperr.Errors(err); ok {
		return errs[0].ClientCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestIdentitiesAreUniqueAndNormalised(t *testing.T) {
	f := newFixture(t)
	assoc := f.staff["ASSOCIATE"]
	mei := f.customer(t, "mei.lin@example.com")
	david := f.customer(t, "david.wang@example.com")

	tests := []struct {
		name     string
		customer int64
		in       customer.IdentityInput
		want     string // stored value, or the error's client code
	}{
		{"local phone to E.164", mei, customer.IdentityInput{Kind: "PHONE", Value: "0911-222-333"}, "+886911222333"},
		{"same phone in another form, same customer", mei, customer.IdentityInput{Kind: "phone", Value: "+886 911 222 333"}, "+886911222333"},
		{"same phone for another customer", david, customer.IdentityInput{Kind: "PHONE", Value: "(0911) 222-333"}, "DUPLICATE"},
		{"another's contact phone", mei, customer.IdentityInput{Kind: "PHONE", Value: "0922-118-406"}, "DUPLICATE"},
		{"another's contact email, any case", mei, customer.IdentityInput{Kind: "EMAIL", Value: " David.Wang@Example.com "}, "DUPLICATE"},
		{"second email", mei, customer.IdentityInput{Kind: "EMAIL", Value: "Mei@Work.example.com"}, "mei@work.example.com"},
		{"LINE id", mei, customer.IdentityInput{Kind: "EXTERNAL", Provider: "line", Value: "U4af4980629"}, "U4af4980629"},
		{"same LINE id for another", david, customer.IdentityInput{Kind: "EXTERNAL", Provider: "LINE", Value: "U4af4980629"}, "DUPLICATE"},
		{"same id at another provider", david, customer.IdentityInput{Kind: "EXTERNAL", Provider: "SHOPEE", Value: "U4af4980629"}, "U4af4980629"},
		{"bad phone", mei, customer.IdentityInput{Kind: "PHONE", Value: "12345"}, "INVALID"},
		{"bad provider", mei, customer.IdentityInput{Kind: "EXTERNAL", Provider: "l", Value: "x"}, "INVALID"},
		{"unknown kind", mei, customer.IdentityInput{Kind: "FAX", Value: "x"}, "INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := f.svc.AddIdentity(assoc, tt.customer, tt.in)
			got := id.Value
			if err != nil {
				got = reason(err)
			}
			if got != tt.want {
				t.Fatalf("got %q; want %q", got, tt.want)
			}
		})
	}
	t.Run("a secondary email cannot become another's contact email", func(t *testing.T) {
		_, err := f.db.Exec(`UPDATE customers SET email = 'mei@work.example.com' WHERE id = $1`, david)
		if !postgres.IsUniqueViolation(err, "customer_identities_value_key") {
			t.Fatalf("err = %v; want identity uniqueness violation", err)
		}
	})
	t.Run("find by any local form", func(t *testing.T) {
		m, err := f.svc.FindByIdentity(assoc, customer.IdentityInput{Kind: "PHONE", Value: "0911 222 333"})
		if err != nil || m.ID != mei {
			t.Fatalf("found %d, %v; want %d", m.ID, err, mei)
		}
	})
	t.Run("customers cannot add identities themselves", func(t *testing.T) {
		ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: mei})
		_, err := f.svc.AddIdentity(ctx, mei, customer.IdentityInput{Kind: "PHONE", Value: "0933-000-111"})
		if apperr.CodeOf(err) != apperr.CodeForbidden {
			t.Fatalf("err = %v; want FORBIDDEN", err)
		}
	})
	t.Run("the contact phone is not removed as an identity", func(t *testing.T) {
		var id int64
		must(t, f.db.Get(&id, `SELECT id FROM customer_identities WHERE value = '+886912345678'`))
		if err := f.svc.RemoveIdentity(assoc, id); reason(err) != "CONTACT" {
			t.Fatalf("err = %v; want CONTACT", err)
		}
	})
}

func TestRegisterMemberInStore(t *testing.T) {
	f := newFixture(t)
	assoc := f.staff["ASSOCIATE"]
	consents := []customer.ConsentChoice{{Purpose: "MARKETING_SMS", Granted: true}, {Purpose: "MARKETING_EMAIL", Granted: false}}
	m, err := f.svc.RegisterMember(assoc, customer.RegisterMemberInput{Name: "  Lin   Ya-Chu ", Phone: "0955-123-456",
		Consents: consents, Statement: "tablet consent v3"})
	must(t, err)
	if !regexp.MustCompile(`^M[0-9]{8}$`).MatchString(m.MemberNumber) || m.Name != "Lin Ya-Chu" || m.Phone == nil ||
		*m.Phone != "+886955123456" || m.JoinedChannel != "POS" || m.JoinedLocationID == nil {
		t.Fatalf("member %+v", m)
	}
	got, err := f.svc.Consents(assoc, m.ID, false)
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("consents %+v; want 2", got)
	}
	for _, c := range got {
		if c.Channel != "POS" || c.LocationID == nil || *c.LocationID != *m.JoinedLocationID || c.RecordedAt.IsZero() ||
			c.Statement != "tablet consent v3" || c.Granted != (c.Purpose == "MARKETING_SMS") {
			t.Fatalf("consent %+v", c)
		}
	}

	tests := []struct {
		name  string
		ctx   context.Context
		in    customer.RegisterMemberInput
		want  string
		field string
	}{
		{"phone already a member", assoc, customer.RegisterMemberInput{Name: "X", Phone: "+886 955 123 456", Consents: consents}, "DUPLICATE", m.MemberNumber},
		{"email already a member", assoc, customer.RegisterMemberInput{Name: "X", Phone: "0955-999-888", Email: "MEI.LIN@example.com", Consents: consents}, "DUPLICATE", "M"},
		{"nothing entered", assoc, customer.RegisterMemberInput{}, "INVALID", "name"},
		{"bad phone", assoc, customer.RegisterMemberInput{Name: "X", Phone: "555", Consents: consents}, "INVALID", "phone"},
		{"no consent recorded", assoc, customer.RegisterMemberInput{Name: "X", Phone: "0955-999-777"}, "INVALID", "consent"},
		{"unknown purpose", assoc, customer.RegisterMemberInput{Name: "X", Phone: "0955-999-777",
			Consents: []customer.ConsentChoice{{Purpose: "SPAM"}}}, "INVALID", "SPAM"},
		{"not staff", actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: 1}),
			customer.RegisterMemberInput{Name: "X", Phone: "0955-999-777", Consents: consents}, "FORBIDDEN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.RegisterMember(tt.ctx, tt.in)
			if reason(err) != tt.want || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v; want %s mentioning %q", err, tt.want, tt.field)
			}
		})
	}
}

// snapshot is what a merge must preserve: every order and point, per customer.
type snapshot struct {
	Orders  map[int64][]int64
	Balance map[int64]int64
	Total   int64
}

func (f *fixture) snapshot(t *testing.T, ids ...int64) snapshot {
	t.Helper()
	s := snapshot{Orders: map[int64][]int64{}, Balance: map[int64]int64{}}
	for _, id := range ids {
		var orders []int64
		must(t, f.db.Select(&orders, `SELECT id FROM orders WHERE customer_id = $1 ORDER BY id`, id))
		s.Orders[id] = orders
		sum, err := loyalty.SummaryOf(system, f.db, id)
		must(t, err)
		s.Balance[id] = sum.Balance
		var entries int64
		must(t, f.db.Get(&entries, `SELECT coalesce(sum(points), 0) FROM loyalty_entries WHERE customer_id = $1`, id))
		if entries != sum.Balance {
			t.Fatalf("customer %d: balance %d but entries sum to %d", id, sum.Balance, entries)
		}
	}
	must(t, f.db.Get(&s.Total, `SELECT coalesce(sum(points), 0) FROM loyalty_entries`))
	return s
}

func TestMergeAndUnmergePreserveEveryOrderAndPoint(t *testing.T) {
	f := newFixture(t)
	assoc, manager := f.staff["ASSOCIATE"], f.staff["MANAGER"]
	// A store member (phone only) who later registered online with an email.
	store, err := f.svc.RegisterMember(assoc, customer.RegisterMemberInput{Name: "Lin Ya-Chu", Phone: "0955-123-456",
		Consents: []customer.ConsentChoice{{Purpose: "MARKETING_SMS", Granted: true}}})
	must(t, err)
	var online int64
	must(t, f.db.Get(&online, `INSERT INTO customers (email, name, password_hash) VALUES ('yachu@example.com', 'Ya-Chu Lin', 'x') RETURNING id`))
	_, err = f.svc.AddIdentity(assoc, online, customer.IdentityInput{Kind: "EXTERNAL", Provider: "LINE", Value: "Uyachu"})
	must(t, err)
	f.paidOrder(t, store.ID, 1200000) // 120 points
	f.paidOrder(t, store.ID, 300000)  // 30
	f.paidOrder(t, online, 500000)    // 50
	_, err = f.db.Exec(`INSERT INTO store_credit_accounts (customer_id, currency, balance) VALUES ($1, 'TWD', 5000)`, online)
	must(t, err)
	_, err = f.db.Exec(`INSERT INTO store_credit_entries (customer_id, kind, amount, balance_after, currency, actor_kind)
		VALUES ($1, 'ISSUE', 5000, 5000, 'TWD', 'SYSTEM')`, online)
	must(t, err)
	before := f.snapshot(t, store.ID, online)

	p, err := f.members.MergePreview(assoc, store.ID, online)
	must(t, err)
	if len(p.Moves.Orders) != 1 || p.Moves.Points != 50 || len(p.Moves.Identities) != 2 || len(p.Moves.StoreCreditEntries) != 1 ||
		p.Moves.StoreCredit != 5000 || p.Blocked() {
		t.Fatalf("preview %+v", p)
	}
	if _, err := f.members.Merge(assoc, store.ID, online, "same person"); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("associate merge: %v; want FORBIDDEN", err)
	}
	if _, err := f.members.Merge(manager, store.ID, online, " "); apperr.CodeOf(err) != apperr.CodeInvalid {
		t.Fatalf("merge without reason: %v; want INVALID", err)
	}
	ev, err := f.members.Merge(manager, store.ID, online, "same phone confirmed at the till")
	must(t, err)
	after := f.snapshot(t, store.ID, online)
	if len(after.Orders[store.ID]) != 3 || len(after.Orders[online]) != 0 || after.Balance[store.ID] != 200 || after.Balance[online] != 0 ||
		after.Total != before.Total {
		t.Fatalf("after merge %+v (before %+v)", after, before)
	}
	sur, err := f.svc.Member(manager, store.ID)
	must(t, err)
	if sur.Email == nil || *sur.Email != "yachu@example.com" || !sur.HasPassword {
		t.Fatalf("survivor %+v; want the online email and password taken over", sur)
	}
	for _, in := range []customer.IdentityInput{{Kind: "EMAIL", Value: "yachu@example.com"}, {Kind: "EXTERNAL", Provider: "LINE", Value: "Uyachu"}} {
		if m, err := f.svc.FindByIdentity(assoc, in); err != nil || m.ID != store.ID {
			t.Fatalf("%v belongs to %d, %v; want the survivor %d", in, m.ID, err, store.ID)
		}
	}
	var credit int64
	must(t, f.db.Get(&credit, `SELECT balance FROM store_credit_accounts WHERE customer_id = $1`, store.ID))
	if credit != 5000 {
		t.Fatalf("survivor store credit %d; want 5000", credit)
	}
	if _, err := f.members.Merge(manager, store.ID, online, "again"); reason(err) != "MERGE_BLOCKED" {
		t.Fatalf("second merge: %v; want MERGE_BLOCKED", err)
	}
	var audited int
	must(t, f.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'customer.merged' AND entity_id = $1`, store.ID))
	if audited != 1 || ev.ActorName == "" || len(ev.Moved.LoyaltyEntries) != 1 {
		t.Fatalf("merge event %+v, %d audit records", ev, audited)
	}
	// Points of the survivor's own on a new order (at Silver now: the merged spend counts)
	// do not stand in the way.
	newOrder := f.paidOrder(t, store.ID, 100000)
	var earned int64
	must(t, f.db.Get(&earned, `SELECT points FROM loyalty_entries WHERE order_id = $1 AND kind = 'EARN'`, newOrder))
	if earned != 12 {
		t.Fatalf("earned %d on NT$1,000 after the merge; want 12 (Silver)", earned)
	}

	_, err = f.members.Unmerge(manager, ev.ID, "different people after all")
	must(t, err)
	undone := f.snapshot(t, store.ID, online)
	if !equal(undone.Orders[online], before.Orders[online]) || undone.Balance[online] != before.Balance[online] ||
		undone.Balance[store.ID] != before.Balance[store.ID]+earned || len(undone.Orders[store.ID]) != len(before.Orders[store.ID])+1 {
		t.Fatalf("after unmerge %+v; before %+v", undone, before)
	}
	back, err := f.svc.Member(manager, online)
	must(t, err)
	sur, _ = f.svc.Member(manager, store.ID)
	if back.MergedIntoID != nil || back.Email == nil || *back.Email != "yachu@example.com" || !back.HasPassword || sur.Email != nil || sur.HasPassword {
		t.Fatalf("restored %+v, survivor %+v", back, sur)
	}
	if m, err := f.svc.FindByIdentity(assoc, customer.IdentityInput{Kind: "EXTERNAL", Provider: "LINE", Value: "Uyachu"}); err != nil || m.ID != online {
		t.Fatalf("LINE id belongs to %d, %v; want %d", m.ID, err, online)
	}
	must(t, f.db.Get(&credit, `SELECT balance FROM store_credit_accounts WHERE customer_id = $1`, online))
	if credit != 5000 {
		t.Fatalf("store credit back %d; want 5000", credit)
	}
	if _, err := f.members.Unmerge(manager, ev.ID, "again"); reason(err) != "ALREADY_UNMERGED" {
		t.Fatalf("second unmerge: %v", err)
	}

	t.Run("not undone once the merged points are spent", func(t *testing.T) {
		ev, err := f.members.Merge(manager, store.ID, online, "same person, confirmed by ID")
		must(t, err)
		_, err = f.db.Exec(`UPDATE loyalty_programme SET min_redeem_points = 1, max_redeem_share_bp = 10000`)
		must(t, err)
		// The survivor spends all it has: FIFO takes the merged lot too.
		o := f.paidOrder(t, store.ID, 100000) // +10, before spending
		var bal int64
		must(t, f.db.Get(&bal, `SELECT balance FROM loyalty_accounts WHERE customer_id = $1`, store.ID))
		var unpaid int64
		must(t, f.db.Get(&unpaid, `INSERT INTO orders (idempotency_key, request_hash, channel, customer_id, placed_by_kind, currency,
			subtotal, total, lines_signature) VALUES ($1, repeat('a', 64), 'WEB', $2, 'SYSTEM', 'TWD', 10000000, 10000000, '') RETURNING id`, key(), store.ID))
		must(t, postgres.InTx(system, f.db, func(tx *sqlx.Tx) error {
			_, err := f.points.RedeemForPayment(system, tx, store.ID, unpaid, bal)
			return err
		}))
		_ = o
		before := f.snapshot(t, store.ID, online)
		if _, err := f.members.Unmerge(manager, ev.ID, "mistake"); reason(err) != "BUILT_ON_TOP" {
			t.Fatalf("unmerge after spending: %v; want BUILT_ON_TOP", err)
		}
		if after := f.snapshot(t, store.ID, online); after.Balance[store.ID] != before.Balance[store.ID] || after.Total != before.Total {
			t.Fatalf("a refused unmerge changed points: %+v -> %+v", before, after)
		}
	})
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEraseKeepsOrdersAndTotals(t *testing.T) {
	f := newFixture(t)
	manager, assoc := f.staff["MANAGER"], f.staff["ASSOCIATE"]
	mei := f.customer(t, "mei.lin@example.com")
	f.paidOrder(t, mei, 250000)
	f.paidOrder(t, mei, 120000)
	_, err := f.svc.RecordConsent(manager, mei, customer.ConsentInput{Purpose: "MARKETING_EMAIL", Granted: true, Channel: "BACK_OFFICE"})
	must(t, err)
	type totals struct {
		Orders int   `db:"orders"`
		Total  int64 `db:"total"`
		Paid   int64 `db:"paid"`
		Lines  int64 `db:"lines"`
		Points int64 `db:"points"`
	}
	read := func() totals {
		var x totals
		must(t, f.db.Get(&x, `SELECT count(*) AS orders, coalesce(sum(total), 0) AS total, coalesce(sum(paid), 0) AS paid,
			(SELECT coalesce(sum(l.total), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.customer_id = $1) AS lines,
			(SELECT coalesce(sum(points), 0) FROM loyalty_entries WHERE customer_id = $1) AS points
			FROM orders WHERE customer_id = $1`, mei))
		return x
	}
	before := read()

	data, err := f.members.ExportJSON(manager, mei)
	must(t, err)
	var exp customer.DataExport
	must(t, json.Unmarshal(data, &exp))
	if exp.Profile.Email == nil || len(exp.Orders) != before.Orders || len(exp.Identities) != 2 || exp.Points.Balance != before.Points ||
		len(exp.Orders[0].Lines) != 1 || len(exp.Orders[0].Addresses) != 1 || len(exp.Consents) == 0 {
		t.Fatalf("export %s", data)
	}
	if _, err := f.members.Export(assoc, mei); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("associate export: %v; want FORBIDDEN", err)
	}
	self := actor.With(context.Background(), actor.Actor{Kind: actor.Customer, ID: mei})
	if _, err := f.members.Export(self, mei); err != nil {
		t.Fatalf("own export: %v", err)
	}

	if err := f.members.Erase(assoc, mei, "request #12"); apperr.CodeOf(err) != apperr.CodeForbidden {
		t.Fatalf("associate erase: %v; want FORBIDDEN", err)
	}
	must(t, f.members.Erase(manager, mei, "request #12 by letter"))
	if after := read(); after != before {
		t.Fatalf("totals after erasure %+v; before %+v", after, before)
	}
	var leftovers struct {
		Personal   int `db:"personal"`
		Identities int `db:"identities"`
		Addresses  int `db:"addresses"`
		Emails     int `db:"emails"`
	}
	must(t, f.db.Get(&leftovers, `SELECT
		(SELECT count(*) FROM customers WHERE id = $1 AND (name <> '' OR email IS NOT NULL OR phone IS NOT NULL OR password_hash IS NOT NULL)) AS personal,
		(SELECT count(*) FROM customer_identities WHERE customer_id = $1) AS identities,
		(SELECT count(*) FROM fulfilments f JOIN orders o ON o.id = f.order_id WHERE o.customer_id = $1
			AND (f.ship_address->>'name' <> '' OR f.ship_address->>'line1' <> '' OR f.ship_address ? 'phone')) AS addresses,
		(SELECT count(*) FROM orders WHERE customer_id = $1 AND (email <> $2 OR phone IS NOT NULL)) AS emails`,
		mei, customer.ErasedEmail(mei)))
	if leftovers.Personal+leftovers.Identities+leftovers.Addresses+leftovers.Emails != 0 {
		t.Fatalf("personal data left after erasure: %+v", leftovers)
	}
	cs, err := f.svc.Consents(manager, mei, false)
	must(t, err)
	for _, c := range cs {
		if c.Purpose == "MARKETING_EMAIL" && (c.Granted || c.Channel != "BACK_OFFICE") {
			t.Fatalf("marketing consent after erasure %+v; want withdrawn", c)
		}
	}
	if err := f.members.Erase(manager, mei, "again"); reason(err) != "ERASED" {
		t.Fatalf("second erasure: %v; want ERASED", err)
	}
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	assoc := f.staff["ASSOCIATE"]
	mei := f.customer(t, "mei.lin@example.com")
	var number string
	must(t, f.db.Get(&number, `SELECT member_number FROM customers WHERE id = $1`, mei))
	_, err := f.svc.AddIdentity(assoc, mei, customer.IdentityInput{Kind: "EMAIL", Value: "mei@work.example.com"})
	must(t, err)
	var digits int64
	fmt.Sscan(strings.TrimLeft(number, "M0"), &digits)
	var eighteenth int64 // leading zeros and an 8: read in base 10, not as octal
	must(t, f.db.Get(&eighteenth, `SELECT id FROM customers WHERE member_number = 'M00000018'`))
	tests := []struct {
		name, query string
		want        []int64
		code        string
	}{
		{"member number", number, []int64{mei}, ""},
		{"member number without zeros", fmt.Sprint(digits), []int64{mei}, ""},
		{"member number with zeros and an 8", "M00000018", []int64{eighteenth}, ""},
		{"local phone", "0912-345-678", []int64{mei}, ""},
		{"second email, any case", "MEI@work.example.com", []int64{mei}, ""},
		{"part of the name", "ei li", []int64{mei}, ""},
		{"nobody", "zzzz", nil, ""},
		{"empty", " ", nil, "INVALID"},
		{"one letter", "x", nil, "INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.svc.Search(assoc, tt.query, 10, 0)
			if reason(err) != tt.code {
				t.Fatalf("err = %v; want %q", err, tt.code)
			}
			var got []int64
			for _, m := range p.Members {
				got = append(got, m.ID)
			}
			if !equal(got, tt.want) {
				t.Fatalf("found %v; want %v", got, tt.want)
			}
		})
	}
	t.Run("pages", func(t *testing.T) {
		var seen []int64
		var after int64
		for {
			p, err := f.svc.Search(assoc, "an", 2, after)
			must(t, err)
			for _, m := range p.Members {
				seen = append(seen, m.ID)
			}
			if !p.HasNext {
				break
			}
			after = p.Members[len(p.Members)-1].ID
		}
		var want []int64
		must(t, f.db.Select(&want, `SELECT id FROM customers WHERE name ILIKE '%an%' ORDER BY id`))
		if len(want) < 3 || !equal(seen, want) {
			t.Fatalf("paged %v; want %v", seen, want)
		}
	})
}

func TestMergeConflictsAndUnmergeLimits(t *testing.T) {
	f := newFixture(t)
	manager := f.staff["MANAGER"]
	sophia := f.customer(t, "sophia.chen@example.com")
	yuki := f.customer(t, "yuki.tanaka@example.com")
	order := f.paidOrder(t, yuki, 400000)

	t.Run("preview names what is kept and what blocks", func(t *testing.T) {
		_, err := f.db.Exec(`UPDATE loyalty_accounts SET balance = balance - 100 WHERE customer_id = $1`, yuki)
		must(t, err)
		p, err := f.members.MergePreview(manager, sophia, yuki)
		must(t, err)
		codes := map[string]bool{}
		for _, c := range p.Conflicts {
			codes[c.Code] = c.Blocking
		}
		if blocking, ok := codes["NEGATIVE_POINTS"]; !ok || !blocking || !p.Blocked() {
			t.Fatalf("conflicts %+v; want a blocking NEGATIVE_POINTS", p.Conflicts)
		}
		if blocking, ok := codes["EMAIL_KEPT"]; !ok || blocking {
			t.Fatalf("conflicts %+v; want a non-blocking EMAIL_KEPT", p.Conflicts)
		}
		if _, err := f.members.Merge(manager, sophia, yuki, "same person"); reason(err) != "MERGE_BLOCKED" {
			t.Fatalf("merge: %v; want MERGE_BLOCKED", err)
		}
		_, err = f.db.Exec(`UPDATE loyalty_accounts SET balance = balance + 100 WHERE customer_id = $1`, yuki)
		must(t, err)
	})
	t.Run("a refund on a moved order since the merge blocks the unmerge", func(t *testing.T) {
		ev, err := f.members.Merge(manager, sophia, yuki, "same person")
		must(t, err)
		var pay int64
		must(t, f.db.Get(&pay, `SELECT id FROM payments WHERE order_id = $1`, order))
		_, err = f.db.Exec(`INSERT INTO refunds (order_id, idempotency_key, request_hash, part, payment_id, method, amount, currency, actor_kind)
			VALUES ($1, $2, repeat('d', 64), 1, $3, 'CARD', 1000, 'TWD', 'SYSTEM')`, order, key(), pay)
		must(t, err)
		if _, err := f.members.Unmerge(manager, ev.ID, "mistake"); reason(err) != "BUILT_ON_TOP" {
			t.Fatalf("unmerge: %v; want BUILT_ON_TOP", err)
		}
		var owner int64
		must(t, f.db.Get(&owner, `SELECT customer_id FROM orders WHERE id = $1`, order))
		if owner != sophia {
			t.Fatalf("order belongs to %d after a refused unmerge; want the survivor %d", owner, sophia)
		}
	})
}
