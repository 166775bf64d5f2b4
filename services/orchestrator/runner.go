package orchestrator

import (
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
	if s.base == nil || s.base.Err() != nil {
		s.mu.Unlock()
		return
	}
	if _, ok := s.running[rootID]; ok {
		s.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancelCause(s.base)
	s.running[rootID] = cancel
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, rootID)
			s.mu.Unlock()
			cancel(nil)
		}()
		if err := s.runJob(ctx, cancel, rootID, resumed); err != nil {
			s.log.Error("job runner stopped; the job will be resumed", slog.String("job_id", rootID),
				slog.String("error", err.Error()))
			s.releaseUntilDone(rootID)
		}
	}()
}

// releaseUntilDone hands a stopped job back to the resume scan. The runner usually stops because PostgreSQL
// failed, so the release is retried until it is stored: the scan never claims a job this process still owns,
// and an unreleased job would wait for a restart of the orchestrator.
func (s *Service) releaseUntilDone(rootID string) {
	delay := 500 * time.Millisecond
	for {
		err := s.st.release(context.Background(), rootID, s.owner)
		if err == nil || s.base.Err() != nil {
			return
		}
		s.log.Warn("releasing a stopped job failed; retrying", slog.String("job_id", rootID), slog.String("error", err.Error()))
		select {
		case <-s.base.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

// cancelLocal cancels a job this process runs.
func (s *Service) cancelLocal(rootID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cancel, ok := s.running[rootID]; ok {
		cancel(errCancelled)
		return true
	}
	return false
}

// runJob runs a job's sub-jobs in order, from wherever the job stands (a resumed job skips what is done).
func (s *Service) runJob(ctx context.Context, cancel context.CancelCauseFunc, rootID string, resumed bool) error {
	root, err := s.st.job(ctx, s.st.db, rootID)
	if err != nil {
		return err
	}
	if root.CancelRequested {
		return s.finishCancelled(ctx, root)
	}
	if final(root.Status) || root.Status == statusRetrying {
		return nil
	}
	if root.Status == statusPending {
		if err := s.st.setJobStatus(ctx, root.ID, statusRunning, ""); err != nil {
			return err
		}
		s.info(ctx, root, "", "job started: %s of configuration %q", root.Type, root.ConfigName)
	} else if resumed {
		s.info(ctx, root, "", "resumed after restart")
	}
	s.publishJob(ctx, root.ID, eventState)
	stop := s.heartbeatLoop(ctx, cancel, root.ID)
	defer stop()

	subs, err := s.st.subJobs(ctx, root.ID)
	if err != nil {
		return err
	}
	criticalFailure := ""
	for _, sub := range subs {
		if ctx.Err() != nil {
			break
		}
		if final(sub.Status) {
			if sub.Critical && sub.Status == statusFailed {
				criticalFailure = fmt.Sprintf("the %s sub-job failed", sub.Kind)
			}
			continue
		}
		if criticalFailure != "" {
			if err := s.skipSubJob(ctx, root, sub, "not started: "+criticalFailure); err != nil {
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
		if status == statusFailed && sub.Critical {
			criticalFailure = fmt.Sprintf("the %s sub-job failed", sub.Kind)
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
func (s *Service) heartbeatLoop(ctx context.Context, cancel context.CancelCauseFunc, rootID string) func() {
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
					cancel(errCancelled)
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
		if !final(st.Status) {
			if err := s.st.setStepStatus(ctx, st.ID, statusCancelled, why); err != nil {
				return err
			}
		}
	}
	if err := s.st.setJobStatus(ctx, sub.ID, statusCancelled, why); err != nil {
		return err
	}
	s.warn(ctx, sub, "", "%s sub-job cancelled: %s", sub.Kind, why)
	s.publishJob(ctx, root.ID, eventState)
	return nil
}

// runSubJob runs a sub-job's steps in order; the first failed step fails the sub-job and the rest are not run.
func (s *Service) runSubJob(ctx context.Context, root, sub *jobRow) (string, error) {
	if sub.Status == statusPending {
		if err := s.st.setJobStatus(ctx, sub.ID, statusRunning, ""); err != nil {
			return "", err
		}
		s.info(ctx, sub, "", "%s sub-job started", sub.Kind)
	}
	steps, err := s.st.steps(ctx, "job_id", sub.ID)
	if err != nil {
		return "", err
	}
	for i, st := range steps {
		if final(st.Status) && st.Status != statusFailed {
			continue
		}
		status, msg := st.Status, st.Message
		if st.Status != statusFailed {
			status, msg = s.runStep(ctx, root, sub, st)
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
		}
		if status != statusFailed {
			continue
		}
		for _, rest := range steps[i+1:] {
			if err := s.st.setStepStatus(ctx, rest.ID, statusCancelled, "not started: step "+st.Name+" failed"); err != nil {
				return "", err
			}
		}
		why := fmt.Sprintf("step %s failed: %s", st.Name, msg)
		if err := s.st.setJobStatus(ctx, sub.ID, statusFailed, why); err != nil {
			return "", err
		}
		s.logError(ctx, sub, "", "%s sub-job failed: %s", sub.Kind, why)
		s.publishJob(ctx, root.ID, eventState)
		return statusFailed, nil
	}
	cur, err := s.st.job(ctx, s.st.db, sub.ID)
	if err != nil {
		return "", err
	}
	status := statusCompleted
	if cur.Errors > 0 || cur.Warnings > 0 {
		status = statusCompletedWarnings
	}
	if err := s.st.setJobStatus(ctx, sub.ID, status, ""); err != nil {
		return "", err
	}
	s.info(ctx, sub, "", "%s sub-job %s: %s", sub.Kind, humanStatus(status), summary(cur.counters))
	s.publishJob(ctx, root.ID, eventState)
	return status, nil
}

// finishJob decides a job's final status from its sub-jobs and schedules an automatic retry of a failure.
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
	if status == statusFailed && !cur.DryRun && s.opts.RetryMax > 0 {
		retries := cur.Attempt - 1
		if retries >= s.opts.RetryMax {
			status = statusFailedPermanently
			msg = fmt.Sprintf("%s (failed %d times, no retries left)", msg, cur.Attempt)
		} else {
			status, delay = statusRetrying, s.opts.retryDelay(retries+1)
			msg = fmt.Sprintf("%s; automatic retry %d of %d in %s", msg, retries+1, s.opts.RetryMax, delay)
		}
	}
	if status == statusRetrying {
		err = s.st.setRetrying(ctx, root.ID, msg, delay)
	} else {
		err = s.st.setJobStatus(ctx, root.ID, status, msg)
	}
	if err != nil {
		return err
	}
	line := fmt.Sprintf("job %s: %s", humanStatus(status), summary(cur.counters))
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

// decideStatus: a failed critical sub-job, or every sub-job failing, fails the job; another failed sub-job, or
// any error or warning counted, completes it with warnings.
func decideStatus(root *jobRow, subs []*jobRow) (string, string) {
	failed := 0
	var firstFailure string
	for _, sub := range subs {
		if sub.Status != statusFailed && sub.Status != statusCancelled {
			continue
		}
		failed++
		why := fmt.Sprintf("the %s sub-job %s: %s", sub.Kind, humanStatus(sub.Status), sub.Message)
		if sub.Critical && sub.Status == statusFailed {
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

func humanStatus(s string) string {
	switch s {
	case statusCompleted:
		return "completed"
	case statusCompletedWarnings:
		return "completed with warnings"
	case statusFailed:
		return "failed"
	case statusCancelled:
		return "cancelled"
	case statusRetrying:
		return "failed, retry scheduled"
	case statusFailedPermanently:
		return "failed permanently"
	}
	return s
}

func summary(c counters) string {
	return fmt.Sprintf("%d processed (%d created, %d updated, %d deleted, %d ignored, %d errors, %d warnings)",
		c.Processed, c.Created, c.Updated, c.Deleted, c.Ignored, c.Errors, c.Warnings)
}
