package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// SealedStreams is the prefix of the streams whose sensitive members are
// sealed: the dossiers'.
const SealedStreams = "dossier-"

// SealStore wraps the ledger raw so that dossiers' sensitive data is sealed
// at rest under per-dossier data keys (kept in pool's data_keys) wrapped by
// kek (docs/privacy.md). It first checks that kek unwraps a stored key of
// every KEK the table names, so a wrong or missing key stops a process at
// start rather than at its first read.
func SealStore(ctx context.Context, pool *pgxpool.Pool, raw eventstore.Store, kek seal.KeyWrapper) (*seal.Store, error) {
	if kek == nil {
		return nil, fmt.Errorf("no key-encryption key: set HOSO_KEK (docs/privacy.md)")
	}
	keys := pgadapter.NewDataKeys(pool)
	if err := CheckKEK(ctx, keys, kek); err != nil {
		return nil, err
	}
	return seal.NewStore(raw, seal.NewKeyring(keys, kek, 0), dossier.SensitivePayloadPaths, SealedStreams), nil
}

// Privacy is what the read models need to keep personal data sealed: the
// sealing store's keyring and the token key (HOSO_PERSONAL_ID_KEY, kept
// out of the database like the KEK).
func Privacy(store *seal.Store, tokenKey []byte) seal.Privacy {
	return seal.NewPrivacy(store.Keys(), tokenKey)
}

// CheckKEK unwraps one stored data key per KEK id found in the table.
func CheckKEK(ctx context.Context, keys *pgadapter.DataKeys, kek seal.KeyWrapper) error {
	sample, err := keys.OnePerKEK(ctx)
	if err != nil {
		return fmt.Errorf("reading the data keys: %w", err)
	}
	for _, w := range sample {
		raw, err := kek.Unwrap(ctx, w.Scope, w.KEKID, w.Wrapped)
		if err != nil {
			return fmt.Errorf("HOSO_KEK does not open the data keys wrapped under %s: a wrong key, or an earlier key missing from the list (current key %s): %w", w.KEKID, kek.KEKID(), err)
		}
		clear(raw)
	}
	return nil
}

// DevKEK is the development key-encryption key: it reads the key at path, writing a fresh one there first when there
// is none.
func DevKEK(path string) (*seal.LocalKEK, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := writeNewKEK(path); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return seal.ParseLocalKEK(strings.TrimSpace(string(b)))
}

// writeNewKEK writes a fresh key to path, readable by its owner only; it
// fails with fs.ErrExist when another process made one first.
func writeNewKEK(path string) error {
	k, err := seal.GenerateKEK()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(k + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
