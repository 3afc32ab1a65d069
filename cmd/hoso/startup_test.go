package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// TestServeReportsEveryProblemAtStart: the problems found after the
// variables parse (a delivery without its keys, an HSM that does not
// open) are reported together, one line each, with exit 2, and the
// database is never contacted (it does not exist).
func TestServeReportsEveryProblemAtStart(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		return map[string]string{
			"HOSO_DATABASE_URL":    "postgres://127.0.0.1:1/nowhere?connect_timeout=1",
			"HOSO_PERSONAL_ID_KEY": "a-personal-id-key-of-at-least-32-bytes!",
			"HOSO_NATIONAL_URL":    "https://csdl.example/packages",
			"HOSO_NATS_URL":        "nats://127.0.0.1:1",
			"HOSO_KEK_PKCS11":      "module=/nonexistent/libsofthsm2.so;token=hoso;key=kek",
			"HOSO_KEK_PKCS11_PIN":  "1234",
		}[k]
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve"}, getenv, strings.NewReader(""), &out, &errOut)
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	want := []string{"hoso serve: HOSO_NATIONAL_URL is set but HOSO_SYNC_KEY is not",
		"hoso serve: HOSO_NATIONAL_URL is set but HOSO_CHECKPOINT_KEY is not", "hoso serve: HOSO_KEK_PKCS11: "}
	if code != 2 || len(lines) != len(want) || out.Len() != 0 {
		t.Fatalf("serve = exit %d\n%s\nwant 2 and %d problems", code, errOut.String(), len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want %q…", i, lines[i], w)
		}
	}
	if strings.Contains(errOut.String(), "connect") {
		t.Errorf("the database was contacted before the configuration was whole: %s", errOut.String())
	}
}

// sealedDossiers appends two dossiers' creations sealed under kek; it
// returns their ids.
func sealedDossiers(t *testing.T, pool *pgxpool.Pool, kek string) []domain.DossierID {
	t.Helper()
	ctx := context.Background()
	sealed, err := service.SealStore(ctx, pool, postgres.New(pool, postgres.Options{}), mustKEK(t, kek))
	if err != nil {
		t.Fatal(err)
	}
	var ids []domain.DossierID
	for i := range 2 {
		id := domain.DossierID(uuid.Must(uuid.NewV7()))
		org := domain.OrgID(uuid.Must(uuid.NewV7()))
		e := dossier.Created{DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org,
			PersonalIDNumber: []string{"079080123456", "079080654321"}[i],
			Identity:         dossier.Identity{BirthName: "Nguyễn Thị Hoa", Gender: dossier.GenderFemale, Ethnicity: "01"}}
		if _, err := (ledger.Ledger{Store: sealed}).Append(ctx, id.StreamID(), eventstore.NoStream,
			domain.Meta{EffectiveDate: domain.MustDate(2026, 6, 1)}, []domain.Event{e}, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func count(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestServeRefusesAWrongKEK: against a ledger whose data keys another KEK
// wrapped, `hoso serve` stops at start with exit 1 and says which key is
// missing; it appends no event and starts nothing (no health report).
func TestServeRefusesAWrongKEK(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.New(t)
	sealedDossiers(t, pool, testKEK)
	other, _ := seal.GenerateKEK()
	events := count(t, pool, `SELECT count(*) FROM events`)
	getenv := func(k string) string {
		return map[string]string{"HOSO_DATABASE_URL": url, "HOSO_PERSONAL_ID_KEY": importKey, "HOSO_KEK": other,
			"HOSO_LISTEN": "127.0.0.1:0"}[k]
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve"}, getenv, strings.NewReader(""), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "hoso serve: HOSO_KEK does not open the data keys wrapped under") ||
		strings.Contains(out.String(), "listening") {
		t.Fatalf("serve under a wrong KEK = %d\n%s%s", code, out.String(), errOut.String())
	}
	if n := count(t, pool, `SELECT count(*) FROM events`); n != events {
		t.Errorf("%d events after the refused start, want %d", n, events)
	}
	if n := count(t, pool, `SELECT count(*) FROM health_intervals`); n != 0 {
		t.Errorf("the refused process reported its health %d times", n)
	}
}

// TestFailedUnwrapAppendsNothing: on PostgreSQL, when a dossier's data key
// no longer opens (its wrapped bytes damaged), a write to that dossier
// fails with seal.ErrKey, appends no event, and does not mint a new data
// key over the old one (which would orphan the dossier's history).
func TestFailedUnwrapAppendsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	ids := sealedDossiers(t, pool, testKEK)
	target := ids[1]
	pgtest.Tamper(t, pool, `UPDATE data_keys SET wrapped = set_byte(wrapped, 20, get_byte(wrapped, 20) # 1) WHERE scope = '`+target.StreamID()+`'`)
	var before []byte
	if err := pool.QueryRow(ctx, `SELECT wrapped FROM data_keys WHERE scope = $1`, target.StreamID()).Scan(&before); err != nil {
		t.Fatal(err)
	}
	// A fresh process's keyring: nothing cached from the writes above.
	store := seal.NewStore(postgres.New(pool, postgres.Options{}), seal.NewKeyring(pgadapter.NewDataKeys(pool), mustKEK(t, testKEK), 0),
		dossier.SensitivePayloadPaths, service.SealedStreams)
	l := ledger.Ledger{Store: store}
	events := count(t, pool, `SELECT count(*) FROM events`)
	change := dossier.Created{DossierID: target, Class: dossier.ClassCongChuc, PersonalIDNumber: "079080999999",
		Identity: dossier.Identity{BirthName: "Nguyễn Thị Hoa", Gender: dossier.GenderFemale, Ethnicity: "01"}}
	_, err := l.Append(ctx, target.StreamID(), eventstore.Exactly(1), domain.Meta{EffectiveDate: domain.MustDate(2026, 6, 2)}, []domain.Event{change}, nil)
	if !errors.Is(err, seal.ErrKey) {
		t.Fatalf("append under a damaged data key = %v, want seal.ErrKey", err)
	}
	if _, err := l.Load(ctx, target.StreamID(), dossier.Decode); !errors.Is(err, seal.ErrKey) {
		t.Errorf("load under a damaged data key = %v, want seal.ErrKey", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM events`); n != events {
		t.Errorf("%d events after the failed append, want %d", n, events)
	}
	var after []byte
	if err := pool.QueryRow(ctx, `SELECT wrapped FROM data_keys WHERE scope = $1`, target.StreamID()).Scan(&after); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the damaged data key was replaced (%v): a new key would orphan the dossier's history", err)
	}
	// The other dossier is untouched: its key still opens.
	if _, err := l.Load(ctx, ids[0].StreamID(), dossier.Decode); err != nil {
		t.Errorf("the other dossier: %v", err)
	}
}
