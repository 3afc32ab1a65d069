package devdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestEnsureStartsPrivateCluster runs the real bootstrap: initdb, start on a
// private socket, create a database, connect, restart idempotently, stop.
func TestEnsureStartsPrivateCluster(t *testing.T) {
	if _, err := findBinaries(); err != nil {
		t.Fatalf("the test machine must have PostgreSQL binaries: %v", err)
	}
	dir, err := os.MkdirTemp("", "hoso-devdb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Open(filepath.Join(dir, "var"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	for range 2 { // the second call finds it initialized and running
		if err := c.Ensure(ctx, "probe"); err != nil {
			t.Fatalf("Ensure: %v", err)
		}
	}
	conn, err := pgx.Connect(ctx, c.URL("probe"))
	if err != nil {
		t.Fatalf("connect %s: %v", c.URL("probe"), err)
	}
	var db string
	if err := conn.QueryRow(ctx, "select current_database()").Scan(&db); err != nil || db != "probe" {
		t.Fatalf("current_database() = %q, %v; want probe", db, err)
	}
	conn.Close(ctx)
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if c.running(ctx) {
		t.Fatal("cluster still answers after Stop")
	}
}
