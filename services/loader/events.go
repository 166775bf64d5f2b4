package loader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// MaxEventsPerRequest bounds a POST /api/tracker of events: tracker imports do best at 200–500 objects per
// request (docs/performance.md).
const MaxEventsPerRequest = 500

// eventParams are the tracker import options of an events step: the step's import strategy and mode (VALIDATE
// for dry runs) and atomicMode OBJECT, so that one refused event does not reject the rest of its request.
func (r *stepRun) eventParams() dhis2.TrackerImportParams {
	p := dhis2.TrackerImportParams{ImportStrategy: r.params.ImportStrategy, ImportMode: r.params.ImportMode,
		AtomicMode: "OBJECT", ReportMode: "ERRORS"}
	if p.ImportMode == "" {
		p.ImportMode = "COMMIT"
	}
	return p
}

// drainEvents imports the held event batches in sequence, one request per MaxEventsPerRequest events (or the
// step's batch_size when smaller); a request's Result is published before its batches are acknowledged.
func (r *stepRun) drainEvents(ctx context.Context) error {
	return r.drainRuns(ctx, MaxEventsPerRequest, r.importEvents)
}

// drainRuns imports the held batches of an events or tracker step in sequence, a run of at most target items
// (or the step's batch_size when smaller) at a time, and closes the step when the extraction reports an error.
func (r *stepRun) drainRuns(ctx context.Context, target int, importRun func(context.Context, []*held, bool) error) error {
	if n := int(r.req.GetBatchSize()); n > 0 && n < target {
		target = n
	}
	for !r.done {
		run, items, size, complete := r.contiguousData(target)
		if len(run) == 0 {
			return nil
		}
		if msg := run[len(run)-1].batch.GetError(); msg != "" {
			r.ackAll(ctx, run)
			r.publishFinal(ctx, "extraction failed: "+msg)
			r.done = true
			return nil
		}
		if !complete && items < target && size < r.l.opts.MaxRequestBytes {
			return nil
		}
		if err := importRun(ctx, run, complete); err != nil {
			return err
		}
	}
	return nil
}

// importEvents posts a run's events in requests of at most MaxEventsPerRequest, publishes one Result for the
// run and acknowledges its batches.
func (r *stepRun) importEvents(ctx context.Context, run []*held, complete bool) error {
	res := &batchv1.Result{Status: string(dhis2.StatusOK), AckedThrough: run[len(run)-1].batch.GetSequence(), Last: complete}
	var events []map[string]any
	for _, h := range run {
		res.Sequences = append(res.Sequences, h.batch.GetSequence())
		res.Items += int64(h.batch.GetItemCount())
		evs, err := r.decodeEvents(h)
		if err != nil {
			r.poison(ctx, run, h, err)
			return nil
		}
		events = append(events, evs...)
	}
	params := r.eventParams()
	for start := 0; start < len(events); start += MaxEventsPerRequest {
		chunk := events[start:min(start+MaxEventsPerRequest, len(events))]
		body, err := json.Marshal(map[string]any{"events": chunk})
		if err != nil {
			return fmt.Errorf("encode events: %w", err)
		}
		ir, err := r.withRetry(ctx, run, func(ctx context.Context) (*dhis2.ImportResult, error) {
			return r.client.ImportTracker(ctx, body, params)
		})
		if errors.Is(err, errHandedBack) {
			return nil
		}
		if err != nil {
			return err
		}
		accountEvents(res, ir)
	}
	if res.GetErrors() > 0 {
		r.log.Warn("events refused", slog.Int64("errors", res.GetErrors()), slog.String("first", res.GetConflicts()[0].GetMessage()))
	}
	if err := r.publishResult(ctx, res); err != nil {
		return err
	}
	r.ackAll(ctx, run)
	if complete {
		r.done = true
		r.log.Info("events step loaded")
	}
	return nil
}

// decodeEvents reads a batch's events and transforms them for the destination version.
func (r *stepRun) decodeEvents(h *held) ([]map[string]any, error) {
	items, err := batch.Decode(h.batch.GetEncoding(), h.batch.GetPayload())
	if err != nil || len(items) == 0 {
		return nil, err
	}
	srcV, err := dhis2.ParseVersion(h.batch.GetSourceVersion())
	if err != nil {
		return nil, fmt.Errorf("source version %q: %w", h.batch.GetSourceVersion(), err)
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		var ev map[string]any
		if err := json.Unmarshal(it, &ev); err != nil {
			return nil, fmt.Errorf("an event is not a JSON object: %w", err)
		}
		out = append(out, dhis2.TransformTracker(dhis2.Events, ev, srcV, r.dstV))
	}
	return out, nil
}

// accountEvents adds a tracker import report to a Result: one Conflict per error (code, event UID, message);
// refused events count as errors, once each, and the rest of DHIS2's ignored count stays ignored.
func accountEvents(res *batchv1.Result, ir *dhis2.ImportResult) {
	res.Created += int64(ir.Created)
	res.Updated += int64(ir.Updated)
	res.Deleted += int64(ir.Deleted)
	if ir.Status != dhis2.StatusOK && res.Status == string(dhis2.StatusOK) {
		res.Status = string(ir.Status)
	}
	refused := map[string]bool{}
	for _, e := range ir.Errors {
		refused[e.UID] = true
		res.Conflicts = append(res.Conflicts, &batchv1.Conflict{Code: e.Code, ObjectType: e.ObjectType, Uid: e.UID,
			Property: e.Property, Value: e.Value, Message: e.Message})
	}
	res.Errors += int64(len(refused))
	res.Ignored += max(int64(ir.Ignored-len(refused)), 0)
}
