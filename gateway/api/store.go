package api

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Schema is the PostgreSQL schema the gateway owns.
const Schema = "gateway"

//go:embed migrations/*.sql
var migrationFiles embed.FS

var (
	errNotFound      = errors.New("not found")
	errAlreadyExists = errors.New("already exists")
)

// Store keeps users, tokens and the audit trail in the gateway schema.
type Store struct {
	db *sqlx.DB
}

// OpenStore connects to dsn, creating and migrating the gateway schema when needed.
func OpenStore(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("gateway migrations: %w", err)
	}
	db, err := pgdb.Open(ctx, dsn, Schema, migrations, log)
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the database connections.
func (s *Store) Close() error { return s.db.Close() }

func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
