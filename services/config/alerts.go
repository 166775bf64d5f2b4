package config

import (
	"os"
	"strconv"
	"strings"
	"sync"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
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

func checkAlerts(vs *violations, a *configv1.Alerts) {
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
