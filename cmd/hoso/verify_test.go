package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// runHoso runs the command line as main does, with HOSO_DATABASE_URL set.
func runHoso(t *testing.T, databaseURL string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "HOSO_DATABASE_URL" {
			return databaseURL
		}
		return ""
	}
	code = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// ledgerWithTree appends a few dossiers' histories through the PostgreSQL
// store and sequences them into the Merkle log.
func ledgerWithTree(t *testing.T) (pool *pgxpool.Pool, url string, events int) {
	t.Helper()
	ctx := context.Background()
	pool, url = pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	for d := range 5 {
		stream := fmt.Sprintf("dossier-%d", d)
		for v := range 4 {
			data, _ := json.Marshal(map[string]any{"ho_ten": "Đỗ Thị Mai", "bac": v + 1, "don_vi": "Phòng Tổ chức cán bộ"})
			if _, err := store.Append(ctx, stream, eventstore.Exactly(uint64(v)), eventstore.EventData{
				Type: "dossier.salary_raised.v1", Data: data,
				Meta: eventstore.Metadata{
					Actor:          eventstore.Actor{AccountID: "acc-3", Name: "Vũ Minh Tuấn"},
					SourceDocument: &eventstore.SourceDocument{Kind: "quyet_dinh", Number: "45/QĐ-UBND", Date: "2025-01-02"},
				},
			}); err != nil {
				t.Fatal(err)
			}
			events++
		}
	}
	// ReadAll's stable prefix trails any transaction running in the
	// cluster, so one SequenceOnce may stop short; go on until all are in.
	tree := treelog.New(pool, store, treelog.Options{})
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := tree.SequenceOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if size, err := tree.Size(ctx); err != nil || size == uint64(events) {
			if err != nil {
				t.Fatal(err)
			}
			return pool, url, events
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tree did not reach %d leaves in a minute", events)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestVerifyCommandIntact(t *testing.T) {
	t.Parallel()
	_, url, n := ledgerWithTree(t)
	code, out, errOut := runHoso(t, url, "verify")
	if code != 0 {
		t.Fatalf("hoso verify = exit %d, stdout %q, stderr %q; want 0", code, out, errOut)
	}
	want := regexp.MustCompile(fmt.Sprintf(`^ok: %d events in 5 streams, merkle root [0-9a-f]{64} at size %d\n$`, n, n))
	if !want.MatchString(out) {
		t.Errorf("hoso verify printed %q, want a line matching %s", out, want)
	}
	code, out, _ = runHoso(t, url, "verify", "-chains-only")
	if code != 0 || out != fmt.Sprintf("ok: %d events in 5 streams, hash chains intact (Merkle log not checked)\n", n) {
		t.Errorf("hoso verify -chains-only = exit %d, %q", code, out)
	}
}

func TestVerifyCommandTampered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sql  []string
		want []string // lines that must be printed, as "stream@version: kind"
	}{
		{
			name: "payload edited",
			sql: []string{`UPDATE events SET data = convert_to(replace(convert_from(data, 'UTF8'), 'Đỗ Thị Mai', 'Đỗ Thị Mại'), 'UTF8')
				WHERE stream_id = 'dossier-2' AND stream_version = 3`},
			want: []string{"dossier-2@3: edited"},
		},
		{
			name: "row deleted",
			sql:  []string{`DELETE FROM events WHERE stream_id = 'dossier-1' AND stream_version = 2`},
			want: []string{"dossier-1@2: deleted"},
		},
		{
			name: "versions swapped",
			sql: []string{
				`UPDATE events SET stream_version = 1000001 WHERE stream_id = 'dossier-4' AND stream_version = 1`,
				`UPDATE events SET stream_version = 1 WHERE stream_id = 'dossier-4' AND stream_version = 3`,
				`UPDATE events SET stream_version = 3 WHERE stream_id = 'dossier-4' AND stream_version = 1000001`,
			},
			want: []string{"dossier-4@1: reordered", "dossier-4@3: reordered"},
		},
		{
			name: "leaf tampered",
			sql:  []string{`UPDATE merkle_leaves SET leaf_hash = sha256(leaf_hash) WHERE leaf_index = 7`},
			want: []string{"dossier-1@4: merkle_leaf"}, // streams are appended one after another, 4 events each
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool, url, _ := ledgerWithTree(t)
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			// As a superuser with triggers off: how an attacker gets past
			// the append-only triggers.
			if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.sql {
				if tag, err := tx.Exec(ctx, s); err != nil || tag.RowsAffected() != 1 {
					t.Fatalf("%s: %v, %v", s, tag, err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}

			code, out, errOut := runHoso(t, url, "verify")
			if code != 1 {
				t.Fatalf("hoso verify = exit %d, stdout %q, stderr %q; want 1", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w+": ") {
					t.Errorf("hoso verify output lacks %q:\n%s", w, out)
				}
			}
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if !regexp.MustCompile(`^dossier-\d+@\d+: [a-z_]+: `).MatchString(line) {
					t.Errorf("line %q does not name stream, version and kind", line)
				}
			}
			if !strings.Contains(errOut, "FAILED: ") {
				t.Errorf("stderr %q lacks the failure summary", errOut)
			}
		})
	}
}

func TestVerifyCommandUsageAndConnection(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"verify", "extra"}, {"verify", "-no-such-flag"}} {
		if code, _, _ := runHoso(t, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", args...); code != 2 {
			t.Errorf("hoso %s = exit %d, want 2", strings.Join(args, " "), code)
		}
	}
	code, _, errOut := runHoso(t, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "verify")
	if code != 2 || !strings.Contains(errOut, "hoso verify:") {
		t.Errorf("hoso verify with an unreachable database = exit %d, stderr %q; want 2", code, errOut)
	}
}
