package api

import (
	"errors"
	"net/http"
	"testing"
)

// dossierRequests makes a fresh value of every dossier request body.
var dossierRequests = []func() any{
	func() any { return new(createDossierRequest) },
	func() any { return new(updateSectionsRequest) },
	func() any { return new(rowRequest) },
	func() any { return new(correctionRequest) },
	func() any { return new(statusRequest) },
	func() any { return new(civilServantNumberRequest) },
	func() any { return new(proposalRequest) },
	func() any { return new(acceptProposalRequest) },
	func() any { return new(reasonRequest) },
	func() any { return new(transferRequest) },
}

func TestDecodeRequestNamesTheField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		v         any
		wantField string
		wantRule  string
	}{
		{"impossible date", `{"patch":{},"effective_date":"2025-02-30"}`, new(updateSectionsRequest), "/effective_date", "invalid"},
		{"nested date", `{"patch":{"identity":{"date_of_birth":"12/04/1985"}}}`, new(updateSectionsRequest), "/patch/identity/date_of_birth", "invalid"},
		{"row date in a slice", `{"row":{"table":"discipline","discipline":{"from":"2020-13-01"}}}`, new(rowRequest), "/row/discipline/from", "invalid"},
		{"unknown class", `{"class":"x"}`, new(createDossierRequest), "/class", "invalid"},
		{"unknown nested field", `{"patch":{"health":{"eyes":"blue"}}}`, new(updateSectionsRequest), "/patch/health/eyes", "unknown_field"},
		{"unknown top field", `{"status":"retired","why":"x"}`, new(statusRequest), "/why", "unknown_field"},
		{"source document date", `{"status":"retired","source_document":{"date":"yesterday"}}`, new(statusRequest), "/source_document/date", "invalid"},
		{"wrong type", `{"year":"2025"}`, new(proposalRequest), "/year", "type"},
		{"bad coefficient", `{"patch":{"salary":{"coefficient":"2.34"}}}`, new(updateSectionsRequest), "/patch/salary/coefficient", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := decodeRequestBytes([]byte(tt.body), tt.v)
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusUnprocessableEntity {
				t.Fatalf("decode(%s) = %v, want a 422", tt.body, err)
			}
			if len(e.Errors) != 1 || e.Errors[0].Field != tt.wantField || e.Errors[0].Rule != tt.wantRule {
				t.Errorf("decode(%s) errors = %+v, want %s %s", tt.body, e.Errors, tt.wantField, tt.wantRule)
			}
		})
	}
}

// FuzzDossierRequests feeds arbitrary bodies to every dossier request
// decoder: none may panic, and every refusal is a 400, 413 or 422 *Error
// (a 422 names at least one field).
func FuzzDossierRequests(f *testing.F) {
	for _, seed := range []string{
		`{"class":"cong_chuc","managing_org":"01a23491-cbf6-7511-8758-c8b3fd9277cb","employing_unit":"01a23491-cbf6-7511-8758-c8b3fd9277cb","personal_id_number":"001085012345","identity":{"birth_name":"Nguyễn Văn An","gender":"male","date_of_birth":"1985-04-12","ethnicity":"01"},"effective_date":"2025-05-01","source_document":{"kind":"decision","number":"12/QĐ-SYT","date":"2025-04-30","issuer":"Sở Y tế"}}`,
		`{"patch":{"position":{"current":"Trưởng phòng","appointed_on":"2025-06-01"},"salary":{"rank":"01.003","step":3,"coefficient":3.00}},"reason":"x"}`,
		`{"row":{"table":"family","family":{"side":"own","relation":"Vợ","name":"Trần Thị Bình","birth_year":1987}}}`,
		`{"row":{"table":"training","training":{"kind":"professional_degree","from":"2003-09","to":"2007-06","qualification":"bachelor"}}}`,
		`{"corrects":"01a23491-d499-7e62-9683-a50dd6106114","patch":{"other":{"notes":"x"}},"reactivate":true,"reason":"nhầm"}`,
		`{"status":"retired","effective_date":"2025-07-01"}`,
		`{"kind":"between_orgs","target_org":"01a23491-cbf6-7511-8758-c8b3fd9277cb","transfer_id":"01a23491-d499-7e62-9683-a50dd6106114"}`,
		`{"kind":"annual_supplement","year":2025,"patch":{}}`,
		`{"patch":null}`,
		`{"effective_date":"2025-02-30"}`,
		`{"patch":{"health":{"eyes":"blue"}}}`,
		`[1,2,3]`,
		`{"a":`,
		`"just a string"`,
		``,
		"{\"reason\":\"Nguye\u0302\u0303n\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mk := range dossierRequests {
			v := mk()
			err := decodeRequestBytes(body, v)
			if err == nil {
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("decode(%q) into %T = %v, not an *Error", body, v, err)
			}
			switch e.Status {
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			case http.StatusUnprocessableEntity:
				if len(e.Errors) == 0 && e.Detail == "" {
					t.Fatalf("decode(%q) into %T: a 422 that says nothing", body, v)
				}
			default:
				t.Fatalf("decode(%q) into %T = status %d", body, v, e.Status)
			}
		}
	})
}
