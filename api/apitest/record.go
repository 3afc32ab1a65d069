package apitest

import (
	"context"
	"testing"

	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/ledger"
)

// Record appends events to stream through the ledger, with e.Meta(), as a
// process beside the API records them (the national sync worker, an
// import): for tests of readers (web) that may not import the ledger.
func (e *Env) Record(stream string, events ...domain.Event) {
	e.T.Helper()
	if _, err := (ledger.Ledger{Store: e.Svc.Store}).Append(context.Background(), stream, eventstore.Any, e.Meta(), events, nil); err != nil {
		e.T.Fatalf("recording on %s: %v", stream, err)
	}
}

// Seal is an org's export seal (app/export) issued by ca into dir, for
// service.Config.Seal: for tests of readers (web) that may not import
// app/export.
func Seal(t testing.TB, ca *certtest.CA, dir, org, place, title, name string) *export.Seal {
	t.Helper()
	certPath, keyPath := ca.IssueSeal(t, export.SealSubject(org, place, title, name), dir)
	s, err := export.LoadSeal(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
