package service_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore/esdbtestserver"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/projections/orgs"
)

// backends are the event stores the whole service must run on. EventStoreDB
// is the protocol test server (eventstore/esdbstore/esdbtestserver): it
// speaks the part of EventStoreDB's gRPC protocol the adapter uses; it is not
// EventStoreDB, whose own behaviour only HOSO_TEST_ESDB_URL runs can show.
var backends = []struct {
	name  string
	store func(t *testing.T) service.Config
}{
	{"postgres", func(t *testing.T) service.Config { return service.Config{} }},
	{"eventstoredb-protocol-server", func(t *testing.T) service.Config {
		srv := esdbtestserver.New(esdbtestserver.Options{})
		if err := srv.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		return service.Config{EventStoreURL: srv.URL() + "&maxDiscoverAttempts=100&discoveryInterval=20&gossipTimeout=1"}
	}},
}

// TestServiceRunsOnEachBackend starts the whole service (API, projections,
// Merkle sequencer) on each backend: the seed's writes reach the read
// models, the probes answer, and the ledger verifies.
func TestServiceRunsOnEachBackend(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.Start(t, apitest.Options{Config: b.store(t)})
			for _, path := range []string{"/healthz", "/readyz"} {
				if r := env.Do(http.MethodGet, path, "", nil); r.Status != http.StatusOK {
					t.Errorf("GET %s = %d %s", path, r.Status, r.Body)
				}
			}
			tree, err := orgs.Tree(context.Background(), env.Svc.Pool)
			if err != nil {
				t.Fatal(err)
			}
			if len(tree) != 1 || tree[0].ID != env.Root {
				t.Errorf("org read model = %+v, want the seeded root", tree)
			}
			me := env.Do(http.MethodGet, "/api/v1/me", env.AdminToken, nil)
			if me.Status != http.StatusOK {
				t.Errorf("GET /api/v1/me = %d %s", me.Status, me.Body)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			env.WaitCaughtUp()
			rep, err := verify.Verify(ctx, env.Svc.Store, verify.Options{Tree: env.Svc.Tree})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("verify: %+v", rep)
			}
		})
	}
}
