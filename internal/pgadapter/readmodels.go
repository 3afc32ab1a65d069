package pgadapter

import (
	"context"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/audit"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/stats"
)

// ReadModels is api.ReadModels: the projections' query functions on a
// pool whose search_path holds their views, and the read log's table.
type ReadModels struct {
	pool *pgxpool.Pool
	pv   seal.Privacy
}

// NewReadModels returns the read models on pool.
func NewReadModels(pool *pgxpool.Pool) *ReadModels { return &ReadModels{pool: pool} }

// WithPrivacy reads read models built with pv (docs/privacy.md): sealed
// documents, diffs and payloads are opened, tokens turned back into codes.
func (m *ReadModels) WithPrivacy(pv seal.Privacy) *ReadModels {
	m.pv = pv
	return m
}

var _ api.ReadModels = (*ReadModels)(nil)

// OrgTree implements api.OrgReader.
func (m *ReadModels) OrgTree(ctx context.Context) ([]orgs.Org, error) { return orgs.Tree(ctx, m.pool) }

// OrgSubtree implements api.OrgReader.
func (m *ReadModels) OrgSubtree(ctx context.Context, roots []domain.OrgID) ([]domain.OrgID, error) {
	return orgs.Subtree(ctx, m.pool, roots)
}

// OrgAncestors implements api.OrgReader.
func (m *ReadModels) OrgAncestors(ctx context.Context, o domain.OrgID) ([]domain.OrgID, error) {
	rows, err := m.pool.Query(ctx, `SELECT ancestor FROM `+orgs.ClosureView+` WHERE descendant = $1`, uuid.UUID(o))
	if err != nil {
		return nil, fmt.Errorf("pgadapter: ancestry of %s: %w", o, err)
	}
	defer rows.Close()
	var out []domain.OrgID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("pgadapter: ancestry of %s: %w", o, err)
		}
		out = append(out, domain.OrgID(id))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgadapter: ancestry of %s: %w", o, err)
	}
	return out, nil
}

// StaffingQuotas implements api.OrgReader.
func (m *ReadModels) StaffingQuotas(ctx context.Context, orgIDs []domain.OrgID, year int) ([]orgs.Quota, error) {
	return orgs.StaffingQuotas(ctx, m.pool, orgIDs, year)
}

// AnyRoot implements api.OrgReader.
func (m *ReadModels) AnyRoot(ctx context.Context, ids []domain.OrgID) (bool, error) {
	var n int
	if err := m.pool.QueryRow(ctx, `SELECT count(*) FROM `+orgs.OrgsView+` WHERE org_id = ANY($1) AND parent IS NULL`,
		uuidsOf(ids)).Scan(&n); err != nil {
		return false, fmt.Errorf("pgadapter: roots: %w", err)
	}
	return n > 0, nil
}

// ManagedDossiers implements api.OrgReader.
func (m *ReadModels) ManagedDossiers(ctx context.Context, o domain.OrgID, d domain.Date) ([]domain.DossierID, error) {
	return orgs.ManagedDossiers(ctx, m.pool, o, d)
}

// Dossier implements api.DossierReader.
func (m *ReadModels) Dossier(ctx context.Context, id domain.DossierID) (dossiers.Dossier, error) {
	return dossiers.GetWith(ctx, m.pool, m.pv, id)
}

// SearchDossiers implements api.DossierReader.
func (m *ReadModels) SearchDossiers(ctx context.Context, q dossiers.Query) (dossiers.Page, error) {
	return dossiers.SearchWith(ctx, m.pool, m.pv, q)
}

// Archive implements api.DossierReader.
func (m *ReadModels) Archive(ctx context.Context, q dossiers.ArchiveQuery) (dossiers.ArchivePage, error) {
	return dossiers.ArchiveWith(ctx, m.pool, m.pv, q)
}

// ComplianceItems implements api.ReportReader.
func (m *ReadModels) ComplianceItems(ctx context.Context, f compliance.Filter) (compliance.Page, error) {
	return compliance.Items(ctx, m.pool, f)
}

// Overdue implements api.ReportReader.
func (m *ReadModels) Overdue(ctx context.Context, scope []domain.OrgID, asOf domain.Date) ([]compliance.OverdueItem, error) {
	return compliance.Overdue(ctx, m.pool, scope, asOf)
}

// ComplianceSummary implements api.ReportReader.
func (m *ReadModels) ComplianceSummary(ctx context.Context, q compliance.SummaryQuery) ([]compliance.OrgSummary, error) {
	return compliance.Summary(ctx, m.pool, q)
}

// Approvals implements api.ReportReader.
func (m *ReadModels) Approvals(ctx context.Context, scope []domain.OrgID, flaggedOnly bool) ([]compliance.Approval, error) {
	return compliance.Approvals(ctx, m.pool, scope, flaggedOnly)
}

// StatsReport implements api.ReportReader.
func (m *ReadModels) StatsReport(ctx context.Context, scope []domain.OrgID, asOf domain.Date) (stats.BM02, error) {
	return stats.Report(ctx, m.pool, scope, asOf)
}

// ReportDuties implements api.ReportReader.
func (m *ReadModels) ReportDuties(ctx context.Context, pol policy.Policy, cal *calendar.Calendar, q compliance.ReportQuery) ([]compliance.ReportDuty, error) {
	return compliance.ReportDuties(ctx, m.pool, pol, cal, q)
}

// StatsReportByOrg implements api.ReportReader.
func (m *ReadModels) StatsReportByOrg(ctx context.Context, scope []domain.OrgID, asOf domain.Date) ([]stats.OrgBM02, error) {
	return stats.ReportByOrg(ctx, m.pool, scope, asOf)
}

// Headcount implements api.ReportReader.
func (m *ReadModels) Headcount(ctx context.Context, q stats.Query) ([]stats.Row, error) {
	return stats.HeadcountWith(ctx, m.pool, m.pv, nil, q)
}

// AuditByDossier implements api.AuditReader.
func (m *ReadModels) AuditByDossier(ctx context.Context, id domain.DossierID) ([]audit.Entry, error) {
	return audit.ByDossierWith(ctx, m.pool, m.pv, id)
}

// AuditQuery implements api.AuditReader.
func (m *ReadModels) AuditQuery(ctx context.Context, f audit.Filter) (audit.Page, error) {
	return audit.QueryWith(ctx, m.pool, m.pv, f)
}

// Reads implements api.AuditReader: the dossier_reads table joined to the
// dossiers read model, which says where each dossier is (managed,
// employed, or the org that lost it).
func (m *ReadModels) Reads(ctx context.Context, f api.ReadFilter) ([]api.ReadView, error) {
	args := []any{uuidsOf(f.Scope), f.Unmatched}
	where := []string{`(d.managing_org = ANY($1) OR d.employing_unit = ANY($1) OR d.revoked_org = ANY($1) OR (d.dossier_id IS NULL AND $2))`}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Account != nil {
		where = append(where, "r.account_id = "+arg(uuid.UUID(*f.Account)))
	}
	if f.Dossier != nil {
		where = append(where, "r.dossier_id = "+arg(uuid.UUID(*f.Dossier)))
	}
	if len(f.Outcomes) > 0 {
		where = append(where, "r.outcome = ANY("+arg(f.Outcomes)+"::text[])")
	}
	if len(f.Purposes) > 0 {
		where = append(where, "r.purpose_code = ANY("+arg(f.Purposes)+"::text[])")
	}
	if f.WithConsent != nil {
		where = append(where, map[bool]string{true: "r.consent_event_id IS NOT NULL", false: "r.consent_event_id IS NULL"}[*f.WithConsent])
	}
	if !f.From.IsZero() {
		where = append(where, "r.read_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "r.read_at < "+arg(f.To))
	}
	if f.Before > 0 {
		where = append(where, "r.read_id < "+arg(f.Before))
	}
	rows, err := m.pool.Query(ctx, `SELECT r.read_id, r.read_at, r.account_id, r.username, r.dossier_id, r.method, r.route,
       r.query, r.purpose, r.outcome, r.request_id, r.remote_addr, r.purpose_code, r.purpose_reference, r.consent_event_id
  FROM dossier_reads r LEFT JOIN `+dossiers.ViewDossiers+` d ON d.dossier_id = r.dossier_id
 WHERE `+strings.Join(where, " AND ")+` ORDER BY r.read_id DESC LIMIT `+strconv.Itoa(max(f.Limit, 0)), args...)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: read log: %w", err)
	}
	defer rows.Close()
	out := []api.ReadView{}
	for rows.Next() {
		var v api.ReadView
		var acct, dossier uuid.UUID
		if err := rows.Scan(&v.ID, &v.ReadAt, &acct, &v.Username, &dossier, &v.Method, &v.Route, &v.Query, &v.Purpose,
			&v.Outcome, &v.RequestID, &v.RemoteAddr, &v.PurposeCode, &v.PurposeReference, &v.ConsentEventID); err != nil {
			return nil, fmt.Errorf("pgadapter: read log: %w", err)
		}
		v.AccountID, v.DossierID, v.ReadAt = domain.AccountID(acct), domain.DossierID(dossier), v.ReadAt.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgadapter: read log: %w", err)
	}
	return out, nil
}

func uuidsOf(ids []domain.OrgID) []uuid.UUID {
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		out[i] = uuid.UUID(id)
	}
	return out
}
