package loader

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// Run serves the LoaderService on DHIS2SYNC_LOADER_ADDR until ctx is done. It consumes from the NATS at
// DHIS2SYNC_NATS_URL and resolves instances through the registry at DHIS2SYNC_INSTANCE_REGISTRY_ADDR.
func Run(ctx context.Context, s settings.Settings, log *slog.Logger) error {
	if err := dhis2.ConfigureFromSettings(s.DHIS2); err != nil {
		return err
	}
	nc, err := natsx.Connect(ctx, s.NATSURL, settings.Loader, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	id, err := grpcx.LoadIdentity(s.IdentityDir, settings.Loader)
	if err != nil {
		return err
	}
	conn, err := id.Dial(settings.InstanceRegistry, settings.Addr(settings.InstanceRegistry))
	if err != nil {
		return fmt.Errorf("instance registry: %w", err)
	}
	defer conn.Close()
	clients := &Clients{Registry: instancev1.NewInstanceServiceClient(conn)}
	l := New(ctx, nc.JS, clients, log, Options{})
	srv := grpcx.NewServer(log, id)
	loaderv1.RegisterLoaderServiceServer(srv.Server, l)
	err = srv.Serve(ctx, settings.Addr(settings.Loader), 10*time.Second)
	l.Wait()
	return err
}
