package accounts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/vntext"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections"
)

// View names.
const (
	// AccountsView: one row per account.
	AccountsView = "accounts"
	// GrantsView: one row per grant.
	GrantsView = "account_grants"
)

// Name is the projection's stable name.
const Name = "accounts"

// Projection is the list of accounts. It implements projections.Projection.
type Projection struct{}

// New returns the accounts projection.
func New() *Projection { return &Projection{} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Version implements projections.Projection.
func (*Projection) Version() int { return 1 }

// Views implements projections.Projection.
func (*Projection) Views() []string { return []string{AccountsView, GrantsView} }

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, t projections.Tables) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
    account_id   uuid   PRIMARY KEY,
    version      bigint NOT NULL,   -- stream version of the last event applied
    kind         text   NOT NULL,
    username     text   COLLATE "C" NOT NULL,
    display_name text   NOT NULL,
    folded       text   NOT NULL,   -- vntext.Fold(username || ' ' || display_name)
    home_org     uuid   NOT NULL,
    dossier_id   uuid,
    status       text   NOT NULL,   -- active, restricted, closed
    created_on   date   NOT NULL
);
CREATE INDEX %[3]s ON %[1]s (home_org, username);
CREATE TABLE %[2]s (
    grant_id    uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    role        text NOT NULL,
    org_id      uuid,
    dossier_id  uuid,
    valid_from  date NOT NULL,
    valid_until date,               -- inclusive; NULL: open-ended
    revoked_on  date                -- not in force from this date
);
CREATE INDEX %[4]s ON %[2]s (account_id);`,
		t.Name(AccountsView), t.Name(GrantsView), t.Name("accounts_home_org"), t.Name("account_grants_account")))
	return err
}

// Apply implements projections.Projection. It is idempotent: rows are keyed
// by account and grant, the account's state only moves forward by stream
// version, and a grant's revocation keeps its first date.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, t projections.Tables, ev eventstore.Event) error {
	if !strings.HasPrefix(ev.Type, "account.") {
		return nil
	}
	rest, _ := strings.CutPrefix(ev.StreamID, "account-")
	id, err := uuid.Parse(rest)
	if err != nil || id == uuid.Nil {
		return nil // not an account stream this release knows
	}
	e, err := account.Decode(ev.Type, ev.Data)
	if err != nil {
		for _, known := range account.EventTypes() {
			if known == ev.Type {
				return fmt.Errorf("accounts: %w", err)
			}
		}
		return nil // a type this release does not know
	}
	a, g := t.Name(AccountsView), t.Name(GrantsView)
	eff := effective(ev)
	var (
		sql  string
		args []any
	)
	switch e := e.(type) {
	case account.Created:
		var dossierID *uuid.UUID
		if !e.Dossier.IsZero() {
			d := uuid.UUID(e.Dossier)
			dossierID = &d
		}
		sql = `INSERT INTO ` + a + ` (account_id, version, kind, username, display_name, folded, home_org, dossier_id, status, created_on)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9) ON CONFLICT (account_id) DO NOTHING`
		args = []any{id, ev.Version, string(e.Kind), e.Username, e.DisplayName, vntext.Fold(e.Username + " " + e.DisplayName),
			uuid.UUID(e.HomeOrg), dossierID, eff}
	case account.Restricted:
		sql = `UPDATE ` + a + ` SET status = CASE WHEN status = 'closed' THEN status ELSE 'restricted' END, version = $2 WHERE account_id = $1 AND version < $2`
		args = []any{id, ev.Version}
	case account.Reinstated:
		sql = `UPDATE ` + a + ` SET status = CASE WHEN status = 'closed' THEN status ELSE 'active' END, version = $2 WHERE account_id = $1 AND version < $2`
		args = []any{id, ev.Version}
	case account.Closed:
		sql = `UPDATE ` + a + ` SET status = 'closed', version = $2 WHERE account_id = $1 AND version < $2`
		args = []any{id, ev.Version}
	case account.RoleGranted:
		sql = `INSERT INTO ` + g + ` (grant_id, account_id, role, org_id, dossier_id, valid_from, valid_until)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (grant_id) DO NOTHING`
		args = []any{e.Grant, id, string(e.Role), optionalUUID(uuid.UUID(e.Org)), optionalUUID(uuid.UUID(e.Dossier)), eff, optionalDate(e.ValidUntil)}
	case account.GrantExtended:
		sql = `UPDATE ` + g + ` SET valid_until = $2 WHERE grant_id = $1`
		args = []any{e.Grant, optionalDate(e.ValidUntil)}
	case account.GrantRevoked:
		sql = `UPDATE ` + g + ` SET revoked_on = $2 WHERE grant_id = $1 AND revoked_on IS NULL`
		args = []any{e.Grant, eff}
	}
	if sql != "" {
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("accounts: %s: %w", ev.Type, err)
		}
	}
	// Every event moves the version, so that the list's version is the
	// account's (the If-Match of the next act).
	if _, err := tx.Exec(ctx, `UPDATE `+a+` SET version = $2 WHERE account_id = $1 AND version < $2`, id, ev.Version); err != nil {
		return fmt.Errorf("accounts: %s: %w", ev.Type, err)
	}
	return nil
}

// effective is the date an event takes effect: the envelope's effective
// date, else the recorded date (a damaged envelope stays applicable).
func effective(ev eventstore.Event) time.Time {
	if t, err := time.Parse(time.DateOnly, ev.Meta.EffectiveDate); err == nil {
		return t
	}
	d := domain.DateOf(ev.Meta.RecordedAt)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func optionalUUID(u uuid.UUID) *uuid.UUID {
	if u == uuid.Nil {
		return nil
	}
	return &u
}

func optionalDate(d domain.Date) *time.Time {
	if d.IsZero() {
		return nil
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return &t
}
