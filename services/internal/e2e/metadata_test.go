package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// syncSetup registers a source and a destination simulator and a metadata configuration through REST.
func syncSetup(ctx context.Context, t *testing.T, c *apiclient.Client, src, dst *Sim, cfg *configv1.Config) *configv1.Config {
	t.Helper()
	var ids []string
	for i, s := range []*Sim{src, dst} {
		in, err := c.CreateInstance(ctx, &instancev1.CreateInstanceRequest{
			Name: []string{"Source ", "Destination "}[i] + s.URL, BaseUrl: s.URL, Username: "admin", Password: "district",
			IsSource: i == 0, IsDestination: i == 1,
		})
		if err != nil {
			t.Fatalf("register %s: %v", s.URL, err)
		}
		if res, err := c.TestInstance(ctx, in.GetId()); err != nil || !res.GetOk() || res.GetVersion() != s.Version {
			t.Fatalf("test %s: %v %v", s.URL, res, err)
		}
		ids = append(ids, in.GetId())
	}
	cfg.SourceInstanceId, cfg.DestinationInstanceIds = ids[0], ids[1:]
	out, err := c.CreateConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("create configuration: %v", err)
	}
	return out
}

// runJob launches a configuration and waits for the job to end.
func runJob(ctx context.Context, t *testing.T, c *apiclient.Client, configID string, dryRun bool) *orchestratorv1.Job {
	t.Helper()
	job, err := c.LaunchConfig(ctx, &orchestratorv1.LaunchConfigRequest{ConfigId: configID, DryRun: dryRun})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	job, err = c.WaitJob(ctx, job.GetId(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// requireFaithful fails the test unless the job completed and its verification passed, printing what differs.
func requireFaithful(ctx context.Context, t *testing.T, c *apiclient.Client, job *orchestratorv1.Job) {
	t.Helper()
	v := job.GetVerification()
	if job.GetStatus() != orchestratorv1.JobStatus_JOB_STATUS_COMPLETED || v == nil || !v.GetPassed() {
		lines, err := c.JobLogs(ctx, job.GetId(), apiclient.LogQuery{Limit: 10000})
		if err != nil {
			t.Logf("logs: %v", err)
		}
		var b strings.Builder
		for _, l := range lines {
			if l.GetLevel() >= orchestratorv1.LogLevel_LOG_LEVEL_WARNING || os.Getenv("E2E_ALL_LOGS") != "" {
				b.WriteString("\n  " + l.GetLevel().String() + " " + l.GetMessage())
			}
		}
		for _, d := range v.GetDifferences() {
			b.WriteString("\n  difference " + d.GetKind() + " " + d.GetResource() + "/" + d.GetUid() + " " + d.GetDetail())
		}
		t.Fatalf("job %s: status %s, message %q, verification %v%s", job.GetId(), job.GetStatus(), job.GetMessage(), v != nil && v.GetPassed(), b.String())
	}
}

// TestMetadataSyncThroughREST syncs the medium demo metadata from a 2.39 to a 2.41 DHIS2 through the real
// services, proves it, runs again without creating anything, and propagates a deletion.
func TestMetadataSyncThroughREST(t *testing.T) {
	st := Start(t)
	src := StartSim(t, "2.39.1", "--seed", "demo", "--scale", "medium", "--data-values", "0", "--events", "0", "--tracked-entities", "0")
	dst := StartSim(t, "2.41.0")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c := st.Client(ctx)

	// An element nothing refers to, so that deleting it on the source is allowed.
	const orphan = "e2eOrphan01"
	if code := src.Do(http.MethodPost, "/api/metadata", map[string]any{"dataElements": []any{map[string]any{
		"id": orphan, "name": "E2E orphan element", "shortName": "E2E orphan", "valueType": "NUMBER",
		"domainType": "AGGREGATE", "aggregationType": "SUM", "categoryCombo": map[string]any{"id": "bjDvmb4bfuf"},
	}}}, nil); code != http.StatusOK {
		t.Fatalf("create orphan element on the source: HTTP %d", code)
	}

	cfg := syncSetup(ctx, t, c, src, dst, &configv1.Config{
		Name: "Medium metadata", SyncType: configv1.SyncType_SYNC_TYPE_METADATA,
		Deletion: &configv1.Deletion{Propagate: true, MaxSharePercent: 10},
	})
	first := runJob(ctx, t, c, cfg.GetId(), false)
	requireFaithful(ctx, t, c, first)
	if first.GetCounters().GetCreated() < 2000 {
		t.Errorf("first run created %d objects, want the whole medium package", first.GetCounters().GetCreated())
	}
	// 2.39 exports sharing in both forms, 2.41 reads only the sharing object: the job's log says so.
	lines, err := c.JobLogs(ctx, first.GetId(), apiclient.LogQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	adapted := false
	for _, l := range lines {
		adapted = adapted || strings.HasPrefix(l.GetMessage(), "version adaptation: sharing object only (")
	}
	if !adapted {
		t.Error("the job's log lists no version adaptation of sharing from 2.39 to 2.41")
	}
	for _, typ := range []string{"organisationUnits", "dataElements", "categoryOptionCombos", "dataSets", "programs", "programStages", "dashboards"} {
		if s, d := src.Count(typ), dst.Count(typ); s != d || s == 0 {
			t.Errorf("%s: source %d, destination %d", typ, s, d)
		}
	}

	second := runJob(ctx, t, c, cfg.GetId(), false)
	requireFaithful(ctx, t, c, second)
	if n := second.GetCounters().GetCreated(); n != 0 {
		t.Errorf("second run created %d objects, want 0", n)
	}

	if code := src.Do(http.MethodDelete, "/api/dataElements/"+orphan, nil, nil); code/100 != 2 {
		t.Fatalf("delete on the source: HTTP %d", code)
	}
	third := runJob(ctx, t, c, cfg.GetId(), false)
	requireFaithful(ctx, t, c, third)
	if third.GetCounters().GetDeleted() < 1 {
		t.Errorf("third run deleted %d objects, want the orphan element", third.GetCounters().GetDeleted())
	}
	if code := dst.Do(http.MethodGet, "/api/dataElements/"+orphan, nil, nil); code != http.StatusNotFound {
		t.Errorf("orphan element still on the destination: HTTP %d", code)
	}
}
