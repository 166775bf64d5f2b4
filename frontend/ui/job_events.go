package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

// sseWriter writes htmx-ext-sse events: "event: <name>", one "data: " line per HTML line, a blank line.
type sseWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (e *sseWriter) event(name, html string) error {
	var b strings.Builder
	b.WriteString("event: " + name + "\n")
	for _, line := range strings.Split(strings.TrimRight(html, "\n"), "\n") {
		b.WriteString("data: " + strings.TrimRight(line, "\r") + "\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(e.w, b.String()); err != nil {
		return err
	}
	return e.rc.Flush()
}

func (e *sseWriter) comment(text string) error {
	if _, err := io.WriteString(e.w, ": "+text+"\n\n"); err != nil {
		return err
	}
	return e.rc.Flush()
}

// jobEvents relays the gateway's job event stream to the browser as HTML fragments: "progress" replaces
// the live part of the job page, "log" appends a log line, "done" fills the final part (verification and
// actions) and tells htmx to close the stream (sse-close="done"). Log lines after the "after" sequence the
// page already shows are fetched first, so nothing logged between the page and the stream is lost.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	ctx, gw, id := r.Context(), s.client(r), r.PathValue("id")
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	p := s.newPage(r, "Job", "jobs", nil)

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as the job
	out := &sseWriter{w: w, rc: rc}

	stream, err := gw.WatchJob(ctx, id)
	if err != nil {
		s.endStream(out, p, nil, err)
		return
	}
	defer stream.Close()

	if lines, err := gw.JobLogs(ctx, id, apiclient.LogQuery{MinLevel: orchestratorv1.LogLevel_LOG_LEVEL_DEBUG, AfterSequence: after, Limit: 1000}); err == nil {
		for _, l := range lines {
			if s.sendLog(out, p, l) != nil {
				return
			}
			after = max(after, l.GetSequence())
		}
	}

	var last *orchestratorv1.Job
	for {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return // the browser left
			}
			s.endStream(out, p, last, err)
			return
		}
		switch ev.GetKind() {
		case "state", "progress":
			last = ev.GetJob()
			p.Data = jobData{Job: last}
			html, err := s.renderPartial(p.Lang, "job_live", p)
			if err != nil {
				s.log.Error("render job event", "error", err)
				return
			}
			if out.event("progress", html) != nil {
				return
			}
		case "log":
			if ev.GetLog().GetSequence() <= after {
				continue
			}
			after = ev.GetLog().GetSequence()
			if s.sendLog(out, p, ev.GetLog()) != nil {
				return
			}
		case "heartbeat":
			if out.comment("heartbeat") != nil {
				return
			}
		}
	}
	// The stream ends with the job: show its final state (verification included).
	if job, err := gw.GetJob(ctx, id); err == nil {
		last = job
	}
	s.endStream(out, p, last, nil)
}

func (s *Server) sendLog(out *sseWriter, p *page, l *orchestratorv1.LogLine) error {
	html, err := s.renderPartial(p.Lang, "log_line", dict2(p, l))
	if err != nil {
		return fmt.Errorf("render log line: %w", err)
	}
	return out.event("log", html)
}

// endStream sends the "done" event: the final part of the page, or a readable error when the stream
// broke; either way htmx closes the EventSource instead of reconnecting forever.
func (s *Server) endStream(out *sseWriter, p *page, job *orchestratorv1.Job, err error) {
	if err != nil {
		_, p.Alert = describe(p.Lang, err)
		s.log.Warn("job event stream failed", "error", err)
	}
	p.Data = jobData{Job: job}
	if job != nil {
		if html, err := s.renderPartial(p.Lang, "job_live", p); err == nil && out.event("progress", html) != nil {
			return
		}
	}
	html, rerr := s.renderPartial(p.Lang, "job_final", p)
	if rerr != nil {
		s.log.Error("render job end", "error", rerr)
		return
	}
	_ = out.event("done", html)
}

func dict2(p *page, l *orchestratorv1.LogLine) map[string]any { return map[string]any{"P": p, "L": l} }
