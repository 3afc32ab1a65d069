package esdbstore_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore/esdbtestserver"
)

func ExampleOpen() {
	// A protocol test server stands in for EventStoreDB here; in production
	// the URL names a node or a cluster (docs/eventstoredb.md).
	srv := esdbtestserver.New(esdbtestserver.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		panic(err)
	}
	defer srv.Stop()

	store, err := esdbstore.Open(srv.URL(), esdbstore.Options{})
	if err != nil {
		panic(err)
	}
	defer store.Close()

	ctx := context.Background()
	created := eventstore.EventData{Type: "dossier.created.v1", Data: json.RawMessage(`{"name":"Nguyễn Văn A"}`)}
	res, err := store.Append(ctx, "dossier-0001", eventstore.NoStream, created)
	if err != nil {
		panic(err)
	}
	fmt.Println("appended version", res.LastVersion)

	_, err = store.Append(ctx, "dossier-0001", eventstore.NoStream, created)
	fmt.Println("again with NoStream:", err)

	events, err := store.ReadAll(ctx, eventstore.Start, 10)
	if err != nil {
		panic(err)
	}
	fmt.Println("log holds", len(events), "hoso event(s); first hash verifies:", events[0].Hash == events[0].ComputeHash())
	// Output:
	// appended version 1
	// again with NoStream: eventstore: stream "dossier-0001": expected no stream, actual version 1
	// log holds 1 hoso event(s); first hash verifies: true
}
