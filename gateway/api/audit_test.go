package api

import (
	"net/http"
	"testing"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

func TestMutationsAreAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	admin := e.login(adminUser, adminPassword)
	viewerToken := e.userWithRole(admin, "vera", authv1.Role_ROLE_VIEWER)
	before := len(e.audit())

	e.call(http.MethodGet, "/api/v1/instances", admin, nil)                                                                     // a read: not audited
	e.call(http.MethodPost, "/api/v1/instances", admin, map[string]any{"name": "District", "baseUrl": "https://d.example.org"}) // OK
	e.call(http.MethodPost, "/api/v1/instances", viewerToken, map[string]any{"name": "Nope"})                                   // denied
	e.call(http.MethodDelete, "/api/v1/configs/cfg-9", admin, nil)                                                              // fails in the service

	got := e.audit()[:len(e.audit())-before]
	want := []auditEvent{
		{Username: adminUser, Action: configv1.ConfigService_DeleteConfig_FullMethodName, ObjectID: "cfg-9", Outcome: "Unimplemented"},
		{Username: "vera", Action: instancev1.InstanceService_CreateInstance_FullMethodName, Outcome: "PermissionDenied"},
		{Username: adminUser, Action: instancev1.InstanceService_CreateInstance_FullMethodName, ObjectID: "inst-new", Outcome: "OK"},
	}
	if len(got) != len(want) {
		t.Fatalf("want %d audit events, got %+v", len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Username != w.Username || g.Action != w.Action || g.ObjectID != w.ObjectID || g.Outcome != w.Outcome ||
			g.RemoteAddr != "127.0.0.1" || g.Time.IsZero() {
			t.Errorf("audit[%d] = %+v, want %+v", i, g, w)
		}
	}

	// Admins read the trail over REST, newest first, paged.
	r := e.call(http.MethodGet, "/api/v1/audit?limit=2", admin, nil)
	events, _ := r.body["events"].([]any)
	if r.status != http.StatusOK || len(events) != 2 || events[0].(map[string]any)["objectId"] != "cfg-9" {
		t.Fatalf("list audit: %d %s", r.status, r.raw)
	}
	last := events[1].(map[string]any)["id"].(string) // int64 is a JSON string in protojson
	r = e.call(http.MethodGet, "/api/v1/audit?limit=1&beforeId="+last, admin, nil)
	events, _ = r.body["events"].([]any)
	if len(events) != 1 || events[0].(map[string]any)["objectId"] != "inst-new" {
		t.Errorf("audit page before %s: %s", last, r.raw)
	}
}

func TestObjectID(t *testing.T) {
	tests := []struct {
		name      string
		req, resp any
		want      string
	}{
		{"request id", &instancev1.DeleteInstanceRequest{Id: "i1"}, &instancev1.DeleteInstanceResponse{}, "i1"},
		{"config_id", &orchestratorv1.LaunchConfigRequest{ConfigId: "c1"}, &orchestratorv1.LaunchConfigResponse{Job: &orchestratorv1.Job{Id: "j1"}}, "c1"},
		{"nested in request", &configv1.UpdateConfigRequest{Config: &configv1.Config{Id: "c2"}}, nil, "c2"},
		{"created object", &instancev1.CreateInstanceRequest{Name: "x"}, &instancev1.CreateInstanceResponse{Instance: &instancev1.Instance{Id: "i2"}}, "i2"},
		{"nothing", &instancev1.CreateInstanceRequest{Name: "x"}, (*instancev1.CreateInstanceResponse)(nil), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := objectID(tc.req, tc.resp); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
