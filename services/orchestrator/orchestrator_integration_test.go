package orchestrator

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

const (
	completed   = orchestratorv1.JobStatus_JOB_STATUS_COMPLETED
	withWarning = orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS
	failed      = orchestratorv1.JobStatus_JOB_STATUS_FAILED
	cancelled   = orchestratorv1.JobStatus_JOB_STATUS_CANCELLED
	permanently = orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY
	warning     = orchestratorv1.LogLevel_LOG_LEVEL_WARNING
	errorLevel  = orchestratorv1.LogLevel_LOG_LEVEL_ERROR
)

func stepCount(j *orchestratorv1.Job) int {
	n := 0
	for _, s := range j.GetSubJobs() {
		n += len(s.GetSteps())
	}
	return n
}

func TestLaunchCompletesWithCounters(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_BOTH)
	job := e.launch("c1", false)
	if job.GetType() != orchestratorv1.JobType_JOB_TYPE_DATA || len(job.GetSubJobs()) != 2 {
		t.Fatalf("job = %v with %d sub-jobs, want DATA with metadata and aggregate", job.GetType(), len(job.GetSubJobs()))
	}
	done := e.waitStatus(job.GetId(), completed, withWarning, failed)
	if done.GetStatus() != completed {
		t.Fatalf("status %v: %s", done.GetStatus(), done.GetMessage())
	}
	// Pipeline steps: every metadata group and the aggregate step, each 2 items per destination (the verify
	// step of each sub-job moves no data).
	pipelineSteps := int64(stepCount(done) - len(done.GetSubJobs()))
	if got, want := done.GetCounters().GetCreated(), pipelineSteps*2*2; got != want {
		t.Errorf("created = %d, want %d", got, want)
	}
	if p := done.GetProgress(); p.GetPercent() != 100 || p.GetProcessed() != p.GetPlanned() || p.GetPlanned() == 0 {
		t.Errorf("progress = %v", p)
	}
	if done.GetVerification() != nil {
		t.Error("a verification was claimed without a verifier")
	}
	if hasLog(e.logs(job.GetId(), warning), warning, "verification not available") == nil {
		t.Error("no warning that verification is not available")
	}
	var orgUnits *extractorv1.ExtractStepRequest
	for _, r := range e.workers.extractRequests() {
		if slices.Equal(r.GetResources(), []string{"organisationUnits"}) {
			orgUnits = r
		}
	}
	if orgUnits == nil || orgUnits.GetParams()["order"] != "level:asc" {
		t.Errorf("org units extraction = %v, want order=level:asc", orgUnits)
	}
	for _, l := range e.workers.loadRequests() {
		if l.GetImportParams()["importMode"] != "COMMIT" || l.GetConfig() == nil || l.GetKind() == stepv1.StepKind_STEP_KIND_UNSPECIFIED {
			t.Fatalf("load request %v", l)
		}
	}
	for _, r := range e.workers.extractRequests() {
		want := stepv1.StepKind_STEP_KIND_METADATA
		if slices.ContainsFunc(r.GetResources(), resource.IsDataValues) {
			want = stepv1.StepKind_STEP_KIND_DATA_VALUES
		}
		//lint:ignore SA1019 the deprecated field must stay empty: workers read the typed configuration only
		if r.GetKind() != want || r.GetConfig().GetId() != "c1" || r.GetConfigJson() != "" {
			t.Fatalf("extract request, want kind %s and the typed configuration only: %v", want, r)
		}
	}
	for _, st := range e.job(job.GetId()).GetSubJobs()[0].GetSteps() {
		if want := map[string]stepv1.StepKind{"verify": stepv1.StepKind_STEP_KIND_VERIFY}[st.GetName()]; want != 0 && st.GetKind() != want ||
			st.GetKind() == stepv1.StepKind_STEP_KIND_UNSPECIFIED {
			t.Errorf("step %s shows kind %s", st.GetName(), st.GetKind())
		}
	}

	// A second run is a delta run from the watermark the first one stored.
	second := e.launch("c1", false)
	e.waitStatus(second.GetId(), completed)
	for _, r := range e.workers.extractRequests() {
		if r.GetJobId() == second.GetId() && r.GetParams()["since"] != "2024-05-01T10:00:00.000" {
			t.Fatalf("delta extraction %v has no since watermark", r.GetResources())
		}
	}
}

func TestDryRunDoesNotMoveWatermarks(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_METADATA)
	job := e.launch("c1", true)
	e.waitStatus(job.GetId(), completed)
	for _, l := range e.workers.loadRequests() {
		if l.GetImportParams()["importMode"] != "VALIDATE" || !l.GetDryRun() {
			t.Fatalf("dry run load request %v", l.GetImportParams())
		}
	}
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM watermarks`); err != nil || n != 0 {
		t.Fatalf("dry run stored %d watermarks (%v)", n, err)
	}
}

func TestConflictsCompleteWithWarnings(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_DATA)
	e.workers.setScript(func(*extractorv1.ExtractStepRequest, string) []*batchv1.Result {
		return []*batchv1.Result{
			{Sequences: []int64{1}, Created: 8, Errors: 2, Status: "WARNING", AckedThrough: 1, Conflicts: []*batchv1.Conflict{
				{Code: "E7610", ObjectType: "dataValue", Uid: "abc123def45", Property: "period", Message: "Period not valid"},
				{Code: "E7611", ObjectType: "dataValue", Uid: "xyz123def45", Message: "Org unit closed"},
			}},
			{Last: true, AckedThrough: 1},
		}
	})
	job := e.launch("c1", false)
	done := e.waitStatus(job.GetId(), completed, withWarning, failed)
	if done.GetStatus() != withWarning {
		t.Fatalf("status %v, want COMPLETED_WITH_WARNINGS", done.GetStatus())
	}
	if c := done.GetCounters(); c.GetErrors() != 4 || c.GetCreated() != 16 || c.GetProcessed() != 20 {
		t.Errorf("counters = %v", c)
	}
	l := hasLog(e.logs(job.GetId(), warning), errorLevel, "Period not valid")
	if l == nil {
		t.Fatal("no log line for the conflict")
	}
	if a := l.GetAttributes(); a["code"] != "E7610" || a["uid"] != "abc123def45" || a["type"] != "dataValue" || a["property"] != "period" {
		t.Errorf("attributes = %v", a)
	}
}

func failOn(resource string) script {
	ok := okScript(2)
	return func(req *extractorv1.ExtractStepRequest, dest string) []*batchv1.Result {
		if slices.Contains(req.GetResources(), resource) {
			return []*batchv1.Result{{Last: true, Error: "DHIS2 answered 500 for /api/" + resource}}
		}
		return ok(req, dest)
	}
}

func TestFailingMetadataStepFailsJob(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_BOTH)
	e.workers.setScript(failOn("organisationUnits"))
	job := e.launch("c1", false)
	done := e.waitStatus(job.GetId(), failed)
	meta, agg := done.GetSubJobs()[0], done.GetSubJobs()[1]
	if meta.GetStatus() != failed || !strings.Contains(meta.GetMessage(), "DHIS2 answered 500") {
		t.Errorf("metadata sub-job %v: %s", meta.GetStatus(), meta.GetMessage())
	}
	if agg.GetStatus() != cancelled || !strings.Contains(agg.GetMessage(), "metadata sub-job failed") {
		t.Errorf("aggregate sub-job %v: %s", agg.GetStatus(), agg.GetMessage())
	}
	last := meta.GetSteps()[len(meta.GetSteps())-1]
	if last.GetStatus() != cancelled {
		t.Errorf("verify step after the failure is %v", last.GetStatus())
	}
	for _, r := range e.workers.extractRequests() {
		if slices.Contains(r.GetResources(), "dataValues") {
			t.Fatal("aggregate data extracted after metadata failed")
		}
	}
}

func TestNonCriticalFailureLetsOthersRun(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_ALL_DATA)
	e.workers.setScript(failOn("trackedEntities"))
	job := e.launch("c1", false)
	done := e.waitStatus(job.GetId(), completed, withWarning, failed)
	if done.GetStatus() != withWarning {
		t.Fatalf("status %v, want COMPLETED_WITH_WARNINGS", done.GetStatus())
	}
	want := []orchestratorv1.JobStatus{failed, completed, completed}
	for i, sub := range done.GetSubJobs() {
		if sub.GetStatus() != want[i] {
			t.Errorf("sub-job %d (%v) is %v, want %v", i, sub.GetType(), sub.GetStatus(), want[i])
		}
	}
}

// hangOn publishes a first result for the step with the resource and then nothing more.
func hangOn(resource string) script {
	ok := okScript(2)
	return func(req *extractorv1.ExtractStepRequest, dest string) []*batchv1.Result {
		if slices.Contains(req.GetResources(), resource) {
			return []*batchv1.Result{{Sequences: []int64{1, 2}, Created: 5, AckedThrough: 2, PlannedTotal: 50}}
		}
		return ok(req, dest)
	}
}

func TestCancelMidRun(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_BOTH)
	e.workers.setScript(hangOn("organisationUnits"))
	job := e.launch("c1", false)
	e.waitFor("org units partly loaded", func() bool {
		for _, st := range e.job(job.GetId()).GetSubJobs()[0].GetSteps() {
			if st.GetResource() == "organisationUnits" && st.GetCounters().GetCreated() == 10 {
				return true
			}
		}
		return false
	})
	resp, err := e.client.CancelJob(context.Background(), &orchestratorv1.CancelJobRequest{Id: job.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	j := resp.GetJob()
	if j.GetStatus() != cancelled {
		t.Fatalf("after CancelJob the job is %v", j.GetStatus())
	}
	for _, part := range []string{"metadata/legendSets", "Partly written: metadata/organisationUnits (10 items processed)", "aggregate/dataValues", "aggregate/verify"} {
		if !strings.Contains(j.GetMessage(), part) {
			t.Errorf("message %q does not mention %q", j.GetMessage(), part)
		}
	}
	e.workers.mu.Lock()
	stops := e.workers.cancels
	e.workers.mu.Unlock()
	if stops != 2 {
		t.Errorf("extractor and loader told to stop %d times, want 2", stops)
	}
	if _, err := e.client.CancelJob(context.Background(), &orchestratorv1.CancelJobRequest{Id: job.GetId()}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("second cancel: %v", err)
	}
}

func TestAutomaticRetriesThenFailedPermanently(t *testing.T) {
	e := newEnv(t, Options{RetryMax: 2, RetryBase: 50 * time.Millisecond})
	e.config("c1", configv1.SyncType_SYNC_TYPE_METADATA)
	e.workers.setScript(failOn("legendSets"))
	e.launch("c1", false)
	var jobs []*orchestratorv1.Job
	e.waitFor("the last retry to fail permanently", func() bool {
		resp, err := e.client.ListJobs(context.Background(), &orchestratorv1.ListJobsRequest{ConfigId: "c1", OrderBy: "create_time"})
		if err != nil {
			t.Fatal(err)
		}
		jobs = resp.GetJobs()
		return len(jobs) == 3 && jobs[2].GetStatus() == permanently
	})
	for i, j := range jobs {
		if j.GetAttempt() != int32(i+1) {
			t.Errorf("job %d attempt %d", i, j.GetAttempt())
		}
		if i > 0 && (j.GetRetryOfJobId() != jobs[i-1].GetId() || j.GetTrigger() != orchestratorv1.Trigger_TRIGGER_RETRY) {
			t.Errorf("job %d retries %q with trigger %v, want %q", i, j.GetRetryOfJobId(), j.GetTrigger(), jobs[i-1].GetId())
		}
		if i < 2 && (j.GetStatus() != failed || !strings.Contains(j.GetMessage(), "retried as job "+jobs[i+1].GetId())) {
			t.Errorf("job %d: %v %q", i, j.GetStatus(), j.GetMessage())
		}
	}
	// A manual retry of the permanently failed job runs at once.
	resp, err := e.client.RetryJob(context.Background(), &orchestratorv1.RetryJobRequest{Id: jobs[2].GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetJob().GetAttempt() != 4 || resp.GetJob().GetRetryOfJobId() != jobs[2].GetId() {
		t.Errorf("manual retry = attempt %d of %s", resp.GetJob().GetAttempt(), resp.GetJob().GetRetryOfJobId())
	}
	e.waitStatus(resp.GetJob().GetId(), permanently)
}

func TestResumeAfterRestart(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_METADATA)
	ok := okScript(2)
	e.workers.setScript(func(req *extractorv1.ExtractStepRequest, dest string) []*batchv1.Result {
		if !slices.Contains(req.GetResources(), "organisationUnits") {
			return ok(req, dest)
		}
		if req.GetAfterSequence() == 0 {
			return []*batchv1.Result{{Sequences: []int64{1, 2}, Created: 4, AckedThrough: 2, PlannedTotal: 6}}
		}
		return []*batchv1.Result{
			{Sequences: []int64{3}, Created: 2, AckedThrough: 3, PlannedTotal: 6},
			{Last: true, AckedThrough: 3, PlannedTotal: 6, ServerDate: "2024-05-02T00:00:00.000"},
		}
	})
	job := e.launch("c1", false)
	e.waitFor("org units half loaded", func() bool {
		for _, st := range e.job(job.GetId()).GetSubJobs()[0].GetSteps() {
			if st.GetResource() == "organisationUnits" && st.GetCounters().GetCreated() == 8 {
				return true
			}
		}
		return false
	})
	e.stop()
	if s := e.job2(job.GetId()); s != string(statusRunning) {
		t.Fatalf("after shutdown the job is %s, want it left RUNNING", s)
	}
	e.start()
	done := e.waitStatus(job.GetId(), completed, withWarning, failed)
	if done.GetStatus() != completed {
		t.Fatalf("resumed job %v: %s", done.GetStatus(), done.GetMessage())
	}
	var resumed bool
	for _, r := range e.workers.extractRequests() {
		if slices.Contains(r.GetResources(), "organisationUnits") && r.GetAfterSequence() == 2 {
			resumed = true
		}
	}
	if !resumed {
		t.Error("the extractor was not restarted after sequence 2")
	}
	for _, st := range done.GetSubJobs()[0].GetSteps() {
		if st.GetResource() == "organisationUnits" && st.GetCounters().GetCreated() != 12 {
			t.Errorf("org units created = %d, want 12 (6 per destination)", st.GetCounters().GetCreated())
		}
	}
	if hasLog(e.logs(job.GetId(), orchestratorv1.LogLevel_LOG_LEVEL_INFO), orchestratorv1.LogLevel_LOG_LEVEL_INFO, "resumed after restart") == nil {
		t.Error("no 'resumed after restart' log line")
	}
}

// job2 reads a job's stored status without the API (the API is down between restarts).
func (e *env) job2(id string) string {
	var s string
	if err := e.db.Get(&s, `SELECT status FROM jobs WHERE id = $1`, id); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestWatchJobStreamsStateProgressFinal(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_DATA)
	gate := make(chan struct{})
	e.workers.setScript(func(req *extractorv1.ExtractStepRequest, dest string) []*batchv1.Result {
		<-gate
		return okScript(3)(req, dest)
	})
	job := e.launch("c1", false)
	stream, err := e.client.WatchJob(context.Background(), &orchestratorv1.WatchJobRequest{Id: job.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil || first.GetKind() != "state" || first.GetJob().GetId() != job.GetId() || len(first.GetJob().GetSubJobs()) != 1 {
		t.Fatalf("first event %v (%v)", first, err)
	}
	close(gate)
	var kinds []string
	var last *orchestratorv1.WatchJobResponse
	for {
		ev, err := stream.Recv()
		if err != nil {
			break
		}
		kinds = append(kinds, ev.GetKind())
		last = ev
	}
	if !slices.Contains(kinds, "progress") || !slices.Contains(kinds, "log") {
		t.Errorf("events %v lack progress or log", kinds)
	}
	if last.GetKind() != "state" || last.GetJob().GetStatus() != completed {
		t.Errorf("last event %s %v, want the final state", last.GetKind(), last.GetJob().GetStatus())
	}
}

func TestListJobsFiltersAndPages(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("a", configv1.SyncType_SYNC_TYPE_DATA)
	e.config("b", configv1.SyncType_SYNC_TYPE_EVENTS)
	var ids []string
	for _, c := range []string{"a", "b", "a", "a"} {
		j := e.launch(c, false)
		e.waitStatus(j.GetId(), completed)
		ids = append(ids, j.GetId())
	}
	list := func(req *orchestratorv1.ListJobsRequest) *orchestratorv1.ListJobsResponse {
		resp, err := e.client.ListJobs(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	page1 := list(&orchestratorv1.ListJobsRequest{ConfigId: "a", PageSize: 2})
	if page1.GetTotal() != 3 || len(page1.GetJobs()) != 2 || page1.GetNextPageToken() == "" {
		t.Fatalf("page 1: total %d, %d jobs, token %q", page1.GetTotal(), len(page1.GetJobs()), page1.GetNextPageToken())
	}
	if page1.GetJobs()[0].GetId() != ids[3] || page1.GetJobs()[1].GetId() != ids[2] {
		t.Error("default order is not newest first")
	}
	page2 := list(&orchestratorv1.ListJobsRequest{ConfigId: "a", PageSize: 2, PageToken: page1.GetNextPageToken()})
	if len(page2.GetJobs()) != 1 || page2.GetJobs()[0].GetId() != ids[0] || page2.GetNextPageToken() != "" {
		t.Errorf("page 2: %v, token %q", page2.GetJobs(), page2.GetNextPageToken())
	}
	if r := list(&orchestratorv1.ListJobsRequest{Type: orchestratorv1.JobType_JOB_TYPE_EVENTS}); r.GetTotal() != 1 || r.GetJobs()[0].GetId() != ids[1] {
		t.Errorf("type filter: %v", r.GetJobs())
	}
	if r := list(&orchestratorv1.ListJobsRequest{Statuses: []orchestratorv1.JobStatus{failed}}); r.GetTotal() != 0 {
		t.Errorf("status filter: %d jobs", r.GetTotal())
	}
	for _, bad := range []*orchestratorv1.ListJobsRequest{{OrderBy: "owner"}, {PageToken: "!!"}} {
		if _, err := e.client.ListJobs(context.Background(), bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestDuplicateResultCountedOnce(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_DATA, func(c *configv1.Config) { c.DestinationInstanceIds = []string{"dst1"} })
	e.workers.setScript(func(*extractorv1.ExtractStepRequest, string) []*batchv1.Result {
		r := &batchv1.Result{Sequences: []int64{1}, Created: 7, AckedThrough: 1}
		return []*batchv1.Result{r, r, {Sequences: []int64{2}, Updated: 1, AckedThrough: 2}, {Last: true, AckedThrough: 2}, {Last: true, AckedThrough: 2}}
	})
	job := e.launch("c1", false)
	done := e.waitStatus(job.GetId(), completed)
	if c := done.GetCounters(); c.GetCreated() != 7 || c.GetUpdated() != 1 || c.GetProcessed() != 8 {
		t.Fatalf("counters %v, want 7 created and 1 updated", c)
	}
}

func TestLaunchErrors(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("off", configv1.SyncType_SYNC_TYPE_DATA, func(c *configv1.Config) { c.Active = false })
	e.config("meta", configv1.SyncType_SYNC_TYPE_METADATA)
	gate := make(chan struct{})
	t.Cleanup(func() { close(gate) })
	e.workers.setScript(func(req *extractorv1.ExtractStepRequest, dest string) []*batchv1.Result {
		<-gate
		return nil
	})
	running := e.launch("meta", false)
	tests := []struct {
		req  *orchestratorv1.LaunchConfigRequest
		code codes.Code
		msg  string
	}{
		{&orchestratorv1.LaunchConfigRequest{ConfigId: "nope"}, codes.NotFound, ""},
		{&orchestratorv1.LaunchConfigRequest{ConfigId: "off"}, codes.FailedPrecondition, "inactive"},
		{&orchestratorv1.LaunchConfigRequest{ConfigId: "meta"}, codes.FailedPrecondition, "already running: " + running.GetId()},
		{&orchestratorv1.LaunchConfigRequest{ConfigId: "meta", Types: []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_EVENTS}}, codes.InvalidArgument, ""},
		{&orchestratorv1.LaunchConfigRequest{ConfigId: "meta", MetadataFamilies: []string{"NOPE"}}, codes.InvalidArgument, ""},
	}
	for _, tt := range tests {
		_, err := e.client.LaunchConfig(context.Background(), tt.req)
		if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.msg) {
			t.Errorf("%v: %v, want %v %q", tt.req, err, tt.code, tt.msg)
		}
	}
	e.conns.cfg.Close()
	if _, err := e.client.LaunchConfig(context.Background(), &orchestratorv1.LaunchConfigRequest{ConfigId: "meta"}); status.Code(err) != codes.Unavailable {
		t.Errorf("config service down: %v", err)
	}
}
