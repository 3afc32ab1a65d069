package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	syncev "github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// TestNationalSyncSurvivesPostgresCrash: PostgreSQL is killed with SIGKILL
// while the delivery worker has packages in flight — the receiver holds
// them and answers only once the server is dead, so the worker gets
// receipts it cannot record — and started again. Every package ends
// acknowledged, the receiver holds each once (a redelivery is answered
// with the first receipt), each package's stream replays to one outcome
// whose every acknowledgement carries the receipt the receiver gave, and
// the receiver was never sent a package the ledger does not hold. It runs
// a private cluster of its own, since it kills it.
func TestNationalSyncSurvivesPostgresCrash(t *testing.T) {
	t.Parallel()
	cluster := pgtest.CrashableCluster(t, "synccrash")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w := startSyncWith(t, syncOptions{Timeout: 10 * time.Second, DatabaseURL: cluster.URL("synccrash"), Workers: 4})
	const units = 4
	var orgs []domain.OrgID
	for i := range units {
		unit := w.Org(fmt.Sprintf("Sở số %d", i+1), fmt.Sprintf("000.00.1%d.SC", i), w.Root)
		w.Dossier(unit, fmt.Sprintf("Nguyễn Văn Sập %d", i+1))
		w.approve(t, unit, "", w.approver(t, fmt.Sprintf("giamdoc.sap%d", i+1), fmt.Sprintf("Giám đốc Sở số %d", i+1), unit))
		orgs = append(orgs, unit)
	}
	director := w.approver(t, "giamdoc.snv.sap", "Giám đốc Sở Nội vụ", w.doh)

	// The receiver holds every package until the server is dead, then
	// stores and answers it: the worker learns of receipts it cannot
	// record.
	var (
		inFlight = make(chan struct{}, 64)
		dead     = make(chan struct{})
		deadOnce sync.Once
	)
	w.national.setGate(func(_ int, rw http.ResponseWriter, r *http.Request, body []byte) (bool, []byte) {
		if isDepartment(body) {
			return false, nil
		}
		inFlight <- struct{}{}
		<-dead
		return false, nil
	})
	w.approve(t, w.doh, "?level=department", director)
	select {
	case <-inFlight:
	case <-time.After(90 * time.Second):
		t.Fatal("no package reached the receiver in 90 s")
	}
	time.Sleep(200 * time.Millisecond) // let the other workers' packages reach it too
	if err := cluster.Crash(ctx, true); err != nil {
		t.Fatal(err)
	}
	deadOnce.Do(func() { close(dead) })
	time.Sleep(time.Second) // the answers arrive while the server is dead
	if err := cluster.Ensure(ctx, "synccrash"); err != nil {
		t.Fatal(err)
	}

	// Every unit's package settles; the API may answer 503 while its pool
	// drops the connections the crash cut.
	var packages []syncstatus.Package
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		r := w.do(t, "GET", "/sync/packages", w.AdminToken, "", nil)
		var out struct {
			Packages []syncstatus.Package `json:"packages"`
		}
		if r.status == http.StatusOK && json.Unmarshal(r.body, &out) == nil && len(out.Packages) == units &&
			!slices.ContainsFunc(out.Packages, func(p syncstatus.Package) bool { return p.State != "acknowledged" }) {
			packages = out.Packages
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("packages not all acknowledged 2 minutes after the crash: %d %s", r.status, r.body)
		}
	}

	held, err := w.national.Held()
	if err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	redelivered := false
	for _, p := range packages {
		if !slices.Contains(orgs, p.Org) {
			t.Errorf("a package of %s, not one of the units", p.Org)
		}
		ids = append(ids, p.ID)
		// The stream: one outcome, every acknowledgement the same receipt,
		// the one the receiver holds.
		h, err := ledger.Ledger{Store: w.Svc.Store}.Load(ctx, syncev.StreamID(p.ID), syncev.Decode)
		if err != nil {
			t.Fatal(err)
		}
		replayed, err := syncev.Replay(h.Events)
		if err != nil || replayed.State != syncev.StateAcknowledged {
			t.Fatalf("package %s replays to %+v (%v)", p.ID, replayed, err)
		}
		acks := 0
		for _, r := range h.Events {
			if a, ok := r.Event.(syncev.Acknowledged); ok {
				acks++
				if string(a.Receipt) != string(replayed.Receipt) || a.Digest != replayed.Digest {
					t.Errorf("package %s: two acknowledgements that disagree", p.ID)
				}
			}
		}
		if acks == 0 {
			t.Errorf("package %s: no acknowledgement in its stream", p.ID)
		}
		stored, pkg, _ := w.delivered(t, p) // the receipt is the receiver's, for these bytes
		if pkg.Org != p.Org || len(stored) == 0 {
			t.Errorf("package %s: the receiver holds another org's package", p.ID)
		}
		redelivered = redelivered || replayed.Attempts > 1
	}
	slices.SortFunc(held, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	// Held once each, and nothing the ledger does not hold.
	if !slices.Equal(held, ids) {
		t.Errorf("the receiver holds %v; the ledger's packages are %v", held, ids)
	}
	if !redelivered {
		t.Error("no package was delivered twice: the crash caught none in flight, and the test proved nothing")
	}
}
