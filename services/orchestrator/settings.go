package orchestrator

import (
	"time"

	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// Options tune the orchestrator. Zero values take the defaults of OptionsFromEnv.
type Options struct {
	// StepTimeout fails a step when no result arrives for this long (DHIS2SYNC_STEP_TIMEOUT, default 10m).
	StepTimeout time.Duration
	// Reassert is how long a step may go without a result before its loaders and extractor are asked again
	// to run it (DHIS2SYNC_STEP_REASSERT, default 30s): a loader or extractor process that died and came back
	// has forgotten the step; asking again is harmless to one that still runs it.
	Reassert time.Duration
	// RetryBase is the first automatic retry delay, doubled for each further try, capped at one hour
	// (DHIS2SYNC_RETRY_BASE, default 1m).
	RetryBase time.Duration
	// RetryMax is the number of automatic retries of a failed job (DHIS2SYNC_RETRY_MAX, default 3; 0 disables).
	RetryMax int
	// Heartbeat is how often a running job's owner says it is alive.
	Heartbeat time.Duration
	// StaleAfter is how long without a heartbeat before another process resumes a job whose owner died.
	StaleAfter time.Duration
	// ScanInterval is how often stale jobs and due retries are looked for.
	ScanInterval time.Duration
	// CancelGrace is how long a cancelled job waits for in-flight results before it ends.
	CancelGrace time.Duration
	// WatchHeartbeat is the interval of "heartbeat" events on WatchJob streams.
	WatchHeartbeat time.Duration
	// ScheduleRefresh is how often scheduled configurations are re-read; 0 disables the scheduler.
	ScheduleRefresh time.Duration
	// CallTimeout bounds each call to the config service, extractor and loader.
	CallTimeout time.Duration
	// Automation tunes automatic mode, the scheduler's clock and alerts (watch_options.go).
	Automation AutomationOptions
}

// OptionsFromEnv reads DHIS2SYNC_STEP_TIMEOUT, DHIS2SYNC_STEP_REASSERT, DHIS2SYNC_RETRY_BASE and DHIS2SYNC_RETRY_MAX.
func OptionsFromEnv() (Options, error) {
	o := Options{ScheduleRefresh: time.Minute}
	var err error
	if o.StepTimeout, err = settings.Duration("DHIS2SYNC_STEP_TIMEOUT", 10*time.Minute); err != nil {
		return o, err
	}
	if o.Reassert, err = settings.Duration("DHIS2SYNC_STEP_REASSERT", 30*time.Second); err != nil {
		return o, err
	}
	if o.RetryBase, err = settings.Duration("DHIS2SYNC_RETRY_BASE", time.Minute); err != nil {
		return o, err
	}
	if o.RetryMax, err = settings.Int("DHIS2SYNC_RETRY_MAX", 3, 0); err != nil {
		return o, err
	}
	if o.Automation, err = automationFromEnv(); err != nil {
		return o, err
	}
	return o.withDefaults(), nil
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.StepTimeout, 10*time.Minute)
	def(&o.Reassert, 30*time.Second)
	def(&o.RetryBase, time.Minute)
	def(&o.Heartbeat, 10*time.Second)
	def(&o.StaleAfter, 45*time.Second)
	def(&o.ScanInterval, 5*time.Second)
	def(&o.CancelGrace, 2*time.Second)
	def(&o.WatchHeartbeat, 15*time.Second)
	def(&o.CallTimeout, 15*time.Second)
	o.Automation = o.Automation.withDefaults()
	return o
}

// retryDelay is the wait before automatic retry number n (1-based): base, 2·base, 4·base … capped at one hour.
func (o Options) retryDelay(n int) time.Duration {
	d := o.RetryBase
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
