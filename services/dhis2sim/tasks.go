package dhis2sim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// taskRegistry holds asynchronous jobs (docs.dhis2.org maintenance.md, system tasks): their notifications, served newest first
// by /api/system/tasks/{category}/{id} (and /api/tracker/jobs/{id}), and their summaries, served by
// /api/system/taskSummaries/{category}/{id} (and /api/tracker/jobs/{id}/report).
type taskRegistry struct {
	mu   sync.Mutex
	jobs map[string]*job
	seq  int
}

type job struct {
	ID       string
	Category string
	Created  time.Time
	Notes    []notification // oldest first
	Summary  any
	Done     bool
	done     chan struct{}
}

type notification struct {
	UID       string `json:"uid"`
	ID        string `json:"id"`
	Level     string `json:"level"`
	Category  string `json:"category"`
	Time      string `json:"time"`
	Message   string `json:"message"`
	Completed bool   `json:"completed"`
}

func newTaskRegistry() *taskRegistry { return &taskRegistry{jobs: map[string]*job{}} }

// jobUID derives a UID-shaped job id from a sequence number (deterministic, collision-free).
func jobUID(n int) string {
	s := strconv.FormatInt(int64(n)+1_000_000_000, 36)
	for len(s) < 10 {
		s = "0" + s
	}
	return "J" + s[len(s)-10:]
}

func (t *taskRegistry) note(j *job, at time.Time, msg string, completed bool) {
	t.seq++
	j.Notes = append(j.Notes, notification{UID: jobUID(t.seq + 500000), Level: "INFO", Category: j.Category,
		Time: formatTime(at), Message: msg, Completed: completed})
	j.Notes[len(j.Notes)-1].ID = j.Notes[len(j.Notes)-1].UID
}

func (t *taskRegistry) start(category string, at time.Time) *job {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	j := &job{ID: jobUID(t.seq), Category: category, Created: at, done: make(chan struct{})}
	t.jobs[j.ID] = j
	t.note(j, at, "Import started", false)
	return j
}

func (t *taskRegistry) finish(j *job, at time.Time, msg string, summary any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j.Summary = summary
	j.Done = true
	t.note(j, at, msg, true)
	close(j.done)
}

func (t *taskRegistry) get(category, id string) (*job, []notification, any, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j, ok := t.jobs[id]
	if !ok || (category != "" && j.Category != category) {
		return nil, nil, nil, false
	}
	notes := make([]notification, len(j.Notes))
	for i, n := range j.Notes {
		notes[len(notes)-1-i] = n
	}
	return j, notes, j.Summary, true
}

// WaitJob blocks until an asynchronous job has finished (for tests).
func (s *Server) WaitJob(id string) bool {
	s.tasks.mu.Lock()
	j, ok := s.tasks.jobs[id]
	s.tasks.mu.Unlock()
	if !ok {
		return false
	}
	<-j.done
	return true
}

// jobName is the job name the async reply reports: "metadataImport"/"dataValueImport" as in the docs up to
// 2.42 (S:dataValueSets_async_started_docs.json) [UNVERIFIED for metadata on 2.38–2.42].
func jobName(category string) string {
	switch category {
	case "METADATA_IMPORT":
		return "metadataImport"
	case "DATAVALUE_IMPORT":
		return "dataValueImport"
	}
	return category
}

// writeJobStarted answers an async=true import: WebMessage "Initiated <job>" with a JobConfiguration and a
// Location header (WebMessageUtils.jobConfigurationReport).
func (s *Server) writeJobStarted(q *req, j *job, params any) {
	endpoint := "/api/system/tasks/" + j.Category + "/" + j.ID
	resp := &orderedObject{}
	resp.set("name", jobName(j.Category)).set("id", j.ID).set("created", formatTime(j.Created)).
		set("jobType", j.Category)
	if pp, ok := params.(importParams); ok {
		resp.set("jobStatus", "RUNNING").set("jobParameters", pp.jsonParams())
	}
	resp.set("relativeNotifierEndpoint", endpoint).set("responseType", "JobConfiguration")
	q.w.Header().Set("Location", baseURL(q.r)+endpoint)
	writeWebMessage(q.w, http.StatusOK, "OK", "Initiated "+jobName(j.Category), "", resp)
}

func (s *Server) handleTaskNotifications(q *req, category, id string) {
	_, notes, _, ok := s.tasks.get(category, id)
	if !ok {
		notes = []notification{}
	}
	writeJSON(q.w, http.StatusOK, notes)
}

func (s *Server) handleTaskCategory(q *req, category string) {
	s.tasks.mu.Lock()
	ids := []string{}
	for id, j := range s.tasks.jobs {
		if j.Category == category {
			ids = append(ids, id)
		}
	}
	s.tasks.mu.Unlock()
	out := map[string][]notification{}
	for _, id := range ids {
		_, notes, _, _ := s.tasks.get(category, id)
		out[id] = notes
	}
	writeJSON(q.w, http.StatusOK, out)
}

func (s *Server) handleTaskSummary(q *req, category, id string) {
	_, _, summary, ok := s.tasks.get(category, id)
	if !ok {
		writeWebMessage(q.w, http.StatusNotFound, "ERROR", "Job with id "+id+" could not be found.", "E1005", nil)
		return
	}
	writeJSON(q.w, http.StatusOK, summary)
}
