package approvals_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// servedV1 writes a served manifest as it was stored before the bytes left
// the event: approval.manifest_served.v1 with the bytes inline.
type servedV1 struct{ approval.ManifestServed }

func (servedV1) EventType() string { return approval.TypeManifestServedV1 }

// TestManifestOutsideTheEvent: serving stores the bytes by digest and
// appends a v2 event naming them; an edited row is refused as
// manifest_tampered wherever it is read (serving again, signing), and the
// month signs again once the bytes are back. A month whose manifest was
// served as v1 (bytes inline) is still signed and read.
func TestManifestOutsideTheEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, pool, store, tree := newWorld(t)
	now := time.Now()
	month := approval.MonthOf(now).Prev()
	day := func(d int) time.Time { return month.Start().AddDate(0, 0, d-1).Add(9 * time.Hour) }
	founded := month.Start().AddDate(-1, 0, 0)
	w.org(t, province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, founded)
	w.org(t, unitA, org.CreateOrg{Name: "Sở Y tế tỉnh Phú Thọ", Code: "H45.02", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	w.org(t, unitB, org.CreateOrg{Name: "Sở Tài chính tỉnh Phú Thọ", Code: "H45.03", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	root := certtest.NewCA(t, "Hoso Test Root CA")
	use := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	signerA := root.Issue(t, "Nguyễn Văn An", month.Start().AddDate(0, -2, 0), now.AddDate(1, 0, 0), use)
	signerB := root.Issue(t, "Trần Thị Bình", month.Start().AddDate(0, -2, 0), now.AddDate(1, 0, 0), use)
	w.approver(t, "approver-a", unitA, unitA, signerA.PEM, day(2))
	w.approver(t, "approver-b", unitB, unitB, signerB.PEM, day(2))
	w.dossier(t, unitA, day(10))
	w.dossier(t, unitB, day(11))
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	svc := approvals.New(approvals.Config{Pool: pool, Store: store, Tree: tree, Roots: roots, Policy: preset(t), Calendar: calendar.Official()})
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}

	served, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta)
	if err != nil {
		t.Fatal(err)
	}
	// The bytes are RFC 8785 as gowebpki/jcs writes them (the manifest is
	// encoded by internal/canonjson, held to jcs).
	if canon, err := jcs.Transform(served.Bytes); err != nil || !bytes.Equal(canon, served.Bytes) {
		t.Errorf("the served manifest is not jcs's canonical form: %v", err)
	}
	streamA := approval.StreamID(unitA, month, approval.LevelUnit)
	evs, err := store.ReadStream(ctx, streamA, eventstore.ReadOptions{})
	if err != nil || len(evs) != 1 || evs[0].Type != approval.TypeManifestServed {
		t.Fatalf("the approval stream: %v, %v; want one %s", evs, err, approval.TypeManifestServed)
	}
	if bytes.Contains(evs[0].Data, served.Bytes[:64]) {
		t.Error("the served event holds the manifest's bytes")
	}
	de, err := approval.Decode(evs[0].Type, evs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if ms := de.(approval.ManifestServed); ms.Inline() || ms.Digest != served.Digest || ms.Size != int64(len(served.Bytes)) {
		t.Errorf("the served event: %+v; want digest %s, size %d, no bytes", ms, served.Digest, len(served.Bytes))
	}
	if got, err := svc.Manifests().Get(ctx, served.Digest); err != nil || !bytes.Equal(got, served.Bytes) {
		t.Fatalf("the stored bytes: %v; want the served ones", err)
	}
	if _, err := svc.Manifests().Get(ctx, approvals.Digest([]byte("nothing"))); !errors.Is(err, approvals.ErrManifestMissing) {
		t.Errorf("Get(unknown digest) = %v, want ErrManifestMissing", err)
	}

	// An edited row is never handed out or signed.
	pgtest.Tamper(t, pool, `UPDATE approval_manifests SET content = content || '\x20'::bytea`)
	if _, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta); !isCode(err, approvals.CodeManifestTampered) {
		t.Errorf("serving over an edited row = %v, want %s", err, approvals.CodeManifestTampered)
	}
	if _, err := svc.Submit(ctx, unitA, month, approval.LevelUnit, signerA.SignGo(t, served.Bytes), meta); !isCode(err, approvals.CodeManifestTampered) {
		t.Errorf("signing over an edited row = %v, want %s", err, approvals.CodeManifestTampered)
	}
	if n, _ := store.ReadStream(ctx, streamA, eventstore.ReadOptions{}); len(n) != 1 {
		t.Errorf("the refusals appended: %d events", len(n))
	}
	pgtest.Tamper(t, pool, `DELETE FROM approval_manifests`)
	if _, err := svc.Submit(ctx, unitA, month, approval.LevelUnit, signerA.SignGo(t, served.Bytes), meta); !errors.Is(err, approvals.ErrManifestMissing) {
		t.Errorf("signing with the bytes gone = %v, want ErrManifestMissing", err)
	}
	// Put back (by anyone holding the bytes: they are checked by digest),
	// the month signs.
	if _, err := svc.Manifests().Put(ctx, served.Bytes); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, unitA, month, approval.LevelUnit, signerA.SignGo(t, served.Bytes), meta); err != nil {
		t.Fatalf("signing with the bytes restored: %v", err)
	}
	if sealed, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta); err != nil || !sealed.Sealed || !bytes.Equal(sealed.Bytes, served.Bytes) {
		t.Errorf("the sealed month's manifest: %v; want the signed bytes", err)
	}

	// History: a v1 served event, bytes inline, as stored before; it signs.
	man, raw, err := svc.BuildManifest(ctx, unitB, month, approval.LevelUnit)
	if err != nil {
		t.Fatal(err)
	}
	v1 := servedV1{approval.ManifestServed{Org: unitB, Month: month, Level: approval.LevelUnit, Digest: approvals.Digest(raw),
		TreeSize: man.Log.TreeSize, Items: man.Count, Manifest: json.RawMessage(raw)}}
	m := at(time.Now())
	if _, err := w.ledger.Append(ctx, approval.StreamID(unitB, month, approval.LevelUnit), eventstore.NoStream, m, []domain.Event{v1}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, unitB, month, approval.LevelUnit, signerB.SignGo(t, raw), meta); err != nil {
		t.Fatalf("signing a v1 served manifest: %v", err)
	}
	if sealed, err := svc.Manifest(ctx, unitB, month, approval.LevelUnit, meta); err != nil || !sealed.Sealed || !bytes.Equal(sealed.Bytes, raw) {
		t.Errorf("the sealed v1 month's manifest: %v; want its inline bytes", err)
	}
}

func isCode(err error, code string) bool {
	var e *approvals.Error
	return errors.As(err, &e) && e.Code == code
}
