package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// seedDossiers appends a realistic history through the PostgreSQL store:
// per dossier, a creation, salary raises, a transfer and a correction, with
// actors, source documents and reasons. Stream ids are dossier-0 … dossier-n.
func seedDossiers(t *testing.T, store eventstore.Store, dossiers int) int {
	t.Helper()
	ctx := context.Background()
	total := 0
	for d := range dossiers {
		stream := fmt.Sprintf("dossier-%d", d)
		mk := func(typ string, data map[string]any, reason string) eventstore.EventData {
			raw, err := json.Marshal(data)
			if err != nil {
				t.Fatal(err)
			}
			return eventstore.EventData{Type: typ, Data: raw, Meta: eventstore.Metadata{
				Actor:          eventstore.Actor{AccountID: "acc-hr-01", Name: "Phạm Thị Lan", ActingOrg: "org-so-noi-vu"},
				EffectiveDate:  "2024-07-01",
				SourceDocument: &eventstore.SourceDocument{Kind: "quyet_dinh", Number: fmt.Sprintf("%d/QĐ-SNV", 100+d), Date: "2024-06-20", Issuer: "Sở Nội vụ"},
				Reason:         reason,
			}}
		}
		batch := []eventstore.EventData{
			mk("dossier.created.v1", map[string]any{"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1985-03-12", "gioi_tinh": "nam", "so_cccd": fmt.Sprintf("0010850%05d", d), "chuc_vu": "Chuyên viên", "don_vi": "org-so-noi-vu"}, ""),
		}
		for k := range 3 {
			batch = append(batch, mk("dossier.salary_raised.v1", map[string]any{"ngach": "01.003", "bac": k + 2, "he_so": 2.67 + 0.33*float64(k+1)}, ""))
		}
		batch = append(batch,
			mk("dossier.transferred.v1", map[string]any{"tu_don_vi": "org-so-noi-vu", "den_don_vi": "org-ubnd-huyen"}, ""),
			mk("dossier.corrected.v1", map[string]any{"truong": "ngay_sinh", "gia_tri": "1985-03-21"}, "Sai ngày sinh so với giấy khai sinh"),
		)
		// Two appends per stream, so a stream spans transactions.
		if _, err := store.Append(ctx, stream, eventstore.NoStream, batch[:2]...); err != nil {
			t.Fatal(err)
		}
		for _, e := range batch[2:] {
			if _, err := store.Append(ctx, stream, eventstore.Any, e); err != nil {
				t.Fatal(err)
			}
		}
		total += len(batch)
	}
	return total
}

// sequenceAll sequences until the tree holds n leaves. One SequenceOnce may
// stop short: ReadAll returns only the stable prefix, which trails any
// transaction still running in the cluster (other tests' included).
func sequenceAll(t *testing.T, tree *treelog.Log, n int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := tree.SequenceOnce(ctx); err != nil {
			t.Fatal(err)
		}
		size, err := tree.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if size == uint64(n) {
			return
		}
		if size > uint64(n) || time.Now().After(deadline) {
			t.Fatalf("tree size %d, want %d", size, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tamper runs SQL as the superuser with triggers off, the way an attacker
// with database access would get past the append-only triggers; every
// statement must change a row.
func tamper(t *testing.T, pool *pgxpool.Pool, stmts ...string) {
	t.Helper()
	for i, n := range pgtest.Tamper(t, pool, stmts...) {
		if n == 0 {
			t.Fatalf("%s: no row changed", stmts[i])
		}
	}
}

func TestTamperingInPostgreSQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sql  []string
		want []finding
	}{
		{name: "intact"},
		{
			name: "payload edited",
			sql: []string{`UPDATE events SET data = convert_to(replace(convert_from(data, 'UTF8'), 'Nguyễn Văn An', 'Nguyễn Văn Ân'), 'UTF8')
				WHERE stream_id = 'dossier-3' AND stream_version = 1`},
			want: []finding{{"dossier-3", 1, verify.Edited}},
		},
		{
			name: "metadata edited",
			sql: []string{`UPDATE events SET metadata = convert_to(replace(convert_from(metadata, 'UTF8'), 'Phạm Thị Lan', 'Trần Văn Nam'), 'UTF8')
				WHERE stream_id = 'dossier-2' AND stream_version = 6`},
			want: []finding{{"dossier-2", 6, verify.Edited}},
		},
		{
			name: "row deleted",
			sql:  []string{`DELETE FROM events WHERE stream_id = 'dossier-4' AND stream_version = 3`},
			want: []finding{{"dossier-4", 3, verify.Deleted}},
		},
		{
			name: "last row of a stream deleted",
			sql:  []string{`DELETE FROM events WHERE stream_id = 'dossier-4' AND stream_version = 6`},
			want: []finding{{"dossier-4", 6, verify.Deleted}},
		},
		{
			name: "two versions swapped",
			sql: []string{
				`UPDATE events SET stream_version = 1000002 WHERE stream_id = 'dossier-1' AND stream_version = 2`,
				`UPDATE events SET stream_version = 2 WHERE stream_id = 'dossier-1' AND stream_version = 5`,
				`UPDATE events SET stream_version = 5 WHERE stream_id = 'dossier-1' AND stream_version = 1000002`,
			},
			want: []finding{{"dossier-1", 2, verify.Reordered}, {"dossier-1", 5, verify.Reordered}},
		},
		{
			name: "edited and re-hashed",
			sql: []string{`UPDATE events SET data = convert_to('{"chuc_vu":"Giám đốc"}', 'UTF8'),
				hash = sha256(convert_to('forged', 'UTF8')) WHERE stream_id = 'dossier-0' AND stream_version = 3`},
			// The forged hash is not the content's either: edited; the tree
			// sees the changed hash; the successor's link breaks.
			want: []finding{{"dossier-0", 3, verify.Edited}, {"dossier-0", 3, verify.MerkleLeaf}},
		},
		{
			name: "leaf tampered",
			sql:  []string{`UPDATE merkle_leaves SET leaf_hash = sha256(leaf_hash) WHERE stream_id = 'dossier-5' AND stream_version = 2`},
			want: []finding{{"dossier-5", 2, verify.MerkleLeaf}},
		},
		{
			name: "leaf deleted",
			sql:  []string{`DELETE FROM merkle_leaves WHERE stream_id = 'dossier-5' AND stream_version = 4`},
			want: []finding{{"dossier-5", 4, verify.MerkleMissing}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool, _ := pgtest.New(t)
			store := postgres.New(pool, postgres.Options{})
			n := seedDossiers(t, store, 8)
			tree := treelog.New(pool, store, treelog.Options{})
			sequenceAll(t, tree, n)
			root, err := tree.Root(ctx, uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			tamper(t, pool, tc.sql...)

			r, err := verify.Verify(ctx, store, verify.Options{Tree: tree})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s\n%s", r.Summary(), lines(r.Problems))
			got := findings(r)
			// Every expected finding must be named; "edited and re-hashed"
			// may add the successor's hash_chain, "leaf deleted" the index
			// gap; the node check adds nothing at 48 leaves (no level 8).
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("Verify did not report %v; it found:\n%s", w, lines(r.Problems))
				}
			}
			if len(tc.want) == 0 {
				if !r.OK() {
					t.Fatalf("intact ledger reported:\n%s", lines(r.Problems))
				}
				if r.Events != uint64(n) || r.Streams != 8 || r.TreeSize != uint64(n) || r.Root != root {
					t.Errorf("report = %d events, %d streams, size %d, root %s; want %d, 8, %d, %s", r.Events, r.Streams, r.TreeSize, r.Root, n, n, root)
				}
				return
			}
			for _, p := range r.Problems {
				if !strings.HasPrefix(p.Stream, "dossier-") || p.Version == 0 {
					t.Errorf("problem names no event: %s", p)
				}
			}
		})
	}
}
