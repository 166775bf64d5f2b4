package alert

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"
)

// Settings are the platform's alert channels and recipients.
type Settings struct {
	SMTP       SMTPSettings
	Webhook    WebhookSettings
	Recipients Recipients
	// OnWarnings also alerts the global recipients when a job completes with warnings.
	OnWarnings bool
	// DashboardURL, when set, puts a link to the job or configuration in every alert.
	DashboardURL string
}

// SMTPSettings say how to send email.
type SMTPSettings struct {
	Addr     string // host:port
	Username string
	Password string
	From     string
	// TLS: "starttls" (default: refuse a server without STARTTLS), "tls" (implicit TLS, port 465) or "none"
	// (plain text, for a relay on localhost only).
	TLS string
	// RootCAs verifies the server's certificate; nil means the system pool.
	RootCAs *x509.CertPool
	Timeout time.Duration
}

// WebhookSettings say how to post webhooks.
type WebhookSettings struct {
	// Secret signs every body: header X-Dhis2sync-Signature: sha256=<hex HMAC-SHA256 of the body>.
	Secret   string
	Attempts int           // default 5
	Backoff  time.Duration // first delay, doubled per attempt; default 2s
	Timeout  time.Duration // per attempt; default 10s
}

func (s Settings) secrets() []string {
	return []string{s.SMTP.Password, s.Webhook.Secret}
}

// SettingsFromEnv reads the DHIS2SYNC_ALERT_* and DHIS2SYNC_SMTP_* variables (see the orchestrator's README).
func SettingsFromEnv() (Settings, error) {
	env := func(k string) string { return strings.TrimSpace(os.Getenv(k)) }
	s := Settings{
		SMTP: SMTPSettings{Addr: env("DHIS2SYNC_SMTP_ADDR"), Username: env("DHIS2SYNC_SMTP_USERNAME"),
			Password: os.Getenv("DHIS2SYNC_SMTP_PASSWORD"), From: env("DHIS2SYNC_SMTP_FROM"), TLS: env("DHIS2SYNC_SMTP_TLS")},
		Webhook:      WebhookSettings{Secret: os.Getenv("DHIS2SYNC_ALERT_WEBHOOK_SECRET")},
		Recipients:   Recipients{Emails: list(env("DHIS2SYNC_ALERT_EMAILS")), Webhooks: list(env("DHIS2SYNC_ALERT_WEBHOOKS"))},
		OnWarnings:   env("DHIS2SYNC_ALERT_ON_WARNINGS") == "true",
		DashboardURL: strings.TrimRight(env("DHIS2SYNC_DASHBOARD_URL"), "/"),
	}
	if ca := env("DHIS2SYNC_SMTP_CA_FILE"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return s, fmt.Errorf("DHIS2SYNC_SMTP_CA_FILE: %w", err)
		}
		s.SMTP.RootCAs = x509.NewCertPool()
		if !s.SMTP.RootCAs.AppendCertsFromPEM(pem) {
			return s, fmt.Errorf("DHIS2SYNC_SMTP_CA_FILE %s holds no PEM certificate", ca)
		}
	}
	return s, s.Validate()
}

// Validate says what is wrong with the settings, in the words of the environment variables.
func (s Settings) Validate() error {
	if s.SMTP.Addr != "" {
		if _, _, err := net.SplitHostPort(s.SMTP.Addr); err != nil {
			return fmt.Errorf("DHIS2SYNC_SMTP_ADDR must be host:port, e.g. smtp.example.org:587, got %q", s.SMTP.Addr)
		}
		if _, err := mail.ParseAddress(s.SMTP.From); err != nil {
			return fmt.Errorf("DHIS2SYNC_SMTP_FROM must be the sender's email address when DHIS2SYNC_SMTP_ADDR is set, got %q", s.SMTP.From)
		}
		switch s.SMTP.TLS {
		case "", "starttls", "tls", "none":
		default:
			return fmt.Errorf("DHIS2SYNC_SMTP_TLS must be starttls, tls or none, got %q", s.SMTP.TLS)
		}
	}
	for _, e := range s.Recipients.Emails {
		if err := ValidEmail(e); err != nil {
			return fmt.Errorf("DHIS2SYNC_ALERT_EMAILS: %w", err)
		}
	}
	for _, w := range s.Recipients.Webhooks {
		if err := ValidWebhookURL(w); err != nil {
			return fmt.Errorf("DHIS2SYNC_ALERT_WEBHOOKS: %w", err)
		}
	}
	if len(s.Recipients.Webhooks) > 0 && s.Webhook.Secret == "" {
		return fmt.Errorf("DHIS2SYNC_ALERT_WEBHOOK_SECRET is required with DHIS2SYNC_ALERT_WEBHOOKS: receivers check the signature")
	}
	return nil
}

// ValidEmail checks one recipient address.
func ValidEmail(e string) error {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return fmt.Errorf("%q is not an email address such as ops@example.org", e)
	}
	return nil
}

// ValidWebhookURL checks one webhook URL: absolute http(s), no credentials in it.
func ValidWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as https://hooks.example.org/dhis2sync", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials: webhooks are authenticated by their signature, put no password in the URL", Redact(raw))
	}
	return nil
}

func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
