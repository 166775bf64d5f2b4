package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// hostileDHIS2 serves the answers of broken, hostile or foreign servers at /api/system/info, one per path
// prefix: /<case>/api/system/info. Every other path is DHIS2's 404.
func hostileDHIS2(t *testing.T) *httptest.Server {
	systemInfo := func(version string) string {
		return `{"version":"` + version + `","revision":"abc1234","serverDate":"2026-01-01T00:00:00.000","systemName":"Hostile"}`
	}
	var srv *httptest.Server
	handlers := map[string]http.HandlerFunc{
		"ok": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, systemInfo("2.41.1"))
		},
		"login-page": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			io.WriteString(w, `<!DOCTYPE html><html><head><title>DHIS 2</title></head><body><form action="/dhis-web-commons-security/login.action">`)
		},
		"truncated": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"version":"2.41.1","revision":"ab`)
		},
		"huge": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"version":"2.41.1","padding":"`)
			chunk := strings.Repeat("x", 1<<20)
			for range 50 {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `"}`)
		},
		"xml": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, `<?xml version="1.0"?><systemInfo><version>2.41.1</version></systemInfo>`)
		},
		"plain": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "OK")
		},
		"endless": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"version":"2.41.1","padding":"`)
			chunk := strings.Repeat("y", 64<<10)
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		},
		"drip": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for _, b := range []byte(systemInfo("2.41.1")) {
				if _, err := w.Write([]byte{b}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		},
		"old": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, systemInfo("2.35.14"))
		},
		"not-dhis2": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"UP","components":{"db":{"status":"UP"}}}`)
		},
		"expired-token": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Invalid token: expired"}`)
		},
		"locked": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Account locked"}`)
		},
		"redirect-loop": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/redirect-loop/api/system/info?n="+fmt.Sprint(time.Now().UnixNano()), http.StatusFound)
		},
		"server-error": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		},
	}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if h, ok := handlers[name]; ok && rest == "api/system/info" {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"httpStatus":"Not Found","httpStatusCode":404,"status":"ERROR","message":"Not found"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// apiFailure runs a REST call that must fail and returns the gateway's status and its whole answer (message
// and field violations) as one text to search.
func apiFailure(ctx context.Context, t *testing.T, c *apiclient.Client, method, path string, body any) (int, string) {
	t.Helper()
	err := c.Do(ctx, method, path, body, nil)
	var apiErr *apiclient.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s %s: want a gateway error, got %v", method, path, err)
	}
	text := apiErr.Message
	for _, v := range apiErr.Violations {
		text += " " + v.Field + ": " + v.Description
	}
	return apiErr.HTTPStatus, text
}

// TestBadInputThroughREST is the catalogue of bad input: URLs, credentials, configurations and hostile DHIS2
// answers, each sent through the real gateway, registry and config service. Each must get the right status
// and a message that says what to do; nothing registered before may be lost, and the services must stay up.
func TestBadInputThroughREST(t *testing.T) {
	// Connection tests give up on a silent server after 3 s instead of 30 s (the slow-drip case).
	t.Setenv("DHIS2SYNC_DHIS2_REQUEST_TIMEOUT", "3s")
	st := Start(t, "instance-registry", "config", "gateway")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := st.Client(ctx)
	hostile := hostileDHIS2(t)

	instance := func(name, baseURL string, extra map[string]any) map[string]any {
		m := map[string]any{"name": name, "baseUrl": baseURL, "username": "sync", "password": "Secr3t-pw", "isSource": true, "isDestination": true}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	create := func(t *testing.T, body map[string]any) *instancev1.Instance {
		t.Helper()
		out := &instancev1.Instance{}
		if err := c.Do(ctx, http.MethodPost, "/api/v1/instances", body, out); err != nil {
			t.Fatalf("create %v: %v", body["baseUrl"], err)
		}
		return out
	}
	// Two instances that must survive everything below, and that configurations refer to.
	src := create(t, instance("Kept source", hostile.URL+"/ok", nil))
	dst := create(t, instance("Kept destination", hostile.URL+"/ok/", nil))

	// URLs and credentials refused at registration: 400 naming the field, with what to do.
	refused := []struct {
		name  string
		body  map[string]any
		field string
		says  string
	}{
		{"URL without scheme", instance("u1", "hmis.example.org", nil), "baseUrl", "https://hmis.example.org"},
		{"ftp URL", instance("u2", "ftp://hmis.example.org", nil), "baseUrl", "only http and https"},
		{"URL with spaces", instance("u3", "https://hmis example.org", nil), "baseUrl", "not a valid URL"},
		{"URL with user info", instance("u4", "https://sync:Secr3t-pw@hmis.example.org", nil), "baseUrl", "remove them from the URL"},
		{"URL with a query", instance("u5", "https://hmis.example.org/?password=x", nil), "baseUrl", "only the address"},
		{"empty URL", instance("u6", "", nil), "baseUrl", ""},
		{"javascript URL", instance("u7", "javascript:alert(1)", nil), "baseUrl", ""},
		{"URL without host", instance("u8", "https:///api", nil), "baseUrl", ""},
		{"no credentials", instance("c1", "https://hmis.example.org", map[string]any{"username": nil, "password": nil}), "", "password"},
		{"token and password", instance("c2", "https://hmis.example.org", map[string]any{"token": "d2pat_abcdefghijklmnopqrstuvwxyz0123456"}), "", "token"},
		{"no name", instance("", "https://hmis.example.org", nil), "name", ""},
		{"unknown field", instance("f1", "https://hmis.example.org", map[string]any{"passwd": "x"}), "", "passwd"},
	}
	for _, tc := range refused {
		t.Run("instance/"+tc.name, func(t *testing.T) {
			status, msg := apiFailure(ctx, t, c, http.MethodPost, "/api/v1/instances", tc.body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d (%s), want 400", status, msg)
			}
			if !strings.Contains(msg, tc.field) || !strings.Contains(msg, tc.says) {
				t.Errorf("answer %q does not name %q and say %q", msg, tc.field, tc.says)
			}
			if strings.Contains(msg, "Secr3t-pw") {
				t.Errorf("the answer echoes the password: %s", msg)
			}
		})
	}

	// URLs accepted and normalised.
	t.Run("instance/trailing /api", func(t *testing.T) {
		if in := create(t, instance("a1", hostile.URL+"/ok/api/", nil)); in.GetBaseUrl() != hostile.URL+"/ok" {
			t.Errorf("stored %q", in.GetBaseUrl())
		}
	})
	t.Run("instance/IPv6 literal", func(t *testing.T) {
		l, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		v6 := httptest.NewUnstartedServer(hostile.Config.Handler)
		v6.Listener.Close()
		v6.Listener = l
		v6.Start()
		defer v6.Close()
		in := create(t, instance("a2", v6.URL+"/ok", nil))
		res, err := c.TestInstance(ctx, in.GetId())
		if err != nil || !res.GetOk() || res.GetVersion() != "2.41.1" {
			t.Errorf("test over IPv6: %v %v", res, err)
		}
	})

	// Answers of servers that are not (or not quite) DHIS2: the connection test reports them, with advice.
	answers := []struct {
		name   string
		path   string
		status instancev1.ConnectionStatus
		says   string
	}{
		{"HTML login page", "/login-page", instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT, "check the base URL"},
		{"truncated JSON", "/truncated", instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "check that the base URL points at the DHIS2"},
		{"50 MB body", "/huge", instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "exceeds"},
		{"XML content type", "/xml", instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT, "base URL"},
		{"plain text", "/plain", instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "base URL"},
		{"endless stream", "/endless", instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "exceeds"},
		{"slow drip", "/drip", instancev1.ConnectionStatus_CONNECTION_STATUS_TIMEOUT, "did not answer in time"},
		{"DHIS2 2.35", "/old", instancev1.ConnectionStatus_CONNECTION_STATUS_UNSUPPORTED_VERSION, "2.36 to 2.42"},
		{"non-DHIS2 JSON server", "/not-dhis2", instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "not like DHIS2"},
		{"nothing at the path", "/nothing", instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "base URL"},
		{"expired token", "/expired-token", instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED, "tokens expire"},
		{"locked account", "/locked", instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED, "Account locked"},
		{"redirect loop", "/redirect-loop", instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "redirects in a loop"},
		{"proxy error page", "/server-error", instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR, "502"},
		{"nobody listening", "", instancev1.ConnectionStatus_CONNECTION_STATUS_UNREACHABLE, "check the base URL"},
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, tc := range answers {
		t.Run("answer/"+tc.name, func(t *testing.T) {
			base := hostile.URL + tc.path
			if tc.path == "" {
				base = deadURL
			}
			extra := map[string]any(nil)
			if tc.name == "expired token" {
				extra = map[string]any{"username": nil, "password": nil, "token": "d2pat_expiredexpiredexpiredexpired0123"}
			}
			in := create(t, instance("h "+tc.name, base, extra))
			start := time.Now()
			res, err := c.TestInstance(ctx, in.GetId())
			if err != nil {
				t.Fatalf("the connection test itself failed (it must report, not fail): %v", err)
			}
			if res.GetOk() || res.GetStatus() != tc.status || !strings.Contains(res.GetMessage(), tc.says) {
				t.Errorf("ok %v, status %s, message %q; want %s saying %q", res.GetOk(), res.GetStatus(), res.GetMessage(), tc.status, tc.says)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("the test took %s", d)
			}
		})
	}

	// Configurations refused: 400 naming the field.
	cfg := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "Nightly", "sourceInstanceId": src.GetId(), "destinationInstanceIds": []string{dst.GetId()}, "syncType": "SYNC_TYPE_METADATA"}
		change(m)
		return m
	}
	configs := []struct {
		name  string
		body  map[string]any
		field string
		says  string
	}{
		{"no name", cfg(func(m map[string]any) { m["name"] = "" }), "name", "is required"},
		{"name too long", cfg(func(m map[string]any) { m["name"] = strings.Repeat("n", 101) }), "name", "at most 100"},
		{"unknown source", cfg(func(m map[string]any) { m["sourceInstanceId"] = "0190c0de-0000-7000-8000-0000000000ff" }), "sourceInstanceId", "register it"},
		{"source not an id", cfg(func(m map[string]any) { m["sourceInstanceId"] = "hmis" }), "sourceInstanceId", "UUID"},
		{"copy onto itself", cfg(func(m map[string]any) { m["destinationInstanceIds"] = []string{src.GetId()} }), "destinationInstanceIds[0]", "onto itself"},
		{"no destination", cfg(func(m map[string]any) { delete(m, "destinationInstanceIds") }), "destinationInstanceIds", "at least one"},
		{"51 destinations", cfg(func(m map[string]any) {
			var ids []string
			for i := range 51 {
				ids = append(ids, fmt.Sprintf("0190c0de-0000-7000-9000-%012d", i))
			}
			m["destinationInstanceIds"] = ids
		}), "destinationInstanceIds", "50"},
		{"no sync type", cfg(func(m map[string]any) { delete(m, "syncType") }), "syncType", "SYNC_TYPE_COMPLETE"},
		{"delete in a combined sync", cfg(func(m map[string]any) {
			m["syncType"], m["importStrategy"] = "SYNC_TYPE_COMPLETE", "IMPORT_STRATEGY_DELETE"
		}), "importStrategy", ""},
		{"scheduled without cron", cfg(func(m map[string]any) { m["executionMode"] = "EXECUTION_MODE_SCHEDULED" }), "schedule.cron", "0 2 * * *"},
		{"end before start", cfg(func(m map[string]any) {
			m["filters"] = map[string]any{"startDate": "2024-03-01", "endDate": "2024-02-01"}
		}), "filters", "start"},
		{"relative period", cfg(func(m map[string]any) { m["filters"] = map[string]any{"periods": []string{"LAST_12_MONTHS"}} }), "filters.periods[0]", "fixed periods"},
		{"org unit not a UID", cfg(func(m map[string]any) { m["filters"] = map[string]any{"orgUnitIds": []string{"1nvalid"}} }), "filters.orgUnitIds[0]", "UID"},
		{"absurd page size", cfg(func(m map[string]any) { m["sizes"] = map[string]any{"pageSize": 1_000_000_000} }), "sizes.pageSize", "10 to 100000"},
		{"absurd requests in flight", cfg(func(m map[string]any) { m["sizes"] = map[string]any{"maxInFlight": 10_000} }), "sizes.maxInFlight", "1 to 16"},
		{"deletion share over 100", cfg(func(m map[string]any) { m["deletion"] = map[string]any{"propagate": true, "maxSharePercent": 1000} }), "deletion.maxSharePercent", "1 to 100"},
		{"unknown enum", cfg(func(m map[string]any) { m["syncType"] = "SYNC_TYPE_EVERYTHING" }), "", "SYNC_TYPE_EVERYTHING"},
	}
	for _, tc := range configs {
		t.Run("config/"+tc.name, func(t *testing.T) {
			status, msg := apiFailure(ctx, t, c, http.MethodPost, "/api/v1/configs", tc.body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d (%s), want 400", status, msg)
			}
			if !strings.Contains(msg, tc.field) || !strings.Contains(msg, tc.says) {
				t.Errorf("answer %q does not name %q and say %q", msg, tc.field, tc.says)
			}
		})
	}
	t.Run("config/unknown id", func(t *testing.T) {
		status, msg := apiFailure(ctx, t, c, http.MethodGet, "/api/v1/configs/0190c0de-0000-7000-8000-0000000000ff", nil)
		if status != http.StatusNotFound || msg == "" {
			t.Errorf("status %d (%s), want 404", status, msg)
		}
	})
	t.Run("config/not JSON", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.GatewayURL+"/api/v1/configs", strings.NewReader(`{"name":`))
		req.Header.Set("Authorization", "Bearer "+c.Token())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != http.StatusBadRequest || e.Message == "" {
			t.Errorf("status %d (%q), want 400 with a message", resp.StatusCode, e.Message)
		}
	})

	// Nothing was lost: the instances registered first are still there, and the configuration they make works.
	list, err := c.ListInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, in := range list {
		if in.GetId() == src.GetId() || in.GetId() == dst.GetId() {
			found++
		}
	}
	if found != 2 {
		t.Errorf("%d of the 2 instances registered first are left", found)
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/configs", cfg(func(map[string]any) {}), nil); err != nil {
		t.Errorf("a valid configuration is refused after the bad input: %v", err)
	}
}
