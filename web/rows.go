package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// rowTypes are the dossier's repeated sections (the API's tables), by the
// key of the document that holds them: the form lists every field of the
// row type but its id.
var rowTypes = map[string]reflect.Type{
	"training":       reflect.TypeFor[dossier.TrainingRow](),
	"work_history":   reflect.TypeFor[dossier.WorkHistoryRow](),
	"salary_history": reflect.TypeFor[dossier.SalaryHistoryRow](),
	"family":         reflect.TypeFor[dossier.FamilyRow](),
	"rewards":        reflect.TypeFor[dossier.RewardRow](),
	"discipline":     reflect.TypeFor[dossier.DisciplineRow](),
	"evaluations":    reflect.TypeFor[dossier.EvaluationRow](),
}

// rowMember is the member of the API's Row that holds a table's row.
func rowMember(table string) string {
	switch table {
	case "rewards":
		return "reward"
	case "evaluations":
		return "evaluation"
	}
	return table
}

var yearMonthType = reflect.TypeFor[dossier.YearMonth]()

// rowChoices are the closed lists of a row's fields, named in Vietnamese.
var rowChoices = map[string][]struct{ Code, Name string }{
	"training.kind": {{"professional_degree", "Chuyên môn"}, {"political_theory", "Lý luận chính trị"}, {"state_management", "Quản lý nhà nước"},
		{"defence_security", "Quốc phòng, an ninh"}, {"it", "Tin học"}, {"language", "Ngoại ngữ"}, {"other", "Khác"}},
	"family.side":     {{"own", "Bên bản thân"}, {"spouse", "Bên vợ (chồng)"}},
	"discipline.kind": {{"party", "Kỷ luật Đảng"}, {"administrative", "Kỷ luật hành chính"}},
	"evaluations.rating": {{"excellent", "Hoàn thành xuất sắc nhiệm vụ"}, {"good", "Hoàn thành tốt nhiệm vụ"},
		{"completed", "Hoàn thành nhiệm vụ"}, {"not_completed", "Không hoàn thành nhiệm vụ"}},
}

// rowSchema lists a table's row fields by their JSON names (the id aside).
func rowSchema(table string) []schemaField {
	t, ok := rowTypes[table]
	if !ok {
		return nil
	}
	var out []schemaField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "id" || !f.IsExported() {
			continue
		}
		kind := kindOf(f.Type)
		if f.Type == yearMonthType {
			kind = "month"
		}
		if _, ok := rowChoices[table+"."+name]; ok {
			kind = "choice"
		}
		out = append(out, schemaField{Key: name, Kind: kind})
	}
	return out
}

// rowLabels name the row fields whose meaning differs from the section
// fields of the same name (fieldLabel).
var rowLabels = map[string]string{
	"from": "Từ tháng", "to": "Đến tháng", "score": "Điểm, xếp loại", "title": "Chức vụ, chức danh",
	"code": "Mã ngạch, chức danh nghề nghiệp", "act": "Hành vi vi phạm", "deciding_body": "Cơ quan quyết định",
	"qualification": "Trình độ đạt được", "discipline.from": "Từ ngày", "discipline.to": "Đến ngày",
}

func rowLabel(table, key string) string {
	if l, ok := rowLabels[table+"."+key]; ok {
		return l
	}
	if l, ok := rowLabels[key]; ok {
		return l
	}
	return fieldLabel(key)
}

// rowCatalogues are the catalogues a row's coded field takes its codes
// from (the API checks which one applies): offered as a list to pick from.
var rowCatalogues = map[string][]string{
	"training.qualification": {catalog.KindQualification, catalog.KindPoliticalTheory, catalog.KindStateManagement, catalog.KindITLevel, catalog.KindLanguageLevel},
	"salary_history.code":    {catalog.KindRank, catalog.KindTitle},
}

type rowField struct {
	editField
	Choices []struct{ Code, Name string }
	// Codes are the catalogue codes the field may take (a datalist).
	Codes []catalog.Entry
}

// rowData is the add or edit form of one row.
type rowData struct {
	ID, Table, TableName, FullName string
	Row                            string // the row's id; "" for a new row
	Index                          int    // the row's place in its table; -1 for a new row
	Version                        uint64
	Original                       string // the row as read, JSON
	Fields                         []rowField
	Doc                            decisionForm
	Conflict                       []conflictRow
	Errors                         map[string]string
	Corrections                    []historyEntry
	Corrects, Reason               string
}

func (a *App) rowFields(table string, vals map[string]any) []rowField {
	var out []rowField
	for _, sf := range rowSchema(table) {
		f := rowField{editField: editField{Key: sf.Key, Label: rowLabel(table, sf.Key), Kind: sf.Kind}, Choices: rowChoices[table+"."+sf.Key]}
		for _, kind := range rowCatalogues[table+"."+sf.Key] {
			f.Codes = append(f.Codes, a.cfg.Catalog.Entries(kind)...)
		}
		switch t := vals[sf.Key].(type) {
		case nil:
		case string:
			f.Value = t
		case float64:
			f.Value = strconv.FormatFloat(t, 'f', -1, 64)
		case bool:
			f.Checked = t
		default:
			b, _ := json.Marshal(t)
			f.Value = string(b)
		}
		f.ReadOnly = sf.Kind == "json"
		out = append(out, f)
	}
	return out
}

// rowFromForm is the row as the user left it, in its JSON types; an empty
// field is left out.
func rowFromForm(table string, orig map[string]any, r *http.Request) (map[string]any, map[string]string) {
	return fromForm(rowSchema(table), orig, r)
}

// findRow is the row of table with id in the dossier's document and its
// index (rows are never removed or reordered, so the history's paths name
// a row by it); nil when it has none.
func findRow(doc map[string]any, table, id string) (map[string]any, int) {
	rows, _ := doc[table].([]any)
	for i, r := range rows {
		if m, ok := r.(map[string]any); ok && m["id"] == id {
			return m, i
		}
	}
	return nil, -1
}

// rowCorrectable lists the events that wrote the table's row at index
// (for a new row, index -1, none: a correction fixes what was recorded).
func (a *App) rowCorrectable(r *http.Request, s *session, id, table string, index int) []historyEntry {
	if index < 0 {
		return nil
	}
	at := "/" + table + "/" + strconv.Itoa(index)
	rep := a.api.call(r, http.MethodGet, "/api/v1/dossiers/"+url.PathEscape(id)+"/history", s.Token, nil)
	var h struct {
		Items []historyEntry `json:"items"`
	}
	if !rep.OK() || rep.decode(&h) != nil {
		return nil
	}
	var out []historyEntry
	for i := len(h.Items) - 1; i >= 0; i-- {
		for _, c := range h.Items[i].Changes {
			if c.Path == at || strings.HasPrefix(c.Path, at+"/") {
				out = append(out, h.Items[i])
				break
			}
		}
	}
	return out
}

// rowPage is the form of a new row (no {row}) or of an existing one.
func (a *App) rowPage(w http.ResponseWriter, r *http.Request, s *session) {
	table, row := r.PathValue("table"), r.PathValue("row")
	if _, ok := rowTypes[table]; !ok {
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	d, ok := a.readDossier(w, r, s)
	if !ok {
		return
	}
	cur, index := map[string]any{}, -1
	if row != "" {
		if cur, index = findRow(d.Document, table, row); cur == nil {
			a.failure(w, r, reply{Status: http.StatusNotFound})
			return
		}
	}
	orig, _ := json.Marshal(cur)
	data := rowData{ID: d.ID, Table: table, TableName: sectionName(table), FullName: d.fullName(), Row: row, Index: index, Version: d.Version,
		Original: string(orig), Fields: a.rowFields(table, cur), Doc: decisionForm{EffectiveDate: s.Me.Today}}
	data.Corrections = a.rowCorrectable(r, s, d.ID, table, index)
	a.render(w, r, http.StatusOK, "row", "", view{Title: data.TableName, S: s, Data: data})
}

// saveRow adds the row (POST /api/v1/dossiers/{id}/rows) or amends it
// (PUT …/rows/{row}), or corrects the event that wrote it. A 412 is
// handled as the section edit does: the form is based on the dossier as it
// now stands, with the other writer's changes beside the user's, and
// nothing is written until the user sends it again.
func (a *App) saveRow(w http.ResponseWriter, r *http.Request, s *session) {
	id, table, row := r.PathValue("id"), r.PathValue("table"), r.PathValue("row")
	if _, ok := rowTypes[table]; !ok {
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	var orig map[string]any
	if err := json.Unmarshal([]byte(r.PostFormValue("original")), &orig); err != nil || orig == nil {
		a.render(w, r, http.StatusBadRequest, "error", "", view{Title: "Biểu mẫu không hợp lệ", S: s, Flash: "Biểu mẫu không hợp lệ. Vui lòng mở lại trang."})
		return
	}
	version := r.PostFormValue("version")
	index := -1
	if row != "" {
		if n, err := strconv.Atoi(r.PostFormValue("index")); err == nil {
			index = n
		}
	}
	mine, errs := rowFromForm(table, orig, r)
	data := rowData{ID: id, Table: table, TableName: sectionName(table), FullName: r.PostFormValue("full_name"), Row: row,
		Original: r.PostFormValue("original"), Fields: a.rowFields(table, mine), Doc: decisionFrom(r), Errors: errs,
		Corrects: r.PostFormValue("corrects"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	data.Version, _ = strconv.ParseUint(version, 10, 64)
	data.Index = index
	if len(errs) > 0 {
		data.Corrections = a.rowCorrectable(r, s, id, table, index)
		a.render(w, r, http.StatusUnprocessableEntity, "row", "", view{Title: data.TableName, S: s, Data: data, Flash: "Thông tin chưa hợp lệ."})
		return
	}
	member := rowMember(table)
	sent := map[string]any{}
	for k, v := range mine {
		sent[k] = v
	}
	if row != "" {
		sent["id"] = row
	}
	apiRow := map[string]any{"table": table, member: sent}
	body := data.Doc.envelope(map[string]any{"row": apiRow})
	target, method := "/api/v1/dossiers/"+url.PathEscape(id)+"/rows", http.MethodPost
	switch {
	case row != "" && data.Corrects != "":
		// A correction of the event that recorded the row wrongly: its
		// reason and document are mandatory (the API says so if missing).
		body = data.Doc.envelope(map[string]any{"corrects": data.Corrects, "reason": data.Reason, "patch": map[string]any{"rows": []any{apiRow}}})
		target = "/api/v1/dossiers/" + url.PathEscape(id) + "/corrections"
	case row != "":
		target, method = target+"/"+url.PathEscape(row), http.MethodPut
	}
	rep := a.api.call(r, method, target, s.Token, body, "If-Match", `"`+version+`"`)
	if rep.OK() {
		http.Redirect(w, r, "/dossiers/"+url.PathEscape(id)+"?saved=1#"+table, http.StatusSeeOther)
		return
	}
	p := rep.problem()
	if p.Status == http.StatusPreconditionFailed {
		d, ok := a.readDossier(w, r, s)
		if !ok {
			return
		}
		now := map[string]any{}
		if row != "" {
			if now, index = findRow(d.Document, table, row); now == nil {
				now = map[string]any{}
			}
		}
		delete(orig, "id")
		delete(now, "id")
		data.Conflict = conflicts(orig, now, mine, a)
		b, _ := json.Marshal(now)
		data.Original, data.Version, data.FullName, data.Index = string(b), d.Version, d.fullName(), index
		data.Fields = a.rowFields(table, mergeMine(now, orig, mine))
		data.Corrections = a.rowCorrectable(r, s, id, table, index)
		msg := "Hồ sơ đã được người khác thay đổi trong lúc bạn nhập dòng mới; dòng của bạn chưa được ghi. Biểu mẫu đã lấy phiên bản mới nhất, hãy gửi lại."
		if row != "" {
			msg = "Người khác đã thay đổi hồ sơ trong lúc bạn sửa dòng này. Hãy xem các khác biệt bên dưới rồi gửi lại."
		}
		a.render(w, r, http.StatusConflict, "row", "", view{Title: data.TableName, S: s, Data: data, Flash: msg})
		return
	}
	data.Errors = map[string]string{}
	for _, e := range p.Errors {
		k := e.Field
		for _, prefix := range []string{"/row/" + member + "/", "/patch/rows/0/" + member + "/"} {
			k = strings.TrimPrefix(k, prefix)
		}
		data.Errors[k] = e.Rule + ifText(e.Detail)
	}
	data.Corrections = a.rowCorrectable(r, s, id, table, index)
	a.render(w, r, p.Status, "row", "", view{Title: data.TableName, S: s, Data: data, Problem: &p, Flash: problemMessage(p)})
}
