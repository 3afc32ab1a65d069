package approvals_test

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
)

var (
	province = domain.OrgID(id("org/province"))
	unitA    = domain.OrgID(id("org/a"))
	unitB    = domain.OrgID(id("org/b"))
	doha     = domain.OrgID(id("org/doha"))
)

func preset(t testing.TB) policy.Policy {
	t.Helper()
	for _, name := range policy.PresetNames() {
		p, _ := policy.Preset(name)
		if _, ok := p.Window(policy.MonthlyApproval); ok {
			return p
		}
	}
	t.Fatal("no preset sets a monthly approval window")
	return policy.Policy{}
}

// TestApprovalEndToEnd runs one org-month from manifest to approval against
// PostgreSQL with real certificates and signatures made by Go and by the
// openssl command line.
func TestApprovalEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, pool, store, tree := newWorld(t)

	now := time.Now()
	month := approval.MonthOf(now).Prev() // last month: over, so every day of it is past
	day := func(d int) time.Time { return month.Start().AddDate(0, 0, d-1).Add(9 * time.Hour) }
	founded := month.Start().AddDate(-1, 0, 0)
	w.org(t, province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, founded)
	w.org(t, unitA, org.CreateOrg{Name: "Sở Y tế tỉnh Phú Thọ", Code: "H45.02", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	w.org(t, unitB, org.CreateOrg{Name: "Sở Tài chính tỉnh Phú Thọ", Code: "H45.03", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	w.org(t, doha, org.CreateOrg{Name: "Sở Nội vụ tỉnh Phú Thọ", Code: "H45.01", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	if _, err := w.orgs.DesignateHomeAffairs(ctx, province, 1, doha, at(founded)); err != nil {
		t.Fatal(err)
	}

	root, otherRoot := certtest.NewCA(t, "Hoso Test Root CA"), certtest.NewCA(t, "Untrusted CA")
	certFrom, certUntil := month.Start().AddDate(0, -2, 0), now.AddDate(1, 0, 0)
	use := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	good := root.Issue(t, "Nguyễn Văn An", certFrom, certUntil, use)
	stranger := root.Issue(t, "Trần Thị Bình", certFrom, certUntil, use)
	unregistered := root.Issue(t, "Phạm Văn Cường", certFrom, certUntil, use)
	expired := root.Issue(t, "Hết Hạn", certFrom, now.Add(-time.Hour), use)
	notYet := root.Issue(t, "Chưa Hiệu Lực", now.Add(time.Hour), certUntil, use)
	untrusted := otherRoot.Issue(t, "Không Tin Cậy", certFrom, certUntil, use)
	encryptOnly := root.Issue(t, "Chỉ Mã Hóa", certFrom, certUntil, x509.KeyUsageKeyEncipherment)
	w.approver(t, "approver-a", unitA, unitA, good.PEM, day(2))
	w.approver(t, "approver-b", unitB, unitB, stranger.PEM, day(2))
	w.approver(t, "key-usage", unitA, unitA, encryptOnly.PEM, day(2))

	d1 := w.dossier(t, unitA, day(10))
	w.dossier(t, unitA, day(11))
	w.dossier(t, unitB, day(12))

	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	key, err := checkpoint.LoadOrCreateKey(t.TempDir()+"/checkpoint.key", "hoso.test/approvals")
	if err != nil {
		t.Fatal(err)
	}
	cps := checkpoint.New(pool, tree, key, nil)
	svc := approvals.New(approvals.Config{Pool: pool, Store: store, Tree: tree, Checkpoints: cps, Roots: roots,
		Policy: preset(t), Calendar: calendar.Official()})
	meta := func() domain.Meta { return domain.Meta{Actor: domain.Actor{Account: admin}} }

	servedA, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta())
	if err != nil {
		t.Fatal(err)
	}
	if servedA.Manifest.Count != 2 || servedA.Manifest.Org != unitA.String() || servedA.Manifest.Month != month.String() {
		t.Fatalf("A's manifest: %d events, org %s, month %s; want 2, %s, %s", servedA.Manifest.Count, servedA.Manifest.Org, servedA.Manifest.Month, unitA, month)
	}
	again, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta())
	if err != nil || again.Digest != servedA.Digest {
		t.Fatalf("second GET: digest %s, %v; want the same manifest %s", again.Digest, err, servedA.Digest)
	}
	if _, err := approvals.ParseManifest(servedA.Bytes); err != nil {
		t.Fatalf("ParseManifest(served) = %v", err)
	}
	servedB, err := svc.Manifest(ctx, unitB, month, approval.LevelUnit, meta())
	if err != nil || servedB.Manifest.Count != 1 {
		t.Fatalf("B's manifest: %+v, %v; want 1 event", servedB.Manifest, err)
	}

	// Every listed event is in the signed global tree: prove one with the
	// independent verifier.
	e0 := servedA.Manifest.Events[0]
	path, err := tree.InclusionProof(ctx, e0.LeafIndex, servedA.Manifest.Log.TreeSize)
	if err != nil {
		t.Fatal(err)
	}
	evHash, _ := eventstore.ParseHash(e0.Hash)
	rootA, _ := hex.DecodeString(servedA.Manifest.Log.Root)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, e0.LeafIndex, servedA.Manifest.Log.TreeSize,
		rfc6962.DefaultHasher.HashLeaf(evHash[:]), toBytes(path), rootA); err != nil {
		t.Fatalf("inclusion of %s in the manifest's tree: %v", e0.EventID, err)
	}

	refusals := []struct {
		name string
		org  domain.OrgID
		body []byte
		code string
	}{
		{"garbage bytes", unitA, []byte("đây không phải là chữ ký"), approvals.CodeCMSMalformed},
		{"empty body", unitA, nil, approvals.CodeCMSMalformed},
		{"signature over other bytes", unitA, good.SignGo(t, []byte(`{"format":"something else"}`)), approvals.CodeSignatureMismatch},
		{"signature over other bytes (openssl)", unitA, good.SignOpenSSL(t, servedB.Bytes, "DER"), approvals.CodeSignatureMismatch},
		{"expired certificate", unitA, expired.SignGo(t, servedA.Bytes), approvals.CodeCertExpired},
		{"not yet valid certificate", unitA, notYet.SignGo(t, servedA.Bytes), approvals.CodeCertNotYetValid},
		{"untrusted root", unitA, untrusted.SignOpenSSL(t, servedA.Bytes, "DER"), approvals.CodeCertUntrusted},
		{"key usage for encryption only", unitA, encryptOnly.SignGo(t, servedA.Bytes), approvals.CodeCertKeyUsage},
		{"valid certificate registered nowhere", unitA, unregistered.SignGo(t, servedA.Bytes), approvals.CodeCertNotRegistered},
		{"valid certificate of someone without the approver role here", unitA, stranger.SignOpenSSL(t, servedA.Bytes, "PEM"), approvals.CodeSignerNotApprover},
		{"another org's month", unitB, good.SignGo(t, servedB.Bytes), approvals.CodeSignerNotApprover},
	}
	for _, tc := range refusals {
		_, err := svc.Submit(ctx, tc.org, month, approval.LevelUnit, tc.body, meta())
		if got := approvals.CodeOf(err); got != tc.code {
			t.Errorf("%s: Submit = %v, want code %s", tc.name, err, tc.code)
		}
	}
	for _, o := range []domain.OrgID{unitA, unitB} {
		if a, err := svc.Approval(ctx, o, month, approval.LevelUnit); err != nil || a.Sealed() || len(a.Served()) != 1 {
			t.Fatalf("after the refusals, %s: sealed %v, %d served, %v; want no approval, one manifest", o, a.Sealed(), len(a.Served()), err)
		}
	}

	// The manifest is a snapshot at its cut: a write between fetching and
	// signing does not make it stale; it goes into the next manifest.
	// Fetching again after the write serves a new manifest, and then the
	// older one is superseded.
	late := w.dossier(t, unitA, day(20))
	servedA2, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta())
	if err != nil || servedA2.Manifest.Count != 3 || servedA2.Digest == servedA.Digest {
		t.Fatalf("refetched manifest: %d events, %v", servedA2.Manifest.Count, err)
	}
	if _, err := svc.Submit(ctx, unitA, month, approval.LevelUnit, good.SignGo(t, servedA.Bytes), meta()); approvals.CodeOf(err) != approvals.CodeManifestSuperseded {
		t.Fatalf("Submit over the older manifest = %v, want %s", err, approvals.CodeManifestSuperseded)
	}
	later := w.dossier(t, unitA, day(21))
	okA, err := svc.Submit(ctx, unitA, month, approval.LevelUnit, good.SignOpenSSL(t, servedA2.Bytes, "DER"), meta())
	if err != nil {
		t.Fatalf("Submit(openssl DER by the approver) after a write past the cut = %v", err)
	}
	if okA.Signed.ManifestDigest != servedA2.Digest || okA.Signed.SignerFingerprint != good.Fingerprint() || okA.Signed.Timing != approval.Late {
		t.Errorf("approval = %+v", okA.Signed)
	}
	if okA.Checkpoint == nil || okA.Checkpoint.Size <= servedA2.Manifest.Log.TreeSize {
		t.Errorf("checkpoint at approval = %+v", okA.Checkpoint)
	} else if _, err := checkpoint.Verify(ctx, tree, okA.Checkpoint.Note, key.Verifier); err != nil {
		t.Errorf("the approval's checkpoint does not verify: %v", err)
	}
	if _, err := svc.Submit(ctx, unitB, month, approval.LevelUnit, stranger.SignGo(t, servedB.Bytes), meta()); err != nil {
		t.Fatalf("Submit(Go PEM-less DER by B's approver) = %v", err)
	}

	// Second approval of a sealed month, and no new manifest for it.
	if _, err := svc.Submit(ctx, unitA, month, approval.LevelUnit, good.SignGo(t, servedA2.Bytes), meta()); approvals.CodeOf(err) != approvals.CodeMonthSealed {
		t.Fatalf("second approval = %v, want %s", err, approvals.CodeMonthSealed)
	}
	if sealed, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta()); err != nil || !sealed.Sealed || sealed.Digest != servedA2.Digest {
		t.Fatalf("manifest of a sealed month: sealed %v digest %s, %v; want the signed one", sealed.Sealed, sealed.Digest, err)
	}

	// A change recorded in the sealed month after its approval lands in
	// the next month's manifest, flagged.
	carried := w.dossier(t, unitA, day(25))
	next, err := svc.Manifest(ctx, unitA, month.Next(), approval.LevelUnit, meta())
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, e := range next.Manifest.Events {
		if slices.Contains(e.Flags, approvals.FlagCarriedOver) {
			flagged = append(flagged, e.Stream)
		}
	}
	if want := []string{later.StreamID(), carried.StreamID()}; !slices.Equal(flagged, want) {
		t.Errorf("carried over into %s: %v, want %v (and not %s, which was approved)", month.Next(), flagged, want, late.StreamID())
	}

	// A correction of approved data, recorded this month, is flagged.
	created, err := store.ReadStream(ctx, d1.StreamID(), eventstore.ReadOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	fix := at(now)
	fix.Actor.ActingOrg, fix.Reason = unitA, "sai năm sinh"
	if _, err := w.dossiers.Correct(ctx, d1, 0, dossier.Correction{Corrects: created[0].ID, Patch: dossier.Patch{Other: &dossier.Other{Notes: "hiệu chỉnh"}}}, fix); err != nil {
		t.Fatal(err)
	}
	next, err = svc.Manifest(ctx, unitA, month.Next(), approval.LevelUnit, meta())
	if err != nil {
		t.Fatal(err)
	}
	var corrections []string
	for _, e := range next.Manifest.Events {
		if slices.Contains(e.Flags, approvals.FlagCorrectsApproved) {
			corrections = append(corrections, e.Stream+"/"+e.Type)
		}
	}
	if want := []string{d1.StreamID() + "/" + dossier.TypeCorrected}; !slices.Equal(corrections, want) {
		t.Errorf("flagged as correcting approved data: %v, want %v", corrections, want)
	}

	// The department approves over the units' approvals; a unit may not
	// approve at department level.
	if _, err := svc.Manifest(ctx, province, month, approval.LevelDepartment, meta()); approvals.CodeOf(err) != approvals.CodeLevelNotAllowed {
		t.Fatalf("department manifest of a province committee = %v, want %s", err, approvals.CodeLevelNotAllowed)
	}
	dept, err := svc.Manifest(ctx, doha, month, approval.LevelDepartment, meta())
	if err != nil || dept.Manifest.Count != 2 || dept.Manifest.Level != string(approval.LevelDepartment) {
		t.Fatalf("department manifest: %+v, %v; want the 2 unit approvals", dept.Manifest, err)
	}
	director := root.Issue(t, "Giám đốc Sở Nội vụ", certFrom, certUntil, use)
	w.approver(t, "approver-doha", doha, doha, director.PEM, day(2))
	okD, err := svc.Submit(ctx, doha, month, approval.LevelDepartment, director.SignOpenSSL(t, dept.Bytes, "PEM"), meta())
	if err != nil || okD.Signed.Level != approval.LevelDepartment {
		t.Fatalf("department approval = %+v, %v", okD.Signed, err)
	}
}

func toBytes(hs []eventstore.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
