package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hoso-ledger/hoso/internal/pgadapter"
)

// runKeys is `hoso keys status|rotate`: the dossiers' data keys and the
// key-encryption key that wraps them (docs/privacy.md). rotate re-wraps,
// under HOSO_KEK's first key, every data key wrapped under another one
// (which must follow it in HOSO_KEK); no event is touched. Then the old key
// can leave HOSO_KEK.
func runKeys(ctx context.Context, env *Env, args []string) int {
	if len(args) != 1 || (args[0] != "status" && args[0] != "rotate") {
		fmt.Fprintln(env.Stderr, "usage: hoso keys status | rotate")
		return 2
	}
	k, err := kek(env)
	if err != nil || k == nil {
		fmt.Fprintln(env.Stderr, "hoso keys: no key-encryption key:", err)
		return 2
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso keys:", err)
		return 2
	}
	defer pool.Close()
	keys := pgadapter.NewDataKeys(pool)
	if args[0] == "rotate" {
		n, err := keys.Rewrap(ctx, k, time.Now().UTC())
		if err != nil {
			fmt.Fprintf(env.Stderr, "hoso keys rotate: %v (%d data keys re-wrapped before it; run again once HOSO_KEK lists the key they were wrapped under)\n", err, n)
			return 1
		}
		fmt.Fprintf(env.Stdout, "%d data keys re-wrapped under %s\n", n, k.KEKID())
	}
	counts, err := keys.CountByKEK(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso keys:", err)
		return 1
	}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintf(env.Stdout, "current key-encryption key: %s\n", k.KEKID())
	for _, id := range ids {
		mark := ""
		if id != k.KEKID() {
			mark = " (not current: run hoso keys rotate)"
		}
		fmt.Fprintf(env.Stdout, "  %s wraps %d data keys%s\n", id, counts[id], mark)
	}
	return 0
}
