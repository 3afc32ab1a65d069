package approvals_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/certtest"
)

// remoteWorld is one unit with one approver whose certificate is
// registered, a dossier in last month, and a service whose clock the test
// moves.
type remoteWorld struct {
	svc    *approvals.Service
	store  *postgres.Store
	w      *world
	unit   domain.OrgID
	month  approval.Month
	signer certtest.Signer
	root   *certtest.CA
	clock  *time.Time
	day    func(int) time.Time
	cfg    approvals.Config
}

// with is another service on the same ledger, configured differently.
func (rw *remoteWorld) with(f func(*approvals.Config)) *approvals.Service {
	cfg := rw.cfg
	f(&cfg)
	return approvals.New(cfg)
}

func newRemoteWorld(t *testing.T, cfg approvals.Config) *remoteWorld {
	t.Helper()
	w, pool, store, tree := newWorld(t)
	now := time.Now()
	month := approval.MonthOf(now).Prev()
	day := func(d int) time.Time { return month.Start().AddDate(0, 0, d-1).Add(9 * time.Hour) }
	founded := month.Start().AddDate(-1, 0, 0)
	w.org(t, province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, founded)
	w.org(t, unitA, org.CreateOrg{Name: "Sở Y tế tỉnh Phú Thọ", Code: "H45.02", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	root := certtest.NewCA(t, "Hoso Remote Test Root")
	signer := root.Issue(t, "Nguyễn Văn Ký", month.Start().AddDate(0, -2, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	w.approver(t, "remote-approver", unitA, unitA, signer.PEM, day(2))
	w.dossier(t, unitA, day(10))
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	clock := now
	cfg.Pool, cfg.Store, cfg.Tree, cfg.Roots = pool, store, tree, roots
	cfg.Policy, cfg.Calendar = preset(t), calendar.Official()
	cfg.Now = func() time.Time { return clock }
	return &remoteWorld{svc: approvals.New(cfg), store: store, w: w, unit: unitA, month: month, signer: signer, root: root, clock: &clock, day: day, cfg: cfg}
}

// TestPrepareComplete plays a remote hash-signing service: the server
// prepares the signed attributes, the "service" signs their digest with
// the approver's key, the server assembles and verifies the SignedData as
// an upload, and openssl verifies the recorded CMS over the manifest.
func TestPrepareComplete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rw := newRemoteWorld(t, approvals.Config{})
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	if _, err := rw.svc.Prepare(ctx, rw.unit, rw.month, approval.LevelUnit, 0, nil, rw.signer.Fingerprint()); approvals.CodeOf(err) != approvals.CodeManifestNotServed {
		t.Fatalf("Prepare before a manifest = %v, want %s", err, approvals.CodeManifestNotServed)
	}
	served, err := rw.svc.Manifest(ctx, rw.unit, rw.month, approval.LevelUnit, meta)
	if err != nil {
		t.Fatal(err)
	}
	stranger := rw.root.Issue(t, "Không Đăng Ký", rw.month.Start(), time.Now().AddDate(1, 0, 0), certtest.SigningUsage)
	badInput := []struct {
		name     string
		cert     []byte
		fp, code string
		field    string
	}{
		{"neither", nil, "", "", "certificate"},
		{"garbage certificate", []byte("không phải chứng thư"), "", "", "certificate"},
		{"bad fingerprint", nil, "xyz", "", "fingerprint_sha256"},
		{"unregistered certificate", []byte(stranger.PEM), "", approvals.CodeCertNotRegistered, ""},
		{"unregistered fingerprint", nil, stranger.Fingerprint(), approvals.CodeCertNotRegistered, ""},
	}
	for _, tc := range badInput {
		_, err := rw.svc.Prepare(ctx, rw.unit, rw.month, approval.LevelUnit, 0, tc.cert, tc.fp)
		if tc.code != "" && approvals.CodeOf(err) != tc.code {
			t.Errorf("%s: Prepare = %v, want %s", tc.name, err, tc.code)
		}
		if tc.field != "" && !invalidField(err, tc.field) {
			t.Errorf("%s: Prepare = %v, want invalid %s", tc.name, err, tc.field)
		}
	}

	byPEM, err := rw.svc.Prepare(ctx, rw.unit, rw.month, approval.LevelUnit, 0, []byte(rw.signer.PEM), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rw.svc.Prepare(ctx, rw.unit, rw.month, approval.LevelUnit, 0, nil, rw.signer.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if p.ManifestDigest != served.Digest || byPEM.ManifestDigest != served.Digest || p.Fingerprint != rw.signer.Fingerprint() {
		t.Fatalf("prepared %+v for manifest %s", p, served.Digest)
	}
	// The "remote service": signs the digest, returning r‖s as some do.
	r, s, err := ecdsa.Sign(rand.Reader, rw.signer.Key, p.Digest)
	if err != nil {
		t.Fatal(err)
	}
	raw := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	wrongKey := certtest.NewCA(t, "x").Key
	wrong, _ := wrongKey.Sign(rand.Reader, p.Digest, crypto.SHA256)
	otherDigest, _ := rw.signer.Key.Sign(rand.Reader, byPEM.Digest[:16], crypto.SHA256)

	refusals := []struct {
		name      string
		id        string
		sig       []byte
		code      string
		field     string
		clockPlus time.Duration
	}{
		{"garbage id", "p1.zz", raw, "", "prepare_id", 0},
		{"id of no served manifest", "p1." + rw.signer.Fingerprint() + "." + rw.signer.Fingerprint() + "." + strconv.FormatInt(rw.clock.Unix(), 10), raw, "", "prepare_id", 0},
		{"empty signature", p.ID, nil, "", "signature", 0},
		{"another key's signature", p.ID, wrong, approvals.CodeSignatureMismatch, "", 0},
		{"signature over something else", p.ID, otherDigest, approvals.CodeSignatureMismatch, "", 0},
		{"garbage signature", p.ID, []byte("chữ ký giả"), approvals.CodeSignatureMismatch, "", 0},
		{"expired preparation", p.ID, raw, approvals.CodePrepareExpired, "", approvals.PrepareTTL + time.Second},
	}
	base := *rw.clock
	for _, tc := range refusals {
		*rw.clock = base.Add(tc.clockPlus)
		_, err := rw.svc.Complete(ctx, rw.unit, rw.month, approval.LevelUnit, 0, tc.id, tc.sig, meta)
		if tc.code != "" && approvals.CodeOf(err) != tc.code {
			t.Errorf("%s: Complete = %v, want %s", tc.name, err, tc.code)
		}
		if tc.field != "" && !invalidField(err, tc.field) {
			t.Errorf("%s: Complete = %v, want invalid %s", tc.name, err, tc.field)
		}
	}
	*rw.clock = base
	if a, err := rw.svc.Approval(ctx, rw.unit, rw.month, approval.LevelUnit); err != nil || a.Sealed() {
		t.Fatalf("after the refusals: sealed %v, %v", a.Sealed(), err)
	}

	ok, err := rw.svc.Complete(ctx, rw.unit, rw.month, approval.LevelUnit, 0, p.ID, raw, meta)
	if err != nil {
		t.Fatalf("Complete = %v", err)
	}
	if ok.Signed.ManifestDigest != served.Digest || ok.Signed.SignerFingerprint != rw.signer.Fingerprint() || !ok.Signed.SigningTime.Equal(p.SigningTime) {
		t.Fatalf("approval = %+v", ok.Signed)
	}
	// The recorded CMS is an ordinary detached signature: openssl checks it.
	dir := t.TempDir()
	write := func(n string, b []byte) string {
		f := filepath.Join(dir, n)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER",
		"-in", write("m.p7s", ok.Signed.CMS), "-content", write("m.json", served.Bytes),
		"-CAfile", write("ca.pem", []byte(rw.root.PEM())), "-purpose", "any", "-out", os.DevNull).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -verify of the assembled signature: %v\n%s", err, out)
	}
	if _, err := rw.svc.Complete(ctx, rw.unit, rw.month, approval.LevelUnit, 0, p.ID, raw, meta); approvals.CodeOf(err) != approvals.CodeMonthSealed {
		t.Fatalf("second Complete = %v, want %s", err, approvals.CodeMonthSealed)
	}
}

// invalidField reports whether err is a validation error naming field.
func invalidField(err error, field string) bool {
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		return false
	}
	for _, p := range v.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// TestStoreOnlyMatchesEventsTable: on the same ledger, the manifest built
// through the store interface and the Merkle log (as on EventStoreDB) is
// byte for byte the one built from the events table, and a signature is
// accepted through that path (its certificate found without the table).
func TestStoreOnlyMatchesEventsTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rw := newRemoteWorld(t, approvals.Config{})
	rw.w.dossier(t, rw.unit, rw.day(14))
	rw.w.dossier(t, unitA, rw.day(15))
	storeOnly := rw.with(func(c *approvals.Config) { c.StoreOnly = true })
	m1, b1, err := rw.svc.BuildManifest(ctx, rw.unit, rw.month, approval.LevelUnit)
	if err != nil {
		t.Fatal(err)
	}
	m2, b2, err := storeOnly.BuildManifest(ctx, rw.unit, rw.month, approval.LevelUnit)
	if err != nil {
		t.Fatal(err)
	}
	if m1.Count != 3 || string(b1) != string(b2) {
		t.Fatalf("events table: %d entries; store only: %d entries; same bytes %v", m1.Count, m2.Count, string(b1) == string(b2))
	}
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	served, err := storeOnly.Manifest(ctx, rw.unit, rw.month, approval.LevelUnit, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storeOnly.Submit(ctx, rw.unit, rw.month, approval.LevelUnit, rw.signer.SignGo(t, served.Bytes), meta); err != nil {
		t.Fatalf("Submit through the store-only path = %v", err)
	}
}
