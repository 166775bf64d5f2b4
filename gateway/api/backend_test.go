package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestUnavailableServiceIs503(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{orchestratorDown: true})
	admin := e.login(adminUser, adminPassword)
	for _, path := range []string{"/api/v1/jobs", "/api/v1/jobs/job-1/events"} {
		r := e.call(http.MethodGet, path, admin, nil)
		msg := r.str("message")
		if r.status != http.StatusServiceUnavailable || r.code() != 14 ||
			!strings.Contains(msg, "orchestrator service is unavailable") || !strings.Contains(msg, "may not be running") {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
}

func TestUserIsForwardedAndNotSpoofable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	admin := e.login(adminUser, adminPassword)
	r := e.call(http.MethodGet, "/api/v1/instances", admin, nil, "Grpc-Metadata-X-Dhis2sync-User", "root")
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	calls := e.instances.seen()
	if len(calls) != 1 || calls[0].user != adminUser || len(calls[0].auth) != 0 {
		t.Errorf("the registry saw %+v, want user %q and no authorization", calls, adminUser)
	}
}

func TestOpenAPIIsPublic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.call(http.MethodGet, "/api/v1/openapi.json", "", nil)
	var doc struct {
		Swagger string         `json:"swagger"`
		Paths   map[string]any `json:"paths"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.raw), &doc) != nil {
		t.Fatalf("%d %.200s", r.status, r.raw)
	}
	for _, p := range []string{"/api/v1/instances", "/api/v1/auth/login", "/api/v1/jobs/{id}/events"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("path %s missing from the OpenAPI document", p)
		}
	}
}

func TestUnknownPathIs404(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	if r := e.call(http.MethodGet, "/api/v1/nothing", e.login(adminUser, adminPassword), nil); r.status != http.StatusNotFound || r.code() != 5 {
		t.Errorf("%d %s", r.status, r.raw)
	}
}
