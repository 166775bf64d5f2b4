package grpcx

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// publicOnly are the services no dhis2sync service serves: the gateway serves them itself.
var publicOnly = []string{"dhis2sync.auth.v1.AuthService"}

// TestEveryInternalMethodHasARule walks every gRPC service in the generated descriptors: a new internal
// method without an access rule fails here (and would be refused to every caller), and so does a rule left
// behind for a method that no longer exists or that names an unknown service.
func TestEveryInternalMethodHasARule(t *testing.T) {
	seen := map[string]bool{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "dhis2sync.") {
			return true
		}
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			if slices.Contains(publicOnly, string(sd.FullName())) {
				continue
			}
			for j := range sd.Methods().Len() {
				method := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				seen[method] = true
				if _, ok := access[method]; !ok {
					t.Errorf("%s has no service-identity rule in grpcx.access: add who may call it", method)
				}
			}
		}
		return true
	})
	if len(seen) < 20 {
		t.Fatalf("found only %d internal methods: are the proto packages linked in?", len(seen))
	}
	for method, callers := range access {
		if !seen[method] {
			t.Errorf("rule for %s, which no service defines", method)
		}
		for _, c := range callers {
			if !slices.Contains(settings.GRPCServices, c) {
				t.Errorf("rule for %s names %q, which is not a service", method, c)
			}
		}
	}
}

type credsServer struct {
	instancev1.UnimplementedInstanceServiceServer
	users chan string
}

func (s *credsServer) GetCredentials(ctx context.Context, _ *instancev1.GetCredentialsRequest) (*instancev1.GetCredentialsResponse, error) {
	return &instancev1.GetCredentialsResponse{Username: "admin", Password: "district"}, nil
}

func (s *credsServer) GetInstance(ctx context.Context, _ *instancev1.GetInstanceRequest) (*instancev1.GetInstanceResponse, error) {
	s.users <- User(ctx)
	return &instancev1.GetInstanceResponse{}, nil
}

// TestAccess runs a registry behind the real interceptors and calls it as each kind of caller.
func TestAccess(t *testing.T) {
	ids := testIdentities(t)
	srv := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), ids[settings.InstanceRegistry])
	fake := &credsServer{users: make(chan string, 1)}
	instancev1.RegisterInstanceServiceServer(srv.Server, fake)
	addr := serveTest(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	as := func(caller string) instancev1.InstanceServiceClient {
		conn, err := ids[caller].Dial(settings.InstanceRegistry, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return instancev1.NewInstanceServiceClient(conn)
	}
	// A TLS client that trusts the authority but has no certificate of its own.
	anon, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: ids["gateway"].roots, ServerName: settings.InstanceRegistry})))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	get := &instancev1.GetCredentialsRequest{Id: "x"}

	res, err := instancev1.NewInstanceServiceClient(anon).GetCredentials(ctx, get)
	if status.Code(err) != codes.Unauthenticated || res != nil {
		t.Errorf("GetCredentials without a certificate: want Unauthenticated and no data, got %v %v", res, err)
	}
	userCtx := metadata.AppendToOutgoingContext(ctx, UserHeader, "amina")
	if _, err := as(settings.Gateway).GetCredentials(userCtx, get); status.Code(err) != codes.PermissionDenied {
		t.Errorf("GetCredentials as the gateway: want PermissionDenied, got %v", err)
	}
	for _, caller := range []string{settings.Orchestrator, settings.Config} {
		if _, err := as(caller).GetCredentials(ctx, get); status.Code(err) != codes.PermissionDenied {
			t.Errorf("GetCredentials as %s: want PermissionDenied, got %v", caller, err)
		}
	}
	for _, caller := range []string{settings.Extractor, settings.Loader} {
		if res, err := as(caller).GetCredentials(ctx, get); err != nil || res.GetPassword() != "district" {
			t.Errorf("GetCredentials as %s: %v %v", caller, res, err)
		}
	}
	if _, err := as(settings.Gateway).GetInstance(ctx, &instancev1.GetInstanceRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("GetInstance as the gateway without a user: want PermissionDenied, got %v", err)
	}
	if _, err := as(settings.Gateway).GetInstance(userCtx, &instancev1.GetInstanceRequest{}); err != nil {
		t.Errorf("GetInstance as the gateway for amina: %v", err)
	} else if u := <-fake.users; u != "amina" {
		t.Errorf("the registry saw user %q, want amina", u)
	}
	if _, err := as(settings.Extractor).DeleteInstance(ctx, &instancev1.DeleteInstanceRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("DeleteInstance as the extractor: want PermissionDenied, got %v", err)
	}
	// Health stays open to clients without a certificate.
	if h, err := healthpb.NewHealthClient(anon).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health without a certificate: %v %v", h, err)
	}
	// Plain-text gRPC (grpcurl -plaintext) gets no answer at all.
	plain, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if res, err := instancev1.NewInstanceServiceClient(plain).GetCredentials(ctx, get); err == nil || res != nil {
		t.Errorf("plain-text GetCredentials: want an error, got %v", res)
	}
	// A certificate from another authority is no identity, and a client refuses a server that is not the
	// service it meant to reach.
	other := testIdentities(t)
	if _, err := instancev1.NewInstanceServiceClient(mustDial(t, other[settings.Extractor], settings.InstanceRegistry, addr)).GetCredentials(ctx, get); err == nil {
		t.Error("GetCredentials with a certificate from another authority succeeded")
	}
	if _, err := instancev1.NewInstanceServiceClient(mustDial(t, ids[settings.Extractor], settings.Config, addr)).GetCredentials(ctx, get); status.Code(err) != codes.Unavailable {
		t.Errorf("dialling the registry as if it were config: want Unavailable (server name mismatch), got %v", err)
	}
}

func testIdentities(t *testing.T) map[string]*Identity {
	t.Helper()
	dir := t.TempDir()
	ids := map[string]*Identity{}
	for _, s := range settings.GRPCServices {
		id, err := LoadIdentity(dir, s) // the first call creates the authority
		if err != nil {
			t.Fatal(err)
		}
		ids[s] = id
	}
	return ids
}

func mustDial(t *testing.T, id *Identity, service, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := id.Dial(service, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func serveTest(t *testing.T, srv *Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, lis, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	return lis.Addr().String()
}

// TestLoadIdentityConcurrently starts every service at once on an empty directory, as make up does: they
// agree on one authority.
func TestLoadIdentityConcurrently(t *testing.T) {
	dir := t.TempDir()
	errs := make(chan error, len(settings.GRPCServices))
	for _, s := range settings.GRPCServices {
		go func() { _, err := LoadIdentity(dir, s); errs <- err }()
	}
	for range settings.GRPCServices {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]*Identity{}
	for _, s := range settings.GRPCServices {
		ids[s], _ = LoadIdentity(dir, s)
	}
	srv := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), ids[settings.Loader])
	addr := serveTest(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(mustDial(t, ids[settings.Orchestrator], settings.Loader, addr)).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentity(dir, "frontend"); err == nil {
		t.Error("an identity for a process that is not a gRPC service")
	}
}

// TestLoadIdentityAddsMissingService gives a service added after the authority was created its certificate,
// and lets a machine holding only its own files (no authority key, read-only) load its identity.
func TestLoadIdentityAddsMissingService(t *testing.T) {
	dir := t.TempDir()
	if err := IssueIdentities(dir, []string{settings.InstanceRegistry}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]*Identity{}
	for _, s := range []string{settings.InstanceRegistry, settings.Loader} {
		id, err := LoadIdentity(dir, s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		ids[s] = id
	}
	srv := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), ids[settings.InstanceRegistry])
	instancev1.RegisterInstanceServiceServer(srv.Server, &credsServer{})
	addr := serveTest(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := instancev1.NewInstanceServiceClient(mustDial(t, ids[settings.Loader], settings.InstanceRegistry, addr)).GetCredentials(ctx, &instancev1.GetCredentialsRequest{}); err != nil {
		t.Fatalf("the added loader's certificate is not trusted: %v", err)
	}

	// A service machine: the authority's certificate and its own files, in a read-only directory.
	own := t.TempDir()
	for _, f := range []string{"ca.crt", "loader.crt", "loader.key"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(own, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(own, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(own, 0o700) })
	if _, err := LoadIdentity(own, settings.Loader); err != nil {
		t.Errorf("loader with its own files only: %v", err)
	}
	if _, err := os.Stat(filepath.Join(own, ".lock")); err == nil {
		t.Error("loading a complete identity wrote to the directory")
	}
	if _, err := LoadIdentity(own, settings.Extractor); err == nil || !strings.Contains(err.Error(), "extractor") {
		t.Errorf("extractor without its files: want an error naming them, got %v", err)
	}
}
