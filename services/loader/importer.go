package loader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// errHandedBack means the run's batches went back to JetStream for a later redelivery.
var errHandedBack = errors.New("batches handed back for redelivery")

// payload is one import request under construction: objects by destination collection, in arrival order.
type payload struct {
	order   []string
	objects map[string][]map[string]any
	byUID   map[string]deferredObject
	n       int

	adaptations []*batchv1.Adaptation // version transforms applied while building, one per rule
}

// adapted records that a version transform changed the object id.
func (p *payload) adapted(rule, id string) {
	i := slices.IndexFunc(p.adaptations, func(a *batchv1.Adaptation) bool { return a.GetRule() == rule })
	if i < 0 {
		p.adaptations = append(p.adaptations, &batchv1.Adaptation{Rule: rule})
		i = len(p.adaptations) - 1
	}
	a := p.adaptations[i]
	a.Count++
	if len(a.Examples) < 3 && id != "" {
		a.Examples = append(a.Examples, id)
	}
}

func newPayload() *payload {
	return &payload{objects: map[string][]map[string]any{}, byUID: map[string]deferredObject{}}
}

func (p *payload) add(plural string, obj map[string]any) {
	if _, ok := p.objects[plural]; !ok {
		p.order = append(p.order, plural)
	}
	p.objects[plural] = append(p.objects[plural], obj)
	if id, _ := obj["id"].(string); id != "" {
		p.byUID[id] = deferredObject{plural: plural, uid: id, obj: obj}
	}
	p.n++
}

// body is the request JSON, {"<plural>":[…],…}.
func (p *payload) body() ([]byte, error) { return json.Marshal(p.objects) }

// build decodes a run's batches and transforms every object for the destination version. A batch that cannot
// be decoded is returned as poison.
func (r *stepRun) build(run []*held) (*payload, *held, error) {
	p := newPayload()
	for _, h := range run {
		items, err := batch.Decode(h.batch.GetEncoding(), h.batch.GetPayload())
		if err != nil {
			return nil, h, err
		}
		if len(items) == 0 {
			continue
		}
		srcV, err := dhis2.ParseVersion(h.batch.GetSourceVersion())
		if err != nil {
			return nil, h, fmt.Errorf("batch %d: source version %q: %w", h.batch.GetSequence(), h.batch.GetSourceVersion(), err)
		}
		for _, it := range items {
			var obj map[string]any
			if err := json.Unmarshal(it, &obj); err != nil {
				return nil, h, fmt.Errorf("batch %d: an item is not a JSON object: %w", h.batch.GetSequence(), err)
			}
			id, _ := obj["id"].(string)
			plural, out, keep := dhis2.TransformMetadataNoting(h.batch.GetResource(), obj, srcV, r.dstV,
				func(rule string) { p.adapted(rule, id) })
			if keep {
				p.add(plural, out)
			}
		}
	}
	return p, nil, nil
}

// importRun imports a run of batches as one request (or, for deletions, the deletion plan), publishes its
// Result and acknowledges the batches.
func (r *stepRun) importRun(ctx context.Context, run []*held) error {
	complete := run[len(run)-1].batch.GetLast()
	res := &batchv1.Result{Status: string(dhis2.StatusOK)}
	for _, h := range run {
		res.Sequences = append(res.Sequences, h.batch.GetSequence())
		res.Items += int64(h.batch.GetItemCount())
	}
	res.AckedThrough = run[len(run)-1].batch.GetSequence()
	var err error
	if r.deletions() {
		err = r.deleteRun(ctx, run, res)
	} else {
		err = r.metadataRun(ctx, run, res)
	}
	switch {
	case errors.Is(err, errHandedBack):
		return nil
	case err != nil:
		return err
	case r.done:
		return nil
	}
	if complete && !r.deletions() {
		if err := r.retryDeferred(ctx, run, res); errors.Is(err, errHandedBack) {
			return nil
		} else if err != nil {
			return err
		}
	}
	res.Last = complete
	if err := r.publishResult(ctx, res); err != nil {
		return err
	}
	r.ackAll(ctx, run)
	if complete {
		r.done = true
		r.log.Info("step loaded")
	}
	return nil
}

func (r *stepRun) metadataRun(ctx context.Context, run []*held, res *batchv1.Result) error {
	p, poison, err := r.build(run)
	if poison != nil {
		r.poison(ctx, run, poison, err)
		return nil
	}
	res.Adaptations = append(res.Adaptations, p.adaptations...)
	if p.n == 0 {
		return nil
	}
	ir, err := r.post(ctx, run, p, r.params)
	if err != nil {
		return err
	}
	r.account(res, ir, p, !r.req.GetRetryDeferred())
	return nil
}

// retryDeferred posts again the objects deferred for a type this step carried (or all of them on the last
// metadata step) and adds the outcome to res.
func (r *stepRun) retryDeferred(ctx context.Context, run []*held, res *batchv1.Result) error {
	all := r.req.GetRetryDeferred()
	objs := r.l.deferred.take(r.req.GetJobId(), r.req.GetDestinationInstanceId(), r.req.GetResources(), all)
	if len(objs) == 0 {
		return nil
	}
	p := newPayload()
	for _, d := range objs {
		p.add(d.plural, d.obj)
	}
	r.log.Info("retrying deferred objects", slog.Int("objects", p.n))
	ir, err := r.post(ctx, run, p, r.params)
	if err != nil {
		// Put them back: a redelivery of this run retries them again.
		r.l.deferred.add(r.req.GetJobId(), r.req.GetDestinationInstanceId(), objs)
		return err
	}
	r.account(res, ir, p, !all)
	return nil
}

// account adds an import report to res. Objects refused only for a reference to a later type are deferred
// (when allowed and atomicMode is NONE) instead of being reported.
func (r *stepRun) account(res *batchv1.Result, ir *dhis2.ImportResult, p *payload, allowDefer bool) {
	res.Created += int64(ir.Created)
	res.Updated += int64(ir.Updated)
	res.Deleted += int64(ir.Deleted)
	if ir.Status != dhis2.StatusOK && res.Status == string(dhis2.StatusOK) {
		res.Status = string(ir.Status)
	}
	deferrable := map[string]string{}
	blocked := map[string]bool{}
	if allowDefer && r.params.AtomicMode == "NONE" && r.params.ImportMode != "VALIDATE" {
		for _, e := range ir.Errors {
			d, ok := p.byUID[e.UID]
			if !ok {
				continue
			}
			if missing, later := laterType(e.Code, e.Message, d.plural, r.req.GetResources()); later && !blocked[e.UID] {
				deferrable[e.UID] = missing
			} else {
				blocked[e.UID] = true
				delete(deferrable, e.UID)
			}
		}
	}
	var held []deferredObject
	for uid, missing := range deferrable {
		d := p.byUID[uid]
		d.missing = missing
		held = append(held, d)
	}
	r.l.deferred.add(r.req.GetJobId(), r.req.GetDestinationInstanceId(), held)
	res.Ignored += max(int64(ir.Ignored-len(held)), 0)
	for _, e := range ir.Errors {
		if _, ok := deferrable[e.UID]; ok {
			continue
		}
		res.Errors++
		res.Conflicts = append(res.Conflicts, &batchv1.Conflict{Code: e.Code, ObjectType: e.ObjectType, Uid: e.UID,
			Property: e.Property, Value: e.Value, Message: e.Message})
	}
	if len(held) > 0 {
		r.log.Info("objects deferred until the type they reference is loaded", slog.Int("objects", len(held)))
	}
}

// post sends one import request, retrying transient failures with backoff. When they persist, the run's
// batches are handed back to JetStream with a delay (errHandedBack); a permanent failure terminates them.
func (r *stepRun) post(ctx context.Context, run []*held, p *payload, params dhis2.MetadataImportParams) (*dhis2.ImportResult, error) {
	body, err := p.body()
	if err != nil {
		return nil, fmt.Errorf("encode import request: %w", err)
	}
	return r.withRetry(ctx, run, func(ctx context.Context) (*dhis2.ImportResult, error) {
		return r.client.ImportMetadata(ctx, body, params)
	})
}

func (r *stepRun) withRetry(ctx context.Context, run []*held, call func(context.Context) (*dhis2.ImportResult, error)) (*dhis2.ImportResult, error) {
	opts := r.l.opts
	stop := r.keepAlive(run)
	defer stop()
	var err error
	for attempt := 1; attempt <= opts.Attempts; attempt++ {
		var ir *dhis2.ImportResult
		ir, err = call(ctx)
		if err == nil {
			return ir, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !transient(err) {
			r.fail(ctx, run, "the destination refused the import: "+err.Error())
			return nil, errHandedBack
		}
		r.log.Warn("import failed, retrying", slog.Int("attempt", attempt), slog.String("error", err.Error()))
		r.inProgress(run)
		if attempt < opts.Attempts {
			if serr := sleep(ctx, backoff(opts.RetryBase, opts.RetryMax, attempt)); serr != nil {
				return nil, serr
			}
		}
	}
	r.handBack(ctx, run, err)
	return nil, errHandedBack
}

// transient reports whether a failure may go away by itself: DHIS2 5xx, timeouts, unreachable, rate limits.
func transient(err error) bool {
	var de *dhis2.Error
	if errors.As(err, &de) {
		return de.Retryable()
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// handBack naks the run's batches with a delay that grows with their deliveries; batches delivered too often
// are poison.
func (r *stepRun) handBack(ctx context.Context, run []*held, cause error) {
	for _, h := range run {
		md, _ := h.msg.Metadata()
		delivered := 1
		if md != nil {
			delivered = int(md.NumDelivered)
		}
		if delivered >= r.l.opts.Redeliveries {
			r.fail(ctx, run, fmt.Sprintf("the destination kept failing after %d deliveries: %v", delivered, cause))
			return
		}
	}
	for _, h := range run {
		md, _ := h.msg.Metadata()
		delivered := 1
		if md != nil {
			delivered = int(md.NumDelivered)
		}
		_ = h.msg.NakWithDelay(backoff(r.l.opts.RetryBase, r.l.opts.RetryMax, delivered))
		delete(r.held, h.batch.GetSequence())
	}
	r.log.Warn("destination unavailable; batches handed back to JetStream", slog.Int("batches", len(run)), slog.String("error", cause.Error()))
}

// fail terminates the run's batches and closes the step with an error the job log shows.
func (r *stepRun) fail(ctx context.Context, run []*held, reason string) {
	for _, h := range run {
		_ = h.msg.TermWithReason(truncate(reason, 200))
		delete(r.held, h.batch.GetSequence())
	}
	r.publishFinal(ctx, reason)
	r.done = true
}

// poison terminates an undecodable batch (and the run it belongs to) and closes the step.
func (r *stepRun) poison(ctx context.Context, run []*held, bad *held, err error) {
	r.fail(ctx, run, fmt.Sprintf("batch %d cannot be read (%v): the step cannot be completed; run the job again", bad.batch.GetSequence(), err))
}

func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
