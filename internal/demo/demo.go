package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Config says what to generate.
type Config struct {
	// Dossiers is how many people; 200 when zero.
	Dossiers int
	// Seed picks the people and their careers.
	Seed int64
	// Workers is how many dossiers are written at once; 6 when zero.
	Workers int
	// PersonalIDKey is the deployment's personal-ID secret (app.Dossiers).
	PersonalIDKey []byte
	// Catalogue decides catalogued codes; catalog.Default() when nil.
	Catalogue dossier.Catalogue
	// Progress, when set, is told after each dossier finishes a phase.
	Progress func(phase string, done, total int)
}

// Summary is what a run did (or, when AlreadyPresent, what the completed
// run recorded in its marker).
type Summary struct {
	Seed           int64          `json:"seed"`
	AlreadyPresent bool           `json:"-"`
	Resumed        bool           `json:"resumed"`
	Orgs           int            `json:"orgs"`
	Accounts       int            `json:"accounts"`
	Dossiers       int            `json:"dossiers"`
	Archived       int            `json:"archived"`
	Transfers      int            `json:"transfers"`
	Corrections    int            `json:"corrections"`
	Merged         []string       `json:"merged"` // org names that merged into communes
	Reassigned     int            `json:"reassigned"`
	Events         int            `json:"events"` // appended by this run
	Steps          map[string]int `json:"steps"`
	Elapsed        time.Duration  `json:"elapsed_ns"`
}

// gen is one run's state: the services, the seed's id namespace, counters.
type gen struct {
	cfg        Config
	ledger     ledger.Ledger
	dossiers   app.Dossiers
	orgs       app.Orgs
	accounts   app.Accounts
	ns         uuid.UUID
	seedOffset int

	events atomic.Int64
	mu     sync.Mutex
	steps  map[string]int

	// managed is one scan of who managed which dossiers on managedOn, shared
	// by the mergers of one run (they all ask about the eve of the reform).
	managed   map[domain.OrgID][]domain.DossierID
	managedOn domain.Date
}

func newGen(cfg Config) *gen {
	if cfg.Dossiers <= 0 {
		cfg.Dossiers = 200
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 6
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = catalog.Default()
	}
	ns := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "hoso-demo:%d", cfg.Seed))
	return &gen{
		cfg:        cfg,
		ns:         ns,
		seedOffset: int(ns[0])<<12 | int(ns[1])<<4 | int(ns[2]>>4),
		steps:      map[string]int{},
	}
}

func (g *gen) orgID(key string) domain.OrgID {
	return domain.OrgID(uuid.NewSHA1(g.ns, []byte("org/"+key)))
}

func (g *gen) dossierID(i int) domain.DossierID {
	return domain.DossierID(uuid.NewSHA1(g.ns, fmt.Appendf(nil, "dossier/%d", i)))
}

// MarkerStream is the stream that records a demo run for a seed.
func MarkerStream(seed int64) string { return fmt.Sprintf("demo-%d", seed) }

// Marker events. They carry no personnel data.
//   - "demo.started.v1": {"seed", "dossiers"}
//   - "demo.completed.v1": the Summary
const (
	TypeStarted   = "demo.started.v1"
	TypeCompleted = "demo.completed.v1"
)

type started struct {
	Seed     int64 `json:"seed"`
	Dossiers int   `json:"dossiers"`
}

func (started) EventType() string { return TypeStarted }

type completed Summary

func (completed) EventType() string { return TypeCompleted }

func decodeMarker(t string, data []byte) (domain.Event, error) {
	switch t {
	case TypeStarted:
		var e started
		return e, json.Unmarshal(data, &e)
	case TypeCompleted:
		var e completed
		return e, json.Unmarshal(data, &e)
	}
	return nil, domain.Invalid("type", "unknown", t)
}

// ErrDifferentDemo is returned when the ledger holds an unfinished demo for
// the same seed with another dossier count: resuming it with this count
// would mix two plans.
var ErrDifferentDemo = errors.New("demo: an unfinished demo with this seed and another dossier count is in the ledger")

// Run generates the demo province into the ledger through the app
// services. On a ledger where the demo for this seed completed it writes
// nothing and returns the recorded summary with AlreadyPresent set; after
// an interrupted run it resumes. Errors from the services are returned as
// they are, wrapped with the dossier and step that failed.
func Run(ctx context.Context, l ledger.Ledger, cfg Config) (Summary, error) {
	began := time.Now()
	g := newGen(cfg)
	g.ledger = l
	// Each worker writes one dossier at a time, command after command: a
	// few cached histories per worker turn n² decodes per career into n.
	g.dossiers = app.Dossiers{Ledger: l, Catalogue: g.cfg.Catalogue, PersonalIDKey: cfg.PersonalIDKey, Cache: ledger.NewHistoryCache(4 * g.cfg.Workers)}
	g.orgs = app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)}
	g.accounts = app.Accounts{Ledger: l}
	sum := Summary{Seed: cfg.Seed}

	marker := MarkerStream(cfg.Seed)
	h, err := l.Load(ctx, marker, decodeMarker)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		m := g.systemMeta(time.Now().UTC())
		if _, err := l.Append(ctx, marker, eventstore.NoStream, m, []domain.Event{started{Seed: cfg.Seed, Dossiers: g.cfg.Dossiers}}, nil); err != nil {
			return sum, fmt.Errorf("demo: writing the marker: %w", err)
		}
	case err != nil:
		return sum, err
	default:
		for _, e := range h.Events {
			switch ev := e.Event.(type) {
			case completed:
				s := Summary(ev)
				s.AlreadyPresent = true
				return s, nil
			case started:
				if ev.Dossiers != g.cfg.Dossiers {
					return sum, fmt.Errorf("%w: it has %d dossiers, not %d", ErrDifferentDemo, ev.Dossiers, g.cfg.Dossiers)
				}
			}
		}
		sum.Resumed = true
	}

	if err := g.createOrgs(ctx); err != nil {
		return sum, err
	}
	sum.Orgs = len(orgSpecs)
	if err := g.createAccounts(ctx, accountSpecs); err != nil {
		return sum, err
	}
	plans := make([]*plan, g.cfg.Dossiers)
	for i := range plans {
		plans[i] = g.newPlan(i)
	}
	if err := g.phase(ctx, "before the reform", plans, func(s step) bool { return s.eff.Before(reform) }); err != nil {
		return sum, err
	}
	if err := g.createPersonalAccount(ctx, plans[0]); err != nil {
		return sum, err
	}
	for _, s := range orgSpecs {
		if s.successor == "" {
			continue
		}
		moved, err := g.merge(ctx, s)
		if err != nil {
			return sum, err
		}
		sum.Merged = append(sum.Merged, s.name)
		sum.Reassigned += moved
	}
	if err := g.phase(ctx, "after the reform", plans, func(s step) bool { return !s.eff.Before(reform) }); err != nil {
		return sum, err
	}

	sum.Accounts = len(accountSpecs) + 1
	sum.Dossiers = len(plans)
	for _, p := range plans {
		sum.Archived += boolInt(p.archived)
		sum.Transfers += boolInt(p.transfer)
		sum.Corrections += boolInt(p.correct)
	}
	sum.Steps = g.steps
	sum.Elapsed = time.Since(began)
	sum.Events = int(g.events.Load())
	if _, err := l.Append(ctx, marker, eventstore.Any, g.systemMeta(time.Now().UTC()), []domain.Event{completed(sum)}, nil); err != nil {
		return sum, fmt.Errorf("demo: completing the marker: %w", err)
	}
	return sum, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// systemAccount is the actor of what no person did: the bootstrap of the
// first administrator and the marker.
func (g *gen) systemAccount() domain.AccountID {
	return domain.AccountID(uuid.NewSHA1(g.ns, []byte("account/system")))
}

func (g *gen) systemMeta(at time.Time) domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: g.systemAccount(), Name: "Khởi tạo dữ liệu mẫu"},
		RecordedAt:    at,
		EffectiveDate: domain.DateOf(at.In(time.FixedZone("ICT", 7*3600))),
		CorrelationID: MarkerStream(g.cfg.Seed),
	}
}

// adminMeta is the administrator deciding for the province on d.
func (g *gen) adminMeta(d domain.Date, src domain.SourceDocument) domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: g.accountID("quantri"), Name: "Quản trị hệ thống Sở Nội vụ", ActingOrg: g.orgID("so-noi-vu")},
		RecordedAt:    d.StartInVietnam().Add(8 * time.Hour).UTC(),
		EffectiveDate: d,
		Source:        src,
		CorrelationID: MarkerStream(g.cfg.Seed),
	}
}

func (g *gen) count(kind string, n int) {
	g.events.Add(int64(n))
	g.mu.Lock()
	g.steps[kind] += n
	g.mu.Unlock()
}

// exists reports a stream's version (0 when absent).
func (g *gen) version(ctx context.Context, stream string) (uint64, error) {
	evs, err := g.ledger.Store.ReadStream(ctx, stream, eventstore.ReadOptions{Direction: eventstore.Backward, Limit: 1})
	if errors.Is(err, eventstore.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return evs[0].Version, nil
}

func (g *gen) createOrgs(ctx context.Context) error {
	for _, s := range orgSpecs {
		v, err := g.version(ctx, g.orgID(s.key).StreamID())
		if err != nil {
			return err
		}
		src := domain.SourceDocument{Kind: "decision", Number: "01/QĐ-UBND", Date: s.from.AddDays(-15), Issuer: "Ủy ban nhân dân tỉnh Phú Thọ"}
		if s.kind == org.KindProvinceCommittee {
			src = domain.SourceDocument{Kind: "resolution", Number: "NQ-QH9", Date: domain.MustDate(1996, 11, 6), Issuer: "Quốc hội"}
		}
		if v == 0 {
			c := org.CreateOrg{Name: s.name, Code: s.code, Kind: s.kind, Level: s.level}
			if s.parent != "" {
				c.Parent = g.orgID(s.parent)
			}
			if _, err := g.orgs.Create(ctx, g.orgID(s.key), c, g.adminMeta(s.from, src)); err != nil {
				return fmt.Errorf("demo: creating %s: %w", s.name, err)
			}
			g.count("org", 1)
			v = 1
		}
		if s.key == "so-nong-nghiep" && v == 1 {
			src := domain.SourceDocument{Kind: "decision", Number: "28/QĐ-UBND", Date: agricultureRenamed.AddDays(-3), Issuer: "Ủy ban nhân dân tỉnh Phú Thọ"}
			if _, err := g.orgs.Rename(ctx, g.orgID(s.key), 1, renamedAgriculture, "", g.adminMeta(agricultureRenamed, src)); err != nil {
				return fmt.Errorf("demo: renaming %s: %w", s.name, err)
			}
			g.count("org", 1)
		}
	}
	return g.designateHomeAffairs(ctx)
}

// designateHomeAffairs records the province's decision naming its Sở Nội
// vụ, the one org that approves the month at level 2 (nothing when a
// designation is on record already).
func (g *gen) designateHomeAffairs(ctx context.Context) error {
	province, doh := g.orgID("ubnd-tinh"), g.orgID("so-noi-vu")
	o, err := g.orgs.Get(ctx, province)
	if err != nil {
		return err
	}
	if len(o.HomeAffairs()) > 0 {
		return nil
	}
	src := domain.SourceDocument{Kind: "decision", Number: "02/QĐ-UBND", Date: founded.AddDays(-15), Issuer: "Ủy ban nhân dân tỉnh Phú Thọ"}
	if _, err := g.orgs.DesignateHomeAffairs(ctx, province, o.Version(), doh, g.adminMeta(founded, src)); err != nil {
		return fmt.Errorf("demo: designating the Sở Nội vụ: %w", err)
	}
	g.count("org", 1)
	return nil
}

// goLive is when the demo's accounts were issued.
var goLive = domain.MustDate(2024, 1, 2)

func (g *gen) createAccounts(ctx context.Context, specs []accountSpec) error {
	src := domain.SourceDocument{Kind: "decision", Number: "15/QĐ-SNV", Date: goLive.AddDays(-5), Issuer: "Sở Nội vụ tỉnh Phú Thọ"}
	for _, s := range specs {
		id := g.accountID(s.username)
		v, err := g.version(ctx, id.StreamID())
		if err != nil {
			return err
		}
		m := g.adminMeta(goLive, src)
		if s.username == "quantri" { // the first administrator is created by the system
			m.Actor = domain.Actor{Account: g.systemAccount(), Name: "Khởi tạo dữ liệu mẫu"}
		}
		home := g.orgID(s.org)
		if v == 0 {
			if _, err := g.accounts.Create(ctx, id, account.CreateAccount{Kind: s.kind, Username: s.username, DisplayName: s.name, HomeOrg: home}, m); err != nil {
				return fmt.Errorf("demo: creating account %s: %w", s.username, err)
			}
			g.count("account", 1)
			v = 1
		}
		if v == 1 {
			grant := account.NewGrant{ID: uuid.NewSHA1(g.ns, []byte("grant/"+s.username)), Role: s.role, Org: home}
			if _, err := g.accounts.Grant(ctx, id, 1, grant, m); err != nil {
				return fmt.Errorf("demo: granting %s: %w", s.username, err)
			}
			g.count("account", 1)
		}
	}
	return nil
}

func (g *gen) createPersonalAccount(ctx context.Context, p *plan) error {
	id := g.accountID(personalUsername)
	v, err := g.version(ctx, id.StreamID())
	if err != nil {
		return err
	}
	src := domain.SourceDocument{Kind: "decision", Number: "16/QĐ-SNV", Date: goLive.AddDays(-5), Issuer: "Sở Nội vụ tỉnh Phú Thọ"}
	m := g.adminMeta(domain.MustDate(2025, 3, 3), src)
	home := g.orgID("so-noi-vu")
	if v == 0 {
		if _, err := g.accounts.Create(ctx, id, account.CreateAccount{Kind: account.KindPersonal, Username: personalUsername, DisplayName: p.person.name, HomeOrg: home, Dossier: g.dossierID(0)}, m); err != nil {
			return fmt.Errorf("demo: creating the personal account: %w", err)
		}
		g.count("account", 1)
		v = 1
	}
	if v == 1 {
		grant := account.NewGrant{ID: uuid.NewSHA1(g.ns, []byte("grant/"+personalUsername)), Role: account.RoleSelf, Dossier: g.dossierID(0)}
		if _, err := g.accounts.Grant(ctx, id, 1, grant, m); err != nil {
			return fmt.Errorf("demo: granting the personal account: %w", err)
		}
		g.count("account", 1)
	}
	return nil
}

// hrOf is the HR account keeping the dossiers of org key.
func (g *gen) hrOf(key string) (domain.AccountID, string) {
	hr := specOf(key).hr
	for _, s := range accountSpecs {
		if s.username == hr {
			return g.accountID(hr), s.name
		}
	}
	return g.accountID(hr), hr
}

func (g *gen) meta(p *plan, s step) domain.Meta {
	acct, name := g.hrOf(s.org)
	m := domain.Meta{
		Actor:         domain.Actor{Account: acct, Name: name, ActingOrg: g.orgID(s.org)},
		RecordedAt:    s.rec,
		EffectiveDate: s.eff,
		Reason:        s.reason,
		CorrelationID: MarkerStream(g.cfg.Seed),
	}
	if s.personal {
		m.Actor = domain.Actor{Account: g.accountID(personalUsername), Name: p.person.name}
	}
	if s.source != nil {
		m.Source = *s.source
	}
	return m
}

func (g *gen) firstEventID(ctx context.Context, id domain.DossierID) (uuid.UUID, error) {
	evs, err := g.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{Limit: 1})
	if err != nil {
		return uuid.Nil, err
	}
	return evs[0].ID, nil
}

// phase runs, for every plan, the steps that in selects, concurrently
// across dossiers and in order within one. A dossier's steps already in
// its stream are skipped: each planned step wrote one event, and the
// merger's reassignments are not planned steps.
func (g *gen) phase(ctx context.Context, name string, plans []*plan, in func(step) bool) error {
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(g.cfg.Workers)
	var done atomic.Int64
	for _, p := range plans {
		if gctx.Err() != nil {
			break
		}
		eg.Go(func() error {
			if err := g.runPlan(gctx, p, in); err != nil {
				return err
			}
			if g.cfg.Progress != nil {
				g.cfg.Progress(name, int(done.Add(1)), len(plans))
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (g *gen) runPlan(ctx context.Context, p *plan, in func(step) bool) error {
	id := g.dossierID(p.index)
	evs, err := g.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrNotFound) {
		return err
	}
	version := uint64(len(evs))
	done := len(evs)
	for _, e := range evs {
		if e.Type == dossier.TypeManagingOrgChanged {
			done--
		}
	}
	for j, s := range p.steps {
		if j < done || !in(s) {
			continue
		}
		if err := s.do(ctx, g, id, version, g.meta(p, s)); err != nil {
			return fmt.Errorf("demo: dossier %d (%s), step %d (%s on %s): %w", p.index, id, j, s.kind, s.eff, err)
		}
		version++
		g.count(string(s.kind), 1)
	}
	return nil
}

// merge ends a district committee by merger into its commune on the reform
// date and runs the succession process, which is a no-op for dossiers a
// previous, interrupted run already moved.
func (g *gen) merge(ctx context.Context, s orgSpec) (int, error) {
	id := g.orgID(s.key)
	o, err := g.orgs.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	if o.Active() {
		src := domain.SourceDocument{Kind: "resolution", Number: "1676/NQ-UBTVQH15", Date: domain.MustDate(2025, 6, 16), Issuer: "Ủy ban Thường vụ Quốc hội"}
		if _, err := g.orgs.Merge(ctx, id, o.Version(), g.orgID(s.successor), g.adminMeta(reform, src)); err != nil {
			return 0, fmt.Errorf("demo: merging %s: %w", s.name, err)
		}
		g.count("org", 1)
	}
	proc := app.Succession{
		Ledger: g.ledger, Managed: g.managedOnce, Workers: g.cfg.Workers,
		// The process ran on the morning of the reform.
		Clock: func() time.Time { return reform.StartInVietnam().Add(9 * time.Hour).UTC() },
	}
	rep, err := proc.Run(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("demo: moving the dossiers of %s: %w", s.name, err)
	}
	g.count("reassigned", rep.Moved)
	return rep.Moved + rep.Already, nil
}

// managedOnce is app.ScanManagement, scanned once per date and run: the
// dossiers of one district committee do not change when another merges.
func (g *gen) managedOnce(ctx context.Context, o domain.OrgID, on domain.Date) ([]domain.DossierID, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.managed == nil || g.managedOn != on {
		all, err := app.ScanManagement(ctx, g.ledger, on)
		if err != nil {
			return nil, err
		}
		g.managed, g.managedOn = all, on
	}
	return g.managed[o], nil
}
