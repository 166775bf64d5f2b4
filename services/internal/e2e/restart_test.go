package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// TestMetadataSyncSurvivesKilledWorkers kills the loader and the extractor (SIGKILL, as a crash) while a
// metadata job runs against a destination with DHIS2's cost model, restarts them, and expects the job to
// finish with a passing verification and nothing created twice.
func TestMetadataSyncSurvivesKilledWorkers(t *testing.T) {
	// A quiet step is handed to its (restarted) workers again after 3 s instead of 30 s.
	t.Setenv("DHIS2SYNC_STEP_REASSERT", "3s")
	st := Start(t)
	src := StartSim(t, "2.39.1", "--seed", "demo", "--scale", "medium", "--data-values", "0", "--events", "0", "--tracked-entities", "0")
	dst := StartSim(t, "2.41.0", "--cost-model", "2.41*0.5")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := st.Client(ctx)
	cfg := syncSetup(ctx, t, c, src, dst, &configv1.Config{Name: "Crash test", SyncType: configv1.SyncType_SYNC_TYPE_METADATA})
	job, err := c.LaunchConfig(ctx, &orchestratorv1.LaunchConfigRequest{ConfigId: cfg.GetId(), DryRun: false})
	if err != nil {
		t.Fatal(err)
	}
	waitMidRun(ctx, t, c, job.GetId())
	st.Kill("loader")
	st.Kill("extractor")
	st.StartService("extractor")
	st.StartService("loader")
	job, err = c.WaitJob(ctx, job.GetId(), nil)
	if err != nil {
		t.Fatal(err)
	}
	requireFaithful(ctx, t, c, job)
	// Every object exists once: a second run finds nothing to create.
	again := runJob(ctx, t, c, cfg.GetId(), false)
	requireFaithful(ctx, t, c, again)
	if n := again.GetCounters().GetCreated(); n != 0 {
		t.Errorf("after the crashes a second run created %d objects", n)
	}
}

// waitMidRun waits until the job has imported something but not finished, so that a kill lands mid-run.
func waitMidRun(ctx context.Context, t *testing.T, c *apiclient.Client, id string) {
	t.Helper()
	for ctx.Err() == nil {
		j, err := c.GetJob(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if apiclient.Final(j.GetStatus()) {
			t.Fatalf("the job ended (%s) before the workers could be killed: slow the destination down", j.GetStatus())
		}
		if j.GetProgress().GetProcessed() > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the job made no progress")
}
