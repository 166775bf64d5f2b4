package alert_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/internal/alert"
	"github.com/dhis2sync/dhis2sync/services/internal/alert/alerttest"
)

func TestEmailAndWebhookDelivery(t *testing.T) {
	smtpd := alerttest.StartSMTP(t, "alerts", "smtp-pass-123")
	hook := alerttest.StartWebhook(t, "hook-secret-456", 2) // two 503s, then accepted: retried with backoff
	s := &alert.Sender{Settings: alert.Settings{
		SMTP: alert.SMTPSettings{Addr: smtpd.Addr, Username: "alerts", Password: "smtp-pass-123", From: "dhis2sync@example.org",
			RootCAs: smtpd.Pool},
		Webhook:    alert.WebhookSettings{Secret: "hook-secret-456", Backoff: 10 * time.Millisecond},
		Recipients: alert.Recipients{Emails: []string{"ops@example.org"}},
	}}
	a := alert.Alert{Kind: alert.JobFailed, Subject: "job failed", ConfigName: "National",
		Text: "source https://admin:district@hmis.example.org answered 401 with password=district and token d2pat_abcdef123 and secret hook-secret-456"}
	ds := s.Send(context.Background(), a, alert.Recipients{Emails: []string{"me@example.org"}, Webhooks: []string{hook.URL}})
	for _, d := range ds {
		if d.Err != nil {
			t.Fatalf("%s %s: %v", d.Channel, d.Target, d.Err)
		}
	}
	if len(ds) != 3 {
		t.Fatalf("deliveries %v, want 2 emails and 1 webhook", ds)
	}
	mails := smtpd.Mails()
	if len(mails) != 1 || !mails[0].TLS || mails[0].AuthUser != "alerts" || len(mails[0].To) != 2 {
		t.Fatalf("mails %+v: want one message after STARTTLS, authenticated, to both recipients", mails)
	}
	hooks := hook.Hooks()
	if len(hooks) != 1 || !hooks[0].Valid || hook.Calls() != 3 {
		t.Fatalf("webhook: %d accepted, %d calls, %+v: want one valid signed call after two refusals", len(hooks), hook.Calls(), hooks)
	}
	var got alert.Alert
	if err := json.Unmarshal(hooks[0].Body, &got); err != nil || got.Kind != alert.JobFailed {
		t.Fatalf("webhook body %s: %v", hooks[0].Body, err)
	}
	for _, secret := range []string{"district", "d2pat_abcdef123", "hook-secret-456", "smtp-pass-123"} {
		if strings.Contains(mails[0].Data, secret) || strings.Contains(string(hooks[0].Body), secret) {
			t.Errorf("secret %q reached an alert:\n%s\n%s", secret, mails[0].Data, hooks[0].Body)
		}
	}
	if !strings.Contains(mails[0].Data, "Subject: [dhis2sync] job failed") {
		t.Errorf("subject missing:\n%s", mails[0].Data)
	}
}

func TestSMTPWithoutSTARTTLSTrustIsRefused(t *testing.T) {
	smtpd := alerttest.StartSMTP(t, "", "")
	s := &alert.Sender{Settings: alert.Settings{SMTP: alert.SMTPSettings{Addr: smtpd.Addr, From: "a@example.org"}}} // no RootCAs
	ds := s.Send(context.Background(), alert.Alert{Kind: alert.Test, Subject: "t", Text: "t"}, alert.Recipients{Emails: []string{"x@example.org"}})
	if len(ds) != 1 || ds[0].Err == nil || !strings.Contains(ds[0].Err.Error(), "DHIS2SYNC_SMTP_CA_FILE") {
		t.Fatalf("an untrusted certificate must fail with advice, got %+v", ds)
	}
	if len(smtpd.Mails()) != 0 {
		t.Fatal("mail sent over an unverified connection")
	}
}

func TestWebhookGivesUpAfterAttempts(t *testing.T) {
	hook := alerttest.StartWebhook(t, "s3cret-value", 100)
	s := &alert.Sender{Settings: alert.Settings{Webhook: alert.WebhookSettings{Secret: "s3cret-value", Attempts: 3, Backoff: time.Millisecond}}}
	ds := s.Send(context.Background(), alert.Alert{Kind: alert.Test}, alert.Recipients{Webhooks: []string{hook.URL}})
	if len(ds) != 1 || ds[0].Err == nil || hook.Calls() != 3 {
		t.Fatalf("want 3 attempts then an error, got %d calls, %+v", hook.Calls(), ds)
	}
}

func TestSettingsValidation(t *testing.T) {
	bad := []alert.Settings{
		{SMTP: alert.SMTPSettings{Addr: "nohost", From: "a@example.org"}},
		{SMTP: alert.SMTPSettings{Addr: "h:25", From: "nope"}},
		{Recipients: alert.Recipients{Webhooks: []string{"https://u:p@x.org/h"}}, Webhook: alert.WebhookSettings{Secret: "x"}},
		{Recipients: alert.Recipients{Webhooks: []string{"https://x.org/h"}}},
		{Recipients: alert.Recipients{Emails: []string{"not an email"}}},
	}
	for i, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("settings %d accepted: %+v", i, s)
		}
	}
}
