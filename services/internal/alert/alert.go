// Package alert tells people that something needs them: a job failed, an automatic configuration was switched
// off, an instance became unreachable. It sends email (SMTP with STARTTLS and authentication) and webhooks
// (JSON signed with HMAC-SHA256, retried with backoff). Alerts never carry a secret: every text is redacted
// before it leaves.
package alert

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kind names what happened. Webhook receivers switch on it.
type Kind string

const (
	JobFailed            Kind = "job_failed"
	JobFailedPermanently Kind = "job_failed_permanently"
	JobWarnings          Kind = "job_completed_with_warnings"
	VerificationFailed   Kind = "verification_failed"
	InstanceUnreachable  Kind = "instance_unreachable"
	InstanceBack         Kind = "instance_reachable_again"
	AutomaticDisabled    Kind = "automatic_configuration_disabled"
	ScheduledRunMissed   Kind = "scheduled_run_missed"
	Test                 Kind = "test"
)

// Alert is one notification.
type Alert struct {
	Kind       Kind      `json:"kind"`
	Time       time.Time `json:"time"`
	Subject    string    `json:"subject"`
	Text       string    `json:"text"`
	ConfigID   string    `json:"configId,omitempty"`
	ConfigName string    `json:"configName,omitempty"`
	JobID      string    `json:"jobId,omitempty"`
	InstanceID string    `json:"instanceId,omitempty"`
	// Link points at the dashboard page of the job or configuration, when the dashboard URL is known.
	Link string `json:"link,omitempty"`
}

// Recipients are addresses alerts go to.
type Recipients struct {
	Emails   []string
	Webhooks []string
}

func (r Recipients) merge(o Recipients) Recipients {
	out := Recipients{Emails: slices.Clone(r.Emails), Webhooks: slices.Clone(r.Webhooks)}
	for _, e := range o.Emails {
		if !slices.Contains(out.Emails, e) {
			out.Emails = append(out.Emails, e)
		}
	}
	for _, w := range o.Webhooks {
		if !slices.Contains(out.Webhooks, w) {
			out.Webhooks = append(out.Webhooks, w)
		}
	}
	return out
}

// Delivery is one recipient's outcome.
type Delivery struct {
	Channel string // "email" or "webhook"
	Target  string
	Err     error
}

// Sender delivers alerts to the global recipients plus those of the alert's configuration.
type Sender struct {
	Settings Settings
	Log      *slog.Logger
}

// Enabled reports whether any channel is configured to reach anyone.
func (s *Sender) Enabled(extra Recipients) bool {
	r := s.Settings.Recipients.merge(extra)
	return (len(r.Emails) > 0 && s.Settings.SMTP.Addr != "") || len(r.Webhooks) > 0
}

// Send delivers a to every recipient, concurrently, and returns each outcome. Emails need SMTP settings; without
// them, each email recipient gets an error saying what to set.
func (s *Sender) Send(ctx context.Context, a Alert, extra Recipients) []Delivery {
	if a.Time.IsZero() {
		a.Time = time.Now().UTC()
	}
	a = redactAlert(a, s.Settings.secrets())
	r := s.Settings.Recipients.merge(extra)
	out := make([]Delivery, 0, len(r.Emails)+len(r.Webhooks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	record := func(d Delivery) {
		mu.Lock()
		out = append(out, d)
		mu.Unlock()
		if s.Log != nil {
			if d.Err != nil {
				s.Log.Warn("alert not delivered", slog.String("kind", string(a.Kind)), slog.String("channel", d.Channel),
					slog.String("target", d.Target), slog.String("error", d.Err.Error()))
			} else {
				s.Log.Info("alert delivered", slog.String("kind", string(a.Kind)), slog.String("channel", d.Channel),
					slog.String("target", d.Target))
			}
		}
	}
	if len(r.Emails) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := sendMail(ctx, s.Settings.SMTP, r.Emails, a)
			for _, e := range r.Emails {
				record(Delivery{Channel: "email", Target: e, Err: err})
			}
		}()
	}
	for _, u := range r.Webhooks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			record(Delivery{Channel: "webhook", Target: redactURL(u), Err: postWebhook(ctx, s.Settings.Webhook, u, a)})
		}()
	}
	wg.Wait()
	return out
}

// Redaction: credentials in URLs, key=value secrets, DHIS2 personal access tokens, bearer tokens, and the
// configured secrets themselves.
var (
	urlUserinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@`)
	keyValue    = regexp.MustCompile(`(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|authorization)(["']?\s*[:=]\s*["']?)([^\s"'&,;]+)`)
	patToken    = regexp.MustCompile(`\bd2pat_[A-Za-z0-9]+`)
	bearer      = regexp.MustCompile(`(?i)\b(bearer|basic|apitoken)\s+[A-Za-z0-9._~+/=-]{8,}`)
)

// Redact removes secrets from a text.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = urlUserinfo.ReplaceAllString(s, "${1}[redacted]@")
	s = keyValue.ReplaceAllString(s, "${1}${2}[redacted]")
	s = patToken.ReplaceAllString(s, "[redacted]")
	s = bearer.ReplaceAllString(s, "${1} [redacted]")
	return s
}

func redactURL(u string) string { return Redact(u) }

func redactAlert(a Alert, secrets []string) Alert {
	a.Subject = Redact(a.Subject, secrets...)
	a.Text = Redact(a.Text, secrets...)
	a.ConfigName = Redact(a.ConfigName, secrets...)
	a.Link = Redact(a.Link, secrets...)
	return a
}

// Body is the plain-text rendering of an alert (the email body).
func Body(a Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", a.Text)
	if a.ConfigName != "" || a.ConfigID != "" {
		fmt.Fprintf(&b, "Configuration: %s (%s)\n", a.ConfigName, a.ConfigID)
	}
	if a.JobID != "" {
		fmt.Fprintf(&b, "Job: %s\n", a.JobID)
	}
	if a.InstanceID != "" {
		fmt.Fprintf(&b, "Instance: %s\n", a.InstanceID)
	}
	if a.Link != "" {
		fmt.Fprintf(&b, "Open: %s\n", a.Link)
	}
	fmt.Fprintf(&b, "Time: %s\nKind: %s\n\n-- \ndhis2sync\n", a.Time.UTC().Format(time.RFC3339), a.Kind)
	return b.String()
}
