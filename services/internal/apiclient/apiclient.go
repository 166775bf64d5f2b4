// Package apiclient is a small client of the dhis2sync gateway's REST API, used by the demo command and the
// end-to-end tests, so that both drive dhis2sync exactly as an integrator would.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// Client calls one gateway.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// New returns a client of the gateway at baseURL (e.g. http://127.0.0.1:8080).
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Error is a non-2xx answer of the gateway.
type Error struct {
	Status  int
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("gateway answered %d: %s", e.Status, e.Message)
}

// Do sends a JSON request and decodes a JSON answer into out (a proto.Message, any other value, or nil).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	switch v := in.(type) {
	case nil:
	case proto.Message:
		b, err := protojson.Marshal(v)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(data))
		}
		return e
	}
	switch v := out.(type) {
	case nil:
		return nil
	case proto.Message:
		return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(data, v)
	default:
		return json.Unmarshal(data, v)
	}
}

// Login signs in and keeps the token for later calls.
func (c *Client) Login(ctx context.Context, username, password string) error {
	var out struct {
		Token string `json:"token"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": username, "password": password}, &out); err != nil {
		return err
	}
	c.Token = out.Token
	return nil
}

// CreateInstance registers a DHIS2 instance.
func (c *Client) CreateInstance(ctx context.Context, req *instancev1.CreateInstanceRequest) (*instancev1.Instance, error) {
	out := &instancev1.Instance{}
	return out, c.Do(ctx, http.MethodPost, "/api/v1/instances", req, out)
}

// TestConnection tests an instance now.
func (c *Client) TestConnection(ctx context.Context, id string) (*instancev1.TestConnectionResponse, error) {
	out := &instancev1.TestConnectionResponse{}
	return out, c.Do(ctx, http.MethodPost, "/api/v1/instances/"+url.PathEscape(id)+":test", struct{}{}, out)
}

// ListInstances lists instances.
func (c *Client) ListInstances(ctx context.Context) ([]*instancev1.Instance, error) {
	out := &instancev1.ListInstancesResponse{}
	err := c.Do(ctx, http.MethodGet, "/api/v1/instances", nil, out)
	return out.GetInstances(), err
}

// CreateConfig stores a sync configuration.
func (c *Client) CreateConfig(ctx context.Context, cfg *configv1.Config) (*configv1.Config, error) {
	out := &configv1.Config{}
	return out, c.Do(ctx, http.MethodPost, "/api/v1/configs", cfg, out)
}

// Launch starts a job for a configuration.
func (c *Client) Launch(ctx context.Context, configID string, dryRun bool) (*orchestratorv1.Job, error) {
	out := &orchestratorv1.Job{}
	return out, c.Do(ctx, http.MethodPost, "/api/v1/configs/"+url.PathEscape(configID)+":launch", map[string]bool{"dryRun": dryRun}, out)
}

// Job returns a job with its sub-jobs and steps.
func (c *Client) Job(ctx context.Context, id string) (*orchestratorv1.Job, error) {
	out := &orchestratorv1.Job{}
	return out, c.Do(ctx, http.MethodGet, "/api/v1/jobs/"+url.PathEscape(id), nil, out)
}

// Logs returns a job's log lines.
func (c *Client) Logs(ctx context.Context, id string) ([]*orchestratorv1.LogLine, error) {
	out := &orchestratorv1.ListJobLogsResponse{}
	err := c.Do(ctx, http.MethodGet, "/api/v1/jobs/"+url.PathEscape(id)+"/logs?limit=10000", nil, out)
	return out.GetLines(), err
}

// Final reports whether a job status is final.
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
		j, err := c.Job(ctx, id)
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
