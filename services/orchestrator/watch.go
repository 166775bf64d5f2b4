package orchestrator

import (
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
)

// WatchJob streams the job's current state, then its events from NATS until it ends.
func (s *Service) WatchJob(req *orchestratorv1.WatchJobRequest, stream orchestratorv1.OrchestratorService_WatchJobServer) error {
	ctx := stream.Context()
	j, err := s.st.job(ctx, s.st.db, req.GetId())
	if err != nil {
		return s.toStatus(ctx, req, err)
	}
	events := make(chan *nats.Msg, 256)
	sub, err := s.deps.NATS.ChanSubscribe(natsx.JobEventSubject(j.RootJobID), events)
	if err != nil {
		return s.toStatus(ctx, req, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	job, err := s.st.tree(ctx, j.RootJobID)
	if err != nil {
		return s.toStatus(ctx, req, err)
	}
	if err := stream.Send(&orchestratorv1.WatchJobResponse{Kind: eventState, Time: timestamppb.Now(), Job: job}); err != nil {
		return err
	}
	if statusOf(job.GetStatus()).final() {
		return nil
	}
	hb := time.NewTicker(s.opts.WatchHeartbeat)
	defer hb.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.base.Done():
			return nil
		case <-hb.C:
			if err := stream.Send(&orchestratorv1.WatchJobResponse{Kind: eventHeartbeat, Time: timestamppb.Now()}); err != nil {
				return err
			}
		case m := <-events:
			ev := &orchestratorv1.WatchJobResponse{}
			if err := protojson.Unmarshal(m.Data, ev); err != nil {
				continue
			}
			if err := stream.Send(ev); err != nil {
				return err
			}
			if ev.GetKind() == eventState && statusOf(ev.GetJob().GetStatus()).final() {
				return nil
			}
		}
	}
}
