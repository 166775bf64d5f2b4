package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
	"github.com/dhis2sync/dhis2sync/services/internal/alert/alerttest"
)

// autoPoll is the automatic configuration's poll interval in this test (the minimum is lowered for it with
// DHIS2SYNC_AUTOSYNC_MIN_POLL_SECONDS).
const autoPoll = 6 * time.Second

// checkSlack is what a check itself may take on a loaded machine (about 90 requests to the simulator).
const checkSlack = 5 * time.Second

// TestAutomaticModeThroughREST runs an automatic configuration between two simulators with the real services:
// a first AUTOMATIC job; no job while the source is quiet; a renamed data element, new and deleted data
// values, a new and a deleted event reach the destination through a job whose first log line names them; a
// failed job cools the configuration down; maxSyncsPerHour holds; a source that stays down switches the
// configuration off with one alert by email (SMTP with STARTTLS and authentication) and one by webhook.
func TestAutomaticModeThroughREST(t *testing.T) {
	smtpd := alerttest.StartSMTP(t, "alerts", "smtp-secret-1")
	hook := alerttest.StartWebhook(t, "hook-secret-1", 0)
	caFile := filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(caFile, smtpd.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	st := StartWithEnv(t, []string{
		"DHIS2SYNC_AUTOSYNC_MIN_POLL_SECONDS=2", "DHIS2SYNC_WATCH_TICK=500ms", "DHIS2SYNC_RETRY_MAX=0",
		"DHIS2SYNC_SMTP_ADDR=" + smtpd.Addr, "DHIS2SYNC_SMTP_USERNAME=alerts", "DHIS2SYNC_SMTP_PASSWORD=smtp-secret-1",
		"DHIS2SYNC_SMTP_FROM=dhis2sync@example.org", "DHIS2SYNC_SMTP_CA_FILE=" + caFile,
		"DHIS2SYNC_ALERT_EMAILS=ops@example.org", "DHIS2SYNC_ALERT_WEBHOOKS=" + hook.URL,
		"DHIS2SYNC_ALERT_WEBHOOK_SECRET=hook-secret-1",
	})
	src := StartSim(t, "2.40.1", "--seed", "demo", "--tracked-entities", "0")
	dst := StartSim(t, "2.41.0")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := st.Client(ctx)

	cfg := syncSetup(ctx, t, c, src, dst, &configv1.Config{
		Name: "Automatic", SyncType: configv1.SyncType_SYNC_TYPE_COMPLETE,
		ExecutionMode: configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC,
		AutoSync: &configv1.AutoSync{PollIntervalSeconds: int32(autoPoll / time.Second), MaxSyncsPerHour: 4,
			CooldownSeconds: 20, DisableAfterFailures: 3},
		Deletion: &configv1.Deletion{Propagate: true, MaxSharePercent: 50}, Active: true,
	})
	id := cfg.GetId()
	jobs := func() []*orchestratorv1.Job {
		var out orchestratorv1.ListJobsResponse
		if err := c.Do(ctx, http.MethodGet, "/api/v1/jobs?configId="+id+"&pageSize=100", nil, &out); err != nil {
			t.Fatal(err)
		}
		return out.GetJobs()
	}
	state := func() *orchestratorv1.AutomationState {
		var s orchestratorv1.AutomationState
		if err := c.Do(ctx, http.MethodGet, "/api/v1/configs/"+id+"/automation", nil, &s); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	waitFor := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up after %s waiting for %s; automation state: %v", within, what, state())
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	waitJob := func(j *orchestratorv1.Job) *orchestratorv1.Job {
		t.Helper()
		j, err := c.WaitJob(ctx, j.GetId(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}

	// 1. The first check launches a first AUTOMATIC job.
	waitFor("a first automatic job", 2*autoPoll, func() bool { return len(jobs()) == 1 })
	first := waitJob(jobs()[0])
	if first.GetTrigger() != orchestratorv1.Trigger_TRIGGER_AUTOMATIC || first.GetStatus() != orchestratorv1.JobStatus_JOB_STATUS_COMPLETED {
		t.Fatalf("first job: trigger %v, status %v (%s)", first.GetTrigger(), first.GetStatus(), first.GetMessage())
	}

	// 2. A quiet source for several intervals: checks, no job.
	checks := state().GetChecks()
	time.Sleep(4 * autoPoll)
	if n := len(jobs()); n != 1 {
		t.Fatalf("%d jobs while the source was quiet, want 1", n)
	}
	if s := state(); s.GetChecks() < checks+3 || !strings.HasPrefix(s.GetLastCheckResult(), "no change") ||
		s.GetPhase() != orchestratorv1.AutomationPhase_AUTOMATION_PHASE_WATCHING || s.GetNextCheckTime() == nil {
		t.Fatalf("after quiet intervals (checks before %d): %v", checks, s)
	}

	// 3. Changes at the source reach the destination within two intervals (plus the job). They are made just
	// after a check, so that one check sees all of them (a check running while they are made sees some, and
	// the next check the others).
	values := src.dataValues()
	changed, added, deleted := pickChanges(t, values)
	checks = state().GetChecks()
	waitFor("a check to end", 2*autoPoll+checkSlack, func() bool { return state().GetChecks() > checks })
	de := renameDataElement(t, src)
	newEvent, goneEvent := changeEvents(t, src)
	src.importValues("CREATE_AND_UPDATE", append(append([]dataValue(nil), changed...), added...))
	src.importValues("DELETE", deleted)
	changedAt := time.Now()
	waitFor("a job for the changes", 2*autoPoll+checkSlack, func() bool { return len(jobs()) == 2 })
	second := waitJob(jobs()[0])
	lag := time.Since(changedAt)
	if second.GetStatus() != orchestratorv1.JobStatus_JOB_STATUS_COMPLETED && second.GetStatus() != orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS {
		t.Fatalf("job for the changes: %v %s", second.GetStatus(), second.GetMessage())
	}
	logs, err := c.JobLogs(ctx, second.GetId(), apiclient.LogQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	line := logs[0].GetMessage()
	for _, want := range []string{"dataElements: 1 changed", "data values: 7 changed in 1 data set", "events: 2 changed in 1 program"} {
		if !strings.Contains(line, want) {
			t.Errorf("first log line %q does not say %q", line, want)
		}
	}
	var got struct {
		Name string `json:"name"`
	}
	if code := dst.Do(http.MethodGet, "/api/dataElements/"+de.id+"?fields=name", nil, &got); code != http.StatusOK || got.Name != de.name {
		t.Errorf("renamed data element on the destination: HTTP %d, %q, want %q", code, got.Name, de.name)
	}
	onDst := map[string]string{}
	for _, dv := range dst.dataValues() {
		onDst[dv.key()] = dv.Value
	}
	for _, dv := range append(append([]dataValue(nil), changed...), added...) {
		if onDst[dv.key()] != dv.Value {
			t.Errorf("destination %s = %q, want %q", dv.key(), onDst[dv.key()], dv.Value)
		}
	}
	for _, dv := range deleted {
		if _, ok := onDst[dv.key()]; ok {
			t.Errorf("destination still holds deleted value %s", dv.key())
		}
	}
	if code := dst.Do(http.MethodGet, "/api/tracker/events/"+newEvent+"?fields=event", nil, nil); code != http.StatusOK {
		t.Errorf("new event %s on the destination: HTTP %d", newEvent, code)
	}
	t.Logf("changes at the source to a completed job on the destination: %s (poll interval %s); deleted event %s detected",
		lag.Round(100*time.Millisecond), autoPoll, goneEvent)

	// 4. A failing job: the configuration cools down and nothing runs before the cooldown ends.
	dst.Do(http.MethodPost, "/__sim/faults", map[string]string{"spec": "status=401@*"}, nil)
	renameDataElement(t, src)
	waitFor("a third job", 2*autoPoll+checkSlack, func() bool { return len(jobs()) == 3 })
	if j := waitJob(jobs()[0]); j.GetStatus() != orchestratorv1.JobStatus_JOB_STATUS_FAILED {
		t.Fatalf("job against a refusing destination: %v", j.GetStatus())
	}
	waitFor("cooling down", 2*time.Second, func() bool {
		return state().GetPhase() == orchestratorv1.AutomationPhase_AUTOMATION_PHASE_COOLING_DOWN
	})
	dst.Do(http.MethodDelete, "/__sim/faults", nil, nil)
	time.Sleep(12 * time.Second)
	if n := len(jobs()); n != 3 {
		t.Fatalf("%d jobs during the cooldown, want 3", n)
	}
	// After it, the failed job's changes are found again and copied.
	waitFor("a fourth job after the cooldown", 30*time.Second+2*autoPoll, func() bool { return len(jobs()) == 4 })
	if j := waitJob(jobs()[0]); j.GetStatus() == orchestratorv1.JobStatus_JOB_STATUS_FAILED {
		t.Fatalf("job after the cooldown failed: %s", j.GetMessage())
	}

	// 5. maxSyncsPerHour (4): a fifth change in the hour waits.
	renameDataElement(t, src)
	waitFor("rate limiting", 2*autoPoll+checkSlack, func() bool {
		return state().GetPhase() == orchestratorv1.AutomationPhase_AUTOMATION_PHASE_RATE_LIMITED
	})
	time.Sleep(2 * autoPoll)
	if n := len(jobs()); n != 4 {
		t.Fatalf("%d jobs: maxSyncsPerHour 4 not respected", n)
	}
	if s := state(); s.GetSyncsLastHour() != 4 {
		t.Fatalf("rate limited state: %v", s)
	}

	// 6. The source goes down for disableAfterFailures (3) checks: the configuration is switched off, with one
	// alert by email and one by webhook. (maxSyncsPerHour is raised so that checks run again.)
	full, err := getConfig(ctx, c, id)
	if err != nil {
		t.Fatal(err)
	}
	full.AutoSync.MaxSyncsPerHour = 60
	src.Do(http.MethodPost, "/__sim/faults", map[string]string{"spec": "status=503@*"}, nil)
	if err := c.Do(ctx, http.MethodPut, "/api/v1/configs/"+id, full, nil); err != nil {
		t.Fatal(err)
	}
	waitFor("the configuration switched off", 3*time.Minute, func() bool {
		cur, err := getConfig(ctx, c, id)
		return err == nil && !cur.GetActive()
	})
	cur, _ := getConfig(ctx, c, id)
	if !strings.Contains(cur.GetInactiveReason(), "consecutive failures") {
		t.Errorf("inactive reason %q", cur.GetInactiveReason())
	}
	if s := state(); s.GetPhase() != orchestratorv1.AutomationPhase_AUTOMATION_PHASE_DISABLED {
		t.Errorf("state after switch-off: %v", s)
	}
	disabledAlerts := func() (mails, hooks int) {
		for _, m := range smtpd.Mails() {
			if strings.Contains(m.Data, "X-Dhis2sync-Alert: "+string(alert.AutomaticDisabled)) {
				mails++
				if !m.TLS || m.AuthUser != "alerts" {
					t.Errorf("alert mail not sent over STARTTLS with authentication: %+v", m)
				}
			}
		}
		for _, h := range hook.Hooks() {
			var a alert.Alert
			if json.Unmarshal(h.Body, &a) == nil && a.Kind == alert.AutomaticDisabled {
				hooks++
				if !h.Valid {
					t.Error("webhook signature does not verify")
				}
			}
		}
		return mails, hooks
	}
	waitFor("the switch-off alerts", 30*time.Second, func() bool { m, h := disabledAlerts(); return m >= 1 && h >= 1 })
	time.Sleep(2 * time.Second)
	if m, h := disabledAlerts(); m != 1 || h != 1 {
		t.Errorf("switch-off alerts: %d mails, %d webhooks; want one each", m, h)
	}
	// The failed job of step 4 alerted too; no alert carries a secret.
	for _, m := range smtpd.Mails() {
		for _, secret := range []string{"smtp-secret-1", "hook-secret-1", "district"} {
			if strings.Contains(m.Data, secret) {
				t.Errorf("an alert mail carries the secret %q", secret)
			}
		}
	}
	t.Logf("alerts: %d mails, %d webhooks in all", len(smtpd.Mails()), len(hook.Hooks()))
}

func getConfig(ctx context.Context, c *apiclient.Client, id string) (*configv1.Config, error) {
	var cfg configv1.Config
	err := c.Do(ctx, http.MethodGet, "/api/v1/configs/"+id, nil, &cfg)
	return &cfg, err
}

type renamed struct{ id, name string }

// renameDataElement gives the source's first data element a new name through a metadata import.
func renameDataElement(t *testing.T, s *Sim) renamed {
	t.Helper()
	var list struct {
		DataElements []map[string]any `json:"dataElements"`
	}
	if code := s.Do(http.MethodGet, "/api/dataElements?fields=:owner&order=id:asc&pageSize=1", nil, &list); code != http.StatusOK || len(list.DataElements) == 0 {
		t.Fatalf("read a data element: HTTP %d", code)
	}
	de := list.DataElements[0]
	name := fmt.Sprintf("Renamed %d", time.Now().UnixNano())
	de["name"], de["shortName"] = name, name[:min(len(name), 50)]
	if code := s.Do(http.MethodPost, "/api/metadata?importStrategy=CREATE_AND_UPDATE", map[string]any{"dataElements": []any{de}}, nil); code != http.StatusOK {
		t.Fatalf("rename data element: HTTP %d", code)
	}
	return renamed{id: de["id"].(string), name: name}
}

// changeEvents adds an event (a copy of an existing one with a new uid) and deletes another; it returns both uids.
func changeEvents(t *testing.T, s *Sim) (string, string) {
	t.Helper()
	var page map[string]json.RawMessage
	if code := s.Do(http.MethodGet, "/api/tracker/events?fields=*&pageSize=2&order=createdAt:asc", nil, &page); code != http.StatusOK {
		t.Fatalf("read events: HTTP %d", code)
	}
	var events []map[string]any
	for _, k := range []string{"instances", "events"} {
		if raw, ok := page[k]; ok && json.Unmarshal(raw, &events) == nil && len(events) > 0 {
			break
		}
	}
	if len(events) < 2 {
		t.Fatalf("the source has fewer than 2 events: %v", page)
	}
	add := events[0]
	newUID := "Ev" + randomUID(9)
	add["event"] = newUID
	delete(add, "createdAt")
	delete(add, "updatedAt")
	if code := s.Do(http.MethodPost, "/api/tracker?async=false&importStrategy=CREATE", map[string]any{"events": []any{add}}, nil); code != http.StatusOK {
		t.Fatalf("add event: HTTP %d", code)
	}
	gone := events[1]["event"].(string)
	if code := s.Do(http.MethodPost, "/api/tracker?async=false&importStrategy=DELETE", map[string]any{"events": []any{map[string]any{"event": gone}}}, nil); code != http.StatusOK {
		t.Fatalf("delete event: HTTP %d", code)
	}
	return newUID, gone
}

func randomUID(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := []byte(randomString(n))
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}
