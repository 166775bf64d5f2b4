package instanceregistry

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/secretbox"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx/grpcxtest"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

// testEnv is the registry served over gRPC on 127.0.0.1:0, on a scratch database and an embedded NATS.
type testEnv struct {
	client instancev1.InstanceServiceClient
	srv    *Server
	db     *sqlx.DB
	nc     *natsx.Conn
	key    []byte
	logs   *syncBuffer
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dsn := testenv.Postgres(t)
	natsURL := testenv.NATS(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())

	db, err := pgdb.Open(ctx, dsn, Schema, Migrations(), log)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := natsx.Connect(ctx, natsURL, "registry-test", log)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secretbox.KeySize)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(db, box, nc, log)
	// Local test servers answer at once; a short request timeout keeps the timeout case quick.
	srv.tester.timeouts = dhis2.Timeouts{Connect: 5 * time.Second, Request: 2 * time.Second}

	gs := grpcx.NewServer(log, grpcxtest.Identity(t, settings.InstanceRegistry))
	instancev1.RegisterInstanceServiceServer(gs, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- gs.ServeListener(ctx, lis, time.Second) }()
	conn := grpcxtest.DialAllowed(t, settings.InstanceRegistry, lis.Addr().String())
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		nc.Close()
		db.Close()
	})
	return &testEnv{client: instancev1.NewInstanceServiceClient(conn), srv: srv, db: db, nc: nc, key: key, logs: logs}
}

// create registers an instance and fails the test on error.
func (e *testEnv) create(t *testing.T, req *instancev1.CreateInstanceRequest) *instancev1.Instance {
	t.Helper()
	resp, err := e.client.CreateInstance(t.Context(), req)
	if err != nil {
		t.Fatalf("CreateInstance(%s): %v", req.GetName(), err)
	}
	return resp.GetInstance()
}

func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code = %v (%v), want %v", got, err, want)
	}
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
