// Command loader serves the LoaderService. Its sync logic is not built yet: every call answers Unimplemented,
// which the orchestrator reports in the job log.
package main

import (
	"context"
	"log/slog"
	"time"

	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

type server struct {
	loaderv1.UnimplementedLoaderServiceServer
}

func main() {
	service.Main(settings.Loader, func(ctx context.Context, s settings.Settings, log *slog.Logger) error {
		srv := grpcx.NewServer(log)
		loaderv1.RegisterLoaderServiceServer(srv.Server, server{})
		return srv.Serve(ctx, settings.Addr(settings.Loader), 10*time.Second)
	})
}
