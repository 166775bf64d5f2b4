package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body with the webhook secret>".
const SignatureHeader = "X-Dhis2sync-Signature"

// Sign returns the signature header value of a body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header value in constant time (for receivers written in Go).
func Verify(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}

// postWebhook posts the alert as JSON, retrying network errors, 429 and 5xx with exponential backoff. A 4xx
// other than 429 is final: the receiver refuses the alert and repeating it will not help.
func postWebhook(ctx context.Context, s WebhookSettings, url string, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	attempts, backoff, timeout := s.Attempts, s.Backoff, s.Timeout
	if attempts <= 0 {
		attempts = 5
	}
	if backoff <= 0 {
		backoff = 2 * time.Second
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	client := &http.Client{Timeout: timeout}
	var last error
	for i := range attempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (after %d attempts; last: %v)", ctx.Err(), i, last)
			case <-time.After(backoff << (i - 1)):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("webhook %s: %w", redactURL(url), err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "dhis2sync-alerts")
		req.Header.Set("X-Dhis2sync-Alert", string(a.Kind))
		if s.Secret != "" {
			req.Header.Set(SignatureHeader, Sign(s.Secret, body))
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("HTTP %d", resp.StatusCode)
		default:
			return fmt.Errorf("webhook %s refused the alert: HTTP %d", redactURL(url), resp.StatusCode)
		}
	}
	return fmt.Errorf("webhook %s: %d attempts failed, last: %v", redactURL(url), attempts, last)
}
