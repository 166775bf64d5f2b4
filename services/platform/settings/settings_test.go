package settings

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestAddr(t *testing.T) {
	if got := Addr(InstanceRegistry); got != "127.0.0.1:9101" {
		t.Errorf("default registry addr = %q", got)
	}
	t.Setenv("DHIS2SYNC_INSTANCE_REGISTRY_ADDR", "0.0.0.0:7000")
	if got := Addr(InstanceRegistry); got != "0.0.0.0:7000" {
		t.Errorf("overridden registry addr = %q", got)
	}
}

func TestLoad(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := map[string]struct {
		env     map[string]string
		wantErr string
		check   func(*testing.T, Settings)
	}{
		"defaults": {check: func(t *testing.T, s Settings) {
			if s.HealthInterval != 30*time.Minute || s.NATSURL != "nats://127.0.0.1:4222" || s.SecretKey != nil {
				t.Errorf("defaults: %+v", s)
			}
		}},
		"secret key":       {env: map[string]string{"DHIS2SYNC_SECRET_KEY": key}, check: func(t *testing.T, s Settings) { checkLen(t, s.SecretKey, 32) }},
		"short secret key": {env: map[string]string{"DHIS2SYNC_SECRET_KEY": base64.StdEncoding.EncodeToString([]byte("short"))}, wantErr: "32 random bytes"},
		"not base64":       {env: map[string]string{"DHIS2SYNC_SECRET_KEY": "***"}, wantErr: "head -c 32 /dev/urandom"},
		"health interval":  {env: map[string]string{"DHIS2SYNC_HEALTH_INTERVAL": "90s"}, check: func(t *testing.T, s Settings) { checkDur(t, s.HealthInterval, 90*time.Second) }},
		"bad interval":     {env: map[string]string{"DHIS2SYNC_HEALTH_INTERVAL": "often"}, wantErr: "DHIS2SYNC_HEALTH_INTERVAL"},
		"secure cookies": {env: map[string]string{"DHIS2SYNC_FRONTEND_SECURE_COOKIES": "true"}, check: func(t *testing.T, s Settings) {
			if !s.SecureCookies || s.GatewayURL != "http://127.0.0.1:8080" || s.LogFormat != "text" {
				t.Errorf("frontend settings: %+v", s)
			}
		}},
		"bad secure cookies": {env: map[string]string{"DHIS2SYNC_FRONTEND_SECURE_COOKIES": "maybe"}, wantErr: "DHIS2SYNC_FRONTEND_SECURE_COOKIES must be true or false"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s, err := Load()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

func checkLen(t *testing.T, b []byte, n int) {
	if len(b) != n {
		t.Errorf("len = %d, want %d", len(b), n)
	}
}

func checkDur(t *testing.T, got, want time.Duration) {
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestIdentityDirAndGatewayGRPCAddr(t *testing.T) {
	t.Setenv("DHIS2SYNC_DATA_DIR", "/srv/dhis2sync")
	s, err := Load()
	if err != nil || s.IdentityDir != "/srv/dhis2sync/identity" {
		t.Errorf("default identity dir = %q (%v)", s.IdentityDir, err)
	}
	t.Setenv("DHIS2SYNC_IDENTITY_DIR", "/etc/dhis2sync/identity")
	if s, _ := Load(); s.IdentityDir != "/etc/dhis2sync/identity" {
		t.Errorf("identity dir = %q", s.IdentityDir)
	}
	if got := Addr(GatewayGRPC); got != "127.0.0.1:9100" {
		t.Errorf("default gateway gRPC addr = %q", got)
	}
	t.Setenv("DHIS2SYNC_GATEWAY_GRPC_ADDR", "0.0.0.0:9200")
	if got := Addr(GatewayGRPC); got != "0.0.0.0:9200" {
		t.Errorf("gateway gRPC addr = %q", got)
	}
}

func TestTypedVariables(t *testing.T) {
	t.Setenv("X_DUR", " 90s ")
	t.Setenv("X_BAD_DUR", "-1m")
	t.Setenv("X_INT", "4")
	t.Setenv("X_NEG", "-1")
	if d, err := Duration("X_DUR", time.Minute); err != nil || d != 90*time.Second {
		t.Errorf("Duration = %v, %v", d, err)
	}
	if d, err := Duration("X_UNSET", time.Minute); err != nil || d != time.Minute {
		t.Errorf("Duration default = %v, %v", d, err)
	}
	if _, err := Duration("X_BAD_DUR", time.Minute); err == nil || !strings.Contains(err.Error(), "X_BAD_DUR must be a positive duration") {
		t.Errorf("negative duration: %v", err)
	}
	if n, err := Int("X_INT", 3, 0); err != nil || n != 4 {
		t.Errorf("Int = %d, %v", n, err)
	}
	if _, err := Int("X_NEG", 3, 0); err == nil || !strings.Contains(err.Error(), "X_NEG must be a whole number of at least 0") {
		t.Errorf("negative int: %v", err)
	}
}
