package checkpoint

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

// Errors of Verify and Open, tested with errors.Is.
var (
	// ErrBadNote: not a checkpoint, or not signed by the expected key.
	ErrBadNote = errors.New("checkpoint: not a checkpoint signed by this ledger's key")
	// ErrTruncated: the log is smaller than the checkpoint (rows deleted,
	// or an older backup restored).
	ErrTruncated = errors.New("checkpoint: the log is shorter than the checkpoint")
	// ErrForked: the log does not extend the checkpoint: its first Size
	// leaves have another root (history rewritten, or a backup restored and
	// written over since).
	ErrForked = errors.New("checkpoint: the log does not extend the checkpoint")
	// ErrNotFound: no checkpoint has been taken yet.
	ErrNotFound = errors.New("checkpoint: none taken yet")
)

// Checkpoint is the body of a signed note: the log's size and root.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   eventstore.Hash
}

// Body is the note text that is signed (C2SP tlog-checkpoint).
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// Parse reads a checkpoint body (the note's text).
func Parse(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return Checkpoint{}, fmt.Errorf("%w: want origin, size and root lines", ErrBadNote)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: size %q", ErrBadNote, lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return Checkpoint{}, fmt.Errorf("%w: root %q", ErrBadNote, lines[2])
	}
	c := Checkpoint{Origin: lines[0], Size: size}
	copy(c.Root[:], root)
	return c, nil
}

// Open checks a signed note with verifier and returns its checkpoint.
// Errors wrap ErrBadNote.
func Open(msg []byte, verifier note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrBadNote, err)
	}
	c, err := Parse(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != verifier.Name() {
		return Checkpoint{}, fmt.Errorf("%w: origin %q, key %q", ErrBadNote, c.Origin, verifier.Name())
	}
	return c, nil
}

// Key is the ledger's checkpoint key. The origin line of every checkpoint
// is the key's name, so a note names the log it belongs to.
type Key struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the public key in note format ("name+hash+base64"),
	// what auditors are given.
	VerifierKey string
}

// ParseKey reads a private key in note format ("PRIVATE+KEY+name+hash+…").
func ParseKey(skey string) (Key, error) {
	skey = strings.TrimSpace(skey)
	signer, err := note.NewSigner(skey)
	if err != nil {
		return Key{}, fmt.Errorf("checkpoint: key: %w", err)
	}
	// note derives no public key from a private one; the key is an Ed25519
	// seed after its algorithm byte, so rebuild it.
	// The base64 key itself may hold '+', so split only the four fields
	// before it ("PRIVATE", "KEY", name, hash).
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return Key{}, errors.New("checkpoint: key: not a note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return Key{}, errors.New("checkpoint: key: not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return Key{}, fmt.Errorf("checkpoint: key: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return Key{}, fmt.Errorf("checkpoint: key: %w", err)
	}
	return Key{Signer: signer, Verifier: verifier, VerifierKey: vkey}, nil
}

// LoadKey reads the private key file (HOSO_CHECKPOINT_KEY).
func LoadKey(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("checkpoint: %w", err)
	}
	return ParseKey(string(b))
}

// LoadOrCreateKey reads the key at path, or generates one named origin
// there (mode 0600, its directory created) with the public key beside it
// in path+".pub". For development: production keys are made and kept by
// operators.
func LoadOrCreateKey(path, origin string) (Key, error) {
	if _, err := os.Stat(path); err == nil {
		return LoadKey(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return Key{}, fmt.Errorf("checkpoint: %w", err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return Key{}, fmt.Errorf("checkpoint: generating key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, fmt.Errorf("checkpoint: %w", err)
	}
	// O_EXCL: two processes starting at once must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadKey(path)
	}
	if err != nil {
		return Key{}, fmt.Errorf("checkpoint: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return Key{}, fmt.Errorf("checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return Key{}, fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
		return Key{}, fmt.Errorf("checkpoint: %w", err)
	}
	return ParseKey(skey)
}

// LoadVerifier reads a public key in note format (a ".pub" file).
func LoadVerifier(path string) (note.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: public key %s: %w", path, err)
	}
	return v, nil
}

// Sign returns c as a signed note.
func Sign(c Checkpoint, signer note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: c.Body()}, signer)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: signing: %w", err)
	}
	return msg, nil
}

// Signed is a stored checkpoint.
type Signed struct {
	Checkpoint
	Note      []byte
	Reason    string
	CreatedAt time.Time
}

// Reasons a checkpoint is taken.
const (
	ReasonApproval = "approval"
	ReasonDaily    = "daily"
	ReasonManual   = "manual"
)

// Log takes and serves the checkpoints of a tree.
type Log struct {
	pool *pgxpool.Pool
	tree *treelog.Log
	key  Key
	now  func() time.Time
	// retry is RunDaily's first wait after a failed checkpoint.
	retry time.Duration
}

// New returns the checkpoint log of tree, kept in pool's database. now is
// the clock (time.Now when nil).
func New(pool *pgxpool.Pool, tree *treelog.Log, key Key, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{pool: pool, tree: tree, key: key, now: now, retry: 30 * time.Second}
}

// Key is the log's key.
func (l *Log) Key() Key { return l.key }

// Take signs and stores a checkpoint of the tree as it stands.
func (l *Log) Take(ctx context.Context, reason string) (Signed, error) {
	size, err := l.tree.Size(ctx)
	if err != nil {
		return Signed{}, err
	}
	root, err := l.tree.Root(ctx, size)
	if err != nil {
		return Signed{}, err
	}
	c := Checkpoint{Origin: l.key.Signer.Name(), Size: size, Root: root}
	msg, err := Sign(c, l.key.Signer)
	if err != nil {
		return Signed{}, err
	}
	s := Signed{Checkpoint: c, Note: msg, Reason: reason, CreatedAt: l.now().UTC().Truncate(time.Microsecond)}
	if _, err := l.pool.Exec(ctx, `INSERT INTO checkpoints (tree_size, root, note, reason, created_at) VALUES ($1, $2, $3, $4, $5)`,
		int64(size), root[:], string(msg), reason, s.CreatedAt); err != nil {
		return Signed{}, fmt.Errorf("checkpoint: storing: %w", err)
	}
	return s, nil
}

// Latest returns the checkpoint taken last; ErrNotFound when none was.
func (l *Log) Latest(ctx context.Context) (Signed, error) {
	var (
		msg, reason string
		at          time.Time
	)
	err := l.pool.QueryRow(ctx, `SELECT note, reason, created_at FROM checkpoints ORDER BY id DESC LIMIT 1`).Scan(&msg, &reason, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return Signed{}, ErrNotFound
	}
	if err != nil {
		return Signed{}, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := Open([]byte(msg), l.key.Verifier)
	if err != nil {
		return Signed{}, err
	}
	return Signed{Checkpoint: c, Note: []byte(msg), Reason: reason, CreatedAt: at}, nil
}

// RunDaily takes a checkpoint now and then every interval (a day when
// zero) until ctx ends; it returns only ctx's error. A failed attempt is
// reported to onError and tried again soon, after a wait that starts at
// 30 seconds and doubles up to interval: a database outage at the
// hour of the checkpoint must not cost the day's checkpoint.
func (l *Log) RunDaily(ctx context.Context, interval time.Duration, onError func(error)) error {
	if interval <= 0 {
		interval = 24 * time.Hour
	}
	retry := &backoff.ExponentialBackOff{InitialInterval: min(l.retry, interval), Multiplier: 2, MaxInterval: interval}
	retry.Reset()
	for {
		wait := interval
		if _, err := l.Take(ctx, ReasonDaily); err != nil && ctx.Err() == nil {
			if onError != nil {
				onError(err)
			}
			wait = retry.NextBackOff()
		} else {
			retry.Reset()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Result is what Verify proved.
type Result struct {
	Saved       Checkpoint
	CurrentSize uint64
	CurrentRoot eventstore.Hash
	Proof       []eventstore.Hash // consistency proof from Saved.Size to CurrentSize
}

// Verify proves that tree, as it stands, extends the saved note: the note
// must be signed by verifier, the tree must be at least as large
// (ErrTruncated) and a consistency proof from the note's size to today's
// must check against both roots (ErrForked). The proof is checked with
// transparency-dev/merkle's verifier, so a tree that merely reports the
// right root at the old size but holds other leaves fails too.
func Verify(ctx context.Context, tree *treelog.Log, saved []byte, verifier note.Verifier) (Result, error) {
	c, err := Open(saved, verifier)
	if err != nil {
		return Result{}, err
	}
	r := Result{Saved: c}
	if r.CurrentSize, err = tree.Size(ctx); err != nil {
		return r, err
	}
	if r.CurrentSize < c.Size {
		return r, fmt.Errorf("%w: the checkpoint has %d leaves, the log %d", ErrTruncated, c.Size, r.CurrentSize)
	}
	if r.CurrentRoot, err = tree.Root(ctx, r.CurrentSize); err != nil {
		return r, err
	}
	if r.Proof, err = tree.ConsistencyProof(ctx, c.Size, r.CurrentSize); err != nil {
		return r, err
	}
	if err := treelog.VerifyConsistency(c.Size, r.CurrentSize, r.Proof, c.Root, r.CurrentRoot); err != nil {
		return r, fmt.Errorf("%w: at size %d: %v", ErrForked, c.Size, err)
	}
	// An empty proof (equal sizes) checks nothing but the roots' equality,
	// which VerifyConsistency does; say it plainly when they differ.
	if c.Size == r.CurrentSize && !bytes.Equal(c.Root[:], r.CurrentRoot[:]) {
		return r, fmt.Errorf("%w: same size %d, other root", ErrForked, c.Size)
	}
	return r, nil
}

// LatestNote returns the note of the checkpoint taken last, unverified, for
// tools that hold no key (an export hands it to a verifier that does);
// ErrNotFound when none was taken.
func LatestNote(ctx context.Context, pool *pgxpool.Pool) ([]byte, error) {
	var msg string
	err := pool.QueryRow(ctx, `SELECT note FROM checkpoints ORDER BY id DESC LIMIT 1`).Scan(&msg)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return []byte(msg), nil
}

// ParseNote returns the checkpoint in a note without checking its
// signature: for sizing proofs before the verifier checks it.
func ParseNote(msg []byte) (Checkpoint, error) {
	text, _, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		return Checkpoint{}, fmt.Errorf("%w: no signature block", ErrBadNote)
	}
	return Parse(string(text) + "\n")
}
