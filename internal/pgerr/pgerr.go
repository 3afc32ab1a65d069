package pgerr

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
)

// Unavailable reports whether err means the database could not be reached or
// dropped the session, so that the same work may succeed unchanged once it
// is back: a lost or refused connection, a closed connection or pool, a
// server shutting down, crashed or starting up, or one out of connection
// slots. It is false for nil, for every other SQLSTATE (a constraint, a
// syntax error, a serialization failure: the work itself is at fault or
// must be redone), and for a bare context.Canceled or
// context.DeadlineExceeded (the caller gave up; the database may be fine).
//
// The SQLSTATEs counted are class 08 (connection exception), 57P01
// (admin_shutdown), 57P02 (crash_shutdown), 57P03 (cannot_connect_now) and
// 53300 (too_many_connections). A *pgconn.PgError decides alone, even inside
// a *pgconn.ConnectError, so a refused password (28P01) is not an outage.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableCode(pgErr.Code)
	}
	// Failing to open a connection is an outage even when it ran out of
	// time (connect_timeout wraps a deadline).
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, puddle.ErrClosedPool) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	// A session cut without a word reads as an early EOF; only pgconn's own
	// errors (the ones that say whether they are safe to retry) are taken as
	// that, since a projection's decoder may return io.EOF for bad data.
	var fromDriver interface{ SafeToRetry() bool }
	if errors.As(err, &fromDriver) && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
		return true
	}
	return false
}

func unavailableCode(code string) bool {
	if pgerrcode.IsConnectionException(code) {
		return true
	}
	switch code {
	case pgerrcode.AdminShutdown, // terminated by an administrator or a fast/immediate shutdown
		pgerrcode.CrashShutdown,    // another backend crashed
		pgerrcode.CannotConnectNow, // starting up, in recovery
		pgerrcode.TooManyConnections:
		return true
	}
	return false
}
