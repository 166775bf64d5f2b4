package api

import (
	"net/http"
	"testing"
)

// A service's field violations reach the REST client as a 400 with the violations, never as a 500.
func TestFieldViolationsAreBadRequest(t *testing.T) {
	e := newEnv(t, envOptions{})
	token := e.login(adminUser, adminPassword)
	r := e.call(http.MethodPost, "/api/v1/configs", token, map[string]any{"name": "x"})
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", r.status, r.raw)
	}
	details, _ := r.body["details"].([]any)
	if len(details) != 1 {
		t.Fatalf("details %v, want one BadRequest", r.body["details"])
	}
	d, _ := details[0].(map[string]any)
	if d["@type"] != "type.googleapis.com/google.rpc.BadRequest" {
		t.Fatalf("detail type %v", d["@type"])
	}
	vs, _ := d["fieldViolations"].([]any)
	var fields []string
	for _, v := range vs {
		fields = append(fields, v.(map[string]any)["field"].(string))
	}
	if len(fields) != 2 || fields[0] != "sourceId" || fields[1] != "schedule.cron" {
		t.Fatalf("fields %v", fields)
	}
}

// A detail of a type the gateway does not know is left out; the status and message still arrive.
func TestUnknownErrorDetailKeepsStatus(t *testing.T) {
	e := newEnv(t, envOptions{})
	token := e.login(adminUser, adminPassword)
	r := e.call(http.MethodPut, "/api/v1/configs/cfg-1", token, map[string]any{"name": "x"})
	if r.status != http.StatusBadRequest || r.str("message") != "configuration is in use" {
		t.Fatalf("got %d %s, want 400 with the service's message", r.status, r.raw)
	}
}
