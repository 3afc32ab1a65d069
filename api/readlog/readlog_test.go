package readlog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/readlog"
)

func entry(i int, outcome string) readlog.Entry {
	return readlog.Entry{ReadAt: time.Date(2026, 12, 2, 4, 0, 0, i, time.UTC), Account: uuid.New(), Username: fmt.Sprintf("user%d", i),
		Dossier: uuid.New(), Method: "GET", Route: "/api/v1/dossiers/:id", Outcome: outcome}
}

// sink is a table in memory that, like dossier_reads' CHECK, refuses a
// whole statement holding an unknown outcome. (The same test runs on
// PostgreSQL in internal/pgadapter.)
type sink struct {
	mu         sync.Mutex
	rows       []readlog.Entry
	statements int
}

func (s *sink) Insert(_ context.Context, entries []readlog.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statements++
	for _, e := range entries {
		if e.Outcome != "allowed" && e.Outcome != "refused" && e.Outcome != "not_found" {
			return errors.New("check constraint: outcome")
		}
	}
	s.rows = append(s.rows, entries...)
	return nil
}

// Concurrent readers share commits, but every row is written once, a row
// the table refuses fails only the request that brought it, and what the
// table cannot hold (NUL, invalid UTF-8) is replaced before it gets there.
func TestWriteGroupsAndIsolates(t *testing.T) {
	t.Parallel()
	sk := &sink{}
	log := readlog.New(sk)
	ctx := context.Background()

	const writers, each = 24, 20
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				outcome := "allowed"
				if w == 7 && i == 3 {
					outcome = "bogus"
				}
				e := entry(w*each+i, outcome)
				if w == 5 {
					e.Purpose = "tra cứu\x00\xff"
				}
				if err := log.Write(ctx, e, entry(w*each+i, "refused")); err != nil {
					errs[w] = errors.Join(errs[w], err)
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
	if want := (writers*each - 1) * 2; len(sk.rows) != want {
		t.Errorf("%d rows written, want %d (every accepted Write's two rows, once)", len(sk.rows), want)
	}
	for _, r := range sk.rows {
		if r.Purpose != "" && r.Purpose != "tra cứu\uFFFD\uFFFD" {
			t.Errorf("purpose stored as %q", r.Purpose)
		}
	}
}

func TestWriteNothing(t *testing.T) {
	t.Parallel()
	if err := readlog.New(nil).Write(context.Background()); err != nil {
		t.Fatal(err)
	}
}
