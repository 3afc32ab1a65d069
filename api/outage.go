package api

import (
	"errors"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
)

// unavailableRetryAfter is the Retry-After of a 503 unavailable: long
// enough for a restarting PostgreSQL (crash recovery, a failover) to come
// back, short enough that a client's retry is not a user's long wait.
const unavailableRetryAfter = 5 * time.Second

// databaseUnavailable reports whether err means PostgreSQL could not be
// reached, rather than that it refused the request: the connection could
// not be made or was lost, the server is shutting down, starting or in
// recovery, or the pool is closed. The request itself may be fine, so the
// client is told to retry (503) instead of being shown an internal error.
// Errors are recognized by type and SQLSTATE, never by text.
func databaseUnavailable(err error) bool {
	var (
		connErr *pgconn.ConnectError
		pgErr   *pgconn.PgError
		opErr   *net.OpError // not net.Error: context.DeadlineExceeded is one
		dnsErr  *net.DNSError
	)
	switch {
	case errors.As(err, &connErr), errors.As(err, &opErr), errors.As(err, &dnsErr):
		return true
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "57P01", // admin_shutdown: the server is stopping (fast or immediate)
			"57P02", // crash_shutdown: another backend crashed, the server restarts
			"57P03", // cannot_connect_now: starting up, shutting down, in recovery
			"53300": // too_many_connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection_exception and its subclasses
	}
	// A socket reset or cut shows as a *net.OpError above; a connection pgx
	// closed after such a failure, as ErrConnClosed.
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, puddle.ErrClosedPool)
}
