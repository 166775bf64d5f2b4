package loader

import (
	"context"
	"log/slog"
	"sync"
	"time"

	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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

	mu      sync.Mutex
	running map[string]map[string]context.CancelFunc // job -> consumer name -> cancel
	wg      sync.WaitGroup
}

// New returns a Loader whose consumers live as long as ctx.
func New(ctx context.Context, js jetstream.JetStream, clients *Clients, log *slog.Logger, opts Options) *Loader {
	return &Loader{js: js, clients: clients, log: log, base: ctx, opts: opts.withDefaults(),
		deferred: newDeferredStore(), running: map[string]map[string]context.CancelFunc{}}
}

// LoadStep starts the durable consumer of one step and destination in the background. Calling it again for a
// consumer that runs is harmless.
func (l *Loader) LoadStep(_ context.Context, req *loaderv1.LoadStepRequest) (*loaderv1.LoadStepResponse, error) {
	if req.GetJobId() == "" || req.GetStepId() == "" || req.GetDestinationInstanceId() == "" {
		return nil, status.Error(codes.InvalidArgument, "job_id, step_id and destination_instance_id are required")
	}
	if _, err := parseConfig(req.GetConfigJson()); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "config_json is not a dhis2sync.config.v1.Config in protojson: %v", err)
	}
	name := ConsumerName(req.GetJobId(), req.GetStepId(), req.GetDestinationInstanceId())
	l.mu.Lock()
	jobs := l.running[req.GetJobId()]
	if jobs == nil {
		jobs = map[string]context.CancelFunc{}
		l.running[req.GetJobId()] = jobs
	}
	if _, busy := jobs[name]; busy {
		l.mu.Unlock()
		return &loaderv1.LoadStepResponse{Accepted: true}, nil
	}
	ctx, cancel := context.WithCancel(l.base)
	jobs[name] = cancel
	l.wg.Add(1)
	l.mu.Unlock()
	go func() {
		defer l.wg.Done()
		defer l.forget(req.GetJobId(), name)
		defer cancel()
		l.runStep(ctx, req, name)
	}()
	return &loaderv1.LoadStepResponse{Accepted: true}, nil
}

func (l *Loader) forget(job, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.running[job], name)
	if len(l.running[job]) == 0 {
		delete(l.running, job)
	}
}

// CancelJob stops every consumer of a job (their unacknowledged batches stay in JetStream) and forgets the
// objects deferred for it.
func (l *Loader) CancelJob(_ context.Context, req *loaderv1.CancelJobRequest) (*loaderv1.CancelJobResponse, error) {
	l.mu.Lock()
	n := 0
	for _, cancel := range l.running[req.GetJobId()] {
		cancel()
		n++
	}
	l.mu.Unlock()
	l.deferred.dropJob(req.GetJobId())
	return &loaderv1.CancelJobResponse{Stopped: int32(n)}, nil
}

// Wait blocks until every consumer has stopped.
func (l *Loader) Wait() { l.wg.Wait() }
