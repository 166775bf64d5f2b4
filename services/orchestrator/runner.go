package orchestrator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// errCancelled is the cause of a job context cancelled by CancelJob (as opposed to a process shutdown, after
// which the job is resumed).
var errCancelled = errors.New("job cancelled")

// startJob runs a top-level job in the background unless this process already runs it.
func (s *Service) startJob(rootID string, resumed bool) {
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	if base == nil || base.Err() != nil {
		return
	}
	s.jobs.Go(base, rootID, "", func(ctx context.Context) {
		if err := s.runJob(ctx, rootID, resumed); err != nil {
			s.log.Error("job runner stopped; the job will be resumed", slog.String("job_id", rootID),
				slog.String("error", err.Error()))
			_ = s.st.release(context.WithoutCancel(ctx), rootID, s.owner)
		}
	})
}

// cancelLocal cancels a job this process runs.
func (s *Service) cancelLocal(rootID string) bool {
	return s.jobs.Cancel(rootID, errCancelled) > 0
}

// runJob runs a job's sub-jobs in order, from wherever the job stands (a resumed job skips what is done).
func (s *Service) runJob(ctx context.Context, rootID string, resumed bool) error {
	root, err := s.st.job(ctx, s.st.db, rootID)
	if err != nil {
		return err
	}
	if root.CancelRequested {
		return s.finishCancelled(ctx, root)
	}
	if root.Status.final() || root.Status == statusRetrying {
		return nil
	}
	if root.Status == statusPending {
		if err := s.st.mustMoveJob(ctx, root.ID, statusPending, statusRunning, ""); err != nil {
			return err
		}
		root.Status = statusRunning
		s.info(ctx, root, "", "job started: %s of configuration %q", root.Type, root.ConfigName)
	} else if resumed {
		s.info(ctx, root, "", "resumed after restart")
	}
	s.publishJob(ctx, root.ID, eventState)
	stop := s.heartbeatLoop(ctx, root.ID)
	defer stop()

	subs, err := s.st.subJobs(ctx, root.ID)
	if err != nil {
		return err
	}
	stopped := "" // why later sub-jobs are not started (a critical sub-job failed)
	for _, sub := range subs {
		if ctx.Err() != nil {
			break
		}
		if sub.Status.final() {
			if sub.Status == statusFailed && s.opts.onFailure(root, sub).stopJob {
				stopped = fmt.Sprintf("the %s sub-job failed", sub.Kind)
			}
			continue
		}
		if stopped != "" {
			if err := s.skipSubJob(ctx, root, sub, "not started: "+stopped); err != nil {
				return err
			}
			continue
		}
		status, err := s.runSubJob(ctx, root, sub)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
		if status == statusFailed && s.opts.onFailure(root, sub).stopJob {
			stopped = fmt.Sprintf("the %s sub-job failed", sub.Kind)
		}
	}
	switch {
	case errors.Is(context.Cause(ctx), errCancelled):
		return s.finishCancelled(ctx, root)
	case ctx.Err() != nil:
		// Shutdown: leave the job RUNNING and hand it over to the next process.
		return s.st.release(context.WithoutCancel(ctx), root.ID, s.owner)
	}
	return s.finishJob(ctx, root)
}

// heartbeatLoop keeps the job's ownership alive and notices a cancellation requested through another process.
func (s *Service) heartbeatLoop(ctx context.Context, rootID string) func() {
	hctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.opts.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				requested, err := s.st.heartbeat(hctx, rootID, s.owner)
				if err == nil && requested {
					s.cancelLocal(rootID)
					return
				}
			}
		}
	}()
	return func() { stop(); <-done }
}

func (s *Service) skipSubJob(ctx context.Context, root, sub *jobRow, why string) error {
	steps, err := s.st.steps(ctx, "job_id", sub.ID)
	if err != nil {
		return err
	}
	for _, st := range steps {
		if !st.Status.final() {
			if err := s.st.mustMoveStep(ctx, st.ID, st.Status, statusCancelled, why); err != nil {
				return err
			}
		}
	}
	if err := s.st.mustMoveJob(ctx, sub.ID, sub.Status, statusCancelled, why); err != nil {
		return err
	}
	s.warn(ctx, sub, "", "%s sub-job cancelled: %s", sub.Kind, why)
	s.publishJob(ctx, root.ID, eventState)
	return nil
}

// runSubJob runs a sub-job's steps in order; what a failed step does to the sub-job is onFailure's decision.
func (s *Service) runSubJob(ctx context.Context, root, sub *jobRow) (Status, error) {
	if sub.Status == statusPending {
		if err := s.st.mustMoveJob(ctx, sub.ID, statusPending, statusRunning, ""); err != nil {
			return "", err
		}
		sub.Status = statusRunning
		s.info(ctx, sub, "", "%s sub-job started", sub.Kind)
	}
	steps, err := s.st.steps(ctx, "job_id", sub.ID)
	if err != nil {
		return "", err
	}
	for i, st := range steps {
		if st.Status.final() && st.Status != statusFailed {
			continue
		}
		out := ended(st.Status, st.Message) // a step that failed before a restart
		if st.Status != statusFailed {
			out = s.runStep(ctx, root, sub, st)
			if out.interrupted {
				return "", cmp.Or(ctx.Err(), errors.New("step interrupted"))
			}
		}
		if out.status != statusFailed {
			continue
		}
		effect := s.opts.onFailure(root, sub)
		if effect.cancelRest {
			for _, rest := range steps[i+1:] {
				if rest.Status.final() {
					continue
				}
				if err := s.st.mustMoveStep(ctx, rest.ID, rest.Status, statusCancelled, "not started: step "+st.Name+" failed"); err != nil {
					return "", err
				}
			}
		}
		why := fmt.Sprintf("step %s failed: %s", st.Name, out.message)
		if err := s.st.mustMoveJob(ctx, sub.ID, statusRunning, effect.subJob, why); err != nil {
			return "", err
		}
		s.logError(ctx, sub, "", "%s sub-job failed: %s", sub.Kind, why)
		s.publishJob(ctx, root.ID, eventState)
		return effect.subJob, nil
	}
	cur, err := s.st.job(ctx, s.st.db, sub.ID)
	if err != nil {
		return "", err
	}
	status := statusCompleted
	if cur.Errors > 0 || cur.Warnings > 0 {
		status = statusCompletedWarnings
	}
	if err := s.st.mustMoveJob(ctx, sub.ID, statusRunning, status, ""); err != nil {
		return "", err
	}
	s.info(ctx, sub, "", "%s sub-job %s: %s", sub.Kind, status.human(), summary(cur.counters))
	s.publishJob(ctx, root.ID, eventState)
	return status, nil
}

// finishJob decides a job's final status from its sub-jobs; a failed job is retried or not as onFailure says.
func (s *Service) finishJob(ctx context.Context, root *jobRow) error {
	subs, err := s.st.subJobs(ctx, root.ID)
	if err != nil {
		return err
	}
	cur, err := s.st.job(ctx, s.st.db, root.ID)
	if err != nil {
		return err
	}
	status, msg := decideStatus(cur, subs)
	var delay time.Duration
	if status == statusFailed {
		effect := s.opts.onFailure(cur, nil)
		status, delay = effect.job, effect.retryIn
		if effect.note != "" {
			msg = fmt.Sprintf("%s (%s)", msg, effect.note)
		}
	}
	if status == statusRetrying {
		err = s.st.setRetrying(ctx, root.ID, msg, delay)
	} else {
		err = s.st.mustMoveJob(ctx, root.ID, statusRunning, status, msg)
	}
	if err != nil {
		return err
	}
	line := fmt.Sprintf("job %s: %s", status.human(), summary(cur.counters))
	if msg != "" {
		line += " — " + msg
	}
	level := orchestratorv1.LogLevel_LOG_LEVEL_INFO
	switch status {
	case statusCompletedWarnings, statusRetrying:
		level = orchestratorv1.LogLevel_LOG_LEVEL_WARNING
	case statusFailed, statusFailedPermanently:
		level = orchestratorv1.LogLevel_LOG_LEVEL_ERROR
	}
	s.jobLog(ctx, root, "", level, line, nil)
	s.publishJob(ctx, root.ID, eventState)
	if status == statusRetrying {
		s.retryAfter(root.ID, delay)
	}
	return nil
}

// decideStatus: a failed sub-job that stops the job (onFailure), or every sub-job failing, fails the job;
// another failed sub-job, or any error or warning counted, completes it with warnings.
func decideStatus(root *jobRow, subs []*jobRow) (Status, string) {
	failed := 0
	var firstFailure string
	for _, sub := range subs {
		if sub.Status != statusFailed && sub.Status != statusCancelled {
			continue
		}
		failed++
		why := fmt.Sprintf("the %s sub-job %s: %s", sub.Kind, sub.Status.human(), sub.Message)
		if sub.Status == statusFailed && (Options{}).onFailure(root, sub).stopJob {
			return statusFailed, why
		}
		if firstFailure == "" {
			firstFailure = why
		}
	}
	switch {
	case failed > 0 && failed == len(subs):
		return statusFailed, firstFailure
	case failed > 0:
		return statusCompletedWarnings, firstFailure
	case root.Errors > 0 || root.Warnings > 0:
		return statusCompletedWarnings, ""
	}
	return statusCompleted, ""
}

func summary(c counters) string {
	return fmt.Sprintf("%d processed (%d created, %d updated, %d deleted, %d ignored, %d errors, %d warnings)",
		c.Processed, c.Created, c.Updated, c.Deleted, c.Ignored, c.Errors, c.Warnings)
}
