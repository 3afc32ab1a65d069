package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain/catalog"
)

// The timeline names each change by the form's labels and shows values as
// the sections do: a catalogue code by its name, an org by its name, a
// date dd/mm/yyyy, a number with Vietnamese separators.
func TestChangeRows(t *testing.T) {
	t.Parallel()
	a := New(Config{}, http.NotFoundHandler())
	rank := catalog.Default().Entries(catalog.KindRank)[0]
	orgName := func(id string) string {
		if id == "org-1" {
			return "Sở Y tế"
		}
		return id
	}
	for _, tt := range []struct {
		path, before, after string
		label, wantB, wantA string
	}{
		{"/health/height_cm", `168`, `171`, "Sức khoẻ › Chiều cao (cm)", "168", "171"},
		{"/health/blood_group", `null`, `"AB"`, "Sức khoẻ › Nhóm máu", "", "AB"},
		{"/identity/birth_name", `"Nguyễn Văn A"`, `"Nguyễn Văn Á"`, "Sơ yếu lý lịch › Họ và tên khai sinh", "Nguyễn Văn A", "Nguyễn Văn Á"},
		{"/salary/rank", `null`, `"` + rank.Code + `"`, "Ngạch, bậc lương › Ngạch", "", rank.Name},
		{"/training/2/major", `"Y đa khoa"`, `"Y học cổ truyền"`, "Đào tạo, bồi dưỡng › dòng 3 › Chuyên ngành", "Y đa khoa", "Y học cổ truyền"},
		{"/managing_org", `"org-1"`, `"org-2"`, "Cơ quan quản lý", "Sở Y tế", "org-2"},
		{"/identity/date_of_birth", `"1985-04-12"`, `"1985-04-21"`, "Sơ yếu lý lịch › Ngày sinh", "12/04/1985", "21/04/1985"},
		{"/income/amount_vnd", `12500000`, `13000000.5`, "Thu nhập › Số tiền (đồng)", "12.500.000", "13.000.000,5"},
		{"/a~1b~0c", `true`, `false`, "a/b~c", "Có", "Không"},
	} {
		e := historyEntry{}
		e.Changes = append(e.Changes, struct {
			Path   string          `json:"path"`
			Before json.RawMessage `json:"before"`
			After  json.RawMessage `json:"after"`
		}{tt.path, json.RawMessage(tt.before), json.RawMessage(tt.after)})
		rows := a.changeRows(e, orgName)
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows", tt.path, len(rows))
		}
		r := rows[0]
		if r.Label != tt.label || r.Before != tt.wantB || r.After != tt.wantA || r.Path != tt.path {
			t.Errorf("%s: %q %q → %q, want %q %q → %q", tt.path, r.Label, r.Before, r.After, tt.label, tt.wantB, tt.wantA)
		}
	}
}

// FuzzChangeLabel: no pointer the API could send crashes the page, and
// the label never shows the pointer's slashes as separators.
func FuzzChangeLabel(f *testing.F) {
	for _, s := range []string{"", "/", "/health/height_cm", "/training/-1/x", "/~", "//", "/9999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		l := changeLabel(p)
		if strings.Contains(p, "/") && strings.Count(l, " › ") != strings.Count(strings.TrimPrefix(p, "/"), "/") {
			t.Errorf("%q → %q", p, l)
		}
	})
}
