package api

import (
	"log/slog"
	"net/http"
	"time"
)

// accessLog logs every request once it is answered: server faults at Warn, everything else at Debug, since
// routine successes and refusals belong in the audit trail and metrics rather than the log.
func (g *Gateway) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 && rec.status != http.StatusNotImplemented {
			level = slog.LevelWarn
		}
		g.log.Log(r.Context(), level, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.code()),
			slog.Duration("took", time.Since(start)), slog.String("remote_addr", remoteHost(r)))
	})
}

// statusRecorder remembers the status code; Unwrap keeps flushing and deadlines working through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}
