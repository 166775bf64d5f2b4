package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
)

// scheduleLoop launches SCHEDULED configurations on their cron expressions, in their time zones, re-reading
// the configurations every ScheduleRefresh. Every tick (Automation.Tick) compares the clock with each
// configuration's next run, which is computed from the last run handled (stored in orchestrator.automation),
// so that runs that fell while the orchestrator was down are seen: they are reported (log, alert, automation
// state) and replaced by one catch-up run, never silently skipped and never launched several times over.
func (s *Service) scheduleLoop(ctx context.Context) {
	type entry struct {
		cfg   *configv1.Config
		spec  string
		sched cron.Schedule
	}
	entries := map[string]entry{}
	refresh := func() {
		cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
		defer cancel()
		active := true
		resp, err := s.deps.Config.ListConfigs(cctx, &configv1.ListConfigsRequest{
			ExecutionMode: configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED, Active: &active,
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("scheduled configurations not refreshed", slog.String("error", callError(err)))
			}
			return
		}
		next := map[string]entry{}
		for _, cfg := range resp.GetConfigs() {
			spec := cronSpec(cfg.GetSchedule())
			if spec == "" || !cfg.GetActive() || cfg.GetExecutionMode() != configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED {
				continue
			}
			if e, ok := entries[cfg.GetId()]; ok && e.spec == spec {
				e.cfg = cfg
				next[cfg.GetId()] = e
				continue
			}
			sched, err := cron.ParseStandard(spec)
			if err != nil {
				s.log.Warn("configuration schedule not usable", slog.String("config_id", cfg.GetId()), slog.String("spec", spec),
					slog.String("error", err.Error()))
				continue
			}
			next[cfg.GetId()] = entry{cfg: cfg, spec: spec, sched: sched}
		}
		entries = next
	}
	t := time.NewTicker(s.opts.Automation.Tick)
	defer t.Stop()
	var refreshed time.Time
	for {
		if time.Since(refreshed) >= s.opts.ScheduleRefresh {
			refresh()
			refreshed = time.Now()
		}
		for _, e := range entries {
			if err := s.scheduleTick(ctx, e.cfg, e.sched); err != nil && ctx.Err() == nil {
				s.log.Warn("schedule not evaluated", slog.String("config_id", e.cfg.GetId()), slog.String("error", err.Error()))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scheduleTick launches the configuration when a cron run is due. The first time a configuration is seen its
// schedule starts from now: runs before it was scheduled are not missed runs.
func (s *Service) scheduleTick(ctx context.Context, cfg *configv1.Config, sched cron.Schedule) error {
	now := s.now()
	st, err := s.autoState(ctx, cfg.GetId(), cfg.GetName(), modeScheduled)
	if err != nil {
		return err
	}
	st.Phase = phaseScheduled
	if !st.LastRunTime.Valid {
		st.LastRunTime = sql.NullTime{Time: now, Valid: true}
		st.NextCheckTime = sql.NullTime{Time: sched.Next(now), Valid: true}
		return s.saveAutoState(ctx, st)
	}
	next := sched.Next(st.LastRunTime.Time)
	if next.After(now) {
		if !st.NextCheckTime.Valid || !st.NextCheckTime.Time.Equal(next) {
			st.NextCheckTime = sql.NullTime{Time: next, Valid: true}
			return s.saveAutoState(ctx, st)
		}
		return nil
	}
	var due []time.Time
	for t := next; !t.After(now) && len(due) < 10000; t = sched.Next(t) {
		due = append(due, t)
	}
	latest := due[len(due)-1]
	missed := due[:len(due)-1]
	if now.Sub(latest) > s.opts.Automation.MissedGrace {
		missed = due // even the latest is too late to count as on time
	}
	loc, err := time.LoadLocation(orElse(cfg.GetSchedule().GetTimeZone(), "UTC"))
	if err != nil {
		loc = time.UTC
	}
	note := fmt.Sprintf("scheduled run of %s (%s)", latest.In(loc).Format("2006-01-02 15:04 MST"), cfg.GetSchedule().GetCron())
	if len(missed) > 0 {
		st.MissedRuns = fmt.Sprintf("%d scheduled runs missed between %s and %s (the orchestrator was not running); one catch-up run launched at %s",
			len(missed), missed[0].Format(time.RFC3339), missed[len(missed)-1].Format(time.RFC3339), now.Format(time.RFC3339))
		if len(missed) == 1 {
			st.MissedRuns = fmt.Sprintf("the scheduled run of %s was missed (the orchestrator was not running); one catch-up run launched at %s",
				missed[0].Format(time.RFC3339), now.Format(time.RFC3339))
		}
		note = "catch-up run: " + st.MissedRuns
		s.log.Warn("scheduled runs missed", slog.String("config_id", cfg.GetId()), slog.String("detail", st.MissedRuns))
		s.alertOnce(ctx, fmt.Sprintf("missed:%s:%d", cfg.GetId(), latest.Unix()), alert.Alert{
			Kind: alert.ScheduledRunMissed, Subject: "scheduled run missed: " + cfg.GetName(), Text: st.MissedRuns + ".",
			ConfigID: cfg.GetId(), ConfigName: cfg.GetName(),
		}, cfg)
	}
	// The run is recorded before it is launched: a crash in between loses one run rather than repeating it.
	st.LastRunTime = sql.NullTime{Time: latest, Valid: true}
	st.NextCheckTime = sql.NullTime{Time: sched.Next(latest), Valid: true}
	if err := s.saveAutoState(ctx, st); err != nil {
		return err
	}
	st.LaunchedJobID = s.launchScheduled(ctx, cfg.GetId(), cfg.GetName(), note)
	if st.LaunchedJobID != "" {
		return s.saveAutoState(ctx, st)
	}
	return nil
}

// cronSpec is the robfig/cron spec of a schedule: its five-field expression in its time zone (UTC by default).
func cronSpec(sc *configv1.Schedule) string {
	if sc.GetCron() == "" {
		return ""
	}
	tz := sc.GetTimeZone()
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return ""
	}
	return "CRON_TZ=" + tz + " " + sc.GetCron()
}

// launchScheduled launches a scheduled run and returns its job id ("" when it did not start).
func (s *Service) launchScheduled(ctx context.Context, configID, name, note string) string {
	job, err := s.launch(ctx, configID, launch{trigger: "SCHEDULED", note: note})
	var running *AlreadyRunningError
	switch {
	case errors.As(err, &running):
		s.log.Info("scheduled run skipped: the previous job is still running", slog.String("config_id", configID),
			slog.String("job_id", running.JobID))
	case err != nil:
		s.log.Warn("scheduled run not launched", slog.String("config_id", configID), slog.String("config_name", name),
			slog.String("error", err.Error()))
	default:
		return job.GetId()
	}
	return ""
}
