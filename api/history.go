package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/internal/cursor"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections/audit"
)

// EntryView is one audit-trail entry: who (actor), when (both clocks),
// which document, why, and what changed field by field. Changes to
// sensitive fields, and payloads that carry personal data, are shown only
// to callers who may read the dossier's sensitive fields.
type EntryView struct {
	EventID        uuid.UUID              `json:"event_id"`
	StreamID       string                 `json:"stream_id"`
	Version        uint64                 `json:"version"`
	Position       string                 `json:"position"`
	Type           string                 `json:"type"`
	Actor          domain.Actor           `json:"actor"`
	RecordedAt     time.Time              `json:"recorded_at"`
	EffectiveDate  domain.Date            `json:"effective_date,omitzero"`
	SourceDocument *domain.SourceDocument `json:"source_document,omitempty"`
	Reason         string                 `json:"reason,omitempty"`
	RequestID      string                 `json:"request_id,omitempty"`
	CorrelationID  string                 `json:"correlation_id,omitempty"`
	// Imported and ImportedFrom mark imported history (go-live) and its
	// source: recorded at RecordedAt, effective long before.
	Imported     bool              `json:"imported,omitempty"`
	ImportedFrom string            `json:"imported_from,omitempty"`
	DossierID    *domain.DossierID `json:"dossier_id,omitempty"`
	ManagingOrg  *domain.OrgID     `json:"managing_org,omitempty"`
	IsCorrection bool              `json:"is_correction,omitempty"`
	Corrects     *uuid.UUID        `json:"corrects,omitempty"`
	// CorrectsApproved: the corrected event was covered by a monthly
	// approval signed before this correction was recorded, so the
	// correction changes data an approver signed off; CorrectedApproval
	// is that approval, Corrected the event corrected.
	CorrectsApproved  bool           `json:"corrects_approved,omitempty"`
	Corrected         *CorrectedView `json:"corrected,omitempty"`
	CorrectedApproval *ApprovalRef   `json:"corrected_approval,omitempty"`
	Changes           []audit.Change `json:"changes"`
	// ChangesRedacted counts the changed fields left out as sensitive.
	ChangesRedacted int             `json:"changes_redacted,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	DataRedacted    bool            `json:"data_redacted,omitempty"`
	Hash            string          `json:"hash"`
}

// CorrectedView is the event a correction corrects, as the trail shows it:
// who recorded it, when, on which document, in which org.
type CorrectedView struct {
	EventID        uuid.UUID              `json:"event_id"`
	Type           string                 `json:"type"`
	Version        uint64                 `json:"version"`
	Actor          domain.Actor           `json:"actor"`
	RecordedAt     time.Time              `json:"recorded_at"`
	EffectiveDate  domain.Date            `json:"effective_date,omitzero"`
	SourceDocument *domain.SourceDocument `json:"source_document,omitempty"`
	ManagingOrg    *domain.OrgID          `json:"managing_org,omitempty"`
}

func correctedView(c audit.Corrected) *CorrectedView {
	return &CorrectedView{EventID: c.EventID, Type: c.Type, Version: c.Version, Actor: domain.Actor{Account: c.ActorAccount, Name: c.ActorName},
		RecordedAt: c.RecordedAt, EffectiveDate: c.EffectiveDate, SourceDocument: sourceOrNil(c.Source), ManagingOrg: orgOrNil(c.ManagingOrg)}
}

// sourceOrNil and orgOrNil are a view's optional fields: nil when zero.
func sourceOrNil(s domain.SourceDocument) *domain.SourceDocument {
	if s.IsZero() {
		return nil
	}
	return &s
}

func orgOrNil(o domain.OrgID) *domain.OrgID {
	if o.IsZero() {
		return nil
	}
	return &o
}

// ApprovalRef is the signed monthly approval that covered a corrected
// event: who signed it off, when, and what (the manifest's digest).
type ApprovalRef struct {
	Org               domain.OrgID     `json:"org_id"`
	Month             string           `json:"month"`
	Level             string           `json:"level"`
	StreamID          string           `json:"stream_id"`
	SignedEventID     uuid.UUID        `json:"signed_event_id"`
	SignedAt          time.Time        `json:"signed_at"`
	SignerAccount     domain.AccountID `json:"signer_account_id"`
	SignerSubject     string           `json:"signer_subject"`
	SigningTime       time.Time        `json:"signing_time"`
	ManifestSHA256    string           `json:"manifest_sha256"`
	SignerFingerprint string           `json:"signer_fingerprint_sha256"`
	URL               string           `json:"url"`
}

// flagCorrection sets, on the view v of correction e, the approval that
// covered the event it corrects (target), when one was signed before e
// was recorded; nothing for an event of no managed dossier.
func (s *Server) flagCorrection(ctx context.Context, v *EntryView, e audit.Entry, target audit.Corrected) error {
	v.Corrected = correctedView(target)
	if target.ManagingOrg.IsZero() {
		return nil
	}
	var mf approvals.Manifests
	if s.deps.Approvals != nil {
		mf = s.deps.Approvals.Manifests()
	}
	cov, ok, err := approvals.CoveringApproval(ctx, ledger.Ledger{Store: s.deps.Store}, mf, target.ManagingOrg, target.EventID, target.RecordedAt, e.RecordedAt)
	if err != nil || !ok {
		return err
	}
	v.CorrectsApproved = true
	v.CorrectedApproval = &ApprovalRef{Org: cov.Org, Month: cov.Month.String(), Level: string(cov.Level), StreamID: cov.StreamID,
		SignedEventID: cov.SignedEvent, SignedAt: cov.SignedAt, SignerAccount: cov.SignerAccount, SignerSubject: cov.SignerSubject,
		SigningTime: cov.SigningTime, ManifestSHA256: cov.ManifestDigest, SignerFingerprint: cov.SignerFingerprint,
		URL: "/api/v1/approvals/" + cov.Org.String() + "/" + cov.Month.String()}
	return nil
}

func entryView(e audit.Entry, sensitive bool) EntryView {
	v := EntryView{
		EventID: e.EventID, StreamID: e.StreamID, Version: e.Version, Position: e.Position.String(), Type: e.Type,
		Actor:      domain.Actor{Account: e.ActorAccount, Name: e.ActorName, ActingOrg: e.ActingOrg, OnBehalfOf: e.OnBehalfOf},
		RecordedAt: e.RecordedAt, EffectiveDate: e.EffectiveDate, Reason: e.Reason,
		RequestID: e.RequestID, CorrelationID: e.CorrelationID, IsCorrection: e.IsCorrection,
		Imported: e.ImportedFrom != "", ImportedFrom: e.ImportedFrom,
		Changes: []audit.Change{}, Hash: e.Hash.String(), SourceDocument: sourceOrNil(e.Source), ManagingOrg: orgOrNil(e.ManagingOrg),
	}
	if !e.Dossier.IsZero() {
		id := e.Dossier
		v.DossierID = &id
	}
	if e.IsCorrection {
		c := e.Corrects
		v.Corrects = &c
	}
	for _, ch := range e.Diff {
		if !sensitive && isSensitivePath(ch.Path) {
			v.ChangesRedacted++
			continue
		}
		v.Changes = append(v.Changes, ch)
	}
	v.Data = redactData(e.Type, e.Data, sensitive)
	v.DataRedacted = v.Data == nil && len(e.Data) > 0
	return v
}

// dossierHistory is GET /dossiers/{id}/history: the dossier's whole trail
// in version order (from the audit read model, which may lag a write by
// moments). Logged as a read.
func (s *Server) dossierHistory(c echo.Context) error {
	o, err := s.openDossier(c, forRead, false)
	if err != nil {
		return err
	}
	entries, err := s.deps.Views.AuditByDossier(c.Request().Context(), o.d.ID())
	if err != nil {
		return err
	}
	out := ListView[EntryView]{Items: make([]EntryView, 0, len(entries))}
	byID := make(map[uuid.UUID]audit.Entry, len(entries))
	for _, e := range entries {
		byID[e.EventID] = e
	}
	for _, e := range entries {
		v := entryView(e, o.access.sensitive)
		if t, ok := byID[e.Corrects]; e.IsCorrection && ok {
			if err := s.flagCorrection(c.Request().Context(), &v, e, t.AsCorrected()); err != nil {
				return err
			}
		}
		out.Items = append(out.Items, v)
	}
	SetETag(c, o.d.Version())
	return c.JSON(http.StatusOK, out)
}

// auditTrail is GET /audit (read_audit): entries by actor, org subtree
// (org=, default every subtree the caller audits), period (from/to
// instants on the recorded axis, effective_from/effective_to dates),
// event type (type=, repeatable), dossier, corrections (correction=true)
// and corrections of signed data (corrects_approved=true); cursor paging.
// A correction carries the event it corrects and, when a monthly approval
// signed before the correction covered that event, the approval.
func (s *Server) auditTrail(c echo.Context) error {
	var (
		f   audit.Filter
		err error
	)
	// Parsed before anything is read: bad input changes nothing.
	stated, err := statePurpose(c)
	if err != nil {
		return err
	}
	org, err := queryOrgs(c, "org")
	if err != nil {
		return err
	}
	if f.Orgs, err = s.scope(c, account.ActionReadAudit, org); err != nil {
		return err
	}
	if f.Orgs == nil {
		f.Orgs = []domain.OrgID{} // nothing in scope selects nothing
	}
	if v, err := queryOne(c, "actor"); err != nil {
		return err
	} else if v != "" {
		a, err := domain.ParseAccountID(v)
		if err != nil {
			return BadParameter("query:actor", "format", "not a UUID")
		}
		f.Actor = &a
	}
	if v, err := queryOne(c, "dossier"); err != nil {
		return err
	} else if v != "" {
		d, err := domain.ParseDossierID(v)
		if err != nil {
			return BadParameter("query:dossier", "format", "not a UUID")
		}
		f.Dossier = &d
	}
	if f.From, err = queryInstant(c, "from"); err != nil {
		return err
	}
	if f.To, err = queryInstant(c, "to"); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return BadParameter("query:to", "range", "after from")
	}
	if f.EffectiveFrom, err = queryDate(c, "effective_from"); err != nil {
		return err
	}
	if f.EffectiveTo, err = queryDate(c, "effective_to"); err != nil {
		return err
	}
	if !f.EffectiveFrom.IsZero() && !f.EffectiveTo.IsZero() && f.EffectiveTo.Before(f.EffectiveFrom) {
		return BadParameter("query:effective_to", "range", "on or after effective_from")
	}
	if types := queryValues(c, "type"); len(types) > 0 {
		f.Types = types
	}
	if f.Correction, err = queryBool(c, "correction"); err != nil {
		return err
	}
	approved, err := queryBool(c, "corrects_approved")
	if err != nil {
		return err
	}
	if approved != nil && *approved {
		if f.Correction != nil && !*f.Correction {
			return BadParameter("query:corrects_approved", "conflict", "a correction of approved data is a correction: drop correction=false")
		}
		f.Correction = approved
	}
	if f.Limit, err = queryLimit(c, audit.MaxLimit); err != nil {
		return err
	}
	if f.Cursor, err = queryOne(c, "cursor"); err != nil {
		return err
	}
	page, err := s.deps.Views.AuditQuery(c.Request().Context(), f)
	if err != nil {
		return listError(err)
	}
	caller := CallerOf(c)
	out := ListView[EntryView]{Items: make([]EntryView, 0, len(page.Entries)), NextCursor: page.Next}
	// A dossier's entries carry its data (Decree 27/2026): the page is a
	// read of each dossier on it, gated and logged as a list page is.
	var ids []domain.DossierID
	var gate []listed
	for _, e := range page.Entries {
		if e.Dossier.IsZero() || slices.Contains(ids, e.Dossier) {
			continue
		}
		ids = append(ids, e.Dossier)
		gate = append(gate, listed{id: e.Dossier, personnel: entryPersonnel(caller, e)})
	}
	consents, err := s.gateList(c, stated, gate)
	if err != nil {
		return err
	}
	if err := s.logListed(c, ids, consents); err != nil {
		return err
	}
	for _, e := range page.Entries {
		sensitive := !e.Dossier.IsZero() && caller.CanOnDossier(account.ActionReadSensitive, e.ManagingOrg, e.Dossier)
		v := entryView(e, sensitive)
		if e.IsCorrection && e.Corrected != nil {
			// Who changed what on which document, and who had signed
			// off what it changes.
			if err := s.flagCorrection(c.Request().Context(), &v, e, *e.Corrected); err != nil {
				return err
			}
		}
		if approved != nil && v.CorrectsApproved != *approved {
			continue // the page may hold fewer than limit: follow next_cursor
		}
		out.Items = append(out.Items, v)
	}
	return s.reply(c, out, s.auditSheet(out, reportOrgs(c, account.ActionReadAudit), caller.Today))
}

// entryPersonnel is summaryPersonnel decided on an audit entry: the
// person's own, an HR write or read_sensitive through the org that managed
// the dossier when the event was recorded. The page does not load the
// dossiers' current summaries, so the employing unit and a handover out of
// the province do not count here, and such a reader states a purpose.
func entryPersonnel(caller *Caller, e audit.Entry) bool {
	return slices.Contains(caller.OwnDossiers(), e.Dossier) ||
		caller.Can(account.ActionWriteDossier, e.ManagingOrg) ||
		caller.CanOnDossier(account.ActionReadSensitive, e.ManagingOrg, e.Dossier)
}

// ReadView is one row of the read log.
type ReadView struct {
	ID        int64            `json:"id"`
	ReadAt    time.Time        `json:"read_at"`
	AccountID domain.AccountID `json:"account_id"`
	Username  string           `json:"username"`
	DossierID domain.DossierID `json:"dossier_id"`
	Method    string           `json:"method"`
	Route     string           `json:"route"`
	Query     string           `json:"query,omitempty"`
	Purpose   string           `json:"purpose,omitempty"`
	// PurposeCode and PurposeReference are the purpose stated under
	// Decree 27/2026 (Hoso-Purpose); ConsentEventID, the event that
	// recorded the person's consent the read relied on.
	PurposeCode      string     `json:"purpose_code,omitempty"`
	PurposeReference string     `json:"purpose_reference,omitempty"`
	ConsentEventID   *uuid.UUID `json:"consent_event_id,omitempty"`
	Outcome          string     `json:"outcome"`
	RequestID        string     `json:"request_id,omitempty"`
	RemoteAddr       string     `json:"remote_addr,omitempty"`
}

// readLog is GET /audit/reads (read_audit): who read which dossier, when,
// through which route and why (X-Purpose), and every refusal. Filters:
// account, dossier, outcome (allowed, refused, not_found), from/to
// instants; newest first, cursor paging. Reads of dossiers in the caller's
// audit scope (through their managing org, employing unit or the org that
// lost them) are listed; reads of ids that match no dossier only to callers
// who audit a whole tree from its root.
func (s *Server) readLog(c echo.Context) error {
	org, err := queryOrgs(c, "org")
	if err != nil {
		return err
	}
	scope, err := s.scope(c, account.ActionReadAudit, org)
	if err != nil {
		return err
	}
	if len(scope) == 0 {
		return c.JSON(http.StatusOK, ListView[ReadView]{Items: []ReadView{}})
	}
	ctx := c.Request().Context()
	f := ReadFilter{Scope: scope}
	if len(org) == 0 {
		if f.Unmatched, err = s.deps.Views.AnyRoot(ctx, CallerOf(c).Roots(account.ActionReadAudit)); err != nil {
			return err
		}
	}
	if v, err := queryOne(c, "account"); err != nil {
		return err
	} else if v != "" {
		a, err := domain.ParseAccountID(v)
		if err != nil {
			return BadParameter("query:account", "format", "not a UUID")
		}
		f.Account = &a
	}
	if v, err := queryOne(c, "dossier"); err != nil {
		return err
	} else if v != "" {
		d, err := domain.ParseDossierID(v)
		if err != nil {
			return BadParameter("query:dossier", "format", "not a UUID")
		}
		f.Dossier = &d
	}
	if outcomes := queryValues(c, "outcome"); len(outcomes) > 0 {
		for _, o := range outcomes {
			if o != ReadAllowed && o != ReadRefused && o != ReadNotFound {
				return BadParameter("query:outcome", "enum", "allowed, refused or not_found")
			}
		}
		f.Outcomes = outcomes
	}
	for _, p := range queryValues(c, "purpose") {
		if _, err := policy.ParsePurpose(p); err != nil {
			return BadParameter("query:purpose", "enum", "one of "+purposeNames())
		}
		f.Purposes = append(f.Purposes, p)
	}
	if f.WithConsent, err = queryBool(c, "consent"); err != nil {
		return err
	}
	if f.From, err = queryInstant(c, "from"); err != nil {
		return err
	}
	if f.To, err = queryInstant(c, "to"); err != nil {
		return err
	}
	limit, err := queryLimit(c, 1000)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 100
	}
	if cur, err := queryOne(c, "cursor"); err != nil {
		return err
	} else if cur != "" {
		var k readsKey
		if err := cursor.Decode(cur, readsList, &k); err != nil || k.ID < 1 {
			return BadParameter("query:cursor", "invalid", "not a cursor this API returned")
		}
		f.Before = k.ID
	}
	// One more than the page tells whether another follows.
	f.Limit = limit + 1
	items, err := s.deps.Views.Reads(ctx, f)
	if err != nil {
		return err
	}
	out := ListView[ReadView]{Items: make([]ReadView, 0, len(items))}
	for _, v := range items {
		// Rows logged before redaction hold protected values in clear.
		v.Query = redactQuery(v.Query)
		out.Items = append(out.Items, v)
	}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.NextCursor = cursor.Encode(readsList, readsKey{ID: out.Items[limit-1].ID})
	}
	return s.reply(c, out, s.readLogSheet(out, reportOrgs(c, account.ActionReadAudit), CallerOf(c).Today))
}

// readsList names the read log's cursors (see internal/cursor); the key is
// the last read's id, the list being newest first.
const readsList = "reads"

type readsKey struct {
	ID int64 `json:"i"`
}
