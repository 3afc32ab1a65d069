package compliance_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// itemsOf returns the items of action owned by org.
func itemsOf(got map[uuid.UUID]compliance.Item, action policy.ActionKind, org domain.OrgID, tid uuid.UUID) []compliance.Item {
	var out []compliance.Item
	for _, it := range got {
		if it.Action == action && it.Org == org && it.TransferID == tid {
			out = append(out, it)
		}
	}
	return out
}

// TestTransferSidesHue: HU 10.2, each side of a transfer between orgs owes
// its own deadline. The old org's 10 days count from the new org's
// request and end when it sends; the new org's 30 days to receive and
// forward count from the transfer decision and end when it receives.
func TestTransferSidesHue(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	x, _ := l.create("Yêu Cầu", orgA, l.meta(orgA, d(2025, 2, 3), d(2025, 2, 3)))
	// HU 10.2: orgB asks for the dossier on Monday 3 March 2025; the old
	// org owes it by Thursday 13 March (10 days).
	mReq := l.meta(orgB, d(2025, 3, 3), d(2025, 3, 3))
	req := l.DossierDo(x, mReq, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.RequestTransfer(dossier.TransferRequest{RequestID: uid("req1"), RequestingOrg: orgB}, mReq)
	})
	// A repeated request does not restart the count.
	mReq2 := l.meta(orgB, d(2025, 3, 10), d(2025, 3, 10))
	req2 := l.DossierDo(x, mReq2, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.RequestTransfer(dossier.TransferRequest{RequestID: uid("req2"), RequestingOrg: orgB}, mReq2)
	})
	// orgA sends on Monday 17 March: 4 days (2 working days) late.
	mSend := l.meta(orgA, d(2025, 3, 17), d(2025, 3, 17))
	sent := l.DossierDo(x, mSend, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("h1"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB, RequireRequest: true}, mSend)
	})
	// orgB receives on Tuesday 22 April: its 30 days from the 17 March
	// decision ended on Wednesday 16 April; 6 days (4 working days) late,
	// which is orgB's, not orgA's.
	mRecv := l.meta(orgB, d(2025, 4, 22), d(2025, 4, 22))
	l.DossierDo(x, mRecv, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.ReceiveTransfer(uid("h1"), mRecv)
	})

	// A transfer sent without a request (Huế does not require one): the
	// sender's item counts from the decision and is done on sending; orgC
	// never receives, and only orgC is overdue.
	y, _ := l.create("Không Nhận", orgA, l.meta(orgA, d(2025, 2, 3), d(2025, 2, 3)))
	mY := l.meta(orgA, d(2025, 5, 5), d(2025, 5, 5))
	sentY := l.DossierDo(y, mY, func(x *dossier.Dossier) ([]domain.Event, error) {
		return x.InitiateTransfer(dossier.TransferOrder{TransferID: uid("h2"), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgC}, mY)
	})

	pool := projectiontest.NewDB(t)
	p := preset(t, "hue-health-2017")
	tables := projectiontest.Build(t, pool, p, 1, l.Events(), 1)
	got := allItems(t, pool, orgA, orgB, orgC)

	done := compliance.OutcomeDone
	check(t, got, req[0], want{policy.TransferBetweenOrgs, orgA, d(2025, 3, 3), d(2025, 3, 13), d(2025, 3, 17), done, 4, 2})
	if it := got[req[0]]; it.Counterpart != orgB || it.ClosedBy != sent[0] || it.TransferID != uid("h1") || it.Trigger != dossier.TypeTransferRequested {
		t.Errorf("request item: counterpart %s closed by %s transfer %s trigger %s", it.Counterpart, it.ClosedBy, it.TransferID, it.Trigger)
	}
	noItem(t, got, req2[0], "a repeated request (HU 10.2 counts from the first)")
	noItem(t, got, sent[0], "sending answers the request: the request item is the sender's")
	recv := itemsOf(got, policy.TransferForward, orgB, uid("h1"))
	if len(recv) != 1 {
		t.Fatalf("receiver items of h1: %+v, want 1", recv)
	}
	check(t, got, recv[0].ID, want{policy.TransferForward, orgB, d(2025, 3, 17), d(2025, 4, 16), d(2025, 4, 22), done, 6, 4})

	check(t, got, sentY[0], want{policy.TransferBetweenOrgs, orgA, d(2025, 5, 5), d(2025, 5, 15), d(2025, 5, 5), done, 0, 0})
	recvY := itemsOf(got, policy.TransferForward, orgC, uid("h2"))
	if len(recvY) != 1 {
		t.Fatalf("receiver items of h2: %+v, want 1", recvY)
	}
	check(t, got, recvY[0].ID, want{policy.TransferForward, orgC, d(2025, 5, 5), d(2025, 6, 4), domain.Date{}, compliance.OutcomeOpen, 0, 0})

	ctx := context.Background()
	for _, tc := range []struct {
		org  domain.OrgID
		asOf domain.Date
		want []uuid.UUID
	}{
		// The request unanswered on 14 March is orgA's.
		{orgA, d(2025, 3, 14), []uuid.UUID{req[0]}},
		{orgB, d(2025, 3, 14), nil},
		// orgB's slow receipt is orgB's, never orgA's.
		{orgB, d(2025, 4, 20), []uuid.UUID{recv[0].ID}},
		{orgA, d(2025, 4, 20), nil},
		{orgC, d(2025, 6, 5), []uuid.UUID{recvY[0].ID}},
		{orgA, d(2025, 6, 5), nil},
	} {
		items, err := compliance.Overdue(ctx, pool, []domain.OrgID{tc.org}, tc.asOf)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uuid.UUID
		for _, it := range items {
			// The persons' own data forms (HU 9.1b), never submitted
			// here, are overdue too: this test is about the transfer's
			// duties only.
			if it.Action == policy.PersonForm {
				continue
			}
			ids = append(ids, it.ID)
		}
		if !sameSet(ids, tc.want) {
			t.Errorf("Overdue(%s, %s) = %v, want %v", tc.org, tc.asOf, ids, tc.want)
		}
	}

	twice := projectiontest.Build(t, pool, p, 2, l.Events(), 2)
	if a, b := dump(t, pool, tables), dump(t, pool, twice); a != b {
		t.Errorf("applying each event twice changed the model:\nonce:  %.400s\ntwice: %.400s", a, b)
	}
}
