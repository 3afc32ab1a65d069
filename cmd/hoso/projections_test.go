package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/projections"
)

// cliCounter counts events per stream: a read model the service does not
// run, which the projections commands know when told of it.
type cliCounter struct{}

func (cliCounter) Name() string    { return "clitest" }
func (cliCounter) Version() int    { return 1 }
func (cliCounter) Views() []string { return []string{"clitest_streams"} }
func (cliCounter) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (stream_id text PRIMARY KEY, last_version bigint NOT NULL)`, t.Name("clitest_streams")))
	return err
}
func (cliCounter) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %[1]s AS s VALUES ($1, $2)
ON CONFLICT (stream_id) DO UPDATE SET last_version = greatest(s.last_version, excluded.last_version)`, t.Name("clitest_streams")),
		ev.StreamID, int64(ev.Version))
	return err
}

// withCLICounter is the service's read models and cliCounter.
func withCLICounter(store eventstore.Store, pol policy.Policy, pv seal.Privacy) ([]projections.Projection, error) {
	all, err := service.Projections(store, pol, pv)
	return append(all, cliCounter{}), err
}

func TestProjectionsCommand(t *testing.T) {
	t.Parallel()
	pool, url, events := ledgerWithTree(t)
	runHoso := func(t *testing.T, url string, args ...string) (int, string, string) {
		t.Helper()
		if len(args) == 0 || args[0] != "projections" {
			t.Fatalf("runHoso(%v): a projections command only", args)
		}
		var out, errOut bytes.Buffer
		env := &Env{Config: config.Config{DatabaseURL: url, KEK: mustKEK(t, testKEK)}, Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""),
			Stdout: &out, Stderr: &errOut, Log: slog.New(slog.DiscardHandler), projections: withCLICounter}
		code := runProjections(context.Background(), env, args[1:])
		return code, out.String(), errOut.String()
	}

	code, out, errOut := runHoso(t, url, "projections", "status")
	if code != 0 || !strings.Contains(out, "clitest") || !strings.Contains(out, "never run") {
		t.Fatalf("status before = %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runHoso(t, url, "projections", "rebuild", "clitest")
	if code != 0 || !strings.Contains(out, "clitest: rebuilt and swapped in") {
		t.Fatalf("rebuild = %d\n%s%s", code, out, errOut)
	}
	var streams, total int
	if err := pool.QueryRow(context.Background(), `SELECT count(*), sum(last_version) FROM clitest_streams`).Scan(&streams, &total); err != nil || total != events {
		t.Errorf("view after rebuild: %d streams, versions summing to %d, %v; want %d", streams, total, err, events)
	}
	code, out, errOut = runHoso(t, url, "projections", "status")
	if code != 0 || !regexp.MustCompile(`clitest +1\*`).MatchString(out) || !strings.Contains(out, "caught up") {
		t.Errorf("status after = %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runHoso(t, url, "projections", "retry", "clitest")
	if code != 0 || !strings.Contains(out, "not failed") {
		t.Errorf("retry = %d\n%s", code, out)
	}
	for _, args := range [][]string{{"rebuild", "nosuch"}, {"retry", "nosuch"}} {
		if code, _, errOut := runHoso(t, url, append([]string{"projections"}, args...)...); code != 1 || !strings.Contains(errOut, "unknown projection") {
			t.Errorf("projections %v = %d, %q; want 1 and unknown projection", args, code, errOut)
		}
	}
	if code, _, _ := runHoso(t, url, "projections", "frobnicate"); code != 2 {
		t.Errorf("projections frobnicate = %d, want 2", code)
	}
}
