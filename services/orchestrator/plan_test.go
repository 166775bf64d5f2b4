package orchestrator

import (
	"errors"
	"slices"
	"testing"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
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
	sub := func(kind, status string) *jobRow {
		return &jobRow{Kind: kind, Status: status, Critical: kind == kindMetadata}
	}
	tests := []struct {
		name string
		root jobRow
		subs []*jobRow
		want string
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
