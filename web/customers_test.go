package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"atrium/internal/customer"
	"atrium/internal/order"
)

// registerMember signs a member up at TPE-01 through the service, as the associate.
func registerMember(t *testing.T, a *app, name, phone, email string) customer.Member {
	t.Helper()
	m, err := a.deps.Customers.RegisterMember(staffContext(t, a, "associate"), customer.RegisterMemberInput{
		Name: name, Phone: phone, Email: email, Statement: "test sign-up",
		Consents: []customer.ConsentChoice{{Purpose: "TERMS", Granted: true}, {Purpose: "MARKETING_SMS", Granted: false}}})
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return m
}

func customerIDFrom(t *testing.T, location string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(location, customersURL+"/"), 10, 64)
	if err != nil {
		t.Fatalf("not a customer page: %q", location)
	}
	return id
}

func TestCustomerSearch(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	associate := a.signedIn("associate")
	mei, err := a.deps.Customers.Search(system(), "+886912345678", 1, 0)
	if err != nil || len(mei.Members) != 1 {
		t.Fatalf("demo member Mei Lin: %v, %v", mei.Members, err)
	}
	m := mei.Members[0]

	associate.get(customersURL).wantStatus(http.StatusOK).wantContains("customers on file")
	for _, tc := range []struct{ name, query string }{
		{"local phone with dashes", "0912-345-678"},
		{"international phone with spaces", "+886 912 345 678"},
		{"email in capitals", strings.ToUpper(*m.Email)},
		{"member number", m.MemberNumber},
		{"part of the name", "mei l"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := associate.get(customersURL + "?q=" + url.QueryEscape(tc.query)).wantStatus(http.StatusOK)
			if !res.hasID("customer-" + strconv.FormatInt(m.ID, 10)) {
				t.Fatalf("%q does not find %s; body:\n%s", tc.query, m.Name, res.Body)
			}
		})
	}
	t.Run("live search answers with the results only", func(t *testing.T) {
		res := associate.get(customersURL+"?q=0912345678", "HX-Request", "true", "HX-Target", "customer-results").
			wantStatus(http.StatusOK).wantNotContains("<html", `id="main"`)
		if !res.hasID("customer-" + strconv.FormatInt(m.ID, 10)) {
			t.Fatalf("the fragment lacks the member; body:\n%s", res.Body)
		}
	})
	t.Run("a query that cannot be searched says why", func(t *testing.T) {
		res := associate.get(customersURL + "?q=x").wantStatus(http.StatusOK)
		if got := res.byID("search-problem"); !strings.Contains(got, "at least 2 letters") {
			t.Fatalf("problem %q", got)
		}
	})
	t.Run("no match offers a sign-up", func(t *testing.T) {
		res := associate.get(customersURL+"?q="+url.QueryEscape("Nobody Here")).wantStatus(http.StatusOK).
			wantContains("No member matches", "Sign them up")
		if !slices.Contains(res.links(), customersURL+"/new?name=Nobody+Here") {
			t.Errorf("links %q", res.links())
		}
		res = associate.get(customersURL + "?q=" + url.QueryEscape("0977 000 111")).wantStatus(http.StatusOK)
		if !slices.Contains(res.links(), customersURL+"/new?phone=0977+000+111") {
			t.Errorf("links %q", res.links())
		}
		form := associate.get(customersURL + "/new?phone=0977+000+111").wantStatus(http.StatusOK)
		if got := form.values("phone"); len(got) != 1 || got[0] != "0977 000 111" {
			t.Errorf("phone %q", got)
		}
	})
	t.Run("pages of results", func(t *testing.T) {
		for i := range customerPageSize + 2 {
			registerMember(t, a, fmt.Sprintf("Pager Person %02d", i), fmt.Sprintf("0900 000 %03d", i), "")
		}
		first := associate.get(customersURL + "?q=pager+person").wantStatus(http.StatusOK)
		if n := len(first.rows("customer-results")); n != customerPageSize {
			t.Fatalf("first page has %d rows", n)
		}
		var next string
		for _, l := range first.links() {
			if strings.Contains(l, "after=") {
				next = l
			}
		}
		if next == "" {
			t.Fatal("no link to the next page")
		}
		second := associate.get(next).wantStatus(http.StatusOK).wantContains("Pager Person 26")
		if n := len(second.rows("customer-results")); n != 2 {
			t.Fatalf("second page has %d rows", n)
		}
	})
	t.Run("staff who do not serve customers are refused", func(t *testing.T) {
		a.signedIn("buyer").get(customersURL).wantStatus(http.StatusForbidden)
	})
}

func TestMemberRegister(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	associate := a.signedIn("associate")
	page := associate.get(customersURL + "/new").wantStatus(http.StatusOK)
	key := page.values("idempotencyKey")[0]
	if key == "" || !page.hasID("member-form") {
		t.Fatal("the sign-up form is not there")
	}

	t.Run("every problem shows beside its field", func(t *testing.T) {
		res := associate.post(customersURL, url.Values{"idempotencyKey": {key}, "name": {" "}, "phone": {"12ab"},
			"email": {"not-an-email"}}).wantStatus(http.StatusUnprocessableEntity)
		for path, want := range map[string]string{"name": "enter the customer's name", "phone": "is not a phone number",
			"email": "is not an email address", "consents": "record the customer's consent choices"} {
			if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
				t.Errorf("%s: %q, want %q", path, msg, want)
			}
		}
		if res.values("phone")[0] != "12ab" || res.values("idempotencyKey")[0] != key {
			t.Error("the form lost what was typed")
		}
	})
	t.Run("a phone that belongs to a member names them", func(t *testing.T) {
		res := associate.post(customersURL, url.Values{"idempotencyKey": {key}, "name": {"Mei Again"},
			"phone": {"0912 345 678"}, "consent.TERMS": {"yes"}}).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("phone")); msg == "" {
			t.Fatalf("no error on the phone; body:\n%s", res.Body)
		}
	})

	form := url.Values{"idempotencyKey": {key}, "name": {"  Lan   Hsu "}, "phone": {"0987-654-321"},
		"consent.TERMS": {"yes"}, "consent.MARKETING_SMS": {"no"}, "consent.MARKETING_EMAIL": {""}}
	res := associate.post(customersURL, form).wantRedirect(customersURL + "/*")
	id := customerIDFrom(t, res.Header.Get("Location"))
	t.Run("a resubmitted form lands on the same member", func(t *testing.T) {
		associate.post(customersURL, form).wantRedirect(customerURL(id))
		found, err := a.deps.Customers.Search(system(), "0987654321", 10, 0)
		if err != nil || len(found.Members) != 1 {
			t.Fatalf("members with the phone: %v, %v", found.Members, err)
		}
	})
	profile := associate.get(customerURL(id)).wantStatus(http.StatusOK).wantContains("Member signed up.", "Lan Hsu", "+886987654321")
	rows := profile.rows("consents")
	want := map[string]string{"Membership terms": "Yes", "Marketing by text message": "No"}
	if len(rows) != 2 {
		t.Fatalf("consents %q", rows)
	}
	for _, r := range rows {
		if want[r[0]] != r[1] || r[2] != "In store" || r[3] != "TPE-01" || r[4] == "" {
			t.Errorf("consent row %q", r)
		}
	}
}

func TestCustomerProfile(t *testing.T) {
	t.Parallel()
	a := newOrderApp(t)
	m := registerMember(t, a.app, "Profile Person", "0911 222 333", "profile.person@example.com")
	var orders []order.Order
	addr := &order.Address{Name: "Profile Person", Line1: "No. 1, Nanjing West Road", City: "Taipei City", PostalCode: "104", Country: "TW"}
	for range 2 {
		o, err := a.deps.Orders.PlaceOrder(staffContext(t, a.app, "associate"), order.PlaceOrderInput{
			IdempotencyKey: newIdempotencyKey(), Channel: order.POS, LocationID: a.tpe, CustomerID: m.ID,
			Lines: []order.LineInput{line(a.v1, 1)}, Fulfilment: order.FulfilmentInput{Method: order.Ship, ShippingAddress: addr}})
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	if _, err := a.deps.Orders.Cancel(staffContext(t, a.app, "manager"), orders[1].ID, "customer changed their mind"); err != nil {
		t.Fatal(err)
	}

	associate := a.signedIn("associate")
	res := associate.get(customerURL(m.ID)).wantStatus(http.StatusOK)
	if got := res.byID("member-number"); got != m.MemberNumber {
		t.Errorf("member number %q", got)
	}
	if got := res.byID("lifetime-value"); got != formatMoney(orders[0].Total, orders[0].Currency) {
		t.Errorf("lifetime value %q, want the uncancelled order's %s", got, formatMoney(orders[0].Total, orders[0].Currency))
	}
	if got := res.byID("order-count"); got != "2" {
		t.Errorf("order count %q", got)
	}
	for _, o := range orders {
		res.wantContains(`href="` + orderURL(o.ID) + `"`)
	}
	ids := res.rows("identities")
	if len(ids) != 2 {
		t.Errorf("identities %q", ids)
	}
	if !res.hasID("tier") || !strings.Contains(res.byID("points-balance"), "0 points") {
		t.Errorf("points %q", res.byID("points-balance"))
	}
	t.Run("associates can preview a merge but not export or erase", func(t *testing.T) {
		res.wantContains(customerMergeURL(m.ID, 0)).wantNotContains(customerURL(m.ID)+"/export", customerURL(m.ID)+"/erase")
		associate.get(customerURL(m.ID) + "/export").wantStatus(http.StatusForbidden)
		associate.get(customerURL(m.ID) + "/erase").wantStatus(http.StatusForbidden)
	})
	t.Run("an unknown customer is not found", func(t *testing.T) {
		associate.get(customersURL + "/999999").wantStatus(http.StatusNotFound)
		associate.get(customersURL + "/abc").wantStatus(http.StatusNotFound)
	})
}

func TestCustomerMerge(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	keep := registerMember(t, a, "Merge Keeper", "0933 111 222", "")
	dup := registerMember(t, a, "Merge Keeper", "0933 111 999", "keeper@example.com")
	if _, err := a.deps.Loyalty.Adjust(staffContext(t, a, "manager"), dup.ID, 300, "welcome points"); err != nil {
		t.Fatal(err)
	}
	associate, manager := a.signedIn("associate"), a.signedIn("manager")

	t.Run("the search offers the other members", func(t *testing.T) {
		res := associate.get(customerMergeURL(keep.ID, 0) + "?q=merge+keeper").wantStatus(http.StatusOK)
		if !res.hasID("candidate-"+strconv.FormatInt(dup.ID, 10)) || res.hasID("candidate-"+strconv.FormatInt(keep.ID, 10)) {
			t.Fatalf("candidates; body:\n%s", res.Body)
		}
	})
	t.Run("an associate sees the preview and is told to ask a manager", func(t *testing.T) {
		res := associate.get(customerMergeURL(keep.ID, dup.ID)).wantStatus(http.StatusOK)
		moves := res.byID("merge-moves")
		for _, want := range []string{"300 points", "2 identities", "2 consent records"} {
			if !strings.Contains(moves, want) {
				t.Errorf("moves %q lack %q", moves, want)
			}
		}
		if !res.hasID("merge-ask") || res.hasID("merge-form") {
			t.Error("an associate is offered the merge")
		}
		associate.post(customerMergeURL(keep.ID, 0), url.Values{"merged": {strconv.FormatInt(dup.ID, 10)}, "reason": {"x"}}).
			wantStatus(http.StatusForbidden)
	})
	t.Run("the same customer twice says so", func(t *testing.T) {
		res := manager.get(customerMergeURL(keep.ID, keep.ID)).wantStatus(http.StatusOK)
		if got := res.byID("preview-problem"); !strings.Contains(got, "two different customers") {
			t.Errorf("problem %q", got)
		}
	})
	page := manager.get(customerMergeURL(keep.ID, dup.ID)).wantStatus(http.StatusOK)
	key := page.values("idempotencyKey")[0]
	t.Run("a merge needs a reason", func(t *testing.T) {
		res := manager.post(customerMergeURL(keep.ID, 0), url.Values{"idempotencyKey": {key}, "merged": {strconv.FormatInt(dup.ID, 10)},
			"reason": {" "}}).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("reason")); !strings.Contains(msg, "say why these are the same person") {
			t.Errorf("reason error %q", msg)
		}
		if !res.hasID("merge-preview") {
			t.Error("the preview is gone")
		}
	})
	manager.post(customerMergeURL(keep.ID, 0), url.Values{"idempotencyKey": {key}, "merged": {strconv.FormatInt(dup.ID, 10)},
		"reason": {"same person, confirmed at the till"}}).wantRedirect(customerURL(keep.ID))
	profile := manager.get(customerURL(keep.ID)).wantStatus(http.StatusOK).wantContains("Customers merged")
	if got := profile.byID("points-balance"); !strings.Contains(got, "300 points") {
		t.Errorf("survivor's points %q", got)
	}
	merges := profile.rows("merges")
	if len(merges) != 1 || merges[0][4] != "same person, confirmed at the till" {
		t.Fatalf("merges %q", merges)
	}
	manager.get(customerURL(dup.ID)).wantStatus(http.StatusOK).wantContains(`id="merged-notice"`)
	t.Run("the merged customer no longer comes up in searches", func(t *testing.T) {
		res := manager.get(customersURL + "?q=0933111999").wantStatus(http.StatusOK)
		if res.hasID("customer-" + strconv.FormatInt(dup.ID, 10)) {
			t.Error("the merged customer is listed")
		}
	})

	evs, err := a.deps.Members.Merges(system(), keep.ID)
	if err != nil || len(evs) != 1 {
		t.Fatalf("merges %v, %v", evs, err)
	}
	unmerge := customerURL(keep.ID) + "/merges/" + strconv.FormatInt(evs[0].ID, 10) + "/unmerge"
	t.Run("undoing needs a reason, shown on its merge", func(t *testing.T) {
		res := manager.post(unmerge, url.Values{"idempotencyKey": {"k1"}, "reason": {""}}).wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("reason")); !strings.Contains(msg, "say why the merge is undone") {
			t.Errorf("reason error %q", msg)
		}
	})
	manager.post(unmerge, url.Values{"idempotencyKey": {"k2"}, "reason": {"two different people after all"}}).
		wantRedirect(customerURL(keep.ID))
	manager.get(customerURL(dup.ID)).wantStatus(http.StatusOK).wantNotContains(`id="merged-notice"`)
	if got := manager.get(customerURL(dup.ID)).byID("points-balance"); !strings.Contains(got, "300 points") {
		t.Errorf("points back on the duplicate: %q", got)
	}
	t.Run("undoing twice is a conflict", func(t *testing.T) {
		res := manager.post(unmerge, url.Values{"idempotencyKey": {"k3"}, "reason": {"again"}}).wantStatus(http.StatusUnprocessableEntity)
		res.wantContains("already undone")
	})
}

func TestCustomerPrivacy(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	m := registerMember(t, a, "Private Person", "0944 555 666", "private.person@example.com")
	manager := a.signedIn("manager")

	t.Run("export downloads everything as JSON", func(t *testing.T) {
		res := manager.get(customerURL(m.ID) + "/export").wantStatus(http.StatusOK)
		if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="customer-`+m.MemberNumber+`.json"` {
			t.Errorf("disposition %q", cd)
		}
		var d customer.DataExport
		if err := json.Unmarshal([]byte(res.Body), &d); err != nil {
			t.Fatal(err)
		}
		if d.Profile.ID != m.ID || len(d.Identities) != 2 || len(d.Consents) != 2 {
			t.Errorf("export %+v", d)
		}
	})

	page := manager.get(customerURL(m.ID) + "/erase").wantStatus(http.StatusOK)
	key := page.values("idempotencyKey")[0]
	t.Run("erasing needs the member number typed and a reason", func(t *testing.T) {
		res := manager.post(customerURL(m.ID)+"/erase", url.Values{"idempotencyKey": {key}, "confirm": {"M1"}, "reason": {""}}).
			wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("confirm")); !strings.Contains(msg, m.MemberNumber) {
			t.Errorf("confirm error %q", msg)
		}
		if msg := res.byID(errorID("reason")); !strings.Contains(msg, "whose request") {
			t.Errorf("reason error %q", msg)
		}
		if _, err := a.deps.Customers.Member(system(), m.ID); err != nil {
			t.Fatal(err)
		}
	})
	manager.post(customerURL(m.ID)+"/erase", url.Values{"idempotencyKey": {key}, "confirm": {strings.ToLower(m.MemberNumber)},
		"reason": {"letter ref 2026-118"}}).wantRedirect(customerURL(m.ID))
	res := manager.get(customerURL(m.ID)).wantStatus(http.StatusOK).wantContains(`id="erased-notice"`, "Personal data erased")
	res.wantNotContains("Private Person", "private.person@example.com", "+886944555666")
	var n int
	if err := a.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'customer.erased' AND entity_id = $1 AND reason = $2`,
		m.ID, "letter ref 2026-118"); err != nil || n != 1 {
		t.Errorf("audit records %d, %v", n, err)
	}
	t.Run("an erased customer cannot be erased again", func(t *testing.T) {
		manager.post(customerURL(m.ID)+"/erase", url.Values{"idempotencyKey": {"other"}, "confirm": {m.MemberNumber},
			"reason": {"again"}}).wantStatus(http.StatusUnprocessableEntity)
	})
}

func TestCustomerIdentitiesAndConsents(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	m := registerMember(t, a, "Contact Person", "0922 444 555", "")
	associate := a.signedIn("associate")
	identities, consents := customerURL(m.ID)+"/identities", customerURL(m.ID)+"/consents"

	for _, tc := range []struct {
		name string
		form url.Values
		want map[string]string
	}{
		{"a phone that is not one", url.Values{"kind": {"PHONE"}, "value": {"call me"}}, map[string]string{"value": "is not a phone number"}},
		{"an external id without its provider", url.Values{"kind": {"EXTERNAL"}, "provider": {"line app"}, "value": {"U123"}},
			map[string]string{"provider": "is not a provider code"}},
		{"another member's phone names them", url.Values{"kind": {"PHONE"}, "value": {"0912-345-678"}},
			map[string]string{"value": "already belongs to another member (M00000001)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := associate.post(identities, tc.form).wantStatus(http.StatusUnprocessableEntity)
			for path, want := range tc.want {
				if msg := res.byID(errorID(path)); !strings.Contains(msg, want) {
					t.Errorf("%s: %q, want %q", path, msg, want)
				}
			}
			if res.values("value")[0] != tc.form.Get("value") {
				t.Error("the form lost what was typed")
			}
		})
	}
	associate.post(identities, url.Values{"kind": {"EXTERNAL"}, "provider": {"line"}, "value": {"U4af4980629"}}).
		wantRedirect(customerURL(m.ID) + "#identities")
	res := associate.get(customerURL(m.ID)).wantStatus(http.StatusOK).wantContains("Identity added.")
	found := false
	for _, row := range res.rows("identities") {
		found = found || row[0] == "LINE id" && row[1] == "U4af4980629"
	}
	if !found {
		t.Errorf("identities %q", res.rows("identities"))
	}

	t.Run("a consent needs an answer", func(t *testing.T) {
		res := associate.post(consents, url.Values{"purpose": {"MARKETING_EMAIL"}, "answer": {""}, "channel": {"POS"}}).
			wantStatus(http.StatusUnprocessableEntity)
		if msg := res.byID(errorID("granted")); !strings.Contains(msg, "agrees or not") {
			t.Errorf("answer error %q", msg)
		}
	})
	associate.post(consents, url.Values{"purpose": {"MARKETING_SMS"}, "answer": {"yes"}, "channel": {"BACK_OFFICE"},
		"statement": {"asked by phone for SMS offers"}}).wantRedirect(customerURL(m.ID) + "#consents")
	res = associate.get(customerURL(m.ID)).wantStatus(http.StatusOK).wantContains("Consent recorded")
	var sms []string
	for _, row := range res.rows("consents") {
		if row[0] == "Marketing by text message" && row[2] == "Back office" {
			sms = row
		}
	}
	if len(sms) == 0 || sms[1] != "Yes" || sms[5] != "asked by phone for SMS offers" {
		t.Fatalf("consents %q", res.rows("consents"))
	}
	if !res.hasID("consent-history") {
		t.Error("the earlier answer is not kept in the history")
	}
}
