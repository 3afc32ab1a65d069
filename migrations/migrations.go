package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// AppRole is the role the service runs as: SELECT and INSERT on the ledger,
// no UPDATE, DELETE or TRUNCATE.
const AppRole = "hoso_app"

// SetAppRole switches a connection to AppRole. Its signature fits
// pgxpool.Config.AfterConnect, so every connection of a pool runs with the
// service's reduced privileges:
//
//	cfg.AfterConnect = migrations.SetAppRole
//
// The connecting login must be a member of hoso_app.
func SetAppRole(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "SET ROLE "+pgx.Identifier{AppRole}.Sanitize()); err != nil {
		return fmt.Errorf("migrations: switching to role %s: %w", AppRole, err)
	}
	return nil
}

// Apply brings the schema named by databaseURL's search_path (the login's
// default schema when unset) up to date. Processes that migrate the same
// schema at once take turns on a PostgreSQL session advisory lock; the lock
// id is derived from the schema, so tests migrating their own schemas in
// parallel do not queue behind each other.
func Apply(ctx context.Context, databaseURL string) error {
	// The URL is the service's pool URL: pgxpool's parser takes its pool_*
	// parameters (pool_max_conns…) out, which a plain connection would send
	// to the server as unknown settings and be refused.
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("migrations: opening %s: %w", redact(databaseURL), err)
	}
	db := stdlib.OpenDB(*cfg.ConnConfig)
	defer db.Close()

	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("migrations: connecting: %w", err)
	}
	if !schema.Valid {
		return errors.New("migrations: no current schema: the search_path names no existing schema")
	}

	// Retry every second for up to 5 minutes: a long migration elsewhere
	// should delay start-up, not fail it.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(schema.String)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		// Numbers are reserved per feature (00002 is the Merkle tree's), so
		// a database may have seen a later file before an earlier one was
		// written; each file depends only on 00001.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: applying to schema %s: %w", schema.String, err)
	}
	return nil
}

// lockID mixes the schema into goose's default advisory lock id.
func lockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte(schema))
	return lock.DefaultLockID ^ int64(h.Sum64()&0x7fffffffffffffff)
}

// redact drops the password from a URL for error messages.
func redact(databaseURL string) string {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return "the database URL"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}
