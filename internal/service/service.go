// Package service assembles one hoso process: the event store (PostgreSQL
// by default, EventStoreDB when configured), the read models' database, the
// projections runner, the Merkle sequencer and the HTTP API. `hoso serve`,
// `hoso dev` and the end-to-end tests all start the service through it, so
// the tests exercise exactly what runs in production.
package service

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/app/imports"
	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/internal/crlcheck"
	"github.com/hoso-ledger/hoso/internal/ocspcheck"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/tsa"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"github.com/hoso-ledger/hoso/migrations"
	"github.com/hoso-ledger/hoso/processes"
	"github.com/hoso-ledger/hoso/processes/outage"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/accounts"
	"github.com/hoso-ledger/hoso/projections/attachments"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/breaches"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/stats"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
	"github.com/hoso-ledger/hoso/projections/transfers"
	"github.com/hoso-ledger/hoso/web"
)

// DefaultPolicy is the provincial preset when none is configured
// (policy.DefaultPreset); the national layer is added to it like to any.
const DefaultPolicy = policy.DefaultPreset

// CallerTrust is how long a request's token row and its caller's account,
// once read, answer later requests without asking PostgreSQL again: every
// request needs both, and re-reading them was two of a dossier read's five
// round trips. Revocations, restrictions and grants made through this
// process take effect at once; made through another process (a second
// `hoso serve`, `hoso accounts`), they take effect up to this long later.
const CallerTrust = time.Second

// DefaultPoolSize is the connection pool's size unless the database URL
// sets pool_max_conns: measured in docs/benchmarks.md (4 connections held
// durable commits to 416/s, 32 to 1,891/s on the same machine).
const DefaultPoolSize = 32

// Config is one process's configuration: what the environment gives,
// parsed once by internal/config (see ConfigFrom), and what a caller adds
// (a test's pool, a logger, a registry).
type Config struct {
	// DatabaseURL is the PostgreSQL database of the read models, the
	// credentials and (unless EventStoreURL is set) the ledger. Migrations
	// are applied to it on Open. Ignored when Pool is set.
	DatabaseURL string
	// Pool, when set, is used as is (already migrated): tests pass the
	// pool of their fresh schema.
	Pool *pgxpool.Pool
	// EventStoreURL (esdb://…) puts the ledger on EventStoreDB.
	EventStoreURL string
	// ESDBStreamPrefix namespaces hoso's streams on EventStoreDB (tests).
	ESDBStreamPrefix string
	Listen           string // default 127.0.0.1:8080
	PolicyName       string // jurisdiction preset; DefaultPolicy when empty; ignored when Policy is set
	// Policy is the deployment's policy (national layer included) when it
	// does not come from PolicyName: a file named by HOSO_POLICY
	// (internal/config reads it).
	Policy        policy.Policy
	PersonalIDKey []byte // see app.Dossiers.PersonalIDKey
	Logger        *slog.Logger
	// NoProjections leaves the read models to another process (HOSO_PROJECTIONS=off).
	NoProjections bool
	// AsyncReadLog commits the read log without waiting for the WAL flush
	// (HOSO_READ_LOG=async): a PostgreSQL crash may then lose the records of
	// the reads served in its last fraction of a second (the ledger is not
	// concerned). The default waits, and a read is served only once its
	// record is durable; that wait is half of a read's cost
	// (docs/benchmarks.md).
	AsyncReadLog bool
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (HOSO_TRUSTED_PROXIES); none by default.
	TrustedProxies []*net.IPNet
	// MetricsListen is where GET /metrics is served (HOSO_METRICS_LISTEN);
	// empty: nowhere. Never on the API's address.
	MetricsListen string
	// Registerer receives the metrics (prometheus.DefaultRegisterer when nil).
	Registerer prometheus.Registerer
	Now        func() time.Time
	// PollInterval is how often idle workers look for new events (tests
	// shorten it); the store's notifications usually wake them sooner.
	PollInterval time.Duration
	// CheckpointKey signs the Merkle log's checkpoints (daily and at every
	// approval); nil runs without checkpoints.
	CheckpointKey *checkpoint.Key
	// TrustRoots are the CAs approvers' certificates must chain to; nil
	// refuses every signature as untrusted.
	TrustRoots *x509.CertPool
	// Passwords hashes new passwords; nil is the production cost
	// (auth.DefaultParams). Tests pass a cheap one.
	Passwords *auth.Hasher
	// OCSPURL, OCSPUnreachable and TSAURL: the certificate status and
	// time-stamp checks of approvals (HOSO_OCSP_URL,
	// HOSO_OCSP_UNREACHABLE, HOSO_TSA_URL; see approvals.Config).
	OCSPURL         string
	OCSPUnreachable string
	TSAURL          string
	// CRLURL is HOSO_CRL_URL: the revocation list read beside OCSP
	// (empty: the certificate's CRL distribution point, if any).
	CRLURL string
	// Seal signs dossier exports (HOSO_SEAL_CERT, HOSO_SEAL_KEY); nil
	// answers 503 on GET /dossiers/{id}/export.
	Seal *export.Seal
	// Sync, when set, runs the delivery to the national database.
	Sync *SyncConfig
	// OIDC is single sign-on (HOSO_OIDC_*; HU 16.4): the API verifies the
	// provider's ID tokens, the login page offers the provider. Zero: off.
	OIDC config.OIDC
	// KEK wraps the dossiers' data keys (HOSO_KEK, or an HSM); Open
	// refuses to start without one (docs/privacy.md).
	KEK seal.KeyWrapper
	// Outage is the health history and the outage notices (outage.go).
	Outage OutageConfig
}

// Service is an assembled process. Open builds it; Run serves until the
// context ends.
type Service struct {
	Pool        *pgxpool.Pool
	Store       eventstore.Store // the ledger as its readers see it: sensitive data opened
	RawStore    eventstore.Store // the ledger as stored (sealed): hashes, Merkle log, audit bundles
	Tree        *treelog.Log
	Runner      *projections.Runner
	Projections []projections.Projection
	Processes   *processes.Manager // org successions; runs with the projections
	Deps        *api.Deps
	API         *api.Server
	Checkpoints *checkpoint.Log      // nil without a key
	Approvals   *approvals.Service   // nil on EventStoreDB (manifests read the events table)
	Relay       *nationalsync.Relay  // nil unless Config.Sync
	SyncWorker  *nationalsync.Worker // nil unless Config.Sync
	broker      *nationalsync.Broker
	// Imports runs bulk imports (issue 17) beside the requests.
	Imports *pgadapter.Imports
	// Health reports this process's functions; Outages derives the
	// outages and notices them (BT 14.7; nil with Outage.NoDetector).
	Health  *outage.Recorder
	Outages *outage.Detector

	cfg     Config
	closers []func()
	counted struct { // WaitCaughtUp's running count of the log
		sync.Mutex
		pos eventstore.Position
		n   uint64
	}
}

// OpenEventStore opens the ledger: the PostgreSQL store on pool when url is
// empty (HOSO_EVENTSTORE_URL unset), EventStoreDB for an esdb:// URL. The
// returned function closes what it opened.
func OpenEventStore(pool *pgxpool.Pool, url string, es esdbstore.Options, pg postgres.Options) (eventstore.Store, func(), error) {
	switch {
	case url == "":
		return postgres.New(pool, pg), func() {}, nil
	case strings.HasPrefix(url, "esdb://"), strings.HasPrefix(url, "esdb+discover://"):
		store, err := esdbstore.Open(url, es)
		if err != nil {
			return nil, nil, fmt.Errorf("event store: %w", err)
		}
		return store, func() { _ = store.Close() }, nil
	}
	return nil, nil, errors.New("HOSO_EVENTSTORE_URL must start with esdb:// or esdb+discover://")
}

// Policy is the deployment policy of the preset named name, DefaultPolicy
// when name is empty: the preset composed with the national layer
// (policy.ForDeployment), as every deployment judges.
func Policy(name string) (policy.Policy, error) {
	if name == "" {
		name = DefaultPolicy
	}
	p, err := policy.Preset(name)
	if err != nil {
		return policy.Policy{}, err
	}
	return policy.ForDeployment(p), nil
}

// Projections lists every read model of the service, for the runner and
// for `hoso projections`. pv seals what the read models keep of personal
// data (Privacy(store, key)); the zero Privacy keeps it in clear (tests).
func Projections(store eventstore.Store, pol policy.Policy, pv seal.Privacy) ([]projections.Projection, error) {
	comp, err := compliance.New(pol, calendar.Official())
	if err != nil {
		return nil, err
	}
	return []projections.Projection{
		dossiers.New(store).WithPrivacy(pv), audit.New().WithPrivacy(pv), orgs.New(), comp, stats.New(catalog.Default()).WithPrivacy(pv),
		attachments.New(), transfers.New(), processes.NewProjection(),
		syncstatus.New(),
		breaches.New(),
		accounts.New(),
	}, nil
}

// Open connects, migrates and assembles; nothing runs until Run.
func Open(ctx context.Context, cfg Config) (_ *Service, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8080"
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.DefaultRegisterer
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	s := &Service{cfg: cfg}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	pol := cfg.Policy
	if pol.Name() == "" {
		if pol, err = Policy(cfg.PolicyName); err != nil {
			return nil, err
		}
	}

	s.Pool = cfg.Pool
	if s.Pool == nil {
		if cfg.DatabaseURL == "" {
			return nil, errors.New("no database: set HOSO_DATABASE_URL")
		}
		if err := migrations.Apply(ctx, cfg.DatabaseURL); err != nil {
			return nil, fmt.Errorf("migrating: %w", err)
		}
		pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		if !strings.Contains(cfg.DatabaseURL, "pool_max_conns") {
			// pgxpool's default (max(4, CPUs)) is shared here by the API, five
			// projections and the sequencer; durable commits need concurrency
			// to be grouped. pool_max_conns in the URL overrides this.
			pcfg.MaxConns = DefaultPoolSize
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return nil, fmt.Errorf("connecting: %w", err)
		}
		s.closers = append(s.closers, pool.Close)
		if err := pool.Ping(ctx); err != nil {
			return nil, fmt.Errorf("connecting: %w", err)
		}
		s.Pool = pool
	}
	readLog := s.Pool
	if cfg.AsyncReadLog {
		rcfg := s.Pool.Config().Copy()
		rcfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
		rcfg.MaxConns = 4
		pool, err := pgxpool.NewWithConfig(ctx, rcfg)
		if err != nil {
			return nil, fmt.Errorf("connecting the read log: %w", err)
		}
		s.closers = append(s.closers, pool.Close)
		readLog = pool
	}

	store, closeStore, err := OpenEventStore(s.Pool, cfg.EventStoreURL, esdbstore.Options{StreamPrefix: cfg.ESDBStreamPrefix, Logger: cfg.Logger},
		postgres.Options{PollInterval: cfg.PollInterval})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, closeStore)
	s.RawStore = store
	sealed, err := SealStore(ctx, s.Pool, store, cfg.KEK)
	if err != nil {
		return nil, err
	}
	s.Store = sealed

	pv := Privacy(sealed, cfg.PersonalIDKey)
	s.Projections, err = Projections(s.Store, pol, pv)
	if err != nil {
		return nil, err
	}
	metrics, err := projections.NewMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s.Runner = projections.NewRunner(s.Pool, s.Store, projections.Config{Logger: cfg.Logger, Metrics: metrics, PollInterval: cfg.PollInterval, Now: cfg.Now,
		Changed: func(name string) {
			if name == orgs.Name && s.API != nil {
				s.API.OrgTreeChanged()
			}
			if (name == processes.ProjectionName || name == orgs.Name) && s.Processes != nil {
				s.Processes.Wake()
			}
		}})
	s.Tree = treelog.New(s.Pool, s.RawStore, treelog.Options{Log: cfg.Logger, PollInterval: cfg.PollInterval})

	l := ledger.Ledger{Store: s.Store}
	cat := catalog.Default()
	managed := func(ctx context.Context, o domain.OrgID, on domain.Date) ([]domain.DossierID, error) {
		return orgs.ManagedDossiers(ctx, s.Pool, o, on)
	}
	s.Processes = &processes.Manager{
		Store:        processes.NewStore(s.Pool),
		Succession:   app.Succession{Ledger: l, Managed: managed, Clock: cfg.Now},
		ListAfter:    []string{orgs.Name},
		PollInterval: cfg.PollInterval,
		Now:          cfg.Now,
		Logger:       cfg.Logger,
	}
	s.Deps = &api.Deps{
		Views:       pgadapter.NewReadModels(s.Pool).WithPrivacy(pv),
		ReadLog:     pgadapter.NewReadLog(readLog),
		Idempotency: pgadapter.NewIdempotency(s.Pool).WithPrivacy(pv),
		Attachments: pgadapter.NewAttachments(s.Pool, s.Runner.CaughtUp),
		Transfers:   pgadapter.NewTransfers(s.Pool, s.Runner.CaughtUp),
		Throttle:    pgadapter.NewCounters(s.Pool),
		IDTokens:    pgadapter.NewIDTokens(s.Pool),
		Store:       s.Store,
		Auth:        newAuthStore(s.Pool, cfg),
		Dossiers:    app.Dossiers{Ledger: l, Catalogue: cat, PersonalIDKey: cfg.PersonalIDKey, Cache: ledger.NewHistoryCache(4096), TransferOnRequest: pol.TransferOnRequest()},
		Orgs:        app.Orgs{Ledger: l, Managed: managed},
		Accounts:    app.Accounts{Ledger: l, Cache: ledger.NewHistoryCache(4096).TrustFor(CallerTrust)},
		Catalog:     cat,
		Policy:      pol,
		Calendar:    calendar.Official(),
		Tree:        s.Tree,
		Now:         cfg.Now,
		Metrics:     cfg.Registerer,
	}
	s.Deps.Processes = s.Processes
	s.Imports = pgadapter.NewImports(s.Pool, imports.Importer{Dossiers: s.Deps.Dossiers}, cfg.Now, cfg.Logger)
	s.Deps.Imports = s.Imports
	s.Deps.Breaches, s.Deps.BreachReader = app.Breaches{Ledger: l}, pgadapter.NewBreaches(s.Pool, s.Runner.CaughtUp)
	s.Deps.AccountList = pgadapter.NewAccounts(s.Pool, s.Runner.CaughtUp)
	if cfg.CheckpointKey != nil {
		s.Checkpoints = checkpoint.New(s.Pool, s.Tree, *cfg.CheckpointKey, cfg.Now)
	}
	{
		// On EventStoreDB too (issue 15): manifests are then built through
		// the store interface and the Merkle log (approvals.Config.StoreOnly).
		roots := cfg.TrustRoots
		if roots == nil {
			roots = x509.NewCertPool()
		}
		acfg := approvals.Config{Pool: s.Pool, Store: s.Store, Tree: s.Tree, Checkpoints: s.Checkpoints,
			Roots: roots, Policy: pol, Calendar: s.Deps.Calendar, Now: cfg.Now, StoreOnly: cfg.EventStoreURL != ""}
		acfg.OCSP, acfg.OCSPUnreachable = &ocspcheck.Checker{Responder: cfg.OCSPURL}, cfg.OCSPUnreachable
		acfg.CRL = &crlcheck.Checker{URL: cfg.CRLURL, Now: cfg.Now}
		if cfg.TSAURL != "" {
			acfg.TSA = &tsa.Client{URL: cfg.TSAURL, Roots: roots}
		}
		s.Approvals = approvals.New(acfg)
	}
	s.Deps.Approvals, s.Deps.Checkpoints = s.Approvals, s.Checkpoints
	// Documents (issue 16): the CV form and the signed export.
	// The package's events are the stored (sealed) bytes, which hash to
	// their leaves; the CV reads through the ledger, which opens them.
	s.Deps.Documents = &export.Reader{Ledger: l, Store: s.RawStore, Tree: s.Tree, Checkpoints: s.Checkpoints,
		Catalog: cat, Seal: cfg.Seal, Now: cfg.Now}
	if cfg.CheckpointKey != nil {
		s.Deps.Documents.VerifierKey = cfg.CheckpointKey.VerifierKey
	}
	s.Deps.Sync = pgadapter.NewSync(s.Pool)
	if err := s.openSync(ctx, pol); err != nil {
		return nil, err
	}
	s.openOutages()
	s.Deps.Outages = s.outageReader()
	s.API = api.New(api.Config{Listen: cfg.Listen, AncestryTrust: CallerTrust, TrustedProxies: cfg.TrustedProxies, MetricsListen: cfg.MetricsListen,
		OIDC: api.OIDCConfig{Issuer: cfg.OIDC.Issuer, ClientID: cfg.OIDC.ClientID}}, cfg.Logger, map[string]api.Check{
		"database": func(ctx context.Context) error { return s.Pool.Ping(ctx) },
		"ledger": func(ctx context.Context) error {
			_, err := s.Store.ReadAll(ctx, eventstore.Start, 1)
			return err
		},
	}, s.Deps)
	// The web application (issue 18) is a client of this API, in process.
	s.API.ServePages(web.New(web.Config{Catalog: cat, Logger: cfg.Logger, SSO: web.SSOConfig{
		Issuer: cfg.OIDC.Issuer, ClientID: cfg.OIDC.ClientID, ClientSecret: cfg.OIDC.ClientSecret, RedirectURL: cfg.OIDC.RedirectURL}}, s.API.Echo()))
	return s, nil
}

// Run listens and runs the background work (projections, Merkle
// sequencer) until ctx ends or one of them fails; then it shuts the API
// down gracefully. ready, when set, is called once the API listens.
func (s *Service) Run(ctx context.Context, ready func(url string)) error {
	if err := s.API.Open(); err != nil {
		return err
	}
	if ready != nil {
		ready(s.API.URL())
	}
	g, gctx := errgroup.WithContext(ctx)
	if !s.cfg.NoProjections {
		g.Go(func() error { return ignoreCancel(s.Runner.Run(gctx, s.Projections...)) })
		// The processes follow the read models they list dossiers from.
		g.Go(func() error { return ignoreCancel(s.Processes.Run(gctx)) })
	}
	g.Go(func() error { return ignoreCancel(s.Tree.Run(gctx)) })
	if s.Checkpoints != nil {
		g.Go(func() error {
			return ignoreCancel(s.Checkpoints.RunDaily(gctx, 24*time.Hour, func(err error) {
				s.cfg.Logger.Warn("daily checkpoint failed; retrying soon (30 s, doubling up to a day)", "error", err.Error())
			}))
		})
	}
	for _, f := range s.runSync(gctx) {
		g.Go(f)
	}
	for _, f := range s.runOutages(gctx) {
		g.Go(f)
	}
	g.Go(func() error {
		<-gctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return s.API.Close(shutdown)
	})
	return g.Wait()
}

func ignoreCancel(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// WaitCaughtUp returns once every projection has applied the whole stable
// log and the Merkle log covers it: what a test (or the demo) needs before
// reading what it just wrote through a read model.
func (s *Service) WaitCaughtUp(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := s.caughtUp(ctx)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *Service) caughtUp(ctx context.Context) (bool, error) {
	// The Merkle log first: once it holds every committed event, the stable
	// prefix that the projections read covers them all too, so "caught up"
	// below means "has applied every one of them".
	n, err := s.EventCount(ctx)
	if err != nil {
		return false, err
	}
	size, err := s.Tree.Size(ctx)
	if err != nil || size < n {
		return false, err
	}
	st, err := s.Runner.Status(ctx, s.Projections...)
	if err != nil {
		return false, err
	}
	// Every projection needs a live generation that has caught up: one the
	// runner has not started yet has no status row at all.
	live := map[string]bool{}
	for _, p := range st {
		if !p.Live {
			continue
		}
		if p.State == projections.StateFailed {
			return false, fmt.Errorf("projection %s failed: %s", p.Projection, p.Error)
		}
		live[p.Projection] = p.CaughtUp && p.Generation > 0
	}
	for _, p := range s.Projections {
		if !live[p.Name()] {
			return false, nil
		}
	}
	return true, nil
}

// EventCount is the number of events in the ledger, committed ones only but
// all of them: on PostgreSQL it counts the table rather than the stable
// prefix that readers see, which a transaction open anywhere on the cluster
// can hold back for a while.
func (s *Service) EventCount(ctx context.Context) (uint64, error) {
	if s.cfg.EventStoreURL == "" {
		var n int64
		err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n)
		return uint64(n), err
	}
	// The log only grows: count it from where the last call stopped.
	s.counted.Lock()
	defer s.counted.Unlock()
	for {
		evs, err := s.Store.ReadAll(ctx, s.counted.pos, 10000)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			return s.counted.n, nil
		}
		s.counted.n += uint64(len(evs))
		s.counted.pos = evs[len(evs)-1].Position
	}
}

// Close releases what Open acquired (not a Pool passed in Config).
func (s *Service) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// ConfigFrom is the service's configuration from the process's
// (internal/config), shared by `hoso serve`, `hoso dev` and hoso-loadgen.
// The caller adds what the environment does not give: the database URL of
// the private cluster when HOSO_DATABASE_URL is unset, a development
// checkpoint key, the logger.
func ConfigFrom(c config.Config) Config {
	return Config{
		DatabaseURL:    c.DatabaseURL,
		EventStoreURL:  c.EventStoreURL,
		Listen:         c.Listen,
		PolicyName:     c.PolicyName,
		Policy:         c.Policy,
		PersonalIDKey:  c.PersonalIDKey,
		NoProjections:  c.NoProjections,
		AsyncReadLog:   c.AsyncReadLog,
		TrustedProxies: c.TrustedProxies,
		MetricsListen:  c.MetricsListen,
		CheckpointKey:  c.CheckpointKey,
		TrustRoots:     c.TrustRoots,
		// Certificate status and time stamps of approvals.
		OCSPURL: c.OCSPURL, OCSPUnreachable: c.OCSPUnreachable, TSAURL: c.TSAURL, CRLURL: c.CRLURL,
		Seal: c.Seal,
		KEK:  kekOrNil(c.KEK),
		Outage: func() OutageConfig {
			if !c.SMTP.Enabled() {
				return OutageConfig{}
			}
			return OutageConfig{Mailer: outage.SMTP{URL: c.SMTP.URL, From: c.SMTP.From}, Addresses: c.SMTP.Addresses}
		}(),
		OIDC: c.OIDC,
	}
}

// kekOrNil keeps a nil key a nil interface.
func kekOrNil(k *seal.LocalKEK) seal.KeyWrapper {
	if k == nil {
		return nil
	}
	return k
}

// newAuthStore is the credential store, at cfg's password cost.
func newAuthStore(pool *pgxpool.Pool, cfg Config) *auth.Store {
	s := auth.NewStore(pgadapter.NewCredentials(pool), cfg.Now).TrustFor(CallerTrust)
	if cfg.Passwords != nil {
		s.WithHasher(cfg.Passwords)
	}
	return s
}
