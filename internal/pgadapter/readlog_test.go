package pgadapter_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/readlog"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

func readEntry(i int, outcome string) readlog.Entry {
	return readlog.Entry{ReadAt: time.Date(2026, 12, 2, 4, 0, 0, i, time.UTC), Account: uuid.New(), Username: fmt.Sprintf("user%d", i),
		Dossier: uuid.New(), Method: "GET", Route: "/api/v1/dossiers/:id", Outcome: outcome}
}

// TestReadLogOnPostgreSQL: concurrent readers share commits, but every row is written once, and a
// row the table refuses fails only the request that brought it.
func TestReadLogOnPostgreSQL(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	log := readlog.New(pgadapter.NewReadLog(pool))
	ctx := context.Background()

	const writers, each = 24, 20
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				outcome := "allowed"
				if w == 7 && i == 3 {
					outcome = "bogus" // the table's CHECK refuses it
				}
				e := readEntry(w*each+i, outcome)
				if w == 5 {
					e.Purpose = "tra cứu\x00\xff" // NUL and invalid UTF-8 from a header
				}
				if err := log.Write(ctx, e, readEntry(w*each+i, "refused")); err != nil {
					if errs[w] != nil {
						errs[w] = fmt.Errorf("%w; %w", errs[w], err)
					} else {
						errs[w] = err
					}
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if (err != nil) != (w == 7) {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM dossier_reads`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := (writers*each - 1) * 2; n != want {
		t.Errorf("%d rows written, want %d (every accepted Write's two rows, once)", n, want)
	}
	var purpose string
	if err := pool.QueryRow(ctx, `SELECT purpose FROM dossier_reads WHERE purpose <> '' LIMIT 1`).Scan(&purpose); err != nil {
		t.Fatal(err)
	}
	if purpose != "tra cứu\uFFFD\uFFFD" {
		t.Errorf("purpose stored as %q", purpose)
	}
}
