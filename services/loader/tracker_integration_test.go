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

// trackerResources are the resources of a tracker step, as the orchestrator plans it.
var trackerResources = []string{"trackedEntities", "enrollments", "events", "relationships"}

// runTracker runs one tracker step from the source to every destination.
func (r *dataRig) runTracker(job string, params map[string]string) map[string][]*batchv1.Result {
	r.tb.Helper()
	res := r.watch(job)
	for id := range r.dsts {
		_, err := r.l.LoadStep(r.ctx, &loaderv1.LoadStepRequest{JobId: job, StepId: "tracker", DestinationInstanceId: id,
			Resources: trackerResources, Kind: stepv1.StepKind_STEP_KIND_TRACKER, ImportParams: map[string]string{"importStrategy": "CREATE_AND_UPDATE"}})
		if err != nil {
			r.tb.Fatal(err)
		}
	}
	_, err := r.x.ExtractStep(r.ctx, &extractorv1.ExtractStepRequest{JobId: job, StepId: "tracker", SourceInstanceId: "src",
		Resources: trackerResources, Kind: stepv1.StepKind_STEP_KIND_TRACKER, Params: params})
	if err != nil {
		r.tb.Fatal(err)
	}
	return res.waitAll(r.tb, "tracker", len(r.dsts))
}

func TestTrackerProgramDataSync(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.1", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	kinds := []string{"trackedEntities", "enrollments", "events", "relationships"}
	want := map[string]int{}
	total := 0
	for _, k := range kinds {
		want[k] = r.src.TrackerCount(k)
		if k != "events" {
			total += want[k]
		}
	}
	c := r.gen.Counts()
	if want["trackedEntities"] != c.TrackedEntities || want["relationships"] != c.Relationships {
		t.Fatalf("source holds %v, want the demo's %+v", want, c)
	}
	// The source's events include those of the event programme, which a tracker step leaves to the events step.
	wantEvents := want["events"] - c.Events
	if wantEvents != c.TrackerEvents || want["enrollments"] != c.Enrollments {
		t.Fatalf("source holds %v, want the demo's %+v", want, c)
	}
	total += wantEvents

	first, conflicts := summed(t, r.runTracker("tr1", nil)["dst"])
	if first.created != int64(total) || first.errors != 0 {
		t.Errorf("first run %+v, want %d created and no errors (conflicts %v)", first, total, conflicts)
	}
	want["events"] = wantEvents
	for _, k := range kinds {
		if got := r.dsts["dst"].TrackerCount(k); got != want[k] {
			t.Errorf("destination holds %d %s, want %d", got, k, want[k])
		}
	}

	second, conflicts := summed(t, r.runTracker("tr2", nil)["dst"])
	if second.created != 0 || second.errors != 0 {
		t.Errorf("second run %+v, want nothing created and no errors (conflicts %v)", second, conflicts)
	}
	for _, k := range kinds {
		if got := r.dsts["dst"].TrackerCount(k); got != want[k] {
			t.Errorf("after the second run the destination holds %d %s, want %d", got, k, want[k])
		}
	}

	// On 2.41 a tracked entity keeps its attributes, enrollments carry none (release notes 2.41).
	for raw, err := range r.dstCs["dst"].ExportTracker(context.Background(), dhis2.TrackedEntities,
		dhis2.TrackerQuery{TrackedEntityType: personType(t, r), PageSize: 1, Fields: "*,enrollments[*]"}) {
		if err != nil {
			t.Fatal(err)
		}
		var te struct {
			Attributes  []any `json:"attributes"`
			Enrollments []struct {
				Attributes []any `json:"attributes"`
			} `json:"enrollments"`
		}
		if err := json.Unmarshal(raw, &te); err != nil {
			t.Fatal(err)
		}
		if len(te.Attributes) == 0 || len(te.Enrollments) == 0 || len(te.Enrollments[0].Attributes) != 0 {
			t.Errorf("destination tracked entity %s", raw)
		}
		break
	}
}

// personType is the UID of the demo's tracked entity type.
func personType(t *testing.T, r *dataRig) string {
	t.Helper()
	for _, o := range r.src.Objects("trackedEntityTypes") {
		if id, _ := o["id"].(string); id != "" {
			return id
		}
	}
	t.Fatal("the source has no tracked entity type")
	return ""
}

// TestTrackerSyncWithoutOrgUnits syncs tracker data with no org units configured from sources that refuse a
// tracked-entity export without org units or ouMode (2.36–2.40: 409) and from 2.41+ sources, whose
// relationships can only be read per entity: every tracked entity, enrollment, event and relationship
// arrives.
func TestTrackerSyncWithoutOrgUnits(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{{"2.36.0", "2.38.0"}, {"2.42.0", "2.39.0"}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			t.Parallel()
			r := newDataRig(t, dataRigOptions{srcVersion: pair[0], dstVersions: map[string]string{"dst": pair[1]}, scale: demodata.Small})
			c := r.gen.Counts()
			want := map[string]int{"trackedEntities": c.TrackedEntities, "enrollments": c.Enrollments,
				"events": c.TrackerEvents, "relationships": c.Relationships}
			if c.Relationships == 0 {
				t.Fatal("the demo has no relationships to sync")
			}
			res, conflicts := summed(t, r.runTracker("tr-noou", nil)["dst"])
			if res.errors != 0 {
				t.Fatalf("run %+v, conflicts %v", res, conflicts)
			}
			for k, n := range want {
				if got := r.dsts["dst"].TrackerCount(k); got != n {
					t.Errorf("destination holds %d %s, want %d", got, k, n)
				}
			}
		})
	}
}
