package loader_test

import (
	"context"
	"encoding/json"
	"testing"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// runEvents runs one events step (resources ["events"]) from the source to every destination.
func (r *dataRig) runEvents(job string, params map[string]string) map[string][]*batchv1.Result {
	r.tb.Helper()
	res := r.watch(job)
	for id := range r.dsts {
		_, err := r.l.LoadStep(r.ctx, &loaderv1.LoadStepRequest{JobId: job, StepId: "events", DestinationInstanceId: id,
			Resources: []string{"events"}, Kind: stepv1.StepKind_STEP_KIND_EVENTS, ImportParams: map[string]string{"importStrategy": "CREATE_AND_UPDATE"}})
		if err != nil {
			r.tb.Fatal(err)
		}
	}
	_, err := r.x.ExtractStep(r.ctx, &extractorv1.ExtractStepRequest{JobId: job, StepId: "events", SourceInstanceId: "src",
		Resources: []string{"events"}, Kind: stepv1.StepKind_STEP_KIND_EVENTS, Params: params})
	if err != nil {
		r.tb.Fatal(err)
	}
	return res.waitAll(r.tb, "events", len(r.dsts))
}

// eventProgram returns the demo's programme without registration and its stage.
func eventProgram(t *testing.T, r *dataRig) (program map[string]any, stage string) {
	t.Helper()
	for _, p := range r.src.Objects("programs") {
		if p["programType"] == "WITHOUT_REGISTRATION" {
			program = p
		}
	}
	if program == nil {
		t.Fatal("the demo has no event programme")
	}
	for _, s := range r.src.Objects("programStages") {
		if ref, _ := s["program"].(map[string]any); ref != nil && ref["id"] == program["id"] {
			stage, _ = s["id"].(string)
		}
	}
	return program, stage
}

// addStrayEvent assigns an org unit to the source's event programme (the destination keeps the programme
// without it) and records one event there: the destination must refuse it (E1029) and import the rest.
func addStrayEvent(t *testing.T, r *dataRig) string {
	t.Helper()
	ctx := context.Background()
	program, stage := eventProgram(t, r)
	assigned := map[string]bool{}
	ous, _ := program["organisationUnits"].([]any)
	for _, o := range ous {
		if m, ok := o.(map[string]any); ok {
			assigned[m["id"].(string)] = true
		}
	}
	stray := ""
	for _, id := range uids(r.src.Objects("organisationUnits")) {
		if !assigned[id] {
			stray = id
			break
		}
	}
	if stray == "" {
		t.Fatal("every org unit is assigned to the event programme")
	}
	program["organisationUnits"] = append(ous, map[string]any{"id": stray})
	ir, err := r.srcC.ImportMetadata(ctx, map[string]any{"programs": []any{program}}, dhis2.MetadataImportParams{ImportStrategy: "UPDATE"})
	if err != nil || !ir.OK() {
		t.Fatalf("assign org unit on the source: %v %+v", err, ir)
	}
	const uid = "EvStray0001"
	ev := map[string]any{"event": uid, "program": program["id"], "programStage": stage, "orgUnit": stray,
		"occurredAt": "2025-03-01T00:00:00.000", "status": "ACTIVE"} // not completed: its stage's compulsory values are not due yet
	ir, err = r.srcC.ImportTracker(ctx, map[string]any{"events": []any{ev}}, dhis2.TrackerImportParams{ImportStrategy: "CREATE_AND_UPDATE", AtomicMode: "OBJECT"})
	if err != nil || ir.Created != 1 {
		t.Fatalf("stray event on the source: %v %+v", err, ir)
	}
	return uid
}

// sourceEventCount counts the source's events of its event programmes through the tracker export.
func sourceEventCount(t *testing.T, r *dataRig, program string) int {
	t.Helper()
	n := 0
	for _, err := range r.srcC.ExportTracker(context.Background(), dhis2.Events, dhis2.TrackerQuery{Program: program, PageSize: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func TestEventProgramEventsSync(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.1", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	program, _ := eventProgram(t, r)
	stray := addStrayEvent(t, r)
	want := sourceEventCount(t, r, program["id"].(string))
	if want != demodata.Small.Events+1 {
		t.Fatalf("source holds %d event programme events, want the demo's %d plus the stray one", want, demodata.Small.Events)
	}

	first, conflicts := summed(t, r.runEvents("ev1", nil)["dst"])
	if first.created != int64(want-1) || first.errors != 1 {
		t.Errorf("first run %+v, want %d created and 1 error", first, want-1)
	}
	if got := r.dsts["dst"].TrackerCount("events"); got != want-1 {
		t.Errorf("destination holds %d events, want %d", got, want-1)
	}
	if len(conflicts) == 0 || conflicts[0].GetCode() != "E1029" || conflicts[0].GetUid() == "" {
		t.Fatalf("conflicts %v, want E1029 for the stray event", conflicts)
	}
	for _, c := range conflicts {
		if c.GetCode() != "E1029" {
			t.Errorf("unexpected conflict %v", c)
		}
	}

	second, _ := summed(t, r.runEvents("ev2", nil)["dst"])
	if second.created != 0 || second.errors != 1 {
		t.Errorf("second run %+v, want nothing created and the stray event refused again", second)
	}
	if got := r.dsts["dst"].TrackerCount("events"); got != want-1 {
		t.Errorf("after the second run the destination holds %d events, want %d", got, want-1)
	}

	// A destination event keeps the source's values, without the server-managed fields.
	for raw, err := range r.dstCs["dst"].ExportTracker(context.Background(), dhis2.Events, dhis2.TrackerQuery{Program: program["id"].(string), PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if ev["event"] == stray || ev["orgUnit"] == nil || ev["programStage"] == nil {
			t.Errorf("destination event %v", ev)
		}
		break
	}
}
