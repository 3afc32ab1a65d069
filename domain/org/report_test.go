package org

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// TestSubmitReport: an org records the periodic report it sent (BT 13,
// HU 13, TG 15.5/16.8, BĐ III.2) with the file's digest and its dispatch.
func TestSubmitReport(t *testing.T) {
	t.Parallel()
	unit := step{Created{Org: self, Name: "Sở Y tế", Code: "S01", Kind: KindDepartment, Level: LevelProvince, Parent: p1}, day(2008, 1, 1)}
	const sha, other = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	sent := step{ReportSubmitted{Kind: "report_year", Period: "2026", SHA256: sha}, day(2026, 12, 10)}
	eff := day(2026, 12, 11)
	tests := []struct {
		name  string
		given []step
		when  func(*Org) ([]domain.Event, error)
		then  []domain.Event
		err   error
		rule  string
	}{
		{"TG 15.5 yearly report", []step{unit},
			func(o *Org) ([]domain.Event, error) { return o.SubmitReport(meta(eff), "report_year", "2026", sha) },
			[]domain.Event{ReportSubmitted{Kind: "report_year", Period: "2026", SHA256: sha}}, nil, ""},
		{"BĐ III.2 quarterly report", []step{unit},
			func(o *Org) ([]domain.Event, error) {
				return o.SubmitReport(meta(eff), "report_quarter", "2026-Q4", sha)
			},
			[]domain.Event{ReportSubmitted{Kind: "report_quarter", Period: "2026-Q4", SHA256: sha}}, nil, ""},
		{"another file is a resubmission", []step{unit, sent},
			func(o *Org) ([]domain.Event, error) { return o.SubmitReport(meta(eff), "report_year", "2026", other) },
			[]domain.Event{ReportSubmitted{Kind: "report_year", Period: "2026", SHA256: other}}, nil, ""},
		{"the same file twice", []step{unit, sent},
			func(o *Org) ([]domain.Event, error) { return o.SubmitReport(meta(eff), "report_year", "2026", sha) }, nil, domain.ErrConflict, "already_submitted"},
		{"not a report kind", []step{unit},
			func(o *Org) ([]domain.Event, error) { return o.SubmitReport(meta(eff), "create_dossier", "2026", sha) }, nil, domain.ErrInvalid, "kind"},
		{"a period the kind does not cover", []step{unit},
			func(o *Org) ([]domain.Event, error) { return o.SubmitReport(meta(eff), "report_quarter", "2026", sha) }, nil, domain.ErrInvalid, "period"},
		{"a digest that is none", []step{unit},
			func(o *Org) ([]domain.Event, error) { return o.SubmitReport(meta(eff), "report_year", "2026", "ABC") }, nil, domain.ErrInvalid, "sha256"},
		{"needs its dispatch", []step{unit},
			func(o *Org) ([]domain.Event, error) {
				m := meta(eff)
				m.Source = domain.SourceDocument{}
				return o.SubmitReport(m, "report_year", "2026", sha)
			}, nil, domain.ErrInvalid, "source_document"},
		{"an ended org", []step{unit, {Dissolved{}, day(2025, 7, 1)}},
			func(o *Org) ([]domain.Event, error) { return o.SubmitReport(meta(eff), "report_year", "2026", sha) }, nil, domain.ErrConflict, "ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.when(given(t, tt.given...))
			check(t, got, err, tt.then, tt.err, tt.rule)
		})
	}
	// A submission dates nothing of the org: a rename effective before it
	// is still accepted.
	o := given(t, unit, sent)
	if _, err := o.Rename(meta(day(2026, 12, 1)), "Sở Y tế tỉnh Đồng Tháp", "S01"); err != nil {
		t.Errorf("rename effective before a submission: %v", err)
	}
}
