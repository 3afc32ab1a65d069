package api

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/stats"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
	"github.com/hoso-ledger/hoso/projections/transfers"
)

// The interfaces below are everything the HTTP layer stores or reads
// outside the ledger. They are declared here, where they are used, and
// implemented on PostgreSQL by internal/pgadapter; the API itself runs
// no SQL. Not found is domain.ErrNotFound (errors.Is) unless said
// otherwise.

// OrgReader reads the org tree read model (projections/orgs).
type OrgReader interface {
	// OrgTree returns every org ever created (orgs.Tree).
	OrgTree(ctx context.Context) ([]orgs.Org, error)
	// OrgSubtree returns roots and every org below them (orgs.Subtree).
	OrgSubtree(ctx context.Context, roots []domain.OrgID) ([]domain.OrgID, error)
	// OrgAncestors returns o's ancestors in the current tree, o itself
	// included; none when the read model does not know o (yet).
	OrgAncestors(ctx context.Context, o domain.OrgID) ([]domain.OrgID, error)
	// AnyRoot reports whether one of ids is a root of the tree.
	AnyRoot(ctx context.Context, ids []domain.OrgID) (bool, error)
	// ManagedDossiers returns the dossiers o managed on d
	// (orgs.ManagedDossiers).
	ManagedDossiers(ctx context.Context, o domain.OrgID, d domain.Date) ([]domain.DossierID, error)
	// StaffingQuotas returns the staffing quota in force for year of each
	// of the orgs that has one (orgs.StaffingQuotas).
	StaffingQuotas(ctx context.Context, orgIDs []domain.OrgID, year int) ([]orgs.Quota, error)
}

// DossierReader reads the dossiers read model (projections/dossiers).
type DossierReader interface {
	// Dossier returns one dossier as the read model holds it
	// (dossiers.Get: domain.ErrNotFound when it has none).
	Dossier(ctx context.Context, id domain.DossierID) (dossiers.Dossier, error)
	// SearchDossiers is dossiers.Search.
	SearchDossiers(ctx context.Context, q dossiers.Query) (dossiers.Page, error)
	// Archive is dossiers.Archive.
	Archive(ctx context.Context, q dossiers.ArchiveQuery) (dossiers.ArchivePage, error)
}

// ReportReader reads the compliance and statistics read models.
type ReportReader interface {
	ComplianceItems(ctx context.Context, f compliance.Filter) (compliance.Page, error)
	Overdue(ctx context.Context, orgs []domain.OrgID, asOf domain.Date) ([]compliance.OverdueItem, error)
	ComplianceSummary(ctx context.Context, q compliance.SummaryQuery) ([]compliance.OrgSummary, error)
	Approvals(ctx context.Context, orgs []domain.OrgID, flaggedOnly bool) ([]compliance.Approval, error)
	StatsReport(ctx context.Context, orgs []domain.OrgID, asOf domain.Date) (stats.BM02, error)
	// ReportDuties lists the report due dates of the orgs and how they were
	// met (compliance.ReportDuties).
	ReportDuties(ctx context.Context, pol policy.Policy, cal *calendar.Calendar, q compliance.ReportQuery) ([]compliance.ReportDuty, error)
	// StatsReportByOrg is StatsReport one line per org (the spreadsheet form).
	StatsReportByOrg(ctx context.Context, orgs []domain.OrgID, asOf domain.Date) ([]stats.OrgBM02, error)
	Headcount(ctx context.Context, q stats.Query) ([]stats.Row, error)
}

// AuditReader reads the audit trail read model and the read log.
type AuditReader interface {
	// AuditByDossier is audit.ByDossier.
	AuditByDossier(ctx context.Context, id domain.DossierID) ([]audit.Entry, error)
	// AuditQuery is audit.Query (its errors included: a bad cursor).
	AuditQuery(ctx context.Context, f audit.Filter) (audit.Page, error)
	// Reads lists the read log, newest first, at most f.Limit rows.
	Reads(ctx context.Context, f ReadFilter) ([]ReadView, error)
}

// ReadModels is every read the API makes of the projections' tables.
type ReadModels interface {
	OrgReader
	DossierReader
	ReportReader
	AuditReader
}

// ReadFilter selects rows of the read log. Scope is required: reads of
// dossiers managed by, employed in or lost by one of its orgs, and, with
// Unmatched, reads of ids that match no dossier. Zero fields do not
// filter.
type ReadFilter struct {
	Scope     []domain.OrgID
	Unmatched bool
	Account   *domain.AccountID
	Dossier   *domain.DossierID
	Outcomes  []string
	Purposes  []string // purpose_code in these (policy.Purpose names)
	// WithConsent: only reads that relied on a consent (true) or did not
	// (false); nil: both.
	WithConsent *bool
	From, To    time.Time // read_at in [From, To)
	Before      int64     // read ids below it (the cursor); 0: from the newest
	Limit       int
}

// Attachment is a scan's bytes as stored, once per digest.
type Attachment struct {
	SHA256     string
	MediaType  string
	Content    []byte
	UploadedAt time.Time
	UploadedBy domain.AccountID
}

// AttachmentStore keeps scans by digest and knows which dossiers cite one.
type AttachmentStore interface {
	// PutAttachment stores a's bytes unless its digest is stored already
	// (a scan is evidence and is never replaced).
	PutAttachment(ctx context.Context, a Attachment) error
	// AttachmentDossiers returns the dossiers whose events cite the scan,
	// sorted; none when no event does. A scan whose bytes are stored
	// waits for the index to apply the events already in the log, so an
	// upload is downloadable as soon as it was answered.
	AttachmentDossiers(ctx context.Context, sha256 string) ([]domain.DossierID, error)
	// Attachment returns the scan's media type and bytes.
	Attachment(ctx context.Context, sha256 string) (mediaType string, content []byte, err error)
}

// TransferIndex finds a transfer's dossier.
type TransferIndex interface {
	// TransferDossier returns the dossier of transfer tid. Before
	// answering domain.ErrNotFound it waits for the index to apply the
	// events already in the log, so a transfer is found as soon as its
	// initiation was answered.
	TransferDossier(ctx context.Context, tid uuid.UUID) (domain.DossierID, error)
	// ListTransfers returns a page of the transfers sent or received by
	// q.Orgs, newest first; a cursor it did not give wraps
	// domain.ErrInvalid.
	ListTransfers(ctx context.Context, q transfers.Query) (transfers.Page, error)
}

// IdempotencyKey names one keyed request: the caller, its key and the
// request's fingerprint (see requestFingerprint).
type IdempotencyKey struct {
	Account     uuid.UUID
	Key         string
	Fingerprint [32]byte
}

// IdempotencyRecord is what is stored of a keyed request.
type IdempotencyRecord struct {
	Fingerprint []byte
	Completed   bool // Status, Headers and Body are set
	Status      int
	Headers     map[string]string
	Body        []byte
}

// IdempotencyStore records keyed POSTs and their responses.
type IdempotencyStore interface {
	// Claim records k as running since now, method and route naming the
	// request. It replaces a record created before expired, or one never
	// completed and created before stale; it returns false, recording
	// nothing, when another record holds the key.
	Claim(ctx context.Context, k IdempotencyKey, method, route string, now, expired, stale time.Time) (bool, error)
	// Release deletes k's record if it is still running.
	Release(ctx context.Context, k IdempotencyKey) error
	// Complete stores the response of k's running record.
	Complete(ctx context.Context, k IdempotencyKey, at time.Time, status int, headers map[string]string, body []byte) error
	// Lookup returns the record of the caller's key.
	Lookup(ctx context.Context, account uuid.UUID, key string) (IdempotencyRecord, error)
	// Sweep deletes a batch of records created before before.
	Sweep(ctx context.Context, before time.Time) error
}

// SyncReader reads the deliveries to the national database
// (projections/syncstatus).
type SyncReader interface {
	// SyncPackages is syncstatus.List.
	SyncPackages(ctx context.Context, f syncstatus.Filter) ([]syncstatus.Package, error)
	// SyncPackage is syncstatus.Get (syncstatus.ErrNotFound, which wraps
	// domain.ErrNotFound, outside orgs).
	SyncPackage(ctx context.Context, id uuid.UUID, orgs []domain.OrgID, today domain.Date) (syncstatus.Package, error)
}
