package dossier

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

func TestEnums(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"can_bo", "cong_chuc", "vien_chuc", "nguoi_lao_dong"} {
		c, err := ParseClass(s)
		if err != nil || c.String() != s {
			t.Errorf("ParseClass(%q) = %v, %v", s, c, err)
		}
	}
	for _, s := range []string{"", "CONG_CHUC", "officer"} {
		if _, err := ParseClass(s); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParseClass(%q) err = %v, want ErrInvalid", s, err)
		}
	}
	var c Class
	if err := json.Unmarshal([]byte(`"boss"`), &c); err == nil {
		t.Error("a Class decoded from an unknown name")
	}
	if _, err := ParseStatus("fired"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("ParseStatus(fired) err = %v", err)
	}
	if _, err := ParseTransferKind("abroad"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("ParseTransferKind(abroad) err = %v", err)
	}
	if StatusActive.Archived() || !StatusRetired.Archived() || (Status{}).Archived() {
		t.Error("Status.Archived is wrong")
	}
}

func TestCoefficient(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Coefficient{"2.34": 234, "2.3": 230, "10": 1000, "0.05": 5, "0": 0} {
		got, err := ParseCoefficient(in)
		if err != nil || got != want {
			t.Errorf("ParseCoefficient(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2.345", "-1", "+1", "1.", ".5", "1e2", "abc", "1234567"} {
		if _, err := ParseCoefficient(in); err == nil {
			t.Errorf("ParseCoefficient(%q) accepted", in)
		}
	}
	b, _ := json.Marshal(struct{ C Coefficient }{234})
	if string(b) != `{"C":2.34}` {
		t.Errorf("Marshal = %s", b)
	}
	var v struct{ C Coefficient }
	if err := json.Unmarshal([]byte(`{"C":4.4}`), &v); err != nil || v.C != 440 {
		t.Errorf("Unmarshal = %v, %v", v.C, err)
	}
	if err := json.Unmarshal([]byte(`{"C":"4.4"}`), &v); err == nil {
		t.Error("a string coefficient decoded")
	}
}

func TestYearMonth(t *testing.T) {
	t.Parallel()
	var v YearMonth
	if err := v.UnmarshalText([]byte("2019-09")); err != nil || v != MustYearMonth(2019, time.September) || v.String() != "2019-09" {
		t.Errorf("UnmarshalText(2019-09) = %v, %v", v, err)
	}
	for _, in := range []string{"2019-13", "19-09", "2019/09", "1899-01"} {
		if err := v.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted", in)
		}
	}
	if !MustYearMonth(2019, 1).Before(MustYearMonth(2019, 2)) || MustYearMonth(2020, 1).Before(MustYearMonth(2019, 12)) {
		t.Error("Before is wrong")
	}
}

func TestPersonalIDDigest(t *testing.T) {
	t.Parallel()
	d := mustReplay(t, given(created()))
	if d.PersonalIDNumber() != personalID || d.PersonalIDDigest() != PersonalIDDigest(personalID) || len(d.PersonalIDDigest()) != 64 {
		t.Fatalf("digest = %q", d.PersonalIDDigest())
	}
	if PersonalIDDigest("001090012346") == d.PersonalIDDigest() {
		t.Fatal("different numbers share a digest")
	}
}
