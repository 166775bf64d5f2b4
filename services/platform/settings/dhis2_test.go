package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadDHIS2Outbound(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DHIS2SYNC_DHIS2_ALLOWED_HOSTS", " HMIS.example.org, *.health.example.net ,")
	t.Setenv("DHIS2SYNC_DHIS2_DENY_PRIVATE", "true")
	t.Setenv("DHIS2SYNC_DHIS2_CA_FILE", ca)
	t.Setenv("DHIS2SYNC_DHIS2_IMPORT_TIMEOUT", "45m")
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	o := s.DHIS2
	if strings.Join(o.AllowedHosts, ",") != "hmis.example.org,*.health.example.net" || !o.DenyPrivate || o.CAFile != ca ||
		o.ImportTimeout != 45*time.Minute || o.RequestTimeout != 0 {
		t.Errorf("loaded %+v", o)
	}
	for name, bad := range map[string]string{
		"DHIS2SYNC_DHIS2_ALLOWED_HOSTS":   "https://hmis.example.org",
		"DHIS2SYNC_DHIS2_DENY_PRIVATE":    "maybe",
		"DHIS2SYNC_DHIS2_CA_FILE":         filepath.Join(t.TempDir(), "missing.pem"),
		"DHIS2SYNC_DHIS2_REQUEST_TIMEOUT": "10ms",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, bad)
			if _, err := Load(); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: %v, want an error naming the variable", name, bad, err)
			}
		})
	}
}
