package instanceregistry

import (
	"context"
	"log/slog"
	"sync"
	"time"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
)

// healthCheckConcurrency bounds how many instances the periodic check tests at once.
const healthCheckConcurrency = 4

// InstanceEvent is published on dhis2sync.event.instance.<id> after every connection test. Status is the
// ConnectionStatus name, e.g. "CONNECTION_STATUS_OK", as in the REST API.
type InstanceEvent struct {
	InstanceID string    `json:"instanceId"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	Version    string    `json:"version"`
	Message    string    `json:"message"`
	Time       time.Time `json:"time"`
}

// RunHealthChecks tests every active instance now and then every interval, until ctx is done.
func (s *Server) RunHealthChecks(ctx context.Context, interval time.Duration) {
	s.log.InfoContext(ctx, "periodic connection checks", slog.Duration("interval", interval))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.CheckAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckAll tests every active instance, a few at a time, and returns when all are done.
func (s *Server) CheckAll(ctx context.Context) {
	active := true
	list, err := s.store.list(ctx, listFilter{Active: &active})
	if err != nil {
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "periodic connection check: list instances", slog.String("error", err.Error()))
		}
		return
	}
	sem := make(chan struct{}, healthCheckConcurrency)
	var wg sync.WaitGroup
	for _, in := range list {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, _, err := s.testInstance(ctx, in); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "periodic connection check", slog.String("instance_id", in.ID), slog.String("error", err.Error()))
			}
		})
	}
	wg.Wait()
}

// testInstance tests one instance, records the outcome and publishes it.
func (s *Server) testInstance(ctx context.Context, in *instance) (connectionResult, *instance, error) {
	creds, err := s.open(in)
	if err != nil {
		return connectionResult{}, nil, err
	}
	r, err := s.tester.test(ctx, in, creds)
	if err != nil {
		return connectionResult{}, nil, err
	}
	updated, err := s.store.recordConnection(ctx, in.ID, r)
	if err != nil {
		return connectionResult{}, nil, err
	}
	s.logOutcome(ctx, in, r)
	s.publish(ctx, updated, r)
	return r, updated, nil
}

// logOutcome logs changes of status; a status that stays the same is routine.
func (s *Server) logOutcome(ctx context.Context, before *instance, r connectionResult) {
	attrs := []any{slog.String("instance_id", before.ID), slog.String("name", before.Name),
		slog.String("status", statusColumn(r.Status)), slog.Duration("latency", r.Latency)}
	switch {
	case statusColumn(r.Status) == before.ConnectionStatus:
		s.log.DebugContext(ctx, "instance connection tested", attrs...)
	case r.Status == instancev1.ConnectionStatus_CONNECTION_STATUS_OK:
		s.log.InfoContext(ctx, "instance connection ok", append(attrs, slog.String("version", r.Version))...)
	default:
		s.log.WarnContext(ctx, "instance connection failed", append(attrs, slog.String("message", r.Message))...)
	}
}

// publish sends the outcome of a test to monitoring tools; a NATS failure does not fail the test.
func (s *Server) publish(ctx context.Context, in *instance, r connectionResult) {
	if s.events == nil {
		return
	}
	ev := InstanceEvent{
		InstanceID: in.ID, Name: in.Name, Status: r.Status.String(), Version: in.Version,
		Message: r.Message, Time: r.Time.UTC(),
	}
	if err := s.events.PublishEvent(ctx, natsx.InstanceEventSubject(in.ID), ev); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "publish instance event", slog.String("instance_id", in.ID), slog.String("error", err.Error()))
	}
}
