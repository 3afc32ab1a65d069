package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/policy"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

var (
	dossierA  = domain.DossierID(uuid.MustParse("01890000-0000-7000-8000-00000000000a"))
	consentID = uuid.MustParse("01890000-0000-7000-8000-0000000c0001")
	inspOrg   = domain.OrgID(uuid.MustParse("01890000-0000-7000-8000-0000000000a1"))
	inspUnit  = domain.OrgID(uuid.MustParse("01890000-0000-7000-8000-0000000000a2"))
	otherOrg  = domain.OrgID(uuid.MustParse("01890000-0000-7000-8000-0000000000b1"))
	inspector = domain.AccountID(uuid.MustParse("01890000-0000-7000-8000-0000000000c1"))
	stranger  = domain.AccountID(uuid.MustParse("01890000-0000-7000-8000-0000000000c2"))
	form      = domain.SourceDocument{Kind: "form", Number: "01/GĐY-2026", Date: day("2026-12-01"), Issuer: "Nguyễn Thị Hoà"}
)

var samples = map[string]domain.Event{
	TypeRecorded: Recorded{ConsentID: consentID, DossierID: dossierA, Purposes: []policy.Purpose{policy.PurposeStatistics, policy.PurposeTransfer},
		Scope: ScopeView, Recipient: "Viện Khoa học Tổ chức nhà nước", RecipientOrg: inspOrg, Form: form,
		ValidFrom: day("2026-12-01"), ValidUntil: day("2027-11-30"), BySubject: true},
	TypeWithdrawn: Withdrawn{ConsentID: consentID, DossierID: dossierA, BySubject: true},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	if len(samples) != len(EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(EventTypes()))
	}
	for _, typ := range EventTypes() {
		got, err := json.MarshalIndent(samples[typ], "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", typ+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s stored shape changed:\n got %s\nwant %s", typ, got, want)
		}
		back, err := Decode(typ, want)
		if err != nil {
			t.Fatalf("Decode(%s) = %v", typ, err)
		}
		if !reflect.DeepEqual(back, samples[typ]) {
			t.Errorf("Decode(%s) = %#v, want %#v", typ, back, samples[typ])
		}
	}
}

// TestDecodeBeforeRecipientIDs: a consent stored before recipient_org and
// recipient_account existed still decodes, and names every reader.
func TestDecodeBeforeRecipientIDs(t *testing.T) {
	t.Parallel()
	old := `{"consent_id":"01890000-0000-7000-8000-0000000c0001","dossier_id":"01890000-0000-7000-8000-00000000000a",` +
		`"purposes":["statistics"],"scope":"view","recipient":"Thanh tra tỉnh",` +
		`"form":{"kind":"form","number":"01/GĐY-2026","date":"2026-12-01","issuer":"Nguyễn Thị Hoà"},"valid_from":"2026-12-01","by_subject":false}`
	e, err := Decode(TypeRecorded, []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	r := e.(Recorded)
	if !r.RecipientOrg.IsZero() || !r.RecipientAccount.IsZero() || r.Recipient != "Thanh tra tỉnh" {
		t.Errorf("Decode(old) = %+v", r)
	}
	if !r.Names(Reader{Account: stranger, Orgs: []domain.OrgID{otherOrg}}) {
		t.Error("a consent naming its recipient only as text refuses a reader")
	}
}

func TestRecordRules(t *testing.T) {
	t.Parallel()
	today := day("2026-12-07")
	good := samples[TypeRecorded].(Recorded)
	for _, tc := range []struct {
		name   string
		edit   func(*Recorded)
		fields []string
	}{
		{"good", func(*Recorded) {}, nil},
		{"no purpose", func(r *Recorded) { r.Purposes = nil }, []string{"purposes"}},
		{"personnel", func(r *Recorded) { r.Purposes = []policy.Purpose{policy.PurposePersonnel} }, []string{"purposes/0"}},
		{"twice", func(r *Recorded) { r.Purposes = []policy.Purpose{policy.PurposeCourt, policy.PurposeCourt} }, []string{"purposes/1"}},
		{"zero purpose", func(r *Recorded) { r.Purposes = []policy.Purpose{{}} }, []string{"purposes/0"}},
		{"scope", func(r *Recorded) { r.Scope = "all" }, []string{"scope"}},
		{"no form", func(r *Recorded) { r.Form = domain.SourceDocument{} }, []string{"form"}},
		{"form without number", func(r *Recorded) { r.Form.Number = "" }, []string{"form/number"}},
		{"no start", func(r *Recorded) { r.ValidFrom = domain.Date{} }, []string{"valid_from"}},
		{"ends before it starts", func(r *Recorded) { r.ValidUntil = day("2026-11-01") }, []string{"valid_until"}},
		{"already ended", func(r *Recorded) {
			r.ValidFrom, r.ValidUntil = day("2026-01-01"), day("2026-12-06")
		}, []string{"valid_until"}},
		{"recipient control character", func(r *Recorded) { r.Recipient = "Thanh tra\x00" }, []string{"recipient"}},
		{"recipient account alone", func(r *Recorded) { r.RecipientOrg, r.RecipientAccount = domain.OrgID{}, inspector }, nil},
		{"no recipient id", func(r *Recorded) { r.RecipientOrg = domain.OrgID{} }, nil},
		{"recipient org and account", func(r *Recorded) { r.RecipientAccount = inspector }, []string{"recipient_account"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := good
			r.Purposes = append([]policy.Purpose(nil), good.Purposes...)
			tc.edit(&r)
			_, err := Record(r, today)
			var got []string
			var v *domain.ValidationError
			if errors.As(err, &v) {
				for _, p := range v.Problems {
					got = append(got, p.Field)
				}
			} else if err != nil {
				t.Fatalf("Record = %v, not a validation error", err)
			}
			if !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("Record(%s) problems at %v, want %v", tc.name, got, tc.fields)
			}
		})
	}
}

func TestCoveringAndWithdrawal(t *testing.T) {
	t.Parallel()
	rec := samples[TypeRecorded].(Recorded)
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	history := []domain.Recorded{{ID: uuid.MustParse("01890000-0000-7000-8000-0000000e0001"), Version: 1,
		Meta: domain.Meta{RecordedAt: at("2026-12-01T03:00:00Z")}, Event: rec}}
	cs := Replay(history)
	for _, tc := range []struct {
		purpose policy.Purpose
		need    Scope
		day     string
		want    bool
	}{
		{policy.PurposeStatistics, ScopeView, "2026-12-01", true},
		{policy.PurposeTransfer, ScopeView, "2027-11-30", true},
		{policy.PurposeStatistics, ScopeView, "2027-12-01", false}, // ended
		{policy.PurposeStatistics, ScopeView, "2026-11-30", false}, // not yet
		{policy.PurposeStatistics, ScopeCopy, "2026-12-05", false}, // view only
		{policy.PurposeInspection, ScopeView, "2026-12-05", false}, // another purpose
	} {
		c, ok := cs.Covering(tc.purpose, tc.need, day(tc.day), Reader{Account: inspector, Orgs: []domain.OrgID{inspOrg}})
		if ok != tc.want {
			t.Errorf("Covering(%s, %s, %s) = %v, want %v", tc.purpose, tc.need, tc.day, ok, tc.want)
		}
		if ok && c.EventID != history[0].ID {
			t.Errorf("Covering cites event %s, want %s", c.EventID, history[0].ID)
		}
	}
	w, err := cs.Withdraw(consentID, dossierA, true)
	if err != nil {
		t.Fatal(err)
	}
	history = append(history, domain.Recorded{ID: uuid.New(), Version: 2, Meta: domain.Meta{RecordedAt: at("2026-12-05T03:00:00Z")}, Event: w})
	cs = Replay(history)
	if _, ok := cs.Covering(policy.PurposeStatistics, ScopeView, day("2026-12-06"), Reader{Account: inspector, Orgs: []domain.OrgID{inspOrg}}); ok {
		t.Error("a withdrawn consent still covers reads")
	}
	if _, err := cs.Withdraw(consentID, dossierA, false); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("second withdrawal = %v, want ErrConflict", err)
	}
	if _, err := cs.Withdraw(uuid.New(), dossierA, false); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("withdrawal of an unknown consent = %v, want ErrNotFound", err)
	}
	if got := cs.Version(); got != 2 {
		t.Errorf("Version = %d, want 2", got)
	}
}

// TestCoveringNamesTheRecipient: a consent given to an org covers the
// readers of that org and of the orgs under it; one given to an account
// covers that account only; one that names nobody by id covers anyone.
func TestCoveringNamesTheRecipient(t *testing.T) {
	t.Parallel()
	at, _ := time.Parse(time.RFC3339, "2026-12-01T03:00:00Z")
	base := samples[TypeRecorded].(Recorded)
	ofOrg := base
	toAccount := base
	toAccount.RecipientOrg, toAccount.RecipientAccount = domain.OrgID{}, inspector
	anyone := base
	anyone.RecipientOrg = domain.OrgID{}
	var (
		memberOfOrg  = Reader{Account: stranger, Orgs: []domain.OrgID{inspOrg}}
		memberOfUnit = Reader{Account: stranger, Orgs: []domain.OrgID{inspUnit, inspOrg}} // a division of the org
		theInspector = Reader{Account: inspector, Orgs: []domain.OrgID{otherOrg}}
		outsider     = Reader{Account: stranger, Orgs: []domain.OrgID{otherOrg}}
		nobody       = Reader{}
	)
	for _, tc := range []struct {
		name   string
		rec    Recorded
		reader Reader
		want   bool
	}{
		{"org: a member", ofOrg, memberOfOrg, true},
		{"org: a member of a division", ofOrg, memberOfUnit, true},
		{"org: an account of another org", ofOrg, outsider, false},
		{"org: the named account is no member", ofOrg, theInspector, false},
		{"org: a reader with no org", ofOrg, nobody, false},
		{"account: that account", toAccount, theInspector, true},
		{"account: a colleague of the same org", toAccount, memberOfOrg, false},
		{"account: another", toAccount, outsider, false},
		{"no id: anyone", anyone, outsider, true},
		{"no id: a reader with no org", anyone, nobody, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := Replay([]domain.Recorded{{ID: uuid.New(), Version: 1, Meta: domain.Meta{RecordedAt: at}, Event: tc.rec}})
			if _, ok := cs.Covering(policy.PurposeStatistics, ScopeView, day("2026-12-02"), tc.reader); ok != tc.want {
				t.Errorf("Covering(reader %+v) = %v, want %v", tc.reader, ok, tc.want)
			}
		})
	}
	// Of two consents, one to another org, the one naming the reader is cited.
	other := base
	other.ConsentID, other.RecipientOrg = uuid.New(), otherOrg
	first := uuid.New()
	cs := Replay([]domain.Recorded{
		{ID: first, Version: 1, Meta: domain.Meta{RecordedAt: at}, Event: ofOrg},
		{ID: uuid.New(), Version: 2, Meta: domain.Meta{RecordedAt: at}, Event: other},
	})
	if c, ok := cs.Covering(policy.PurposeStatistics, ScopeView, day("2026-12-02"), memberOfOrg); !ok || c.EventID != first {
		t.Errorf("Covering with two consents = %s, %v; want %s", c.EventID, ok, first)
	}
}

func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}
