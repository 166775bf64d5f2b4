// Command frontend serves the dhis2sync dashboard, a client of the gateway's REST API and event stream.
//
// Environment (read by services/platform/settings, like every dhis2sync process): DHIS2SYNC_GATEWAY_URL
// (default http://127.0.0.1:8080), DHIS2SYNC_FRONTEND_ADDR (default 127.0.0.1:8090),
// DHIS2SYNC_FRONTEND_SECURE_COOKIES (true behind HTTPS), LOG_LEVEL (debug|info|warn|error), LOG_FORMAT (text|json).
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/dhis2sync/dhis2sync/frontend/ui"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() { service.Main(settings.Frontend, run) }

func run(ctx context.Context, s settings.Settings, log *slog.Logger) error {
	addr := settings.Addr(settings.Frontend)
	h, err := ui.New(ui.Settings{
		GatewayURL:    s.GatewayURL,
		SecureCookies: s.SecureCookies,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	// No WriteTimeout: job event streams last as long as the job.
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("dashboard listening", "addr", addr, "gateway_url", s.GatewayURL)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
