package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/internal/devdb"
)

// CrashableCluster starts a private PostgreSQL cluster of the test's own
// with database in it, for a test that kills the server (Cluster.Crash)
// and starts it again (Cluster.Ensure): never the shared server, which
// other tests use. It is stopped and removed after the test's other
// cleanups, which may need it.
func CrashableCluster(t testing.TB, database string) *devdb.Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "hoso-crash-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the server may run as nobody
		t.Fatal(err)
	}
	cluster, err := devdb.Open(filepath.Join(dir, "var"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := cluster.Stop(ctx); err != nil {
			t.Errorf("stopping the private cluster: %v", err)
		}
		_ = os.RemoveAll(dir)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := cluster.Ensure(ctx, database); err != nil {
		t.Fatal(err)
	}
	return cluster
}
