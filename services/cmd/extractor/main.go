// Command extractor serves the ExtractorService. Its sync logic is not built yet: every call answers Unimplemented,
// which the orchestrator reports in the job log.
package main

import (
	"context"
	"log/slog"
	"time"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

type server struct {
	extractorv1.UnimplementedExtractorServiceServer
}

func main() {
	service.Main(settings.Extractor, func(ctx context.Context, s settings.Settings, log *slog.Logger) error {
		srv := grpcx.NewServer(log)
		extractorv1.RegisterExtractorServiceServer(srv.Server, server{})
		return srv.Serve(ctx, settings.Addr(settings.Extractor), 10*time.Second)
	})
}
