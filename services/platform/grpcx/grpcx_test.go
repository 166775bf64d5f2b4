package grpcx

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestServeHealthAndGracefulStop(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ids := testIdentities(t)
	srv := NewServer(log, ids["config"])
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, lis, 2*time.Second) }()

	conn, err := ids["orchestrator"].Dial("config", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", res, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestRecoverUnary(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := recoverUnary(log)(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/x.v1.X/Boom"},
		func(context.Context, any) (any, error) { panic("boom") })
	if status.Code(err) != codes.Internal {
		t.Fatalf("panicking handler: want Internal, got %v", err)
	}
}

func TestUserForwarding(t *testing.T) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(UserHeader, "amina"))
	if got := User(ctx); got != "amina" {
		t.Fatalf("User = %q", got)
	}
	var sent string
	err := forwardUser(ctx, "/m", nil, nil, nil, func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		md, _ := metadata.FromOutgoingContext(ctx)
		sent = md.Get(UserHeader)[0]
		return nil
	})
	if err != nil || sent != "amina" {
		t.Fatalf("forwarded %q, %v", sent, err)
	}
}
