package graph

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"atrium/internal/testdb"
)

// memberResult is a customer as the member tests select it.
type memberResult struct {
	ID             string
	Name           *string
	Email          *string
	Phone          *string
	MemberNumber   string
	JoinedChannel  string
	JoinedLocation *struct{ Code string }
	MergedInto     *struct{ ID string }
	Erased         bool
	Identities     []struct {
		Kind  string
		Value string
	}
	Consents []struct {
		Purpose  string
		Granted  bool
		Channel  string
		Location *struct{ Code string }
	}
	Points struct {
		Balance int64
	}
	LifetimeValue []money
	Orders        struct {
		Edges []struct{ Node struct{ ID string } }
	}
}

const memberFields = `id name email phone memberNumber joinedChannel joinedLocation { code } mergedInto { id } erased
	identities { kind value } consents { purpose granted channel location { code } } points { balance }
	lifetimeValue { amount currency } orders(first: 100) { edges { node { id } } }`

type customerResult struct {
	Customer   *memberResult
	UserErrors []userError
}

// registerMember signs a member up at the store through the API.
func (a *api) registerMember(token string, input map[string]any) customerResult {
	a.t.Helper()
	var out struct{ RegisterMember customerResult }
	a.query(token, `mutation($in: RegisterMemberInput!) { registerMember(input: $in) { customer { `+memberFields+` }
		userErrors { field message code } } }`, map[string]any{"in": input}, &out)
	return out.RegisterMember
}

// mustRegister registers a member who must be accepted.
func (a *api) mustRegister(token, name, phone string) memberResult {
	a.t.Helper()
	res := a.registerMember(token, map[string]any{"name": name, "phone": phone,
		"consents": []map[string]any{{"purpose": "TERMS", "granted": true}}})
	if res.Customer == nil {
		a.t.Fatalf("register %s: %+v", name, res.UserErrors)
	}
	return *res.Customer
}

// customer reads one customer as staff.
func (a *api) customer(token, id string) *memberResult {
	a.t.Helper()
	var out struct{ Customer *memberResult }
	a.query(token, `query($id: ID!) { customer(id: $id) { `+memberFields+` } }`, map[string]any{"id": id}, &out)
	return out.Customer
}

// search runs the staff customer search.
func (a *api) search(token, q string, first int, after string) (ids []string, hasNext bool, end string) {
	a.t.Helper()
	var out struct {
		Customers struct {
			Edges    []struct{ Node struct{ ID string } }
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	vars := map[string]any{"q": q, "first": first}
	if after != "" {
		vars["after"] = after
	}
	a.query(token, `query($q: String!, $first: Int, $after: String) { customers(search: $q, first: $first, after: $after) {
		edges { node { id } } pageInfo { hasNextPage endCursor } } }`, vars, &out)
	for _, e := range out.Customers.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids, out.Customers.PageInfo.HasNextPage, deref(out.Customers.PageInfo.EndCursor)
}

// TestRegisterMemberAndSearch: an associate signs a shopper up at the store with consents,
// finds them again by phone in local format, member number and name, and is told clearly
// about a phone that is already a member's.
func TestRegisterMemberAndSearch(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	associate := a.token("associate")

	res := a.registerMember(associate, map[string]any{"name": "  Zhuo   Qiao-en ", "phone": "0912-555-001",
		"email": "QiaoEn.Zhuo@Example.com", "statement": "terms v3",
		"consents": []map[string]any{{"purpose": "TERMS", "granted": true}, {"purpose": "MARKETING_EMAIL", "granted": false}}})
	m := res.Customer
	if m == nil || len(res.UserErrors) != 0 {
		t.Fatalf("register: %+v", res)
	}
	if deref(m.Name) != "Zhuo Qiao-en" || deref(m.Phone) != "+886912555001" || deref(m.Email) != "qiaoen.zhuo@example.com" ||
		!regexp.MustCompile(`^M\d{8,}$`).MatchString(m.MemberNumber) || m.JoinedChannel != "POS" ||
		m.JoinedLocation == nil || m.JoinedLocation.Code != "TPE-01" || m.Erased || m.MergedInto != nil {
		t.Errorf("member: %+v", m)
	}
	if len(m.Consents) != 2 || m.Consents[0].Channel != "POS" || m.Consents[0].Location == nil ||
		m.Consents[0].Location.Code != "TPE-01" {
		t.Errorf("consents: %+v, want both recorded at the store", m.Consents)
	}
	for _, c := range m.Consents {
		if (c.Purpose == "TERMS") != c.Granted {
			t.Errorf("consent %+v, want TERMS given and MARKETING_EMAIL refused", c)
		}
	}
	if len(m.Identities) != 2 || m.Points.Balance != 0 || len(m.LifetimeValue) != 0 {
		t.Errorf("new member: identities %+v, points %d, value %+v", m.Identities, m.Points.Balance, m.LifetimeValue)
	}

	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			input map[string]any
			field string
			code  string
		}{
			{"known phone", map[string]any{"name": "Someone", "phone": "+886 912 555 001",
				"consents": []map[string]any{{"purpose": "TERMS", "granted": true}}}, "input.phone", "DUPLICATE"},
			{"bad phone", map[string]any{"name": "Someone", "phone": "12ab",
				"consents": []map[string]any{{"purpose": "TERMS", "granted": true}}}, "input.phone", "INVALID"},
			{"no consent", map[string]any{"name": "Someone", "phone": "0912-555-002", "consents": []map[string]any{}},
				"input.consents", "INVALID"},
			{"no name", map[string]any{"name": " ", "phone": "0912-555-003",
				"consents": []map[string]any{{"purpose": "TERMS", "granted": true}}}, "input.name", "INVALID"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := a.registerMember(associate, tt.input)
				if res.Customer != nil || len(res.UserErrors) == 0 || strings.Join(res.UserErrors[0].Field, ".") != tt.field ||
					res.UserErrors[0].Code != tt.code {
					t.Errorf("got %+v, want %s on %s", res, tt.code, tt.field)
				}
			})
		}
	})

	t.Run("authorization", func(t *testing.T) {
		for who, code := range map[string]string{"customer": "FORBIDDEN", "buyer": "FORBIDDEN", "": "UNAUTHENTICATED"} {
			token := ""
			if who != "" {
				token = a.token(who)
			}
			res := a.send(request{token: token, query: `mutation { registerMember(input: {name: "X", phone: "0912555004",
				consents: [{purpose: TERMS, granted: true}]}) { customer { id } } }`})
			if res.code() != code {
				t.Errorf("%q: code %q, want %s", who, res.code(), code)
			}
			res = a.send(request{token: token, query: `{ customers(search: "0912555001") { edges { node { id } } } }`})
			if res.code() != code {
				t.Errorf("%q searching: code %q, want %s", who, res.code(), code)
			}
		}
	})

	t.Run("search", func(t *testing.T) {
		// The member number as quoted without its leading zeros (M26, 26). The full form
		// (M00000026) is not asserted: customer.Search reads the zeros as an octal prefix.
		number := strings.TrimLeft(strings.TrimPrefix(m.MemberNumber, "M"), "0")
		for _, q := range []string{"0912 555 001", "+886-912-555-001", "qiaoen.zhuo@example.com", "M" + number, number, "qiao-EN"} {
			if ids, _, _ := a.search(associate, q, 20, ""); len(ids) != 1 || ids[0] != m.ID {
				t.Errorf("search %q: %v, want %s", q, ids, m.ID)
			}
		}
		// Paging: two more Zhuos, one a page.
		second := a.mustRegister(associate, "Zhuo Wei", "0912-555-010")
		third := a.mustRegister(associate, "Zhuo Hao", "0912-555-011")
		var seen []string
		for after, pages := "", 0; pages < 5; pages++ {
			ids, more, end := a.search(associate, "zhuo", 1, after)
			seen = append(seen, ids...)
			if !more {
				break
			}
			after = end
		}
		if want := []string{m.ID, second.ID, third.ID}; !slices.Equal(seen, want) {
			t.Errorf("paged search for zhuo: %v, want %v, a page each", seen, want)
		}
		res := a.send(request{token: associate, query: `{ customers(search: "x") { edges { node { id } } } }`})
		if res.code() != "INVALID" || !strings.Contains(res.Errors[0].Message, "2 letters") {
			t.Errorf("one-letter search: %+v, want INVALID asking for 2 letters", res.Errors)
		}
	})
}

// TestMergeAndUnmerge: a member who joined twice is merged with a preview, keeping every
// order and point, and the merge is undone the same way.
func TestMergeAndUnmerge(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	associate, manager := a.token("associate"), a.token("manager")
	survivor := a.mustRegister(associate, "Lin Shu-fen", "0912-600-001")
	dup := a.mustRegister(associate, "Lin Shufen", "0912-600-002")

	sku := f.variant(20000, map[string]int{"TPE-01": 10})
	sale := a.mustPlace(associate, map[string]any{"idempotencyKey": newKey(), "channel": "POS", "locationId": f.loc["TPE-01"],
		"customerId": dup.ID, "lines": lineInputs(sku, 1), "fulfillment": map[string]any{"method": "CARRY_OUT"}})
	if r := a.adjustPoints(manager, dup.ID, 150, "welcome gift"); r.Entry == nil {
		t.Fatalf("adjust: %+v", r.UserErrors)
	}
	before := a.customer(manager, dup.ID)
	if len(before.Orders.Edges) != 1 || before.Points.Balance != 150 {
		t.Fatalf("duplicate before the merge: %+v", before)
	}

	var preview struct {
		CustomerMergePreview struct {
			Survivor struct{ ID string }
			Merged   struct{ ID string }
			Moves    struct {
				OrderCount, Points, IdentityCount int
				Orders                            []struct{ ID string }
			}
			Conflicts []struct {
				Code     string
				Blocking bool
			}
			Blocked bool
		}
	}
	a.query(associate, `query($s: ID!, $m: ID!) { customerMergePreview(survivorId: $s, mergedId: $m) {
		survivor { id } merged { id } moves { orderCount points identityCount orders { id } }
		conflicts { code blocking } blocked } }`, map[string]any{"s": survivor.ID, "m": dup.ID}, &preview)
	p := preview.CustomerMergePreview
	if p.Survivor.ID != survivor.ID || p.Merged.ID != dup.ID || p.Moves.OrderCount != 1 || p.Moves.Points != 150 ||
		p.Moves.IdentityCount != 1 || len(p.Moves.Orders) != 1 || p.Moves.Orders[0].ID != sale.ID || p.Blocked {
		t.Errorf("preview: %+v", p)
	}
	hasConflict := func(code string) bool {
		for _, c := range p.Conflicts {
			if c.Code == code && !c.Blocking {
				return true
			}
		}
		return false
	}
	if !hasConflict("PHONE_KEPT") || !hasConflict("NAME_DIFFERS") {
		t.Errorf("conflicts: %+v, want PHONE_KEPT and NAME_DIFFERS, not blocking", p.Conflicts)
	}

	mergeInput := map[string]any{"survivorId": survivor.ID, "mergedId": dup.ID, "reason": "same phone, confirmed at the till"}
	if res := a.send(request{token: associate, query: mergeMutation, vars: map[string]any{"in": mergeInput}}); res.code() != "FORBIDDEN" {
		t.Errorf("merge by an associate: code %q, want FORBIDDEN", res.code())
	}
	if r := a.merge(manager, map[string]any{"survivorId": survivor.ID, "mergedId": dup.ID, "reason": " "}); r.Merge != nil ||
		len(r.UserErrors) != 1 || strings.Join(r.UserErrors[0].Field, ".") != "input.reason" {
		t.Errorf("merge without a reason: %+v", r)
	}
	merged := a.merge(manager, mergeInput)
	if merged.Merge == nil || merged.Merge.MergedBy != "manager" || merged.Merge.Moves.OrderCount != 1 ||
		merged.Merge.Moves.Points != 150 || merged.Merge.UnmergedAt != nil {
		t.Fatalf("merge: %+v", merged)
	}
	after := a.customer(manager, survivor.ID)
	if len(after.Orders.Edges) != 1 || after.Orders.Edges[0].Node.ID != sale.ID || after.Points.Balance != 150 ||
		len(after.Identities) != 2 || len(after.LifetimeValue) != 1 || after.LifetimeValue[0].Amount != 20000 {
		t.Errorf("survivor after the merge: %+v", after)
	}
	if gone := a.customer(manager, dup.ID); gone.MergedInto == nil || gone.MergedInto.ID != survivor.ID ||
		len(gone.Orders.Edges) != 0 || gone.Points.Balance != 0 {
		t.Errorf("merged customer: %+v", gone)
	}
	if ids, _, _ := a.search(associate, "0912-600-002", 20, ""); len(ids) != 1 || ids[0] != survivor.ID {
		t.Errorf("the merged phone finds %v, want the survivor", ids)
	}
	if r := a.merge(manager, mergeInput); r.Merge != nil || len(r.UserErrors) == 0 || r.UserErrors[0].Code != "MERGE_BLOCKED" {
		t.Errorf("second merge: %+v, want MERGE_BLOCKED", r)
	}

	var unmerged struct{ CustomerUnmerge mergeResult }
	a.query(manager, `mutation($id: ID!) { customerUnmerge(mergeId: $id, reason: "two people after all") { `+mergePayloadFields+` } }`,
		map[string]any{"id": merged.Merge.ID}, &unmerged)
	if u := unmerged.CustomerUnmerge; u.Merge == nil || u.Merge.UnmergedAt == nil || deref(u.Merge.UnmergedBy) != "manager" {
		t.Fatalf("unmerge: %+v", u)
	}
	back, kept := a.customer(manager, dup.ID), a.customer(manager, survivor.ID)
	if back.MergedInto != nil || len(back.Orders.Edges) != 1 || back.Points.Balance != 150 || deref(back.Phone) != "+886912600002" {
		t.Errorf("merged customer after the unmerge: %+v", back)
	}
	if len(kept.Orders.Edges) != 0 || kept.Points.Balance != 0 || len(kept.Identities) != 1 {
		t.Errorf("survivor after the unmerge: %+v", kept)
	}
	var again struct{ CustomerUnmerge mergeResult }
	a.query(manager, `mutation($id: ID!) { customerUnmerge(mergeId: $id, reason: "again") { `+mergePayloadFields+` } }`,
		map[string]any{"id": merged.Merge.ID}, &again)
	if u := again.CustomerUnmerge; u.Merge != nil || len(u.UserErrors) == 0 || u.UserErrors[0].Code != "ALREADY_UNMERGED" {
		t.Errorf("second unmerge: %+v", u)
	}
	var history struct {
		Customer struct{ Merges []struct{ ID string } }
	}
	a.query(associate, `query($id: ID!) { customer(id: $id) { merges { id } } }`, map[string]any{"id": survivor.ID}, &history)
	if len(history.Customer.Merges) != 1 || history.Customer.Merges[0].ID != merged.Merge.ID {
		t.Errorf("merges: %+v", history.Customer.Merges)
	}
}

const mergeMutation = `mutation($in: CustomerMergeInput!) { customerMerge(input: $in) { ` + mergePayloadFields + ` } }`

const mergePayloadFields = `merge { id mergedBy mergedAt unmergedAt unmergedBy moves { orderCount points } }
	userErrors { field message code }`

type mergeResult struct {
	Merge *struct {
		ID         string
		MergedBy   string
		UnmergedAt *string
		UnmergedBy *string
		Moves      struct{ OrderCount, Points int }
	}
	UserErrors []userError
}

func (a *api) merge(token string, input map[string]any) mergeResult {
	a.t.Helper()
	var out struct{ CustomerMerge mergeResult }
	a.query(token, mergeMutation, map[string]any{"in": input}, &out)
	return out.CustomerMerge
}

type adjustResult struct {
	Entry *struct {
		Kind      string
		Points    int64
		Reason    *string
		ActorName *string
	}
	Customer   *struct{ Points struct{ Balance int64 } }
	UserErrors []userError
}

func (a *api) adjustPoints(token, customerID string, points int, reason string) adjustResult {
	a.t.Helper()
	var out struct{ AdjustPoints adjustResult }
	a.query(token, `mutation($in: AdjustPointsInput!) { adjustPoints(input: $in) { entry { kind points reason actorName }
		customer { points { balance } } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"customerId": customerID, "points": points, "reason": reason}}, &out)
	return out.AdjustPoints
}

// TestPoints: managers adjust points with a reason, associates may not, and a customer sees
// their own balance, tier and history through me.
func TestPoints(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	manager, associate, mei := a.token("manager"), a.token("associate"), a.token("customer")

	res := a.send(request{token: associate, query: `mutation($id: ID!) { adjustPoints(input: {customerId: $id, points: 10,
		reason: "goodwill"}) { entry { points } } }`, vars: map[string]any{"id": f.mei}})
	if res.code() != "FORBIDDEN" {
		t.Errorf("adjust by an associate: code %q, want FORBIDDEN", res.code())
	}
	var start int64
	if err := a.db.Get(&start, `SELECT coalesce((SELECT balance FROM loyalty_accounts WHERE customer_id = $1), 0)`, dbID(t, f.mei)); err != nil {
		t.Fatal(err)
	}
	added := a.adjustPoints(manager, f.mei, 250, "apology for a late delivery")
	if e := added.Entry; e == nil || e.Kind != "ADJUST" || e.Points != 250 || deref(e.Reason) != "apology for a late delivery" ||
		deref(e.ActorName) != "manager" || added.Customer.Points.Balance != start+250 {
		t.Fatalf("adjust: %+v", added)
	}
	for _, tt := range []struct {
		name   string
		points int
		reason string
		field  string
	}{
		{"more than the balance", -int(start) - 1000, "correction", "input.points"},
		{"zero", 0, "nothing", "input.points"},
		{"no reason", 5, "  ", "input.reason"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := a.adjustPoints(manager, f.mei, tt.points, tt.reason)
			if r.Entry != nil || len(r.UserErrors) == 0 || strings.Join(r.UserErrors[0].Field, ".") != tt.field {
				t.Errorf("got %+v, want a userError on %s", r, tt.field)
			}
		})
	}

	var me struct {
		Me struct {
			ID           string
			MemberNumber string
			Points       struct {
				Balance int64
				Tier    struct {
					Code, Name            string
					DiscountPercent       float64
					FreeShippingThreshold *money
				}
				RollingSpend money
				History      []struct {
					Kind      string
					Points    int64
					ActorName *string
				}
			}
		}
	}
	a.query(mei, `{ me { ... on Customer { id memberNumber points { balance rollingSpend { amount currency }
		tier { code name discountPercent freeShippingThreshold { amount currency } }
		history(first: 5) { kind points actorName } } } } }`, nil, &me)
	pts := me.Me.Points
	if me.Me.ID != f.mei || me.Me.MemberNumber == "" || pts.Balance != start+250 || pts.Tier.Code == "" || pts.Tier.Name == "" ||
		pts.RollingSpend.Currency == "" || len(pts.History) == 0 || pts.History[0].Points != 250 || pts.History[0].ActorName != nil {
		t.Errorf("own points: %+v", me.Me)
	}
	var tier struct {
		Name       string  `db:"name"`
		DiscountBP float64 `db:"discount_bp"`
	}
	if err := a.db.Get(&tier, `SELECT name, discount_bp FROM loyalty_tiers WHERE code = $1`, pts.Tier.Code); err != nil {
		t.Fatal(err)
	}
	if pts.Tier.Name != tier.Name || pts.Tier.DiscountPercent != tier.DiscountBP/100 {
		t.Errorf("tier %+v, want %+v", pts.Tier, tier)
	}
	// Customers read no one else: customer(id) is staff only, node(id) of another is null.
	if res := a.send(request{token: mei, query: `query($id: ID!) { customer(id: $id) { id } }`,
		vars: map[string]any{"id": f.david}}); res.code() != "FORBIDDEN" {
		t.Errorf("customer(id) by a customer: code %q, want FORBIDDEN", res.code())
	}
	var node struct{ Node *struct{ ID string } }
	a.query(mei, `query($id: ID!) { node(id: $id) { id ... on Customer { points { balance } } } }`,
		map[string]any{"id": f.david}, &node)
	if node.Node != nil {
		t.Errorf("another customer's node: %+v, want null", node.Node)
	}
}

// TestExportAndErase: a customer exports their own data, a manager anyone's; only a
// manager erases, with a reason, and the orders stay.
func TestExportAndErase(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	mei, manager, associate := a.token("customer"), a.token("manager"), a.token("associate")
	david := a.customerLogin("david.wang@example.com", testdb.DemoPassword)

	export := func(token string, id *string) gqlResponse {
		t.Helper()
		return a.send(request{token: token, query: `mutation($id: ID) { exportCustomerData(customerId: $id) { data
			userErrors { field message code } } }`, vars: map[string]any{"id": id}})
	}
	exported := func(res gqlResponse) map[string]any {
		t.Helper()
		var out struct{ ExportCustomerData struct{ Data *string } }
		if len(res.Errors) > 0 || json.Unmarshal(res.Data, &out) != nil || out.ExportCustomerData.Data == nil {
			t.Fatalf("export: %s %+v", res.Data, res.Errors)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(*out.ExportCustomerData.Data), &doc); err != nil {
			t.Fatalf("export is not JSON: %v", err)
		}
		return doc
	}
	own := exported(export(mei, nil))
	if p, _ := own["profile"].(map[string]any); p == nil || p["email"] != "mei.lin@example.com" {
		t.Errorf("own export profile: %v", own["profile"])
	}
	if _, ok := own["orders"]; !ok {
		t.Error("own export has no orders")
	}
	for _, tt := range []struct {
		name, token string
		id          *string
		code        string
	}{
		{"another customer's", mei, &f.david, "FORBIDDEN"},
		{"by an associate", associate, &f.mei, "FORBIDDEN"},
		{"anonymous", "", nil, "UNAUTHENTICATED"},
	} {
		t.Run("export "+tt.name, func(t *testing.T) {
			if res := export(tt.token, tt.id); res.code() != tt.code || hasExport(res) {
				t.Errorf("got %s %+v, want %s", res.Data, res.Errors, tt.code)
			}
		})
	}
	if doc := exported(export(manager, &f.david)); doc["profile"].(map[string]any)["email"] != "david.wang@example.com" {
		t.Errorf("manager's export of david: %v", doc["profile"])
	}

	var orders, total int64
	count := func() (int64, int64) {
		t.Helper()
		var row struct {
			N     int64 `db:"n"`
			Total int64 `db:"total"`
		}
		if err := a.db.Get(&row, `SELECT count(*) AS n, coalesce(sum(total), 0) AS total FROM orders WHERE customer_id = $1`,
			dbID(t, f.david)); err != nil {
			t.Fatal(err)
		}
		return row.N, row.Total
	}
	orders, total = count()

	const erase = `mutation($id: ID!, $r: String!) { eraseCustomer(customerId: $id, reason: $r) {
		customer { name email phone erased identities { kind } } userErrors { field message code } } }`
	if res := a.send(request{token: associate, query: erase, vars: map[string]any{"id": f.david, "r": "ticket 7"}}); res.code() != "FORBIDDEN" {
		t.Errorf("erase by an associate: code %q, want FORBIDDEN", res.code())
	}
	var noReason struct {
		EraseCustomer struct {
			UserErrors []userError
		}
	}
	a.query(manager, erase, map[string]any{"id": f.david, "r": " "}, &noReason)
	if e := noReason.EraseCustomer.UserErrors; len(e) != 1 || e[0].Code != "INVALID" || strings.Join(e[0].Field, ".") != "reason" {
		t.Errorf("erase without a reason: %+v", e)
	}
	var erased struct {
		EraseCustomer struct {
			Customer *struct {
				Name, Email, Phone *string
				Erased             bool
				Identities         []struct{ Kind string }
			}
			UserErrors []userError
		}
	}
	a.query(manager, erase, map[string]any{"id": f.david, "r": "letter of 3 March, ref. P-12"}, &erased)
	if c := erased.EraseCustomer.Customer; c == nil || !c.Erased || deref(c.Name) != "" || c.Email != nil || c.Phone != nil ||
		len(c.Identities) != 0 {
		t.Errorf("erased: %+v", erased.EraseCustomer)
	}
	if n, sum := count(); n != orders || sum != total {
		t.Errorf("orders after erasure: %d totalling %d, want %d totalling %d", n, sum, orders, total)
	}
	if res := a.send(request{token: *david.Token, query: `{ me { __typename } }`}); res.Status != http.StatusUnauthorized {
		t.Errorf("the erased customer's session: status %d, want 401", res.Status)
	}
}

func hasExport(res gqlResponse) bool {
	var out struct{ ExportCustomerData *struct{ Data *string } }
	_ = json.Unmarshal(res.Data, &out)
	return out.ExportCustomerData != nil && out.ExportCustomerData.Data != nil
}

// TestOnlineRegistrationLinksStoreMember: a shopper who joined at the till registers online
// with the same phone; instead of a second customer they prove the phone with the code
// sent to it and sign in as the member, history and number kept.
func TestOnlineRegistrationLinksStoreMember(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	member := a.mustRegister(a.token("associate"), "Huang Mei-ling", "0933-123-456")

	const register = `mutation($in: CustomerRegisterInput!) { customerRegister(input: $in) { token
		userErrors { field code } linkChallenge { id via destination expiresAt } } }`
	var reg struct {
		CustomerRegister struct {
			Token         *string
			UserErrors    []userError
			LinkChallenge *struct{ ID, Via, Destination string }
		}
	}
	a.query("", register, map[string]any{"in": map[string]any{"email": "meiling.h@example.com", "password": "long enough 1",
		"name": "Mei-ling", "phone": "0933 123 456"}}, &reg)
	r := reg.CustomerRegister
	if r.Token != nil || len(r.UserErrors) == 0 || r.UserErrors[0].Code != "DUPLICATE" || r.LinkChallenge == nil ||
		r.LinkChallenge.Via != "PHONE" || strings.Contains(r.LinkChallenge.Destination, "123456") {
		t.Fatalf("register with a member's phone: %+v", r)
	}
	var body string
	if err := a.db.Get(&body, `SELECT body FROM notifications WHERE kind = 'VERIFICATION_CODE' AND recipient = '+886933123456'
		ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(body)

	const confirm = `mutation($id: String!, $code: String!, $pw: String!) { confirmMemberLink(challengeId: $id, code: $code,
		password: $pw) { token viewer { ... on Customer { id } } userErrors { field code } } }`
	var wrong struct{ ConfirmMemberLink authPayload }
	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "111111"
	}
	a.query("", confirm, map[string]any{"id": r.LinkChallenge.ID, "code": wrongCode, "pw": "long enough 1"}, &wrong)
	if w := wrong.ConfirmMemberLink; w.Token != nil || len(w.UserErrors) != 1 || w.UserErrors[0].Code != "WRONG_CODE" {
		t.Errorf("wrong code: %+v", w)
	}
	var ok struct {
		ConfirmMemberLink struct {
			Token  *string
			Viewer *struct{ ID string }
		}
	}
	a.query("", confirm, map[string]any{"id": r.LinkChallenge.ID, "code": code, "pw": "long enough 1"}, &ok)
	if c := ok.ConfirmMemberLink; c.Token == nil || c.Viewer == nil || c.Viewer.ID != member.ID {
		t.Fatalf("confirm: %+v, want signed in as %s", c, member.ID)
	}
	var me struct {
		Me struct {
			MemberNumber string
			Email        *string
		}
	}
	a.query(*ok.ConfirmMemberLink.Token, `{ me { ... on Customer { memberNumber email } } }`, nil, &me)
	if me.Me.MemberNumber != member.MemberNumber || deref(me.Me.Email) != "meiling.h@example.com" {
		t.Errorf("me after linking: %+v", me.Me)
	}
	if p := a.customerLogin("meiling.h@example.com", "long enough 1"); p.Token == nil {
		t.Errorf("sign in with the linked account: %+v", p.UserErrors)
	}
}

// TestProductViews: the storefront reports views; an associate sees what the customer
// looked at online.
func TestProductViews(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	mei := a.token("customer")
	var products struct {
		Products struct {
			Edges []struct{ Node struct{ ID, Handle string } }
		}
	}
	a.query("", `{ products(first: 2) { edges { node { id handle } } } }`, nil, &products)
	if len(products.Products.Edges) < 2 {
		t.Fatal("demo products missing")
	}
	track := func(token string, input map[string]any) (bool, []userError) {
		t.Helper()
		var out struct {
			TrackProductView struct {
				Recorded   bool
				UserErrors []userError
			}
		}
		a.query(token, `mutation($in: TrackProductViewInput!) { trackProductView(input: $in) { recorded
			userErrors { field message code } } }`, map[string]any{"in": input}, &out)
		return out.TrackProductView.Recorded, out.TrackProductView.UserErrors
	}
	first, second := products.Products.Edges[0].Node, products.Products.Edges[1].Node
	for _, p := range []string{first.ID, second.ID, first.ID} {
		if ok, errs := track(mei, map[string]any{"productId": p, "channel": "APP"}); !ok || len(errs) != 0 {
			t.Fatalf("track: %v %+v", ok, errs)
		}
	}
	if ok, errs := track("", map[string]any{"productId": first.ID, "channel": "WEB"}); ok || len(errs) != 1 ||
		strings.Join(errs[0].Field, ".") != "input.sessionId" {
		t.Errorf("anonymous view without a session: %v %+v", ok, errs)
	}
	if ok, errs := track(mei, map[string]any{"productId": first.ID, "channel": "POS"}); ok || len(errs) != 1 {
		t.Errorf("a view from POS: %v %+v", ok, errs)
	}
	var seen struct {
		Customer struct {
			RecentViews []struct {
				Product struct{ Handle string }
				Views   int
				Channel string
			}
		}
	}
	a.query(a.token("associate"), `query($id: ID!) { customer(id: $id) { recentViews(first: 10) { product { handle } views channel } } }`,
		map[string]any{"id": f.mei}, &seen)
	v := seen.Customer.RecentViews
	if len(v) != 2 || v[0].Product.Handle != first.Handle || v[0].Views != 2 || v[1].Product.Handle != second.Handle ||
		v[0].Channel != "APP" {
		t.Errorf("recent views: %+v, want %s twice then %s", v, first.Handle, second.Handle)
	}
}

// TestSubmitFeedback: a customer rates only their own orders, once delivered, and once;
// staff see the rating on the order and the customer.
func TestSubmitFeedback(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	mei, manager := a.token("customer"), a.token("manager")
	sku := f.variant(10000, map[string]int{"WH-TAO": 5})
	mine := a.mustPlace(mei, shipOrder("WEB", sku, 1))
	forDavid := shipOrder("WEB", sku, 1)
	forDavid["customerId"] = f.david
	theirs := a.mustPlace(manager, forDavid)
	const submit = `mutation($in: SubmitFeedbackInput!) { submitFeedback(input: $in) { feedback { id rating }
		userErrors { field message code } } }`
	for _, tt := range []struct {
		name, order string
		rating      int
		code        string
	}{
		{"not delivered", mine.ID, 5, "NOT_DELIVERED"},
		{"someone else's", theirs.ID, 4, "NOT_FOUND"},
		{"rating out of range", mine.ID, 9, "INVALID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				SubmitFeedback struct {
					Feedback   *struct{ ID string }
					UserErrors []userError
				}
			}
			a.query(mei, submit, map[string]any{"in": map[string]any{"orderId": tt.order, "rating": tt.rating}}, &out)
			if r := out.SubmitFeedback; r.Feedback != nil || len(r.UserErrors) == 0 || r.UserErrors[0].Code != tt.code {
				t.Errorf("got %+v, want %s", r, tt.code)
			}
		})
	}
	if res := a.send(request{token: manager, query: submit, vars: map[string]any{"in": map[string]any{"orderId": mine.ID,
		"rating": 5}}}); res.code() != "UNAUTHENTICATED" && res.code() != "FORBIDDEN" {
		t.Errorf("feedback by staff: code %q, want a refusal", res.code())
	}

	// Once delivered, the customer rates it; a low rating waits for a follow-up.
	id := mine.Fulfilments[0].ID
	a.fulfil(manager, "$id: ID!", `packFulfilment(id: $id, overrideReason: "test shortcut")`, map[string]any{"id": id})
	if s := a.ship(manager, id, "Black Cat", "BC43"); s.Fulfilment == nil {
		t.Fatal(s.UserErrors)
	}
	a.mustStep(manager, "markDelivered", id)
	const rated = `feedback { rating comment location { code } followUp order { id } }`
	var given struct {
		SubmitFeedback struct {
			Feedback *struct {
				Rating   int
				Comment  *string
				Location struct{ Code string }
				FollowUp *bool
				Order    struct{ ID string }
			}
			UserErrors []userError
		}
	}
	a.query(mei, `mutation($in: SubmitFeedbackInput!) { submitFeedback(input: $in) { `+rated+` userErrors { code } } }`,
		map[string]any{"in": map[string]any{"orderId": mine.ID, "rating": 2, "comment": " box was crushed "}}, &given)
	if fb := given.SubmitFeedback.Feedback; fb == nil || fb.Rating != 2 || deref(fb.Comment) != "box was crushed" ||
		fb.Location.Code != "WH-TAO" || fb.FollowUp != nil || fb.Order.ID != mine.ID {
		t.Fatalf("feedback: %+v", given.SubmitFeedback)
	}
	var again struct {
		SubmitFeedback struct{ UserErrors []userError }
	}
	a.query(mei, submit, map[string]any{"in": map[string]any{"orderId": mine.ID, "rating": 5}}, &again)
	if e := again.SubmitFeedback.UserErrors; len(e) != 1 || e[0].Code != "ALREADY_GIVEN" {
		t.Errorf("second rating: %+v, want ALREADY_GIVEN", e)
	}
	var staff struct {
		Order struct {
			Feedback *struct {
				Rating   int
				FollowUp *bool
			}
			Customer struct {
				Feedback []struct{ Rating int }
			}
		}
	}
	a.query(a.token("associate"), `query($id: ID!) { order(id: $id) { feedback { rating followUp } customer { feedback { rating } } } }`,
		map[string]any{"id": mine.ID}, &staff)
	if fb := staff.Order.Feedback; fb == nil || fb.Rating != 2 || fb.FollowUp == nil || !*fb.FollowUp ||
		len(staff.Order.Customer.Feedback) != 1 {
		t.Errorf("staff view of the feedback: %+v", staff.Order)
	}
}

// dbID is the database id of a global ID.
func dbID(t *testing.T, gid string) int64 {
	t.Helper()
	_, id, err := decodeID("id", gid)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRecordConsent: customers record their own consents from the web or the app, store
// staff on a customer's behalf at the till or in the back office.
func TestRecordConsent(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	f := a.orderFixture()
	mei, associate := a.token("customer"), a.token("associate")
	const record = `mutation($in: RecordConsentInput!) { recordConsent(input: $in) { consent { purpose granted channel
		recordedBy location { code } } userErrors { field message code } } }`
	type consentResult struct {
		Consent *struct {
			Purpose, Channel, RecordedBy string
			Granted                      bool
			Location                     *struct{ Code string }
		}
		UserErrors []userError
	}
	run := func(token string, in map[string]any) consentResult {
		t.Helper()
		var out struct{ RecordConsent consentResult }
		a.query(token, record, map[string]any{"in": in}, &out)
		return out.RecordConsent
	}
	if r := run(mei, map[string]any{"purpose": "MARKETING_EMAIL", "granted": true, "channel": "WEB"}); r.Consent == nil ||
		!r.Consent.Granted || r.Consent.Channel != "WEB" || r.Consent.RecordedBy != "CUSTOMER" {
		t.Errorf("own consent: %+v", r)
	}
	if r := run(associate, map[string]any{"customerId": f.mei, "purpose": "MARKETING_SMS", "granted": false,
		"channel": "POS"}); r.Consent == nil || r.Consent.Granted || r.Consent.RecordedBy != "STAFF" ||
		r.Consent.Location == nil || r.Consent.Location.Code != "TPE-01" {
		t.Errorf("consent at the till: %+v", r)
	}
	for _, tt := range []struct {
		name, token string
		in          map[string]any
		field       string
	}{
		{"customer at the till", mei, map[string]any{"purpose": "TERMS", "granted": true, "channel": "POS"}, "input.channel"},
		{"staff without a customer", associate, map[string]any{"purpose": "TERMS", "granted": true, "channel": "POS"}, "input.customerId"},
		{"not an ID", associate, map[string]any{"customerId": "nope", "purpose": "TERMS", "granted": true, "channel": "POS"},
			"input.customerId"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := run(tt.token, tt.in); r.Consent != nil || len(r.UserErrors) != 1 ||
				strings.Join(r.UserErrors[0].Field, ".") != tt.field {
				t.Errorf("got %+v, want a userError on %s", r, tt.field)
			}
		})
	}
	if res := a.send(request{token: mei, query: record, vars: map[string]any{"in": map[string]any{"customerId": f.david,
		"purpose": "TERMS", "granted": true, "channel": "WEB"}}}); res.code() != "FORBIDDEN" {
		t.Errorf("another customer's consent: code %q, want FORBIDDEN", res.code())
	}
	var me struct {
		Me struct {
			Consents []struct {
				Purpose string
				Granted bool
			}
		}
	}
	a.query(mei, `{ me { ... on Customer { consents { purpose granted } } } }`, nil, &me)
	got := map[string]bool{}
	for _, c := range me.Me.Consents {
		got[c.Purpose] = c.Granted
	}
	if g, ok := got["MARKETING_EMAIL"]; !ok || !g {
		t.Errorf("consents in force: %+v", me.Me.Consents)
	}
	if g, ok := got["MARKETING_SMS"]; !ok || g {
		t.Errorf("consents in force: %+v, want MARKETING_SMS refused", me.Me.Consents)
	}
}
