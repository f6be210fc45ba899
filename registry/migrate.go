package registry

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationFiles holds the schema, one numbered SQL file per version.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is where goose records the applied versions.
const versionTable = "goose_db_version"

// ErrSchemaOutdated means the database lacks migrations the binary carries;
// run Migrate.
var ErrSchemaOutdated = errors.New("registry: database schema is not current")

// Migrate applies every embedded migration the database lacks. Several
// processes may call it at once on one database: a session advisory lock
// makes them take turns, and the later ones find nothing to do. It returns
// an error when a migration fails or the lock is not obtained within five
// minutes.
func Migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("registry: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the highest migration version applied to the
// database (0 when none is) and the highest one embedded in the binary. It
// only reads, so a readiness probe may call it freely.
func SchemaVersion(ctx context.Context, db *sql.DB) (current, latest int64, err error) {
	latest, err = latestVersion()
	if err != nil {
		return 0, 0, err
	}
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	for v := range applied {
		current = max(current, v)
	}
	return current, latest, nil
}

// MigrationsCurrent reports whether every embedded migration has been
// applied to the database. Like SchemaVersion it only reads.
func MigrationsCurrent(ctx context.Context, db *sql.DB) (bool, error) {
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return false, err
	}
	embedded, err := embeddedVersions()
	if err != nil {
		return false, err
	}
	for _, v := range embedded {
		if !applied[v] {
			return false, nil
		}
	}
	return true, nil
}

// provider builds a goose provider over the embedded files that locks the
// database while it migrates and logs nothing.
func provider(db *sql.DB) (*goose.Provider, error) {
	// Waiting processes retry every second, for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("registry: migration lock: %w", err)
	}
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("registry: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		return nil, fmt.Errorf("registry: migrations: %w", err)
	}
	return p, nil
}

// embeddedVersions lists the versions of the embedded migrations, read
// from their file names as goose reads them.
func embeddedVersions() ([]int64, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("registry: migrations: %w", err)
	}
	var vs []int64
	for _, name := range names {
		v, err := goose.NumericComponent(path.Base(name))
		if err != nil {
			return nil, fmt.Errorf("registry: migration %s: %w", name, err)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// latestVersion is the highest embedded migration version.
func latestVersion() (int64, error) {
	vs, err := embeddedVersions()
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, v := range vs {
		latest = max(latest, v)
	}
	return latest, nil
}

// appliedVersions reads the set of applied versions without creating
// goose's table when it is missing. The latest row of a version decides
// whether it stands applied.
func appliedVersions(ctx context.Context, db *sql.DB) (map[int64]bool, error) {
	var table sql.NullString
	err := db.QueryRowContext(ctx, `SELECT to_regclass($1)::text`, versionTable).Scan(&table)
	if err != nil {
		return nil, fmt.Errorf("registry: schema version: %w", err)
	}
	applied := map[int64]bool{}
	if !table.Valid {
		return applied, nil
	}
	rows, err := db.QueryContext(ctx, `
		SELECT DISTINCT ON (version_id) version_id, is_applied
		FROM `+versionTable+`
		ORDER BY version_id, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("registry: schema version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		var ok bool
		if err := rows.Scan(&v, &ok); err != nil {
			return nil, fmt.Errorf("registry: schema version: %w", err)
		}
		if ok && v > 0 {
			applied[v] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: schema version: %w", err)
	}
	return applied, nil
}
