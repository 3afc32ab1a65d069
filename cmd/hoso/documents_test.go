package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/pdftest"
)

// TestCVAndExportCommands runs `hoso cv`, `hoso export` and `hoso audit
// verify` on the package, as an operator and an auditor would.
func TestCVAndExportCommands(t *testing.T) {
	t.Parallel()
	a := approveMonth(t)
	ctx := context.Background()
	if _, err := a.tree.SequenceOnce(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := checkpoint.LoadKey(a.env["HOSO_CHECKPOINT_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.New(a.pool, a.tree, key, nil).Take(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca := certtest.NewCA(t, "Root CA")
	cert, sealKey := ca.IssueSeal(t, export.SealSubject("Sở Y tế tỉnh Phú Thọ", "Việt Trì", "Giám đốc", "Hà Minh Tuấn"), dir)
	env := map[string]string{"USER": "vanhanh", "HOSO_SEAL_CERT": cert, "HOSO_SEAL_KEY": sealKey, "HOSO_KEK": testKEK}
	for k, v := range a.env {
		env[k] = v
	}
	roots := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(roots, []byte(ca.PEM()), 0o600); err != nil {
		t.Fatal(err)
	}

	code, pdf, errOut := hosoWith(t, env, "cv", a.dossier.String())
	if code != 0 || !strings.HasPrefix(pdf, "%PDF") {
		t.Fatalf("hoso cv = %d %s", code, errOut)
	}
	text := pdftest.Text(t, []byte(pdf), 1, 0)
	for _, want := range []string{"NGUYỄN VĂN AN", "12/05/1990", "Kinh", "Sở Y tế tỉnh Phú Thọ", "Việt Trì, ngày", "Hà Minh Tuấn"} {
		if !strings.Contains(text, want) {
			t.Errorf("hoso cv: the PDF lacks %q", want)
		}
	}
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM dossier_reads WHERE dossier_id = $1 AND username = 'cli:vanhanh' AND route = 'hoso cv'`, a.dossier.String()).Scan(&n); err != nil || n != 1 {
		t.Errorf("hoso cv is logged %d times (%v), want once", n, err)
	}

	out := filepath.Join(dir, "x.zip")
	if code, _, errOut := hosoWith(t, env, "export", a.dossier.String(), "-o", out); code != 0 {
		t.Fatalf("hoso export = %d %s", code, errOut)
	}
	code, stdout, errOut := hosoWith(t, env, "audit", "verify", "--roots", roots, "--key", a.pubKey, out)
	if code != 0 || !strings.Contains(stdout, "verified") || !strings.Contains(stdout, "events proved included") {
		t.Fatalf("hoso audit verify = %d\n%s%s", code, stdout, errOut)
	}
	// Another root: the seal is not trusted.
	other := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(other, []byte(certtest.NewCA(t, "Other CA").PEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := hosoWith(t, env, "audit", "verify", "--roots", other, "--key", a.pubKey, out); code != 1 || !strings.Contains(stdout, "signature:") {
		t.Errorf("verify against another root = %d\n%s", code, stdout)
	}

	for _, c := range [][]string{
		{"cv"},
		{"cv", "not-an-id"},
		{"cv", a.dossier.String(), "--as-of", "yesterday"},
		{"export", a.dossier.String(), "--effective-on", "2025-01-01"},
	} {
		if code, _, _ := hosoWith(t, env, c...); code != 2 {
			t.Errorf("hoso %v = %d, want 2", c, code)
		}
	}
	if code, _, errOut := hosoWith(t, env, "cv", a.dossier.String(), "--as-of", "2001-01-01T00:00:00Z"); code != 1 || !strings.Contains(errOut, "did not exist") {
		t.Errorf("hoso cv before creation = %d %s", code, errOut)
	}
}
