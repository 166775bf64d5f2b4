package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/proto/openapi"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// publicFiles are the protos whose services the gateway serves, over REST and over gRPC.
var publicFiles = []protoreflect.FileDescriptor{
	authv1.File_dhis2sync_auth_v1_auth_proto, instancev1.File_dhis2sync_instance_v1_instance_proto,
	configv1.File_dhis2sync_config_v1_config_proto, orchestratorv1.File_dhis2sync_orchestrator_v1_orchestrator_proto,
	orchestratorv1.File_dhis2sync_orchestrator_v1_automation_proto,
}

// caller is a column of the matrix.
type caller struct {
	name     string
	role     authv1.Role // ROLE_UNSPECIFIED for anonymous
	apiToken bool
	token    string
	fresh    func() string // a new token, for Logout, which ends the one it is sent with
}

// expected is what the role table (minRole) says a caller gets: OK (the call reaches the service, whatever
// the service then answers), Unauthenticated or PermissionDenied.
func expected(method string, c caller) codes.Code {
	need, known := minRole[method]
	switch {
	case known && need == anyone:
		return codes.OK
	case c.role == authv1.Role_ROLE_UNSPECIFIED: // authentication comes first, as on REST
		return codes.Unauthenticated
	case !known:
		return codes.PermissionDenied
	case c.role < need:
		return codes.PermissionDenied
	case c.apiToken && method == authv1.AuthService_CreateApiToken_FullMethodName:
		return codes.PermissionDenied // API tokens cannot mint API tokens (auth_server.go)
	}
	return codes.OK
}

// cell is one call of the matrix: a REST operation or a gRPC method.
type cell struct {
	method string // full gRPC method
	verb   string // HTTP method, "" for a gRPC call
	path   string
}

// TestAuthorizationMatrix walks every REST operation of the OpenAPI document and every gRPC method of the
// public protos, and calls each as anonymous, viewer, operator, admin and an API token, over REST and over
// the public gRPC API. A REST operation or gRPC method without a role in roles.go fails the test, and so does
// a backend method the role table and the service-identity table (grpcx) disagree on.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	conn := e.grpcClient()
	adminToken := e.login(adminUser, adminPassword)
	const pw = "user-Passw0rd" // userWithRole's
	apiToken := func() string {
		r := e.call(http.MethodPost, "/api/v1/auth/tokens", e.login(adminUser, adminPassword), map[string]any{"name": "matrix", "role": "ROLE_OPERATOR"})
		if r.status != http.StatusOK || r.str("token") == "" {
			t.Fatalf("create API token: %d %s", r.status, r.raw)
		}
		return r.str("token")
	}
	callers := []caller{
		{name: "anonymous", fresh: func() string { return "" }},
		{name: "viewer", role: viewer, token: e.userWithRole(adminToken, "vera", viewer), fresh: func() string { return e.login("vera", pw) }},
		{name: "operator", role: operator, token: e.userWithRole(adminToken, "oscar", operator), fresh: func() string { return e.login("oscar", pw) }},
		{name: "admin", role: admin, token: adminToken, fresh: func() string { return e.login(adminUser, adminPassword) }},
		{name: "api-token", role: operator, apiToken: true, token: apiToken(), fresh: apiToken},
	}

	methods := publicMethods(t)
	cells := restCells(t, methods)
	for _, m := range methods {
		cells = append(cells, cell{method: m})
	}

	var rest, rpc int
	for _, c := range cells {
		for _, who := range callers {
			want := expected(c.method, who)
			if c.method == authv1.AuthService_Logout_FullMethodName {
				who.token = who.fresh()
			}
			var got codes.Code
			var detail string
			if c.verb != "" {
				rest++
				res := e.call(c.verb, c.path, who.token, map[string]any{})
				got, detail = restCode(res.status), fmt.Sprintf("HTTP %d %s", res.status, res.raw)
			} else {
				rpc++
				err := invoke(conn, c.method, who.token)
				got, detail = status.Code(err), fmt.Sprint(err)
				if got != codes.Unauthenticated && got != codes.PermissionDenied {
					got = codes.OK
				}
			}
			if got != want {
				t.Errorf("%s %s%s as %s: got %v (%s), role table says %v", c.verb, c.path, c.method, who.name, got, detail, want)
			}
		}
	}
	if rest < 5*25 || rpc < 5*28 {
		t.Errorf("matrix too small: %d REST and %d gRPC calls", rest, rpc)
	}
}

// publicMethods lists every gRPC method of the public protos and checks each has a rule: a role, or (for the
// backend methods only services may call) no role and no gateway access in the service-identity table.
func publicMethods(t *testing.T) []string {
	var out []string
	for _, f := range publicFiles {
		for i := range f.Services().Len() {
			sd := f.Services().Get(i)
			for j := range sd.Methods().Len() {
				m := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				out = append(out, m)
				_, hasRole := minRole[m]
				if sd.FullName() == "dhis2sync.auth.v1.AuthService" {
					if !hasRole {
						t.Errorf("%s has no role in gateway/api/roles.go", m)
					}
					continue
				}
				callers, hasRule := grpcx.Callers(m)
				gatewayMay := slices.Contains(callers, settings.Gateway)
				switch {
				case !hasRule:
					t.Errorf("%s has no service-identity rule in services/platform/grpcx/access.go", m)
				case hasRole != gatewayMay:
					t.Errorf("%s: role in gateway/api/roles.go %v, but the gateway may call it per grpcx/access.go %v: give it both or neither", m, hasRole, gatewayMay)
				}
			}
		}
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// restCells reads every operation of the served OpenAPI document; each must name a gRPC method with a role.
func restCells(t *testing.T, methods []string) []cell {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	var out []cell
	for path, ops := range doc.Paths {
		for verb, op := range ops {
			svc, name, _ := strings.Cut(op.OperationID, "_")
			i := slices.IndexFunc(methods, func(m string) bool { return strings.HasSuffix(m, "."+svc+"/"+name) })
			if i < 0 {
				t.Errorf("%s %s: operation %q is no gRPC method of the public protos", verb, path, op.OperationID)
				continue
			}
			if _, ok := minRole[methods[i]]; !ok {
				t.Errorf("%s %s (%s) has no role in gateway/api/roles.go", verb, path, methods[i])
			}
			out = append(out, cell{method: methods[i], verb: strings.ToUpper(verb), path: pathParam.ReplaceAllString(path, "x1")})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].verb < out[j].path+out[j].verb })
	if len(out) < 25 {
		t.Fatalf("the OpenAPI document has only %d operations", len(out))
	}
	return out
}

func restCode(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	}
	return codes.OK
}

// invoke calls method over the public gRPC API with an empty request, reading a stream's first answer.
func invoke(conn *grpc.ClientConn, method, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if token != "" {
		ctx = bearer(ctx, token)
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(method, "/"), "/", ".")))
	if err != nil {
		return err
	}
	md := d.(protoreflect.MethodDescriptor)
	in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return err
	}
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return err
	}
	if !md.IsStreamingServer() {
		return conn.Invoke(ctx, method, in.New().Interface(), out.New().Interface())
	}
	s, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		return err
	}
	if err := s.SendMsg(in.New().Interface()); err != nil {
		return err
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	return s.RecvMsg(out.New().Interface())
}
