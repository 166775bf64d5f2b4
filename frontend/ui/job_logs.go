package ui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

// allLogs reads every log line of a job, page by page (the gateway returns at most 10 000 per call).
func (s *Server) allLogs(r *http.Request, id string) ([]*orchestratorv1.LogLine, error) {
	var all []*orchestratorv1.LogLine
	var after int64
	for {
		page, err := s.client(r).JobLogs(r.Context(), id, apiclient.LogQuery{MinLevel: orchestratorv1.LogLevel_LOG_LEVEL_DEBUG, AfterSequence: after, Limit: 10000})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 10000 {
			return all, nil
		}
		after = page[len(page)-1].GetSequence()
	}
}

// jobLogsText downloads the log as plain text, one line per entry, times in UTC (RFC 3339).
func (s *Server) jobLogsText(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	lines, err := s.allLogs(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b strings.Builder
	for _, l := range lines {
		level := strings.TrimPrefix(l.GetLevel().String(), "LOG_LEVEL_")
		fmt.Fprintf(&b, "%s %-7s %s", l.GetTime().AsTime().UTC().Format(time.RFC3339Nano), level, l.GetMessage())
		for k, v := range l.GetAttributes() {
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
		b.WriteByte('\n')
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "dhis2sync-job-"+id+".log"))
	_, _ = w.Write([]byte(b.String()))
}

// jobLogsJSON downloads the log as the gateway's own JSON ({"lines":[…]}).
func (s *Server) jobLogsJSON(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	lines, err := s.allLogs(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(&orchestratorv1.ListJobLogsResponse{Lines: lines})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "dhis2sync-job-"+id+".json"))
	_, _ = w.Write(b)
}
