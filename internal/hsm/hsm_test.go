package hsm_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/hoso-ledger/hoso/internal/hsm"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

const module = "/usr/lib/softhsm/libsofthsm2.so"

// softToken makes a SoftHSM2 token of its own (a temporary SOFTHSM2_CONF)
// holding an AES-256 key, and returns its configuration.
func softToken(t *testing.T) hsm.Config {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	c := hsm.Config{Module: module, TokenLabel: "hoso-test", PIN: "1234", KeyLabel: "hoso-kek"}
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", c.TokenLabel, "--pin", c.PIN, "--so-pin", "5678").CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util: %v\n%s", err, out)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: c.TokenLabel, Pin: c.PIN})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctx.GenerateSecretKeyWithLabel([]byte{1}, []byte(c.KeyLabel), 256, crypto11.CipherAES); err != nil {
		t.Fatal(err)
	}
	if err := ctx.Close(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSoftHSM: data keys wrapped inside the token unwrap, bound to their
// scope; a wrong PIN or key label is refused at Open; and a Chain moves a
// ledger from HOSO_KEK to the HSM.
func TestSoftHSM(t *testing.T) {
	c := softToken(t)
	// Refused before any session is logged in (PKCS#11 logins are per
	// process and token: a second login would ride on the first).
	for _, bad := range []hsm.Config{
		{Module: module, TokenLabel: c.TokenLabel, PIN: "9999", KeyLabel: c.KeyLabel},
		{Module: module, TokenLabel: c.TokenLabel, PIN: c.PIN, KeyLabel: "no-such-key"},
		{Module: module, TokenLabel: "no-such-token", PIN: c.PIN, KeyLabel: c.KeyLabel},
	} {
		if k2, err := hsm.Open(bad); err == nil {
			k2.Close()
			t.Errorf("Open(%+v) succeeded", bad)
		}
	}

	k, err := hsm.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	ctx := context.Background()
	dk := bytes.Repeat([]byte{7}, 32)
	id, wrapped, err := k.Wrap(ctx, "dossier-a", dk)
	if err != nil || id != "pkcs11:hoso-test/hoso-kek" {
		t.Fatalf("Wrap = %s, %v", id, err)
	}
	if bytes.Contains(wrapped, dk) {
		t.Error("the wrapped key holds the key")
	}
	if got, err := k.Unwrap(ctx, "dossier-a", id, wrapped); err != nil || !bytes.Equal(got, dk) {
		t.Errorf("Unwrap = %x, %v", got, err)
	}
	if _, err := k.Unwrap(ctx, "dossier-b", id, wrapped); !errors.Is(err, seal.ErrKey) {
		t.Errorf("Unwrap under another scope = %v, want ErrKey", err)
	}
	if _, err := k.Unwrap(ctx, "dossier-a", "local:0011", wrapped); !errors.Is(err, seal.ErrUnknownKEK) {
		t.Errorf("Unwrap of another KEK's key = %v, want ErrUnknownKEK", err)
	}

	// A keyring whose keys were wrapped by a local KEK moves to the HSM.
	local, err := seal.NewLocalKEK(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := seal.NewMemKeyStore()
	before, err := seal.NewKeyring(store, local, 0).Seal(ctx, "dossier-c", "test", []byte("Viêm gan B"))
	if err != nil {
		t.Fatal(err)
	}
	moved := seal.NewKeyring(store, seal.Chain{k, local}, 0)
	if pt, err := moved.Open(ctx, "dossier-c", "test", before); err != nil || string(pt) != "Viêm gan B" {
		t.Errorf("the old key through the chain = %q, %v", pt, err)
	}
	if _, err := moved.Seal(ctx, "dossier-d", "test", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if w, err := store.Get(ctx, "dossier-d"); err != nil || w.KEKID != k.KEKID() {
		t.Errorf("a new data key is wrapped under %q, want the HSM's", w.KEKID)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"module=/usr/lib/softhsm/libsofthsm2.so;token=hoso;key=kek", true},
		{"module=/m.so; token=hoso; key=kek", true},
		{"module=/m.so;token=hoso", false},
		{"module=/m.so;token=hoso;key=kek;pin=1", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if _, err := hsm.ParseConfig(tt.in, "1234"); (err == nil) != tt.ok {
			t.Errorf("ParseConfig(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}
