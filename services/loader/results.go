package loader

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// publishResult stores a Result in JetStream and waits for its acknowledgement. The message id makes a
// Result republished after a restart (same destination, same acknowledged sequence) a duplicate.
func (r *stepRun) publishResult(ctx context.Context, res *batchv1.Result) error {
	return r.publishResultOf(ctx, res, r.planned, r.serverDate)
}

// publishResultOf is publishResult with the planned total and serverDate of the batches the Result covers (a
// data step's committer runs beside the consumer, so it does not read the consumer's state).
func (r *stepRun) publishResultOf(ctx context.Context, res *batchv1.Result, planned int64, serverDate string) error {
	res.JobId, res.StepId, res.DestinationInstanceId = r.req.GetJobId(), r.req.GetStepId(), r.req.GetDestinationInstanceId()
	res.PlannedTotal, res.ServerDate = planned, serverDate
	res.Time = timestamppb.Now()
	data, err := proto.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	id := fmt.Sprintf("%s.%s", natsx.BatchMsgID(r.req.GetJobId(), r.req.GetStepId(), res.GetAckedThrough()),
		r.req.GetDestinationInstanceId())
	if res.GetLast() {
		id += ".last"
	}
	subject := natsx.ResultSubject(r.req.GetJobId(), r.req.GetStepId())
	for attempt := 1; ; attempt++ {
		_, err = r.l.js.Publish(ctx, subject, data, jetstream.WithMsgID(id))
		if err == nil || attempt == 5 || ctx.Err() != nil {
			break
		}
		if serr := sleep(ctx, time.Duration(attempt)*200*time.Millisecond); serr != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("publish result on %s: %w", subject, err)
	}
	return nil
}

// publishFinal closes the step for this destination with an error.
func (r *stepRun) publishFinal(ctx context.Context, msg string) {
	res := &batchv1.Result{Last: true, Error: msg, Status: "ERROR", AckedThrough: max(r.next-1, 0)}
	if err := r.publishResult(ctx, res); err != nil {
		r.log.Error("could not publish the step's closing result", slog.String("error", err.Error()), slog.String("reason", msg))
	}
}

// resumePoint reads the step's earlier Results for this destination: the highest acknowledged sequence and
// whether a successful last Result was already published.
func (l *Loader) resumePoint(ctx context.Context, req *loaderv1.LoadStepRequest) (acked int64, finished bool, err error) {
	subject := natsx.ResultSubject(req.GetJobId(), req.GetStepId())
	stream, err := l.js.Stream(ctx, natsx.ResultsStream)
	if err != nil {
		return 0, false, fmt.Errorf("results stream: %w", err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, false, fmt.Errorf("results stream: %w", err)
	}
	if info.State.Subjects[subject] == 0 {
		return 0, false, nil
	}
	cons, err := l.js.OrderedConsumer(ctx, natsx.ResultsStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return 0, false, fmt.Errorf("read results: %w", err)
	}
	for {
		b, err := cons.Fetch(256, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return 0, false, fmt.Errorf("read results: %w", err)
		}
		n, pending := 0, uint64(0)
		for msg := range b.Messages() {
			n++
			if md, err := msg.Metadata(); err == nil {
				pending = md.NumPending
			}
			res := &batchv1.Result{}
			if proto.Unmarshal(msg.Data(), res) != nil || res.GetDestinationInstanceId() != req.GetDestinationInstanceId() {
				continue
			}
			acked = max(acked, res.GetAckedThrough())
			if res.GetLast() && res.GetError() == "" {
				finished = true
			}
		}
		if n == 0 || pending == 0 {
			return acked, finished, nil
		}
	}
}
