package graph

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"atrium/db/seed"
	"atrium/internal/testdb"
)

func TestStaffLogin(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	for _, login := range seed.StaffLogins {
		t.Run(login, func(t *testing.T) {
			p := a.staffLogin(login, testdb.DemoPassword)
			if p.Token == nil || *p.Token == "" || p.ExpiresAt == nil || len(p.UserErrors) != 0 {
				t.Fatalf("got %+v, want a token and no userErrors", p)
			}
			if v := p.Viewer; v == nil || v.Typename != "StaffMember" || v.Login != login ||
				!slices.Contains(v.Roles, strings.ToUpper(login)) {
				t.Errorf("viewer = %+v, want staff member %s with role %s", v, login, strings.ToUpper(login))
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		p := a.staffLogin("manager", "not the password")
		wantUserError(t, p, "INVALID_CREDENTIALS", nil)
	})
	t.Run("unknown login", func(t *testing.T) {
		p := a.staffLogin("nobody", testdb.DemoPassword)
		wantUserError(t, p, "INVALID_CREDENTIALS", nil)
	})
}

func TestCustomerLogin(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	p := a.customerLogin(strings.ToUpper(seed.DemoCustomerEmail), testdb.DemoPassword)
	if p.Token == nil || p.Viewer == nil || p.Viewer.Typename != "Customer" || p.Viewer.Email != seed.DemoCustomerEmail {
		t.Fatalf("got %+v, want a token for customer %s", p, seed.DemoCustomerEmail)
	}
	wantUserError(t, a.customerLogin(seed.DemoCustomerEmail, "not the password"), "INVALID_CREDENTIALS", nil)
}

func TestCustomerRegister(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	register := func(input map[string]any) authPayload {
		t.Helper()
		var out struct{ CustomerRegister authPayload }
		a.query("", `mutation($in: CustomerRegisterInput!) { customerRegister(input: $in) { `+authPayloadFields+` } }`,
			map[string]any{"in": input}, &out)
		return out.CustomerRegister
	}

	p := register(map[string]any{"email": "New.Shopper@Example.com", "password": "long enough", "name": "New Shopper", "phone": "0911-222-333"})
	if p.Token == nil || p.Viewer == nil || p.Viewer.Email != "new.shopper@example.com" {
		t.Fatalf("register: got %+v, want a token for new.shopper@example.com", p)
	}
	var me struct {
		Me struct {
			Typename string `json:"__typename"`
			Email    string
			Phone    string
		}
	}
	a.query(*p.Token, `{ me { __typename ... on Customer { email phone } } }`, nil, &me)
	if me.Me.Typename != "Customer" || me.Me.Phone != "+886911222333" {
		t.Errorf("me = %+v, want the new customer with phone +886911222333", me.Me)
	}

	tests := []struct {
		name  string
		input map[string]any
		code  string
		field []string
	}{
		{"duplicate email", map[string]any{"email": seed.DemoCustomerEmail, "password": "long enough", "name": "Again"}, "DUPLICATE", []string{"input", "email"}},
		{"bad email", map[string]any{"email": "not-an-email", "password": "long enough", "name": "X"}, "INVALID", []string{"input", "email"}},
		{"short password", map[string]any{"email": "short@example.com", "password": "short", "name": "X"}, "INVALID", []string{"input", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantUserError(t, register(tt.input), tt.code, tt.field)
		})
	}
}

func wantUserError(t *testing.T, p authPayload, code string, field []string) {
	t.Helper()
	if p.Token != nil || p.Viewer != nil {
		t.Errorf("got a token or viewer with userErrors: %+v", p)
	}
	for _, e := range p.UserErrors {
		if e.Code == code && slices.Equal(e.Field, field) && e.Message != "" {
			return
		}
	}
	t.Errorf("userErrors = %+v, want code %s on field %v", p.UserErrors, code, field)
}

// wantUnauthenticated checks that a request with token is refused, not served anonymously.
func wantUnauthenticated(t *testing.T, a *api, token string) {
	t.Helper()
	res := a.send(request{token: token, query: `{ me { __typename } }`})
	if res.Status != http.StatusUnauthorized || res.code() != "UNAUTHENTICATED" || res.Data != nil {
		t.Errorf("got status %d, code %q, data %s; want 401 UNAUTHENTICATED and no data", res.Status, res.code(), res.Data)
	}
	if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", res.Header.Get("WWW-Authenticate"))
	}
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	token := a.token("associate")
	a.query(token, `{ me { __typename } }`, nil, nil)
	if _, err := a.db.Exec(`UPDATE auth_tokens SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	wantUnauthenticated(t, a, token)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	token := a.token("customer")
	var out struct{ Logout bool }
	a.query(token, `mutation { logout }`, nil, &out)
	if !out.Logout {
		t.Error("logout = false, want true")
	}
	wantUnauthenticated(t, a, token)

	a.query("", `mutation { logout }`, nil, &out)
	if out.Logout {
		t.Error("logout without a token = true, want false")
	}
}

func TestBadAuthorizationHeader(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	wantUnauthenticated(t, a, "atr_not-a-real-token")
	for _, header := range []string{"Basic dXNlcjpwYXNz", "Bearer", "token"} {
		req, _ := http.NewRequest(http.MethodPost, a.url, strings.NewReader(`{"query":"{ me { __typename } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", header)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", header, res.StatusCode)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	for i := range 5 { // auth.Options' default MaxFailures
		if p := a.staffLogin("buyer", "wrong password"); len(p.UserErrors) == 0 || p.UserErrors[0].Code != "INVALID_CREDENTIALS" {
			t.Fatalf("attempt %d: %+v, want INVALID_CREDENTIALS", i+1, p.UserErrors)
		}
	}
	// Even the right password is refused now, without saying whether it was right.
	wantUserError(t, a.staffLogin("buyer", testdb.DemoPassword), "RATE_LIMITED", nil)
	// Other accounts are not locked by it.
	a.token("accountant")
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	actors := append([]string{"anonymous", "customer"}, seed.StaffLogins...)
	tokens := map[string]string{}
	for _, who := range actors[1:] {
		tokens[who] = a.token(who)
	}
	var sku struct {
		Products struct {
			Edges []struct {
				Node struct{ Variants []struct{ SKU string } }
			}
		}
	}
	a.query("", `{ products(first: 1) { edges { node { variants { sku } } } } }`, nil, &sku)
	vars := map[string]any{"sku": sku.Products.Edges[0].Node.Variants[0].SKU}

	stockCode := map[string]string{"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN", "hr": "FORBIDDEN"}
	meType := map[string]string{"anonymous": "", "customer": "Customer"}
	for _, who := range actors {
		t.Run(who, func(t *testing.T) {
			res := a.send(request{token: tokens[who], vars: vars,
				query: `query($sku: String) { variant(sku: $sku) { stockLevels { onHand reserved available safetyStock incoming location { code } } } }`})
			if got, want := res.code(), stockCode[who]; got != want {
				t.Errorf("stockLevels: code %q, want %q (errors %+v)", got, want, res.Errors)
			}
			if want := stockCode[who]; want == "" && !strings.Contains(string(res.Data), `"onHand"`) {
				t.Errorf("stockLevels: data %s, want stock levels", res.Data)
			}

			var me struct {
				Me *struct {
					Typename     string `json:"__typename"`
					Login        string
					HomeLocation *struct{ Code string }
				}
			}
			a.query(tokens[who], `{ me { __typename ... on StaffMember { login homeLocation { code } } } }`, nil, &me)
			want, ok := meType[who]
			if !ok {
				want = "StaffMember"
			}
			switch {
			case want == "" && me.Me != nil:
				t.Errorf("me = %+v, want null", me.Me)
			case want != "" && (me.Me == nil || me.Me.Typename != want):
				t.Errorf("me = %+v, want a %s", me.Me, want)
			case want == "StaffMember" && me.Me.Login != who:
				t.Errorf("me.login = %q, want %q", me.Me.Login, who)
			case who == "manager" && (me.Me.HomeLocation == nil || me.Me.HomeLocation.Code != "TPE-01"):
				t.Errorf("manager's homeLocation = %+v, want TPE-01", me.Me.HomeLocation)
			case who == "admin" && me.Me.HomeLocation != nil:
				t.Errorf("admin's homeLocation = %+v, want null", me.Me.HomeLocation)
			}
		})
	}
}
