package loader

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

func TestMetadataParams(t *testing.T) {
	cfg := &configv1.Config{ImportStrategy: configv1.ImportStrategy_IMPORT_STRATEGY_UPDATE, AtomicMode: configv1.AtomicMode_ATOMIC_MODE_ALL,
		MergeMode: configv1.MergeMode_MERGE_MODE_REPLACE}
	tests := []struct {
		name string
		req  *loaderv1.LoadStepRequest
		cfg  *configv1.Config
		want dhis2.MetadataImportParams
	}{
		{"defaults", &loaderv1.LoadStepRequest{}, &configv1.Config{},
			dhis2.MetadataImportParams{ImportStrategy: "CREATE_AND_UPDATE", AtomicMode: "NONE"}},
		{"from config", &loaderv1.LoadStepRequest{}, cfg,
			dhis2.MetadataImportParams{ImportStrategy: "UPDATE", AtomicMode: "ALL", MergeMode: "REPLACE"}},
		{"request wins, dry run validates", &loaderv1.LoadStepRequest{DryRun: true,
			ImportParams: map[string]string{"importStrategy": "CREATE", "skipSharing": "true"}}, cfg,
			dhis2.MetadataImportParams{ImportStrategy: "CREATE", AtomicMode: "ALL", MergeMode: "REPLACE", SkipSharing: true, ImportMode: "VALIDATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := metadataParams(tt.req, tt.cfg)
			got.Extra = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLaterType(t *testing.T) {
	msg := func(klass string) string {
		return "Invalid reference [abc] (" + klass + ") on object X [x] (DataSet) for association `workflow`"
	}
	tests := []struct {
		name, code, message, plural string
		step                        []string
		want                        string
		ok                          bool
	}{
		{"later type", "E5002", msg("ProgramIndicator"), "dataSets", []string{"dataSets"}, "programIndicators", true},
		{"earlier type is a real error", "E5002", msg("CategoryCombo"), "dataSets", []string{"dataSets"}, "", false},
		{"type of this step is a real error", "E5002", msg("Section"), "dataSets", []string{"dataSets", "sections"}, "", false},
		{"other code", "E5003", msg("ProgramIndicator"), "dataSets", nil, "", false},
		{"unknown class", "E5002", msg("Nope"), "dataSets", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := laterType(tt.code, tt.message, tt.plural, tt.step)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAccountReportToResult(t *testing.T) {
	l := &Loader{deferred: newDeferredStore()}
	r := &stepRun{l: l, log: slog.New(slog.DiscardHandler), req: &loaderv1.LoadStepRequest{JobId: "j", DestinationInstanceId: "d", Resources: []string{"dataSets"}},
		params: dhis2.MetadataImportParams{AtomicMode: "NONE"}}
	p := newPayload()
	p.add("dataSets", map[string]any{"id": "ds1"})
	p.add("dataSets", map[string]any{"id": "ds2"})
	p.add("dataSets", map[string]any{"id": "ds3"})
	ir := &dhis2.ImportResult{Status: dhis2.StatusWarning, Created: 1, Ignored: 2, Errors: []dhis2.ObjectError{
		{Code: "E5002", ObjectType: "DataSet", UID: "ds2", Property: "indicators",
			Message: "Invalid reference [pi1] (ProgramIndicator) on object B [ds2] (DataSet) for association `x`"},
		{Code: "E4000", ObjectType: "DataSet", UID: "ds3", Property: "periodType", Message: "Missing required property `periodType`"},
	}}
	res := &batchv1.Result{Status: "OK"}
	r.account(res, ir, p, true)
	if res.GetCreated() != 1 || res.GetErrors() != 1 || res.GetIgnored() != 1 || res.GetStatus() != "WARNING" {
		t.Errorf("result %+v", res)
	}
	if len(res.GetConflicts()) != 1 || res.GetConflicts()[0].GetCode() != "E4000" || res.GetConflicts()[0].GetUid() != "ds3" {
		t.Errorf("conflicts %v", res.GetConflicts())
	}
	got := l.deferred.take("j", "d", []string{"programIndicators"}, false)
	if len(got) != 1 || got[0].uid != "ds2" || got[0].missing != "programIndicators" {
		t.Errorf("deferred %+v", got)
	}
	if rest := l.deferred.take("j", "d", nil, true); len(rest) != 0 {
		t.Errorf("left over %v", rest)
	}
}

func TestBuildAppliesVersionTransforms(t *testing.T) {
	obj := `{"id":"deA","name":"A","publicAccess":"rw------","userAccesses":[],"userGroupAccesses":[],"externalAccess":false,
	  "sharing":{"owner":"u1","public":"rw------","external":false,"users":{},"userGroups":{}}}`
	payload, err := batch.Encode([]json.RawMessage{json.RawMessage(obj)})
	if err != nil {
		t.Fatal(err)
	}
	b := &batchv1.Batch{Sequence: 1, Resource: "dataElements", SourceVersion: "2.39.1", Encoding: batch.Encoding, Payload: payload, ItemCount: 1}
	r := &stepRun{dstV: dhis2.MustParseVersion("2.41.0")}
	p, poison, err := r.build([]*held{{batch: b}})
	if err != nil || poison != nil {
		t.Fatal(err)
	}
	got := p.objects["dataElements"]
	if len(got) != 1 {
		t.Fatalf("objects %v", p.objects)
	}
	for _, k := range []string{"publicAccess", "userAccesses", "userGroupAccesses", "externalAccess"} {
		if _, ok := got[0][k]; ok {
			t.Errorf("legacy sharing field %s sent to 2.41", k)
		}
	}
	if _, ok := got[0]["sharing"]; !ok {
		t.Error("sharing object dropped")
	}

	bad := &batchv1.Batch{Sequence: 2, Resource: "dataElements", SourceVersion: "2.39.1", Encoding: batch.Encoding, Payload: []byte("garbage")}
	if _, poison, err := r.build([]*held{{batch: b}, {batch: bad}}); poison == nil || poison.batch != bad || err == nil {
		t.Errorf("undecodable batch not reported as poison: %v", err)
	}
}

func TestBackoffAndNames(t *testing.T) {
	if got := backoff(time.Second, 5*time.Second, 1); got != time.Second {
		t.Errorf("attempt 1: %v", got)
	}
	if got := backoff(time.Second, 5*time.Second, 3); got != 4*time.Second {
		t.Errorf("attempt 3: %v", got)
	}
	if got := backoff(time.Second, 5*time.Second, 10); got != 5*time.Second {
		t.Errorf("attempt 10: %v", got)
	}
	if got := ConsumerName("j.1", "s*2", "d>3"); got != "loader_j_1_s_2_d_3" {
		t.Errorf("consumer name %q", got)
	}
}

func TestCoalescingNeverSplitsGroups(t *testing.T) {
	mk := func(resources []string, batchSize int32, seqs ...int64) *stepRun {
		l := &Loader{opts: Options{}.withDefaults()}
		r := &stepRun{l: l, req: &loaderv1.LoadStepRequest{Kind: stepv1.StepKind_STEP_KIND_METADATA, Resources: resources, BatchSize: batchSize}, next: 1, held: map[int64]*held{}}
		for _, s := range seqs {
			r.held[s] = &held{batch: &batchv1.Batch{Sequence: s, ItemCount: 10, Payload: make([]byte, 100), Last: s == 5}}
		}
		return r
	}
	tests := []struct {
		name      string
		resources []string
		batchSize int32
		seqs      []int64
		wantRun   int
		complete  bool
	}{
		{"group waits for a gap", []string{"programStages", "programs"}, 10, []int64{1, 2, 4}, 2, false},
		{"group ignores batch size", []string{"programStages", "programs"}, 10, []int64{1, 2, 3, 4, 5}, 5, true},
		{"single type cut at batch size", []string{"dataElements"}, 20, []int64{1, 2, 3, 4, 5}, 2, false},
		{"category combos travel whole", []string{"categoryCombos"}, 10, []int64{1, 2, 3}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mk(tt.resources, tt.batchSize, tt.seqs...)
			run, _, _, complete := r.contiguous()
			if len(run) != tt.wantRun || complete != tt.complete {
				t.Errorf("run of %d (complete %v), want %d (%v)", len(run), complete, tt.wantRun, tt.complete)
			}
		})
	}
}
