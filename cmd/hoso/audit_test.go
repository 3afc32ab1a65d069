package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

// hosoWith runs the command line with the given environment.
func hosoWith(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

type approvedMonth struct {
	pool    *pgxpool.Pool
	store   eventstore.Store
	tree    *treelog.Log
	env     map[string]string
	org     domain.OrgID
	month   approval.Month
	dossier domain.DossierID
	pubKey  string // path of the public checkpoint key
}

// approveMonth builds a ledger with one org whose last month holds two
// dossiers, approved with an openssl signature, and a checkpoint key.
func approveMonth(t *testing.T) *approvedMonth {
	t.Helper()
	ctx := context.Background()
	pool, url := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	tree := treelog.New(pool, store, treelog.Options{})
	l := ledger.Ledger{Store: store}
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "var", "checkpoint.key")
	key, err := checkpoint.LoadOrCreateKey(keyPath, "hoso.test/cmd")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	month := approval.MonthOf(now).Prev()
	day := func(d int) time.Time { return month.Start().AddDate(0, 0, d-1).Add(9 * time.Hour) }
	admin := domain.AccountID(uuid.Must(uuid.NewV7()))
	meta := func(at time.Time) domain.Meta {
		d := domain.DateOf(at)
		return domain.Meta{Actor: domain.Actor{Account: admin, Name: "Quản trị"}, RecordedAt: at.UTC(), EffectiveDate: d,
			Source: domain.SourceDocument{Kind: "decision", Number: "1/QĐ-UBND", Date: d, Issuer: "UBND tỉnh"}}
	}
	unit := domain.OrgID(uuid.Must(uuid.NewV7()))
	orgs := app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)}
	if _, err := orgs.Create(ctx, unit, org.CreateOrg{Name: "Sở Y tế tỉnh Phú Thọ", Code: "H45.02", Kind: org.KindDepartment, Level: org.LevelProvince}, meta(month.Start().AddDate(-1, 0, 0))); err != nil {
		t.Fatal(err)
	}
	dossiers := app.Dossiers{Ledger: l, Catalogue: catalog.Default(), PersonalIDKey: []byte("cmd-test-personal-id-key-0123456789")}
	var first domain.DossierID
	for i := range 2 {
		c := dossier.CreateDossier{
			DossierID: domain.DossierID(uuid.Must(uuid.NewV7())), Class: dossier.ClassCongChuc, ManagingOrg: unit, EmployingUnit: unit,
			PersonalIDNumber: fmt.Sprintf("025090%06d", i+1),
			Identity: dossier.Identity{BirthName: "Nguyễn Văn An", Gender: dossier.GenderMale, DateOfBirth: domain.MustDate(1990, 5, 12),
				Ethnicity: "01", Religion: "none", HomeTown: dossier.Address{Place: "25", Detail: "xã Lâm Thao"}},
		}
		if _, err := dossiers.Create(ctx, c, meta(day(10+i))); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c.DossierID
		}
	}
	root := certtest.NewCA(t, "Root")
	signer := root.Issue(t, "Giám đốc", month.Start().AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	accts := app.Accounts{Ledger: l}
	aid := domain.AccountID(uuid.Must(uuid.NewV7()))
	if _, err := accts.Create(ctx, aid, account.CreateAccount{Kind: account.KindOrg, Username: "giamdoc", DisplayName: "Giám đốc", HomeOrg: unit}, meta(day(2))); err != nil {
		t.Fatal(err)
	}
	if _, err := accts.Grant(ctx, aid, 0, account.NewGrant{ID: uuid.Must(uuid.NewV7()), Role: account.RoleApprover, Org: unit}, meta(day(2))); err != nil {
		t.Fatal(err)
	}
	if _, err := accts.RegisterCertificate(ctx, aid, 0, signer.PEM, meta(day(2))); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	pol, err := policy.Preset(policy.PresetNames()[0])
	if err != nil {
		t.Fatal(err)
	}
	svc := approvals.New(approvals.Config{Pool: pool, Store: store, Tree: tree, Checkpoints: checkpoint.New(pool, tree, key, nil),
		Roots: roots, Policy: pol, Calendar: calendar.Official()})
	served, err := svc.Manifest(ctx, unit, month, approval.LevelUnit, domain.Meta{Actor: domain.Actor{Account: aid}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, unit, month, approval.LevelUnit, signer.SignOpenSSL(t, served.Bytes, "DER"), domain.Meta{Actor: domain.Actor{Account: aid}}); err != nil {
		t.Fatal(err)
	}
	rootsFile := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(rootsFile, []byte(root.PEM()), 0o644); err != nil {
		t.Fatal(err)
	}
	return &approvedMonth{pool: pool, store: store, tree: tree, org: unit, month: month, dossier: first, pubKey: keyPath + ".pub",
		env: map[string]string{"HOSO_DATABASE_URL": url, "HOSO_CHECKPOINT_KEY": keyPath, "HOSO_SIGNING_TRUST_ROOTS": rootsFile}}
}

// sqlAsIntruder runs statements with the append-only triggers off.
func sqlAsIntruder(t *testing.T, pool *pgxpool.Pool, stmts ...string) {
	pgtest.Tamper(t, pool, stmts...)
}

func TestAuditBundle(t *testing.T) {
	t.Parallel()
	a := approveMonth(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.json")
	args := []string{"audit", "export", "--org", a.org.String(), "--month", a.month.String(), "--out", bundle}
	if code, out, errOut := hosoWith(t, a.env, args...); code != 0 {
		t.Fatalf("audit export = %d\n%s%s", code, out, errOut)
	}
	// Offline: no database in the environment, the auditor's own key and roots.
	offline := map[string]string{}
	code, out, errOut := hosoWith(t, offline, "audit", "verify", "--key", a.pubKey, "--roots", a.env["HOSO_SIGNING_TRUST_ROOTS"], bundle)
	if code != 0 || !strings.Contains(out, "verified") || !strings.Contains(out, "all 2 listed events") || !strings.Contains(out, "chains to the given trust roots") {
		t.Fatalf("audit verify = %d\n%s%s", code, out, errOut)
	}
	t.Logf("hoso audit verify:\n%s", out)

	// Edits to the bundle itself are named too.
	clean, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := checkpoint.LoadVerifier(a.pubKey)
	if err != nil {
		t.Fatal(err)
	}
	edits := []struct {
		name string
		edit func(b *auditbundle.Bundle)
		want string
	}{
		{"event content edited", func(b *auditbundle.Bundle) {
			b.Events[0].Data = bytes.Replace(b.Events[0].Data, []byte("An"), []byte("Ân"), 1)
		}, "@1: edited"},
		{"event dropped", func(b *auditbundle.Bundle) { b.Events = b.Events[1:] }, ": deleted"},
		{"inclusion proof truncated", func(b *auditbundle.Bundle) {
			b.Events[1].Inclusion = b.Events[1].Inclusion[:len(b.Events[1].Inclusion)-1]
		}, ": merkle: not at leaf"},
		{"approval stream edited", func(b *auditbundle.Bundle) {
			b.Approval[0].Data = bytes.Replace(b.Approval[0].Data, []byte(`"items":2`), []byte(`"items":3`), 1)
		}, "@1: edited"},
		{"checkpoint note edited", func(b *auditbundle.Bundle) {
			b.Checkpoint.Note = strings.Replace(b.Checkpoint.Note, "\n", "\n1", 1)
		}, "checkpoint:"},
		{"consistency proof dropped", func(b *auditbundle.Bundle) { b.Checkpoint.Consistency = nil }, "does not extend the manifest's"},
		// The manifest's bytes travel beside the approval stream (its v2
		// event names them by digest only).
		{"manifest bytes edited", func(b *auditbundle.Bundle) {
			b.Manifest = bytes.Replace(b.Manifest, []byte(`"count":2`), []byte(`"count":3`), 1)
		}, "manifest: its bytes do not hash to the signed digest"},
		{"manifest bytes dropped", func(b *auditbundle.Bundle) { b.Manifest = nil }, "does not carry the bytes of the signed manifest"},
	}
	if b, err := auditbundle.Decode(clean); err != nil || len(b.Manifest) == 0 || approvals.Digest(b.Manifest) == "" {
		t.Fatalf("the bundle carries no manifest bytes: %v", err)
	}
	for _, tc := range edits {
		b, err := auditbundle.Decode(clean)
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(&b)
		r := auditbundle.Verify(b, auditbundle.Options{Key: verifier})
		if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", tc.name, r.Problems, tc.want)
		}
	}

	// Another key, or a stranger's roots, prove nothing.
	if _, err := checkpoint.LoadOrCreateKey(filepath.Join(dir, "other.key"), "hoso.test/cmd"); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := hosoWith(t, offline, "audit", "verify", "--key", filepath.Join(dir, "other.key.pub"), bundle); code != 1 || !strings.Contains(out, "checkpoint:") {
		t.Errorf("audit verify with another key = %d\n%s", code, out)
	}
	strangerRoots := filepath.Join(dir, "stranger.pem")
	if err := os.WriteFile(strangerRoots, []byte(certtest.NewCA(t, "Stranger").PEM()), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := hosoWith(t, offline, "audit", "verify", "--key", a.pubKey, "--roots", strangerRoots, bundle); code != 1 || !strings.Contains(out, approvals.CodeCertUntrusted) {
		t.Errorf("audit verify with a stranger's roots = %d\n%s", code, out)
	}

	// An approved event edited in the database afterwards: hoso verify
	// names it, and so does the bundle exported from the edited database.
	stream := a.dossier.StreamID()
	sqlAsIntruder(t, a.pool, `UPDATE events SET data = convert_to(replace(convert_from(data, 'UTF8'), 'Nguyễn Văn An', 'Nguyễn Văn Ân'), 'UTF8') WHERE stream_id = '`+stream+`' AND stream_version = 1`)
	code, out, errOut = hosoWith(t, a.env, "verify")
	if code != 1 || !strings.Contains(out, stream+"@1: edited") {
		t.Errorf("hoso verify after the edit = %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := hosoWith(t, a.env, args...); code != 0 {
		t.Fatalf("audit export of the edited ledger = %d\n%s%s", code, out, errOut)
	}
	code, out, _ = hosoWith(t, offline, "audit", "verify", "--key", a.pubKey, bundle)
	if code != 1 || !strings.Contains(out, stream+"@1: edited") {
		t.Errorf("audit verify of the edited ledger = %d\n%s", code, out)
	}
	t.Logf("hoso audit verify (edited):\n%s", out)
	// Editing the bundle instead is caught the same way.
	raw, _ := os.ReadFile(bundle)
	if code, _, _ := hosoWith(t, offline, "audit", "verify", "--key", a.pubKey, writeFile(t, dir, "garbage.json", raw[:len(raw)/2])); code != 2 {
		t.Errorf("audit verify of a truncated file = %d, want 2", code)
	}
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// appendMore appends n events and sequences them.
func appendMore(t *testing.T, a *approvedMonth, stream string, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if _, err := a.store.Append(ctx, stream, eventstore.Any, eventstore.EventData{Type: "test.filler.v1", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, err := a.tree.SequenceOnce(ctx); err != nil {
			t.Fatal(err)
		}
		var pending bool
		if err := a.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events e WHERE NOT EXISTS (SELECT 1 FROM merkle_leaves l WHERE l.event_id = e.event_id))`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if !pending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("sequencer did not catch up")
		}
	}
}

// plainLedger is an empty ledger with a checkpoint key: the checkpoint
// checks need events, not approvals.
func plainLedger(t *testing.T) *approvedMonth {
	t.Helper()
	pool, url := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	keyPath := filepath.Join(t.TempDir(), "checkpoint.key")
	if _, err := checkpoint.LoadOrCreateKey(keyPath, "hoso.test/cmd"); err != nil {
		t.Fatal(err)
	}
	return &approvedMonth{pool: pool, store: store, tree: treelog.New(pool, store, treelog.Options{}), pubKey: keyPath + ".pub",
		env: map[string]string{"HOSO_DATABASE_URL": url, "HOSO_CHECKPOINT_KEY": keyPath}}
}

func TestVerifyAgainstCheckpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// act runs after the checkpoint was saved (at size n).
		act  func(t *testing.T, a *approvedMonth, n uint64)
		want string // in the output; "" for success
	}{
		{"log grew", func(t *testing.T, a *approvedMonth, n uint64) { appendMore(t, a, "dossier-later", 3) }, ""},
		{"truncated", func(t *testing.T, a *approvedMonth, n uint64) {
			sqlAsIntruder(t, a.pool, `DELETE FROM merkle_nodes`, fmt.Sprintf(`DELETE FROM merkle_leaves WHERE leaf_index >= %d`, n-2),
				`DELETE FROM events WHERE event_id NOT IN (SELECT event_id FROM merkle_leaves)`)
		}, "truncated"},
		{"older backup restored, then written over", func(t *testing.T, a *approvedMonth, n uint64) {
			sqlAsIntruder(t, a.pool, `DELETE FROM merkle_nodes`, fmt.Sprintf(`DELETE FROM merkle_leaves WHERE leaf_index >= %d`, n-2),
				`DELETE FROM events WHERE event_id NOT IN (SELECT event_id FROM merkle_leaves)`)
			appendMore(t, a, "dossier-after-restore", 5)
		}, "forked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := plainLedger(t)
			appendMore(t, a, "dossier-filler", 8)
			saved := filepath.Join(t.TempDir(), "checkpoint.txt")
			if code, out, errOut := hosoWith(t, a.env, "checkpoint", "--out", saved); code != 0 {
				t.Fatalf("hoso checkpoint = %d\n%s%s", code, out, errOut)
			}
			msg, _ := os.ReadFile(saved)
			cp, err := checkpoint.ParseNote(msg)
			if err != nil {
				t.Fatal(err)
			}
			tc.act(t, a, cp.Size)
			env := map[string]string{"HOSO_DATABASE_URL": a.env["HOSO_DATABASE_URL"]}
			code, out, errOut := hosoWith(t, env, "verify", "--checkpoint", saved, "--checkpoint-key", a.pubKey)
			if tc.want == "" {
				if code != 0 || !strings.Contains(out, "extends checkpoint") {
					t.Fatalf("hoso verify --checkpoint = %d\n%s%s", code, out, errOut)
				}
				return
			}
			if code != 1 || !strings.Contains(out, "(checkpoint "+saved+"): "+tc.want) {
				t.Fatalf("hoso verify --checkpoint = %d, want 1 naming %q\n%s%s", code, tc.want, out, errOut)
			}
		})
	}
}
