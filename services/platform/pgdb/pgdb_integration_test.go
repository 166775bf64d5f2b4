package pgdb

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

func TestOpenCreatesDatabaseSchemaAndMigrates(t *testing.T) {
	dsn := testenv.Postgres(t)
	// A database that does not exist yet is created (a fresh PostgreSQL needs no manual step).
	u, _ := url.Parse(dsn)
	u.Path += "_fresh"
	fresh := u.String()
	t.Cleanup(func() { dropDatabase(t, dsn, u.Path[1:]) })

	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	migrations := os.DirFS("testdata/migrations")
	db, err := Open(ctx, fresh, "widgetsvc", migrations, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO widgets (name) VALUES ('a')"); err != nil {
		t.Fatalf("table not created in the service schema: %v", err)
	}
	var schema string
	if err := db.GetContext(ctx, &schema, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'widgets'"); err != nil || schema != "widgetsvc" {
		t.Fatalf("widgets in schema %q (%v), want widgetsvc", schema, err)
	}
	db.Close()

	// Opening again applies nothing new and keeps the data; another schema is isolated.
	db, err = Open(ctx, fresh, "widgetsvc", migrations, log)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.GetContext(ctx, &n, "SELECT count(*) FROM widgets"); err != nil || n != 1 {
		t.Fatalf("count = %d (%v), want 1", n, err)
	}
	db.Close()
	other, err := Open(ctx, fresh, "othersvc", nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, "SELECT 1 FROM widgets"); err == nil {
		t.Fatal("another service's schema sees widgets")
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := Open(context.Background(), "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "s", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatal("want an error for an unreachable server")
	}
	t.Log(err)
}

func dropDatabase(t *testing.T, dsn, name string) {
	db, err := Open(context.Background(), dsn, "public", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return
	}
	defer db.Close()
	_, _ = db.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
}
