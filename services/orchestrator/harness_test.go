package orchestrator

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

// fakeConfigs is a ConfigService holding configurations in memory.
type fakeConfigs struct {
	configv1.UnimplementedConfigServiceServer
	mu   sync.Mutex
	cfgs map[string]*configv1.Config
}

func (f *fakeConfigs) put(c *configv1.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfgs[c.GetId()] = c
}

func (f *fakeConfigs) GetConfig(_ context.Context, req *configv1.GetConfigRequest) (*configv1.GetConfigResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.cfgs[req.GetId()]
	if !ok {
		return nil, status.Error(codes.NotFound, "no such configuration")
	}
	return &configv1.GetConfigResponse{Config: proto.Clone(c).(*configv1.Config)}, nil
}

func (f *fakeConfigs) ListConfigs(context.Context, *configv1.ListConfigsRequest) (*configv1.ListConfigsResponse, error) {
	return &configv1.ListConfigsResponse{}, nil
}

// script says which results the fake pipeline publishes for an extraction, per destination.
type script func(req *extractorv1.ExtractStepRequest, dest string) []*batchv1.Result

// fakeWorkers plays extractor and loader: LoadStep is remembered, ExtractStep publishes the scripted results
// on NATS as the loader would.
type fakeWorkers struct {
	extractorv1.UnimplementedExtractorServiceServer
	t  *testing.T
	nc *natsx.Conn

	mu       sync.Mutex
	script   script
	loads    []*loaderv1.LoadStepRequest
	extracts []*extractorv1.ExtractStepRequest
	cancels  int
}

type fakeLoader struct {
	loaderv1.UnimplementedLoaderServiceServer
	w *fakeWorkers
}

func (l fakeLoader) LoadStep(_ context.Context, req *loaderv1.LoadStepRequest) (*loaderv1.LoadStepResponse, error) {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	l.w.loads = append(l.w.loads, req)
	return &loaderv1.LoadStepResponse{Accepted: true}, nil
}

func (l fakeLoader) CancelJob(context.Context, *loaderv1.CancelJobRequest) (*loaderv1.CancelJobResponse, error) {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	l.w.cancels++
	return &loaderv1.CancelJobResponse{Stopped: 1}, nil
}

func (w *fakeWorkers) setScript(s script) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.script = s
}

func (w *fakeWorkers) ExtractStep(_ context.Context, req *extractorv1.ExtractStepRequest) (*extractorv1.ExtractStepResponse, error) {
	w.mu.Lock()
	w.extracts = append(w.extracts, req)
	var dests []string
	for _, l := range w.loads {
		if l.GetStepId() == req.GetStepId() && !slices.Contains(dests, l.GetDestinationInstanceId()) {
			dests = append(dests, l.GetDestinationInstanceId())
		}
	}
	sc := w.script
	w.mu.Unlock()
	go func() {
		for _, d := range dests {
			for _, r := range sc(req, d) {
				r.JobId, r.StepId, r.DestinationInstanceId = req.GetJobId(), req.GetStepId(), d
				b, _ := proto.Marshal(r)
				if _, err := w.nc.JS.Publish(context.Background(), natsx.ResultSubject(req.GetJobId(), req.GetStepId()), b); err != nil {
					w.t.Logf("publish result: %v", err)
				}
			}
		}
	}()
	return &extractorv1.ExtractStepResponse{Accepted: true}, nil
}

func (w *fakeWorkers) CancelJob(context.Context, *extractorv1.CancelJobRequest) (*extractorv1.CancelJobResponse, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancels++
	return &extractorv1.CancelJobResponse{Stopped: 1}, nil
}

func (w *fakeWorkers) extractRequests() []*extractorv1.ExtractStepRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.extracts)
}

func (w *fakeWorkers) loadRequests() []*loaderv1.LoadStepRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.loads)
}

// okScript imports every step as one batch of n created items per destination.
func okScript(n int64) script {
	return func(req *extractorv1.ExtractStepRequest, _ string) []*batchv1.Result {
		return []*batchv1.Result{
			{Sequences: []int64{1}, Created: n, Status: "OK", PlannedTotal: n, AckedThrough: 1},
			{Last: true, AckedThrough: 1, PlannedTotal: n, ServerDate: "2024-05-01T10:00:00.000"},
		}
	}
}

// env is an orchestrator on real PostgreSQL and embedded NATS with fake neighbours.
type env struct {
	t       *testing.T
	dsn     string
	natsURL string
	db      *sqlx.DB
	nc      *natsx.Conn
	configs *fakeConfigs
	workers *fakeWorkers
	conns   struct{ cfg, ext, ldr *grpc.ClientConn }
	opts    Options

	svc    *Service
	stop   context.CancelFunc
	client orchestratorv1.OrchestratorServiceClient
}

// sharedDSN is one scratch database for the package's tests (creating a database costs seconds); each test
// gets its own schema in it.
var sharedDSN string

func TestMain(m *testing.M) {
	base := os.Getenv(testenv.DatabaseURLEnv)
	if base == "" {
		os.Exit(m.Run()) // newEnv skips (or fails under CI) through testenv.Postgres
	}
	u, err := url.Parse(base)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	name := fmt.Sprintf("dhis2sync_orchestrator_test_%d", time.Now().UnixNano())
	admin, err := sqlx.Open("postgres", base)
	if err == nil {
		_, err = admin.Exec("CREATE DATABASE " + name)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "create test database:", err)
		os.Exit(2)
	}
	u.Path = "/" + name
	sharedDSN = u.String()
	code := m.Run()
	_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	admin.Close()
	os.Exit(code)
}

var schemaSeq atomic.Int64

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	t.Parallel()
	dsn := sharedDSN
	if dsn == "" {
		dsn = testenv.Postgres(t)
	}
	e := &env{t: t, dsn: dsn, natsURL: testenv.NATS(t), opts: opts}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	var err error
	schema := fmt.Sprintf("orchestrator_test_%d", schemaSeq.Add(1))
	if e.db, err = pgdb.Open(ctx, e.dsn, schema, Migrations(), log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	if e.nc, err = natsx.Connect(ctx, e.natsURL, "test", log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.nc.Close)
	e.configs = &fakeConfigs{cfgs: map[string]*configv1.Config{}}
	e.workers = &fakeWorkers{t: t, nc: e.nc, script: okScript(2)}
	srv := grpc.NewServer()
	configv1.RegisterConfigServiceServer(srv, e.configs)
	extractorv1.RegisterExtractorServiceServer(srv, e.workers)
	loaderv1.RegisterLoaderServiceServer(srv, fakeLoader{w: e.workers})
	addr := serve(t, srv)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e.conns.cfg, e.conns.ext, e.conns.ldr = conn, conn, conn
	e.start()
	return e
}

func serve(t *testing.T, srv *grpc.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// start runs a new orchestrator process on the environment's database and NATS.
func (e *env) start() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	o := e.opts
	if o.StepTimeout == 0 {
		o.StepTimeout = time.Minute
	}
	if o.CancelGrace == 0 {
		o.CancelGrace = 100 * time.Millisecond
	}
	if o.ScanInterval == 0 {
		o.ScanInterval = 100 * time.Millisecond
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = 200 * time.Millisecond
	}
	e.svc = New(Deps{
		DB: e.db, NATS: e.nc, Config: configv1.NewConfigServiceClient(e.conns.cfg),
		Extractor: extractorv1.NewExtractorServiceClient(e.conns.ext), Loader: loaderv1.NewLoaderServiceClient(e.conns.ldr),
	}, o)
	if err := e.svc.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	srv := grpc.NewServer()
	orchestratorv1.RegisterOrchestratorServiceServer(srv, e.svc)
	addr := serve(e.t, srv)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		e.t.Fatal(err)
	}
	e.client = orchestratorv1.NewOrchestratorServiceClient(conn)
	svc := e.svc
	e.stop = func() {
		cancel()
		srv.Stop()
		conn.Close()
		svc.Wait()
	}
	e.t.Cleanup(e.stop)
}

func (e *env) config(id string, syncType configv1.SyncType, mutate ...func(*configv1.Config)) *configv1.Config {
	c := &configv1.Config{
		Id: id, Name: "config " + id, SourceInstanceId: "src", DestinationInstanceIds: []string{"dst1", "dst2"},
		SyncType: syncType, Active: true,
		MetadataFamilies: []configv1.MetadataFamily{configv1.MetadataFamily_METADATA_FAMILY_LEGENDS, configv1.MetadataFamily_METADATA_FAMILY_ORGANISATION},
	}
	for _, m := range mutate {
		m(c)
	}
	e.configs.put(c)
	return c
}

func (e *env) launch(configID string, dryRun bool) *orchestratorv1.Job {
	e.t.Helper()
	resp, err := e.client.LaunchConfig(context.Background(), &orchestratorv1.LaunchConfigRequest{ConfigId: configID, DryRun: dryRun})
	if err != nil {
		e.t.Fatalf("launch %s: %v", configID, err)
	}
	return resp.GetJob()
}

func (e *env) job(id string) *orchestratorv1.Job {
	e.t.Helper()
	resp, err := e.client.GetJob(context.Background(), &orchestratorv1.GetJobRequest{Id: id})
	if err != nil {
		_, derr := e.svc.st.tree(context.Background(), id)
		e.t.Fatalf("get job %s: %v (%v)", id, err, derr)
	}
	return resp.GetJob()
}

// waitFor polls cond until it holds; the bound only keeps a broken test from hanging.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) waitStatus(id string, want ...orchestratorv1.JobStatus) *orchestratorv1.Job {
	e.t.Helper()
	var j *orchestratorv1.Job
	e.waitFor("job "+id+" to reach "+want[0].String(), func() bool {
		j = e.job(id)
		return slices.Contains(want, j.GetStatus())
	})
	return j
}

func (e *env) logs(id string, level orchestratorv1.LogLevel) []*orchestratorv1.LogLine {
	e.t.Helper()
	resp, err := e.client.ListJobLogs(context.Background(), &orchestratorv1.ListJobLogsRequest{Id: id, MinLevel: level})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetLines()
}

func hasLog(lines []*orchestratorv1.LogLine, level orchestratorv1.LogLevel, substr string) *orchestratorv1.LogLine {
	for _, l := range lines {
		if l.GetLevel() == level && strings.Contains(l.GetMessage(), substr) {
			return l
		}
	}
	return nil
}
