// Package readlog writes the dossier read log (table dossier_reads, through
// a Sink such as internal/pgadapter.ReadLog): who
// read or was refused which dossier, when, through which route and why.
//
// A read is served only once its row is durably committed: the log is the
// inspectors' evidence, and a read whose record a crash could lose would be
// an unrecorded read. One durable commit per read made the commit rate of
// the disk the ceiling of the read rate, so concurrent requests share their
// commits: rows that arrive while a commit is in flight go together in the
// next one (group commit), each request still waiting for its own row.
package readlog

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Entry is one row of the read log.
type Entry struct {
	ReadAt   time.Time
	Account  uuid.UUID
	Username string
	Dossier  uuid.UUID
	Method   string
	Route    string
	Query    string
	Purpose  string // the X-Purpose header: already NFC and cut to length by the caller
	// PurposeCode and PurposeRef are the purpose stated under Decree
	// 27/2026 (Hoso-Purpose: a policy.Purpose and the act's reference);
	// Consent is the event that recorded the consent the read relied on
	// (uuid.Nil when none was needed).
	PurposeCode string
	PurposeRef  string
	Consent     uuid.UUID
	Outcome     string // allowed, refused, not_found (the table checks it)
	RequestID   string
	RemoteAddr  string
}

// maxBatch bounds one statement, so one commit never carries an unbounded
// array under a flood of reads.
const maxBatch = 512

// writeTimeout bounds one commit of a batch: the batch outlives the request
// that started it, so it cannot use that request's context.
const writeTimeout = 10 * time.Second

// Sink stores read-log rows.
type Sink interface {
	// Insert commits entries durably, all or none: an error means no row
	// of entries was stored (a row the table refuses fails them all).
	Insert(ctx context.Context, entries []Entry) error
}

// Log group-commits read-log rows. The zero value is not usable; call New.
type Log struct {
	sink Sink

	mu       sync.Mutex
	queue    []*waiter
	flushing bool
}

type waiter struct {
	entries []Entry
	done    chan error
}

// New returns a log writing to sink.
func New(sink Sink) *Log { return &Log{sink: sink} }

// Write records entries and returns once they are committed (or the
// commit failed, or ctx ended: the rows may then still be written, which
// errs on the side of the record).
func (l *Log) Write(ctx context.Context, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	w := &waiter{entries: entries, done: make(chan error, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, w)
	if !l.flushing {
		l.flushing = true
		go l.drain()
	}
	l.mu.Unlock()
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain commits the queue batch after batch until it finds it empty.
func (l *Log) drain() {
	for {
		l.mu.Lock()
		batch, rows := l.take()
		if len(batch) == 0 {
			l.flushing = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		l.commit(batch, rows)
	}
}

// take removes from the queue the waiters whose rows fit one batch (at
// least one waiter, however many rows it has). l.mu is held.
func (l *Log) take() ([]*waiter, int) {
	n, rows := 0, 0
	for n < len(l.queue) && (n == 0 || rows+len(l.queue[n].entries) <= maxBatch) {
		rows += len(l.queue[n].entries)
		n++
	}
	batch := l.queue[:n:n]
	l.queue = l.queue[n:]
	return batch, rows
}

// commit writes the batch in one statement. If that fails, each waiter's
// rows are retried on their own, so that one bad row fails only the request
// that brought it.
func (l *Log) commit(batch []*waiter, rows int) {
	all := make([]Entry, 0, rows)
	for _, w := range batch {
		all = append(all, w.entries...)
	}
	err := l.insert(all)
	if err == nil || len(batch) == 1 {
		for _, w := range batch {
			w.done <- err
		}
		return
	}
	for _, w := range batch {
		w.done <- l.insert(w.entries)
	}
}

func (l *Log) insert(entries []Entry) error {
	cleaned := make([]Entry, len(entries))
	for i, e := range entries {
		e.Username, e.Method, e.Route = clean(e.Username), clean(e.Method), clean(e.Route)
		e.Query, e.Purpose = clean(e.Query), clean(e.Purpose)
		e.PurposeCode, e.PurposeRef = clean(e.PurposeCode), clean(e.PurposeRef)
		e.RequestID, e.RemoteAddr = clean(e.RequestID), clean(e.RemoteAddr)
		cleaned[i] = e
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := l.sink.Insert(ctx, cleaned); err != nil {
		return fmt.Errorf("readlog: %w", err)
	}
	return nil
}

// clean makes a client-supplied string storable as PostgreSQL text: valid
// UTF-8 and no NUL, which text cannot hold. Without it one odd header would
// fail the statement of every read in its batch.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
