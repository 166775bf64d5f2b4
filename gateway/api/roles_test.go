package api

import (
	"net/http"
	"strings"
	"testing"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestRoleTableCoversEveryRESTMethod keeps the table and the protos in step: every method with an HTTP route
// has a role, and methods without one (internal RPCs) have none, so they stay denied.
func TestRoleTableCoversEveryRESTMethod(t *testing.T) {
	files := []protoreflect.FileDescriptor{
		authv1.File_dhis2sync_auth_v1_auth_proto, instancev1.File_dhis2sync_instance_v1_instance_proto,
		configv1.File_dhis2sync_config_v1_config_proto, orchestratorv1.File_dhis2sync_orchestrator_v1_orchestrator_proto,
		orchestratorv1.File_dhis2sync_orchestrator_v1_automation_proto,
	}
	routed := 0
	for _, f := range files {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				m := svc.Methods().Get(j)
				full := "/" + string(svc.FullName()) + "/" + string(m.Name())
				_, inTable := minRole[full]
				hasRoute := proto.HasExtension(m.Options(), annotations.E_Http)
				if hasRoute {
					routed++
				}
				if hasRoute != inTable {
					t.Errorf("%s: has REST route %v but in role table %v", full, hasRoute, inTable)
				}
			}
		}
	}
	if routed != len(minRole) {
		t.Errorf("role table has %d entries for %d routed methods", len(minRole), routed)
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	v := &principal{Username: "vera", Role: viewer}
	tests := []struct {
		name   string
		p      *principal
		method string
		want   codes.Code
	}{
		{"anyone may log in", nil, authv1.AuthService_Login_FullMethodName, codes.OK},
		{"signed out may not list", nil, instancev1.InstanceService_ListInstances_FullMethodName, codes.Unauthenticated},
		{"viewer lists", v, instancev1.InstanceService_ListInstances_FullMethodName, codes.OK},
		{"viewer may not launch", v, orchestratorv1.OrchestratorService_LaunchConfig_FullMethodName, codes.PermissionDenied},
		{"unknown method", &principal{Role: admin}, "/dhis2sync.instance.v1.InstanceService/Nope", codes.PermissionDenied},
		{"credentials are internal", &principal{Role: admin}, instancev1.InstanceService_GetCredentials_FullMethodName, codes.PermissionDenied},
		{"no role at all", &principal{Role: authv1.Role_ROLE_UNSPECIFIED}, instancev1.InstanceService_ListInstances_FullMethodName, codes.PermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := status.Code(authorize(tc.p, tc.method)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRolesOverREST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	admin := e.login(adminUser, adminPassword)
	tokens := map[string]string{
		"viewer":   e.userWithRole(admin, "vera", authv1.Role_ROLE_VIEWER),
		"operator": e.userWithRole(admin, "oscar", authv1.Role_ROLE_OPERATOR),
		"admin":    admin,
	}
	newInstance := map[string]any{"name": "District", "baseUrl": "https://district.example.org", "username": "u", "password": "p"}
	tests := []struct {
		method, path string
		body         any
		want         map[string]int // role → HTTP status
	}{
		{http.MethodGet, "/api/v1/instances", nil, map[string]int{"viewer": 200, "operator": 200, "admin": 200}},
		{http.MethodPost, "/api/v1/instances", newInstance, map[string]int{"viewer": 403, "operator": 403, "admin": 200}},
		{http.MethodPost, "/api/v1/configs/cfg-1:launch", map[string]any{"dryRun": true}, map[string]int{"viewer": 403, "operator": 200, "admin": 200}},
		{http.MethodGet, "/api/v1/users", nil, map[string]int{"viewer": 403, "operator": 403, "admin": 200}},
		{http.MethodGet, "/api/v1/audit", nil, map[string]int{"viewer": 403, "operator": 403, "admin": 200}},
	}
	for _, tc := range tests {
		for role, want := range tc.want {
			t.Run(role+" "+tc.method+" "+tc.path, func(t *testing.T) {
				r := e.call(tc.method, tc.path, tokens[role], tc.body)
				if r.status != want {
					t.Fatalf("got %d %s, want %d", r.status, r.raw, want)
				}
				if want == http.StatusForbidden && (r.code() != int(codes.PermissionDenied) || !strings.Contains(r.str("message"), "role")) {
					t.Errorf("403 without a clear message: %s", r.raw)
				}
			})
		}
	}
	if r := e.call(http.MethodPost, "/api/v1/instances", tokens["viewer"], newInstance); !strings.Contains(r.str("message"), `CreateInstance needs the admin role; "vera" has the viewer role`) {
		t.Errorf("viewer write message: %s", r.raw)
	}
	for _, c := range e.instances.seen() {
		if c.method == "CreateInstance" && c.user != adminUser {
			t.Errorf("CreateInstance reached the registry for %q", c.user)
		}
	}
}
