package orchestrator

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// cancelJob cancels a job (a sub-job id cancels its top-level job) and waits briefly for it to end.
func (s *Service) cancelJob(ctx context.Context, id, user string) (*orchestratorv1.Job, error) {
	j, err := s.st.job(ctx, s.st.db, id)
	if err != nil {
		return nil, err
	}
	root := j
	if !j.topLevel() {
		if root, err = s.st.job(ctx, s.st.db, j.RootJobID); err != nil {
			return nil, err
		}
	}
	who := user
	if who == "" {
		who = "an internal caller"
	}
	switch {
	case root.Status.final():
		return nil, fmt.Errorf("%w: it is already %s", ErrNotCancellable, root.Status.human())
	case root.Status == statusRetrying:
		ok, err := s.st.cancelRetry(ctx, root.ID, "cancelled by "+who+" while waiting for its automatic retry")
		if err != nil {
			return nil, err
		}
		if ok {
			s.warn(ctx, root, "", "cancelled by %s while waiting for its automatic retry", who)
			s.publishJob(ctx, root.ID, eventState)
		}
		return s.st.tree(ctx, root.ID)
	}
	if err := s.st.requestCancel(ctx, root.ID); err != nil {
		return nil, err
	}
	s.warn(ctx, root, "", "cancellation requested by %s", who)
	if !s.cancelLocal(root.ID) {
		// Not running here: if no live process runs it, take it over; the runner finishes the cancellation.
		if claimed, err := s.st.claim(ctx, root.ID, s.owner, s.opts.StaleAfter); err == nil && claimed {
			s.startJob(root.ID, true)
		}
	}
	deadline := time.Now().Add(s.opts.CancelGrace + 2*s.opts.CallTimeout)
	for time.Now().Before(deadline) {
		cur, err := s.st.job(ctx, s.st.db, root.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status.final() {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return s.st.tree(ctx, root.ID)
}

// finishCancelled stops the extractor and loader, lets in-flight results land, and ends the job CANCELLED
// with what was and was not written.
func (s *Service) finishCancelled(ctx context.Context, root *jobRow) error {
	ctx = context.WithoutCancel(ctx)
	s.stopWorkers(ctx, root)
	select {
	case <-time.After(s.opts.CancelGrace):
	case <-s.base.Done():
	}
	steps, err := s.st.steps(ctx, "root_job_id", root.ID)
	if err != nil {
		return err
	}
	subs, err := s.st.subJobs(ctx, root.ID)
	if err != nil {
		return err
	}
	kind, pos := map[string]string{}, map[string]int{}
	for _, sub := range subs {
		kind[sub.ID], pos[sub.ID] = sub.Kind, sub.Position
	}
	slices.SortStableFunc(steps, func(a, b *stepRow) int {
		return cmp.Or(cmp.Compare(pos[a.JobID], pos[b.JobID]), cmp.Compare(a.Position, b.Position))
	})
	var complete, partial, failed, notStarted []string
	for _, st := range steps {
		name := kind[st.JobID] + "/" + st.Name
		// Guarded moves: a step or sub-job another process ended meanwhile keeps its status.
		switch {
		case st.Status.succeeded():
			complete = append(complete, name)
		case st.Status == statusFailed:
			failed = append(failed, name)
		case st.Status == statusRunning || st.Processed > 0:
			partial = append(partial, fmt.Sprintf("%s (%d items processed)", name, st.Processed))
			if st.Status != statusCancelled {
				_, err = s.st.moveStep(ctx, s.st.db, st.ID, st.Status, statusCancelled, fmt.Sprintf("cancelled: partly written, %d items processed", st.Processed))
			}
		default:
			notStarted = append(notStarted, name)
			if st.Status != statusCancelled {
				_, err = s.st.moveStep(ctx, s.st.db, st.ID, st.Status, statusCancelled, "cancelled: not started, nothing written")
			}
		}
		if err != nil {
			return err
		}
	}
	for _, sub := range subs {
		if !sub.Status.final() {
			if _, err := s.st.moveJob(ctx, s.st.db, sub.ID, sub.Status, statusCancelled, "cancelled"); err != nil {
				return err
			}
		}
	}
	msg := cancelMessage(complete, partial, failed, notStarted)
	cur, err := s.st.job(ctx, s.st.db, root.ID)
	if err != nil {
		return err
	}
	if cur.Status.final() {
		return nil // ended meanwhile (another process finished the cancellation)
	}
	if err := s.st.mustMoveJob(ctx, root.ID, cur.Status, statusCancelled, msg); err != nil {
		return err
	}
	s.warn(ctx, root, "", "%s", msg)
	s.publishJob(ctx, root.ID, eventState)
	return nil
}

func cancelMessage(complete, partial, failed, notStarted []string) string {
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "none"
		}
		return strings.Join(xs, ", ")
	}
	msg := fmt.Sprintf("Cancelled. Completed steps (written): %s. Partly written: %s. Not started (nothing written): %s.",
		list(complete), list(partial), list(notStarted))
	if len(failed) > 0 {
		msg += " Failed: " + list(failed) + "."
	}
	return msg
}

// stopWorkers asks the extractor and loader to stop every extraction and load of the job.
func (s *Service) stopWorkers(ctx context.Context, root *jobRow) {
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	if _, err := s.deps.Extractor.CancelJob(cctx, &extractorv1.CancelJobRequest{JobId: root.ID}); err != nil {
		s.warn(ctx, root, "", "the extractor could not be told to stop: %s", callError(err))
		s.log.Warn("extractor cancel failed", slog.String("job_id", root.ID), slog.String("error", err.Error()))
	}
	if _, err := s.deps.Loader.CancelJob(cctx, &loaderv1.CancelJobRequest{JobId: root.ID}); err != nil {
		s.warn(ctx, root, "", "the loader could not be told to stop: %s", callError(err))
		s.log.Warn("loader cancel failed", slog.String("job_id", root.ID), slog.String("error", err.Error()))
	}
}
