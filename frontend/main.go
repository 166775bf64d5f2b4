// Command frontend serves the dhis2sync dashboard, a client of the gateway's REST API and event stream.
//
// Environment: DHIS2SYNC_GATEWAY_URL (default http://127.0.0.1:8080), DHIS2SYNC_FRONTEND_ADDR (default
// 127.0.0.1:8090), DHIS2SYNC_FRONTEND_SECURE_COOKIES (true behind HTTPS), LOG_LEVEL (debug|info|warn|error),
// LOG_FORMAT (text|json).
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dhis2sync/dhis2sync/frontend/ui"
)

func main() {
	log := newLogger(os.Getenv("LOG_LEVEL"), os.Getenv("LOG_FORMAT"))
	if err := run(log); err != nil {
		log.Error("frontend stopped", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	gatewayURL := env("DHIS2SYNC_GATEWAY_URL", "http://127.0.0.1:8080")
	addr := env("DHIS2SYNC_FRONTEND_ADDR", "127.0.0.1:8090")
	h, err := ui.New(ui.Settings{
		GatewayURL:    gatewayURL,
		SecureCookies: os.Getenv("DHIS2SYNC_FRONTEND_SECURE_COOKIES") == "true",
		Logger:        log,
	})
	if err != nil {
		return err
	}
	// No WriteTimeout: job event streams last as long as the job.
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("dashboard listening", "addr", addr, "gateway_url", gatewayURL)

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

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newLogger(level, format string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
