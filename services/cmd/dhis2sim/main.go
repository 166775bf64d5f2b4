// Command dhis2sim serves a simulated DHIS2 Web API (package dhis2sim) for tests, demos and benchmarks.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dhis2sync/dhis2sync/services/platform/logging"
	env "github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() {
	s, err := parseSettings(os.Args[1:], os.Stderr)
	if errors.Is(err, errHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dhis2sim:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, s, newLogger()); err != nil {
		fmt.Fprintln(os.Stderr, "dhis2sim:", err)
		os.Exit(1)
	}
}

func newLogger() *slog.Logger {
	level, format := env.Log()
	return logging.New(os.Stderr, level, format, "dhis2sim")
}

func serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("dhis2sim listening", slog.String("addr", addr))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
