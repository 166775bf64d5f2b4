package orchestrator

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

func TestPlanJobSubJobs(t *testing.T) {
	tests := []struct {
		sync  configv1.SyncType
		types []orchestratorv1.JobType
		want  []string
		typ   orchestratorv1.JobType
	}{
		{configv1.SyncType_SYNC_TYPE_METADATA, nil, []string{kindMetadata}, orchestratorv1.JobType_JOB_TYPE_METADATA},
		{configv1.SyncType_SYNC_TYPE_DATA, nil, []string{kindAggregate}, orchestratorv1.JobType_JOB_TYPE_AGGREGATE},
		{configv1.SyncType_SYNC_TYPE_EVENTS, nil, []string{kindEvents}, orchestratorv1.JobType_JOB_TYPE_EVENTS},
		{configv1.SyncType_SYNC_TYPE_TRACKER, nil, []string{kindTracker}, orchestratorv1.JobType_JOB_TYPE_TRACKER},
		{configv1.SyncType_SYNC_TYPE_BOTH, nil, []string{kindMetadata, kindAggregate}, orchestratorv1.JobType_JOB_TYPE_DATA},
		{configv1.SyncType_SYNC_TYPE_ALL_DATA, nil, []string{kindTracker, kindEvents, kindAggregate}, orchestratorv1.JobType_JOB_TYPE_ALL_DATA},
		{configv1.SyncType_SYNC_TYPE_COMPLETE, nil, []string{kindMetadata, kindTracker, kindEvents, kindAggregate}, orchestratorv1.JobType_JOB_TYPE_COMPLETE},
		{configv1.SyncType_SYNC_TYPE_COMPLETE, []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_METADATA}, []string{kindMetadata}, orchestratorv1.JobType_JOB_TYPE_METADATA},
		{configv1.SyncType_SYNC_TYPE_COMPLETE, []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_DATA}, []string{kindMetadata, kindAggregate}, orchestratorv1.JobType_JOB_TYPE_DATA},
	}
	for _, tt := range tests {
		t.Run(tt.sync.String(), func(t *testing.T) {
			tree, err := planJob(launch{cfg: &configv1.Config{Id: "c", SyncType: tt.sync, DestinationInstanceIds: []string{"d"}}, types: tt.types, trigger: "MANUAL"})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, s := range tree.subs {
				kinds = append(kinds, s.Kind)
				if s.Critical != (s.Kind == kindMetadata) {
					t.Errorf("%s critical = %v", s.Kind, s.Critical)
				}
			}
			for _, st := range tree.steps {
				// Every planned step names its kind in the contract, with resources that belong to it.
				if err := resource.CheckKind(st.kind(), st.Resources); st.kind() == stepv1.StepKind_STEP_KIND_UNSPECIFIED || err != nil {
					t.Errorf("step %s (%s): kind %s, %v", st.Name, st.Kind, st.kind(), err)
				}
			}
			if !slices.Equal(kinds, tt.want) || tree.root.Type != jobTypeName(tt.typ) {
				t.Errorf("sub-jobs %v type %s, want %v %s", kinds, tree.root.Type, tt.want, jobTypeName(tt.typ))
			}
		})
	}
	_, err := planJob(launch{cfg: &configv1.Config{SyncType: configv1.SyncType_SYNC_TYPE_METADATA}, types: []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_EVENTS}})
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("narrowing to a type outside the sync type: %v", err)
	}
}

func TestMetadataStepsEndWithDeletionsAndVerify(t *testing.T) {
	for _, propagate := range []bool{false, true} {
		cfg := &configv1.Config{Deletion: &configv1.Deletion{Propagate: propagate}}
		steps, err := planSteps(cfg, kindMetadata, []string{"METADATA_FAMILY_PROGRAMS"})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, s := range steps[len(steps)-2:] {
			kinds = append(kinds, s.Kind)
		}
		want := []string{kindMetadata, kindVerify}
		if propagate {
			want = []string{kindDeletions, kindVerify}
		}
		if !slices.Equal(kinds, want) {
			t.Errorf("propagate=%v: last steps %v, want %v", propagate, kinds, want)
		}
	}
}

// TestMetadataStepsArePackedPlanGroups: the metadata steps are the plan's groups packed into fewer steps, in
// the plan's order, with readable names and every group whole.
func TestMetadataStepsArePackedPlanGroups(t *testing.T) {
	steps, err := planSteps(&configv1.Config{}, kindMetadata, nil)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := metadataplan.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	var planned, stepped []string
	for _, g := range groups {
		planned = append(planned, g.Resources...)
	}
	stepOf := map[string]string{}
	for _, st := range steps {
		if st.Kind != kindMetadata {
			continue
		}
		stepped = append(stepped, st.Resources...)
		for _, r := range st.Resources {
			stepOf[r] = st.Name
		}
		if len(st.Resources) > 1 && !strings.Contains(st.Name, st.Resources[0]) {
			t.Errorf("step %q does not name its first type %s", st.Name, st.Resources[0])
		}
	}
	if !slices.Equal(stepped, planned) {
		t.Fatalf("metadata steps read\n%v\nthe plan lists\n%v", stepped, planned)
	}
	metadataSteps := len(steps) - 1 // verify
	if metadataSteps >= len(groups) {
		t.Errorf("%d metadata steps for %d plan groups: nothing packed", metadataSteps, len(groups))
	}
	for _, g := range groups {
		for _, r := range g.Resources {
			if stepOf[r] != stepOf[g.Resources[0]] {
				t.Errorf("group %s split between steps %q and %q", g.Name, stepOf[g.Resources[0]], stepOf[r])
			}
		}
	}
	if stepOf["categoryCombos"] != stepOf["categoryOptionCombos"] {
		t.Error("category combos and their option combos in different steps")
	}
}

func TestImportParams(t *testing.T) {
	cfg := &configv1.Config{Policies: &configv1.Policies{Sharing: configv1.ReferencePolicy_REFERENCE_POLICY_STRIP},
		MergeMode: configv1.MergeMode_MERGE_MODE_MERGE}
	p := importParams(cfg, true)
	want := map[string]string{"importStrategy": "CREATE_AND_UPDATE", "mergeMode": "MERGE", "atomicMode": "ALL",
		"importMode": "VALIDATE", "dryRun": "true", "skipSharing": "true"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
	if p := importParams(&configv1.Config{}, false); p["importMode"] != "COMMIT" || p["skipSharing"] != "" {
		t.Errorf("real run params %v", p)
	}
}

func TestRetryDelay(t *testing.T) {
	o := Options{RetryBase: time.Minute}
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 7: time.Hour, 30: time.Hour} {
		if got := o.retryDelay(n); got != want {
			t.Errorf("retry %d: %s, want %s", n, got, want)
		}
	}
}

func TestDecideStatus(t *testing.T) {
	sub := func(kind string, status Status) *jobRow {
		return &jobRow{Kind: kind, Status: status, Critical: kind == kindMetadata}
	}
	tests := []struct {
		name string
		root jobRow
		subs []*jobRow
		want Status
	}{
		{"all completed", jobRow{}, []*jobRow{sub(kindMetadata, statusCompleted), sub(kindEvents, statusCompleted)}, statusCompleted},
		{"errors counted", jobRow{counters: counters{Errors: 1}}, []*jobRow{sub(kindEvents, statusCompleted)}, statusCompletedWarnings},
		{"critical failed", jobRow{}, []*jobRow{sub(kindMetadata, statusFailed), sub(kindEvents, statusCancelled)}, statusFailed},
		{"non-critical failed", jobRow{}, []*jobRow{sub(kindTracker, statusFailed), sub(kindEvents, statusCompleted)}, statusCompletedWarnings},
		{"only sub-job failed", jobRow{}, []*jobRow{sub(kindAggregate, statusFailed)}, statusFailed},
	}
	for _, tt := range tests {
		if got, _ := decideStatus(&tt.root, tt.subs); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestRetryDeferredOnLastMetadataStep: the loader is told to re-post what it held back only in the last
// metadata step, for every destination; never in earlier metadata steps, the deletions step or data steps.
func TestRetryDeferredOnLastMetadataStep(t *testing.T) {
	e := newEnv(t, Options{})
	e.config("c1", configv1.SyncType_SYNC_TYPE_BOTH, func(c *configv1.Config) {
		c.Deletion = &configv1.Deletion{Propagate: true}
	})
	job := e.launch("c1", false)
	done := e.waitStatus(job.GetId(), completed, withWarning, failed)
	if done.GetStatus() != completed {
		t.Fatalf("status %v: %s", done.GetStatus(), done.GetMessage())
	}
	var lastMetadata string
	for _, sub := range done.GetSubJobs() {
		if sub.GetType() != orchestratorv1.JobType_JOB_TYPE_METADATA {
			continue
		}
		for _, st := range sub.GetSteps() {
			if st.GetName() != "deletions" && st.GetName() != "verify" {
				lastMetadata = st.GetId()
			}
		}
	}
	if lastMetadata == "" {
		t.Fatal("no metadata step")
	}
	flagged := map[string]bool{}
	loads := e.workers.loadRequests()
	for _, l := range loads {
		if l.GetRetryDeferred() != (l.GetStepId() == lastMetadata) {
			t.Errorf("step %s (%v) destination %s: retryDeferred = %v", l.GetStepId(), l.GetResources(),
				l.GetDestinationInstanceId(), l.GetRetryDeferred())
		}
		if l.GetRetryDeferred() {
			flagged[l.GetDestinationInstanceId()] = true
		}
	}
	if len(loads) < 4 || !flagged["dst1"] || !flagged["dst2"] {
		t.Errorf("%d load requests; retryDeferred sent to %v, want dst1 and dst2", len(loads), flagged)
	}
}
