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
		if !strings.Contains(msg, tt.kind.String()) || !strings.Contains(msg, "do this") {
			t.Errorf("kind %v: message %q lacks the kind or the hint", tt.kind, msg)
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
