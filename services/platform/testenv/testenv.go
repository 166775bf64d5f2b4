// Package testenv gives integration tests real infrastructure: a scratch PostgreSQL database per test and an
// embedded NATS server with JetStream. Tests that need PostgreSQL read DHIS2SYNC_TEST_DATABASE_URL; without it
// they skip locally but fail under CI=true, so CI never skips silently.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// DatabaseURLEnv names the maintenance DSN integration tests create their databases through.
const DatabaseURLEnv = "DHIS2SYNC_TEST_DATABASE_URL"

// Require returns the variable name that a kind of test cannot run without. When it is unset the test is
// skipped, saying how to set it (hint); under CI (CI=true), where every test must run, it fails instead.
func Require(tb testing.TB, name, kind, hint string) string {
	tb.Helper()
	v := settings.String(name, "")
	if v == "" {
		if settings.String("CI", "") == "true" {
			tb.Fatalf("%s is not set: every %s must run under CI (%s)", name, kind, hint)
		}
		tb.Skipf("%s not set: skipping %s (%s)", name, kind, hint)
	}
	return v
}

// Postgres creates an empty database for the test, drops it at cleanup and returns its DSN.
func Postgres(tb testing.TB) string {
	tb.Helper()
	base := Require(tb, DatabaseURLEnv, "integration test", "make test sets it")
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", DatabaseURLEnv, err)
	}
	admin, err := sqlx.Open("postgres", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "dhis2sync_test_" + strings.ToLower(hex.EncodeToString(b[:]))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		tb.Fatalf("create test database (is PostgreSQL running at %s?): %v", base, err)
	}
	tb.Cleanup(func() {
		db, err := sqlx.Open("postgres", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
	})
	u.Path = "/" + name
	return u.String()
}

// NATS starts an in-process NATS server with JetStream on a random loopback port and returns its URL.
func NATS(tb testing.TB) string {
	tb.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: tb.TempDir(), NoSigs: true, NoLog: true,
		MaxPayload: 8 << 20,
	})
	if err != nil {
		tb.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("embedded nats server not ready")
	}
	tb.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}
