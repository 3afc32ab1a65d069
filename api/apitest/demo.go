package apitest

import (
	"context"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/ledger"
)

// Demo writes the demo province (n dossiers of seed's synthetic province,
// as `hoso demo` does) into e's ledger, gives its accounts their demo
// passwords, waits for the read models, and returns the demo's accounts:
// for tests and benchmarks that need a realistic province (the web
// application's pages, their screenshots and timings).
func (e *Env) Demo(n int, seed int64) []demo.Account {
	e.T.Helper()
	ctx := context.Background()
	if _, err := demo.Run(ctx, ledger.Ledger{Store: e.Svc.Store}, demo.Config{Dossiers: n, Seed: seed, Workers: 4, PersonalIDKey: PersonalIDKey}); err != nil {
		e.T.Fatalf("demo province: %v", err)
	}
	accts := demo.Accounts(seed)
	for _, a := range accts {
		hash, err := hashPassword(a.Password)
		if err != nil {
			e.T.Fatal(err)
		}
		if err := e.Svc.Deps.Auth.SetPassword(ctx, uuid.UUID(a.ID), a.Username, hash); err != nil {
			e.T.Fatalf("demo password of %s: %v", a.Username, err)
		}
	}
	e.WaitCaughtUp()
	return accts
}
