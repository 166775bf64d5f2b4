package config

import (
	"embed"
	"io/fs"

	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the config schema's goose migrations, rooted at the migrations directory.
func Migrations() fs.FS { return pgdb.Migrations(migrationFiles) }
