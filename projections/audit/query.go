package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/cursor"
)

// Querier is what the query functions read through: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx whose search_path holds the views.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Entry is one event of the log as the audit trail shows it.
type Entry struct {
	EventID  uuid.UUID
	StreamID string
	Version  uint64
	Position eventstore.Position
	Type     string

	// Actor: the account (zero when the envelope named none), its display
	// name at the time, the org it acted for and the account it acted on
	// behalf of.
	ActorAccount domain.AccountID
	ActorName    string
	ActingOrg    domain.OrgID
	OnBehalfOf   domain.AccountID

	RecordedAt    time.Time   // when the ledger learned it (UTC)
	EffectiveDate domain.Date // when it holds in law
	// Source is the legal document behind the event; zero when none.
	Source domain.SourceDocument
	Reason string

	RequestID, CorrelationID, CausationID string

	// ImportedFrom is the source of imported history (an earlier system's
	// export, the paper dossier); empty for a fact recorded live.
	ImportedFrom string

	// Dossier is set for dossier events. ManagingOrg is the org that managed
	// the dossier when the event was recorded (for a creation: the org it was
	// created in; zero once management was revoked); ManagingOrgAfter is set
	// when the event moved management to another org.
	Dossier          domain.DossierID
	ManagingOrg      domain.OrgID
	ManagingOrgAfter domain.OrgID

	// IsCorrection marks a correction (hiệu chỉnh); Corrects is the event it
	// corrects. Corrected (Query only) is that event as the trail shows it:
	// who recorded it, when, on which document, in which org — what a
	// correction of signed data is checked against; nil when the trail
	// does not hold it.
	IsCorrection bool
	Corrects     uuid.UUID
	Corrected    *Corrected

	// Diff is the field-level change the event made to the dossier's
	// document, sorted by path; nil for events of other streams, empty when a
	// dossier event changed no field (a transfer initiated, a proposal
	// submitted: their content is in Data).
	Diff []Change
	// Data is the payload as recorded.
	Data json.RawMessage
	// Hash is the event's hash in the ledger's chain, to check the entry
	// against the ledger.
	Hash eventstore.Hash
}

// Corrected is the event a correction corrects, as the trail shows it.
type Corrected struct {
	EventID       uuid.UUID
	Type          string
	Version       uint64
	ActorAccount  domain.AccountID
	ActorName     string
	RecordedAt    time.Time
	EffectiveDate domain.Date
	Source        domain.SourceDocument
	// ManagingOrg managed the dossier when the corrected event was
	// recorded: the org whose monthly approval covered it.
	ManagingOrg domain.OrgID
}

// AsCorrected is e as a correction of it shows it.
func (e Entry) AsCorrected() Corrected {
	return Corrected{EventID: e.EventID, Type: e.Type, Version: e.Version, ActorAccount: e.ActorAccount, ActorName: e.ActorName,
		RecordedAt: e.RecordedAt, EffectiveDate: e.EffectiveDate, Source: e.Source, ManagingOrg: e.ManagingOrg}
}

// Change is one changed field of a dossier's document: a JSON pointer into
// the document and the JSON values before and after (null when absent).
type Change struct {
	Path   string          `json:"path"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// Filter selects entries. Zero fields (nil slices included) do not filter;
// set fields combine with AND. A non-nil empty Orgs or Types matches
// nothing: an org subtree that expanded to no org selects no entry.
type Filter struct {
	// Actor keeps entries recorded by this account.
	Actor *domain.AccountID
	// Orgs keeps entries concerning one of these orgs: events of a dossier
	// the org managed when the event was recorded or came to manage through
	// it, events of the org's own stream, and other events whose actor acted
	// for it. The caller expands an org subtree (orgs.Subtree) first.
	Orgs []domain.OrgID
	// From and To bound recorded_at: From ≤ recorded_at < To.
	From, To time.Time
	// EffectiveFrom and EffectiveTo bound the effective date, both inclusive.
	EffectiveFrom, EffectiveTo domain.Date
	// Types keeps entries of these event types ("dossier.corrected.v1").
	Types []string
	// Dossier keeps the events of one dossier.
	Dossier *domain.DossierID
	// Correction keeps the corrections (hiệu chỉnh) when true, the other
	// entries when false.
	Correction *bool
	// Cursor continues after the page that returned it as Next.
	Cursor string
	// Limit caps the page: zero means DefaultLimit, more than MaxLimit means
	// MaxLimit.
	Limit int
}

// Page limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page is one page of entries in global log order. Next is the cursor of
// the following page, empty on the last page.
type Page struct {
	Entries []Entry
	Next    string
}

// entriesList names the audit trail's cursors (see internal/cursor); the
// key is the last entry's position in the log.
const entriesList = "audit.entries"

type entriesKey struct {
	Position string `json:"p"`
}

const entrySelect = `SELECT event_id, stream_id, version, position, type,
       actor_account, actor_name, acting_org, on_behalf_of, recorded_at, effective_date,
       source_kind, source_number, source_date, source_issuer, source_sha256,
       reason, request_id, correlation_id, causation_id, imported_from,
       dossier_id, managing_org, managing_org_after, is_correction, corrects, diff, data, hash
  FROM ` + EntriesView

// Query returns the page of entries that f selects, in global log order:
// paging with Next from the first page to the last returns every matching
// entry exactly once, even while new events are being appended (they come
// after every cursor). It returns an error wrapping domain.ErrInvalid for a
// malformed cursor, a negative limit or inverted bounds.
func Query(ctx context.Context, db Querier, f Filter) (Page, error) {
	return QueryWith(ctx, db, seal.Privacy{}, f)
}

// QueryWith is Query on a trail built WithPrivacy(pv): the diffs and
// payloads of dossier entries are opened.
func QueryWith(ctx context.Context, db Querier, pv seal.Privacy, f Filter) (Page, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch {
	case f.Limit < 0:
		return Page{}, domain.Invalid("limit", "range", "not negative")
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit > MaxLimit:
		f.Limit = MaxLimit
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Page{}, domain.Invalid("to", "range", "after from")
	}
	if !f.EffectiveFrom.IsZero() && !f.EffectiveTo.IsZero() && f.EffectiveTo.Before(f.EffectiveFrom) {
		return Page{}, domain.Invalid("effective_to", "range", "on or after effective_from")
	}
	if f.Cursor != "" {
		var k entriesKey
		err := cursor.Decode(f.Cursor, entriesList, &k)
		pos, perr := eventstore.ParsePosition(k.Position)
		if err != nil || perr != nil {
			return Page{}, domain.Invalid("cursor", "format", "not a cursor this API returned")
		}
		where = append(where, "position > "+arg(pos.String()))
	}
	if f.Actor != nil {
		where = append(where, "actor_account = "+arg(uuid.UUID(*f.Actor)))
	}
	if f.Orgs != nil {
		ids := make([]uuid.UUID, len(f.Orgs))
		for i, o := range f.Orgs {
			ids[i] = uuid.UUID(o)
		}
		where = append(where, "orgs && "+arg(ids)+"::uuid[]")
	}
	if !f.From.IsZero() {
		where = append(where, "recorded_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "recorded_at < "+arg(f.To))
	}
	if !f.EffectiveFrom.IsZero() {
		where = append(where, "effective_date >= "+arg(f.EffectiveFrom.String())+"::date")
	}
	if !f.EffectiveTo.IsZero() {
		where = append(where, "effective_date <= "+arg(f.EffectiveTo.String())+"::date")
	}
	if f.Types != nil {
		where = append(where, "type = ANY("+arg(f.Types)+"::text[])")
	}
	if f.Dossier != nil {
		where = append(where, "dossier_id = "+arg(uuid.UUID(*f.Dossier)))
	}
	if f.Correction != nil {
		where = append(where, "is_correction = "+arg(*f.Correction))
	}
	sql := entrySelect
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY position LIMIT " + arg(f.Limit+1)
	entries, err := queryEntries(ctx, db, pv, sql, args...)
	if err != nil {
		return Page{}, err
	}
	if err := fillCorrected(ctx, db, entries); err != nil {
		return Page{}, err
	}
	var p Page
	if len(entries) > f.Limit {
		entries = entries[:f.Limit]
		p.Next = cursor.Encode(entriesList, entriesKey{Position: entries[len(entries)-1].Position.String()})
	}
	p.Entries = entries
	return p, nil
}

// fillCorrected sets Corrected on the corrections among entries, in one
// query by event id (corrections are rare: most pages need none). It
// reads only the columns that hold no personal data, so nothing is opened.
func fillCorrected(ctx context.Context, db Querier, entries []Entry) error {
	var ids []uuid.UUID
	for _, e := range entries {
		if e.IsCorrection && e.Corrects != uuid.Nil {
			ids = append(ids, e.Corrects)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := db.Query(ctx, `SELECT event_id, type, version, actor_account, actor_name, recorded_at, effective_date,
       source_kind, source_number, source_date, source_issuer, source_sha256, managing_org
  FROM `+EntriesView+` WHERE event_id = ANY($1::uuid[])`, ids)
	if err != nil {
		return fmt.Errorf("audit: corrected entries: %w", err)
	}
	defer rows.Close()
	byID := map[uuid.UUID]*Corrected{}
	for rows.Next() {
		var (
			c                                   Corrected
			version                             int64
			actor, managing                     *uuid.UUID
			name, sKind, sNumber, sIssuer, sSHA *string
			effective, sDate                    *time.Time
		)
		if err := rows.Scan(&c.EventID, &c.Type, &version, &actor, &name, &c.RecordedAt, &effective,
			&sKind, &sNumber, &sDate, &sIssuer, &sSHA, &managing); err != nil {
			return fmt.Errorf("audit: corrected entries: %w", err)
		}
		c.Version, c.ActorAccount, c.ActorName = uint64(version), domain.AccountID(deref(actor)), str(name)
		c.RecordedAt, c.EffectiveDate = c.RecordedAt.UTC(), toDate(effective)
		c.Source = domain.SourceDocument{Kind: str(sKind), Number: str(sNumber), Date: toDate(sDate), Issuer: str(sIssuer), SHA256: str(sSHA)}
		c.ManagingOrg = domain.OrgID(deref(managing))
		byID[c.EventID] = &c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: corrected entries: %w", err)
	}
	for i := range entries {
		if entries[i].IsCorrection {
			entries[i].Corrected = byID[entries[i].Corrects]
		}
	}
	return nil
}

// ByDossier returns the dossier's whole history as the trail shows it,
// ordered by stream version; empty (and no error) for an unknown dossier.
func ByDossier(ctx context.Context, db Querier, id domain.DossierID) ([]Entry, error) {
	return ByDossierWith(ctx, db, seal.Privacy{}, id)
}

// ByDossierWith is ByDossier on a trail built WithPrivacy(pv).
func ByDossierWith(ctx context.Context, db Querier, pv seal.Privacy, id domain.DossierID) ([]Entry, error) {
	return queryEntries(ctx, db, pv, entrySelect+` WHERE dossier_id = $1 ORDER BY version`, uuid.UUID(id))
}

func queryEntries(ctx context.Context, db Querier, pv seal.Privacy, sql string, args ...any) ([]Entry, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(ctx, pv, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	return out, nil
}

func scanEntry(ctx context.Context, pv seal.Privacy, rows pgx.Rows) (Entry, error) {
	var (
		e                                            Entry
		version                                      int64
		pos                                          string
		actor, acting, behalf                        *uuid.UUID
		name, sKind, sNumber, sIssuer, sSHA, reason  *string
		reqID, corrID, causID, imported              *string
		effective, sDate                             *time.Time
		dossierID, managing, managingAfter, correcta *uuid.UUID
		diffJSON                                     []byte
		hash                                         []byte
	)
	if err := rows.Scan(&e.EventID, &e.StreamID, &version, &pos, &e.Type,
		&actor, &name, &acting, &behalf, &e.RecordedAt, &effective,
		&sKind, &sNumber, &sDate, &sIssuer, &sSHA,
		&reason, &reqID, &corrID, &causID, &imported,
		&dossierID, &managing, &managingAfter, &e.IsCorrection, &correcta, &diffJSON, &e.Data, &hash); err != nil {
		return Entry{}, fmt.Errorf("audit: query: %w", err)
	}
	e.Version = uint64(version)
	var err error
	if e.Position, err = eventstore.ParsePosition(pos); err != nil {
		return Entry{}, fmt.Errorf("audit: entry %s: %w", e.EventID, err)
	}
	e.ActorAccount = domain.AccountID(deref(actor))
	e.ActingOrg = domain.OrgID(deref(acting))
	e.OnBehalfOf = domain.AccountID(deref(behalf))
	e.ActorName, e.Reason = str(name), str(reason)
	e.RequestID, e.CorrelationID, e.CausationID = str(reqID), str(corrID), str(causID)
	e.ImportedFrom = str(imported)
	e.EffectiveDate = toDate(effective)
	e.Source = domain.SourceDocument{Kind: str(sKind), Number: str(sNumber), Date: toDate(sDate), Issuer: str(sIssuer), SHA256: str(sSHA)}
	e.RecordedAt = e.RecordedAt.UTC()
	e.Dossier = domain.DossierID(deref(dossierID))
	e.ManagingOrg = domain.OrgID(deref(managing))
	e.ManagingOrgAfter = domain.OrgID(deref(managingAfter))
	e.Corrects = deref(correcta)
	if !e.Dossier.IsZero() {
		scope := e.Dossier.StreamID()
		if diffJSON, err = pv.Open(ctx, scope, DiffPurpose, diffJSON); err != nil {
			return Entry{}, fmt.Errorf("audit: entry %s: diff: %w", e.EventID, err)
		}
		if e.Data, err = pv.Open(ctx, scope, DataPurpose, e.Data); err != nil {
			return Entry{}, fmt.Errorf("audit: entry %s: payload: %w", e.EventID, err)
		}
	}
	if diffJSON != nil {
		if err := json.Unmarshal(diffJSON, &e.Diff); err != nil {
			return Entry{}, fmt.Errorf("audit: entry %s: diff: %w", e.EventID, err)
		}
	}
	copy(e.Hash[:], hash)
	return e, nil
}

func deref(u *uuid.UUID) uuid.UUID {
	if u == nil {
		return uuid.Nil
	}
	return *u
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func toDate(t *time.Time) domain.Date {
	if t == nil {
		return domain.Date{}
	}
	d, err := domain.NewDate(t.Year(), t.Month(), t.Day())
	if err != nil {
		return domain.Date{}
	}
	return d
}
