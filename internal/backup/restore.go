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
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/mod/sumdb/note"
)

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Verify reads the whole backup at path without touching any database: the
// manifest's signature, then every part's size and SHA-256 against it. It
// returns the manifest only when all of it holds.
func Verify(path string, v note.Verifier) (Manifest, error) {
	var m Manifest
	f, err := os.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName {
		return m, refuse("%s is not a hoso backup (no %s first)", path, manifestName)
	}
	signed, err := io.ReadAll(io.LimitReader(tr, 1<<20))
	if err != nil {
		return m, refuse("the manifest is truncated: %v", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return m, refuse("the manifest's signature does not verify with key %s: %v (edited, or signed by another ledger)", v.Name(), err)
	}
	if err := json.Unmarshal([]byte(n.Text), &m); err != nil {
		return m, refuse("the manifest is not valid: %v", err)
	}
	if m.Format != Format {
		return m, refuse("format %q, this hoso reads %q", m.Format, Format)
	}
	for _, want := range m.Parts {
		hdr, err := tr.Next()
		if err != nil {
			return m, refuse("damaged or truncated: part %s is missing (%v)", want.File, err)
		}
		if hdr.Name != want.File {
			return m, refuse("part %s found where %s was expected", hdr.Name, want.File)
		}
		h := sha256.New()
		got, err := io.Copy(h, tr)
		if err != nil {
			return m, refuse("damaged or truncated: part %s: %v", want.File, err)
		}
		if got != want.Bytes {
			return m, refuse("part %s has %d bytes, the manifest says %d", want.File, got, want.Bytes)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != want.SHA256 {
			return m, refuse("part %s was edited: SHA-256 %s, the manifest says %s", want.File, sum, want.SHA256)
		}
	}
	if hdr, err := tr.Next(); err != io.EOF {
		name := ""
		if hdr != nil {
			name = hdr.Name
		}
		return m, refuse("unexpected content after the last part %s (%v)", name, err)
	}
	for _, t := range Tables {
		if !t.Later && !slices.ContainsFunc(m.Parts, func(p Part) bool { return p.Table == t.Name }) {
			return m, refuse("no part for table %s", t.Name)
		}
	}
	return m, nil
}

// NotOlderThan refuses a backup whose Merkle log is smaller than a checkpoint
// the operator trusts (restoring it would silently drop history), or that
// has another root at the checkpoint's size (a forked history).
func NotOlderThan(m Manifest, size uint64, root [32]byte) error {
	if m.LogSize < size {
		return refuse("older than the given checkpoint: the backup's log has %d entries, the checkpoint %d", m.LogSize, size)
	}
	if m.LogSize == size && m.LogRoot != hex.EncodeToString(root[:]) {
		return refuse("the backup's log has the checkpoint's size %d but another root: a forked history", size)
	}
	return nil
}

// Restore loads a verified backup into the database pool reaches, which
// must be empty (migrated, no events, no leaves, no checkpoints, no
// accounts): all tables in one transaction, so a failure leaves it empty.
// The read models are not touched: the caller rebuilds them.
// Each table's columns must be the backup's (a release that changed them
// restores through the release that wrote the backup, then migrates).
func Restore(ctx context.Context, pool *pgxpool.Pool, path string, m Manifest) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, t := range Tables {
		var any bool
		if err := tx.QueryRow(ctx, fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s)", pgx.Identifier{t.Name}.Sanitize())).Scan(&any); err != nil {
			return err
		}
		if any {
			return fmt.Errorf("the database is not empty (table %s has rows): restore only into an empty database", t.Name)
		}
	}
	var current uint64
	if err := tx.QueryRow(ctx, "SELECT pg_current_xact_id()::text::bigint").Scan(&current); err != nil {
		return err
	}
	if current <= m.MaxTransactionID {
		return fmt.Errorf("this cluster's transaction counter (%d) is behind the backup's newest event (%d): readers would not see the restored events; advance it first (pg_resetwal -x on the stopped, new cluster; docs/operations.md)", current, m.MaxTransactionID)
	}

	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	if _, err := tr.Next(); err != nil { // the manifest, verified already
		return err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer dec.Close()
	for _, p := range m.Parts {
		if _, err := tr.Next(); err != nil {
			return fmt.Errorf("part %s: %w", p.File, err)
		}
		t, ok := tableNamed(p.Table)
		if !ok {
			return fmt.Errorf("part %s: table %s is not one a backup carries", p.File, p.Table)
		}
		cols, err := columns(ctx, tx, t.Name)
		if err != nil {
			return err
		}
		if !slices.Equal(cols, p.Columns) {
			return fmt.Errorf("table %s: the backup's columns %v are not this database's %v", t.Name, p.Columns, cols)
		}
		if err := dec.Reset(tr); err != nil {
			return err
		}
		sql := fmt.Sprintf("COPY %s (%s) FROM STDIN", pgx.Identifier{t.Name}.Sanitize(), columnList(cols))
		tag, err := tx.Conn().PgConn().CopyFrom(ctx, dec, sql)
		if err != nil {
			return fmt.Errorf("table %s: %w", t.Name, err)
		}
		if tag.RowsAffected() != p.Rows {
			return fmt.Errorf("table %s: %d rows restored, the manifest says %d", t.Name, tag.RowsAffected(), p.Rows)
		}
		if t.Identity != "" {
			// Past the restored rows, so the next insert takes a new value.
			if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(%s), 0) + 1, false) FROM %s`,
				pgx.Identifier{t.Identity}.Sanitize(), pgx.Identifier{t.Name}.Sanitize()), t.Name, t.Identity); err != nil {
				return fmt.Errorf("table %s: setting its sequence: %w", t.Name, err)
			}
		}
	}
	return tx.Commit(ctx)
}

func tableNamed(name string) (Table, bool) {
	i := slices.IndexFunc(Tables, func(t Table) bool { return t.Name == name })
	if i < 0 {
		return Table{}, false
	}
	return Tables[i], true
}

// Counts is each backed-up table's row count in the database pool reaches,
// for comparing a restored database with its manifest.
func Counts(ctx context.Context, pool *pgxpool.Pool) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range Tables {
		var n int64
		if err := pool.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s", pgx.Identifier{t.Name}.Sanitize())).Scan(&n); err != nil {
			return nil, err
		}
		out[t.Name] = n
	}
	return out, nil
}

// IsInvalid says whether err is a verification refusal (as opposed to an
// I/O or database problem).
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }
