package account

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/golden and the fuzz seeds from the samples")

// samples holds one filled-in event per stored type; the golden files pin
// their JSON so a renamed field or tag fails here before it reaches history.
var samples = func() map[string]domain.Event {
	var v domain.ValidationError
	cert, ok := parseCertificate(&v, testCertificate(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	if !ok {
		panic(v.Err())
	}
	return map[string]domain.Event{
		TypeCreated:               Created{Account: acct, Kind: KindPersonal, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", HomeOrg: home, Dossier: dossier},
		TypePasswordSet:           PasswordSet{By: acct},
		TypePasswordReset:         PasswordReset{By: admin},
		TypeRoleGranted:           RoleGranted{Grant: gid(1), Role: RoleHROfficer, Org: home, ValidUntil: day(2026, 12, 31), By: admin},
		TypeGrantExtended:         GrantExtended{Grant: gid(1), ValidUntil: day(2027, 12, 31)},
		TypeGrantRevoked:          GrantRevoked{Grant: gid(1), Reason: "thôi phụ trách công tác tổ chức"},
		TypeRestricted:            Restricted{Reason: "nghi vấn lộ mật khẩu"},
		TypeReinstated:            Reinstated{Reason: "đã đổi mật khẩu"},
		TypeClosed:                Closed{Reason: "chuyển công tác ra ngoài tỉnh"},
		TypeCertificateRegistered: cert,
		TypeCertificateRevoked:    CertificateRevoked{Fingerprint: cert.Fingerprint, Reason: "mất thiết bị ký số"},
		TypeAPIKeyIssued:          APIKeyIssued{KeyID: "key_01HZX3K9QF"},
		TypeAPIKeyRevoked:         APIKeyRevoked{KeyID: "key_01HZX3K9QF", Reason: "lộ khóa"},
		TypeOIDCLinked:            OIDCLinked{Link: gid(2), Issuer: "https://sso.hue.gov.vn/realms/hue", Subject: "f3c1a6e2-5b7d-4c1e-9a0b-2d4e6f8a1c3e", By: admin},
		TypeOIDCUnlinked:          OIDCUnlinked{Link: gid(2), Reason: "chuyển công tác, tài khoản SSO của tỉnh bị thu hồi"},
	}
}()

func TestGolden(t *testing.T) {
	t.Parallel()
	if len(samples) != len(EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(EventTypes()))
	}
	for _, typ := range EventTypes() {
		e, ok := samples[typ]
		if !ok {
			t.Fatalf("no sample for %s", typ)
		}
		if e.EventType() != typ {
			t.Fatalf("sample for %s says %s", typ, e.EventType())
		}
		got, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", typ+".json")
		if *update {
			writeFile(t, path, got)
			compact, _ := json.Marshal(e)
			seed := "go test fuzz v1\nstring(" + strconv.Quote(typ) + ")\n[]byte(" + strconv.Quote(string(compact)) + ")\n"
			writeFile(t, filepath.Join("testdata", "fuzz", "FuzzDecode", typ), []byte(seed))
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s stored shape changed:\n got %s\nwant %s", typ, got, want)
		}
		back, err := Decode(typ, want)
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Errorf("Decode(%s, golden) = %#v, %v; want %#v", typ, back, err, e)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ typ, data string }{
		{"account.created.v9", `{}`},
		{"", `{}`},
		{TypeCreated, `{"account_id": 7}`},
		{TypeCreated, `{"home_org": "not-a-uuid"}`},
		{TypeRoleGranted, `{"valid_until": "2025-02-30"}`},
		{TypeCertificateRegistered, `{"not_after": "yesterday"}`},
		{TypeClosed, `[`},
	} {
		if _, err := Decode(c.typ, []byte(c.data)); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Decode(%q, %q) err = %v, want ErrInvalid", c.typ, c.data, err)
		}
	}
}

// FuzzDecode: Decode never panics, refuses only with ErrInvalid, and what
// it accepts survives an encode/decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	for typ, e := range samples {
		b, _ := json.Marshal(e)
		f.Add(typ, b)
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		e, err := Decode(typ, data)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Decode err = %v, want ErrInvalid", err)
			}
			return
		}
		if e.EventType() != typ {
			t.Fatalf("Decode(%q) gave a %s", typ, e.EventType())
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(typ, b)
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip: %#v, %v; want %#v", again, err, e)
		}
	})
}
