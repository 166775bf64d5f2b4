// Package service is the one shutdown path of every dhis2sync process: settings from the environment, a
// logger, a context cancelled on SIGINT or SIGTERM, and an exit code.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/dhis2sync/dhis2sync/services/platform/logging"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// Main runs run until it returns or the process is asked to stop, then exits: 0 on a clean stop, 1 on error.
func Main(name string, run func(ctx context.Context, s settings.Settings, log *slog.Logger) error) {
	s, err := settings.Load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	log := logging.New(os.Stderr, s.LogLevel, s.LogFormat, name)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, s, log); err != nil {
		log.Error("stopped with error", slog.String("error", err.Error()))
		stop()
		os.Exit(1)
	}
	log.Info("stopped")
}
