package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestServiceIdentityAndPublicGRPC runs the real registry and gateway: integrators reach the public gRPC API
// with a bearer token and nothing without one, and the registry hands DHIS2 credentials only to the services
// that need them, whatever else reaches its port.
func TestServiceIdentityAndPublicGRPC(t *testing.T) {
	st := Start(t, "instance-registry", "gateway")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const secret = "Distr1ct-S3cret-Pw"
	dhis := fakeDHIS2(t, "sync", secret)

	// The public gRPC API, as grpcurl -plaintext reaches it.
	pub, err := grpc.NewClient(st.Addrs[settings.GatewayGRPC], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	instances := instancev1.NewInstanceServiceClient(pub)
	if _, err := instances.ListInstances(ctx, &instancev1.ListInstancesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("public ListInstances without a token: want Unauthenticated, got %v", err)
	}
	login, err := authv1.NewAuthServiceClient(pub).Login(ctx, &authv1.LoginRequest{Username: st.AdminUser, Password: st.AdminPassword})
	if err != nil {
		t.Fatalf("public Login: %v", err)
	}
	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+login.GetToken())
	created, err := instances.CreateInstance(authed, &instancev1.CreateInstanceRequest{
		Name: "National HMIS", BaseUrl: dhis.URL, Username: "sync", Password: secret, IsSource: true,
	})
	if err != nil {
		t.Fatalf("public CreateInstance: %v", err)
	}
	id := created.GetInstance().GetId()
	list, err := instances.ListInstances(authed, &instancev1.ListInstancesRequest{})
	if err != nil || len(list.GetInstances()) != 1 {
		t.Fatalf("public ListInstances: %v %v", list, err)
	}
	if _, err := instances.GetCredentials(authed, &instancev1.GetCredentialsRequest{Id: id}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("public GetCredentials as the admin: want PermissionDenied, got %v", err)
	}
	// The same audit trail as REST.
	var audit authv1.ListAuditEventsResponse
	if err := st.Client(ctx).Do(ctx, http.MethodGet, "/api/v1/audit", nil, &audit); err != nil {
		t.Fatal(err)
	}
	var e []*authv1.AuditEvent // newest first, sign-ins left out
	for _, ev := range audit.GetEvents() {
		if ev.GetAction() != authv1.AuthService_Login_FullMethodName {
			e = append(e, ev)
		}
	}
	if len(e) != 2 || e[0].GetAction() != instancev1.InstanceService_GetCredentials_FullMethodName || e[0].GetOutcome() != "PermissionDenied" ||
		e[1].GetAction() != instancev1.InstanceService_CreateInstance_FullMethodName || e[1].GetUsername() != st.AdminUser || e[1].GetObjectId() != id {
		t.Errorf("audit trail: %v", e)
	}
	// The registry logs who did it.
	if log := st.Log("instance-registry"); !strings.Contains(log, "by="+st.AdminUser) || !strings.Contains(log, "caller=gateway") {
		t.Errorf("the registry log does not name the user and the calling service:\n%s", log)
	}

	// The registry's own port.
	reg := st.Addrs[settings.InstanceRegistry]
	get := &instancev1.GetCredentialsRequest{Id: id}
	plain, err := grpc.NewClient(reg, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if res, err := instancev1.NewInstanceServiceClient(plain).GetCredentials(ctx, get); err == nil || res.GetPassword() != "" {
		t.Fatalf("plain-text GetCredentials answered %v", res)
	}
	caPEM, err := os.ReadFile(filepath.Join(st.IdentityDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	anon, err := grpc.NewClient(reg, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots, ServerName: settings.InstanceRegistry})))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if res, err := instancev1.NewInstanceServiceClient(anon).GetCredentials(ctx, get); status.Code(err) != codes.Unauthenticated || res != nil {
		t.Fatalf("GetCredentials without a service identity: want Unauthenticated, got %v %v", res, err)
	}
	as := func(service string) instancev1.InstanceServiceClient {
		id, err := grpcx.LoadIdentity(st.IdentityDir, service)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := id.Dial(settings.InstanceRegistry, reg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return instancev1.NewInstanceServiceClient(conn)
	}
	forAdmin := metadata.AppendToOutgoingContext(ctx, grpcx.UserHeader, st.AdminUser)
	if _, err := as(settings.Gateway).GetCredentials(forAdmin, get); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("GetCredentials with the gateway's identity: want PermissionDenied, got %v", err)
	}
	if res, err := as(settings.Extractor).GetCredentials(ctx, get); err != nil || res.GetPassword() != secret {
		t.Fatalf("GetCredentials with the extractor's identity: %v %v", res, err)
	}
}
