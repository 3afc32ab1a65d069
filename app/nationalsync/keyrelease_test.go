package nationalsync_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// receiverKeys makes an X25519 pair in the PEM files openssl writes
// (genpkey -algorithm X25519; pkey -pubout) and parses them back.
func receiverKeys(t *testing.T) (pubPEM, privPEM []byte) {
	t.Helper()
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})
}

// TestKeyRelease: a dossier written through the sealing store travels
// sealed; with its data key released to the receiver's public key, the
// receiver's private key opens the personal ID number. Another receiver's
// key, a key moved to another package, and a package without keys fail
// cleanly (ErrKeyRelease), with nothing opened by mistake.
func TestKeyRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	kek, err := seal.NewLocalKEK(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	keyring := seal.NewKeyring(seal.NewMemKeyStore(), kek, 0)
	raw := memstore.New(nil)
	sealed := seal.NewStore(raw, keyring, dossier.SensitivePayloadPaths, "dossier-")
	id := domain.DossierID(uuid.Must(uuid.NewV7()))
	org := domain.OrgID(uuid.Must(uuid.NewV7()))
	const pid = "079085001234"
	day := domain.MustDate(2026, time.December, 7)
	m := domain.Meta{Actor: domain.Actor{Account: domain.AccountID(uuid.Must(uuid.NewV7())), Name: "cán bộ"}, RecordedAt: time.Now().UTC(), EffectiveDate: day,
		Source: domain.SourceDocument{Kind: "decision", Number: "1/QĐ", Date: day, Issuer: "Sở Y tế"}}
	if _, err := (ledger.Ledger{Store: sealed}).Append(ctx, id.StreamID(), eventstore.NoStream, m, []domain.Event{dossier.Created{
		DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org, PersonalIDNumber: pid,
		Identity: dossier.Identity{BirthName: "Nguyễn Thị Ánh", Gender: dossier.GenderFemale, DateOfBirth: domain.MustDate(1990, time.March, 3), Ethnicity: "01", Religion: "none"},
	}}, nil); err != nil {
		t.Fatal(err)
	}
	stored, err := raw.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored[0].Data, []byte(pid)) {
		t.Fatal("the stored event holds the personal ID in clear")
	}
	e := stored[0]
	pkg := nationalsync.Package{ID: uuid.Must(uuid.NewV7()), Unit: auditbundle.Bundle{Events: []auditbundle.Event{{
		EventID: e.ID, Stream: e.StreamID, Version: e.Version, Type: e.Type, Data: e.Data, Metadata: e.RawMetadata, Hash: e.Hash}}}}

	pubPEM, privPEM := receiverKeys(t)
	pub, err := nationalsync.ParseReleaseKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := nationalsync.ParseReleasePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nationalsync.ParseReleaseKey(privPEM); err == nil {
		t.Error("a private key was taken for the public one")
	}
	if err := nationalsync.ReleaseKeys(ctx, &pkg, keyring, pub); err != nil {
		t.Fatal(err)
	}
	if len(pkg.DataKeys) != 1 || pkg.DataKeys[0].Scope != id.StreamID() {
		t.Fatalf("released keys: %+v, want the dossier's", pkg.DataKeys)
	}
	opened, err := nationalsync.OpenEvents(pkg, priv)
	if err != nil || len(opened) != 1 || !bytes.Contains(opened[0].Data, []byte(`"personal_id_number":"`+pid+`"`)) {
		t.Fatalf("the receiver's view: %v (%v); want the personal ID %s", opened, err, pid)
	}

	_, otherPEM := receiverKeys(t)
	other, err := nationalsync.ParseReleasePrivateKey(otherPEM)
	if err != nil {
		t.Fatal(err)
	}
	moved := pkg
	moved.ID = uuid.Must(uuid.NewV7())
	for _, tc := range []struct {
		name string
		pkg  nationalsync.Package
		priv hpke.PrivateKey
		want string
	}{
		{"another receiver's key", pkg, other, "does not open with the receiver's key"},
		{"the key moved to another package", moved, priv, "does not open with the receiver's key"},
		{"no keys", func() nationalsync.Package { p := pkg; p.DataKeys = nil; return p }(), priv, "carries no key"},
	} {
		got, err := nationalsync.OpenEvents(tc.pkg, tc.priv)
		if !errors.Is(err, nationalsync.ErrKeyRelease) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrKeyRelease naming %q", tc.name, err, tc.want)
		}
		for _, o := range got {
			if bytes.Contains(o.Data, []byte(pid)) {
				t.Errorf("%s: opened the personal ID anyway", tc.name)
			}
		}
	}
}
