package orchestrator

import (
	"context"
	"log/slog"
	"sync"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
	"github.com/dhis2sync/dhis2sync/services/platform/cancelreg"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
)

// Deps are the orchestrator's collaborators.
type Deps struct {
	DB        *sqlx.DB
	NATS      *natsx.Conn
	Config    configv1.ConfigServiceClient
	Extractor extractorv1.ExtractorServiceClient
	Loader    loaderv1.LoaderServiceClient
	// Verifier compares source and destination after a run; nil means the extractor cannot verify yet.
	Verifier Verifier
	// Probe asks the source what changed, for automatic mode; nil disables the watcher.
	Probe extractorv1.ChangeProbeServiceClient
	// Alerts delivers alerts; nil sends none.
	Alerts *alert.Sender
	Log    *slog.Logger
}

// Service is the orchestrator: the gRPC API plus the background work (results, runners, resume, retries,
// scheduler).
type Service struct {
	orchestratorv1.UnimplementedOrchestratorServiceServer

	st   *store
	deps Deps
	opts Options
	log  *slog.Logger
	// owner identifies this process in jobs.owner.
	owner string

	mu      sync.Mutex
	base    context.Context
	jobs    cancelreg.Registry // the top-level jobs this process runs
	waiters map[string]chan struct{}
	wg      sync.WaitGroup

	auto automation // watcher and alerts state (watch.go… files)
}

// New returns a Service; Start runs its background work.
func New(d Deps, o Options) *Service {
	if d.Verifier == nil {
		d.Verifier = unavailableVerifier{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		st: &store{db: d.DB}, deps: d, opts: o.withDefaults(), log: d.Log,
		owner:   uuid.NewString(),
		waiters: map[string]chan struct{}{},
	}
}

// Start consumes results, resumes jobs whose process died, launches due retries and runs the scheduler until
// ctx is done. Wait returns when all of it has stopped.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
	if err := s.consumeResults(ctx); err != nil {
		return err
	}
	s.goBackground(func() { s.scanLoop(ctx) })
	if s.opts.ScheduleRefresh > 0 {
		s.goBackground(func() { s.scheduleLoop(ctx) })
	}
	return s.startAutomation(ctx)
}

// Wait blocks until the background work started by Start has stopped (after its context is done).
func (s *Service) Wait() {
	s.wg.Wait()
	s.jobs.Wait()
}

func (s *Service) goBackground(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// waiter returns the channel signalled when a result for the step is recorded.
func (s *Service) waiter(stepID string) (<-chan struct{}, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{}, 1)
	s.waiters[stepID] = ch
	return ch, func() {
		s.mu.Lock()
		delete(s.waiters, stepID)
		s.mu.Unlock()
	}
}

func (s *Service) signal(stepID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.waiters[stepID]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
