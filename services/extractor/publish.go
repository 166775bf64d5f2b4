package extractor

import (
	"context"
	"encoding/json"
	"fmt"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Publisher is the part of JetStream the extractor writes to.
type Publisher interface {
	Publish(ctx context.Context, subject string, data []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// stepPublisher numbers a step's batches from 1 and keeps the latest one back, so that the step's final batch
// can carry last=true without an extra empty message.
type stepPublisher struct {
	js         Publisher
	job, step  string
	after      int64 // batches up to this sequence were published by an earlier run: skip them (resume)
	version    string
	serverDate string
	planned    int64

	seq     int64
	pending *batchv1.Batch
	items   int64
}

// add packs items of one resource into one or more batches.
func (p *stepPublisher) add(ctx context.Context, resource string, items []json.RawMessage) error {
	if len(items) == 0 {
		return nil
	}
	payloads, counts, err := batch.EncodeBounded(items)
	if err != nil {
		return err
	}
	for i, payload := range payloads {
		if err := p.flush(ctx); err != nil {
			return err
		}
		p.seq++
		p.items += int64(counts[i])
		p.pending = &batchv1.Batch{
			JobId: p.job, StepId: p.step, Sequence: p.seq, Resource: resource, SourceVersion: p.version,
			Encoding: batch.Encoding, Payload: payload, ItemCount: int32(counts[i]),
			PlannedTotal: p.planned, ServerDate: p.serverDate,
		}
	}
	return nil
}

// flush publishes the batch kept back, if any.
func (p *stepPublisher) flush(ctx context.Context) error {
	if p.pending == nil {
		return nil
	}
	b := p.pending
	p.pending = nil
	return p.publish(ctx, b)
}

// finish publishes the step's last batch: the kept-back one marked last, or an empty marker. A non-empty
// errMsg closes the step as failed.
func (p *stepPublisher) finish(ctx context.Context, resource, errMsg string) error {
	b := p.pending
	p.pending = nil
	if b == nil || errMsg != "" {
		if err := p.publishIfAny(ctx, b); err != nil {
			return err
		}
		p.seq++
		b = &batchv1.Batch{JobId: p.job, StepId: p.step, Sequence: p.seq, Resource: resource,
			SourceVersion: p.version, Encoding: batch.Encoding, PlannedTotal: p.planned, ServerDate: p.serverDate}
	}
	b.Last = true
	b.Error = errMsg
	return p.publish(ctx, b)
}

func (p *stepPublisher) publishIfAny(ctx context.Context, b *batchv1.Batch) error {
	if b == nil {
		return nil
	}
	return p.publish(ctx, b)
}

func (p *stepPublisher) publish(ctx context.Context, b *batchv1.Batch) error {
	if b.Sequence <= p.after && !b.Last {
		return nil
	}
	b.Time = timestamppb.Now()
	data, err := proto.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode batch %d: %w", b.Sequence, err)
	}
	subject := natsx.BatchSubject(p.job, p.step)
	if _, err := p.js.Publish(ctx, subject, data, jetstream.WithMsgID(natsx.BatchMsgID(p.job, p.step, b.Sequence))); err != nil {
		return fmt.Errorf("publish batch %d on %s (is NATS JetStream up?): %w", b.Sequence, subject, err)
	}
	return nil
}
