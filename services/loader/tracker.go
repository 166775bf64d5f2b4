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
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// MaxTrackedEntitiesPerRequest bounds a POST /api/tracker of nested tracked entities: each carries its
// enrollments and events, so 100 entities already make a request of several hundred objects, within the
// 200–500 objects per request tracker imports do best at (docs/performance.md).
const MaxTrackedEntitiesPerRequest = 100

// Batch resources of a tracker step (extractor.TrackedEntitiesResource, extractor.RelationshipsResource).
const (
	trackedEntitiesResource = resource.TrackedEntities
	relationshipsResource   = resource.Relationships
)

// drainTracker imports the held tracker batches in sequence, one request per MaxTrackedEntitiesPerRequest
// tracked entities (or the step's batch_size when smaller). The extractor sends relationships after every
// tracked entity, so both ends exist on the destination when a relationship is imported.
func (r *stepRun) drainTracker(ctx context.Context) error {
	return r.drainRuns(ctx, MaxTrackedEntitiesPerRequest, r.importTracker)
}

// importTracker posts a run's tracked entities (nested) and then its relationships in requests of at most
// MaxTrackedEntitiesPerRequest objects, publishes one Result for the run and acknowledges its batches.
func (r *stepRun) importTracker(ctx context.Context, run []*held, complete bool) error {
	res := &batchv1.Result{Status: string(dhis2.StatusOK), AckedThrough: run[len(run)-1].batch.GetSequence(), Last: complete}
	objs := map[string][]map[string]any{}
	for _, h := range run {
		res.Sequences = append(res.Sequences, h.batch.GetSequence())
		res.Items += int64(h.batch.GetItemCount())
		if len(h.batch.GetPayload()) == 0 {
			continue // the step's closing marker
		}
		kind := dhis2.TrackerKind(h.batch.GetResource())
		if kind != dhis2.TrackedEntities && kind != dhis2.Relationships {
			r.poison(ctx, run, h, fmt.Errorf("a tracker step received %q objects; only trackedEntities and relationships are imported", kind))
			return nil
		}
		list, err := r.decodeTracker(h, kind)
		if err != nil {
			r.poison(ctx, run, h, err)
			return nil
		}
		objs[string(kind)] = append(objs[string(kind)], list...)
	}
	params := r.eventParams() // the step's strategy, VALIDATE on dry runs, atomicMode OBJECT
	for _, kind := range []string{trackedEntitiesResource, relationshipsResource} {
		list := objs[kind]
		for start := 0; start < len(list); start += MaxTrackedEntitiesPerRequest {
			chunk := list[start:min(start+MaxTrackedEntitiesPerRequest, len(list))]
			body, err := json.Marshal(map[string]any{kind: chunk})
			if err != nil {
				return fmt.Errorf("encode %s: %w", kind, err)
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
			accountEvents(res, ir) // per-object errors become conflicts with their codes
		}
	}
	if res.GetErrors() > 0 {
		r.log.Warn("tracker objects refused", slog.Int64("errors", res.GetErrors()), slog.String("first", res.GetConflicts()[0].GetMessage()))
	}
	if err := r.publishResult(ctx, res); err != nil {
		return err
	}
	r.ackAll(ctx, run)
	if complete {
		r.done = true
		r.log.Info("tracker step loaded")
	}
	return nil
}

// decodeTracker reads a batch's tracker objects and transforms them for the destination version (2.41+ keeps
// attributes on the tracked entity only, release notes 2.41).
func (r *stepRun) decodeTracker(h *held, kind dhis2.TrackerKind) ([]map[string]any, error) {
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
		var obj map[string]any
		if err := json.Unmarshal(it, &obj); err != nil {
			return nil, fmt.Errorf("a %s object is not a JSON object: %w", kind, err)
		}
		out = append(out, dhis2.TransformTracker(kind, obj, srcV, r.dstV))
	}
	return out, nil
}
