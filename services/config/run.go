package config

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// Run serves the ConfigService on DHIS2SYNC_CONFIG_ADDR until ctx is done. It migrates the config schema at
// start; the instance registry (DHIS2SYNC_INSTANCE_REGISTRY_ADDR) may start later, as it is only needed when a
// configuration is validated.
func Run(ctx context.Context, s settings.Settings, log *slog.Logger) error {
	db, err := pgdb.Open(ctx, s.DatabaseURL, "config", Migrations(), log)
	if err != nil {
		return err
	}
	defer db.Close()
	id, err := grpcx.LoadIdentity(s.IdentityDir, settings.Config)
	if err != nil {
		return err
	}
	registryAddr := settings.Addr(settings.InstanceRegistry)
	conn, err := id.Dial(settings.InstanceRegistry, registryAddr)
	if err != nil {
		return fmt.Errorf("instance registry: %w", err)
	}
	defer conn.Close()
	srv := grpcx.NewServer(log, id)
	v := &Validator{Instances: instancev1.NewInstanceServiceClient(conn), RegistryAddr: registryAddr}
	configv1.RegisterConfigServiceServer(srv.Server, NewServer(db, v, log))
	return srv.Serve(ctx, settings.Addr(settings.Config), 10*time.Second)
}
