package orchestrator

import (
	"time"

	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// AutomationOptions tune the watcher (automatic mode), the scheduler's clock and the alerts.
type AutomationOptions struct {
	// Tick is how often the watcher looks at its configurations (DHIS2SYNC_WATCH_TICK, default 5s): a check is
	// due at most one tick late.
	Tick time.Duration
	// MissedGrace is how late a cron run may start before it counts as missed (default 1m).
	MissedGrace time.Duration
	// Now is the clock of the scheduler and the watcher; nil means time.Now. Tests set it.
	Now func() time.Time
}

// automationFromEnv reads DHIS2SYNC_WATCH_TICK.
func automationFromEnv() (AutomationOptions, error) {
	tick, err := settings.Duration("DHIS2SYNC_WATCH_TICK", 5*time.Second)
	return AutomationOptions{Tick: tick}, err
}

func (o AutomationOptions) withDefaults() AutomationOptions {
	if o.Tick <= 0 {
		o.Tick = 5 * time.Second
	}
	if o.MissedGrace <= 0 {
		o.MissedGrace = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
