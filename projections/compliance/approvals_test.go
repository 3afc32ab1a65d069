package compliance_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestApprovalsAreFlagged: early and late monthly approvals are accepted by
// the ledger and flagged here; one in the window is listed but not flagged.
// Every event is applied twice.
func TestApprovalsAreFlagged(t *testing.T) {
	t.Parallel()
	signed := func(org domain.OrgID, month string, timing approval.Timing, on domain.Date) eventstore.Event {
		t.Helper()
		m, err := approval.ParseMonth(month)
		if err != nil {
			t.Fatal(err)
		}
		at := on.StartInVietnam().Add(10 * time.Hour)
		data, err := json.Marshal(approval.Signed{Org: org, Month: m, Level: approval.LevelUnit, ManifestDigest: "ab",
			TreeSize: 9, CMS: []byte{0x30}, SignerFingerprint: "cd", SignerAccount: domain.AccountID(uid("signer")),
			SignerSubject: "CN=Giám đốc", SigningTime: at, Timing: timing,
			WindowStart: d(2025, 5, 27), WindowEnd: d(2025, 5, 31)})
		if err != nil {
			t.Fatal(err)
		}
		return eventstore.Event{ID: uuid.Must(uuid.NewV7()), StreamID: "approval-" + org.String() + "-" + month, Version: 1,
			Type: approval.TypeSigned, Data: data, Meta: eventstore.Metadata{RecordedAt: at}}
	}
	events := []eventstore.Event{
		signed(orgA, "2025-05", approval.Early, d(2025, 5, 20)),
		signed(unitX, "2025-05", approval.InWindow, d(2025, 5, 28)),
		signed(orgA, "2025-04", approval.Late, d(2025, 5, 6)),
	}
	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, preset(t, "tien-giang-2025"), 1, events, 2)
	ctx := context.Background()

	all, err := compliance.Approvals(ctx, pool, []domain.OrgID{orgA, unitX}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("%d approvals, want 3 (each applied twice, kept once): %+v", len(all), all)
	}
	flagged, err := compliance.Approvals(ctx, pool, []domain.OrgID{orgA, unitX}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(flagged) != 2 || flagged[0].Timing != "early" || flagged[1].Timing != "late" || flagged[1].Month != "2025-04" ||
		flagged[0].SignedOn != d(2025, 5, 20) || flagged[0].WindowEnd != d(2025, 5, 31) || !flagged[0].Flagged() {
		t.Errorf("flagged approvals = %+v", flagged)
	}
	other, err := compliance.Approvals(ctx, pool, []domain.OrgID{unitX}, true)
	if err != nil || len(other) != 0 {
		t.Errorf("flagged approvals of an org that signed in its window = %+v, %v", other, err)
	}
}
