// Package logging builds the process logger from LOG_LEVEL and LOG_FORMAT.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing to w: JSON when format is "json", text otherwise; level is one of debug, info,
// warn, error (default info). Every record carries the service name.
func New(w io.Writer, level, format, service string) *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	if strings.EqualFold(format, "json") {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h).With(slog.String("service", service))
}
