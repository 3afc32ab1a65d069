package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/service"
)

// TestTransferOnRequest: BT 10 (Bình Tân keeps the dossier with the
// managing org until the receiving org asks in writing; policy
// transfer_on_request) and HU 10.2 (the receiving org lodges the request).
// The receiving org cannot read the dossier; it names it by the person's
// personal ID number and learns only "received" (202), whether or not a
// dossier holds the number.
func TestTransferOnRequest(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t, apitest.Options{Config: service.Config{PolicyName: "binh-tan-2013"}})
	ctx := context.Background()
	orgA := env.Org("Phòng Y tế", "000.00.02.T01", env.Root)
	orgB := env.Org("Phòng Giáo dục", "000.00.03.T01", env.Root)
	env.WaitCaughtUp()
	hrA := env.Session(env.Account("tccb.a", "", account.KindOrg, account.RoleHROfficer, orgA))
	hrB := env.Session(env.Account("tccb.b", "", account.KindOrg, account.RoleHROfficer, orgB))
	id := env.Dossier(orgA, "Võ Văn Yêu Cầu")
	d, err := env.Svc.Deps.Dossiers.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	transfer := func(want int) *apitest.Response {
		t.Helper()
		cur, err := env.Svc.Deps.Dossiers.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return write(t, env, http.MethodPost, "/api/v1/dossiers/"+id.String()+"/transfers", hrA, fmt.Sprintf(`"%d"`, cur.Version()), map[string]any{
			"kind": "between_orgs", "target_org": orgB, "source_document": decision("21/QĐ-PYT"),
		}, want)
	}
	request := func(token string, body map[string]any, want int) *apitest.Response {
		t.Helper()
		body["source_document"] = decision("7/CV-PGD")
		r := env.Do(http.MethodPost, "/api/v1/transfer-requests", token, body)
		if r.Status != want {
			t.Fatalf("POST /transfer-requests %v: %d %s, want %d", body, r.Status, r.Body, want)
		}
		return r
	}

	// BT 10: without orgB's written request, orgA cannot send.
	before := eventCount(t, env)
	if p := transfer(http.StatusConflict).Problem(); p.Code != "conflict" || len(p.Errors) != 1 || p.Errors[0].Rule != "transfer_request_required" {
		t.Errorf("transfer without request: %+v, want 409 transfer_request_required", p)
	}
	if after := eventCount(t, env); after != before {
		t.Errorf("the refused transfer appended %d events", after-before)
	}

	// HU 10.2: orgA's HR cannot lodge orgB's request (403), and nobody
	// learns anything from an unknown number: 202, nothing recorded.
	request(hrA, map[string]any{"personal_id_number": d.PersonalIDNumber(), "requesting_org": orgB}, http.StatusForbidden)
	unknown := request(hrB, map[string]any{"personal_id_number": "001199999999", "requesting_org": orgB}, http.StatusAccepted)
	if after := eventCount(t, env); after != before {
		rows, _ := env.Svc.Pool.Query(ctx, `SELECT stream_id, type FROM events ORDER BY seq DESC LIMIT 3`)
		for rows.Next() {
			var a, b string
			_ = rows.Scan(&a, &b)
			t.Log(a, b)
		}
		rows.Close()
		t.Errorf("a request for an unknown number appended %d events", after-before)
	}
	request(hrB, map[string]any{"dossier_id": uuid.Must(uuid.NewV7()), "requesting_org": orgB}, http.StatusNotFound)
	p := request(hrB, map[string]any{"requesting_org": orgB}, http.StatusUnprocessableEntity).Problem()
	if len(p.Errors) != 1 || p.Errors[0].Field != "/dossier_id" {
		t.Errorf("neither id nor number: %+v", p)
	}

	// The real request: the same answer as for the unknown number, and
	// one event on the dossier's stream.
	known := request(hrB, map[string]any{"personal_id_number": d.PersonalIDNumber(), "requesting_org": orgB}, http.StatusAccepted)
	var a, b map[string]any
	unknown.JSON(&a)
	known.JSON(&b)
	if len(a) != len(b) || a["status"] != b["status"] {
		t.Errorf("answers differ: unknown %v, known %v", a, b)
	}
	if after := eventCount(t, env); after != before+1 {
		t.Errorf("the request appended %d events, want 1", after-before)
	}
	if got, _ := env.Svc.Deps.Dossiers.Get(ctx, id); got == nil {
		t.Fatal("dossier gone")
	} else if _, ok := got.TransferRequestedBy(orgB); !ok {
		t.Error("the dossier does not hold orgB's request")
	}

	// Now orgA may send, and orgB receives.
	transfer(http.StatusCreated)
}
