package extractor

import (
	"context"
	"log/slog"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
	"github.com/dhis2sync/dhis2sync/services/platform/cancelreg"
)

// Extractor serves the ExtractorService.
type Extractor struct {
	extractorv1.UnimplementedExtractorServiceServer

	js      Publisher
	clients *Clients
	log     *slog.Logger
	base    context.Context
	running cancelreg.Registry // job -> step
}

// New returns an Extractor whose background extractions live as long as ctx.
func New(ctx context.Context, js Publisher, clients *Clients, log *slog.Logger) *Extractor {
	return &Extractor{js: js, clients: clients, log: log, base: ctx}
}

// ExtractStep starts reading a step in the background. A step already running is not started twice.
func (x *Extractor) ExtractStep(ctx context.Context, req *extractorv1.ExtractStepRequest) (*extractorv1.ExtractStepResponse, error) {
	read, err := checkExtract(req)
	if err != nil {
		return nil, x.toStatus(ctx, "ExtractStep", req, err)
	}
	x.running.Go(x.base, req.GetJobId(), req.GetStepId(), func(ctx context.Context) { x.runStep(ctx, req, read) })
	return &extractorv1.ExtractStepResponse{Accepted: true}, nil
}

// checkExtract validates a request and returns the reader of its kind.
func checkExtract(req *extractorv1.ExtractStepRequest) (reader, error) {
	if req.GetJobId() == "" || req.GetStepId() == "" {
		return nil, invalidf("job_id and step_id are required")
	}
	read, err := readerFor(req.GetKind())
	if err != nil {
		return nil, err
	}
	if err := resource.CheckKind(req.GetKind(), req.GetResources()); err != nil {
		return nil, classed(ErrInvalidArgument, err, "%v", err)
	}
	if req.GetSourceInstanceId() == "" {
		return nil, invalidf("source_instance_id is required")
	}
	return read, nil
}

// CancelJob stops every extraction of a job; each closes its step with an error batch.
func (x *Extractor) CancelJob(_ context.Context, req *extractorv1.CancelJobRequest) (*extractorv1.CancelJobResponse, error) {
	return &extractorv1.CancelJobResponse{Stopped: int32(x.running.Cancel(req.GetJobId(), nil))}, nil
}

// Wait blocks until every background extraction has returned.
func (x *Extractor) Wait() { x.running.Wait() }
