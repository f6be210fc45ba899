package registry

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"

	"github.com/lib/pq"
)

// databaseName is what CreateDatabase and DropDatabase accept: a plain
// lower-case identifier, so a name never needs quoting rules to be safe.
var databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateDatabase creates the database name on the server that serverURL
// (a postgres:// URL of any database there, such as postgres) points at,
// and returns the URL of the new database. The name must be lower-case
// letters, digits and underscores. It returns an error when the name is
// taken or the server cannot be reached.
func CreateDatabase(ctx context.Context, serverURL, name string) (dbURL string, err error) {
	dbURL, err = DatabaseURL(serverURL, name)
	if err != nil {
		return "", err
	}
	err = onServer(ctx, serverURL, `CREATE DATABASE `+pq.QuoteIdentifier(name))
	if err != nil {
		return "", fmt.Errorf("registry: create database %s: %w", name, err)
	}
	return dbURL, nil
}

// DropDatabase drops the database name on the server at serverURL,
// terminating the connections still open to it. A missing database is not
// an error.
func DropDatabase(ctx context.Context, serverURL, name string) error {
	if !databaseName.MatchString(name) {
		return fmt.Errorf("registry: database name %q is not a plain lower-case identifier", name)
	}
	err := onServer(ctx, serverURL, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+
		` WITH (FORCE)`)
	if err != nil {
		return fmt.Errorf("registry: drop database %s: %w", name, err)
	}
	return nil
}

// DatabaseURL returns serverURL with its database replaced by name.
func DatabaseURL(serverURL, name string) (string, error) {
	if !databaseName.MatchString(name) {
		return "", fmt.Errorf("registry: database name %q is not a plain lower-case identifier", name)
	}
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("registry: server URL is not a postgres:// URL")
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// onServer runs one statement on a short-lived connection to serverURL.
func onServer(ctx context.Context, serverURL, stmt string) error {
	db, err := sql.Open("postgres", serverURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
