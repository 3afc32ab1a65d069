package pgerr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/hoso-ledger/hoso/internal/pgerr"
)

func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Real driver errors where they can be had without a server: a refused
	// connection and a closed pool.
	_, refused := pgconn.Connect(ctx, "postgres://nobody@/none?host="+filepath.Join(t.TempDir(), "no-server")+"&sslmode=disable")
	if refused == nil {
		t.Fatal("connecting to a missing socket succeeded")
	}
	pool, err := pgxpool.New(ctx, "postgres://nobody@/none?host=/nonexistent&sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
	_, closedPool := pool.Acquire(ctx)
	if closedPool == nil {
		t.Fatal("acquiring from a closed pool succeeded")
	}
	pgErr := func(code string) error { return &pgconn.PgError{Severity: "FATAL", Code: code} }
	// pgconn's read errors carry SafeToRetry; this stands in for one.
	driverEOF := &driverError{err: io.ErrUnexpectedEOF}

	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection refused (real)", refused, true},
		{"closed pool (real)", closedPool, true},
		{"puddle.ErrClosedPool", fmt.Errorf("acquire: %w", puddle.ErrClosedPool), true},
		{"pgconn.ErrConnClosed", fmt.Errorf("begin: %w", pgconn.ErrConnClosed), true},
		{"net.OpError", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"08006 connection_failure", pgErr(pgerrcode.ConnectionFailure), true},
		{"08001 client cannot connect", pgErr(pgerrcode.SQLClientUnableToEstablishSQLConnection), true},
		{"57P01 admin_shutdown, wrapped", fmt.Errorf("commit: %w", pgErr(pgerrcode.AdminShutdown)), true},
		{"57P02 crash_shutdown", pgErr(pgerrcode.CrashShutdown), true},
		{"57P03 cannot_connect_now", pgErr(pgerrcode.CannotConnectNow), true},
		{"53300 too_many_connections", pgErr(pgerrcode.TooManyConnections), true},
		{"EOF from the driver", driverEOF, true},
		{"23505 unique_violation", pgErr(pgerrcode.UniqueViolation), false},
		{"40001 serialization_failure", pgErr(pgerrcode.SerializationFailure), false},
		{"42P01 undefined_table", pgErr(pgerrcode.UndefinedTable), false},
		{"57014 query_canceled", pgErr(pgerrcode.QueryCanceled), false},
		{"28P01 invalid_password", pgErr(pgerrcode.InvalidPassword), false},
		{"context.DeadlineExceeded", context.DeadlineExceeded, false},
		{"context.DeadlineExceeded, wrapped", fmt.Errorf("apply: %w", context.DeadlineExceeded), false},
		{"context.Canceled", context.Canceled, false},
		{"bare io.EOF (a decoder's)", io.EOF, false},
		{"bare io.ErrUnexpectedEOF", fmt.Errorf("decoding: %w", io.ErrUnexpectedEOF), false},
		{"message text alone", errors.New("connection refused"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := pgerr.Unavailable(tc.err); got != tc.want {
				t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

type driverError struct{ err error }

func (e *driverError) Error() string     { return "failed to receive message: " + e.err.Error() }
func (e *driverError) Unwrap() error     { return e.err }
func (e *driverError) SafeToRetry() bool { return false }
