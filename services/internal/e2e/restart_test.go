package e2e

import (
	"context"
	"testing"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// TestMetadataSyncSurvivesKilledWorkers kills the loader and then the extractor (SIGKILL, as a crash) while a
// metadata job runs against a destination with DHIS2's cost model, restarts them, and expects the job to
// finish with a passing verification and nothing created twice.
func TestMetadataSyncSurvivesKilledWorkers(t *testing.T) {
	// A quiet step is handed to its (restarted) workers again after 3 s instead of 30 s.
	t.Setenv("DHIS2SYNC_STEP_REASSERT", "3s")
	st := Start(t)
	src := StartSim(t, "2.39.1", "--seed", "demo", "--scale", "small", "--data-values", "0", "--events", "0", "--tracked-entities", "0")
	dst := StartSim(t, "2.41.0", "--cost-model", "2.41*0.3")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c := st.Client(ctx)
	cfg := syncSetup(ctx, t, c, src, dst, &configv1.Config{
		Name: "Crash test", SyncType: configv1.SyncType_SYNC_TYPE_METADATA, MetadataFamilies: allFamiliesButUsers(),
	})
	job, err := c.Launch(ctx, cfg.GetId(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"loader", "extractor"} {
		waitProgress(ctx, t, c, job.GetId())
		st.Kill(svc)
		time.Sleep(500 * time.Millisecond)
		st.StartService(svc)
	}
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

// waitProgress waits until the job has processed more items than when called, so a kill lands mid-run.
func waitProgress(ctx context.Context, t *testing.T, c interface {
	Job(context.Context, string) (*orchestratorv1.Job, error)
}, id string) {
	t.Helper()
	start := int64(-1)
	for ctx.Err() == nil {
		j, err := c.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		p := j.GetProgress().GetProcessed()
		switch {
		case start < 0:
			start = p
		case p > start:
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the job made no progress")
}
