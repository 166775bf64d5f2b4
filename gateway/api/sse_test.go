package api

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"google.golang.org/grpc"
)

// openStream starts GET /api/v1/jobs/{id}/events as an EventSource would.
func (e *env) openStream(token, id string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/jobs/"+id+"/events", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// readEvents reads SSE lines until the stream ends, returning data fields and comments in order.
func readEvents(t *testing.T, sc *bufio.Scanner) (data []string) {
	t.Helper()
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = append(data, d)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	kinds := []string{"state", "progress", "log"}
	var seenID string
	e.orch.watch = func(req *orchestratorv1.WatchJobRequest, s grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
		seenID = req.GetId()
		for _, k := range kinds {
			if err := s.Send(&orchestratorv1.WatchJobResponse{Kind: k, Job: &orchestratorv1.Job{Id: req.GetId()}}); err != nil {
				return err
			}
		}
		return nil
	}
	admin := e.login(adminUser, adminPassword)
	resp := e.openStream(admin, "job-42")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	data := readEvents(t, bufio.NewScanner(resp.Body)) // returns only because the stream ends
	if seenID != "job-42" || len(data) != len(kinds) {
		t.Fatalf("job %q, events %q", seenID, data)
	}
	for i, d := range data {
		var ev struct {
			Result struct {
				Kind string `json:"kind"`
				Job  struct {
					ID string `json:"id"`
				} `json:"job"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(d), &ev); err != nil || ev.Result.Kind != kinds[i] || ev.Result.Job.ID != "job-42" {
			t.Errorf("event %d: %s (%v)", i, d, err)
		}
	}
}

func TestEventStreamUnimplemented(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	resp := e.openStream(e.login(adminUser, adminPassword), "job-1")
	if resp.StatusCode != http.StatusNotImplemented || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkErrorEvent(t, resp, 12)
}

// checkErrorEvent reads a stream that must hold exactly one complete {"error":{…}} event with the given code.
func checkErrorEvent(t *testing.T, resp *http.Response, code int) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := strings.CutPrefix(string(body), "data: ")
	if !ok || !strings.HasSuffix(d, "\n\n") || strings.Count(d, "\n") != 2 {
		t.Fatalf("not one complete SSE event: %q", body)
	}
	var ev struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(d), &ev); err != nil || ev.Error.Code != code || ev.Error.Message == "" {
		t.Fatalf("error event %q: %v", d, err)
	}
}

func TestEventStreamHeartbeat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{heartbeat: 5 * time.Millisecond})
	release := make(chan struct{})
	e.orch.watch = func(req *orchestratorv1.WatchJobRequest, s grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
		select { // an idle job: nothing to say until the client has seen a heartbeat
		case <-release:
		case <-s.Context().Done():
			return s.Context().Err()
		}
		return s.Send(&orchestratorv1.WatchJobResponse{Kind: "state"})
	}
	resp := e.openStream(e.login(adminUser, adminPassword), "job-1")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && sc.Text() != ": ping" {
	}
	close(release)
	data := readEvents(t, sc)
	if len(data) != 1 || !strings.Contains(data[0], `"kind":"state"`) && !strings.Contains(data[0], `"kind": "state"`) {
		t.Fatalf("after heartbeats: %q", data)
	}
}

func TestEventStreamNeedsViewer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	resp := e.openStream("", "job-1")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
	checkErrorEvent(t, resp, 16)
}

func TestEventStreamUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{orchestratorDown: true})
	resp := e.openStream(e.login(adminUser, adminPassword), "job-1")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkErrorEvent(t, resp, 14)
}
