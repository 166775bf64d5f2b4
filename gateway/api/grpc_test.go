package api

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
)

// grpcClient serves the gateway's public gRPC API on a loopback port and returns a plain-text client of it,
// as an integrator connects.
func (e *env) grpcClient() *grpc.ClientConn {
	e.t.Helper()
	s, err := e.srv.Config.Handler.(*Gateway).GRPCServer()
	if err != nil {
		e.t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, lis, time.Second) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close(); cancel(); <-done })
	return conn
}

func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

func TestPublicGRPC(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	conn := e.grpcClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	auth := authv1.NewAuthServiceClient(conn)
	instances := instancev1.NewInstanceServiceClient(conn)

	// Without a token: Unauthenticated, and the service is never reached.
	if _, err := instances.ListInstances(ctx, &instancev1.ListInstancesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("ListInstances without a token: want Unauthenticated, got %v", err)
	}
	if _, err := instances.ListInstances(bearer(ctx, "not-a-token"), &instancev1.ListInstancesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("ListInstances with an unknown token: want Unauthenticated, got %v", err)
	}
	if n := len(e.instances.seen()); n != 0 {
		t.Fatalf("%d calls reached the registry without a token", n)
	}

	// Sign in over gRPC; the token works on REST too, and a REST token works over gRPC.
	login, err := auth.Login(ctx, &authv1.LoginRequest{Username: adminUser, Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	admin := login.GetToken()
	if r := e.call("GET", "/api/v1/instances", admin, nil); r.status != 200 {
		t.Errorf("gRPC token over REST: %d %s", r.status, r.raw)
	}
	viewer := e.userWithRole(admin, "vera", authv1.Role_ROLE_VIEWER)
	res, err := instances.ListInstances(bearer(ctx, viewer), &instancev1.ListInstancesRequest{})
	if err != nil || len(res.GetInstances()) != 1 {
		t.Fatalf("ListInstances as a viewer: %v %v", res, err)
	}
	me, err := auth.GetCurrentUser(bearer(ctx, viewer), &authv1.GetCurrentUserRequest{})
	if err != nil || me.GetUser().GetUsername() != "vera" {
		t.Fatalf("GetCurrentUser: %v %v", me, err)
	}

	// Roles as for REST; a client cannot pass for another user through metadata.
	spoof := metadata.AppendToOutgoingContext(bearer(ctx, viewer), grpcx.UserHeader, adminUser)
	_, err = instances.CreateInstance(spoof, &instancev1.CreateInstanceRequest{Name: "District", BaseUrl: "https://d.example.org"})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("CreateInstance as a viewer: want PermissionDenied, got %v", err)
	}
	if _, err := instances.CreateInstance(bearer(ctx, admin), &instancev1.CreateInstanceRequest{Name: "District", BaseUrl: "https://d.example.org"}); err != nil {
		t.Fatalf("CreateInstance as the admin: %v", err)
	}
	if _, err := instances.ListInstances(spoof, &instancev1.ListInstancesRequest{}); err != nil {
		t.Fatal(err)
	}
	seen := e.instances.seen()
	// REST as the admin, gRPC as vera, CreateInstance as the admin, then vera's call claiming to be the admin.
	want := []seenCall{{"ListInstances", adminUser, nil}, {"ListInstances", "vera", nil}, {"CreateInstance", adminUser, nil}, {"ListInstances", "vera", nil}}
	if len(seen) != len(want) {
		t.Fatalf("the registry saw %+v", seen)
	}
	for i, c := range seen {
		if c.method != want[i].method || c.user != want[i].user || len(c.auth) != 0 {
			t.Errorf("call %d reached the registry as %+v, want %+v and no authorization", i, c, want[i])
		}
	}
	// Secrets stay internal.
	if _, err := instances.GetCredentials(bearer(ctx, admin), &instancev1.GetCredentialsRequest{Id: "inst-1"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("GetCredentials over public gRPC: want PermissionDenied, got %v", err)
	}

	// The same audit trail as REST: who, what, from where, outcome.
	got := e.audit()
	if len(got) < 3 {
		t.Fatalf("audit: %+v", got)
	}
	for i, w := range []auditEvent{
		{Username: adminUser, Action: instancev1.InstanceService_GetCredentials_FullMethodName, ObjectID: "inst-1", Outcome: "PermissionDenied"},
		{Username: adminUser, Action: instancev1.InstanceService_CreateInstance_FullMethodName, ObjectID: "inst-new", Outcome: "OK"},
		{Username: "vera", Action: instancev1.InstanceService_CreateInstance_FullMethodName, Outcome: "PermissionDenied"},
	} {
		g := got[i]
		if g.Username != w.Username || g.Action != w.Action || g.ObjectID != w.ObjectID || g.Outcome != w.Outcome || g.RemoteAddr != "127.0.0.1" {
			t.Errorf("audit[%d] = %+v, want %+v", i, g, w)
		}
	}

	// Server streams pass through.
	e.orch.watch = func(req *orchestratorv1.WatchJobRequest, s grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
		for _, k := range []string{"state", "progress"} {
			if err := s.Send(&orchestratorv1.WatchJobResponse{Kind: k}); err != nil {
				return err
			}
		}
		return nil
	}
	stream, err := orchestratorv1.NewOrchestratorServiceClient(conn).WatchJob(bearer(ctx, viewer), &orchestratorv1.WatchJobRequest{Id: "job-1"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("WatchJob: %v", err)
		}
		kinds = append(kinds, m.GetKind())
	}
	if len(kinds) != 2 || kinds[1] != "progress" {
		t.Errorf("WatchJob sent %v", kinds)
	}

	// Reflection describes the public services, as grpcurl needs.
	rs, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	list, err := rs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range list.GetListServicesResponse().GetService() {
		names[s.GetName()] = true
	}
	for _, want := range []string{"dhis2sync.auth.v1.AuthService", "dhis2sync.instance.v1.InstanceService", "dhis2sync.config.v1.ConfigService", "dhis2sync.orchestrator.v1.OrchestratorService"} {
		if !names[want] {
			t.Errorf("reflection does not list %s: %v", want, names)
		}
	}
}

// TestPublicGRPCStreamsEndOnShutdown: stopping the gateway ends gRPC watches as it ends REST event streams.
func TestPublicGRPCStreamsEndOnShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	watching := make(chan struct{})
	e.orch.watch = func(_ *orchestratorv1.WatchJobRequest, s grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
		if err := s.Send(&orchestratorv1.WatchJobResponse{Kind: "state"}); err != nil {
			return err
		}
		close(watching)
		<-s.Context().Done() // a job that never ends
		return s.Context().Err()
	}
	conn := e.grpcClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := orchestratorv1.NewOrchestratorServiceClient(conn).WatchJob(bearer(ctx, e.login(adminUser, adminPassword)), &orchestratorv1.WatchJobRequest{Id: "job-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	<-watching
	e.srv.Config.Handler.(*Gateway).StopStreams()
	start := time.Now()
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable || time.Since(start) > 5*time.Second {
		t.Errorf("after StopStreams: want Unavailable at once, got %v after %s", err, time.Since(start))
	}
}
