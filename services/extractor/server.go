package extractor

import (
	"context"
	"log/slog"
	"sync"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Extractor serves the ExtractorService.
type Extractor struct {
	extractorv1.UnimplementedExtractorServiceServer

	js      Publisher
	clients *Clients
	log     *slog.Logger
	base    context.Context

	mu      sync.Mutex
	running map[string]map[string]context.CancelFunc // job -> step -> cancel
	wg      sync.WaitGroup
}

// New returns an Extractor whose background extractions live as long as ctx.
func New(ctx context.Context, js Publisher, clients *Clients, log *slog.Logger) *Extractor {
	return &Extractor{js: js, clients: clients, log: log, base: ctx, running: map[string]map[string]context.CancelFunc{}}
}

// ExtractStep starts reading a step in the background. A step already running is not started twice.
func (x *Extractor) ExtractStep(_ context.Context, req *extractorv1.ExtractStepRequest) (*extractorv1.ExtractStepResponse, error) {
	if req.GetJobId() == "" || req.GetStepId() == "" {
		return nil, status.Error(codes.InvalidArgument, "job_id and step_id are required")
	}
	if len(req.GetResources()) == 0 && req.GetParams()["kind"] == "" {
		return nil, status.Error(codes.InvalidArgument, "resources is empty: name the DHIS2 resources the step reads")
	}
	if req.GetSourceInstanceId() == "" && stepKind(req.GetResources(), req.GetParams()) != kindData {
		return nil, status.Error(codes.InvalidArgument, "source_instance_id is required")
	}
	x.mu.Lock()
	steps := x.running[req.GetJobId()]
	if steps == nil {
		steps = map[string]context.CancelFunc{}
		x.running[req.GetJobId()] = steps
	}
	if _, busy := steps[req.GetStepId()]; busy {
		x.mu.Unlock()
		return &extractorv1.ExtractStepResponse{Accepted: true}, nil
	}
	ctx, cancel := context.WithCancel(x.base)
	steps[req.GetStepId()] = cancel
	x.wg.Add(1)
	x.mu.Unlock()
	go func() {
		defer x.wg.Done()
		defer x.forget(req.GetJobId(), req.GetStepId())
		defer cancel()
		x.runStep(ctx, req)
	}()
	return &extractorv1.ExtractStepResponse{Accepted: true}, nil
}

func (x *Extractor) forget(job, step string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.running[job], step)
	if len(x.running[job]) == 0 {
		delete(x.running, job)
	}
}

// CancelJob stops every extraction of a job; each closes its step with an error batch.
func (x *Extractor) CancelJob(_ context.Context, req *extractorv1.CancelJobRequest) (*extractorv1.CancelJobResponse, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, cancel := range x.running[req.GetJobId()] {
		cancel()
		n++
	}
	return &extractorv1.CancelJobResponse{Stopped: int32(n)}, nil
}

// Wait blocks until every background extraction has returned.
func (x *Extractor) Wait() { x.wg.Wait() }
