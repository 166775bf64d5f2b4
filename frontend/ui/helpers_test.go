package ui

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/frontend/gateway/gatewaytest"
	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

type env struct {
	gw  *gatewaytest.Server
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	gw := gatewaytest.New()
	t.Cleanup(gw.Close)
	h, err := New(Settings{GatewayURL: gw.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{gw: gw, srv: srv}
}

// browser is an HTTP client with cookies that does not follow redirects, so tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	lang string
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (e *env) signedIn(t *testing.T, user, password string) *browser {
	b := e.browser(t)
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"username": {user}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d", user, resp.StatusCode)
	}
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// csrf returns the token of the CSRF cookie, as the pages embed it.
func (b *browser) csrf() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == csrfCookie {
			return c.Value
		}
	}
	return ""
}

// post submits a form with the page's CSRF token.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get(csrfField) == "" {
		form.Set(csrfField, b.csrf())
	}
	return b.postRaw(path, form, nil)
}

func (b *browser) postRaw(path string, form url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

var idInLocation = regexp.MustCompile(`/jobs/([^/?]+)$`)

// addInstance creates an instance through the form and returns its id (read back from the gateway).
func (e *env) addInstance(t *testing.T, b *browser, name, baseURL string, source, dest bool) string {
	t.Helper()
	form := url.Values{"name": {name}, "base_url": {baseURL}, "auth_type": {"basic"}, "username": {"admin"}, "password": {"district"}, "active": {"on"}}
	if source {
		form.Set("is_source", "on")
	}
	if dest {
		form.Set("is_destination", "on")
	}
	resp, body := b.post("/instances", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add instance %s: status %d\n%s", name, resp.StatusCode, body)
	}
	list, err := e.client(t).ListInstances(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.GetName() == name {
			return in.GetId()
		}
	}
	t.Fatalf("instance %s not stored", name)
	return ""
}

func (e *env) addConfig(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	resp, body := b.post("/configs", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add config: status %d\n%s", resp.StatusCode, body)
	}
	list, err := e.client(t).ListConfigs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.GetName() == form.Get("name") {
			return c.GetId()
		}
	}
	t.Fatalf("config %s not stored", form.Get("name"))
	return ""
}

// client is an admin gateway client for checking what the dashboard stored.
func (e *env) client(t *testing.T) *apiclient.Client {
	t.Helper()
	return apiclient.New(e.gw.URL, nil).WithToken(e.gw.Token("admin"))
}
