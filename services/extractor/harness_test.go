package extractor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/extractor"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/loader"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// registry answers GetCredentials for "src" and "dst" in-process.
type registry map[string]string

func (r registry) GetCredentials(_ context.Context, req *instancev1.GetCredentialsRequest, _ ...grpc.CallOption) (*instancev1.GetCredentialsResponse, error) {
	u, ok := r[req.GetId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "instance %s not found", req.GetId())
	}
	return &instancev1.GetCredentialsResponse{BaseUrl: u, AuthType: instancev1.AuthType_AUTH_TYPE_BASIC, Username: "admin", Password: "district"}, nil
}

// syncHarness runs an extractor and a loader in-process over embedded NATS between two simulators, the way
// the orchestrator drives them.
type syncHarness struct {
	tb       testing.TB
	ctx      context.Context
	nc       *natsx.Conn
	src, dst *dhis2sim.Server
	x        *extractor.Extractor
	l        *loader.Loader
}

func newSyncHarness(tb testing.TB, srcVersion, dstVersion string) *syncHarness {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	nc, err := natsx.Connect(ctx, testenv.NATS(tb), "test", slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	src, srcTS := dhis2sim.NewTestServer(tb, dhis2sim.Options{Version: srcVersion, Seed: 1})
	dst, dstTS := dhis2sim.NewTestServer(tb, dhis2sim.Options{Version: dstVersion, Seed: 2})
	reg := registry{"src": srcTS.URL, "dst": dstTS.URL}
	tune := func(o *dhis2.Options) {
		o.Retry = dhis2.RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
		o.RatePerSecond = -1
	}
	h := &syncHarness{tb: tb, ctx: ctx, nc: nc, src: src, dst: dst}
	h.x = extractor.New(ctx, nc.JS, &extractor.Clients{Registry: reg, Tune: tune}, slog.New(slog.DiscardHandler))
	h.l = loader.New(ctx, nc.JS, &loader.Clients{Registry: reg, Tune: tune}, slog.New(slog.DiscardHandler),
		loader.Options{RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	return h
}

// sync runs every metadata group of the configuration's families as one step each, and returns the results.
func (h *syncHarness) sync(job, config string, families ...string) []*batchv1.Result {
	h.tb.Helper()
	groups, err := metadataplan.Plan(families)
	if err != nil {
		h.tb.Fatal(err)
	}
	var mu sync.Mutex
	var got []*batchv1.Result
	arrived := make(chan struct{}, 1)
	cons, err := h.nc.JS.OrderedConsumer(h.ctx, natsx.ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"dhis2sync.result." + job + ".>"}})
	if err != nil {
		h.tb.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		r := &batchv1.Result{}
		if proto.Unmarshal(m.Data(), r) != nil {
			return
		}
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		select {
		case arrived <- struct{}{}:
		default:
		}
	})
	if err != nil {
		h.tb.Fatal(err)
	}
	defer cc.Stop()
	for i, g := range groups {
		step := fmt.Sprintf("s%02d", i+1)
		if _, err := h.l.LoadStep(h.ctx, &loaderv1.LoadStepRequest{JobId: job, StepId: step, DestinationInstanceId: "dst",
			Resources: g.Resources, RetryDeferred: i == len(groups)-1, Kind: stepv1.StepKind_STEP_KIND_METADATA, Config: testConfig(h.tb, config)}); err != nil {
			h.tb.Fatal(err)
		}
		if _, err := h.x.ExtractStep(h.ctx, &extractorv1.ExtractStepRequest{JobId: job, StepId: step, SourceInstanceId: "src",
			Resources: g.Resources, Params: g.Params, PageSize: 100, Kind: stepv1.StepKind_STEP_KIND_METADATA, Config: testConfig(h.tb, config)}); err != nil {
			h.tb.Fatal(err)
		}
		deadline := time.After(60 * time.Second) // a guard against a hung test, not a speed assertion
		for done := false; !done; {
			mu.Lock()
			for _, r := range got {
				done = done || r.GetStepId() == step && r.GetLast()
			}
			mu.Unlock()
			if done {
				break
			}
			select {
			case <-arrived:
			case <-deadline:
				h.tb.Fatalf("step %s (%v): no last result", step, g.Resources)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]*batchv1.Result(nil), got...)
}

func (h *syncHarness) verify(config string) *extractorv1.VerifyStepResponse {
	h.tb.Helper()
	resp, err := h.x.VerifyStep(h.ctx, &extractorv1.VerifyStepRequest{JobId: "verify", SourceInstanceId: "src",
		DestinationInstanceIds: []string{"dst"}, Kind: stepv1.StepKind_STEP_KIND_VERIFY, Config: testConfig(h.tb, config), MaxDifferences: 50})
	if err != nil {
		h.tb.Fatal(err)
	}
	return resp
}

// isPackage tells a metadata package from the import reports stored next to it.
func isPackage(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, report := m["typeReports"]
	_, wrapped := m["response"]
	_, wrappedOK := m["httpStatus"]
	return !report && !wrapped && !wrappedOK
}
