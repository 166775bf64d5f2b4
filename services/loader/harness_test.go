package loader_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/extractor"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/loader"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// fakeRegistry is an InstanceService that only answers GetCredentials, from a map of base URLs.
type fakeRegistry struct {
	instancev1.UnimplementedInstanceServiceServer
	mu   sync.Mutex
	urls map[string]string
}

func (f *fakeRegistry) GetCredentials(_ context.Context, req *instancev1.GetCredentialsRequest) (*instancev1.GetCredentialsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.urls[req.GetId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "instance %s not found", req.GetId())
	}
	return &instancev1.GetCredentialsResponse{BaseUrl: u, AuthType: instancev1.AuthType_AUTH_TYPE_BASIC, Username: "admin", Password: "district"}, nil
}

// startRegistry serves a fake registry over gRPC on a loopback port and returns a client of it.
func startRegistry(tb testing.TB, urls map[string]string) instancev1.InstanceServiceClient {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := grpc.NewServer()
	instancev1.RegisterInstanceServiceServer(srv, &fakeRegistry{urls: urls})
	go func() { _ = srv.Serve(lis) }()
	tb.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return instancev1.NewInstanceServiceClient(conn)
}

// harness runs an extractor and a loader in-process against a source and a destination simulator.
type harness struct {
	tb       testing.TB
	ctx      context.Context
	nc       *natsx.Conn
	src, dst *dhis2sim.Server
	srcURL   string
	dstURL   string
	registry instancev1.InstanceServiceClient
	x        *extractor.Extractor
	l        *loader.Loader
	stopL    context.CancelFunc
}

type harnessOptions struct {
	srcVersion, dstVersion string
	scale                  *demodata.Scale
	srcCost, dstCost       dhis2sim.CostModel
	loaderOpts             loader.Options
}

func newHarness(tb testing.TB, o harnessOptions) *harness {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	nc, err := natsx.Connect(ctx, testenv.NATS(tb), "test", slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	h := &harness{tb: tb, ctx: ctx, nc: nc}
	var srcTS, dstTS string
	h.src, srcTS = newSim(tb, o.srcVersion, o.srcCost)
	h.dst, dstTS = newSim(tb, o.dstVersion, o.dstCost)
	h.srcURL, h.dstURL = srcTS, dstTS
	if o.scale != nil {
		loadDemoMetadata(tb, h.src, srcTS, *o.scale)
	}
	h.registry = startRegistry(tb, map[string]string{"src": srcTS, "dst": dstTS})
	tune := func(opts *dhis2.Options) {
		opts.Retry = dhis2.RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
		opts.RatePerSecond = -1
	}
	h.x = extractor.New(ctx, nc.JS, &extractor.Clients{Registry: h.registry, Tune: tune}, slog.New(slog.DiscardHandler))
	lo := o.loaderOpts
	if lo.RetryBase == 0 {
		lo.RetryBase, lo.RetryMax = 10*time.Millisecond, 100*time.Millisecond
	}
	h.startLoader(lo)
	return h
}

func (h *harness) startLoader(o loader.Options) {
	ctx, cancel := context.WithCancel(h.ctx)
	tune := func(opts *dhis2.Options) {
		opts.Retry = dhis2.RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
		opts.RatePerSecond = -1
	}
	h.l = loader.New(ctx, h.nc.JS, &loader.Clients{Registry: h.registry, Tune: tune}, slog.New(slog.DiscardHandler), o)
	h.stopL = cancel
}

// stopLoader stops the loader as a killed process would: its consumers stop, unacknowledged batches stay.
func (h *harness) stopLoader() {
	h.stopL()
	h.l.Wait()
}

func newSim(tb testing.TB, version string, cost dhis2sim.CostModel) (*dhis2sim.Server, string) {
	s, ts := dhis2sim.NewTestServer(tb, dhis2sim.Options{Version: version, Cost: cost, Seed: 1})
	return s, ts.URL
}

// loadDemoMetadata imports demo metadata into a simulator through POST /api/metadata. The demo generator and
// the simulator both create an "admin" user and a "Superuser" role, so the demo's are mapped onto the
// simulator's own before the import.
func loadDemoMetadata(tb testing.TB, s *dhis2sim.Server, url string, scale demodata.Scale) {
	tb.Helper()
	md := demodata.New(7, scale).Metadata()
	var pairs []string
	for _, pl := range []struct{ plural, key string }{{"users", "username"}, {"userRoles", "name"}} {
		existing := map[string]string{}
		for _, o := range s.Objects(pl.plural) {
			k, _ := o[pl.key].(string)
			existing[k], _ = o["id"].(string)
		}
		for _, o := range md[pl.plural] {
			k, _ := o[pl.key].(string)
			if id, ok := existing[k]; ok {
				pairs = append(pairs, o["id"].(string), id)
			}
		}
	}
	raw, err := json.Marshal(md)
	if err != nil {
		tb.Fatal(err)
	}
	body := strings.NewReplacer(pairs...).Replace(string(raw))
	c, err := dhis2.New(dhis2.Options{BaseURL: url, Auth: dhis2.Auth{Username: "admin", Password: "district"}, RatePerSecond: -1})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := c.ImportMetadata(context.Background(), body, dhis2.MetadataImportParams{})
	if err != nil {
		tb.Fatal(err)
	}
	if !res.OK() {
		tb.Fatalf("demo metadata import: %s, %d errors, first %v", res.Status, len(res.Errors), res.Errors[0])
	}
}

// results collects the Results JetStream stored for a job.
type results struct {
	mu   sync.Mutex
	list []*batchv1.Result
	cond chan struct{}
}

func (h *harness) watchResults(job string) *results {
	h.tb.Helper()
	r := &results{cond: make(chan struct{}, 1)}
	cons, err := h.nc.JS.OrderedConsumer(h.ctx, natsx.ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"dhis2sync.result." + job + ".>"}})
	if err != nil {
		h.tb.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		res := &batchv1.Result{}
		if proto.Unmarshal(m.Data(), res) != nil {
			return
		}
		r.mu.Lock()
		r.list = append(r.list, res)
		r.mu.Unlock()
		select {
		case r.cond <- struct{}{}:
		default:
		}
	})
	if err != nil {
		h.tb.Fatal(err)
	}
	h.tb.Cleanup(cc.Stop)
	return r
}

// step returns the results of one step, waiting for its last one.
func (r *results) waitLast(tb testing.TB, step string) []*batchv1.Result {
	tb.Helper()
	deadline := time.After(120 * time.Second) // a safety net against a hung test, not an assertion on speed
	for {
		r.mu.Lock()
		var out []*batchv1.Result
		done := false
		for _, res := range r.list {
			if res.GetStepId() == step {
				out = append(out, res)
				done = done || res.GetLast()
			}
		}
		r.mu.Unlock()
		if done {
			return out
		}
		select {
		case <-r.cond:
		case <-deadline:
			tb.Fatalf("step %s: no last result", step)
		}
	}
}

type stepSpec struct {
	kind         stepv1.StepKind // unset: a metadata step
	extractKind  stepv1.StepKind // what the extractor is told, when it differs from kind (a misrouted step)
	name         string
	resources    []string
	params       map[string]string
	pageSize     int32
	batchSize    int32
	final        bool
	dryRun       bool
	config       string
	importParams map[string]string
}

// start asks the loader and the extractor for one step, as the orchestrator does.
func (h *harness) start(job string, s stepSpec) {
	h.tb.Helper()
	if s.kind == stepv1.StepKind_STEP_KIND_UNSPECIFIED {
		s.kind = stepv1.StepKind_STEP_KIND_METADATA
	}
	if s.extractKind == stepv1.StepKind_STEP_KIND_UNSPECIFIED {
		s.extractKind = s.kind
	}
	cfg := testConfig(h.tb, s.config)
	_, err := h.l.LoadStep(h.ctx, &loaderv1.LoadStepRequest{JobId: job, StepId: s.name, DestinationInstanceId: "dst",
		Resources: s.resources, BatchSize: s.batchSize, RetryDeferred: s.final, DryRun: s.dryRun, Kind: s.kind, Config: cfg,
		ImportParams: s.importParams})
	if err != nil {
		h.tb.Fatal(err)
	}
	_, err = h.x.ExtractStep(h.ctx, &extractorv1.ExtractStepRequest{JobId: job, StepId: s.name, SourceInstanceId: "src",
		Resources: s.resources, Params: s.params, PageSize: s.pageSize, Kind: s.extractKind, Config: cfg})
	if err != nil {
		h.tb.Fatal(err)
	}
}

// planSteps is the metadata plan as steps.
func planSteps(tb testing.TB, pageSize int32) []stepSpec {
	groups, err := metadataplan.Plan(nil)
	if err != nil {
		tb.Fatal(err)
	}
	var out []stepSpec
	for i, g := range groups {
		out = append(out, stepSpec{name: fmt.Sprintf("s%02d", i+1), resources: g.Resources, params: g.Params,
			pageSize: pageSize, final: i == len(groups)-1})
	}
	return out
}

// sync runs every step of the plan in order and returns the results per step.
func (h *harness) sync(job string, steps []stepSpec) (map[string][]*batchv1.Result, *results) {
	h.tb.Helper()
	r := h.watchResults(job)
	out := map[string][]*batchv1.Result{}
	for _, s := range steps {
		h.start(job, s)
		out[s.name] = r.waitLast(h.tb, s.name)
	}
	return out, r
}

func (h *harness) verify(resources []string, config string) *extractorv1.VerifyStepResponse {
	h.tb.Helper()
	resp, err := h.x.VerifyStep(h.ctx, &extractorv1.VerifyStepRequest{JobId: "verify", SourceInstanceId: "src",
		DestinationInstanceIds: []string{"dst"}, Resources: resources, Kind: stepv1.StepKind_STEP_KIND_VERIFY, Config: testConfig(h.tb, config), MaxDifferences: 20})
	if err != nil {
		h.tb.Fatal(err)
	}
	return resp
}

func totals(byStep map[string][]*batchv1.Result) (created, updated, errs int64, failures []string) {
	for step, list := range byStep {
		for _, r := range list {
			created += r.GetCreated()
			updated += r.GetUpdated()
			errs += r.GetErrors()
			if r.GetError() != "" {
				failures = append(failures, step+": "+r.GetError())
			}
		}
	}
	return
}

// stepsThrough returns the plan's steps up to the one carrying resource, the last of them marked final.
func stepsThrough(tb testing.TB, resource string, pageSize int32) []stepSpec {
	tb.Helper()
	var out []stepSpec
	for _, s := range planSteps(tb, pageSize) {
		s.final = false
		out = append(out, s)
		for _, r := range s.resources {
			if r == resource {
				out[len(out)-1].final = true
				return out
			}
		}
	}
	tb.Fatalf("no step carries %s", resource)
	return nil
}

func conflictsOf(list []*batchv1.Result) []*batchv1.Conflict {
	var out []*batchv1.Conflict
	for _, r := range list {
		out = append(out, r.GetConflicts()...)
	}
	return out
}

func (r *results) snapshot() []*batchv1.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*batchv1.Result(nil), r.list...)
}

// testConfig reads a configuration written as protojson ("" is the default configuration).
func testConfig(tb testing.TB, s string) *configv1.Config {
	tb.Helper()
	cfg := &configv1.Config{}
	if s != "" {
		if err := protojson.Unmarshal([]byte(s), cfg); err != nil {
			tb.Fatalf("test configuration %s: %v", s, err)
		}
	}
	return cfg
}
