package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/processes"
)

// TestProcessesCommand runs a merger's process whose one dossier cannot be
// moved (it does not exist), so that it ends failed, and reads it back with
// `hoso processes status` and `hoso processes status ID`.
func TestProcessesCommand(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.New(t)

	code, out, errOut := runHoso(t, url, "processes", "status")
	if code != 0 || !strings.Contains(out, "no processes") {
		t.Fatalf("status on an empty database = %d\n%s%s", code, out, errOut)
	}

	l := ledger.Ledger{Store: postgres.New(pool, postgres.Options{})}
	orgs := app.Orgs{Ledger: l}
	m := domain.Meta{Actor: domain.Actor{Account: domain.AccountID(uuid.Must(uuid.NewV7())), Name: "Quản trị"},
		RecordedAt: time.Now().UTC(), EffectiveDate: domain.DateOf(time.Now()),
		Source: domain.SourceDocument{Kind: "decision", Number: "1/QĐ-UBND", Date: domain.DateOf(time.Now()), Issuer: "UBND tỉnh"}}
	root, old, succ := domain.OrgID(uuid.Must(uuid.NewV7())), domain.OrgID(uuid.Must(uuid.NewV7())), domain.OrgID(uuid.Must(uuid.NewV7()))
	for _, o := range []struct {
		id     domain.OrgID
		name   string
		code   string
		parent domain.OrgID
	}{{root, "UBND tỉnh", "H01", domain.OrgID{}}, {old, "Phòng cũ", "H01.01", root}, {succ, "Phòng mới", "H01.02", root}} {
		kind := org.KindDepartment
		if o.parent.IsZero() {
			kind = org.KindProvinceCommittee
		}
		if _, err := orgs.Create(ctx, o.id, org.CreateOrg{Name: o.name, Code: o.code, Kind: kind, Level: org.LevelProvince, Parent: o.parent}, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := orgs.Merge(ctx, old, 0, succ, m); err != nil {
		t.Fatal(err)
	}
	ghost := domain.DossierID(uuid.Must(uuid.NewV7()))
	mgr := &processes.Manager{
		Store: processes.NewStore(pool),
		Succession: app.Succession{Ledger: l, Managed: func(context.Context, domain.OrgID, domain.Date) ([]domain.DossierID, error) {
			return []domain.DossierID{ghost}, nil
		}},
		MaxAttempts:  1,
		PollInterval: 20 * time.Millisecond,
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Run(runCtx) }()
	st, err := mgr.Start(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	for st.State == processes.StateRunning {
		time.Sleep(20 * time.Millisecond)
		if st, err = mgr.Get(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	<-done

	code, out, errOut = runHoso(t, url, "processes", "status")
	if code != 0 || !strings.Contains(out, st.ID.String()) || !strings.Contains(out, "succession/merge") || !strings.Contains(out, "failed") {
		t.Errorf("status = %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runHoso(t, url, "processes", "status", st.ID.String())
	if code != 0 || !strings.Contains(out, "state      failed") || !strings.Contains(out, "failure    dossier "+ghost.String()+": 1 attempts, gave up") {
		t.Errorf("status ID = %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runHoso(t, url, "processes", "status", uuid.NewString()); code != 1 || !strings.Contains(errOut, "no process") {
		t.Errorf("status of an unknown process = %d %q, want 1", code, errOut)
	}
	for _, args := range [][]string{{"processes"}, {"processes", "status", "not-a-uuid"}, {"processes", "retry"}} {
		if code, _, _ := runHoso(t, url, args...); code != 2 {
			t.Errorf("%v = %d, want 2", args, code)
		}
	}
}
