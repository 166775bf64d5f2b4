package loader

import (
	"context"
	"log/slog"
	"time"

	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
	"github.com/dhis2sync/dhis2sync/services/platform/cancelreg"
	"github.com/nats-io/nats.go/jetstream"
)

// Options tune the loader; zero values take the defaults.
type Options struct {
	// MaxRequestBytes is the uncompressed size from which a splittable step is cut into several import
	// requests. Default 8 MB, under the 10 MB body limit DHIS2's documented nginx setup has.
	MaxRequestBytes int
	// Attempts is how many times an import request is tried in a row on transient failures before its
	// batches are handed back to JetStream with a delay. Default 5.
	Attempts int
	// RetryBase is the first backoff between attempts; it doubles up to RetryMax. Defaults 1s and 1m.
	RetryBase, RetryMax time.Duration
	// Redeliveries is how many JetStream deliveries a batch gets before it is treated as poison. Default 10.
	Redeliveries int
}

func (o Options) withDefaults() Options {
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = 8 << 20
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Minute
	}
	if o.Redeliveries <= 0 {
		o.Redeliveries = 10
	}
	return o
}

// Loader serves the LoaderService.
type Loader struct {
	loaderv1.UnimplementedLoaderServiceServer

	js       jetstream.JetStream
	clients  *Clients
	log      *slog.Logger
	base     context.Context
	opts     Options
	deferred *deferredStore
	running  cancelreg.Registry // job -> consumer name
}

// New returns a Loader whose consumers live as long as ctx.
func New(ctx context.Context, js jetstream.JetStream, clients *Clients, log *slog.Logger, opts Options) *Loader {
	return &Loader{js: js, clients: clients, log: log, base: ctx, opts: opts.withDefaults(), deferred: newDeferredStore()}
}

// LoadStep starts the durable consumer of one step and destination in the background. Calling it again for a
// consumer that runs is harmless.
func (l *Loader) LoadStep(ctx context.Context, req *loaderv1.LoadStepRequest) (*loaderv1.LoadStepResponse, error) {
	drain, err := checkLoad(req)
	if err != nil {
		return nil, l.toStatus(ctx, "LoadStep", req, err)
	}
	name := ConsumerName(req.GetJobId(), req.GetStepId(), req.GetDestinationInstanceId())
	l.running.Go(l.base, req.GetJobId(), name, func(ctx context.Context) { l.runStep(ctx, req, drain, name) })
	return &loaderv1.LoadStepResponse{Accepted: true}, nil
}

// checkLoad validates a request and returns the drainer of its kind.
func checkLoad(req *loaderv1.LoadStepRequest) (drainer, error) {
	if req.GetJobId() == "" || req.GetStepId() == "" || req.GetDestinationInstanceId() == "" {
		return nil, classed(ErrInvalidArgument, nil, "job_id, step_id and destination_instance_id are required")
	}
	drain, err := drainerFor(req.GetKind())
	if err != nil {
		return nil, err
	}
	if err := resource.CheckKind(req.GetKind(), req.GetResources()); err != nil {
		return nil, classed(ErrInvalidArgument, err, "%v", err)
	}
	return drain, nil
}

// CancelJob stops every consumer of a job (their unacknowledged batches stay in JetStream) and forgets the
// objects deferred for it.
func (l *Loader) CancelJob(_ context.Context, req *loaderv1.CancelJobRequest) (*loaderv1.CancelJobResponse, error) {
	n := l.running.Cancel(req.GetJobId(), nil)
	l.deferred.dropJob(req.GetJobId())
	return &loaderv1.CancelJobResponse{Stopped: int32(n)}, nil
}

// Wait blocks until every consumer has stopped.
func (l *Loader) Wait() { l.running.Wait() }
