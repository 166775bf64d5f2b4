package extractor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// Run serves the ExtractorService on DHIS2SYNC_EXTRACTOR_ADDR until ctx is done. It publishes to the NATS at
// DHIS2SYNC_NATS_URL and resolves instances through the registry at DHIS2SYNC_INSTANCE_REGISTRY_ADDR.
func Run(ctx context.Context, s settings.Settings, log *slog.Logger) error {
	if err := dhis2.ConfigureFromSettings(s.DHIS2); err != nil {
		return err
	}
	nc, err := natsx.Connect(ctx, s.NATSURL, settings.Extractor, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	id, err := grpcx.LoadIdentity(s.IdentityDir, settings.Extractor)
	if err != nil {
		return err
	}
	conn, err := id.Dial(settings.InstanceRegistry, settings.Addr(settings.InstanceRegistry))
	if err != nil {
		return fmt.Errorf("instance registry: %w", err)
	}
	defer conn.Close()
	clients := &Clients{Registry: instancev1.NewInstanceServiceClient(conn)}
	x := New(ctx, nc.JS, clients, log)
	srv := grpcx.NewServer(log, id)
	extractorv1.RegisterExtractorServiceServer(srv.Server, x)
	extractorv1.RegisterChangeProbeServiceServer(srv.Server, &Prober{Clients: clients})
	err = srv.Serve(ctx, settings.Addr(settings.Extractor), 10*time.Second)
	x.Wait()
	return err
}
