package approvals

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
)

// Manifests keeps served manifests' bytes outside the ledger, by SHA-256,
// in PostgreSQL's approval_manifests (migration 00080), whichever store
// holds the events: an approval.manifest_served.v2 event names its bytes by
// digest and size only, so a month of any size can be served (an event
// holds at most 1 MiB).
//
// Put runs before the event is appended, so an acknowledged event never
// names missing bytes; a Put whose append then fails leaves an orphan row,
// which nothing names and which is harmless (the same manifest served
// again finds it). Every read checks the bytes against the digest: an
// edited row is refused as CodeManifestTampered, never handed out.
type Manifests struct {
	pool *pgxpool.Pool
}

// NewManifests returns the store over pool.
func NewManifests(pool *pgxpool.Pool) Manifests { return Manifests{pool: pool} }

// ErrManifestMissing: no bytes are stored under the digest (a backup
// restored without them, or rows deleted behind the ledger's back).
var ErrManifestMissing = errors.New("approvals: the manifest's bytes are not stored")

// Put stores b under its digest, which it returns. Storing bytes already
// stored writes nothing (content addressing: same digest, same bytes).
func (m Manifests) Put(ctx context.Context, b []byte) (string, error) {
	d := Digest(b)
	if _, err := m.pool.Exec(ctx, `
		INSERT INTO approval_manifests (sha256, size, content) VALUES ($1, $2, $3)
		ON CONFLICT (sha256) DO NOTHING`, d, len(b), b); err != nil {
		return "", fmt.Errorf("approvals: storing manifest %s: %w", d, err)
	}
	return d, nil
}

// Get returns the bytes stored under digest, checked against it. Errors:
// ErrManifestMissing (wrapped) when none are stored; *Error with
// CodeManifestTampered when the stored bytes do not hash to digest.
func (m Manifests) Get(ctx context.Context, digest string) ([]byte, error) {
	var b []byte
	err := m.pool.QueryRow(ctx, `SELECT content FROM approval_manifests WHERE sha256 = $1`, digest).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrManifestMissing, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("approvals: reading manifest %s: %w", digest, err)
	}
	if Digest(b) != digest {
		return nil, refuse(CodeManifestTampered, domain.ErrConflict, "the stored manifest "+digest+" no longer matches its digest; run hoso verify", nil)
	}
	return b, nil
}

// Bytes returns the bytes of the served manifest ms: those a v1 event
// holds inline, or those stored under its digest for v2; both are checked
// against the digest in the event (CodeManifestTampered otherwise).
func (m Manifests) Bytes(ctx context.Context, ms approval.ManifestServed) ([]byte, error) {
	if ms.Inline() {
		if Digest(ms.Manifest) != ms.Digest {
			return nil, refuse(CodeManifestTampered, domain.ErrConflict, "the stored manifest "+ms.Digest+" no longer matches its digest; run hoso verify", nil)
		}
		return []byte(ms.Manifest), nil
	}
	if m.pool == nil {
		return nil, fmt.Errorf("%w: %s (no manifest store configured)", ErrManifestMissing, ms.Digest)
	}
	b, err := m.Get(ctx, ms.Digest)
	if err != nil {
		return nil, err
	}
	if ms.Size != 0 && int64(len(b)) != ms.Size {
		return nil, refuse(CodeManifestTampered, domain.ErrConflict, fmt.Sprintf("the stored manifest %s is %d bytes, its event says %d", ms.Digest, len(b), ms.Size), nil)
	}
	return b, nil
}

// CheckServed is `hoso verify`'s check of one stored event (any type: only
// served manifests are checked): a problem sentence when the bytes an
// approval.manifest_served event names are missing or do not hash to its
// digest, "" when they are intact or the event is another kind. The error
// is for a failure to look (the database), not a finding.
func (m Manifests) CheckServed(ctx context.Context, eventType string, data []byte) (string, error) {
	if !approval.IsManifestServed(eventType) {
		return "", nil
	}
	e, err := approval.Decode(eventType, data)
	if err != nil {
		return "undecodable served manifest: " + err.Error(), nil
	}
	ms := e.(approval.ManifestServed)
	_, err = m.Bytes(ctx, ms)
	var refusal *Error
	switch {
	case err == nil:
		return "", nil
	case errors.Is(err, ErrManifestMissing):
		return "the bytes of served manifest " + ms.Digest + " are not stored (approval_manifests)", nil
	case errors.As(err, &refusal) && refusal.Code == CodeManifestTampered:
		if ms.Inline() {
			return "the inline bytes of served manifest " + ms.Digest + " do not hash to its digest", nil
		}
		return "the stored bytes of served manifest " + ms.Digest + " do not hash to its digest (or have another size): edited in approval_manifests", nil
	}
	return "", err
}
