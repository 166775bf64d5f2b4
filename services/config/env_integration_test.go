package config

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx/grpcxtest"
	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

// testEnv is the config service served over gRPC on 127.0.0.1:0, on a scratch database, validating against a
// fake instance registry that is also a real gRPC server.
type testEnv struct {
	client   configv1.ConfigServiceClient
	db       *sqlx.DB
	registry *fakeRegistry
}

// newTestEnv starts the service. With registryDown, the registry address has nothing listening.
func newTestEnv(t *testing.T, registryDown bool) *testEnv {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	db, err := pgdb.Open(ctx, testenv.Postgres(t), "config", Migrations(), log)
	if err != nil {
		t.Fatal(err)
	}
	reg := &fakeRegistry{instances: testInstances()}
	var regAddr string
	if registryDown {
		regAddr = closedAddr(t)
	} else {
		regAddr = serve(t, ctx, log, settings.InstanceRegistry, func(s *grpcx.Server) { instancev1.RegisterInstanceServiceServer(s.Server, reg) })
	}
	regConn := grpcxtest.Dial(t, settings.Config, settings.InstanceRegistry, regAddr)
	v := &Validator{Instances: instancev1.NewInstanceServiceClient(regConn), RegistryAddr: regAddr}
	addr := serve(t, ctx, log, settings.Config, func(s *grpcx.Server) { configv1.RegisterConfigServiceServer(s.Server, NewServer(db, v, log)) })
	t.Cleanup(func() {
		cancel()
		db.Close()
	})
	return &testEnv{client: configv1.NewConfigServiceClient(grpcxtest.DialAllowed(t, settings.Config, addr)), db: db, registry: reg}
}

// serve runs a gRPC server on 127.0.0.1:0 until ctx ends and returns its address.
func serve(t *testing.T, ctx context.Context, log *slog.Logger, service string, register func(*grpcx.Server)) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpcx.NewServer(log, grpcxtest.Identity(t, service))
	register(srv)
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, lis, time.Second) }()
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func (e *testEnv) create(t *testing.T, c *configv1.Config) *configv1.Config {
	t.Helper()
	resp, err := e.client.CreateConfig(t.Context(), &configv1.CreateConfigRequest{Config: c})
	if err != nil {
		t.Fatalf("CreateConfig(%q): %v", c.GetName(), err)
	}
	return resp.GetConfig()
}

// fieldViolations returns the code of err and its BadRequest violations as "field: description".
func fieldViolations(err error) (codes.Code, map[string]string) {
	st := status.Convert(err)
	out := map[string]string{}
	for _, d := range st.Details() {
		var br *errdetails.BadRequest
		if b, ok := d.(*errdetails.BadRequest); ok {
			br = b
		}
		for _, fv := range br.GetFieldViolations() {
			out[fv.GetField()] = fv.GetDescription()
		}
	}
	return st.Code(), out
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Fatalf("code = %s (%v), want %s", got, err, code)
	}
}
