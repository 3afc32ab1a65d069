package compliance_test

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestDecree27InTheDefaultDeployment: Decree 27/2026/NĐ-CP (NĐ 27/2026,
// in force 1 July 2026: a dossier is created within 3 days of the
// recruitment, appointment or election decision) is tracked in every
// deployment, the default one included, whose provincial preset (Tiền Giang
// 2025) times no creation at all. A duty is judged by the rules in force on
// the day it started: the decision's date.
func TestDecree27InTheDefaultDeployment(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	// Decided Thursday 2 July 2026: day 3 is Sunday 5 July, so the deadline
	// moves to Monday 6 July (Civil Code art. 148); created Thursday 9 July,
	// 3 days (3 working days) late.
	_, late := l.create("Trễ Nghị Định", orgA, l.meta(orgA, d(2026, 7, 2), d(2026, 7, 9)))
	// Decided 15 June 2026, before the decree: the rules in force then (Tiền
	// Giang's, none for a creation) apply, however late it was entered.
	_, before := l.create("Trước Nghị Định", orgA, l.meta(orgA, d(2026, 6, 15), d(2026, 7, 9)))
	// Decided Wednesday 1 July 2026, the decree's first day, created Friday
	// 3 July: on time (due Saturday 4 July, moved to Monday 6 July).
	_, onTime := l.create("Đúng Hạn", orgA, l.meta(orgA, d(2026, 7, 1), d(2026, 7, 3)))

	tg, err := policy.Preset(policy.DefaultPreset)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compliance.New(policy.ForDeployment(tg), calendar.Official())
	if err != nil {
		t.Fatal(err)
	}
	pool := projectiontest.NewDB(t)
	tables := projectiontest.Build(t, pool, p, 1, l.Events(), 1)
	got := allItems(t, pool, orgA)

	done := compliance.OutcomeDone
	check(t, got, late, want{policy.CreateDossier, orgA, d(2026, 7, 2), d(2026, 7, 6), d(2026, 7, 9), done, 3, 3})
	if it := got[late]; it.Article != "NĐ 27/2026" {
		t.Errorf("late creation judged under %q, want NĐ 27/2026", it.Article)
	}
	noItem(t, got, before, "a creation decided on 15/6/2026, before Decree 27/2026 took effect")
	check(t, got, onTime, want{policy.CreateDossier, orgA, d(2026, 7, 1), d(2026, 7, 6), d(2026, 7, 3), done, 0, 0})
	if len(got) != 2 {
		t.Errorf("%d items, want 2", len(got))
	}
	// Idempotent: the log applied twice gives the same rows.
	once := dump(t, pool, tables)
	if twice := dump(t, pool, projectiontest.Build(t, pool, p, 2, l.Events(), 2)); twice != once {
		t.Errorf("applying the log twice changed the rows:\n%s\n%s", once, twice)
	}

	// Without the national layer (the preset alone, as before), nothing is
	// tracked: the layer is what makes the decree count.
	alone, err := compliance.New(tg, calendar.Official())
	if err != nil {
		t.Fatal(err)
	}
	pool2 := projectiontest.NewDB(t)
	projectiontest.Build(t, pool2, alone, 1, l.Events(), 1)
	if n := len(allItems(t, pool2, orgA)); n != 0 {
		t.Errorf("Tiền Giang alone: %d items, want 0", n)
	}
}
