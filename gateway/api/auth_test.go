package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
)

func TestRequestsWithoutValidTokenAre401(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	tests := []struct {
		name, token, wantMessage string
	}{
		{"no token", "", msgSignInFirst},
		{"unknown token", "not-a-token", msgTokenInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(http.MethodGet, "/api/v1/instances", tc.token, nil)
			if r.status != http.StatusUnauthorized || r.code() != 16 || r.str("message") != tc.wantMessage {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="dhis2sync"` {
				t.Errorf("WWW-Authenticate: %q", got)
			}
		})
	}
	if n := len(e.instances.seen()); n != 0 {
		t.Errorf("unauthenticated calls reached the registry %d times", n)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": adminUser, "password": adminPassword})
	if r.status != http.StatusOK || len(r.str("token")) < 40 || r.str("expireTime") == "" {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	user, _ := r.body["user"].(map[string]any)
	if user["username"] != adminUser || user["role"] != "ROLE_ADMIN" {
		t.Errorf("login user: %v", user)
	}
	if _, leaked := user["passwordHash"]; leaked || strings.Contains(r.raw, "$2a$") {
		t.Errorf("login response leaks the password hash: %s", r.raw)
	}
	token := r.str("token")
	if me := e.call(http.MethodGet, "/api/v1/auth/me", token, nil); me.status != http.StatusOK || me.str("username") != adminUser {
		t.Errorf("me: %d %s", me.status, me.raw)
	}

	for _, bad := range []struct{ user, password string }{{adminUser, "wrong-password"}, {"nobody", adminPassword}} {
		r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": bad.user, "password": bad.password})
		if r.status != http.StatusUnauthorized || r.str("token") != "" || !strings.Contains(r.str("message"), "wrong username or password") {
			t.Errorf("login %s with a bad password: %d %s", bad.user, r.status, r.raw)
		}
	}

	// Only a hash of the token is stored.
	var stored int
	if err := e.store.db.Get(&stored, `SELECT count(*) FROM tokens WHERE hash = $1`, []byte(token)); err != nil || stored != 0 {
		t.Errorf("the token is stored in clear (%d rows, %v)", stored, err)
	}

	// Logout revokes the token.
	if r := e.call(http.MethodPost, "/api/v1/auth/logout", token, map[string]any{}); r.status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodGet, "/api/v1/auth/me", token, nil); r.status != http.StatusUnauthorized {
		t.Errorf("token still valid after logout: %d", r.status)
	}

	want := []struct{ user, action, outcome string }{
		{adminUser, "Logout", "OK"},
		{"nobody", "Login", "Unauthenticated"},
		{adminUser, "Login", "Unauthenticated"},
		{adminUser, "Login", "OK"},
	}
	got := e.audit()
	if len(got) != len(want) {
		t.Fatalf("audit: want %d events, got %+v", len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Username != w.user || shortMethod(g.Action) != w.action || g.Outcome != w.outcome || g.RemoteAddr != "127.0.0.1" {
			t.Errorf("audit[%d] = %+v, want %+v", i, g, w)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for i := range 5 {
		r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": adminUser, "password": "guess"})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.raw)
		}
	}
	// Now even the right password is refused for a while, with a message that says why.
	r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": adminUser, "password": adminPassword})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.str("message"), "too many failed sign-ins") {
		t.Fatalf("6th attempt: %d %s", r.status, r.raw)
	}
	if got := e.audit()[0]; got.Outcome != "ResourceExhausted" || got.Username != adminUser {
		t.Errorf("rate-limited login not audited as such: %+v", got)
	}
	// Another username from the same address is not affected.
	r = e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "someone-else", "password": "guess"})
	if r.status != http.StatusUnauthorized {
		t.Errorf("other user: %d %s", r.status, r.raw)
	}
	// Sweeping over usernames from one address is stopped too, after addrFailuresPerMinute failures in all.
	for i := 0; ; i++ {
		if i > addrFailuresPerMinute+5 {
			t.Fatal("failures over many usernames were never limited")
		}
		r = e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": fmt.Sprintf("user%d", i), "password": "guess"})
		if r.status == http.StatusTooManyRequests {
			if !strings.Contains(r.str("message"), "from this address") || i < addrFailuresPerMinute-7 {
				t.Errorf("limited after %d more failures: %s", i, r.raw)
			}
			break
		}
	}
}

func TestUserManagement(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	admin := e.login(adminUser, adminPassword)
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"short password", map[string]any{"username": "u1", "password": "short"}, http.StatusBadRequest},
		{"blank username", map[string]any{"username": " ", "password": "long-enough"}, http.StatusBadRequest},
		{"duplicate in another case", map[string]any{"username": "ADMIN", "password": "long-enough"}, http.StatusConflict},
		{"unknown field", map[string]any{"username": "u2", "password": "long-enough", "rol": "ROLE_ADMIN"}, http.StatusBadRequest},
		{"default role", map[string]any{"username": "u3", "password": "long-enough"}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.call(http.MethodPost, "/api/v1/users", admin, tc.body); r.status != tc.want {
				t.Errorf("got %d %s, want %d", r.status, r.raw, tc.want)
			}
		})
	}
	r := e.call(http.MethodGet, "/api/v1/users", admin, nil)
	users, _ := r.body["users"].([]any)
	if r.status != http.StatusOK || len(users) != 2 {
		t.Fatalf("list users: %d %s", r.status, r.raw)
	}
	u3 := users[1].(map[string]any)
	if u3["username"] != "u3" || u3["role"] != "ROLE_VIEWER" {
		t.Errorf("default role: %v", u3)
	}
	adminID := users[0].(map[string]any)["id"].(string)
	if r := e.call(http.MethodDelete, "/api/v1/users/"+adminID, admin, nil); r.status != http.StatusBadRequest || !strings.Contains(r.str("message"), "last admin") {
		t.Errorf("delete the last admin: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodDelete, "/api/v1/users/"+u3["id"].(string), admin, nil); r.status != http.StatusOK {
		t.Errorf("delete u3: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodDelete, "/api/v1/users/"+u3["id"].(string), admin, nil); r.status != http.StatusNotFound {
		t.Errorf("delete u3 again: %d %s", r.status, r.raw)
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	admin := e.login(adminUser, adminPassword)
	r := e.call(http.MethodPost, "/api/v1/auth/tokens", admin, map[string]any{"name": "monitoring", "role": "ROLE_VIEWER", "validDays": 30})
	if r.status != http.StatusOK || r.str("token") == "" {
		t.Fatalf("create token: %d %s", r.status, r.raw)
	}
	api := r.str("token")
	if r := e.call(http.MethodGet, "/api/v1/instances", api, nil); r.status != http.StatusOK {
		t.Errorf("API token read: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodPost, "/api/v1/instances", api, map[string]any{"name": "x"}); r.status != http.StatusForbidden {
		t.Errorf("viewer API token write: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodGet, "/api/v1/auth/me", api, nil); r.str("role") != "ROLE_VIEWER" {
		t.Errorf("me with a viewer token of an admin: %s", r.raw)
	}
	if r := e.call(http.MethodPost, "/api/v1/auth/tokens", api, map[string]any{"name": "again"}); r.status != http.StatusForbidden {
		t.Errorf("API token creating a token: %d %s", r.status, r.raw)
	}
	operator := e.userWithRole(admin, "op", authv1.Role_ROLE_OPERATOR)
	if r := e.call(http.MethodPost, "/api/v1/auth/tokens", operator, map[string]any{"name": "ci", "role": "ROLE_ADMIN"}); r.status != http.StatusForbidden {
		t.Errorf("operator asking for an admin token: %d %s", r.status, r.raw)
	}
}

func TestFirstAdminNeedsPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	if created, err := e.store.EnsureAdmin(ctx, "other", ""); err != nil || created {
		t.Errorf("with users present: created=%v err=%v", created, err)
	}
	if _, err := e.store.db.Exec(`DELETE FROM users`); err != nil {
		t.Fatal(err)
	}
	_, err := e.store.EnsureAdmin(ctx, "admin", "")
	if err == nil || !strings.Contains(err.Error(), "DHIS2SYNC_ADMIN_PASSWORD") {
		t.Errorf("empty password at first start: %v", err)
	}
}
