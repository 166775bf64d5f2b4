package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

const (
	adminUser     = "admin"
	adminPassword = "admin-Passw0rd"
)

// fakeInstances is the instance-registry as the gateway sees it; it records what reached it.
type fakeInstances struct {
	instancev1.UnimplementedInstanceServiceServer
	mu    sync.Mutex
	calls []seenCall
}

type seenCall struct {
	method string
	user   string
	auth   []string // authorization metadata; must stay empty
}

func (f *fakeInstances) see(ctx context.Context, method string) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, seenCall{method: method, user: grpcx.User(ctx), auth: md.Get("authorization")})
}

func (f *fakeInstances) seen() []seenCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenCall(nil), f.calls...)
}

func (f *fakeInstances) ListInstances(ctx context.Context, _ *instancev1.ListInstancesRequest) (*instancev1.ListInstancesResponse, error) {
	f.see(ctx, "ListInstances")
	return &instancev1.ListInstancesResponse{Instances: []*instancev1.Instance{{Id: "inst-1", Name: "National HMIS", BaseUrl: "https://hmis.example.org"}}}, nil
}

func (f *fakeInstances) CreateInstance(ctx context.Context, req *instancev1.CreateInstanceRequest) (*instancev1.CreateInstanceResponse, error) {
	f.see(ctx, "CreateInstance")
	return &instancev1.CreateInstanceResponse{Instance: &instancev1.Instance{Id: "inst-new", Name: req.GetName(), BaseUrl: req.GetBaseUrl()}}, nil
}

type fakeConfigs struct {
	configv1.UnimplementedConfigServiceServer
}

// CreateConfig refuses every configuration with field violations, as the config service does.
func (fakeConfigs) CreateConfig(context.Context, *configv1.CreateConfigRequest) (*configv1.CreateConfigResponse, error) {
	return nil, fielderr.Status(codes.InvalidArgument, "invalid configuration", []fielderr.Violation{
		{Field: "sourceId", Description: "no instance has this id: choose a registered source"},
		{Field: "schedule.cron", Description: "not a cron expression"},
	})
}

// UpdateConfig answers with a detail whose type no binary of dhis2sync registers.
func (fakeConfigs) UpdateConfig(context.Context, *configv1.UpdateConfigRequest) (*configv1.UpdateConfigResponse, error) {
	st := status.New(codes.FailedPrecondition, "configuration is in use")
	p := st.Proto()
	p.Details = append(p.Details, &anypb.Any{TypeUrl: "type.googleapis.com/example.Unknown", Value: []byte{8, 1}})
	return nil, status.FromProto(p).Err()
}

// fakeOrchestrator serves LaunchConfig and, when watch is set, WatchJob.
type fakeOrchestrator struct {
	orchestratorv1.UnimplementedOrchestratorServiceServer
	watch func(*orchestratorv1.WatchJobRequest, grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error
}

func (f *fakeOrchestrator) LaunchConfig(_ context.Context, req *orchestratorv1.LaunchConfigRequest) (*orchestratorv1.LaunchConfigResponse, error) {
	return &orchestratorv1.LaunchConfigResponse{Job: &orchestratorv1.Job{Id: "job-1", ConfigId: req.GetConfigId()}}, nil
}

func (f *fakeOrchestrator) WatchJob(req *orchestratorv1.WatchJobRequest, s grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
	if f.watch == nil {
		return f.UnimplementedOrchestratorServiceServer.WatchJob(req, s)
	}
	return f.watch(req, s)
}

// env is a gateway over fake services and a scratch PostgreSQL database.
type env struct {
	t         *testing.T
	srv       *httptest.Server
	store     *Store
	instances *fakeInstances
	orch      *fakeOrchestrator
}

type envOptions struct {
	orchestratorDown bool
	heartbeat        time.Duration
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	store, err := OpenStore(ctx, testenv.Postgres(t), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.EnsureAdmin(ctx, adminUser, adminPassword); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, instances: &fakeInstances{}, orch: &fakeOrchestrator{}}
	orchAddr := serveFake(t, func(s *grpc.Server) { orchestratorv1.RegisterOrchestratorServiceServer(s, e.orch) })
	if o.orchestratorDown {
		orchAddr = closedAddr(t)
	}
	g, err := New(ctx, Options{
		Store:        store,
		Instance:     dialFake(t, "instance-registry", serveFake(t, func(s *grpc.Server) { instancev1.RegisterInstanceServiceServer(s, e.instances) })),
		Config:       dialFake(t, "config", serveFake(t, func(s *grpc.Server) { configv1.RegisterConfigServiceServer(s, &fakeConfigs{}) })),
		Orchestrator: dialFake(t, "orchestrator", orchAddr),
		Log:          log,
		Heartbeat:    o.heartbeat,
		// Failures refill slowly enough that a slow machine (-race, bcrypt) cannot outpace the limits.
		LoginWindow: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(g)
	t.Cleanup(func() { g.StopStreams(); e.srv.Close() })
	return e
}

func serveFake(t *testing.T, register func(*grpc.Server)) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	register(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func dialFake(t *testing.T, name, addr string) Backend {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return Backend{Name: name, Addr: addr, Conn: conn}
}

// response is an HTTP answer with its JSON body decoded (when it is JSON).
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r response) code() int {
	c, _ := r.body["code"].(float64)
	return int(c)
}

// call sends a request with an optional bearer token and JSON body.
func (e *env) call(method, path, token string, body any, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) login(user, password string) string {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
	if r.status != http.StatusOK || r.str("token") == "" {
		e.t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	return r.str("token")
}

// userWithRole creates a user through the API as the admin and signs them in.
func (e *env) userWithRole(adminToken, name string, role authv1.Role) string {
	e.t.Helper()
	const pw = "user-Passw0rd"
	r := e.call(http.MethodPost, "/api/v1/users", adminToken, map[string]string{"username": name, "password": pw, "role": role.String()})
	if r.status != http.StatusOK {
		e.t.Fatalf("create user %s: %d %s", name, r.status, r.raw)
	}
	return e.login(name, pw)
}

// audit returns the audit trail, newest first, straight from the store.
func (e *env) audit() []auditEvent {
	e.t.Helper()
	events, err := e.store.listAudit(context.Background(), 1000, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return events
}
