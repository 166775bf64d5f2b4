package instanceregistry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// connectionTimeouts bound one connection test: an administrator waits for the answer, and a server that
// needs longer than this for /api/system/info is not healthy.
var connectionTimeouts = dhis2.Timeouts{Connect: 10 * time.Second, Request: 30 * time.Second}

// tester calls /api/system/info through the shared DHIS2 client.
type tester struct {
	timeouts dhis2.Timeouts
	// httpClient replaces the client's tuned transport (tests); nil in production.
	httpClient *http.Client
	log        *slog.Logger
	now        func() time.Time
}

// test runs one connection test. The error is non-nil only when ctx was cancelled: every failure of the
// DHIS2 server is a result, not an error.
func (t *tester) test(ctx context.Context, in *instance, creds credentials) (connectionResult, error) {
	start := t.now()
	c, err := dhis2.New(dhis2.Options{
		BaseURL:            in.BaseURL,
		Auth:               dhis2.Auth{Username: creds.Username, Password: creds.Password, Token: creds.Token},
		InsecureSkipVerify: in.InsecureSkipVerify,
		Timeouts:           t.timeouts,
		// A test reports the server's state now; retrying would only delay a clear answer.
		Retry:      dhis2.RetryPolicy{MaxAttempts: 1},
		HTTPClient: t.httpClient,
		Logger:     t.log,
	})
	var info *dhis2.SystemInfo
	if err == nil {
		info, err = c.SystemInfo(ctx)
	}
	if err == nil {
		// The version is known now, so this makes no request; it fails outside the supported range.
		_, err = c.Capabilities(ctx)
	}
	if ctx.Err() != nil {
		// The caller gave up; nothing was learnt about the server.
		return connectionResult{}, ctx.Err()
	}
	// PostgreSQL keeps microseconds; the response, the row and the event show the same instant.
	r := connectionResult{Time: start.Truncate(time.Microsecond), Latency: t.now().Sub(start)}
	r.Status, r.Message = connectionOutcome(err)
	if info != nil {
		r.Version = info.Version.String()
		r.Revision = info.Revision
		r.SystemName = info.SystemName
		r.ServerTimeZone = info.ServerTimeZoneID
		if !info.ServerDate.IsZero() {
			r.ServerDate = info.ServerDate.Format(time.RFC3339Nano)
		}
	}
	return r, nil
}

// connectionOutcome is the one mapping from the DHIS2 client's error kinds to a ConnectionStatus and the
// message shown to administrators (what went wrong and what to do).
func connectionOutcome(err error) (instancev1.ConnectionStatus, string) {
	if err == nil {
		return instancev1.ConnectionStatus_CONNECTION_STATUS_OK, ""
	}
	de, ok := errors.AsType[*dhis2.Error](err)
	if !ok {
		return instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR, err.Error()
	}
	switch de.Kind {
	case dhis2.KindUnreachable:
		return instancev1.ConnectionStatus_CONNECTION_STATUS_UNREACHABLE, describe(de, de.Hint)
	case dhis2.KindTimeout:
		return instancev1.ConnectionStatus_CONNECTION_STATUS_TIMEOUT, describe(de, de.Hint)
	case dhis2.KindTLS:
		return instancev1.ConnectionStatus_CONNECTION_STATUS_TLS_ERROR, describe(de, de.Hint)
	case dhis2.KindUnauthorized:
		return instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED, describe(de, de.Hint)
	case dhis2.KindForbidden:
		return instancev1.ConnectionStatus_CONNECTION_STATUS_FORBIDDEN, describe(de,
			"the account may not read /api/system/info: give its user role the needed authority or use another account")
	case dhis2.KindLoginRedirect:
		return instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT, describe(de, de.Hint)
	case dhis2.KindMalformed, dhis2.KindNotFound, dhis2.KindTooLarge:
		// /api/system/info is missing or answers without a DHIS2 version: whatever is at this address, it is
		// not the API of a DHIS2 server.
		return instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2, describe(de,
			"the address answered, but not like DHIS2 (no /api/system/info with a DHIS2 version): check that the base URL points at the DHIS2 web application and not at a proxy or another application")
	case dhis2.KindUnsupportedVersion:
		return instancev1.ConnectionStatus_CONNECTION_STATUS_UNSUPPORTED_VERSION, describe(de, de.Hint)
	}
	return instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR, describe(de, de.Hint)
}

// describe says where a request failed, how, with the server's own words when it gave any, and what to do:
// "GET https://…/api/system/info: unauthorized (HTTP 401): Account locked; <advice>".
func describe(de *dhis2.Error, advice string) string {
	var b strings.Builder
	if de.URL != "" {
		if de.Method != "" {
			b.WriteString(de.Method + " ")
		}
		b.WriteString(de.URL + ": ")
	}
	b.WriteString(de.Kind.String())
	if de.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", de.HTTPStatus)
	}
	detail := de.Message
	if detail == "" && de.Err != nil && !errors.Is(de.Err, de.Kind) {
		detail = de.Err.Error()
	}
	if detail != "" {
		b.WriteString(": " + detail)
	}
	if advice != "" {
		b.WriteString("; " + advice)
	}
	return b.String()
}
