package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// View names.
const (
	// OrgsView: one row per org ever created, as it stands now.
	OrgsView = "orgs"
	// NamesView: every name and code an org bore, with its effective interval.
	NamesView = "org_names"
	// ParentsView: every parent an org had, with its effective interval.
	ParentsView = "org_parents"
	// ClosureView: (ancestor, descendant, depth) of the current tree, each
	// org its own ancestor at depth 0.
	ClosureView = "org_closure"
	// ManagementView: which org managed which dossier over which interval.
	ManagementView = "org_dossier_management"
	// HomeAffairsView: every designation of a province's Department of
	// Home Affairs (org.home_affairs_designated.v1), with its interval.
	HomeAffairsView = "org_home_affairs"
	// QuotasView: every staffing quota decision
	// (org.staffing_quota_assigned.v1): org, year, effective date, counts
	// and the decision.
	QuotasView = "org_staffing_quotas"
)

// Name is the projection's stable name.
const Name = "orgs"

// Projection is the org tree and its history. It implements
// projections.Projection.
type Projection struct{}

// New returns the orgs projection.
func New() *Projection { return &Projection{} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection. 2: the provinces'
// Departments of Home Affairs (orgs.home_affairs, org_home_affairs). 3:
// staffing quotas (org_staffing_quotas).
func (*Projection) Version() int { return 3 }

// Views implements projections.Projection.
func (*Projection) Views() []string {
	return []string{OrgsView, NamesView, ParentsView, ClosureView, ManagementView, HomeAffairsView, QuotasView}
}

// Setup implements projections.Projection.
//
// Histories are stored as change points (one row per event, keyed by its id
// so a replay inserts nothing) with valid_to derived from the next change
// point in (valid_from, position) order: events arrive in recorded order but
// their effective dates need not be, and a later-recorded change with the
// same effective date wins, as in org.Org.NameOn. Intervals are half-open:
// valid_from ≤ d < valid_to, valid_to NULL for the one still in force.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	o, n, p, c, m := t.Name(OrgsView), t.Name(NamesView), t.Name(ParentsView), t.Name(ClosureView), t.Name(ManagementView)
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    org_id      uuid   PRIMARY KEY,
    code        text   NOT NULL,
    name        text   NOT NULL,
    kind        text   NOT NULL,
    level       text   NOT NULL,
    parent      uuid,
    status      text   NOT NULL,   -- active, merged, split, dissolved
    successors  uuid[] NOT NULL,   -- who took over when it ended
    created_on  date   NOT NULL,
    closed_on   date,
    version     bigint NOT NULL,   -- stream version of the last event applied
    home_affairs uuid              -- a province's Department of Home Affairs in force at the latest date
);
CREATE TABLE %[2]s (
    event_id   uuid PRIMARY KEY,
    org_id     uuid NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,
    position   text COLLATE "C" NOT NULL,
    name       text NOT NULL,
    code       text NOT NULL
);
CREATE INDEX %[6]s ON %[2]s (org_id, valid_from);
CREATE TABLE %[3]s (
    event_id   uuid PRIMARY KEY,
    org_id     uuid NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,
    position   text COLLATE "C" NOT NULL,
    parent     uuid
);
CREATE INDEX %[7]s ON %[3]s (org_id, valid_from);
CREATE INDEX %[8]s ON %[3]s (parent, valid_from);
CREATE TABLE %[4]s (
    ancestor   uuid NOT NULL,
    descendant uuid NOT NULL,
    depth      integer NOT NULL,
    PRIMARY KEY (ancestor, descendant)
);
CREATE INDEX %[9]s ON %[4]s (descendant);
CREATE TABLE %[5]s (
    event_id   uuid PRIMARY KEY,
    dossier_id uuid NOT NULL,
    org_id     uuid,            -- NULL: management revoked (transfer out of the province)
    valid_from date NOT NULL,
    valid_to   date,
    position   text COLLATE "C" NOT NULL,
    cause      text NOT NULL    -- created, transfer, reassigned, transferred_out, reactivated
);
CREATE INDEX %[10]s ON %[5]s (dossier_id, valid_from);
CREATE INDEX %[11]s ON %[5]s (org_id, valid_from);
CREATE TABLE %[12]s (
    event_id     uuid PRIMARY KEY,
    org_id       uuid NOT NULL,     -- the province (its people's committee)
    valid_from   date NOT NULL,
    valid_to     date,
    position     text COLLATE "C" NOT NULL,
    home_affairs uuid NOT NULL
);
CREATE INDEX %[13]s ON %[12]s (org_id, valid_from);
CREATE TABLE %[14]s (
    event_id   uuid PRIMARY KEY,
    org_id     uuid    NOT NULL,
    year       integer NOT NULL,
    valid_from date    NOT NULL,
    position   text COLLATE "C" NOT NULL,
    counts     jsonb   NOT NULL,   -- {"cong_chuc": 40, "nguoi_lao_dong": 5}
    decision   jsonb   NOT NULL    -- the source document: number, date, issuer
);
CREATE INDEX %[15]s ON %[14]s (org_id, year);`,
		o, n, p, c, m,
		t.Name("org_names_org"), t.Name("org_parents_org"), t.Name("org_parents_parent"),
		t.Name("org_closure_descendant"), t.Name("org_mgmt_dossier"), t.Name("org_mgmt_org"),
		t.Name(HomeAffairsView), t.Name("org_home_affairs_org"), t.Name(QuotasView), t.Name("org_staffing_quotas_org")))
	return err
}

// Apply implements projections.Projection. It is idempotent: history rows
// are keyed by event id, and an org's current row only moves forward by
// stream version.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	switch {
	case strings.HasPrefix(ev.Type, "org."):
		id, ok := streamUUID(ev.StreamID, "org-")
		if !ok {
			return nil
		}
		e, err := org.Decode(ev.Type, ev.Data)
		if err != nil {
			if isKnown(org.EventTypes(), ev.Type) {
				return fmt.Errorf("orgs: %w", err)
			}
			return nil // a type this release does not know
		}
		return applyOrg(ctx, tx, t, domain.OrgID(id), ev, e)
	case strings.HasPrefix(ev.Type, "dossier."):
		if !canChangeManagement(ev.Type) {
			return nil // skip the decoding
		}
		id, e, err := decodeDossier(ev)
		if err != nil || e == nil {
			return err
		}
		return applyDossier(ctx, tx, t, id, ev, e)
	}
	return nil
}

// canChangeManagement says whether a dossier event of type typ can change
// which org manages the dossier; Apply does nothing with any other.
func canChangeManagement(typ string) bool {
	switch typ {
	case dossier.TypeCreated, dossier.TypeTransferReceived, dossier.TypeManagingOrgChanged,
		dossier.TypeStatusChanged, dossier.TypeCorrected:
		return true
	}
	return false
}

// decodeDossier decodes a dossier event (nil when its stream is not a
// dossier's).
func decodeDossier(ev eventstore.Event) (uuid.UUID, domain.Event, error) {
	id, ok := streamUUID(ev.StreamID, "dossier-")
	if !ok {
		return id, nil, nil
	}
	e, err := dossier.Decode(ev.Type, ev.Data)
	if err != nil {
		return id, nil, fmt.Errorf("orgs: %w", err)
	}
	return id, e, nil
}

func isKnown(types []string, t string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// effective is the date an event takes effect: the envelope's effective
// date, which the store always sets; the recorded date keeps a damaged
// envelope applicable rather than poisoning the projection.
func effective(ev eventstore.Event) time.Time {
	if t, err := time.Parse(time.DateOnly, ev.Meta.EffectiveDate); err == nil {
		return t
	}
	d := domain.DateOf(ev.Meta.RecordedAt)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func applyOrg(ctx context.Context, tx pgx.Tx, t projections.Tables, id domain.OrgID, ev eventstore.Event, e domain.Event) error {
	o, n, p := t.Name(OrgsView), t.Name(NamesView), t.Name(ParentsView)
	oid, eff, pos := uuid.UUID(id), effective(ev), ev.Position.String()
	if c, ok := e.(org.Created); ok {
		tag, err := tx.Exec(ctx, `INSERT INTO `+o+` (org_id, code, name, kind, level, parent, status, successors, created_on, version)
VALUES ($1, $2, $3, $4, $5, $6, 'active', '{}', $7, $8) ON CONFLICT (org_id) DO NOTHING`,
			oid, c.Code, c.Name, string(c.Kind), string(c.Level), nullOrg(c.Parent), eff, int64(ev.Version))
		if err != nil {
			return fmt.Errorf("orgs: creating %s: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return nil // applied before
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+n+` (event_id, org_id, valid_from, position, name, code) VALUES ($1, $2, $3, $4, $5, $6)`,
			ev.ID, oid, eff, pos, c.Name, c.Code); err != nil {
			return fmt.Errorf("orgs: creating %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+p+` (event_id, org_id, valid_from, position, parent) VALUES ($1, $2, $3, $4, $5)`,
			ev.ID, oid, eff, pos, nullOrg(c.Parent)); err != nil {
			return fmt.Errorf("orgs: creating %s: %w", id, err)
		}
		return attach(ctx, tx, t, id, c.Parent)
	}
	// Every other event moves the org's row forward by one version; a
	// replayed one finds the row already there and changes nothing.
	var parent *uuid.UUID
	err := tx.QueryRow(ctx, `UPDATE `+o+` SET version = $2 WHERE org_id = $1 AND version < $2 RETURNING parent`,
		oid, int64(ev.Version)).Scan(&parent)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // applied before, or the org's creation is unknown
	}
	if err != nil {
		return fmt.Errorf("orgs: %s: %w", id, err)
	}
	switch e := e.(type) {
	case org.Renamed:
		if _, err := tx.Exec(ctx, `INSERT INTO `+n+` (event_id, org_id, valid_from, position, name, code) VALUES ($1, $2, $3, $4, $5, $6)`,
			ev.ID, oid, eff, pos, e.Name, e.Code); err != nil {
			return fmt.Errorf("orgs: renaming %s: %w", id, err)
		}
		if err := recompute(ctx, tx, n, "org_id", oid); err != nil {
			return err
		}
		// The current name is the one in force at the latest effective date.
		_, err := tx.Exec(ctx, `UPDATE `+o+` SET (name, code) = (SELECT name, code FROM `+n+` WHERE org_id = $1 AND valid_to IS NULL) WHERE org_id = $1`, oid)
		if err != nil {
			return fmt.Errorf("orgs: renaming %s: %w", id, err)
		}
	case org.Moved:
		if _, err := tx.Exec(ctx, `INSERT INTO `+p+` (event_id, org_id, valid_from, position, parent) VALUES ($1, $2, $3, $4, $5)`,
			ev.ID, oid, eff, pos, nullOrg(e.Parent)); err != nil {
			return fmt.Errorf("orgs: moving %s: %w", id, err)
		}
		if err := recompute(ctx, tx, p, "org_id", oid); err != nil {
			return err
		}
		var now *uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT parent FROM `+p+` WHERE org_id = $1 AND valid_to IS NULL`, oid).Scan(&now); err != nil {
			return fmt.Errorf("orgs: moving %s: %w", id, err)
		}
		if sameOrg(now, parent) {
			return nil // a back-dated move: the parent in force at the latest date is unchanged
		}
		if _, err := tx.Exec(ctx, `UPDATE `+o+` SET parent = $2 WHERE org_id = $1`, oid, now); err != nil {
			return fmt.Errorf("orgs: moving %s: %w", id, err)
		}
		var np domain.OrgID
		if now != nil {
			np = domain.OrgID(*now)
		}
		return reattach(ctx, tx, t, id, np)
	case org.HomeAffairsDesignated:
		h := t.Name(HomeAffairsView)
		if _, err := tx.Exec(ctx, `INSERT INTO `+h+` (event_id, org_id, valid_from, position, home_affairs) VALUES ($1, $2, $3, $4, $5)`,
			ev.ID, oid, eff, pos, uuid.UUID(e.HomeAffairs)); err != nil {
			return fmt.Errorf("orgs: designating the home affairs of %s: %w", id, err)
		}
		if err := recompute(ctx, tx, h, "org_id", oid); err != nil {
			return err
		}
		// The designation in force is the one at the latest effective date.
		_, err := tx.Exec(ctx, `UPDATE `+o+` SET home_affairs = (SELECT home_affairs FROM `+h+` WHERE org_id = $1 AND valid_to IS NULL) WHERE org_id = $1`, oid)
		if err != nil {
			return fmt.Errorf("orgs: designating the home affairs of %s: %w", id, err)
		}
	case org.StaffingQuotaAssigned:
		counts, err := json.Marshal(e.Counts)
		if err != nil {
			return fmt.Errorf("orgs: quota of %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+t.Name(QuotasView)+` (event_id, org_id, year, valid_from, position, counts, decision)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
			ev.ID, oid, e.Year, eff, pos, counts, decisionJSON(ev)); err != nil {
			return fmt.Errorf("orgs: quota of %s: %w", id, err)
		}
	case org.Merged:
		return end(ctx, tx, o, oid, org.StatusMerged, eff, []domain.OrgID{e.Successor})
	case org.Split:
		return end(ctx, tx, o, oid, org.StatusSplit, eff, e.Successors)
	case org.Dissolved:
		var s []domain.OrgID
		if !e.Successor.IsZero() {
			s = []domain.OrgID{e.Successor}
		}
		return end(ctx, tx, o, oid, org.StatusDissolved, eff, s)
	}
	return nil
}

func end(ctx context.Context, tx pgx.Tx, table string, id uuid.UUID, s org.Status, eff time.Time, successors []domain.OrgID) error {
	ids := make([]uuid.UUID, len(successors))
	for i, x := range successors {
		ids[i] = uuid.UUID(x)
	}
	_, err := tx.Exec(ctx, `UPDATE `+table+` SET status = $2, closed_on = $3, successors = $4 WHERE org_id = $1`, id, string(s), eff, ids)
	if err != nil {
		return fmt.Errorf("orgs: ending %s: %w", id, err)
	}
	return nil
}

// attach adds a new org (a leaf) to the closure under parent.
func attach(ctx context.Context, tx pgx.Tx, t projections.Tables, id, parent domain.OrgID) error {
	c := t.Name(ClosureView)
	_, err := tx.Exec(ctx, `
INSERT INTO `+c+` (ancestor, descendant, depth) VALUES ($1, $1, 0) ON CONFLICT DO NOTHING;`, uuid.UUID(id))
	if err == nil && !parent.IsZero() {
		_, err = tx.Exec(ctx, `
INSERT INTO `+c+` (ancestor, descendant, depth)
SELECT ancestor, $1, depth + 1 FROM `+c+` WHERE descendant = $2
ON CONFLICT DO NOTHING`, uuid.UUID(id), uuid.UUID(parent))
	}
	if err != nil {
		return fmt.Errorf("orgs: attaching %s: %w", id, err)
	}
	return nil
}

// reattach moves id's whole subtree under parent (zero: it becomes a root):
// the paths from its old ancestors go, the paths from the new ones come.
func reattach(ctx context.Context, tx pgx.Tx, t projections.Tables, id, parent domain.OrgID) error {
	c := t.Name(ClosureView)
	oid := uuid.UUID(id)
	if !parent.IsZero() {
		var cycle bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+c+` WHERE ancestor = $1 AND descendant = $2)`, oid, uuid.UUID(parent)).Scan(&cycle); err != nil {
			return fmt.Errorf("orgs: moving %s: %w", id, err)
		}
		if cycle {
			return fmt.Errorf("orgs: moving %s under %s would make a cycle: %w", id, parent, domain.ErrConflict)
		}
	}
	_, err := tx.Exec(ctx, `
DELETE FROM `+c+` c USING `+c+` s
 WHERE s.ancestor = $1 AND c.descendant = s.descendant
   AND c.ancestor NOT IN (SELECT descendant FROM `+c+` WHERE ancestor = $1)`, oid)
	if err == nil && !parent.IsZero() {
		_, err = tx.Exec(ctx, `
INSERT INTO `+c+` (ancestor, descendant, depth)
SELECT a.ancestor, s.descendant, a.depth + s.depth + 1
  FROM `+c+` a JOIN `+c+` s ON a.descendant = $2 AND s.ancestor = $1
ON CONFLICT DO NOTHING`, oid, uuid.UUID(parent))
	}
	if err != nil {
		return fmt.Errorf("orgs: moving %s: %w", id, err)
	}
	return nil
}

// recompute derives valid_to of one key's history from its change points.
// The outer row is restricted to the key as well: joined by event id
// alone, the planner scanned the whole table for every event, which made a
// rebuild quadratic in the number of dossiers.
func recompute(ctx context.Context, tx pgx.Tx, table, key string, id uuid.UUID) error {
	_, err := tx.Exec(ctx, `
UPDATE `+table+` h SET valid_to = n.next
  FROM (SELECT event_id, lead(valid_from) OVER (ORDER BY valid_from, position) AS next
          FROM `+table+` WHERE `+key+` = $1) n
 WHERE h.`+key+` = $1 AND h.event_id = n.event_id AND h.valid_to IS DISTINCT FROM n.next`, id)
	if err != nil {
		return fmt.Errorf("orgs: %s history of %s: %w", table, id, err)
	}
	return nil
}

// applyDossier records a change of the org managing a dossier.
func applyDossier(ctx context.Context, tx pgx.Tx, t projections.Tables, id uuid.UUID, ev eventstore.Event, e domain.Event) error {
	m := t.Name(ManagementView)
	eff, pos := effective(ev), ev.Position.String()
	var (
		to    *uuid.UUID
		cause string
	)
	switch e := e.(type) {
	case dossier.Created:
		to, cause = nullOrg(e.ManagingOrg), "created"
	case dossier.TransferReceived:
		if e.Kind == dossier.TransferOutOfProvince {
			cause = "transferred_out"
			break
		}
		if e.ManagingOrg.IsZero() {
			return nil
		}
		var cur *uuid.UUID
		err := tx.QueryRow(ctx, `SELECT org_id FROM `+m+` WHERE dossier_id = $1 ORDER BY valid_from DESC, position DESC LIMIT 1`, id).Scan(&cur)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("orgs: dossier %s: %w", id, err)
		}
		if cur != nil && *cur == uuid.UUID(e.ManagingOrg) {
			return nil // an internal transfer: same org, another unit
		}
		to, cause = nullOrg(e.ManagingOrg), "transfer"
	case dossier.ManagingOrgChanged:
		to, cause = nullOrg(e.ToOrg), "reassigned"
	case dossier.StatusChanged:
		if e.Status != dossier.StatusTransferredOut {
			return nil // archived, still kept by its org
		}
		cause = "transferred_out"
	case dossier.Corrected:
		if !e.Reactivate {
			return nil
		}
		// Reactivation undoes the revocation it corrects: as of the
		// revocation's own effective date, placed after it, the org that lost
		// the dossier has it again (as dossier.ReplayEffectiveOn folds it).
		var from time.Time
		err := tx.QueryRow(ctx, `
SELECT r.valid_from, (SELECT p.org_id FROM `+m+` p WHERE p.dossier_id = r.dossier_id
                         AND (p.valid_from, p.position) < (r.valid_from, r.position)
                       ORDER BY p.valid_from DESC, p.position DESC LIMIT 1)
  FROM `+m+` r WHERE r.event_id = $1 AND r.org_id IS NULL`, e.Corrects).Scan(&from, &to)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && to == nil {
			return nil // it corrected an archiving that kept management
		}
		if err != nil {
			return fmt.Errorf("orgs: dossier %s: %w", id, err)
		}
		eff, cause = from, "reactivated"
	default:
		return nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO `+m+` (event_id, dossier_id, org_id, valid_from, position, cause)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`, ev.ID, id, to, eff, pos, cause)
	if err != nil {
		return fmt.Errorf("orgs: dossier %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	return recompute(ctx, tx, m, "dossier_id", id)
}

func nullOrg(o domain.OrgID) *uuid.UUID {
	if o.IsZero() {
		return nil
	}
	u := uuid.UUID(o)
	return &u
}

func sameOrg(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func streamUUID(stream, prefix string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, prefix)
	if !ok {
		return uuid.Nil, false
	}
	u, err := uuid.Parse(rest)
	return u, err == nil && u != uuid.Nil
}

// decisionJSON is the event's source document as stored in a read model
// ({} when the envelope has none).
func decisionJSON(ev eventstore.Event) []byte {
	d := eventstore.SourceDocument{}
	if ev.Meta.SourceDocument != nil {
		d = *ev.Meta.SourceDocument
	}
	b, _ := json.Marshal(d) // a struct of strings always encodes
	return b
}
