package orchestrator

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
	"github.com/dhis2sync/dhis2sync/services/internal/alert/alerttest"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// listingConfigs is the fake config service with ListConfigs filtering and UpdateConfig, as the watcher and the
// scheduler use them.
type listingConfigs struct {
	*fakeConfigs
}

func (f listingConfigs) ListConfigs(_ context.Context, req *configv1.ListConfigsRequest) (*configv1.ListConfigsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &configv1.ListConfigsResponse{}
	for _, c := range f.cfgs {
		if req.ExecutionMode != 0 && c.GetExecutionMode() != req.ExecutionMode || req.Active != nil && c.GetActive() != req.GetActive() {
			continue
		}
		out.Configs = append(out.Configs, proto.Clone(c).(*configv1.Config))
	}
	return out, nil
}

func (f listingConfigs) UpdateConfig(_ context.Context, req *configv1.UpdateConfigRequest) (*configv1.UpdateConfigResponse, error) {
	c := proto.Clone(req.GetConfig()).(*configv1.Config)
	c.UpdateTime = timestamppb.Now()
	f.put(c)
	return &configv1.UpdateConfigResponse{Config: c}, nil
}

// fakeProbe answers ProbeChanges from a function the test sets.
type fakeProbe struct {
	extractorv1.UnimplementedChangeProbeServiceServer
	mu     sync.Mutex
	answer func(since string) (*extractorv1.ProbeChangesResponse, error)
	calls  []string // since of each call
	res    [][]string
}

func (p *fakeProbe) ProbeChanges(_ context.Context, req *extractorv1.ProbeChangesRequest) (*extractorv1.ProbeChangesResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, req.GetSince())
	p.res = append(p.res, req.GetResources())
	return p.answer(req.GetSince())
}

func (p *fakeProbe) set(fn func(since string) (*extractorv1.ProbeChangesResponse, error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answer = fn
}

func (p *fakeProbe) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

type autoEnv struct {
	*env
	probe *fakeProbe
	clock *testClock
	auto  orchestratorv1.AutomationServiceClient
	smtp  *alerttest.SMTP
	hook  *alerttest.Webhook
}

// newAutoEnv is an orchestrator with the watcher, the scheduler and alerts, on a clock the test controls.
func newAutoEnv(t *testing.T, start time.Time) *autoEnv {
	e := newEnv(t, Options{})
	e.stop() // replaced below by an orchestrator with the automation dependencies
	a := &autoEnv{env: e, clock: &testClock{t: start}, probe: &fakeProbe{}}
	a.probe.set(func(string) (*extractorv1.ProbeChangesResponse, error) {
		return &extractorv1.ProbeChangesResponse{ServerDate: "2024-05-01T10:00:00.000"}, nil
	})
	srv := grpc.NewServer()
	configv1.RegisterConfigServiceServer(srv, listingConfigs{e.configs})
	extractorv1.RegisterChangeProbeServiceServer(srv, a.probe)
	conn, err := grpc.NewClient(serve(t, srv), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	a.smtp = alerttest.StartSMTP(t, "alerts", "smtp-secret")
	a.hook = alerttest.StartWebhook(t, "hook-secret", 0)
	sender := &alert.Sender{Settings: alert.Settings{
		SMTP:       alert.SMTPSettings{Addr: a.smtp.Addr, Username: "alerts", Password: "smtp-secret", From: "dhis2sync@example.org", RootCAs: a.smtp.Pool},
		Webhook:    alert.WebhookSettings{Secret: "hook-secret", Backoff: 10 * time.Millisecond},
		Recipients: alert.Recipients{Emails: []string{"ops@example.org"}, Webhooks: []string{a.hook.URL}},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	o := Options{StepTimeout: time.Minute, CancelGrace: 100 * time.Millisecond, ScanInterval: 100 * time.Millisecond,
		Heartbeat: 200 * time.Millisecond, RetryMax: 0, ScheduleRefresh: 50 * time.Millisecond,
		Automation: AutomationOptions{Tick: 30 * time.Millisecond, Now: a.clock.Now}}
	e.svc = New(Deps{
		DB: e.db, NATS: e.nc, Config: configv1.NewConfigServiceClient(conn),
		Extractor: extractorv1.NewExtractorServiceClient(e.conns.ext), Loader: loaderv1.NewLoaderServiceClient(e.conns.ldr),
		Probe: extractorv1.NewChangeProbeServiceClient(conn), Alerts: sender,
	}, o)
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	osrv := grpc.NewServer()
	orchestratorv1.RegisterOrchestratorServiceServer(osrv, e.svc)
	orchestratorv1.RegisterAutomationServiceServer(osrv, e.svc.Automation())
	oconn, err := grpc.NewClient(serve(t, osrv), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	e.client = orchestratorv1.NewOrchestratorServiceClient(oconn)
	a.auto = orchestratorv1.NewAutomationServiceClient(oconn)
	svc := e.svc
	t.Cleanup(func() {
		cancel()
		osrv.Stop()
		oconn.Close()
		svc.Wait()
	})
	return a
}

func (a *autoEnv) jobs(configID string) []*orchestratorv1.Job {
	a.t.Helper()
	resp, err := a.client.ListJobs(context.Background(), &orchestratorv1.ListJobsRequest{ConfigId: configID, PageSize: 100})
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.GetJobs()
}

func (a *autoEnv) state(configID string) *orchestratorv1.AutomationState {
	a.t.Helper()
	resp, err := a.auto.GetAutomationState(context.Background(), &orchestratorv1.GetAutomationStateRequest{ConfigId: configID})
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.GetState()
}

// settle waits until the configuration has no active job.
func (a *autoEnv) settle(configID string) {
	a.waitFor("jobs of "+configID+" to end", func() bool {
		for _, j := range a.jobs(configID) {
			if activeStatus(j.GetStatus()) {
				return false
			}
		}
		return true
	})
}

func automatic(poll, maxPerHour, cooldown, disableAfter int32) func(*configv1.Config) {
	return func(c *configv1.Config) {
		c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC
		c.AutoSync = &configv1.AutoSync{PollIntervalSeconds: poll, MaxSyncsPerHour: maxPerHour, CooldownSeconds: cooldown,
			DisableAfterFailures: disableAfter}
		c.UpdateTime = timestamppb.New(time.Now().Add(-time.Hour))
	}
}

func TestAutomaticModeLaunchesOnChangesOnly(t *testing.T) {
	a := newAutoEnv(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	cfg := a.config("a1000000-0000-0000-0000-000000000001", configv1.SyncType_SYNC_TYPE_METADATA, automatic(60, 3, 600, 3))

	// The first check has nothing to compare with: a first AUTOMATIC job.
	a.waitFor("a first automatic job", func() bool { return len(a.jobs(cfg.Id)) == 1 })
	first := a.jobs(cfg.Id)[0]
	if first.GetTrigger() != orchestratorv1.Trigger_TRIGGER_AUTOMATIC {
		t.Fatalf("trigger %v, want AUTOMATIC", first.GetTrigger())
	}
	a.settle(cfg.Id)

	// A quiet source for several intervals: checks, no job.
	for range 3 {
		before := a.probe.count()
		a.clock.Add(61 * time.Second)
		a.waitFor("a check", func() bool { return a.probe.count() > before })
	}
	a.waitFor("the state of the last check", func() bool {
		st := a.state(cfg.Id)
		return st.GetLastCheckResult() == "no change" && st.GetChecks() == 4
	})
	if n := len(a.jobs(cfg.Id)); n != 1 {
		t.Fatalf("%d jobs after quiet checks, want 1", n)
	}
	st := a.state(cfg.Id)
	if st.GetPhase() != orchestratorv1.AutomationPhase_AUTOMATION_PHASE_WATCHING ||
		!st.GetNextCheckTime().AsTime().Equal(st.GetLastCheckTime().AsTime().Add(time.Minute)) {
		t.Fatalf("state after quiet checks: %v", st)
	}
	// No check before the interval has passed.
	before := a.probe.count()
	time.Sleep(200 * time.Millisecond)
	if a.probe.count() != before {
		t.Fatal("the source was checked before the poll interval passed")
	}

	// Changes: a job whose first log line names them.
	a.probe.set(func(string) (*extractorv1.ProbeChangesResponse, error) {
		return &extractorv1.ProbeChangesResponse{ServerDate: "2024-05-01T11:00:00.000", Changes: []*extractorv1.ResourceChange{
			{Resource: "dataElements", Changed: 3}, {Resource: "dataValues", Changed: 120, Detail: "in 2 data sets"},
		}}, nil
	})
	a.clock.Add(61 * time.Second)
	a.waitFor("a job for the changes", func() bool { return len(a.jobs(cfg.Id)) == 2 })
	job := a.jobs(cfg.Id)[0]
	lines := a.logs(job.GetId(), orchestratorv1.LogLevel_LOG_LEVEL_DEBUG)
	if len(lines) == 0 || !strings.Contains(lines[0].GetMessage(), "dataElements: 3 changed; data values: 120 changed in 2 data sets") {
		t.Fatalf("first log line %q does not name the changes", lines[0].GetMessage())
	}
	a.settle(cfg.Id)

	// maxSyncsPerHour (3): the third launch in the hour is the last one.
	a.clock.Add(61 * time.Second)
	a.waitFor("a third job", func() bool { return len(a.jobs(cfg.Id)) == 3 })
	a.settle(cfg.Id)
	a.clock.Add(61 * time.Second)
	a.waitFor("rate limiting", func() bool {
		return a.state(cfg.Id).GetPhase() == orchestratorv1.AutomationPhase_AUTOMATION_PHASE_RATE_LIMITED
	})
	time.Sleep(200 * time.Millisecond)
	if n := len(a.jobs(cfg.Id)); n != 3 {
		t.Fatalf("%d jobs: maxSyncsPerHour 3 not respected", n)
	}
	if st := a.state(cfg.Id); st.GetSyncsLastHour() != 3 || !strings.Contains(st.GetLastCheckResult(), "maxSyncsPerHour") {
		t.Fatalf("state when rate limited: %v", st)
	}
	// An hour after the first launch, checks resume.
	a.clock.Add(time.Hour)
	a.waitFor("a fourth job after the hour", func() bool { return len(a.jobs(cfg.Id)) == 4 })
}

func TestAutomaticModeCooldownAndDisable(t *testing.T) {
	a := newAutoEnv(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	cfg := a.config("a2000000-0000-0000-0000-000000000002", configv1.SyncType_SYNC_TYPE_METADATA, automatic(60, 60, 600, 3),
		func(c *configv1.Config) { c.Alerts = &configv1.Alerts{Emails: []string{"owner@example.org"}} })
	// Every job fails.
	a.workers.setScript(func(req *extractorv1.ExtractStepRequest, _ string) []*batchv1.Result {
		return []*batchv1.Result{{Last: true, Error: "DHIS2 answered 500"}}
	})
	a.waitFor("a first failed job", func() bool {
		js := a.jobs(cfg.Id)
		return len(js) == 1 && js[0].GetStatus() == orchestratorv1.JobStatus_JOB_STATUS_FAILED
	})
	a.waitFor("cooling down", func() bool {
		return a.state(cfg.Id).GetPhase() == orchestratorv1.AutomationPhase_AUTOMATION_PHASE_COOLING_DOWN
	})
	st := a.state(cfg.Id)
	if st.GetConsecutiveFailures() != 1 || !st.GetCooldownUntil().AsTime().Equal(a.clock.Now().Add(600*time.Second).Truncate(time.Microsecond)) {
		t.Fatalf("after a failed job: %v", st)
	}
	// Within the cooldown nothing is checked, even past the poll interval.
	calls := a.probe.count()
	a.clock.Add(5 * time.Minute)
	time.Sleep(200 * time.Millisecond)
	if a.probe.count() != calls || len(a.jobs(cfg.Id)) != 1 {
		t.Fatal("checked or launched during the cooldown")
	}
	// After the cooldown the failed job's changes are looked for again (since moved back) — then the source goes
	// down: two failed checks make three consecutive failures.
	a.probe.set(func(string) (*extractorv1.ProbeChangesResponse, error) {
		return nil, status.Error(codes.Unavailable, "source: connection refused")
	})
	for i := range 2 {
		n := a.probe.count()
		a.clock.Add(6 * time.Minute)
		a.waitFor("failed check", func() bool { return a.probe.count() > n })
		_ = i
	}
	a.waitFor("the configuration switched off", func() bool {
		c, _ := a.configs.GetConfig(context.Background(), &configv1.GetConfigRequest{Id: cfg.Id})
		return !c.GetConfig().GetActive()
	})
	c, _ := a.configs.GetConfig(context.Background(), &configv1.GetConfigRequest{Id: cfg.Id})
	if !strings.Contains(c.GetConfig().GetInactiveReason(), "3 consecutive failures") {
		t.Fatalf("inactive reason %q", c.GetConfig().GetInactiveReason())
	}
	if st := a.state(cfg.Id); st.GetPhase() != orchestratorv1.AutomationPhase_AUTOMATION_PHASE_DISABLED || st.GetDisabledReason() == "" {
		t.Fatalf("state when disabled: %v", st)
	}
	// Alerts: the failed job and the switch-off, by email (global and the configuration's recipient) and webhook.
	a.waitFor("alerts", func() bool { return len(a.smtp.Mails()) == 2 && len(a.hook.Hooks()) == 2 })
	var kinds []string
	for _, h := range a.hook.Hooks() {
		if !h.Valid {
			t.Fatal("webhook signature invalid")
		}
		for _, k := range []alert.Kind{alert.JobFailed, alert.AutomaticDisabled} {
			if strings.Contains(string(h.Body), `"kind":"`+string(k)+`"`) {
				kinds = append(kinds, string(k))
			}
		}
	}
	if len(kinds) != 2 || kinds[0] == kinds[1] {
		t.Fatalf("webhook alerts %v, want one job_failed and one automatic_configuration_disabled", kinds)
	}
	for _, m := range a.smtp.Mails() {
		if len(m.To) != 2 || strings.Contains(m.Data, "smtp-secret") || strings.Contains(m.Data, "hook-secret") {
			t.Fatalf("mail %+v", m)
		}
	}
	// No more checks once disabled.
	n := a.probe.count()
	a.clock.Add(time.Hour)
	time.Sleep(200 * time.Millisecond)
	if a.probe.count() != n {
		t.Fatal("a disabled configuration was checked")
	}
}

func TestScheduledConfigurationLaunchesOnTimeInItsZone(t *testing.T) {
	// 02:00 in Paris is 01:00 UTC in March (before the change to summer time).
	a := newAutoEnv(t, time.Date(2026, 3, 2, 0, 59, 0, 0, time.UTC))
	cfg := a.config("a3000000-0000-0000-0000-000000000003", configv1.SyncType_SYNC_TYPE_METADATA, func(c *configv1.Config) {
		c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED
		c.Schedule = &configv1.Schedule{Cron: "0 2 * * *", TimeZone: "Europe/Paris"}
	})
	a.waitFor("the schedule", func() bool {
		r, err := a.auto.GetAutomationState(context.Background(), &orchestratorv1.GetAutomationStateRequest{ConfigId: cfg.Id})
		return err == nil && r.GetState().GetNextRunTime() != nil
	})
	if next := a.state(cfg.Id).GetNextRunTime().AsTime(); !next.Equal(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("next run %v, want 01:00 UTC", next)
	}
	a.clock.Add(59 * time.Second) // 00:59:59
	time.Sleep(200 * time.Millisecond)
	if len(a.jobs(cfg.Id)) != 0 {
		t.Fatal("launched before its time")
	}
	a.clock.Add(2 * time.Second) // 01:00:01
	a.waitFor("the scheduled job", func() bool { return len(a.jobs(cfg.Id)) == 1 })
	j := a.jobs(cfg.Id)[0]
	if j.GetTrigger() != orchestratorv1.Trigger_TRIGGER_SCHEDULED {
		t.Fatalf("trigger %v", j.GetTrigger())
	}
	if l := a.logs(j.GetId(), orchestratorv1.LogLevel_LOG_LEVEL_DEBUG); !strings.Contains(l[0].GetMessage(), "scheduled run of 2026-03-02 02:00 CET") {
		t.Fatalf("first log line %q", l[0].GetMessage())
	}
	if st := a.state(cfg.Id); st.GetMissedRuns() != "" || !st.GetNextRunTime().AsTime().Equal(time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the run: %v", st)
	}
	a.settle(cfg.Id)
	time.Sleep(200 * time.Millisecond)
	if len(a.jobs(cfg.Id)) != 1 {
		t.Fatal("launched twice for one slot")
	}
}

func TestScheduledRunsMissedDuringDowntimeAreReported(t *testing.T) {
	a := newAutoEnv(t, time.Date(2026, 3, 5, 1, 30, 0, 0, time.UTC))
	id := "a4000000-0000-0000-0000-000000000004"
	// The orchestrator last handled the 2 March run, then was down for three nights.
	if _, err := a.db.Exec(`INSERT INTO automation (config_id, mode, phase, last_run_time) VALUES ($1, 'SCHEDULED', 'SCHEDULED', $2)`,
		id, time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	a.config(id, configv1.SyncType_SYNC_TYPE_METADATA, func(c *configv1.Config) {
		c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED
		c.Schedule = &configv1.Schedule{Cron: "0 1 * * *", TimeZone: "UTC"}
	})
	a.waitFor("one catch-up job", func() bool { return len(a.jobs(id)) == 1 })
	st := a.state(id)
	if !strings.Contains(st.GetMissedRuns(), "3 scheduled runs missed between 2026-03-03T01:00:00Z and 2026-03-05T01:00:00Z") {
		t.Fatalf("missed runs %q", st.GetMissedRuns())
	}
	a.waitFor("the missed-run alert", func() bool { return len(a.hook.Hooks()) == 1 })
	if !strings.Contains(string(a.hook.Hooks()[0].Body), string(alert.ScheduledRunMissed)) {
		t.Fatalf("alert %s", a.hook.Hooks()[0].Body)
	}
	time.Sleep(200 * time.Millisecond)
	if len(a.jobs(id)) != 1 {
		t.Fatal("more than one catch-up run")
	}
}

func TestSendTestAlert(t *testing.T) {
	a := newAutoEnv(t, time.Now())
	resp, err := a.auto.SendTestAlert(context.Background(), &orchestratorv1.SendTestAlertRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetDeliveries()) != 2 {
		t.Fatalf("deliveries %v", resp.GetDeliveries())
	}
	for _, d := range resp.GetDeliveries() {
		if !d.GetOk() {
			t.Fatalf("delivery %v", d)
		}
	}
	if len(a.smtp.Mails()) != 1 || len(a.hook.Hooks()) != 1 {
		t.Fatal("test alert not received")
	}
	_, err = a.auto.GetAutomationState(context.Background(), &orchestratorv1.GetAutomationStateRequest{ConfigId: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown configuration: %v", err)
	}
}

func (p *fakeProbe) last() (string, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[len(p.calls)-1], p.res[len(p.res)-1]
}

func TestHighFrequencyChecksWatchTheirResourcesBetweenFullChecks(t *testing.T) {
	a := newAutoEnv(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	cfg := a.config("a5000000-0000-0000-0000-000000000005", configv1.SyncType_SYNC_TYPE_DATA, automatic(600, 60, 600, 5),
		func(c *configv1.Config) {
			c.AutoSync.FastPollIntervalSeconds, c.AutoSync.FastResources = 30, []string{"dataValues"}
		})
	a.waitFor("the first job", func() bool { return len(a.jobs(cfg.Id)) == 1 })
	a.settle(cfg.Id)
	// Every 30 s only data values are checked, from the last check's source clock.
	for i := range 3 {
		n := a.probe.count()
		a.clock.Add(31 * time.Second)
		a.waitFor("a fast check", func() bool { return a.probe.count() > n })
		if since, res := a.probe.last(); len(res) != 1 || res[0] != "dataValues" || since == "" {
			t.Fatalf("fast check %d: since %q, resources %v", i, since, res)
		}
	}
	a.waitFor("the fast check's result", func() bool {
		return strings.HasPrefix(a.state(cfg.Id).GetLastCheckResult(), "fast check of dataValues: no change")
	})
	// At the regular interval, a full check of everything.
	n := a.probe.count()
	a.clock.Add(600 * time.Second)
	a.waitFor("a full check", func() bool { return a.probe.count() > n })
	if _, res := a.probe.last(); len(res) != 0 {
		t.Fatalf("full check asked only for %v", res)
	}
	// A change found by a fast check launches the job at once.
	a.probe.set(func(string) (*extractorv1.ProbeChangesResponse, error) {
		return &extractorv1.ProbeChangesResponse{ServerDate: "2024-05-01T12:00:00.000", Changes: []*extractorv1.ResourceChange{
			{Resource: "dataValues", Changed: 2, Detail: "in 1 data set"}}}, nil
	})
	a.clock.Add(31 * time.Second)
	a.waitFor("a job from a fast check", func() bool { return len(a.jobs(cfg.Id)) == 2 })
	lines := a.logs(a.jobs(cfg.Id)[0].GetId(), orchestratorv1.LogLevel_LOG_LEVEL_DEBUG)
	if !strings.Contains(lines[0].GetMessage(), "fast check of dataValues since") || !strings.Contains(lines[0].GetMessage(), "data values: 2 changed in 1 data set") {
		t.Fatalf("first log line %q", lines[0].GetMessage())
	}
}

func TestInstanceHealthTransitionsAlert(t *testing.T) {
	a := newAutoEnv(t, time.Now())
	a.config("a6000000-0000-0000-0000-000000000006", configv1.SyncType_SYNC_TYPE_METADATA, func(c *configv1.Config) {
		c.SourceInstanceId = "i1"
		c.Alerts = &configv1.Alerts{WebhookUrls: []string{a.hook.URL}} // the same receiver: still one delivery per alert
	})
	publish := func(status string) {
		t.Helper()
		if err := a.nc.PublishEvent(context.Background(), "dhis2sync.event.instance.i1", map[string]string{
			"instanceId": "i1", "name": "National", "status": status, "message": "dial tcp: connection refused",
		}); err != nil {
			t.Fatal(err)
		}
	}
	kinds := func() []string {
		var out []string
		for _, h := range a.hook.Hooks() {
			var al alert.Alert
			if err := json.Unmarshal(h.Body, &al); err == nil {
				out = append(out, string(al.Kind))
			}
		}
		return out
	}
	time.Sleep(100 * time.Millisecond) // the subscription is set up by Start; give NATS a moment
	publish("CONNECTION_STATUS_OK")    // first seen and fine: nothing to say
	publish("CONNECTION_STATUS_UNREACHABLE")
	publish("CONNECTION_STATUS_UNREACHABLE") // still down: no repeat
	publish("CONNECTION_STATUS_OK")
	a.waitFor("two alerts", func() bool { return len(kinds()) >= 2 })
	time.Sleep(300 * time.Millisecond)
	got := kinds()
	slices.Sort(got) // alerts are delivered concurrently
	if len(got) != 2 || got[0] != string(alert.InstanceBack) || got[1] != string(alert.InstanceUnreachable) {
		t.Fatalf("alerts %v, want one unreachable and one reachable again", got)
	}
	if len(a.smtp.Mails()) != 2 {
		t.Fatalf("%d mails, want 2", len(a.smtp.Mails()))
	}
}
