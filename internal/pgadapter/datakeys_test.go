package pgadapter_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// Warm creates the missing data keys of many scopes in one statement and
// keeps the key stored before for a scope that had one: what a keyring
// seals after Warm, a fresh keyring over the same table opens.
func TestDataKeysWarm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	kek, err := seal.NewLocalKEK(bytes.Repeat([]byte{7}, seal.KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	keys := pgadapter.NewDataKeys(pool)
	first := seal.NewKeyring(keys, kek, 0)
	before, err := first.Seal(ctx, "dossier-a", "test", []byte("trước"))
	if err != nil {
		t.Fatal(err)
	}

	warm := seal.NewKeyring(keys, kek, 0)
	scopes := []string{"dossier-a", "dossier-b", "dossier-c", "dossier-b"}
	if err := warm.Warm(ctx, scopes); err != nil {
		t.Fatal(err)
	}
	sealed := map[string][]byte{}
	for _, s := range scopes {
		if sealed[s], err = warm.Seal(ctx, s, "test", []byte("sau "+s)); err != nil {
			t.Fatal(err)
		}
	}
	fresh := seal.NewKeyring(keys, kek, 0)
	if pt, err := fresh.Open(ctx, "dossier-a", "test", before); err != nil || string(pt) != "trước" {
		t.Errorf("the key stored before Warm was replaced: %q, %v", pt, err)
	}
	for s, blob := range sealed {
		if pt, err := fresh.Open(ctx, s, "test", blob); err != nil || string(pt) != "sau "+s {
			t.Errorf("%s: what Warm's key sealed does not open with the stored key: %q, %v", s, pt, err)
		}
	}
	counts, err := keys.CountByKEK(ctx)
	if err != nil || counts[kek.KEKID()] != 3 {
		t.Errorf("stored keys = %v, %v; want 3", counts, err)
	}
}
