package gatewaytest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

type jobState struct {
	job     *orchestratorv1.Job
	logs    []*orchestratorv1.LogLine
	subs    []chan *orchestratorv1.WatchJobResponse
	release chan struct{}
	cancel  chan struct{}
	done    bool
}

var subTypes = map[configv1.SyncType][]orchestratorv1.JobType{
	configv1.SyncType_SYNC_TYPE_METADATA: {orchestratorv1.JobType_JOB_TYPE_METADATA},
	configv1.SyncType_SYNC_TYPE_DATA:     {orchestratorv1.JobType_JOB_TYPE_AGGREGATE},
	configv1.SyncType_SYNC_TYPE_EVENTS:   {orchestratorv1.JobType_JOB_TYPE_EVENTS},
	configv1.SyncType_SYNC_TYPE_TRACKER:  {orchestratorv1.JobType_JOB_TYPE_TRACKER},
	configv1.SyncType_SYNC_TYPE_BOTH:     {orchestratorv1.JobType_JOB_TYPE_METADATA, orchestratorv1.JobType_JOB_TYPE_AGGREGATE},
	configv1.SyncType_SYNC_TYPE_ALL_DATA: {orchestratorv1.JobType_JOB_TYPE_AGGREGATE, orchestratorv1.JobType_JOB_TYPE_EVENTS, orchestratorv1.JobType_JOB_TYPE_TRACKER},
	configv1.SyncType_SYNC_TYPE_COMPLETE: {orchestratorv1.JobType_JOB_TYPE_METADATA, orchestratorv1.JobType_JOB_TYPE_AGGREGATE, orchestratorv1.JobType_JOB_TYPE_EVENTS, orchestratorv1.JobType_JOB_TYPE_TRACKER},
}

var topType = map[configv1.SyncType]orchestratorv1.JobType{
	configv1.SyncType_SYNC_TYPE_METADATA: orchestratorv1.JobType_JOB_TYPE_METADATA,
	configv1.SyncType_SYNC_TYPE_DATA:     orchestratorv1.JobType_JOB_TYPE_AGGREGATE,
	configv1.SyncType_SYNC_TYPE_EVENTS:   orchestratorv1.JobType_JOB_TYPE_EVENTS,
	configv1.SyncType_SYNC_TYPE_TRACKER:  orchestratorv1.JobType_JOB_TYPE_TRACKER,
	configv1.SyncType_SYNC_TYPE_BOTH:     orchestratorv1.JobType_JOB_TYPE_DATA,
	configv1.SyncType_SYNC_TYPE_ALL_DATA: orchestratorv1.JobType_JOB_TYPE_ALL_DATA,
	configv1.SyncType_SYNC_TYPE_COMPLETE: orchestratorv1.JobType_JOB_TYPE_COMPLETE,
}

// AddJob stores a finished job as is (for history and overview tests) and returns its id.
func (s *Server) AddJob(j *orchestratorv1.Job) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	j = proto.CloneOf(j)
	if j.Id == "" {
		j.Id = s.newID("job")
	}
	s.jobs[j.Id] = &jobState{job: j, done: true, release: make(chan struct{}), cancel: make(chan struct{})}
	return j.Id
}

// Release lets a held job run.
func (s *Server) Release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if js, ok := s.jobs[id]; ok {
		select {
		case <-js.release:
		default:
			close(js.release)
		}
	}
}

// ReleaseAll lets every held job run and stops holding new ones.
func (s *Server) ReleaseAll() {
	s.HoldJobs.Store(false)
	s.mu.Lock()
	ids := make([]string, 0, len(s.jobs))
	for id := range s.jobs {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.Release(id)
	}
}

func (s *Server) launchConfig(w http.ResponseWriter, r *http.Request, u *authv1.User) {
	id, ok := strings.CutSuffix(r.PathValue("id"), ":launch")
	if !ok {
		writeError(w, http.StatusNotFound, 5, "unknown configuration action")
		return
	}
	req := &orchestratorv1.LaunchConfigRequest{}
	if !readBody(w, r, req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := lookup(w, s.configs, id, "configuration")
	if !ok {
		return
	}
	allowed := subTypes[c.GetSyncType()]
	for _, t := range req.GetTypes() {
		if !slices.Contains(allowed, t) {
			writeError(w, http.StatusBadRequest, 3, fmt.Sprintf("type %s is not part of this configuration's sync type", t),
				violation{"types", "Not part of this configuration's sync type."})
			return
		}
	}
	types := req.GetTypes()
	if len(types) == 0 {
		types = allowed
	}
	j := s.startJob(c, types, req.GetDryRun(), orchestratorv1.Trigger_TRIGGER_MANUAL, u.GetUsername(), nil)
	writeJSON(w, j)
}

// startJob creates a running job and its goroutine; s.mu must be held.
func (s *Server) startJob(c *configv1.Config, types []orchestratorv1.JobType, dryRun bool, trig orchestratorv1.Trigger, by string, retryOf *orchestratorv1.Job) *orchestratorv1.Job {
	now := timestamppb.Now()
	j := &orchestratorv1.Job{
		Id: s.newID("job"), ConfigId: c.GetId(), ConfigName: c.GetName(), Type: topType[c.GetSyncType()],
		Status: orchestratorv1.JobStatus_JOB_STATUS_RUNNING, Trigger: trig, DryRun: dryRun, Attempt: 1,
		SourceInstanceId: c.GetSourceInstanceId(), DestinationInstanceIds: c.GetDestinationInstanceIds(),
		Progress: &orchestratorv1.Progress{Planned: int64(s.Steps) * 100}, Counters: &orchestratorv1.Counters{},
		CreateTime: now, StartTime: now, LaunchedBy: by,
	}
	if retryOf != nil {
		j.RetryOfJobId, j.Attempt = retryOf.GetId(), retryOf.GetAttempt()+1
	}
	for _, t := range types {
		j.SubJobs = append(j.SubJobs, &orchestratorv1.Job{
			Id: s.newID("sub"), ParentJobId: j.Id, ConfigId: c.GetId(), ConfigName: c.GetName(), Type: t,
			Status: orchestratorv1.JobStatus_JOB_STATUS_PENDING, Critical: t == orchestratorv1.JobType_JOB_TYPE_METADATA,
			Progress: &orchestratorv1.Progress{}, Counters: &orchestratorv1.Counters{}, CreateTime: now,
		})
	}
	js := &jobState{job: j, release: make(chan struct{}), cancel: make(chan struct{})}
	if !s.HoldJobs.Load() {
		close(js.release)
	}
	s.jobs[j.Id] = js
	s.logLocked(js, orchestratorv1.LogLevel_LOG_LEVEL_INFO, fmt.Sprintf("Job started for configuration %q", c.GetName()))
	go s.run(js, strings.Contains(strings.ToLower(c.GetName()), "fail"))
	return proto.CloneOf(j)
}

// run advances a job step by step, publishing progress and log events.
func (s *Server) run(js *jobState, fail bool) {
	select {
	case <-js.release:
	case <-js.cancel:
	case <-s.closed:
		return
	}
	for i := 1; i <= s.Steps; i++ {
		select {
		case <-time.After(s.StepDelay):
		case <-js.cancel:
			s.finish(js, orchestratorv1.JobStatus_JOB_STATUS_CANCELLED, "Cancelled by a user; steps already imported stay on the destinations.")
			return
		case <-s.closed:
			return
		}
		if fail && i == 2 {
			s.mu.Lock()
			s.logLocked(js, orchestratorv1.LogLevel_LOG_LEVEL_ERROR, "E7641: the destination refused the import: unknown category option combo")
			s.mu.Unlock()
			s.finish(js, orchestratorv1.JobStatus_JOB_STATUS_FAILED, "Metadata import failed on the destination (E7641).")
			return
		}
		s.advance(js, i)
	}
	s.finish(js, orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, "")
}

func (s *Server) advance(js *jobState, step int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := js.job
	processed := int64(step) * 100
	j.Progress.Processed = processed
	j.Progress.Percent = float64(processed) * 100 / float64(j.Progress.Planned)
	j.Counters = &orchestratorv1.Counters{Total: j.Progress.Planned, Processed: processed, Created: processed * 4 / 5, Updated: processed / 5}
	if step >= 3 {
		j.Counters.Warnings = 1
	}
	j.Steps = append(j.Steps, &orchestratorv1.Step{
		Id: fmt.Sprintf("%s-s%d", j.Id, step), Position: int32(step), Name: stepNames[(step-1)%len(stepNames)],
		Status: orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, Counters: &orchestratorv1.Counters{Processed: 100, Created: 80, Updated: 20},
	})
	for k, sj := range j.SubJobs {
		share := float64(step) / float64(s.Steps)
		lo, hi := float64(k)/float64(len(j.SubJobs)), float64(k+1)/float64(len(j.SubJobs))
		switch {
		case share >= hi:
			sj.Status, sj.Progress.Percent = orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, 100
		case share > lo:
			sj.Status, sj.Progress.Percent = orchestratorv1.JobStatus_JOB_STATUS_RUNNING, (share-lo)/(hi-lo)*100
		}
	}
	s.logLocked(js, orchestratorv1.LogLevel_LOG_LEVEL_INFO, fmt.Sprintf("Step %d/%d %s: 100 objects imported (80 created, 20 updated)", step, s.Steps, stepNames[(step-1)%len(stepNames)]))
	if step == 3 {
		s.logLocked(js, orchestratorv1.LogLevel_LOG_LEVEL_WARNING, "1 object ignored: sharing references a user group missing on the destination")
	}
	s.publishLocked(js, "progress")
}

var stepNames = []string{"organisationUnits", "categories+categoryCombos+categoryOptionCombos", "dataElements", "dataSets", "dataValues 2024Q1"}

func (s *Server) finish(js *jobState, st orchestratorv1.JobStatus, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := js.job
	j.Status, j.Message, j.EndTime = st, msg, timestamppb.Now()
	for _, sj := range j.SubJobs {
		if sj.Status != orchestratorv1.JobStatus_JOB_STATUS_COMPLETED {
			sj.Status = st
		}
	}
	switch st {
	case orchestratorv1.JobStatus_JOB_STATUS_COMPLETED:
		j.Verification = &orchestratorv1.Verification{Passed: true, Time: timestamppb.Now(), Resources: []*orchestratorv1.ResourceCheck{
			{Resource: "organisationUnits", SourceCount: 120, DestinationCount: 120, Equal: true, SourceHash: "9f2c", DestinationHash: "9f2c"},
			{Resource: "dataElements", SourceCount: 380, DestinationCount: 380, Equal: true, SourceHash: "41ab", DestinationHash: "41ab"},
		}}
		s.logLocked(js, orchestratorv1.LogLevel_LOG_LEVEL_INFO, "Job completed; verification passed")
	case orchestratorv1.JobStatus_JOB_STATUS_CANCELLED:
		s.logLocked(js, orchestratorv1.LogLevel_LOG_LEVEL_WARNING, msg)
	}
	s.publishLocked(js, "state")
	js.done = true
	for _, ch := range js.subs {
		close(ch)
	}
	js.subs = nil
}

func (s *Server) logLocked(js *jobState, lvl orchestratorv1.LogLevel, msg string) {
	s.logSeq++
	l := &orchestratorv1.LogLine{Sequence: s.logSeq, JobId: js.job.GetId(), Time: timestamppb.Now(), Level: lvl, Message: msg}
	js.logs = append(js.logs, l)
	s.sendLocked(js, &orchestratorv1.WatchJobResponse{Kind: "log", Time: l.Time, Log: l})
}

func (s *Server) publishLocked(js *jobState, kind string) {
	s.sendLocked(js, &orchestratorv1.WatchJobResponse{Kind: kind, Time: timestamppb.Now(), Job: proto.CloneOf(js.job)})
}

func (s *Server) sendLocked(js *jobState, ev *orchestratorv1.WatchJobResponse) {
	for _, ch := range js.subs {
		select {
		case ch <- ev:
		default: // a stuck watcher loses events rather than blocking the job
		}
	}
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if js, ok := lookup(w, s.jobs, r.PathValue("id"), "job"); ok {
		writeJSON(w, js.job)
	}
}

func (s *Server) jobAction(w http.ResponseWriter, r *http.Request, u *authv1.User) {
	id, action, _ := strings.Cut(r.PathValue("id"), ":")
	s.mu.Lock()
	js, ok := lookup(w, s.jobs, id, "job")
	if !ok {
		s.mu.Unlock()
		return
	}
	st := js.job.GetStatus()
	switch action {
	case "cancel":
		if js.done {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, 9, "the job has already ended")
			return
		}
		select {
		case <-js.cancel:
		default:
			close(js.cancel)
		}
		j := proto.CloneOf(js.job)
		s.mu.Unlock()
		writeJSON(w, j)
	case "retry":
		defer s.mu.Unlock()
		if st != orchestratorv1.JobStatus_JOB_STATUS_FAILED && st != orchestratorv1.JobStatus_JOB_STATUS_CANCELLED &&
			st != orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY {
			writeError(w, http.StatusBadRequest, 9, "only failed or cancelled jobs can be retried")
			return
		}
		c, ok := s.configs[js.job.GetConfigId()]
		if !ok {
			writeError(w, http.StatusBadRequest, 9, "the job's configuration no longer exists")
			return
		}
		var types []orchestratorv1.JobType
		for _, sj := range js.job.GetSubJobs() {
			types = append(types, sj.GetType())
		}
		writeJSON(w, s.startJob(c, types, js.job.GetDryRun(), orchestratorv1.Trigger_TRIGGER_RETRY, u.GetUsername(), js.job))
	default:
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, 5, "unknown job action")
	}
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	q := r.URL.Query()
	var after, before time.Time
	for name, dst := range map[string]*time.Time{"createdAfter": &after, "createdBefore": &before} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, 3, name+": not an RFC 3339 time")
				return
			}
			*dst = t
		}
	}
	s.mu.Lock()
	var jobs []*orchestratorv1.Job
	for _, js := range s.jobs {
		j := js.job
		switch {
		case q.Get("configId") != "" && j.GetConfigId() != q.Get("configId"),
			len(q["statuses"]) > 0 && !slices.Contains(q["statuses"], j.GetStatus().String()),
			q.Get("type") != "" && j.GetType().String() != q.Get("type"),
			!after.IsZero() && j.GetCreateTime().AsTime().Before(after),
			!before.IsZero() && !j.GetCreateTime().AsTime().Before(before):
			continue
		}
		jobs = append(jobs, proto.CloneOf(j))
	}
	s.mu.Unlock()
	order := q.Get("orderBy")
	if order == "" {
		order = "-create_time"
	}
	desc := strings.HasPrefix(order, "-")
	field := strings.TrimPrefix(order, "-")
	slices.SortStableFunc(jobs, func(a, b *orchestratorv1.Job) int {
		var c int
		switch field {
		case "status":
			c = int(a.GetStatus()) - int(b.GetStatus())
		case "type":
			c = int(a.GetType()) - int(b.GetType())
		case "config_name":
			c = strings.Compare(a.GetConfigName(), b.GetConfigName())
		}
		if c == 0 {
			c = a.GetCreateTime().AsTime().Compare(b.GetCreateTime().AsTime())
			if c == 0 {
				c = strings.Compare(a.GetId(), b.GetId())
			}
		}
		if desc {
			return -c
		}
		return c
	})
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if size <= 0 {
		size = 50
	}
	offset, _ := strconv.Atoi(q.Get("pageToken"))
	out := &orchestratorv1.ListJobsResponse{Total: int64(len(jobs))}
	if offset < len(jobs) {
		end := min(offset+size, len(jobs))
		out.Jobs = jobs[offset:end]
		if end < len(jobs) {
			out.NextPageToken = strconv.Itoa(end)
		}
	}
	writeJSON(w, out)
}

func (s *Server) jobLogs(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	q := r.URL.Query()
	min := orchestratorv1.LogLevel_LOG_LEVEL_INFO
	if v := q.Get("minLevel"); v != "" {
		n, ok := orchestratorv1.LogLevel_value[v]
		if !ok {
			writeError(w, http.StatusBadRequest, 3, "minLevel: unknown level")
			return
		}
		min = orchestratorv1.LogLevel(n)
	}
	afterSeq, _ := strconv.ParseInt(q.Get("afterSequence"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	js, ok := lookup(w, s.jobs, r.PathValue("id"), "job")
	if !ok {
		return
	}
	out := &orchestratorv1.ListJobLogsResponse{}
	for _, l := range js.logs {
		if l.GetLevel() >= min && l.GetSequence() > afterSeq {
			out.Lines = append(out.Lines, l)
		}
	}
	writeJSON(w, out)
}

// watchJob serves the job's events as grpc-gateway does: data: {"result":…} messages, the current state
// first, until the job ends.
func (s *Server) watchJob(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	s.mu.Lock()
	js, ok := lookup(w, s.jobs, r.PathValue("id"), "job")
	if !ok {
		s.mu.Unlock()
		return
	}
	first := []*orchestratorv1.WatchJobResponse{
		{Kind: "state", Time: timestamppb.Now(), Job: proto.CloneOf(js.job)},
		{Kind: "heartbeat", Time: timestamppb.Now()},
	}
	var ch chan *orchestratorv1.WatchJobResponse
	if !js.done {
		ch = make(chan *orchestratorv1.WatchJobResponse, 1024)
		js.subs = append(js.subs, ch)
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	send := func(ev *orchestratorv1.WatchJobResponse) bool {
		b, err := protojson.Marshal(ev)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "data: {\"result\":%s}\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for _, ev := range first {
		if !send(ev) {
			return
		}
	}
	if ch == nil {
		return
	}
	for {
		select {
		case ev, ok := <-ch:
			if !ok || !send(ev) {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		}
	}
}
