package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/api/readlog"
	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

// Deps is everything the routes under /api/v1 work with: the ledger
// (Store, which may be EventStoreDB) and, behind the interfaces of
// storage.go, the read models and the API's own tables (internal/pgadapter
// implements them on PostgreSQL). The HTTP layer runs no SQL of its own.
type Deps struct {
	Views ReadModels
	// ReadLog is where the read log is written.
	ReadLog     readlog.Sink
	Idempotency IdempotencyStore
	Attachments AttachmentStore
	Transfers   TransferIndex
	// Throttle keeps the login throttle's counters.
	Throttle auth.Counters
	// IDTokens keeps the single sign-on ID tokens already used; nil
	// accepts a token again (tests of the handler alone).
	IDTokens IDTokens
	Store    eventstore.Store
	Auth     *auth.Store
	Dossiers app.Dossiers
	Orgs     app.Orgs
	Accounts app.Accounts
	Catalog  *catalog.Catalog
	Policy   policy.Policy // the deployment's jurisdiction preset
	Calendar *calendar.Calendar
	Tree     *treelog.Log // the Merkle log; nil when the sequencer is not wired
	// Approvals builds and records the monthly approvals; nil where the
	// ledger is on EventStoreDB (the approval routes then answer 501).
	Approvals *approvals.Service
	// Checkpoints serves /checkpoints/latest; nil answers 404 there.
	Checkpoints *checkpoint.Log
	// Now is the server clock (time.Now when nil); tests move it.
	Now func() time.Time
	// Metrics receives the HTTP metrics. When it is also a Gatherer (a
	// *prometheus.Registry, as prometheus.DefaultRegisterer is), GET
	// /metrics serves everything registered on it; when nil the server
	// keeps a private registry with the HTTP and Go runtime metrics only.
	Metrics prometheus.Registerer
	// Processes runs the long work a request only starts (org succession).
	Processes Processes
	// Documents renders the CV form and builds signed exports (issue 16);
	// nil answers 501 there.
	Documents *export.Reader
	// Sync reads where the deliveries to the national database stand.
	Sync SyncReader
	// Imports runs bulk imports of an org's existing dossiers (issue 17).
	Imports Imports
	// Breaches records suspected personal-data breaches; BreachReader lists them.
	Breaches     app.Breaches
	BreachReader BreachReader
	// Outages reads hoso's own availability and the outage notices (BT 14.7).
	Outages OutageReader
	// AccountList lists an administrator's accounts (GET /accounts).
	AccountList AccountLister
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}
