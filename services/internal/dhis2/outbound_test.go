package dhis2

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withOutbound sets the process-wide policy for one test and restores the open default after it.
func withOutbound(t *testing.T, o Outbound) {
	t.Helper()
	Configure(o)
	t.Cleanup(func() { Configure(Outbound{}) })
}

func systemInfoServer(t *testing.T, tlsServer bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"2.41.1","revision":"abc","serverDate":"2026-01-01T00:00:00.000"}`))
	})
	var s *httptest.Server
	if tlsServer {
		s = httptest.NewTLSServer(h)
	} else {
		s = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func info(t *testing.T, base string) error {
	t.Helper()
	c, err := New(Options{BaseURL: base, Auth: Auth{Username: "a", Password: "b"}, RatePerSecond: -1, Retry: RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		return err
	}
	_, err = c.SystemInfo(context.Background())
	return err
}

func TestCheckHostAllowList(t *testing.T) {
	withOutbound(t, Outbound{AllowedHosts: []string{"hmis.example.org", "*.health.example.net"}})
	for host, ok := range map[string]bool{
		"hmis.example.org": true, "HMIS.example.org": true, "a.health.example.net": true, "a.b.health.example.net": true,
		"health.example.net": false, "evil.example.org": false, "hmis.example.org.evil.net": false, "127.0.0.1": false,
	} {
		err := CheckHost(&url.URL{Scheme: "https", Host: host})
		if (err == nil) != ok {
			t.Errorf("%s: err %v, want allowed=%v", host, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "DHIS2SYNC_DHIS2_ALLOWED_HOSTS") {
			t.Errorf("%s: the message does not name the setting: %v", host, err)
		}
	}
	if _, err := New(Options{BaseURL: "https://evil.example.org", Auth: Auth{Token: "d2pat_x"}}); !errors.Is(err, KindInvalidInput) {
		t.Errorf("New with a host outside the allow-list: %v", err)
	}
}

func TestDenyPrivate(t *testing.T) {
	srv := systemInfoServer(t, false)
	if err := info(t, srv.URL); err != nil {
		t.Fatalf("by default loopback is allowed (the demo needs it): %v", err)
	}
	withOutbound(t, Outbound{DenyPrivate: true})
	for _, h := range []string{"127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254", "[::1]", "[fd00::1]", "100.64.0.1", "0.0.0.0", "localhost"} {
		if err := CheckHost(&url.URL{Scheme: "http", Host: h}); !errors.Is(err, KindInvalidInput) || !strings.Contains(err.Error(), "DHIS2SYNC_DHIS2_DENY_PRIVATE") {
			t.Errorf("%s: %v, want a refusal naming DHIS2SYNC_DHIS2_DENY_PRIVATE", h, err)
		}
	}
	if err := CheckHost(&url.URL{Scheme: "https", Host: "8.8.8.8"}); err != nil {
		t.Errorf("a public address is refused: %v", err)
	}
	// A name is checked on its resolved address when connecting, whatever it is called.
	u, _ := url.Parse(srv.URL)
	if err := info(t, srv.URL); !errors.Is(err, KindInvalidInput) {
		t.Errorf("reached a loopback server under DenyPrivate: %v", err)
	}
	if err := dialControl("tcp", u.Host, nil); !errors.Is(err, KindInvalidInput) {
		t.Errorf("dial to %s: %v, want refused", u.Host, err)
	}
}

func TestRedirectToForbiddenHostIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://metadata.internal.example/api/system/info", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	withOutbound(t, Outbound{AllowedHosts: []string{"127.0.0.1"}})
	err := info(t, srv.URL)
	if !errors.Is(err, KindInvalidInput) || !strings.Contains(err.Error(), "metadata.internal.example") {
		t.Fatalf("redirect off the allow-list: %v", err)
	}
}

func TestCustomCABundle(t *testing.T) {
	srv := systemInfoServer(t, true)
	if err := info(t, srv.URL); !errors.Is(err, KindTLS) {
		t.Fatalf("a certificate of an unknown authority must fail verification, got %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadCAFile(path)
	if err != nil {
		t.Fatal(err)
	}
	withOutbound(t, Outbound{RootCAs: pool})
	// A new server: transports are cached per base URL with the roots of their creation.
	srv2 := systemInfoServer(t, true)
	srv2.Certificate() // same test certificate as srv
	if err := info(t, srv2.URL); err != nil {
		t.Fatalf("with the CA bundle: %v", err)
	}
	if err := os.WriteFile(path, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCAFile(path); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a bundle without certificates: %v", err)
	}
}

func TestResponseAndRequestLimits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"2.41.1","padding":"` + strings.Repeat("x", 4096) + `"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{BaseURL: srv.URL, Auth: Auth{Username: "a", Password: "b"}, RatePerSecond: -1, Limits: Limits{Short: 1024, Request: 10}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SystemInfo(context.Background())
	if !errors.Is(err, KindTooLarge) || !strings.Contains(err.Error(), "exceeds 1024 bytes") {
		t.Fatalf("a 4 KB answer over a 1 KB limit: %v", err)
	}
	_, _, err = c.once(context.Background(), &request{op: "import", method: "POST", path: "metadata", body: []byte("01234567890"), class: classImport})
	if !errors.Is(err, KindTooLarge) || !strings.Contains(err.Error(), "batch size") {
		t.Fatalf("an 11-byte body over a 10-byte limit: %v", err)
	}
	// Exactly at the limit is fine.
	exact, err := New(Options{BaseURL: srv.URL, Auth: Auth{Username: "a", Password: "b"}, RatePerSecond: -1, Limits: Limits{Short: int64(len(`{"version":"2.41.1","padding":""}`) + 4096)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exact.SystemInfo(context.Background()); err != nil {
		t.Fatalf("an answer of exactly the limit: %v", err)
	}
}
