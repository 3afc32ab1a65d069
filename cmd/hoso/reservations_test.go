package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

// TestReleaseOrphanReservations: an orphan claim (its dossier never
// created) is listed, refused a release without a reason, and released
// with a recorded event that says who ran the command and why; a claim in
// flight (younger than the grace period) is neither listed nor released.
func TestReleaseOrphanReservations(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.New(t)
	ctx := context.Background()
	const key = "cmd-test-personal-id-key-0123456789"
	l := ledger.Ledger{Store: postgres.New(pool, postgres.Options{})}
	res := app.Reservations{Ledger: l}
	claim := func(number string, at time.Time) string {
		stream := reservation.PersonalIDStream([]byte(key), number)
		holder := domain.DossierID(uuid.Must(uuid.NewV7())).StreamID()
		m := domain.Meta{Actor: domain.Actor{Account: domain.AccountID(uuid.Must(uuid.NewV7()))}, RecordedAt: at, EffectiveDate: domain.DateOf(at)}
		if err := res.Claim(ctx, stream, holder, "dossier", app.RulePersonalIDTaken, m); err != nil {
			t.Fatal(err)
		}
		return stream
	}
	orphan := claim("025090000001", time.Now().Add(-time.Hour))
	inFlight := claim("025090000002", time.Now())
	// The command scans ReadAll, whose stable prefix trails a commit while
	// any older transaction on the cluster (another package's test) is
	// still open: wait until the log shows both claims, as it will to an
	// administrator minutes later.
	for deadline := time.Now().Add(30 * time.Second); ; {
		evs, err := l.Store.ReadAll(ctx, eventstore.Start, 1000)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, ev := range evs {
			if ev.StreamID == orphan || ev.StreamID == inFlight {
				seen++
			}
		}
		if seen == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log shows %d of the 2 claims after 30 s", seen)
		}
		time.Sleep(20 * time.Millisecond)
	}

	cmd := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		getenv := func(k string) string {
			switch k {
			case "HOSO_DATABASE_URL":
				return url
			case "HOSO_PERSONAL_ID_KEY":
				return key
			case "HOSO_KEK":
				return testKEK
			case "USER":
				return "tester"
			}
			return ""
		}
		code := run(ctx, args, getenv, strings.NewReader(""), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := cmd("reservations", "orphans")
	if code != 0 || !strings.Contains(out, orphan) || strings.Contains(out, inFlight) || !strings.Contains(out, "1 orphan") {
		t.Fatalf("orphans: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := cmd("reservations", "release-orphans"); code != 2 || !strings.Contains(errOut, "--reason") {
		t.Errorf("release without a reason: exit %d, %s", code, errOut)
	}
	code, out, errOut = cmd("reservations", "release-orphans", "--reason", "tạo hồ sơ bị gián đoạn, phiếu 12/2026")
	if code != 0 || !strings.Contains(out, "released "+orphan) || !strings.Contains(out, "1 reservation(s) released") {
		t.Fatalf("release-orphans: exit %d\n%s%s", code, out, errOut)
	}
	evs, err := l.Store.ReadStream(ctx, orphan, eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last, err := ledger.Recorded(evs[len(evs)-1], reservation.Decode)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := last.Event.(reservation.Released); !ok || last.Meta.Reason != "tạo hồ sơ bị gián đoạn, phiếu 12/2026" || !strings.Contains(last.Meta.Actor.Name, "tester") {
		t.Errorf("last event %T, reason %q, actor %q: want a release by tester with the reason", last.Event, last.Meta.Reason, last.Meta.Actor.Name)
	}
	if r, _ := res.Get(ctx, inFlight); r.Holder == "" {
		t.Error("the claim in flight was released")
	}
	if code, out, _ := cmd("reservations", "orphans"); code != 0 || !strings.Contains(out, "0 orphan") {
		t.Errorf("orphans after the release: exit %d\n%s", code, out)
	}
}
