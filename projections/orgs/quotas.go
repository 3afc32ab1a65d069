package orgs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
)

// Quota is the staffing quota in force for one org and year: the last
// decision for that year by effective date (then by log position), as
// org.Org.StaffingQuota answers it.
type Quota struct {
	Org      domain.OrgID
	Year     int
	From     domain.Date
	Counts   map[org.QuotaCategory]int
	Decision eventstore.SourceDocument
}

// StaffingQuotas returns the quota in force for year of each of orgs that
// has one, ordered by org id. Orgs without a decision for the year are
// left out.
func StaffingQuotas(ctx context.Context, db Querier, orgs []domain.OrgID, year int) ([]Quota, error) {
	rows, err := db.Query(ctx, `
SELECT DISTINCT ON (org_id) org_id, valid_from, counts, decision
  FROM `+QuotasView+` WHERE org_id = ANY($1) AND year = $2
 ORDER BY org_id, valid_from DESC, position DESC`, toUUIDs(orgs), year)
	if err != nil {
		return nil, fmt.Errorf("orgs: staffing quotas: %w", err)
	}
	defer rows.Close()
	var out []Quota
	for rows.Next() {
		var (
			id               uuid.UUID
			from             time.Time
			counts, decision []byte
		)
		if err := rows.Scan(&id, &from, &counts, &decision); err != nil {
			return nil, fmt.Errorf("orgs: staffing quotas: %w", err)
		}
		q := Quota{Org: domain.OrgID(id), Year: year, From: toDate(from)}
		if err := json.Unmarshal(counts, &q.Counts); err != nil {
			return nil, fmt.Errorf("orgs: staffing quotas of %s: %w", q.Org, err)
		}
		if err := json.Unmarshal(decision, &q.Decision); err != nil {
			return nil, fmt.Errorf("orgs: staffing quotas of %s: %w", q.Org, err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}
