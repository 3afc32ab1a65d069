package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/hoso-ledger/hoso/api/readlog"
	"github.com/hoso-ledger/hoso/app/export"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections/dossiers"
)

// envelopeFields are the body fields every dossier write carries beside its
// payload: when the fact takes effect (default: today in Vietnam), the
// document behind it, and why.
type envelopeFields struct {
	EffectiveDate  domain.Date            `json:"effective_date"`
	SourceDocument *domain.SourceDocument `json:"source_document"`
	Reason         string                 `json:"reason"`
	// ImportedFrom marks the write as imported history and names its
	// source (go-live, issue 14): see docs/api-dossiers.md "Imported
	// history". Only an HR write through the managing org may carry it.
	ImportedFrom string `json:"imported_from"`
}

// envelope lets beginWrite see the envelope of any request that embeds it.
func (e envelopeFields) envelope() envelopeFields { return e }

// errImportBySelf refuses an imported write from a person's own grant:
// importing history is the managing org's HR work (or an administrator's,
// for orgs and accounts), never a self-declaration.
var errImportBySelf = &Error{Status: http.StatusForbidden, Code: CodeForbidden,
	Errors: []FieldProblem{{Field: "/imported_from", Rule: "import_role", Detail: "only the managing org's HR officers record imported history"}}}

// meta is the command envelope of this request with the body's fields.
func (s *Server) metaWith(c echo.Context, e envelopeFields) domain.Meta {
	m := s.Meta(c)
	m.EffectiveDate = e.EffectiveDate
	if m.EffectiveDate.IsZero() {
		m.EffectiveDate = CallerOf(c).Today
	}
	if e.SourceDocument != nil {
		m.Source = *e.SourceDocument
	}
	m.Reason = e.Reason
	m.ImportedFrom = e.ImportedFrom
	return m
}

// access is what the caller may do with one dossier.
type access struct {
	read, sensitive, write, self bool
}

// accessTo decides the caller's access to d. Access follows the dossier's
// current managing org: a dossier is readable through its managing org,
// through its employing unit, and by the person through a self grant — the
// same rule as the search's scope. Once a transfer out of the province
// revoked management (TG 10.4: the old org "hủy quyền truy cập"), the org
// that lost it reads it no more; the dossier stays in the province's archive
// (TG 10.5), readable only by callers whose grant covers province, the root
// of the tree the old org belonged to (province; zero when unknown). Writes
// go through the managing org only; the person writes through proposals.
func accessTo(caller *Caller, d *dossier.Dossier, province domain.OrgID) access {
	id := d.ID()
	managing, managed := d.ManagingOrg()
	self := slices.Contains(caller.OwnDossiers(), id)
	can := func(a account.Action) bool {
		if caller.CanOnDossier(a, managing, id) {
			return true
		}
		if !d.ManagementRevoked() && caller.Can(a, d.EmployingUnit()) {
			return true
		}
		return d.ManagementRevoked() && !province.IsZero() && caller.Can(a, province)
	}
	return access{
		read:      can(account.ActionReadDossier),
		sensitive: can(account.ActionReadSensitive),
		write:     managed && caller.Can(account.ActionWriteDossier, managing),
		self:      self,
	}
}

// provinceOf is the root of the org tree above org (org itself for a
// root): the province whose archive keeps the dossiers its orgs handed
// over (TG 10.5). Zero when org is zero or its ancestry is unknown.
func (s *Server) provinceOf(ctx context.Context, org domain.OrgID) domain.OrgID {
	if org.IsZero() {
		return domain.OrgID{}
	}
	chain := s.ancestry(ctx)(org)
	if len(chain) == 0 {
		return domain.OrgID{}
	}
	return chain[len(chain)-1]
}

// archiveProvince is accessTo's province for d with its history: the root
// above the org that lost management when d was handed over out of the
// province, zero while d is managed.
func (s *Server) archiveProvince(ctx context.Context, history []domain.Recorded, d *dossier.Dossier) domain.OrgID {
	if !d.ManagementRevoked() {
		return domain.OrgID{}
	}
	return s.provinceOf(ctx, lastManagingOrg(history))
}

// provinceWide reports whether one of the caller's grants for action covers
// a whole tree from its root: only such callers find the dossiers handed
// over out of the province in lists (TG 10.4–10.5).
func (s *Server) provinceWide(c echo.Context, action account.Action) (bool, error) {
	roots := CallerOf(c).Roots(action)
	if len(roots) == 0 {
		return false, nil
	}
	return s.deps.Views.AnyRoot(c.Request().Context(), roots)
}

// lastManagingOrg is the org that managed the dossier last: after a
// transfer out of the province, the one that lost management.
func lastManagingOrg(history []domain.Recorded) domain.OrgID {
	var org domain.OrgID
	for _, r := range history {
		switch e := r.Event.(type) {
		case dossier.Created:
			org = e.ManagingOrg
		case dossier.TransferReceived:
			if !e.ManagingOrg.IsZero() {
				org = e.ManagingOrg
			}
		case dossier.ManagingOrgChanged:
			org = e.ToOrg
		case dossier.Reactivated:
			org = e.ManagingOrg
		}
	}
	return org
}

// purpose says what a route does with the dossier it opens.
type purpose int

const (
	forRead    purpose = iota // a read: logged as allowed or refused
	forWrite                  // an HR write through the managing org
	forSelf                   // the person's own proposal
	forConsent                // the consent register: the managing org's HR or the person
)

// opened is a dossier a route works on, loaded from the ledger (so a read
// right after a write sees it), with the caller's access.
type opened struct {
	d       *dossier.Dossier
	history []domain.Recorded // nil unless loaded (time travel, revoked management)
	access  access
}

// openDossier loads the dossier named by the path parameter "id" and checks
// the caller's access for p. A dossier that does not exist, or that the
// caller may not even read, is 404 either way (existence is not revealed),
// and the refusal is logged; one the caller reads but may not change is
// 403. A read that is allowed is logged before it is served.
func (s *Server) openDossier(c echo.Context, p purpose, needHistory bool) (*opened, error) {
	raw, err := pathUUID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.openDossierID(c, domain.DossierID(raw), p, needHistory)
}

func (s *Server) openDossierID(c echo.Context, id domain.DossierID, p purpose, needHistory bool) (*opened, error) {
	ctx := c.Request().Context()
	caller := CallerOf(c)
	o := &opened{}
	var stated *statedPurpose
	var err error
	if p == forRead {
		// Parsed before anything is read: a malformed purpose is bad
		// input, refused with nothing logged, like any bad parameter.
		if stated, err = statePurpose(c); err != nil {
			return nil, err
		}
	}
	if needHistory {
		o.history, o.d, err = s.loadHistory(ctx, id)
	} else {
		o.d, err = s.deps.Dossiers.Get(ctx, id)
		if err == nil && o.d.ManagementRevoked() {
			o.history, o.d, err = s.loadHistory(ctx, id)
		}
	}
	if errors.Is(err, domain.ErrNotFound) {
		if lerr := s.LogRead(c, id, ReadNotFound); lerr != nil {
			return nil, lerr
		}
		return nil, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such dossier"}
	}
	if err != nil {
		return nil, err
	}
	province := s.archiveProvince(ctx, o.history, o.d)
	o.access = accessTo(caller, o.d, province)
	allowed := o.access.read
	switch p {
	case forWrite:
		allowed = o.access.write
	case forSelf:
		allowed = o.access.self
	case forConsent:
		allowed = o.access.write || o.access.self
	}
	if !allowed {
		if lerr := s.LogRead(c, id, ReadRefused); lerr != nil {
			return nil, lerr
		}
		if o.access.read || o.access.self {
			return nil, &Error{Status: http.StatusForbidden, Code: CodeForbidden, Detail: "you may read this dossier but not do this"}
		}
		return nil, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such dossier"}
	}
	if p == forRead {
		// Decree 27/2026: outside personnel work, a purpose and, where the
		// policy asks, the person's consent; a refusal is logged with the
		// purpose stated.
		if err := s.purposeGate(c, o.d, o.access, stated); err != nil {
			if isPurposeRefusal(err) {
				if lerr := s.LogRead(c, id, ReadRefused); lerr != nil {
					return nil, lerr
				}
			}
			return nil, err
		}
		if err := s.LogRead(c, id, ReadAllowed); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (s *Server) loadHistory(ctx context.Context, id domain.DossierID) ([]domain.Recorded, *dossier.Dossier, error) {
	h, err := s.deps.Dossiers.Ledger.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		return nil, nil, err
	}
	d, err := dossier.Replay(h.Events)
	if err != nil {
		return nil, nil, err
	}
	return h.Events, d, nil
}

// DossierView is a dossier as GET /dossiers/{id} returns it.
type DossierView struct {
	ID                 domain.DossierID  `json:"id"`
	Version            uint64            `json:"version"`
	Status             dossier.Status    `json:"status"`
	Archived           bool              `json:"archived"`
	Class              dossier.Class     `json:"class"`
	ManagingOrg        *domain.OrgID     `json:"managing_org"`
	ManagementRevoked  bool              `json:"management_revoked"`
	EmployingUnit      domain.OrgID      `json:"employing_unit"`
	CivilServantNumber string            `json:"civil_servant_number,omitempty"`
	PendingTransfer    *dossier.Transfer `json:"pending_transfer,omitempty"`
	Proposals          []ProposalView    `json:"proposals,omitempty"`
	// AsOf and EffectiveOn echo the time-travel parameters the view answers.
	AsOf        *time.Time       `json:"as_of,omitempty"`
	EffectiveOn *domain.Date     `json:"effective_on,omitempty"`
	Document    dossier.Document `json:"document"`
	// Redacted lists the JSON pointers into document that were blanked
	// because the caller may not read sensitive fields.
	Redacted []string `json:"redacted,omitempty"`
}

// ProposalView is a person's proposal as HR and the person see it.
type ProposalView struct {
	ID          uuid.UUID             `json:"id"`
	Kind        dossier.ProposalKind  `json:"kind"`
	Year        int                   `json:"year,omitempty"`
	State       dossier.ProposalState `json:"state"`
	SubmittedBy domain.AccountID      `json:"submitted_by"`
	SubmittedOn domain.Date           `json:"submitted_on"`
	Patch       dossier.Patch         `json:"patch"`
}

func viewOf(d *dossier.Dossier, a access) DossierView {
	doc := d.Document()
	v := DossierView{
		ID: d.ID(), Version: d.Version(), Status: d.Status(), Archived: d.Archived(), Class: d.Class(),
		ManagingOrg: doc.Header.ManagingOrg, ManagementRevoked: d.ManagementRevoked(), EmployingUnit: d.EmployingUnit(),
		CivilServantNumber: d.CivilServantNumber(),
	}
	if t, ok := d.PendingTransfer(); ok {
		v.PendingTransfer = &t
	}
	if a.write || a.self || a.sensitive {
		for _, p := range d.Proposals() {
			patch := p.Patch
			if !a.sensitive {
				patch = redactPatch(patch)
			}
			v.Proposals = append(v.Proposals, ProposalView{ID: p.ID, Kind: p.Kind, Year: p.Year, State: p.State,
				SubmittedBy: p.SubmittedBy, SubmittedOn: p.SubmittedOn, Patch: patch})
		}
	}
	if !a.sensitive {
		doc = redactDocument(doc)
		v.Redacted = sensitivePaths
	}
	v.Document = doc
	return v
}

// getDossier is GET /dossiers/{id}[?as_of=instant][&effective_on=date].
func (s *Server) getDossier(c echo.Context) error {
	asOf, effectiveOn, err := travelParams(c)
	if err != nil {
		return err
	}
	travel := !asOf.IsZero() || !effectiveOn.IsZero()
	o, err := s.openDossier(c, forRead, travel)
	if err != nil {
		return err
	}
	if !travel {
		return s.serveView(c, o.d, o.access)
	}
	d, err := dossierAt(o, asOf, effectiveOn)
	if err != nil {
		return err
	}
	v := viewOf(d, o.access)
	if !asOf.IsZero() {
		v.AsOf = &asOf
	}
	if !effectiveOn.IsZero() {
		v.EffectiveOn = &effectiveOn
	}
	SetETag(c, d.Version())
	return c.JSON(http.StatusOK, v)
}

// travelParams are the time-travel parameters of a dossier read: as_of,
// an instant on the recorded axis, and effective_on, a date on the
// effective axis (each zero when absent).
func travelParams(c echo.Context) (time.Time, domain.Date, error) {
	asOf, err := queryInstant(c, "as_of")
	if err != nil {
		return time.Time{}, domain.Date{}, err
	}
	effectiveOn, err := queryDate(c, "effective_on")
	return asOf, effectiveOn, err
}

// dossierAt is the opened dossier as known at asOf and/or in effect on
// effectiveOn (both zero: as it stands); 404 when it did not exist then.
// The JSON read, the CV form and the export share it.
func dossierAt(o *opened, asOf time.Time, effectiveOn domain.Date) (*dossier.Dossier, error) {
	if asOf.IsZero() && effectiveOn.IsZero() {
		return o.d, nil
	}
	d, err := export.At(o.history, asOf, effectiveOn)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "the dossier did not exist at that point in time"}
	}
	return d, err
}

// viewKey names one encoding of a dossier's current view: the view is a
// function of the dossier at a version and of what the caller may see.
type viewKey struct {
	id                   domain.DossierID
	version              uint64
	sensitive, proposals bool
}

// viewCache keeps encoded dossier views. A version never changes, so an
// entry is never stale; the least recently read go first when it is full.
type viewCache struct {
	once sync.Once
	lru  *lru.Cache[viewKey, []byte]
}

const maxCachedViews = 2048

func (v *viewCache) entries() *lru.Cache[viewKey, []byte] {
	v.once.Do(func() {
		c, err := lru.New[viewKey, []byte](maxCachedViews)
		if err != nil { // only for a size below 1
			panic(err)
		}
		v.lru = c
	})
	return v.lru
}

func (v *viewCache) get(k viewKey) ([]byte, bool) { return v.entries().Get(k) }

func (v *viewCache) put(k viewKey, b []byte) { v.entries().Add(k, b) }

// serveView answers with the current view of d as a may see it, encoded
// once per version and access: encoding a whole dossier was a fifth of a
// read's CPU.
func (s *Server) serveView(c echo.Context, d *dossier.Dossier, a access) error {
	k := viewKey{id: d.ID(), version: d.Version(), sensitive: a.sensitive, proposals: a.write || a.self || a.sensitive}
	b, ok := s.views.get(k)
	if !ok {
		var err error
		if b, err = json.Marshal(viewOf(d, a)); err != nil {
			return err
		}
		s.views.put(k, b)
	}
	SetETag(c, d.Version())
	return c.JSONBlob(http.StatusOK, b)
}

// createDossierRequest is the body of POST /dossiers. dossier_id is
// optional: send one (a UUID you minted) to make a retry after a lost
// response safe.
type createDossierRequest struct {
	DossierID        *domain.DossierID `json:"dossier_id"`
	Class            dossier.Class     `json:"class"`
	ManagingOrg      domain.OrgID      `json:"managing_org"`
	EmployingUnit    domain.OrgID      `json:"employing_unit"`
	PersonalIDNumber string            `json:"personal_id_number"`
	Identity         dossier.Identity  `json:"identity"`
	// ArrivedFromOutsideProvince marks a person received from outside the
	// province (TG 10.1a).
	ArrivedFromOutsideProvince bool `json:"arrived_from_outside_province"`
	// LabourContract: a labour-contract worker's contract (TG 5.1b).
	LabourContract *dossier.LabourContract `json:"labour_contract"`
	envelopeFields
}

// createDossier is POST /dossiers: ActionWriteDossier over the managing org
// and the employing unit.
func (s *Server) createDossier(c echo.Context) error {
	var req createDossierRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	caller := CallerOf(c)
	var denied []FieldProblem
	if !req.ManagingOrg.IsZero() && !caller.Can(account.ActionWriteDossier, req.ManagingOrg) {
		denied = append(denied, FieldProblem{Field: "/managing_org", Rule: "scope", Detail: "you do not keep the dossiers of this org"})
	}
	if !req.EmployingUnit.IsZero() && !caller.Can(account.ActionWriteDossier, req.EmployingUnit) {
		denied = append(denied, FieldProblem{Field: "/employing_unit", Rule: "scope", Detail: "you do not keep the dossiers of this unit"})
	}
	if len(denied) > 0 {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Errors: denied}
	}
	id := domain.DossierID(uuid.Must(uuid.NewV7()))
	if req.DossierID != nil {
		id = *req.DossierID
	}
	m := s.metaWith(c, req.envelopeFields)
	m.Actor.ActingOrg = req.ManagingOrg
	_, err := s.deps.Dossiers.Create(c.Request().Context(), dossier.CreateDossier{
		DossierID: id, Class: req.Class, ManagingOrg: req.ManagingOrg, EmployingUnit: req.EmployingUnit,
		PersonalIDNumber: req.PersonalIDNumber, Identity: req.Identity,
		ArrivedFromOutsideProvince: req.ArrivedFromOutsideProvince,
		LabourContract:             req.LabourContract,
	}, m)
	if err != nil {
		if taken := s.personalIDTaken(c, err, "/personal_id_number"); taken != nil {
			return s.archivedHolder(c, err, taken, req.ManagingOrg)
		}
		return commandError(err)
	}
	return s.respondWritten(c, id, http.StatusCreated)
}

// respondWritten answers a write with the dossier as it now stands (read
// back from the ledger), its ETag and Location.
func (s *Server) respondWritten(c echo.Context, id domain.DossierID, status int) error {
	d, err := s.deps.Dossiers.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	province := domain.OrgID{}
	if d.ManagementRevoked() {
		var h []domain.Recorded
		if h, d, err = s.loadHistory(c.Request().Context(), id); err != nil {
			return err
		}
		province = s.provinceOf(c.Request().Context(), lastManagingOrg(h))
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/dossiers/"+id.String())
	SetETag(c, d.Version())
	return c.JSON(status, viewOf(d, accessTo(CallerOf(c), d, province)))
}

// SummaryView is one row of a dossier list. Ethnicity, religion and party
// membership are present only for callers who may read sensitive fields.
// The job position comes before the rank (or title): Law 80/2025 makes it
// the primary classification.
type SummaryView struct {
	ID                 domain.DossierID `json:"id"`
	Version            uint64           `json:"version"`
	Status             dossier.Status   `json:"status"`
	Archived           bool             `json:"archived"`
	Class              dossier.Class    `json:"class"`
	ManagingOrg        *domain.OrgID    `json:"managing_org"`
	ManagementRevoked  bool             `json:"management_revoked"`
	EmployingUnit      domain.OrgID     `json:"employing_unit"`
	FullName           string           `json:"full_name"`
	BirthDate          domain.Date      `json:"birth_date,omitzero"`
	Sex                dossier.Gender   `json:"sex,omitempty"`
	JobPosition        string           `json:"job_position,omitempty"`
	Rank               string           `json:"rank,omitempty"`
	Title              string           `json:"title,omitempty"`
	Qualification      string           `json:"qualification,omitempty"`
	PoliticalTheory    string           `json:"political_theory,omitempty"`
	StateManagement    string           `json:"state_management,omitempty"`
	ITLevel            string           `json:"it_level,omitempty"`
	Languages          []string         `json:"languages,omitempty"`
	CivilServantNumber string           `json:"civil_servant_number,omitempty"`
	Ethnicity          *string          `json:"ethnicity,omitempty"`
	Religion           *string          `json:"religion,omitempty"`
	PartyMember        *bool            `json:"party_member,omitempty"`
	CreatedAt          time.Time        `json:"created_at"`
	UpdatedAt          time.Time        `json:"updated_at"`
	LastEffectiveDate  domain.Date      `json:"last_effective_date,omitzero"`
	// Archive listings only: the departure.
	LeftOn           *domain.Date `json:"left_on,omitempty"`
	DepartureEventID *uuid.UUID   `json:"departure_event_id,omitempty"`
}

func summaryOf(caller *Caller, sm dossiers.Summary) SummaryView {
	v := SummaryView{
		ID: sm.ID, Version: sm.Version, Status: sm.Status, Archived: sm.Archived, Class: sm.Class,
		ManagingOrg: sm.ManagingOrg, ManagementRevoked: sm.ManagementRevoked, EmployingUnit: sm.EmployingUnit,
		FullName: sm.FullName, BirthDate: sm.BirthDate, Sex: sm.Sex, Rank: sm.Rank, Title: sm.Title,
		JobPosition: sm.JobPosition, Qualification: sm.Qualification, PoliticalTheory: sm.PoliticalTheory,
		StateManagement: sm.StateManagement, ITLevel: sm.ITLevel, Languages: sm.Languages,
		CivilServantNumber: sm.CivilServantNumber, CreatedAt: sm.CreatedAt, UpdatedAt: sm.UpdatedAt,
		LastEffectiveDate: sm.LastEffectiveDate,
	}
	var managing domain.OrgID
	if sm.ManagingOrg != nil {
		managing = *sm.ManagingOrg
	}
	if caller.CanOnDossier(account.ActionReadSensitive, managing, sm.ID) ||
		!sm.ManagementRevoked && caller.Can(account.ActionReadSensitive, sm.EmployingUnit) {
		eth, rel, party := sm.Ethnicity, sm.Religion, sm.PartyMember
		v.Ethnicity, v.Religion, v.PartyMember = &eth, &rel, &party
	}
	return v
}

// summaryPersonnel reports whether the caller's access to a listed
// dossier is personnel work (personnelWork, decided on the summary): the
// person's own, an HR write through the managing org, or read_sensitive
// through the managing org or employing unit — or, for a dossier handed
// over out of the province, a read_sensitive grant over a whole province
// (provinceSensitive; the list shows such dossiers only to callers whose
// scope is a province).
func summaryPersonnel(caller *Caller, sm dossiers.Summary, provinceSensitive func() bool) bool {
	if slices.Contains(caller.OwnDossiers(), sm.ID) {
		return true
	}
	var managing domain.OrgID
	if sm.ManagingOrg != nil {
		managing = *sm.ManagingOrg
	}
	switch {
	case !managing.IsZero() && caller.Can(account.ActionWriteDossier, managing):
		return true
	case caller.CanOnDossier(account.ActionReadSensitive, managing, sm.ID):
		return true
	case !sm.ManagementRevoked && caller.Can(account.ActionReadSensitive, sm.EmployingUnit):
		return true
	}
	return sm.ManagementRevoked && provinceSensitive()
}

// provinceSensitive is summaryPersonnel's question, asked once per request
// and only when a handed-over dossier is listed.
func (s *Server) provinceSensitive(c echo.Context) func() bool {
	var once sync.Once
	var yes bool
	return func() bool {
		once.Do(func() { yes, _ = s.provinceWide(c, account.ActionReadSensitive) })
		return yes
	}
}

// ListView is a page of a list.
type ListView[T any] struct {
	Items []T `json:"items"`
	// NextCursor continues the list (cursor=…); absent on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// scope is the org ids (subtrees expanded) in which the caller may do
// action; with org set, that org's subtree, which must lie in scope (else
// 403 naming query:org).
func (s *Server) scope(c echo.Context, action account.Action, org []domain.OrgID) ([]domain.OrgID, error) {
	caller := CallerOf(c)
	roots := caller.Roots(action)
	if len(org) > 0 {
		for _, o := range org {
			if !caller.Can(action, o) {
				return nil, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
					Errors: []FieldProblem{{Field: "query:org", Rule: "scope", Detail: o.String() + " is outside your scope"}}}
			}
		}
		roots = org
	}
	if len(roots) == 0 {
		return nil, nil
	}
	return s.deps.Views.OrgSubtree(c.Request().Context(), roots)
}

// sensitiveFilters are the list filters that reveal sensitive fields: a
// caller who may not read those fields may not filter on them either
// (listScope), and the read log does not show their values (redactQuery).
// sensitiveQuery must test the same filters.
var sensitiveFilters = []string{"ethnicity", "religion", "party_member", "personal_id_number"}

// sensitiveQuery reports whether q filters on a sensitive field
// (sensitiveFilters).
func sensitiveQuery(q *dossiers.Query) bool {
	return len(q.Ethnicities) > 0 || len(q.Religions) > 0 || q.PartyMember != nil || q.PersonalIDNumber != ""
}

// listQuery parses the filters GET /dossiers and GET /archive share.
func listQuery(c echo.Context) (dossiers.Query, error) {
	var (
		q   dossiers.Query
		err error
	)
	if q.Text, err = queryOne(c, "q"); err != nil {
		return q, err
	}
	var te *dossiers.TextError
	if errors.As(dossiers.CheckText(q.Text), &te) {
		return q, BadParameter("query:q", te.Rule, te.Detail)
	}
	if q.Statuses, err = parseEnums(c, "status", dossier.ParseStatus); err != nil {
		return q, err
	}
	if q.Classes, err = parseEnums(c, "class", dossier.ParseClass); err != nil {
		return q, err
	}
	if q.Sexes, err = parseEnums(c, "sex", func(s string) (dossier.Gender, error) {
		if g := dossier.Gender(s); g == dossier.GenderMale || g == dossier.GenderFemale {
			return g, nil
		}
		return "", domain.ErrInvalid
	}); err != nil {
		return q, err
	}
	if q.ManagingOrgs, err = queryOrgs(c, "managing_org"); err != nil {
		return q, err
	}
	if q.EmployingUnits, err = queryOrgs(c, "employing_unit"); err != nil {
		return q, err
	}
	if q.BornFrom, err = queryDate(c, "born_from"); err != nil {
		return q, err
	}
	if q.BornTo, err = queryDate(c, "born_to"); err != nil {
		return q, err
	}
	q.Ethnicities, q.Religions = queryValues(c, "ethnicity"), queryValues(c, "religion")
	q.Ranks, q.Titles, q.JobPositions = queryValues(c, "rank"), queryValues(c, "title"), queryValues(c, "job_position")
	q.Qualifications, q.PoliticalTheories = queryValues(c, "qualification"), queryValues(c, "political_theory")
	q.StateManagements, q.ITLevels = queryValues(c, "state_management"), queryValues(c, "it_level")
	q.Languages, q.LanguageLevels = queryValues(c, "language"), queryValues(c, "language_level")
	if q.PartyMember, err = queryBool(c, "party_member"); err != nil {
		return q, err
	}
	if q.CivilServantNo, err = queryOne(c, "civil_servant_number"); err != nil {
		return q, err
	}
	if q.PersonalIDNumber, err = queryOne(c, "personal_id_number"); err != nil {
		return q, err
	}
	if q.UpdatedFrom, err = queryInstant(c, "updated_from"); err != nil {
		return q, err
	}
	if q.UpdatedTo, err = queryInstant(c, "updated_to"); err != nil {
		return q, err
	}
	for _, id := range queryValues(c, "id") {
		d, err := domain.ParseDossierID(id)
		if err != nil {
			return q, BadParameter("query:id", "format", "not a UUID")
		}
		q.IDs = append(q.IDs, d)
	}
	if q.Limit, err = queryLimit(c, dossiers.MaxLimit); err != nil {
		return q, err
	}
	if q.Cursor, err = queryOne(c, "cursor"); err != nil {
		return q, err
	}
	return q, nil
}

// scopeAction is the right a dossier list's scope is drawn from:
// read_sensitive when it filters on a sensitive field.
func scopeAction(q *dossiers.Query) account.Action {
	if sensitiveQuery(q) {
		return account.ActionReadSensitive
	}
	return account.ActionReadDossier
}

// listScope is the scope of a dossier list: the subtrees where the caller
// reads dossiers (narrowed by org=), or, filtering on sensitive fields,
// where they read those too. A caller with no org grant but a self grant
// lists their own dossier.
func (s *Server) listScope(c echo.Context, q *dossiers.Query) error {
	org, err := queryOrgs(c, "org")
	if err != nil {
		return err
	}
	// Decided on the parsed query, which the search uses: the raw
	// parameters once let "ethnicity=&ethnicity=09" through as no filter.
	if q.Scope, err = s.scope(c, scopeAction(q), org); err != nil {
		return err
	}
	own := CallerOf(c).OwnDossiers()
	if len(q.Scope) == 0 && len(org) == 0 && len(own) > 0 {
		// The person's own dossier, wherever it is managed.
		for _, id := range own {
			d, err := s.deps.Views.Dossier(c.Request().Context(), id)
			if err != nil {
				continue
			}
			if d.ManagingOrg != nil {
				q.Scope = append(q.Scope, *d.ManagingOrg)
			}
		}
		if len(q.IDs) == 0 {
			q.IDs = own
		} else {
			q.IDs = slices.DeleteFunc(q.IDs, func(id domain.DossierID) bool { return !slices.Contains(own, id) })
			if len(q.IDs) == 0 {
				q.Scope = nil
			}
		}
	}
	return nil
}

// jobPositionGroup expands job_position_group= (a group of the position
// catalogue: lanh_dao_quan_ly, chuyen_mon_nghiep_vu, chuyen_mon_dung_chung,
// ho_tro_phuc_vu) into the codes of its positions, a retired code taking
// its successor's group as in the reports. Law 80/2025 makes the job
// position the primary classification; the group is its coarse level.
func (s *Server) jobPositionGroup(c echo.Context) ([]string, error) {
	group, err := queryOne(c, "job_position_group")
	if err != nil || group == "" {
		return nil, err
	}
	cat := s.deps.Catalog
	if cat == nil {
		cat = catalog.Default()
	}
	var codes, groups []string
	for _, e := range cat.Entries(catalog.KindPosition) {
		g := e.Group
		if g == "" {
			if r, ok := cat.Resolve(catalog.KindPosition, e.Code); ok {
				g = r.Group
			}
		}
		if g == group {
			codes = append(codes, e.Code)
		}
		if g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	if len(codes) == 0 {
		return nil, BadParameter("query:job_position_group", "enum", "one of "+strings.Join(groups, ", "))
	}
	return codes, nil
}

// listDossiers is GET /dossiers: search and filters, always within the
// caller's scope. Every dossier listed is logged in the read log.
func (s *Server) listDossiers(c echo.Context) error {
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	// Parsed before anything is read, as on one dossier's routes.
	stated, err := statePurpose(c)
	if err != nil {
		return err
	}
	if q.JobPositionGroup, err = s.jobPositionGroup(c); err != nil {
		return err
	}
	switch v, err := queryOne(c, "archive"); {
	case err != nil:
		return err
	case v == "" || v == "active":
		q.Archive = dossiers.ActiveOnly
	case v == "archived":
		q.Archive, q.IncludeRevoked = dossiers.ArchivedOnly, true
	case v == "all":
		q.Archive, q.IncludeRevoked = dossiers.ActiveAndArchived, true
	default:
		return BadParameter("query:archive", "enum", "active, archived or all")
	}
	switch v, err := queryOne(c, "sort"); {
	case err != nil:
		return err
	case v == "" || v == "name":
		q.Sort = dossiers.SortName
	case v == "updated_at":
		q.Sort = dossiers.SortUpdatedAt
	default:
		return BadParameter("query:sort", "enum", "name or updated_at")
	}
	if err := s.listScope(c, &q); err != nil {
		return err
	}
	if q.IncludeRevoked {
		// TG 10.4: the org that handed a dossier over out of the province
		// finds it no more; the province's archive keeps it (TG 10.5).
		if q.IncludeRevoked, err = s.provinceWide(c, scopeAction(&q)); err != nil {
			return err
		}
	}
	page, err := s.deps.Views.SearchDossiers(c.Request().Context(), q)
	if err != nil {
		return listError(err)
	}
	caller := CallerOf(c)
	out := ListView[SummaryView]{Items: make([]SummaryView, 0, len(page.Items)), NextCursor: page.Next}
	ids := make([]domain.DossierID, 0, len(page.Items))
	gate := make([]listed, 0, len(page.Items))
	provinceSensitive := s.provinceSensitive(c)
	for _, sm := range page.Items {
		out.Items = append(out.Items, summaryOf(caller, sm))
		ids = append(ids, sm.ID)
		gate = append(gate, listed{id: sm.ID, personnel: summaryPersonnel(caller, sm, provinceSensitive)})
	}
	consents, err := s.gateList(c, stated, gate)
	if err != nil {
		return err
	}
	if err := s.logListed(c, ids, consents); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// listError maps a read model's refusal of a query (a bad cursor, mostly)
// to a 400 naming the cursor.
func listError(err error) error {
	if errors.Is(err, domain.ErrInvalid) {
		return BadParameter("query:cursor", "invalid", err.Error())
	}
	return err
}

// logListed records one read-log row per dossier of a list page, in one
// commit, each citing the consent its read relied on (consents, from
// gateList; nil when none did).
func (s *Server) logListed(c echo.Context, ids []domain.DossierID, consents map[domain.DossierID]uuid.UUID) error {
	return s.logList(c, ids, ReadAllowed, consents)
}

// logList records the outcome of a list's read of each of ids, in one
// commit.
func (s *Server) logList(c echo.Context, ids []domain.DossierID, outcome string, consents map[domain.DossierID]uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	caller := CallerOf(c)
	entries := make([]readlog.Entry, len(ids))
	for i, id := range ids {
		entries[i] = s.readEntry(c, uuid.UUID(caller.ID()), caller.Account.Username(), id, outcome)
		if ev, ok := consents[id]; ok {
			entries[i].Consent = ev
		}
	}
	return s.reads.Write(c.Request().Context(), entries...)
}
