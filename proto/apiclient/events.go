package apiclient

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// EventStream reads a job's text/event-stream from the gateway. Close it when done.
type EventStream struct {
	body io.ReadCloser
	sc   *bufio.Scanner
}

// WatchJob opens the job's event stream. The stream ends (Next returns io.EOF) when the job ends.
func (c *Client) WatchJob(ctx context.Context, id string) (*EventStream, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/jobs/"+escape(id)+"/events", nil)
	if err != nil {
		return nil, fmt.Errorf("build watch request: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	c.authorize(req)
	// A stream lives as long as the job: no client timeout, only the request's context.
	streamClient := &http.Client{Transport: c.http.Transport}
	resp, err := streamClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: watch job %s: %w", ErrUnreachable, id, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, decodeError(resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	return &EventStream{body: resp.Body, sc: sc}, nil
}

// Next returns the next event. It returns io.EOF when the stream ends normally.
func (s *EventStream) Next() (*orchestratorv1.WatchJobResponse, error) {
	var data strings.Builder
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "":
			if data.Len() == 0 {
				continue
			}
			return decodeEvent(data.String())
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		default:
			// Comments (":"), event names and ids carry nothing the dashboard needs.
		}
	}
	if err := s.sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: read job events: %w", ErrUnreachable, err)
	}
	if data.Len() > 0 {
		return decodeEvent(data.String())
	}
	return nil, io.EOF
}

// Close releases the stream.
func (s *EventStream) Close() error { return s.body.Close() }

// decodeEvent decodes one grpc-gateway stream message: {"result":{…}} or {"error":{…}}.
func decodeEvent(data string) (*orchestratorv1.WatchJobResponse, error) {
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal([]byte(data), &env); err != nil {
		return nil, fmt.Errorf("%w: job event: %w", ErrMalformed, err)
	}
	if len(env.Error) > 0 && string(env.Error) != "null" {
		e := decodeError(http.StatusInternalServerError, env.Error)
		return nil, e
	}
	ev := &orchestratorv1.WatchJobResponse{}
	if err := unmarshal.Unmarshal(env.Result, ev); err != nil {
		return nil, fmt.Errorf("%w: job event: %w", ErrMalformed, err)
	}
	return ev, nil
}
