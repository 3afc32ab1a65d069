package service_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// The sensitive values of the test's own dossier: each distinctive enough
// that finding it anywhere means it is stored in clear.
var knownSensitive = []string{
	"079080999001",                  // personal ID number
	"buu_son_ky_huong",              // religion (a catalogue code)
	`"ethnicity":"54"`,              // ethnicity (a catalogue code), as JSON holds it
	`"ethnicity": "54"`,             //
	"Cục Cảnh sát QLHC XK-PRIV",     // citizen ID issuer
	"Viêm gan B mạn tính XK-PRIV",   // health
	"Chi bộ Khoa Nội XK-PRIV",       // Party cell
	"PC-98765-XK",                   // Party card number
	"Bí thư chi bộ XK-PRIV",         // Party position
	"Lê Thị Hiền XK-PRIV",           // a family member
	"Bệnh viện K điều trị XK-PRIV",  // family details
	"Không bị bắt XK-PRIV-ARREST",   // personal history
	"SI-XK-7777777",                 // social insurance number
	"2011-11-11",                    // Party admission date (see allowedInClear)
	"Ung thư giai đoạn 2 XK-PRIV-2", // health, in a correction
}

// allowedInClear are the columns that keep a sensitive value in clear on
// purpose, with the reason; docs/privacy.md lists them too.
var allowedInClear = map[string]string{
	// The statistics count Party members on any date (BM02), in SQL over
	// every interval: the admission date stays a date column.
	"stats_intervals*.party_admitted_on=2011-11-11": "BM02 counts Party members as of any date",
}

// TestNoSensitiveValueInClear populates a database through the whole
// service (a demo province subset, written through the use cases, and a
// dossier with known sensitive values, written, corrected, read and
// searched through the HTTP API), then searches every column of every
// table (text and json as text, bytea as bytes) for those values and for
// the demo people's personal ID numbers, and finds them nowhere. The
// ledger still verifies without any key.
func TestNoSensitiveValueInClear(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Now()
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, domain.VietnamZone)
	env := apitest.Start(t, apitest.Options{Now: func() time.Time { return base.Add(time.Since(start)) }, AdminName: "quantri.test"})

	sum, err := demo.Run(ctx, ledger.Ledger{Store: env.Svc.Store}, demo.Config{Dossiers: 12, Seed: 5, Workers: 2, PersonalIDKey: apitest.PersonalIDKey})
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	if sum.Dossiers != 12 {
		t.Fatalf("demo wrote %d dossiers, want 12", sum.Dossiers)
	}

	org := env.Org("Sở Y tế", "000.00.02.T77", env.Root)
	env.Account("tccb.privacy", "Privacy@Test2026", account.KindOrg, account.RoleHROfficer, org)
	env.Account("thanhtra.privacy", "ThanhTra@Test2026", account.KindOrg, account.RoleInspector, env.Root)
	hr := env.Login("tccb.privacy", "Privacy@Test2026")
	inspector := env.Login("thanhtra.privacy", "ThanhTra@Test2026")
	doc := func(n string) map[string]any {
		return map[string]any{"kind": "decision", "number": n, "date": "2026-05-30", "issuer": "Sở Y tế"}
	}
	r := env.Do(http.MethodPost, "/api/v1/dossiers", hr, map[string]any{
		"class": "vien_chuc", "managing_org": org, "employing_unit": org, "personal_id_number": "079080999001",
		"identity": map[string]any{"birth_name": "Nguyễn Văn Riêng", "gender": "male", "date_of_birth": "1980-02-03",
			"ethnicity": "54", "religion": "buu_son_ky_huong", "citizen_id_issued_by": "Cục Cảnh sát QLHC XK-PRIV"},
		"effective_date": "2026-06-01", "source_document": doc("1/QĐ-SYT"),
	}, "Idempotency-Key", "privacy-create-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	var created struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	r.JSON(&created)
	version := fmt.Sprintf(`"%d"`, created.Version)
	write := func(method, path string, body map[string]any, want int) {
		t.Helper()
		r := env.Do(method, "/api/v1/dossiers/"+created.ID+path, hr, body, "If-Match", version, "Idempotency-Key", "privacy-"+version)
		if r.Status != want {
			t.Fatalf("%s %s = %d %s", method, path, r.Status, r.Body)
		}
		version = r.Header.Get("ETag")
	}
	write(http.MethodPatch, "", map[string]any{
		"patch": map[string]any{
			"health":           map[string]any{"status": "Viêm gan B mạn tính XK-PRIV", "height_cm": 170},
			"background":       map[string]any{"party_admitted_on": "2011-11-11"},
			"position":         map[string]any{"current": "Bác sĩ", "party": "Bí thư chi bộ XK-PRIV"},
			"party_unions":     map[string]any{"party_cell": "Chi bộ Khoa Nội XK-PRIV", "party_card_number": "PC-98765-XK"},
			"personal_history": map[string]any{"arrests": "Không bị bắt XK-PRIV-ARREST"},
			"insurance":        map[string]any{"social_insurance_number": "SI-XK-7777777"},
		},
		"effective_date": "2026-06-02", "source_document": doc("2/QĐ-SYT"),
	}, http.StatusOK)
	write(http.MethodPost, "/rows", map[string]any{
		"row": map[string]any{"table": "family", "family": map[string]any{
			"side": "own", "relation": "mẹ", "name": "Lê Thị Hiền XK-PRIV", "birth_year": 1955, "details": "Bệnh viện K điều trị XK-PRIV"}},
		"effective_date": "2026-06-02", "source_document": doc("3/QĐ-SYT"),
	}, http.StatusCreated)
	if err := env.Svc.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	var hist struct {
		Items []struct {
			EventID string `json:"event_id"`
			Type    string `json:"type"`
		} `json:"items"`
	}
	r = env.Do(http.MethodGet, "/api/v1/dossiers/"+created.ID+"/history", hr, nil)
	r.JSON(&hist)
	var updated string
	for _, it := range hist.Items {
		if it.Type == dossier.TypeSectionUpdated {
			updated = it.EventID
		}
	}
	if updated == "" {
		t.Fatalf("no section update in the history: %s", r.Body)
	}
	write(http.MethodPost, "/corrections", map[string]any{
		"corrects": updated,
		"patch":    map[string]any{"health": map[string]any{"status": "Ung thư giai đoạn 2 XK-PRIV-2", "height_cm": 170}},
		"reason":   "Nhập nhầm tình trạng sức khỏe", "source_document": doc("4/QĐ-SYT"),
	}, http.StatusCreated)

	// Reads and searches, as HR and as an inspector, by the sensitive filters.
	for _, q := range []string{"personal_id_number=079080999001", "ethnicity=54", "religion=buu_son_ky_huong"} {
		r := env.Do(http.MethodGet, "/api/v1/dossiers?"+q, hr, nil)
		var page struct {
			Items []struct {
				ID        string `json:"id"`
				Ethnicity string `json:"ethnicity"`
				Religion  string `json:"religion"`
			} `json:"items"`
		}
		if r.Status != http.StatusOK {
			t.Fatalf("search %s = %d %s", q, r.Status, r.Body)
		}
		r.JSON(&page)
		if !slices.ContainsFunc(page.Items, func(it struct {
			ID        string `json:"id"`
			Ethnicity string `json:"ethnicity"`
			Religion  string `json:"religion"`
		}) bool {
			return it.ID == created.ID && it.Ethnicity == "54" && it.Religion == "buu_son_ky_huong"
		}) {
			t.Errorf("search %s does not find the dossier with its codes: %s", q, r.Body)
		}
	}
	if err := env.Svc.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	r = env.Do(http.MethodGet, "/api/v1/dossiers/"+created.ID, hr, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Ung thư giai đoạn 2 XK-PRIV-2") || !strings.Contains(string(r.Body), `"personal_id_number":"079080999001"`) {
		t.Errorf("HR reads the dossier = %d %s; want the plaintext", r.Status, r.Body)
	}
	r = env.Do(http.MethodGet, "/api/v1/dossiers/"+created.ID+"/history", hr, nil, "X-Purpose", "kiểm tra")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Lê Thị Hiền XK-PRIV") {
		t.Errorf("HR reads the history = %d %s; want the plaintext diff", r.Status, r.Body)
	}
	r = env.Do(http.MethodGet, "/api/v1/dossiers/"+created.ID, inspector, nil, "X-Purpose", "thanh tra", "Hoso-Purpose", `inspection; ref="15/QD-TTr"`)
	if r.Status != http.StatusOK || strings.Contains(string(r.Body), "Viêm gan B") {
		t.Errorf("the inspector reads the dossier = %d %s; want it without the sensitive fields", r.Status, r.Body)
	}
	r = env.Do(http.MethodGet, "/api/v1/reports/headcount?org="+org.String()+"&as_of=2026-06-03&group_by=ethnicity&group_by=religion", hr, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"54"`) || !strings.Contains(string(r.Body), `"buu_son_ky_huong"`) {
		t.Errorf("headcount by ethnicity and religion = %d %s; want the codes back", r.Status, r.Body)
	}

	// The demo people's personal ID numbers, read back through the sealed
	// ledger (the raw one holds them sealed).
	values := slices.Clone(knownSensitive)
	evs, err := env.Svc.Store.ReadAll(ctx, eventstore.Start, 100000)
	if err != nil {
		t.Fatal(err)
	}
	demoPIDs := 0
	for _, ev := range evs {
		if ev.Type != dossier.TypeCreated {
			continue
		}
		e, err := dossier.Decode(ev.Type, ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		if n := e.(dossier.Created).PersonalIDNumber; n != "079080999001" {
			values = append(values, n)
			demoPIDs++
		}
	}
	if demoPIDs < 12 {
		t.Fatalf("found %d demo personal ID numbers, want at least 12", demoPIDs)
	}

	found := grepDatabase(t, env, values)
	for _, f := range found {
		if _, ok := allowedInClear[f]; ok {
			continue
		}
		t.Errorf("in clear: %s", f)
	}
	// The exact catalogue code in a text column (the tokens replaced them).
	for _, f := range textColumnsEqual(t, env, "54") {
		t.Errorf("in clear: ethnicity code in %s", f)
	}

	// The hash chains and the Merkle log verify on the stored (sealed) bytes,
	// with no key at all.
	rep, err := verify.Verify(ctx, env.Svc.RawStore, verify.Options{Tree: env.Svc.Tree})
	if err != nil || !rep.OK() {
		t.Errorf("verify without keys: %v %v", err, rep)
	}
	raw, err := env.Svc.RawStore.ReadStream(ctx, "dossier-"+created.ID, eventstore.ReadOptions{})
	if err != nil || !seal.IsSealed(raw[0].Data) {
		t.Errorf("the stored creation is not sealed: %v", err)
	}
}

type column struct{ table, name, typ string }

func columns(t *testing.T, env *apitest.Env) []column {
	t.Helper()
	rows, err := env.Svc.Pool.Query(context.Background(), `
SELECT c.table_name, c.column_name, c.data_type
  FROM information_schema.columns c
  JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
 WHERE c.table_schema = current_schema() AND tb.table_type = 'BASE TABLE'
 ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		err := r.Scan(&c.table, &c.name, &c.typ)
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 100 {
		t.Fatalf("only %d columns in the schema: not the whole database", len(cols))
	}
	return cols
}

// grepDatabase returns "table.column=value" for each value found in a
// column: bytea searched as bytes, everything else as its text form.
func grepDatabase(t *testing.T, env *apitest.Env, values []string) []string {
	t.Helper()
	ctx := context.Background()
	var found []string
	tables := map[string]bool{}
	for _, c := range columns(t, env) {
		tables[c.table] = true
		var sql string
		var arg any
		if c.typ == "bytea" {
			bs := make([][]byte, len(values))
			for i, v := range values {
				bs[i] = []byte(v)
			}
			sql, arg = fmt.Sprintf(`SELECT convert_from(v, 'UTF8') FROM unnest($1::bytea[]) v WHERE EXISTS (SELECT 1 FROM %s WHERE position(v in %s) > 0)`,
				pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.name}.Sanitize()), bs
		} else {
			sql, arg = fmt.Sprintf(`SELECT v FROM unnest($1::text[]) v WHERE EXISTS (SELECT 1 FROM %s WHERE strpos(%s::text, v) > 0)`,
				pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.name}.Sanitize()), values
		}
		rows, err := env.Svc.Pool.Query(ctx, sql, arg)
		if err != nil {
			t.Fatalf("%s.%s: %v", c.table, c.name, err)
		}
		hits, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s.%s: %v", c.table, c.name, err)
		}
		for _, h := range hits {
			found = append(found, generic(c.table)+"."+c.name+"="+h)
		}
	}
	for _, want := range []string{"events", "data_keys", "dossier_reads", "idempotency_keys"} {
		if !tables[want] {
			t.Errorf("table %s not searched", want)
		}
	}
	return found
}

// generic names a projection's generation table without its generation
// suffix (stats_intervals_g2 → stats_intervals*), for allowedInClear.
func generic(table string) string {
	if i := strings.LastIndex(table, "_g"); i > 0 && strings.Trim(table[i+2:], "0123456789") == "" && len(table) > i+2 {
		return table[:i] + "*"
	}
	return table
}

// textColumnsEqual returns the text columns holding exactly v somewhere.
func textColumnsEqual(t *testing.T, env *apitest.Env, v string) []string {
	t.Helper()
	var out []string
	for _, c := range columns(t, env) {
		if c.typ != "text" && c.typ != "character varying" {
			continue
		}
		var n int
		err := env.Svc.Pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s = $1`,
			pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.name}.Sanitize()), v).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			out = append(out, c.table+"."+c.name)
		}
	}
	return out
}
