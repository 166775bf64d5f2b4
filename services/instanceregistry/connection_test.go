package instanceregistry

import (
	"errors"
	"strings"
	"testing"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

func TestConnectionOutcome(t *testing.T) {
	tests := []struct {
		kind dhis2.Kind
		want instancev1.ConnectionStatus
	}{
		{dhis2.KindUnreachable, instancev1.ConnectionStatus_CONNECTION_STATUS_UNREACHABLE},
		{dhis2.KindTimeout, instancev1.ConnectionStatus_CONNECTION_STATUS_TIMEOUT},
		{dhis2.KindTLS, instancev1.ConnectionStatus_CONNECTION_STATUS_TLS_ERROR},
		{dhis2.KindUnauthorized, instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED},
		{dhis2.KindForbidden, instancev1.ConnectionStatus_CONNECTION_STATUS_FORBIDDEN},
		{dhis2.KindLoginRedirect, instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT},
		{dhis2.KindMalformed, instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2},
		{dhis2.KindNotFound, instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2},
		{dhis2.KindUnsupportedVersion, instancev1.ConnectionStatus_CONNECTION_STATUS_UNSUPPORTED_VERSION},
		{dhis2.KindServer, instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR},
		{dhis2.KindRateLimited, instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR},
	}
	for _, tt := range tests {
		err := &dhis2.Error{Kind: tt.kind, Op: "read system info", Hint: "do this"}
		got, msg := connectionOutcome(errors.Join(errors.New("context"), err))
		if got != tt.want {
			t.Errorf("kind %v: status %v, want %v", tt.kind, got, tt.want)
		}
		kind, advice, _ := strings.Cut(msg, "; ")
		if kind != tt.kind.String() || len(advice) < len("do this") {
			t.Errorf("kind %v: message %q lacks the kind or advice", tt.kind, msg)
		}
	}
	if got, msg := connectionOutcome(nil); got != instancev1.ConnectionStatus_CONNECTION_STATUS_OK || msg != "" {
		t.Errorf("nil error: %v %q", got, msg)
	}
	if got, _ := connectionOutcome(errors.New("boom")); got != instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR {
		t.Errorf("foreign error: %v", got)
	}
}

func TestStatusColumnRoundTrip(t *testing.T) {
	for v := range instancev1.ConnectionStatus_name {
		s := instancev1.ConnectionStatus(v)
		if s == instancev1.ConnectionStatus_CONNECTION_STATUS_UNSPECIFIED {
			continue
		}
		if got := statusFromColumn(statusColumn(s)); got != s {
			t.Errorf("%v stored as %q reads back as %v", s, statusColumn(s), got)
		}
	}
	if got := statusColumn(instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT); got != "login_redirect" {
		t.Errorf("stored form = %q", got)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		err  *dhis2.Error
		want string
	}{
		{&dhis2.Error{Kind: dhis2.KindUnauthorized, Method: "GET", URL: "https://a.org/api/system/info", HTTPStatus: 401,
			Message: "Account locked", Err: dhis2.KindUnauthorized, Hint: "check the password"},
			"GET https://a.org/api/system/info: unauthorized (HTTP 401): Account locked; check the password"},
		{&dhis2.Error{Kind: dhis2.KindTLS, Method: "GET", URL: "https://a.org/api/system/info", Err: errors.New("x509: expired"), Hint: "h"},
			"GET https://a.org/api/system/info: TLS error: x509: expired; h"},
		{&dhis2.Error{Kind: dhis2.KindUnsupportedVersion, URL: "https://a.org", Message: "the server runs DHIS2 2.35.0", Hint: "h"},
			"https://a.org: unsupported DHIS2 version: the server runs DHIS2 2.35.0; h"},
		{&dhis2.Error{Kind: dhis2.KindServer}, "server error"},
	}
	for _, tt := range tests {
		if got := describe(tt.err, tt.err.Hint); got != tt.want {
			t.Errorf("describe = %q\nwant       %q", got, tt.want)
		}
	}
}
