package attachments_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/attachments"
)

func digest(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}

// attach appends a document_attached event naming scan sha to dossier d.
func attach(t *testing.T, store eventstore.Store, d domain.DossierID, sha string) {
	t.Helper()
	data, err := json.Marshal(dossier.DocumentAttached{Attachment: dossier.Attachment{
		Document: domain.SourceDocument{Kind: "decision", Number: "12/QĐ-UBND", Issuer: "UBND tỉnh", SHA256: sha}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), d.StreamID(), eventstore.Any,
		eventstore.EventData{Type: dossier.TypeDocumentAttached, Data: data}); err != nil {
		t.Fatal(err)
	}
}

func wantDossiers(t *testing.T, pool *pgxpool.Pool, sha string, want ...domain.DossierID) {
	t.Helper()
	slices.SortFunc(want, func(a, b domain.DossierID) int { return slices.Compare(a[:], b[:]) })
	got, err := attachments.Dossiers(context.Background(), pool, sha)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Dossiers(%.8s…) = %v, %v; want %v", sha, got, err, want)
	}
}

// TestIndexIsRebuiltFromTheLog: a scan is downloadable by the readers of
// every dossier whose events cite it, and losing the index's rows loses
// nothing: a rebuild finds them again in the log.
func TestIndexIsRebuiltFromTheLog(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	store := memstore.New(nil)
	a, b := domain.DossierID(uuid.Must(uuid.NewV7())), domain.DossierID(uuid.Must(uuid.NewV7()))
	shared, own := digest("shared scan"), digest("a's own scan")
	attach(t, store, a, shared)
	attach(t, store, a, shared) // attached twice: cited once
	attach(t, store, b, shared)
	attach(t, store, a, own)

	r := projections.NewRunner(pool, store, projections.Config{BatchSize: 3, PollInterval: 50 * time.Millisecond})
	build := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := r.Rebuild(ctx, attachments.New(), projections.RebuildOptions{Fresh: true}); err != nil {
			t.Fatalf("rebuild: %v", err)
		}
	}
	build()
	wantDossiers(t, pool, shared, a, b)
	wantDossiers(t, pool, own, a)
	wantDossiers(t, pool, digest("never attached"))

	var tables []string
	if err := pool.QueryRow(ctx, `SELECT tables FROM projection_checkpoints WHERE projection = $1 AND live`, attachments.Name).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		if _, err := pool.Exec(ctx, `TRUNCATE `+tbl); err != nil {
			t.Fatal(err)
		}
	}
	wantDossiers(t, pool, shared)
	build()
	wantDossiers(t, pool, shared, a, b)
	wantDossiers(t, pool, own, a)
}

// TestApplyTwice holds the projection to the contract: every event applied
// twice leaves what applying it once does.
func TestApplyTwice(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	store := memstore.New(nil)
	a := domain.DossierID(uuid.Must(uuid.NewV7()))
	attach(t, store, a, digest("one"))
	attach(t, store, a, digest("two"))
	events, err := store.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, tables := attachments.New(), projections.NewTables(3)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := p.Setup(ctx, tx, tables); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		for range 2 {
			if err := p.Apply(ctx, tx, tables, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+tables.Name(attachments.View)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d rows after applying two events twice, want 2", n)
	}
	// ApplyBatch, with every event twice in one batch, writes the same.
	batched := projections.NewTables(4)
	if err := p.Setup(ctx, tx, batched); err != nil {
		t.Fatal(err)
	}
	if err := p.ApplyBatch(ctx, tx, batched, append(slices.Clone(events), events...)); err != nil {
		t.Fatal(err)
	}
	var diff int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ((TABLE `+tables.Name(attachments.View)+` EXCEPT TABLE `+batched.Name(attachments.View)+
		`) UNION ALL (TABLE `+batched.Name(attachments.View)+` EXCEPT TABLE `+tables.Name(attachments.View)+`)) x`).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Errorf("ApplyBatch wrote %d rows other than Apply's", diff)
	}
}
