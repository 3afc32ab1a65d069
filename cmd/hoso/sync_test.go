package main

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// TestSyncStatusCommand: `hoso sync status` lists the packages of the
// syncstatus read model, flags the overdue and rejected ones with the
// receiver's reasons, and refuses bad flags with status 2.
func TestSyncStatusCommand(t *testing.T) {
	pool, url := pgtest.New(t)
	l := projectiontest.NewLedger(t)
	unit, doh := domain.OrgID(uuid.Must(uuid.NewV7())), domain.OrgID(uuid.Must(uuid.NewV7()))
	day := domain.MustDate(2026, 11, 27)
	m := domain.Meta{Actor: domain.Actor{Account: domain.AccountID(uuid.Must(uuid.NewV7())), Name: "hoso"}, RecordedAt: projectiontest.At(day), EffectiveDate: day}
	for i, reasons := range [][]string{nil, {"level 1: dossier-x@1: edited"}} {
		id := uuid.Must(uuid.NewV7())
		evs := []domain.Event{nationalsync.Queued{Package: id, Org: unit, Month: "2026-11", Department: doh, Supplement: i,
			ApprovedAt: m.RecordedAt, Due: day.AddDays(3), Article: "NĐ 27/2026"},
			nationalsync.Sent{Package: id, Digest: "ab", Attempt: 1}}
		if reasons != nil {
			evs = append(evs, nationalsync.Rejected{Package: id, Digest: "ab", Status: 422, Reasons: reasons})
		}
		l.Append(nationalsync.StreamID(id), eventstore.NoStream, m, evs)
	}
	projectiontest.Build(t, pool, syncstatus.New(), 1, l.Events(), 1)

	code, out, errOut := runHoso(t, url, "sync", "status", "--org", unit.String())
	if code != 0 || strings.Count(out, "2026-11") != 2 || !strings.Contains(out, "OVERDUE") || !strings.Contains(out, "REJECTED: level 1: dossier-x@1: edited") ||
		!strings.Contains(out, "(bổ sung 1)") || !strings.Contains(out, day.AddDays(3).Vietnamese()) {
		t.Fatalf("sync status = %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runHoso(t, url, "sync", "status", "--month", "2026-10"); code != 0 || !strings.Contains(out, "no packages") {
		t.Errorf("another month: %d %s", code, out)
	}
	for _, args := range [][]string{{"sync"}, {"sync", "list"}, {"sync", "status", "--month", "11/2026"}, {"sync", "status", "--org", "x"}, {"sync", "status", "extra"}} {
		if code, _, _ := runHoso(t, url, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestReceiverFlags: the receiver names every missing flag at once.
func TestReceiverFlags(t *testing.T) {
	t.Parallel()
	code, _, errOut := runHoso(t, "", "receiver", "--tls-key", "k.pem")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"--dir", "--sync-key", "--checkpoint-key", "--roots", "--key", "--tls-cert and --tls-key"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the problems do not name %s:\n%s", want, errOut)
		}
	}
}
