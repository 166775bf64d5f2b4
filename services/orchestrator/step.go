package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// runStep runs one step to its end and records it; an interrupted step stays RUNNING (a resumed job restarts
// it from its checkpoint).
func (s *Service) runStep(ctx context.Context, root, sub *jobRow, st *stepRow) stepOutcome {
	var out stepOutcome
	if st.Kind == kindVerify {
		out = s.runVerifyStep(ctx, root, sub, st)
	} else {
		out = s.runPipelineStep(ctx, root, sub, st)
	}
	if out.interrupted || ctx.Err() != nil {
		return interrupted
	}
	cur, err := s.st.step(ctx, st.ID)
	if err != nil {
		s.logError(ctx, sub, st.ID, "step %s could not be recorded: %v", st.Name, err)
		return failedWith(err.Error())
	}
	if out.status == statusCompleted && (cur.Errors > 0 || cur.Warnings > 0) {
		out.status = statusCompletedWarnings
	}
	moveWatermarks := out.status.succeeded() && !root.DryRun && st.Kind != kindVerify
	if err := s.st.finishStep(ctx, st, root.ConfigID, cur.Status, out.status, out.message, moveWatermarks); err != nil {
		s.logError(ctx, sub, st.ID, "step %s could not be recorded: %v", st.Name, err)
		return failedWith(err.Error())
	}
	if st.Kind != kindVerify {
		if out.status == statusFailed {
			s.logError(ctx, sub, st.ID, "step %s failed: %s", st.Name, out.message)
		} else if cur, err := s.st.step(ctx, st.ID); err == nil {
			s.info(ctx, sub, st.ID, "step %s %s: %s", st.Name, out.status.human(), summary(cur.counters))
		}
	}
	s.publishJob(ctx, root.ID, eventState)
	return out
}

// runPipelineStep starts the loader for every destination that has not finished the step, then the
// extractor from the step's checkpoint, and waits for the loader's results.
func (s *Service) runPipelineStep(ctx context.Context, root, sub *jobRow, st *stepRow) stepOutcome {
	restart := st.Status == statusRunning
	if err := s.st.startStep(ctx, st.ID, st.Status); err != nil {
		return failedWith(err.Error())
	}
	dests, _, err := s.st.stepState(ctx, st.ID)
	if err != nil {
		return failedWith(err.Error())
	}
	pending, after := unfinished(dests)
	if restart {
		s.info(ctx, sub, st.ID, "resumed after restart: step %s continues after batch %d", st.Name, after)
	} else {
		s.info(ctx, sub, st.ID, "step %s started: %s", st.Name, strings.Join(st.Resources, ", "))
	}
	s.publishJob(ctx, root.ID, eventState)
	if len(pending) > 0 {
		if out := s.startPipeline(ctx, root, st, pending, after); out != nil {
			return *out
		}
	}
	return s.awaitStep(ctx, root, st)
}

// startPipeline asks the loaders of the pending destinations and the extractor to run the step. It returns
// the step's outcome when a worker refused it; nil when the step is started, or is waiting for a worker that
// is unreachable (reassert asks again) or for a job context that ended.
func (s *Service) startPipeline(ctx context.Context, root *jobRow, st *stepRow, pending []string, after int64) *stepOutcome {
	fail := func(msg string) *stepOutcome { out := failedWith(msg); return &out }
	cfg := &configv1.Config{}
	if err := protojson.Unmarshal([]byte(root.ConfigJSON), cfg); err != nil {
		return fail("the job's configuration snapshot is unreadable: " + err.Error())
	}
	params := st.params()
	since, err := s.st.since(ctx, root.ConfigID, root.DestinationInstanceIDs, watermarkResources(st))
	if err != nil {
		return fail(err.Error())
	}
	if since != "" {
		params["since"] = since
	}
	ip := importParams(cfg, root.DryRun)
	retryDeferred, err := s.lastMetadataStep(ctx, st)
	if err != nil {
		return fail(err.Error())
	}
	for _, d := range pending {
		cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
		resp, err := s.deps.Loader.LoadStep(cctx, &loaderv1.LoadStepRequest{
			JobId: root.ID, StepId: st.ID, DestinationInstanceId: d, Kind: st.kind(), Resources: st.Resources,
			ImportParams: ip, DryRun: root.DryRun, BatchSize: cfg.GetSizes().GetBatchSize(),
			MaxInFlight: cfg.GetSizes().GetMaxInFlight(), Config: cfg, RetryDeferred: retryDeferred,
		})
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if unreachable(err) {
			s.log.Warn("loader unreachable; the step is asked again when it comes back", slog.String("step_id", st.ID), slog.String("error", callError(err)))
			return nil
		}
		if err != nil {
			return fail(fmt.Sprintf("the loader could not start the step for destination %s: %s", d, callError(err)))
		}
		if !resp.GetAccepted() {
			return fail(fmt.Sprintf("the loader refused the step for destination %s", d))
		}
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	resp, err := s.deps.Extractor.ExtractStep(cctx, &extractorv1.ExtractStepRequest{
		JobId: root.ID, StepId: st.ID, SourceInstanceId: root.SourceInstanceID, Kind: st.kind(), Resources: st.Resources,
		Params: params, PageSize: cfg.GetSizes().GetPageSize(), AfterSequence: after, Config: cfg,
	})
	if ctx.Err() != nil {
		return nil
	}
	if unreachable(err) {
		s.log.Warn("extractor unreachable; the step is asked again when it comes back", slog.String("step_id", st.ID), slog.String("error", callError(err)))
		return nil
	}
	if err != nil {
		return fail("the extractor could not start the step: " + callError(err))
	}
	if !resp.GetAccepted() {
		return fail("the extractor refused the step")
	}
	return nil
}

// lastMetadataStep reports whether st is its sub-job's last metadata step: there the loader re-posts every
// object it held back earlier in the job because it referenced a type of a later step, and reports what still
// fails (LoadStepRequest.retry_deferred).
func (s *Service) lastMetadataStep(ctx context.Context, st *stepRow) (bool, error) {
	if st.Kind != kindMetadata {
		return false, nil
	}
	steps, err := s.st.steps(ctx, "job_id", st.JobID)
	if err != nil {
		return false, err
	}
	for _, o := range steps {
		if o.Kind == kindMetadata && o.Position > st.Position {
			return false, nil
		}
	}
	return true, nil
}

// callError words a failed call to another service for the job log.
func callError(err error) string {
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.Unavailable:
		return "service unreachable (" + st.Message() + ")"
	case codes.DeadlineExceeded:
		return "no answer in time"
	}
	return st.Code().String() + ": " + st.Message()
}

// awaitStep waits until every destination has finished the step, one reports an error, or no result has come
// for the step timeout. Results are signalled by the results consumer and polled as a fallback (another
// replica may have recorded them).
func (s *Service) awaitStep(ctx context.Context, root *jobRow, st *stepRow) stepOutcome {
	sig, done := s.waiter(st.ID)
	defer done()
	poll := min(time.Second, s.opts.StepTimeout/4, s.opts.Reassert/4)
	t := time.NewTicker(poll)
	defer t.Stop()
	lastAsk := time.Now()
	for {
		dests, idle, err := s.st.stepState(ctx, st.ID)
		if ctx.Err() != nil {
			return interrupted
		}
		if err == nil {
			complete := true
			var errs []string
			for _, d := range dests {
				complete = complete && d.Done
				if d.Error != "" {
					errs = append(errs, "destination "+d.DestinationID+": "+d.Error)
				}
			}
			switch {
			case complete && len(errs) > 0:
				return failedWith(strings.Join(errs, "; "))
			case complete:
				return ended(statusCompleted, "")
			case idle > s.opts.StepTimeout.Seconds():
				return failedWith(fmt.Sprintf("no result from the loader for %s (DHIS2SYNC_STEP_TIMEOUT)", s.opts.StepTimeout))
			case idle > s.opts.Reassert.Seconds() && time.Since(lastAsk) > s.opts.Reassert:
				lastAsk = time.Now()
				s.reassert(ctx, root, st, dests)
			}
		}
		select {
		case <-ctx.Done():
			return interrupted
		case <-sig:
		case <-t.C:
		}
	}
}

// runVerifyStep compares source and destinations. Without a verification, the job never claims a faithful copy.
func (s *Service) runVerifyStep(ctx context.Context, root, sub *jobRow, st *stepRow) stepOutcome {
	if err := s.st.startStep(ctx, st.ID, st.Status); err != nil {
		return failedWith(err.Error())
	}
	s.publishJob(ctx, root.ID, eventState)
	cfg := &configv1.Config{}
	if err := protojson.Unmarshal([]byte(root.ConfigJSON), cfg); err != nil {
		return failedWith("the job's configuration snapshot is unreadable: " + err.Error())
	}
	v, err := s.deps.Verifier.Verify(ctx, VerifyRequest{
		JobID: root.ID, StepID: st.ID, SourceInstanceID: root.SourceInstanceID,
		DestinationIDs: root.DestinationInstanceIDs, Resources: st.Resources, Config: cfg,
	})
	if ctx.Err() != nil {
		return interrupted
	}
	ids := []string{sub.ID, root.ID}
	switch {
	case status.Code(err) == codes.Unimplemented || errors.Is(err, ErrVerificationUnavailable):
		s.warn(ctx, sub, st.ID, "verification not available: the copy is not proven faithful")
		return ended(statusCompleted, "verification not available")
	case err != nil:
		s.warn(ctx, sub, st.ID, "verification could not run (%s): the copy is not proven faithful", callError(err))
		if werr := s.st.addWarnings(ctx, st.ID, ids, 1); werr != nil {
			return failedWith(werr.Error())
		}
		return ended(statusCompletedWarnings, "verification could not run")
	}
	b, err := protojson.Marshal(v)
	if err != nil {
		return failedWith(err.Error())
	}
	if err := s.st.setVerification(ctx, []string{sub.ID}, string(b), 0); err != nil {
		return failedWith(err.Error())
	}
	// The top-level job carries every sub-job's verification (sub-jobs run one after another).
	if cur, err := s.st.job(ctx, s.st.db, root.ID); err == nil && cur.Verification != "" {
		prev := &orchestratorv1.Verification{}
		if protojson.Unmarshal([]byte(cur.Verification), prev) == nil {
			if b, err = protojson.Marshal(mergeVerifications(prev, v)); err != nil {
				return failedWith(err.Error())
			}
		}
	}
	if err := s.st.setVerification(ctx, []string{root.ID}, string(b), 0); err != nil {
		return failedWith(err.Error())
	}
	if v.GetPassed() {
		s.info(ctx, sub, st.ID, "verification passed: source and destinations hold the same %d resources", len(v.GetResources()))
		return ended(statusCompleted, "verification passed")
	}
	n := max(v.GetDifferenceCount(), 1)
	if err := s.st.addWarnings(ctx, st.ID, ids, n); err != nil {
		return failedWith(err.Error())
	}
	s.warn(ctx, sub, st.ID, "verification found %d differences between source and destinations", n)
	return ended(statusCompletedWarnings, fmt.Sprintf("%d differences", n))
}

// watermarkResources names what a step's watermark tracks: its resources, or for the deletions step the source's
// deletion log, so that a run propagates the deletions made since the previous successful run and the
// metadata watermarks never move past changes the metadata steps did not read. Tracker steps key theirs apart:
// they carry "events" too (the events of enrollments), which must not move the event-program events' watermark.
func watermarkResources(st *stepRow) []string {
	switch st.Kind {
	case kindDeletions:
		return []string{resource.DeletedObjects}
	case kindTracker:
		out := make([]string, len(st.Resources))
		for i, r := range st.Resources {
			out[i] = "tracker:" + r
		}
		return out
	}
	return st.Resources
}

// reassert asks the loaders of the unfinished destinations and the extractor again to run a step that has
// gone quiet, from the step's checkpoint. Both ignore a step they are still running; a process that died and
// came back picks the step up again (its durable consumer and JetStream's deduplication keep this exactly-once).
func (s *Service) reassert(ctx context.Context, root *jobRow, st *stepRow, dests []destRow) {
	pending, after := unfinished(dests)
	if len(pending) == 0 {
		return
	}
	if out := s.startPipeline(ctx, root, st, pending, after); out != nil {
		s.log.Warn("step quiet and its workers refuse it; asking again later", slog.String("step_id", st.ID), slog.String("error", out.message))
	}
}

// unfinished lists the destinations that have not finished a step and the checkpoint to resume from: the
// lowest batch sequence all of them have acknowledged (one extraction feeds them all).
func unfinished(dests []destRow) (pending []string, after int64) {
	after = -1
	for _, d := range dests {
		if !d.Done {
			pending = append(pending, d.DestinationID)
			if after < 0 || d.AckedThrough < after {
				after = d.AckedThrough
			}
		}
	}
	return pending, max(after, 0)
}

// unreachable reports a worker that is down or restarting: the step waits for it (reassert asks again every
// DHIS2SYNC_STEP_REASSERT) instead of failing, until DHIS2SYNC_STEP_TIMEOUT.
func unreachable(err error) bool {
	return status.Code(err) == codes.Unavailable
}
