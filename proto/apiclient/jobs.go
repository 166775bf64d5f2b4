package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// JobFilter selects a page of the job history. Zero fields do not filter.
type JobFilter struct {
	ConfigID      string
	Statuses      []orchestratorv1.JobStatus
	Type          orchestratorv1.JobType
	CreatedAfter  time.Time
	CreatedBefore time.Time
	PageSize      int
	PageToken     string
	// OrderBy is "create_time", "status", "type" or "config_name", "-" prefixed for descending.
	OrderBy string
}

func (f JobFilter) query() url.Values {
	q := url.Values{}
	if f.ConfigID != "" {
		q.Set("configId", f.ConfigID)
	}
	for _, s := range f.Statuses {
		q.Add("statuses", s.String())
	}
	if f.Type != orchestratorv1.JobType_JOB_TYPE_UNSPECIFIED {
		q.Set("type", f.Type.String())
	}
	if !f.CreatedAfter.IsZero() {
		q.Set("createdAfter", f.CreatedAfter.UTC().Format(time.RFC3339))
	}
	if !f.CreatedBefore.IsZero() {
		q.Set("createdBefore", f.CreatedBefore.UTC().Format(time.RFC3339))
	}
	if f.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(f.PageSize))
	}
	if f.PageToken != "" {
		q.Set("pageToken", f.PageToken)
	}
	if f.OrderBy != "" {
		q.Set("orderBy", f.OrderBy)
	}
	return q
}

// ListJobs returns one page of top-level jobs.
func (c *Client) ListJobs(ctx context.Context, f JobFilter) (*orchestratorv1.ListJobsResponse, error) {
	out := &orchestratorv1.ListJobsResponse{}
	err := c.call(ctx, http.MethodGet, "/api/v1/jobs", f.query(), nil, out)
	return out, err
}

// GetJob returns a job with its sub-jobs, steps and verification.
func (c *Client) GetJob(ctx context.Context, id string) (*orchestratorv1.Job, error) {
	out := &orchestratorv1.Job{}
	err := c.call(ctx, http.MethodGet, "/api/v1/jobs/"+escape(id), nil, nil, out)
	return out, err
}

// LaunchConfig starts a job for a configuration now.
func (c *Client) LaunchConfig(ctx context.Context, in *orchestratorv1.LaunchConfigRequest) (*orchestratorv1.Job, error) {
	out := &orchestratorv1.Job{}
	err := c.call(ctx, http.MethodPost, "/api/v1/configs/"+escape(in.GetConfigId())+":launch", nil, in, out)
	return out, err
}

// CancelJob asks a running job to stop.
func (c *Client) CancelJob(ctx context.Context, id string) (*orchestratorv1.Job, error) {
	out := &orchestratorv1.Job{}
	err := c.call(ctx, http.MethodPost, "/api/v1/jobs/"+escape(id)+":cancel", nil,
		&orchestratorv1.CancelJobRequest{Id: id}, out)
	return out, err
}

// RetryJob starts a new job that retries a failed one.
func (c *Client) RetryJob(ctx context.Context, id string) (*orchestratorv1.Job, error) {
	out := &orchestratorv1.Job{}
	err := c.call(ctx, http.MethodPost, "/api/v1/jobs/"+escape(id)+":retry", nil,
		&orchestratorv1.RetryJobRequest{Id: id}, out)
	return out, err
}

// LogQuery filters a job's log.
type LogQuery struct {
	MinLevel      orchestratorv1.LogLevel
	AfterSequence int64
	Limit         int
}

// JobLogs returns a job's log lines, oldest first.
func (c *Client) JobLogs(ctx context.Context, id string, lq LogQuery) ([]*orchestratorv1.LogLine, error) {
	q := url.Values{}
	if lq.MinLevel != orchestratorv1.LogLevel_LOG_LEVEL_UNSPECIFIED {
		q.Set("minLevel", lq.MinLevel.String())
	}
	if lq.AfterSequence > 0 {
		q.Set("afterSequence", strconv.FormatInt(lq.AfterSequence, 10))
	}
	if lq.Limit > 0 {
		q.Set("limit", strconv.Itoa(lq.Limit))
	}
	out := &orchestratorv1.ListJobLogsResponse{}
	if err := c.call(ctx, http.MethodGet, "/api/v1/jobs/"+escape(id)+"/logs", q, nil, out); err != nil {
		return nil, err
	}
	return out.GetLines(), nil
}

// Final reports whether a job status is final: the job will not change any more.
func Final(s orchestratorv1.JobStatus) bool {
	switch s {
	case orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS,
		orchestratorv1.JobStatus_JOB_STATUS_FAILED, orchestratorv1.JobStatus_JOB_STATUS_CANCELLED,
		orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY:
		return true
	}
	return false
}

// WaitJob polls a job until its status is final or ctx ends; progress, when set, sees every poll.
func (c *Client) WaitJob(ctx context.Context, id string, progress func(*orchestratorv1.Job)) (*orchestratorv1.Job, error) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		j, err := c.GetJob(ctx, id)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(j)
		}
		if Final(j.GetStatus()) {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("job %s still %s: %w", id, j.GetStatus(), ctx.Err())
		case <-t.C:
		}
	}
}
