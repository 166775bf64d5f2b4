package orchestrator

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// scheduleLoop launches SCHEDULED configurations on their cron expressions, in their time zones, re-reading
// the configurations every ScheduleRefresh. A launch while a job of the configuration runs is skipped.
func (s *Service) scheduleLoop(ctx context.Context) {
	c := cron.New()
	c.Start()
	defer func() { <-c.Stop().Done() }()
	type entry struct {
		spec string
		id   cron.EntryID
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
		seen := map[string]bool{}
		for _, cfg := range resp.GetConfigs() {
			spec := cronSpec(cfg.GetSchedule())
			if spec == "" || !cfg.GetActive() || cfg.GetExecutionMode() != configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED {
				continue
			}
			seen[cfg.GetId()] = true
			if e, ok := entries[cfg.GetId()]; ok && e.spec == spec {
				continue
			} else if ok {
				c.Remove(e.id)
			}
			id, name := cfg.GetId(), cfg.GetName()
			eid, err := c.AddFunc(spec, func() { s.launchScheduled(ctx, id, name) })
			if err != nil {
				s.log.Warn("configuration schedule not usable", slog.String("config_id", id), slog.String("spec", spec),
					slog.String("error", err.Error()))
				delete(entries, id)
				continue
			}
			entries[id] = entry{spec: spec, id: eid}
		}
		for id, e := range entries {
			if !seen[id] {
				c.Remove(e.id)
				delete(entries, id)
			}
		}
	}
	t := time.NewTicker(s.opts.ScheduleRefresh)
	defer t.Stop()
	for {
		refresh()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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

func (s *Service) launchScheduled(ctx context.Context, configID, name string) {
	_, err := s.launch(ctx, configID, launch{trigger: "SCHEDULED"})
	var running *AlreadyRunningError
	switch {
	case errors.As(err, &running):
		s.log.Info("scheduled run skipped: the previous job is still running", slog.String("config_id", configID),
			slog.String("job_id", running.JobID))
	case err != nil:
		s.log.Warn("scheduled run not launched", slog.String("config_id", configID), slog.String("config_name", name),
			slog.String("error", err.Error()))
	}
}
