package orchestrator

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the orchestrator's goose migrations (schema "orchestrator").
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists at build time
	}
	return sub
}

// Schema is the PostgreSQL schema the orchestrator owns.
const Schema = "orchestrator"

// Run serves the orchestrator until ctx is done.
func Run(ctx context.Context, set settings.Settings, log *slog.Logger) error {
	opts, err := OptionsFromEnv()
	if err != nil {
		return err
	}
	db, err := pgdb.Open(ctx, set.DatabaseURL, Schema, Migrations(), log)
	if err != nil {
		return err
	}
	defer db.Close()
	nc, err := natsx.Connect(ctx, set.NATSURL, settings.Orchestrator, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	id, err := grpcx.LoadIdentity(set.IdentityDir, settings.Orchestrator)
	if err != nil {
		return err
	}
	cfgConn, err := id.Dial(settings.Config, settings.Addr(settings.Config))
	if err != nil {
		return err
	}
	defer cfgConn.Close()
	extConn, err := id.Dial(settings.Extractor, settings.Addr(settings.Extractor))
	if err != nil {
		return err
	}
	defer extConn.Close()
	ldrConn, err := id.Dial(settings.Loader, settings.Addr(settings.Loader))
	if err != nil {
		return err
	}
	defer ldrConn.Close()
	extractor := extractorv1.NewExtractorServiceClient(extConn)
	alerts, err := alert.SettingsFromEnv()
	if err != nil {
		return err
	}
	svc := New(Deps{
		DB: db, NATS: nc, Config: configv1.NewConfigServiceClient(cfgConn),
		Extractor: extractor, Loader: loaderv1.NewLoaderServiceClient(ldrConn),
		Verifier: ExtractorVerifier{Client: extractor}, Log: log,
		Probe: extractorv1.NewChangeProbeServiceClient(extConn), Alerts: &alert.Sender{Settings: alerts, Log: log},
	}, opts)
	if err := svc.Start(ctx); err != nil {
		return fmt.Errorf("orchestrator: %w", err)
	}
	srv := grpcx.NewServer(log, id)
	orchestratorv1.RegisterOrchestratorServiceServer(srv.Server, svc)
	orchestratorv1.RegisterAutomationServiceServer(srv.Server, svc.Automation())
	err = srv.Serve(ctx, settings.Addr(settings.Orchestrator), 5*time.Second)
	svc.Wait()
	return err
}
