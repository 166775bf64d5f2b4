package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
)

// ResultsConsumer is the durable name of the orchestrator's consumer on DHIS2SYNC_RESULTS; replicas share it.
const ResultsConsumer = "orchestrator"

// consumeResults records every loader result. A message is acknowledged only after its transaction commits;
// on a database error it is redelivered later.
func (s *Service) consumeResults(ctx context.Context) error {
	if s.deps.NATS == nil {
		return errors.New("orchestrator: no NATS connection")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := s.deps.NATS.JS.CreateOrUpdateConsumer(cctx, natsx.ResultsStream, jetstream.ConsumerConfig{
		Durable: ResultsConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute,
		DeliverPolicy: jetstream.DeliverAllPolicy, MaxAckPending: 1000,
		Description: "dhis2sync orchestrator: import results into job counters",
	})
	if err != nil {
		return fmt.Errorf("results consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { s.handleResult(ctx, m) })
	if err != nil {
		return fmt.Errorf("results consumer: %w", err)
	}
	s.goBackground(func() {
		<-ctx.Done()
		cc.Drain()
		select {
		case <-cc.Closed():
		case <-time.After(5 * time.Second):
		}
	})
	return nil
}

func (s *Service) handleResult(ctx context.Context, m jetstream.Msg) {
	r := &batchv1.Result{}
	if err := proto.Unmarshal(m.Data(), r); err != nil || r.GetStepId() == "" {
		// The loader publishes protobuf; protojson is accepted for tools that inject results by hand.
		if jerr := protojson.Unmarshal(m.Data(), r); jerr != nil {
			s.log.Warn("malformed result dropped", slog.String("subject", m.Subject()))
			_ = m.TermWithReason("malformed result")
			return
		}
	}
	ctx = context.WithoutCancel(ctx)
	out, err := s.st.applyResult(ctx, r)
	switch {
	case errors.Is(err, errUnknownStep):
		s.log.Debug("result for an unknown step dropped", slog.String("step_id", r.GetStepId()))
		_ = m.Ack()
		return
	case err != nil:
		n := uint64(1)
		if md, merr := m.Metadata(); merr == nil {
			n = md.NumDelivered
		}
		s.log.Warn("result not recorded, will be redelivered", slog.String("step_id", r.GetStepId()),
			slog.String("error", err.Error()))
		_ = m.NakWithDelay(min(time.Duration(n)*time.Second, 30*time.Second))
		return
	}
	if err := m.Ack(); err != nil {
		s.log.Warn("result ack failed (it will be redelivered and recognised)", slog.String("error", err.Error()))
	}
	if out.duplicate {
		return
	}
	for _, l := range out.lines {
		s.publish(ctx, out.rootID, &orchestratorv1.WatchJobResponse{Kind: eventLog, Log: l})
	}
	s.publishJob(ctx, out.rootID, eventProgress)
	s.signal(out.stepID)
}
