package orchestrator

import (
	"context"
	"log/slog"
	"time"
)

// scanLoop resumes jobs whose process died (no heartbeat for StaleAfter, or released at shutdown) and launches
// automatic retries that are due, at start and then every ScanInterval.
func (s *Service) scanLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.ScanInterval)
	defer t.Stop()
	for {
		s.scan(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) scan(ctx context.Context) {
	ids, err := s.st.claimStale(ctx, s.owner, s.opts.StaleAfter.Seconds())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("looking for jobs to resume failed", slog.String("error", err.Error()))
		}
		return
	}
	for _, id := range ids {
		s.log.Info("resuming job after restart", slog.String("job_id", id))
		s.startJob(id, true)
	}
	due, err := s.st.dueRetries(ctx)
	if err != nil {
		return
	}
	for _, id := range due {
		if _, err := s.retry(ctx, id, true, ""); err != nil && ctx.Err() == nil {
			s.log.Warn("automatic retry not launched", slog.String("job_id", id), slog.String("error", err.Error()))
		}
	}
}
