package org

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// TestCreateWithHistoricalFounding: go-live (issue 14). A deployment that
// goes live on 1/12/2026 records a provincial department founded on
// 1/4/2008 with that date, marked as imported; the founding date bounds
// every later change (checkChange, "before_creation"), and the founding
// itself is bounded by 2/9/1945 and, when imported, by the day it is
// recorded.
func TestCreateWithHistoricalFounding(t *testing.T) {
	id := domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-0000000000a1"))
	c := CreateOrg{Name: "Sở Y tế tỉnh Đồng Tháp", Code: "SYT", Kind: KindDepartment, Level: LevelProvince}
	goLive := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	at := func(eff domain.Date, imported string) domain.Meta {
		m := meta(eff)
		m.RecordedAt, m.ImportedFrom = goLive, imported
		return m
	}

	if _, err := Create(id, at(day(2008, 4, 1), "PMIS Sở Nội vụ"), c); err != nil {
		t.Fatalf("founding on 2008-04-01, imported: %v", err)
	}
	if _, err := Create(id, at(day(1945, 9, 2), ""), c); err != nil {
		t.Fatalf("founding on 1945-09-02: %v", err)
	}
	// A live founding may take effect later than it is recorded (a
	// reorganisation decided in June, effective 1 July); an imported one
	// may not.
	if _, err := Create(id, at(day(2027, 1, 1), ""), c); err != nil {
		t.Fatalf("live founding effective 2027-01-01: %v", err)
	}
	for _, tc := range []struct {
		name  string
		m     domain.Meta
		field string
		rule  string
	}{
		{"before 2/9/1945", at(day(1945, 9, 1), ""), "effective_date", "before_1945"},
		{"imported from the future", at(day(2026, 12, 2), "PMIS"), "imported_from", "imported_future"},
		{"import source on two lines", at(day(2008, 4, 1), "PMIS\nexport"), "imported_from", "control_character"},
	} {
		_, err := Create(id, tc.m, c)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: Create = %v, want a validation error", tc.name, err)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			if p.Field == tc.field && (p.Rule == tc.rule || tc.rule == "control_character") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: problems %+v, want %s/%s", tc.name, ve.Problems, tc.field, tc.rule)
		}
	}

	// The invariant stays: nothing about the org is effective before it
	// was founded, however far back the founding goes.
	o := given(t, step{Created{Org: id, Name: c.Name, Code: c.Code, Kind: c.Kind, Level: c.Level}, day(2008, 4, 1)})
	if _, err := o.Rename(at(day(2008, 3, 31), "PMIS"), "Sở Y tế", ""); !hasRule(err, "before_creation") {
		t.Errorf("rename effective 2008-03-31 of an org founded 2008-04-01: %v, want before_creation", err)
	}
	if _, err := o.Rename(at(day(2010, 1, 1), "PMIS"), "Sở Y tế", ""); err != nil {
		t.Errorf("rename effective 2010-01-01, imported: %v", err)
	}
}
