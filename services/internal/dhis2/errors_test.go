package dhis2

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testClient builds a client for url with fast, observable retries.
func testClient(t *testing.T, url string, mutate ...func(*Options)) (*Client, *[]time.Duration) {
	t.Helper()
	opts := Options{BaseURL: url, Auth: Auth{Username: "admin", Password: "district"}, RatePerSecond: -1,
		Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Minute}}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	c.sleepHook = func(ctx context.Context, d time.Duration) error {
		delays = append(delays, d)
		return ctx.Err()
	}
	return c, &delays
}

func handlerServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestErrorKinds(t *testing.T) {
	webMessage := func(status int, msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, map[string]any{"httpStatus": http.StatusText(status), "httpStatusCode": status, "status": "ERROR", "message": msg})
		}
	}
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		kind     Kind
		status   int
		contains string
	}{
		{"401", webMessage(401, "Unauthorized"), KindUnauthorized, 401, "check the username and password"},
		{"401 locked", webMessage(401, "Account locked"), KindUnauthorized, 401, "Account locked"},
		{"403", webMessage(403, "You don't have the proper permissions to read objects of this type."), KindForbidden, 403, "authority"},
		{"404", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 404, map[string]any{"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR",
				"message": "DataElement with id x could not be found.", "errorCode": "E1005"})
		}, KindNotFound, 404, "[E1005]"},
		{"302 to login", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/dhis-web-commons/security/login.action", http.StatusFound)
		}, KindLoginRedirect, 302, "login page"},
		{"200 with HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>DHIS 2</title></head><body>Login</body></html>"))
		}, KindLoginRedirect, 200, "check the base URL"},
		{"200 HTML without content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("\n  <html><body>proxy error</body></html>"))
		}, KindLoginRedirect, 200, "HTML"},
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"version": "2.40.1", "revision": `))
		}, KindMalformed, 200, "not the JSON DHIS2 sends"},
		{"JSON without version", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"hello": "world"})
		}, KindMalformed, 0, "no version"},
		{"400", webMessage(400, "Invalid filter"), KindBadRequest, 400, "Invalid filter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := handlerServer(t, tc.handler)
			c, _ := testClient(t, srv.URL)
			_, err := c.SystemInfo(context.Background())
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if !errors.Is(err, tc.kind) || e.HTTPStatus != tc.status {
				t.Fatalf("kind %v status %d, want %v %d: %v", e.Kind, e.HTTPStatus, tc.kind, tc.status, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("message %q does not contain %q", err.Error(), tc.contains)
			}
			if strings.Contains(err.Error(), "district") || strings.Contains(err.Error(), "Basic ") {
				t.Errorf("message leaks credentials: %q", err.Error())
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, delays := testClient(t, "http://"+addr)
	_, err = c.SystemInfo(context.Background())
	if !errors.Is(err, KindUnreachable) || !strings.Contains(err.Error(), "reachable") {
		t.Fatalf("err = %v", err)
	}
	if len(*delays) != 2 {
		t.Errorf("%d retries of a read, want 2", len(*delays))
	}
}

func TestTLSSelfSigned(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"version": "2.40.1"})
	}))
	t.Cleanup(srv.Close)
	c, delays := testClient(t, srv.URL)
	_, err := c.SystemInfo(context.Background())
	if !errors.Is(err, KindTLS) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v", err)
	}
	if len(*delays) != 0 {
		t.Errorf("TLS failures are not retried, got %d retries", len(*delays))
	}
	insecure, _ := testClient(t, srv.URL, func(o *Options) { o.InsecureSkipVerify = true })
	info, err := insecure.SystemInfo(context.Background())
	if err != nil || info.Version.Minor != 40 {
		t.Fatalf("with verification disabled: %v %+v", err, info)
	}
}

func TestServerErrorThenSuccessIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			writeJSON(w, 500, map[string]any{"httpStatusCode": 500, "status": "ERROR", "message": "could not extract ResultSet"})
			return
		}
		writeJSON(w, 200, map[string]any{"version": "2.39.1.1"})
	})
	c, delays := testClient(t, srv.URL)
	info, err := c.SystemInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != (Version{Major: 2, Minor: 39, Patch: 1, Hotfix: 1}) || calls.Load() != 2 || len(*delays) != 1 {
		t.Fatalf("version %v after %d calls, %d delays", info.Version, calls.Load(), len(*delays))
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int32
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			writeJSON(w, 429, map[string]any{"httpStatusCode": 429, "status": "ERROR", "message": "Too many requests"})
			return
		}
		writeJSON(w, 200, map[string]any{"version": "2.41.0"})
	})
	c, delays := testClient(t, srv.URL)
	if _, err := c.SystemInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(*delays) != 1 || (*delays)[0] != 7*time.Second {
		t.Fatalf("delays %v, want [7s]", *delays)
	}
}

func TestServerErrorOnNonIdempotentWriteIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 503, map[string]any{"httpStatusCode": 503, "status": "ERROR", "message": "down"})
	})
	c, _ := testClient(t, srv.URL)
	_, err := c.ImportMetadata(context.Background(), `{"dataElements":[]}`, MetadataImportParams{ImportStrategy: "CREATE"})
	if !errors.Is(err, KindServer) || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
	_, err = c.ImportMetadata(context.Background(), `{"dataElements":[]}`, MetadataImportParams{})
	if !errors.Is(err, KindServer) || calls.Load() != 4 {
		t.Fatalf("idempotent import: err %v after %d calls, want 3 more", err, calls.Load())
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c, _ := testClient(t, srv.URL, func(o *Options) {
		o.Timeouts.Request = 20 * time.Millisecond
		o.Retry.MaxAttempts = 1
	})
	_, err := c.SystemInfo(context.Background())
	if !errors.Is(err, KindTimeout) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("timeout: err = %v", err)
	}

	c2, _ := testClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err = c2.SystemInfo(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: err = %v", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Fatalf("cancellation reported as %v", e.Kind)
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"pager":{"page":1,"pageCount":1},"dataElements":[{"id":"a"},`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c, _ := testClient(t, srv.URL, func(o *Options) { o.Timeouts.StreamIdle = 20 * time.Millisecond })
	var got int
	var err error
	for _, e := range c.ListObjects(context.Background(), "dataElements", ListQuery{}) {
		if e != nil {
			err = e
			break
		}
		got++
	}
	if got != 1 || !errors.Is(err, KindTimeout) {
		t.Fatalf("got %d items, err %v", got, err)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	cases := []struct {
		url      string
		auth     Auth
		wantBase string
		wantErr  string
	}{
		{"https://dhis2.example.org/api/", Auth{Username: "a", Password: "b"}, "https://dhis2.example.org", ""},
		{"https://dhis2.example.org/dhis/api/40/", Auth{Token: "d2pat_x"}, "https://dhis2.example.org/dhis", ""},
		{"  https://Dhis2.Example.org//  ", Auth{Username: "a"}, "https://dhis2.example.org", ""},
		{"http://localhost:8080/dhis", Auth{Username: "a"}, "http://localhost:8080/dhis", ""},
		{"dhis2.example.org", Auth{Username: "a"}, "", "no scheme"},
		{"ftp://dhis2.example.org", Auth{Username: "a"}, "", "only http and https"},
		{"https://admin:district@dhis2.example.org", Auth{Username: "a"}, "", "contains credentials"},
		{"https://dhis2.example.org/?x=1", Auth{Username: "a"}, "", "query"},
		{"", Auth{Username: "a"}, "", "empty"},
		{"https://dhis2.example.org", Auth{}, "", "no credentials"},
		{"https://dhis2.example.org", Auth{Username: "a", Token: "d2pat_x"}, "", "use one of them"},
	}
	for _, tc := range cases {
		c, err := New(Options{BaseURL: tc.url, Auth: tc.auth})
		switch {
		case tc.wantErr != "":
			if !errors.Is(err, KindInvalidInput) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v, want %q", tc.url, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.url, err)
		case c.BaseURL() != tc.wantBase:
			t.Errorf("%q: base %q, want %q", tc.url, c.BaseURL(), tc.wantBase)
		}
	}
}

func TestHeadersSent(t *testing.T) {
	var got http.Header
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		writeJSON(w, 200, map[string]any{"version": "2.40.1"})
	})
	c, _ := testClient(t, srv.URL+"/api", func(o *Options) { o.Auth = Auth{Token: "d2pat_abc123"} })
	if _, err := c.SystemInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "ApiToken d2pat_abc123" || got.Get("User-Agent") != "dhis2sync/"+ClientVersion ||
		got.Get("Accept-Encoding") != "gzip" {
		t.Fatalf("headers %v", got)
	}
}
