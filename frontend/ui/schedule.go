package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// nextRun returns when a scheduled configuration runs next after now: its five-field cron expression
// evaluated in its time zone (UTC when unset), as the orchestrator's scheduler does.
func nextRun(c *configv1.Config, now time.Time) (time.Time, error) {
	expr := strings.TrimSpace(c.GetSchedule().GetCron())
	if expr == "" {
		return time.Time{}, fmt.Errorf("no cron expression")
	}
	tz := c.GetSchedule().GetTimeZone()
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return time.Time{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	sched, err := cron.ParseStandard("CRON_TZ=" + tz + " " + expr)
	if err != nil {
		return time.Time{}, fmt.Errorf("cron %q: %w", expr, err)
	}
	return sched.Next(now), nil
}
