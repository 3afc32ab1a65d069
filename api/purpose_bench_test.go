package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/consent"
	"github.com/hoso-ledger/hoso/domain/policy"
)

// BenchmarkListPurposeGate times a page of 20 dossiers of the demo
// province through real HTTP: HR's (personnel work: the gate decides per
// row and asks nothing — the raw baseline), the inspector's for an
// inspection (the purpose checked once), and the inspector's for
// statistics, which needs each person's consent (one consent stream read
// per row). The difference to HR's is the gate's cost.
//
//	go test ./api -run '^$' -bench ListPurposeGate -benchtime 50x -count 3
func BenchmarkListPurposeGate(b *testing.B) {
	e := apitest.Start(b, apitest.Options{NoSeed: true, NoOpenAPI: true})
	e.Demo(300, 1)
	hr, insp := e.Login("tccb.soyte", "SoYTe@Demo2026"), e.Login("thanhtra", "ThanhTra@Demo2026")
	r := e.Do(http.MethodGet, "/api/v1/dossiers?limit=20", hr, nil)
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	r.JSON(&page)
	if len(page.Items) != 20 {
		b.Fatalf("HR's page: %s", r.Body)
	}
	ctx := context.Background()
	reg := app.Consents{Ledger: e.Svc.Deps.Dossiers.Ledger}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
		id := domain.DossierID(uuid.MustParse(it.ID))
		m := e.Meta()
		if _, _, err := reg.Record(ctx, consent.Recorded{ConsentID: uuid.Must(uuid.NewV7()), DossierID: id, Purposes: []policy.Purpose{policy.PurposeStatistics},
			Scope: consent.ScopeView, Form: m.Source, ValidFrom: m.EffectiveDate}, 0, m.EffectiveDate, m); err != nil {
			b.Fatal(err)
		}
	}
	only := "&id=" + strings.Join(ids, ",")
	for _, tc := range []struct {
		name, token, query string
		hdr                []string
	}{
		{"hr-baseline", hr, only, nil},
		{"inspector-inspection", insp, only, []string{"Hoso-Purpose", `inspection; ref="15/QĐ-TTr"`}},
		{"inspector-statistics-consents", insp, only, []string{"Hoso-Purpose", "statistics"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				r := e.Do(http.MethodGet, "/api/v1/dossiers?limit=20"+tc.query, tc.token, nil, tc.hdr...)
				if r.Status != http.StatusOK || strings.Count(string(r.Body), `"full_name"`) != 20 {
					b.Fatalf("%s: %d %.300s", tc.name, r.Status, r.Body)
				}
			}
		})
	}
}
