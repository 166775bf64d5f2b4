package loader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
)

// maxAckPending bounds the batches a consumer holds unacknowledged. A metadata group is imported in one
// request, so all its batches are held at once: at 2 MB of JSON per batch this allows groups far beyond
// any real DHIS2 instance.
const maxAckPending = 1000

// ackWait is how long JetStream waits before redelivering a batch a vanished loader held; a live loader
// reports progress on held batches while it imports (InProgress), however long the import takes.
const ackWait = 30 * time.Second

// ConsumerName is the durable consumer of one (job, step, destination): deterministic, so that a restarted
// loader (or another replica) resumes the same consumer.
func ConsumerName(job, step, dest string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
				return r
			}
			return '_'
		}, s)
	}
	return "loader_" + clean(job) + "_" + clean(step) + "_" + clean(dest)
}

// held is one received batch waiting for its import.
type held struct {
	msg   jetstream.Msg
	batch *batchv1.Batch
}

// stepRun is the state of one consumer.
type stepRun struct {
	l      *Loader
	req    *loaderv1.LoadStepRequest
	cfg    *configv1.Config
	client *dhis2.Client
	dstV   dhis2.Version
	log    *slog.Logger
	params dhis2.MetadataImportParams

	next       int64 // the next sequence to import; everything before is done
	held       map[int64]*held
	planned    int64
	serverDate string
	done       bool
	data       *dataPipe // data steps only (datavalues.go)
	drainKind  drainer   // the step kind's (steps.go)
}

func (l *Loader) runStep(ctx context.Context, req *loaderv1.LoadStepRequest, drain drainer, name string) {
	log := l.log.With(slog.String("job_id", req.GetJobId()), slog.String("step_id", req.GetStepId()),
		slog.String("instance_id", req.GetDestinationInstanceId()))
	r := &stepRun{l: l, req: req, log: log, held: map[int64]*held{}, drainKind: drain}
	if err := r.run(ctx, name); err != nil && ctx.Err() == nil {
		log.Error("load step stopped", slog.String("error", err.Error()))
		r.publishFinal(context.WithoutCancel(ctx), "the loader could not run this step: "+err.Error())
	}
}

func (r *stepRun) run(ctx context.Context, name string) error {
	var err error
	if r.cfg = r.req.GetConfig(); r.cfg == nil {
		r.cfg = &configv1.Config{}
	}
	r.params = metadataParams(r.req, r.cfg)
	acked, finished, err := r.l.resumePoint(ctx, r.req)
	if err != nil {
		return err
	}
	if finished {
		r.log.Info("step already loaded for this destination")
		return nil
	}
	r.next = acked + 1
	if r.client, err = r.l.clients.Get(ctx, r.req.GetDestinationInstanceId()); err != nil {
		return err
	}
	if r.dstV, err = r.client.Version(ctx); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	cons, err := r.createConsumer(ctx, name)
	if err != nil {
		return fmt.Errorf("create consumer %s: %w", name, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		return fmt.Errorf("consume %s: %w", name, err)
	}
	// On stop, buffered and held batches go back to JetStream at once, so another loader (or this one,
	// restarted) takes them over without waiting for ackWait.
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	defer r.handOver(it)
	defer r.closeData()
	for !r.done {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("consume %s: %w", name, err)
		}
		if ctx.Err() != nil {
			_ = msg.Nak()
			continue
		}
		if err := r.receive(ctx, msg); err != nil {
			return err
		}
	}
	// The step is complete: the consumer is no longer needed.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = r.l.js.DeleteConsumer(dctx, natsx.BatchesStream, name)
	return nil
}

// receive takes one message: poison messages are terminated and reported, duplicates acknowledged, and every
// complete run of batches is imported.
func (r *stepRun) receive(ctx context.Context, msg jetstream.Msg) error {
	b := &batchv1.Batch{}
	if err := proto.Unmarshal(msg.Data(), b); err != nil || b.GetSequence() <= 0 {
		reason := "batch message is not a dhis2sync.batch.v1.Batch"
		_ = msg.TermWithReason(reason)
		r.publishFinal(ctx, reason+": the step cannot be completed; run the job again")
		r.done = true
		return nil
	}
	if b.GetSequence() < r.next {
		return msg.Ack()
	}
	if _, ok := r.held[b.GetSequence()]; ok {
		return nil // a redelivery of a batch already held: the held copy is the one acknowledged later
	}
	r.held[b.GetSequence()] = &held{msg: msg, batch: b}
	if b.GetPlannedTotal() > 0 {
		r.planned = b.GetPlannedTotal()
	}
	if b.GetServerDate() != "" {
		r.serverDate = b.GetServerDate()
	}
	return r.drain(ctx)
}

// drain imports what the held batches allow, the way the step's kind does.
func (r *stepRun) drain(ctx context.Context) error {
	return r.drainKind(r, ctx)
}

// drainMetadata imports a metadata or deletions step: a non-splittable (multi-type) step waits for its last
// batch; a single-type step imports as soon as a request is full.
func (r *stepRun) drainMetadata(ctx context.Context) error {
	for !r.done {
		run, bytes, items, complete := r.contiguous()
		if len(run) == 0 {
			return nil
		}
		last := run[len(run)-1].batch
		switch {
		case last.GetError() != "":
			r.ackAll(ctx, run)
			r.publishFinal(ctx, "extraction failed: "+last.GetError())
			r.done = true
			return nil
		case complete:
		case r.splittable() && (bytes >= r.l.opts.MaxRequestBytes || (r.req.GetBatchSize() > 0 && items >= int(r.req.GetBatchSize()))):
		default:
			return nil
		}
		if err := r.importRun(ctx, run); err != nil {
			return err
		}
	}
	return nil
}

// contiguous returns the held batches from next on without gaps, cut where a splittable request is full.
func (r *stepRun) contiguous() (run []*held, bytes, items int, complete bool) {
	for seq := r.next; ; seq++ {
		h, ok := r.held[seq]
		if !ok {
			return run, bytes, items, false
		}
		run = append(run, h)
		bytes += len(h.batch.GetPayload()) * 6 // payloads are gzip; metadata JSON compresses about 6×
		items += int(h.batch.GetItemCount())
		if h.batch.GetLast() || h.batch.GetError() != "" {
			return run, bytes, items, h.batch.GetLast()
		}
		if r.splittable() && (bytes >= r.l.opts.MaxRequestBytes || (r.req.GetBatchSize() > 0 && items >= int(r.req.GetBatchSize()))) {
			return run, bytes, items, false
		}
	}
}

// splittable reports whether the step may be cut into several requests: only a single-type step (org units
// are read parents first, so page boundaries are safe). Groups of several types hold cycles and travel whole.
func (r *stepRun) splittable() bool {
	if r.req.GetKind() != stepv1.StepKind_STEP_KIND_METADATA || len(r.req.GetResources()) != 1 {
		return false
	}
	// categoryCombos travel with their option combos (the extractor adds them): never split.
	return r.req.GetResources()[0] != resource.CategoryCombos
}

func (r *stepRun) ackAll(ctx context.Context, run []*held) {
	for _, h := range run {
		if err := h.msg.DoubleAck(ctx); err != nil {
			r.log.Warn("ack failed; the batch will be redelivered and skipped", slog.Int64("sequence", h.batch.GetSequence()), slog.String("error", err.Error()))
		}
		delete(r.held, h.batch.GetSequence())
	}
	if len(run) > 0 {
		r.next = run[len(run)-1].batch.GetSequence() + 1
	}
}

// handOver gives every held and buffered batch back to JetStream for immediate redelivery.
func (r *stepRun) handOver(it jetstream.MessagesContext) {
	for seq, h := range r.held {
		_ = h.msg.Nak()
		delete(r.held, seq)
	}
	it.Drain()
	for {
		msg, err := it.Next()
		if err != nil {
			return
		}
		_ = msg.Nak()
	}
}

// keepAlive reports progress on the run's batches until the returned stop is called, so that JetStream does
// not redeliver them during a long import.
func (r *stepRun) keepAlive(run []*held) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.inProgress(run)
			}
		}
	}()
	return func() { close(done) }
}

func (r *stepRun) inProgress(run []*held) {
	for _, h := range run {
		_ = h.msg.InProgress()
	}
}

// natsOutage is how long a step waits for JetStream to come back (a NATS restart) before it fails.
const natsOutage = 2 * time.Minute

// createConsumer creates the step's durable consumer, retrying while JetStream does not answer, so that a
// restart of NATS delays the step instead of failing it.
func (r *stepRun) createConsumer(ctx context.Context, name string) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Durable:           name,
		FilterSubject:     natsx.BatchSubject(r.req.GetJobId(), r.req.GetStepId()),
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           ackWait,
		MaxAckPending:     maxAckPending,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: 72 * time.Hour,
	}
	deadline := time.Now().Add(natsOutage)
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cons, err := r.l.js.CreateOrUpdateConsumer(cctx, natsx.BatchesStream, cfg)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return cons, err
		}
		r.log.Warn("JetStream not answering; retrying", slog.Int("attempt", attempt), slog.String("error", err.Error()))
		if err := sleep(ctx, backoff(time.Second, 10*time.Second, attempt)); err != nil {
			return nil, err
		}
	}
}
