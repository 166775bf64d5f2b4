package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// fakeDHIS2 answers /api/system/info like a DHIS2 2.40 server for one basic-auth account.
func fakeDHIS2(t *testing.T, user, password string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}`)
			return
		}
		if r.URL.Path != "/api/system/info" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		io.WriteString(w, `{"contextPath":"http://`+r.Host+`","userAgent":"Go","calendar":"iso8601","dateFormat":"yyyy-mm-dd",`+
			`"serverDate":"2026-11-29T10:11:12.345","serverTimeZoneId":"Africa/Abidjan","serverTimeZoneDisplayName":"Greenwich Mean Time",`+
			`"version":"2.40.3","revision":"a1b2c3d","buildTime":"2024-02-01T10:00:00.000","systemId":"eed3d451-4ff5-4193-b951-ffcc68954299",`+
			`"systemName":"Ministry HMIS","isMetadataVersionEnabled":false,"metadataSyncEnabled":false}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestInstanceRegistryThroughREST starts the real registry and gateway binaries against real PostgreSQL and
// NATS, signs in, registers an instance, tests it, and checks that its secret never comes back and is not
// stored in clear text.
func TestInstanceRegistryThroughREST(t *testing.T) {
	st := Start(t, "instance-registry", "gateway")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const secret, wrongSecret = "Distr1ct-S3cret-Pw", "Wr0ng-S3cret-Pw"
	dhis := fakeDHIS2(t, "sync", secret)

	anon := apiclient.New(st.GatewayURL, nil)
	var apiErr *apiclient.Error
	if _, err := anon.ListInstances(ctx); !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusUnauthorized {
		t.Fatalf("list without a token: want 401, got %v", err)
	}

	c := st.Client(ctx)
	raw := &recorder{Client: c}
	created := &instancev1.Instance{}
	if err := raw.do(ctx, http.MethodPost, "/api/v1/instances", map[string]any{
		"name": "National HMIS", "baseUrl": dhis.URL + "/api/", "username": "sync", "password": secret, "isSource": true,
	}, created); err != nil {
		t.Fatalf("create instance: %v", err)
	}
	if created.GetBaseUrl() != dhis.URL {
		t.Errorf("base URL not normalised: %q", created.GetBaseUrl())
	}
	if !created.GetActive() || !created.GetIsSource() || created.GetIsDestination() {
		t.Errorf("roles/active not as created: %+v", created)
	}

	test := &instancev1.TestConnectionResponse{}
	if err := raw.do(ctx, http.MethodPost, "/api/v1/instances/"+created.GetId()+":test", struct{}{}, test); err != nil {
		t.Fatalf("test connection: %v", err)
	}
	if !test.GetOk() || test.GetVersion() != "2.40.3" || test.GetSystemName() != "Ministry HMIS" {
		t.Fatalf("test connection: %+v", test)
	}

	got := &instancev1.Instance{}
	if err := raw.do(ctx, http.MethodGet, "/api/v1/instances/"+created.GetId(), nil, got); err != nil {
		t.Fatal(err)
	}
	if got.GetVersion() != "2.40.3" || got.GetRevision() != "a1b2c3d" ||
		got.GetConnectionStatus() != instancev1.ConnectionStatus_CONNECTION_STATUS_OK || got.GetLastConnectionTest() == nil {
		t.Errorf("instance after test: %+v", got)
	}
	if err := raw.do(ctx, http.MethodGet, "/api/v1/instances", nil, &instancev1.ListInstancesResponse{}); err != nil {
		t.Fatal(err)
	}

	// A wrong password is reported as such, and changes nothing else.
	if err := raw.do(ctx, http.MethodPatch, "/api/v1/instances/"+created.GetId(), map[string]any{"password": wrongSecret}, &instancev1.Instance{}); err != nil {
		t.Fatalf("update password: %v", err)
	}
	bad := &instancev1.TestConnectionResponse{}
	if err := raw.do(ctx, http.MethodPost, "/api/v1/instances/"+created.GetId()+":test", struct{}{}, bad); err != nil {
		t.Fatal(err)
	}
	if bad.GetOk() || bad.GetStatus() != instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED || bad.GetMessage() == "" {
		t.Errorf("test with a wrong password: %+v", bad)
	}

	for _, body := range raw.bodies {
		if strings.Contains(body, secret) || strings.Contains(body, wrongSecret) || strings.Contains(body, `"password"`) {
			t.Errorf("a response carries the secret: %s", body)
		}
	}
	db, err := sqlx.Connect("postgres", st.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'registry'`); err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no tables in schema registry")
	}
	for _, tbl := range tables {
		var rows []string
		if err := db.SelectContext(ctx, &rows, fmt.Sprintf(`SELECT t::text FROM registry.%q t`, tbl)); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if strings.Contains(r, secret) || strings.Contains(r, wrongSecret) {
				t.Errorf("table registry.%s stores a secret in clear text: %s", tbl, r)
			}
		}
	}

	// A viewer may read but not write.
	if err := c.Do(ctx, http.MethodPost, "/api/v1/users", map[string]any{"username": "viewer1", "password": "viewer-pass-123", "role": "ROLE_VIEWER"}, nil); err != nil {
		t.Fatalf("create viewer: %v", err)
	}
	viewer, err := apiclient.New(st.GatewayURL, nil).SignIn(ctx, "viewer1", "viewer-pass-123")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viewer.ListInstances(ctx); err != nil {
		t.Errorf("viewer list: %v", err)
	}
	_, err = viewer.CreateInstance(ctx, &instancev1.CreateInstanceRequest{Name: "x", BaseUrl: dhis.URL, Username: "a", Password: "b"})
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusForbidden {
		t.Errorf("viewer create: want 403, got %v", err)
	}
}

// recorder keeps every response body so the test can check that no secret ever comes back.
type recorder struct {
	*apiclient.Client
	bodies []string
}

func (r *recorder) do(ctx context.Context, method, path string, in, out any) error {
	var raw json.RawMessage
	if err := r.Client.Do(ctx, method, path, in, &raw); err != nil {
		return err
	}
	r.bodies = append(r.bodies, string(raw))
	if out == nil {
		return nil
	}
	return unmarshal(raw, out)
}
