package instanceregistry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
)

// fakeDHIS2 answers /api/system/info (under prefix) like DHIS2 of the given version, for admin/district or
// validToken, and 401 otherwise (dhis2-core FormLoginBasicAuthenticationEntryPoint).
func fakeDHIS2(prefix, version string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/api/system/info", func(w http.ResponseWriter, r *http.Request) {
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:district"))
		if h := r.Header.Get("Authorization"); h != basic && h != "ApiToken "+validToken {
			writeJSONResponse(w, http.StatusUnauthorized, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}`)
			return
		}
		writeJSONResponse(w, http.StatusOK, fmt.Sprintf(`{"contextPath":"http://%s%s","calendar":"iso8601",
			"serverDate":"2024-05-02T10:11:12.345","serverTimeZoneId":"Africa/Freetown","version":%q,
			"revision":"d2f6f5e","buildTime":"2024-03-01T00:00:00.000","systemId":"eed3d451-4ff5-4193-b951-ffcc68954299",
			"systemName":"Sierra Leone HMIS"}`, r.Host, prefix, version))
	})
	return mux
}

func writeJSONResponse(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func TestTestConnection(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dhis241 := serve(t, fakeDHIS2("", "2.41.1"))
	tlsServer := httptest.NewUnstartedServer(fakeDHIS2("", "2.40.3"))
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point of the test
	tlsServer.StartTLS()
	t.Cleanup(tlsServer.Close)
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	release := make(chan struct{})
	stalled := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	status := func(code int, body string) string {
		return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSONResponse(w, code, body) }))
	}

	type creds struct{ user, pass, token string }
	admin := creds{user: "admin", pass: "district"}
	tests := []struct {
		name     string
		baseURL  string
		creds    creds
		insecure bool
		want     instancev1.ConnectionStatus
		version  string
		message  string // a part of the message that says what is wrong
	}{
		{"DHIS2 2.41.1", dhis241, admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_OK, "2.41.1", ""},
		{"context path and /api suffix", serve(t, fakeDHIS2("/hmis", "2.39.1")) + "/hmis/api/", admin, false,
			instancev1.ConnectionStatus_CONNECTION_STATUS_OK, "2.39.1", ""},
		{"personal access token", dhis241, creds{token: validToken}, false, instancev1.ConnectionStatus_CONNECTION_STATUS_OK, "2.41.1", ""},
		{"wrong password", dhis241, creds{user: "admin", pass: "wrong"}, false,
			instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED, "", "credentials"},
		{"connection refused", refused, admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_UNREACHABLE, "", "refused"},
		{"untrusted certificate", tlsServer.URL, admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_TLS_ERROR, "", "certificate"},
		{"untrusted certificate, verification disabled", tlsServer.URL, admin, true,
			instancev1.ConnectionStatus_CONNECTION_STATUS_OK, "2.40.3", ""},
		{"401", status(401, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Account locked"}`), admin, false,
			instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED, "", "Account locked"},
		{"403", status(403, `{"httpStatus":"Forbidden","httpStatusCode":403,"status":"ERROR","message":"Access is denied"}`), admin, false,
			instancev1.ConnectionStatus_CONNECTION_STATUS_FORBIDDEN, "", "authority"},
		{"302 to the login page", serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "login.action") {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<!DOCTYPE html><html><body><form>login</form></body></html>"))
				return
			}
			http.Redirect(w, r, "/dhis-web-commons/security/login.action", http.StatusFound)
		})), admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT, "", "login.action"},
		{"HTML page with 200", serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html><head><title>Welcome to nginx!</title></head></html>"))
		})), admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT, "", "HTML"},
		{"JSON server that is not DHIS2", status(200, `{"status":"UP","components":{"db":{"status":"UP"}}}`), admin, false,
			instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "", "not like DHIS2"},
		{"404", status(404, `{"error":"no route"}`), admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, "", "base URL"},
		{"DHIS2 2.35", serve(t, fakeDHIS2("", "2.35.4")), admin, false,
			instancev1.ConnectionStatus_CONNECTION_STATUS_UNSUPPORTED_VERSION, "2.35.4", "2.36"},
		{"server error", status(500, `{"httpStatus":"Internal Server Error","httpStatusCode":500,"status":"ERROR","message":"NullPointerException"}`),
			admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR, "", "NullPointerException"},
		{"no answer", stalled, admin, false, instancev1.ConnectionStatus_CONNECTION_STATUS_TIMEOUT, "", "in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := e.create(t, &instancev1.CreateInstanceRequest{Name: tt.name, BaseUrl: tt.baseURL,
				Username: tt.creds.user, Password: tt.creds.pass, Token: tt.creds.token, InsecureSkipVerify: tt.insecure})
			sub, err := e.nc.SubscribeSync(natsx.InstanceEventSubject(in.GetId()))
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe() //nolint:errcheck

			resp, err := e.client.TestConnection(t.Context(), &instancev1.TestConnectionRequest{Id: in.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			ok := tt.want == instancev1.ConnectionStatus_CONNECTION_STATUS_OK
			if resp.GetStatus() != tt.want || resp.GetOk() != ok {
				t.Fatalf("status = %v ok=%v (%s), want %v", resp.GetStatus(), resp.GetOk(), resp.GetMessage(), tt.want)
			}
			if ok != (resp.GetMessage() == "") || !strings.Contains(resp.GetMessage(), tt.message) {
				t.Errorf("message = %q, want one containing %q", resp.GetMessage(), tt.message)
			}
			if resp.GetVersion() != tt.version {
				t.Errorf("version = %q, want %q", resp.GetVersion(), tt.version)
			}
			if tt.version != "" && tt.baseURL == dhis241 && (resp.GetRevision() != "d2f6f5e" || resp.GetSystemName() != "Sierra Leone HMIS" ||
				resp.GetServerTimeZone() != "Africa/Freetown" || !strings.HasPrefix(resp.GetServerDate(), "2024-05-02T10:11:12.345")) {
				t.Errorf("system info not reported: %v", resp)
			}

			got, err := e.client.GetInstance(t.Context(), &instancev1.GetInstanceRequest{Id: in.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			stored := got.GetInstance()
			if !proto.Equal(stored, resp.GetInstance()) {
				t.Errorf("response instance %v differs from the stored one %v", resp.GetInstance(), stored)
			}
			if stored.GetConnectionStatus() != tt.want || stored.GetConnectionMessage() != resp.GetMessage() ||
				stored.GetVersion() != tt.version || stored.GetRevision() != resp.GetRevision() ||
				stored.GetSystemName() != resp.GetSystemName() || stored.GetServerTimeZone() != resp.GetServerTimeZone() ||
				stored.GetLastConnectionTest() == nil {
				t.Errorf("stored instance does not record the test: %v", stored)
			}

			ev := nextEvent(t, sub)
			if ev.InstanceID != in.GetId() || ev.Name != tt.name || ev.Status != tt.want.String() ||
				ev.Version != tt.version || ev.Message != resp.GetMessage() ||
				!ev.Time.Equal(stored.GetLastConnectionTest().AsTime()) {
				t.Errorf("event = %+v, want the outcome of the test", ev)
			}
		})
	}
}

func TestFailedTestKeepsLastVersion(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	up := httptest.NewServer(fakeDHIS2("", "2.41.1"))
	in := e.create(t, &instancev1.CreateInstanceRequest{Name: "a", BaseUrl: up.URL, Username: "admin", Password: "district"})
	if r, err := e.client.TestConnection(t.Context(), &instancev1.TestConnectionRequest{Id: in.GetId()}); err != nil || !r.GetOk() {
		t.Fatalf("first test: %v, %v", r, err)
	}
	up.Close()
	r, err := e.client.TestConnection(t.Context(), &instancev1.TestConnectionRequest{Id: in.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetStatus() != instancev1.ConnectionStatus_CONNECTION_STATUS_UNREACHABLE || r.GetInstance().GetVersion() != "2.41.1" {
		t.Fatalf("after the server went away: status %v, stored version %q", r.GetStatus(), r.GetInstance().GetVersion())
	}
	c, err := e.client.GetCredentials(t.Context(), &instancev1.GetCredentialsRequest{Id: in.GetId()})
	if err != nil || c.GetVersion() != "2.41.1" {
		t.Fatalf("credentials carry version %q, %v", c.GetVersion(), err)
	}
}

func TestPeriodicCheckPublishes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dhis2URL := serve(t, fakeDHIS2("", "2.41.1"))
	active := e.create(t, &instancev1.CreateInstanceRequest{Name: "active", BaseUrl: dhis2URL, Username: "admin", Password: "district"})
	failing := e.create(t, &instancev1.CreateInstanceRequest{Name: "failing", BaseUrl: dhis2URL, Username: "admin", Password: "wrong"})
	inactive := e.create(t, &instancev1.CreateInstanceRequest{Name: "inactive", BaseUrl: dhis2URL, Token: validToken, Active: proto.Bool(false)})

	sub, err := e.nc.SubscribeSync("dhis2sync.event.instance.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe() //nolint:errcheck

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { e.srv.RunHealthChecks(ctx, 20*time.Millisecond); close(done) }()

	// Two rounds: each active instance is tested repeatedly, the inactive one never.
	seen := map[string]int{}
	var okEvent InstanceEvent
	for seen[active.GetId()] < 2 || seen[failing.GetId()] < 2 {
		ev := nextEvent(t, sub)
		if ev.InstanceID == inactive.GetId() {
			t.Fatalf("inactive instance tested: %+v", ev)
		}
		if ev.InstanceID == active.GetId() {
			okEvent = ev
		} else if ev.Status != instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED.String() || ev.Name != "failing" {
			t.Fatalf("failing instance event: %+v", ev)
		}
		seen[ev.InstanceID]++
	}
	cancel()
	<-done
	if okEvent.Name != "active" || okEvent.Status != "CONNECTION_STATUS_OK" || okEvent.Version != "2.41.1" ||
		okEvent.Message != "" || okEvent.Time.IsZero() {
		t.Fatalf("event of the active instance: %+v", okEvent)
	}
	got, err := e.client.GetInstance(t.Context(), &instancev1.GetInstanceRequest{Id: inactive.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetInstance().GetLastConnectionTest() != nil || got.GetInstance().GetConnectionStatus() != instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN {
		t.Fatalf("inactive instance was tested: %v", got.GetInstance())
	}
}

func TestAgainstSimulator(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, version := range []string{"2.36.13", "2.39.1", "2.42.0"} {
		t.Run(version, func(t *testing.T) {
			_, ts := dhis2sim.NewTestServer(t, dhis2sim.Options{Version: version})
			in := e.create(t, &instancev1.CreateInstanceRequest{Name: "sim " + version, BaseUrl: ts.URL, Username: "admin", Password: "district"})
			r, err := e.client.TestConnection(t.Context(), &instancev1.TestConnectionRequest{Id: in.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if !r.GetOk() || r.GetVersion() != version || r.GetRevision() == "" || r.GetServerTimeZone() == "" || r.GetServerDate() == "" {
				t.Fatalf("simulator %s: %v", version, r)
			}
			bad, err := e.client.UpdateInstance(t.Context(), &instancev1.UpdateInstanceRequest{Id: in.GetId(), Password: proto.String("wrong")})
			if err != nil {
				t.Fatal(err)
			}
			r, err = e.client.TestConnection(t.Context(), &instancev1.TestConnectionRequest{Id: bad.GetInstance().GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if r.GetStatus() != instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED {
				t.Fatalf("wrong password against the simulator: %v", r)
			}
		})
	}
}

// nextEvent waits for the next instance event on sub.
func nextEvent(t *testing.T, sub *nats.Subscription) InstanceEvent {
	t.Helper()
	msg, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no instance event: %v", err)
	}
	var ev InstanceEvent
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		t.Fatalf("event %s: %v", msg.Data, err)
	}
	if want := natsx.InstanceEventSubject(ev.InstanceID); msg.Subject != want {
		t.Fatalf("event on %s, want %s", msg.Subject, want)
	}
	return ev
}
