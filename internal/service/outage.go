package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/org"
	domoutage "github.com/hoso-ledger/hoso/domain/outage"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/processes/outage"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/orgs"
)

// OutageConfig is the health history and the outage notices (BT 14.7,
// processes/outage).
type OutageConfig struct {
	// Interval is how often this process reports its functions
	// (outage.DefaultInterval when zero); the detector's grace follows it,
	// so every process of a deployment must use the same.
	Interval time.Duration
	// Mailer mails the notices (HOSO_SMTP_URL); nil: no e-mail.
	Mailer outage.Mailer
	// Addresses are an org's addresses (HOSO_SMTP_TO).
	Addresses func(org uuid.UUID) []string
	// NoDetector runs the reports without the detector (tests that look
	// at one process's reports).
	NoDetector bool
}

// openOutages builds this process's Recorder and the Detector. The probes
// that need the running API are added in Run.
func (s *Service) openOutages() {
	oc := s.cfg.Outage
	if oc.Interval <= 0 {
		oc.Interval = outage.DefaultInterval
	}
	s.Health = &outage.Recorder{Pool: s.Pool, Interval: oc.Interval, Now: s.cfg.Now, Logger: s.cfg.Logger, Probes: map[string]outage.Probe{
		// The sequencer's goroutine ends the process when it fails, so it
		// is up as long as the process reports.
		domoutage.FunctionSequencer: nil,
	}}
	if !s.cfg.NoProjections {
		s.Health.Probes[domoutage.FunctionProjections] = s.projectionsProbe
	}
	if s.Relay != nil {
		s.Health.Probes[domoutage.FunctionSync] = nil
	}
	if oc.NoDetector {
		return
	}
	s.Outages = NewDetector(s.Pool, s.Store, oc, s.cfg.Now, s.cfg.Logger)
}

// NewDetector is the outage detector on a database and its ledger
// (store: the outage streams are never sealed, so the raw store does):
// `hoso serve` runs one, `hoso outages watch` runs one alone. Two at once
// are harmless (the ledger lets one notice in).
func NewDetector(pool *pgxpool.Pool, store eventstore.Store, oc OutageConfig, now func() time.Time, log *slog.Logger) *outage.Detector {
	if oc.Interval <= 0 {
		oc.Interval = outage.DefaultInterval
	}
	if now == nil {
		now = time.Now
	}
	return &outage.Detector{
		Pool: pool, Ledger: ledger.Ledger{Store: store}, Calendar: calendar.Official(),
		Orgs: func(ctx context.Context) ([]uuid.UUID, error) { return ActiveOrgs(ctx, pool) },
		OrgName: func(ctx context.Context, o uuid.UUID) string {
			name, err := orgs.NameOn(ctx, pool, domain.OrgID(o), domain.DateOf(now()))
			if err != nil {
				return ""
			}
			return name
		},
		Mailer: oc.Mailer, Addresses: oc.Addresses,
		Grace: outage.GraceFor(oc.Interval), Now: now, Logger: log,
	}
}

// ActiveOrgs are the orgs an outage concerns: every org that has not
// ended (they all use the software).
func ActiveOrgs(ctx context.Context, pool *pgxpool.Pool) ([]uuid.UUID, error) {
	tree, err := orgs.Tree(ctx, pool)
	if err != nil {
		return nil, err
	}
	var out []uuid.UUID
	for _, o := range tree {
		if o.Status == org.StatusActive {
			out = append(out, uuid.UUID(o.ID))
		}
	}
	return out, nil
}

// projectionsProbe: the read models are down when one of them failed (the
// runner stopped applying it) or the runner cannot say.
func (s *Service) projectionsProbe(ctx context.Context) error {
	st, err := s.Runner.Status(ctx, s.Projections...)
	if err != nil {
		return err
	}
	var failed []string
	for _, p := range st {
		if p.Live && p.State == projections.StateFailed {
			failed = append(failed, fmt.Sprintf("%s: %s", p.Projection, p.Error))
		}
	}
	if failed != nil {
		return errors.New("failed projections: " + strings.Join(failed, "; "))
	}
	return nil
}

// apiProbe asks the API what a client would: GET /healthz on its own
// address, so a listener that stopped answering is seen.
func (s *Service) apiProbe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.API.URL()+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz: %s", resp.Status)
	}
	return nil
}

// runOutages is the reports and the detector, for Run.
func (s *Service) runOutages(ctx context.Context) []func() error {
	s.Health.Probes[domoutage.FunctionAPI] = s.apiProbe
	fs := []func() error{func() error { return ignoreCancel(s.Health.Run(ctx)) }}
	if s.Outages != nil {
		fs = append(fs, func() error { return ignoreCancel(s.Outages.Run(ctx)) })
	}
	return fs
}

// outageReader is api.OutageReader on this process's database.
type outageReader struct{ d *outage.Detector }

func (s *Service) outageReader() api.OutageReader {
	d := s.Outages
	if d == nil {
		d = NewDetector(s.Pool, s.Store, s.cfg.Outage, s.cfg.Now, s.cfg.Logger)
	}
	return outageReader{d}
}

// Availability implements api.OutageReader.
func (r outageReader) Availability(ctx context.Context) (api.Availability, error) {
	now := time.Now
	if r.d.Now != nil {
		now = r.d.Now
	}
	a := api.Availability{AsOf: now().UTC()}
	fs, err := outage.Current(ctx, r.d.Pool, r.d.Grace, a.AsOf)
	if err != nil {
		return a, err
	}
	for _, f := range fs {
		st := api.FunctionStatus{Function: f.Function, State: "down", LastUp: f.LastUp, Detail: f.Detail}
		if f.Up {
			st.State = "up"
		}
		a.Functions = append(a.Functions, st)
	}
	found, err := r.d.Look(ctx)
	if err != nil {
		return a, err
	}
	for _, o := range found {
		v := api.OutageView{ID: o.ID, Function: o.Function, Start: o.Start, Ongoing: o.Ongoing(), WorkingDays: o.WorkingDays,
			Notified: o.Notified, EndRecorded: o.Ended}
		if !o.Ongoing() {
			end := o.End
			v.End = &end
		}
		a.Outages = append(a.Outages, v)
	}
	return a, nil
}

// Notices implements api.OutageReader.
func (r outageReader) Notices(ctx context.Context, scope []domain.OrgID) ([]compliance.OutageNotice, error) {
	return compliance.Outages(ctx, r.d.Pool, scope)
}
