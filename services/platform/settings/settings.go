// Package settings reads the environment that every dhis2sync process shares (DESIGN.md §3). Each process
// reads the same names, so one .env file configures a whole stack.
package settings

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
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
// on 9101–9105; the gateway's REST on 8080, its public gRPC on 9100, and the frontend on 8090 (DESIGN.md §3).
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
	DatabaseURL   string // DHIS2SYNC_DATABASE_URL
	NATSURL       string // DHIS2SYNC_NATS_URL
	DataDir       string // DHIS2SYNC_DATA_DIR
	SecretKey     []byte // DHIS2SYNC_SECRET_KEY, base64 of 32 bytes
	AdminUser     string // DHIS2SYNC_ADMIN_USER
	AdminPassword string // DHIS2SYNC_ADMIN_PASSWORD
	LogLevel      string // LOG_LEVEL: debug, info, warn, error
	LogFormat     string // LOG_FORMAT: text or json
	// IdentityDir holds the local certificate authority and every service's certificate and key, with which
	// services authenticate each other over mutual TLS (DHIS2SYNC_IDENTITY_DIR, default <DataDir>/identity).
	IdentityDir string
	// HealthInterval is how often the registry tests every active instance (DHIS2SYNC_HEALTH_INTERVAL, a Go
	// duration such as 30m).
	HealthInterval time.Duration
}

// Load reads the shared environment. Missing optional values get defaults; malformed values are errors that
// name the variable and say what is expected.
func Load() (Settings, error) {
	s := Settings{
		DatabaseURL:   env("DHIS2SYNC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dhis2sync?sslmode=disable"),
		NATSURL:       env("DHIS2SYNC_NATS_URL", "nats://127.0.0.1:4222"),
		DataDir:       env("DHIS2SYNC_DATA_DIR", ".data"),
		AdminUser:     env("DHIS2SYNC_ADMIN_USER", "admin"),
		AdminPassword: os.Getenv("DHIS2SYNC_ADMIN_PASSWORD"),
		LogLevel:      env("LOG_LEVEL", "info"),
		LogFormat:     env("LOG_FORMAT", "text"),
	}
	s.IdentityDir = env("DHIS2SYNC_IDENTITY_DIR", filepath.Join(s.DataDir, "identity"))
	if k := os.Getenv("DHIS2SYNC_SECRET_KEY"); k != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
		if err != nil || len(key) != 32 {
			return s, fmt.Errorf("DHIS2SYNC_SECRET_KEY must be the base64 encoding of 32 random bytes (generate one with: head -c 32 /dev/urandom | base64)")
		}
		s.SecretKey = key
	}
	d, err := time.ParseDuration(env("DHIS2SYNC_HEALTH_INTERVAL", "30m"))
	if err != nil || d < time.Second {
		return s, fmt.Errorf("DHIS2SYNC_HEALTH_INTERVAL must be a duration of at least 1s such as 30m, got %q", os.Getenv("DHIS2SYNC_HEALTH_INTERVAL"))
	}
	s.HealthInterval = d
	return s, nil
}

// Addr returns the listen (and dial) address of a service: DHIS2SYNC_<SERVICE>_ADDR or its default.
func Addr(service string) string {
	name := "DHIS2SYNC_" + strings.ToUpper(strings.ReplaceAll(service, "-", "_")) + "_ADDR"
	return env(name, defaultAddrs[service])
}

func env(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}
