package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// TestEventsAndTrackerSyncThroughREST copies the small demo's event programme events and tracker data (tracked
// entities, enrollments, events, relationships) from a 2.40 to a 2.41 DHIS2 through the real services: the job
// is proven record by record, and a delta run after a change at the source is proven again.
func TestEventsAndTrackerSyncThroughREST(t *testing.T) {
	st := Start(t)
	src := StartSim(t, "2.40.1", "--seed", "demo", "--scale", "small", "--data-values", "0")
	dst := StartSim(t, "2.41.0")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c := st.Client(ctx)

	meta := syncSetup(ctx, t, c, src, dst, &configv1.Config{Name: "Demo metadata", SyncType: configv1.SyncType_SYNC_TYPE_METADATA})
	requireFaithful(ctx, t, c, runJob(ctx, t, c, meta.GetId(), false))
	data, err := c.CreateConfig(ctx, &configv1.Config{Name: "Demo events and tracker", SyncType: configv1.SyncType_SYNC_TYPE_ALL_DATA,
		SourceInstanceId: meta.GetSourceInstanceId(), DestinationInstanceIds: meta.GetDestinationInstanceIds()})
	if err != nil {
		t.Fatalf("create configuration: %v", err)
	}
	first := runJob(ctx, t, c, data.GetId(), false)
	requireFaithful(ctx, t, c, first)
	compared := comparedRecords(first)
	for _, kind := range []string{"events", "enrollments", "trackedEntities", "relationships"} {
		if compared[kind] == 0 {
			t.Errorf("verification compared no %s: %v", kind, compared)
		}
	}
	for _, sub := range first.GetSubJobs() {
		if p := sub.GetProgress(); p.GetProcessed() > p.GetPlanned() {
			t.Errorf("sub-job %s: %d processed of %d planned", sub.GetType(), p.GetProcessed(), p.GetPlanned())
		}
	}

	// A change at the source: one event of the event programme gets another status.
	var page struct {
		Events    []map[string]any `json:"events"`
		Instances []map[string]any `json:"instances"`
	}
	if code := src.Do(http.MethodGet, "/api/tracker/events?program="+eventProgramOf(t, src)+"&pageSize=1&fields=*", nil, &page); code != http.StatusOK {
		t.Fatalf("source events: HTTP %d", code)
	}
	events := append(page.Events, page.Instances...)
	if len(events) == 0 {
		t.Fatal("the source has no event programme events")
	}
	ev := events[0]
	ev["status"] = map[bool]string{true: "ACTIVE", false: "COMPLETED"}[ev["status"] == "COMPLETED"]
	if ev["status"] == "COMPLETED" && ev["occurredAt"] == nil {
		ev["occurredAt"] = "2024-01-15T00:00:00.000"
	}
	delete(ev, "updatedAt")
	var report map[string]any
	if code := src.Do(http.MethodPost, "/api/tracker?async=false&importStrategy=UPDATE", map[string]any{"events": []any{ev}}, &report); code != http.StatusOK {
		t.Fatalf("update a source event: HTTP %d %v", code, report)
	}
	second := runJob(ctx, t, c, data.GetId(), false)
	requireFaithful(ctx, t, c, second)
	if second.GetCounters().GetUpdated() < 1 {
		t.Errorf("the delta run updated %d records, want the changed event", second.GetCounters().GetUpdated())
	}
}

// comparedRecords sums the source counts of a job's verification checks by kind ("events", "trackedEntities", …).
func comparedRecords(job *orchestratorv1.Job) map[string]int64 {
	out := map[string]int64{}
	for _, r := range job.GetVerification().GetResources() {
		out[strings.SplitN(r.GetResource(), ":", 2)[0]] += r.GetSourceCount()
	}
	return out
}

// eventProgramOf returns the id of the simulator's programme without registration.
func eventProgramOf(t *testing.T, s *Sim) string {
	t.Helper()
	var out struct {
		Programs []struct {
			ID          string `json:"id"`
			ProgramType string `json:"programType"`
		} `json:"programs"`
	}
	if code := s.Do(http.MethodGet, "/api/programs?fields=id,programType&paging=false", nil, &out); code != http.StatusOK {
		t.Fatalf("programs: HTTP %d", code)
	}
	for _, p := range out.Programs {
		if p.ProgramType == "WITHOUT_REGISTRATION" {
			return p.ID
		}
	}
	t.Fatal("no event programme")
	return ""
}
