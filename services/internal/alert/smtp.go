package alert

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// sendMail sends one message to every recipient through the SMTP server, upgrading with STARTTLS (required
// unless TLS is "none") and authenticating with PLAIN when a username is set.
func sendMail(ctx context.Context, s SMTPSettings, to []string, a Alert) error {
	if s.Addr == "" {
		return errors.New("no SMTP server: set DHIS2SYNC_SMTP_ADDR and DHIS2SYNC_SMTP_FROM")
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(s.Addr)
	tlsConf := &tls.Config{ServerName: host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	var err error
	d := &net.Dialer{}
	if s.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConf}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return fmt.Errorf("SMTP server %s: %w", s.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP server %s: %w", s.Addr, err)
	}
	defer c.Close()
	if err := c.Hello("dhis2sync"); err != nil {
		return fmt.Errorf("SMTP EHLO: %w", err)
	}
	if s.TLS == "" || s.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("SMTP server %s does not offer STARTTLS: refusing to send credentials and alerts in clear text (set DHIS2SYNC_SMTP_TLS=none only for a relay on localhost)", s.Addr)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("SMTP STARTTLS with %s: %w (set DHIS2SYNC_SMTP_CA_FILE when the server's certificate is private)", s.Addr, err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("SMTP authentication as %s: %w", s.Username, err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("SMTP MAIL FROM %s: %w", s.From, err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("SMTP RCPT TO %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(message(s.From, to, a)); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	return c.Quit()
}

func message(from string, to []string, a Alert) []byte {
	var b strings.Builder
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from)
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", "[dhis2sync] "+a.Subject))
	h("Date", a.Time.Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	h("X-Dhis2sync-Alert", string(a.Kind))
	b.WriteString("\r\n")
	body := strings.ReplaceAll(Body(a), "\r\n", "\n")
	for _, line := range strings.Split(body, "\n") { // net/smtp's data writer does the dot-stuffing
		b.WriteString(line + "\r\n")
	}
	return []byte(b.String())
}
