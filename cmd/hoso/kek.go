package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/hsm"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// kek is the key-encryption key of the dossiers' data keys: HOSO_KEK;
// unset, the development key under var/ on the private cluster (made on
// first use, like the checkpoint key); nil otherwise (config.Load has then
// refused every command that needs one).
func kek(env *Env) (seal.KeyWrapper, error) {
	if c := env.Config.KEKPKCS11; c != nil {
		// The HSM's session lasts as long as the process.
		k, err := hsm.Open(*c)
		if err != nil {
			return nil, fmt.Errorf("HOSO_KEK_PKCS11: %w", err)
		}
		if env.Config.KEK != nil {
			return seal.Chain{k, env.Config.KEK}, nil
		}
		return k, nil
	}
	if env.Config.KEK != nil {
		return env.Config.KEK, nil
	}
	if env.Config.DatabaseURL != "" {
		return nil, nil
	}
	k, err := service.DevKEK(filepath.Join(env.RepoDir, "var", "kek.key"))
	if err != nil {
		return nil, fmt.Errorf("the development key-encryption key: %w", err)
	}
	return k, nil
}

// sealedStore is raw as the dossiers' readers and writers must see it:
// sealed at rest under the data keys in pool, opened on read.
func sealedStore(ctx context.Context, env *Env, pool *pgxpool.Pool, raw eventstore.Store) (*seal.Store, error) {
	k, err := kek(env)
	if err != nil {
		return nil, err
	}
	return service.SealStore(ctx, pool, raw, k)
}
