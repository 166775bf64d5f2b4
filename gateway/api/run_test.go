package api

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"google.golang.org/grpc"
)

// TestServeEndsStreamsOnShutdown checks that stopping the gateway ends open event streams instead of waiting
// for the jobs behind them to finish.
func TestServeEndsStreamsOnShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	watching := make(chan struct{})
	e.orch.watch = func(_ *orchestratorv1.WatchJobRequest, s grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
		if err := s.Send(&orchestratorv1.WatchJobResponse{Kind: "state"}); err != nil {
			return err
		}
		close(watching)
		<-s.Context().Done() // a job that never ends
		return s.Context().Err()
	}
	token := e.login(adminUser, adminPassword)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, lis, e.srv.Config.Handler.(*Gateway), slog.New(slog.DiscardHandler)) }()

	req, _ := http.NewRequest(http.MethodGet, "http://"+lis.Addr().String()+"/api/v1/jobs/job-1/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-watching
	cancel()
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Errorf("stream did not end cleanly: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
