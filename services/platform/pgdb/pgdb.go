// Package pgdb opens a service's PostgreSQL connection and applies its embedded migrations. Each service owns
// one schema (docs/architecture.md): its connections use that schema as search_path, so its SQL names tables without a
// prefix and can never read another service's tables by accident.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Open connects to dsn with search_path set to schema, creating the database and the schema when they do not
// exist, and applies the migrations in migrations (a directory of goose SQL files at its root) under a
// PostgreSQL advisory lock, so that several replicas starting at once migrate exactly once.
func Open(ctx context.Context, dsn, schema string, migrations fs.FS, log *slog.Logger) (*sqlx.DB, error) {
	if err := ensureDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", withSearchPath(dsn, schema))
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(5)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pq.QuoteIdentifier(schema)); err != nil && !isDuplicate(err) {
		db.Close()
		return nil, fmt.Errorf("postgres: create schema %s: %w", schema, err)
	}
	if migrations != nil {
		if err := migrate(ctx, db, migrations, log); err != nil {
			db.Close()
			return nil, fmt.Errorf("postgres: migrate schema %s: %w", schema, err)
		}
	}
	return db, nil
}

func migrate(ctx context.Context, db *sqlx.DB, migrations fs.FS, log *slog.Logger) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations, goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		log.Info("migration applied", slog.String("file", r.Source.Path), slog.Duration("took", r.Duration))
	}
	return err
}

func ping(ctx context.Context, db *sqlx.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("postgres: cannot connect (check DHIS2SYNC_DATABASE_URL and that PostgreSQL is running): %w", err)
	}
	return nil
}

// ensureDatabase creates the database named in dsn when the server says it does not exist, so that a fresh
// PostgreSQL needs no manual step.
func ensureDatabase(ctx context.Context, dsn string) error {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	err = ping(ctx, db)
	var pqErr *pq.Error
	if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "3D000" { // invalid_catalog_name
		return err
	}
	name, admin, ok := adminDSN(dsn)
	if !ok {
		return err
	}
	adb, aerr := sqlx.Open("postgres", admin)
	if aerr != nil {
		return err
	}
	defer adb.Close()
	if _, cerr := adb.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); cerr != nil && !isDuplicate(cerr) {
		return fmt.Errorf("postgres: database %q does not exist and creating it failed: %w", name, cerr)
	}
	return nil
}

func isDuplicate(err error) bool {
	var pqErr *pq.Error
	// 42P04 duplicate_database, 42P06 duplicate_schema, 23505 unique_violation (concurrent CREATE … IF NOT EXISTS).
	return errors.As(err, &pqErr) && (pqErr.Code == "42P04" || pqErr.Code == "42P06" || pqErr.Code == "23505")
}

// adminDSN returns the database name of dsn and the same DSN pointing at the "postgres" maintenance database.
func adminDSN(dsn string) (name, admin string, ok bool) {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		name = strings.TrimPrefix(u.Path, "/")
		u.Path = "/postgres"
		return name, u.String(), name != ""
	}
	var parts []string
	for _, f := range strings.Fields(dsn) {
		if v, found := strings.CutPrefix(f, "dbname="); found {
			name = v
			continue
		}
		parts = append(parts, f)
	}
	return name, strings.Join(append(parts, "dbname=postgres"), " "), name != ""
}

// withSearchPath adds search_path to a URL or key=value DSN; lib/pq sends unknown keys as run-time parameters.
func withSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

// Migrations returns the goose migrations embedded as migrations/*.sql in a service, rooted at that directory.
func Migrations(embedded fs.FS) fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return sub
}
