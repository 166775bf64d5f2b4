package config

import (
	"os"
	"strconv"
	"strings"
	"sync"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// MaxAlertRecipients bounds each recipient list of a configuration.
const MaxAlertRecipients = 20

// MinPollSecondsEnv lowers the smallest autoSync.pollIntervalSeconds accepted (default MinPollSeconds), for
// tests and demonstrations against sources that can take the load; it cannot go below 1.
const MinPollSecondsEnv = "DHIS2SYNC_AUTOSYNC_MIN_POLL_SECONDS"

var minPollSeconds = sync.OnceValue(func() int32 {
	if v, err := strconv.Atoi(strings.TrimSpace(os.Getenv(MinPollSecondsEnv))); err == nil && v >= 1 && v < MinPollSeconds {
		return int32(v)
	}
	return MinPollSeconds
})

// MinFastPollSeconds is the shortest high-frequency interval (lowered with the regular minimum for tests).
const MinFastPollSeconds = 30

// fastResourceNames are the non-metadata resources a high-frequency check may watch.
var fastResourceNames = []string{"dataValues", "events", "trackedEntities", "deletedObjects"}

// checkFastPoll validates high-frequency mode: a shorter interval than the regular one, and what it watches.
func checkFastPoll(vs *fielderr.List, a *configv1.AutoSync) {
	if a == nil || (a.FastPollIntervalSeconds == 0 && len(a.FastResources) == 0) {
		return
	}
	lo := min(int32(MinFastPollSeconds), minPollSeconds())
	poll := a.PollIntervalSeconds
	if poll == 0 {
		poll = DefaultPollIntervalSeconds
	}
	switch {
	case a.FastPollIntervalSeconds == 0:
		vs.Addf("autoSync.fastPollIntervalSeconds", "is required with autoSync.fastResources: give the shorter interval in seconds (at least %d)", lo)
	case a.FastPollIntervalSeconds < lo || a.FastPollIntervalSeconds >= poll:
		vs.Addf("autoSync.fastPollIntervalSeconds", "is %d: use %d seconds or more, and less than autoSync.pollIntervalSeconds (%d)", a.FastPollIntervalSeconds, lo, poll)
	}
	if len(a.FastResources) == 0 {
		vs.Addf("autoSync.fastResources", "is empty: name what the fast checks watch, e.g. [\"dataValues\"] or [\"dataElements\", \"events\"]")
	}
	known := map[string]bool{}
	for _, t := range metadataplan.Order() {
		known[t.Resource] = true
	}
	for _, r := range fastResourceNames {
		known[r] = true
	}
	for i, r := range a.FastResources {
		if !known[r] {
			vs.Addf("autoSync.fastResources["+strconv.Itoa(i)+"]", "%q is not a resource dhis2sync watches: use a metadata collection such as \"dataElements\", or one of %s", r, strings.Join(fastResourceNames, ", "))
		}
	}
}

func checkAlerts(vs *fielderr.List, a *configv1.Alerts) {
	if a == nil {
		return
	}
	if len(a.Emails) > MaxAlertRecipients {
		vs.Addf("alerts.emails", "has %d addresses: at most %d (use a mailing list)", len(a.Emails), MaxAlertRecipients)
	}
	for i, e := range a.Emails {
		if err := alert.ValidEmail(e); err != nil {
			vs.Addf("alerts.emails["+strconv.Itoa(i)+"]", "%v", err)
		}
	}
	if len(a.WebhookUrls) > MaxAlertRecipients {
		vs.Addf("alerts.webhookUrls", "has %d URLs: at most %d", len(a.WebhookUrls), MaxAlertRecipients)
	}
	for i, u := range a.WebhookUrls {
		if err := alert.ValidWebhookURL(u); err != nil {
			vs.Addf("alerts.webhookUrls["+strconv.Itoa(i)+"]", "%v", err)
		}
	}
}
