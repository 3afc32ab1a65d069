package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/backup"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// secondDatabase is a database of the test cluster other than
// HOSO_TEST_DATABASE_URL's, so a restore lands where the source never was.
func secondDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	base := os.Getenv(pgtest.EnvVar)
	if base == "" {
		t.Fatalf("%s is not set", pgtest.EnvVar)
	}
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const name = "hoso_restore_test"
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		var pgErr *pgconn.PgError
		// Parallel tests race to create it; the loser uses the winner's.
		if !errors.As(err, &pgErr) || (pgErr.Code != pgerrcode.DuplicateDatabase && pgErr.Code != pgerrcode.UniqueViolation) {
			t.Fatal(err)
		}
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(base, "/"+cfg.Database, "/"+name, 1)
}

// restoreEnv is env pointed at the database restored into, with the keys
// restore needs to rebuild the read models sealed.
func restoreEnv(env map[string]string, url string) map[string]string {
	return withEnv(withEnv(withEnv(env, "HOSO_DATABASE_URL", url), "HOSO_KEK", testKEK), "HOSO_PERSONAL_ID_KEY", importKey)
}

func withEnv(env map[string]string, k, v string) map[string]string {
	out := maps.Clone(env)
	out[k] = v
	return out
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := approveMonth(t)
	// Operational tables travel too: a login and a read-log line.
	if _, err := a.pool.Exec(ctx, `INSERT INTO auth_credentials VALUES (gen_random_uuid(), 'nguyễn.văn.an', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', now());
		INSERT INTO dossier_reads (read_at, account_id, username, dossier_id, method, route, purpose, outcome)
		VALUES (now(), gen_random_uuid(), 'nguyễn.văn.an', gen_random_uuid(), 'GET', '/api/v1/dossiers/{id}', 'Thẩm định hồ sơ', 'allowed')`); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "hoso.backup")
	code, out, errOut := hosoWith(t, a.env, "backup", "-o", file)
	if code != 0 {
		t.Fatalf("backup = %d\n%s%s", code, out, errOut)
	}
	t.Logf("hoso backup: %s", out)
	want, err := backup.Counts(ctx, a.pool)
	if err != nil {
		t.Fatal(err)
	}
	if want["events"] == 0 || want["merkle_leaves"] == 0 || want["checkpoints"] == 0 || want["auth_credentials"] != 1 || want["dossier_reads"] != 1 || want["approval_manifests"] != 1 {
		t.Fatalf("the source ledger is empty: %v", want)
	}

	dstPool, dstURL := pgtest.NewAt(t, secondDatabase(t))
	dst := restoreEnv(a.env, dstURL)
	code, out, errOut = hosoWith(t, dst, "restore", file)
	if code != 0 {
		t.Fatalf("restore = %d\n%s%s", code, out, errOut)
	}
	t.Logf("hoso restore:\n%s", out)
	for _, s := range []string{"backup verified", "read models rebuilt", "verify: "} {
		if !strings.Contains(out, s) {
			t.Errorf("restore's output lacks %q:\n%s", s, out)
		}
	}
	got, err := backup.Counts(ctx, dstPool)
	if err != nil {
		t.Fatal(err)
	}
	// approveMonth writes its history without a KEK; the rebuild seals
	// those dossiers' read models and so makes their data keys. The
	// restored database may hold more data keys than the source, never
	// fewer, and every other table the same rows.
	if got["data_keys"] < want["data_keys"] {
		t.Errorf("data keys after restore %d, source %d", got["data_keys"], want["data_keys"])
	}
	delete(got, "data_keys")
	delete(want, "data_keys")
	if !maps.Equal(got, want) {
		t.Errorf("row counts after restore %v, source %v", got, want)
	}
	// verify on the restored database agrees with the source's.
	srcCode, srcOut, _ := hosoWith(t, a.env, "verify")
	dstCode, dstOut, dstErr := hosoWith(t, dst, "verify")
	if srcCode != 0 || dstCode != 0 || srcOut != dstOut {
		t.Errorf("verify: source %d %q, restored %d %q %s", srcCode, srcOut, dstCode, dstOut, dstErr)
	}
	// The read models were rebuilt from the events: every one is live.
	var live, notLive int
	if err := dstPool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE live), count(*) FILTER (WHERE NOT live AND state <> 'retired') FROM projection_checkpoints`).Scan(&live, &notLive); err != nil {
		t.Fatal(err)
	}
	if live == 0 || notLive != 0 {
		t.Errorf("projections after restore: %d live, %d not live", live, notLive)
	}
	// New appends after the restore take new sequence values.
	if _, err := dstPool.Exec(ctx, `INSERT INTO checkpoints (tree_size, root, note, reason, created_at) SELECT tree_size, root, note, 'test', now() FROM checkpoints ORDER BY id DESC LIMIT 1`); err != nil {
		t.Errorf("a new checkpoint row after restore: %v", err)
	}

	// A second restore into the same (no longer empty) database is refused.
	code, _, errOut = hosoWith(t, dst, "restore", file)
	if code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore into a non-empty database = %d %s", code, errOut)
	}
}

func TestRestoreRefusesBadBackups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := approveMonth(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "hoso.backup")
	if code, out, errOut := hosoWith(t, a.env, "backup", "-o", file); code != 0 {
		t.Fatalf("backup = %d\n%s%s", code, out, errOut)
	}
	clean, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A later checkpoint: the ledger grew after the backup was taken.
	if code, out, errOut := hosoWith(t, a.env, "checkpoint", "--out", filepath.Join(dir, "same.cp")); code != 0 {
		t.Fatalf("checkpoint = %d %s%s", code, out, errOut)
	}
	approveMoreAfterBackup(t, a)
	later := filepath.Join(dir, "later.cp")
	if code, out, errOut := hosoWith(t, a.env, "checkpoint", "--out", later); code != 0 {
		t.Fatalf("checkpoint = %d %s%s", code, out, errOut)
	}
	otherKey := filepath.Join(dir, "other", "checkpoint.key")
	if _, err := checkpoint.LoadOrCreateKey(otherKey, "hoso.test/cmd"); err != nil {
		t.Fatal(err)
	}

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edited := append([]byte(nil), clean...)
	edited[firstPartOffset(t, clean)+10] ^= 0x01 // inside the events part
	manifestEdited := []byte(strings.Replace(string(clean), `"rows": `, `"rows": 1`, 1))

	dstPool, dstURL := pgtest.NewAt(t, secondDatabase(t))
	dst := restoreEnv(a.env, dstURL)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a byte of a part edited", []string{write("edited", edited)}, "was edited"},
		{"the manifest edited", []string{write("manifest", manifestEdited)}, "signature does not verify"},
		{"truncated", []string{write("truncated", clean[:len(clean)/2])}, "truncated"},
		{"signed by another key", []string{"--checkpoint-key", otherKey + ".pub", file}, "signature does not verify"},
		{"older than a checkpoint", []string{"--not-older-than", later, file}, "older than the given checkpoint"},
		{"not a backup", []string{write("junk", []byte("hello"))}, "not a hoso backup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := hosoWith(t, dst, append([]string{"restore"}, c.args...)...)
			if code != 1 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "backup refused") {
				t.Errorf("restore = %d, want 1 and %q\n%s%s", code, c.want, out, errOut)
			}
		})
	}
	counts, err := backup.Counts(ctx, dstPool)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Errorf("a refused restore wrote %d rows into %s", n, table)
		}
	}
	// The checkpoint taken at the backup's size is no reason to refuse.
	code, out, errOut := hosoWith(t, dst, "restore", "--not-older-than", filepath.Join(dir, "same.cp"), file)
	if code != 0 {
		t.Fatalf("restore --not-older-than the same checkpoint = %d\n%s%s", code, out, errOut)
	}
}

// approveMoreAfterBackup appends one event and sequences it into the
// Merkle log, so a checkpoint taken now is newer than the backup.
func approveMoreAfterBackup(t *testing.T, a *approvedMonth) {
	t.Helper()
	ctx := context.Background()
	before, err := a.tree.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.Append(ctx, "after-backup", eventstore.Exactly(0), eventstore.EventData{
		Type: "test.after_backup.v1", Data: []byte(`{}`),
		Meta: eventstore.Metadata{Actor: eventstore.Actor{AccountID: "acc-1", Name: "Vũ Minh Tuấn"}},
	}); err != nil {
		t.Fatal(err)
	}
	// The stable prefix trails any transaction running in the cluster
	// (other tests'), so one SequenceOnce may stop short.
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := a.tree.SequenceOnce(ctx); err != nil {
			t.Fatal(err)
		}
		size, err := a.tree.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if size > before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the appended event was not sequenced in a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// firstPartOffset is where the first part's bytes begin in a backup: after
// the manifest's tar header and padded content, and the part's own header.
func firstPartOffset(t *testing.T, b []byte) int {
	t.Helper()
	hdr, err := tar.NewReader(bytes.NewReader(b)).Next()
	if err != nil {
		t.Fatal(err)
	}
	return 512 + int((hdr.Size+511)/512*512) + 512
}

// TestBackupRefusesEventStoreDB: with the events on EventStoreDB the tables
// a backup copies do not hold them; both commands say so and do nothing.
func TestBackupRefusesEventStoreDB(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"HOSO_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "HOSO_EVENTSTORE_URL": "esdb://127.0.0.1:2113?tls=false",
		"HOSO_KEK": testKEK, "HOSO_PERSONAL_ID_KEY": importKey}
	for _, args := range [][]string{{"backup", "-o", filepath.Join(dir, "b")}, {"restore", filepath.Join(dir, "b")}} {
		code, out, errOut := hosoWith(t, env, args...)
		if code != 2 || !strings.Contains(errOut, "EventStoreDB") {
			t.Errorf("hoso %s = %d %s%s, want 2 naming EventStoreDB", args[0], code, out, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); !os.IsNotExist(err) {
		t.Errorf("a backup file was written: %v", err)
	}
}

// TestServedManifestTampered: the bytes of a signed manifest live outside
// its event (approval_manifests, by digest). An edited or deleted row is
// named by hoso verify, refused by the audit export, and a backup holding
// the edited row does not restore: the restored ledger does not verify.
func TestServedManifestTampered(t *testing.T) {
	t.Parallel()
	a := approveMonth(t)
	if code, out, errOut := hosoWith(t, a.env, "verify"); code != 0 {
		t.Fatalf("verify of the intact ledger = %d\n%s%s", code, out, errOut)
	}
	var digest string
	if err := a.pool.QueryRow(context.Background(), `SELECT sha256 FROM approval_manifests`).Scan(&digest); err != nil {
		t.Fatal(err)
	}
	stream := approval.StreamID(a.org, a.month, approval.LevelUnit)
	sqlAsIntruder(t, a.pool, `UPDATE approval_manifests SET content = convert_to(replace(convert_from(content, 'UTF8'), '"count":2', '"count":1'), 'UTF8')`)
	code, out, errOut := hosoWith(t, a.env, "verify")
	if code != 1 || !strings.Contains(out, stream+"@1: content: the stored bytes of served manifest "+digest+" do not hash to its digest") {
		t.Errorf("verify after the manifest's bytes were edited = %d\n%s%s", code, out, errOut)
	}
	bundle := filepath.Join(t.TempDir(), "bundle.json")
	code, out, errOut = hosoWith(t, a.env, "audit", "export", "--org", a.org.String(), "--month", a.month.String(), "--out", bundle)
	if code == 0 || !strings.Contains(out+errOut, approvals.CodeManifestTampered) {
		t.Errorf("audit export of a tampered manifest = %d\n%s%s", code, out, errOut)
	}

	file := filepath.Join(t.TempDir(), "hoso.backup")
	if code, out, errOut := hosoWith(t, a.env, "backup", "-o", file); code != 0 {
		t.Fatalf("backup = %d\n%s%s", code, out, errOut)
	}
	_, dstURL := pgtest.NewAt(t, secondDatabase(t))
	code, out, errOut = hosoWith(t, restoreEnv(a.env, dstURL), "restore", file)
	if code != 1 || !strings.Contains(out, stream+"@1: content:") || !strings.Contains(errOut, "does not verify") {
		t.Errorf("restore of a backup with an edited manifest = %d\n%s%s", code, out, errOut)
	}

	sqlAsIntruder(t, a.pool, `DELETE FROM approval_manifests`)
	code, out, errOut = hosoWith(t, a.env, "verify")
	if code != 1 || !strings.Contains(out, stream+"@1: content: the bytes of served manifest "+digest+" are not stored") {
		t.Errorf("verify after the manifest's bytes were deleted = %d\n%s%s", code, out, errOut)
	}
}
