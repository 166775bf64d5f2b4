package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// TestOverviewShowsAutomationAndToggles: an automatic configuration shows the watcher's phase, its last check
// and what it found, and its next check; a scheduled one the orchestrator's next run; one click switches a
// configuration off and on again.
func TestOverviewShowsAutomationAndToggles(t *testing.T) {
	e := newEnv(t)
	b, src, dst, sched := seed(t, e)
	auto := e.addConfig(t, b, url.Values{
		"name": {"Live mirror"}, "active": {"on"}, "source_instance_id": {src}, "destination_instance_ids": {dst},
		"sync_type": {"SYNC_TYPE_DATA"}, "execution_mode": {"EXECUTION_MODE_AUTOMATIC"}, "auto_sync.poll_interval_seconds": {"300"},
	})
	nextCheck := time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)
	nextRun := time.Date(2031, 5, 7, 2, 0, 0, 0, time.UTC)
	e.gw.SetAutomationState(&orchestratorv1.AutomationState{ConfigId: auto, Phase: orchestratorv1.AutomationPhase_AUTOMATION_PHASE_WATCHING,
		LastCheckTime: timestamppb.New(nextCheck.Add(-5 * time.Minute)), LastCheckResult: "dataElements: 3 changed → job j1",
		NextCheckTime: timestamppb.New(nextCheck)})
	e.gw.SetAutomationState(&orchestratorv1.AutomationState{ConfigId: sched, Phase: orchestratorv1.AutomationPhase_AUTOMATION_PHASE_SCHEDULED,
		NextRunTime: timestamppb.New(nextRun), MissedRuns: "the scheduled run of 2031-05-06T02:00:00Z was missed"})

	_, body := b.get("/")
	for _, want := range []string{"Watching", "dataElements: 3 changed → job j1", "Next check", "2031-05-06 07:08",
		"2031-05-07 02:00", "was missed", `action="/configs/` + auto + `/active"`} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}

	resp, _ := b.post("/configs/"+auto+"/active", url.Values{"active": {"false"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch off: status %d", resp.StatusCode)
	}
	c, err := e.client(t).GetConfig(t.Context(), auto)
	if err != nil || c.GetActive() {
		t.Fatalf("after one click the configuration is active=%v (%v)", c.GetActive(), err)
	}
	_, body = b.get("/")
	if !strings.Contains(body, "Inactive") || strings.Contains(body, "2031-05-06 07:08") {
		t.Error("an inactive automatic configuration must say so and show no next check")
	}
	b.post("/configs/"+auto+"/active", url.Values{"active": {"true"}})
	if c, _ := e.client(t).GetConfig(t.Context(), auto); !c.GetActive() {
		t.Fatal("not switched on again")
	}
}
