// Package backup writes and restores hoso's self-verifying backups.
//
// A backup holds what cannot be derived: the ledger (events as stored), the
// Merkle log and its signed checkpoints, the scanned attachments, the read
// log and the credentials. Read models are never in it: restore rebuilds
// them from the events, so a backup cannot carry a read model that
// disagrees with the ledger.
//
// The file is a tar archive: first manifest.note, a signed note (the
// checkpoint key's, golang.org/x/mod/sumdb/note) whose text is the JSON
// manifest; then one zstd-compressed COPY text stream per table. The
// manifest names every part's SHA-256, byte size and row count, the Merkle
// log's size and root and the latest signed checkpoint, so an edited byte,
// a missing part or a swapped table is found before anything is written.
package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/mod/sumdb/note"
)

// Format names this layout; restore refuses any other.
const Format = "hoso-backup/1"

// manifestName is the archive's first entry.
const manifestName = "manifest.note"

// Table is one table a backup carries, copied in a stable order so two
// backups of the same state are byte-identical.
type Table struct {
	Name    string
	OrderBy string
	// Identity is the column filled by a sequence, set past the restored
	// rows so new rows do not collide ("" when none).
	Identity string
	// Later: added after backups of this format were first written, so a
	// backup from before it has no part for it (and needed none).
	Later bool
}

// Tables is what a backup carries, in restore order. A table added by a
// migration that holds facts (not a read model) belongs here. The wrapped
// data keys go with the events they open: a backup without them would
// restore ciphertext nobody can read (they stay wrapped by the KEK, which
// never enters a backup).
var Tables = []Table{
	{Name: "data_keys", OrderBy: "scope"},
	{Name: "events", OrderBy: "transaction_id, seq", Identity: "seq"},
	{Name: "merkle_leaves", OrderBy: "leaf_index"},
	{Name: "merkle_nodes", OrderBy: "level, node_index"},
	{Name: "checkpoints", OrderBy: "id", Identity: "id"},
	{Name: "attachments", OrderBy: "sha256"},
	{Name: "auth_credentials", OrderBy: "account_id"},
	{Name: "auth_tokens", OrderBy: "token_sha256"},
	{Name: "dossier_reads", OrderBy: "read_id", Identity: "read_id"},
	// The served approval manifests' bytes, which their events name by
	// digest only: without them no approval could be checked. Restore
	// checks each against its event (`hoso verify`'s Content check).
	// Backups from before migration 00080 have no part: their manifests
	// were inline in the events.
	{Name: "approval_manifests", OrderBy: "sha256", Later: true},
}

// Manifest describes a backup; it is the signed text.
type Manifest struct {
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	// SchemaVersion is the goose version of the source database: restore
	// needs the same columns.
	SchemaVersion int64  `json:"schema_version"`
	Compression   string `json:"compression"`
	Parts         []Part `json:"parts"`
	// LogSize and LogRoot are the Merkle log in the backup (leaves are
	// immutable, so the root at that size is the snapshot's).
	LogSize uint64 `json:"log_size"`
	LogRoot string `json:"log_root"`
	// Checkpoint is the latest signed checkpoint note in the backup.
	Checkpoint string `json:"checkpoint,omitempty"`
	// MaxTransactionID is the newest event's transaction id: the target
	// cluster's counter must be past it, or readers (which stop at the
	// oldest running transaction) would never see the restored events.
	MaxTransactionID uint64 `json:"max_transaction_id"`
}

// Part is one table's COPY stream.
type Part struct {
	Table   string   `json:"table"`
	File    string   `json:"file"`
	Columns []string `json:"columns"`
	Rows    int64    `json:"rows"`
	Bytes   int64    `json:"bytes"`
	SHA256  string   `json:"sha256"`
}

// Source is what Write needs beside the pool: the log's root at a size,
// computed by the caller (package treelog) so this package stays storage only.
type Source struct {
	Pool *pgxpool.Pool
	Root func(ctx context.Context, size uint64) ([32]byte, error)
	// SchemaVersion is the database's migration version.
	SchemaVersion int64
	Signer        note.Signer
	Now           func() time.Time
}

// Write writes a backup to out. Every table is read in one REPEATABLE READ,
// read-only transaction (one snapshot); each part is streamed through zstd
// to a temporary file in tmpDir while it is hashed, so memory stays bounded
// whatever the ledger's size.
func Write(ctx context.Context, src Source, out io.Writer, tmpDir string) (Manifest, error) {
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	m := Manifest{Format: Format, CreatedAt: now().UTC(), SchemaVersion: src.SchemaVersion, Compression: "zstd"}
	work, err := os.MkdirTemp(tmpDir, ".hoso-backup-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(work)

	tx, err := src.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return m, err
	}
	defer tx.Rollback(ctx)
	for _, t := range Tables {
		p, err := dumpTable(ctx, tx, t, work)
		if err != nil {
			return m, fmt.Errorf("table %s: %w", t.Name, err)
		}
		m.Parts = append(m.Parts, p)
	}
	var cp *string
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM merkle_leaves),
		coalesce((SELECT transaction_id::text::bigint FROM events ORDER BY transaction_id DESC, seq DESC LIMIT 1), 0),
		(SELECT note FROM checkpoints ORDER BY tree_size DESC, id DESC LIMIT 1)`).Scan(&m.LogSize, &m.MaxTransactionID, &cp); err != nil {
		return m, err
	}
	if cp != nil {
		m.Checkpoint = *cp
	}
	if err := tx.Commit(ctx); err != nil {
		return m, err
	}
	if m.LogSize > 0 {
		root, err := src.Root(ctx, m.LogSize)
		if err != nil {
			return m, fmt.Errorf("the Merkle root: %w", err)
		}
		m.LogRoot = hex.EncodeToString(root[:])
	}

	text, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	signed, err := note.Sign(&note.Note{Text: string(text) + "\n"}, src.Signer)
	if err != nil {
		return m, fmt.Errorf("signing the manifest: %w", err)
	}
	tw := tar.NewWriter(out)
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(signed)), ModTime: m.CreatedAt}); err != nil {
		return m, err
	}
	if _, err := tw.Write(signed); err != nil {
		return m, err
	}
	for _, p := range m.Parts {
		if err := appendFile(tw, filepath.Join(work, filepath.Base(p.File)), p, m.CreatedAt); err != nil {
			return m, err
		}
	}
	return m, tw.Close()
}

func dumpTable(ctx context.Context, tx pgx.Tx, t Table, dir string) (Part, error) {
	cols, err := columns(ctx, tx, t.Name)
	if err != nil {
		return Part{}, err
	}
	p := Part{Table: t.Name, File: "parts/" + t.Name + ".copy.zst", Columns: cols}
	f, err := os.Create(filepath.Join(dir, filepath.Base(p.File)))
	if err != nil {
		return p, err
	}
	defer f.Close()
	h := sha256.New()
	counter := &countWriter{w: io.MultiWriter(f, h)}
	zw, err := zstd.NewWriter(counter, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return p, err
	}
	sql := fmt.Sprintf("COPY (SELECT %s FROM %s ORDER BY %s) TO STDOUT", columnList(cols), pgx.Identifier{t.Name}.Sanitize(), t.OrderBy)
	tag, err := tx.Conn().PgConn().CopyTo(ctx, zw, sql)
	if err != nil {
		zw.Close()
		return p, err
	}
	if err := zw.Close(); err != nil {
		return p, err
	}
	if err := f.Close(); err != nil {
		return p, err
	}
	p.Rows = tag.RowsAffected()
	p.Bytes = counter.n
	p.SHA256 = hex.EncodeToString(h.Sum(nil))
	return p, nil
}

// columns is a table's columns in table order, as the current schema has them.
func columns(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, table string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT attname FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, table)
	if err != nil {
		return nil, err
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no table %s in the current schema", table)
	}
	return cols, nil
}

func columnList(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += pgx.Identifier{c}.Sanitize()
	}
	return s
}

func appendFile(tw *tar.Writer, path string, p Part, mod time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: p.File, Mode: 0o644, Size: p.Bytes, ModTime: mod}); err != nil {
		return err
	}
	n, err := io.Copy(tw, f)
	if err == nil && n != p.Bytes {
		err = fmt.Errorf("%s: wrote %d bytes, expected %d", p.File, n, p.Bytes)
	}
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// ErrInvalid marks a backup that failed verification: restore refuses it.
var ErrInvalid = errors.New("backup refused")
