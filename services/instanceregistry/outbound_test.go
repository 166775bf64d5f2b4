package instanceregistry

import (
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// TestBaseURLOutsideOutboundPolicy: the operator's allow-list and private-range denial refuse a base URL at
// registration, naming the setting; the default policy accepts loopback (the demo runs there).
func TestBaseURLOutsideOutboundPolicy(t *testing.T) {
	check := func(raw string) string {
		var v fielderr.List
		normalizeBaseURL(&v, raw)
		return v.String()
	}
	if msg := check("http://127.0.0.1:8081"); msg != "" {
		t.Fatalf("loopback refused by default: %s", msg)
	}
	dhis2.Configure(dhis2.Outbound{AllowedHosts: []string{"*.example.org"}, DenyPrivate: true})
	t.Cleanup(func() { dhis2.Configure(dhis2.Outbound{}) })
	for raw, says := range map[string]string{
		"https://hmis.example.net":  "DHIS2SYNC_DHIS2_ALLOWED_HOSTS",
		"http://127.0.0.1:8081":     "DHIS2SYNC_DHIS2_ALLOWED_HOSTS",
		"https://hmis.example.org/": "",
	} {
		msg := check(raw)
		if (says == "") != (msg == "") || !strings.Contains(msg, says) || (says != "" && !strings.HasPrefix(msg, "baseUrl")) {
			t.Errorf("%s: %q, want a baseUrl violation saying %q", raw, msg, says)
		}
	}
	dhis2.Configure(dhis2.Outbound{DenyPrivate: true})
	if msg := check("http://10.0.0.5/dhis"); !strings.Contains(msg, "DHIS2SYNC_DHIS2_DENY_PRIVATE") {
		t.Errorf("private address: %q", msg)
	}
}
