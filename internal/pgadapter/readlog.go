package pgadapter

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api/readlog"
)

// ReadLog is readlog.Sink on the dossier_reads table.
type ReadLog struct {
	pool *pgxpool.Pool
}

// NewReadLog returns the sink on pool: the service's own pool, or one whose
// commits do not wait for the WAL flush (HOSO_READ_LOG=async).
func NewReadLog(pool *pgxpool.Pool) *ReadLog { return &ReadLog{pool: pool} }

// Insert implements readlog.Sink in one statement, so the rows of a group
// commit share one commit and a row the table refuses fails them all.
func (l *ReadLog) Insert(ctx context.Context, entries []readlog.Entry) error {
	n := len(entries)
	var (
		at                                                      = make([]time.Time, n)
		accounts, dossiers                                      = make([]uuid.UUID, n), make([]uuid.UUID, n)
		usernames, methods, routes, queries, purposes, outcomes = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		requestIDs, remotes, codes, refs                        = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		consents                                                = make([]*uuid.UUID, n)
	)
	for i, e := range entries {
		at[i], accounts[i], dossiers[i] = e.ReadAt, e.Account, e.Dossier
		usernames[i], methods[i], routes[i] = e.Username, e.Method, e.Route
		queries[i], purposes[i], outcomes[i] = e.Query, e.Purpose, e.Outcome
		requestIDs[i], remotes[i] = e.RequestID, e.RemoteAddr
		codes[i], refs[i] = e.PurposeCode, e.PurposeRef
		if e.Consent != uuid.Nil {
			id := e.Consent
			consents[i] = &id
		}
	}
	_, err := l.pool.Exec(ctx, `
		INSERT INTO dossier_reads (read_at, account_id, username, dossier_id, method, route, query, purpose, outcome, request_id, remote_addr,
		                           purpose_code, purpose_reference, consent_event_id)
		SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
		                     $12::text[], $13::text[], $14::uuid[])`,
		at, accounts, usernames, dossiers, methods, routes, queries, purposes, outcomes, requestIDs, remotes, codes, refs, consents)
	return err
}
