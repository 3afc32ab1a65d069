package pgtest_test

import (
	"context"
	"testing"

	"github.com/hoso-ledger/hoso/internal/pgtest"
)

func TestNewIsolates(t *testing.T) {
	ctx := context.Background()
	poolA, urlA := pgtest.New(t)
	poolB, urlB := pgtest.New(t)
	if urlA == urlB {
		t.Fatalf("two tests share %s", urlA)
	}
	var schemaA, schemaB string
	if err := poolA.QueryRow(ctx, "SELECT current_schema()").Scan(&schemaA); err != nil {
		t.Fatal(err)
	}
	if err := poolB.QueryRow(ctx, "SELECT current_schema()").Scan(&schemaB); err != nil {
		t.Fatal(err)
	}
	if schemaA == schemaB || schemaA == "public" {
		t.Fatalf("schemas %q and %q: want two fresh ones", schemaA, schemaB)
	}
	if _, err := poolA.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	var seen bool
	if err := poolB.QueryRow(ctx, "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&seen); err != nil || seen {
		t.Errorf("schema B sees schema A's table (%v)", err)
	}
	var n int
	if err := poolB.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil || n != 0 {
		t.Errorf("fresh schema's events = %d rows, %v; want an empty migrated table", n, err)
	}
}

func TestWithSearchPath(t *testing.T) {
	got, err := pgtest.WithSearchPath("postgres://u@h:5432/db?sslmode=disable", "t_1")
	if want := "postgres://u@h:5432/db?search_path=t_1&sslmode=disable"; err != nil || got != want {
		t.Errorf("WithSearchPath = %q, %v; want %q", got, err, want)
	}
	if _, err := pgtest.WithSearchPath("host=h dbname=db", "t_1"); err == nil {
		t.Error("WithSearchPath(keyword/value string) succeeded, want an error")
	}
}
