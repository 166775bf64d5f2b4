//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/e2e"
)

// env is what every row works with: the stack on killable infrastructure, the source and a signed-in client.
type env struct {
	t     *testing.T
	st    *e2e.Stack
	nats  *natsd
	pg    *postgres
	src   *e2e.Sim
	srcID string
	c     *apiclient.Client
}

// row is one line of the matrix: fault runs while the job is in flight (after it imported something).
type row struct {
	name  string
	fault func(ctx context.Context, e *env, dst *e2e.Sim)
	// destination simulator flags, beyond the version
	dstArgs []string
	// run replaces the single job of a row (the concurrent-jobs row)
	run func(ctx context.Context, e *env) (jobs int, err error)
}

type result struct {
	name     string
	jobs     int
	duration time.Duration
	err      error
	fired    int // faults the simulators injected during the row
}

// TestFaultMatrix is the fault matrix; it prints the table at the end.
func TestFaultMatrix(t *testing.T) {
	// A quiet step is handed to its restarted workers after 3 s instead of 30 s.
	t.Setenv("DHIS2SYNC_STEP_REASSERT", "3s")
	// A stalled import is abandoned after 20 s instead of 30 min (the "stalls past the timeout" row).
	t.Setenv("DHIS2SYNC_DHIS2_IMPORT_TIMEOUT", "20s")
	started := time.Now()
	pg := startPostgres(t)
	nats := startNATSD(t)
	st := e2e.StartWith(t, e2e.Infra{DatabaseURL: strings.Replace(pg.URL(), "/postgres?", "/dhis2sync?", 1), NATSURL: nats.URL()})
	src := e2e.StartSim(t, "2.40.1", "--seed", "demo", "--scale", "small", "--events", "0", "--tracked-entities", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Minute)
	defer cancel()
	e := &env{t: t, st: st, nats: nats, pg: pg, src: src, c: st.Client(ctx)}
	e.srcID = e.register(ctx, src, true)

	kill := func(svc string) func(context.Context, *env, *e2e.Sim) {
		return func(_ context.Context, e *env, _ *e2e.Sim) { e.st.Restart(svc) }
	}
	rows := []row{
		{name: "SIGKILL instance-registry", fault: kill("instance-registry")},
		{name: "SIGKILL config", fault: kill("config")},
		{name: "SIGKILL orchestrator", fault: kill("orchestrator")},
		{name: "SIGKILL extractor", fault: kill("extractor")},
		{name: "SIGKILL loader", fault: kill("loader")},
		{name: "SIGKILL gateway", fault: kill("gateway")},
		{name: "NATS killed and restarted", fault: func(_ context.Context, e *env, _ *e2e.Sim) { e.nats.Restart() }},
		{name: "PostgreSQL crash (immediate stop, 5 s down)", fault: func(_ context.Context, e *env, _ *e2e.Sim) { e.pg.Crash(5 * time.Second) }},
		{name: "destination answers 503 for 60 s", fault: func(_ context.Context, _ *env, dst *e2e.Sim) {
			dst.SetFaults("status=503@/api/*")
			time.Sleep(60 * time.Second)
			dst.SetFaults("")
		}},
		{name: "source answers 500 to 1 request in 10", fault: func(_ context.Context, e *env, _ *e2e.Sim) {
			e.src.SetFaults("status=500@/api/*,p=0.1")
		}},
		{name: "destination stalls past the import timeout", fault: func(_ context.Context, _ *env, dst *e2e.Sim) {
			dst.SetFaults("delay=45s@POST /api/*,times=2")
		}},
		{name: "10 jobs of different configurations at once", run: tenJobs},
	}
	only := os.Getenv("FAULTS_ONLY") // substrings of row names separated by "|", to run some rows
	var results []result
	for _, r := range rows {
		if only != "" && !slices.ContainsFunc(strings.Split(only, "|"), func(s string) bool { return strings.Contains(r.name, s) }) {
			continue
		}
		begin := time.Now()
		res := result{name: r.name, jobs: 1}
		srcFired := faultsFired(e.src.URL)
		if r.run != nil {
			res.jobs, res.err = r.run(ctx, e)
		} else {
			res.fired, res.err = e.oneJob(ctx, r)
		}
		e.src.SetFaults("")
		res.fired += faultsFired(e.src.URL) - srcFired
		res.duration = time.Since(begin)
		if res.err != nil {
			t.Errorf("%s: %v", r.name, res.err)
		}
		t.Logf("%s: %s (%v)", r.name, res.duration.Round(time.Second), res.err)
		results = append(results, res)
	}
	printMatrix(t, results, time.Since(started))
}

func printMatrix(t *testing.T, results []result, total time.Duration) {
	var b strings.Builder
	b.WriteString("\n| fault (mid-job) | jobs | faults injected by the simulators | outcome | time |\n|---|---|---|---|---|\n")
	for _, r := range results {
		outcome := "completed, verified, source = destination"
		if r.err != nil {
			outcome = "FAILED: " + strings.ReplaceAll(r.err.Error(), "\n", " ")
		}
		fired := "—"
		if r.fired > 0 {
			fired = fmt.Sprint(r.fired)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", r.name, r.jobs, fired, outcome, r.duration.Round(time.Second))
	}
	fmt.Fprintf(&b, "\ntotal %s\n", total.Round(time.Second))
	t.Log(b.String())
	fmt.Println(b.String())
}

// register adds a simulator as a source or a destination and checks the connection.
func (e *env) register(ctx context.Context, s *e2e.Sim, source bool) string {
	e.t.Helper()
	in, err := e.c.CreateInstance(ctx, &instancev1.CreateInstanceRequest{
		Name: map[bool]string{true: "Source ", false: "Destination "}[source] + s.URL, BaseUrl: s.URL,
		Username: "admin", Password: "district", IsSource: source, IsDestination: !source,
	})
	if err != nil {
		e.t.Fatalf("register %s: %v", s.URL, err)
	}
	if res, err := e.c.TestInstance(ctx, in.GetId()); err != nil || !res.GetOk() {
		e.t.Fatalf("test %s: %v %v", s.URL, res, err)
	}
	return in.GetId()
}

// oneJob runs the metadata and aggregate data of the small demo to a fresh destination with DHIS2's cost model,
// fires the row's fault once the job has imported something, then checks the outcome.
func (e *env) oneJob(ctx context.Context, r row) (fired int, err error) {
	dst := e2e.StartSim(e.t, "2.41.0", append([]string{"--cost-model", "2.41*0.3"}, r.dstArgs...)...)
	defer func() { fired = faultsFired(dst.URL) }()
	d := dhis2{dst.URL}
	before, err := d.metadata()
	if err != nil {
		return 0, err
	}
	cfg, err := e.c.CreateConfig(ctx, &configv1.Config{Name: r.name, SyncType: configv1.SyncType_SYNC_TYPE_BOTH,
		SourceInstanceId: e.srcID, DestinationInstanceIds: []string{e.register(ctx, dst, false)}})
	if err != nil {
		return 0, fmt.Errorf("create configuration: %w", err)
	}
	job, err := e.c.LaunchConfig(ctx, &orchestratorv1.LaunchConfigRequest{ConfigId: cfg.GetId(), DryRun: false})
	if err != nil {
		return 0, fmt.Errorf("launch: %w", err)
	}
	if err := e.waitMidRun(ctx, job.GetId()); err != nil {
		return 0, err
	}
	r.fault(ctx, e, dst)
	return 0, e.check(ctx, job.GetId(), dst, before, compareScope{dataValues: true})
}

// faultsFired reads how many faults a simulator has injected so far.
func faultsFired(url string) int {
	var st struct {
		FaultsFired int `json:"faultsFired"`
	}
	if err := (dhis2{url}).get("/__sim/stats", &st); err != nil {
		return 0
	}
	return st.FaultsFired
}

// check waits for the job, then requires a completed job, a passing verification and an independent match.
func (e *env) check(ctx context.Context, jobID string, dst *e2e.Sim, before snapshot, scope compareScope) error {
	job, err := e.wait(ctx, jobID)
	if err != nil {
		return err
	}
	if job.GetStatus() != orchestratorv1.JobStatus_JOB_STATUS_COMPLETED || !job.GetVerification().GetPassed() {
		return fmt.Errorf("job %s ended %s (%q), verification passed %v%s", jobID, job.GetStatus(), job.GetMessage(),
			job.GetVerification().GetPassed(), e.warnings(ctx, job))
	}
	// The job is over: the source's injected faults must not fail the comparison's own reads.
	e.src.SetFaults("")
	problems, err := compare(dhis2{e.src.URL}, dhis2{dst.URL}, before, scope)
	if err != nil {
		return fmt.Errorf("independent comparison: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("independent comparison: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (e *env) warnings(ctx context.Context, job *orchestratorv1.Job) string {
	var b strings.Builder
	lines, _ := e.c.JobLogs(ctx, job.GetId(), apiclient.LogQuery{Limit: 10000})
	n := 0
	for _, l := range lines {
		if l.GetLevel() >= orchestratorv1.LogLevel_LOG_LEVEL_WARNING && n < 8 {
			b.WriteString("\n  " + l.GetLevel().String() + " " + l.GetMessage())
			n++
		}
	}
	for i, d := range job.GetVerification().GetDifferences() {
		if i == 5 {
			break
		}
		b.WriteString("\n  difference " + d.GetKind() + " " + d.GetResource() + "/" + d.GetUid() + " " + d.GetDetail())
	}
	return b.String()
}

// job reads a job through the gateway, riding out a gateway or orchestrator that is restarting.
func (e *env) job(ctx context.Context, id string) (*orchestratorv1.Job, error) {
	var last error
	for attempt := 0; attempt < 120 && ctx.Err() == nil; attempt++ {
		j, err := e.c.GetJob(ctx, id)
		if err == nil {
			return j, nil
		}
		last = err
		var apiErr *apiclient.Error
		if errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusUnauthorized {
			if fresh, err := e.c.SignIn(ctx, e.st.AdminUser, e.st.AdminPassword); err == nil {
				e.c = fresh
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return nil, fmt.Errorf("job %s unreadable for a minute: %w", id, last)
}

func (e *env) wait(ctx context.Context, id string) (*orchestratorv1.Job, error) {
	for {
		j, err := e.job(ctx, id)
		if err != nil {
			return nil, err
		}
		if apiclient.Final(j.GetStatus()) {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("job %s still %s when the matrix ran out of time", id, j.GetStatus())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitMidRun waits until the job has imported something but not finished, so that the fault lands mid-run.
func (e *env) waitMidRun(ctx context.Context, id string) error {
	for ctx.Err() == nil {
		j, err := e.job(ctx, id)
		if err != nil {
			return err
		}
		if apiclient.Final(j.GetStatus()) {
			return fmt.Errorf("the job ended (%s) before the fault: slow the destination down", j.GetStatus())
		}
		if j.GetProgress().GetProcessed() > 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ctx.Err()
}

// tenJobs runs ten configurations at once, each to its own destination: metadata alone, metadata and data,
// some families only, other request sizes and strategies, 2.41 and 2.42 destinations. (Destinations before
// 2.41 are left out: from the 2.40 source, a 2.40 destination fails verification on the "user" property of
// objects even for a single job on its own, a version question and not a fault.)
func tenJobs(ctx context.Context, e *env) (int, error) {
	type variant struct {
		version string
		cfg     *configv1.Config
		scope   compareScope
	}
	both := configv1.SyncType_SYNC_TYPE_BOTH
	meta := configv1.SyncType_SYNC_TYPE_METADATA
	orgCat := map[string]bool{"organisationUnits": true, "organisationUnitLevels": true, "organisationUnitGroups": true,
		"organisationUnitGroupSets": true, "categoryOptions": true, "categories": true, "categoryCombos": true, "categoryOptionCombos": true}
	variants := []variant{
		{"2.41.0", &configv1.Config{SyncType: both}, compareScope{dataValues: true}},
		{"2.42.0", &configv1.Config{SyncType: both}, compareScope{dataValues: true}},
		{"2.42.0", &configv1.Config{SyncType: both, Sizes: &configv1.Sizes{BatchSize: 1000, MaxInFlight: 2}}, compareScope{dataValues: true}},
		{"2.41.0", &configv1.Config{SyncType: meta}, compareScope{}},
		{"2.42.0", &configv1.Config{SyncType: meta}, compareScope{}},
		{"2.41.0", &configv1.Config{SyncType: meta, MetadataFamilies: []configv1.MetadataFamily{
			configv1.MetadataFamily_METADATA_FAMILY_ORGANISATION, configv1.MetadataFamily_METADATA_FAMILY_CATEGORIES}}, compareScope{types: orgCat}},
		{"2.41.0", &configv1.Config{SyncType: both, Sizes: &configv1.Sizes{PageSize: 500, BatchSize: 200, MaxInFlight: 1}}, compareScope{dataValues: true}},
		{"2.41.0", &configv1.Config{SyncType: both, Sizes: &configv1.Sizes{PageSize: 5000, MaxInFlight: 4}}, compareScope{dataValues: true}},
		{"2.41.0", &configv1.Config{SyncType: both, ImportStrategy: configv1.ImportStrategy_IMPORT_STRATEGY_CREATE_AND_UPDATE}, compareScope{dataValues: true}},
		{"2.42.0", &configv1.Config{SyncType: meta, Sizes: &configv1.Sizes{PageSize: 50, BatchSize: 50}}, compareScope{}},
	}
	type started struct {
		dst    *e2e.Sim
		before snapshot
		job    string
		scope  compareScope
	}
	var runs []started
	for i, v := range variants {
		dst := e2e.StartSim(e.t, v.version)
		before, err := dhis2{dst.URL}.metadata()
		if err != nil {
			return len(variants), err
		}
		v.cfg.Name = fmt.Sprintf("Concurrent %d", i+1)
		v.cfg.SourceInstanceId, v.cfg.DestinationInstanceIds = e.srcID, []string{e.register(ctx, dst, false)}
		cfg, err := e.c.CreateConfig(ctx, v.cfg)
		if err != nil {
			return len(variants), fmt.Errorf("create configuration %d: %w", i+1, err)
		}
		runs = append(runs, started{dst: dst, before: before, scope: v.scope, job: cfg.GetId()})
	}
	for i := range runs {
		job, err := e.c.LaunchConfig(ctx, &orchestratorv1.LaunchConfigRequest{ConfigId: runs[i].job, DryRun: false})
		if err != nil {
			return len(variants), fmt.Errorf("launch %d: %w", i+1, err)
		}
		runs[i].job = job.GetId()
	}
	var wg sync.WaitGroup
	errs := make([]error, len(runs))
	for i, r := range runs {
		wg.Go(func() { errs[i] = e.check(ctx, r.job, r.dst, r.before, r.scope) })
	}
	wg.Wait()
	var msgs []string
	for i, err := range errs {
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("job %d (%s): %v", i+1, variants[i].version, err))
		}
	}
	if len(msgs) > 0 {
		return len(variants), errors.New(strings.Join(msgs, "; "))
	}
	return len(variants), nil
}
