package dhis2sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var allVersions = []string{"2.36.0", "2.37.0", "2.38.0", "2.39.0", "2.40.0", "2.41.0", "2.42.0"}

type client struct {
	t    testing.TB
	base string
	user string
	pass string
}

func newClient(t testing.TB, version string) (*Server, *client) {
	t.Helper()
	s, ts := NewTestServer(t, Options{Version: version, Token: "d2pat_abcdefghijklmnopqrstuvwxyz0123451234567890"})
	return s, &client{t: t, base: ts.URL, user: "admin", pass: "district"}
}

func (c *client) do(method, path string, body any) (int, []byte, http.Header) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out, resp.Header
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (c *client) json(method, path string, body any, wantStatus int) map[string]any {
	c.t.Helper()
	code, out, _ := c.do(method, path, body)
	if code != wantStatus {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, wantStatus, truncate(out))
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		c.t.Fatalf("%s %s: %v; body %s", method, path, err, truncate(out))
	}
	return m
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dig walks a decoded JSON value by keys and indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func httptestServer(t testing.TB, s *Server) string {
	ts := newHTTPTest(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newHTTPTest(s *Server) *httptest.Server { return httptest.NewServer(s) }
