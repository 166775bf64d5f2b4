// Package settings is the one place a dhis2sync process reads its environment (docs/operations.md lists every
// variable). Each process reads the same names, so one .env file configures a whole stack; a service-specific
// knob is read with String, Duration or Int here too, so that malformed values fail the same way everywhere.
package settings

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Service names, as used in DHIS2SYNC_<SERVICE>_ADDR and in logs.
const (
	InstanceRegistry = "instance-registry"
	Config           = "config"
	Orchestrator     = "orchestrator"
	Extractor        = "extractor"
	Loader           = "loader"
	Gateway          = "gateway"
	Frontend         = "frontend"
	// GatewayGRPC names the gateway's public gRPC listener (DHIS2SYNC_GATEWAY_GRPC_ADDR), for integrators.
	GatewayGRPC = "gateway-grpc"
)

// GRPCServices are the processes that take part in internal gRPC and so hold a service identity.
var GRPCServices = []string{InstanceRegistry, Config, Orchestrator, Extractor, Loader, Gateway}

// defaultAddrs are the listen addresses used when DHIS2SYNC_<SERVICE>_ADDR is unset. The gRPC services listen
// on 9101–9105; the gateway's REST on 8080, its public gRPC on 9100, and the frontend on 8090.
var defaultAddrs = map[string]string{
	InstanceRegistry: "127.0.0.1:9101",
	Config:           "127.0.0.1:9102",
	Orchestrator:     "127.0.0.1:9103",
	Extractor:        "127.0.0.1:9104",
	Loader:           "127.0.0.1:9105",
	Gateway:          "127.0.0.1:8080",
	GatewayGRPC:      "127.0.0.1:9100",
	Frontend:         "127.0.0.1:8090",
}

// Settings is the shared environment.
type Settings struct {
	DatabaseURL string // DHIS2SYNC_DATABASE_URL
	NATSURL     string // DHIS2SYNC_NATS_URL
	DataDir     string // DHIS2SYNC_DATA_DIR
	SecretKey   []byte // DHIS2SYNC_SECRET_KEY, base64 of 32 bytes
	// PreviousSecretKey is the key before the last rotation (DHIS2SYNC_SECRET_KEY_PREVIOUS, base64 of 32
	// bytes), for opening old secrets only; the registry checks it.
	PreviousSecretKey string
	AdminUser         string // DHIS2SYNC_ADMIN_USER
	AdminPassword     string // DHIS2SYNC_ADMIN_PASSWORD
	LogLevel          string // LOG_LEVEL: debug, info, warn, error
	LogFormat         string // LOG_FORMAT: text or json
	GatewayURL        string // DHIS2SYNC_GATEWAY_URL: where the dashboard and the demo command find the gateway
	// SecureCookies marks the dashboard's cookies Secure (DHIS2SYNC_FRONTEND_SECURE_COOKIES=true behind HTTPS).
	SecureCookies bool
	// IdentityDir holds the local certificate authority and every service's certificate and key, with which
	// services authenticate each other over mutual TLS (DHIS2SYNC_IDENTITY_DIR, default <DataDir>/identity).
	IdentityDir string
	// HealthInterval is how often the registry tests every active instance (DHIS2SYNC_HEALTH_INTERVAL, a Go
	// duration such as 30m).
	HealthInterval time.Duration
	// DHIS2 is the outbound policy for every call to a DHIS2 server.
	DHIS2 DHIS2Outbound
}

// DHIS2Outbound limits where and how the registry, the extractor and the loader call DHIS2.
type DHIS2Outbound struct {
	// AllowedHosts (DHIS2SYNC_DHIS2_ALLOWED_HOSTS, comma-separated host names or *.domain): when set, only these
	// hosts may be registered and reached.
	AllowedHosts []string
	// DenyPrivate (DHIS2SYNC_DHIS2_DENY_PRIVATE=true) refuses loopback, private and link-local addresses, also
	// when a name resolves to one. Off by default, so that a stack and DHIS2 on one machine work.
	DenyPrivate bool
	// CAFile (DHIS2SYNC_DHIS2_CA_FILE) is a PEM bundle trusted besides the system's roots.
	CAFile string
	// RequestTimeout (DHIS2SYNC_DHIS2_REQUEST_TIMEOUT) bounds short calls; ImportTimeout
	// (DHIS2SYNC_DHIS2_IMPORT_TIMEOUT) one import request. Zero keeps the client's defaults (60s, 30m).
	RequestTimeout, ImportTimeout time.Duration
}

// Load reads the shared environment. Missing optional values get defaults; malformed values are errors that
// name the variable and say what is expected.
func Load() (Settings, error) {
	s := Settings{
		DatabaseURL:       String("DHIS2SYNC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dhis2sync?sslmode=disable"),
		NATSURL:           String("DHIS2SYNC_NATS_URL", "nats://127.0.0.1:4222"),
		DataDir:           String("DHIS2SYNC_DATA_DIR", ".data"),
		AdminUser:         String("DHIS2SYNC_ADMIN_USER", "admin"),
		AdminPassword:     os.Getenv("DHIS2SYNC_ADMIN_PASSWORD"),
		PreviousSecretKey: String("DHIS2SYNC_SECRET_KEY_PREVIOUS", ""),
		GatewayURL:        String("DHIS2SYNC_GATEWAY_URL", "http://127.0.0.1:8080"),
	}
	s.IdentityDir = String("DHIS2SYNC_IDENTITY_DIR", filepath.Join(s.DataDir, "identity"))
	s.LogLevel, s.LogFormat = Log()
	secure, err := Bool("DHIS2SYNC_FRONTEND_SECURE_COOKIES")
	if err != nil {
		return s, err
	}
	s.SecureCookies = secure
	if k := os.Getenv("DHIS2SYNC_SECRET_KEY"); k != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
		if err != nil || len(key) != 32 {
			return s, fmt.Errorf("DHIS2SYNC_SECRET_KEY must be the base64 encoding of 32 random bytes (generate one with: head -c 32 /dev/urandom | base64)")
		}
		s.SecretKey = key
	}
	d, err := time.ParseDuration(String("DHIS2SYNC_HEALTH_INTERVAL", "30m"))
	if err != nil || d < time.Second {
		return s, fmt.Errorf("DHIS2SYNC_HEALTH_INTERVAL must be a duration of at least 1s such as 30m, got %q", os.Getenv("DHIS2SYNC_HEALTH_INTERVAL"))
	}
	s.HealthInterval = d
	if s.DHIS2, err = loadDHIS2Outbound(); err != nil {
		return s, err
	}
	return s, nil
}

func loadDHIS2Outbound() (DHIS2Outbound, error) {
	var o DHIS2Outbound
	for _, h := range strings.Split(String("DHIS2SYNC_DHIS2_ALLOWED_HOSTS", ""), ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/: ") || strings.Contains(strings.TrimPrefix(h, "*."), "*") {
			return o, fmt.Errorf("DHIS2SYNC_DHIS2_ALLOWED_HOSTS: %q is not a host name: list host names such as hmis.example.org or *.example.org, separated by commas", h)
		}
		o.AllowedHosts = append(o.AllowedHosts, h)
	}
	switch v := strings.ToLower(String("DHIS2SYNC_DHIS2_DENY_PRIVATE", "false")); v {
	case "true", "1", "yes":
		o.DenyPrivate = true
	case "false", "0", "no":
	default:
		return o, fmt.Errorf("DHIS2SYNC_DHIS2_DENY_PRIVATE must be true or false, got %q", v)
	}
	o.CAFile = String("DHIS2SYNC_DHIS2_CA_FILE", "")
	if o.CAFile != "" {
		if _, err := os.Stat(o.CAFile); err != nil {
			return o, fmt.Errorf("DHIS2SYNC_DHIS2_CA_FILE: %v: point it at a PEM file of trusted certificates", err)
		}
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"DHIS2SYNC_DHIS2_REQUEST_TIMEOUT", &o.RequestTimeout}, {"DHIS2SYNC_DHIS2_IMPORT_TIMEOUT", &o.ImportTimeout}} {
		if v := String(d.name, ""); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t < time.Second {
				return o, fmt.Errorf("%s must be a duration of at least 1s such as 90s or 45m, got %q", d.name, v)
			}
			*d.to = t
		}
	}
	return o, nil
}

// Log returns LOG_LEVEL and LOG_FORMAT with their defaults (info, text), for processes such as the simulator
// that need a logger but none of the rest of Load.
func Log() (level, format string) {
	return String("LOG_LEVEL", "info"), String("LOG_FORMAT", "text")
}

// Secret returns the variable name as given, untrimmed: a password may begin or end with a space.
func Secret(name string) string { return os.Getenv(name) }

// String returns the variable name, trimmed, or def when it is unset or blank.
func String(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

// Duration returns the variable name as a positive Go duration, or def when it is unset; anything else is an
// error that names the variable.
func Duration(name string, def time.Duration) (time.Duration, error) {
	v := String(name, "")
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a positive duration such as 10m, got %q", name, v)
	}
	return d, nil
}

// Int returns the variable name as a whole number of at least minimum, or def when it is unset; anything else
// is an error that names the variable.
func Int(name string, def, minimum int) (int, error) {
	v := String(name, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < minimum {
		return 0, fmt.Errorf("%s must be a whole number of at least %d, got %q", name, minimum, v)
	}
	return n, nil
}

// Bool returns the variable name as true or false (unset is false); anything else is an error that names it.
func Bool(name string) (bool, error) {
	switch v := strings.ToLower(String(name, "false")); v {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	default:
		return false, fmt.Errorf("%s must be true or false, got %q", name, v)
	}
}

// Addr returns the listen (and dial) address of a service: DHIS2SYNC_<SERVICE>_ADDR or its default.
func Addr(service string) string {
	name := "DHIS2SYNC_" + strings.ToUpper(strings.ReplaceAll(service, "-", "_")) + "_ADDR"
	return String(name, defaultAddrs[service])
}
