package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/breach"
	"github.com/hoso-ledger/hoso/projections/breaches"
)

// BreachReader reads the breaches read model (projections/breaches).
type BreachReader interface {
	// Breaches lists the breaches concerning one of orgs, newest detection first.
	Breaches(ctx context.Context, orgs []domain.OrgID) ([]breaches.Breach, error)
	// Breach returns one breach (domain.ErrNotFound when none).
	Breach(ctx context.Context, id uuid.UUID) (breaches.Breach, error)
}

// Breach routes (PDPL 91/2025, Decree 27/2026). Recording takes an
// administrator (manage_orgs) over every org concerned: those named and the
// managing orgs of the dossiers named. Reading takes an administrator, or
// an inspector (read_dossier and read_audit), over one org concerned;
// outside that a breach does not exist (404).

type breachRequest struct {
	What       string   `json:"what"`
	DetectedAt string   `json:"detected_at"` // RFC 3339
	Dossiers   []string `json:"dossiers"`
	Orgs       []string `json:"orgs"`
}

type breachView struct {
	ID         string            `json:"id"`
	What       string            `json:"what"`
	DetectedAt time.Time         `json:"detected_at"`
	Dossiers   []string          `json:"dossiers"`
	Orgs       []string          `json:"orgs"`
	RecordedAt time.Time         `json:"recorded_at"`
	RecordedBy string            `json:"recorded_by"`
	Deadlines  []breach.Deadline `json:"deadlines"`
	People     []affectedPerson  `json:"affected_people,omitempty"`
	OrgNames   []affectedOrgView `json:"affected_orgs,omitempty"`
}

type affectedPerson struct {
	Dossier     string `json:"dossier_id"`
	FullName    string `json:"full_name,omitempty"` // only to a caller who may read the dossier
	ManagingOrg string `json:"managing_org,omitempty"`
}

type affectedOrgView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func viewBreach(b breaches.Breach) breachView {
	v := breachView{ID: b.BreachID.String(), What: b.What, DetectedAt: b.DetectedAt.UTC(), RecordedAt: b.RecordedAt.UTC(),
		RecordedBy: b.RecordedBy, Dossiers: []string{}, Orgs: []string{}, Deadlines: breach.Deadlines(b.Suspected, breach.DefaultPolicy)}
	for _, d := range b.Dossiers {
		v.Dossiers = append(v.Dossiers, d.String())
	}
	for _, o := range b.Orgs {
		v.Orgs = append(v.Orgs, o.String())
	}
	return v
}

// mayReadBreach: an administrator or an inspector over one org concerned.
func mayReadBreach(c *Caller, orgs []uuid.UUID) bool {
	return slices.ContainsFunc(orgs, func(o uuid.UUID) bool {
		org := domain.OrgID(o)
		return c.Can(account.ActionManageOrgs, org) || (c.Can(account.ActionReadDossier, org) && c.Can(account.ActionReadAudit, org))
	})
}

// recordBreach: POST /breaches → 201 with the record and its deadlines.
func (s *Server) recordBreach(c echo.Context) error {
	caller := CallerOf(c)
	if len(caller.Roots(account.ActionManageOrgs)) == 0 {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Detail: "recording a breach takes an administrator"}
	}
	var req breachRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var f fields
	r := breach.Record{What: req.What}
	if req.DetectedAt != "" {
		t, err := time.Parse(time.RFC3339, req.DetectedAt)
		if err != nil {
			f.add("/detected_at", "format", "an RFC 3339 time, e.g. 2026-12-07T08:30:00+07:00")
		}
		r.DetectedAt = t
	}
	ctx := c.Request().Context()
	// The orgs to notify: those named, and each named dossier's managing org.
	var concerned []uuid.UUID
	for i, raw := range req.Orgs {
		field := fmt.Sprintf("/orgs/%d", i)
		if id := f.id(field, raw); id != uuid.Nil {
			if !caller.Can(account.ActionManageOrgs, domain.OrgID(id)) {
				f.add(field, "unknown", "no such record in your scope")
				continue
			}
			concerned = append(concerned, id)
		}
	}
	for i, raw := range req.Dossiers {
		field := fmt.Sprintf("/dossiers/%d", i)
		id := f.id(field, raw)
		if id == uuid.Nil {
			continue
		}
		d, err := s.deps.Views.Dossier(ctx, domain.DossierID(id))
		if errors.Is(err, domain.ErrNotFound) || (err == nil && (d.ManagingOrg == nil || !caller.Can(account.ActionManageOrgs, *d.ManagingOrg))) {
			f.add(field, "unknown", "no such record in your scope")
			continue
		}
		if err != nil {
			return err
		}
		r.Dossiers = append(r.Dossiers, id)
		concerned = append(concerned, uuid.UUID(*d.ManagingOrg))
	}
	r.Orgs = concerned
	m := s.Meta(c)
	m.EffectiveDate = caller.Today
	if err := f.err(); err != nil {
		return err
	}
	id := uuid.Must(uuid.NewV7())
	ev, _, err := s.deps.Breaches.Record(ctx, id, r, m, s.deps.now())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/breaches/"+id.String())
	return c.JSON(http.StatusCreated, viewBreach(breaches.Breach{Suspected: ev, RecordedAt: m.RecordedAt, RecordedBy: m.Actor.Account.String()}))
}

// listBreaches: GET /breaches → the breaches concerning the caller's orgs.
func (s *Server) listBreaches(c echo.Context) error {
	caller := CallerOf(c)
	roots := append(caller.Roots(account.ActionManageOrgs), caller.Roots(account.ActionReadAudit)...)
	ctx := c.Request().Context()
	scope, err := s.deps.Views.OrgSubtree(ctx, roots)
	if err != nil {
		return err
	}
	list, err := s.deps.BreachReader.Breaches(ctx, scope)
	if err != nil {
		return err
	}
	out := []breachView{}
	for _, b := range list {
		if mayReadBreach(caller, b.Orgs) {
			out = append(out, viewBreach(b))
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// getBreach: GET /breaches/{id} → the record, its deadlines, the people
// and orgs affected. The people are named to a caller who may read their
// dossiers, and naming them is a read of each (Decree 27/2026): gated and
// logged as a list page is (gateList), refused whole when any needs a
// purpose or consent the caller lacks.
func (s *Server) getBreach(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	stated, err := statePurpose(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	b, err := s.deps.BreachReader.Breach(ctx, id)
	if err != nil {
		return err
	}
	caller := CallerOf(c)
	if !mayReadBreach(caller, b.Orgs) {
		return notFound
	}
	v := viewBreach(b)
	var named []domain.DossierID
	var gate []listed
	provinceSensitive := s.provinceSensitive(c)
	for _, d := range b.Dossiers {
		p := affectedPerson{Dossier: d.String()}
		got, err := s.deps.Views.Dossier(ctx, domain.DossierID(d))
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if err == nil && got.ManagingOrg != nil {
			p.ManagingOrg = got.ManagingOrg.String()
			if caller.CanOnDossier(account.ActionReadDossier, *got.ManagingOrg, got.ID) {
				p.FullName = got.FullName
				named = append(named, got.ID)
				gate = append(gate, listed{id: got.ID, personnel: summaryPersonnel(caller, got.Summary, provinceSensitive)})
			}
		}
		v.People = append(v.People, p)
	}
	consents, err := s.gateList(c, stated, gate)
	if err != nil {
		return err
	}
	if err := s.logListed(c, named, consents); err != nil {
		return err
	}
	tree, err := s.deps.Views.OrgTree(ctx)
	if err != nil {
		return err
	}
	for _, o := range tree {
		if slices.Contains(b.Orgs, uuid.UUID(o.ID)) {
			v.OrgNames = append(v.OrgNames, affectedOrgView{ID: o.ID.String(), Name: o.Name})
		}
	}
	return c.JSON(http.StatusOK, v)
}
