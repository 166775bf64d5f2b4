package orchestrator

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
)

// LaunchConfig starts a job for a configuration now.
func (s *Service) LaunchConfig(ctx context.Context, req *orchestratorv1.LaunchConfigRequest) (*orchestratorv1.LaunchConfigResponse, error) {
	job, err := s.launch(ctx, req.GetConfigId(), launch{
		dryRun: req.GetDryRun(), families: req.GetMetadataFamilies(), types: req.GetTypes(), trigger: "MANUAL",
		launchedBy: grpcx.User(ctx),
	})
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	return &orchestratorv1.LaunchConfigResponse{Job: job}, nil
}

// GetJob returns a job with its sub-jobs, steps and verification.
func (s *Service) GetJob(ctx context.Context, req *orchestratorv1.GetJobRequest) (*orchestratorv1.GetJobResponse, error) {
	job, err := s.st.tree(ctx, req.GetId())
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	return &orchestratorv1.GetJobResponse{Job: job}, nil
}

// ListJobs returns one page of top-level jobs.
func (s *Service) ListJobs(ctx context.Context, req *orchestratorv1.ListJobsRequest) (*orchestratorv1.ListJobsResponse, error) {
	f, err := parseListRequest(req)
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	rows, total, err := s.st.listJobs(ctx, f)
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	out := &orchestratorv1.ListJobsResponse{Total: total}
	for _, r := range rows {
		out.Jobs = append(out.Jobs, r.proto())
	}
	if next := f.offset + len(rows); int64(next) < total && len(rows) > 0 {
		out.NextPageToken = pageToken(next)
	}
	return out, nil
}

// CancelJob cancels a running job.
func (s *Service) CancelJob(ctx context.Context, req *orchestratorv1.CancelJobRequest) (*orchestratorv1.CancelJobResponse, error) {
	job, err := s.cancelJob(ctx, req.GetId(), grpcx.User(ctx))
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	return &orchestratorv1.CancelJobResponse{Job: job}, nil
}

// RetryJob retries a failed or cancelled job now.
func (s *Service) RetryJob(ctx context.Context, req *orchestratorv1.RetryJobRequest) (*orchestratorv1.RetryJobResponse, error) {
	user := grpcx.User(ctx)
	if user == "" {
		user = "an internal caller"
	}
	job, err := s.retry(ctx, req.GetId(), false, user)
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	return &orchestratorv1.RetryJobResponse{Job: job}, nil
}

// ListJobLogs returns a job's log lines.
func (s *Service) ListJobLogs(ctx context.Context, req *orchestratorv1.ListJobLogsRequest) (*orchestratorv1.ListJobLogsResponse, error) {
	job, err := s.st.job(ctx, s.st.db, req.GetId())
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	limit := int(req.GetLimit())
	switch {
	case limit <= 0:
		limit = 1000
	case limit > 10000:
		limit = 10000
	}
	level := req.GetMinLevel()
	if level == orchestratorv1.LogLevel_LOG_LEVEL_UNSPECIFIED {
		level = orchestratorv1.LogLevel_LOG_LEVEL_INFO
	}
	lines, err := s.st.listLogs(ctx, job, level, req.GetAfterSequence(), limit)
	if err != nil {
		return nil, s.toStatus(ctx, req, err)
	}
	return &orchestratorv1.ListJobLogsResponse{Lines: lines}, nil
}

// launch plans and starts a job for a configuration.
func (s *Service) launch(ctx context.Context, configID string, l launch) (*orchestratorv1.Job, error) {
	if strings.TrimSpace(configID) == "" {
		return nil, invalidf("config_id is required")
	}
	cfg, err := s.fetchConfig(ctx, configID)
	if err != nil {
		return nil, err
	}
	if !cfg.GetActive() {
		return nil, fmt.Errorf("%w: activate configuration %q before launching it", ErrConfigInactive, cfg.GetName())
	}
	if cfg.GetSourceInstanceId() == "" || len(cfg.GetDestinationInstanceIds()) == 0 {
		return nil, invalidf("configuration %q needs a source and at least one destination", cfg.GetName())
	}
	l.cfg = cfg
	tree, err := planJob(l)
	if err != nil {
		return nil, err
	}
	if err := s.st.inTx(ctx, func(tx *sqlx.Tx) error { return s.st.insertTree(ctx, tx, tree, s.owner) }); err != nil {
		return nil, err
	}
	root := tree.root
	by := root.LaunchedBy
	if by == "" {
		by = strings.ToLower(root.Trigger) + " launch"
	}
	if l.note != "" {
		s.info(ctx, root, "", "%s", l.note)
	}
	dry := ""
	if root.DryRun {
		dry = " (dry run: nothing is written, watermarks do not move)"
	}
	s.info(ctx, root, "", "job launched by %s%s: %d sub-jobs, %d steps", by, dry, len(tree.subs), len(tree.steps))
	s.publishJob(ctx, root.ID, eventState)
	s.startJob(root.ID, false)
	return s.st.tree(ctx, root.ID)
}

// fetchConfig reads a configuration from the config service.
func (s *Service) fetchConfig(ctx context.Context, id string) (*configv1.Config, error) {
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	resp, err := s.deps.Config.GetConfig(cctx, &configv1.GetConfigRequest{Id: id})
	if err == nil {
		return resp.GetConfig(), nil
	}
	switch status.Code(err) {
	case codes.NotFound:
		return nil, fmt.Errorf("%w: %s", ErrConfigNotFound, id)
	case codes.InvalidArgument:
		return nil, invalidf("%s", status.Convert(err).Message())
	}
	return nil, fmt.Errorf("%w: %s", ErrConfigUnavailable, callError(err))
}
