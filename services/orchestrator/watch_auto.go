package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
)

// Automatic mode: the watcher checks each active AUTOMATIC configuration's source every poll interval with the
// extractor's ChangeProbeService and launches a delta job (trigger AUTOMATIC) when something changed. A check
// never runs while a job of the configuration is active: what changes meanwhile is found by the next check,
// because the point of comparison only moves forward when a check found nothing or launched a job, and moves
// back when that job fails. docs/automatic-mode.md describes it for users.

const (
	modeAutomatic = "AUTOMATIC"
	modeScheduled = "SCHEDULED"

	phaseWatching    = "WATCHING"
	phaseSyncing     = "SYNCING"
	phaseCooling     = "COOLING_DOWN"
	phaseRateLimited = "RATE_LIMITED"
	phaseDisabled    = "DISABLED"
	phaseScheduled   = "SCHEDULED"
)

// Defaults of AutoSync, as the config service applies them (a snapshot without them gets the same).
const (
	defaultPollSeconds      = 300
	defaultMaxSyncsPerHour  = 6
	defaultCooldownSeconds  = 900
	defaultDisableAfterFail = 5
)

// automation is the watcher's in-memory state: which configurations have a check in progress.
type automation struct {
	mu   sync.Mutex
	busy map[string]bool
}

type autoSettings struct {
	poll, cooldown         time.Duration
	maxPerHour, disableAft int
	// fast is the high-frequency interval (0: none) at which only fastResources are checked.
	fast          time.Duration
	fastResources []string
}

func autoSettingsOf(cfg *configv1.Config) autoSettings {
	a := cfg.GetAutoSync()
	or := func(v, d int32) int32 {
		if v <= 0 {
			return d
		}
		return v
	}
	out := autoSettings{
		poll:          time.Duration(or(a.GetPollIntervalSeconds(), defaultPollSeconds)) * time.Second,
		cooldown:      time.Duration(or(a.GetCooldownSeconds(), defaultCooldownSeconds)) * time.Second,
		maxPerHour:    int(or(a.GetMaxSyncsPerHour(), defaultMaxSyncsPerHour)),
		disableAft:    int(or(a.GetDisableAfterFailures(), defaultDisableAfterFail)),
		fastResources: a.GetFastResources(),
	}
	if a.GetFastPollIntervalSeconds() > 0 && len(a.GetFastResources()) > 0 {
		out.fast = time.Duration(a.GetFastPollIntervalSeconds()) * time.Second
	}
	return out
}

func (s *Service) now() time.Time { return s.opts.Automation.Now().UTC() }

// startAutomation starts the watcher (when a probe client is set) and the alert subscriptions (when alerts are
// configured).
func (s *Service) startAutomation(ctx context.Context) error {
	s.auto.busy = map[string]bool{}
	if s.deps.Probe != nil {
		s.goBackground(func() { s.watchLoop(ctx) })
	}
	if s.deps.Alerts != nil {
		return s.subscribeAlerts(ctx)
	}
	return nil
}

func (s *Service) watchLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.Automation.Tick)
	defer t.Stop()
	for {
		s.watchOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchOnce looks at every active automatic configuration; each is handled in its own goroutine so that a slow
// source does not delay the others, and never twice at once.
func (s *Service) watchOnce(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	active := true
	resp, err := s.deps.Config.ListConfigs(cctx, &configv1.ListConfigsRequest{
		ExecutionMode: configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC, Active: &active,
	})
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("automatic configurations not read", slog.String("error", callError(err)))
		}
		return
	}
	for _, cfg := range resp.GetConfigs() {
		if !cfg.GetActive() || cfg.GetExecutionMode() != configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC {
			continue
		}
		id := cfg.GetId()
		s.auto.mu.Lock()
		if s.auto.busy[id] {
			s.auto.mu.Unlock()
			continue
		}
		s.auto.busy[id] = true
		s.auto.mu.Unlock()
		s.goBackground(func() {
			defer func() {
				s.auto.mu.Lock()
				delete(s.auto.busy, id)
				s.auto.mu.Unlock()
			}()
			if err := s.watchConfig(ctx, cfg); err != nil && ctx.Err() == nil {
				s.log.Warn("automatic configuration not checked", slog.String("config_id", id), slog.String("error", err.Error()))
			}
		})
	}
}

// watchConfig does what is due for one configuration: account for its last job, then check the source and
// launch a job when something changed.
func (s *Service) watchConfig(ctx context.Context, cfg *configv1.Config) error {
	now := s.now()
	set := autoSettingsOf(cfg)
	st, err := s.autoState(ctx, cfg.GetId(), cfg.GetName(), modeAutomatic)
	if err != nil {
		return err
	}
	if st.DisabledReason != "" {
		if cfg.GetUpdateTime() == nil || !cfg.GetUpdateTime().AsTime().After(st.UpdateTime) {
			// Switching the configuration off did not reach the config service: try again.
			return s.disableAutomatic(ctx, cfg, st, st.DisabledReason)
		}
		st.DisabledReason, st.ConsecutiveFailures, st.CooldownUntil = "", 0, sql.NullTime{}
		st.NextCheckTime, st.Phase = sql.NullTime{}, phaseWatching
		s.log.Info("automatic configuration activated again", slog.String("config_id", cfg.GetId()))
	}

	// The last job's outcome.
	latest, err := s.latestJob(ctx, cfg.GetId())
	if err != nil {
		return err
	}
	if latest != nil {
		switch {
		case activeStatus(latest.GetStatus()):
			st.Phase = phaseSyncing
			return s.saveAutoState(ctx, st)
		case st.LastJobID == "" && st.Checks == 0 && st.LaunchedJobID == "":
			st.LastJobID = latest.GetId() // history from before the configuration was automatic
		case latest.GetId() != st.LastJobID:
			st.LastJobID = latest.GetId()
			switch latest.GetStatus() {
			case orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS:
				st.ConsecutiveFailures, st.JobSince, st.FastJobSince = 0, "", ""
			case orchestratorv1.JobStatus_JOB_STATUS_CANCELLED:
				st.restoreSince() // what it did not copy is found again
				st.JobSince, st.FastJobSince = "", ""
			default: // FAILED, FAILED_PERMANENTLY
				st.restoreSince()
				st.ConsecutiveFailures++
				st.CooldownUntil = sql.NullTime{Time: now.Add(set.cooldown), Valid: true}
				st.LastCheckResult = fmt.Sprintf("job %s failed (%d consecutive failures): no check before %s",
					latest.GetId(), st.ConsecutiveFailures, st.CooldownUntil.Time.Format(time.RFC3339))
				if st.ConsecutiveFailures >= set.disableAft {
					return s.disableAutomatic(ctx, cfg, st, fmt.Sprintf("automatic mode switched off after %d consecutive failures; the last: job %s %s",
						st.ConsecutiveFailures, latest.GetId(), strings.ToLower(strings.TrimPrefix(latest.GetStatus().String(), "JOB_STATUS_"))))
				}
			}
		}
	}
	if st.CooldownUntil.Valid && now.Before(st.CooldownUntil.Time) {
		st.Phase, st.NextCheckTime = phaseCooling, st.CooldownUntil
		return s.saveAutoState(ctx, st)
	}
	// The next check is computed from the last one and the current settings, so that an edited interval or
	// limit counts from the next tick. A full check is due every poll interval; a high-frequency check of the
	// fast resources every fast interval in between.
	mainNext, fast := now, false
	if st.LastCheckTime.Valid {
		mainNext = st.LastCheckTime.Time.Add(set.poll)
	}
	next := mainNext
	if set.fast > 0 && st.Since != "" {
		fastNext := st.LastCheckTime.Time.Add(set.fast)
		if st.FastCheckTime.Valid && st.FastCheckTime.Time.After(st.LastCheckTime.Time) {
			fastNext = st.FastCheckTime.Time.Add(set.fast)
		}
		if fastNext.Before(mainNext) {
			next, fast = fastNext, true
		}
	}
	if now.Before(next) && st.Phase != phaseRateLimited {
		if st.Phase != phaseWatching || !st.NextCheckTime.Time.Equal(next) {
			st.Phase, st.NextCheckTime = phaseWatching, sql.NullTime{Time: next, Valid: true}
			return s.saveAutoState(ctx, st)
		}
		return nil
	}
	if !now.Before(mainNext) {
		fast = false
	}
	n, oldest, err := s.launchesSince(ctx, cfg.GetId(), now.Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= set.maxPerHour {
		if st.Phase == phaseRateLimited && st.NextCheckTime.Valid && st.NextCheckTime.Time.Equal(oldest.Add(time.Hour)) {
			return nil
		}
		st.Phase = phaseRateLimited
		st.NextCheckTime = sql.NullTime{Time: oldest.Add(time.Hour), Valid: true}
		st.LastCheckResult = fmt.Sprintf("%d automatic runs in the last hour (maxSyncsPerHour %d): no check before %s",
			n, set.maxPerHour, st.NextCheckTime.Time.Format(time.RFC3339))
		return s.saveAutoState(ctx, st)
	}
	return s.check(ctx, cfg, st, set, now, fast)
}

// restoreSince moves the points of comparison back to where they were before the last launch.
func (st *autoRow) restoreSince() {
	st.Since = orElse(st.JobSince, st.Since)
	st.FastSince = orElse(st.FastJobSince, st.FastSince)
}

// check probes the source (only the fast resources for a high-frequency check) and launches a job when it
// changed.
func (s *Service) check(ctx context.Context, cfg *configv1.Config, st *autoRow, set autoSettings, now time.Time, fast bool) error {
	st.Phase, st.Checks = phaseWatching, st.Checks+1
	since, label := st.Since, ""
	var resources []string
	if fast {
		st.FastCheckTime = sql.NullTime{Time: now, Valid: true}
		since, resources, label = orElse(st.FastSince, st.Since), set.fastResources, "fast check of "+strings.Join(set.fastResources, ", ")+": "
		st.NextCheckTime = sql.NullTime{Time: now.Add(min(set.fast, st.LastCheckTime.Time.Add(set.poll).Sub(now))), Valid: true}
	} else {
		st.LastCheckTime = sql.NullTime{Time: now, Valid: true}
		st.NextCheckTime = sql.NullTime{Time: now.Add(set.poll), Valid: true}
		if set.fast > 0 {
			st.NextCheckTime.Time = now.Add(set.fast)
		}
	}
	cfgJSON, err := protojson.Marshal(cfg)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, max(s.opts.CallTimeout, 2*time.Minute))
	resp, err := s.deps.Probe.ProbeChanges(pctx, &extractorv1.ProbeChangesRequest{
		SourceInstanceId: cfg.GetSourceInstanceId(), ConfigJson: string(cfgJSON), Since: since, Resources: resources,
	})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		st.ConsecutiveFailures++
		st.LastCheckResult = fmt.Sprintf("%scheck failed (%d consecutive failures): %s", label, st.ConsecutiveFailures, callError(err))
		s.log.Warn("automatic check failed", slog.String("config_id", cfg.GetId()), slog.String("error", callError(err)))
		if st.ConsecutiveFailures >= set.disableAft {
			return s.disableAutomatic(ctx, cfg, st, fmt.Sprintf("automatic mode switched off after %d consecutive failures; the last: the source could not be checked: %s",
				st.ConsecutiveFailures, callError(err)))
		}
		return s.saveAutoState(ctx, st)
	}
	var note string
	switch {
	case st.Since == "":
		note = "first automatic run: nothing to compare the source with yet, so every resource is read from the destinations' watermarks"
	case len(resp.GetChanges()) == 0:
		st.LastCheckResult, st.ConsecutiveFailures = label+"no change", 0
		if st.FastSince = resp.GetServerDate(); !fast {
			st.Since = resp.GetServerDate() // a full check covers the fast resources too
		}
		if resp.GetRequests() > 0 {
			st.LastCheckResult += fmt.Sprintf(" (%d requests to the source)", resp.GetRequests())
		}
		return s.saveAutoState(ctx, st)
	default:
		note = "changes detected at the source since " + since + ": " + describeChanges(resp.GetChanges())
		if fast {
			note = "changes detected by the " + strings.TrimSuffix(label, ": ") + " since " + since + ": " + describeChanges(resp.GetChanges())
		}
	}
	job, err := s.launch(ctx, cfg.GetId(), launch{trigger: "AUTOMATIC", note: note})
	var running *AlreadyRunningError
	switch {
	case errors.As(err, &running):
		// A manual run started meanwhile; the point of comparison stays, so the next check finds the changes.
		st.Phase, st.LastCheckResult = phaseSyncing, note+"; job "+running.JobID+" is running: the next check picks them up"
		return s.saveAutoState(ctx, st)
	case err != nil:
		st.ConsecutiveFailures++
		st.LastCheckResult = "changes found but no job could start: " + err.Error()
		if st.ConsecutiveFailures >= set.disableAft {
			return s.disableAutomatic(ctx, cfg, st, "automatic mode switched off after repeated failures; the last: "+st.LastCheckResult)
		}
		return s.saveAutoState(ctx, st)
	}
	// The job copies every resource from the watermarks: both points of comparison move to this check.
	st.JobSince, st.FastJobSince = st.Since, orElse(st.FastSince, st.Since)
	st.Since, st.FastSince = resp.GetServerDate(), resp.GetServerDate()
	st.LaunchedJobID, st.Phase = job.GetId(), phaseSyncing
	st.LastCheckResult = label + describeChanges(resp.GetChanges()) + " → job " + job.GetId()
	if len(resp.GetChanges()) == 0 {
		st.LastCheckResult = "first check → job " + job.GetId()
	}
	if err := s.recordAutomaticLaunch(ctx, cfg.GetId(), job.GetId(), now); err != nil {
		return err
	}
	return s.saveAutoState(ctx, st)
}

// disableAutomatic switches the configuration off with a reason, records it and alerts. The state is saved
// first: when the config service does not take the change, the next tick sees the reason and tries again.
func (s *Service) disableAutomatic(ctx context.Context, cfg *configv1.Config, st *autoRow, reason string) error {
	st.DisabledReason, st.Phase, st.NextCheckTime = reason, phaseDisabled, sql.NullTime{}
	if err := s.saveAutoState(ctx, st); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	cur, err := s.deps.Config.GetConfig(cctx, &configv1.GetConfigRequest{Id: cfg.GetId()})
	if err == nil {
		c := cur.GetConfig()
		c.Active, c.InactiveReason = false, reason
		_, err = s.deps.Config.UpdateConfig(cctx, &configv1.UpdateConfigRequest{Config: c})
	}
	if err != nil {
		return fmt.Errorf("switch off configuration %s: %s", cfg.GetId(), callError(err))
	}
	s.log.Warn("automatic configuration switched off", slog.String("config_id", cfg.GetId()), slog.String("reason", reason))
	s.alertOnce(ctx, fmt.Sprintf("disabled:%s:%d", cfg.GetId(), st.Checks), alert.Alert{
		Kind: alert.AutomaticDisabled, Subject: "automatic sync switched off: " + cfg.GetName(),
		Text: reason + ". Fix the cause, then activate the configuration again.", ConfigID: cfg.GetId(), ConfigName: cfg.GetName(),
	}, cfg)
	return nil
}

// latestJob is the configuration's most recent top-level job, or nil.
func (s *Service) latestJob(ctx context.Context, configID string) (*orchestratorv1.Job, error) {
	resp, err := s.ListJobs(ctx, &orchestratorv1.ListJobsRequest{ConfigId: configID, PageSize: 1})
	if err != nil {
		return nil, err
	}
	if len(resp.GetJobs()) == 0 {
		return nil, nil
	}
	return resp.GetJobs()[0], nil
}

func activeStatus(s orchestratorv1.JobStatus) bool {
	switch s {
	case orchestratorv1.JobStatus_JOB_STATUS_PENDING, orchestratorv1.JobStatus_JOB_STATUS_RUNNING, orchestratorv1.JobStatus_JOB_STATUS_RETRYING:
		return true
	}
	return false
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var changeNames = map[string]string{
	"dataValues": "data values", "events": "events", "trackedEntities": "tracked entities",
}

// describeChanges renders a probe's answer: "dataElements: 3 changed; data values: 120 changed in 2 data sets".
func describeChanges(cs []*extractorv1.ResourceChange) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		n := fmt.Sprint(c.GetChanged())
		if c.GetAtLeast() {
			n = "at least " + n
		}
		if c.GetResource() == "deletedObjects" {
			parts = append(parts, "metadata deletions: "+n)
			continue
		}
		p := fmt.Sprintf("%s: %s changed", orElse(changeNames[c.GetResource()], c.GetResource()), n)
		if c.GetDetail() != "" {
			p += " " + c.GetDetail()
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}
