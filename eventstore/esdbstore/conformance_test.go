package esdbstore_test

import (
	"os"
	"testing"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/storetest"
)

// TestConformance runs the one suite every backend passes. CI has no
// EventStoreDB, so the protocol test server run is the one CI exercises;
// HOSO_TEST_ESDB_URL adds a run against a real server (docs/eventstoredb.md).
func TestConformance(t *testing.T) {
	t.Run("ProtocolTestServer", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) eventstore.Store { return newTestServerStore(t) })
	})
	if url := os.Getenv("HOSO_TEST_ESDB_URL"); url != "" {
		t.Run("EventStoreDB", func(t *testing.T) {
			newStore := newRealServerStore(url)
			storetest.Run(t, func(t *testing.T) eventstore.Store { return newStore(t) })
		})
	}
}
