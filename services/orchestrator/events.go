package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
)

// Event kinds of WatchJobResponse and of the JSON published on dhis2sync.event.job.<job>.
const (
	eventState     = "state"
	eventProgress  = "progress"
	eventLog       = "log"
	eventHeartbeat = "heartbeat"
)

var eventJSON = protojson.MarshalOptions{EmitUnpopulated: false}

// publish sends an event on the top-level job's subject. Events are best effort: PostgreSQL already holds
// what they say, so a failed publish is logged and not retried.
func (s *Service) publish(ctx context.Context, rootID string, ev *orchestratorv1.WatchJobResponse) {
	if s.deps.NATS == nil {
		return
	}
	if ev.Time == nil {
		ev.Time = timestamppb.New(time.Now())
	}
	b, err := eventJSON.Marshal(ev)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = s.deps.NATS.PublishEvent(ctx, natsx.JobEventSubject(rootID), json.RawMessage(b))
	}
	if err != nil {
		s.log.Warn("job event not published", slog.String("job_id", rootID), slog.String("error", err.Error()))
	}
}

// publishJob publishes the whole job tree as a state or progress event.
func (s *Service) publishJob(ctx context.Context, rootID, kind string) {
	job, err := s.st.tree(context.WithoutCancel(ctx), rootID)
	if err != nil {
		s.log.Warn("job event not published", slog.String("job_id", rootID), slog.String("error", err.Error()))
		return
	}
	s.publish(ctx, rootID, &orchestratorv1.WatchJobResponse{Kind: kind, Job: job})
}

// jobLog stores a log line of a job (or sub-job) and publishes it.
func (s *Service) jobLog(ctx context.Context, job *jobRow, stepID string, level orchestratorv1.LogLevel, msg string, attrs map[string]string) {
	ctx = context.WithoutCancel(ctx)
	l := &orchestratorv1.LogLine{JobId: job.ID, Level: level, Message: msg, StepId: stepID, Attributes: attrs}
	if err := s.st.insertLog(ctx, s.st.db, job.RootJobID, l); err != nil {
		s.log.Error("job log line lost", slog.String("job_id", job.ID), slog.String("message", msg), slog.String("error", err.Error()))
		return
	}
	s.publish(ctx, job.RootJobID, &orchestratorv1.WatchJobResponse{Kind: eventLog, Log: l})
}

func (s *Service) info(ctx context.Context, job *jobRow, stepID, format string, args ...any) {
	s.jobLog(ctx, job, stepID, orchestratorv1.LogLevel_LOG_LEVEL_INFO, fmt.Sprintf(format, args...), nil)
}

func (s *Service) warn(ctx context.Context, job *jobRow, stepID, format string, args ...any) {
	s.jobLog(ctx, job, stepID, orchestratorv1.LogLevel_LOG_LEVEL_WARNING, fmt.Sprintf(format, args...), nil)
}

func (s *Service) logError(ctx context.Context, job *jobRow, stepID, format string, args ...any) {
	s.jobLog(ctx, job, stepID, orchestratorv1.LogLevel_LOG_LEVEL_ERROR, fmt.Sprintf(format, args...), nil)
}
